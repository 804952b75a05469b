// Renders events back into pwru's own layout (the era and columns each was recorded with), or pwru's JSON.
// Replay prints only what these functions build from stored fields: the capture keeps no copy of the text,
// so a token-exact replay proves the parse kept everything. Go verbs are ported from PWRU_FORMATS.md §2–§5.
import type { PwruEvent } from '../capture/event-schema.js';
import { parseLayoutKey, type ColumnId, type Layout } from '../capture/layout.js';
import { tcpFlagNames } from '../capture/vocabulary.js';

const padL = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
const padR = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
/** pwru's centerAlignString: left pad = (w-len)/2, right pad = the rest. */
export const centre = (s: string, w: number) => {
  if (s.length >= w) return s;
  const left = Math.floor((w - s.length) / 2);
  return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
};
const hex = (n: number | bigint) => n.toString(16);
const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a);

/** FUNC column text: symbol + drop reason / unknown reason code + (tc)/(xdp). */
export function funcText(e: Pick<PwruEvent, 'func' | 'dropReason' | 'dropCode' | 'progKind'>): string {
  let f = e.func;
  if (e.dropReason !== null) f += `(${e.dropReason})`;
  if (e.dropCode !== null) f += ` (${e.dropCode})`;
  if (e.progKind !== null) f += `(${e.progKind})`;
  return f;
}

export function tupleText(e: PwruEvent): string {
  const flags = e.tcpFlags ? `:${tcpFlagNames(e.tcpFlags)}` : '';
  return `${bracket(e.saddr ?? '')}:${e.sport ?? 0}->${bracket(e.daddr ?? '')}:${e.dport ?? 0}(${e.l4 ?? ''}${flags})`;
}

/** Running widths pwru keeps for the whole run (tuple and, with --output-caller, FUNC). */
export interface RenderState { maxTuple: number; maxFunc: number }
export const newRenderState = (): RenderState => ({ maxTuple: 0, maxFunc: 0 });

export function renderHeader(l: Layout): string | null {
  switch (l.era) {
    case 'J': return null;
    case 'A': return `${padL('SKB', 18)} ${padL('PROCESS', l.narrowProcess ? 15 : 16)} ${padL('FUNC', 24)} ${padL('TIMESTAMP', 16)}`;
    case 'C': {
      let h = l.abs ? `${padL('TIME', 12)} ` : '';
      h += `${padL('SKB', 18)} ${padL('CPU', 6)} ${padL('PROCESS', 16)} ${padL('FUNC', 24)}`;
      if (l.ts) h += ` ${padL('TIMESTAMP', 16)}`;
      return h;
    }
    case 'E': {
      if (l.order) return l.order.map((c) => headerName(c, l)).join(' ');
      let h = l.abs === 'iso' ? `${padR('TIME', 23)} ` : l.abs ? `${padR('TIME', 12)} ` : '';
      h += `${padR('SKB', 18)} ${padR('CPU', 3)} ${padR('PROCESS', 16)}`;
      if (l.ts) h += ` ${padR('TIMESTAMP', 16)}`;
      if (l.meta) h += ` ${padR('NETNS', 10)} ${padR(l.markHdr ? 'MARK' : 'MARK/x', 8)} ${centre('IFACE', 16)} ${padR('PROTO', 6)} ${padR('MTU', 5)} ${padR('LEN', 5)}`;
      if (l.cb) h += ` ${padR('__sk_buff->cb[]', 56)}`;
      if (l.nsNames) h += centre('NETNS NAME', l.nsNames);
      if (l.tuple) h += ' TUPLE';
      h += ' FUNC';
      if (l.caller) h += ' CALLER';
      if (l.tunnel) h += ' TUNNEL';
      return h;
    }
  }
}

const HEADER_NAMES: Record<ColumnId, string> = {
  time: 'TIME', skb: 'SKB', cpu: 'CPU', process: 'PROCESS', ts: 'TIMESTAMP', netns: 'NETNS', mark: 'MARK/x', iface: 'IFACE',
  proto: 'PROTO', mtu: 'MTU', len: 'LEN', cb: '__sk_buff->cb[]', tuple: 'TUPLE', func: 'FUNC', caller: 'CALLER', tunnel: 'TUNNEL',
};
const headerName = (c: ColumnId, l: Layout) => (c === 'mark' && l.markHdr ? 'MARK' : HEADER_NAMES[c]);

/** MARK as printed: `%x`, or `%08x` in the PR #376 pre-release. */
const markText = (e: PwruEvent, l: Layout) => (l.mark08 ? hex(e.mark ?? 0).padStart(8, '0') : hex(e.mark ?? 0));
const cbText = (e: PwruEvent) => `[${(e.cb ?? [0, 0, 0, 0, 0]).map((v) => `0x${v.toString(16).toUpperCase().padStart(8, '0')}`).join(',')}]`;

/** An event line under a header-given column order: each column in v1.0.7+ format, in that order. */
function renderByOrder(e: PwruEvent, l: Layout, st: RenderState): string {
  const out: string[] = [];
  for (const c of l.order!) {
    switch (c) {
      case 'time': out.push(padR(e.absTime ?? '', l.abs === 'iso' ? 23 : 12)); break;
      case 'skb': out.push(padR(`0x${hex(e.skb)}`, 18)); break;
      case 'cpu': out.push(padR(String(e.cpu ?? 0), 3)); break;
      case 'process': out.push(padR(e.process ?? '', 16)); break;
      case 'ts': out.push(padR(String(e.ktime ?? 0n), 16)); break;
      case 'netns': out.push(padR(String(e.netns ?? 0), 10)); break;
      case 'mark': out.push(padR(markText(e, l), 8)); break;
      case 'iface': out.push(centre(e.iface ?? '0', 16)); break;
      case 'proto': out.push(`0x${hex(e.proto ?? 0).padStart(4, '0')}`); break;
      case 'mtu': out.push(padR(String(e.mtu ?? 0), 5)); break;
      case 'len': out.push(padR(String(e.len ?? 0), 5)); break;
      case 'cb': out.push(cbText(e)); break;
      case 'tuple': {
        const t = tupleText(e);
        if (t.length > st.maxTuple) st.maxTuple = t.length;
        out.push(padR(t, st.maxTuple));
        break;
      }
      case 'func': out.push(funcText(e)); break;
      case 'caller': out.push(e.caller ?? ''); break;
      case 'tunnel': out.push(e.tunnel ?? ''); break;
    }
  }
  if (e.metaKv !== null) out.push(e.metaKv);
  if (e.note !== null) out.push(e.note);
  return withAttachments(out.join(' '), e);
}

function kvMeta(e: PwruEvent, l: Layout): string {
  let s = '';
  if (l.kvNetns) s += ` netns=${e.netns ?? 0}`;
  s += ` mark=0x${hex(e.mark ?? 0)}`;
  s += l.kvIface ? ` iface=${e.iface ?? ''}` : ` ifindex=${e.ifindex ?? 0}`;
  const p = e.proto ?? 0;
  s += l.protoRaw ? ` proto=${hex(((p & 0xff) << 8) | (p >> 8))}` : ` proto=0x${hex(p).padStart(4, '0')}`;
  s += ` mtu=${e.mtu ?? 0} len=${e.len ?? 0}`;
  return s;
}

function withAttachments(first: string, e: PwruEvent): string {
  let out = first;
  if (e.attachment !== null) out += `\n${e.attachment}`;
  return out;
}

/** One event in its recorded text layout (possibly several physical lines). */
export function renderText(e: PwruEvent, st: RenderState): string {
  const l = parseLayoutKey(e.layout);
  if (l.era === 'J') return renderJson(e);
  const proc = e.process ?? '';
  if (l.era === 'A' || l.era === 'C') {
    let s = l.abs && e.absTime !== null ? `${padL(e.absTime, 12)} ` : '';
    s += padL(`0x${hex(e.skb)}`, 18);
    if (l.era === 'C') s += ` ${padL(String(e.cpu ?? 0), 6)}`;
    s += ` ${padL(`[${proc}]`, l.era === 'A' && l.narrowProcess ? 15 : 16)} ${padL(funcText(e), 24)}`;
    if (l.ts) s += ` ${padL(String(e.ktime ?? 0n), 16)}`;
    if (l.meta) s += kvMeta(e, l);
    if (l.tuple) s += ` ${tupleText(e)}`;
    if (e.note !== null) s += ` ${e.note}`;
    return withAttachments(s, e);
  }
  if (l.order) return renderByOrder(e, l, st);
  let s = '';
  if (l.abs) s += `${padR(e.absTime ?? '', l.abs === 'iso' ? 23 : 12)} `;
  s += `${padR(`0x${hex(e.skb)}`, 18)} ${padR(String(e.cpu ?? 0), 3)} ${padR(proc, 16)}`;
  if (l.ts) s += ` ${padR(String(e.ktime ?? 0n), 16)}`;
  if (l.meta) {
    s += ` ${padR(String(e.netns ?? 0), 10)} ${padR(markText(e, l), 8)} ${centre(e.iface ?? '0', 16)}`;
    s += ` 0x${hex(e.proto ?? 0).padStart(4, '0')} ${padR(String(e.mtu ?? 0), 5)} ${padR(String(e.len ?? 0), 5)}`;
  }
  if (l.cb) s += ` ${cbText(e)}`;
  if (l.nsNames) s += centre(e.netnsName ?? '', l.nsNames);
  if (l.tuple) {
    const t = tupleText(e);
    if (t.length > st.maxTuple) st.maxTuple = t.length;
    s += ` ${padR(t, st.maxTuple)}`;
  }
  const f = funcText(e);
  if (l.caller || e.caller !== null) {
    if (f.length > st.maxFunc) st.maxFunc = f.length;
    s += ` ${padR(f, st.maxFunc)} ${e.caller ?? ''}`;
  } else s += ` ${f}`;
  if (e.metaKv !== null) s += ` ${e.metaKv}`;
  if (e.note !== null) s += ` ${e.note}`;
  s = withAttachments(s, e);
  if (e.tunnel !== null) s += ` ${e.tunnel}`;
  return s;
}

/** pwru's --output-json object for one event: struct field order, omitempty on zero values. */
export function renderJson(e: PwruEvent): string {
  const parts: string[] = [];
  const put = (k: string, v: string) => parts.push(`${JSON.stringify(k)}:${v}`);
  put('skb', JSON.stringify(`0x${hex(e.skb)}`));
  if (e.cpu) put('cpu', String(e.cpu));
  if (e.process) put('process', JSON.stringify(e.process));
  put('func', JSON.stringify(funcText(e)));
  if (e.caller) put('caller_func', JSON.stringify(e.caller));
  if (e.ktime !== null && e.ktime !== 0n) put('time', e.ktime.toString());
  else if (e.absTime) put('time', JSON.stringify(e.absTime));
  if (e.netns) put('netns', String(e.netns));
  if (e.netnsName) put('netns_name', JSON.stringify(e.netnsName));
  if (e.mark) put('mark', String(e.mark));
  if (e.iface !== null) put('iface', JSON.stringify(e.iface));
  if (e.proto) put('proto', String(e.proto));
  if (e.mtu) put('mtu', String(e.mtu));
  if (e.len) put('len', String(e.len));
  if (e.cb) put('cb', `[${e.cb.join(',')}]`);
  if (e.sport !== null && e.layout === 'J:tuplestr') put('tuple', JSON.stringify(tupleText(e)));
  else if (e.sport !== null) {
    const t: string[] = [];
    if (e.saddr) t.push(`"saddr":${JSON.stringify(bracket(e.saddr))}`);
    if (e.daddr) t.push(`"daddr":${JSON.stringify(bracket(e.daddr))}`);
    if (e.sport) t.push(`"sport":${e.sport}`);
    if (e.dport) t.push(`"dport":${e.dport}`);
    const p = e.l4Proto ?? 0;
    if (p) t.push(`"proto":${p}`);
    if (e.tcpFlags) t.push(`"flags":${JSON.stringify(tcpFlagNames(e.tcpFlags))}`);
    put('tuple', `{${t.join(',')}}`);
  }
  if (e.tunnel !== null) put('tunnel_tuple', e.tunnel);
  if (e.jsonStack !== null) put('stack', JSON.stringify(e.jsonStack));
  if (e.jsonSkbMetadata !== null) {
    const [skbMeta, shinfo] = e.jsonSkbMetadata.split('\u0000');
    if (skbMeta) put('skb_metadata', JSON.stringify(skbMeta));
    if (shinfo !== undefined) parts.splice(1, 0, `"skb_shared_info":${JSON.stringify(shinfo)}`);
  }
  // For JSON events the attachment holds keys this version of skbtape does not know; text continuation lines
  // (stack frames, dumps) have no faithful JSON place and are left out.
  if (e.attachment && e.layout.startsWith('J:')) {
    const extra = JSON.parse(e.attachment) as Record<string, unknown>;
    for (const [k, v] of Object.entries(extra)) put(k, JSON.stringify(v));
  }
  return `{${parts.join(',')}}`;
}
