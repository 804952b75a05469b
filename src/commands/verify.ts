// `skbtape verify <capture>`: every batch against its checksums, missing or duplicated batches, the manifest and its
// counts. Exit 0 intact, 1 any fault, 2 not a capture. The checks are capture/verify.ts's.
import type { Command } from 'commander';
import { verifyCapture } from '../capture/verify.js';
import { addFormatOption, chosenFormat, formatRows, type FormatSpec } from '../render/output.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';

const FORMAT: FormatSpec = { piped: 'ndjson' };

export function register(program: Command): void {
  const cmd = program
    .command('verify')
    .description(SUMMARIES.verify)
    .argument('<capture>', 'capture directory');
  addFormatOption(cmd, FORMAT)
    .addHelpText('after', `
Example:
  skbtape verify cap

Each batch file is checked against the CRC-32 the manifest lists for it and the seal in its own Arrow metadata
(its sequence number and the checksum of its body), then decoded. A capture that a reader would load with a
warning (a damaged batch skipped) is a fault here; commands that read captures take --strict to refuse it.

Exit codes: 0 no fault; 1 a fault (each printed on stderr, one line each); 2 not a capture directory.`)
    .action(async (dir: string, o: { format?: string; json?: boolean; color?: string }) => {
      const format = chosenFormat(o, FORMAT);
      const r = verifyCapture(dir);
      if (format === 'json') await writeOut(JSON.stringify(r, null, 2) + '\n');
      else {
        const columns = ['file', 'state', 'rows', 'bytes', 'crc32', 'detail'];
        const rows = r.batches.map((b) => [b.file, b.state, b.rows, b.bytes, b.crc32, b.detail]);
        for (const chunk of formatRows(columns, rows, format)) await writeOut(chunk);
      }
      for (const w of r.warnings) process.stderr.write(`skbtape: warning: ${w}\n`);
      for (const f of r.faults) process.stderr.write(`skbtape: fault: ${f}\n`);
      if (format === 'table' || process.stderr.isTTY) {
        process.stderr.write(r.ok ? `${dir}: intact: ${r.batches.length} batch file(s), ${r.events.files} events\n` : `${dir}: ${r.faults.length} fault(s)\n`);
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}
