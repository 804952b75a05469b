// The report as one self-contained HTML file: the facts, tables and the diff's function lists written here as HTML;
// ECharts (from node_modules, inlined), the page script and style (assets/report/) and the data as inline JSON draw
// the journeys and charts in the browser. A Content-Security-Policy forbids every fetch, so the page never touches
// the network. The data is report/data.ts's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CaptureReport, ReportData, ReportPath } from './data.js';
import type { FlowDiff, PathChange } from '../diff/diff.js';
import { identityText } from '../render/identity.js';

const ASSETS = fileURLToPath(new URL('../../assets/report/', import.meta.url));
const require = createRequire(import.meta.url);

/** ECharts' own minified bundle: read from the installed package at report time, never downloaded. */
export const echartsBundle = (): string => readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toLocaleString('en-US'));
const ENTRY_NOTE = 'pwru gives each function\'s <b>entry</b> time: the deltas are times between entries, not how long a function ran.';

function fmtNs(ns: number | null): string {
  if (ns === null) return '–';
  return ns < 1000 ? `${ns} ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(1)} µs` : ns < 1e9 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e9).toFixed(3)} s`;
}

function facts(c: CaptureReport): string {
  const f = c.facts;
  const rows: [string, string][] = [
    ['tracer', `${esc(f.tracer)} ${esc(f.version ?? '')}`],
    ['argv', f.argv ? `<code>${esc(f.argv.join(' '))}</code>` : '–'],
    ['source', `${esc(f.source.kind)}${f.source.path ? ` <code>${esc(f.source.path)}</code>` : ''}, ${esc(f.source.format)}`],
    ['status', esc(f.status)],
    ['host', `${esc(f.host.hostname)}, kernel ${esc(f.host.kernel)}`],
    ['target', f.target && Object.keys(f.target).length ? Object.entries(f.target).map(([k, v]) => `${esc(k)}=<code>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</code>`).join(' ') : '–'],
    ['test command', f.command ? `<code>${esc(f.command.argv.join(' '))}</code> → exit <b data-testid="exit">${esc(f.command.exit ?? '?')}</b>${f.command.exitText && f.command.exit !== 0 ? ` (${esc(f.command.exitText)})` : ''}, ${n(f.command.durationMs)} ms` : '–'],
    ['loss', `${f.lostEvents === null ? 'not known' : `${n(f.lostEvents)} events reported lost`}${f.lossUnreported ? `; <span data-testid="loss-unreported">${esc(f.lossUnreported)}</span>` : ''}`],
    ['time range', f.timeRange?.firstKtime ? `ktime ${esc(f.timeRange.firstKtime)} … ${esc(f.timeRange.lastKtime)} (${f.durationMs?.toFixed(3)} ms)${f.timeRange.firstAbs ? `; ${esc(f.timeRange.firstAbs)} … ${esc(f.timeRange.lastAbs)}` : ''}` : '–'],
  ];
  return `<table class="facts">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function summary(c: CaptureReport): string {
  const s = c.summary;
  const box = (id: string, label: string, v: number | null, bad = false) => `<div class="num${bad && (v ?? 0) > 0 ? ' bad' : ''}"><b data-testid="${id}">${n(v)}</b>${label}</div>`;
  return `<div class="summary" data-capture="${esc(c.id)}">${box('events', 'events', s.events)}${box('lifetimes', 'skb lifetimes', s.lifetimes)}${box('flows', 'flows', s.flows)}` +
    `${box('paths', 'distinct paths', s.paths)}${box('dropped', 'dropped', s.dropped, true)}${box('rejects', 'rejected lines', s.rejects, true)}${box('lost', 'lost events', c.facts.lostEvents, true)}</div>`;
}

const label = (addr: string | null, id: number | null, ep: number | null, name: string | null) =>
  `${esc(addr ?? '?')}${id !== null || ep !== null ? ` <span class="note">(${[id !== null ? esc(identityText(id, name)) : '', ep !== null ? `ep ${ep}` : ''].filter(Boolean).join(', ')})</span>` : ''}`;

function flowsTable(c: CaptureReport): string {
  const cap = c.shown.flows < c.shown.flowsTotal ? `<div class="cap-note">showing ${c.shown.flows} of ${n(c.shown.flowsTotal)} flows (the report embeds at most ${c.shown.flows}; \`skbtape tracks\` lists them all)</div>` : '';
  const rows = c.flows.map((f) => `<tr><td class="mono">${esc(f.flow)}</td><td>${label(f.client, f.clientIdentity, f.clientEndpoint, f.clientIdentityName)}</td><td>${label(f.server, f.serverIdentity, f.serverEndpoint, f.serverIdentityName)}${f.port !== null ? `:${f.port}` : ''} ${esc(f.l4 ?? '')}</td>` +
    `<td class="n">${n(f.tracks)}</td><td>${f.verdicts.map((v) => `<span class="verdict-${esc(v.verdict)}">${esc(v.verdict)} ${n(v.n)}</span>`).join(', ')}</td></tr>`).join('');
  return `${cap}<table class="flows"><tr><th>flow</th><th>client</th><th>server</th><th>lifetimes</th><th>verdicts</th></tr>${rows}</table>`;
}

function pathBlock(c: CaptureReport, ci: number, p: ReportPath, pi: number): string {
  const lines = p.pwruLines;
  const header = lines.length > 0 && /^\s*SKB\s/.test(lines[0]!);
  const more = p.tracks > p.trackIds.length ? ` … and ${n(p.tracks - p.trackIds.length)} more` : '';
  const drop = p.verdict === 'dropped' ? `<div class="drop-text" data-testid="drop">✗ ${esc(p.verdictText)}</div>` : '';
  return `<div class="path ${esc(p.verdict)}" id="path-${ci}-${pi}">
<div class="head"><b>#${pi + 1}</b><span>${n(p.tracks)} lifetime(s)</span><span>${p.hops.length} hops</span><span class="verdict-${esc(p.verdict)}">${esc(p.verdict)}</span><span class="mono note">path ${esc(p.sig)}</span></div>
${p.tupleText ? `<div class="mono">${esc(p.tupleText)}</div>` : ''}${drop}
<div class="journey-wrap"><div class="journey" id="journey-${ci}-${pi}"></div></div>
<div class="note">edges: median time between entries over the path's lifetimes; click a hop for its line below. Example ${esc(p.exampleTrack)}, ${fmtNs(p.durationNs)} first to last entry.</div>
<div class="tracks">tracks: ${p.trackIds.map(esc).join(' ')}${more}</div>
<details id="details-${ci}-${pi}"><summary>example track ${esc(p.exampleTrack)}: its events in pwru's layout</summary>
<pre id="events-${ci}-${pi}" data-header="${header ? 1 : 0}">${lines.map((l) => `<span class="line">${esc(l)}</span>`).join('\n')}</pre></details>
</div>`;
}

function captureSection(c: CaptureReport, ci: number): string {
  const capPaths = c.shown.paths < c.shown.pathsTotal ? `<div class="cap-note">showing the ${c.shown.paths} most common of ${n(c.shown.pathsTotal)} distinct paths</div>` : '';
  const drops = c.drops.length
    ? `<div class="chart" id="drops-${ci}"></div><table><tr><th>reason</th><th>site</th><th>lifetimes</th></tr>${c.drops.map((d) => `<tr><td class="verdict-dropped">${esc(d.reason ?? 'reason unknown')}</td><td class="mono">${esc(d.site ?? '?')}</td><td class="n">${n(d.n)}</td></tr>`).join('')}</table>`
    : '<p class="note">no skb lifetime was dropped.</p>';
  const metrics = c.metrics.length
    ? `<div class="chart" id="metrics-${ci}"></div><table><tr><th>reason</th><th>direction</th><th>packets</th><th>bytes</th></tr>${c.metrics.map((m) => `<tr><td>${esc(m.reason)}</td><td>${esc(m.direction)}</td><td class="n">${n(m.packets)}</td><td class="n">${n(m.bytes)}</td></tr>`).join('')}</table>`
    : '<p class="note">no <code>bpf metrics list</code> delta: the capture has no start and end metrics snapshots, or nothing moved.</p>';
  return `<section class="capture" id="capture-${ci}" data-capture="${esc(c.id)}">
<h2>${esc(c.id)} <span class="note mono">${esc(c.dir)}</span></h2>
${facts(c)}${summary(c)}
<h3>Verdicts</h3><div class="chart" id="verdicts-${ci}" style="height:220px;max-width:600px"></div>
<h3>Flows</h3>${flowsTable(c)}
<h3>Paths</h3><p class="note">${ENTRY_NOTE} One lane per network namespace; a dashed purple edge crosses namespaces; the drop is a red diamond.</p>${capPaths}
${c.paths.map((p, pi) => pathBlock(c, ci, p, pi)).join('\n')}
<h3>Drops</h3>${drops}
<h3>Cilium datapath metrics during the capture</h3>${metrics}
</section>`;
}

/** Both sides' functions of a changed path, the first divergent function marked (index = the common prefix length). */
function sides(ch: PathChange, funcs: NonNullable<ReportData['diff']>['funcs']): string {
  const list = (fs: string[] | null | undefined, which: 'A' | 'B') => {
    if (!fs) return `<p class="note">(path ${which} not found)</p>`;
    return `<ol class="funcs">${fs.map((f, i) => `<li class="${i < ch.common ? 'common' : i === ch.common ? 'divergent' : 'after'}"${i === ch.common ? ' data-testid="divergent"' : ''}>${esc(f)}</li>`).join('')}</ol>`;
  };
  const fa = funcs[ch.sigA]?.a, fb = funcs[ch.sigB]?.b;
  const endA = fa && ch.common >= fa.length ? '<p class="note">A\'s path ends here</p>' : '', endB = fb && ch.common >= fb.length ? '<p class="note">B\'s path ends here</p>' : '';
  return `<div class="sides"><div><b>A</b> <span class="mono note">${esc(ch.sigA)}</span>, ${n(ch.tracksA)} lifetime(s)${list(fa, 'A')}${endA}</div>` +
    `<div><b>B</b> <span class="mono note">${esc(ch.sigB)}</span>, ${n(ch.tracksB)} lifetime(s)${list(fb, 'B')}${endB}</div></div>`;
}

function diffSection(d: NonNullable<ReportData['diff']>): string {
  const r = d.result;
  const flow = (f: FlowDiff) => {
    if (f.status === 'same') return `<div class="flow-same mono">${esc(f.flow)}: same</div>`;
    const changed = f.changed.map((ch) => `<h3>${esc(ch.dir)}: first divergent function <code class="verdict-dropped">${esc(ch.divergesAt ?? '(end)')}</code>${ch.lastCommon ? ` after <code>${esc(ch.lastCommon)}</code>` : ''}</h3>` +
      `${ch.verdict ? `<p>verdict ${esc(ch.verdict.a)} → <b class="verdict-${esc(ch.verdict.b)}">${esc(ch.verdict.b)}</b>${ch.verdict.dropReason ? `: ${esc(ch.verdict.dropReason)} at ${esc(ch.verdict.dropAt ?? '?')}` : ''}</p>` : ''}${sides(ch, d.funcs)}`).join('');
    const side = (s: FlowDiff['a']) => (s ? `${n(s.tracks)} lifetime(s), ${n(s.dropped)} dropped` : 'absent');
    return `<div class="flow-changed"><div><b class="mono">${esc(f.flow)}</b>: ${esc(f.status)}; A ${side(f.a)}, B ${side(f.b)}</div>${changed}</div>`;
  };
  const drops = r.drops.new.map((x) => `<li class="verdict-dropped">new drop ${esc(x.reason)} at ${esc(x.at)} (${n(x.tracks)} lifetimes)</li>`).join('') +
    r.drops.gone.map((x) => `<li>gone: ${esc(x.reason)} at ${esc(x.at)}</li>`).join('');
  return `<section id="diff"><h2>Diff: ${esc(r.a.id)} → ${esc(r.b.id)}</h2>
<div class="diff-summary${r.summary.changes === 0 ? ' same' : ''}" data-testid="diff-summary">${esc(r.summary.sentence)}</div>
<p class="note">flows keyed by ${esc(r.key.by)} (${esc(r.key.reason)}); changed flows first.${r.truncated ? ` ${r.truncated} flow(s) left out.` : ''}</p>
${drops ? `<ul>${drops}</ul>` : ''}${r.flows.map(flow).join('\n')}</section>`;
}

export function renderReportHtml(d: ReportData): string {
  const title = d.diff ? `${d.captures[0]!.id} vs ${d.captures[1]!.id}` : d.captures[0]!.id;
  // `<` escaped so no text in the data can close the script element.
  const json = JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).replace(/</g, '\\u003c');
  const css = readFileSync(`${ASSETS}page.css`, 'utf8');
  const js = readFileSync(`${ASSETS}page.js`, 'utf8');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skbtape report: ${esc(title)}</title>
<style>${css}</style></head>
<body>
<header class="top"><h1>skbtape report: ${esc(title)}</h1>
<div class="sub">skbtape ${esc(d.skbtape)}, generated ${esc(d.generatedAt)}. ${ENTRY_NOTE} Aggregated in DuckDB; the page embeds at most ${d.caps.flows} flows,
${d.caps.paths} paths per capture, ${d.caps.tracksPerPath} track ids per path and one example track's events per path. Self-contained: nothing is fetched.</div></header>
<main>
${d.diff ? diffSection(d.diff) : ''}
${d.captures.map(captureSection).join('\n')}
</main>
<script type="application/json" id="skbtape-data">${json}</script>
<script>${echartsBundle()}</script>
<script>${js}</script>
</body></html>
`;
}
