// Debian's Chromium (installed by `make setup`), driven headless through playwright-core: never a downloaded browser.
// openReport loads a page and records console errors, page errors and every request, for the report tests.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Prereq } from './prereq.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-browser'];
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p)) ?? null;

export function canRunChromium(): Prereq {
  if (process.platform !== 'linux') return { ok: false, why: `not Linux (${process.platform})` };
  if (CHROMIUM === null) return { ok: false, fixable: true, why: "Debian's `chromium` is not installed ('make setup' installs it)" };
  return { ok: true };
}

export interface LoadedPage { page: Page; errors: string[]; requests: string[] }

export async function launch(): Promise<Browser> {
  // As root Chromium refuses to start with its sandbox; the pages are our own files.
  return chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Opens `file` and waits until page.js marked the body rendered (or a page error says why not). */
export async function openReport(browser: Browser, file: string, width = 1400, height = 1000): Promise<LoadedPage> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-rendered="yes"]', { timeout: 30_000 }).catch((e: Error) => { throw new Error(`${e.message}; page errors: ${errors.join(' | ')}`); });
  return { page, errors, requests };
}

/**
 * How much of a PNG is drawn: the share of pixels that are not the page background, and the number of distinct
 * colours, decoded by the browser itself on a blank page (no PNG decoder needed here).
 */
export async function inkOf(browser: Browser, png: Buffer): Promise<{ ink: number; colours: number }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const bg = `${d[0]},${d[1]},${d[2]}`;
      const seen = new Set<string>();
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) {
        const k = `${d[i]},${d[i + 1]},${d[i + 2]}`;
        if (k !== bg) ink++;
        if (seen.size < 5000) seen.add(k);
      }
      return { ink: ink / (d.length / 4), colours: seen.size };
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}
