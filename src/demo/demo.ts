// `skbtape demo`: the main job on an embedded default. Where this machine allows it (root, bpftrace, tracefs) it
// builds a two-namespace lab, records the real curl through the kernel's skb tracepoints, records it again behind
// an nft drop, shows the journey and the diff, and ends with an HTML report of both. Elsewhere it says why and runs
// the same analysis on the hand-built sample captures. It drives skbtape's own CLI, exactly as a user would type it.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { canRunBpftrace, createTestNet, type TestNet } from './lab-net.js';
import { ensureTracefs } from '../host/tracefs.js';
import { UserError } from '../errors.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(ROOT, 'bin/skbtape.js');
const SAMPLES = join(ROOT, 'samples');

export interface DemoOptions { out: string; live: 'auto' | 'yes' | 'no' }

const say = (s: string) => process.stdout.write(`${s}\n`);

async function skbtape(args: string[], allowFail = false, env?: NodeJS.ProcessEnv): Promise<number> {
  say(`\n$ skbtape ${args.join(' ')}`);
  const r = await execa(process.execPath, [CLI, ...args], { stdio: 'inherit', reject: false, env, extendEnv: true });
  if (r.exitCode !== 0 && !allowFail) throw new UserError(`the demo's step 'skbtape ${args[0]}' exited ${r.exitCode} (its output is above)`, 'demo', 1);
  return r.exitCode ?? 1;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  mkdirSync(o.out, { recursive: true });
  // As `record --source tracepoint` does: mount tracefs when it is missing and we may.
  if (o.live !== 'no') {
    try {
      const note = ensureTracefs();
      if (note) say(`skbtape demo: ${note}`);
    } catch {
      /* canRunBpftrace says why below */
    }
  }
  const can = canRunBpftrace();
  if (o.live === 'yes' && !can.ok) throw new UserError(`cannot record live here: ${can.why}`, '--live', 1);
  if (o.live !== 'no' && can.ok) return liveDemo(o.out);
  say(`skbtape demo: no live recording on this machine (${o.live === 'no' ? '--live no' : can.why}); using the hand-built sample captures of the seed's Cilium scenario.`);
  return sampleDemo(o.out);
}

async function liveDemo(out: string): Promise<void> {
  say('skbtape demo: live recording through the kernel\'s skb tracepoints (bpftrace), in a throwaway two-namespace lab.');
  let net: TestNet | null = null;
  try {
    net = await createTestNet();
    say(`lab: ${net.clientNs} ${net.clientIp} (${net.clientVeth}, ifindex ${net.clientIfindex}, netns ${net.clientNetnsInode}) ⇄ ` +
      `${net.serverNs} ${net.serverIp}:${net.port} (${net.serverVeth}, ifindex ${net.serverIfindex}, netns ${net.serverNetnsInode})`);
    const a = join(out, 'delivered');
    const b = join(out, 'dropped');
    const rec = (dir: string, curl: string[], expectFail = false) =>
      skbtape(['record', '-o', dir, '--force', '--source', 'tracepoint', '--netns', `/run/netns/${net!.clientNs}`, '--netns', `/run/netns/${net!.serverNs}`,
        '--snapshots', 'none', '--grace', '500ms', '--', ...curl], expectFail);
    await rec(a, net.curlArgv());
    await skbtape(['paths', a, '--flow', `port ${net.port}`, '--limit', '4']);
    await podRecordDemo(out, net);
    say(`\nadding an nft rule in ${net.serverNs} that drops tcp dport ${net.port}, and recording the same curl again`);
    await net.addDropRule();
    const curl = net.curlArgv().map((x) => (x === '5' ? '2' : x)); // --max-time 2: the SYN is dropped, curl times out
    // record exits with curl's code (28, timed out): expected here, the capture is what we want.
    const code = await rec(b, curl, true);
    say(`(record exited ${code}: curl's own exit code, as a CI job wrapping its test in record would see it)`);
    await skbtape(['diff', a, b, '--by', 'ip', '--flow', `port ${net.port}`], true);
  } finally {
    await net?.destroy();
  }
  const page = await report(out, join(out, 'delivered'), join(out, 'dropped'));
  say(`\ncaptures kept in ${out}/delivered, ${out}/dropped and ${out}/pod-record; try: skbtape query ${out}/dropped --report drops`);
  say(`report of these captures (the journeys, the drop, the diff): ${page}  (open it in a browser; it fetches nothing)`);
}

/** Ends the demo as a user would end a bug report: one HTML page of both captures, the diff first. */
async function report(out: string, a: string, b: string): Promise<string> {
  const page = resolve(out, 'report.html');
  await skbtape(['report', a, '--diff', b, '-o', page, '--force']);
  return page;
}

/**
 * `record --pod` as on a Cilium node. pwru cannot run here (no kprobes) and there is no container runtime, so the
 * test fixtures stand in for pwru (printing the hand-built sample's events), crictl and cilium-dbg. The rest is
 * real: a "pod" netns with eth0 whose veth peer lxc… sits in the host netns, nsenter + ethtool + ip link finding
 * that veth, and the curl.
 */
async function podRecordDemo(out: string, net: TestNet): Promise<void> {
  const tag = net.clientNs.replace(/-c$/, '');
  const podNs = `${tag}-pod`;
  const hostVeth = `lxc${tag.slice(-6)}`;
  const ip = (...args: string[]) => execa('ip', args);
  let sleeper: ReturnType<typeof execa> | null = null;
  say(`\npwru is not installed here (it needs kprobes; this kernel has none). Next, \`record --pod\` as on a Cilium node, with`);
  say('the test fixtures (test/fixtures/bin) standing in for pwru, crictl and cilium-dbg: the fake pwru prints the');
  say(`hand-built sample's events. Real: pod netns ${podNs} with eth0 ⇄ host veth ${hostVeth}, the nsenter/ethtool/ip`);
  say('lookup of that veth, and the curl.');
  try {
    await ip('netns', 'add', podNs);
    await ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs);
    sleeper = execa('ip', ['netns', 'exec', podNs, 'sleep', '120'], { reject: false });
    await new Promise((r) => setTimeout(r, 200));
    const pods = { client: { containerId: 'c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789', pid: sleeper.pid, namespace: 'default' } };
    const env = {
      PATH: `${join(ROOT, 'test/fixtures/bin')}:${process.env.PATH ?? ''}`,
      SKBTAPE_FAKE_CRICTL_PODS: JSON.stringify(pods),
      SKBTAPE_FAKE_PWRU_EVENTS: join(SAMPLES, 'demo-delivered.events.json'),
    };
    const dir = join(out, 'pod-record');
    await skbtape(['record', '-o', dir, '--force', '--pod', 'client', '--grace', '300ms', '--', ...net.curlArgv()], false, env);
    await skbtape(['query', dir, '--report', 'verdicts', '--format', 'table']);
  } finally {
    sleeper?.kill('SIGKILL');
    await execa('ip', ['netns', 'delete', podNs], { reject: false });
    await execa('ip', ['link', 'delete', hostVeth], { reject: false });
  }
}

async function sampleDemo(out: string): Promise<void> {
  const snaps = join(SAMPLES, 'demo-snapshots');
  const a = join(out, 'sample-delivered');
  const b = join(out, 'sample-dropped');
  for (const [dir, file] of [[a, 'demo-delivered.pwru.txt'], [b, 'demo-netfilter-drop.pwru.txt']] as const) {
    rmSync(dir, { recursive: true, force: true });
    await skbtape(['import', join(SAMPLES, file), '-o', dir]);
    if (existsSync(snaps)) {
      const f = (n: string) => join(snaps, n);
      const args = ['attach', dir, '--phase', 'start'];
      for (const [flag, name] of [['--endpoints', 'endpoints.txt'], ['--ipcache', 'ipcache.txt'], ['--bpftool-net', 'bpftool-net.txt'], ['--metrics', 'metrics-start.txt'], ['--identities', 'identities.json'], ['--endpoint-list', 'endpoint-list.txt']]) {
        if (existsSync(f(name!))) args.push(flag!, f(name!));
      }
      await skbtape(args);
      if (existsSync(f('metrics-end.txt'))) await skbtape(['attach', dir, '--phase', 'end', '--metrics', f('metrics-end.txt')]);
    }
  }
  await skbtape(['paths', a, '--limit', '4']);
  await skbtape(['diff', a, b], true);
  const page = await report(out, a, b);
  say(`\ncaptures kept in ${out}; try: skbtape query ${a} --report drops   (skbtape reports lists them all)`);
  say(`report of these captures (the journeys, the drop, the diff): ${page}  (open it in a browser; it fetches nothing)`);
}
