// The one --flow filter language of paths, diff, check (its `flow:` key) and replay: a pcap-like expression parsed
// once into a tree, then compiled to a SQL predicate over the `track_flow` view (queries/views/45_track_flow.sql)
// whose values are all bound `$name` parameters. Loads no DuckDB (help texts import FLOW_HELP from here).
//
// A hand-written tokenizer and recursive-descent parser rather than a parser library: the grammar is a dozen
// words and three precedence levels, and the hand-written parser gives the error messages we want (the word and
// its position, what was expected there) without a second grammar notation to learn.
import ipaddr from 'ipaddr.js';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Analysis } from './loader.js';
import { UserError } from '../errors.js';
import { dropReasonName } from '../capture/vocabulary.js';

/** The grammar in one line, for --help texts. The README states it once, in full. */
export const FLOW_HELP =
  "pcap-like: [src|dst] host ADDR | net CIDR | port N | identity N|LABEL (id) | endpoint N; tcp|udp|icmp|icmp6|sctp; " +
  'verdict V, func NAME, reason NAME, iface NAME, netns N, node NAME; joined by and/or/not (&& || !) and parentheses';

export type Dir = 'src' | 'dst' | 'any';
export type Term =
  | { kind: 'addr'; dir: Dir; family: 4 | 6; lo: bigint; hi: bigint; text: string }
  | { kind: 'port'; dir: Dir; port: number }
  | { kind: 'l4'; proto: string }
  | { kind: 'identity'; dir: Dir; id: number }
  /** `identity k8s:app=client` (or `app=client`, any source): the side's identity carries that label. */
  | { kind: 'label'; dir: Dir; label: string }
  | { kind: 'endpoint'; dir: Dir; id: number }
  | { kind: 'verdict'; verdict: string }
  | { kind: 'func'; name: string }
  | { kind: 'reason'; name: string }
  | { kind: 'iface'; name: string }
  | { kind: 'netns'; inode: number }
  | { kind: 'node'; name: string };
export type FlowNode =
  | { op: 'and' | 'or'; left: FlowNode; right: FlowNode }
  | { op: 'not'; arg: FlowNode }
  | { op: 'term'; term: Term; pos: number };

export const PROTOS = ['tcp', 'udp', 'icmp', 'icmp6', 'sctp'] as const;
/** skb_tracks' verdict vocabulary (queries/views/20_skb_tracks.sql). */
export const VERDICTS = ['delivered', 'transmitted', 'dropped', 'consumed', 'redirected', 'unknown'] as const;
const EXPECTED = "host, net, port, identity, endpoint, tcp, udp, icmp, icmp6, sctp, verdict, func, reason, iface, netns, node, src, dst, not or '('";

// ---------------------------------------------------------------------------------------------------------------
// Tokens

interface Token { text: string; pos: number }

function tokenize(text: string, fail: (msg: string) => never): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(&&|\|\||[()!])|([^\s()!&|]+)|(\S))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const tok = m[1] ?? m[2] ?? m[3];
    if (tok === undefined) break; // trailing blanks
    const pos = m.index + m[0].length - tok.length + 1;
    if (m[3] !== undefined) fail(`unexpected '${tok}' at position ${pos} (and/or are 'and', '&&', 'or', '||')`);
    out.push({ text: tok, pos });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

export interface ParseContext {
  /** How the filter is named in messages: `--flow`, or `flow:` in a rules file. */
  label?: string;
  /** The UserError's `where` (a file:line); none for a command-line flag (the label names it). */
  where?: string;
}

/** The filter as a tree; null for an empty filter (every track). Bad input is a UserError naming word and position. */
// Kept whole although long (about 110 lines): a recursive-descent parser whose inner functions are the grammar's
// rules (or, and, not, primary, qualifiers) over one token cursor; apart they would need that cursor passed around.
export function parseFlow(text: string | undefined, ctx: ParseContext = {}): FlowNode | null {
  const label = ctx.label ?? '--flow';
  const fail = (msg: string): never => { throw new UserError(`${label}: ${msg}`, ctx.where); };
  if (text === undefined || text.trim() === '') return null;
  const toks = tokenize(text, fail);
  let i = 0;
  const peek = () => toks[i];
  const low = (t: Token | undefined) => t?.text.toLowerCase();
  const endPos = text.length + 1;

  /** The value after a keyword; `what` says what it should be. */
  const value = (kw: Token, what: string): Token => {
    const t = toks[i];
    if (t === undefined || ['(', ')', '!', '&&', '||'].includes(t.text)) {
      fail(`'${kw.text}' wants ${what} at position ${t?.pos ?? endPos}, found ${t ? `'${t.text}'` : 'the end'}`);
    }
    i++;
    return t!;
  };
  const number = (kw: Token, max: number, what: string): number => {
    const t = value(kw, what);
    if (!/^\d+$/.test(t.text) || Number(t.text) > max) fail(`'${kw.text}' wants ${what}, not '${t.text}' at position ${t.pos}`);
    return Number(t.text);
  };

  const term = (dir: Dir, kw: Token): Term => {
    const w = kw.text.toLowerCase();
    switch (w) {
      case 'host': return address(value(kw, 'an IPv4 or IPv6 address'), dir, false, fail);
      case 'net': return address(value(kw, 'a CIDR like 10.244.2.0/24 or fd00::/64'), dir, true, fail);
      case 'port': return { kind: 'port', dir, port: number(kw, 65535, 'a port number 0-65535') };
      case 'identity': case 'id': {
        const t = toks[i];
        // A label (`k8s:app=client`, `app=client`, `reserved:host`) rather than a number: named by the identity snapshots.
        if (t !== undefined && !/^\d+$/.test(t.text) && /^([\w.-]+:)?[\w./-]+(=\S*)?$/.test(t.text) && (t.text.includes(':') || t.text.includes('='))) {
          i++;
          return { kind: 'label', dir, label: t.text };
        }
        return { kind: 'identity', dir, id: number(kw, 0xffffffff, 'a numeric Cilium identity or a label like k8s:app=client') };
      }
      case 'endpoint': return { kind: 'endpoint', dir, id: number(kw, 0xffff, 'a numeric Cilium endpoint id') };
    }
    if (dir !== 'any') {
      // `src 10.0.0.1` is pcap's short form of `src host 10.0.0.1`.
      if (ipaddr.isValid(kw.text) || /^[\d.]+$/.test(kw.text)) return address(kw, dir, kw.text.includes('/'), fail);
      return fail(`'${dir}' wants host, net, port, identity, endpoint or an address after it, not '${kw.text}' at position ${kw.pos}`);
    }
    if ((PROTOS as readonly string[]).includes(w)) return { kind: 'l4', proto: w };
    switch (w) {
      case 'proto': {
        const t = value(kw, `one of ${PROTOS.join(', ')}`);
        const p = t.text.toLowerCase();
        if (!(PROTOS as readonly string[]).includes(p)) fail(`'proto' wants one of ${PROTOS.join(', ')}, not '${t.text}' at position ${t.pos}`);
        return { kind: 'l4', proto: p };
      }
      // Older words that map cleanly: dport N = dst port N, sport N = src port N.
      case 'dport': return { kind: 'port', dir: 'dst', port: number(kw, 65535, 'a port number 0-65535') };
      case 'sport': return { kind: 'port', dir: 'src', port: number(kw, 65535, 'a port number 0-65535') };
      case 'verdict': {
        const t = value(kw, `one of ${VERDICTS.join(', ')}`);
        const v = t.text.toLowerCase();
        if (!(VERDICTS as readonly string[]).includes(v)) fail(`'verdict' wants one of ${VERDICTS.join(', ')}, not '${t.text}' at position ${t.pos}`);
        return { kind: 'verdict', verdict: v };
      }
      case 'func': return { kind: 'func', name: value(kw, 'a kernel function name').text };
      case 'reason': return { kind: 'reason', name: dropReasonName(value(kw, 'a drop reason like NETFILTER_DROP').text) };
      case 'iface': return { kind: 'iface', name: value(kw, 'a device name or ifindex').text };
      case 'netns': return { kind: 'netns', inode: number(kw, 0xffffffff, 'a netns inode number') };
      // The capture's node (--node, else the recording host): one node of a fleet's captures.
      case 'node': return { kind: 'node', name: value(kw, 'a node name').text };
      case 'flow':
        return fail(`'flow' (a diff flow-key pattern) is not a filter word at position ${kw.pos}; say what it matches, e.g. 'dst port 80 and tcp'`);
    }
    return fail(`unknown word '${kw.text}' at position ${kw.pos}; expected ${EXPECTED}`);
  };

  const primary = (): FlowNode => {
    const t = peek();
    if (t === undefined) return fail(`expected a term at position ${endPos}, found the end; expected ${EXPECTED}`);
    i++;
    if (t.text === '(') {
      const e = orExpr();
      const c = peek();
      if (c?.text !== ')') fail(`unmatched '(' at position ${t.pos}${c ? `: expected ')' at position ${c.pos}, not '${c.text}'` : ''}`);
      i++;
      return e;
    }
    const w = t.text.toLowerCase();
    if ([')', 'and', 'or', '&&', '||'].includes(w)) fail(`expected a term at position ${t.pos}, not '${t.text}'; expected ${EXPECTED}`);
    if (w === 'src' || w === 'dst') {
      const kw = peek();
      if (kw === undefined) fail(`'${w}' wants host, net, port, identity, endpoint or an address at position ${endPos}, found the end`);
      i++;
      return { op: 'term', term: term(w, kw!), pos: t.pos };
    }
    return { op: 'term', term: term('any', t), pos: t.pos };
  };
  const unary = (): FlowNode => {
    const w = low(peek());
    if (w === 'not' || w === '!') { i++; return { op: 'not', arg: unary() }; }
    return primary();
  };
  // Terms side by side are joined by `and` (`tcp port 80`, and the old `dport 80 tcp`).
  const startsTerm = (t: Token | undefined) => t !== undefined && ![')', 'or', '||', 'and', '&&'].includes(t.text.toLowerCase());
  const andExpr = (): FlowNode => {
    let left = unary();
    for (;;) {
      const w = low(peek());
      if (w === 'and' || w === '&&') i++;
      else if (!startsTerm(peek())) return left;
      left = { op: 'and', left, right: unary() };
    }
  };
  const orExpr = (): FlowNode => {
    let left = andExpr();
    while (low(peek()) === 'or' || low(peek()) === '||') { i++; left = { op: 'or', left, right: andExpr() }; }
    return left;
  };

  const tree = orExpr();
  const rest = peek();
  if (rest !== undefined) fail(`unexpected '${rest.text}' at position ${rest.pos}`);
  return tree;
}

/** host ADDR / net CIDR as a numeric range of one family (ipaddr.js parses; IPv4 only in dotted-quad form). */
function address(t: Token, dir: Dir, cidr: boolean, fail: (m: string) => never): Term {
  const s = t.text.replace(/^\[(.*)\]$/, '$1');
  const [ip, bits] = s.split('/', 2) as [string, string | undefined];
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(ip);
  if (!v4 && !ipaddr.IPv6.isValid(ip)) fail(`'${t.text}' is not an ${cidr ? 'IPv4 or IPv6 network (CIDR)' : 'IPv4 or IPv6 address'} at position ${t.pos}`);
  if (bits !== undefined && !cidr) fail(`'${t.text}' is a network at position ${t.pos}; write 'net ${t.text}'`);
  const addr = ipaddr.parse(ip);
  const width = v4 ? 32 : 128;
  const len = bits === undefined ? width : /^\d+$/.test(bits) && Number(bits) <= width ? Number(bits) : fail(`'${t.text}': the prefix length wants 0-${width} at position ${t.pos}`);
  const value = addr.toByteArray().reduce((a, b) => (a << 8n) | BigInt(b), 0n);
  const host = (1n << BigInt(width - len)) - 1n;
  const lo = value & ~host;
  if (lo !== value) {
    const net = ipaddr.fromByteArray(bigToBytes(lo, width / 8)).toString();
    fail(`'${t.text}' has bits set beyond its /${len} prefix at position ${t.pos}; did you mean ${net}/${len}?`);
  }
  return { kind: 'addr', dir, family: v4 ? 4 : 6, lo, hi: lo | host, text: t.text };
}

function bigToBytes(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(i * 8)) & 0xffn));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

export interface CompiledFlow {
  /** The filter as given (null: no filter). */
  text: string | null;
  /** A boolean SQL expression over track_flow's columns; only `$<prefix>N` parameters carry values. */
  sql: string;
  params: Record<string, DuckDBValue>;
}

/**
 * The tree as SQL over track_flow. Each term is coalesced to false, so that a lifetime without a tuple (or an
 * identity, an endpoint) does not match `port 80` and does match `not port 80`, as in pcap.
 */
export function compileFlow(node: FlowNode | null, text: string | null = null, prefix = 'f'): CompiledFlow {
  const params: Record<string, DuckDBValue> = {};
  let n = 0;
  const p = (v: DuckDBValue) => { const name = `${prefix}${n++}`; params[name] = v; return `$${name}`; };
  const sides = (dir: Dir, f: (side: 's' | 'd') => string) =>
    dir === 'src' ? f('s') : dir === 'dst' ? f('d') : `(${f('s')} OR ${f('d')})`;
  const term = (t: Term): string => {
    switch (t.kind) {
      case 'addr': {
        const fam = p(t.family), lo = p(t.lo.toString()), hi = p(t.hi.toString());
        return sides(t.dir, (s) => `(${s}_family = ${fam} AND ${s}_value BETWEEN ${lo}::UHUGEINT AND ${hi}::UHUGEINT)`);
      }
      case 'port': { const x = p(t.port); return sides(t.dir, (s) => `${s}port = ${x}`); }
      case 'l4': return `l4 = ${p(t.proto)}`;
      case 'identity': { const x = p(t.id); return sides(t.dir, (s) => `${s}_identity = ${x}`); }
      case 'label': {
        // Without a `source:` the label matches in any source (`app=client` is `k8s:app=client`). A reserved
        // identity is named by Cilium's fixed table even when no identity snapshot was taken.
        const x = p(t.label), anySource = p(!t.label.includes(':'));
        return sides(t.dir, (s) => `(${s}_identity IN (SELECT l.identity FROM identity_labels l WHERE l.capture = track_flow.capture ` +
          `AND (l.label = ${x} OR (${anySource} AND substr(l.label, strpos(l.label, ':') + 1) = ${x}))) OR cilium_reserved_label(${s}_identity) = ${x})`);
      }
      case 'endpoint': { const x = p(t.id); return sides(t.dir, (s) => `${s}_endpoint = ${x}`); }
      case 'verdict': return `verdict = ${p(t.verdict)}`;
      case 'func': { const x = p(t.name); return `(list_contains(funcs, ${x}) OR list_contains(func_bases, ${x}))`; }
      case 'reason': return `drop_reason = ${p(t.name)}`;
      case 'iface': { const x = p(t.name); return `list_contains(iface_keys, ${x})`; }
      case 'netns': return `list_contains(netns, ${p(t.inode)})`;
      case 'node': return `node = ${p(t.name)}`;
    }
  };
  const walk = (x: FlowNode): string =>
    x.op === 'term' ? `coalesce(${term(x.term)}, false)`
    : x.op === 'not' ? `(NOT ${walk(x.arg)})`
    : `(${walk(x.left)} ${x.op.toUpperCase()} ${walk(x.right)})`;
  return { text, sql: node === null ? 'true' : walk(node), params };
}

/** parseFlow then compileFlow. */
export function flowFilter(text: string | undefined, ctx: ParseContext = {}, prefix = 'f'): CompiledFlow {
  const t = text === undefined || text.trim() === '' ? null : text;
  return compileFlow(parseFlow(text, ctx), t, prefix);
}

/**
 * Fills the temp table `flow_match` (capture, skb, track_no: the lifetimes the filter keeps) that paths, diff, check
 * and replay queries join against, and returns how many lifetimes each loaded capture kept.
 */
export async function applyFlow(an: Analysis, f: CompiledFlow): Promise<Map<string, number>> {
  await an.run(`CREATE OR REPLACE TEMP TABLE flow_match AS SELECT capture, skb, track_no FROM track_flow WHERE ${f.sql}`, f.params);
  const rows = await an.run('SELECT capture, count(*) AS n FROM flow_match GROUP BY capture');
  const counts = new Map(an.captureIds.map((id) => [id, 0]));
  for (const r of rows) counts.set(String(r['capture']), Number(r['n']));
  return counts;
}

/** The warning for a filter that kept nothing: `--flow 'port 443' matched nothing in cap`. */
export const emptyFlowWarning = (text: string, where: string) => `--flow '${text}' matched nothing in ${where}`;
