// One line stream (a saved file, or a tracer's live stdout) through the line parser into a capture writer.
// Shared by `import` and the recorder; which stream and when to stop are theirs.
import type { Readable } from 'node:stream';
import split2 from 'split2';
import type { CaptureWriter } from '../capture/batch-writer.js';
import type { LogKind } from '../capture/parsed.js';
import { newParserState, parseLine, type InputFormat } from './line-parser.js';

/** A tracer's own stdout chatter (bpftrace's ready line, `Lost N events`) is kept as a log line, not parsed. */
export type OwnLineClassifier = (line: string) => LogKind | null;

/** Feed a line stream through parser and writer; resolves when the input ends. Shared with the recorder. */
export function pumpLines(input: Readable, writer: CaptureWriter, format: InputFormat, onLine?: (n: number) => void, own?: OwnLineClassifier): Promise<void> {
  const state = newParserState(format);
  let lineNo = 0;
  return new Promise((resolve, reject) => {
    const lines = input.pipe(split2());
    input.on('error', reject);
    lines.on('error', reject);
    lines.on('data', (line: string) => {
      lineNo++;
      const k = own?.(line);
      writer.add(k ? { kind: 'log', logKind: k, text: line } : parseLine(line, lineNo, state), lineNo, line);
      onLine?.(lineNo);
    });
    lines.on('end', resolve);
  });
}
