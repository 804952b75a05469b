// What the line parser hands the batch writer for one input line: the contract between ingest and capture.
import type { PwruEvent } from './event-schema.js';

/**
 * What one input line is. Every line gets exactly one answer, so events + continuation + log + reject + blank
 * lines = input lines holds, with one twist for mail-wrapped pastes: a line that stops before the header's
 * columns are all there is `held` (no count yet). The next line either completes it (an `event` with `joined` =
 * the held lines: the first counts as the event line, the others and this one as continuation lines) or it
 * does not (`heldRejected` gives the reason the held lines become rejects, then this line is read on its own).
 * At the end of input held lines become rejects (LineAccumulator.endInput).
 */
export type Parsed = ParsedLine & { heldRejected?: string };

export type ParsedLine =
  | { kind: 'event'; event: PwruEvent; joined?: number }
  /** Maybe the first part of a wrapped event line: the next line decides. */
  | { kind: 'held' }
  /** Belongs to the event above it (stack frame, skb dump, metadata line…). */
  | { kind: 'continuation'; text: string }
  | { kind: 'log'; logKind: LogKind; text: string }
  | { kind: 'blank' }
  | { kind: 'reject'; reason: string };

export type LogKind = 'header' | 'log' | 'progress' | 'panic' | 'signal' | 'tracer';
