// Names both the parser and the renderers use for numbers pwru prints: TCP flag bits and L4 protocol numbers.
// Defined once here; the tracepoint program builds its flag strings from the same list.

export const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;
export const L4_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58 };
export const L4_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp6' };

export function tcpFlagsFromNames(s: string): number | null {
  let bits = 0;
  for (const name of s.split('|')) {
    const i = TCP_FLAG_NAMES.indexOf(name as (typeof TCP_FLAG_NAMES)[number]);
    if (i < 0) return null;
    bits |= 1 << i;
  }
  return bits;
}

export function tcpFlagNames(bits: number): string {
  const out: string[] = [];
  for (let i = 0; i < 8; i++) if (bits & (1 << i)) out.push(TCP_FLAG_NAMES[i]!);
  return out.join('|');
}

/** The prefix of every name in the kernel's `enum skb_drop_reason`, as pwru prints it: `kfree_skb_reason(SKB_DROP_REASON_X)`. */
export const DROP_REASON_PREFIX = 'SKB_DROP_REASON_';

/** A drop reason as a user may write it (`netfilter_drop`, `SKB_DROP_REASON_NETFILTER_DROP`) -> the short name SQL's skb_drop_reason_name gives. */
export const dropReasonName = (s: string): string => s.toUpperCase().replace(/^SKB_DROP_REASON_/, '');

/** A short name (or `CODE_<n>` for a number no table named) -> pwru's printed form, as SQL's skb_drop_reason_label gives it. */
export const dropReasonLabel = (name: string): string => (name.startsWith('CODE_') || name.startsWith(DROP_REASON_PREFIX) ? name : DROP_REASON_PREFIX + name);
