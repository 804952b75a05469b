// query / reports: every canned report on both demo captures against committed golden tables (real DuckDB over real
// Arrow captures with the seed-derived snapshots), output formats, parameters, and the CLI's one-line errors and
// quiet `| head` exit. Golden files are written on first local run; under CI=true a missing one fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis, type Analysis } from '../src/analyze/loader.js';
import { parseParams, runQuery, runSql } from '../src/analyze/query.js';
import { formatRows, uniqueKeys, type OutputFormat } from '../src/render/output.js';

const formatResult = (r: { columns: string[]; rows: unknown[][] }, f: OutputFormat) => formatRows(r.columns, r.rows, f);
import { describe as describeSql, findReport, listReports } from '../src/analyze/reports.js';
import { importCapture } from '../src/ingest/importer.js';
import { flowFilter } from '../src/analyze/flow-filter.js';
import { journeys } from '../src/analyze/paths.js';
import { expectGolden } from './helpers/golden.js';
import { buildDemoCapture, SAMPLES, type DemoKind } from './helpers/captures.js';
import { realFiles, ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const GOLDEN = join(ROOT, 'test/golden');


const tableText = (r: { columns: string[]; rows: unknown[][] }) => [...formatResult(r, 'table')].join('');

let tmp: string;
const cap: Record<DemoKind, string> = { delivered: '', drop: '' };
const an: Partial<Record<DemoKind, Analysis>> = {};

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'skbtape-query-'));
  // The directory names are the capture ids that appear in the golden files.
  cap.delivered = await buildDemoCapture('delivered', join(tmp, 'demo-delivered'));
  cap.drop = await buildDemoCapture('drop', join(tmp, 'demo-drop'));
  an.delivered = await openAnalysis([cap.delivered]);
  an.drop = await openAnalysis([cap.drop]);
});

afterAll(() => {
  an.delivered?.close();
  an.drop?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('reports', () => {
  const REQUIRED = ['drops', 'paths', 'functions', 'talkers', 'metrics-delta', 'rejects', 'interfaces', 'verdicts', 'latency'];

  it('lists every report with its one-line description; internal _ files are not listed', () => {
    const all = listReports();
    // cross-node needs captures of two nodes: test/cross-node.test.ts runs it on the two-node sample.
    expect(all.map((r) => r.name)).toEqual([...REQUIRED, 'cross-node'].sort());
    for (const r of all) {
      expect(r.description.length, r.name).toBeGreaterThan(20);
      const lines = readFileSync(r.file, 'utf8').split('\n');
      // Description first, then the grain / inputs / rules block.
      expect(lines[1], r.name).toMatch(/^-- Grain: /);
      expect(lines.slice(2, 6).join('\n'), r.name).toMatch(/^-- Inputs: /m);
      expect(lines.slice(3, 8).join('\n'), r.name).toMatch(/^-- Rules: /m);
    }
    expect(describeSql('\n-- first line\n-- second\nSELECT 1')).toBe('first line');
  });

  it('an unknown report is one UserError that lists the names', () => {
    expect(() => findReport('nope')).toThrow(/^unknown report 'nope'; reports: cross-node, drops, functions, interfaces, latency, metrics-delta, paths, rejects, talkers, verdicts$/);
  });

  for (const kind of ['delivered', 'drop'] as const) {
    for (const name of REQUIRED) {
      it(`${name} on the ${kind} capture matches test/golden/reports/${name}.${kind}.txt`, async () => {
        const r = await runSql(an[kind]!, findReport(name).sql, name);
        expectGolden(`reports/${name}.${kind}.txt`, tableText(r));
      });
    }
  }

  it('drops names the netfilter drop between identities 26328 and 9764; metrics-delta shows Cilium counted Success', async () => {
    const drops = await runSql(an.drop!, findReport('drops').sql, 'drops');
    const row = Object.fromEntries(drops.columns.map((c, i) => [c, drops.rows[0]![i]]));
    expect(drops.rows).toHaveLength(1);
    expect(row).toMatchObject({ reason: 'NETFILTER_DROP', func: 'kfree_skb_reason', after_func: 'nf_hook_slow', src_identity: 26328, dst_identity: 9764, drops: 3n, skbs: 3n });
    const m = await runSql(an.drop!, findReport('metrics-delta').sql, 'metrics-delta');
    expect(m.rows.map((r) => [r[1], r[2], r[7], r[8]])).toEqual([['Success', 'EGRESS', 3n, 222n], ['Success', 'INGRESS', 3n, 222n]]);
    expect((await runSql(an.delivered!, findReport('drops').sql, 'drops')).rows).toEqual([]);
  });
});

// Each golden table above is paired here with facts a reader can check in the sample files themselves (grep and a
// subtraction), computed with plain string operations on the pwru text and the metrics snapshots: never with the
// parser or the SQL that produced the table.
describe('reports: facts checked by hand against the sample files', () => {
  const SAMPLE_TEXT: Record<DemoKind, string> = { delivered: 'demo-delivered.pwru.txt', drop: 'demo-netfilter-drop.pwru.txt' };
  const METRICS_END: Record<DemoKind, string> = { delivered: 'metrics-end.txt', drop: 'metrics-end-drop.txt' };
  /** The sample's event lines as whitespace-split tokens: 0 SKB … 5 MARK 6 IFACE … 10 TUPLE 11 FUNC. */
  const lines = (kind: DemoKind) => readFileSync(join(SAMPLES, SAMPLE_TEXT[kind]), 'utf8').trim().split('\n').slice(1).map((l) => l.split(/\s+/));
  const rowsOf = async (kind: DemoKind, name: string) => {
    const r = await runSql(an[kind]!, findReport(name).sql, name);
    return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])) as Record<string, unknown>);
  };
  const STRUCT_RELEASE = new Set(['kfree_skbmem', 'napi_skb_cache_put']);

  for (const kind of ['delivered', 'drop'] as const) {
    it(`${kind}: functions, interfaces, talkers and verdicts count the sample's own lines`, async () => {
      const ev = lines(kind);
      expect(ev.every((t) => t.length === 12 && t[0]!.startsWith('0x'))).toBe(true); // nothing to reject
      expect(await rowsOf(kind, 'rejects')).toEqual([]);
      const fn = await rowsOf(kind, 'functions');
      const func = (t: string[]) => t[11]!.replace(/\(.*$/, ''); // kfree_skb_reason(SKB_DROP_REASON_…): the reason is its own column
      expect(fn.map((r) => r['func']).sort()).toEqual([...new Set(ev.map(func))].sort());
      for (const r of fn) {
        const mine = ev.filter((t) => func(t) === r['func']);
        expect(Number(r['hits']), String(r['func'])).toBe(mine.length);
        // skbs counts lifetimes: at least one per address seen, at most one per hit (addresses are reused).
        expect(Number(r['skbs']), String(r['func'])).toBeGreaterThanOrEqual(new Set(mine.map((t) => t[0])).size);
        expect(Number(r['skbs']), String(r['func'])).toBeLessThanOrEqual(mine.length);
      }
      for (const r of await rowsOf(kind, 'interfaces')) {
        const mine = ev.filter((t) => t[6]!.endsWith(`:${r['ifindex']}`) && t[4] === String(r['netns']));
        expect(Number(r['events']), `ifindex ${r['ifindex']}`).toBe(mine.length);
      }
      const talkers = await rowsOf(kind, 'talkers');
      const c2s = ev.filter((t) => t[10]!.startsWith('10.244.2.173:') && t[10]!.includes('->10.244.2.61:80('));
      expect(Number(talkers.find((r) => r['src_identity'] === 26328 && r['dst_identity'] === 9764)!['events'])).toBe(c2s.length);
      expect(talkers.reduce((n, r) => n + Number(r['events']), 0)).toBe(ev.length);
      const verdicts = await rowsOf(kind, 'verdicts');
      expect(verdicts.reduce((n, r) => n + Number(r['events']), 0)).toBe(ev.length);
      // The kernel frees each skb struct once: one lifetime per kfree_skbmem / napi_skb_cache_put line.
      const freed = ev.filter((t) => STRUCT_RELEASE.has(t[11]!)).length;
      expect(verdicts.reduce((n, r) => n + Number(r['skbs']), 0)).toBe(freed);
      expect((await rowsOf(kind, 'paths')).reduce((n, r) => n + Number(r['skbs']), 0)).toBe(freed);
    });

    it(`${kind}: drops are the sample's kfree_skb_reason lines; metrics-delta is end minus start of the snapshots`, async () => {
      const ev = lines(kind);
      const drops = ev.filter((t) => t[11] === 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)');
      expect(drops.length).toBe(kind === 'drop' ? 3 : 0);
      const rows = await rowsOf(kind, 'drops');
      expect(rows.reduce((n, r) => n + Number(r['drops']), 0)).toBe(drops.length);
      if (kind === 'drop') expect(rows[0]).toMatchObject({ reason: 'NETFILTER_DROP', dport: 80 });
      // Each drop line frees one skb (the SYN and its two retransmissions): one dropped lifetime each.
      expect((await rowsOf(kind, 'verdicts')).filter((r) => r['verdict'] === 'dropped').reduce((n, r) => n + Number(r['skbs']), 0)).toBe(drops.length);
      // metrics: REASON… DIRECTION PACKETS BYTES LINE FILE, read from the right.
      const metrics = (f: string) => new Map(readFileSync(join(SAMPLES, 'demo-snapshots', f), 'utf8').trim().split('\n').slice(1).map((l) => {
        const t = l.split(/\s+/);
        return [`${t.slice(0, -5).join(' ')}|${t.at(-5)}|${t.at(-2)}|${t.at(-1)}`, [Number(t.at(-4)), Number(t.at(-3))]] as const;
      }));
      const a = metrics('metrics-start.txt');
      const b = metrics(METRICS_END[kind]);
      const changed = [...b].filter(([k, v]) => v[0] !== a.get(k)?.[0]).map(([k, v]) => [k, v[0] - a.get(k)![0], v[1] - a.get(k)![1]]);
      const got = (await rowsOf(kind, 'metrics-delta')).map((r) => [`${r['reason']}|${r['direction']}|${r['line']}|${r['file']}`, Number(r['packets']), Number(r['bytes'])]);
      expect(got.sort()).toEqual(changed.sort());
      expect(changed.length).toBeGreaterThan(0);
    });
  }
});

describe('reports on other inputs', () => {
  it('rejects: unreadable lines by reason with their first example', async () => {
    const f = join(tmp, 'with-garbage.txt');
    writeFileSync(f, readFileSync(join(SAMPLES, 'demo-netfilter-drop.pwru.txt'), 'utf8') + 'this is not pwru output\n0xzz broken line\n');
    await importCapture(f, join(tmp, 'garbage'), { format: 'auto', force: true, showProgress: false });
    const r = await runQuery([join(tmp, 'garbage')], { report: 'rejects' }, { cache: false });
    expect(r.rows.length).toBeGreaterThan(0);
    expect(r.rows.reduce((n, row) => n + Number(row[2]), 0)).toBe(2);
    expect(r.rows.map((row) => row[3]).sort()).toEqual([113, 114].slice(0, r.rows.length));
  });

  // A few real outputs with different layouts (v0.0.8 drop reason, v1.0.8 --output-caller, v1.0.10 tcp flags, v1.0.5).
  const real = realFiles('pwru-').filter((f) => /dropreason-edited|caller-bpf-helpers|tcp-flags-cb|procname-before/.test(f));
  it.skipIf(real.length === 0)('every report and the journey view run over real pwru outputs loaded at once', async () => {
    const dirs: string[] = [];
    for (const f of real) {
      const d = join(tmp, 'real', f.split('/').pop()!.replace(/\.txt$/, ''));
      try {
        const res = await importCapture(f, d, { format: 'auto', force: true, showProgress: false });
        if (res.manifest.counts.events > 0) dirs.push(d);
      } catch {
        // Outputs with no event at all (startup errors) are not captures.
      }
    }
    expect(dirs.length).toBe(real.length);
    const a = await openAnalysis(dirs);
    try {
      for (const r of listReports()) await runSql(a, readFileSync(r.file, 'utf8'), r.name);
      const drops = await runSql(a, findReport('drops').sql, 'drops');
      expect(drops.rows.map((r) => [r[0], r[1], r[2], r[3]])).toContainEqual(['pwru-commit-8426338-v0.0.8dev-dropreason-edited', 'NETFILTER_DROP', 'kfree_skb_reason', 'nf_hook_slow']);
      const j = await journeys(a, flowFilter(undefined), 3);
      expect(j.groups.length).toBeGreaterThan(0);
    } finally {
      a.close();
    }
  });
});

describe('formats and parameters', () => {
  it('JSON is BigInt-safe: safe integers as numbers, larger ones as decimal strings; lists and structs stay JSON', async () => {
    const r = await runSql(an.drop!, `SELECT 18446744073709551615::UBIGINT AS big, 42::BIGINT AS small, [1, 2] AS l,
      {'a': 'x'} AS s, TIMESTAMP '2024-01-02 03:04:05' AS ts, NULL AS n, 1 AS dup, 2 AS dup`, 'query');
    const json = JSON.parse([...formatResult(r, 'json')].join('')) as Record<string, unknown>[];
    expect(json).toEqual([{ big: '18446744073709551615', small: 42, l: [1, 2], s: { a: 'x' }, ts: '2024-01-02T03:04:05.000Z', n: null, dup: 1, dup_2: 2 }]);
    const nd = [...formatResult(r, 'ndjson')].join('');
    expect(nd.split('\n')).toHaveLength(2);
    expect(JSON.parse(nd.split('\n')[0]!)).toEqual(json[0]);
    expect(uniqueKeys(['a', 'a', 'b', 'a'])).toEqual(['a', 'a_2', 'b', 'a_3']);
  });

  it('CSV quotes commas, quotes and newlines; table ends with a row count', async () => {
    const r = await runSql(an.drop!, `SELECT 'a,b' AS x, 'say "hi"' AS y, E'two\\nlines' AS z, NULL AS n`, 'query');
    expect([...formatResult(r, 'csv')].join('')).toBe('x,y,z,n\n"a,b","say ""hi""","two\nlines",\n');
    expect(tableText(await runSql(an.drop!, 'SELECT 1 AS one WHERE false', 'q'))).toBe('one\n---\n(0 rows)\n');
  });

  it('--param values bind as $name with a type from their text', async () => {
    const p = parseParams(['port=80', 'skb=0xffff91ba905e1ce8', 'v=dropped', "s='80'", 'f=1.5', 'b=true']);
    expect(p).toEqual({ port: 80n, skb: 0xffff91ba905e1ce8n, v: 'dropped', s: '80', f: 1.5, b: true });
    const r = await runSql(an.drop!, 'SELECT count(*) AS n FROM events WHERE dport = $port AND skb = $skb', 'query', { port: p['port']!, skb: p['skb']! });
    expect(r.rows).toEqual([[111n]]);
    expect(() => parseParams(['nope'])).toThrow(/--param wants name=value, not 'nope'/);
    await expect(runSql(an.drop!, 'SELECT 1', 'query', { port: 80n })).rejects.toMatchObject({ message: '--param port given, but the SQL has no $port', where: '--param' });
  });

  it('two captures at once: every row carries its capture id', async () => {
    const r = await runQuery([cap.delivered, cap.drop], { sql: 'SELECT capture, verdict, count(*) AS skbs FROM skb_tracks GROUP BY ALL ORDER BY ALL' }, { cache: false });
    expect(r.captures).toEqual(['demo-delivered', 'demo-drop']);
    expect(r.rows).toEqual([['demo-delivered', 'delivered', 9n], ['demo-drop', 'dropped', 3n]]);
  });

  it('bad SQL is one UserError: DuckDB first line, where = query / the file', async () => {
    await expect(runSql(an.drop!, 'SELEC 1', 'query')).rejects.toMatchObject({ name: 'UserError', message: 'SQL error: Parser Error: syntax error at or near "SELEC"', where: 'query' });
    const f = join(tmp, 'bad.sql');
    writeFileSync(f, 'SELECT nope FROM events');
    await expect(runQuery([cap.drop], { file: f }, { cache: false })).rejects.toMatchObject({ message: expect.stringMatching(/^SQL error: Binder Error: Referenced column "nope" not found/), where: f });
  });
});

describe('skbtape query (child process)', () => {
  const cli = (args: string[]) => execa(SKBTAPE, [...args], { reject: false, cwd: ROOT });

  it('errors exit 2 with one line first: bad SQL keeps DuckDB\'s hints and caret; unknown report; missing capture', async () => {
    const [bad, typo, unknown, missing] = await Promise.all([
      cli(['query', cap.drop, 'SELEC 1']),
      cli(['query', cap.drop, 'SELECT count(*) FROM skb_track']),
      cli(['query', cap.drop, '--report', 'nope']),
      cli(['query', join(tmp, 'no-such-capture'), 'SELECT 1']),
    ]);
    expect([bad.exitCode, bad.stdout]).toEqual([2, '']);
    const lines = bad.stderr.split('\n');
    expect(lines[0]).toBe('skbtape: SQL error: Parser Error: syntax error at or near "SELEC" (query)');
    // DuckDB's own pointer to the error, kept: the statement and a caret under SELEC.
    expect(lines.slice(1).join('\n')).toMatch(/LINE 1: SELEC 1\n\s+\^/);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr.split('\n')[0]).toMatch(/^skbtape: SQL error: Catalog Error: Table with name skb_track does not exist! \(query\)$/);
    expect(typo.stderr).toMatch(/Did you mean "skb_tracks"/);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("skbtape: unknown report 'nope'; reports: cross-node, drops, functions, interfaces, latency, metrics-delta, paths, rejects, talkers, verdicts (--report)");
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^skbtape: no such capture directory: .*no-such-capture \(.*\)$/);
    for (const r of [unknown, missing]) expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('a pwru output where a capture goes says to import it; SQL given first says it goes last', async () => {
    const seed = join(SAMPLES, 'seed-v1.0.10.pwru.txt');
    const file = await cli(['query', seed, 'SELECT 1']);
    expect(file.exitCode).toBe(2);
    expect(file.stderr.trim()).toBe(`skbtape: ${seed} is a file, not a capture directory; to analyze saved pwru output, import it first: skbtape import ${seed} -o <dir> (${seed})`);
    const order = await cli(['query', 'SELECT count(*) FROM events', cap.drop]);
    expect(order.exitCode).toBe(2);
    expect(order.stderr.trim()).toBe(`skbtape: the SQL goes last: skbtape query ${cap.drop} 'SELECT count(*) FROM events' (query)`);
  });

  it('`query … | head -n 1` exits 0 with nothing on stderr (EPIPE is a quiet end)', async () => {
    // 200k NDJSON rows are megabytes: far past the pipe buffer, so the writer really meets a closed pipe.
    const r = await execa(SKBTAPE, ['query', cap.drop, '--no-cache', 'SELECT range AS n, repeat(\'x\', 40) AS pad FROM range(200000)'], { reject: false, cwd: ROOT })
      .pipe('head', ['-n', '1']);
    expect(r.stdout).toBe(`{"n":0,"pad":"${'x'.repeat(40)}"}`);
    const src = r.pipedFrom[0]!;
    expect(src.exitCode).toBe(0);
    expect(src.stderr).toBe('');
  });

  it('--report with --format table prints the golden table; `reports --json` lists names and descriptions', async () => {
    const [q, list] = await Promise.all([cli(['query', cap.drop, '--report', 'verdicts', '--format', 'table']), cli(['reports', '--json'])]);
    expect(q.exitCode).toBe(0);
    expect(q.stdout + '\n').toBe(readFileSync(join(GOLDEN, 'reports/verdicts.drop.txt'), 'utf8'));
    const reports = JSON.parse(list.stdout) as { name: string; description: string }[];
    expect(reports.find((r) => r.name === 'drops')?.description).toMatch(/^Drops by reason/);
  });
});
