// Which pwru output layout a line was printed in: the era (by version) and the optional columns that were on.
// The parser produces one per event line, the capture stores its canonical key, replay renders from it.
// Eras follow ../shared/formats/PWRU_FORMATS.md §2:
//   A  v0.0.1–v0.0.4   [comm] process, no CPU, TIMESTAMP always, key=value meta, tuple        (header SKB PROCESS FUNC TIMESTAMP)
//   C  v0.0.5–v1.0.6   + CPU column, TIMESTAMP optional, absolute-time prefix (v0.0.9+)        (header SKB CPU PROCESS FUNC [TIMESTAMP])
//   E  v1.0.7+         fixed columns, hex MARK/x, centred IFACE, cb, caller, tunnel, netns names (header SKB CPU PROCESS … FUNC)
//   J  v1.0.6+         --output-json, one object per line

export type Era = 'A' | 'C' | 'E' | 'J';

export interface Layout {
  era: Era;
  /** Absolute wall-clock prefix: 'hms' = 15:04:05.000 (≤v1.0.11), 'iso' = 2006-01-02T15:04:05.000 (v1.0.12+). */
  abs: 'hms' | 'iso' | null;
  /** TIMESTAMP column present (ktime or relative delta). */
  ts: boolean;
  /** Meta block present. Era E: fixed columns; eras A/C: key=value. */
  meta: boolean;
  /** Era A/C key=value meta details. */
  kvNetns: boolean;        // ` netns=` (v0.0.3+)
  kvIface: boolean;        // `iface=` (v1.0.3+) instead of `ifindex=`
  protoRaw: boolean;       // `proto=8` byte-swapped (before v1.0.4) instead of `proto=0x0800`
  /** Era A: PROCESS printed %15s (v0.0.1–v0.0.2) instead of %16s. */
  narrowProcess: boolean;
  cb: boolean;
  /** --output-netns-names width (0 = off). */
  nsNames: number;
  tuple: boolean;
  caller: boolean;
  tunnel: boolean;
  /** Era E: the header said `MARK` instead of `MARK/x` (a pre-release header). */
  markHdr: boolean;
  /** Era E: MARK printed `%08x`, zero-padded to 8 digits (the PR #376 pre-release), instead of `%x`. */
  mark08: boolean;
  /** JSON: `tuple` was a string in pwru's text form (the pre-merge PR #285 format), not an object. */
  tupleStr: boolean;
  /**
   * Column ids in the order a header named them, when that order is none a release printed (see COLUMN_IDS);
   * null for the release orders. Such lines are read and replayed with v1.0.7+ value formats.
   */
  order: readonly ColumnId[] | null;
}

/** Header column names → the ids the layout key uses for a header-given order. */
export const COLUMN_IDS = {
  TIME: 'time', SKB: 'skb', CPU: 'cpu', PROCESS: 'process', TIMESTAMP: 'ts', NETNS: 'netns', 'MARK/x': 'mark', MARK: 'mark',
  IFACE: 'iface', PROTO: 'proto', MTU: 'mtu', LEN: 'len', '__sk_buff->cb[]': 'cb', TUPLE: 'tuple', FUNC: 'func',
  CALLER: 'caller', TUNNEL: 'tunnel',
} as const;
export type ColumnId = (typeof COLUMN_IDS)[keyof typeof COLUMN_IDS];
const ALL_IDS = new Set<string>(Object.values(COLUMN_IDS));

export const baseLayout = (era: Era): Layout => ({
  era, abs: null, ts: false, meta: false, kvNetns: false, kvIface: false, protoRaw: false, narrowProcess: false,
  cb: false, nsNames: 0, tuple: false, caller: false, tunnel: false, markHdr: false, mark08: false, tupleStr: false, order: null,
});

const keyOfCache = new Map<string, string>();

/** Canonical key: era, then the flags that are on, in a fixed order. `E:ts,meta,tuple`. Memoised: hot path. */
export function layoutKey(l: Layout): string {
  const sig = `${l.era}${l.abs ?? ''}${+l.ts}${+l.meta}${+l.kvNetns}${+l.kvIface}${+l.protoRaw}${+l.narrowProcess}${+l.cb}${l.nsNames}${+l.tuple}${+l.caller}${+l.tunnel}${+l.markHdr}${+l.mark08}${+l.tupleStr}${l.order?.join('.') ?? ''}`;
  let k = keyOfCache.get(sig);
  if (k === undefined) {
    k = computeLayoutKey(l);
    keyOfCache.set(sig, k);
  }
  return k;
}

function computeLayoutKey(l: Layout): string {
  const f: string[] = [];
  if (l.abs) f.push(`abs-${l.abs}`);
  if (l.ts) f.push('ts');
  if (l.meta) f.push('meta');
  if (l.kvNetns) f.push('kvnetns');
  if (l.kvIface) f.push('kviface');
  if (l.protoRaw) f.push('protoraw');
  if (l.narrowProcess) f.push('narrow');
  if (l.cb) f.push('cb');
  if (l.nsNames) f.push(`nsnames-${l.nsNames}`);
  if (l.tuple) f.push('tuple');
  if (l.caller) f.push('caller');
  if (l.tunnel) f.push('tunnel');
  if (l.markHdr) f.push('markhdr');
  if (l.mark08) f.push('mark08');
  if (l.tupleStr) f.push('tuplestr');
  if (l.order) f.push(`order-${l.order.join('.')}`);
  return `${l.era}:${f.join(',')}`;
}

const keyCache = new Map<string, Layout>();

export function parseLayoutKey(key: string): Layout {
  const hit = keyCache.get(key);
  if (hit) return hit;
  const [era, flags = ''] = key.split(':');
  if (era !== 'A' && era !== 'C' && era !== 'E' && era !== 'J') throw new Error(`bad layout key ${key}`);
  const l = baseLayout(era);
  for (const f of flags.split(',').filter(Boolean)) {
    if (f === 'abs-hms' || f === 'abs-iso') l.abs = f.slice(4) as 'hms' | 'iso';
    else if (f === 'ts') l.ts = true;
    else if (f === 'meta') l.meta = true;
    else if (f === 'kvnetns') l.kvNetns = true;
    else if (f === 'kviface') l.kvIface = true;
    else if (f === 'protoraw') l.protoRaw = true;
    else if (f === 'narrow') l.narrowProcess = true;
    else if (f === 'cb') l.cb = true;
    else if (f.startsWith('nsnames-')) l.nsNames = Number(f.slice(8));
    else if (f === 'tuple') l.tuple = true;
    else if (f === 'caller') l.caller = true;
    else if (f === 'tunnel') l.tunnel = true;
    else if (f === 'markhdr') l.markHdr = true;
    else if (f === 'mark08') l.mark08 = true;
    else if (f === 'tuplestr') l.tupleStr = true;
    else if (f.startsWith('order-') && f.slice(6).split('.').every((c) => ALL_IDS.has(c))) l.order = f.slice(6).split('.') as ColumnId[];
    else throw new Error(`bad layout flag ${f} in ${key}`);
  }
  keyCache.set(key, l);
  return l;
}

/** Rough pwru version range an era/layout implies, for summaries. */
export function eraVersions(l: Layout): string {
  switch (l.era) {
    case 'A': return l.narrowProcess ? 'v0.0.1–v0.0.2' : 'v0.0.3–v0.0.4';
    case 'C': return l.abs ? 'v0.0.9–v1.0.6' : 'v0.0.5–v1.0.6';
    case 'E':
      if (l.order) return 'v1.0.7+ values, in a column order the header gave';
      if (l.mark08 || l.markHdr) return 'v1.0.7 pre-release (PR #376)';
      return l.abs === 'iso' || l.nsNames ? 'v1.0.12+' : 'v1.0.7+';
    case 'J': return 'v1.0.6+ (--output-json)';
  }
}
