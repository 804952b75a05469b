// `skbtape snapshot -o <dir>`: a capture directory holding only Cilium/bpftool snapshots and the host's name tables,
// for comparing datapath state without recording packets. snapshotCapture does the work and returns data;
// register only parses flags and renders.
import type { Command } from 'commander';
import { claimOutputDir } from '../capture/output-dir.js';
import { UserError } from '../errors.js';
import { newManifest, writeManifest, type Manifest, type SnapshotEntry } from '../capture/manifest.js';
import { takeNameTables } from '../snapshots/name-tables.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { renderTable } from '../render/table.js';
import { takeSnapshots } from '../snapshots/take.js';
import { SUMMARIES } from './summaries.js';

export interface SnapshotCaptureOptions {
  mode: 'local' | 'kubectl';
  node?: string;
  ciliumPod?: string;
  force?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface SnapshotCaptureResult {
  dir: string;
  manifest: Manifest;
  snapshots: SnapshotEntry[];
  /** Human lines for stderr: what could not be taken and why. */
  warnings: string[];
}

export async function snapshotCapture(dir: string, o: SnapshotCaptureOptions): Promise<SnapshotCaptureResult> {
  claimOutputDir(dir, o.force ?? false);
  const m = newManifest({ kind: 'live', format: 'snapshots' });
  writeManifest(dir, m); // a crash mid-way leaves a recognisable (status recording) capture, not a bare directory
  const [snapshots, names] = await Promise.all([
    takeSnapshots(dir, 'start', { mode: o.mode, node: o.node, ciliumPod: o.ciliumPod, timeoutMs: o.timeoutMs, env: o.env }),
    takeNameTables(dir, 'start', null, {}, { env: o.env }),
  ]);
  const warnings = [
    ...snapshots.filter((s) => s.status !== 'ok').map((s) => `${s.kind} ${s.status}: ${s.reason ?? ''}`),
    ...names.warnings.map((w) => `name tables: ${w}`),
  ];
  m.snapshots = snapshots;
  m.warnings.push(...warnings);
  m.status = 'complete';
  m.finishedAt = new Date().toISOString();
  writeManifest(dir, m);
  return { dir, manifest: m, snapshots, warnings };
}

export function renderSnapshots(entries: SnapshotEntry[]): string {
  return renderTable(['KIND', 'STATUS', 'FILE OR REASON'], entries.map((e) => [e.kind, e.status, e.file ?? e.reason ?? '']));
}

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('snapshot')
    .description(SUMMARIES.snapshot)
    .requiredOption('-o, --output <dir>', 'capture directory to create')
    .option('--snapshots <mode>', 'where cilium-dbg runs: local, or kubectl (exec into the node\'s agent pod)', 'local')
    .option('--node <name>', 'node whose cilium pod to use with --snapshots kubectl (default: this host\'s name)')
    .option('--cilium-pod <pod>', 'the cilium agent pod to use with --snapshots kubectl (skips the lookup)')
    .option('--force', 'replace a non-empty output directory', false)
    .option('--require-snapshots', 'exit 1 unless every snapshot was taken (default: some is enough, the rest are warnings)', false)
    .addHelpText('after', `
Takes cilium-dbg bpf endpoint|ipcache|metrics list, identity list, endpoint list (-o json first) and bpftool net.

Examples:
  skbtape snapshot -o before-upgrade                                 # on the node, cilium-dbg local
  skbtape snapshot -o w2 --snapshots kubectl --node worker-2         # through the node's cilium agent pod
  skbtape snapshot -o s --require-snapshots                          # CI: fail unless every snapshot was taken

Exit codes: 0 some snapshots taken (what was missing is a warning and a manifest entry); 1 none taken, or not all
with --require-snapshots; 2 bad input.`);
  addFormatOption(cmd, FORMAT)
    .action(async (o: { output: string; snapshots: string; node?: string; ciliumPod?: string; force: boolean; format?: string; json?: boolean; color?: string; requireSnapshots: boolean }) => {
      const format = chosenFormat(o, FORMAT);
      if (o.snapshots !== 'local' && o.snapshots !== 'kubectl') {
        throw new UserError(`--snapshots wants local or kubectl, not '${o.snapshots}'`, '--snapshots');
      }
      if ((o.node || o.ciliumPod) && o.snapshots !== 'kubectl') {
        throw new UserError(`${o.node ? '--node' : '--cilium-pod'} only applies with --snapshots kubectl`, o.node ? '--node' : '--cilium-pod');
      }
      const r = await snapshotCapture(o.output, { mode: o.snapshots, node: o.node, ciliumPod: o.ciliumPod, force: o.force });
      const taken = r.snapshots.filter((s) => s.status === 'ok').length;
      const data = { dir: r.dir, snapshots: r.snapshots, warnings: r.warnings };
      await writeOut(formatRecord(data, format, () => `${r.dir}: ${taken} of ${r.snapshots.length} snapshots taken\n${renderSnapshots(r.snapshots)}`, () => r.snapshots));
      for (const w of r.warnings) process.stderr.write(`skbtape: warning: ${w}\n`);
      // Degrade, don't die: some snapshots are still a result. None at all is worth a non-zero exit.
      if (taken === 0) {
        process.stderr.write('skbtape: no snapshot could be taken (the capture directory records why)\n');
        process.exitCode = 1;
      } else if (o.requireSnapshots && taken < r.snapshots.length) {
        const missing = r.snapshots.filter((s) => s.status !== 'ok').map((s) => s.kind);
        process.stderr.write(`skbtape: --require-snapshots: ${missing.length} of ${r.snapshots.length} not taken (${missing.join(', ')})\n`);
        process.exitCode = 1;
      }
    });
}
