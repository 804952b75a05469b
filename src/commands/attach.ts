// `skbtape attach <capture> --endpoints F ...`: adds saved cilium-dbg / bpftool outputs (from a bug report, or taken
// by hand) to a capture, verbatim, as snapshots/<phase>/<kind>.<json|txt> with manifest status `attached`.
// Each file is checked with its parser first; one that is clearly a different kind is refused before anything is written.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { capturePaths, SNAPSHOT_KINDS, type Phase, type SnapshotKind } from '../capture/dir.js';
import { fsUserError, UserError } from '../errors.js';
import { readManifest, writeManifest, type SnapshotEntry } from '../capture/manifest.js';
import { applyIdentity } from '../capture/capture-id.js';
import { addFormatOption, chosenFormat, formatRecord, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { renderTable } from '../render/table.js';
import {
  parseBpftoolNet, parseEndpointList, parseIpcacheList, parseMetricsList, type ParseWarning,
} from '../snapshots/parsers.js';
import { detectSnapshotKind } from '../snapshots/detect.js';
import { parseApiEndpointList, parseIdentityList } from '../snapshots/label-parsers.js';
import { SUMMARIES } from './summaries.js';

export const KIND_FLAGS: Record<SnapshotKind, string> = {
  endpoints: '--endpoints',
  ipcache: '--ipcache',
  metrics: '--metrics',
  'bpftool-net': '--bpftool-net',
  identities: '--identities',
  'endpoint-list': '--endpoint-list',
};

const PARSERS: Record<SnapshotKind, (text: string, source?: string) => { rows: unknown[]; warnings: ParseWarning[] }> = {
  endpoints: parseEndpointList,
  ipcache: parseIpcacheList,
  metrics: parseMetricsList,
  'bpftool-net': parseBpftoolNet,
  identities: parseIdentityList,
  'endpoint-list': parseApiEndpointList,
};

export interface AttachedFile {
  kind: SnapshotKind;
  source: string;
  file: string;
  rows: number;
  warnings: ParseWarning[];
}

export interface AttachResult {
  dir: string;
  phase: Phase;
  attached: AttachedFile[];
}

/** The command whose output each kind is, for the refusal of a file that is not it. */
export const KIND_TOOLS: Record<SnapshotKind, string> = {
  endpoints: 'cilium-dbg bpf endpoint list', ipcache: 'cilium-dbg bpf ipcache list', metrics: 'cilium-dbg bpf metrics list', 'bpftool-net': 'bpftool net',
  identities: 'cilium-dbg identity list', 'endpoint-list': 'cilium-dbg endpoint list',
};

/**
 * Why `bytes` cannot be a snapshot of `kind` (binary, JSON cut short, no row read), or null. Checked before anything
 * is written, so a bad file never replaces a good snapshot.
 */
function refusal(kind: SnapshotKind, bytes: Buffer, text: string, rows: number): string | null {
  const not = `does not look like \`${KIND_TOOLS[kind]}\` output`;
  if (bytes.includes(0) || text.includes('\uFFFD')) return `${not}: it is binary data`;
  if (/^\s*[[{]/.test(text) && !isJson(text)) {
    try { JSON.parse(text); } catch (e) { return `${not}: JSON that does not parse (${(e as Error).message}; cut short?)`; }
  }
  if (rows === 0) return `${not}: no ${kind} row read from it`;
  return null;
}

export function attachSnapshots(dir: string, phase: Phase, files: Partial<Record<SnapshotKind, string>>, opts: { force?: boolean; node?: string; name?: string } = {}): AttachResult {
  const identity = { node: opts.node, name: opts.name };
  if (phase !== 'start' && phase !== 'end') throw new UserError(`--phase wants start or end, not '${String(phase)}'`, '--phase');
  const given = SNAPSHOT_KINDS.filter((k) => files[k] !== undefined);
  const renames = identity.node !== undefined || identity.name !== undefined;
  if (given.length === 0 && !renames) throw new UserError(`nothing to attach: give at least one of ${Object.values(KIND_FLAGS).join(', ')}, --node or --name`, 'attach');
  const m = readManifest(dir);
  // A pwru log imported on a laptop: --node says which node it came from (the node column, the export partition).
  if (renames) applyIdentity(m, dir, identity, true);

  // Read and check everything before writing anything, so a refused file leaves the capture as it was.
  const checked = given.map((kind) => {
    const source = files[kind]!;
    let bytes: Buffer;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw fsUserError(e, source);
    }
    const text = bytes.toString('utf8');
    const detected = detectSnapshotKind(text);
    if (detected !== null && detected !== kind) {
      throw new UserError(`${source} looks like ${detected} output, not ${kind} (use ${KIND_FLAGS[detected]} for it)`, KIND_FLAGS[kind]);
    }
    const parsed = PARSERS[kind](text, source);
    const why = refusal(kind, bytes, text, parsed.rows.length);
    if (why !== null) throw new UserError(`${source} ${why}; nothing attached`, KIND_FLAGS[kind]);
    const ext: 'json' | 'txt' = isJson(text) ? 'json' : 'txt';
    const held = existingSnapshot(dir, phase, kind);
    if (held !== null && !opts.force) {
      throw new UserError(`${held} already holds the ${phase} ${kind} snapshot; nothing attached (--force replaces it)`, KIND_FLAGS[kind]);
    }
    return { kind, source, bytes, ext, rows: parsed.rows.length, warnings: [...parsed.warnings] };
  });

  const attached: AttachedFile[] = [];
  for (const c of checked) {
    const file = capturePaths(dir).snapshot(phase, c.kind, c.ext);
    try {
      mkdirSync(dirname(file), { recursive: true });
      // One file per kind and phase: an attached file replaces a taken one of either form.
      rmSync(capturePaths(dir).snapshot(phase, c.kind, c.ext === 'json' ? 'txt' : 'json'), { force: true });
      writeFileSync(file, c.bytes);
    } catch (e) {
      throw fsUserError(e, file, 'cannot write');
    }
    const entry: SnapshotEntry = {
      phase,
      kind: c.kind,
      status: 'attached',
      file: relative(dir, file),
      reason: `attached from ${resolve(c.source)}`,
      takenAt: new Date().toISOString(),
    };
    m.snapshots = [...m.snapshots.filter((s) => !(s.phase === phase && s.kind === c.kind)), entry];
    attached.push({ kind: c.kind, source: c.source, file: entry.file!, rows: c.rows, warnings: c.warnings });
  }
  writeManifest(dir, m);
  return { dir, phase, attached };
}

/** The snapshot file of this phase and kind already in the capture (taken or attached), or null. */
function existingSnapshot(dir: string, phase: Phase, kind: SnapshotKind): string | null {
  for (const ext of ['txt', 'json'] as const) {
    const f = capturePaths(dir).snapshot(phase, kind, ext);
    if (existsSync(f)) return f;
  }
  return null;
}

function isJson(text: string): boolean {
  if (!/^\s*[[{]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const formatParseWarning = (w: ParseWarning, file: string) => `skbtape: warning: ${w.source ?? file}:${w.line}: ${w.reason}`;

/** A file's parse warnings in one line: how many lines were not read, and the first of them. */
export function summariseWarnings(a: AttachedFile): string | null {
  const [first] = a.warnings;
  if (first === undefined) return null;
  const n = a.warnings.length;
  return `skbtape: warning: ${a.source}: ${n} line${n === 1 ? '' : 's'} not read as ${a.kind} (${a.rows} row${a.rows === 1 ? '' : 's'} read); first: line ${first.line}: ${first.reason}`;
}

const FORMAT: FormatSpec = { formats: ['table', 'json', 'ndjson'] };

export function register(program: Command): void {
  const cmd = program
    .command('attach')
    .description(SUMMARIES.attach)
    .argument('<capture>', 'capture directory')
    .option('--phase <phase>', 'start or end', 'start')
    .option('--endpoints <file>', 'output of `cilium-dbg bpf endpoint list [-o json]`')
    .option('--ipcache <file>', 'output of `cilium-dbg bpf ipcache list [-o json]`')
    .option('--metrics <file>', 'output of `cilium-dbg bpf metrics list [-o json]`')
    .option('--bpftool-net <file>', 'output of `bpftool [-j] net`')
    .option('--identities <file>', 'output of `cilium-dbg identity list [-o json]` (labels: identities print by name)')
    .option('--endpoint-list <file>', 'output of `cilium-dbg endpoint list [-o json]` (the agent\'s endpoints, labels, pods)')
    .option('--force', 'replace a snapshot the capture already holds for that phase and kind', false)

    .option('--node <name>', 'the node the capture was recorded on (the node column and export partition)')
    .option('--name <id>', "the capture's id and its label in queries");
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Examples:
  skbtape attach cap --endpoints endpoints.txt --ipcache ipcache.json          # outputs pasted in a bug report
  skbtape attach cap --phase end --metrics metrics-after.txt
  skbtape attach cap --identities identities.json                              # identities print as k8s:app=client (26328)
  skbtape attach cap --node worker-2                                            # the node an imported log came from

Exit codes: 0 attached (a file's unread lines are one warning line); 2 a file that is not the named kind (binary,
JSON cut short, no row read, another kind), a snapshot already there (without --force), or bad input. Nothing is
written unless every file given is accepted.`)
    .action(async (dir: string, o: { phase: string; endpoints?: string; ipcache?: string; metrics?: string; bpftoolNet?: string; identities?: string; endpointList?: string; format?: string; json?: boolean; color?: string; force: boolean; node?: string; name?: string }) => {
      const format = chosenFormat(o, FORMAT);
      const r = attachSnapshots(dir, o.phase as Phase, { endpoints: o.endpoints, ipcache: o.ipcache, metrics: o.metrics, 'bpftool-net': o.bpftoolNet, identities: o.identities, 'endpoint-list': o.endpointList }, { force: o.force, node: o.node, name: o.name });
      await writeOut(formatRecord(r, format, () => renderTable(['KIND', 'ROWS', 'WARNINGS', 'FILE'], r.attached.map((a) => [a.kind, a.rows, a.warnings.length, a.file])), () => r.attached));
      for (const a of r.attached) {
        const line = summariseWarnings(a);
        if (line !== null) process.stderr.write(line + '\n');
      }
    });
}
