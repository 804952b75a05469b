// One byte stream (a saved file, or a tracer's live stdout) through the line feeder (byte-level fast path, else the
// general line parser) into a capture writer. Shared by `import` and the recorder; which stream and when to stop
// are theirs. pumpParallel does the same with the parsing on worker threads.
import type { Readable } from 'node:stream';
import type { CaptureWriter, ChunkOutput } from '../capture/batch-writer.js';
import { ParallelFeeder, type ParallelOptions } from './parallel.js';
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

/** A stream being read through parser workers: `done` as pumpLines' promise; `flush` for a live recording's timer. */
export interface ParallelPump {
  done: Promise<number>;
  /** Everything read so far into the writer (the last event too with `includePending`), then the writer flushed. */
  flush(includePending: boolean): Promise<void>;
}

/**
 * pumpLines on worker threads (ingest/parallel.ts): this thread reads and writes, the workers parse. The input is
 * paused while the workers are behind (backpressure reaches a tracer's pipe as it would with one thread).
 * `onChunk` runs after each merged chunk (the recorder's --max-events, a progress line).
 */
export function pumpParallel(input: Readable, writer: CaptureWriter, o: ParallelOptions, onChunk?: () => void): ParallelPump {
  const sink = { addChunk: (r: ChunkOutput) => { writer.addChunk(r); onChunk?.(); } };
  const feeder = new ParallelFeeder(sink, o);
  let ended = false;
  const done = new Promise<number>((resolve, reject) => {
    const failed = (e: unknown) => {
      ended = true;
      input.destroy();
      void feeder.close();
      reject(e);
    };
    // The end of the input, or its close without one (a pipe destroyed after a hard stop): what was read is kept,
    // and the workers end (they would keep the process alive).
    const finish = () => {
      if (ended) return;
      ended = true;
      feeder.end().then(() => resolve(feeder.fastLines), reject);
    };
    input.on('error', failed);
    input.on('data', (b: Buffer | string) => {
      try {
        feeder.feed(typeof b === 'string' ? Buffer.from(b) : b);
      } catch (e) {
        failed(e);
        return;
      }
      const room = feeder.room();
      input.pause();
      room.then(() => input.resume(), failed);
    });
    input.on('end', finish);
    input.on('close', finish);
  });
  return {
    done,
    flush: async (includePending) => {
      if (ended) return;
      await feeder.flush(includePending);
      if (!ended) writer.flush(false);
    },
  };
}
