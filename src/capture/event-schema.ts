// The event type and the capture's columns: the only place columns are defined (their Arrow types: arrow-schema.ts,
// kept apart so the parsers and import workers load no Arrow). The batch writer fills these columns, the DuckDB
// loader maps them to SQL types, replay renders them back. Bump SCHEMA_VERSION whenever a column is added, removed
// or changes meaning.

// The version lives in version.ts so the manifest code does not load Arrow.
import { SCHEMA_VERSION } from '../version.js';
export { SCHEMA_VERSION };

/**
 * One pwru event: the first line of an event plus its continuation lines (stack, skb dump, …).
 * Every field is what the line carried; null means the line did not carry it (not "zero").
 */
export interface PwruEvent {
  /** 1-based input line number of the event's first physical line. */
  lineNo: number;
  /** Canonical layout key (see capture/layout.ts): which pwru era and which optional columns the line was printed with. */
  layout: string;
  /** skb address (`%#x`), as a 64-bit unsigned integer. For --filter-trace-xdp events it is &xdp. */
  skb: bigint;
  cpu: number | null;
  /** PROCESS as printed, without the [] of the old eras: `~bin/curl:272299`, `curl(239350)`, `<empty>:0`. */
  process: string | null;
  /** pid parsed out of the process column (v1.0.4+), else null. */
  pid: number | null;
  /** Kernel symbol, without drop reason or (tc)/(xdp) suffix: `kfree_skb_reason`, `bpf_prog_…_x[bpf]`, `vxlan_rcv[vxlan]`. */
  func: string;
  /** `SKB_DROP_REASON_X` from `kfree_skb_reason(SKB_DROP_REASON_X)`; null when absent. */
  dropReason: string | null;
  /** Numeric drop reason from `kfree_skb_reason (7)` (unknown enum value). */
  dropCode: number | null;
  /** `tc` / `xdp` suffix of traced BPF programs. */
  progKind: string | null;
  /** TIMESTAMP column / JSON `time` number: bpf_ktime_get_ns() (current) or a per-skb delta (relative). */
  ktime: bigint | null;
  /** Wall-clock prefix of --timestamp absolute (`15:04:05.000` or `2006-01-02T15:04:05.000`). */
  absTime: string | null;
  netns: number | null;
  mark: number | null;
  ifindex: number | null;
  /** IFACE as printed (centring blanks removed): `eth0:2`, `~3a6f7d4e8c73:26`, `26`, `4(wg0)`. */
  iface: string | null;
  /** skb->protocol in host order (0x0800); old eras printed it byte-swapped, the layout says so. */
  proto: number | null;
  mtu: number | null;
  len: number | null;
  /** __sk_buff->cb[0..4] (v1.0.10+). */
  cb: readonly number[] | null;
  /** Tuple addresses without IPv6 brackets; '' when pwru printed an empty address (non-IP L3). */
  saddr: string | null;
  daddr: string | null;
  sport: number | null;
  dport: number | null;
  /** L4 name as pwru prints it: tcp, udp, icmp, icmp6, or '' for anything else. */
  l4: string | null;
  /** Numeric L4 protocol when known (JSON tuple.proto, or from the name). */
  l4Proto: number | null;
  /** TCP flags bitmask (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128). */
  tcpFlags: number | null;
  /** --output-tunnel tuple as printed (` :0->:0()` → `:0->:0()`). */
  tunnel: string | null;
  caller: string | null;
  /** --output-netns-names (v1.0.12+); '' when printed as blanks. */
  netnsName: string | null;
  /** Trailing ` name=value` pairs of --output-skb-metadata / --output-xdp-metadata, as printed. */
  metaKv: string | null;
  /** Continuation lines (stack frames, skb/shinfo dumps, bpfmap, metadata lines) joined by '\n', verbatim. */
  attachment: string | null;
  /** JSON only: the stack string / skb_metadata string exactly as pwru encoded them. */
  jsonStack: string | null;
  jsonSkbMetadata: string | null;
  /**
   * Free text a paste carried on the event line after pwru's last field (`… kfree_skb_reason(…)  <- dropped here`),
   * as written. The line still counts as one event line; replay prints the note where it stood. (Schema v2.)
   */
  note: string | null;
}

/** How a column is stored; the loader and writer switch on this. */
export type ColumnKind = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'dict' | 'utf8' | 'cb5';

export interface ColumnSpec {
  /** Arrow / SQL column name. */
  name: string;
  kind: ColumnKind;
  /** The PwruEvent field it comes from. */
  field: keyof PwruEvent;
}

/** Column order = Arrow schema order. */
export const COLUMNS: readonly ColumnSpec[] = [
  { name: 'line_no', kind: 'u32', field: 'lineNo' },
  { name: 'layout', kind: 'dict', field: 'layout' },
  { name: 'skb', kind: 'u64', field: 'skb' },
  { name: 'cpu', kind: 'u32', field: 'cpu' },
  { name: 'process', kind: 'dict', field: 'process' },
  { name: 'pid', kind: 'i32', field: 'pid' },
  { name: 'func', kind: 'dict', field: 'func' },
  { name: 'drop_reason', kind: 'dict', field: 'dropReason' },
  { name: 'drop_code', kind: 'i32', field: 'dropCode' },
  { name: 'prog_kind', kind: 'dict', field: 'progKind' },
  { name: 'ktime', kind: 'u64', field: 'ktime' },
  { name: 'abs_time', kind: 'dict', field: 'absTime' },
  { name: 'netns', kind: 'u32', field: 'netns' },
  { name: 'mark', kind: 'u32', field: 'mark' },
  { name: 'ifindex', kind: 'u32', field: 'ifindex' },
  { name: 'iface', kind: 'dict', field: 'iface' },
  { name: 'proto', kind: 'u16', field: 'proto' },
  { name: 'mtu', kind: 'u32', field: 'mtu' },
  { name: 'len', kind: 'u32', field: 'len' },
  { name: 'cb', kind: 'cb5', field: 'cb' },
  { name: 'saddr', kind: 'dict', field: 'saddr' },
  { name: 'daddr', kind: 'dict', field: 'daddr' },
  { name: 'sport', kind: 'u16', field: 'sport' },
  { name: 'dport', kind: 'u16', field: 'dport' },
  { name: 'l4', kind: 'dict', field: 'l4' },
  { name: 'l4_proto', kind: 'u8', field: 'l4Proto' },
  { name: 'tcp_flags', kind: 'u8', field: 'tcpFlags' },
  { name: 'tunnel', kind: 'dict', field: 'tunnel' },
  { name: 'caller', kind: 'dict', field: 'caller' },
  { name: 'netns_name', kind: 'dict', field: 'netnsName' },
  { name: 'meta_kv', kind: 'dict', field: 'metaKv' },
  { name: 'attachment', kind: 'utf8', field: 'attachment' },
  { name: 'json_stack', kind: 'utf8', field: 'jsonStack' },
  { name: 'json_skb_metadata', kind: 'utf8', field: 'jsonSkbMetadata' },
  // v2. Captures of schema v1 have no such column: readers and the DuckDB loader take a missing column as all null.
  { name: 'note', kind: 'utf8', field: 'note' },
];

/** An empty event with every optional field null; parsers fill what the line carried. */
export function blankEvent(lineNo: number, layout: string, skb: bigint, func: string): PwruEvent {
  return {
    lineNo, layout, skb, cpu: null, process: null, pid: null, func, dropReason: null, dropCode: null, progKind: null,
    ktime: null, absTime: null, netns: null, mark: null, ifindex: null, iface: null, proto: null, mtu: null, len: null,
    cb: null, saddr: null, daddr: null, sport: null, dport: null, l4: null, l4Proto: null, tcpFlags: null, tunnel: null,
    caller: null, netnsName: null, metaKv: null, attachment: null, jsonStack: null, jsonSkbMetadata: null, note: null,
  };
}

