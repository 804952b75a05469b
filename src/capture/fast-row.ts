// The staging row of the byte-level import path: the fields of a PwruEvent in one reused object, with the two
// 64-bit values as numbers (skb as two uint32 halves, ktime as an exact integer below 2^53, -1 for none), so a
// line costs no object and no BigInt. The batch writer copies it into its columns as it copies a PwruEvent; a
// dictionary value read through an interner also carries that interner's id, so the writer finds the value's code in
// the batch's dictionary by array index instead of hashing the string again.
import type { PwruEvent } from './event-schema.js';

/** Where an interned value's id comes from (ingest's ByteInterner): ids are stable within one `gen` of one source. */
export interface IdSource { readonly gen: number }

type Plain = Omit<PwruEvent, 'skb' | 'ktime'>;

export class FastRow implements Plain {
  lineNo = 0;
  layout = '';
  skbHi = 0;
  skbLo = 0;
  /** ns, exact (< 2^53); -1 when the line carried no timestamp. */
  ktime = -1;
  cpu: number | null = null;
  process: string | null = null;
  pid: number | null = null;
  func = '';
  dropReason: string | null = null;
  dropCode: number | null = null;
  progKind: string | null = null;
  absTime: string | null = null;
  netns: number | null = null;
  mark: number | null = null;
  ifindex: number | null = null;
  iface: string | null = null;
  proto: number | null = null;
  mtu: number | null = null;
  len: number | null = null;
  cb: number[] | null = null;
  /** The array `cb` points at when set (one per row object, reused). */
  readonly cbBuf = [0, 0, 0, 0, 0];
  saddr: string | null = null;
  daddr: string | null = null;
  sport: number | null = null;
  dport: number | null = null;
  l4: string | null = null;
  l4Proto: number | null = null;
  tcpFlags: number | null = null;
  tunnel: string | null = null;
  caller: string | null = null;
  netnsName: string | null = null;
  metaKv: string | null = null;
  attachment: string | null = null;
  jsonStack: string | null = null;
  jsonSkbMetadata: string | null = null;
  note: string | null = null;
  // Interner ids of the dictionary values (null source: the value is set without one, e.g. null or computed).
  // process <- procId; iface <- ifaceId; func, dropReason, progKind <- funcId; saddr, daddr, l4 <- their ids
  // (text: all three from the tuple token's id; JSON: the addresses' ids, l4 without one). *Gen: the source's
  // generation when the id was read (a text row waits for its next line, which may clear the interner).
  procSrc: IdSource | null = null;
  procId = 0;
  procGen = 0;
  ifaceSrc: IdSource | null = null;
  ifaceId = 0;
  ifaceGen = 0;
  funcSrc: IdSource | null = null;
  funcId = 0;
  funcGen = 0;
  saddrSrc: IdSource | null = null;
  saddrId = 0;
  saddrGen = 0;
  daddrSrc: IdSource | null = null;
  daddrId = 0;
  daddrGen = 0;
  l4Src: IdSource | null = null;
  l4Id = 0;
  l4Gen = 0;
}
