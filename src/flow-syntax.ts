// The --flow filter grammar in one line, for help texts and error messages (kept apart from paths.ts so that
// `--help` does not load DuckDB).
export const FLOW_HELP = 'terms: [src|dst] host ADDR, src|dst ADDR, [src|dst] port N, [src|dst] identity N, tcp|udp|icmp|icmp6|sctp, verdict V; joined by "and"';
