// The tracepoint source for kernels without kprobes (so without pwru): writes a bpftrace program that prints one
// line per skb tracepoint hit in pwru's exact `--output-json` layout, so the pwru JSON line parser records it
// unchanged. Building the program is pure; spawning bpftrace and reading its stdout is the recorder's job.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, fsUserError } from '../errors.js';
import { DROP_REASON_PREFIX, dropReasonLabel, dropReasonName, tcpFlagNames } from '../capture/vocabulary.js';

/**
 * The one line the program prints from BEGIN, before any event. bpftrace delivers BEGIN's output through the same
 * perf buffers as the events and only starts reading them once every probe is attached and enabled (checked with
 * strace on bpftrace 0.17), so seeing this line means the probes are live: it plays pwru's `--ready-file` role.
 * Run bpftrace with `-q`, or it first prints `Attaching N probes...`, which is written *before* attaching.
 */
export const TRACEPOINT_READY_LINE = 'skbtape-tracepoints-ready';

/**
 * What bpftrace itself may write on stdout besides our lines: the ready line, the blank lines it prints on exit,
 * `Lost N events` when a perf buffer overflowed (N counts lost printf records, i.e. lost lines here) and, without
 * `-q`, `Attaching N probes...`. A reader drops these before handing lines to the pwru parser.
 */
export function isBpftraceNoise(line: string): boolean {
  return line === '' || line === TRACEPOINT_READY_LINE || /^Lost \d+ events$/.test(line) || /^Attaching \d+ probes?\.\.\.$/.test(line);
}

/** `Lost N events` -> N, else undefined. */
export function lostEvents(line: string): number | undefined {
  const m = /^Lost (\d+) events$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/**
 * Where `skb->dev` can be believed. `dev` shares a union with `dev_scratch` (UDP receive queue) and with `rbnode`
 * (TCP out-of-order and retransmit queues), so on socket-side hooks it holds a stale pointer: there we take the netns
 * from `skb->sk` and print iface "0", as pwru does for a NULL dev.
 */
type DevTrust = 'dev' | 'sk-only';

/** Tracepoints that carry an `skbaddr`, in path order (rx, tx, socket, free). Only those present are used. */
const SKB_TRACEPOINTS: ReadonlyArray<readonly [string, DevTrust]> = [
  ['net:napi_gro_receive_entry', 'dev'],
  ['net:napi_gro_frags_entry', 'dev'],
  ['net:netif_rx_entry', 'dev'],
  ['net:netif_rx', 'dev'],
  ['net:netif_receive_skb_entry', 'dev'],
  ['net:netif_receive_skb_list_entry', 'dev'],
  ['net:netif_receive_skb', 'dev'],
  ['tcp:tcp_bad_csum', 'dev'],
  ['tcp:tcp_send_reset', 'dev'],
  ['icmp:icmp_send', 'dev'],
  ['skb:skb_copy_datagram_iovec', 'sk-only'],
  ['tcp:tcp_retransmit_skb', 'sk-only'],
  ['net:net_dev_queue', 'dev'],
  ['qdisc:qdisc_enqueue', 'dev'],
  ['qdisc:qdisc_dequeue', 'dev'],
  ['net:net_dev_start_xmit', 'dev'],
  ['net:net_dev_xmit', 'dev'],
  ['skb:kfree_skb', 'dev'],
  ['skb:consume_skb', 'dev'],
];

/** The default set: the tracepoints above that exist on the running kernel (their tracefs format names `skbaddr`). */
export function availableSkbTracepoints(tracefsEventsDir = '/sys/kernel/tracing/events'): string[] {
  return SKB_TRACEPOINTS.map(([tp]) => tp).filter((tp) => {
    const [category, name] = tp.split(':') as [string, string];
    const format = join(tracefsEventsDir, category, name, 'format');
    if (!existsSync(format)) return false;
    try {
      return /\bskbaddr;/.test(readFileSync(format, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** Drop reasons of the `skb:kfree_skb` format file: number -> `SKB_DROP_REASON_<NAME>`. */
export function readDropReasons(formatFile = '/sys/kernel/tracing/events/skb/kfree_skb/format'): Map<number, string> {
  let text: string;
  try {
    text = readFileSync(formatFile, 'utf8');
  } catch (err) {
    throw fsUserError(err, formatFile);
  }
  return parseDropReasons(text);
}

/**
 * The `__print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, ...)` table of a kfree_skb format text. Empty when the
 * kernel has no reason field (before 5.17): every drop then prints as `kfree_skb_reason (N)`.
 */
export function parseDropReasons(formatText: string): Map<number, string> {
  const reasons = new Map<number, string>();
  const start = formatText.indexOf('__print_symbolic(REC->reason');
  if (start < 0) return reasons;
  // The table ends at the first `)` after the last `}` of the pairs; names and numbers hold no parentheses.
  const body = formatText.slice(start, formatText.indexOf(')', start + '__print_symbolic('.length));
  for (const m of body.matchAll(/\{\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*"([A-Za-z0-9_]+)"\s*\}/g)) {
    reasons.set(Number(m[1]), dropReasonLabel(m[2]!));
  }
  return reasons;
}

export interface TracepointProgramOptions {
  /** `category:name`, e.g. `net:netif_receive_skb`; usually `availableSkbTracepoints()`. */
  tracepoints: string[];
  /** Keep only skbs whose netns inode (of skb->dev, else skb->sk) is this. */
  netnsInode?: number;
  /** Or any of these (e.g. both ends of a veth in two namespaces); combined with netnsInode. */
  netnsInodes?: number[];
  /** Keep only skbs whose skb->dev has this ifindex (like pwru --filter-ifname, resolved). */
  ifindex?: number;
  /** number -> `SKB_DROP_REASON_<NAME>` (readDropReasons); unknown reasons print `kfree_skb_reason (N)` like pwru. */
  dropReasons?: Map<number, string>;
}

const KNOWN_TRUST = new Map(SKB_TRACEPOINTS);

/** The bpftrace (0.17+) program text. Run it as `bpftrace -q <file>`; see TRACEPOINT_READY_LINE. */
export function buildTracepointProgram(opts: TracepointProgramOptions): string {
  if (opts.tracepoints.length === 0) throw new UserError('no tracepoints to attach', '--tracepoints');
  for (const tp of opts.tracepoints) {
    if (!/^[a-z0-9_]+:[a-z0-9_]+$/.test(tp)) {
      throw new UserError(`tracepoint must be category:name, got ${JSON.stringify(tp)}`, '--tracepoints');
    }
  }
  checkU32(opts.netnsInode, '--netns');
  for (const n of opts.netnsInodes ?? []) checkU32(n, '--netns');
  // One inode is printed as a literal (saves stack); several are tested together and printed from $ns.
  const inodes = [...new Set([...(opts.netnsInode !== undefined ? [opts.netnsInode] : []), ...(opts.netnsInodes ?? [])])];
  opts = { ...opts, netnsInode: inodes.length === 1 ? inodes[0] : undefined, netnsInodes: inodes.length > 1 ? inodes : undefined };
  checkU32(opts.ifindex, '--ifindex');
  const reasons = [...(opts.dropReasons ?? new Map<number, string>())];
  for (const [num, name] of reasons) {
    if (!Number.isInteger(num) || num < 0 || !/^[A-Z0-9_]+$/.test(name)) {
      throw new UserError(`bad drop reason ${num}=${JSON.stringify(name)}`, 'kfree_skb format');
    }
  }

  const out: string[] = [
    '// Generated by skbtape (record/tracepoint-program.ts): one pwru --output-json line per skb tracepoint hit.',
    'BEGIN',
    '{',
    // Names without the common prefix: bpftrace sizes a map's string values by the longest literal stored.
    ...reasons.map(([num, name]) => `  @skbt_reason[${num}] = "${dropReasonName(name)}";`),
    ...(reasons.length > 0 ? [`  @skbt_fpre[0] = " ("; @skbt_fpre[1] = "(${DROP_REASON_PREFIX}";`] : []),
    ...OMITEMPTY_KEYS.slice(1).map((k, i) => `  @skbt_key[${i + 1}] = ${lit(`,"${k}":`)};`),
    // pwru's tuple "flags" (v1.0.10+): names in bit order joined by |, the whole JSON fragment per flags byte, so a
    // line costs one string argument (index 0, a miss, is "": no key, as pwru omits empty flags).
    ...Array.from({ length: 255 }, (_, i) => `  @skbt_tcpf[${i + 1}] = ${lit(`,"flags":"${tcpFlagNames(i + 1)}"`)};`),
    // Types the followed-skb map (skb address -> netns last seen in) before any probe reads it; no skb is at 0.
    ...(tracking(opts) ? ['  @skbt_live[0] = (uint64)0;'] : []),
    `  printf("${TRACEPOINT_READY_LINE}\\n");`,
    '}',
    '',
  ];
  // kfree_skb's programs go first. Measured on bpftrace 0.17 / LLVM: the same kfree_skb programs compile alone, or
  // first, but exceed the 512-byte BPF stack when net_dev_queue's or consume_skb's programs precede them.
  const order = [...new Set(opts.tracepoints)].sort((a, b) => Number(b === 'skb:kfree_skb') - Number(a === 'skb:kfree_skb'));
  for (const tp of order) out.push(probe(tp, KNOWN_TRUST.get(tp) ?? 'dev', opts), '');
  // Without this bpftrace prints every non-empty map on exit, in its own text format, into our JSON stream.
  const maps = ['@skbt_key', '@skbt_tcpf', ...(tracking(opts) ? ['@skbt_live'] : []), ...(reasons.length > 0 ? ['@skbt_reason', '@skbt_fpre'] : [])];
  out.push('END', '{', ...maps.map((m) => `  clear(${m});`), '}', '');
  return out.join('\n');
}

/**
 * A netns filter is set (`record` always gives one with an ifindex): skbs that pass the filter once are followed by
 * address until their free (pwru's --filter-track-skb). An ifindex alone does not follow: the netns then costs a
 * printf key string and the map lookups no longer fit kfree_skb's 512-byte BPF stack (measured, bpftrace 0.17).
 */
const tracking = (o: TracepointProgramOptions) => o.netnsInode !== undefined || (o.netnsInodes?.length ?? 0) > 0;

/**
 * Hooks where the final free is reported. `kfree_skb` and `consume_skb` fire only when the last reference goes
 * (skb_unref), so after one the address is free for the next skb: it stops being followed.
 */
const FREE_HOOKS = new Set(['skb:kfree_skb', 'skb:consume_skb']);

/**
 * `net_dev_xmit` reads the skb after the driver took it (for a veth it already belongs to the peer's receive
 * path, or is freed): it is printed for an skb already followed, never starts following one (retis does the same).
 */
const NO_BIRTH_HOOKS = new Set(['net:net_dev_xmit']);

/** A bpftrace condition on `$r` that holds exactly for the numbers in the reason table (usually one range). */
function knownRanges(reasons: Map<number, string> | undefined): string {
  const nums = [...(reasons?.keys() ?? [])].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(i === j ? `$r == ${nums[i]}` : `($r >= ${nums[i]} && $r <= ${nums[j]})`);
    i = j + 1;
  }
  return parts.length > 0 ? parts.join(' || ') : '0';
}

function checkU32(v: number | undefined, flag: string): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new UserError(`expected an unsigned 32-bit integer, got ${v}`, flag);
}

/** A bpftrace string literal. */
function lit(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

// An omitempty number costs two printf arguments: a key string that is `,"k":` or "" and the value printed with
// `%.0llu`, which C's printf renders as nothing for 0. That keeps each line a single printf: several printf calls
// per event would be separate perf records, which bpftrace may print with another CPU's records in between, or lose
// one of (a full buffer drops records, not events).
//
// The BPF stack (512 bytes) holds the printf argument struct plus spilled registers, and bpftrace 0.17 gives every
// printf call site its own struct. A line with a tuple needs about twice the arguments of one without, so the sites
// do not fit in one program: each tracepoint gets three programs, one per line shape (no tuple; tuple with ports;
// tuple without ports), each classifying the skb the same way, so exactly one of them prints each event. IPv4 and
// IPv6 share a site because ntop(af, bytes) formats both.
interface Field {
  fmt: string;
  args: string[];
}

/** The omitempty keys, by index in the `@skbt_key` map that BEGIN fills (index 0 stays empty: the "" key). */
const OMITEMPTY_KEYS = ['', 'cpu', 'netns', 'mark', 'proto', 'mtu', 'len'] as const;

function omitempty(key: (typeof OMITEMPTY_KEYS)[number], test: string, value: string): Field {
  // The key comes from a map lookup whose index is 0 (a miss: "") when the value is 0. A string variable per key
  // would sit on the stack twice (variable and printf argument).
  return { fmt: '%s%.0llu', args: [`@skbt_key[${OMITEMPTY_KEYS.indexOf(key)} * (${test} != 0)]`, value] };
}

type Shape = 'none' | 'ports' | 'noports';

function probe(tp: string, trust: DevTrust, opts: TracepointProgramOptions): string {
  return (['none', 'ports', 'noports'] as const).map((shape) => probeProgram(tp, trust, opts, shape)).join('\n\n');
}

function probeProgram(tp: string, trust: DevTrust, opts: TracepointProgramOptions, shape: Shape): string {
  const name = tp.split(':')[1]!;
  // TCP flags cost one more string argument: there is room for it only where the netns needs none (a netns
  // filter prints it as a literal or from $ns) and the drop reason needs none (not kfree_skb). Measured on bpftrace
  // 0.17: either extra argument exceeds the 512-byte BPF stack.
  const withFlags = shape === 'ports' && tp !== 'skb:kfree_skb' && (opts.netnsInode !== undefined || (opts.netnsInodes?.length ?? 0) > 0);
  const body: string[] = [];
  const emit = (...lines: string[]) => body.push(...lines);

  emit('  $skb = (struct sk_buff *)args->skbaddr;', '  $ns = (uint64)0; $ifindex = (int64)0; $mtu = (uint64)0;');
  if (trust === 'dev') {
    emit(
      '  $dev = $skb->dev;',
      '  if ($dev != 0) {',
      '    $ns = (uint64)$dev->nd_net.net->ns.inum; $ifindex = (int64)$dev->ifindex; $mtu = (uint64)$dev->mtu;',
      '  } else if ($skb->sk != 0) {',
      '    $ns = (uint64)$skb->sk->__sk_common.skc_net.net->ns.inum;',
      '  }',
    );
  } else {
    emit('  if ($skb->sk != 0) { $ns = (uint64)$skb->sk->__sk_common.skc_net.net->ns.inum; }');
  }
  // Tuple: decoded only when skb->protocol says IPv4/IPv6 and network_header is set, lies after the MAC header and
  // inside the linear data, and the version nibble agrees (else rx hooks before the IP layer, ARP and unset headers
  // decode as garbage). Ports come from network_header + IHL (as pwru does; transport_header is not yet set on rx
  // hooks), only for TCP/UDP, unfragmented, inside the linear data, and only when both are non-zero: a TCP/UDP
  // packet with a zero port prints without ports (pwru would print the other one).
  emit(
    '  $p = (uint64)$skb->protocol;',
    '  $proto = (($p & 0xff) << 8) | ($p >> 8);',
    '  $head = (uint64)$skb->head;',
    '  $nh = (uint64)$skb->network_header; $mh = (uint64)$skb->mac_header; $tail = (uint64)$skb->tail;',
    '  $l3 = (uint64)0; $vb = (uint64)0;',
    '  if (($proto == 0x0800 || $proto == 0x86dd) && $nh != 0xffff && ($mh == 0xffff || $nh >= $mh) && $nh + 20 <= $tail) {',
    '    $vb = (uint64)*(uint8 *)($head + $nh);',
    '    if ($proto == 0x0800 && ($vb >> 4) == 4 && ($vb & 0xf) >= 5) { $l3 = 4; }',
    '    else if ($proto == 0x86dd && ($vb >> 4) == 6 && $nh + 40 <= $tail) { $l3 = 6; }',
    '  }',
  );
  const conds: string[] = [];
  if (shape === 'none') {
    conds.push('$l3 == 0');
  } else {
    emit(
      '  $l4p = (uint64)0; $l4 = (uint64)0; $sport = (uint64)0; $dport = (uint64)0;',
      '  if ($l3 == 4) {',
      '    $l4p = (uint64)*(uint8 *)($head + $nh + 9);',
      '    $fr = (uint64)*(uint16 *)($head + $nh + 6);',
      '    if ((((($fr & 0xff) << 8) | ($fr >> 8)) & 0x1fff) == 0) { $l4 = $nh + ($vb & 0xf) * 4; }',
      '  } else if ($l3 == 6) {',
      '    $l4p = (uint64)*(uint8 *)($head + $nh + 6);',
      '    $l4 = $nh + 40;',
      '  }',
      '  if (($l4p == 6 || $l4p == 17) && $l4 != 0 && $l4 + 4 <= $tail) {',
      '    $s = (uint64)*(uint16 *)($head + $l4); $d = (uint64)*(uint16 *)($head + $l4 + 2);',
      '    $sport = (($s & 0xff) << 8) | ($s >> 8); $dport = (($d & 0xff) << 8) | ($d >> 8);',
      '  }',
    );
    // A drop's flags show on the hops before it.
    if (withFlags) emit('  $tf = (uint64)0;', '  if ($l4p == 6 && $l4 + 14 <= $tail) { $tf = (uint64)*(uint8 *)($head + $l4 + 13); }');
    conds.push('$l3 != 0', shape === 'ports' ? '$sport != 0 && $dport != 0' : '($sport == 0 || $dport == 0)');
  }
  const filter: string[] = [];
  if (opts.netnsInode !== undefined) filter.push(`$ns == ${opts.netnsInode}`);
  if (opts.netnsInodes?.length) filter.push(`(${opts.netnsInodes.map((n) => `$ns == ${n}`).join(' || ')})`);
  if (opts.ifindex !== undefined) filter.push(`$ifindex == ${opts.ifindex}`);
  const follow = tracking(opts);
  if (follow) {
    // Print what passes the filter, and whatever skb passed it before and is not yet freed: after tcp_v4_rcv a
    // receive skb has no dev (and often no sk), so the filter alone would hide its free and merge it with the next
    // packet at the recycled address.
    // The map holds the netns the skb was last seen in: where dev and sk are gone (after socket delivery) that is
    // still where it is, and what the line says (pwru never prints netns 0).
    const passes = NO_BIRTH_HOOKS.has(tp) ? '0' : filter.join(' && ');
    conds.push(`((${passes}) || @skbt_live[(uint64)$skb] != 0)`);
    if (opts.netnsInodes?.length) {
      // Several namespaces (both ends of a veth): a followed address now seen in another, known netns is another
      // skb at a recycled address whose free was not reported (TCP frees pure ACKs with __kfree_skb): forget it.
      const inSet = opts.netnsInodes.map((n) => `$ns == ${n}`).join(' || ');
      emit(`  if ($ns != 0 && !(${inSet}) && @skbt_live[(uint64)$skb] != 0) { delete(@skbt_live[(uint64)$skb]); }`);
      emit('  if ($ns == 0) { $ns = @skbt_live[(uint64)$skb]; }');
    }
  }

  const inner: string[] = [];
  let func: Field;
  if (tp === 'skb:kfree_skb') {
    // pwru: kfree_skb_reason(SKB_DROP_REASON_X), or `kfree_skb_reason (N)` (with a space) for an unknown reason.
    // Known: prefix "(SKB_DROP_REASON_", the name, an empty %.0llu. Unknown: prefix " (", "" (map miss), N.
    // Knownness is a range test on the number rather than a map lookup or a string variable: stack again.
    const known = knownRanges(opts.dropReasons);
    if (known === '0') {
      // No table (kernel without reasons, or none given): every drop prints like an unknown reason.
      inner.push('    $r = (uint64)args->reason;');
      func = { fmt: ',"func":"kfree_skb_reason (%llu)"', args: ['$r'] };
    } else {
      inner.push('    $r = (uint64)args->reason;', `    $known = (uint64)(${known});`);
      func = {
        fmt: ',"func":"kfree_skb_reason%s%s%.0llu)"',
        args: ['@skbt_fpre[$known]', '@skbt_reason[$r]', '$r * ($known == 0)'],
      };
    }
  } else {
    func = { fmt: `,"func":"${name}"`, args: [] };
  }

  // Values that are cheap to read again are read again in the printf arguments rather than kept in variables:
  // fewer live values, fewer register spills on the same stack.
  const fields: Field[] = [
    { fmt: '{"skb":"0x%llx"', args: ['(uint64)$skb'] },
    omitempty('cpu', 'cpu', '(uint64)cpu'),
    // pwru prints `<exe path>:<tgid>`; bpftrace 0.17 cannot resolve the exe path from a tracepoint, so we print
    // `<comm>:<tgid>`, the short form pwru itself prints when the path has no directory. The idle task shows as
    // `swapper/N:0` where pwru says `<empty>:0`: choosing between two strings costs stack we do not have.
    // A comm containing `"` or `\` makes the line invalid JSON (the parser rejects it; nothing crashes).
    { fmt: ',"process":"%s:%llu"', args: ['comm', '(uint64)pid'] },
    func,
    { fmt: ',"time":%llu', args: ['nsecs'] },
    // With a netns filter the value is known: a literal costs no stack (the kfree_skb programs need that room).
    // With several, $ns is one of them (never 0): no omitempty key string needed either.
    opts.netnsInodes?.length ? { fmt: ',"netns":%llu', args: ['$ns'] }
    : opts.netnsInode === undefined ? omitempty('netns', '$ns', '$ns')
    : { fmt: opts.netnsInode === 0 ? '' : `,"netns":${opts.netnsInode}`, args: [] },
    omitempty('mark', '$skb->mark', '(uint64)$skb->mark'),
    { fmt: ',"iface":"%lld"', args: ['$ifindex'] },
    omitempty('proto', '$proto', '$proto'),
    // pwru (v1.0.7+) prefers the route MTU from skb->_skb_refdst; we print dev->mtu, as pwru did before.
    omitempty('mtu', '$mtu', '$mtu'),
    omitempty('len', '$skb->len', '(uint64)$skb->len'),
  ];
  if (shape !== 'none') {
    // One ntop() per address for both families: AF_INET formats the first 4 of the 16 bytes read at the address's
    // offset (saddr/daddr at 12/16 in IPv4, 8/24 in IPv6); pwru brackets IPv6 addresses (`[fd00::1]`).
    inner.push(
      '    $lb = "["; $rb = "]"; $af = (uint64)10; $so = (uint64)8; $do = (uint64)24;',
      '    if ($l3 == 4) { $lb = ""; $rb = ""; $af = 2; $so = 12; $do = 16; }',
    );
    const addr = (off: string) => `ntop($af, ((struct in6_addr *)($head + $nh + ${off}))->in6_u.u6_addr8)`;
    fields.push({
      fmt: ',"tuple":{"saddr":"%s%s%s","daddr":"%s%s%s"',
      args: ['$lb', addr('$so'), '$rb', '$lb', addr('$do'), '$rb'],
    });
    fields.push(
      shape === 'ports'
        ? withFlags
          ? { fmt: ',"sport":%llu,"dport":%llu,"proto":%llu%s}', args: ['$sport', '$dport', '$l4p', '@skbt_tcpf[$tf]'] }
          : { fmt: ',"sport":%llu,"dport":%llu,"proto":%llu}', args: ['$sport', '$dport', '$l4p'] }
        : { ...omitempty('proto', '$l4p', '$l4p'), fmt: '%s%.0llu}' },
    );
  }
  fields.push({ fmt: '}\n', args: [] });
  inner.push(`    printf(${lit(fields.map((f) => f.fmt).join(''))}, ${fields.flatMap((f) => f.args).join(', ')});`);
  if (follow) inner.push(FREE_HOOKS.has(tp) ? '    delete(@skbt_live[(uint64)$skb]);' : `    @skbt_live[(uint64)$skb] = ${opts.netnsInode ?? '$ns'};`);

  emit(`  if (${conds.join(' && ')}) {`, ...inner, '  }');
  return [`tracepoint:${tp}`, '/args->skbaddr != 0/', '{', ...body, '}'].join('\n');
}
