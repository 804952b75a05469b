// Loss you can see, through the installed binary: loss reports in a saved tracer output become loss.ndjson rows and
// the manifest's loss summary; `info` and `paths` say so in one line; the loss table's windows come from the events
// printed around each report (checked against the input by string ops); the lifetimes that overlap one are
// possibly_incomplete; `check` fails on loss unless allow_loss: true; verify and old captures. Real DuckDB.
// Real loss from bpftrace under a flood is tracepoint-e2e.test.ts's.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lossReport, unreportedLoss } from '../src/capture/loss.js';
import { ROOT, REAL_DIR } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { exportPerfetto } from '../src/analyze/perfetto.js';
import { traceProblems, type TraceEvent } from './helpers/trace-events.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-loss-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const json = async (args: string[]) => {
  const r = await cli([...args, '--format', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

// pwru v1.0.10 --output-json lines of the demo (hand-built, samples/README.md), 7 passes 5 s apart: 2912 lines, so a
// report in pass 4 has passes the ±1000-line window never reaches on either side.
const PASSES = 7;
const SAMPLE = readFileSync(join(ROOT, 'samples/demo-delivered.pwru.json'), 'utf8').trimEnd().split('\n');
const shifted = (line: string, pass: number) => line.replace(/"time":(\d+)/, (_, t: string) => `"time":${BigInt(t) + BigInt(pass) * 5_000_000_000n}`);
const events = Array.from({ length: PASSES }, (_, p) => SAMPLE.map((l) => shifted(l, p))).flat();
const LOST_AT = 3 * SAMPLE.length + 200; // the 0-based index the report is inserted before (input line LOST_AT + 1)
const input = [...events.slice(0, LOST_AT), 'Lost 7 events', ...events.slice(LOST_AT)];
const ktimeOf = (l: string) => BigInt(/"time":(\d+)/.exec(l)![1]!);

describe('loss reports', () => {
  const cap = join(tmp, 'cap');
  beforeAll(async () => {
    writeFileSync(join(tmp, 'in.json'), input.join('\n') + '\n');
    const r = await cli(['import', join(tmp, 'in.json'), '-o', cap]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^loss {6}1 loss report\(s\): 7 events lost \(bpftrace\)$/m);
  });

  it('the real layouts only: bpftrace on stdout, pwru\'s perf era and recursion misses on stderr', () => {
    expect(lossReport('Lost 12 events')).toEqual({ source: 'bpftrace', count: 12, scope: 'window' });
    expect(lossReport('2023/03/01 10:00:00 Perf event ring buffer full, dropped 40 samples')).toEqual({ source: 'pwru', count: 40, scope: 'window' });
    expect(lossReport('2026/09/16 11:08:03 WARN Some events went untraced due to BPF recursion misses total=3 per_program=…')).toEqual({ source: 'pwru', count: 3, scope: 'run' });
    for (const no of ['Lost events', 'Lost 3 events here', '{"skb":"0x1","func":"Lost 3 events"}', '2023/03/01 10:00:00 Listening for events..']) expect(lossReport(no)).toBeNull();
  });

  it('stored once: loss.ndjson, the manifest summary, info in one line and as JSON', async () => {
    const rows = readFileSync(join(cap, 'loss.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([{ source: 'bpftrace', count: 7, scope: 'window', line: LOST_AT + 1, text: 'Lost 7 events' }]);
    const info = await json(['info', cap]);
    expect(info.loss).toEqual({ reports: 1, events: 7, uncounted: 0, sources: ['bpftrace'] });
    expect(info.counts.events).toBe(events.length); // the report is a log line, not an event and not a reject
    expect(info.counts.logLines).toBe(1);
    const text = await cli(['info', cap]);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('loss'))).toEqual(['loss      1 loss report(s): 7 events lost (bpftrace)']);
  });

  it('its window: the earliest ktime of the 1000 lines before to the latest of the 1000 after; overlapping lifetimes flagged', async () => {
    // One query for the report and every lifetime: each CLI run loads the capture.
    const [{ l: row, t: tracks }] = await json(['query', cap, `SELECT (SELECT {source: source, count: count, line: line, s: ktime_start::VARCHAR, e: ktime_end::VARCHAR} FROM loss) AS l,
      list({first: first_ktime::VARCHAR, last: last_ktime::VARCHAR, inc: possibly_incomplete}) AS t FROM tracks_enriched`]) as [{ l: unknown; t: { first: string; last: string; inc: boolean }[] }];
    // By hand from the input: lines LOST_AT+1-1000 … LOST_AT are events before it, LOST_AT+2 … +1001 after.
    const before = input.slice(LOST_AT - 1000, LOST_AT).map(ktimeOf);
    const after = input.slice(LOST_AT + 1, LOST_AT + 1001).map(ktimeOf);
    const start = before.reduce((a, b) => (b < a ? b : a));
    const end = after.reduce((a, b) => (b > a ? b : a));
    expect(row).toEqual({ source: 'bpftrace', count: 7, line: LOST_AT + 1, s: String(start), e: String(end) });
    const overlaps = (t: { first: string; last: string }) => BigInt(t.first) <= end && BigInt(t.last) >= start;
    expect(tracks.filter((t) => t.inc).length).toBeGreaterThan(0);
    expect(tracks.filter((t) => !t.inc).length).toBeGreaterThan(0); // the first and last passes lie outside it
    for (const t of tracks) expect(t.inc, JSON.stringify(t)).toBe(overlaps(t));
    const flagged = tracks.filter((t) => t.inc).length;
    const paths = await cli(['paths', cap]);
    expect(paths.stdout.split('\n')[1]).toBe(`loss: 1 report(s), 7 events lost: ${flagged} of these ${tracks.length} lifetimes possibly incomplete (query: SELECT * FROM loss)`);
    // Each group says how many of its lifetimes: together, every flagged one.
    const perGroup = [...paths.stdout.matchAll(/\((\d+) possibly incomplete\)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(perGroup).toBe(flagged);
  });

  it('export --perfetto: the lost-events counter steps up where the window starts, a slice spans the window', async () => {
    const file = join(tmp, 'loss.perfetto.json');
    await exportPerfetto(cap, file, { cache: true });
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] };
    expect(traceProblems(doc)).toEqual([]);
    // By hand: the window of the test above, on the trace's clock (µs since the capture's first event).
    const k0 = events.map(ktimeOf).reduce((a, b) => (b < a ? b : a));
    const start = input.slice(LOST_AT - 1000, LOST_AT).map(ktimeOf).reduce((a, b) => (b < a ? b : a));
    const end = input.slice(LOST_AT + 1, LOST_AT + 1001).map(ktimeOf).reduce((a, b) => (b > a ? b : a));
    const us = (k: bigint) => Number(k - k0) / 1000;
    const counter = doc.traceEvents.filter((e) => e.ph === 'C').map((e) => [e.ts, e.args!['lost']]);
    expect(counter.slice(0, 2)).toEqual([[0, 0], [us(start), 7]]);
    expect(counter).toHaveLength(3);
    expect(counter[2]![1]).toBe(7);
    expect(counter[2]![0]).toBeGreaterThanOrEqual(us(end)); // the trace's end
    const win = doc.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'loss');
    expect(win).toHaveLength(1);
    expect(win[0]).toMatchObject({ name: 'bpftrace: 7 events lost', pid: 0, ts: us(start), dur: us(end) - us(start), args: { count: 7, line: LOST_AT + 1, report: 'Lost 7 events' } });
  });

  it('check: the empty rule list fails on the loss (exit 1); allow_loss: true passes and says what it allowed', async () => {
    writeFileSync(join(tmp, 'none.yaml'), 'rules: []\n');
    writeFileSync(join(tmp, 'allow.yaml'), 'version: 1\nallow_loss: true\nrules: []\n');
    writeFileSync(join(tmp, 'bad.yaml'), 'allow_loss: sometimes\nrules: []\n');
    const fail = await cli(['check', cap, join(tmp, 'none.yaml')]);
    expect(fail.exitCode).toBe(1);
    expect(fail.stdout).toMatch(/^FAIL {2}no events lost {2}\(every check; allow_loss: true to pass\)$/m);
    expect(fail.stdout).toMatch(/bpftrace +7 +Lost 7 events/);
    const pass = await cli(['check', cap, join(tmp, 'allow.yaml')]);
    expect(pass.exitCode, pass.stdout).toBe(0);
    expect(pass.stdout).toMatch(new RegExp(`^PASS {2}no events lost {2}\\(${join(tmp, 'allow.yaml').replace(/[.]/g, '\\.')}:2\\)\n {6}warning: 1 loss report\\(s\\), 7 events lost, \\d+ lifetime\\(s\\) possibly incomplete: allowed by allow_loss: true$`, 'm'));
    const bad = await cli(['check', cap, join(tmp, 'bad.yaml')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe(`skbtape: bad rules file: allow_loss wants true or false (${join(tmp, 'bad.yaml')}:1)`);
    // (A capture without loss passes the loss rule: check.test.ts, whose every result list ends with it.)
  });

  it('verify: a loss report lost from loss.ndjson is a fault (exit 1); a capture made before loss reports still loads', async () => {
    const copy = join(tmp, 'copy');
    await execa('cp', ['-a', cap, copy]);
    writeFileSync(join(copy, 'loss.ndjson'), '');
    const v = await cli(['verify', copy]);
    expect(v.exitCode).toBe(1);
    expect(v.stderr).toContain('the manifest counts 1 loss report(s) of 7 events, loss.ndjson holds 0 of 0');
    // As an older skbtape wrote it: no loss.ndjson, no manifest.loss.
    rmSync(join(copy, 'loss.ndjson'));
    const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
    delete m.loss;
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
    expect((await cli(['info', copy])).stdout).toMatch(/^loss {6}not known \(made before skbtape kept loss reports\)(;|$)/m);
    const c = await cli(['check', copy, join(tmp, 'none.yaml')]);
    expect(c.exitCode).toBe(0);
    expect(c.stdout).toContain('was made before skbtape kept loss reports: loss is not known'); // it loaded: an empty loss table
  });

  it.skipIf(!existsSync(REAL_DIR))('pwru\'s perf-era warning in a saved `pwru 2>&1` log: a pwru loss row; no timestamps, so every lifetime', async () => {
    // Real pwru v0.0.8-dev output (../shared/real) with the warning that era logged on stderr between its events.
    const [a, b] = readFileSync(join(REAL_DIR, 'pwru-commit-8426338-v0.0.8dev-dropreason-edited.txt'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(tmp, 'perf.txt'), `${a}\n2023/03/01 10:00:00 Perf event ring buffer full, dropped 40 samples\n${b}\n`);
    const dir = join(tmp, 'perf');
    const r = await cli(['import', join(tmp, 'perf.txt'), '-o', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^loss {6}1 loss report\(s\): 40 events lost \(pwru\)$/m); // the perf era: no unreported-loss note
    expect(await json(['query', dir, `SELECT source, count, line, ktime_start, ktime_end,
      (SELECT count(*) FILTER (WHERE possibly_incomplete) FROM tracks_enriched) AS inc, (SELECT count(*) FROM tracks_enriched) AS n FROM loss`]))
      .toEqual([{ source: 'pwru', count: 40, line: 2, ktime_start: null, ktime_end: null, inc: 1, n: 1 }]);
    // No absolute times: in Perfetto the count is there from the start and the window spans the whole trace.
    await exportPerfetto(dir, join(tmp, 'perf.perfetto.json'), { cache: true });
    const doc = JSON.parse(readFileSync(join(tmp, 'perf.perfetto.json'), 'utf8')) as { traceEvents: TraceEvent[] };
    const endUs = Math.max(...doc.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'hop').map((e) => Number(e.ts) + Number(e.dur)));
    expect(doc.traceEvents.filter((e) => e.ph === 'C').map((e) => [e.ts, e.args!['lost']])).toEqual([[0, 0], [0, 40], [endUs, 40]]);
    expect(doc.traceEvents.filter((e) => e.cat === 'loss')).toMatchObject([{ ph: 'X', name: 'pwru: 40 events lost', ts: 0, dur: endUs }]);
  });
});

// pwru v1.0.0+ evicts from a full BPF queue without a word (cilium/pwru#710): `none reported` must not read as
// `none lost`. The rule by version, else by layout; the binary says it in info, JSON and check.
describe('loss nobody reports', () => {
  const m = (o: Partial<Parameters<typeof unreportedLoss>[0]>) =>
    unreportedLoss({ source: { kind: 'file', format: 'auto' }, layouts: [], ...o });
  it('by pwru version first, then by layout; bpftrace reports its own', () => {
    expect(m({ pwru: { version: 'v1.0.10' }, layouts: ['E:meta,tuple'] })).toMatch(/^pwru v1\.0\.0\+ does not report .*cilium\/pwru#710/);
    expect(m({ pwru: { version: 'v0.0.9' }, layouts: ['C:ts'] })).toBeNull(); // the perf buffer: overflow was logged
    expect(m({ pwru: { version: 'v1.0.3' }, layouts: ['C:ts'] })).toMatch(/^pwru v1\.0\.0\+/);
    expect(m({ layouts: ['J'] })).toMatch(/^pwru v1\.0\.0\+/);
    expect(m({ layouts: ['C'] })).toMatch(/^if this pwru \(layout v0\.0\.5–v1\.0\.6, version not known\) is v1\.0\.0 or later/);
    // The same layout with pwru's perf-buffer warning in the log: v0.0.x, which reported its overflow.
    expect(unreportedLoss({ source: { kind: 'file', format: 'auto' }, layouts: ['C'] }, [{ source: 'pwru', count: 40, line: 2, scope: 'window', text: '' }])).toBeNull();
    expect(m({ layouts: ['A:ts'] })).toBeNull();
    expect(m({ source: { kind: 'live', format: 'json', tool: 'bpftrace' }, layouts: ['J'] })).toBeNull();
    expect(m({ layouts: ['J'], loss: { reports: 1, events: 3, uncounted: 0, sources: ['bpftrace'] } })).toBeNull();
    expect(m({ source: { kind: 'live', format: 'text', tool: 'pwru' } })).toMatch(/^pwru v1\.0\.0\+/);
  });

  it('info, its JSON and check say so; the check still passes', async () => {
    const cap = join(tmp, 'v1010');
    const imp = await cli(['import', join(ROOT, 'samples/seed-v1.0.10.pwru.txt'), '-o', cap]);
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/^loss {6}none reported; pwru v1\.0\.0\+ does not report events its full BPF queue evicts \(cilium\/pwru#710\)$/m);
    expect((await json(['info', cap])).lossUnreported).toMatch(/cilium\/pwru#710/);
    writeFileSync(join(tmp, 'none.yaml'), 'rules: []\n');
    const c = await cli(['check', cap, join(tmp, 'none.yaml')]);
    expect(c.exitCode, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^PASS {2}no events lost .*\n {6}warning: no loss reported, but pwru v1\.0\.0\+ does not report/m);
  });
});

// Through `record`: pwru's stderr is another pipe than its events; a warning there is a loss row at the stdout lines
// read when it came, bounded by when it arrived. The fake prints the recursion-miss warning of pwru's main after
// v1.0.12 at exit (test/fixtures/bin/pwru); that it reports these does not make queue evictions reported.
describe('record: pwru\'s loss warning on stderr', () => {
  it('one pwru row, a run total with its arrival time; info says it, and the queue note stays', async () => {
    const FAKES = join(ROOT, 'test/fixtures/bin');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SKBTAPE_FAKE_')) env[k] = v;
    Object.assign(env, {
      PATH: `${FAKES}:${process.env.PATH ?? ''}`, SKBTAPE_FAKE_PWRU_VERSION: 'v1.0.12', SKBTAPE_FAKE_PWRU_RECURSION_MISSES: '5',
      SKBTAPE_FAKE_PWRU_EVENTS: join(ROOT, 'samples/demo-delivered.events.json'), SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1',
    });
    const dir = join(tmp, 'rec');
    const before = process.hrtime.bigint();
    const r = await execa(SKBTAPE, ['record', '-o', dir, '--snapshots', 'none'], { env, extendEnv: false, reject: false, cwd: ROOT });
    expect(r.exitCode, r.stderr).toBe(0);
    const stderr = readFileSync(join(dir, 'pwru.stderr'), 'utf8');
    const warn = stderr.split('\n').find((l) => l.includes('recursion misses'))!;
    expect(warn).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} WARN Some events went untraced due to BPF recursion misses total=5 /);
    const rows = readFileSync(join(dir, 'loss.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const events = readFileSync(join(ROOT, 'samples/demo-delivered.events.json'), 'utf8').trim().split('\n').length;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'pwru', count: 5, scope: 'run', text: warn });
    // Where it sits: the stdout lines read when it arrived; the pipes race, so only a bound on both sides holds.
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.counts.events).toBe(events);
    expect(rows[0].line).toBeGreaterThanOrEqual(0);
    expect(rows[0].line).toBeLessThanOrEqual(m.counts.inputLines);
    expect(BigInt(rows[0].ktimeEnd)).toBeGreaterThan(before); // CLOCK_MONOTONIC, the clock of pwru's ktime
    const info = await cli(['info', dir]);
    expect(info.stdout).toMatch(/^loss {6}1 loss report\(s\): 5 events lost \(pwru\); pwru v1\.0\.0\+ does not report events its full BPF queue evicts/m);
  });

  it('a warning stuck to the end of pwru\'s progress bar is still read', () => {
    expect(lossReport('5 / 5 [------] 100.00% 25 p/s2026/09/16 11:08:03 WARN Some events went untraced due to BPF recursion misses total=2 per_program=…'))
      .toEqual({ source: 'pwru', count: 2, scope: 'run' });
  });
});
