// `export --perfetto`: the Chrome JSON trace of a capture, on the demo drop capture and a hand-built clone (real DuckDB
// over real Arrow captures), checked against the trace event format's rules (helpers/trace-events.ts) and against the
// pwru text counted by string ops.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPerfetto } from '../src/analyze/perfetto.js';
import { importCapture } from '../src/ingest/importer.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { HEADER, line } from './helpers/pwru-text.js';
import { traceProblems, type TraceEvent } from './helpers/trace-events.js';

const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as { traceEvents: TraceEvent[]; otherData: Record<string, unknown> };

describe('export --perfetto', () => {
  let tmp: string;
  let drop: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-perfetto-'));
    drop = await buildDemoCapture('drop', join(tmp, 'drop'));
  });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('drop capture: valid trace; one slice per event, lasting until the next entry; the drops with reason and site', async () => {
    const file = join(tmp, 'drop.json');
    const r = await exportPerfetto(drop, file, { cache: false });
    const doc = read(file);
    expect(traceProblems(doc)).toEqual([]);
    const text = readFileSync(join(SAMPLES, 'demo-netfilter-drop.pwru.txt'), 'utf8').split('\n').filter((l) => l.startsWith('0x'));
    const slices = doc.traceEvents.filter((e) => e.ph === 'X');
    expect(slices).toHaveLength(text.length);
    expect(r).toMatchObject({ flows: 1, tracks: 3, slices: text.length, drops: 3, clones: 0, clock: 'ktime' });
    // The first lifetime's first two slices: ts from the capture's first ktime, dur to the next entry, by hand.
    const ts = text.slice(0, 3).map((l) => BigInt(l.trim().split(/\s+/)[3]!));
    expect(slices[0]).toMatchObject({ name: '__netif_rx', ts: 0, dur: Number(ts[1]! - ts[0]!) / 1000, args: { function: '__netif_rx', netns: 4026531840, tuple: '10.244.2.173:54864->10.244.2.61:80(tcp)' } });
    expect(slices[1]).toMatchObject({ name: 'enqueue_to_backlog', ts: Number(ts[1]! - ts[0]!) / 1000, dur: Number(ts[2]! - ts[1]!) / 1000 });
    const drops = doc.traceEvents.filter((e) => e.ph === 'i');
    expect(drops).toHaveLength(text.filter((l) => l.includes('kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)')).length);
    for (const d of drops) expect(d).toMatchObject({ name: 'drop: SKB_DROP_REASON_NETFILTER_DROP', args: { site: 'kfree_skb_reason (after nf_hook_slow)' } });
    const names = doc.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args!['name']);
    expect(names).toContain('10.244.2.173 → 10.244.2.61:80/tcp');
    expect(names).toContain('drop:0xffff91ba905e1ce8:1 dropped');
    expect(doc.traceEvents.filter((e) => e.ph === 'C').map((e) => e.args!['lost'])).toEqual([0, 0]); // no loss: the counter stays at 0
    expect(doc.traceEvents.filter((e) => e.cat === 'loss')).toEqual([]);
    expect(String(doc.otherData['note'])).toContain('ENTRY');
  });

  it('a clone is a flow arrow from its parent lifetime to the clone', async () => {
    const A = '0xffff91ba905e1c00', B = '0xffff91ba905e2e00';
    const t0 = 1843207115300000n;
    const evs = [[A, '__tcp_transmit_skb'], [A, 'skb_clone'], [B, '__skb_clone'], [B, 'ip_queue_xmit'], [B, 'dev_hard_start_xmit'], [A, 'tcp_rate_skb_sent']] as const;
    const src = join(tmp, 'clone.txt');
    writeFileSync(src, [HEADER, ...evs.map(([skb, func], i) => line({ skb, func, ts: t0 + BigInt(i * 1000), cpu: 2 }))].join('\n') + '\n');
    const cap = join(tmp, 'clone');
    await importCapture(src, cap, { format: 'auto', force: true, showProgress: false });
    const file = join(tmp, 'clone.json');
    const r = await exportPerfetto(cap, file, { cache: false });
    const doc = read(file);
    expect(traceProblems(doc)).toEqual([]);
    expect(r.clones).toBe(1);
    const [s, f] = doc.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
    const thread = (name: string) => doc.traceEvents.find((e) => e.ph === 'M' && String(e.args!['name']).startsWith(name))!;
    expect([s!.pid, s!.tid]).toEqual([thread(`clone:${A}:1`).pid, thread(`clone:${A}:1`).tid]);
    expect([f!.pid, f!.tid, f!.ts]).toEqual([thread(`clone:${B}:1`).pid, thread(`clone:${B}:1`).tid, 2]);
    expect(s!.id).toBe(f!.id);
  });

  it('CLI: refuses to overwrite without --force (the file untouched); --flow and --format json', async () => {
    const file = join(tmp, 'keep.json');
    writeFileSync(file, 'not ours');
    const no = await execa(SKBTAPE, ['export', drop, '--perfetto', file], { reject: false });
    expect(no.exitCode).toBe(2);
    expect(no.stderr).toBe(`skbtape: ${file} exists; give --force to replace it (--perfetto)`);
    expect(readFileSync(file, 'utf8')).toBe('not ours');
    const yes = await execa(SKBTAPE, ['export', drop, '--perfetto', file, '--force', '--flow', 'verdict dropped', '--format', 'json'], { reject: false });
    expect(yes.exitCode, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ tracks: 3, drops: 3 });
    expect(traceProblems(read(file))).toEqual([]);
    const both = await execa(SKBTAPE, ['export', drop, '--perfetto', file, '--parquet', tmp], { reject: false });
    expect(both.stderr).toBe('skbtape: say where to write: one of --parquet <dir>, --pcapng <file> or --perfetto <file> (--perfetto)');
  });

  it('the checker itself catches an unclosed slice, overlap, out-of-order time and an unnamed thread', () => {
    const M = (pid: number, tid: number): TraceEvent => ({ ph: 'M', name: 'thread_name', pid, tid, args: { name: 't' } });
    const P: TraceEvent = { ph: 'M', name: 'process_name', pid: 1, args: { name: 'p' } };
    expect(traceProblems({ traceEvents: [P, M(1, 1), { ph: 'B', pid: 1, tid: 1, ts: 0, name: 'a' }] })).toEqual(['thread 1/1: 1 slice(s) never closed']);
    expect(traceProblems({ traceEvents: [P, M(1, 1), { ph: 'X', pid: 1, tid: 1, ts: 0, dur: 5, name: 'a' }, { ph: 'X', pid: 1, tid: 1, ts: 2, dur: 1, name: 'b' }] })[0]).toContain('starts before the previous ended');
    // At 2e7 µs a float ts + dur lands an ulp past the next ts: not an overlap in whole ns; one real ns is.
    const X = (ts: number, dur: number): TraceEvent => ({ ph: 'X', pid: 1, tid: 1, ts, dur, name: 'x' });
    expect(traceProblems({ traceEvents: [P, M(1, 1), X(20000000.002, 1.021), X(20000001.023, 1)] })).toEqual([]); // 20000000.002 + 1.021 = 20000001.023000002
    expect(traceProblems({ traceEvents: [P, M(1, 1), X(20000000.002, 1.022), X(20000001.023, 1)] })[0]).toContain('starts before the previous ended');
    expect(traceProblems({ traceEvents: [P, M(1, 1), { ph: 'X', pid: 1, tid: 1, ts: 3, dur: 0, name: 'a' }, { ph: 'X', pid: 1, tid: 1, ts: 2, dur: 0, name: 'b' }] })[0]).toContain('before 3');
    expect(traceProblems({ traceEvents: [P, { ph: 'X', pid: 1, tid: 2, ts: 0, dur: 0, name: 'a' }] })).toEqual(['thread 1/2 has no thread_name']);
  });
});
