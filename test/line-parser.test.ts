// The line parser against real pwru outputs (../shared/real, the seed) and hand-made lines for eras without a
// real paste. Round trips go through the real renderer: parse → render must give back the same tokens.
import { describe, expect, it } from 'vitest';
import { newParserState, parseHeader, parseLine, type Parsed } from '../src/line-parser.js';
import { newRenderState, renderText, renderJson } from '../src/pwru-layout.js';
import type { PwruEvent } from '../src/event-schema.js';
import { realFiles, SEED, readLines } from './helpers/real.js';

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
    const e = one('2026-03-01T10:00:00.123 0xffff8881 0   <empty>:0        182893007811626  4026531840 0              lo:1       0x86dd 65536 80    [fd00::1]:443->[fd00:10:244::834b]:5555(tcp) ip6_rcv_core', hdr);
    expect(e).toMatchObject({ absTime: '2026-03-01T10:00:00.123', ktime: 182893007811626n, saddr: 'fd00::1', daddr: 'fd00:10:244::834b', proto: 0x86dd });
    expect(renderText(e, newRenderState())).toContain('[fd00::1]:443->[fd00:10:244::834b]:5555(tcp)');
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

  it('JSON: omitted zero keys, time above 2^53 read exactly, brackets kept on IPv6', () => {
    const line = '{"skb":"0xffff8b7d9462c600","process":"~bin/curl:8493","func":"kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)","time":18446744073709551000,"netns":4026531840,"iface":"0","mtu":1500,"len":60,"cb":[0,0,0,0,0],"tuple":{"saddr":"[fd00::1]","daddr":"[fd00::2]","sport":1,"dport":2,"proto":6,"flags":"SYN"}}';
    const e = one(line);
    expect(e).toMatchObject({ cpu: 0, mark: 0, proto: 0, ifindex: 0, ktime: 18446744073709551000n, dropReason: 'SKB_DROP_REASON_NO_SOCKET', saddr: 'fd00::1', tcpFlags: 2, l4Proto: 6 });
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
