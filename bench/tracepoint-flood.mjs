#!/usr/bin/env node
// Throughput of the tracepoint source: a UDP flood between two throwaway namespaces (198.18.0.0/15) while bpftrace
// runs the generated program filtered on one namespace. Prints events/s reaching our stdout and bpftrace's
// `Lost N events` total. The flood is bounded (--seconds, default 8); namespaces are deleted on every exit path.
// Needs root, bpftrace, tracefs and a built dist/ (`npm run build`). Usage:
//   node bench/tracepoint-flood.mjs [--seconds 8] [--netns server|client] [--all]

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seconds = Number(opt('seconds', '8'));
const side = opt('netns', 'server');
const all = args.includes('--all');

const { buildTracepointProgram, availableSkbTracepoints, readDropReasons, lostEvents, TRACEPOINT_READY_LINE } =
  await import('../dist/record/tracepoint-program.js').catch(() => {
    console.error('bench: dist/tracepoint-program.js missing; run `npm run build` first');
    process.exit(2);
  });

const tag = `skbt-${process.pid}-${randomBytes(3).toString('hex')}`;
const clientNs = `${tag}-c`;
const serverNs = `${tag}-s`;
const short = randomBytes(3).toString('hex');
const [clientVeth, serverVeth] = [`bfc${short}`, `bfs${short}`];
const [clientIp, serverIp] = ['198.18.200.1', '198.18.200.2'];
const tmp = mkdtempSync(join(tmpdir(), 'skbt-bench-'));
const children = new Set();

function sh(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  for (const ns of [clientNs, serverNs]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

sh(['ip', 'netns', 'add', clientNs]);
sh(['ip', 'netns', 'add', serverNs]);
sh(['ip', 'link', 'add', clientVeth, 'netns', clientNs, 'type', 'veth', 'peer', 'name', serverVeth, 'netns', serverNs]);
sh(['ip', '-n', clientNs, 'addr', 'add', `${clientIp}/30`, 'dev', clientVeth]);
sh(['ip', '-n', serverNs, 'addr', 'add', `${serverIp}/30`, 'dev', serverVeth]);
for (const [ns, dev] of [[clientNs, clientVeth], [serverNs, serverVeth]]) {
  sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
}
const inode = statSync(`/run/netns/${side === 'client' ? clientNs : serverNs}`).ino;

const core = ['net:net_dev_queue', 'net:net_dev_start_xmit', 'net:net_dev_xmit', 'net:netif_rx', 'net:netif_receive_skb',
  'skb:kfree_skb', 'skb:consume_skb'];
const tracepoints = availableSkbTracepoints().filter((tp) => all || core.includes(tp));
const file = join(tmp, 'flood.bt');
writeFileSync(file, buildTracepointProgram({ tracepoints, netnsInode: inode, dropReasons: readDropReasons() }));

const t0 = Date.now();
const bt = spawn('bpftrace', ['-q', file], { stdio: ['ignore', 'pipe', 'pipe'] });
children.add(bt);
let events = 0;
let lost = 0;
let ready = false;
let partial = '';
let stderr = '';
let counting = false;
bt.stderr.on('data', (d) => (stderr += d));
const readyP = new Promise((resolve, reject) => {
  bt.on('exit', (code) => !ready && reject(new Error(`bpftrace exited ${code}: ${stderr}`)));
  bt.stdout.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const l of lines) {
      if (l.startsWith('{')) {
        if (counting) events++;
      } else if (l === TRACEPOINT_READY_LINE) {
        ready = true;
        resolve();
      } else {
        const n = lostEvents(l);
        if (n !== undefined) lost += n;
      }
    }
  });
});
await readyP;
const startup = (Date.now() - t0) / 1000;

// The flood: one UDP socket in the client ns sending 64-byte datagrams to a closed port (the server drops them
// with NO_SOCKET and answers with rate-limited ICMP), as fast as the event loop allows, for `seconds`.
const flood = [
  "const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(64); let n = 0;",
  `const end = Date.now() + ${seconds * 1000};`,
  'function go() { for (let i = 0; i < 64; i++) { s.send(b, 9, ' + JSON.stringify(serverIp) + '); n++; }',
  '  if (Date.now() < end) setImmediate(go); else s.close(() => console.log(n)); }',
  'go();',
].join('\n');
counting = true;
const f0 = Date.now();
const sent = await new Promise((resolve, reject) => {
  const c = spawn('ip', ['netns', 'exec', clientNs, process.execPath, '-e', flood], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(c);
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`flood exited ${code}`))));
});
const floodSecs = (Date.now() - f0) / 1000;
bt.kill('SIGINT');
await new Promise((r) => bt.on('exit', r));
const total = (Date.now() - f0) / 1000;

console.log(`tracepoints: ${tracepoints.length} (${tracepoints.join(' ')}), netns filter: ${side}`);
console.log(`bpftrace start-up (compile + attach): ${startup.toFixed(1)} s`);
console.log(`flood: ${sent} datagrams in ${floodSecs.toFixed(1)} s (${Math.round(sent / floodSecs)} pkt/s)`);
console.log(`events printed: ${events} (${Math.round(events / total)} events/s over ${total.toFixed(1)} s incl. drain)`);
console.log(`bpftrace lost: ${lost} records (${lost > 0 ? ((100 * lost) / (lost + events)).toFixed(1) : '0'}% of lines)`);
