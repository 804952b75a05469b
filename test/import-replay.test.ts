// `skbtape import`, `replay` and `info` as a user runs them: the built CLI as a child process, real files,
// real Arrow batches on disk. Bad input must give one line naming the file and a non-zero exit, never a stack.
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT, realFiles, readLines, SEED } from './helpers/real.js';
import { importCapture } from '../src/ingest/importer.js';
import { readEvents } from '../src/capture/reader.js';
import { newRenderState, renderText } from '../src/render/pwru-layout.js';
import { SKBTAPE } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const out = () => join(tmp, `cap${++n}`);
const cli = (args: string[], input?: string) => execa(SKBTAPE, [...args], { reject: false, input, cwd: ROOT });
const norm = (s: string) => s.trim().split(/\s+/).join(' ');
const isEventLine = (l: string) => /^\s*0x[0-9a-fA-F]+\s/.test(l);

async function info(dir: string) {
  const r = await cli(['info', dir, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('import → info → replay', () => {
  const files = realFiles('pwru-');
  it.skipIf(files.length === 0)('every real file: line invariant holds and replay is token-exact (in-process)', async () => {
    for (const f of files) {
      const dir = out();
      const r = await importCapture(f, dir, { format: 'auto', force: false, showProgress: false });
      const c = r.manifest.counts;
      expect(c.events + c.continuationLines + c.logLines + c.rejects + c.blankLines, f).toBe(c.inputLines);
      expect(c.inputLines, f).toBe(readLines(f).length);
      const st = newRenderState();
      const got = [...readEvents(dir)].flatMap((e) => renderText(e, st).split('\n')).filter(isEventLine).map(norm);
      expect(got, f).toEqual(readLines(f).filter(isEventLine).map(norm));
    }
  });

  it.skipIf(files.length === 0)('the CLI: import, info --json and replay of a real file', async () => {
    const f = files.find((x) => x.includes('619e931')) ?? files[0]!;
    const dir = out();
    const imp = await cli(['import', f, '-o', dir]);
    expect(imp.exitCode, imp.stderr).toBe(0);
    const s = await info(dir);
    expect(s.counts.inputLines).toBe(readLines(f).length);
    const rp = await cli(['replay', dir]);
    expect(rp.exitCode, rp.stderr).toBe(0);
    expect(rp.stdout.split('\n').filter(isEventLine).map(norm)).toEqual(readLines(f).filter(isEventLine).map(norm));
    // The same through worker threads, from the binary with its own node flags (these once crashed the workers).
    const par = out();
    const imp2 = await cli(['import', f, '-o', par, '--workers', '2', '--batch-rows', '7', '--input-format', 'text', '--json']);
    expect(imp2.exitCode, imp2.stderr).toBe(0);
    expect(JSON.parse(imp2.stdout).counts).toMatchObject({ events: s.counts.events, inputLines: s.counts.inputLines });
    const rp2 = await cli(['replay', par]);
    expect(rp2.stdout).toBe(rp.stdout);
  });

  it.skipIf(SEED === null)('the whole seed article imports: prose lines are rejects with line numbers, the event replays', async () => {
    const dir = out();
    const imp = await cli(['import', SEED!, '-o', dir]);
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/events\s+1 from/);
    expect(imp.stdout).toMatch(/rejects\s+\d+ \(first at lines 1, 2, 3/);
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects[0]).toMatchObject({ line: 1, reason: expect.any(String) });
    const rp = await cli(['replay', dir]);
    expect(rp.stdout).toContain('10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx');
  });

  it('replay --skb filters, --json prints pwru JSON, stdin import works', async () => {
    const text = [
      'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC',
      '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx',
      '0xffff91ba905e1d00 0   <empty>:0        4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) netif_receive_skb',
    ].join('\n');
    const dir = out();
    expect((await cli(['import', '-', '-o', dir], text)).exitCode).toBe(0);
    const one = await cli(['replay', dir, '--skb', '0xffff91ba905e1d00']);
    expect(one.stdout.split('\n').filter(isEventLine)).toHaveLength(1);
    const js = await cli(['replay', dir, '--json']);
    const objs = js.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs[0]).toMatchObject({ skb: '0xffff91ba905e1ce8', cpu: 1, iface: '~3a6f7d4e8c73:26', proto: 2048, tuple: { saddr: '10.244.2.173', dport: 80, proto: 6 } });
    expect(objs[1].cpu).toBeUndefined();
    // JSON lines re-import to the same events.
    const jsonFile = join(tmp, 'replayed.json');
    writeFileSync(jsonFile, js.stdout);
    const dir2 = out();
    expect((await cli(['import', jsonFile, '-o', dir2])).exitCode).toBe(0);
    expect((await cli(['replay', dir2, '--json'])).stdout).toBe(js.stdout);
    const bad = await cli(['replay', dir, '--skb', 'nope']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.trim()).toBe("skbtape: --skb wants a hex address like 0xffff91ba905e1ce8, not 'nope' (--skb)");
  });

  it('a pwru log with no events imports with a warning; refuses a non-empty output without --force', async () => {
    const f = join(tmp, 'startup-only.txt');
    writeFileSync(f, '2023/10/25 14:16:03 Attaching kprobes (via kprobe)...\n2023/10/25 14:16:07 Listening for events..\n');
    const dir = out();
    const r = await cli(['import', f, '-o', dir]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: no events/);
    const again = await cli(['import', f, '-o', dir]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr.trim()).toMatch(/^skbtape: output directory .* is not empty \(use --force to replace it\) \(-o\)$/);
    expect((await cli(['import', f, '-o', dir, '--force'])).exitCode).toBe(0);
  });
});

describe('bad input: one line naming the file, non-zero exit, no stack', () => {
  const cases: [string, () => string, RegExp][] = [
    ['missing file', () => join(tmp, 'nope.txt'), /no such file or directory/],
    ['a directory', () => tmp, /is a directory/],
    ['binary garbage', () => { const f = join(tmp, 'garbage.bin'); writeFileSync(f, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))); return f; }, /looks like pwru output/],
    ['an empty file', () => { const f = join(tmp, 'empty.txt'); writeFileSync(f, ''); return f; }, /it is empty/],
    ['prose', () => { const f = join(tmp, 'prose.txt'); writeFileSync(f, 'hello\nworld\n'); return f; }, /2 of 2 lines unreadable \(first: line 1/],
  ];
  for (const [name, make, msg] of cases) {
    it(name, async () => {
      const f = make();
      const r = await cli(['import', f, '-o', out()]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^skbtape: /);
      expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(msg);
    });
  }

  it('a 10 MB line, invalid UTF-8 and truncated JSON are rejects with their line numbers; the rest imports', async () => {
    const f = join(tmp, 'mixed.txt');
    const good = '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 0       ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx\n';
    const parts = [Buffer.from(good), Buffer.from('x'.repeat(10 * 1024 * 1024) + '\n'), Buffer.from([0xff, 0xfe, 0x30, 0x78, 0x0a]),
      Buffer.from('{"skb":"0xffff8b7d9462c600","func":"ip_rcv","tim\n'), Buffer.from(good)];
    writeFileSync(f, Buffer.concat(parts));
    const dir = out();
    const r = await cli(['import', f, '-o', dir, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.counts).toMatchObject({ events: 2, rejects: 3, inputLines: 5 });
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((x: { line: number }) => x.line)).toEqual([2, 3, 4]);
    expect(rejects[0].reason).toMatch(/10485760 characters/);
    expect(rejects[1].reason).toMatch(/UTF-8/);
    expect(rejects[2].reason).toMatch(/invalid JSON/);
  });

  it('nothing read is never a quiet success: a header and every other line rejected exits 2, rejects kept', async () => {
    const f = join(tmp, 'all-bad.txt');
    // pwru v1.0.10's header, then two lines no pwru printed.
    writeFileSync(f, 'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC\n' +
      '0xffff91ba905e1ce8 this is not a pwru line\nneither is this one\n');
    const dir = out();
    const r = await cli(['import', f, '-o', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`skbtape: no event read from ${f}: all 2 line(s) that could be events were rejected (first: line 2: `);
    expect(r.stderr).toContain(`see ${dir}/rejects.ndjson`);
    expect(readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).status).toBe('failed');
    const empty = join(tmp, 'empty.txt');
    writeFileSync(empty, '');
    const e = await cli(['import', empty, '-o', out()]);
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toContain(`skbtape: nothing in ${empty} looks like pwru output`);
  });

  it('bad flags name the flag', async () => {
    const r = await cli(['import', '-', '-o', out(), '--input-format', 'xml'], '');
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^skbtape: option '--input-format <format>' argument 'xml' is invalid\. Allowed choices are auto, text, json \(--input-format\)\nsee 'skbtape import --help'$/);
    const f = await cli(['import', '-', '-o', out(), '--format', 'csv'], '');
    expect(f.exitCode).toBe(2);
    expect(f.stderr.trim()).toBe("skbtape: --format wants table, json, ndjson, not 'csv' (--format)");
    const a = await cli(['import', '-', '-o', out(), '--format', 'auto'], '');
    expect(a.stderr.trim()).toBe("skbtape: --format is the summary's output format now; the input's is --input-format auto|text|json (--format)");
    const r2 = await cli(['info', join(tmp, 'nothing-here')]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr.trim()).toMatch(/^skbtape: no such capture directory: .*nothing-here/);
  });
});

describe('crash safety of the batch files', () => {
  it('a batch file cut at any point loses at most that batch; .tmp files are ignored', async () => {
    const lines: string[] = ['SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC'];
    for (let i = 0; i < 100; i++) {
      lines.push(`0xffff91ba905e${(0x1000 + i).toString(16)} ${i % 4}   <empty>:0        4026531840 0          eth0:2       0x0800 1500  60    10.0.0.${i % 250}:${1000 + i}->10.0.1.1:80(tcp) f${i % 7}`);
    }
    const f = join(tmp, 'batches.txt');
    writeFileSync(f, lines.join('\n') + '\n');
    const dir = out();
    expect((await cli(['import', f, '-o', dir, '--batch-rows', '10'])).exitCode).toBe(0);
    const evDir = join(dir, 'events');
    const batches = readdirSync(evDir).sort();
    expect(batches).toHaveLength(10);
    const last = join(evDir, batches.at(-1)!);
    const size = statSync(last).size;
    const pristine = readFileSync(last);
    // Cut the last batch at its start, inside the schema, inside the data, one byte short; also leave a .tmp behind.
    let copyCut = '';
    for (const cut of [0, 8, Math.floor(size / 3), Math.floor(size / 2), size - 9, size - 1]) {
      const copy = join(tmp, `trunc${++n}`);
      mkdirSync(join(copy, 'events'), { recursive: true });
      copyFileSync(join(dir, 'manifest.json'), join(copy, 'manifest.json'));
      for (const b of batches) copyFileSync(join(evDir, b), join(copy, 'events', b));
      writeFileSync(join(copy, 'events', batches.at(-1)!), pristine.subarray(0, cut));
      writeFileSync(join(copy, 'events', '000011.arrows.tmp'), pristine.subarray(0, 100));
      if (cut === Math.floor(size / 2)) copyCut = copy;
      const warnings: string[] = [];
      const got = [...readEvents(copy, { warn: (w) => warnings.push(w) })].length;
      // The EOS marker is the last 8 bytes: cutting only it keeps the batch.
      expect(got, `cut at ${cut}/${size}`).toBe(cut >= size - 8 ? 100 : 90);
      if (cut < size - 8) expect(warnings.join('\n')).toMatch(/cut short|no complete batch/);
    }
    // Every earlier batch boundary: dropping whole later files leaves exactly the earlier batches.
    for (let k = 0; k < batches.length; k++) {
      truncateSync(join(evDir, batches[batches.length - 1 - k]!), 0);
      expect([...readEvents(dir)].length).toBe(100 - (k + 1) * 10);
    }
    // The CLI on a capture whose last batch is cut: replays the rest, warns, exits 0.
    const rp = await cli(['replay', copyCut]);
    expect(rp.exitCode).toBe(0);
    expect(rp.stderr).toMatch(/cut short|no complete batch/);
    expect(rp.stdout.split('\n').filter(isEventLine)).toHaveLength(90);
  });
});

// Issue #10 item 5 through the real import and replay: a paste of the v1.0.8+ default layout (the seed's event line),
// mangled the way mail and readers mangle it, plus the PR #376 pre-release MARK header with %08x marks.
describe('pasted pwru output: wrapped lines, notes, MARK', () => {
  const HDR = 'SKB                CPU PROCESS          NETNS      MARK          IFACE       PROTO  MTU   LEN   TUPLE FUNC';
  const LINE = '0xffff91ba905e1ce8 1   ~bin/curl:272299 4026531840 00000d00 ~3a6f7d4e8c73:26 0x0800 9001  60    10.244.2.173:54864->10.244.2.61:80(tcp) __netif_rx';
  const at = (s: string) => LINE.indexOf(s);
  const paste = [
    HDR,                                                                    // 1
    LINE.slice(0, at('10.244.2.173')).trimEnd(),                            // 2 wrapped after LEN
    LINE.slice(at('10.244.2.173')),                                         // 3 … completed
    LINE.slice(0, at('0x0800')).trimEnd(),                                  // 4 wrapped after IFACE
    LINE.slice(at('0x0800')),                                               // 5 … completed (starts with the ethertype)
    `${LINE.replace('__netif_rx', 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)')}   <- dropped here`, // 6 note
    LINE.slice(0, at('__netif_rx')).trimEnd(),                              // 7 wrapped, never completed
    '',                                                                     // 8
    LINE.slice(0, at('10.244.2.173')).trimEnd(),                            // 9 cut short at the end of input
  ];

  it('line counts add up, wrapped lines come back joined, notes and %08x marks replay as printed', async () => {
    const f = join(tmp, 'paste.txt');
    writeFileSync(f, paste.join('\n') + '\n');
    for (const workers of [[], ['--workers', '2']]) {
      const dir = out();
      const imp = await cli(['import', f, '-o', dir, '--json', ...workers]);
      expect(imp.exitCode, imp.stderr).toBe(0);
      const c = JSON.parse(imp.stdout).counts;
      expect(c).toMatchObject({ inputLines: 9, events: 3, continuationLines: 2, logLines: 1, rejects: 2, blankLines: 1 });
      expect(c.events + c.continuationLines + c.logLines + c.rejects + c.blankLines).toBe(c.inputLines);
      const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((r) => [r.line, r.text])).toEqual([[7, paste[6]], [9, paste[8]]]);
      expect(rejects[0].reason).toMatch(/^line 7 stops before the header's columns are all there and line 8 does not complete it/);
      const events = [...readEvents(dir)];
      expect(events.map((e) => [e.lineNo, e.skb, e.mark, e.note])).toEqual([
        [2, 0xffff91ba905e1ce8n, 0xd00, null], [4, 0xffff91ba905e1ce8n, 0xd00, null], [6, 0xffff91ba905e1ce8n, 0xd00, '<- dropped here']]);
      const rp = await cli(['replay', dir]);
      expect(rp.exitCode, rp.stderr).toBe(0);
      const lines = rp.stdout.split('\n');
      expect(norm(lines[0]!)).toBe(norm(HDR));
      expect(lines.filter(isEventLine).map(norm)).toEqual([LINE, LINE, paste[5]!].map(norm));
    }
  });

  // The events view (queries/views/10_events.sql) does not list note yet; the raw table carries it.
  it('a capture of schema v1 (no note column) still loads, replays and queries', async () => {
    const A = await import('../src/capture/arrow.js'); // the program's one Arrow, with its LZ4 codec
    const dir = out();
    expect((await cli(['import', '-', '-o', dir], [HDR, LINE].join('\n') + '\n')).exitCode).toBe(0);
    const evDir = join(dir, 'events');
    for (const b of readdirSync(evDir)) {
      const t = A.tableFromIPC(readFileSync(join(evDir, b)));
      const v1 = t.select(t.schema.fields.map((x) => x.name).filter((x) => x !== 'note'));
      v1.schema.metadata.delete('skbtape.seal'); // and no seal: v1 files had none
      writeFileSync(join(evDir, b), A.tableToIPC(v1, 'stream'));
    }
    const mf = join(dir, 'manifest.json');
    // A v1 capture was written before batches were sealed and listed with their checksums.
    writeFileSync(mf, JSON.stringify({ ...JSON.parse(readFileSync(mf, 'utf8')), schemaVersion: 1, batches: undefined }));
    expect([...readEvents(dir)].map((e) => [e.func, e.note])).toEqual([['__netif_rx', null]]);
    const rp = await cli(['replay', dir]);
    expect(rp.exitCode, rp.stderr).toBe(0);
    expect(rp.stdout.split('\n').filter(isEventLine).map(norm)).toEqual([norm(LINE)]);
    const q = await cli(['query', dir, 'SELECT count(*) AS n, count(note) AS notes FROM raw_events', '--format', 'json']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/"n":\s*1/);
    expect(q.stdout).toMatch(/"notes":\s*0/);
  });
});
