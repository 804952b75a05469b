// import reads gzip-compressed pwru output by its magic bytes, from a file (any name) or stdin, into the same
// capture as the plain text; a gzip file cut short keeps the events before the damage, says so, and exits 2.
// Real files compressed with node:zlib; the installed binary.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { readManifest } from '../src/capture/manifest.js';
import { readEvents } from '../src/capture/reader.js';
import { toJson } from '../src/render/table.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-gzip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SRC = join(ROOT, 'samples/demo-delivered.pwru.txt');
const cli = (args: string[], input?: Buffer) => execa(SKBTAPE, args, { reject: false, cwd: ROOT, input, encoding: 'utf8' });
const events = (dir: string) => [...readEvents(dir)].map((e) => toJson(e));

describe('import of gzip-compressed pwru output', () => {
  it('a .log.gz, a gzip file without the suffix and gzip on stdin give the capture the plain text gives', async () => {
    const plain = join(tmp, 'plain');
    expect((await cli(['import', SRC, '-o', plain])).exitCode).toBe(0);
    const gz = gzipSync(readFileSync(SRC));
    writeFileSync(join(tmp, 'pwru.log.gz'), gz);
    writeFileSync(join(tmp, 'pwru.saved'), gz);
    const want = events(plain);
    expect(want).toHaveLength(416);
    for (const [name, args, input] of [
      ['gz', ['import', join(tmp, 'pwru.log.gz'), '-o', join(tmp, 'gz')], undefined],
      ['noext', ['import', join(tmp, 'pwru.saved'), '-o', join(tmp, 'noext')], undefined],
      ['stdin', ['import', '-', '-o', join(tmp, 'stdin')], gz],
    ] as const) {
      const r = await cli([...args], input);
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
      expect(events(join(tmp, name)), name).toEqual(want);
      expect(readManifest(join(tmp, name)).counts).toMatchObject({ events: 416, rejects: 0 });
    }
  });

  it('a gzip file cut short: one line, exit 2, the events before the damage kept, status failed', async () => {
    const gz = gzipSync(readFileSync(SRC));
    const cut = join(tmp, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
    const dir = join(tmp, 'cut');
    const r = await cli(['import', cut, '-o', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`skbtape: gzip data that does not decompress: unexpected end of file; the events before the damage are kept in ${dir} (${cut})`);
    const m = readManifest(dir);
    expect(m.status).toBe('failed');
    const got = events(dir);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(416);
    expect(m.counts.events).toBe(got.length);
  });
});
