// Where things live inside a capture directory. Nothing else in the code builds these paths by hand.
//
//   manifest.json                 what wrote the capture, counts, status (capture/manifest.ts)
//   events/000001.arrows ...      one Arrow IPC *stream* per batch, written to .tmp then renamed (capture/batch-writer.ts)
//   logs.ndjson                   pwru's header/log/progress lines, {"line":N,"kind":…,"text":…}
//   rejects.ndjson                lines the parser could not read, {"line":N,"text":…,"reason":…}
//   loss.ndjson                   reports of lost events, {"source":…,"count":N,"line":N,"scope":…,"text":…} (capture/loss.ts)
//   snapshots/<phase>/<name>      raw cilium-dbg / bpftool output, verbatim (snapshots/take.ts); phase = start | end
//   names/<phase>.json            ifindex→name tables, /run/netns names, pids→comm (record/target-resolver.ts)
//   command/stdout, command/stderr  the test command's output (record -- cmd)
//   pwru.stderr                   pwru's own stderr, verbatim
//   tracer/skb-tracepoints.bt     --source tracepoint: the bpftrace program that was run (what was traced)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST = 'manifest.json';
export const EVENTS_DIR = 'events';
export const LOGS = 'logs.ndjson';
export const REJECTS = 'rejects.ndjson';
export const LOSS = 'loss.ndjson';
export const SNAPSHOTS_DIR = 'snapshots';
export const NAMES_DIR = 'names';
export const COMMAND_DIR = 'command';
export const PWRU_STDERR = 'pwru.stderr';
export const TRACER_PROGRAM = 'tracer/skb-tracepoints.bt';

export type Phase = 'start' | 'end';

/**
 * Snapshot file names inside snapshots/<phase>/. The extension says how it was taken (json or txt). `endpoints` is
 * the BPF map (`bpf endpoint list`); `endpoint-list` the agent's API view with labels (`endpoint list`).
 */
export const SNAPSHOT_KINDS = ['endpoints', 'ipcache', 'metrics', 'bpftool-net', 'identities', 'endpoint-list'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

export const capturePaths = (dir: string) => ({
  manifest: join(dir, MANIFEST),
  eventsDir: join(dir, EVENTS_DIR),
  logs: join(dir, LOGS),
  rejects: join(dir, REJECTS),
  loss: join(dir, LOSS),
  snapshotsDir: join(dir, SNAPSHOTS_DIR),
  snapshot: (phase: Phase, kind: SnapshotKind, ext: 'txt' | 'json') => join(dir, SNAPSHOTS_DIR, phase, `${kind}.${ext}`),
  names: (phase: Phase) => join(dir, NAMES_DIR, `${phase}.json`),
  commandOut: join(dir, COMMAND_DIR, 'stdout'),
  commandErr: join(dir, COMMAND_DIR, 'stderr'),
  pwruStderr: join(dir, PWRU_STDERR),
  tracerProgram: join(dir, TRACER_PROGRAM),
});

/** Batch file name for sequence number n (1-based); sorts lexically in write order. */
export const batchFileName = (n: number) => `${String(n).padStart(6, '0')}.arrows`;
export const isBatchFile = (name: string) => /^\d{6,}\.arrows$/.test(name);

/** The batch files of a capture, in write order (a missing events/ directory means none yet). */
export function batchFiles(dir: string): string[] {
  const eventsDir = capturePaths(dir).eventsDir;
  let names: string[];
  try {
    names = readdirSync(eventsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter(isBatchFile).sort().map((n) => join(eventsDir, n));
}

