// The fake pwru (test/fixtures/bin/pwru) behaves like pwru v1.0.10: argv, logs, ready file, signals,
// failures, and byte-exact output for the committed samples. Other tests rely on it, so it is tested first.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain .mjs fixture without type declarations
import { createPrinter, processName, ifaceName, parseRecords } from './fixtures/pwru-format.mjs';
// @ts-expect-error plain .mjs script without type declarations
import { DEMO_SAMPLES, DEMO_ARGV_TEXT, DEMO_ARGV_JSON } from '../samples/build-demo-events.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'test/fixtures/bin');
const SAMPLES = join(ROOT, 'samples');
const HEADER_V1_0_10 =
  'SKB                CPU PROCESS          NETNS      MARK/x        IFACE       PROTO  MTU   LEN   TUPLE FUNC';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skbtape-fake-pwru-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('SKBTAPE_FAKE_PWRU_')) base[k] = v;
  }
  return { ...base, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

function pwru(args: string[], extra: Record<string, string> = {}) {
  return execa('pwru', args, { env: env(extra), extendEnv: false, reject: false });
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fake pwru', () => {
  it('prints its version like pwru', async () => {
    const r = await pwru(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('pwru v1.0.10');
    const v12 = await pwru(['--version'], { SKBTAPE_FAKE_PWRU_VERSION: 'v1.0.12' });
    expect(v12.stdout).toBe('pwru v1.0.12');
  });

  it('rejects an unknown flag the way pflag does (exit 2, usage on stderr)', async () => {
    const r = await pwru(['--xyz']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('unknown flag: --xyz');
    expect(r.stderr).toContain('Usage: pwru [options] [pcap-filter]');
    // v1.0.5 had no JSON output yet.
    const old = await pwru(['--output-json'], { SKBTAPE_FAKE_PWRU_VERSION: 'v1.0.5' });
    expect(old.exitCode).toBe(2);
    expect(old.stderr.split('\n')[0]).toBe('unknown flag: --output-json');
  });

  it('creates the ready file, prints the header and events, and shuts down cleanly on SIGTERM', async () => {
    const ready = join(dir, 'ready');
    const argvLog = join(dir, 'argv.ndjson');
    const events = join(SAMPLES, 'demo-delivered.events.json');
    const nEvents = parseRecords(readFileSync(events, 'utf8')).length;
    const child = execa('pwru', ['--ready-file', ready, '--filter-ifname=lxc3a6f7d4e8c73', 'tcp', 'port', '80'], {
      env: env({ SKBTAPE_FAKE_PWRU_EVENTS: events, SKBTAPE_FAKE_PWRU_ARGV_LOG: argvLog }),
      extendEnv: false,
      reject: false,
    });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitFor(() => existsSync(ready));
    await waitFor(() => out.split('\n').length > nEvents); // header + all events, then it idles
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(HEADER_V1_0_10);
    expect(lines).toHaveLength(1 + nEvents);
    const log = r.stderr.split('\n').map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
    expect(log[0]).toBe('Attaching kprobes (via kprobe-multi)...');
    expect(log[1]).toMatch(/^1462 \/ 1462 \[-+\] 100\.00% \? p\/s$/);
    expect(log.slice(2, 4)).toEqual(['Attached (ignored 0)', 'Listening for events..']);
    expect(log.slice(4, 6)).toEqual(['Received signal, exiting program..', 'Detaching kprobes...']);
    expect(log[6]).toMatch(/^5 \/ 5 \[-+\] 100\.00% \d+ p\/s$/);
    const entry = JSON.parse(readFileSync(argvLog, 'utf8').trim().split('\n').pop() ?? '{}');
    expect(entry.flags).toEqual({ 'ready-file': ready, 'filter-ifname': 'lxc3a6f7d4e8c73' });
    expect(entry.pcapFilter).toBe('tcp port 80');
  });

  it('stops after --output-limit-lines like pwru', async () => {
    const r = await pwru(['--output-limit-lines', '3', '--output-json'], {
      SKBTAPE_FAKE_PWRU_EVENTS: join(SAMPLES, 'demo-delivered.events.json'),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(3);
    expect(r.stderr).toMatch(/\d \d\d:\d\d:\d\d Printed 3 events, exiting program\.\.\n/);
  });

  it.each([
    ['btf', 'Failed to load BTF spec: no BTF found for kernel version 5.15.0-1066-aws: not supported'],
    ['root', 'Failed to set temporary rlimit: failed to set memlock rlimit: operation not permitted'],
    ['flag', "Failed to inject filter ebpf for kprobe_multi_skb_1: failed to pcap_compile 'tcp prot 80': syntax error (l3=false)"],
  ])('fails like pwru when SKBTAPE_FAKE_PWRU_FAIL=%s', async (mode, message) => {
    const r = await pwru(['tcp', 'prot', '80'], { SKBTAPE_FAKE_PWRU_FAIL: mode });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /);
    expect(r.stderr.slice(20)).toBe(message);
  });

  it.each<[string, unknown]>(DEMO_SAMPLES.map((s: { name: string }) => [s.name, s]))(
    'renders %s byte-identically to the committed samples',
    async (_name: string, sample: unknown) => {
      const s = sample as { events: string; text: string; json: string };
      const extra = { SKBTAPE_FAKE_PWRU_EVENTS: s.events, SKBTAPE_FAKE_PWRU_EXIT_AFTER: '1' };
      const text = await execa('pwru', DEMO_ARGV_TEXT, { env: env(extra), extendEnv: false, stripFinalNewline: false });
      expect(text.stdout).toBe(readFileSync(s.text, 'utf8'));
      const json = await execa('pwru', DEMO_ARGV_JSON, { env: env(extra), extendEnv: false, stripFinalNewline: false });
      expect(json.stdout).toBe(readFileSync(s.json, 'utf8'));
    },
  );

  it('formats the seed record exactly like the real v1.0.10 line (whitespace collapsed by the web page)', () => {
    const seed = readFileSync(join(SAMPLES, 'seed-v1.0.10.pwru.txt'), 'utf8').trim().split('\n');
    const printer = createPrinter({ version: 'v1.0.10' });
    const collapse = (s: string) => s.trim().replace(/\s+/g, ' ');
    expect(collapse(printer.header())).toBe(seed[0]);
    const line = printer.format({
      skb: '0xffff91ba905e1ce8',
      cpu: 1,
      process: processName('/usr/bin/curl', 272299),
      func: '__netif_rx',
      netns: 4026531840,
      iface: ifaceName('lxc3a6f7d4e8c73', 26),
      proto: 0x0800,
      mtu: 9001,
      len: 60,
      tuple: { saddr: '10.244.2.173', daddr: '10.244.2.61', sport: 54864, dport: 80, proto: 6, flags: 'SYN' },
    });
    expect(collapse(line)).toBe(seed[1]);
    expect(printer.header()).toBe(`${HEADER_V1_0_10}\n`);
  });
});
