// `skbtape diff RUN1/ RUN2/` where both are directories of captures (a fleet's nodes, one capture per node and run):
// the captures are paired by node and each pair is diffed as two captures are; a node recorded in one run only is a
// change of its own. Pairing is this file's job; the diff of a pair is diff.ts's.
import { readManifest } from '../capture/manifest.js';
import { identityOf } from '../capture/capture-id.js';
import { childCaptures } from '../analyze/sources.js';
import { UserError } from '../errors.js';
import { diffCaptures, type DiffOptions, type DiffResult } from './diff.js';

export interface FleetDiff {
  pairs: { node: string; a: string; b: string; diff: DiffResult }[];
  onlyInA: { node: string; dir: string }[];
  onlyInB: { node: string; dir: string }[];
  /** Changes not allowed by the baseline, over every pair, plus one per unpaired node. */
  changes: number;
}

function byNode(dir: string, side: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of childCaptures(dir)) {
    const node = identityOf(readManifest(c), c).node;
    if (m.has(node)) throw new UserError(`${dir} holds two captures of node ${node} (${m.get(node)}, ${c}); a fleet diff pairs one capture per node (${side})`, side);
    m.set(node, c);
  }
  return m;
}

export async function diffFleets(dirA: string, dirB: string, opts: DiffOptions = {}): Promise<FleetDiff> {
  const a = byNode(dirA, 'a');
  const b = byNode(dirB, 'b');
  const pairs: FleetDiff['pairs'] = [];
  for (const [node, ca] of [...a].sort(([x], [y]) => x.localeCompare(y))) {
    const cb = b.get(node);
    if (cb !== undefined) pairs.push({ node, a: ca, b: cb, diff: await diffCaptures(ca, cb, opts) });
  }
  const onlyInA = [...a].filter(([n]) => !b.has(n)).map(([node, dir]) => ({ node, dir }));
  const onlyInB = [...b].filter(([n]) => !a.has(n)).map(([node, dir]) => ({ node, dir }));
  if (pairs.length === 0) opts.warn?.(`no node has a capture in both ${dirA} and ${dirB}`);
  const changes = pairs.reduce((s, p) => s + p.diff.summary.changes, 0) + onlyInA.length + onlyInB.length;
  return { pairs, onlyInA, onlyInB, changes };
}
