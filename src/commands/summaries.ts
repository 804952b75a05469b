// One line per command: what `skbtape --help` lists without loading any command's module, and what each command's
// own help opens with (src/commands/<name>.ts uses the same line). Order: the top-level help's.
export const SUMMARIES = {
  record: 'record pwru (or kernel tracepoints) into a capture directory, optionally while a test command runs',
  'import': 'import saved pwru output (text or --output-json) into a capture directory',
  info: 'show a capture\'s summary: counts, status, time range, source, snapshots',
  replay: "print a capture in pwru's own output layout, or as pwru JSON lines",
  query: 'run SQL (or a canned report) over one or more captures; tables: events, skb_tracks, track_hops, events_enriched, tracks_enriched, endpoints, ipcache, metrics_delta, … (see `skbtape reports`)',
  reports: 'list the canned reports for `skbtape query <capture> --report <name>`',
  paths: 'group skb lifetimes by the path they took through the kernel; show one example of each, hop by hop',
  tracks: 'one compact line per skb lifetime: time, src → dst with labels, TCP flags, verdict and drop, devices and netns, hops, duration',
  report: 'write one self-contained HTML page of a capture (or two, --diff): facts, flows, journey diagrams, drops and metrics charts',
  diff: 'compare the flows of two captures: paths only in A / only in B, first divergent function, verdicts, drops, latency (exit 0 same, 1 different, 2 error)',
  check: 'run assertions (a YAML rules file: SQL that must return no rows, reaches/no_drops/no_func/max_hop_latency_us) over a capture; a rule whose flow matches no track fails unless allow_empty: true; exit 1 on any failure',
  verify: 'check a capture\'s integrity: every batch against its checksums, missing or duplicated batches, the manifest and its counts (exit 1 on any fault)',
  filter: 'cut a capture down to the skb lifetimes a --flow filter (and --since/--until/--track) keeps, into a new capture of the same format',
  'export': 'write captures as hive-partitioned Parquet (<dir>/<table>/node=<node>/date=<YYYY-MM-DD>/capture_id=<id>/), pcapng for Wireshark/tcpdump (synthetic payload), or one capture as a Perfetto trace',
  snapshot: 'take cilium-dbg and bpftool snapshots (no packets) into a new capture directory',
  attach: 'add saved cilium-dbg / bpftool outputs to a capture as snapshots (copied verbatim, then checked)',
  demo: 'record a real curl between two throwaway namespaces (root + bpftrace), or analyze the samples, then show paths and a diff and write an HTML report',
} as const;

export type CommandName = keyof typeof SUMMARIES;
