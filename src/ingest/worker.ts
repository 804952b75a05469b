// Worker thread of the parallel importer: parses one chunk of pwru output (whole lines, starting at an event line)
// into Arrow batch bytes, log/reject lines and statistics, and hands them back. Ordering and files are the main
// thread's job (ingest/parallel.ts).
import { parentPort } from 'node:worker_threads';
import { LineAccumulator, newCounts } from '../capture/batch-writer.js';
import { newParserState, parseHeader, parseLine, type InputFormat } from './line-parser.js';

export interface ChunkJob { seq: number; startLine: number; header: string | null; format: InputFormat; bytes: Uint8Array; batchRows: number }

export interface ChunkResult {
  seq: number;
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

const decoder = new TextDecoder('utf-8');

export function processChunk(job: ChunkJob): ChunkResult {
  const text = decoder.decode(job.bytes);
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const state = newParserState(job.format);
  if (job.header !== null) {
    state.header = parseHeader(job.header);
    state.headerText = job.header;
  }
  const counts = newCounts();
  const headers: ChunkResult['headers'] = [];
  const firstRejects: ChunkResult['firstRejects'] = [];
  // Column buffers sized to the chunk, not to a full batch: a chunk is usually far smaller than a batch.
  const acc = new LineAccumulator(counts, headers, firstRejects, Math.max(1, Math.min(job.batchRows, lines.length)));
  let lineNo = job.startLine;
  for (const raw of lines) {
    lineNo++;
    // split2 splits on \r?\n: drop the \r here too so both paths see the same lines.
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    acc.add(parseLine(line, lineNo, state), lineNo, line);
  }
  acc.endInput();
  const out = acc.take(true);
  const st = acc.stats;
  return {
    seq: job.seq, ...out, counts, headers, firstRejects,
    skbs: st.skbs.toArray(), pids: [...st.pids], layouts: [...st.layouts],
    minKtime: st.minKtime?.toString() ?? null, maxKtime: st.maxKtime?.toString() ?? null,
    firstAbs: st.firstAbs, lastAbs: st.lastAbs,
  };
}

parentPort?.on('message', (job: ChunkJob) => {
  const r = processChunk(job);
  parentPort!.postMessage(r, [...r.batches.map((b) => b.buffer as ArrayBuffer), r.skbs.buffer as ArrayBuffer]);
});
