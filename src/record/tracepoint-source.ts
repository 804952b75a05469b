// The tracer plan for `record --source tracepoint`: checks the prerequisites (root, tracefs, bpftrace), hands the
// generated bpftrace program to the recorder (it is written inside the capture: it documents what was traced) and
// tells the recorder how bpftrace says "ready" and "lost".
// The program itself is record/tracepoint-program.ts's; recording is the recorder's.
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { capturePaths, TRACER_PROGRAM } from '../capture/dir.js';
import { ensureTracefs, TRACEFS } from '../host/tracefs.js';
import type { TracerPlan } from './recorder.js';
import {
  availableSkbTracepoints, buildTracepointProgram, isBpftraceNoise, lostEvents, readDropReasons, TRACEPOINT_READY_LINE,
} from './tracepoint-program.js';


/**
 * The default set: the hooks the issue names (rx, tx, socket delivery, free). bpftrace compiles three programs per
 * tracepoint (about 0.8 s of CPU each), so all nineteen would take half a minute to attach; --tracepoints picks more.
 */
export const DEFAULT_TRACEPOINTS = [
  'net:napi_gro_receive_entry', 'net:netif_rx', 'net:netif_receive_skb', 'net:net_dev_queue', 'net:net_dev_start_xmit',
  'net:net_dev_xmit', 'skb:skb_copy_datagram_iovec', 'skb:kfree_skb', 'skb:consume_skb',
];

export async function tracepointPlan(
  outDir: string, filter: { netnsInode?: number; netnsInodes?: number[]; ifindex?: number }, wanted?: string[], bpftrace = 'bpftrace',
): Promise<TracerPlan> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new UserError('--source tracepoint needs root (bpftrace loads BPF programs)', '--source');
  const v = await execa(bpftrace, ['--version'], { reject: false, stdin: 'ignore', timeout: 15_000 });
  if ((v as { code?: string }).code === 'ENOENT') throw new UserError(`bpftrace not found (apt-get install bpftrace; 'make setup' does it)`, '--source');
  const notes: string[] = [];
  let mounted: string | null;
  try {
    mounted = ensureTracefs();
  } catch (e) {
    throw new UserError((e as Error).message, '--source');
  }
  if (mounted) notes.push(mounted);
  const available = availableSkbTracepoints(join(TRACEFS, 'events'));
  if (available.length === 0) throw new UserError(`no skb tracepoints under ${TRACEFS}/events`, '--source');
  const want = wanted?.length ? wanted : DEFAULT_TRACEPOINTS;
  const missing = want.filter((t) => !available.includes(t));
  if (wanted?.length && missing.length) throw new UserError(`tracepoint(s) not available on this kernel: ${missing.join(', ')} (available: ${available.join(', ')})`, '--tracepoints');
  const tracepoints = want.filter((t) => available.includes(t));
  if (missing.length) notes.push(`not on this kernel: ${missing.join(', ')}`);
  let dropReasons: Map<number, string> | undefined;
  try {
    dropReasons = readDropReasons(join(TRACEFS, 'events/skb/kfree_skb/format'));
  } catch (e) {
    notes.push(`drop reasons unavailable: ${(e as Error).message}`);
  }
  const { netnsInode, netnsInodes, ifindex } = filter;
  const program = buildTracepointProgram({ tracepoints, netnsInode, netnsInodes, ifindex, dropReasons });
  const file = capturePaths(outDir).tracerProgram;
  // -q: no "Attaching N probes..." (printed before attaching); our BEGIN line says the probes are live.
  // BPFTRACE_PERF_RB_PAGES: 1024 pages per CPU cut losses in a flood from 36% to 2% (bench/tracepoint-flood.mjs).
  const args = ['-q', file];
  let lost = 0;
  return {
    tool: 'bpftrace',
    cmd: bpftrace,
    args,
    format: 'json',
    files: [{ path: file, text: program }],
    readyFile: null,
    readyPattern: /^\0never$/,
    ownLine: (line) => (line === TRACEPOINT_READY_LINE ? 'ready' : isBpftraceNoise(line) ? 'log' : null),
    onOwnLine: (line, m) => {
      const n = lostEvents(line);
      if (n !== undefined) {
        lost += n;
        m.tracepoint = { ...(m.tracepoint ?? { tracepoints }), lostEvents: lost };
      }
    },
    stderrNotes: (tail) => tail.some((l) => l.includes('RLIMIT_MEMLOCK'))
      ? ['bpftrace could not raise RLIMIT_MEMLOCK (containers often forbid it); harmless on kernels ≥ 5.11, which charge BPF memory to the cgroup, and the probes did load']
      : [],
    env: { ...process.env, BPFTRACE_PERF_RB_PAGES: process.env.BPFTRACE_PERF_RB_PAGES ?? '1024' },
    manifestPatch: {
      tracepoint: { tracepoints, bpftraceVersion: String(v.stdout).trim(), argv: [bpftrace, ...args], program: TRACER_PROGRAM, notes, netnsInode, netnsInodes, ifindex },
    },
  };
}
