#!/usr/bin/env node
// `make setup`: mounts tracefs for the live tracepoint source and its tests, with the helper `record` uses.
// Not root, or a kernel without tracefs: says why and exits 0 (those tests then skip, naming the reason).
import { ensureTracefs, tracefsState } from '../dist/host/tracefs.js';

const s = tracefsState();
if (s.ok) process.exit(0);
if (!s.fixable) {
  process.stderr.write(`warning: ${s.why}; the live tracepoint source and its tests will not run\n`);
  process.exit(0);
}
try {
  process.stdout.write(`${ensureTracefs()}\n`);
} catch (e) {
  process.stderr.write(`warning: ${e.message}; the live tracepoint source and its tests will not run\n`);
}
