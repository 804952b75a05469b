// `skbtape report` of a live capture: the real curl between two test namespaces recorded through the kernel's skb
// tracepoints (as tracepoint-e2e.test.ts does), then the page opened in Debian's Chromium: no error, no request, the
// numbers equal what DuckDB counts in the capture, the test command's exit code, both namespaces as journey lanes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunBpftrace, createTestNet, type TestNet } from './helpers/netns.js';
import { skipUnless } from './helpers/prereq.js';
import { SKBTAPE } from './helpers/cli.js';
import { canRunChromium, launch, openReport } from './helpers/browser.js';

const skip = skipUnless(canRunBpftrace(), 'live report test') || skipUnless(canRunChromium(), 'live report test (browser)');
const TPS = 'net:net_dev_queue,net:netif_receive_skb,skb:kfree_skb,skb:consume_skb';

describe.skipIf(skip)('report of a live tracepoint capture', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'skbt-report-live-'));
  let net: TestNet;
  let browser: Browser;
  beforeAll(async () => {
    [net, browser] = await Promise.all([createTestNet(), launch()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('records the curl, writes the page, and the page shows what the capture holds', async () => {
    const cap = join(tmp, 'live');
    const rec = await execa(SKBTAPE, ['record', '-o', cap, '--source', 'tracepoint', '--tracepoints', TPS, '--snapshots', 'none', '--grace', '300ms',
      '--netns', `/run/netns/${net.clientNs}`, '--netns', `/run/netns/${net.serverNs}`, '--', ...net.curlArgv()], { reject: false });
    expect(rec.exitCode, rec.stderr).toBe(0);
    const file = join(tmp, 'live.html');
    const rep = await execa(SKBTAPE, ['report', cap, '-o', file], { reject: false });
    expect(rep.exitCode, rep.stderr).toBe(0);
    const q = async (sql: string) => Number(JSON.parse((await execa(SKBTAPE, ['query', cap, sql, '--format', 'json'])).stdout)[0].n);
    const [events, lifetimes, dropped] = await Promise.all([
      q('SELECT count(*) AS n FROM events'), q('SELECT count(*) AS n FROM skb_tracks'), q("SELECT count(*) AS n FROM skb_tracks WHERE verdict = 'dropped'"),
    ]);
    expect(events).toBeGreaterThan(5);
    const { page, errors, requests } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    const num = async (id: string) => Number((await page.locator(`[data-testid="${id}"]`).first().textContent())!.replace(/,/g, ''));
    expect(await num('events')).toBe(events);
    expect(await num('lifetimes')).toBe(lifetimes);
    expect(await num('dropped')).toBe(dropped);
    expect(await num('exit')).toBe(0);
    expect(await page.locator('table.facts').textContent()).toContain('bpftrace');
    // The connection crosses the veth: some journey has a lane for each namespace.
    // Lanes are labelled `netns <inode> (<name under /run/netns>)`.
    const texts = await page.locator('.journey svg text').allTextContents();
    expect(texts).toContain(`netns ${net.clientNetnsInode} (${net.clientNs})`);
    expect(texts).toContain(`netns ${net.serverNetnsInode} (${net.serverNs})`);
    await page.close();
  }, 180_000);
});
