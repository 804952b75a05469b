// Our record flags → pwru's argv, by what the detected pwru version supports (pure).
// Flag history is from PWRU_FORMATS.md §7: --output-json v1.0.6+, --timestamp v0.0.5+, --ready-file v0.0.7+,
// --output-meta/--output-tuple on by default from v1.0.8.

export interface PwruVersion { raw: string; major: number; minor: number; patch: number }

/** `pwru v1.0.10`, `pwru v1.0.4-1-g1e10c197d1c0` → version; null when the text has none. */
export function parsePwruVersion(text: string): PwruVersion | null {
  const m = /\bv?(\d+)\.(\d+)\.(\d+)(\S*)/.exec(text);
  if (!m) return null;
  return { raw: text.trim().replace(/^pwru\s+/, ''), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

const atLeast = (v: PwruVersion | null, major: number, minor: number, patch: number) =>
  v !== null && (v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch);

export interface PwruCaps {
  json: boolean;
  timestamp: boolean;
  readyFile: boolean;
  /** Meta and tuple columns must be asked for (before v1.0.8). */
  needMetaTupleFlags: boolean;
  tcpFlags: boolean;
}

/** What a pwru version can do. An unknown version (no --version before v0.0.3) gets the oldest behaviour. */
export function capsOf(v: PwruVersion | null): PwruCaps {
  return {
    json: atLeast(v, 1, 0, 6),
    timestamp: atLeast(v, 0, 0, 5),
    readyFile: atLeast(v, 0, 0, 7),
    needMetaTupleFlags: !atLeast(v, 1, 0, 8),
    tcpFlags: atLeast(v, 1, 0, 10),
  };
}

/** pwru flags users pass by their pwru names; value = takes an argument. */
export const PASS_THROUGH_FLAGS: Record<string, boolean> = {
  'filter-func': true,
  'filter-mark': true,
  'filter-non-skb-funcs': true,
  'filter-track-skb': false,
  'filter-track-skb-by-stackid': false,
  'filter-trace-tc': false,
  'filter-trace-xdp': false,
  'filter-track-bpf-helpers': false,
  'filter-kprobe-batch': true,
  'filter-skb-expr': true,
  'output-skb': false,
  'output-skb-shared-info': false,
  'output-stack': false,
  'output-caller': false,
  'output-tcp-flags': false,
  'output-tunnel': false,
  'output-skb-cb': false,
  'output-limit-lines': true,
  'kmods': true,
  'all-kmods': false,
  'backend': true,
  'kernel-btf': true,
};

/** Options whose output exists only in pwru's text mode (PWRU_FORMATS.md §5). */
const TEXT_ONLY = ['--output-skb-metadata', '--output-xdp-metadata', '--output-bpfmap'];

export interface PwruArgOptions {
  targetArgs: string[];
  pcapFilter?: string;
  /** `--flag` or `--flag value` pairs, already in pwru spelling. */
  passThrough: string[];
  /** --pwru-arg values, verbatim. */
  extraArgs: string[];
  readyFile?: string;
  format: 'auto' | 'text' | 'json';
}

export interface PwruPlan { argv: string[]; json: boolean; timestamp: boolean; readyFile: string | null }

export function buildPwruArgv(o: PwruArgOptions, caps: PwruCaps): PwruPlan {
  const all = [...o.passThrough, ...o.extraArgs];
  const textOnly = all.some((a) => TEXT_ONLY.some((t) => a === t || a.startsWith(`${t}=`)));
  const userJson = all.includes('--output-json');
  const json = userJson || (o.format === 'json' ? true : o.format === 'text' ? false : caps.json && !textOnly);
  const argv: string[] = [...o.targetArgs];
  if (json && !userJson) argv.push('--output-json');
  if (caps.needMetaTupleFlags) argv.push('--output-meta', '--output-tuple');
  const userTimestamp = all.some((a) => a === '--timestamp' || a.startsWith('--timestamp='));
  const timestamp = caps.timestamp && !userTimestamp;
  if (timestamp) argv.push('--timestamp', 'current');
  const readyFile = caps.readyFile && o.readyFile ? o.readyFile : null;
  if (readyFile) argv.push('--ready-file', readyFile);
  argv.push(...o.passThrough, ...o.extraArgs);
  // pwru joins the positional arguments into one pcap-filter expression.
  if (o.pcapFilter) argv.push(o.pcapFilter);
  return { argv, json, timestamp: timestamp || userTimestamp, readyFile };
}
