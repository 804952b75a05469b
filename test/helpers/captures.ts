// Builds the demo captures (samples/demo-*.pwru.txt + samples/demo-snapshots/) in a directory, in-process: the same
// importer and attach code the CLI runs, without a child process. For analysis tests that need a real Arrow capture
// with endpoint, ipcache, metrics and bpftool snapshots.
import { join } from 'node:path';
import { attachSnapshots } from '../../src/commands/attach.js';
import { importCapture } from '../../src/ingest/importer.js';
import { ROOT } from './real.js';

export type DemoKind = 'delivered' | 'drop';

export const SAMPLES = join(ROOT, 'samples');
export const DEMO_SNAPSHOTS = join(SAMPLES, 'demo-snapshots');

const PWRU_FILE: Record<DemoKind, string> = {
  delivered: join(SAMPLES, 'demo-delivered.pwru.txt'),
  drop: join(SAMPLES, 'demo-netfilter-drop.pwru.txt'),
};
const METRICS_END: Record<DemoKind, string> = {
  delivered: join(DEMO_SNAPSHOTS, 'metrics-end.txt'),
  drop: join(DEMO_SNAPSHOTS, 'metrics-end-drop.txt'),
};

/**
 * Imports the demo pwru output into `dir` (replaced if present) and attaches the seed-derived snapshots: endpoints,
 * ipcache, metrics, bpftool-net, identities and the agent's endpoint list at start (`labels` leaves the last two
 * out), metrics at end. Returns `dir`; its basename is the capture id.
 */
export async function buildDemoCapture(kind: DemoKind, dir: string, opts: { labels?: 'both' | 'identities' | 'endpoint-list' | 'none' } = {}): Promise<string> {
  await importCapture(PWRU_FILE[kind], dir, { format: 'auto', force: true, showProgress: false });
  const snap = (f: string) => join(DEMO_SNAPSHOTS, f);
  const labels = opts.labels ?? 'both';
  attachSnapshots(dir, 'start', {
    endpoints: snap('endpoints.txt'),
    ipcache: snap('ipcache.txt'),
    metrics: snap('metrics-start.txt'),
    'bpftool-net': snap('bpftool-net.txt'),
    ...(labels === 'both' || labels === 'identities' ? { identities: snap('identities.json') } : {}),
    ...(labels === 'both' || labels === 'endpoint-list' ? { 'endpoint-list': snap('endpoint-list.txt') } : {}),
  });
  attachSnapshots(dir, 'end', { metrics: METRICS_END[kind] });
  return dir;
}
