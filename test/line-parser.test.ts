// The line parser against real pwru outputs (../shared/real, the seed) and hand-made lines for eras without a
// real paste. Round trips go through the real renderer: parse → render must give back the same tokens.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Parsed } from '../src/capture/parsed.js';
import { KPTR_RE, newParserState, parseHeader, parseLine } from '../src/ingest/line-parser.js';
import { newRenderState, renderHeader, renderText, renderJson } from '../src/render/pwru-layout.js';
import { parseLayoutKey } from '../src/capture/layout.js';
import type { PwruEvent } from '../src/capture/event-schema.js';
import { realFiles, SEED, readLines, ROOT } from './helpers/real.js';

function parseAll(lines: string[]): { parsed: Parsed[]; events: PwruEvent[] } {
  const st = newParserState();
  const parsed: Parsed[] = [];
  const events: PwruEvent[] = [];
  lines.forEach((l, i) => {
    const p = parseLine(l, i + 1, st);
    parsed.push(p);
    if (p.kind === 'event') events.push(p.event);
    else if (p.kind === 'continuation') {
      const e = events.at(-1)!;
      e.attachment = e.attachment === null ? p.text : `${e.attachment}\n${p.text}`;
    }
  });
  return { parsed, events };
}

const one = (line: string, hdr?: string): PwruEvent => {
  const { parsed } = parseAll(hdr ? [hdr, line] : [line]);
  const p = parsed.at(-1)!;
  if (p.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(p)}`);
  return p.event;
};
const norm = (s: string) => s.trim().split(/\s+/).join(' ');
const isEventLine = (l: string) => /^\s*0x[0-9a-fA-F]+\s/.test(l);

describe('real pwru outputs round-trip token for token', () => {
  const files = realFiles('pwru-');
  it.skipIf(files.length === 0)('every event line of every real file comes back from its fields', () => {
    let checked = 0;
    for (const f of files) {
      const lines = readLines(f);
      const { events } = parseAll(lines);
      const st = newRenderState();
      const got = events.flatMap((e) => renderText(e, st).split('\n')).filter(isEventLine).map(norm);
      const want = lines.filter(isEventLine).map(norm);
      expect(got, f).toEqual(want);
      checked += want.length;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it.skipIf(files.length === 0)('rejects nothing in the real files (none is broken)', () => {
    for (const f of files) {
      const { parsed } = parseAll(readLines(f));
      const rejects = parsed.map((p, i) => [i + 1, p] as const).filter(([, p]) => p.kind === 'reject');
      expect(rejects, f).toEqual([]);
    }
  });
});

describe('the seed (whitespace collapsed by the web page)', () => {
  it.skipIf(SEED === null)('reads the header and the event line with every field', () => {
    const lines = readLines(SEED!);
    const { parsed, events } = parseAll(lines);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.skb).toBe(0xffff91ba905e1ce8n);
    expect(e).toMatchObject({
      cpu: 1, process: '~bin/curl:272299', pid: 272299, netns: 4026531840, mark: 0, iface: '~3a6f7d4e8c73:26', ifindex: 26,
      proto: 0x0800, mtu: 9001, len: 60, saddr: '10.244.2.173', sport: 54864, daddr: '10.244.2.61', dport: 80, l4: 'tcp',
      l4Proto: 6, func: '__netif_rx', layout: 'E:meta,tuple',
    });
    expect(parsed.filter((p) => p.kind === 'log' && p.logKind === 'header')).toHaveLength(1);
    expect(norm(renderText(e, newRenderState()))).toBe(norm(lines.find(isEventLine)!));
  });
});

describe('fields of each era', () => {
  it('v1.0.10 drop reason, tcp flags, cb, (tc)/(xdp), caller, tunnel, skb metadata', () => {
    const hdr = 'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';
    const d = one('0xffff8e151d39be00 6   <empty>:0        4026531840 d00          ens33:2      0x0800 1500  98    10.0.0.1:4->10.0.0.2:80(tcp:SYN|ACK) kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)', hdr);
    expect(d).toMatchObject({ func: 'kfree_skb_reason', dropReason: 'SKB_DROP_REASON_NETFILTER_DROP', mark: 0xd00, tcpFlags: 2 | 16 });
    const code = one('0xffff8e151d39be00 6   <empty>:0        4026531840 0            ens33:2      0x0800 1500  98    10.0.0.1:4->10.0.0.2:80(tcp) kfree_skb_reason (77)', hdr);
    expect(code).toMatchObject({ func: 'kfree_skb_reason', dropCode: 77, dropReason: null });
    const tc = one('0xffff8e151d39be00 6   <empty>:0        4026531840 0            ens33:2      0x0800 1500  98    192.168.241.1:0->192.168.241.133:0(icmp) bpf_prog_e20a685998fd41c8_entry1[bpf](tc)', hdr);
    expect(tc).toMatchObject({ func: 'bpf_prog_e20a685998fd41c8_entry1[bpf]', progKind: 'tc', l4: 'icmp', l4Proto: 1 });
    const caller = one('0xffff97cdbd7138e8 3   ~bin/curl:227116 10.244.1.141:45000->10.244.3.20:8080(tcp) tcf_classify                 sch_handle_ingress.constprop.0');
    expect(caller).toMatchObject({ func: 'tcf_classify', caller: 'sch_handle_ingress.constprop.0', netns: null, layout: 'E:tuple,caller' });
    const tun = one('0xffff88824f1ac700 6   <empty>:0        4026531840 0             eth1:3      0x8100 1500  88    :0->:0()                                vlan_gro_receive :0->:0()');
    expect(tun).toMatchObject({ saddr: '', daddr: '', sport: 0, l4: '', tunnel: ':0->:0()', proto: 0x8100 });
    const kv = one('0xffff991e4b8d5d00 6   ~wru/pwru:746016 4026531840 0            ens33:2      0x0800 65536 64    1.1.1.1:0->192.168.241.133:0(icmp) icmp_rcv hash=0 sw_hash=0 l4_hash=0');
    expect(kv).toMatchObject({ metaKv: 'hash=0 sw_hash=0 l4_hash=0', mtu: 65536, pid: 746016 });
  });

  it('v1.0.12 ISO absolute time, TIMESTAMP column and bracketed IPv6', () => {
    const hdr = 'TIME                    SKB                CPU PROCESS          TIMESTAMP        NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';
    expect(parseHeader(hdr)).toMatchObject({ era: 'E', abs: 'iso', ts: true, meta: true, tuple: true });
    const e = one('2026-03-01T10:00:00.123 0xffff88810c2e4f00 0   <empty>:0        182893007811626  4026531840 0              lo:1       0x86dd 65536 80    [fd00::1]:443->[fd00:10:244::834b]:5555(tcp) ip6_rcv_core', hdr);
    expect(e).toMatchObject({ absTime: '2026-03-01T10:00:00.123', ktime: 182893007811626n, saddr: 'fd00::1', daddr: 'fd00:10:244::834b', proto: 0x86dd });
    expect(renderText(e, newRenderState())).toContain('[fd00::1]:443->[fd00:10:244::834b]:5555(tcp)');
  });

  it('v1.0.7+ with --output-meta and --output-tuple off: `SKB CPU PROCESS FUNC` left-aligned is Era E, right-aligned Era C', () => {
    const e = '                       SKB    CPU          PROCESS                     FUNC';
    expect(parseHeader('SKB                CPU PROCESS          FUNC')).toMatchObject({ era: 'E', ts: false, meta: false, tuple: false });
    expect(parseHeader(e)).toMatchObject({ era: 'C', ts: false });
    expect(parseHeader(`${e}        TIMESTAMP`)).toMatchObject({ era: 'C', ts: true });
    const bare = readLines(join(ROOT, 'samples/demo-delivered.bare.pwru.txt'));
    const { parsed, events } = parseAll(bare);
    expect(parsed.filter((p) => p.kind === 'reject')).toEqual([]);
    expect(events).toHaveLength(bare.length - 1);
    expect(events[0]).toMatchObject({ layout: 'E:', process: '~bin/curl:272299', pid: 272299, func: '__netif_rx', cpu: 1 });
    const st = newRenderState();
    expect([renderHeader(parseLayoutKey('E:')), ...events.map((x) => renderText(x, st))]).toEqual(bare);
  });

  it('v0.0.3 key=value meta with byte-swapped proto, v1.0.3 iface=N(name), v0.9 absolute time', () => {
    const a = one('0xffff8882262bf600    [ksoftirqd/1]             tcf_classify    4840296765444 netns=4026531992 mark=0x0 ifindex=4 proto=8 mtu=1500 len=84 10.0.0.1:0->10.0.0.2:0(icmp)');
    expect(a).toMatchObject({ process: 'ksoftirqd/1', pid: null, ktime: 4840296765444n, netns: 4026531992, ifindex: 4, proto: 0x0800, layout: 'A:ts,meta,kvnetns,protoraw,tuple' });
    expect(norm(renderText(a, newRenderState()))).toContain('proto=8 mtu=1500');
    const d = one('11:19:36.512 0xffff90f72f43fae8      2             [nc]               __netif_rx    1234567890123 netns=4026533589 mark=0x0 iface=4(wg0) proto=dd86 mtu=1420 len=60');
    expect(d).toMatchObject({ absTime: '11:19:36.512', cpu: 2, iface: '4(wg0)', ifindex: 4, proto: 0x86dd, layout: 'C:abs-hms,ts,meta,kvnetns,kviface,protoraw' });
    const sp = one('0xffff9137d7d2c6e0      4   [tmux: server]             ip_local_out');
    expect(sp).toMatchObject({ process: 'tmux: server', func: 'ip_local_out' });
    const mod = one('0xffff9137d7d2c6e0      4   [curl(1)]  vxlan_rcv\t[vxlan]');
    expect(mod.func).toBe('vxlan_rcv\t[vxlan]');
  });

  it('JSON: omitted zero keys, time above 2^53 (below 2^63) read exactly, brackets kept on IPv6', () => {
    const line = '{"skb":"0xffff8b7d9462c600","process":"~bin/curl:8493","func":"kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)","time":9223372036854775000,"netns":4026531840,"iface":"0","mtu":1500,"len":60,"cb":[0,0,0,0,0],"tuple":{"saddr":"[fd00::1]","daddr":"[fd00::2]","sport":1,"dport":2,"proto":6,"flags":"SYN"}}';
    const e = one(line);
    expect(e).toMatchObject({ cpu: 0, mark: 0, proto: 0, ifindex: 0, ktime: 9223372036854775000n, dropReason: 'SKB_DROP_REASON_NO_SOCKET', saddr: 'fd00::1', tcpFlags: 2, l4Proto: 6 });
    expect(renderJson(e)).toBe(line);
  });
});

describe('non-event lines', () => {
  it('classifies startup, progress, signal, panic and continuation lines; rejects the rest with a reason', () => {
    const lines = [
      '2024/11/12 13:58:41 Attaching kprobes (via kprobe)...',
      '1475 / 1475 [-----] 100.00% ? p/s2025/10/27 19:11:02 Attached (ignored 0)',
      '2026/09/16 11:08:03 INFO Attached ignored=0',
      '^C2024/03/18 11:19:36 Received signal, exiting program..',
      'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC',
      '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) ip_finish_output2',
      'ip_finish_output2',
      'nf_hook_slow',
      '(struct sk_buff){',
      ' .len = (unsigned int)60,',
      '}',
      'this is prose, not pwru',
      '',
      'panic: runtime error: invalid memory address or nil pointer dereference',
      '\t/root/pwru/main.go:322 +0x2013',
    ];
    const { parsed, events } = parseAll(lines);
    expect(parsed.map((p) => (p.kind === 'log' ? p.logKind : p.kind))).toEqual([
      'log', 'progress', 'log', 'signal', 'header', 'event', 'continuation', 'continuation', 'continuation', 'continuation',
      'continuation', 'reject', 'blank', 'panic', 'panic',
    ]);
    expect(events[0]!.attachment).toBe('ip_finish_output2\nnf_hook_slow\n(struct sk_buff){\n .len = (unsigned int)60,\n}');
    const rej = parsed[11]!;
    expect(rej.kind === 'reject' && rej.reason).toMatch(/not a pwru/);
  });

  it('a broken event line is a reject with a reason, not a crash', () => {
    const hdr = 'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';
    const { parsed } = parseAll([hdr, '0xffff91ba905e1ce8 x   ~bin/curl:1 4026531840 0 eth0:2 0x0800 1500 60 1.1.1.1:1->2.2.2.2:2(tcp) f', '0xffff 1']);
    expect(parsed.slice(1).map((p) => p.kind)).toEqual(['reject', 'reject']);
  });
});

// Issue #10 item 5. Every input is a real pwru layout (the v1.0.8+ default header and the seed's v1.0.x event line,
// the v1.0.6 era-C line of ../shared/real/pwru-commit-fd88377-…), mangled the way a paste mangles it where said.
describe('parser fidelity on real pastes', () => {
  const HDR = 'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';
  const LINE = '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx';
  const kinds = (ps: Parsed[]) => ps.map((p) => (p.kind === 'log' ? p.logKind : p.kind));
  const SEED_FIELDS = { skb: 0xffff91ba905e1ce8n, cpu: 1, process: '~bin/curl:272299', netns: 4026531840, mark: 0, iface: '~3a6f7d4e8c73:26', proto: 0x0800, mtu: 9001, len: 60, saddr: '10.244.2.173', dport: 80, func: '__netif_rx' };

  it('a header that names its columns in an order no release printed drives the parse and the replay', () => {
    // Mangled: the v1.0.8 default header and line with the columns moved (meta block last, SKB second).
    const hdr = 'CPU SKB                PROCESS          TUPLE                                   FUNC       NETNS      MARK/x        IFACE       PROTO  MTU   LEN';
    const line = '1   0xffff91ba905e1ce8 ~bin/curl:272299 10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60';
    const h = parseHeader(hdr)!;
    expect(h).toMatchObject({ era: 'E', meta: true, tuple: true, order: ['cpu', 'skb', 'process', 'tuple', 'func', 'netns', 'mark', 'iface', 'proto', 'mtu', 'len'] });
    const e = one(line, hdr);
    expect(e).toMatchObject(SEED_FIELDS);
    expect(e.layout).toBe('E:meta,tuple,order-cpu.skb.process.tuple.func.netns.mark.iface.proto.mtu.len');
    expect(norm(renderText(e, newRenderState()))).toBe(norm(line));
    expect(norm(renderHeader(parseLayoutKey(e.layout))!)).toBe(norm(hdr));
    // Mangled further: wrapped after PROCESS; the header's order says the line is not complete yet.
    const cut = line.indexOf('10.244');
    const wrapped = parseAll([hdr, line.slice(0, cut).trimEnd(), line.slice(cut)]);
    expect(wrapped.parsed.map((p) => p.kind)).toEqual(['log', 'held', 'event']);
    expect(wrapped.events[0]).toMatchObject({ ...SEED_FIELDS, lineNo: 2 });
    // Under that header a line in the release order is a reject with a reason, not a misread event.
    const { parsed } = parseAll([hdr, LINE]);
    expect(parsed[1]).toMatchObject({ kind: 'reject', reason: 'CPU is not a number: 0xffff91ba905e1ce8' });
    // Not a set of pwru column names: no header at all.
    expect(parseHeader('SKB CPU PROCESS COMM FUNC')).toBeNull();
    expect(parseHeader('SKB CPU PROCESS FUNC FUNC')).toBeNull();
    expect(parseHeader('SKB CPU NETNS PROCESS FUNC')).toBeNull(); // half a meta block
    expect(parseHeader('CPU PROCESS TUPLE')).toBeNull(); // no SKB, no FUNC
  });

  it('a MARK header (no /x) and %08x marks (the PR #376 pre-release) replay as printed', () => {
    const hdr = 'SKB                CPU PROCESS          NETNS      MARK          IFACE       PROTO  MTU   LEN   TUPLE FUNC';
    const padded = LINE.replace(' 0       ~3a6f', ' 00000d00 ~3a6f');
    expect(parseHeader(hdr)).toMatchObject({ era: 'E', meta: true, markHdr: true });
    const e = one(padded, hdr);
    expect(e).toMatchObject({ mark: 0xd00, layout: 'E:meta,tuple,markhdr,mark08' });
    expect(norm(renderText(e, newRenderState()))).toBe(norm(padded));
    expect(norm(renderHeader(parseLayoutKey(e.layout))!)).toBe(norm(hdr));
    const zero = one(LINE.replace(' 0       ~3a6f', ' 00000000 ~3a6f'), hdr);
    expect(norm(renderText(zero, newRenderState()))).toContain(' 00000000 ~3a6f7d4e8c73:26 ');
    // An 8-digit mark without a leading zero reads the same in %x and %08x: it keeps the capture's one layout.
    const { events } = parseAll([hdr, padded, LINE.replace(' 0       ~3a6f', ' bc5a6e00 ~3a6f')]);
    expect(events.map((e) => [e.mark, e.layout])).toEqual([[0xd00, 'E:meta,tuple,markhdr,mark08'], [0xbc5a6e00, 'E:meta,tuple,markhdr,mark08']]);
    // %x under the released MARK/x header is unchanged: no padding, the header says MARK/x.
    const plain = one(LINE, HDR);
    expect(plain.layout).toBe('E:meta,tuple');
    expect(renderHeader(parseLayoutKey(plain.layout))).toContain('MARK/x');
  });

  it('a mail-wrapped event line is re-joined when the next line completes the header\'s columns', () => {
    // Mangled: the seed line wrapped after LEN (tuple and FUNC on the next line), after the tuple, and after IFACE
    // (so the next line starts with the ethertype 0x0800), and over three lines.
    const cut = (at: string) => [LINE.slice(0, LINE.indexOf(at)).trimEnd(), LINE.slice(LINE.indexOf(at))];
    for (const parts of [cut('10.244.2.173'), cut('__netif_rx'), cut('0x0800'), [...cut('0x0800').slice(0, 1), ...cut('10.244.2.173').slice(0, 1).map((s) => s.slice(s.indexOf('0x0800'))), cut('10.244.2.173')[1]!]]) {
      const { parsed, events } = parseAll([HDR, ...parts]);
      expect(kinds(parsed), parts.join(' | ')).toEqual(['header', ...parts.slice(1).map(() => 'held'), 'event']);
      const last = parsed.at(-1)!;
      expect(last.kind === 'event' && last.joined).toBe(parts.length - 1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ ...SEED_FIELDS, lineNo: 2 });
      expect(norm(renderText(events[0]!, newRenderState()))).toBe(norm(LINE));
    }
  });

  it('a wrapped line that the next line does not complete is rejected, and the next line is read on its own', () => {
    const head = LINE.slice(0, LINE.indexOf('10.244.2.173')).trimEnd();
    const { parsed } = parseAll([HDR, head, LINE, head, 'this is prose, not pwru', head, '']);
    expect(kinds(parsed)).toEqual(['header', 'held', 'event', 'held', 'reject', 'held', 'blank']);
    expect(parsed[2]!.heldRejected).toMatch(/^line 2 stops before the header's columns are all there and line 3 does not complete it/);
    expect(parsed[4]!.heldRejected).toMatch(/line 4 .* line 5/);
    expect(parsed[6]!.heldRejected).toMatch(/line 6 .* line 7/);
    // Without a header nothing is held: a short line is a reject at once.
    expect(kinds(parseAll([head]).parsed)).toEqual(['reject']);
    // A complete line followed by free text on its own line: the event stays, the text is a reject with its number.
    expect(kinds(parseAll([HDR, LINE, 'this is prose, not pwru']).parsed)).toEqual(['header', 'event', 'reject']);
  });

  it('an skb address is a kernel pointer: an ethertype at the start of a line never becomes skb 0x800', () => {
    const tail = LINE.slice(LINE.indexOf('0x0800'));
    for (const lines of [[tail], [HDR, tail], [LINE, tail]]) {
      const { parsed, events } = parseAll(lines);
      expect(events.map((e) => e.skb)).not.toContain(0x800n);
      expect(parsed.at(-1)!.kind).toBe('reject');
    }
    expect(KPTR_RE.test('0xffffb5dd40600b00')).toBe(true); // XDP's &xdp, a stack address
    expect(KPTR_RE.test('0xff11000112345678')).toBe(true); // LA57
    expect(KPTR_RE.test('0x0800')).toBe(false);
    expect(KPTR_RE.test('0xffff8881')).toBe(false);
  });

  it('free text after an event line\'s last field is kept as the event\'s note, and replayed where it stood', () => {
    // Mangled: a reader's annotation typed after real lines.
    const drop = LINE.replace('__netif_rx', 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)   <- dropped by iptables here');
    const d = one(drop, HDR);
    expect(d).toMatchObject({ func: 'kfree_skb_reason', dropReason: 'SKB_DROP_REASON_NETFILTER_DROP', note: '<- dropped by iptables here', caller: null });
    expect(norm(renderText(d, newRenderState()))).toBe(norm(drop));
    // Without a header, a word after FUNC could be CALLER; followed by more words it is text.
    const n = one(`${LINE}  enters the host here`);
    expect(n).toMatchObject({ func: '__netif_rx', caller: null, note: 'enters the host here', layout: 'E:meta,tuple' });
    expect(norm(renderText(n, newRenderState()))).toBe(norm(`${LINE}  enters the host here`));
    // v1.0.6 (era C) line of pwru-commit-fd88377-v1.0.6dev-procpath-after.txt with a note.
    const c = '0xffff9137cb2ebae0      2 [/usr/bin/curl(250468)]             ip_local_out   (first hop)';
    const ce = one(c);
    expect(ce).toMatchObject({ func: 'ip_local_out', pid: 250468, note: '(first hop)' });
    expect(norm(renderText(ce, newRenderState()))).toBe(norm(c));
  });

  it('a JSON tuple given as a string (the pre-merge PR #285 format) is parsed; a bad one is a reject with a reason', () => {
    const pr285 = '{"cpu":0,"func":"tcp_urg","process":"<empty>:(2838)","skb":"0xffff10988cec8f00","tuple":"198.19.248.1:32611->198.19.248.2:2223(tcp)"}';
    const e = one(pr285);
    expect(e).toMatchObject({ saddr: '198.19.248.1', sport: 32611, daddr: '198.19.248.2', dport: 2223, l4: 'tcp', l4Proto: 6, layout: 'J:tuplestr', pid: 2838 });
    expect(renderJson(e)).toContain('"tuple":"198.19.248.1:32611->198.19.248.2:2223(tcp)"');
    const bad = parseAll([pr285.replace('(tcp)', '')]).parsed[0]!;
    expect(bad).toMatchObject({ kind: 'reject', reason: 'JSON "tuple" is a string but not a pwru tuple: 198.19.248.1:32611->198.19.248.2:2223' });
    const num = parseAll([pr285.replace(/"tuple":"[^"]*"/, '"tuple":42')]).parsed[0]!;
    expect(num).toMatchObject({ kind: 'reject', reason: 'JSON "tuple" is neither an object nor a string: 42' });
  });
});
