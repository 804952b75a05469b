// Cuts pwru output bytes into lines (on \n, dropping the \r of \r\n, as split2 does) and sends each one to the
// byte-level readers of fast-path.ts, or, when they decline it, decoded to the general line parser. Shared by
// import, record and the import workers; what a line means is the parsers' job, what is kept the sink's.
import { endianness } from 'node:os';
import type { PwruEvent } from '../capture/event-schema.js';
import type { FastRow } from '../capture/fast-row.js';
import { fastReaders } from './fast-path.js';
import type { LogKind, Parsed } from '../capture/parsed.js';
import { parseLine, type ParserState } from './line-parser.js';

/** Where lines go: the capture writer, or an import worker's accumulator. */
export interface LineSink {
  add(p: Parsed, lineNo: number, text: string): void;
  fastRow(): FastRow;
  addFast(row: FastRow, whole: boolean): void;
}

export interface FeederOptions {
  /** Line number of the line before the first one fed (a worker's chunk starts mid-file). */
  startLine?: number;
  onLine?: (lineNo: number) => void;
  /** A tracer's own chatter on stdout: such lines are logs of that kind (every line is decoded first). */
  own?: (line: string) => LogKind | null;
  /** false: the general parser reads every line (tests compare both paths with it). */
  fast?: boolean;
  /** Readers (and their interned strings) to reuse: an import worker keeps one set across its chunks. */
  readers?: ReturnType<typeof fastReaders>;
  /** Each event as it is parsed (`record --print`); the fast path, which builds no event objects, is then off. */
  onEvent?: (e: PwruEvent) => void;
}

const NL = 0x0a;
const CR = 0x0d;
// The fast path writes 64-bit columns as two uint32 halves in memory order.
const FAST_OK = endianness() === 'LE';

export class LineFeeder {
  lineNo: number;
  /** Lines the byte-level readers took. */
  fastLines = 0;
  private parts: Buffer[] = [];
  private readonly readers: ReturnType<typeof fastReaders>;
  private readonly fast: boolean;

  constructor(private readonly sink: LineSink, readonly state: ParserState, private readonly o: FeederOptions = {}) {
    this.lineNo = o.startLine ?? 0;
    this.readers = o.readers ?? fastReaders();
    this.fast = FAST_OK && o.fast !== false && o.own === undefined && o.onEvent === undefined;
  }

  /** Every complete line in `chunk` (with what was left from the chunks before); the rest waits for more. */
  feed(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NL);
    if (this.parts.length) {
      if (nl < 0) { this.parts.push(chunk); return; }
      this.parts.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.parts);
      this.parts = [];
      this.lineEnd(line, 0, line.length);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    while (nl >= 0) {
      this.lineEnd(chunk, start, nl);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
  }

  /** End of input: a last line without its newline is a line too. */
  end(): void {
    if (!this.parts.length) return;
    const line = Buffer.concat(this.parts);
    this.parts = [];
    if (line.length) this.line(line, 0, line.length);
  }

  private lineEnd(buf: Buffer, s: number, e: number): void {
    this.line(buf, s, e > s && buf[e - 1] === CR ? e - 1 : e);
  }

  private line(buf: Buffer, s: number, e: number): void {
    const n = ++this.lineNo;
    const st = this.state;
    if (this.fast && st.held === null && e > s) {
      const c = buf[s];
      // The general parser's own conditions for reading a line as text or as JSON (parseOne).
      if (c === 0x30 && st.format !== 'json' && st.header !== null) {
        const row = this.sink.fastRow();
        if (this.readers.text.parse(buf, s, e, st.header, row, n)) {
          st.inEvent = true;
          st.inPanic = false;
          this.fastLines++;
          this.sink.addFast(row, false);
          this.o.onLine?.(n);
          return;
        }
      } else if (c === 0x7b && st.format !== 'text') {
        const row = this.sink.fastRow();
        if (this.readers.json.parse(buf, s, e, row, n)) {
          st.inEvent = false;
          this.fastLines++;
          this.sink.addFast(row, true);
          this.o.onLine?.(n);
          return;
        }
      }
    }
    const text = buf.toString('utf8', s, e);
    const k = this.o.own?.(text);
    const p: Parsed = k ? { kind: 'log', logKind: k, text } : parseLine(text, n, st);
    this.sink.add(p, n, text);
    if (p.kind === 'event') this.o.onEvent?.(p.event);
    this.o.onLine?.(n);
  }
}
