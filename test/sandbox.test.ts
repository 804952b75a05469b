// Rules files run sandboxed: each attack a rule might try (write a file with COPY, read one with read_csv/read_text/
// glob, ATTACH a database, load an extension, switch the sandbox off, several statements, a non-SELECT) fails
// naming the rule and its line, and leaves no file behind; a plain SELECT (with `;` inside a string) still runs.
// Real DuckDB over a real imported capture; `query` keeps full access (the user's own SQL) and its help says so.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { importCapture } from '../src/ingest/importer.js';
import { runCheck } from '../src/check/check.js';
import { formatUserError, UserError } from '../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-sandbox-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cap = join(tmp, 'cap');
const secret = join(tmp, 'secret.csv');
const out = join(tmp, 'written.csv');
const db = join(tmp, 'other.duckdb');

beforeAll(async () => {
  await importCapture(join(ROOT, 'samples/demo-delivered.pwru.txt'), cap, { format: 'auto', force: false, showProgress: false });
  writeFileSync(secret, 'user,hash\nroot,$6$secret\n');
});

/** The one-line error `check` gives for a rules file holding this one sql rule. */
async function refusal(sql: string): Promise<string> {
  const rules = join(tmp, `r${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(rules, `rules:\n  - no_drops: true\n  - name: attack\n    sql: ${JSON.stringify(sql)}\n`);
  try {
    await runCheck(cap, rules);
  } catch (e) {
    if (e instanceof UserError) return formatUserError(e).replace(rules, 'R');
    throw e;
  }
  return 'PASSED';
}

describe('check runs a rules file sandboxed', () => {
  const attacks: [string, string, RegExp][] = [
    ['COPY to a file', `COPY (SELECT * FROM skb_tracks) TO '${out}'`, /outside the capture|COPY statement/],
    ['COPY after a SELECT', `SELECT 1 WHERE false; COPY (SELECT 1) TO '${out}'`, /holds 2 statements; a rule is one SELECT/],
    ['read_csv of a secret', `SELECT * FROM read_csv('${secret}')`, /tried to reach outside the capture.*Permission Error/],
    ['read_text of a secret', `SELECT content FROM read_text('${secret}')`, /tried to reach outside the capture/],
    ['a file named as a table', `SELECT * FROM '${secret}'`, /tried to reach outside the capture/],
    ['glob of a directory', `SELECT * FROM glob('${tmp}/*')`, /tried to reach outside the capture/],
    ['ATTACH a database', `ATTACH '${db}' AS other`, /ATTACH statement|outside the capture/],
    ['switch the sandbox off', 'SET enable_external_access = true', /SET statement|change the sandbox/],
    ['load an extension', 'LOAD httpfs', /LOAD statement|outside the capture/],
    ['a write to the database', 'CREATE TABLE x AS SELECT 1', /CREATE statement/],
    ['two SELECTs', 'SELECT 1 WHERE false; SELECT 2 WHERE false', /holds 2 statements/],
  ];
  for (const [what, sql, why] of attacks) {
    it(`refuses ${what}, naming the rule and its line`, async () => {
      const msg = await refusal(sql);
      expect(msg).toMatch(/^skbtape: bad rules file: rule 'attack': /);
      expect(msg).toMatch(why);
      expect(msg).toMatch(/\(R:3\)$/);
      expect(existsSync(out) || existsSync(db)).toBe(false);
    });
  }

  it('a plain SELECT still runs, with a ; inside a string and one at the end', async () => {
    expect(await refusal("SELECT track_id FROM skb_tracks WHERE verdict = 'a;b';")).toBe('PASSED');
  });

  it('through the binary: exit 2, one line, no file written; query keeps full access and says so', async () => {
    const rules = join(tmp, 'copy.yaml');
    writeFileSync(rules, `rules:\n  - name: exfiltrate\n    sql: "SELECT 1 WHERE false; COPY (SELECT 1) TO '${out}'"\n`);
    const r = await execa(SKBTAPE, ['check', cap, rules], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`skbtape: bad rules file: rule 'exfiltrate': sql holds 2 statements; a rule is one SELECT (${rules}:2)`);
    expect(existsSync(out)).toBe(false);
    const q = await execa(SKBTAPE, ['query', '--no-cache', cap, `COPY (SELECT count(*) AS n FROM events) TO '${out}'`], { reject: false });
    expect(q.exitCode, q.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const help = await execa(SKBTAPE, ['query', '--help']);
    expect(help.stdout).toMatch(/full access/);
  });
});
