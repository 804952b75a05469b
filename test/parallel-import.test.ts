// The parallel importer (worker threads, chunks cut at event lines) must give exactly what the single-threaded one
// gives: same counts, same events in the same order, same rejects and logs with the same line numbers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readEvents } from '../src/capture/reader.js';
import { importCapture } from '../src/ingest/importer.js';
import { workerScript } from '../src/ingest/parallel.js';
import { newRenderState, renderText } from '../src/render/pwru-layout.js';
import { skipUnless } from './helpers/prereq.js';
import { realFiles, readLines } from './helpers/real.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-par-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it.skipIf(skipUnless({ ok: workerScript() !== null, fixable: true, why: 'dist/ingest-worker.js not built (make setup builds it)' }, 'parallel import'))('tiny chunks, many workers: identical capture to the single-threaded import', async () => {
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
  const text = [...real, ...lines].join('\r\n') + '\nlast line without newline 0x';
  const f = join(tmp, 'mixed.txt');
  writeFileSync(f, text);
  const single = await importCapture(f, join(tmp, 'single'), { format: 'auto', force: true, workers: 0, batchRows: 500 });
  const par = await importCapture(f, join(tmp, 'par'), { format: 'auto', force: true, workers: 3, chunkBytes: 2048, batchRows: 500 });
  expect(par.manifest.counts.batches).toBeGreaterThan(single.manifest.counts.batches); // chunks really were cut
  const { batches: _a, ...cs } = single.manifest.counts;
  const { batches: _b, ...cp } = par.manifest.counts;
  expect(cp).toEqual(cs);
  expect(par.manifest.headers).toEqual(single.manifest.headers);
  expect(par.manifest.firstRejects).toEqual(single.manifest.firstRejects);
  expect(par.manifest.layouts.sort()).toEqual(single.manifest.layouts.sort());
  expect(par.manifest.timeRange).toEqual(single.manifest.timeRange);
  const render = (dir: string) => { const st = newRenderState(); return [...readEvents(dir)].map((e) => `${e.lineNo} ${renderText(e, st)}`); };
  expect(render(join(tmp, 'par'))).toEqual(render(join(tmp, 'single')));
  for (const n of ['rejects.ndjson', 'logs.ndjson']) expect(readFileSync(join(tmp, 'par', n), 'utf8')).toBe(readFileSync(join(tmp, 'single', n), 'utf8'));
});
