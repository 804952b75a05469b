// The tracepoint source: the program builder (pure), the drop-reason table of the real kernel, and bpftrace on the
// real kernel tracing curl between two namespaces, checked line by line against pwru's --output-json layout.

import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import {
  TRACEPOINT_READY_LINE,
  availableSkbTracepoints,
  buildTracepointProgram,
  isBpftraceNoise,
  lostEvents,
  parseDropReasons,
  readDropReasons,
} from '../src/record/tracepoint-program.js';
import { canRunBpftrace, createTestNet, type TestNet } from './helpers/netns.js';
import { skipUnless } from './helpers/prereq.js';

const KFREE_FORMAT = '/sys/kernel/tracing/events/skb/kfree_skb/format';

// pwru's jsonPrinter / jsonTuple field order (output.go).
const PWRU_KEYS = [
  'skb', 'skb_shared_info', 'cpu', 'process', 'func', 'caller_func', 'time', 'netns', 'netns_name', 'mark', 'iface',
  'proto', 'mtu', 'len', 'cb', 'tuple', 'tunnel_tuple', 'stack', 'skb_metadata',
];
const TUPLE_KEYS = ['saddr', 'daddr', 'sport', 'dport', 'proto', 'flags'];

describe('buildTracepointProgram', () => {
  const reasons = new Map([
    [2, 'SKB_DROP_REASON_NOT_SPECIFIED'],
    [3, 'SKB_DROP_REASON_NO_SOCKET'],
    [12, 'SKB_DROP_REASON_NETFILTER_DROP'],
  ]);

  it('writes three programs per tracepoint (one per line shape), the ready line and the map cleanup', () => {
    const text = buildTracepointProgram({ tracepoints: ['net:netif_receive_skb', 'skb:kfree_skb'], dropReasons: reasons });
    expect(text.match(/^tracepoint:net:netif_receive_skb$/gm)).toHaveLength(3);
    expect(text.match(/^tracepoint:skb:kfree_skb$/gm)).toHaveLength(3);
    expect(text).toContain(`printf("${TRACEPOINT_READY_LINE}\\n");`);
    expect(text).toContain('@skbt_reason[12] = "NETFILTER_DROP";');
    expect(text).toContain('$known = (uint64)(($r >= 2 && $r <= 3) || $r == 12);');
    expect(text).toMatch(/END\n\{\n {2}clear\(@skbt_key\);/);
    expect(text).toContain('\\"func\\":\\"netif_receive_skb\\"');
    expect(text).toContain('\\"func\\":\\"kfree_skb_reason%s%s%.0llu)\\"');
    expect(text).not.toContain('$ns == ');
  });

  it('filters in the kernel by netns inode and ifindex', () => {
    const text = buildTracepointProgram({ tracepoints: ['net:net_dev_queue'], netnsInode: 4026532000, ifindex: 7 });
    expect(text.match(/\$ns == 4026532000 && \$ifindex == 7/g)).toHaveLength(3);
    // The filtered netns is printed as a literal.
    expect(text).toContain('\\"netns\\":4026532000');
  });

  it('prints unknown-reason drops as `kfree_skb_reason (N)` when there is no reason table', () => {
    const text = buildTracepointProgram({ tracepoints: ['skb:kfree_skb'] });
    expect(text).toContain('kfree_skb_reason (%llu)');
    expect(text).not.toContain('@skbt_reason');
  });

  it('rejects bad input with UserErrors naming the option', () => {
    const where = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        return `${(err as UserError).where}: ${(err as UserError).message}`;
      }
      throw new Error('did not throw');
    };
    expect(where(() => buildTracepointProgram({ tracepoints: [] }))).toBe('--tracepoints: no tracepoints to attach');
    expect(where(() => buildTracepointProgram({ tracepoints: ['net:x; system("id")'] }))).toMatch(/^--tracepoints: .*category:name/);
    expect(where(() => buildTracepointProgram({ tracepoints: ['net:net_dev_queue'], netnsInode: -1 }))).toMatch(/^--netns: .*-1/);
    expect(where(() => buildTracepointProgram({ tracepoints: ['net:net_dev_queue'], ifindex: 1.5 }))).toMatch(/^--ifindex: .*1\.5/);
    expect(
      where(() => buildTracepointProgram({ tracepoints: ['skb:kfree_skb'], dropReasons: new Map([[2, 'X"); system("id']]) })),
    ).toMatch(/bad drop reason/);
  });
});

describe('drop reasons and bpftrace output helpers', () => {
  it('parses a __print_symbolic reason table', () => {
    const text = 'print fmt: "reason: %s", __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 0x10, "X_Y" }, { 12, "NETFILTER_DROP" })';
    expect([...parseDropReasons(text)]).toEqual([
      [2, 'SKB_DROP_REASON_NOT_SPECIFIED'],
      [16, 'SKB_DROP_REASON_X_Y'],
      [12, 'SKB_DROP_REASON_NETFILTER_DROP'],
    ]);
    expect(parseDropReasons('print fmt: "skbaddr=%p"').size).toBe(0);
  });

  it.skipIf(skipKernel)('reads the running kernel\'s kfree_skb format', () => {
    const reasons = readDropReasons(KFREE_FORMAT);
    expect(reasons.get(2)).toBe('SKB_DROP_REASON_NOT_SPECIFIED');
    expect(reasons.get(3)).toBe('SKB_DROP_REASON_NO_SOCKET');
    expect([...reasons.values()]).toContain('SKB_DROP_REASON_NETFILTER_DROP');
    expect(reasons.size).toBeGreaterThan(50);
  });

  it('names a missing format file', () => {
    expect(() => readDropReasons('/nonexistent/format')).toThrow(/\/nonexistent\/format: no such file/);
  });

  it('recognises what bpftrace itself prints on stdout', () => {
    for (const l of ['', TRACEPOINT_READY_LINE, 'Lost 12 events', 'Attaching 7 probes...']) expect(isBpftraceNoise(l)).toBe(true);
    expect(isBpftraceNoise('{"skb":"0x1"}')).toBe(false);
    expect(lostEvents('Lost 12 events')).toBe(12);
    expect(lostEvents('{"skb":"0x1"}')).toBeUndefined();
  });

  it.skipIf(skipKernel)('lists only tracepoints present on this kernel', () => {
    const tps = availableSkbTracepoints();
    expect(tps).toContain('net:netif_receive_skb');
    expect(tps).toContain('skb:kfree_skb');
    expect(availableSkbTracepoints('/nonexistent')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real kernel

const skipKernel = skipUnless(canRunBpftrace(), 'tracepoint-source kernel tests');

/** A small set keeps bpftrace's start-up (LLVM compiles three programs per tracepoint) short. */
const TEST_TRACEPOINTS = ['net:net_dev_queue', 'net:net_dev_start_xmit', 'net:netif_receive_skb', 'skb:kfree_skb', 'skb:consume_skb'];

interface Recording {
  lines: string[];
  lost: number;
  stop(): Promise<void>;
}

const tmp = mkdtempSync(join(tmpdir(), 'skbt-tp-'));
const children = new Set<ResultPromise>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Start bpftrace, resolve once it printed the ready line (all probes attached), collect stdout lines. */
async function record(program: string): Promise<Recording> {
  const file = join(tmp, `p${children.size}.bt`);
  writeFileSync(file, program);
  const child = execa('bpftrace', ['-q', file], { reject: false, buffer: false, stdin: 'ignore' });
  children.add(child);
  const lines: string[] = [];
  let lost = 0;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let partial = '';
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      if (l === TRACEPOINT_READY_LINE) ready();
      const n = lostEvents(l);
      if (n !== undefined) lost += n;
      if (!isBpftraceNoise(l)) lines.push(l);
    }
  });
  const exited = child.then((r) => {
    throw new Error(`bpftrace exited before ready (${r.exitCode}): ${stderr}`);
  });
  await Promise.race([readyP, exited, sleep(150_000).then(() => Promise.reject(new Error(`bpftrace not ready: ${stderr}`)))]);
  exited.catch(() => undefined);
  return {
    lines,
    get lost() {
      return lost;
    },
    stop: async () => {
      child.kill('SIGINT');
      await Promise.race([child, sleep(10_000)]);
      child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits on state; the timeout only bounds a hang. */
async function waitFor(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  for (const until = Date.now() + ms; !cond(); await sleep(20)) if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
}

function checkLayout(line: string): Record<string, unknown> {
  const ev = JSON.parse(line) as Record<string, unknown>;
  const keys = Object.keys(ev);
  expect(keys.every((k) => PWRU_KEYS.includes(k)), line).toBe(true);
  expect(keys.map((k) => PWRU_KEYS.indexOf(k)), line).toEqual([...keys.map((k) => PWRU_KEYS.indexOf(k))].sort((a, b) => a - b));
  expect(ev.skb, line).toMatch(/^0x[0-9a-f]+$/);
  expect(ev.process, line).toMatch(/^.+:\d+$/);
  expect(typeof ev.time, line).toBe('number');
  expect(ev.iface, line).toMatch(/^\d+$/);
  for (const k of ['cpu', 'netns', 'mark', 'proto', 'mtu', 'len']) {
    if (k in ev) expect(ev[k], `${k} in ${line}`).not.toBe(0);
  }
  if ('tuple' in ev) {
    const t = ev.tuple as Record<string, unknown>;
    const tk = Object.keys(t);
    expect(tk.map((k) => TUPLE_KEYS.indexOf(k)), line).toEqual([...tk.map((k) => TUPLE_KEYS.indexOf(k))].sort((a, b) => a - b));
    expect(tk.every((k) => TUPLE_KEYS.includes(k)), line).toBe(true);
    for (const k of ['sport', 'dport', 'proto']) if (k in t) expect(t[k], line).not.toBe(0);
    expect(t.saddr, line).toMatch(/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\])$/);
  }
  return ev;
}

describe.skipIf(skipKernel)('bpftrace on the real kernel', () => {
  let net: TestNet | undefined;
  afterAll(async () => {
    await net?.destroy();
  });

  it('records curl from the client namespace in pwru JSON, line by line in pwru\'s key order', async () => {
    net = await createTestNet();
    const tracepoints = TEST_TRACEPOINTS.filter((tp) => availableSkbTracepoints().includes(tp));
    const dropReasons = readDropReasons(KFREE_FORMAT);

    // Run 1: client netns, plain curl.
    const rec = await record(buildTracepointProgram({ tracepoints, netnsInode: net.clientNetnsInode, dropReasons }));
    const curl = net.curlArgv();
    const r = await execa(curl[0]!, curl.slice(1));
    expect(r.stdout).toContain('skbtape');
    const isSyn = (e: Record<string, unknown>) => {
      const t = e.tuple as Record<string, unknown> | undefined;
      return (
        (e.func === 'net_dev_queue' || e.func === 'net_dev_start_xmit') &&
        t?.saddr === net!.clientIp && t?.daddr === net!.serverIp && t?.dport === net!.port && t?.proto === 6 &&
        e.iface === String(net!.clientIfindex) && e.proto === 2048
      );
    };
    // bpftrace prints asynchronously: wait for the event, not for a while.
    await waitFor('the SYN from bpftrace', () => rec.lines.some((l) => isSyn(JSON.parse(l) as Record<string, unknown>)));
    await rec.stop();
    expect(rec.lines.length).toBeGreaterThan(5);
    const events = rec.lines.map(checkLayout);
    expect(events.every((e) => e.netns === net!.clientNetnsInode)).toBe(true);
    expect(events.find(isSyn), rec.lines.slice(0, 20).join('\n')).toBeDefined();
    // No tuple is decoded from headers that are not IP (ARP) or not set.
    for (const e of events) if (e.proto !== 2048 && e.proto !== 34525) expect(e.tuple).toBeUndefined();

    // The nft drop (kfree_skb_reason(SKB_DROP_REASON_NETFILTER_DROP)) is recorded through `record` in
    // tracepoint-e2e.test.ts: one bpftrace compile fewer on two cores.
  }, 400_000);
});
