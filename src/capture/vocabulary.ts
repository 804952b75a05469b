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
