// Worker thread of the parallel feeder: parses one chunk of pwru output (whole lines, normally starting at an event
// line) into a fragment of raw columns, log/reject lines and statistics, and hands them back. Ordering, batches and
// files are the main thread's job (ingest/parallel.ts, the capture writer).
import { parentPort } from 'node:worker_threads';
import { fragmentBuffers, LineAccumulator, newCounts, type ChunkOutput } from '../capture/columns.js';
import { newParserState, parseHeader, type InputFormat } from './line-parser.js';
import { LineFeeder } from './line-feeder.js';
import { fastReaders } from './fast-path.js';

/** One set of fast-path readers per worker: their interned strings carry over from chunk to chunk. */
const readers = fastReaders();

export interface ChunkJob {
  seq: number;
  startLine: number;
  header: string | null;
  format: InputFormat;
  bytes: Uint8Array;
  fast?: boolean;
  /** Parser state left by the chunk before (a chunk cut where no event begins: a live flush); else a fresh state. */
  inEvent?: boolean;
  inPanic?: boolean;
}

export interface ChunkResult extends ChunkOutput {
  seq: number;
  fastLines: number;
  /** Parser state at the chunk's end, for a following chunk that does not begin at an event. */
  inEvent: boolean;
  inPanic: boolean;
  /** The job's input buffer, handed back for the main thread to read the next chunk into (no new 4 MiB per chunk). */
  spare?: ArrayBuffer;
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
  state.inEvent = job.inEvent ?? false;
  state.inPanic = job.inPanic ?? false;
  const counts = newCounts();
  const headers: ChunkResult['headers'] = [];
  const firstRejects: ChunkResult['firstRejects'] = [];
  // Room for every line of the chunk and one more (a full accumulator seals a batch): a fragment is never sealed
  // into batches here, the main thread cuts those.
  const acc = new LineAccumulator(counts, headers, firstRejects, countLines(bytes) + 1);
  const feeder = new LineFeeder(acc, state, { startLine: job.startLine, fast: job.fast, readers });
  feeder.feed(bytes);
  feeder.end();
  acc.endInput();
  const fragment = acc.takeFragment();
  const text = acc.takeText();
  const st = acc.stats;
  return {
    seq: job.seq, fastLines: feeder.fastLines, fragment, logs: text.logs, rejects: text.rejects, counts, headers, firstRejects,
    skbs: st.skbs.toArray(), pids: [...st.pids], layouts: [...st.layouts],
    minKtime: st.minKtime?.toString() ?? null, maxKtime: st.maxKtime?.toString() ?? null,
    firstAbs: st.firstAbs, lastAbs: st.lastAbs, inEvent: state.inEvent, inPanic: state.inPanic,
  };
}

parentPort?.on('message', (job: ChunkJob) => {
  const r = processChunk(job);
  // Nothing of the result refers to the input's bytes (strings are copied out of them): it can go back.
  r.spare = job.bytes.buffer as ArrayBuffer;
  parentPort!.postMessage(r, [...fragmentBuffers(r.fragment), r.skbs.buffer as ArrayBuffer, r.spare]);
});
