// skb lifetimes in tracepoint captures: no traced free between packets, so a tuple change on one address starts a
// new lifetime there, and only there (pwru captures keep one lifetime across NAT's tuple rewrite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CaptureWriter } from '../src/capture/batch-writer.js';
import { openAnalysis } from '../src/analyze/loader.js';
import { newParserState, parseLine } from '../src/ingest/line-parser.js';
import { newManifest } from '../src/capture/manifest.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-tptracks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = [
  // client → server, then (same address, no free traced) server → client: two packets.
  '{"skb":"0xffff888109ff6ae0","process":"curl:1","func":"net_dev_queue","time":3751649554074,"netns":4026532177,"iface":"2","proto":2048,"mtu":1500,"len":74,"tuple":{"saddr":"198.18.1.209","daddr":"198.18.1.210","sport":48232,"dport":8448,"proto":6}}',
  '{"skb":"0xffff888109ff6ae0","process":"curl:1","func":"netif_receive_skb","time":3751649564074,"netns":4026532246,"iface":"2","proto":2048,"mtu":1500,"len":60,"tuple":{"saddr":"198.18.1.209","daddr":"198.18.1.210","sport":48232,"dport":8448,"proto":6}}',
  '{"skb":"0xffff888109ff6ae0","process":"node:2","func":"net_dev_queue","time":3751649574074,"netns":4026532246,"iface":"2","proto":2048,"mtu":1500,"len":74,"tuple":{"saddr":"198.18.1.210","daddr":"198.18.1.209","sport":8448,"dport":48232,"proto":6}}',
];

async function tracks(tool: 'pwru' | 'bpftrace'): Promise<number> {
  const dir = join(tmp, tool);
  const m = newManifest({ kind: 'live', format: 'json', tool });
  const w = new CaptureWriter(dir, m);
  const st = newParserState('json');
  lines.forEach((l, i) => w.add(parseLine(l, i + 1, st), i + 1, l));
  w.finish('complete');
  const an = await openAnalysis([dir]);
  try {
    const [r] = await an.run('SELECT count(*) AS n FROM skb_tracks');
    return Number(r!.n);
  } finally {
    an.close();
  }
}

it('a tuple change on a reused address splits tracepoint tracks, not pwru tracks', async () => {
  expect(await tracks('bpftrace')).toBe(2);
  expect(await tracks('pwru')).toBe(1);
});
