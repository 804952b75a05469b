// export --pcapng read back by the real readers, Debian's tshark and tcpdump -r: the packet count, nanosecond
// timestamps and tuples equal the capture's (taken from the sample's own lines by string ops), epb_packetid is one
// per skb lifetime, drops carry epb_verdict TC_ACT_SHOT, comments hold Key: value lines; IPv6 and UDP frames too.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrame, enhancedPacket, interfaceDescription, sectionHeader, TC_ACT_SHOT } from '../src/render/pcapng.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';
import { ROOT } from './helpers/real.js';

const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
const skip = skipUnless(
  onPath('tshark') && onPath('tcpdump') ? { ok: true } : { ok: false, fixable: true, why: "tshark or tcpdump not on PATH ('make setup' installs them)" },
  'pcapng read-back by tshark and tcpdump');

let tmp: string;
const run = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const TSHARK_FIELDS = ['frame.time_epoch', 'ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'frame.packet_id', 'frame.verdict.ebpf_tc', 'frame.interface_name', 'frame.comment'];
async function tshark(file: string, fields = TSHARK_FIELDS): Promise<string[][]> {
  const r = await execa('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** The sample's event lines as pwru printed them: [ktime, saddr, sport, daddr, dport, flags, func]. */
function sampleEvents(file: string): { ktime: string; saddr: string; sport: string; daddr: string; dport: string; flags: string; func: string }[] {
  return readFileSync(join(SAMPLES, file), 'utf8').split('\n').filter((l) => /^0x[0-9a-f]{16} /.test(l)).map((l) => {
    const w = l.split(/\s+/);
    const m = /^(.*):(\d+)->(.*):(\d+)\(tcp:([A-Z|]+)\)$/.exec(w[10]!)!;
    return { ktime: w[3]!, saddr: m[1]!, sport: m[2]!, daddr: m[3]!, dport: m[4]!, flags: m[5]!, func: w[11]! };
  });
}
const epoch = (ktimeNs: string) => `${ktimeNs.slice(0, -9)}.${ktimeNs.slice(-9)}`;
const FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };
const flagHex = (names: string) => `0x${names.split('|').reduce((a, n) => a | FLAG_BITS[n]!, 0).toString(16).padStart(4, '0')}`;

beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'skbtape-pcapng-')); });
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

describe.skipIf(skip)('export --pcapng', { timeout: 180_000 }, () => {
  it('tshark reads one packet per hop with the capture\'s ns timestamps, tuples and flags, one packet id per lifetime', async () => {
    const cap = await buildDemoCapture('delivered', join(tmp, 'delivered'));
    const file = join(tmp, 'delivered.pcapng');
    const r = await run(['export', cap, '--pcapng', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const want = sampleEvents('demo-delivered.pwru.txt').sort((a, b) => (BigInt(a.ktime) < BigInt(b.ktime) ? -1 : BigInt(a.ktime) > BigInt(b.ktime) ? 1 : 0));
    expect(r.stdout).toMatch(new RegExp(`^wrote .*delivered\\.pcapng: ${want.length} packets of 9 skb lifetimes on \\d+ interfaces; timestamps: kernel monotonic time .*; headers synthetic$`));
    const got = await tshark(file);
    expect(got).toHaveLength(want.length);
    expect(got.map((g) => g.slice(0, 6))).toEqual(want.map((w) => [epoch(w.ktime), w.saddr, w.daddr, w.sport, w.dport, flagHex(w.flags)]));
    // epb_packetid: 9 lifetimes, 9 ids; the comment names the function of each hop and its lifetime.
    expect(new Set(got.map((g) => g[6])).size).toBe(9);
    got.forEach((g, i) => {
      expect(g[9]).toContain(`Function: ${want[i]!.func}`);
      expect(g[9]).toMatch(/Track: delivered:0x[0-9a-f]+:\d+/);
      expect(g[7]).toBe(''); // no verdict on delivered packets
    });
    const byId = new Map<string, Set<string>>();
    for (const g of got) byId.set(g[6]!, (byId.get(g[6]!) ?? new Set()).add(/Track: (\S+)/.exec(g[9]!)![1]!));
    for (const tracks of byId.values()) expect(tracks.size).toBe(1);
    // The section header says the payload is synthetic (capinfos would too; tshark prints it with -V on the SHB).
    const bytes = readFileSync(file);
    expect(bytes.toString('utf8')).toContain('Packet headers are synthetic');

    // tcpdump -r (libpcap's pcapng reader) agrees on count, ns timestamps and tuples.
    const td = await execa('tcpdump', ['-r', file, '-n', '-tt', '--nano'], { reject: false });
    expect(td.exitCode, td.stderr).toBe(0);
    const tdLines = td.stdout.split('\n').filter((l) => l.includes(' IP '));
    expect(tdLines).toHaveLength(want.length);
    tdLines.forEach((l, i) => {
      const w = want[i]!;
      expect(l.startsWith(`${epoch(w.ktime)} IP ${w.saddr}.${w.sport} > ${w.daddr}.${w.dport}: Flags [`)).toBe(true);
    });

    // --per track: one packet per lifetime, at its first hop.
    const per = join(tmp, 'per-track.pcapng');
    expect((await run(['export', cap, '--pcapng', per, '--per', 'track', '--color', 'never'])).exitCode).toBe(0);
    expect(await tshark(per, ['frame.packet_id'])).toHaveLength(9);
    // An existing file is kept unless --replace.
    const again = await run(['export', cap, '--pcapng', per]);
    expect([again.exitCode, again.stderr]).toEqual([2, `skbtape: ${per} exists; give --replace to overwrite it (--pcapng)`]);
    expect((await run(['export', cap, '--pcapng', per, '--replace', '--json'])).exitCode).toBe(0);
  });

  it('drops carry epb_verdict TC_ACT_SHOT and the drop reason in the comment; interfaces name their netns', async () => {
    const cap = await buildDemoCapture('drop', join(tmp, 'drop'));
    const file = join(tmp, 'drop.pcapng');
    expect((await run(['export', cap, '--pcapng', file])).exitCode).toBe(0);
    const got = await tshark(file);
    const want = sampleEvents('demo-netfilter-drop.pwru.txt');
    expect(got).toHaveLength(want.length);
    for (const g of got) {
      expect(g[7]).toBe(String(TC_ACT_SHOT));
      expect(g[9]).toContain('Reason: SKB_DROP_REASON_NETFILTER_DROP');
    }
    const v = await execa('tshark', ['-r', file, '-V', '-c', '1'], { reject: false });
    expect(v.stdout).toMatch(/Interface description: .*\(ifindex \d+\) in netns \d+/);
    expect(v.stdout).toMatch(/eBPF TC: TC_ACT_SHOT \(2\)/);
  });

  it('IPv6 TCP and UDP frames built by the writer read back with their addresses and ports', async () => {
    const file = join(tmp, 'v6.pcapng');
    const frames = [
      { saddr: 'fd00:10:96::3c', daddr: 'fd00:10:244:2::61', sport: 41000, dport: 443, l4: 'tcp', tcpFlags: 0x12, len: 80 },
      { saddr: '10.244.2.173', daddr: '10.96.0.10', sport: 53000, dport: 53, l4: 'udp', tcpFlags: null, len: 60 },
    ];
    const blocks = [sectionHeader({ comment: 'test', app: 'skbtape test' }), interfaceDescription({ name: 'eth0', description: 'eth0', comment: 'netns: 1' })];
    frames.forEach((f, i) => {
      const b = buildFrame(f);
      blocks.push(enhancedPacket({ iface: 0, tsNs: 1_700_000_000_123_456_789n + BigInt(i), data: b.data, origLen: b.origLen, comment: `Function: f${i}`, packetId: BigInt(i + 1), tcVerdict: null }));
    });
    writeFileSync(file, Buffer.concat(blocks));
    const got = await tshark(file, ['frame.time_epoch', 'ipv6.src', 'ipv6.dst', 'ip.src', 'ip.dst', 'tcp.dstport', 'udp.dstport', 'tcp.flags', 'frame.len', 'frame.comment']);
    expect(got).toEqual([
      ['1700000000.123456789', 'fd00:10:96::3c', 'fd00:10:244:2::61', '', '', '443', '', '0x0012', String(14 + 80), 'Function: f0'],
      ['1700000000.123456790', '', '', '10.244.2.173', '10.96.0.10', '', '53', '', String(14 + 60), 'Function: f1'],
    ]);
  });
});
