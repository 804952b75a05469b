#!/usr/bin/env node
// Throughput of the whole tracepoint path: bpftrace → skbtape record → capture, under a bounded UDP flood between
// two throwaway namespaces (198.18.0.0/15, traffic never leaves them). Prints events/s stored and the events
// bpftrace reported lost ("Lost N events"). Needs root, bpftrace, tracefs and dist/ (make setup).
//   node bench/tracepoint-record.mjs [--seconds 5] [--tracepoints net:netif_receive_skb,skb:kfree_skb,skb:consume_skb]
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = join(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const seconds = Number(opt('seconds', '5'));
const tps = opt('tracepoints', 'net:netif_receive_skb,net:net_dev_queue,skb:kfree_skb,skb:consume_skb');
const { createTestNet, canRunBpftrace } = await import(join(root, 'dist/demo/lab-net.js'));
const can = canRunBpftrace();
if (!can.ok) {
  console.log(`tracepoint-record bench: cannot run here: ${can.why}`);
  process.exit(0);
}
const net = await createTestNet();
const out = join(root, 'bench/out/tp-record');
try {
  // A bounded flood: UDP datagrams from the client ns to a closed port in the server ns for `seconds`.
  const flood = `const s=require('dgram').createSocket('udp4');const end=Date.now()+${seconds * 1000};let n=0;` +
    `(function go(){for(let i=0;i<200;i++){s.send('x'.repeat(64),9,'${net.serverIp}');n++}` +
    `if(Date.now()<end)setImmediate(go);else setTimeout(()=>{console.log(n);s.close()},100)})()`;
  const t0 = Date.now();
  const r = await execa(process.execPath, [join(root, 'bin/skbtape.js'), 'record', '-o', out, '--force', '--source', 'tracepoint',
    '--tracepoints', tps, '--netns', `/run/netns/${net.serverNs}`, '--snapshots', 'none', '--grace', '500ms', '--json',
    '--', 'ip', 'netns', 'exec', net.clientNs, process.execPath, '-e', flood], { reject: false });
  if (r.exitCode !== 0) throw new Error(`record failed: ${r.stderr}`);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const sent = Number(readFileSync(join(out, 'command/stdout'), 'utf8').trim());
  const cmdMs = m.command.durationMs;
  const events = m.counts.events;
  const lost = m.tracepoint?.lostEvents ?? 0;
  console.log(`tracepoint-record bench: ${tps}, UDP flood ${seconds} s from ${net.clientNs} to ${net.serverNs}`);
  console.log(`  datagrams sent      ${sent.toLocaleString('en-US')} (${Math.round(sent / (cmdMs / 1000)).toLocaleString('en-US')}/s)`);
  console.log(`  events stored       ${events.toLocaleString('en-US')} = ${Math.round(events / (cmdMs / 1000)).toLocaleString('en-US')} events/s over the flood`);
  console.log(`  lost (bpftrace)     ${lost.toLocaleString('en-US')} events${events + lost ? ` (${((100 * lost) / (events + lost)).toFixed(1)}%)` : ''}`);
  console.log(`  wall                ${((Date.now() - t0) / 1000).toFixed(1)} s including bpftrace start-up`);
  console.log(JSON.stringify({ bench: 'tracepoint-record', seconds, sent, events, lost, eventsPerSec: events / (cmdMs / 1000) }));
} finally {
  await net.destroy();
  if (!args.includes('--keep')) rmSync(out, { recursive: true, force: true });
}
