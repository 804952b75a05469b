// Which snapshot kind is this text? For `attach`, which takes files of unknown kind and refuses one that is clearly
// another kind. Scores header lines (decisive) and row shapes; JSON by the shape of its first element.
import type { SnapshotKind } from '../capture/dir.js';
import {
  ENDPOINT_HEADER, IPCACHE_HEADER, looksLikeJson, METRICS_HEADER, METRICS_ROW6, SECTION, splitLines,
} from './parsers.js';
import { ENDPOINT_API_HEADER, IDENTITY_HEADER } from './label-parsers.js';

export function detectSnapshotKind(text: string): SnapshotKind | null {
  if (looksLikeJson(text)) return detectJson(text);
  const score: Record<SnapshotKind, number> = { endpoints: 0, ipcache: 0, metrics: 0, 'bpftool-net': 0, identities: 0, 'endpoint-list': 0 };
  for (const { text: t0 } of splitLines(text)) {
    const t = t0.trim();
    if (ENDPOINT_HEADER.test(t)) score.endpoints += 100;
    else if (IPCACHE_HEADER.test(t)) score.ipcache += 100;
    else if (METRICS_HEADER.test(t)) score.metrics += 100;
    else if (IDENTITY_HEADER.test(t)) score.identities += 100;
    else if (ENDPOINT_API_HEADER.test(t)) score['endpoint-list'] += 100;
    else if (SECTION.test(t)) score['bpftool-net'] += 10;
    else if (/^\S+\(\d+\)\s+(tcx\/|clsact\/|netkit\/|root\b|driver\b|generic\b|offload\b)/.test(t)) score['bpftool-net']++;
    else if (/^\S+\/\d+(@\S+)?\s+(identity=\d+|\d+$)/.test(t)) score.ipcache++;
    else if (/^\S+\s+(\(localhost\)$|id=\d+)/.test(t)) score.endpoints++;
    else if (METRICS_ROW6.test(t) && /\s(INGRESS|EGRESS|SERVICE|UNKNOWN)\s/i.test(t)) score.metrics++;
    else if (/^\d+\s+(reserved|k8s|cidr|fqdn|unspec|container):\S+$/.test(t)) score.identities++;
  }
  const ranked = (Object.entries(score) as [SnapshotKind, number][]).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] === 0 || best[1] === second![1]) return null;
  return best[0];
}

function detectJson(text: string): SnapshotKind | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (Array.isArray(data)) {
    const first = data[0] as Record<string, unknown> | undefined;
    if (!first || typeof first !== 'object') return null;
    if ('tc' in first || 'xdp' in first) return 'bpftool-net';
    if ('reason' in first && 'direction' in first) return 'metrics';
    // models.Endpoint carries its identity inside status; models.Identity is {id, labels, labelsSHA256}.
    if ('id' in first && 'status' in first) return 'endpoint-list';
    if ('id' in first && ('labels' in first || 'labelsSHA256' in first)) return 'identities';
    return null;
  }
  if (data && typeof data === 'object') {
    const values = Object.values(data as Record<string, unknown>).flat().filter((v): v is string => typeof v === 'string');
    if (values.length === 0) return null;
    if (values.every((v) => /\bidentity=\d+/.test(v) || /^\s*\d+\s*$/.test(v))) return 'ipcache';
    if (values.every((v) => /\bid=\d+/.test(v) || v.trim() === '(localhost)')) return 'endpoints';
  }
  return null;
}
