// `skbtape export --pcapng`: a capture's skb lifetimes as a pcapng file for Wireshark / tcpdump: one packet per hop
// that has a tuple (or per lifetime, `per: 'track'`), one interface block per (netns, device), the lifetime as
// epb_packetid, drops as epb_verdict, and `Key: value` packet comments as ptcpdump writes them. Headers are
// synthetic (render/pcapng.ts builds them from the recorded tuple, TCP flags and length): pwru records no bytes.
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { openAnalysis, type Row } from './loader.js';
import { UserError } from '../errors.js';
import { buildFrame, enhancedPacket, interfaceDescription, sectionHeader, TC_ACT_SHOT } from '../render/pcapng.js';
import { SKBTAPE_VERSION } from '../version.js';
import { progress } from '../render/progress.js';

export interface PcapngOptions { per?: 'hop' | 'track'; replace?: boolean; warn?: (m: string) => void }
export interface PcapngResult { file: string; packets: number; interfaces: number; lifetimes: number; clock: string }

export const SYNTHETIC_NOTE =
  'Packet headers are synthetic: skbtape built them from the recorded tuple, TCP flags and length (pwru records no ' +
  'packet bytes); no payload is included, MACs are placeholders, TCP sequence numbers and L4 checksums are zero.';

/** One row per exported packet, in time order; ts_ns is wall-clock ns where the capture knows its clock offset. */
const PACKETS_SQL = `
WITH tr AS (
  SELECT t.capture, t.skb, t.track_no, t.track_id, t.verdict, t.drop_label, t.src_identity, t.dst_identity,
         row_number() OVER (ORDER BY t.capture, t.first_seq) AS packet_id
  FROM tracks_enriched t
), h AS (
  SELECT h.capture, h.node, h.seq, h.skb, h.track_no, h.hop, h.func, h.netns, h.ifindex, h.ifname, h.iface, h.ktime,
         h.saddr, h.daddr, h.sport, h.dport, h.l4_name, h.tcp_flags, h.len,
         row_number() OVER (PARTITION BY h.capture, h.skb, h.track_no ORDER BY h.hop) AS nth
  FROM track_hops h
  WHERE h.saddr IS NOT NULL AND h.saddr <> '' AND h.daddr IS NOT NULL AND h.daddr <> ''
)
SELECT h.*, tr.track_id, tr.verdict, tr.drop_label, tr.src_identity, tr.dst_identity, tr.packet_id,
       printf('0x%x', h.skb) AS skb_hex, k.ts_mode, c.clock_offset_ns,
       (CASE WHEN k.ts_mode = 'absolute' THEN h.ktime::HUGEINT + coalesce(c.clock_offset_ns, 0) ELSE h.seq END)::VARCHAR AS ts_ns
FROM h
JOIN tr USING (capture, skb, track_no)
JOIN captures c USING (capture)
JOIN capture_clock k USING (capture)
WHERE $per = 'hop' OR h.nth = 1
ORDER BY CASE WHEN k.ts_mode = 'absolute' THEN h.ktime END, h.seq`;

export async function exportPcapng(capture: string, file: string, o: PcapngOptions = {}): Promise<PcapngResult> {
  const out = resolve(file);
  let exists = false;
  try { exists = statSync(out).isFile() || true; } catch { /* new file */ }
  if (exists && !o.replace) throw new UserError(`${file} exists; give --replace to overwrite it`, '--pcapng');
  const a = await openAnalysis([capture], { cache: true, warn: o.warn });
  let rows: Row[];
  // A phase line on a terminal (quiet when piped) while DuckDB builds the packets.
  const bar = progress();
  try {
    bar.update(() => `exporting ${file}: one packet per ${o.per ?? 'hop'}…`);
    rows = await a.run(PACKETS_SQL, { per: o.per ?? 'hop' });
  } finally {
    bar.done();
    a.close();
  }
  if (rows.length === 0) o.warn?.(`${capture} has no event with a tuple (saddr/daddr): the pcapng file has no packets`);
  const mode = String(rows[0]?.['ts_mode'] ?? 'none');
  const clock = mode !== 'absolute' ? 'event order (the capture has no absolute timestamps): packet i is at i ns'
    : rows[0]?.['clock_offset_ns'] === null ? 'kernel monotonic time (no clock offset in the manifest): dates read as 1970'
    : 'wall clock (kernel time + the manifest\'s monotonic-to-wall offset)';
  const ifaces = new Map<string, number>();
  const blocks: Buffer[] = [sectionHeader({
    comment: `${SYNTHETIC_NOTE}\nCapture: ${capture}\nTimestamps: ${clock}\nPacket id (epb_packetid): one per skb lifetime, the same at every hop; its track id is in each packet's comment.`,
    os: 'Linux', hardware: hostname(), app: `skbtape ${SKBTAPE_VERSION}`,
  })];
  for (const r of rows) {
    const key = `${String(r['netns'] ?? '')}/${String(r['ifindex'] ?? 0)}`;
    let idx = ifaces.get(key);
    if (idx === undefined) {
      idx = ifaces.size;
      ifaces.set(key, idx);
      blocks.push(interfaceDescription(ifaceInfo(r)));
    }
    const f = buildFrame({
      saddr: String(r['saddr']), daddr: String(r['daddr']), sport: num(r['sport']), dport: num(r['dport']),
      l4: r['l4_name'] === null ? null : String(r['l4_name']), tcpFlags: num(r['tcp_flags']), len: num(r['len']),
    });
    blocks.push(enhancedPacket({
      iface: idx, tsNs: BigInt(String(r['ts_ns'])), data: f.data, origLen: f.origLen, comment: packetComment(r),
      packetId: BigInt(r['packet_id'] as bigint), tcVerdict: r['verdict'] === 'dropped' ? TC_ACT_SHOT : null,
    }));
  }
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, Buffer.concat(blocks));
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${file}: ${(e as Error).message}`, '--pcapng');
  }
  const lifetimes = new Set(rows.map((r) => String(r['track_id']))).size;
  return { file: out, packets: rows.length, interfaces: ifaces.size, lifetimes, clock };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function ifaceInfo(r: Row): { name: string; description: string; comment: string } {
  const ifindex = num(r['ifindex']) ?? 0;
  const name = ifindex === 0 ? 'no device' : String(r['ifname'] ?? r['iface'] ?? `if${ifindex}`);
  const netns = r['netns'] === null ? 'unknown' : String(r['netns']);
  return { name, description: `${name} (ifindex ${ifindex}) in netns ${netns}`, comment: `netns: ${netns}\nifindex: ${ifindex}` };
}

/** `Key: value` lines as ptcpdump writes them; absent values are left out. */
function packetComment(r: Row): string {
  const lines: [string, unknown][] = [
    ['Function', r['func']], ['Hop', r['hop']], ['Netns', r['netns']], ['Iface', r['iface']], ['Skb', r['skb_hex']],
    ['Track', r['track_id']], ['Verdict', r['verdict']], ['Reason', r['drop_label']],
    ['Src-Identity', r['src_identity']], ['Dst-Identity', r['dst_identity']], ['Node', r['node']],
  ];
  return lines.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => `${k}: ${String(v)}`).join('\n');
}
