// One output option everywhere (--format table|json|ndjson|csv, --json = --format json, replay --layout), tables
// that fit the terminal by display width, and colour only when asked or on a terminal. Through the installed binary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitWidths, renderTable } from '../src/render/table.js';
import { chosenFormat } from '../src/render/output.js';
import { buildDemoCapture } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';

const ANSI = /\x1b\[[0-9;]*m/;
let tmp: string, good: string, drop: string, rules: string;
const cli = (args: string[], env: Record<string, string> = {}) => execa(SKBTAPE, args, { reject: false, env: { NO_COLOR: '', ...env } });
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'skbtape-fmt-'));
  good = await buildDemoCapture('delivered', join(tmp, 'good'));
  drop = await buildDemoCapture('drop', join(tmp, 'drop'));
  rules = join(tmp, 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - no_drops: true\n  - reaches: {func: ip_rcv}\n');
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tables', () => {
  it('measure display width: a CJK cell counts two cells a character, and columns line up', () => {
    const t = renderTable(['NAME', 'N'], [['日本', 1], ['ab', 22]], { maxWidth: 80 });
    const [head, dash, r1, r2] = t.trimEnd().split('\n');
    expect(dash).toBe('----  --');
    expect(head).toBe('NAME   N');
    expect(r1).toBe('日本   1');
    expect(r2).toBe('ab    22');
  });

  it('fit the width by eliding the widest column with …, never below 8 cells', () => {
    const long = 'x'.repeat(100);
    const t = renderTable(['A', 'B'], [['short', long]], { maxWidth: 40 });
    const row = t.trimEnd().split('\n')[2]!;
    expect(row.length).toBeLessThanOrEqual(40);
    expect(row.endsWith('…')).toBe(true);
    expect(row.startsWith('short  x')).toBe(true);
    expect(fitWidths([100, 100], 30)).toEqual([14, 14]);
    expect(fitWidths([3, 100], 12)).toEqual([3, 8]);
    // Not shrinkable below the floor: the table is then wider than asked, never garbled.
    expect(fitWidths([20, 20, 20], 10)).toEqual([8, 8, 8]);
  });

  it('without a terminal nothing is elided', () => {
    const long = 'y'.repeat(300);
    expect(renderTable(['A'], [[long]], { maxWidth: Infinity })).toContain(long);
  });
});

describe('--format', () => {
  it('defaults: table on a terminal; rows piped go out as ndjson only where the command says so', () => {
    expect(chosenFormat({}, { piped: 'ndjson' }, true)).toBe('table');
    expect(chosenFormat({}, { piped: 'ndjson' }, false)).toBe('ndjson');
    expect(chosenFormat({}, {}, false)).toBe('table');
    expect(chosenFormat({ json: true }, {}, true)).toBe('json');
    expect(() => chosenFormat({ json: true, format: 'csv' })).toThrow(/give --json or --format csv, not both/);
    expect(() => chosenFormat({ format: 'csv' }, { formats: ['table', 'json'] })).toThrow(/--format wants table, json, not 'csv'/);
  });

  it('--json is --format json, on every command that prints a record', async () => {
    for (const args of [['info', good], ['paths', good, '--no-cache'], ['diff', good, drop]]) {
      const [a, b] = await Promise.all([cli([...args, '--json']), cli([...args, '--format', 'json'])]);
      expect(a.stdout.length).toBeGreaterThan(10);
      expect(a.stdout).toBe(b.stdout);
      expect(() => JSON.parse(a.stdout)).not.toThrow();
    }
  }, 60_000);

  it('ndjson gives one item a line: path groups, diff changes, check rules', async () => {
    const [pj, pn] = await Promise.all([cli(['paths', drop, '--format', 'json']), cli(['paths', drop, '--format', 'ndjson'])]);
    const groups = JSON.parse(pj.stdout).groups as unknown[];
    expect(groups.length).toBeGreaterThan(0);
    expect(lines(pn.stdout).map((l) => JSON.parse(l))).toEqual(groups);

    const [dj, dn] = await Promise.all([cli(['diff', good, drop, '--format', 'json']), cli(['diff', good, drop, '--format', 'ndjson'])]);
    expect(dn.exitCode).toBe(1);
    const changes = JSON.parse(dj.stdout).changes as unknown[];
    expect(changes.length).toBeGreaterThan(0);
    expect(lines(dn.stdout).map((l) => JSON.parse(l))).toEqual(changes);

    const cn = await cli(['check', drop, rules, '--format', 'ndjson']);
    expect(cn.exitCode).toBe(1);
    const rs = lines(cn.stdout).map((l) => JSON.parse(l) as { name: string; pass: boolean });
    // The two rules, then the check's own loss rule (an import of a saved text has no loss report).
    expect(rs.map((r) => [r.name.split(' ')[0], r.pass])).toEqual([['no_drops', false], ['reaches', true], ['no', true]]);
  }, 60_000);

  it('csv for rows: check rules, reports, query', async () => {
    const c = await cli(['check', drop, rules, '--format', 'csv']);
    const [head, ...rows] = lines(c.stdout);
    expect(head).toBe('rule,line,pass,offending_rows,warning');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^no_drops true,2,false,[1-9]\d*,$/);
    expect(rows[2]).toBe('no events lost,0,true,0,"no loss reported, but pwru v1.0.0+ does not report events its full BPF queue evicts (cilium/pwru#710)"'); // an import of pwru v1.0.x text
    const r = await cli(['reports', '--format', 'csv']);
    expect(lines(r.stdout)[0]).toBe('name,description,file');
    expect(lines(r.stdout).some((l) => l.startsWith('drops,'))).toBe(true);
    const q = await cli(['query', good, 'SELECT 1 AS a, \'x,y\' AS b', '--format', 'csv']);
    expect(q.stdout).toBe('a,b\n1,"x,y"'); // execa strips the final newline
    // A record is not rows: said in one line.
    const i = await cli(['info', good, '--format', 'csv']);
    expect(i.exitCode).toBe(2);
    expect(i.stderr.trim()).toBe("skbtape: --format wants table, json, ndjson, not 'csv' (--format)");
  }, 60_000);

  it('export, attach and snapshot print their result in each format', async () => {
    const lake = join(tmp, 'lake');
    const e = await cli(['export', good, '--parquet', lake, '--format', 'ndjson']);
    expect(e.exitCode).toBe(0);
    const tables = lines(e.stdout).map((l) => JSON.parse(l) as { table: string; rows: number });
    expect(tables.find((t) => t.table === 'events')!.rows).toBeGreaterThan(0);
    // The demo capture holds end metrics already: replacing them takes --force.
    const a = await cli(['attach', good, '--phase', 'end', '--metrics', join(import.meta.dirname, '../samples/demo-snapshots/metrics-end.txt'), '--format', 'json', '--force']);
    expect(a.exitCode).toBe(0);
    expect(JSON.parse(a.stdout).attached[0].kind).toBe('metrics');
  }, 60_000);

  it('replay --layout json is --json; --layout pwru is the default', async () => {
    const [a, b, c, d] = await Promise.all([cli(['replay', good, '--layout', 'json']), cli(['replay', good, '--json']), cli(['replay', good, '--layout', 'pwru']), cli(['replay', good])]);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).toBe(d.stdout);
    expect(JSON.parse(lines(a.stdout)[0]!)).toHaveProperty('func');
  }, 60_000);
});

describe('every printing command', () => {
  it('takes --color never and --json, and prints the same data as --format json', async () => {
    const imp = await cli(['import', join(import.meta.dirname, '../samples/demo-delivered.pwru.txt'), '-o', join(tmp, 'imp'), '--color', 'never', '--format', 'json']);
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).counts.events).toBeGreaterThan(0);
    const runs: [string[], (out: string) => void][] = [
      [['info', good, '--color', 'never'], (o) => expect(o).toMatch(/events/)],
      [['query', good, 'SELECT 2 AS n', '--json', '--color', 'never'], (o) => expect(JSON.parse(o)).toEqual([{ n: 2 }])],
      [['reports', '--color', 'never', '--json'], (o) => expect(JSON.parse(o).length).toBeGreaterThan(3)],
      [['paths', good, '--color', 'never', '--json'], (o) => expect(JSON.parse(o).groups.length).toBeGreaterThan(0)],
      [['diff', good, good, '--color', 'never'], (o) => expect(o).toMatch(/no differences/)],
      [['check', good, rules, '--json'], (o) => expect(JSON.parse(o).rules).toHaveLength(3)], // the two rules and the check's own 'no events lost'
      [['export', good, '--parquet', join(tmp, 'lake2'), '--color', 'never', '--json'], (o) => expect(JSON.parse(o).tables.length).toBeGreaterThan(0)],
      [['attach', good, '--phase', 'end', '--metrics', join(import.meta.dirname, '../samples/demo-snapshots/metrics-end.txt'), '--color', 'never', '--json', '--force'], (o) => expect(JSON.parse(o).phase).toBe('end')], // the demo holds end metrics: --force replaces them
    ];
    for (const [args, check] of runs) {
      const r = await cli(args);
      expect(r.stderr, args.join(' ')).not.toMatch(/internal error/);
      check(r.stdout);
    }
  }, 120_000);
});

describe('--color', () => {
  it('always colours, never and NO_COLOR do not, auto does not when piped', async () => {
    const always = await cli(['check', drop, rules, '--color', 'always']);
    expect(always.stdout).toMatch(ANSI);
    expect(always.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/^FAIL {2}no_drops/m);
    const [never, auto, noColor] = await Promise.all([
      cli(['check', drop, rules, '--color', 'never']),
      cli(['check', drop, rules]),
      cli(['check', drop, rules, '--color', 'auto'], { NO_COLOR: '1' }),
    ]);
    for (const r of [never, auto, noColor]) expect(r.stdout).not.toMatch(ANSI);
    const bad = await cli(['check', drop, rules, '--color', 'sometimes']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe("skbtape: --color wants auto, always or never, not 'sometimes' (--color)");
  }, 60_000);
});
