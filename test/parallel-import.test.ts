// The parallel importer (worker threads, chunks cut at event lines, fragments assembled in order) must give exactly
// the capture the single-threaded one gives, byte for byte: batch files (same rows per batch), logs and rejects with
// the same line numbers, manifest. Checked on every real output, sample, lifetime case and the seed, on a mixed
// corpus of every line kind, and on generated text and JSON; beside it, facts counted by hand (events, chunks cut).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCapture } from '../src/ingest/importer.js';
import { workerScript } from '../src/ingest/parallel.js';
import { skipUnless } from './helpers/prereq.js';
import { identityCorpus, realFiles, readLines } from './helpers/real.js';
import { captureBytes } from './helpers/capture-bytes.js';
// @ts-expect-error plain JavaScript module without types
import { generateRecords } from '../bench/gen-pwru.mjs';
// @ts-expect-error plain JavaScript module without types
import { createPrinter } from './fixtures/pwru-format.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-par-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const built = skipUnless({ ok: workerScript() !== null, fixable: true, why: 'dist/ingest/worker.js not built (make setup builds it)' }, 'parallel import');

/** Imports `file` on one thread and with `workers` workers over chunks of `chunkBytes`; asserts identical captures. */
async function both(file: string, workers: number, chunkBytes: number, batchRows: number) {
  const one = join(tmp, `one${++n}`), par = join(tmp, `par${n}`);
  const a = await importCapture(file, one, { format: 'auto', force: true, showProgress: false, workers: 0, batchRows }).catch((e: Error) => e);
  const b = await importCapture(file, par, { format: 'auto', force: true, showProgress: false, workers, chunkBytes, batchRows }).catch((e: Error) => e);
  // A file nothing can be read from fails both ways with the same message.
  if (a instanceof Error || b instanceof Error) {
    expect(String(b), file).toBe(String(a).replace(one, par));
    return null;
  }
  expect(captureBytes(par), file).toEqual(captureBytes(one));
  return { one: a, par: b, dir: par };
}

describe.skipIf(built)('parallel import = single-threaded import, byte for byte', () => {
  it('every real output, sample, lifetime case and the seed, one after another, cut into 2 KiB chunks', async () => {
    // One input (a worker costs a module load per import): each file's header, eras and JSON follow the one before.
    const files = identityCorpus();
    expect(files.length).toBeGreaterThan(10);
    const f = join(tmp, 'corpus.txt');
    writeFileSync(f, files.map((x) => readFileSync(x, 'utf8').replace(/\n?$/, '\n')).join(''));
    const r = (await both(f, 1, 2048, 64))!;
    expect(r.par.manifest.counts.events).toBeGreaterThan(100);
    expect(r.par.manifest.counts.rejects + r.par.manifest.counts.logLines).toBeGreaterThan(0);
  });

  it('a mixed corpus (headers, stacks, rejects, JSON among text, CRLF, no last newline), three workers, tiny chunks', async () => {
    const real = realFiles('pwru-').flatMap(readLines);
    const hdrE = 'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(`0xffff91ba90${(0x5e1000 + (i % 700)).toString(16)} ${i % 4}   ~bin/curl:272299 4026531840 ${(i % 3).toString(16)}       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:${40000 + (i % 50)}->10.244.2.61:80(tcp) f${i % 9}`);
      if (i % 97 === 0) lines.push('ip_finish_output2', 'nf_hook_slow'); // stack continuation lines
      if (i % 301 === 0) lines.push('', 'garbage that is not pwru');
      if (i % 1000 === 500) lines.push(hdrE);
      if (i % 777 === 0) lines.push('{"skb":"0xffff8b7d9462c600","cpu":3,"func":"ip_rcv","time":182893007811626,"iface":"eth0:2","len":60}');
    }
    const f = join(tmp, 'mixed.txt');
    writeFileSync(f, [...real, ...lines].join('\r\n') + '\nlast line without newline 0x');
    const r = (await both(f, 3, 2048, 500))!;
    // Counted by hand: 3000 generated event lines and 4 JSON ones past the real files' own.
    expect(r.par.manifest.counts.events).toBeGreaterThan(3004);
    expect(r.par.manifest.counts.batches).toBe(Math.ceil(r.par.manifest.counts.events / 500));
    expect(readdirSync(join(r.dir, 'events')).length).toBe(r.par.manifest.counts.batches);
    expect(r.par.fastLines).toBeGreaterThan(2900);
  });

  for (const json of [false, true]) {
    it(`generated pwru ${json ? 'JSON' : 'text with stacks'}: batches cut across chunk ends at the same rows`, async () => {
      const printer = createPrinter({ version: 'v1.0.10', timestamp: 'current', json, stack: !json });
      const recs = [...generateRecords(4000, { seed: 11 })].map((r: unknown) => printer.format(r)).join('');
      const f = join(tmp, `gen${json}.txt`);
      writeFileSync(f, (printer.header() ?? '') + recs);
      const r = (await both(f, 2, 16384, 1000))!;
      expect(r.par.manifest.counts.events).toBe(4000);
      expect(r.par.manifest.counts.batches).toBe(4);
    });
  }
});

describe('the default number of workers', () => {
  it('one per core (up to 4) on an idle machine; none while the cores are busy or on one core', async () => {
    const { availableParallelism } = await import('node:os');
    const { defaultWorkers } = await import('../src/ingest/parallel.js');
    const cores = availableParallelism();
    expect(defaultWorkers(0)).toBe(cores < 2 ? 0 : Math.min(cores, 4));
    expect(defaultWorkers(cores)).toBe(0);
    expect(defaultWorkers(cores - 1)).toBe(0);
  });
});
