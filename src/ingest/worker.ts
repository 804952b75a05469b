// Worker thread of the parallel importer: parses one chunk of pwru output (whole lines, starting at an event line)
// into Arrow batch bytes, log/reject lines and statistics, and hands them back. Ordering and files are the main
// thread's job (ingest/parallel.ts).
import { parentPort } from 'node:worker_threads';
import { LineAccumulator, newCounts } from '../capture/batch-writer.js';
import { newParserState, parseHeader, type InputFormat } from './line-parser.js';
import { LineFeeder } from './line-feeder.js';
import { fastReaders } from './fast-path.js';

/** One set of fast-path readers per worker: their interned strings carry over from chunk to chunk. */
const readers = fastReaders();

export interface ChunkJob { seq: number; startLine: number; header: string | null; format: InputFormat; bytes: Uint8Array; batchRows: number; fast?: boolean }

export interface ChunkResult {
  seq: number;
  fastLines: number;
  batches: Uint8Array[];
  logs: string[];
  rejects: string[];
  counts: ReturnType<typeof newCounts>;
  headers: { line: number; text: string }[];
  firstRejects: { line: number; reason: string }[];
  skbs: BigUint64Array;
  pids: number[];
  layouts: string[];
  minKtime: string | null;
  maxKtime: string | null;
  firstAbs: string | null;
  lastAbs: string | null;
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n + (b.length && b[b.length - 1] !== 0x0a ? 1 : 0);
}

export function processChunk(job: ChunkJob): ChunkResult {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const state = newParserState(job.format);
  if (job.header !== null) {
    state.header = parseHeader(job.header);
    state.headerText = job.header;
  }
  const counts = newCounts();
  const headers: ChunkResult['headers'] = [];
  const firstRejects: ChunkResult['firstRejects'] = [];
  // Column buffers sized to the chunk, not to a full batch: a chunk is usually far smaller than a batch.
  const acc = new LineAccumulator(counts, headers, firstRejects, Math.max(1, Math.min(job.batchRows, countLines(bytes))));
  const feeder = new LineFeeder(acc, state, { startLine: job.startLine, fast: job.fast, readers });
  feeder.feed(bytes);
  feeder.end();
  acc.endInput();
  const out = acc.take(true);
  const st = acc.stats;
  return {
    seq: job.seq, fastLines: feeder.fastLines, ...out, counts, headers, firstRejects,
    skbs: st.skbs.toArray(), pids: [...st.pids], layouts: [...st.layouts],
    minKtime: st.minKtime?.toString() ?? null, maxKtime: st.maxKtime?.toString() ?? null,
    firstAbs: st.firstAbs, lastAbs: st.lastAbs,
  };
}

parentPort?.on('message', (job: ChunkJob) => {
  const r = processChunk(job);
  parentPort!.postMessage(r, [...r.batches.map((b) => b.buffer as ArrayBuffer), r.skbs.buffer as ArrayBuffer]);
});
