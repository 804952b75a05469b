// A small pcapng writer (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html): one Section Header
// Block, Interface Description Blocks and Enhanced Packet Blocks, little-endian, with the options skbtape fills
// (comments, if_name/if_description, if_tsresol = ns, epb_packetid, epb_verdict). No maintained npm pcapng writer
// exists; this one is checked against Debian's tshark and tcpdump by test/pcapng.test.ts.
// Packet bytes are built from recorded fields (synthetic: pwru records no packet bytes); see buildFrame.
import ipaddr from 'ipaddr.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;

const OPT_COMMENT = 1;
const SHB_HARDWARE = 2, SHB_OS = 3, SHB_USERAPPL = 4;
const IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9;
const EPB_PACKETID = 5, EPB_VERDICT = 7;
/** epb_verdict type 1: a Linux eBPF TC action; TC_ACT_SHOT (2) = dropped. */
const VERDICT_TYPE_TC = 1;
export const TC_ACT_SHOT = 2n;

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** Options: code u16, length u16, value padded to 32 bits; closed by opt_endofopt. */
function options(opts: [number, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of opts) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(code, 0);
    h.writeUInt16LE(value.length, 2);
    parts.push(h, value, Buffer.alloc(pad4(value.length)));
  }
  if (parts.length) parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

/** A block: type, total length, body (padded), total length again. */
function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length + pad4(body.length);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

export function sectionHeader(o: { comment: string; hardware?: string; os?: string; app: string }): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8); // section length not given
  const opts: [number, Buffer][] = [[OPT_COMMENT, utf8(o.comment)]];
  if (o.hardware) opts.push([SHB_HARDWARE, utf8(o.hardware)]);
  if (o.os) opts.push([SHB_OS, utf8(o.os)]);
  opts.push([SHB_USERAPPL, utf8(o.app)]);
  return block(SHB, Buffer.concat([fixed, options(opts)]));
}

/** One interface; timestamps of its packets are in nanoseconds (if_tsresol 9). */
export function interfaceDescription(o: { name: string; description: string; comment: string }): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(LINKTYPE_ETHERNET, 0);
  fixed.writeUInt32LE(SNAPLEN, 4);
  return block(IDB, Buffer.concat([fixed, options([
    [IF_NAME, utf8(o.name)], [IF_DESCRIPTION, utf8(o.description)], [IF_TSRESOL, Buffer.from([9])], [OPT_COMMENT, utf8(o.comment)],
  ])]));
}

export interface PacketBlock {
  iface: number;
  /** ns since the epoch (the interface's if_tsresol). */
  tsNs: bigint;
  data: Buffer;
  origLen: number;
  comment: string;
  packetId: bigint;
  /** A TC action for epb_verdict (TC_ACT_SHOT for drops), or null for none. */
  tcVerdict: bigint | null;
}

export function enhancedPacket(p: PacketBlock): Buffer {
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32LE(p.iface, 0);
  fixed.writeUInt32LE(Number((p.tsNs >> 32n) & 0xffffffffn), 4);
  fixed.writeUInt32LE(Number(p.tsNs & 0xffffffffn), 8);
  fixed.writeUInt32LE(p.data.length, 12);
  fixed.writeUInt32LE(Math.max(p.origLen, p.data.length), 16);
  const id = Buffer.alloc(8);
  id.writeBigUInt64LE(p.packetId);
  const opts: [number, Buffer][] = [[OPT_COMMENT, utf8(p.comment)], [EPB_PACKETID, id]];
  if (p.tcVerdict !== null) {
    const v = Buffer.alloc(9);
    v.writeUInt8(VERDICT_TYPE_TC, 0);
    v.writeBigUInt64LE(p.tcVerdict, 1);
    opts.push([EPB_VERDICT, v]);
  }
  return block(EPB, Buffer.concat([fixed, p.data, Buffer.alloc(pad4(p.data.length)), options(opts)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Frames

export interface FrameFields {
  saddr: string; daddr: string; sport: number | null; dport: number | null;
  /** tcp, udp, icmp, icmp6, sctp, or another name (IP header only). */
  l4: string | null;
  tcpFlags: number | null;
  /** The recorded skb length (the IP packet's length as the kernel saw it), or null. */
  len: number | null;
}

const L4_NUMBER: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, sctp: 132 };
const MAC_SRC = Buffer.from([0x02, 0, 0, 0, 0, 0x01]);
const MAC_DST = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);

/** One's-complement sum of 16-bit words (the IPv4 header checksum). */
function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function l4Header(f: FrameFields, proto: number): Buffer {
  if (proto === 6) {
    const t = Buffer.alloc(20);
    t.writeUInt16BE(f.sport ?? 0, 0);
    t.writeUInt16BE(f.dport ?? 0, 2);
    t.writeUInt8(5 << 4, 12); // data offset: 5 words, no options
    t.writeUInt8(f.tcpFlags ?? 0, 13);
    t.writeUInt16BE(65535, 14);
    return t;
  }
  if (proto === 17) {
    const u = Buffer.alloc(8);
    u.writeUInt16BE(f.sport ?? 0, 0);
    u.writeUInt16BE(f.dport ?? 0, 2);
    u.writeUInt16BE(8, 4);
    return u;
  }
  if (proto === 1 || proto === 58) return Buffer.from([proto === 1 ? 8 : 128, 0, 0, 0, 0, 0, 0, 0]); // an echo request header
  return Buffer.alloc(0);
}

/**
 * Ethernet + IPv4/IPv6 + TCP/UDP/ICMP headers from the recorded tuple, TCP flags and length. No payload bytes are
 * included: the frame's original length is 14 + the recorded length, so readers show it as cut at the headers.
 * Sequence numbers, MACs and checksums of L4 are not known and are zero / fixed (02:00:00:00:00:01 → …:02).
 */
export function buildFrame(f: FrameFields): { data: Buffer; origLen: number } {
  const v6 = f.saddr.includes(':');
  const proto = f.l4 !== null ? (L4_NUMBER[f.l4] ?? 255) : 255;
  const l4 = l4Header(f, proto);
  const src = Buffer.from(ipaddr.parse(f.saddr).toByteArray());
  const dst = Buffer.from(ipaddr.parse(f.daddr).toByteArray());
  const ipLen = Math.max(f.len ?? 0, (v6 ? 40 : 20) + l4.length);
  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(Math.min(ipLen - 40, 0xffff), 4);
    ip.writeUInt8(proto, 6);
    ip.writeUInt8(64, 7);
    src.copy(ip, 8);
    dst.copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(Math.min(ipLen, 0xffff), 2);
    ip.writeUInt16BE(0x4000, 6); // DF
    ip.writeUInt8(64, 8);
    ip.writeUInt8(proto, 9);
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
  }
  const eth = Buffer.alloc(14);
  MAC_DST.copy(eth, 0);
  MAC_SRC.copy(eth, 6);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const data = Buffer.concat([eth, ip, l4]);
  return { data, origLen: 14 + ipLen };
}
