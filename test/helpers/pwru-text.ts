// pwru v1.0.10 text lines, default flags + --timestamp current (or relative: the same column), in the layout of
// cilium/pwru internal/pwru/output.go: for tests that build small captures by hand. Never a layout pwru did not print.
export const HEADER = 'SKB                CPU PROCESS          TIMESTAMP        NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';

const centre = (s: string, w: number) => {
  if (s.length >= w) return s;
  const l = (w - s.length) >> 1;
  return ' '.repeat(l) + s + ' '.repeat(w - s.length - l);
};

export interface Ev { skb: string; ts: bigint; func: string; iface?: string; netns?: number; tuple?: string; proto?: string; cpu?: number; proc?: string }

export function line(e: Ev): string {
  return [
    e.skb.padEnd(18), String(e.cpu ?? 1).padEnd(3), (e.proc ?? '~bin/curl:272299').padEnd(16), String(e.ts).padEnd(16),
    String(e.netns ?? 4026531840).padEnd(10), '0'.padEnd(8), centre(e.iface ?? '~3a6f7d4e8c73:26', 16), e.proto ?? '0x0800',
    '9001 '.padEnd(5), '60   '.padEnd(5), e.tuple ?? '10.244.2.173:54864->10.244.2.61:80(tcp)', e.func,
  ].join(' ');
}
