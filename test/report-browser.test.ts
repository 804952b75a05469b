// `skbtape report` in a real browser (Debian's Chromium, headless, via playwright-core) on reports of the demo
// captures: no console error, no request but the file itself; the summary numbers equal the pwru text counted by
// string ops; the drop shows its reason and site; a click on a hop opens its pwru line; the diff marks the first
// divergent function; the screenshots are not blank. The live-capture report is report-live.test.ts.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';
import { canRunChromium, inkOf, launch, openReport } from './helpers/browser.js';

const skip = skipUnless(canRunChromium(), 'report browser tests');

/** The drop sample by string ops: event lines, lifetimes (each ends at kfree_skbmem), drops. */
function handCounts(file: string) {
  const lines = readFileSync(join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.startsWith('0x'));
  return {
    events: lines.length,
    lifetimes: lines.filter((l) => l.trim().endsWith(' kfree_skbmem')).length,
    dropped: lines.filter((l) => /kfree_skb_reason\(SKB_DROP_REASON_(?!CONSUMED)/.test(l)).length,
    funcs: lines.map((l) => l.trim().split(/\s+/).at(-1)!.replace(/\(.*$/, '')),
  };
}

describe.skipIf(skip)('report in Chromium', () => {
  let tmp: string, drop: string, delivered: string, browser: Browser;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-report-'));
    [drop, delivered] = await Promise.all([buildDemoCapture('drop', join(tmp, 'drop')), buildDemoCapture('delivered', join(tmp, 'delivered'))]);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('drop capture: loads offline without errors; numbers, the drop with reason and site, the journey, click-through', async () => {
    const file = join(tmp, 'drop.html');
    const r = await execa(SKBTAPE, ['report', drop, '-o', file, '--format', 'json']);
    const out = JSON.parse(r.stdout);
    expect(out.bytes).toBe(statSync(file).size);
    const { page, errors, requests } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    const hand = handCounts('demo-netfilter-drop.pwru.txt');
    const num = async (id: string) => Number((await page.locator(`[data-testid="${id}"]`).first().textContent())!.replace(/,/g, ''));
    expect(await num('events')).toBe(hand.events);
    expect(await num('lifetimes')).toBe(hand.lifetimes);
    expect(await num('dropped')).toBe(hand.dropped);
    expect(await num('flows')).toBe(1);
    expect(await num('paths')).toBe(1);
    // An import of pwru v1.0.x text: 0 reported is not 0 lost, and the page says so beside the count.
    expect(await num('lost')).toBe(0);
    expect(await page.locator('[data-testid="loss-unreported"]').textContent()).toBe('pwru v1.0.0+ does not report events its full BPF queue evicts (cilium/pwru#710)');
    expect(await page.locator('[data-testid="drop"]').textContent()).toBe('✗ dropped: SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow) on eth0:27');
    // The diagram itself (SVG text): every hop of the example, the drop hop marked with its reason.
    const svgText = await page.locator('#journey-0-0 svg text').allTextContents();
    const hops = hand.funcs.slice(0, hand.funcs.indexOf('kfree_skbmem') + 1);
    expect(svgText.filter((t) => hops.includes(t.replace(/ ✗.*$/, '')))).toHaveLength(hops.length);
    expect(svgText).toContain('kfree_skb_reason ✗ NETFILTER_DROP');
    expect(svgText.filter((t) => t.startsWith('netns 40265'))).toEqual(['netns 4026531840', 'netns 4026532745']);
    expect(await page.textContent('body')).toContain('not how long a function ran');
    // Click the 28th hop (nf_hook_slow): its line of the example's pwru-layout events is opened and marked.
    await page.locator('#journey-0-0').scrollIntoViewIfNeeded();
    const at = await page.evaluate(() => {
      const el = document.getElementById('journey-0-0')!;
      const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): { convertToPixel(f: object, v: number[]): number[] } } }).echarts.getInstanceByDom(el);
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [27, 1]);
      const box = el.getBoundingClientRect();
      return { x: box.left + x!, y: box.top + y! };
    });
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('#events-0-0 span.hl', { timeout: 5000 });
    expect(await page.locator('#details-0-0').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect((await page.locator('#events-0-0 span.hl').textContent())!.trim()).toMatch(/ nf_hook_slow$/);
    const shot = await page.locator('#path-0-0').screenshot();
    const ink = await inkOf(browser, shot);
    expect(ink.ink).toBeGreaterThan(0.03);
    expect(ink.colours).toBeGreaterThan(8);
    await page.close();
  });

  it('diff: changed flow first, the first divergent function marked on both sides at the common prefix', async () => {
    const file = join(tmp, 'diff.html');
    await execa(SKBTAPE, ['report', delivered, '--diff', drop, '-o', file]);
    const { page, errors, requests } = await openReport(browser, file);
    expect(errors).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(await page.locator('[data-testid="diff-summary"]').textContent()).toBe('1 flow changed, 1 new drop: SKB_DROP_REASON_NETFILTER_DROP at kfree_skb_reason (after nf_hook_slow) in flow k8s:app=client (26328)->k8s:app=server (9764):80/tcp');
    const [a, b] = await Promise.all([0, 1].map((i) => page.locator('.sides > div').nth(i).locator('li').allTextContents()));
    // The first index where the two lists differ, found here, is where the page put its mark.
    const first = a!.findIndex((f, i) => f !== b![i]);
    expect(first).toBeGreaterThan(0);
    const marked = await page.locator('.sides li.divergent').allTextContents();
    expect(marked).toEqual([a![first], b![first]]);
    expect(marked[1]).toBe('nf_hook_slow');
    // B's list is the drop sample's first lifetime, function by function.
    const hand = handCounts('demo-netfilter-drop.pwru.txt').funcs;
    expect(b).toEqual(hand.slice(0, hand.indexOf('kfree_skbmem') + 1));
    expect(await page.locator('section.capture').count()).toBe(2);
    const ink = await inkOf(browser, await page.locator('#diff').screenshot());
    expect(ink.ink).toBeGreaterThan(0.02);
    await page.close();
  });

  it('the output is never silently replaced; bad input is one line, exit 2', async () => {
    const file = join(tmp, 'mine.html');
    writeFileSync(file, 'not ours');
    const [exists, fmt, none] = await Promise.all([
      execa(SKBTAPE, ['report', drop, '-o', file], { reject: false }),
      execa(SKBTAPE, ['report', drop, '-o', join(tmp, 'x.html'), '--format', 'xml'], { reject: false }),
      execa(SKBTAPE, ['report', join(tmp, 'nope'), '-o', join(tmp, 'y.html'), '--json', '--color', 'never'], { reject: false }),
    ]);
    expect([exists.exitCode, exists.stderr]).toEqual([2, `skbtape: ${file} exists; give --force to replace it (--output)`]);
    expect(readFileSync(file, 'utf8')).toBe('not ours');
    expect(fmt.exitCode).toBe(2);
    expect(none.exitCode).toBe(2);
    expect(none.stderr.split('\n')).toHaveLength(1);
    const forced = await execa(SKBTAPE, ['report', drop, '-o', file, '--force', '--no-cache'], { reject: false });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^wrote .*mine\.html \(1\.\d MiB, \d+ ms\): drop: 111 events, 3 lifetimes, 1 flows, 1 paths, 3 dropped\n?$/);
  });
});
