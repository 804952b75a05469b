// `skbtape demo` where no live recording is possible (--live no): the sample captures are imported, their
// snapshots attached, and paths and diff name the netfilter drop. The live path is covered by tracepoint-e2e.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('demo --live no: imports the samples, shows paths with Cilium labels, and the diff names the drop', async () => {
  const r = await execa(SKBTAPE, ['demo', '--live', 'no', '-o', tmp], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/no live recording on this machine \(--live no\)/);
  expect(r.stdout).toContain('10.244.2.173:54864 (k8s:app=client (26328), ep 1617) → 10.244.2.61:80 (k8s:app=server (9764), ep 133) tcp');
  expect(r.stdout).toContain('summary: 1 flow changed, 1 new drop: SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow)');
  // It ends by writing a report of its own captures and saying where.
  const page = join(tmp, 'report.html');
  expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`report of these captures (the journeys, the drop, the diff): ${page}  (open it in a browser; it fetches nothing)`);
  const html = readFileSync(page, 'utf8');
  expect(html).toContain('<title>skbtape report: sample-delivered vs sample-dropped</title>');
  expect(html).toContain('data-testid="divergent"');
}, 120_000);

it('demo --live yes where the lab tools are missing: one line naming --live, exit 1, no stack', async () => {
  // PATH holds only node: no ip, no bpftrace (the CLI is started by absolute path).
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = await execa(SKBTAPE, ['demo', '--live', 'yes', '-o', join(tmp, 'live')], { reject: false, env: { PATH: bin }, extendEnv: false });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.trim()).toMatch(/^skbtape: cannot record live here: `\w+` not on PATH \('make setup' installs \S+\) \(--live\)$/);
});
