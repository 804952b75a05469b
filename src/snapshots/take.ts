// Runs cilium-dbg (locally or through `kubectl exec` into the node's agent pod) and bpftool at the start and end of
// a recording and keeps their raw stdout verbatim under snapshots/<phase>/. Never throws for tool problems: a
// missing tool is `unavailable`, a failing one `failed`, each with its reason. Parsing is snapshots/parsers.ts's job.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, relative } from 'node:path';
import { capturePaths, type Phase, type SnapshotKind } from '../capture/dir.js';
import type { SnapshotEntry } from '../capture/manifest.js';
import { argvText, firstLine, runToolBytes } from '../host/tools.js';

export type SnapshotMode = 'local' | 'kubectl' | 'none';

export interface SnapshotOptions {
  mode: SnapshotMode;
  /** Node whose Cilium agent pod to use in kubectl mode; default os.hostname(). */
  node?: string;
  /** The agent pod itself (skips the lookup). */
  ciliumPod?: string;
  /** Per command; default 20 s (a big ipcache takes a while through kubectl exec). */
  timeoutMs?: number;
  /** Environment (PATH) for the tools; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const CILIUM_LISTS: [SnapshotKind, string[]][] = [
  ['endpoints', ['bpf', 'endpoint', 'list']],
  ['ipcache', ['bpf', 'ipcache', 'list']],
  ['metrics', ['bpf', 'metrics', 'list']],
  // The two that name identities: labels for every identity the agent knows, and its endpoints (pods) with theirs.
  ['identities', ['identity', 'list']],
  ['endpoint-list', ['endpoint', 'list']],
];

type Outcome = Awaited<ReturnType<typeof runToolBytes>> & { argv: string[]; stdout: Uint8Array };

async function run(argv: string[], opts: SnapshotOptions): Promise<Outcome> {
  // Verbatim: bytes as printed, trailing newlines included.
  const r = await runToolBytes(argv, { env: opts.env, timeoutMs: opts.timeoutMs ?? 20_000 });
  return { ...r, argv, stdout: r.bytes };
}

function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * JSON first; when that fails (an old tool without `-o json`, an agent that rejects it) the text form. A missing
 * or hung tool is not retried: the text form would be missing too, or double the wait.
 */
async function takeOne(
  dir: string,
  phase: Phase,
  kind: SnapshotKind,
  jsonArgv: string[],
  textArgv: string[],
  opts: SnapshotOptions,
  retryWhenMissing?: (o: Outcome) => [string[], string[]] | null,
): Promise<SnapshotEntry> {
  const takenAt = new Date().toISOString();
  let o = await run(jsonArgv, opts);
  const retry = (x: Outcome) => !x.ok && !x.missing && !x.timedOut;
  if (retry(o)) o = await run(textArgv, opts);
  const alt = !o.ok && retryWhenMissing ? retryWhenMissing(o) : null;
  if (alt) {
    o = await run(alt[0], opts);
    if (retry(o)) o = await run(alt[1], opts);
  }
  if (o.missing) return { phase, kind, status: 'unavailable', argv: o.argv, reason: o.reason, takenAt };
  if (!o.ok) return { phase, kind, status: 'failed', argv: o.argv, reason: o.reason, takenAt };
  // The extension says what the content is: an old tool may print text even when asked for JSON.
  const file = capturePaths(dir).snapshot(phase, kind, isJson(o.stdout) ? 'json' : 'txt');
  const other = capturePaths(dir).snapshot(phase, kind, file.endsWith('.json') ? 'txt' : 'json');
  try {
    mkdirSync(dirname(file), { recursive: true });
    rmSync(other, { force: true }); // one file per kind and phase, even when an earlier run took the other form
    writeFileSync(file, o.stdout);
  } catch (e) {
    return { phase, kind, status: 'failed', argv: o.argv, reason: `cannot write ${file}: ${(e as Error).message}`, takenAt };
  }
  return { phase, kind, status: 'ok', file: relative(dir, file), argv: o.argv, takenAt };
}

/** The agent pod on `node`, or a reason why there is none. */
async function findCiliumPod(node: string, opts: SnapshotOptions): Promise<{ pod: string; argv: string[] } | { reason: string; argv: string[]; missing: boolean }> {
  const argv = ['kubectl', '-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=cilium', '--field-selector', `spec.nodeName=${node}`, '-o', 'name'];
  const r = await run(argv, opts);
  if (!r.ok) return { reason: r.missing ? r.reason : `cannot find the cilium pod: ${r.reason}`, argv, missing: r.missing };
  const pod = Buffer.from(r.stdout).toString('utf8').split('\n').map((l) => l.trim().replace(/^pods?\//, '')).find((l) => l !== '');
  if (!pod) return { reason: `no cilium pod on node ${node} (ran: ${argvText(argv)}${r.stderr.trim() ? `: ${firstLine(r.stderr)}` : ''})`, argv, missing: false };
  return { pod, argv };
}

export async function takeSnapshots(dir: string, phase: Phase, opts: SnapshotOptions): Promise<SnapshotEntry[]> {
  if (opts.mode === 'none') return [];
  const jobs: Promise<SnapshotEntry>[] = [];
  // bpftool looks at the kernel this process runs on, so it is local in both modes.
  jobs.push(takeOne(dir, phase, 'bpftool-net', ['bpftool', '-j', 'net'], ['bpftool', 'net'], opts));

  if (opts.mode === 'local') {
    for (const [kind, sub] of CILIUM_LISTS) {
      jobs.push(takeOne(dir, phase, kind, ['cilium-dbg', ...sub, '-o', 'json'], ['cilium-dbg', ...sub], opts));
    }
  } else {
    const node = opts.node ?? hostname();
    const found = opts.ciliumPod ? { pod: opts.ciliumPod, argv: [] } : await findCiliumPod(node, opts);
    for (const [kind, sub] of CILIUM_LISTS) {
      if ('reason' in found) {
        const takenAt = new Date().toISOString();
        jobs.push(Promise.resolve({ phase, kind, status: found.missing ? 'unavailable' : 'failed', argv: found.argv, reason: found.reason, takenAt }));
        continue;
      }
      const exec = (bin: string) => ['kubectl', '-n', 'kube-system', 'exec', found.pod, '-c', 'cilium-agent', '--', bin, ...sub];
      // Agents before Cilium 1.15 ship the same CLI as `cilium`; kubectl reports the missing binary on stderr.
      const olderCli = (o: Outcome): [string[], string[]] | null =>
        /executable file not found|no such file or directory/i.test(o.stderr) && o.argv.includes('cilium-dbg')
          ? [[...exec('cilium'), '-o', 'json'], exec('cilium')]
          : null;
      jobs.push(takeOne(dir, phase, kind, [...exec('cilium-dbg'), '-o', 'json'], exec('cilium-dbg'), opts, olderCli));
    }
  }
  const entries = await Promise.all(jobs);
  // Manifest order: the cilium lists first, as the capture layout lists them.
  const order: SnapshotKind[] = ['endpoints', 'ipcache', 'metrics', 'identities', 'endpoint-list', 'bpftool-net'];
  return entries.sort((a, b) => order.indexOf(a.kind as SnapshotKind) - order.indexOf(b.kind as SnapshotKind));
}
