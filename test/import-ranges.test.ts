// Values a column cannot hold, and control bytes inside a field, through the installed binary: each such line is a
// reject with a reason (never a crash, never a value stored wrapped into another one), and rejects reach the disk
// while the input is still coming.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';
import { HEADER, line } from './helpers/pwru-text.js';

const tmp = mkdtempSync(join(tmpdir(), 'skbt-ranges-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });
const ok = (func: string, over: Partial<Parameters<typeof line>[0]> = {}) =>
  line({ skb: '0xffff8881050a9e00', ts: 1843207115304258n, func, ...over });

function rejectsOf(dir: string): { line: number; reason: string }[] {
  return readFileSync(join(dir, 'rejects.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('out-of-range values', () => {
  it('text: port, PROTO, pid, ktime and a form feed in SKB are rejects naming the field; queries still run', async () => {
    const lines = [
      HEADER,
      ok('ip_rcv'),
      ok('ip_rcv_core', { tuple: '10.244.2.173:70000->10.244.2.61:80(tcp)' }),
      ok('ip_rcv_core', { proto: '0x10800' }),
      ok('ip_rcv_core', { proc: '~bin/curl:2147483648' }),
      ok('ip_rcv_core', { ts: 18446744073709551616n }),
      ok('ip_rcv_core', { ts: 9223372036854775808n }),
      ok('ip_rcv_core', { skb: '0xffff8881050a9e00\f1' }),
      ok('ip_local_deliver'),
    ];
    const f = join(tmp, 'ranges.txt');
    writeFileSync(f, lines.join('\n') + '\n');
    const dir = join(tmp, 'ranges');
    const imp = await cli(['import', f, '-o', dir, '--json']);
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).counts).toMatchObject({ events: 2, rejects: 6, inputLines: 9 });
    const rj = rejectsOf(dir);
    expect(rj.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(rj[0]!.reason).toMatch(/source port 70000 is out of range/);
    expect(rj[1]!.reason).toMatch(/PROTO 67584 is out of range/);
    expect(rj[2]!.reason).toMatch(/pid in PROCESS 2147483648 is out of range/);
    expect(rj[3]!.reason).toMatch(/TIMESTAMP 18446744073709551616 is 2\^63 ns or more/);
    expect(rj[4]!.reason).toMatch(/TIMESTAMP 9223372036854775808 is 2\^63 ns or more/);
    expect(rj[5]!.reason).toMatch(/SKB is not a kernel address/);
    // The manifest's time range holds only stored ktimes, so the analysis loads and the tracks view runs.
    const q = await cli(['query', dir, 'SELECT count(*) AS n, max(ktime)::VARCHAR AS k FROM events', '--format', 'json']);
    expect(q.exitCode, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 2, k: '1843207115304258' }]);
    const t = await cli(['query', dir, 'SELECT count(*) AS n FROM skb_tracks', '--format', 'json']);
    expect(t.exitCode, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)[0].n).toBe(1);
  });

  it('JSON: an skb over 64 bits, a negative cpu, a port over 65535 and a fractional mark are rejects', async () => {
    const base = { skb: '0xffff8881050a9e00', cpu: 1, process: 'curl:1', func: 'ip_rcv', time: 1843207115304258, iface: 'eth0:2', mtu: 1500, len: 60 };
    const objs = [
      base,
      { ...base, skb: '0x1ffff8881050a9e00' },
      { ...base, cpu: -1 },
      { ...base, tuple: { saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 65536, dport: 80, proto: 6 } },
      { ...base, mark: 1.5 },
    ];
    const f = join(tmp, 'ranges.json');
    // pwru's JSON `time` of 2^63 ns: written as digits (JSON.stringify would round it through a double).
    const bigTime = JSON.stringify(base).replace('"time":1843207115304258', '"time":9223372036854775808');
    writeFileSync(f, [...objs.map((o) => JSON.stringify(o)), bigTime].join('\n') + '\n');
    const dir = join(tmp, 'ranges-json');
    const imp = await cli(['import', f, '-o', dir, '--json']);
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).counts).toMatchObject({ events: 1, rejects: 5 });
    expect(rejectsOf(dir).map((r) => r.reason)).toEqual([
      'SKB 0x1ffff8881050a9e00 is wider than 64 bits',
      'CPU -1 is out of range (0 to 4294967295)',
      'source port 65536 is out of range (0 to 65535)',
      'MARK 1.5 is out of range (0 to 4294967295)',
      'TIMESTAMP 9223372036854775808 is 2^63 ns or more (over 292 years of uptime), not a kernel clock value',
    ]);
    // The one stored event's ktime is all the analysis sees: the tracks view (which casts ktimes) runs.
    const t = await cli(['query', dir, 'SELECT count(*) AS n, max(last_ktime)::VARCHAR AS k FROM skb_tracks', '--format', 'json']);
    expect(t.exitCode, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toEqual([{ n: 1, k: '1843207115304258' }]);
  });
});

describe('rejects stream to disk', () => {
  it('a stream of junk: rejects.ndjson grows while stdin is still open', async () => {
    const dir = join(tmp, 'junk');
    const child = execa(SKBTAPE, ['import', '-', '-o', dir], { reject: false, cwd: ROOT, stdin: 'pipe' });
    const junk = Array.from({ length: 20_000 }, (_, i) => `junk line ${i} that is not pwru output at all`).join('\n') + '\n';
    child.stdin!.write(junk);
    // Wait on the state: the rejects file reaches a size only the junk written so far can give, stdin still open.
    const size = () => { try { return statSync(join(dir, 'rejects.ndjson')).size; } catch { return 0; } };
    while (size() < 1 << 20) await new Promise((r) => setTimeout(r, 50));
    const before = rejectsOf(dir).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(20_000);
    child.stdin!.end();
    const r = await child;
    // Nothing in it is pwru output: exit 2, and every line is a kept reject.
    expect(r.exitCode).toBe(2);
    expect(rejectsOf(dir).length).toBe(20_000);
  });

  it('a stream of pwru log lines: logs.ndjson grows while stdin is still open', async () => {
    const dir = join(tmp, 'logs');
    const child = execa(SKBTAPE, ['import', '-', '-o', dir], { reject: false, cwd: ROOT, stdin: 'pipe' });
    // pwru's Go-log line (PWRU_FORMATS.md §1.1), as a saved `pwru 2>&1` holds it, 20 000 times.
    child.stdin!.write(Array.from({ length: 20_000 }, () => '2024/03/18 11:19:36 Listening for events..').join('\n') + '\n');
    const logs = () => readFileSync(join(dir, 'logs.ndjson'), 'utf8').split('\n').filter(Boolean).length;
    const size = () => { try { return statSync(join(dir, 'logs.ndjson')).size; } catch { return 0; } };
    while (size() === 0) await new Promise((r) => setTimeout(r, 50));
    const before = logs();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(20_000); // on disk before the input ended
    child.stdin!.end();
    const r = await child;
    // Only log lines: the capture is kept and says it holds no event (a warning, exit 0).
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('no events in -: only 20000 header/log line(s)');
    expect(logs()).toBe(20_000);
  });
});
