// Byte-level readers for the layouts that make up nearly every large capture: pwru v1.0.7+ text under a release
// header (with or without TIMESTAMP, meta and tuple) and --output-json. They read fields straight from the bytes
// into a FastRow: no string per token, no object per line, no BigInt; repeated strings are interned by byte range.
// Each reader *declines* (returns false) any line it cannot prove the general parser (line-parser.ts) reads the
// same way: control or non-ASCII bytes, a field past its column's range, anything optional it does not know. The
// caller then hands that line to the general parser, so both paths give the same capture (test/fast-path.test.ts).
import { baseLayout, layoutKey, type Layout } from '../capture/layout.js';
import type { FastRow } from '../capture/fast-row.js';
import { ByteInterner } from './byte-interner.js';
import { applyFunc, ifindexOf, pidOf, tupleParts, type TupleParts } from './line-parser.js';
import { L4_NAMES, tcpFlagsFromNames } from '../capture/vocabulary.js';
import { blankEvent } from '../capture/event-schema.js';

const U32 = 0xffffffff;
const I32 = 0x7fffffff;
const SP = 0x20;
const MAX_TOKENS = 16;

/** Hex digit value of a byte, or -1. */
function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** Decimal digits buf[s, e) as an exact number; -1 when not all digits, empty, longer than maxDigits or past 2^53. */
function decimal(buf: Uint8Array, s: number, e: number, maxDigits: number): number {
  if (e <= s || e - s > maxDigits) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}

/** Derived values per interned string, computed once with the general parser's own functions. */
interface FuncInfo { func: string; dropReason: string | null; progKind: string | null; dropCode: number | null }
const funcInfo = (text: string, json: boolean): FuncInfo => {
  const ev = blankEvent(0, '', 0n, '');
  const fm = json ? /^(\S+) \((\d+)\)$/.exec(text) : null;
  applyFunc(ev, fm ? fm[1]! : text);
  return { func: ev.func, dropReason: ev.dropReason, progKind: ev.progKind, dropCode: fm ? Number(fm[2]) : null };
};
/** pid of a PROCESS value; -2 for one past int32 (the general parser rejects it), -1 for none. */
const pidInfo = (p: string): number => {
  const pid = pidOf(p, false);
  return pid === null ? -1 : pid > I32 ? -2 : pid;
};
const ifindexInfo = (i: string): number => {
  const v = ifindexOf(i);
  return v === null ? -1 : v > U32 ? -2 : v;
};

/** Interners shared by both readers, one per column, each with what the general parser derives from the value. */
class Strings {
  readonly process: ByteInterner<number>;
  readonly iface: ByteInterner<number>;
  readonly func: ByteInterner<FuncInfo>;
  readonly jsonFunc: ByteInterner<FuncInfo>;
  readonly tuple: ByteInterner<TupleParts | null>;
  readonly addr: ByteInterner<string>;
  readonly flags: ByteInterner<number | null>;
  readonly other: ByteInterner<never>;

  constructor(maxEntries?: number) {
    this.process = new ByteInterner(maxEntries);
    this.iface = new ByteInterner(maxEntries);
    this.func = new ByteInterner(maxEntries);
    this.jsonFunc = new ByteInterner(maxEntries);
    this.tuple = new ByteInterner(maxEntries);
    this.addr = new ByteInterner(maxEntries);
    this.flags = new ByteInterner(maxEntries);
    this.other = new ByteInterner(maxEntries);
  }

  setProcess(row: FastRow, buf: Uint8Array, s: number, e: number): boolean {
    const id = this.process.intern(buf, s, e);
    if (id < 0) return false;
    let pid = this.process.info[id];
    if (pid === undefined) this.process.info[id] = pid = pidInfo(this.process.strings[id]!);
    if (pid === -2) return false;
    row.process = this.process.strings[id]!;
    row.procSrc = this.process;
    row.procId = id;
    row.procGen = this.process.gen;
    row.pid = pid < 0 ? null : pid;
    return true;
  }

  setIface(row: FastRow, buf: Uint8Array, s: number, e: number): boolean {
    const id = this.iface.intern(buf, s, e);
    if (id < 0) return false;
    let ix = this.iface.info[id];
    if (ix === undefined) this.iface.info[id] = ix = ifindexInfo(this.iface.strings[id]!);
    if (ix === -2) return false;
    row.iface = this.iface.strings[id]!;
    row.ifaceSrc = this.iface;
    row.ifaceId = id;
    row.ifaceGen = this.iface.gen;
    row.ifindex = ix < 0 ? null : ix;
    return true;
  }

  setFunc(row: FastRow, buf: Uint8Array, s: number, e: number, json: boolean): boolean {
    const t = json ? this.jsonFunc : this.func;
    const id = t.intern(buf, s, e);
    if (id < 0) return false;
    let f = t.info[id];
    if (f === undefined) t.info[id] = f = funcInfo(t.strings[id]!, json);
    if (f.dropCode !== null && f.dropCode > I32) return false;
    row.func = f.func;
    row.funcSrc = t;
    row.funcId = id;
    row.funcGen = t.gen;
    row.dropReason = f.dropReason;
    row.progKind = f.progKind;
    row.dropCode = f.dropCode;
    return true;
  }
}

/** Reader of v1.0.7+ text event lines under a release header without TIME, cb, NETNS NAME, CALLER or TUNNEL. */
export class FastText {
  private hdr: Layout | null = null;
  private fit = false;
  private nTokens = 0;
  private layout = '';
  private readonly ts0 = new Int32Array(MAX_TOKENS);
  private readonly ts1 = new Int32Array(MAX_TOKENS);

  constructor(private readonly str: Strings) {}

  /** Reads the event line buf[s, e) (buf[s] is '0') under `hdr` into `row`; false = give it to the general parser. */
  parse(buf: Uint8Array, s: number, e: number, hdr: Layout, row: FastRow, lineNo: number): boolean {
    if (hdr !== this.hdr) this.configure(hdr);
    if (!this.fit) return false;
    const a = this.ts0, b = this.ts1, n = this.nTokens;
    // Split on runs of blanks only. Every byte of a token is then checked by what reads it (digits, hex, or the
    // interner's printable-ASCII test), so a tab, form feed or UTF-8 byte anywhere declines the line.
    let k = 0;
    let i = s;
    while (i < e) {
      if (buf[i] === SP) { i++; continue; }
      if (k === n) return false;
      a[k] = i;
      do i++; while (i < e && buf[i] !== SP);
      b[k++] = i;
    }
    if (k !== n) return false;
    if (!this.skb(buf, a[0]!, b[0]!, row)) return false;
    const cpu = decimal(buf, a[1]!, b[1]!, 9);
    if (cpu < 0) return false;
    // A bracketed PROCESS is an older era's: the general parser reads those.
    if (buf[a[2]!] === 0x5b || !this.str.setProcess(row, buf, a[2]!, b[2]!)) return false;
    row.cpu = cpu;
    let t = 3;
    row.ktime = -1;
    if (hdr.ts) {
      row.ktime = decimal(buf, a[t]!, b[t]!, 16);
      if (row.ktime < 0) return false;
      t++;
    }
    if (hdr.meta) {
      if (!this.meta(buf, t, row)) return false;
      t += 6;
    } else {
      row.netns = row.mark = row.ifindex = row.proto = row.mtu = row.len = row.iface = null;
      row.ifaceSrc = null;
    }
    // The general parser takes a cb-shaped token (`[0x…`) here even without a cb header.
    if (buf[a[t]!] === 0x5b && buf[a[t]! + 1] === 0x30 && buf[a[t]! + 2] === 0x78) return false;
    if (hdr.tuple) {
      if (!this.tuple(buf, a[t]!, b[t]!, row)) return false;
      t++;
    } else {
      row.saddr = row.daddr = row.l4 = row.sport = row.dport = row.l4Proto = row.tcpFlags = null;
      row.saddrSrc = row.daddrSrc = row.l4Src = null;
    }
    if (!this.str.setFunc(row, buf, a[t]!, b[t]!, false)) return false;
    if (hdr.meta) hdr.mark08 = false; // as markPadded() does for a MARK shorter than 8 digits
    row.lineNo = lineNo;
    row.layout = this.layout;
    row.attachment = null;
    row.cb = null;
    row.tunnel = row.caller = null;
    return true;
  }

  private configure(hdr: Layout): void {
    this.hdr = hdr;
    this.fit = hdr.era === 'E' && hdr.order === null && hdr.abs === null && !hdr.cb && hdr.nsNames === 0 && !hdr.caller && !hdr.tunnel;
    this.nTokens = 3 + (hdr.ts ? 1 : 0) + (hdr.meta ? 6 : 0) + (hdr.tuple ? 1 : 0) + 1;
    const l = baseLayout('E');
    l.ts = hdr.ts;
    l.meta = hdr.meta;
    l.tuple = hdr.tuple;
    l.markHdr = hdr.markHdr;
    this.layout = layoutKey(l);
  }

  /** `0x` + 12..16 hex digits, as KPTR_RE, into two uint32 halves. */
  private skb(buf: Uint8Array, s: number, e: number, row: FastRow): boolean {
    const digits = e - s - 2;
    if (digits < 12 || digits > 16 || buf[s] !== 0x30 || buf[s + 1] !== 0x78) return false;
    return hexHalves(buf, s + 2, e, row);
  }

  /** NETNS MARK/x IFACE PROTO MTU LEN from token t on. */
  private meta(buf: Uint8Array, t: number, row: FastRow): boolean {
    const a = this.ts0, b = this.ts1;
    const netns = decimal(buf, a[t]!, b[t]!, 10);
    if (netns < 0 || netns > U32) return false;
    // MARK: %x, shorter than 8 digits (8 could be the %08x pre-release: the general parser decides).
    const ms = a[t + 1]!, me = b[t + 1]!;
    if (me - ms > 7) return false;
    let mark = 0;
    for (let i = ms; i < me; i++) {
      const h = hexVal(buf[i]!);
      if (h < 0) return false;
      mark = mark * 16 + h;
    }
    // An IFACE shaped like PROTO would move the general parser's PROTO anchor.
    if (buf[a[t + 2]!] === 0x30 && buf[a[t + 2]! + 1] === 0x78) return false;
    if (!this.str.setIface(row, buf, a[t + 2]!, b[t + 2]!)) return false;
    const ps = a[t + 3]!;
    if (b[t + 3]! - ps !== 6 || buf[ps] !== 0x30 || buf[ps + 1] !== 0x78) return false;
    let proto = 0;
    for (let i = ps + 2; i < ps + 6; i++) {
      const h = hexVal(buf[i]!);
      if (h < 0) return false;
      proto = proto * 16 + h;
    }
    const mtu = decimal(buf, a[t + 4]!, b[t + 4]!, 9);
    const len = decimal(buf, a[t + 5]!, b[t + 5]!, 9);
    if (mtu < 0 || len < 0) return false;
    row.netns = netns;
    row.mark = mark;
    row.proto = proto;
    row.mtu = mtu;
    row.len = len;
    return true;
  }

  private tuple(buf: Uint8Array, s: number, e: number, row: FastRow): boolean {
    const tt = this.str.tuple;
    const id = tt.intern(buf, s, e);
    if (id < 0) return false;
    let p = tt.info[id];
    if (p === undefined) tt.info[id] = p = tupleParts(tt.strings[id]!);
    if (p === null || p.sport > 0xffff || p.dport > 0xffff) return false;
    row.saddr = p.saddr;
    row.daddr = p.daddr;
    row.sport = p.sport;
    row.dport = p.dport;
    row.l4 = p.l4;
    row.l4Proto = p.l4Proto;
    row.tcpFlags = p.tcpFlags;
    row.saddrSrc = row.daddrSrc = row.l4Src = tt;
    row.saddrId = row.daddrId = row.l4Id = id;
    row.saddrGen = row.daddrGen = row.l4Gen = tt.gen;
    return true;
  }
}

/** 1..16 hex digits buf[s, e) into row.skbHi / row.skbLo. */
function hexHalves(buf: Uint8Array, s: number, e: number, row: FastRow): boolean {
  let hi = 0, lo = 0;
  const split = Math.max(s, e - 8);
  for (let i = s; i < split; i++) {
    const h = hexVal(buf[i]!);
    if (h < 0) return false;
    hi = hi * 16 + h;
  }
  for (let i = split; i < e; i++) {
    const h = hexVal(buf[i]!);
    if (h < 0) return false;
    lo = lo * 16 + h;
  }
  row.skbHi = hi;
  row.skbLo = lo;
  return true;
}

const QUOTE = 0x22, COMMA = 0x2c, COLON = 0x3a, LBRACE = 0x7b, RBRACE = 0x7d, LBRACK = 0x5b, RBRACK = 0x5d;

/** Top-level keys the JSON reader knows; any other key declines (the general parser keeps it as an attachment). */
const KEYS = ['skb', 'cpu', 'process', 'func', 'caller_func', 'time', 'netns', 'mark', 'iface', 'proto', 'mtu', 'len', 'cb', 'tuple', 'tunnel_tuple'] as const;
const [K_SKB, K_CPU, K_PROCESS, K_FUNC, K_CALLER, K_TIME, K_NETNS, K_MARK, K_IFACE, K_PROTO, K_MTU, K_LEN, K_CB, K_TUPLE, K_TUNNEL] = KEYS.map((_, i) => i);
const TUPLE_KEYS = ['saddr', 'daddr', 'sport', 'dport', 'proto', 'flags'] as const;
const [T_SADDR, T_DADDR, T_SPORT, T_DPORT, T_PROTO, T_FLAGS] = TUPLE_KEYS.map((_, i) => i);

/**
 * Keys as they appear, `"name":`, and which key followed which last time. Go writes a struct's fields in one order
 * (zero values left out), so the key after `"cpu":` is nearly always the one seen there before: comparing those
 * few bytes replaces a scan, a hash and a probe. A guess that does not match falls back to the table.
 */
class KeyGuesser {
  private readonly bytes: Uint8Array[];
  /** Per previous key (the last slot: none yet), the key that followed it; -1 unknown. */
  private readonly next: Int8Array;
  private prev: number;
  constructor(names: readonly string[]) {
    this.bytes = names.map((k) => Buffer.from(`"${k}":`, 'latin1'));
    this.next = new Int8Array(names.length + 1).fill(-1);
    this.prev = names.length;
  }
  start(): void {
    this.prev = this.bytes.length;
  }
  /**
   * The guessed key at i, or -1; `end` is set to just after its colon. The key that followed last time first, then
   * the keys after the previous one in struct order (a zero value left out skips one): most differ at their first
   * letter, so a miss costs a compare or two.
   */
  guess(buf: Uint8Array, i: number, e: number): number {
    const prev = this.prev;
    const last = this.next[prev]!;
    if (last >= 0 && this.matches(buf, i, e, last)) return last;
    for (let k = prev === this.bytes.length ? 0 : prev + 1; k < this.bytes.length; k++) {
      if (k !== last && this.matches(buf, i, e, k)) {
        this.next[prev] = k;
        return k;
      }
    }
    return -1;
  }
  private matches(buf: Uint8Array, i: number, e: number, k: number): boolean {
    const kb = this.bytes[k]!, n = kb.length;
    if (i + n > e) return false;
    for (let j = 0; j < n; j++) if (buf[i + j] !== kb[j]) return false;
    this.end = i + n;
    this.prev = k;
    return true;
  }
  end = 0;
  /** A key found the long way: remembered as the one after the previous. */
  learn(k: number): void {
    this.next[this.prev] = k;
    this.prev = k;
  }
}

/** Reader of pwru --output-json lines as Go's encoder writes them: compact, no escapes, integers only. */
export class FastJson {
  private readonly keys = new ByteInterner<number>();
  private readonly tupleKeys = new ByteInterner<number>();
  private readonly guessKey = new KeyGuesser(KEYS);
  private readonly guessTupleKey = new KeyGuesser(TUPLE_KEYS);
  /** Where the last value read ends, and for strings its content range. */
  private at = 0;
  private vs = 0;
  private ve = 0;
  private num = 0;
  // The tuple object's fields, as read.
  private saddr = '';
  private daddr = '';
  /** The addresses' ids in Strings.addr; -1 for an address the tuple left out. */
  private saddrId = -1;
  private daddrId = -1;
  private sport = 0;
  private dport = 0;
  private l4proto = 0;
  private flags: number | null = null;

  constructor(private readonly str: Strings) {
    KEYS.forEach((k, i) => { this.keys.info[this.keys.intern(Buffer.from(k), 0, k.length)] = i; });
    TUPLE_KEYS.forEach((k, i) => { this.tupleKeys.info[this.tupleKeys.intern(Buffer.from(k), 0, k.length)] = i; });
  }

  /** Reads the JSON object buf[s, e) (buf[s] is '{') into `row`; false = give it to the general parser. */
  parse(buf: Uint8Array, s: number, e: number, row: FastRow, lineNo: number): boolean {
    if (e - s < 2 || buf[e - 1] !== RBRACE) return false;
    let seen = 0;
    let cpu = 0;
    let netns = -1, mark = -1, proto = -1, mtu = -1, len = -1;
    let hasIface = false;
    row.process = row.pid = row.caller = row.tunnel = row.cb = null;
    row.ktime = -1;
    row.saddr = row.daddr = row.l4 = row.sport = row.dport = row.l4Proto = row.tcpFlags = null;
    row.procSrc = row.ifaceSrc = row.saddrSrc = row.daddrSrc = row.l4Src = null;
    let i = s + 1;
    const g = this.guessKey;
    g.start();
    for (;;) {
      const key = this.nextKey(g, this.keys, buf, i, e);
      if (key < 0) return false;
      const bit = 1 << key;
      if (seen & bit) return false; // a repeated key: JSON.parse keeps the last one
      seen |= bit;
      i = this.at;
      switch (key) {
        case K_SKB:
          if (!this.string(buf, i, e) || this.ve - this.vs < 3 || this.ve - this.vs > 18 || buf[this.vs] !== 0x30 || buf[this.vs + 1] !== 0x78) return false;
          if (!hexHalves(buf, this.vs + 2, this.ve, row)) return false;
          break;
        case K_CPU: if ((cpu = this.int(buf, i, e, 9)) < 0) return false; break;
        case K_PROCESS: if (!this.string(buf, i, e) || !this.str.setProcess(row, buf, this.vs, this.ve)) return false; break;
        case K_FUNC: if (!this.string(buf, i, e) || !this.str.setFunc(row, buf, this.vs, this.ve, true)) return false; break;
        case K_CALLER:
          if (!this.string(buf, i, e)) return false;
          row.caller = this.str.other.strings[this.str.other.intern(buf, this.vs, this.ve)]!;
          break;
        case K_TIME: if ((row.ktime = this.int(buf, i, e, 16)) < 0) return false; break;
        case K_NETNS: if ((netns = this.int(buf, i, e, 10)) < 0 || netns > U32) return false; break;
        case K_MARK: if ((mark = this.int(buf, i, e, 10)) < 0 || mark > U32) return false; break;
        case K_PROTO: if ((proto = this.int(buf, i, e, 5)) < 0 || proto > 0xffff) return false; break;
        case K_MTU: if ((mtu = this.int(buf, i, e, 10)) < 0 || mtu > U32) return false; break;
        case K_LEN: if ((len = this.int(buf, i, e, 10)) < 0 || len > U32) return false; break;
        case K_IFACE: if (!this.string(buf, i, e) || !this.str.setIface(row, buf, this.vs, this.ve)) return false; hasIface = true; break;
        case K_CB: if (!this.cb(buf, i, e, row)) return false; break;
        case K_TUPLE:
          if (!this.tuple(buf, i, e)) return false;
          row.saddr = this.saddr; row.daddr = this.daddr; row.sport = this.sport; row.dport = this.dport;
          // An address the tuple did not give is '' (no interner id): set as a plain value.
          row.saddrSrc = this.saddrId < 0 ? null : this.str.addr; row.saddrId = this.saddrId;
          row.daddrSrc = this.daddrId < 0 ? null : this.str.addr; row.daddrId = this.daddrId;
          row.saddrGen = row.daddrGen = this.str.addr.gen;
          row.l4Proto = this.l4proto; row.l4 = L4_NAMES[this.l4proto] ?? ''; row.tcpFlags = this.flags;
          break;
        case K_TUNNEL:
          // Go's compact encoding of a tuple without escapes is exactly what JSON.stringify gives back.
          if (!this.tuple(buf, i, e)) return false;
          row.tunnel = this.str.other.strings[this.str.other.intern(buf, i, this.at)]!;
          break;
        default: return false;
      }
      i = this.at;
      if (buf[i] === COMMA) { i++; continue; }
      if (buf[i] === RBRACE && i === e - 1) break;
      return false;
    }
    if (!(seen & 1) || !(seen & (1 << 3))) return false; // no skb or no func: the general parser says why
    row.cpu = cpu;
    // Absent numbers are Go's omitted zeros, but only with --output-meta (iface, netns, mtu or len there).
    if (hasIface || netns >= 0 || mtu >= 0 || len >= 0) {
      row.netns = Math.max(netns, 0); row.mark = Math.max(mark, 0); row.proto = Math.max(proto, 0);
      row.mtu = Math.max(mtu, 0); row.len = Math.max(len, 0);
      if (!hasIface) row.iface = row.ifindex = null;
    } else {
      row.netns = row.mark = row.proto = row.mtu = row.len = row.iface = row.ifindex = null;
      row.ifaceSrc = null;
    }
    row.lineNo = lineNo;
    row.layout = 'J:';
    row.attachment = null;
    return true;
  }

  /** The key at i, the guessed one tried first (see KeyGuesser), this.at after its colon; -1 for anything else. */
  private nextKey(g: KeyGuesser, table: ByteInterner<number>, buf: Uint8Array, i: number, e: number): number {
    const k = g.guess(buf, i, e);
    if (k >= 0) {
      this.at = g.end;
      return k;
    }
    const found = this.key(table, buf, i, e);
    if (found >= 0) g.learn(found);
    return found;
  }

  /** `"key":` at i → key index, this.at after the colon; -1 for an unknown key or anything else. */
  private key(keys: ByteInterner<number>, buf: Uint8Array, i: number, e: number): number {
    if (!this.string(buf, i, e) || buf[this.at] !== COLON) return -1;
    const id = keys.find(buf, this.vs, this.ve);
    this.at++;
    return id < 0 ? -1 : keys.info[id]!;
  }

  /** A string without escapes, control or non-ASCII bytes at i → its content in vs/ve, this.at after it. */
  private string(buf: Uint8Array, i: number, e: number): boolean {
    if (buf[i] !== QUOTE) return false;
    let j = i + 1;
    for (; j < e; j++) {
      const c = buf[j]!;
      if (c === QUOTE) break;
      if (c < SP || c > 0x7e || c === 0x5c) return false;
    }
    if (j >= e) return false;
    this.vs = i + 1;
    this.ve = j;
    this.at = j + 1;
    return true;
  }

  /** A non-negative JSON integer (no sign, fraction, exponent or leading zero) of at most maxDigits; -1 otherwise. */
  private int(buf: Uint8Array, i: number, e: number, maxDigits: number): number {
    // One pass: the value as the digits go by (exact while at most 16 digits: below 2^53 is checked at the end).
    let j = i, v = 0;
    for (; j < e; j++) {
      const d = buf[j]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (j === i || j - i > maxDigits || (buf[i] === 0x30 && j - i > 1)) return -1;
    const c = buf[j];
    if (c !== COMMA && c !== RBRACE && c !== RBRACK) return -1;
    this.at = j;
    return v <= Number.MAX_SAFE_INTEGER ? v : -1;
  }

  /** `[a,b,c,d,e]` of uint32s. */
  private cb(buf: Uint8Array, i: number, e: number, row: FastRow): boolean {
    if (buf[i] !== LBRACK) return false;
    i++;
    for (let k = 0; k < 5; k++) {
      const v = this.int(buf, i, e, 10);
      if (v < 0 || v > U32) return false;
      row.cbBuf[k] = v;
      i = this.at;
      if (buf[i] !== (k === 4 ? RBRACK : COMMA)) return false;
      i++;
    }
    this.at = i;
    row.cb = row.cbBuf;
    return true;
  }

  /** A pwru tuple object `{"saddr":…,…}` (each key at most once) into the tuple fields. */
  private tuple(buf: Uint8Array, i: number, e: number): boolean {
    if (buf[i] !== LBRACE) return false;
    this.saddr = this.daddr = '';
    this.saddrId = this.daddrId = -1;
    this.sport = this.dport = this.l4proto = 0;
    this.flags = null;
    i++;
    if (buf[i] === RBRACE) { this.at = i + 1; return true; }
    let seen = 0;
    const g = this.guessTupleKey;
    g.start();
    for (;;) {
      const k = this.nextKey(g, this.tupleKeys, buf, i, e);
      if (k < 0 || (seen & (1 << k))) return false;
      seen |= 1 << k;
      i = this.at;
      if (k === T_SADDR || k === T_DADDR || k === T_FLAGS) {
        if (!this.string(buf, i, e)) return false;
        const t = k === T_FLAGS ? this.str.flags : this.str.addr;
        const id = t.intern(buf, this.vs, this.ve);
        if (k === T_FLAGS) {
          let f = this.str.flags.info[id];
          if (f === undefined) this.str.flags.info[id] = f = this.ve > this.vs ? tcpFlagsFromNames(this.str.flags.strings[id]!) : -1;
          if (f === null) return false; // an unknown flag name: the general parser rejects the line
          this.flags = f < 0 ? null : f;
        } else {
          let a = this.str.addr.info[id];
          if (a === undefined) {
            const raw = this.str.addr.strings[id]!;
            this.str.addr.info[id] = a = raw.startsWith('[') ? raw.slice(1, -1) : raw;
          }
          if (k === T_SADDR) { this.saddr = a; this.saddrId = id; } else { this.daddr = a; this.daddrId = id; }
        }
      } else {
        const v = this.int(buf, i, e, 5);
        if (v < 0 || v > (k === T_PROTO ? 0xff : 0xffff)) return false;
        if (k === T_SPORT) this.sport = v; else if (k === T_DPORT) this.dport = v; else this.l4proto = v;
      }
      i = this.at;
      if (buf[i] === COMMA) { i++; continue; }
      if (buf[i] === RBRACE) { this.at = i + 1; return true; }
      return false;
    }
  }
}

/** Both readers over one set of interned strings (`maxEntries` per column: tests make it tiny to force clears). */
export function fastReaders(maxEntries?: number): { text: FastText; json: FastJson } {
  const s = new Strings(maxEntries);
  return { text: new FastText(s), json: new FastJson(s) };
}
