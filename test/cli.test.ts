// The flags no other test gives to the installed binary, each with an assertion that fails without it: pwru's
// pass-through flags reaching pwru by name and in pwru's order, --force, --format text, --node/--cilium-pod with
// kubectl snapshots, query --file, diff --by/--max-flows, check --format json, export --json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../src/capture/manifest.js';
import { buildDemoCapture } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { skipUnless } from './helpers/prereq.js';
import { REAL_DIR, ROOT } from './helpers/real.js';

const FAKES = join(ROOT, 'test/fixtures/bin');
const EVENTS = join(ROOT, 'samples/demo-delivered.events.json');
const tmp = mkdtempSync(join(tmpdir(), 'skbt-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const out = () => join(tmp, `out${++n}`);
const env = (extra: Record<string, string> = {}) => {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SKBTAPE_FAKE_')) e[k] = v;
  return { ...e, PATH: `${FAKES}${delimiter}${process.env.PATH ?? ''}`, ...extra };
};
const skbtape = (args: string[], extra: Record<string, string> = {}) => execa(SKBTAPE, args, { env: env(extra), extendEnv: false, reject: false, cwd: ROOT });
const argvLog = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] });

describe('record: pwru flags by their pwru names', () => {
  it('every pass-through flag reaches pwru (v1.0.12) with its value; --output-limit-lines ends the recording', async () => {
    const dir = out();
    const log = join(tmp, 'argv-all.ndjson');
    const btf = join(tmp, 'vmlinux.btf');
    writeFileSync(btf, '');
    const given = [
      '--output-limit-lines', '50', '--filter-func', 'ip_rcv', '--filter-mark', '0xa00/0xf00', '--filter-non-skb-funcs', 'sys_sendto',
      '--filter-track-skb', '--filter-track-skb-by-stackid', '--filter-trace-tc', '--filter-trace-xdp', '--filter-track-bpf-helpers',
      '--filter-kprobe-batch', '20', '--filter-skb-expr', 'skb->protocol == 0x0800', '--output-skb', '--output-skb-shared-info',
      '--output-stack', '--output-caller', '--output-tcp-flags', '--output-tunnel', '--output-skb-cb', '--kmods', 'veth',
      '--all-kmods', '--backend', 'kprobe', '--kernel-btf', btf,
    ];
    const r = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--no-progress', ...given],
      { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_VERSION: 'v1.0.12', SKBTAPE_FAKE_PWRU_ARGV_LOG: log });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r'); // --no-progress (and a pipe): no status line
    const argv = argvLog(log).find((e) => e.argv[0] !== '--version')!.argv;
    // Each flag, with its value right after it where it takes one.
    for (let i = 0; i < given.length; i++) {
      const f = given[i]!;
      if (!f.startsWith('--')) continue;
      const at = argv.indexOf(f);
      expect(at, f).toBeGreaterThanOrEqual(0);
      if (given[i + 1] !== undefined && !given[i + 1]!.startsWith('--')) expect(argv[at + 1], f).toBe(given[i + 1]);
    }
    const m = readManifest(dir);
    expect(m.pwru!.argv!.slice(1)).toEqual(argv);
    expect(m.counts.events).toBe(50);
    expect(m.statusReason).toBe('pwru exited by itself');
  });

  it('--format text records pwru text even where JSON is available; --force replaces an earlier capture', async () => {
    const dir = out();
    const log = join(tmp, 'argv-text.ndjson');
    const first = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--duration', '300ms'], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS });
    expect(first.exitCode, first.stderr).toBe(0);
    const again = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--duration', '300ms']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/not empty.*--force/);
    const r = await skbtape(['record', '-o', dir, '--force', '--input-format', 'text', '--snapshots', 'none', '--duration', '300ms', '--format', 'json', '--color', 'never'],
      { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_ARGV_LOG: log });
    expect(r.exitCode, r.stderr).toBe(0);
    const argv = argvLog(log).find((e) => e.argv[0] !== '--version')!.argv;
    expect(argv).not.toContain('--output-json');
    const m = readManifest(dir);
    expect(m.source.format).toBe('text');
    expect(m.layouts.length).toBeGreaterThan(0);
    expect(m.layouts.every((l) => !l.startsWith('J'))).toBe(true);
    expect(m.counts.events).toBe(416);
  });

  it('--snapshots kubectl --node / --cilium-pod reach the agent pod through kubectl (record and snapshot)', async () => {
    const pods = { SKBTAPE_FAKE_CILIUM_PODS: JSON.stringify({ 'worker-7': 'cilium-w7aaa' }) };
    const dir = out();
    const r = await skbtape(['record', '-o', dir, '--snapshots', 'kubectl', '--node', 'worker-7', '--duration', '200ms'], { ...pods, SKBTAPE_FAKE_PWRU_EVENTS: EVENTS });
    expect(r.exitCode, r.stderr).toBe(0);
    const cilium = readManifest(dir).snapshots.filter((s) => s.kind !== 'bpftool-net');
    expect(cilium.length).toBeGreaterThan(0);
    for (const s of cilium) expect(s.argv!.slice(0, 5), s.kind).toEqual(['kubectl', '-n', 'kube-system', 'exec', 'cilium-w7aaa']);
    for (const cmd of ['record', 'snapshot']) {
      const d = out();
      const args = cmd === 'record' ? ['record', '-o', d, '--duration', '200ms'] : ['snapshot', '-o', d];
      const p = await skbtape([...args, '--snapshots', 'kubectl', '--cilium-pod', 'cilium-given1'], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS });
      expect(p.exitCode, p.stderr).toBe(0);
      const snaps = readManifest(d).snapshots.filter((s) => s.kind !== 'bpftool-net');
      for (const s of snaps) expect(s.argv!.slice(0, 5), `${cmd} ${s.kind}`).toEqual(['kubectl', '-n', 'kube-system', 'exec', 'cilium-given1']);
    }
  });
});

describe('record: pwru\'s habits', () => {
  it('words before -- are the pcap filter (joined, as pwru takes them); the command after -- keeps its own --', async () => {
    const dir = out();
    const log = join(tmp, 'argv-filter.ndjson');
    const r = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--grace', '0', 'tcp', 'and', 'port', '8080', '--', 'echo', 'a', '--', 'b'],
      { SKBTAPE_FAKE_PWRU_ARGV_LOG: log });
    expect(r.exitCode, r.stderr).toBe(0);
    const call = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; pcapFilter?: string }).find((e) => e.argv[0] !== '--version')!;
    expect(call.pcapFilter).toBe('tcp and port 8080');
    expect(readManifest(dir).command).toMatchObject({ argv: ['echo', 'a', '--', 'b'], exit: 0 });
    expect(readFileSync(join(dir, 'command/stdout'), 'utf8')).toBe('a -- b\n');
    const both = await skbtape(['record', '-o', out(), '--snapshots', 'none', '--pcap-filter', 'udp', 'tcp', '--', 'true']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr.trim()).toBe("skbtape: a pcap filter given twice: --pcap-filter 'udp' and 'tcp' before -- (--pcap-filter)");
  });

  it('a pwru command line pastes in: pwru\'s own flag names work; an unknown flag says how to pass it through', async () => {
    const dir = out();
    const log = join(tmp, 'argv-pwru-names.ndjson');
    const r = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--duration', '300ms', '--filter-netns', '/proc/self/ns/net', '--filter-ifname', 'lo',
      '--output-json', '--output-meta', '--output-tuple', '--timestamp', 'current'], { SKBTAPE_FAKE_PWRU_ARGV_LOG: log });
    expect(r.exitCode, r.stderr).toBe(0);
    const argv = argvLog(log).find((e) => e.argv[0] !== '--version')!.argv;
    expect(argv.slice(argv.indexOf('--filter-ifname'), argv.indexOf('--filter-ifname') + 2)).toEqual(['--filter-ifname', 'lo']);
    expect(argv).toContain('--output-json');
    expect(readManifest(dir).target).toMatchObject({ hostVeth: 'lo' });
    const rel = await skbtape(['record', '-o', out(), '--timestamp', 'relative']);
    expect([rel.exitCode, rel.stderr.trim()]).toEqual([2, "skbtape: skbtape runs pwru with --timestamp current (events are ordered and placed on the wall clock by absolute kernel time), not 'relative' (--timestamp)"]);
    const unknown = await skbtape(['record', '-o', out(), '--frobnicate-xyz']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("skbtape: unknown option '--frobnicate-xyz'; if it is a pwru flag, pass it with --pwru-arg=--frobnicate-xyz (--frobnicate-xyz)\nsee 'skbtape record --help'");
    const typo = await skbtape(['import', 'x', '-o', out(), '--forc']);
    expect(typo.stderr).toBe("skbtape: unknown option '--forc'; did you mean --force? (--forc)\nsee 'skbtape import --help'");
  });

  it('Go durations as pwru users write them (1m30s, 250ms, 300000us); a bad one names the flag', async () => {
    const dir = out();
    const r = await skbtape(['record', '-o', dir, '--snapshots', 'none', '--duration', '300000us', '--ready-timeout', '1m30s', '--grace', '0.25s'], { SKBTAPE_FAKE_PWRU_EVENTS: EVENTS });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readManifest(dir).statusReason).toBe('--duration reached');
    const bad = await skbtape(['record', '-o', out(), '--duration', '5 minutes']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe("skbtape: --duration wants a duration like 10, 10s, 500ms, 1m30s or 250us, not '5 minutes' (--duration)");
  });

  it('--force replaces an earlier capture but never a directory of other files', async () => {
    const mine = out();
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'my own notes\n');
    const r = await skbtape(['record', '-o', mine, '--force', '--snapshots', 'none', '--duration', '100ms']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`skbtape: --force replaces only a capture directory (one holding skbtape's manifest.json); ${mine} holds other files, left untouched (--force)`);
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('my own notes\n');
    // A manifest.json that is not ours does not make it a capture either.
    writeFileSync(join(mine, 'manifest.json'), '{"name": "some other tool"}');
    const imp = await skbtape(['import', join(ROOT, 'samples/seed-v1.0.10.pwru.txt'), '-o', mine, '--force']);
    expect(imp.exitCode).toBe(2);
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('my own notes\n');
  });
});

describe('analysis flags', () => {
  let a = '';
  let b = '';
  beforeAll(async () => {
    a = await buildDemoCapture('delivered', join(tmp, 'demo-delivered'));
    b = await buildDemoCapture('drop', join(tmp, 'demo-drop'));
  });

  it('query --file reads the SQL from a file', async () => {
    const f = join(tmp, 'count.sql');
    writeFileSync(f, "SELECT count(*) AS n FROM events WHERE func = 'nf_hook_slow'\n");
    const r = await skbtape(['query', b, '--file', f, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The drop sample has 6 nf_hook_slow lines (grep -c nf_hook_slow samples/demo-netfilter-drop.pwru.txt).
    const want = readFileSync(join(ROOT, 'samples/demo-netfilter-drop.pwru.txt'), 'utf8').split('\n').filter((l) => / nf_hook_slow$/.test(l)).length;
    expect(JSON.parse(r.stdout)).toEqual([{ n: want }]);
  });

  it('diff --by ip keys flows by address, as asked; --max-flows 1 keeps one flow and counts the rest', async () => {
    const r = await skbtape(['diff', a, b, '--by', 'ip', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.key).toMatchObject({ by: 'ip', requested: 'ip' });
    expect(d.flows.map((f: { flow: string }) => f.flow)).toEqual(['10.244.2.173->10.244.2.61:80/tcp']);
    // Against a real capture of other hosts every flow is only in one side: several flows, one shown.
    const real = join(REAL_DIR, 'pwru-commit-619e931-v1.0.10dev-tcp-flags-cb.txt');
    if (skipUnless({ ok: existsSync(real), why: `${real} is absent` }, 'diff --max-flows on a real capture')) return;
    const c = join(tmp, 'real-619e931');
    expect((await skbtape(['import', real, '-o', c])).exitCode).toBe(0);
    const all = JSON.parse((await skbtape(['diff', a, c, '--by', 'ip', '--format', 'json'])).stdout);
    expect(all.flows.length).toBeGreaterThan(1);
    const one = JSON.parse((await skbtape(['diff', a, c, '--by', 'ip', '--format', 'json', '--max-flows', '1'])).stdout);
    expect(one.flows).toHaveLength(1);
    expect(one.truncated).toBe(all.flows.length - 1);
  });

  it('check --format json: one result per rule with pass/fail; export --json: the files written', async () => {
    const rules = join(tmp, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  - name: no drops\n    no_drops: true\n');
    const c = await skbtape(['check', b, rules, '--format', 'json']);
    expect(c.exitCode, c.stderr).toBe(1);
    const j = JSON.parse(c.stdout);
    expect(JSON.stringify(j)).toContain('no drops');
    expect(JSON.stringify(j)).toMatch(/"(failed|passed|ok|status)"/);
    const dir = join(tmp, 'parquet');
    mkdirSync(dir);
    const e = await skbtape(['export', b, '--parquet', dir, '--json']);
    expect(e.exitCode, e.stderr).toBe(0);
    const x = JSON.parse(e.stdout);
    expect(JSON.stringify(x)).toContain('events');
  });
});
