// `skbtape demo`: record a live curl in a throwaway namespace lab (where root + bpftrace allow), else analyze the
// sample captures. See demo/demo.ts.
import { Option, type Command } from 'commander';
import { runDemo } from '../demo/demo.js';
import { SUMMARIES } from './summaries.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description(SUMMARIES.demo)
    .option('-o, --output <dir>', 'where the demo captures go', 'tmp/demo')
    .addOption(new Option('--live <when>', 'live recording: auto (when possible), yes (or fail), no (samples only)').choices(['auto', 'yes', 'no']).default('auto'))
    .addHelpText('after', `
Examples:
  skbtape demo                      # live when root and bpftrace allow it, else the sample captures
  skbtape demo --live no -o /tmp/d  # the samples only, kept in /tmp/d

Exit codes: 0 the demo ran; 1 --live yes and a live recording was not possible; 2 bad input.`)
    .action(async (o: { output: string; live: 'auto' | 'yes' | 'no' }) => {
      await runDemo({ out: o.output, live: o.live });
    });
}
