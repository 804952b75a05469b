// Raw snapshot text (cilium-dbg bpf endpoint/ipcache/metrics list, bpftool net; text or JSON) -> typed rows, pure and
// never throwing: an unreadable line becomes a ParseWarning with its line number. Running the tools is snapshots/take.ts's
// job, loading rows is analyze/loader.ts's. Layouts by era: shared/formats/CILIUM_DBG_FORMATS.md (§ numbers below).

export interface ParseWarning {
  line: number;
  text: string;
  reason: string;
  source?: string;
}

export interface ParseResult<T> {
  rows: T[];
  warnings: ParseWarning[];
}

export interface EndpointRow {
  ip: string;
  family: 4 | 6;
  /** `(localhost)`: the address belongs to the node (host flag set), so the other fields are null. */
  localhost: boolean;
  endpointId: number | null;
  securityIdentity: number | null;
  ifindex: number | null;
  mac: string | null;
  nodemac: string | null;
  flags: string | null;
  parentIfindex: number | null;
  /** `@N` cluster/tenant suffix of the key (§1.1), null when absent. */
  cluster: string | null;
  raw: string;
  line: number;
}

export interface IpcacheRow {
  prefix: string;
  family: 4 | 6;
  prefixLen: number;
  lo: bigint;
  hi: bigint;
  identity: number | null;
  /** null when absent (old eras) or the unspecified address `0.0.0.0`/`::`, which cilium prints for "no tunnel". */
  tunnelEndpoint: string | null;
  encryptKey: number | null;
  /** As printed (`<none>`, `hastunnel`, ...); null only when the era has no flags field. */
  flags: string | null;
  cluster: string | null;
  raw: string;
  line: number;
}

export interface MetricRow {
  reason: string;
  /** Upper case in both forms (the JSON form prints it lower case). */
  direction: string;
  packets: bigint;
  bytes: bigint;
  line: number | null;
  file: string | null;
  raw: string;
  lineNo: number;
}

export type TcHook = 'tc' | 'tcx' | 'xdp' | 'netfilter' | 'flow_dissector' | 'netkit' | (string & {});

export interface TcProgRow {
  /** Empty for flow_dissector/netfilter entries, which belong to no device. */
  iface: string;
  /** 0 when there is no device. */
  ifindex: number;
  hook: TcHook;
  direction: 'ingress' | 'egress' | null;
  /** Empty when bpftool printed no name (xdp never prints one). */
  progName: string;
  progId: number | null;
  linkId: number | null;
  /** The attach kind as bpftool printed it: `tcx/ingress`, `clsact/egress`, `root`, `netkit/peer`, `driver`, ... */
  kind: string;
  raw: string;
  line: number;
}

export type { SnapshotKind } from '../capture/dir.js';

// ---------------------------------------------------------------------------------------------------------------
// Addresses and prefixes

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    // No leading zeros: Go never prints them and "010" is ambiguous (octal in inet_aton).
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  let groups: string[];
  let tail4: bigint | null = null;
  let text = s;
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    tail4 = parseV4(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  if (halves.length === 2) {
    const tail = halves[1] === '' ? [] : halves[1]!.split(':');
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** Parses an IPv4 or IPv6 address (brackets and a `%zone` are tolerated). Null when it is not one. */
export function parseIp(ip: string): { family: 4 | 6; value: bigint } | null {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { family: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { family: 4, value: v };
}

/** The address as an unsigned integer (32-bit for IPv4, 128-bit for IPv6). Throws RangeError on a non-address. */
export function ipToBigInt(ip: string): bigint {
  const p = parseIp(ip);
  if (!p) throw new RangeError(`not an IP address: ${JSON.stringify(ip)}`);
  return p.value;
}

/** Formats an address the way Go's net.IP.String() does (RFC 5952; IPv4-mapped as `::ffff:a.b.c.d`). */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  }
  if (value >> 32n === 0xffffn) return '::ffff:' + formatIp(4, value & 0xffffffffn);
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zero groups (first one on a tie, at least two long) becomes `::`.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

export interface PrefixRange {
  /** Canonical CIDR: host bits cleared, Go address formatting. */
  prefix: string;
  family: 4 | 6;
  prefixLen: number;
  /** Inclusive integer range covered by the prefix. */
  lo: bigint;
  hi: bigint;
}

/** `10.244.2.0/24` -> its inclusive integer range. A bare address is a host prefix. Throws RangeError on bad input. */
export function prefixRange(cidr: string): PrefixRange {
  const r = tryPrefixRange(cidr);
  if (!r) throw new RangeError(`not a CIDR prefix: ${JSON.stringify(cidr)}`);
  return r;
}

function tryPrefixRange(cidr: string): PrefixRange | null {
  let s = cidr.trim();
  if (s.startsWith('[')) s = s.replace(/^\[([^\]]*)\]/, '$1'); // `[f00d::]/64`
  const slash = s.indexOf('/');
  const addr = slash >= 0 ? s.slice(0, slash) : s;
  const ip = parseIp(addr);
  if (!ip) return null;
  const bits = ip.family === 4 ? 32 : 128;
  let len = bits;
  if (slash >= 0) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return null;
    len = Number(l);
    if (len > bits) return null;
  }
  const max = ip.family === 4 ? V4_MAX : V6_MAX;
  const hostMask = (1n << BigInt(bits - len)) - 1n;
  const lo = ip.value & (max ^ hostMask);
  const hi = lo | hostMask;
  return { prefix: `${formatIp(ip.family, lo)}/${len}`, family: ip.family, prefixLen: len, lo, hi };
}

// ---------------------------------------------------------------------------------------------------------------
// Shared line handling

interface Line {
  no: number;
  /** Comment-stripped, right-trimmed text. */
  text: string;
  /** The line as it was in the input (minus the line break). */
  raw: string;
}

// Pasted outputs (the seed article) carry author notes after ` # `; no cilium/bpftool output contains ` #`.
function stripComment(s: string): string {
  return s.replace(/\s+#(\s.*)?$/, '');
}

export function splitLines(text: string): Line[] {
  return text.split(/\r?\n/).map((raw, i) => ({ no: i + 1, raw, text: stripComment(raw).trimEnd() }));
}

/** Lines that are not output at all: blank, a whole-line `#` note, or a `----` decoration a human added. */
export function isNoise(text: string): boolean {
  const t = text.trim();
  return t === '' || t.startsWith('#') || /^[-=]{3,}$/.test(t);
}

// Printed to stderr when a map is empty; it shows up here when a capture merged stderr into stdout.
export const NO_ENTRIES = /^No entries found\.?$/;

export class Warnings {
  private readonly items: ParseWarning[] = [];
  /** In line order (cells and rows are checked in two passes). */
  get list(): ParseWarning[] {
    return [...this.items].sort((a, b) => a.line - b.line);
  }
  constructor(private readonly source: string | undefined) {}
  add(line: number, text: string, reason: string): void {
    this.items.push(this.source === undefined ? { line, text, reason } : { line, text, reason, source: this.source });
  }
}

export function looksLikeJson(text: string): boolean {
  return /^\s*[[{]/.test(text);
}

// JSON.parse rounds integers above 2^53; counters (bytes, packets) can pass that. Quote long integer literals
// first (strings are matched first, so digits inside strings are left alone) and read them back as BigInt.
function parseJsonKeepingBigInts(text: string): unknown {
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.eE\d])/g, (m) => (m.startsWith('"') ? m : `"${m}"`));
  return JSON.parse(quoted);
}

function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return null;
}

export function lineOfOffset(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Line numbers of each occurrence of `needle`, in document order (JSON entries print in array order). */
export function occurrenceLines(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) out.push(lineOfOffset(text, i));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The two key/value tables (§0): `bpf endpoint list` and `bpf ipcache list`

interface KeyValueCell {
  key: string;
  value: string;
  line: Line;
}

/**
 * Splits a tabwriter key/value table into cells. Keys never contain blanks, so a row is `KEY <blanks> VALUE`.
 * A row that starts with blanks continues the previous key (§0.1). The JSON form (`-o json`: key -> array of the
 * same display strings, §0.2) yields the same cells.
 */
function keyValueCells(
  text: string,
  isHeader: (t: string) => boolean,
  w: Warnings,
  onHeader?: (t: string) => void,
): KeyValueCell[] {
  if (looksLikeJson(text)) return keyValueCellsFromJson(text, w);
  const cells: KeyValueCell[] = [];
  let prevKey: string | null = null;
  for (const line of splitLines(text)) {
    const t = line.text;
    if (t.trim() === '') {
      prevKey = null; // tabwriter never prints a blank line inside a table: a continuation must follow its key
      continue;
    }
    if (isNoise(t) || NO_ENTRIES.test(t.trim())) continue;
    if (isHeader(t.trim())) {
      onHeader?.(t.trim());
      prevKey = null;
      continue;
    }
    if (/^\s/.test(t)) {
      if (prevKey === null) {
        w.add(line.no, line.raw, 'continuation row (blank key column) with no key row before it');
        continue;
      }
      cells.push({ key: prevKey, value: t.trim(), line });
      continue;
    }
    const m = /^(\S+)\s+(\S.*)$/.exec(t);
    if (!m) {
      w.add(line.no, line.raw, 'expected a key and a value separated by blanks');
      continue;
    }
    prevKey = m[1]!;
    cells.push({ key: m[1]!, value: m[2]!.trim(), line });
  }
  return cells;
}

/** The whole text as a JSON array of `what`, or null after one warning naming line 1 (not JSON, or not an array). */
export function jsonArrayOrWarn(text: string, w: Warnings, what: string, parse: (t: string) => unknown = JSON.parse): unknown[] | null {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    w.add(1, text.split(/\r?\n/)[0] ?? '', `invalid JSON: ${(e as Error).message}`);
    return null;
  }
  if (Array.isArray(data)) return data;
  w.add(1, text.split(/\r?\n/)[0] ?? '', `expected a JSON array of ${what}`);
  return null;
}

/** The whole text as JSON, or undefined after one warning naming line 1 (a bad snapshot file never throws). */
export function parseJsonOrWarn(text: string, w: Warnings): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    w.add(1, text.split(/\r?\n/)[0] ?? '', `invalid JSON: ${(e as Error).message}`);
    return undefined;
  }
}

function keyValueCellsFromJson(text: string, w: Warnings): KeyValueCell[] {
  const data = parseJsonOrWarn(text, w);
  if (data === undefined) return [];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    w.add(1, text.split(/\r?\n/)[0] ?? '', 'expected a JSON object of key -> [values]');
    return [];
  }
  const rawLines = text.split(/\r?\n/);
  const cells: KeyValueCell[] = [];
  for (const [key, values] of Object.entries(data as Record<string, unknown>)) {
    const keyLine = occurrenceLines(text, JSON.stringify(key) + ':')[0] ?? occurrenceLines(text, JSON.stringify(key))[0] ?? 1;
    const list = Array.isArray(values) ? values : [values];
    list.forEach((v, k) => {
      // MarshalIndent puts each value on its own line after the key; compact JSON keeps them on the key's line.
      const guess = keyLine + 1 + k;
      const no = rawLines[guess - 1]?.trim().startsWith('"') ? guess : keyLine;
      const raw = `${key}\t${typeof v === 'string' ? v : JSON.stringify(v)}`;
      if (typeof v !== 'string') {
        w.add(no, raw, `expected a string value for key ${JSON.stringify(key)}`);
        return;
      }
      cells.push({ key, value: v.trim(), line: { no, raw, text: raw } });
    });
  }
  return cells;
}

function kvTokens(value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of value.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) m.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return m;
}

export function intOrNull(s: string | undefined, radix = 10): number | null {
  if (s === undefined) return null;
  if (radix === 16 ? !/^(0x)?[0-9a-fA-F]+$/i.test(s) : !/^\d+$/.test(s)) return null;
  const n = parseInt(s, radix);
  return Number.isSafeInteger(n) ? n : null;
}

// ---------------------------------------------------------------------------------------------------------------
// cilium-dbg bpf endpoint list (§1)

export const ENDPOINT_HEADER = /^IP ADDRESS\s+LOCAL ENDPOINT INFO$/i;

/** Endpoint map key (§1.1): `ADDR[@cluster]:N`, `[V6]:N`, or a bare address (≤1.0, mixed-case header). */
function parseEndpointKey(key: string, bareKeys: boolean): { ip: string; family: 4 | 6; cluster: string | null } | null {
  let addr = key;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(key);
  if (bracket) {
    addr = bracket[1]!;
  } else if (!bareKeys) {
    // Split at the last `:` when a decimal key number follows. A bare IPv6 (2018) whose last group is all digits
    // looks the same as `addr:N`; only the 2018 header (`IP address`, mixed case) tells them apart.
    const c = key.lastIndexOf(':');
    if (c > 0 && /^\d+$/.test(key.slice(c + 1))) addr = key.slice(0, c);
  }
  const split = (a: string): { addr: string; cluster: string | null } => {
    const at = a.indexOf('@');
    return at >= 0 ? { addr: a.slice(0, at), cluster: a.slice(at + 1) } : { addr: a, cluster: null };
  };
  let s = split(addr);
  let ip = parseIp(s.addr);
  if (!ip && addr !== key) {
    s = split(key); // a headerless bare address after all
    ip = parseIp(s.addr);
  }
  if (!ip) return null;
  return { ip: formatIp(ip.family, ip.value), family: ip.family, cluster: s.cluster };
}

export function parseEndpointList(text: string, source?: string): ParseResult<EndpointRow> {
  const w = new Warnings(source);
  let bareKeys = false;
  const cells = keyValueCells(text, (t) => ENDPOINT_HEADER.test(t), w, (t) => {
    bareKeys = t.startsWith('IP address'); // the ≤1.0 header; its keys carry no `:N`
  });
  const rows: EndpointRow[] = [];
  for (const { key, value, line } of cells) {
    const k = parseEndpointKey(key, bareKeys);
    if (!k) {
      w.add(line.no, line.raw, `endpoint key ${JSON.stringify(key)} is not ADDR:N or an address`);
      continue;
    }
    const base = { ip: k.ip, family: k.family, cluster: k.cluster, raw: line.raw, line: line.no };
    if (value === '(localhost)') {
      rows.push({
        ...base, localhost: true, endpointId: null, securityIdentity: null, ifindex: null, mac: null, nodemac: null,
        flags: null, parentIfindex: null,
      });
      continue;
    }
    const kv = kvTokens(value);
    const id = intOrNull(kv.get('id'));
    if (id === null) {
      w.add(line.no, line.raw, 'endpoint value has neither `(localhost)` nor a numeric id=');
      continue;
    }
    // 2017 rows carry the identity as `seclabel=0x..` (%#-4x) instead of sec_id.
    const seclabel = kv.get('seclabel');
    rows.push({
      ...base,
      localhost: false,
      endpointId: id,
      securityIdentity: intOrNull(kv.get('sec_id')) ?? (seclabel !== undefined ? intOrNull(seclabel, 16) : null),
      ifindex: intOrNull(kv.get('ifindex')),
      mac: kv.get('mac') ?? null,
      nodemac: kv.get('nodemac') ?? null,
      flags: kv.get('flags') ?? null,
      parentIfindex: intOrNull(kv.get('parent_ifindex')),
    });
  }
  return { rows, warnings: w.list };
}

// ---------------------------------------------------------------------------------------------------------------
// cilium-dbg bpf ipcache list (§2), and `map get cilium_ipcache[_v2]` (§2.3, same key/value, extra columns)

export const IPCACHE_HEADER = /^IP PREFIX\/ADDRESS\s+IDENTITY$/i;
const MAPGET_HEADER = /^Key\s+Value\s+State\s+Error$/;
const MAPGET_EMPTY = /^Cache is (disabled|empty)$/;

export function parseIpcacheList(text: string, source?: string): ParseResult<IpcacheRow> {
  const w = new Warnings(source);
  const cells = keyValueCells(text, (t) => IPCACHE_HEADER.test(t) || MAPGET_HEADER.test(t) || MAPGET_EMPTY.test(t), w);
  const rows: IpcacheRow[] = [];
  for (const { key, value, line } of cells) {
    let k = key;
    let cluster: string | null = null;
    const at = k.lastIndexOf('@');
    if (at >= 0) {
      cluster = k.slice(at + 1);
      k = k.slice(0, at);
    }
    const range = k.includes('/') ? tryPrefixRange(k) : null;
    if (!range) {
      w.add(line.no, line.raw, `ipcache key ${JSON.stringify(key)} is not PREFIX/LEN`);
      continue;
    }
    let identity: number | null;
    let kv = new Map<string, string>();
    if (/^\d+$/.test(value)) {
      identity = intOrNull(value); // 2018: the value is just the identity
    } else {
      kv = kvTokens(value);
      identity = intOrNull(kv.get('identity'));
      if (identity === null) {
        w.add(line.no, line.raw, 'ipcache value has no numeric identity=');
        continue;
      }
    }
    const tunnel = kv.get('tunnelendpoint');
    rows.push({
      prefix: range.prefix,
      family: range.family,
      prefixLen: range.prefixLen,
      lo: range.lo,
      hi: range.hi,
      identity,
      tunnelEndpoint: tunnel === undefined || tunnel === '0.0.0.0' || tunnel === '::' || tunnel === '<nil>' ? null : tunnel,
      encryptKey: intOrNull(kv.get('encryptkey')),
      flags: kv.get('flags') ?? null,
      cluster,
      raw: line.raw,
      line: line.no,
    });
  }
  return { rows, warnings: w.list };
}

// ---------------------------------------------------------------------------------------------------------------
// cilium-dbg bpf metrics list (§5)

export const METRICS_HEADER = /^REASON\s+DIRECTION\s+PACKETS\s+BYTES(\s+LINE\s+FILE)?$/;
// The reason contains blanks, so read the fixed columns from the right.
export const METRICS_ROW6 = /^(\S.*?)\s+([A-Za-z_-]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)$/;
const METRICS_ROW4 = /^(\S.*?)\s+([A-Za-z_-]+)\s+(\d+)\s+(\d+)$/;

export function parseMetricsList(text: string, source?: string): ParseResult<MetricRow> {
  const w = new Warnings(source);
  if (looksLikeJson(text)) return { rows: metricsFromJson(text, w), warnings: w.list };
  const rows: MetricRow[] = [];
  let sixColumns: boolean | null = null; // from the header; unknown in grep-filtered pastes
  for (const line of splitLines(text)) {
    const t = line.text.trim();
    if (isNoise(t) || NO_ENTRIES.test(t)) continue;
    const h = METRICS_HEADER.exec(t);
    if (h) {
      sixColumns = h[1] !== undefined;
      continue;
    }
    // Without a header: a numeric last column means the old 4-column layout (FILE is never numeric).
    const six = sixColumns ?? !/\s\d+$/.test(t);
    const m = six ? METRICS_ROW6.exec(t) : METRICS_ROW4.exec(t);
    if (!m) {
      w.add(line.no, line.raw, `expected REASON DIRECTION PACKETS BYTES${six ? ' LINE FILE' : ''}`);
      continue;
    }
    rows.push({
      reason: m[1]!,
      direction: m[2]!.toUpperCase(),
      packets: BigInt(m[3]!),
      bytes: BigInt(m[4]!),
      line: m[5] !== undefined ? intOrNull(m[5]) : null,
      file: m[6] ?? null,
      raw: line.raw,
      lineNo: line.no,
    });
  }
  return { rows, warnings: w.list };
}

function metricsFromJson(text: string, w: Warnings): MetricRow[] {
  const data = jsonArrayOrWarn(text, w, 'metrics', parseJsonKeepingBigInts);
  if (data === null) return [];
  const lines = occurrenceLines(text, '"reason"');
  const rows: MetricRow[] = [];
  data.forEach((o: unknown, i) => {
    const no = lines[i] ?? 1;
    const raw = JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const r = (o ?? {}) as Record<string, unknown>;
    const packets = toBigInt(r.packets);
    const bytes = toBigInt(r.bytes);
    if (typeof r.reason !== 'string' || typeof r.direction !== 'string' || packets === null || bytes === null) {
      w.add(no, raw ?? String(o), 'metric entry lacks reason/direction/packets/bytes');
      return;
    }
    const ln = toBigInt(r.line);
    rows.push({
      reason: r.reason,
      direction: r.direction.toUpperCase(),
      packets,
      bytes,
      line: ln === null ? null : Number(ln),
      file: typeof r.file === 'string' ? r.file : null,
      raw,
      lineNo: no,
    });
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// bpftool net [show [dev X]] and bpftool -j net (§6)

const XDP_MODES = new Set(['driver', 'generic', 'offload', 'skb', 'drv', 'hw']);
export const SECTION = /^(xdp|tc|flow_dissector|netfilter):$/;

function hookOf(kind: string, section: string | null): { hook: TcHook; direction: 'ingress' | 'egress' | null } {
  const [a, b] = kind.split('/');
  const direction = b === 'ingress' || b === 'egress' ? b : null;
  if (section === 'xdp' || XDP_MODES.has(kind)) return { hook: 'xdp', direction: null };
  if (a === 'tcx') return { hook: 'tcx', direction };
  if (a === 'netkit') return { hook: 'netkit', direction: null }; // primary/peer, not a direction
  return { hook: 'tc', direction }; // clsact/ingress|egress, root, or a classful qdisc kind
}

export function parseBpftoolNet(text: string, source?: string): ParseResult<TcProgRow> {
  const w = new Warnings(source);
  if (looksLikeJson(text)) return { rows: bpftoolNetFromJson(text, w), warnings: w.list };
  const rows: TcProgRow[] = [];
  let section: string | null = null;
  for (const line of splitLines(text)) {
    const t = line.text.trim();
    if (isNoise(t)) continue;
    const s = SECTION.exec(t);
    if (s) {
      section = s[1]!;
      continue;
    }
    const base = { raw: line.raw, line: line.no };
    if (section === 'flow_dissector') {
      const m = /^id (\d+)$/.exec(t);
      if (m) rows.push({ ...base, iface: '', ifindex: 0, hook: 'flow_dissector', direction: null, progName: '', progId: Number(m[1]), linkId: null, kind: 'flow_dissector' });
      else w.add(line.no, line.raw, 'expected `id N` in the flow_dissector section');
      continue;
    }
    if (section === 'netfilter') {
      // Best effort: the netfilter layout (pf, hook, prio, prog_id) was not in the formats reference.
      const m = /\bprog_id (\d+)/.exec(t);
      if (m) rows.push({ ...base, iface: '', ifindex: 0, hook: 'netfilter', direction: null, progName: '', progId: Number(m[1]), linkId: null, kind: t.slice(0, m.index).trim() });
      else w.add(line.no, line.raw, 'expected `prog_id N` in the netfilter section');
      continue;
    }
    const m = /^(\S+?)\((\d+)\)\s+(\S+)(.*)$/.exec(t);
    if (!m) {
      w.add(line.no, line.raw, 'expected `<dev>(<ifindex>) <kind> ...`');
      continue;
    }
    const [, iface, ifidx, kind, rest] = m as unknown as [string, string, string, string, string];
    const ifindex = Number(ifidx);
    if (section === 'xdp' || XDP_MODES.has(kind)) {
      // `<dev>(<i>) <mode> id N [<mode> id M ...]`: one row per attachment.
      const pairs = [...`${kind}${rest}`.matchAll(/(\S+) id (\d+)/g)];
      if (pairs.length === 0) {
        w.add(line.no, line.raw, 'expected `<mode> id N` after the xdp device');
        continue;
      }
      for (const p of pairs) {
        rows.push({ ...base, iface, ifindex, hook: 'xdp', direction: null, progName: '', progId: Number(p[2]), linkId: null, kind: p[1]! });
      }
      continue;
    }
    // tcx/netkit: ` [name] prog_id N [flags] [link_id L] `; classic tc: ` name id N [act [{...}]]`.
    const progIdM = /(?:^|\s)prog_id (\d+)/.exec(rest) ?? /(?:^|\s)id (\d+)/.exec(rest);
    if (!progIdM) {
      w.add(line.no, line.raw, 'expected `prog_id N` or `id N` after the tc kind');
      continue;
    }
    const linkM = /\blink_id (\d+)/.exec(rest);
    rows.push({
      ...base,
      iface,
      ifindex,
      ...hookOf(kind, section),
      progName: rest.slice(0, progIdM.index).trim(),
      progId: Number(progIdM[1]),
      linkId: linkM ? Number(linkM[1]) : null,
      kind,
    });
  }
  return { rows, warnings: w.list };
}

function bpftoolNetFromJson(text: string, w: Warnings): TcProgRow[] {
  const data = parseJsonOrWarn(text, w);
  if (data === undefined) return [];
  const objs = Array.isArray(data) ? data : [data];
  const rows: TcProgRow[] = [];
  // One-line `-j` output puts everything on line 1; `-p` output puts each device on its own line.
  const devLines = occurrenceLines(text, '"devname"');
  let devIdx = 0;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  for (const o of objs) {
    if (o === null || typeof o !== 'object') {
      w.add(1, JSON.stringify(o), 'expected an object with xdp/tc/flow_dissector/netfilter arrays');
      continue;
    }
    for (const [section, entries] of Object.entries(o as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const e of entries as Record<string, unknown>[]) {
        const raw = JSON.stringify(e);
        const hasDev = e !== null && typeof e === 'object' && 'devname' in e;
        const no = hasDev ? (devLines[devIdx++] ?? 1) : 1;
        if (e === null || typeof e !== 'object') {
          w.add(no, String(raw), `expected an object in "${section}"`);
          continue;
        }
        const iface = typeof e.devname === 'string' ? e.devname : '';
        const ifindex = num(e.ifindex) ?? 0;
        if (section === 'xdp') {
          const atts = Array.isArray(e.multi_attachments) ? (e.multi_attachments as Record<string, unknown>[]) : [e];
          for (const a of atts) {
            rows.push({ iface, ifindex, hook: 'xdp', direction: null, progName: '', progId: num(a.id), linkId: null, kind: String(a.mode ?? ''), raw, line: no });
          }
        } else if (section === 'tc') {
          const kind = typeof e.kind === 'string' ? e.kind : '';
          const progId = num(e.prog_id) ?? num(e.id);
          if (!kind || progId === null) {
            w.add(no, raw, 'tc entry lacks kind or prog_id/id');
            continue;
          }
          rows.push({ iface, ifindex, ...hookOf(kind, 'tc'), progName: typeof e.name === 'string' ? e.name : '', progId, linkId: num(e.link_id), kind, raw, line: no });
        } else {
          // flow_dissector {id}, netfilter {pf, hook, prio, prog_id, ...}: no device.
          rows.push({ iface, ifindex, hook: section, direction: null, progName: '', progId: num(e.prog_id) ?? num(e.id), linkId: null, kind: section, raw, line: no });
        }
      }
    }
  }
  return rows;
}
