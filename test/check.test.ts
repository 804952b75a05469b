// `skbtape check` over the demo captures: the example rules pass on the delivered capture and fail (with offending
// rows) on the netfilter drop; malformed rules files give one line naming file:line and exit 2. Real DuckDB.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { importCapture } from '../src/ingest/importer.js';
import { parseRules, runCheck } from '../src/check/check.js';
import { UserError, formatUserError } from '../src/errors.js';
import { SKBTAPE } from './helpers/cli.js';

const EXAMPLE = join(ROOT, 'samples/check-example.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'skbt-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => execa(SKBTAPE, [...args], { reject: false, cwd: ROOT });
let delivered: string, dropped: string;

beforeAll(async () => {
  delivered = join(tmp, 'delivered');
  dropped = join(tmp, 'dropped');
  await importCapture(join(ROOT, 'samples/demo-delivered.pwru.txt'), delivered, { format: 'auto', force: false, showProgress: false });
  await importCapture(join(ROOT, 'samples/demo-netfilter-drop.pwru.txt'), dropped, { format: 'auto', force: false, showProgress: false });
});

const errorOf = (f: () => unknown): string => {
  try { f(); } catch (e) { if (e instanceof UserError) return formatUserError(e); throw e; }
  throw new Error('no error');
};

describe('check', () => {
  it('the example rules pass on the delivered capture', async () => {
    const r = await runCheck(delivered, EXAMPLE);
    expect(r.rules.map((x) => [x.name, x.pass])).toEqual([
      ["curl's SYN reaches the server's TCP stack", true], ['nothing in the flow is dropped', true], ['netfilter never frees a packet', true],
      ['the step into tcp_v4_rcv stays fast', true], ['no skb crosses more than three network namespaces', true],
      ['no events lost', true], // the check's own rule: an import of a saved pwru text has no loss report
    ]);
    expect(r.failed).toBe(0);
  });

  it('and fail on the netfilter drop, with the offending rows', async () => {
    const r = await runCheck(dropped, EXAMPLE);
    expect(r.rules.map((x) => x.pass)).toEqual([false, false, false, false, true, true]);
    expect(r.rules[0]!.rows[0]).toMatchObject({ matching_tracks: 3n, problem: 'no track reaches tcp_v4_rcv', drops: ['SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow)'] });
    expect(r.rules[1]!.total).toBe(3);
    expect(r.rules[1]!.rows[0]).toMatchObject({ drop_reason: 'NETFILTER_DROP', drop_site: 'kfree_skb_reason (after nf_hook_slow)', tuple: '10.244.2.173:54864->10.244.2.61:80/tcp' });
    expect(r.rules[2]!.line).toBe(10);
  });

  it('latency limits and plain SQL rules', async () => {
    const rules = join(tmp, 'lat.yaml');
    writeFileSync(rules, [
      '- max_hop_latency_us: { func: tcp_v4_rcv, median: 0.001 }',
      '- max_hop_latency_us: { func: tcp_v4_rcv, flow: "dport 80", max: 100 }',
      "- sql: SELECT track_id FROM skb_tracks WHERE verdict = 'unknown'",
    ].join('\n'));
    const r = await runCheck(delivered, rules);
    expect(r.rules.map((x) => x.pass)).toEqual([false, true, true, true]);
    expect(String(r.rules[0]!.rows[0]!['problem'])).toMatch(/^median [\d.]+µs > 0\.001µs$/);
  });

  it('a rule whose flow matches no track fails unless allow_empty; a no_func naming an absent function warns', async () => {
    const rules = join(tmp, 'empty.yaml');
    writeFileSync(rules, [
      "- no_drops: { flow: 'port 443' }",
      "- no_drops: { flow: 'port 443', allow_empty: true }",
      "- name: typo\n  no_func: kfree_skb_reasn",
      "- no_func: { func: nf_hook_slow, flow: 'tcp dst port 80 and not verdict delivered' }",
    ].join('\n'));
    const warned: string[] = [];
    const r = await runCheck(dropped, rules, { warn: (w) => warned.push(w) });
    expect(r.rules.map((x) => x.pass)).toEqual([false, true, true, false, true]);
    expect(r.rules[0]!.rows).toEqual([{ problem: "flow 'port 443' matches no track (allow_empty: true to pass)" }]);
    expect(warned).toEqual([`rule 'typo' (${rules}:3): no_func: function 'kfree_skb_reasn' appears nowhere in ${dropped}; did you mean kfree_skb_reason?`]);
    expect(r.rules[2]!.warning).toContain("'kfree_skb_reasn' appears nowhere");
    const c = await cli(['check', dropped, rules]);
    expect(c.exitCode).toBe(1);
    expect(c.stderr.trim()).toBe(`skbtape: warning: ${warned[0]}`);
    expect(c.stdout).toMatch(/^FAIL {2}no_drops \{"flow":"port 443"\}/m);
    expect(c.stdout).toMatch(/^PASS {2}typo .*\n {6}warning: no_func: function 'kfree_skb_reasn' appears nowhere/m);
  });

  it('malformed rules files: one line naming file:line', () => {
    expect(errorOf(() => parseRules('rules:\n  - name: x\n    reach: { func: a }\n', 'r.yaml'))).toBe(
      "skbtape: bad rules file: unknown key 'reach' in rule 1 (name, allow_empty, sql, reaches, no_drops, no_func, max_hop_latency_us) (r.yaml:2)");
    expect(errorOf(() => parseRules('rules:\n  - no_drops: true\n  - reaches: { flow: port 80 }\n', 'r.yaml'))).toBe(
      "skbtape: bad rules file: reaches needs 'func:' (a string) (r.yaml:3)");
    expect(errorOf(() => parseRules('rules:\n  - reaches: { func: a\n', 'r.yaml'))).toMatch(/^skbtape: bad rules file: .* \(r\.yaml:\d\)$/);
    expect(errorOf(() => parseRules('- no_func: { func: x, flow: "via eth0" }\n', 'r.yaml'))).toMatch(/^skbtape: no_func\.flow: unknown word 'via' at position 1; expected .*\(r\.yaml:1\)$/);
    expect(errorOf(() => parseRules('- no_drops: { flwo: "port 80" }\n', 'r.yaml'))).toBe("skbtape: bad rules file: unknown key 'flwo' in no_drops (flow, allow_empty) (r.yaml:1)");
    expect(errorOf(() => parseRules('- no_drops: true\n  allow_empty: yes please\n', 'r.yaml'))).toBe('skbtape: bad rules file: allow_empty wants true or false (r.yaml:1)');
  });

  it('the CLI: exit 0 pass, 1 fail, 2 on a bad rules file or a rule whose SQL does not run', async () => {
    const ok = await cli(['check', delivered, EXAMPLE]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('6 passed, 0 failed');
    const bad = await cli(['check', dropped, EXAMPLE]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL {2}curl's SYN reaches the server's TCP stack/m);
    expect(bad.stdout).toContain('2 passed, 4 failed');
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, 'rules:\n  - no_drops: true\n  - name: typo\n    sql: SELECT * FROM skb_trakcs\n');
    const e = await cli(['check', delivered, broken]);
    expect(e.exitCode).toBe(2);
    expect(e.stderr.trim()).toMatch(new RegExp(`^skbtape: bad rules file: rule 'typo': .*skb_trakcs.* \\(${broken.replace(/[.]/g, '\\.')}:3\\)$`));
  });
});
