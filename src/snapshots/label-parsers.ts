// The two snapshots that name security identities: `cilium-dbg identity list` (id -> labels) and `cilium-dbg endpoint
// list` (the agent's endpoints: id, identity, labels, pod, addresses). Text or JSON -> typed rows, pure and never
// throwing, as parsers.ts does for the BPF maps. Layouts: shared/formats/CILIUM_DBG_FORMATS.md §3 and §4.
import {
  intOrNull, isNoise, jsonArrayOrWarn, looksLikeJson, NO_ENTRIES, occurrenceLines, parseIp, splitLines, Warnings,
  type ParseResult,
} from './parsers.js';

/** One label of one identity (an identity with three labels is three rows). */
export interface IdentityLabelRow {
  identity: number;
  label: string;
  line: number;
}

/** One endpoint the agent manages (`cilium-dbg endpoint list`). */
export interface ApiEndpointRow {
  endpointId: number;
  /** Null for `<no label id>` (an endpoint still waiting for its identity). */
  identity: number | null;
  labels: string[];
  ipv4: string | null;
  ipv6: string | null;
  /** From the JSON form's external-identifiers only; the table does not print them. */
  namespace: string | null;
  pod: string | null;
  state: string | null;
  line: number;
}

// §4: `ID  LABELS` (and `ID  LABELS  REFCOUNT` for --endpoints), first label on the id's row, one row per further label.
export const IDENTITY_HEADER = /^ID\s+LABELS(\s+REFCOUNT)?$/;
// A label is `source:key[=value]`; in the table it is one token (labels never contain blanks).
const LABEL = /^[A-Za-z0-9_.-]*:\S+$/;

export function parseIdentityList(text: string, source?: string): ParseResult<IdentityLabelRow> {
  const w = new Warnings(source);
  if (looksLikeJson(text)) return { rows: identitiesFromJson(text, w), warnings: w.list };
  const rows: IdentityLabelRow[] = [];
  let current: number | null = null;
  let refcount = false;
  for (const line of splitLines(text)) {
    const t = line.text;
    if (t.trim() === '') { current = null; continue; }
    if (isNoise(t) || NO_ENTRIES.test(t.trim())) continue;
    const head = IDENTITY_HEADER.exec(t.trim());
    if (head) { refcount = head[1] !== undefined; current = null; continue; }
    if (/^\s/.test(t)) {
      const label = t.trim();
      if (current === null) w.add(line.no, line.raw, 'label row (blank ID column) with no identity row before it');
      else if (!LABEL.test(label)) w.add(line.no, line.raw, `expected one source:key[=value] label, not ${JSON.stringify(label)}`);
      else rows.push({ identity: current, label, line: line.no });
      continue;
    }
    const m = (refcount ? /^(\d+)\s+(\S+)\s+\d+$/ : /^(\d+)\s+(\S+)$/).exec(t);
    const id = m ? intOrNull(m[1]) : null;
    if (!m || id === null || !LABEL.test(m[2]!)) {
      w.add(line.no, line.raw, refcount ? 'expected ID, a label and REFCOUNT' : 'expected a numeric ID and a label');
      current = null;
      continue;
    }
    current = id;
    rows.push({ identity: id, label: m[2]!, line: line.no });
  }
  return { rows, warnings: w.list };
}

/** `-o json`: `[]models.Identity`, `{"id": N, "labels": [...], "labelsSHA256": "..."}` (labels omitted when empty). */
function identitiesFromJson(text: string, w: Warnings): IdentityLabelRow[] {
  const data = jsonArrayOrWarn(text, w, 'identities');
  if (data === null) return [];
  const lines = occurrenceLines(text, '"id"');
  const rows: IdentityLabelRow[] = [];
  data.forEach((o: unknown, i) => {
    const line = lines[i] ?? 1;
    const rec = (o ?? {}) as { id?: unknown; labels?: unknown };
    const id = typeof rec.id === 'number' && Number.isSafeInteger(rec.id) && rec.id >= 0 ? rec.id : null;
    if (id === null) { w.add(line, JSON.stringify(o).slice(0, 200), 'identity without a numeric id'); return; }
    const labels = rec.labels === undefined ? [] : rec.labels;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
      w.add(line, JSON.stringify(o).slice(0, 200), `identity ${id}: labels is not a list of strings`);
      return;
    }
    for (const label of labels) rows.push({ identity: id, label, line });
  });
  return rows;
}

// §3: a two-line header; cells split by tabwriter padding. Policy cells may be `Disabled (Audit)`.
export const ENDPOINT_API_HEADER = /^ENDPOINT\s+POLICY \(ingress\)\s+POLICY \(egress\)\s+IDENTITY\s+LABELS/;
const ENDPOINT_API_HEADER2 = /^ENFORCEMENT\s+ENFORCEMENT$/;
const POLICY = String.raw`(Disabled \(Audit\)|\S+)`;
const ENDPOINT_ROW = new RegExp(String.raw`^(\d+)\s+${POLICY}\s+${POLICY}\s+(\d+|<no label id>)\s+(\S+)(.*)$`);

export function parseApiEndpointList(text: string, source?: string): ParseResult<ApiEndpointRow> {
  const w = new Warnings(source);
  if (looksLikeJson(text)) return { rows: apiEndpointsFromJson(text, w), warnings: w.list };
  const rows: ApiEndpointRow[] = [];
  let current: ApiEndpointRow | null = null;
  for (const line of splitLines(text)) {
    const t = line.text;
    if (t.trim() === '') { current = null; continue; }
    if (isNoise(t) || NO_ENTRIES.test(t.trim())) continue;
    if (ENDPOINT_API_HEADER.test(t.trim()) || ENDPOINT_API_HEADER2.test(t.trim())) { current = null; continue; }
    if (/^\s/.test(t)) {
      // A further label: every other cell of the row is empty.
      const label = t.trim();
      if (current === null) w.add(line.no, line.raw, 'label row (blank ENDPOINT column) with no endpoint row before it');
      else if (!LABEL.test(label)) w.add(line.no, line.raw, `expected one source:key[=value] label, not ${JSON.stringify(label)}`);
      else current.labels.push(label);
      continue;
    }
    const m = ENDPOINT_ROW.exec(t);
    const id = m ? intOrNull(m[1]) : null;
    if (!m || id === null) {
      w.add(line.no, line.raw, 'expected ENDPOINT, two policy cells, IDENTITY and LABELS');
      current = null;
      continue;
    }
    // The rest: IPv6, IPv4 (either may be empty or `No address`), then STATUS.
    const rest = m[6]!.trim().split(/\s+/).filter((x) => x !== '');
    const state = rest.length && parseIp(rest.at(-1)!) === null && rest.at(-1) !== 'address' ? rest.pop()! : null;
    const first = m[5]!;
    current = {
      endpointId: id,
      identity: m[4] === '<no label id>' ? null : intOrNull(m[4]),
      labels: first === 'no' || !LABEL.test(first) ? [] : [first], // `no labels` prints as two words
      ipv4: rest.find((a) => parseIp(a)?.family === 4) ?? null,
      ipv6: rest.find((a) => parseIp(a)?.family === 6) ?? null,
      namespace: null, pod: null, state, line: line.no,
    };
    rows.push(current);
  }
  return { rows, warnings: w.list };
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/** `-o json`: `[]models.Endpoint`; the fields read are id and status.{identity, external-identifiers, networking, state}. */
function apiEndpointsFromJson(text: string, w: Warnings): ApiEndpointRow[] {
  const data = jsonArrayOrWarn(text, w, 'endpoints');
  if (data === null) return [];
  // Top-level ids are the first `"id"` of each element; nested identity ids follow them, so count elements' own keys.
  const idLines = occurrenceLines(text, '\n  {').map((l) => l + 1);
  const rows: ApiEndpointRow[] = [];
  data.forEach((o: unknown, i) => {
    const line = idLines[i] ?? 1;
    const ep = (o ?? {}) as { id?: unknown; status?: Record<string, unknown> };
    if (typeof ep.id !== 'number' || !Number.isSafeInteger(ep.id)) { w.add(line, JSON.stringify(o).slice(0, 200), 'endpoint without a numeric id'); return; }
    const st = (ep.status ?? {}) as Record<string, unknown>;
    const ident = (st['identity'] ?? {}) as { id?: unknown; labels?: unknown };
    const ext = (st['external-identifiers'] ?? {}) as Record<string, unknown>;
    const net = (st['networking'] ?? {}) as { addressing?: unknown };
    const addressing = Array.isArray(net.addressing) ? (net.addressing as Record<string, unknown>[]) : [];
    const labels = Array.isArray(ident.labels) ? ident.labels.filter((l): l is string => typeof l === 'string') : [];
    // pod-name is the deprecated "namespace/pod" form older agents print instead of the two fields.
    const [podNs, podName] = (str(ext['pod-name']) ?? '').split('/');
    rows.push({
      endpointId: ep.id,
      identity: typeof ident.id === 'number' && Number.isSafeInteger(ident.id) ? ident.id : null,
      labels,
      ipv4: addressing.map((a) => str(a['ipv4'])).find((a) => a !== null) ?? null,
      ipv6: addressing.map((a) => str(a['ipv6'])).find((a) => a !== null) ?? null,
      namespace: str(ext['k8s-namespace']) ?? (podName ? str(podNs) : null),
      pod: str(ext['k8s-pod-name']) ?? (podName ? str(podName) : null),
      state: str(st['state']),
      line,
    });
  });
  return rows;
}
