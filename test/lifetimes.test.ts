// skb lifetimes and verdicts (queries/views/20_skb_tracks.sql) against the real engine, on captures imported by the
// project's importer: the hand-built cases of ../shared/lifetimes (expected.json), every real pwru output of
// ../shared/real (no teardown-only fragment), and one small pwru v1.0.10 text per rule.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAnalysis, type Row } from '../src/analyze/loader.js';
import { importCapture } from '../src/ingest/importer.js';
import { HEADER, line, type Ev } from './helpers/pwru-text.js';
import { SHARED, realFiles } from './helpers/real.js';

const root = mkdtempSync(join(tmpdir(), 'skbt-lifetimes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TRACK_COLS = 'track_no, skb_hex, hops, funcs, verdict, start_reason, end_reason, parent_track, drop_reason, drop_label, drop_site';

async function tracksOf(src: string, name = basename(src)): Promise<Row[]> {
  const dir = join(root, name);
  await importCapture(src, dir, { format: 'auto', force: true, showProgress: false });
  const a = await openAnalysis([dir]);
  try {
    return await a.run(`SELECT ${TRACK_COLS}, track_id FROM skb_tracks ORDER BY first_seq`);
  } finally {
    a.close();
  }
}

// --- ../shared/lifetimes -----------------------------------------------------------------------------------------
const LIFETIMES = join(SHARED, 'lifetimes');
interface Expected { lifetimes: number; verdicts?: string[]; drop_reason?: string; why: string }
const expected: Record<string, Expected> = existsSync(join(LIFETIMES, 'expected.json'))
  ? JSON.parse(readFileSync(join(LIFETIMES, 'expected.json'), 'utf8'))
  : (console.warn(`skipping the lifetime cases: ${LIFETIMES}/expected.json is absent`), {});

describe('the hand-built lifetime cases of ../shared/lifetimes', () => {
  it.skipIf(Object.keys(expected).length === 0)('there are eleven, one per kernel behaviour', () => {
    expect(Object.keys(expected)).toHaveLength(11);
  });
  for (const [file, e] of Object.entries(expected)) {
    it(`${file}: ${e.why}`, async () => {
      const rows = await tracksOf(join(LIFETIMES, file));
      expect(rows, 'lifetimes').toHaveLength(e.lifetimes);
      if (e.verdicts) expect(rows.map((r) => r['verdict'])).toEqual(e.verdicts);
      if (e.drop_reason) {
        for (const r of rows.filter((x) => x['verdict'] === 'dropped')) expect(r['drop_reason']).toBe(e.drop_reason);
      }
    });
  }
});

// --- ../shared/real ----------------------------------------------------------------------------------------------
const TEARDOWN_FIRST = `SELECT t.track_id, t.funcs[1] AS first_func, t.start_reason FROM skb_tracks t
  JOIN skb_funcs f ON f.func = t.funcs[1]
  WHERE f.class IN ('teardown', 'destructor', 'struct-release') AND t.start_reason <> 'capture-start'`;

describe('real pwru outputs (../shared/real)', () => {
  const files = realFiles('pwru-');
  it.skipIf(files.length === 0).each(files.map((f) => [basename(f), f]))('%s: no teardown-only fragment', async (name, f) => {
    const dir = join(root, `real-${name}`);
    await importCapture(f, dir, { format: 'auto', force: true, showProgress: false });
    const a = await openAnalysis([dir]);
    try {
      // A lifetime may open at a destructor / skb_release_* / kfree_skbmem only where the capture starts mid-free.
      expect(await a.run(TEARDOWN_FIRST)).toEqual([]);
    } finally {
      a.close();
    }
  });

  it.skipIf(!files.some((f) => f.includes('18cb7a2')))('v0.0.1 mntns-metadata: __kfree_skb, its destructor sock_rfree and kfree_skbmem are one lifetime', async () => {
    const rows = await tracksOf(files.find((f) => f.includes('18cb7a2'))!);
    expect(rows).toHaveLength(1);
    expect((rows[0]!['funcs'] as string[]).slice(-5)).toEqual(['__kfree_skb', 'skb_release_head_state', 'sock_rfree', 'skb_release_data', 'kfree_skbmem']);
    expect(rows[0]).toMatchObject({ verdict: 'consumed', start_reason: 'capture-start', end_reason: 'struct-freed' });
  });

  it.skipIf(!files.some((f) => f.includes('927bf25')))('v1.0.10 tunnel-vlan: ends at skb_do_redirect > __bpf_redirect: redirected', async () => {
    const rows = await tracksOf(files.find((f) => f.includes('927bf25'))!);
    expect(rows.map((r) => [(r['funcs'] as string[]).at(-1), r['verdict']])).toEqual([['__bpf_redirect', 'redirected']]);
  });
});

// --- one rule each, in pwru v1.0.10 text ------------------------------------------------------------------------
const A = '0xffff91ba905e1ce8';
const B = '0xffff91ba905e2ae8';
const XDP = '0xffffa64a81e67a38';
const T0 = 1_843_207_115_304_258n;
let cases = 0;

/** Events of [skb, func, extra] at 1 µs steps (extra.gap adds ns before the event; extra.ts sets the value itself). */
type Step = [string, string, (Partial<Ev> & { gap?: bigint })?];
async function tracks(steps: Step[]): Promise<Row[]> {
  let t = T0;
  const evs = steps.map(([skb, func, x]) => {
    t += 1000n + (x?.gap ?? 0n);
    return line({ skb, func, ts: x?.ts ?? t, ...x });
  });
  const src = join(root, `src-${++cases}.txt`);
  writeFileSync(src, [HEADER, ...evs].join('\n') + '\n');
  return tracksOf(src, `case-${cases}`);
}
const shape = (rows: Row[]) => rows.map((r) => [r['skb_hex'], Number(r['hops']), r['verdict'], r['start_reason'], r['end_reason']]);

describe('lifetime rules', () => {
  it('a free sequence absorbs teardown and the destructor; the lifetime ends right after kfree_skbmem', async () => {
    const rows = await tracks([
      [A, 'ip_local_out'], [A, 'nf_hook_slow'], [A, 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)'],
      [A, 'skb_release_head_state'], [A, 'tcp_wfree'], [A, 'skb_release_data'], [A, 'kfree_skbmem'],
      [A, 'ip_rcv'],
    ]);
    expect(shape(rows)).toEqual([
      [A, 7, 'dropped', 'capture-start', 'struct-freed'],
      [A, 1, 'unknown', 'struct-freed', 'capture-end'],
    ]);
    expect(rows[0]).toMatchObject({ drop_reason: 'NETFILTER_DROP', drop_label: 'SKB_DROP_REASON_NETFILTER_DROP', drop_site: 'kfree_skb_reason (after nf_hook_slow)' });
  });

  it('napi_skb_cache_put is a hard end as kfree_skbmem is', async () => {
    const rows = await tracks([
      [A, 'tcp_v4_rcv'], [A, 'napi_consume_skb'], [A, 'skb_release_data'], [A, 'napi_skb_cache_put'],
      [A, 'napi_gro_receive'], [A, 'ip_rcv'],
    ]);
    expect(shape(rows)).toEqual([
      [A, 4, 'delivered', 'capture-start', 'napi-cache'],
      [A, 2, 'unknown', 'napi-cache', 'capture-end'],
    ]);
  });

  it('a second entry point inside a free sequence is a new lifetime unless the first one calls it', async () => {
    // consume_skb -> __kfree_skb is one free; kfree_skb_reason twice with nothing traced between is two packets.
    const nested = await tracks([
      [A, 'tcp_rcv_established'], [A, 'consume_skb'], [A, '__kfree_skb'], [A, 'skb_release_data'], [A, 'kfree_skbmem'],
    ]);
    expect(shape(nested)).toEqual([[A, 5, 'delivered', 'capture-start', 'struct-freed']]);
    const two = await tracks([[A, 'kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)'], [A, 'kfree_skb_reason(SKB_DROP_REASON_NO_SOCKET)']]);
    expect(shape(two)).toEqual([[A, 1, 'dropped', 'capture-start', 'free-entry'], [A, 1, 'dropped', 'free-entry', 'free-entry']]);
  });

  it('an entry point followed by ordinary work drops a reference when teardown is traced, else it was the free', async () => {
    const refDrop = await tracks([
      [A, 'skb_queue_tail'], [A, 'unix_stream_read_actor'], [A, 'consume_skb'], [A, 'skb_unlink'], [A, 'consume_skb'],
      [A, 'skb_release_head_state'], [A, 'unix_destruct_scm'], [A, 'skb_release_data'], [A, 'kfree_skbmem'],
    ]);
    expect(shape(refDrop)).toEqual([[A, 9, 'delivered', 'capture-start', 'struct-freed']]);
    // No teardown anywhere in the capture (e.g. --filter-func): consume_skb then new work is the next packet.
    const noTeardown = await tracks([[A, 'ip_rcv'], [A, 'consume_skb'], [A, 'ip_rcv']]);
    expect(shape(noTeardown)).toEqual([[A, 2, 'consumed', 'capture-start', 'free-entry'], [A, 1, 'unknown', 'free-entry', 'capture-end']]);
  });

  it('ordinary work after a free sequence without a traced struct release is a new lifetime', async () => {
    const rows = await tracks([
      [A, 'ip_rcv'], [A, 'kfree_skb_list_reason'], [A, 'skb_release_all'], [A, 'skb_release_data'], [A, 'skb_free_head'],
      [A, 'ip_rcv'], [A, 'skb_release_data'], [A, 'kfree_skbmem'],
    ]);
    expect(shape(rows)).toEqual([[A, 5, 'dropped', 'capture-start', 'free-entry'], [A, 3, 'consumed', 'free-entry', 'struct-freed']]);
  });

  it('release helpers right after a head reallocation are no free; skb_morph keeps its __skb_clone', async () => {
    const rows = await tracks([
      [A, 'vxlan_xmit'], [A, 'pskb_expand_head'], [A, 'skb_release_data'], [A, 'skb_free_head'], [A, 'iptunnel_xmit'],
      [A, 'ip_defrag'], [A, 'skb_morph'], [A, 'skb_release_all'], [A, 'skb_release_head_state'], [A, 'skb_release_data'],
      [A, '__skb_clone'], [A, 'dev_hard_start_xmit'],
    ]);
    expect(shape(rows)).toEqual([[A, 12, 'transmitted', 'capture-start', 'capture-end']]);
  });

  it('a destructor outside a free sequence is skb_orphan, mid-life', async () => {
    const rows = await tracks([[A, '__dev_forward_skb'], [A, 'skb_scrub_packet'], [A, 'sock_wfree'], [A, 'netif_rx'], [A, 'ip_rcv']]);
    expect(shape(rows)).toEqual([[A, 5, 'unknown', 'capture-start', 'capture-end']]);
  });

  it('__skb_clone starts a lifetime; its parent is the event just before it on the same CPU', async () => {
    const rows = await tracks([
      [A, '__tcp_transmit_skb', { cpu: 2 }], [B, 'ip_rcv', { cpu: 1 }], [A, 'skb_clone', { cpu: 2 }], [B, '__skb_clone', { cpu: 2 }],
      [B, 'ip_queue_xmit', { cpu: 2 }], [B, 'dev_hard_start_xmit', { cpu: 2 }],
    ]);
    const b = rows.filter((r) => r['skb_hex'] === B);
    expect(shape(b)).toEqual([[B, 1, 'unknown', 'capture-start', 'clone'], [B, 3, 'transmitted', 'clone', 'capture-end']]);
    expect(b[1]!['parent_track']).toBe(rows.find((r) => r['skb_hex'] === A)!['track_id']);
    expect(b[0]!['parent_track']).toBeNull();
  });

  it('a gap > 1 s cuts with absolute timestamps, never inside a free sequence', async () => {
    const rows = await tracks([
      [A, 'tcp_data_queue'], [A, 'skb_attempt_defer_free'], [A, 'napi_consume_skb', { gap: 1_500_000_000n }],
      [A, 'skb_release_data'], [A, 'napi_skb_cache_put'],
      [B, 'ip_rcv'], [B, 'ip_rcv', { gap: 2_000_000_000n }],
    ]);
    expect(shape(rows)).toEqual([
      [A, 5, 'delivered', 'capture-start', 'napi-cache'],
      [B, 1, 'unknown', 'capture-start', 'gap'], [B, 1, 'unknown', 'gap', 'capture-end'],
    ]);
  });

  it('relative timestamps: input order, no gap rule, and the value is the hop delta', async () => {
    // pwru --timestamp relative: ns since the previous event of the same address, 0 on its first.
    const rows = await tracks([
      [A, 'ip_rcv', { ts: 0n }], [A, 'ip_rcv_core', { ts: 5_000_000_000n }], [A, 'ip_local_deliver', { ts: 700n }],
    ]);
    expect(rows.map((r) => r['funcs'])).toEqual([['ip_rcv', 'ip_rcv_core', 'ip_local_deliver']]);
    const dir = join(root, `case-${cases}`);
    const a = await openAnalysis([dir]);
    try {
      expect((await a.run('SELECT ts_mode FROM capture_clock'))[0]!['ts_mode']).toBe('relative');
      const hops = await a.run('SELECT hop, delta_ns FROM track_hops ORDER BY hop');
      expect(hops.map((h) => h['delta_ns'])).toEqual([null, 5_000_000_000n, 700n]);
      expect((await a.run('SELECT duration_ns, first_ktime FROM skb_tracks'))[0]).toEqual({ duration_ns: 5_000_000_700n, first_ktime: null });
    } finally {
      a.close();
    }
  });

  it("XDP events (pwru's &xdp stack address) are never grouped by address", async () => {
    const f = 'bpf_prog_3b185187f1855c4c_dummy[bpf](xdp)';
    const rows = await tracks([[XDP, f], [XDP, f, { gap: 5_000_000n }], [XDP, f]]);
    expect(shape(rows)).toEqual([[XDP, 1, 'unknown', 'xdp', 'xdp'], [XDP, 1, 'unknown', 'xdp', 'xdp'], [XDP, 1, 'unknown', 'xdp', 'xdp']]);
  });
});

describe('verdicts', () => {
  const verdict = async (funcs: string[]) => (await tracks(funcs.map((f) => [A, f] as Step))).map((r) => [r['verdict'], r['drop_reason']]);

  it('transmitted only when a device driver got it and no veth / loopback hand-off followed', async () => {
    expect(await verdict(['__dev_queue_xmit', 'sch_direct_xmit'])).toEqual([['unknown', null]]);
    expect(await verdict(['__dev_queue_xmit', 'dev_hard_start_xmit'])).toEqual([['transmitted', null]]);
    expect(await verdict(['dev_hard_start_xmit', 'veth_xmit', '__dev_forward_skb'])).toEqual([['unknown', null]]);
    expect(await verdict(['dev_hard_start_xmit', 'veth_xmit', 'netif_rx', 'ip_rcv', 'tcp_v4_rcv'])).toEqual([['delivered', null]]);
  });

  it('NOT_SPECIFIED and a bare kfree_skb are drops, except the driver freeing after transmit', async () => {
    expect(await verdict(['ip_handle_martian_source', 'kfree_skb_reason(SKB_DROP_REASON_NOT_SPECIFIED)', 'skb_release_data', 'kfree_skbmem']))
      .toEqual([['dropped', 'NOT_SPECIFIED']]);
    expect(await verdict(['nf_hook_slow', 'kfree_skb', 'skb_release_data', 'kfree_skbmem'])).toEqual([['dropped', 'NOT_SPECIFIED']]);
    expect(await verdict(['dev_hard_start_xmit', 'kfree_skb_reason(SKB_DROP_REASON_NOT_SPECIFIED)', 'skb_release_data', 'kfree_skbmem']))
      .toEqual([['transmitted', null]]);
    expect(await verdict(['dev_hard_start_xmit', 'kfree_skb_reason(SKB_DROP_REASON_TC_EGRESS)', 'kfree_skbmem'])).toEqual([['dropped', 'TC_EGRESS']]);
  });

  it('consumed: QUEUE_PURGE on close, SKB_CONSUMED, consume_skb', async () => {
    expect(await verdict(['skb_queue_purge_reason', 'kfree_skb_reason(SKB_DROP_REASON_QUEUE_PURGE)', 'skb_release_data', 'kfree_skbmem']))
      .toEqual([['consumed', null]]);
    expect(await verdict(['arp_rcv', 'kfree_skb_reason(SKB_CONSUMED)', 'kfree_skbmem'])).toEqual([['consumed', null]]);
    expect(await verdict(['arp_rcv', 'consume_skb', 'skb_release_data', 'kfree_skbmem'])).toEqual([['consumed', null]]);
  });

  it('redirected: a BPF redirect with nothing after it', async () => {
    expect(await verdict(['tcf_classify', 'skb_do_redirect', '__bpf_redirect'])).toEqual([['redirected', null]]);
    expect(await verdict(['tcf_classify', 'skb_do_redirect', '__dev_queue_xmit', 'dev_hard_start_xmit'])).toEqual([['transmitted', null]]);
  });

  it('the drop site is the freeing function after the last non-free hop, for a repeated function too', async () => {
    const rows = await tracks([
      [A, 'nf_hook_slow'], [A, 'ip_rcv_finish'], [A, 'nf_hook_slow'], [A, 'kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)'],
      [A, 'skb_release_head_state'], [A, 'kfree_skbmem'],
    ]);
    expect(rows[0]).toMatchObject({ drop_site: 'kfree_skb_reason (after nf_hook_slow)' });
    const dir = join(root, `case-${cases}`);
    const a = await openAnalysis([dir]);
    try {
      // Only the hop that freed is the drop hop (paths marks it).
      const marked = await a.run(`SELECT hop FROM track_hops h JOIN skb_tracks t USING (track_id) WHERE h.hop = t.drop_hop`);
      expect(marked).toEqual([{ hop: 4n }]);
    } finally {
      a.close();
    }
  });
});
