// A throwaway two-namespace lab network for the demo and the end-to-end tests: client ns <-veth-> server ns, an HTTP
// server in the server ns, addresses from the benchmarking range 198.18.0.0/15 so traffic never leaves the namespaces.
// Tracing that network is left to the callers.

import { execa, type ResultPromise } from 'execa';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { TRACEFS, tracefsState } from '../host/tracefs.js';

export interface TestNet {
  clientNs: string;
  serverNs: string;
  clientIp: string;
  serverIp: string;
  port: number;
  clientVeth: string;
  serverVeth: string;
  clientIfindex: number;
  serverIfindex: number;
  clientNetnsInode: number;
  serverNetnsInode: number;
  serverPid: number;
  /** argv of one curl from the client ns to the server. */
  curlArgv(): string[];
  /** nft rule in the server ns dropping TCP to `port` (inet filter input). */
  addDropRule(): Promise<void>;
  /** Kill the server, delete both namespaces (the veth goes with them). Idempotent. */
  destroy(): Promise<void>;
}

export interface TestNetOptions {
  /** Third octet of 198.18.<n>.0/30; default random so parallel tests do not share a subnet. */
  subnet?: number;
  port?: number;
}

const live = new Set<TestNet>();
let exitHookInstalled = false;

/** Delete what is still up when the process ends, so a failing test does not leave namespaces behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const net of live) destroySync(net);
  });
}

function destroySync(net: TestNet): void {
  // 'exit' handlers cannot await: kill the server and remove the namespaces synchronously.
  if (net.serverPid > 0) {
    try {
      process.kill(net.serverPid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const ns of [net.clientNs, net.serverNs]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
}

async function run(argv: string[]): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1));
  return r.stdout;
}

/**
 * Can this machine run the lab? `fixable`: what is missing is the set-up's job (a Debian tool, a tracefs mount),
 * so a test suite under CI must fail rather than skip; otherwise the machine truly lacks it (root, BTF).
 */
export interface Prereq { ok: boolean; why?: string; fixable?: boolean }

export function canRunNetTests(): Prereq {
  if (process.platform !== 'linux') return { ok: false, why: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (network namespaces and veths)' };
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['curl', 'curl'], ['nsenter', 'util-linux']] as const) {
    if (!onPath(cmd)) return { ok: false, fixable: true, why: `\`${cmd}\` not on PATH ('make setup' installs ${pkg})` };
  }
  return { ok: true };
}

export function canRunBpftrace(): Prereq {
  const net = canRunNetTests();
  if (!net.ok) return net;
  if (!onPath('bpftrace')) return { ok: false, fixable: true, why: "`bpftrace` not on PATH ('make setup' installs it)" };
  const tfs = tracefsState();
  if (!tfs.ok) return { ok: false, fixable: tfs.fixable, why: tfs.why };
  if (!existsSync(`${TRACEFS}/events/skb`)) return { ok: false, why: `this kernel has no skb tracepoints (${TRACEFS}/events/skb)` };
  if (!existsSync('/sys/kernel/btf/vmlinux')) return { ok: false, why: 'no kernel BTF (/sys/kernel/btf/vmlinux)' };
  return { ok: true };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${cmd}`));
}

// Kept whole although long (about 85 lines): the set-up steps and the cleanup that undoes each are listed side by side.
export async function createTestNet(opts: TestNetOptions = {}): Promise<TestNet> {
  installExitHook();
  const tag = `skbt-${process.pid}-${randomBytes(3).toString('hex')}`;
  const subnet = opts.subnet ?? Math.floor(Math.random() * 64) * 4;
  const third = Math.floor(subnet / 64) % 256;
  const base = (subnet % 64) * 4;
  const clientIp = `198.18.${third}.${base + 1}`;
  const serverIp = `198.18.${third}.${base + 2}`;
  const port = opts.port ?? 8000 + Math.floor(Math.random() * 1000);
  const clientNs = `${tag}-c`;
  const serverNs = `${tag}-s`;
  // Interface names: at most 15 chars, unique per host while both ends exist in the root ns.
  const short = randomBytes(3).toString('hex');
  const clientVeth = `skc${short}`;
  const serverVeth = `sks${short}`;

  let serverProc: ResultPromise | undefined;
  let destroyed = false;
  const net: TestNet = {
    clientNs,
    serverNs,
    clientIp,
    serverIp,
    port,
    clientVeth,
    serverVeth,
    clientIfindex: 0,
    serverIfindex: 0,
    clientNetnsInode: 0,
    serverNetnsInode: 0,
    serverPid: 0,
    curlArgv: () => ['ip', 'netns', 'exec', clientNs, 'curl', '-s', '--max-time', '5', `http://${serverIp}:${port}/`],
    addDropRule: async () => {
      const nft = (...args: string[]) => run(['ip', 'netns', 'exec', serverNs, 'nft', ...args]);
      await nft('add', 'table', 'inet', 'skbt');
      await nft('add', 'chain', 'inet', 'skbt', 'input', '{', 'type', 'filter', 'hook', 'input', 'priority', '0', ';', '}');
      await nft('add', 'rule', 'inet', 'skbt', 'input', 'tcp', 'dport', String(port), 'drop');
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      live.delete(net);
      if (serverProc) {
        serverProc.kill('SIGTERM');
        await Promise.race([serverProc.catch(() => undefined), sleep(2000)]);
        serverProc.kill('SIGKILL');
      }
      for (const ns of [clientNs, serverNs]) {
        await execa('ip', ['netns', 'delete', ns], { reject: false });
      }
    },
  };
  live.add(net);

  try {
    await run(['ip', 'netns', 'add', clientNs]);
    await run(['ip', 'netns', 'add', serverNs]);
    await run(['ip', 'link', 'add', clientVeth, 'netns', clientNs, 'type', 'veth', 'peer', 'name', serverVeth, 'netns', serverNs]);
    const inNs = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args]);
    await inNs(clientNs, 'addr', 'add', `${clientIp}/30`, 'dev', clientVeth);
    await inNs(serverNs, 'addr', 'add', `${serverIp}/30`, 'dev', serverVeth);
    for (const [ns, dev] of [[clientNs, clientVeth], [serverNs, serverVeth]] as const) {
      await inNs(ns, 'link', 'set', 'lo', 'up');
      await inNs(ns, 'link', 'set', dev, 'up');
    }
    net.clientIfindex = await ifindex(clientNs, clientVeth);
    net.serverIfindex = await ifindex(serverNs, serverVeth);
    net.clientNetnsInode = statSync(`/run/netns/${clientNs}`).ino;
    net.serverNetnsInode = statSync(`/run/netns/${serverNs}`).ino;

    const server = [
      "const http = require('node:http');",
      "http.createServer((q, s) => { s.end('skbtape\\n'); })",
      `.listen(${port}, '${serverIp}', () => console.log('listening'));`,
    ].join('');
    serverProc = execa('ip', ['netns', 'exec', serverNs, process.execPath, '-e', server], { reject: false });
    net.serverPid = serverProc.pid ?? 0;
    await waitForServer(net);
    return net;
  } catch (err) {
    await net.destroy();
    throw err;
  }
}

async function ifindex(ns: string, dev: string): Promise<number> {
  const out = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev]);
  const [link] = JSON.parse(out) as Array<{ ifindex: number }>;
  if (!link) throw new Error(`no link ${dev} in ${ns}`);
  return link.ifindex;
}

async function waitForServer(net: TestNet): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const argv = net.curlArgv();
    const r = await execa(argv[0]!, argv.slice(1), { reject: false });
    if (r.exitCode === 0 && r.stdout.includes('skbtape')) return;
    if (Date.now() > deadline) throw new Error(`HTTP server in ${net.serverNs} did not answer: ${r.stderr || r.exitCode}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
