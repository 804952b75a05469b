#!/usr/bin/env node
// After a full `make test`: every flag of every command must have been given to the installed binary at least
// once (the CLI logs them to SKBTAPE_FLAG_LOG when that is set). Prints the census; exit 1 names what was missed.
import { existsSync, readFileSync } from 'node:fs';
import { buildProgram } from '../dist/cli.js';

const log = process.argv[2];
if (!log || !existsSync(log)) {
  console.error(`flag coverage: no flag log at ${log ?? '(none given)'}: did the suite run the CLI at all?`);
  process.exit(1);
}
const seen = new Set();
for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
  const { command, flags } = JSON.parse(line);
  seen.add(command);
  for (const f of flags) seen.add(`${command} ${f}`);
}
const all = [];
for (const cmd of (await buildProgram('all')).commands) {
  all.push(cmd.name());
  for (const o of cmd.options) all.push(`${cmd.name()} ${o.long ?? o.short}`);
}
const missed = all.filter((k) => !seen.has(k));
if (missed.length) {
  console.error(`flag coverage: ${all.length - missed.length}/${all.length} commands and flags reached the binary; never given: ${missed.join(', ')}`);
  process.exit(1);
}
console.log(`flag coverage: all ${all.length} commands and flags were given to the installed binary`);
