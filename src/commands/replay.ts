// `skbtape replay <dir>`: print a capture back in pwru's own layout (header first), or as JSON lines; --skb and
// --flow (analyze/flow-select.ts) keep only some events.
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { FLOW_HELP } from '../analyze/flow-filter.js';
import { parseLayoutKey } from '../capture/layout.js';
import { readManifest } from '../capture/manifest.js';
import { newRenderState, renderHeader, renderJson, renderText } from '../render/pwru-layout.js';
import { writeOut } from '../render/stdout.js';
import { SUMMARIES } from './summaries.js';
import { strictOption, analysisResourceOptions } from './options.js';

/**
 * Lines per write: few enough that they die young. Kept to 4096, they outlived the young generation (2 MB, the
 * binary's --max-semi-space-size) and a third of replay's CPU went to the collector: 1 M events 23.6 -> 13.7 CPU-s.
 */
const OUT_LINES = 32;

export function register(program: Command): void {
  analysisResourceOptions(program.command('replay'))
    .description(SUMMARIES.replay)
    .argument('<dir>', 'capture directory')
    .option('--skb <addr>', 'only events of this skb address (0x…)')
    .option('--flow <filter>', `only events of the skb lifetimes matching, e.g. 'tcp port 80' (${FLOW_HELP})`)
    .option('--no-cache', 'with --flow: do not read or write <dir>/.cache')
    .addOption(strictOption())
    .addOption(new Option('--layout <layout>', "pwru: the text layout each event was recorded in (header first); json: pwru's --output-json lines").choices(['pwru', 'json']).default('pwru'))
    .option('--json', 'the same as --layout json', false)
    .addHelpText('after', `
Examples:
  skbtape replay cap | less
  skbtape replay cap --skb 0xffff91ba905e1ce8
  skbtape replay cap --flow 'tcp port 80 and verdict dropped' --layout json | jq .func

Every line is rendered from the stored fields (no copy of the text is kept).
Exit codes: 0 printed (a --flow that matches nothing is a warning naming it); 2 bad input, or not a capture.`)
    .action(async (dir: string, o: { skb?: string; flow?: string; layout: string; json: boolean; cache: boolean; strict: boolean }) => {
      const json = o.json || o.layout === 'json';
      const m = readManifest(dir);
      let skb: bigint | null = null;
      if (o.skb !== undefined) {
        if (!/^0x[0-9a-fA-F]{1,16}$/.test(o.skb)) throw new UserError(`--skb wants a hex address like 0xffff91ba905e1ce8, not '${o.skb}'`, '--skb');
        skb = BigInt(o.skb);
      }
      const warn = (w: string) => process.stderr.write(`skbtape: warning: ${w}\n`);
      if (m.status !== 'complete') warn(`capture status is ${m.status}${m.statusReason ? ` (${m.statusReason})` : ''}`);
      let seqs: { has(seq: number): boolean } | null = null;
      if (o.flow !== undefined && o.flow.trim() !== '') {
        const { flowEventSeqs } = await import('../analyze/flow-select.js'); // DuckDB loads only for --flow
        seqs = await flowEventSeqs(dir, o.flow, { cache: o.cache, warn, strict: o.strict });
      }
      const st = newRenderState();
      let lastLayout = '';
      const out: string[] = [];
      const { batchFiles, readEvents } = await import('../capture/reader.js'); // Arrow loads only when needed
      const { captureFaults } = await import('../capture/verify.js');
      for (const f of captureFaults(m, batchFiles(dir))) {
        if (o.strict) throw new UserError(`${dir}: ${f.text}; refusing to read on (--strict)`, f.file ?? dir);
        warn(f.text);
      }
      let seq = -1;
      for (const e of readEvents(dir, { warn, manifest: m, strict: o.strict })) {
        seq++;
        if (skb !== null && e.skb !== skb) continue;
        if (seqs !== null && !seqs.has(seq)) continue;
        if (json) out.push(renderJson(e));
        else {
          if (e.layout !== lastLayout) {
            const h = renderHeader(parseLayoutKey(e.layout));
            if (h !== null) out.push(h);
            lastLayout = e.layout;
          }
          out.push(renderText(e, st));
        }
        if (out.length >= OUT_LINES) await writeOut(out.splice(0).join('\n') + '\n');
      }
      if (out.length) await writeOut(out.join('\n') + '\n');
    });
}
