// The live view while recording: `record --print` prints each event as it arrives in pwru's text layout, the test
// command's own output is shown as well as kept, and the status line says `attaching probes…` / `compiling…` until
// the tracer is ready. Against the fake pwru (test/fixtures/bin: real recorded events, real signal behaviour).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startRecording, type TracerPlan } from '../src/record/recorder.js';
import { ROOT } from './helpers/real.js';
import { SKBTAPE } from './helpers/cli.js';

const FAKES = join(ROOT, 'test/fixtures/bin');
const EVENTS = join(ROOT, 'samples/demo-delivered.events.json');
const tmp = mkdtempSync(join(tmpdir(), 'skbt-record-print-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function env(extra: Record<string, string> = {}): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SKBTAPE_FAKE_')) e[k] = v;
  return { ...e, PATH: `${FAKES}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

describe('record --print', () => {
  it('prints every recorded event once, in pwru text layout, and shows the command output on stderr as well as keeping it', async () => {
    const dir = join(tmp, 'print');
    const r = await execa(SKBTAPE, ['record', '-o', dir, '--print', '--snapshots', 'none', '--grace', '500ms', '--',
      'sh', '-c', 'echo from-the-command; echo to-stderr >&2'], { env: env({ SKBTAPE_FAKE_PWRU_EVENTS: EVENTS }), extendEnv: false, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const lines = r.stdout.split('\n');
    // A header in pwru's column names, then one line per event the capture kept, each ending in its function.
    expect(lines[0]).toMatch(/^SKB\s+CPU\s+PROCESS\s+TIMESTAMP\s+NETNS\s+MARK\/x\s+IFACE\s+PROTO\s+MTU\s+LEN\s+TUPLE\s+FUNC$/);
    const evLines = lines.slice(1);
    expect(evLines).toHaveLength(m.counts.events);
    expect(m.counts.events).toBeGreaterThan(0);
    // The same events, by function, as the fake printed them (the sample's records, in order).
    const funcs = readFileSync(EVENTS, 'utf8').trim().split('\n').slice(0, m.counts.events).map((l) => JSON.parse(l).func as string);
    expect(evLines.map((l) => l.trim().split(/\s+/).at(-1)!.replace(/\(.*$/, ''))).toEqual(funcs.map((f) => f.replace(/\(.*$/, '')));
    expect(evLines.every((l) => /^0xffff[0-9a-f]+ /.test(l))).toBe(true);
    // Line for line what pwru v1.0.10 prints in text for these records: the sample's text twin of the JSON.
    const text = readFileSync(join(ROOT, 'samples/demo-delivered.pwru.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.trimEnd());
    expect(lines.map((l) => l.trimEnd())).toEqual(text.slice(0, lines.length));
    // The command's output: on stderr, and kept in the capture.
    expect(r.stderr).toContain('from-the-command');
    expect(r.stderr).toContain('to-stderr');
    expect(readFileSync(join(dir, 'command/stdout'), 'utf8')).toBe('from-the-command\n');
    expect(readFileSync(join(dir, 'command/stderr'), 'utf8')).toBe('to-stderr\n');
    // The summary is not mixed into the events.
    expect(r.stderr).toMatch(/^events\s+[\d,]+ from/m);
  });

  it('--print with --json is refused (both would write stdout)', async () => {
    const r = await execa(SKBTAPE, ['record', '-o', join(tmp, 'both'), '--print', '--json', '--', 'true'], { env: env(), extendEnv: false, reject: false });
    expect([r.exitCode, r.stderr]).toEqual([2, "skbtape: --print writes events to stdout, where --json would put the summary; give one (--print)"]);
  });

  for (const [tool, text] of [['pwru', 'attaching probes…'], ['bpftrace', 'compiling the bpftrace program…']] as const) {
    it(`status line on a TTY says '${text}' until the ${tool} is ready`, async () => {
      const writes: string[] = [];
      let seen!: () => void;
      const sawAttaching = new Promise<void>((r) => (seen = r));
      const fakeTty = { isTTY: true, columns: 200, write: (s: string) => { writes.push(s); if (s.includes(text)) seen(); return true; } } as unknown as NodeJS.WriteStream;
      const dir = join(tmp, `status-${tool}`);
      const readyFile = join(dir, '.pwru-ready');
      // The fake never gets ready within the test (attach takes 10 minutes): the recording is stopped once the line was seen.
      const plan: TracerPlan = {
        tool, cmd: 'pwru', args: ['--output-json', '--ready-file', readyFile], format: 'json', readyFile,
        readyPattern: /Listening for events/, manifestPatch: {}, env: env({ SKBTAPE_FAKE_PWRU_EVENTS: EVENTS, SKBTAPE_FAKE_PWRU_ATTACH_MS: '600000' }),
      };
      const { control, done } = startRecording(plan, {
        outDir: dir, force: false, target: null, snapshots: { mode: 'none' }, readyTimeoutMs: 900_000, graceMs: 0, killGraceMs: 2000,
        flushMs: 200, flushEvents: 65536, showProgress: true, statusStream: fakeTty,
      });
      await sawAttaching;
      control.requestStop('signal', false, 'SIGINT');
      const r = await done;
      expect(r.manifest.status).toBe('interrupted');
      const status = writes.filter((w) => w.includes(text));
      expect(status[0]).toMatch(new RegExp(`^\\r\\x1b\\[K${text} \\d+\\.\\d s$`));
      expect(writes.some((w) => / events, /.test(w) && w.startsWith('\r\x1b[Krecording'))).toBe(false);
    });
  }
});
