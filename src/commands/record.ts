// `skbtape record -o <dir> [target] [pwru options] [-- command]`: a live recording. Parses flags, resolves the
// target, asks the tracer source for a plan, wires Ctrl-C to the recorder and prints the summary.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { PASS_THROUGH_FLAGS } from '../record/pwru-args.js';
import type { RecordOptions, TracerPlan } from '../record/recorder.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec, type OutputFormat } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { captureSummary, renderSummary } from '../render/summary.js';
import type { ResolvedTarget, TargetMode, TargetSpec } from '../record/target-resolver.js';
import { SUMMARIES } from './summaries.js';

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };

/** `10` (seconds), `10s`, `500ms`, or Go's form as pwru users type it (`1m30s`, `250us`, `1h`) → milliseconds. */
export function parseDuration(v: string, flag: string): number {
  const t = v.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const part = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let ms = 0;
  let at = 0;
  for (let m = part.exec(t); m; m = part.exec(t)) {
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  if (t === '' || at !== t.length) throw new UserError(`${flag} wants a duration like 10, 10s, 500ms, 1m30s or 250us, not '${v}'`, flag);
  return Math.round(ms);
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} wants a positive integer, not '${v}'`, flag);
  return n;
}

interface RecordFlags {
  output: string; force: boolean; json?: boolean; format?: string; color?: string; source: string;
  netns: string[]; ifname?: string; pod?: string; namespace?: string; container?: string; podIface: string; target: string;
  pcapFilter?: string; pwru: string; pwruArg: string[]; inputFormat: string; tracepoints?: string;
  snapshots: string; node?: string; name?: string; ciliumPod?: string;
  readyTimeout: string; grace: string; killGrace: string; duration?: string; maxEvents?: string; flushMs: string; flushEvents: string; workers: string;
  progress?: boolean; print: boolean;
  filterNetns?: string; filterIfname?: string; outputJson?: boolean; timestamp?: string;
  [k: string]: unknown;
}

/**
 * As pwru: words before `--` are the pcap filter (`record -o d tcp and port 80 -- curl …`); everything after the
 * first `--` is the test command (its own `--` included). Commander hands both over as one list.
 */
export function splitOperands(operands: string[], rawArgs: string[]): { filter: string[]; command: string[] } {
  const dash = rawArgs.indexOf('--');
  const after = dash < 0 ? 0 : rawArgs.length - dash - 1;
  return { filter: operands.slice(0, operands.length - after), command: operands.slice(operands.length - after) };
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

// Kept whole although long: record's options in their help groups, read top to bottom as `record --help` shows them.
export function register(program: Command): void {
  const cmd = program
    .command('record')
    .description(SUMMARIES.record)
    .argument('[filter-or-command...]', "pwru's pcap filter (before --, joined with spaces, as pwru takes it), then the test command after --")
    .optionsGroup('Output:')
    .requiredOption('-o, --output <dir>', 'capture directory to create')
    .option('--force', 'replace a non-empty output directory', false)
    .option('--no-progress', 'no live status line even on a TTY')
    .option('--print', "print each event as it arrives, in pwru's text layout (stdout), and show the test command's own output (stderr) as well as keep it", false);
  addFormatOption(cmd, FORMAT)
    .optionsGroup('Target (what to trace):')
    .addOption(new Option('--source <source>', 'event source').choices(['pwru', 'tracepoint']).default('pwru'))
    .option('--netns <path>', 'filter by network namespace: /proc/PID/ns/net, /run/netns/NAME or inode:N (repeatable with --source tracepoint)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--ifname <name>', 'filter by interface name')
    .option('--pod <name>', 'target a pod (NAME or NAMESPACE/NAME, as kubectl prints it): crictl → PID → netns and host-side veth')
    .option('-n, --namespace <ns>', 'namespace of --pod (as kubectl -n)')
    .option('--container <id>', 'target a container by id')
    .option('--pod-iface <name>', 'interface inside the pod whose host peer is the veth', 'eth0')
    .addOption(new Option('--target <which>', 'filters pwru gets for --pod/--container: the host-side veth (ifname), the pod netns, or both (pod netns + pod-side interface)').choices(['netns', 'ifname', 'both']).default('ifname'))
    .option('--tracepoints <list>', 'with --source tracepoint: comma-separated category:name list (default: a core set)')
    .optionsGroup('pwru:')
    .option('--pcap-filter <expr>', "pwru's pcap filter expression (e.g. 'tcp and port 80')")
    .option('--pwru <path>', 'pwru binary', 'pwru')
    .option('--pwru-arg <arg>', 'extra argument passed to pwru verbatim (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--input-format <format>', 'pwru output format to record').choices(['auto', 'text', 'json']).default('auto'))
    .optionsGroup('Snapshots (Cilium and bpftool, at start and end):')
    .addOption(new Option('--snapshots <mode>', 'how to take Cilium/bpftool snapshots').choices(['local', 'kubectl', 'none']).default('local'))
    .option('--node <name>', 'the node recorded on (default: this host): the node column, the export partition, and the node for --snapshots kubectl')
    .option('--name <id>', "the capture's id and its label in queries (default: node, start time and directory name)")
    .option('--cilium-pod <name>', 'cilium agent pod for --snapshots kubectl')
    .optionsGroup('Test command and limits (durations: 10, 500ms, 1m30s):')
    .option('--ready-timeout <dur>', 'how long to wait for probes to attach', '60s')
    .option('--grace <dur>', 'keep recording this long after the test command exits', '1s')
    .option('--kill-grace <dur>', 'after SIGTERM, how long the tracer gets before SIGKILL', '5s')
    .option('--duration <dur>', 'stop after this long')
    .option('--max-events <n>', 'stop after this many events')
    .option('--flush-ms <ms>', 'flush events to disk at least this often', '1000')
    .option('--flush-events <n>', 'flush events to disk every N events', '65536')
    .option('--workers <n>', "parser worker threads for pwru's output: auto (default: one per core, up to 4; none on one core), 0 (parse on the main thread) or 1-16", 'auto')
    .optionsGroup("pwru's own flags (passed through by name; its names for ours are accepted too):")
    // pwru's own names for what skbtape has flags for, so a pwru command line can be pasted after `record -o DIR`.
    .option('--filter-netns <path>', "pwru's name for --netns")
    .option('--filter-ifname <name>', "pwru's name for --ifname")
    .option('--output-json', "pwru's flag: the same as --input-format json")
    .option('--output-meta', 'accepted for pwru command lines: skbtape asks pwru for meta where its version needs it')
    .option('--output-tuple', 'accepted for pwru command lines: skbtape asks pwru for tuples where its version needs it')
    .option('--timestamp <mode>', "accepted as pwru's --timestamp current only: skbtape records absolute kernel times");
  for (const [flag, takesValue] of Object.entries(PASS_THROUGH_FLAGS)) {
    cmd.option(takesValue ? `--${flag} <value>` : `--${flag}`, `passed to pwru as --${flag}`);
  }
  cmd.addHelpText('after', `
Examples:
  skbtape record -o cap --pod default/client -- curl -s http://server       # the pod's host veth; curl once ready
  skbtape record -o cap --filter-netns /proc/1234/ns/net tcp and port 80 --duration 30s
  skbtape record -o cap --source tracepoint --netns /run/netns/a --netns /run/netns/b -- ip netns exec a curl …
  skbtape record -o cap --print --ifname lxc3a6f7d4e8c73 -- curl -s http://server   # events live, as pwru shows them

On a terminal a status line says 'attaching probes…' (pwru) or 'compiling the bpftrace program…' until the tracer
is ready, then counts events. The test command's output is kept in <dir>/command/ and, on a terminal or with
--print, also shown on stderr.

Exit codes: the test command's own (1, 127 not found, 126 not executable, 128+N killed by signal N) when one was
given; else 0 on a normal stop. 1 the tracer failed, 130 stopped by Ctrl-C before the command finished, 2 bad input.
A capture is kept in every case but bad input.`);
  cmd.action(async (operands: string[], o: RecordFlags) => {
    const { filter, command } = splitOperands(operands, (program as unknown as { rawArgs?: string[] }).rawArgs ?? process.argv);
    if (filter.length) {
      if (o.pcapFilter) throw new UserError(`a pcap filter given twice: --pcap-filter '${o.pcapFilter}' and '${filter.join(' ')}' before --`, '--pcap-filter');
      o.pcapFilter = filter.join(' ');
    }
    const format = chosenFormat(o, FORMAT);
    const result = await record(command, o, format);
    const s = captureSummary(o.output, result.manifest);
    // With --print, stdout holds the events; the summary goes beside the status line.
    if (o.print) process.stderr.write(formatRecord(s, format, () => renderSummary(s)));
    else await writeOut(formatRecord(s, format, () => renderSummary(s)));
    if (result.manifest.status === 'failed') process.exitCode = 1;
    // Stopped at once, or before the test command finished: the capture is usable but not the whole run.
    else if (result.manifest.status === 'interrupted') process.exitCode = 130;
    // A wrapped test command's own verdict, as a shell would give it: CI sees the test fail through `record`.
    else if (result.manifest.command?.exit !== undefined) process.exitCode = result.manifest.command.exit;
  });
}

async function record(command: string[], o: RecordFlags, format: OutputFormat) {
  const passThrough: string[] = [];
  for (const [flag, takesValue] of Object.entries(PASS_THROUGH_FLAGS)) {
    const v = o[camel(flag)];
    if (v === undefined || v === false) continue;
    passThrough.push(`--${flag}`);
    if (takesValue) passThrough.push(String(v));
  }
  acceptPwruNames(o);
  const opts: RecordOptions = {
    outDir: o.output,
    force: o.force,
    target: null,
    snapshots: { mode: o.snapshots as 'local' | 'kubectl' | 'none', node: o.node, ciliumPod: o.ciliumPod },
    readyTimeoutMs: parseDuration(o.readyTimeout, '--ready-timeout'),
    graceMs: parseDuration(o.grace, '--grace'),
    killGraceMs: parseDuration(o.killGrace, '--kill-grace'),
    durationMs: o.duration !== undefined ? parseDuration(o.duration, '--duration') : undefined,
    maxEvents: o.maxEvents !== undefined ? positiveInt(o.maxEvents, '--max-events') : undefined,
    flushMs: positiveInt(o.flushMs, '--flush-ms'),
    flushEvents: positiveInt(o.flushEvents, '--flush-events'),
    workers: workerCount(o.workers),
    command: command.length ? command : undefined,
    moreNetns: o.netns.slice(1).filter((n) => !n.startsWith('inode:')),
    showProgress: o.progress !== false && Boolean(process.stderr.isTTY),
    printEvent: o.print ? (line) => { process.stdout.write(`${line}\n`); } : undefined,
    commandEcho: o.print || process.stderr.isTTY ? process.stderr : undefined,
  };
  if (o.print && (o.json || (o.format !== undefined && o.format !== 'table'))) throw new UserError('--print writes events to stdout, where --json would put the summary; give one', '--print');
  if (o.netns.length > 1 && o.source !== 'tracepoint') throw new UserError('pwru filters on one network namespace; several --netns need --source tracepoint', '--netns');
  const spec: TargetSpec = { pod: o.pod, namespace: o.namespace, container: o.container, netns: o.netns[0], ifname: o.ifname, podIface: o.podIface };
  let target: ResolvedTarget | null = null;
  if (o.pod || o.container || o.netns.length || o.ifname) {
    const { resolveTarget } = await import('../record/target-resolver.js');
    target = await resolveTarget(spec);
    opts.target = target;
    if (format === 'table' && (o.pod || o.container)) {
      process.stderr.write(`skbtape: target ${o.pod ?? o.container}: pid ${target.pid}, netns ${target.netnsInode}, veth ${target.hostVeth ?? '?'} (ifindex ${target.hostVethIfindex ?? '?'})\n`);
    }
  }
  let plan: TracerPlan;
  if (o.source === 'tracepoint') {
    if (passThrough.length || o.pwruArg.length || o.pcapFilter) throw new UserError('pwru options do not apply to --source tracepoint', '--source');
    const { tracepointFilter, tracepointPlan } = await import('../record/tracepoint-source.js');
    const filter = tracepointFilter(target, { byPod: Boolean(o.pod || o.container), mode: o.target as TargetMode, ifname: o.ifname, moreNetns: o.netns.slice(1) });
    plan = await tracepointPlan(resolve(o.output), filter, o.tracepoints?.split(',').map((x) => x.trim()).filter(Boolean));
  } else {
    const { pwruPlan } = await import('../record/pwru-plan.js');
    plan = await pwruPlan({
      pwru: o.pwru, outDir: o.output, target, byPod: Boolean(o.pod || o.container), mode: o.target as TargetMode, netns: o.netns[0], ifname: o.ifname,
      pcapFilter: o.pcapFilter, passThrough, extraArgs: o.pwruArg, inputFormat: o.inputFormat as 'auto' | 'text' | 'json',
    });
  }
  // The capture's node and name: the batch writer makes its id from them once the directory is claimed.
  plan.manifestPatch = { ...plan.manifestPatch, capture: { node: o.node, name: o.name } };
  return recordWithSignals(plan, opts);
}

/** Runs the recording with Ctrl-C wired in: the first stops cleanly, the second at once. */
async function recordWithSignals(plan: TracerPlan, opts: RecordOptions) {
  const { startRecording } = await import('../record/recorder.js');
  const { control, done } = startRecording(plan, opts);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) process.stderr.write(`\nskbtape: ${sig}: stopping ${plan.tool} and saving the capture (${sig} again to stop at once)\n`);
    else if (signals === 2) process.stderr.write(`skbtape: ${sig} again: stopping at once\n`);
    control.requestStop('signal', signals > 1, sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** pwru's own names for our flags (a pasted pwru command line), and the pod forms kubectl users type. */
function acceptPwruNames(o: RecordFlags): void {
  if (o.filterNetns !== undefined) o.netns = [...o.netns, o.filterNetns];
  if (o.filterIfname !== undefined) {
    if (o.ifname !== undefined && o.ifname !== o.filterIfname) throw new UserError(`--filter-ifname ${o.filterIfname} and --ifname ${o.ifname} disagree`, '--filter-ifname');
    o.ifname = o.filterIfname;
  }
  if (o.outputJson) {
    if (o.inputFormat === 'text') throw new UserError('--output-json and --input-format text disagree', '--output-json');
    o.inputFormat = 'json';
  }
  if (o.timestamp !== undefined && o.timestamp !== 'current') {
    throw new UserError(`skbtape runs pwru with --timestamp current (events are ordered and placed on the wall clock by absolute kernel time), not '${o.timestamp}'`, '--timestamp');
  }
  if (o.pod?.includes('/')) {
    const [ns, name, ...more] = o.pod.split('/');
    if (!ns || !name || more.length) throw new UserError(`--pod wants NAME or NAMESPACE/NAME, not '${o.pod}'`, '--pod');
    if (o.namespace !== undefined && o.namespace !== ns) throw new UserError(`--pod ${o.pod} names namespace ${ns}, but --namespace says ${o.namespace}`, '--pod');
    o.pod = name;
    o.namespace = ns;
  }
}

/** --workers: auto (undefined: the recorder chooses from the machine) or 0 to 16. */
function workerCount(v: string): number | undefined {
  if (v === 'auto') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 16) throw new UserError(`--workers wants auto or 0 to 16, not '${v}'`, '--workers');
  return n;
}
