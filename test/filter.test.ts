// skbtape filter: the new capture holds exactly the lifetimes the filter keeps, in the same format: replay, paths and
// query on it equal the filtered subset of the original (counted again by string ops on the sample itself), with
// snapshots kept and derivedFrom in the manifest; --track, --since/--until; bad input is one line, exit 2.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '../src/capture/arrow.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/capture/arrow-codec.js';
import { batchFiles } from '../src/capture/dir.js';
import { applyFlow, flowFilter } from '../src/analyze/flow-filter.js';
import { openAnalysis } from '../src/analyze/loader.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { ROOT } from './helpers/real.js';

let tmp: string;
let cap: string;
const FLOW = 'tcp and dst port 80';
const run = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const sample = readFileSync(join(SAMPLES, 'demo-delivered.pwru.txt'), 'utf8').split('\n');
/** Path groups: signature and what they show, without the capture's label and the lifetime's number (renumbered in a cut capture). */
const groups = (json: string) => (JSON.parse(json).groups as { example: Record<string, unknown> }[]).map((g) => ({ ...g, capture: undefined, example: { ...g.example, trackId: undefined } }));

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'skbtape-filter-'));
  cap = await buildDemoCapture('delivered', join(tmp, 'cap'));
});
afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

describe('skbtape filter', { timeout: 180_000 }, () => {
  it('keeps the lifetimes --flow matches: replay, paths and query equal the filtered original', async () => {
    const out = join(tmp, 'to-server');
    const r = await run(['filter', cap, '-o', out, '--flow', FLOW, '--format', 'json', '--color', 'never']);
    expect(r.exitCode, r.stderr).toBe(0);
    // Every client -> server line of the sample, counted by string ops: in this scenario each lifetime keeps its tuple.
    const toServer = sample.filter((l) => l.includes('->10.244.2.61:80(tcp')).length;
    const all = sample.filter((l) => /^0x[0-9a-f]{16} /.test(l)).length;
    expect(toServer).toBeGreaterThan(0);
    expect(toServer).toBeLessThan(all);
    const j = JSON.parse(r.stdout);
    expect(j.derivedFrom).toMatchObject({ captureId: manifest(cap).capture.id, flow: FLOW, eventsBefore: all, eventsAfter: toServer, tracksBefore: 9, tracksAfter: 6 });
    expect(j.counts.events).toBe(toServer);
    const m = manifest(out);
    expect(m.capture.node).toBe(manifest(cap).capture.node);
    expect(m.capture.id).not.toBe(manifest(cap).capture.id);
    expect(m.status).toBe('complete');

    const orig = await run(['replay', cap, '--flow', FLOW]);
    const cut = await run(['replay', out]);
    expect(cut.exitCode, cut.stderr).toBe(0);
    expect(cut.stdout).toBe(orig.stdout);
    const lines = cut.stdout.split('\n').filter((l) => /^0x/.test(l));
    expect(lines).toHaveLength(toServer);
    for (const l of lines) expect(l).toContain('->10.244.2.61:80(tcp');

    const p0 = await run(['paths', cap, '--flow', FLOW, '--json']);
    const p1 = await run(['paths', out, '--json']);
    expect(groups(p1.stdout)).toEqual(groups(p0.stdout));
    expect(JSON.parse(p1.stdout).totalSkbs).toBe(6);

    // The same schema on disk, and the same rows (every column but the capture's label and positions).
    const schema = (dir: string) => A.RecordBatchReader.from(readFileSync(batchFiles(dir)[0]!)).open().schema.fields.map((f) => `${f.name}:${f.type}`);
    expect(schema(out)).toEqual(schema(cap));
    const a = await openAnalysis([cap], { cache: false });
    const b = await openAnalysis([out], { cache: false });
    try {
      await applyFlow(a, flowFilter(FLOW));
      const cols = 'SELECT e.* EXCLUDE (capture, node, seq) FROM events e';
      const want = await a.run(`${cols} JOIN event_tracks t ON t.capture = e.capture AND t.seq = e.seq
        JOIN flow_match f ON f.capture = t.capture AND f.skb = t.skb AND f.track_no = t.track_no ORDER BY e.line_no`);
      const got = await b.run(`${cols} ORDER BY e.line_no`);
      expect(got).toEqual(want);
      const endpoints = 'SELECT * EXCLUDE (capture) FROM endpoints ORDER BY ALL';
      expect(await b.run(endpoints)).toEqual(await a.run(endpoints));
      expect((await b.run(endpoints)).length).toBeGreaterThan(0);
      expect(await b.run('SELECT derived_from FROM captures')).toEqual([{ derived_from: manifest(cap).capture.id }]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('--track keeps one lifetime; --since/--until a window counted from the first event', async () => {
    const q = await run(['query', cap, 'SELECT track_id, hops, first_ktime FROM skb_tracks ORDER BY first_seq', '--format', 'json']);
    const tracks = JSON.parse(q.stdout) as { track_id: string; hops: number; first_ktime: number }[];
    const pick = tracks[3]!;
    const one = join(tmp, 'one');
    // The id without the capture label, as another capture's label would not match.
    const r = await run(['filter', cap, '-o', one, '--track', pick.track_id.replace(/^[^:]*:/, ''), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).counts.events).toBe(pick.hops);

    const t0 = tracks[0]!.first_ktime;
    const since = tracks[2]!.first_ktime - t0;
    const until = tracks[6]!.first_ktime - t0;
    const win = join(tmp, 'window');
    const w = await run(['filter', cap, '-o', win, '--since', `${since}ns`, '--until', `${until}ns`, '--json']);
    expect(w.exitCode, w.stderr).toBe(0);
    const inWindow = tracks.filter((t) => t.first_ktime - t0 >= since && t.first_ktime - t0 < until);
    expect(JSON.parse(w.stdout).derivedFrom).toMatchObject({ since: `${since}ns`, until: `${until}ns`, tracksAfter: inWindow.length });
    expect(JSON.parse(w.stdout).counts.events).toBe(inWindow.reduce((s, t) => s + t.hops, 0));
  });

  it('a filter that matches nothing warns and writes an empty capture; bad input is one line, exit 2', async () => {
    const none = await run(['filter', cap, '-o', join(tmp, 'none'), '--flow', 'port 443']);
    expect(none.exitCode).toBe(0);
    expect(none.stderr).toMatch(/^skbtape: warning: --flow 'port 443' matched nothing in .*cap; the new capture has no events$/);
    expect(none.stdout).toMatch(/^events +\d+ +0$/m);
    const bad = await run(['filter', cap, '-o', join(tmp, 'bad'), '--flow', 'dprt 80']);
    expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringMatching(/^skbtape: --flow: unknown word 'dprt' at position 1/)]);
    const nothing = await run(['filter', cap, '-o', join(tmp, 'bad')]);
    expect([nothing.exitCode, nothing.stderr]).toEqual([2, 'skbtape: say what to keep: --flow, --since, --until or --track (filter)']);
    const track = await run(['filter', cap, '-o', join(tmp, 'bad'), '--track', 'x']);
    expect([track.exitCode, track.stderr]).toEqual([2, expect.stringMatching(/^skbtape: --track wants a track id .* \(--track\)$/)]);
    const since = await run(['filter', cap, '-o', join(tmp, 'bad'), '--since', 'yesterday']);
    expect([since.exitCode, since.stderr]).toEqual([2, expect.stringMatching(/^skbtape: --since wants an ISO time .* \(--since\)$/)]);
    const self = await run(['filter', cap, '-o', cap, '--flow', FLOW]);
    expect([self.exitCode, self.stderr]).toEqual([2, 'skbtape: the output must be a new directory, not the capture itself (-o)']);
    // Someone else's directory is never replaced.
    const theirs = join(tmp, 'theirs');
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'notes.txt'), 'mine');
    const refused = await run(['filter', cap, '-o', theirs, '--flow', FLOW, '--force']);
    expect(refused.exitCode).toBe(2);
    expect(readFileSync(join(theirs, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
