// The recorder's final status as a table: how a recording stopped -> the manifest's status and reason.
import { describe, expect, it } from 'vitest';
import { recordingStatus, type StatusFacts } from '../src/record/recorder.js';

const base: StatusFacts = { tool: 'pwru', stopReason: 'command-done', hard: false, wasReady: true, commandCut: false, exit: { code: 0, signal: null } };

describe('recordingStatus', () => {
  const cases: [string, Partial<StatusFacts>, string, string][] = [
    ['command done', {}, 'complete', 'test command finished'],
    ['--duration', { stopReason: 'duration' }, 'complete', '--duration reached'],
    ['--max-events', { stopReason: 'max-events' }, 'complete', '--max-events reached'],
    ['Ctrl-C, no command', { stopReason: 'signal', stopDetail: 'SIGINT' }, 'complete', 'stopped by SIGINT'],
    ['tracer exited 0', { stopReason: 'tracer-exit' }, 'complete', 'pwru exited by itself'],
    ['tracer exited 1', { stopReason: 'tracer-exit', exit: { code: 1, signal: null }, lastMessage: 'failed to load BTF' }, 'failed', 'pwru exited with code 1: failed to load BTF'],
    ['tracer killed', { stopReason: 'tracer-exit', exit: { code: null, signal: 'SIGSEGV' } }, 'failed', 'pwru exited on SIGSEGV'],
    ['Ctrl-C before ready', { stopReason: 'signal', stopDetail: 'SIGINT', wasReady: false }, 'interrupted', 'stopped by SIGINT before pwru was ready'],
    ['Ctrl-C during the command', { stopReason: 'signal', stopDetail: 'SIGINT', commandCut: true }, 'interrupted', 'stopped by SIGINT before the test command finished'],
    ['--duration during the command', { stopReason: 'duration', commandCut: true, tool: 'bpftrace' }, 'interrupted', '--duration reached before the test command finished'],
    ['second Ctrl-C', { stopReason: 'signal', hard: true, hardDetail: 'SIGINT', commandCut: true }, 'interrupted', 'stopped at once by a second SIGINT'],
    ['hard stop wins over a failed tracer', { stopReason: 'tracer-exit', hard: true, exit: { code: 2, signal: null } }, 'interrupted', 'stopped at once by a second stop request'],
  ];
  it.each(cases)('%s', (_name, facts, status, reason) => {
    expect(recordingStatus({ ...base, ...facts })).toEqual({ status, reason });
  });
});
