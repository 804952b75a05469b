// One pwru output line → event | continuation | log | blank | reject, or held (the start of a wrapped paste line,
// decided by the next line). Pure apart from the small ParserState it carries between lines of one file (the last
// header seen, a held line, whether we are inside a Go panic, whether the previous line was an event). Writing,
// counting and batching are the batch writer's job.
import { blankEvent, type PwruEvent } from '../capture/event-schema.js';
import { baseLayout, COLUMN_IDS, layoutKey, type ColumnId, type Layout } from '../capture/layout.js';
import type { LogKind, Parsed } from '../capture/parsed.js';
import { L4_NAMES, L4_NUMBERS, tcpFlagsFromNames } from '../capture/vocabulary.js';

export type InputFormat = 'auto' | 'text' | 'json';


export interface ParserState {
  format: InputFormat;
  /** Layout announced by the last header line (text eras), or null when none was seen. */
  header: Layout | null;
  headerText: string | null;
  /** True when the previous non-blank line was an event or one of its continuation lines. */
  inEvent: boolean;
  inPanic: boolean;
  /** The start of a wrapped event line (joined text, first line number, physical lines so far), or null. */
  held: { text: string; lineNo: number; lines: number } | null;
}

export const newParserState = (format: InputFormat = 'auto'): ParserState => ({
  format, header: null, headerText: null, inEvent: false, inPanic: false, held: null,
});

// ---- small token helpers -------------------------------------------------------------------------------------

const SKB_RE = /^0x[0-9a-fA-F]+$/;
/**
 * pwru prints the skb (or, for XDP, the BPF stack address &xdp) with `%#x` of a 64-bit kernel pointer:
 * `0xffff8881…`, `0xffffb5dd40600b00`, arm64 `0xffff0000…`, LA57 `0xff11…`, i.e. 16 hex digits in practice.
 * A token counts as an skb address only with 12 to 16 hex digits, so a wrapped line's ethertype `0x0800` or a
 * `0x1` in prose never starts an event.
 */
export const KPTR_RE = /^0x[0-9a-fA-F]{12,16}$/;
const KPTR_TOKEN_RE = /^0x[0-9a-fA-F]{12,16}\s/;
const DEC_RE = /^\d+$/;
const HMS_RE = /^\d{2}:\d{2}:\d{2}\.\d{3}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;
const PROTO_RE = /^0x[0-9a-fA-F]{4,}$/;
const CB_RE = /^\[0x[0-9A-Fa-f]{8}(,0x[0-9A-Fa-f]{8}){4}\]$/;
// saddr:sport->daddr:dport(l4[:FLAGS]); addresses may be empty (non-IP L3) and IPv6 is bracketed.
const TUPLE_RE = /^(\[[0-9a-fA-F:.]*\]|[0-9.]*):(\d+)->(\[[0-9a-fA-F:.]*\]|[0-9.]*):(\d+)\(([a-z0-9]*)(?::([A-Z|]+))?\)$/;
const GOLOG_RE = /^(\^C)?\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}( |$)/;
const PROGRESS_RE = /^\d+ \/ \d+ \[/;
const DROPCODE_RE = /^\((\d+)\)$/;
const FUNC_REASON_RE = /^([^()\s]+)\(([A-Z][A-Z0-9_]*)\)$/;
const FUNC_PROG_RE = /^(.+)\((tc|xdp)\)$/;

/** pwru prints these without a timestamp in some pastes; they are log lines all the same. */
const BARE_LOG_RE = /^(\^C)?(Attaching kprobes|Attached \(ignored|Listening for events|Received signal|Printed \d+ events|Detaching kprobes|Per cpu buffer size|Attaching (tc-bpf|xdp) progs|Warn: |Failed to retrieve all ifaces|Unable to load packet drop|Opening non-skb-kprobe)/;

/** bpftrace's own line when a perf buffer overflowed (the tracepoint source's output, saved and imported). */
const BPFTRACE_LOST_RE = /^Lost \d+ events$/;

const stripBrackets = (a: string) => (a.startsWith('[') ? a.slice(1, -1) : a);

/** Split on runs of blanks/tabs; the regex split measured fastest here (~100 ns a token) of the ways tried. */
export function tokenize(s: string): string[] {
  const t = s.split(/[ \t]+/);
  if (t.length && t[t.length - 1] === '') t.pop();
  if (t.length && t[0] === '') t.shift();
  return t;
}

/**
 * Small memo for values that repeat on almost every line of a flow (tuple, process, iface text). Cleared when it
 * grows, so memory stays bounded whatever the input.
 */
function memo<T>(fn: (k: string) => T, max = 50_000): (k: string) => T {
  let m = new Map<string, T>();
  return (k) => {
    let v = m.get(k);
    if (v === undefined && !m.has(k)) {
      // Tokens are slices of the input chunk: keep a copy, or each cached key pins a whole 64 KB chunk in memory.
      const own = (' ' + k).slice(1);
      v = fn(own);
      if (m.size >= max) m = new Map();
      m.set(own, v);
    }
    return v as T;
  };
}

export interface TupleParts { saddr: string; sport: number; daddr: string; dport: number; l4: string; l4Proto: number | null; tcpFlags: number | null }
const parseTupleCached = memo((tok: string): TupleParts | null => {
  const m = TUPLE_RE.exec(tok);
  if (!m) return null;
  let tcpFlags: number | null = null;
  if (m[6] !== undefined) {
    tcpFlags = tcpFlagsFromNames(m[6]);
    if (tcpFlags === null) return null;
  }
  return { saddr: stripBrackets(m[1]!), sport: Number(m[2]), daddr: stripBrackets(m[3]!), dport: Number(m[4]), l4: m[5]!, l4Proto: L4_NUMBERS[m[5]!] ?? null, tcpFlags };
});

/** A pwru tuple token's parts, or null when it is not a tuple (the byte-level path caches these per token). */
export const tupleParts = (tok: string): TupleParts | null => parseTupleCached(tok);

/** Parse a pwru tuple token into the event; false when it is not a tuple. */
export function applyTuple(ev: PwruEvent, tok: string): boolean {
  const t = parseTupleCached(tok);
  if (t === null) return false;
  ev.saddr = t.saddr;
  ev.sport = t.sport;
  ev.daddr = t.daddr;
  ev.dport = t.dport;
  ev.l4 = t.l4;
  ev.l4Proto = t.l4Proto;
  if (t.tcpFlags !== null) ev.tcpFlags = t.tcpFlags;
  return true;
}

export const isTupleToken = (tok: string) => tok.includes('->') && parseTupleCached(tok) !== null;

/** FUNC text → func, drop reason, tc/xdp marker. */
export function applyFunc(ev: PwruEvent, text: string): void {
  let f = text;
  const prog = FUNC_PROG_RE.exec(f);
  if (prog) { f = prog[1]!; ev.progKind = prog[2]!; }
  const reason = FUNC_REASON_RE.exec(f);
  if (reason) { f = reason[1]!; ev.dropReason = reason[2]!; }
  ev.func = f;
}

const pidOfUnbracketed = memo((p: string) => pidOf(p, false));
const ifindexCached = memo((i: string) => ifindexOf(i));

/** pid out of a PROCESS value: `~bin/curl:272299`, `curl(239350)`, `<empty>:(2838)`, `/usr/bin/curl:250468`. */
export function pidOf(process: string, bracketed: boolean): number | null {
  let m = /\((\d+)\)$/.exec(process);
  if (m) return Number(m[1]);
  if (!bracketed || process.startsWith('/') || process.startsWith('<empty>')) {
    m = /:(\d+)$/.exec(process);
    if (m) return Number(m[1]);
  }
  return null;
}

/** IFACE value → ifindex: `eth0:2`, `~3a6f7d4e8c73:26`, `26`, `4(wg0)`, `26(lxc…)`. */
export function ifindexOf(iface: string): number | null {
  let m = /^(\d+)(\(.*\))?$/.exec(iface);
  if (m) return Number(m[1]);
  m = /:(\d+)$/.exec(iface);
  return m ? Number(m[1]) : null;
}

const hexU32 = (s: string) => {
  const v = parseInt(s, 16);
  return Number.isFinite(v) && v >= 0 && v <= 0xffffffff ? v : null;
};
const decU32 = (s: string) => (DEC_RE.test(s) && s.length <= 10 && Number(s) <= 0xffffffff ? Number(s) : null);
/** `%08x` (the PR #376 pre-release) pads to 8 digits; `%x` never prints a leading zero except for 0 itself. */
const isMark08 = (tok: string) => tok.length === 8 && tok.charCodeAt(0) === 0x30;
/**
 * Was this MARK printed `%08x`? Sure for a leading zero; an 8-digit mark like `bc5a6e00` reads the same either way,
 * so it follows the marks seen before it under the same header (kept on the header's layout, which is the
 * parser state's own object): one capture keeps one layout key and replay prints its header once.
 */
function markPadded(tok: string, hdr: Layout | null): boolean {
  if (isMark08(tok)) {
    if (hdr) hdr.mark08 = true;
    return true;
  }
  if (tok.length < 8) {
    if (hdr) hdr.mark08 = false;
    return false;
  }
  return hdr?.mark08 ?? false;
}
/** A kernel symbol as FUNC/CALLER prints it: `sch_handle_ingress.constprop.0`, `bpf_prog_…[bpf]`, or a raw address. */
const SYMBOL_RE = /^([A-Za-z_][\w.$]*(\[[\w.-]+\])?|0x[0-9a-fA-F]+)$/;

/** The text of `line` from token i on, as written (tokens are in order and come from `line`). */
function restOf(line: string, tokens: readonly string[], i: number): string {
  let at = 0;
  for (let k = 0; k < i; k++) at = line.indexOf(tokens[k]!, at) + tokens[k]!.length;
  return line.slice(line.indexOf(tokens[i]!, at)).trimEnd();
}

// ---- header ------------------------------------------------------------------------------------------------

/** A header line → its layout, or null when the line is not a pwru header. */
export function parseHeader(line: string): Layout | null {
  return releaseHeader(line) ?? orderedHeader(line);
}

/** The header of a released pwru (the four families of PWRU_FORMATS.md §2), in the order that release printed. */
function releaseHeader(line: string): Layout | null {
  const t = line.trim().split(/\s+/);
  let i = 0;
  let abs: Layout['abs'] = null;
  if (t[0] === 'TIME') { abs = 'hms'; i = 1; }
  if (t[i] !== 'SKB') return null;
  i++;
  if (t[i] === 'PROCESS') {
    // Era A: SKB PROCESS FUNC TIMESTAMP. %15s PROCESS (v0.0.1–2) ends at column 34, %16s at 35.
    if (t[i + 1] !== 'FUNC' || t.length !== i + (t[i + 2] === 'TIMESTAMP' ? 3 : 2)) return null;
    const l = baseLayout('A');
    l.ts = true;
    const end = line.indexOf('PROCESS') + 7;
    l.narrowProcess = end === 34;
    return l;
  }
  if (t[i] !== 'CPU' || t[i + 1] !== 'PROCESS') return null;
  i += 2;
  // `SKB CPU PROCESS FUNC` is also v1.0.7+ with --output-meta and --output-tuple off: its columns are left-aligned
  // (`%-18s %-3s %-16s`: 16 blanks after SKB, one after CPU), Era C's right-aligned (`%18s %6s %16s`: 4 after SKB).
  const leftAligned = /(^|\s)SKB {16}CPU PROCESS /.test(line);
  if (t[i] === 'FUNC' && !(leftAligned && t.length === i + 1)) {
    if (t.length !== i + (t[i + 1] === 'TIMESTAMP' ? 2 : 1)) return null;
    const l = baseLayout('C');
    l.abs = abs;
    l.ts = t[i + 1] === 'TIMESTAMP';
    return l;
  }
  const l = baseLayout('E');
  if (abs) l.abs = line.startsWith('TIME                    ') ? 'iso' : 'hms';
  const rest = t.slice(i);
  let j = 0;
  if (rest[j] === 'TIMESTAMP') { l.ts = true; j++; }
  if (rest[j] === 'NETNS' && (rest[j + 1] === 'MARK/x' || rest[j + 1] === 'MARK') && rest[j + 2] === 'IFACE' && rest[j + 3] === 'PROTO' && rest[j + 4] === 'MTU' && rest[j + 5] === 'LEN') {
    l.meta = true;
    l.markHdr = rest[j + 1] === 'MARK';
    j += 6;
  }
  if (rest[j] === '__sk_buff->cb[]') { l.cb = true; j++; }
  if (rest[j] === 'NETNS' && rest[j + 1] === 'NAME') {
    l.nsNames = 16;
    j += 2;
  }
  if (rest[j] === 'TUPLE') { l.tuple = true; j++; }
  if (rest[j] !== 'FUNC') return null;
  j++;
  if (rest[j] === 'CALLER') { l.caller = true; j++; }
  if (rest[j] === 'TUNNEL') { l.tunnel = true; j++; }
  return j === rest.length ? l : null;
}

const META_IDS: readonly ColumnId[] = ['netns', 'mark', 'iface', 'proto', 'mtu', 'len'];

/**
 * A header that names pwru columns in an order no release printed (a hand-edited or re-ordered paste): the
 * header's own order is authoritative. Valid when every name is a pwru column name, none repeats, SKB and FUNC
 * are there and the six meta columns come all or none. NETNS NAME is left out: its value may be all blanks, so
 * its place among whitespace-split tokens cannot be told.
 */
function orderedHeader(line: string): Layout | null {
  const names = line.trim().split(/\s+/);
  const order: ColumnId[] = [];
  for (const n of names) {
    const id = (COLUMN_IDS as Record<string, ColumnId | undefined>)[n];
    if (id === undefined || order.includes(id)) return null;
    order.push(id);
  }
  if (!order.includes('skb') || !order.includes('func')) return null;
  const metas = META_IDS.filter((m) => order.includes(m)).length;
  if (metas !== 0 && metas !== META_IDS.length) return null;
  const l = baseLayout('E');
  l.order = order;
  l.ts = order.includes('ts');
  l.meta = metas > 0;
  l.markHdr = names.includes('MARK');
  l.cb = order.includes('cb');
  l.tuple = order.includes('tuple');
  l.caller = order.includes('caller');
  l.tunnel = order.includes('tunnel');
  if (order.includes('time')) l.abs = 'hms';
  return l;
}

/** Fewest tokens a complete event line of this header has (FUNC's ` (N)`, CALLER text and NETNS NAME may add or lack). */
export function minTokens(h: Layout): number {
  if (h.order) return h.order.length;
  if (h.era !== 'E') return 0;
  return 3 + (h.abs ? 1 : 0) + (h.ts ? 1 : 0) + (h.meta ? 6 : 0) + (h.cb ? 1 : 0) + (h.tuple ? 1 : 0) + 1 + (h.caller ? 1 : 0);
}

// ---- era E (v1.0.7+) event line ------------------------------------------------------------------------------

// Kept whole although long (about 100 lines): one left-to-right pass over an event line's columns in pwru's order,
// each step consuming what the previous left; split into helpers the per-line cost of the general parser grows.
function parseEraE(body: string, tokens: string[], start: number, lineNo: number, hdr: Layout | null, abs: Layout['abs'], absTime: string | null): PwruEvent | string {
  const n = tokens.length;
  let i = start;
  const skbTok = tokens[i++]!;
  const cpuTok = tokens[i++];
  const procTok = tokens[i++];
  if (cpuTok === undefined || procTok === undefined) return 'too few fields for a v1.0.7+ line';
  // tokenize splits on blanks and tabs only, while the event-start test allows any \s after the address: a form
  // feed or vertical tab glued to it must be a reject, never a BigInt error.
  if (!KPTR_RE.test(skbTok)) return `SKB is not a kernel address: ${JSON.stringify(skbTok)}`;
  if (!DEC_RE.test(cpuTok)) return `CPU is not a number: ${cpuTok}`;
  const l = baseLayout('E');
  l.abs = abs;
  const ev = blankEvent(lineNo, '', BigInt(skbTok), '');
  ev.cpu = Number(cpuTok);
  ev.process = procTok;
  ev.pid = pidOfUnbracketed(procTok);
  ev.absTime = absTime;
  // Find the meta block by its PROTO anchor (0x + 4 hex): NETNS MARK IFACE PROTO MTU LEN.
  let protoAt = -1;
  const metaExpected = hdr ? hdr.meta : true;
  if (metaExpected) {
    for (let k = i + 3; k < Math.min(n, i + 6); k++) {
      if (PROTO_RE.test(tokens[k]!) && k + 2 < n && DEC_RE.test(tokens[k + 1]!) && DEC_RE.test(tokens[k + 2]!)) { protoAt = k; break; }
    }
  }
  if (hdr?.meta && protoAt < 0) return 'no NETNS…LEN block although the header announced one';
  if (protoAt >= 0) {
    const metaStart = protoAt - 3;
    if (metaStart === i + 1) {
      if (!DEC_RE.test(tokens[i]!)) return `TIMESTAMP is not a number: ${tokens[i]}`;
      ev.ktime = BigInt(tokens[i]!);
      l.ts = true;
    } else if (metaStart !== i) return 'unexpected fields before NETNS';
    const netns = decU32(tokens[metaStart]!);
    const mark = hexU32(tokens[metaStart + 1]!);
    if (netns === null) return `NETNS is not a number: ${tokens[metaStart]}`;
    if (mark === null || !/^[0-9a-fA-F]+$/.test(tokens[metaStart + 1]!)) return `MARK/x is not hex: ${tokens[metaStart + 1]}`;
    ev.netns = netns;
    ev.mark = mark;
    l.mark08 = markPadded(tokens[metaStart + 1]!, hdr);
    ev.iface = tokens[metaStart + 2]!;
    ev.ifindex = ifindexCached(ev.iface);
    ev.proto = parseInt(tokens[protoAt]!, 16);
    ev.mtu = Number(tokens[protoAt + 1]);
    ev.len = Number(tokens[protoAt + 2]);
    l.meta = true;
    i = protoAt + 3;
  } else if ((hdr ? hdr.ts : true) && i < n - 1 && DEC_RE.test(tokens[i]!)) {
    ev.ktime = BigInt(tokens[i]!);
    l.ts = true;
    i++;
  }
  if (i < n && CB_RE.test(tokens[i]!)) {
    ev.cb = tokens[i]!.slice(1, -1).split(',').map((h) => parseInt(h, 16));
    l.cb = true;
    i++;
  } else if (hdr?.cb) return 'no __sk_buff->cb[] field although the header announced one';
  if (hdr?.nsNames) {
    // The centred netns name has no separator and may be all blanks: take tokens up to the tuple (if any).
    const names: string[] = [];
    while (i < n - 1 && (!hdr.tuple || !isTupleToken(tokens[i]!)) && hdr.tuple) names.push(tokens[i++]!);
    ev.netnsName = names.join(' ');
    l.nsNames = hdr.nsNames;
  }
  if (i < n - 1 && isTupleToken(tokens[i]!)) {
    applyTuple(ev, tokens[i]!);
    l.tuple = true;
    i++;
  } else if (hdr?.tuple) return 'no TUPLE field although the header announced one';
  if (i >= n) return 'no FUNC field';
  applyFunc(ev, tokens[i++]!);
  if (i < n && DROPCODE_RE.test(tokens[i]!)) ev.dropCode = Number(tokens[i++]!.slice(1, -1));
  // After FUNC: [CALLER] [name=value …] [tunnel tuple]. Classify by shape; the header only confirms. The first
  // token that fits none starts free text a paste added (a note): the event is kept and the text with it.
  const kv: string[] = [];
  let callerAt = -1;
  for (; i < n; i++) {
    const tok = tokens[i]!;
    if (i === n - 1 && isTupleToken(tok) && (hdr ? hdr.tunnel : true)) {
      ev.tunnel = tok;
      l.tunnel = true;
    } else if (tok.includes('=') && /^[\w.>-]+=/.test(tok)) kv.push(tok);
    else if (ev.caller === null && kv.length === 0 && (hdr ? hdr.caller : SYMBOL_RE.test(tok))) {
      ev.caller = tok;
      l.caller = true;
      callerAt = i;
    } else {
      // Without a header a word right after FUNC was only a guess at CALLER: if more free text follows, it is text.
      if (!hdr && callerAt >= 0 && kv.length === 0) { ev.caller = null; l.caller = false; i = callerAt; }
      ev.note = restOf(body, tokens, i);
      break;
    }
  }
  if (kv.length) ev.metaKv = kv.join(' ');
  if (hdr) {
    // Keep the header's view of optional columns so replay prints the same header.
    l.caller = hdr.caller;
    l.tunnel = hdr.tunnel || l.tunnel;
    l.markHdr = hdr.markHdr;
  }
  ev.layout = layoutKey(l);
  return ev;
}

// ---- a header-given column order ------------------------------------------------------------------------------

/**
 * An event line under a header whose column order no release printed: one whitespace-split token per column,
 * in the header's order, each read with its v1.0.7+ format (FUNC may carry ` (N)`). Name=value tokens after the
 * last column are --output-skb-metadata; any other text after it is a note.
 */
// Kept whole although long (about 80 lines): a switch with one case per column kind, in one pass.
function parseByOrder(body: string, tokens: string[], lineNo: number, hdr: Layout): PwruEvent | string {
  const order = hdr.order!;
  const l = baseLayout('E');
  l.order = order;
  l.markHdr = hdr.markHdr;
  l.ts = hdr.ts; l.meta = hdr.meta; l.cb = hdr.cb; l.tuple = hdr.tuple; l.caller = hdr.caller; l.tunnel = hdr.tunnel;
  const ev = blankEvent(lineNo, '', 0n, '');
  let i = 0;
  for (const col of order) {
    const tok = tokens[i++];
    if (tok === undefined) return `no ${col.toUpperCase()} field although the header announced one`;
    switch (col) {
      case 'time':
        if (HMS_RE.test(tok)) l.abs = 'hms'; else if (ISO_RE.test(tok)) l.abs = 'iso'; else return `TIME is not a wall-clock time: ${tok}`;
        ev.absTime = tok;
        break;
      case 'skb':
        if (!KPTR_RE.test(tok)) return `SKB is not a kernel address: ${tok}`;
        ev.skb = BigInt(tok);
        break;
      case 'cpu':
        if (!DEC_RE.test(tok)) return `CPU is not a number: ${tok}`;
        ev.cpu = Number(tok);
        break;
      case 'process':
        ev.process = tok;
        ev.pid = pidOfUnbracketed(tok);
        break;
      case 'ts':
        if (!DEC_RE.test(tok)) return `TIMESTAMP is not a number: ${tok}`;
        ev.ktime = BigInt(tok);
        break;
      case 'netns':
        if ((ev.netns = decU32(tok)) === null) return `NETNS is not a number: ${tok}`;
        break;
      case 'mark':
        if (!/^[0-9a-fA-F]{1,8}$/.test(tok)) return `MARK is not hex: ${tok}`;
        ev.mark = parseInt(tok, 16);
        l.mark08 = markPadded(tok, hdr);
        break;
      case 'iface':
        ev.iface = tok;
        ev.ifindex = ifindexCached(tok);
        break;
      case 'proto':
        if (!PROTO_RE.test(tok)) return `PROTO is not 0x-hex: ${tok}`;
        ev.proto = parseInt(tok, 16);
        break;
      case 'mtu':
      case 'len':
        if (decU32(tok) === null) return `${col.toUpperCase()} is not a number: ${tok}`;
        ev[col] = Number(tok);
        break;
      case 'cb':
        if (!CB_RE.test(tok)) return `__sk_buff->cb[] is not five 0x-words: ${tok}`;
        ev.cb = tok.slice(1, -1).split(',').map((h) => parseInt(h, 16));
        break;
      case 'tuple':
        if (!isTupleToken(tok)) return `TUPLE is not a tuple: ${tok}`;
        applyTuple(ev, tok);
        break;
      case 'func':
        applyFunc(ev, tok);
        if (i < tokens.length && DROPCODE_RE.test(tokens[i]!)) ev.dropCode = Number(tokens[i++]!.slice(1, -1));
        break;
      case 'caller':
        ev.caller = tok;
        break;
      case 'tunnel':
        if (!isTupleToken(tok)) return `TUNNEL is not a tuple: ${tok}`;
        ev.tunnel = tok;
        break;
    }
  }
  const kv: string[] = [];
  while (i < tokens.length && /^[\w.>-]+=/.test(tokens[i]!)) kv.push(tokens[i++]!);
  if (kv.length) ev.metaKv = kv.join(' ');
  if (i < tokens.length) ev.note = restOf(body, tokens, i);
  ev.layout = layoutKey(l);
  return ev;
}

// ---- eras A and C (≤ v1.0.6): [process] with spaces, key=value meta ---------------------------------------

function parseBracketed(line: string, lineNo: number, hdr: Layout | null, abs: Layout['abs'], absTime: string | null, afterPrefix: number): PwruEvent | string {
  // SKB [CPU] [process] FUNC [TIMESTAMP] [key=value …] [tuple]
  const rest = line.slice(afterPrefix);
  const m = /^\s*(0x[0-9a-fA-F]+)\s+(?:(\d+)\s+)?\[/.exec(rest);
  if (!m) return 'not an event line';
  const open = m[0].length - 1;
  // The process ends at the first ']' followed by blanks (comm may contain spaces, never '] ').
  const close = rest.indexOf(']', open);
  let closeAt = close;
  while (closeAt >= 0 && closeAt + 1 < rest.length && !/\s/.test(rest[closeAt + 1]!)) closeAt = rest.indexOf(']', closeAt + 1);
  if (closeAt < 0) return 'unterminated [process]';
  const l = baseLayout(m[2] === undefined ? 'A' : 'C');
  l.abs = abs;
  if (hdr && hdr.era === 'A') l.narrowProcess = hdr.narrowProcess;
  const ev = blankEvent(lineNo, '', BigInt(m[1]!), '');
  ev.absTime = absTime;
  if (m[2] !== undefined) ev.cpu = Number(m[2]);
  ev.process = rest.slice(open + 1, closeAt);
  ev.pid = pidOf(ev.process, true);
  const tail = rest.slice(closeAt + 1);
  const tokens = tail.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return 'no FUNC field';
  let i = 0;
  let func = tokens[i++]!;
  // Before v1.0.7 module symbols kept kallsyms' tab: `vxlan_rcv\t[vxlan]`.
  if (i < tokens.length && /^\[[\w.-]+\]$/.test(tokens[i]!) && /\t/.test(rest)) func += `\t${tokens[i++]}`;
  applyFunc(ev, func);
  if (i < tokens.length && DROPCODE_RE.test(tokens[i]!)) ev.dropCode = Number(tokens[i++]!.slice(1, -1));
  const tsExpected = l.era === 'A' || (hdr ? hdr.ts : true);
  if (i < tokens.length && DEC_RE.test(tokens[i]!) && tsExpected) {
    ev.ktime = BigInt(tokens[i++]!);
    l.ts = true;
  } else if (l.era === 'A') return 'no TIMESTAMP field (always printed before v0.0.5)';
  const kvs: string[] = [];
  while (i < tokens.length && /^[a-z_]+=/.test(tokens[i]!)) kvs.push(tokens[i++]!);
  if (kvs.length) {
    l.meta = true;
    for (const kv of kvs) {
      const eq = kv.indexOf('=');
      const k = kv.slice(0, eq);
      const v = kv.slice(eq + 1);
      if (k === 'netns') { ev.netns = decU32(v); l.kvNetns = true; }
      else if (k === 'mark') { if (!v.startsWith('0x')) return `mark is not 0x-hex: ${v}`; ev.mark = hexU32(v.slice(2)); }
      else if (k === 'ifindex') { ev.ifindex = decU32(v); ev.iface = v; }
      else if (k === 'iface') { ev.iface = v; ev.ifindex = ifindexOf(v); l.kvIface = true; }
      else if (k === 'proto') {
        if (v.startsWith('0x')) ev.proto = parseInt(v, 16);
        else {
          // Before v1.0.4 pwru printed the network-order u16 as read on a little-endian host: 8 = 0x0800.
          const raw = parseInt(v, 16);
          ev.proto = ((raw & 0xff) << 8) | (raw >> 8);
          l.protoRaw = true;
        }
      } else if (k === 'mtu') ev.mtu = decU32(v);
      else if (k === 'len') ev.len = decU32(v);
      else return `unknown meta key ${k}`;
    }
    if (ev.mark === null || ev.proto === null || ev.mtu === null || ev.len === null || ev.ifindex === null) return 'incomplete key=value meta';
  }
  if (i < tokens.length && isTupleToken(tokens[i]!)) {
    applyTuple(ev, tokens[i++]!);
    l.tuple = true;
  }
  // Anything after the last field is free text a paste added: keep the event, and the text as its note.
  if (i < tokens.length) ev.note = restOf(tail, tokens, i);
  ev.layout = layoutKey(l);
  return ev;
}

// ---- JSON (--output-json) ------------------------------------------------------------------------------------

const JSON_KEYS = new Set(['skb', 'skb_shared_info', 'cpu', 'process', 'func', 'caller_func', 'time', 'netns', 'netns_name',
  'mark', 'iface', 'proto', 'mtu', 'len', 'cb', 'tuple', 'tunnel_tuple', 'stack', 'skb_metadata']);

export function parseJsonLine(line: string, lineNo: number): PwruEvent | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return `invalid JSON: ${(e as Error).message}`;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'JSON line is not an object';
  if (typeof o.skb !== 'string' || !SKB_RE.test(o.skb)) return 'JSON object has no "skb" address';
  if (typeof o.func !== 'string') return 'JSON object has no "func"';
  const ev = blankEvent(lineNo, 'J:', BigInt(o.skb), '');
  const extras: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (!JSON_KEYS.has(k)) extras[k] = o[k];
  if (Object.keys(extras).length) ev.attachment = JSON.stringify(extras);
  ev.cpu = typeof o.cpu === 'number' ? o.cpu : 0;
  if (typeof o.process === 'string') { ev.process = o.process; ev.pid = pidOfUnbracketed(o.process); }
  const fm = /^(\S+) \((\d+)\)$/.exec(o.func);
  if (fm) { applyFunc(ev, fm[1]!); ev.dropCode = Number(fm[2]); } else applyFunc(ev, o.func);
  if (typeof o.caller_func === 'string') ev.caller = o.caller_func;
  if (typeof o.time === 'number') {
    // JSON.parse rounds integers above 2^53: then read the digits from the raw text.
    if (Number.isSafeInteger(o.time)) ev.ktime = BigInt(o.time);
    else {
      const m = /"time":(\d+)/.exec(line);
      ev.ktime = m ? BigInt(m[1]!) : BigInt(Math.round(o.time));
    }
  } else if (typeof o.time === 'string') ev.absTime = o.time;
  // Absent numeric keys mean 0 (omitempty); keep null only for keys that only exist with --output-meta.
  const hasMeta = 'iface' in o || 'netns' in o || 'mtu' in o || 'len' in o;
  if (hasMeta) {
    ev.netns = typeof o.netns === 'number' ? o.netns : 0;
    ev.mark = typeof o.mark === 'number' ? o.mark : 0;
    ev.iface = typeof o.iface === 'string' ? o.iface : null;
    ev.ifindex = ev.iface === null ? null : ifindexCached(ev.iface);
    ev.proto = typeof o.proto === 'number' ? o.proto : 0;
    ev.mtu = typeof o.mtu === 'number' ? o.mtu : 0;
    ev.len = typeof o.len === 'number' ? o.len : 0;
  }
  if (typeof o.netns_name === 'string') ev.netnsName = o.netns_name;
  if (Array.isArray(o.cb)) {
    if (o.cb.length !== 5 || !o.cb.every((x) => typeof x === 'number')) return 'JSON "cb" is not five numbers';
    ev.cb = o.cb as number[];
  }
  if (typeof o.tuple === 'string') {
    // The pre-merge JSON of PR #285 printed the text tuple: read it as the text column, and replay it as a string.
    if (!applyTuple(ev, o.tuple)) return `JSON "tuple" is a string but not a pwru tuple: ${o.tuple}`;
    ev.layout = 'J:tuplestr';
  } else if (o.tuple !== undefined && o.tuple !== null && (typeof o.tuple !== 'object' || Array.isArray(o.tuple))) {
    return `JSON "tuple" is neither an object nor a string: ${JSON.stringify(o.tuple)}`;
  } else if (o.tuple && typeof o.tuple === 'object') {
    // Fields straight from the object (no detour through the text form): the JSON hot path.
    const t = o.tuple as Record<string, unknown>;
    const sa = t.saddr ?? '', da = t.daddr ?? '', sp = t.sport ?? 0, dp = t.dport ?? 0, p = t.proto ?? 0;
    if (typeof sa !== 'string' || typeof da !== 'string' || !Number.isInteger(sp) || !Number.isInteger(dp) || !Number.isInteger(p)) return 'JSON "tuple" is not a tuple';
    ev.saddr = stripBrackets(sa);
    ev.daddr = stripBrackets(da);
    ev.sport = sp as number;
    ev.dport = dp as number;
    ev.l4Proto = p as number;
    ev.l4 = L4_NAMES[p as number] ?? '';
    if (typeof t.flags === 'string' && t.flags) {
      const f = tcpFlagsFromNames(t.flags);
      if (f === null) return `JSON tuple "flags" has an unknown flag: ${t.flags}`;
      ev.tcpFlags = f;
    }
  }
  if (o.tunnel_tuple !== undefined) ev.tunnel = JSON.stringify(o.tunnel_tuple);
  if (typeof o.stack === 'string') ev.jsonStack = o.stack;
  if (typeof o.skb_metadata === 'string') ev.jsonSkbMetadata = o.skb_metadata;
  if (typeof o.skb_shared_info === 'string') ev.jsonSkbMetadata = (ev.jsonSkbMetadata ?? '') + '\u0000' + o.skb_shared_info;
  return ev;
}

// ---- value ranges ----------------------------------------------------------------------------------------------

const U32 = 0xffffffff;
const I32 = 0x7fffffff;
const U64_END = 1n << 64n;
/** bpf_ktime_get_ns() reaches 2^63 after 292 years of uptime; the analysis views read ktime as a signed BIGINT. */
const KTIME_END = 1n << 63n;

/** Numeric fields and the largest value their column holds (a value past it would be stored wrapped). */
const RANGES: readonly [keyof PwruEvent, string, number][] = [
  ['cpu', 'CPU', U32], ['pid', 'pid in PROCESS', I32], ['dropCode', 'drop reason code', I32], ['netns', 'NETNS', U32],
  ['mark', 'MARK', U32], ['ifindex', 'ifindex in IFACE', U32], ['proto', 'PROTO', 0xffff], ['mtu', 'MTU', U32],
  ['len', 'LEN', U32], ['sport', 'source port', 0xffff], ['dport', 'destination port', 0xffff], ['l4Proto', 'L4 protocol', 0xff],
];

/**
 * Why an event holds a value its column cannot store (a port over 65535, a 5-digit PROTO, a pid of 2^31…), or null.
 * Such a line is a reject with that reason: storing it would wrap the value silently into another one.
 */
export function outOfRange(ev: PwruEvent): string | null {
  if (ev.skb >= U64_END) return `SKB 0x${ev.skb.toString(16)} is wider than 64 bits`;
  if (ev.ktime !== null && ev.ktime >= KTIME_END) return `TIMESTAMP ${ev.ktime} is 2^63 ns or more (over 292 years of uptime), not a kernel clock value`;
  for (const [field, name, max] of RANGES) {
    const v = ev[field] as number | null;
    if (v !== null && !(Number.isInteger(v) && v >= 0 && v <= max)) return `${name} ${v} is out of range (0 to ${max})`;
  }
  if (ev.cb !== null && ev.cb.some((v) => !(Number.isInteger(v) && v >= 0 && v <= U32))) return `__sk_buff->cb[] value out of range (0 to ${U32}): ${ev.cb.join(',')}`;
  return null;
}

// ---- continuation lines ----------------------------------------------------------------------------------------

/** Shapes that only appear as lines attached to an event: stack frames, BTF dumps, bpfmap, metadata lines. */
export function looksLikeContinuation(line: string): boolean {
  if (/^[ \t]/.test(line)) return true;                                   // indented BTF dump / hexdump lines
  if (/^(\(struct |\(union\)|\}|\]|map_id: |map_name: |key\(\d+\):|value\(\d+\):)/.test(line)) return true;
  if (/^[0-9a-f]{8}  [0-9a-f]{2} /.test(line)) return true;                 // hex.Dump line
  if (/^[A-Za-z_.$][\w.$]*(\t?\[[\w.-]+\])?$/.test(line)) return true;      // stack frame: symbol[, module]
  if (/^0x[0-9a-f]+$/.test(line)) return true;                             // unresolved frame address
  if (/^[a-z_]+=\S*( [a-z_]+=\S*)*$/.test(line)) return true;               // key=value metadata line
  return false;
}

// ---- entry point -----------------------------------------------------------------------------------------------

const PANIC_LINE_RE = /^(panic: |fatal error: |\[signal |goroutine \d+ \[|\t|created by |[\w./*()-]+\(.*\)$|exit status \d+$)/;

/** A mail-wrapped event line is re-joined over at most this many physical lines. */
const MAX_WRAPPED_LINES = 3;

/** Classify and parse one input line (without its newline). `state` carries what the previous lines said. */
export function parseLine(raw: string, lineNo: number, state: ParserState): Parsed {
  const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
  const held = state.held;
  if (held === null) return parseOne(line, lineNo, state);
  state.held = null;
  let why = `line ${held.lineNo} stops before the header's columns are all there and line ${lineNo} does not complete it`;
  if (line.trim() !== '' && !startsOwnLine(line, state)) {
    // A wrapped paste: this line carries the rest of the held one (the tuple, FUNC, or the tail of the meta block).
    const joined = `${held.text} ${line.trim()}`;
    const r = eventOf(joined, held.lineNo, state);
    if (r !== null && typeof r !== 'string') {
      state.inEvent = true;
      state.inPanic = false;
      return { kind: 'event', event: r, joined: held.lines };
    }
    if (held.lines + 1 < MAX_WRAPPED_LINES && state.header && tokenize(joined).length < minTokens(state.header)) {
      state.held = { text: joined, lineNo: held.lineNo, lines: held.lines + 1 };
      return { kind: 'held' };
    }
    if (typeof r === 'string') why += ` (joined: ${r})`;
  }
  return { ...parseOne(line, lineNo, state), heldRejected: why };
}

/** Does this line stand on its own (an event start, JSON object, header, log or progress line)? */
function startsOwnLine(line: string, state: ParserState): boolean {
  return line.charCodeAt(0) === 0x7b || eventStart(line, state, true) !== null || parseHeader(line) !== null
    || PROGRESS_RE.test(line) || GOLOG_RE.test(line) || BARE_LOG_RE.test(line) || BPFTRACE_LOST_RE.test(line);
}

interface EventStart { body: string; abs: Layout['abs']; absTime: string | null; prefixLen: number; tokens: string[] | null }

/**
 * Where an event line's fields begin, or null when the line does not open an event (no kernel address first).
 * `strict`: under a header-given order only the header's SKB place counts (a wrapped line's rest may start with it).
 */
function eventStart(line: string, state: ParserState, strict = false): EventStart | null {
  const hdr = state.header;
  if (hdr?.order) {
    // The header put SKB somewhere: the token in that place must be a kernel address. A line that starts with one
    // elsewhere is an event line in the wrong order: it is read (and rejected) by the header's order, with a reason.
    const tokens = tokenize(line);
    const at = hdr.order.indexOf('skb');
    const opens = KPTR_RE.test(tokens[at] ?? '') || (!strict && KPTR_RE.test(tokens[0] ?? ''));
    return opens ? { body: line.trim(), abs: null, absTime: null, prefixLen: 0, tokens } : null;
  }
  const c0 = line.charCodeAt(0);
  const trimmed = c0 === 0x20 ? line.trimStart() : line;
  let abs: Layout['abs'] = null;
  let absTime: string | null = null;
  let body = trimmed;
  let prefixLen = line.length - trimmed.length;
  if (trimmed.charCodeAt(0) !== 0x30) {
    const firstSpace = trimmed.indexOf(' ');
    const first = firstSpace < 0 ? trimmed : trimmed.slice(0, firstSpace);
    if (!HMS_RE.test(first) && !ISO_RE.test(first)) return null;
    abs = first.length === 12 ? 'hms' : 'iso';
    absTime = first;
    body = trimmed.slice(firstSpace).trimStart();
    prefixLen = line.length - body.length;
  }
  if (body.charCodeAt(0) !== 0x30 || body.charCodeAt(1) !== 0x78 || !KPTR_TOKEN_RE.test(body)) return null;
  return { body, abs, absTime, prefixLen, tokens: null };
}

/** The event on a text line, a reason it is a broken one, or null when the line does not open an event. */
function eventOf(line: string, lineNo: number, state: ParserState): PwruEvent | string | null {
  const r = eventOfLine(line, lineNo, state);
  return r !== null && typeof r !== 'string' ? (outOfRange(r) ?? r) : r;
}

function eventOfLine(line: string, lineNo: number, state: ParserState): PwruEvent | string | null {
  const st = eventStart(line, state);
  if (st === null) return null;
  const hdr = state.header;
  if (hdr?.order) return parseByOrder(st.body, st.tokens!, lineNo, hdr);
  // Bracketed process → eras A/C (`0x… [comm]` or `0x… CPU [comm]`); else the fixed-column era.
  const tokens = tokenize(st.body);
  const t1 = tokens[1] ?? '';
  const bracketed = t1.charCodeAt(0) === 0x5b || (tokens[2] !== undefined && tokens[2].charCodeAt(0) === 0x5b && DEC_RE.test(t1));
  if (bracketed || (hdr && (hdr.era === 'A' || hdr.era === 'C'))) return parseBracketed(line, lineNo, hdr, st.abs, st.absTime, st.prefixLen);
  return parseEraE(st.body, tokens, 0, lineNo, hdr && hdr.era === 'E' ? hdr : null, st.abs, st.absTime);
}

function parseOne(line: string, lineNo: number, state: ParserState): Parsed {
  if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) {
    if (state.inPanic) return { kind: 'log', logKind: 'panic', text: line };
    return { kind: 'blank' };
  }
  const c0 = line.charCodeAt(0);
  if (state.format !== 'text' && c0 === 0x7b /* { */) {
    state.inEvent = false;
    const p = parseJsonLine(line, lineNo);
    const r = typeof p === 'string' ? p : (outOfRange(p) ?? p);
    if (typeof r === 'string') return { kind: 'reject', reason: r };
    // JSON events carry stack and dumps inside the object: no continuation lines follow them.
    return { kind: 'event', event: r };
  }
  if (state.format === 'json') {
    state.inEvent = false;
    return classifyNonEvent(line, state) ?? { kind: 'reject', reason: 'not a JSON object (--format json)' };
  }
  const r = eventOf(line, lineNo, state);
  if (r !== null) {
    state.inEvent = false;
    if (typeof r === 'string') {
      // Under a header, a line that stops short of its columns may go on on the next line (a mail-wrapped paste).
      const h = state.header;
      if (h && minTokens(h) > 0 && tokenize(line).length < minTokens(h)) {
        state.held = { text: line.trim(), lineNo, lines: 1 };
        return { kind: 'held' };
      }
      return { kind: 'reject', reason: r };
    }
    state.inEvent = true;
    state.inPanic = false;
    return { kind: 'event', event: r };
  }
  const other = classifyNonEvent(line, state);
  if (other) return other;
  // A BTF dump line or a symbol is never this long; such a line is not part of the event above.
  if (state.inEvent && line.length <= 4096 && looksLikeContinuation(line)) return { kind: 'continuation', text: line };
  state.inEvent = false;
  return { kind: 'reject', reason: describeUnknown(line) };
}

function classifyNonEvent(line: string, state: ParserState): Parsed | null {
  const hdr = parseHeader(line);
  if (hdr) {
    state.header = hdr;
    state.headerText = line;
    state.inEvent = false;
    state.inPanic = false;
    return { kind: 'log', logKind: 'header', text: line };
  }
  if (PROGRESS_RE.test(line)) { state.inEvent = false; return { kind: 'log', logKind: 'progress', text: line }; }
  if (GOLOG_RE.test(line) || BARE_LOG_RE.test(line) || /^\^C\s*$/.test(line)) {
    state.inEvent = false;
    const signal = /Received signal|Printed (\d+ )?events/.test(line);
    return { kind: 'log', logKind: signal ? 'signal' : 'log', text: line };
  }
  // A loss report, kept as the tracer's log line (capture/loss.ts makes it a loss row).
  if (BPFTRACE_LOST_RE.test(line)) { state.inEvent = false; return { kind: 'log', logKind: 'tracer', text: line }; }
  if (/^(panic: |fatal error: )/.test(line)) {
    state.inPanic = true;
    state.inEvent = false;
    return { kind: 'log', logKind: 'panic', text: line };
  }
  if (state.inPanic && PANIC_LINE_RE.test(line)) return { kind: 'log', logKind: 'panic', text: line };
  return null;
}

function describeUnknown(line: string): string {
  if (/[\u0000-\u0008\u000e-\u001f]/.test(line)) return 'binary data, not pwru output';
  if (line.includes('\uFFFD')) return 'invalid UTF-8, not pwru output';
  if (line.length > 4096) return `line of ${line.length} characters, not pwru output`;
  return 'not a pwru event, header or log line';
}
