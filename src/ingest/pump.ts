// One byte stream (a saved file, or a tracer's live stdout) through the line feeder (byte-level fast path, else the
// general line parser) into a capture writer. Shared by `import` and the recorder; which stream and when to stop
// are theirs.
import type { Readable } from 'node:stream';
import type { CaptureWriter } from '../capture/batch-writer.js';
import type { LogKind } from '../capture/parsed.js';
import type { PwruEvent } from '../capture/event-schema.js';
import { newParserState, type InputFormat } from './line-parser.js';
import { LineFeeder } from './line-feeder.js';

/** A tracer's own stdout chatter (bpftrace's ready line, `Lost N events`) is kept as a log line, not parsed. */
export type OwnLineClassifier = (line: string) => LogKind | null;

/**
 * Feed a byte stream through the parsers and the writer, line by line; resolves when the input ends, with the
 * number of lines the byte-level path read. `fast: false` reads every line with the general parser (the fast
 * path's reference in tests). The recorder's `record --print` sees each event as it is parsed (onEvent).
 */
export function pumpLines(
  input: Readable, writer: CaptureWriter, format: InputFormat, onLine?: (n: number) => void, own?: OwnLineClassifier, fast?: boolean,
  onEvent?: (e: PwruEvent) => void,
): Promise<number> {
  const feeder = new LineFeeder(writer, newParserState(format), { onLine, own, fast, onEvent });
  return new Promise((resolve, reject) => {
    input.on('error', reject);
    input.on('data', (b: Buffer | string) => {
      try {
        feeder.feed(typeof b === 'string' ? Buffer.from(b) : b);
      } catch (e) {
        input.destroy();
        reject(e);
      }
    });
    input.on('end', () => {
      try {
        feeder.end();
        resolve(feeder.fastLines);
      } catch (e) {
        reject(e);
      }
    });
  });
}
