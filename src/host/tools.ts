// Running the host's helper tools (crictl, nsenter, ethtool, ip, cilium-dbg, bpftool): argv arrays only, never a
// shell; a failure is reported as data with a one-line reason, never thrown. What the output means is the caller's.
import { execa } from 'execa';

export interface ToolOptions {
  /** Environment (PATH) for the tools; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-command timeout; default 10 s. */
  timeoutMs?: number;
}

export interface ToolResult {
  ok: boolean;
  /** The tool itself is not installed (spawn ENOENT). */
  missing: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** One line saying why it failed: first stderr line, exit code or timeout. */
  reason: string;
}

/** Readable form of an argv for messages and the manifest; quotes only what a shell would need quoted. */
export function argvText(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./^$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Runs argv (never through a shell) and reports instead of throwing. */
export async function runTool(argv: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const r = await runToolBytes(argv, opts);
  return { ...r, stdout: Buffer.from(r.bytes).toString('utf8').replace(/\n$/, '') };
}

/** runTool with stdout kept verbatim as bytes (trailing newlines included): snapshots are stored as printed. */
export async function runToolBytes(argv: readonly string[], opts: ToolOptions = {}): Promise<Omit<ToolResult, 'stdout'> & { bytes: Uint8Array }> {
  const [file, ...args] = argv;
  const timeout = opts.timeoutMs ?? 10_000;
  const r = await execa(file!, args, {
    reject: false,
    timeout,
    env: opts.env,
    extendEnv: opts.env === undefined,
    stdin: 'ignore',
    encoding: 'buffer',
    stripFinalNewline: false,
  });
  const stderr = Buffer.from(r.stderr ?? new Uint8Array()).toString('utf8').replace(/\n$/, '');
  const missing = r.code === 'ENOENT';
  const reason = missing ? `${file} not found on PATH`
    : r.timedOut ? `timed out after ${timeout} ms`
    : r.failed ? (firstLine(stderr) || (r.exitCode !== undefined ? `exit code ${r.exitCode}` : r.shortMessage ?? 'failed'))
    : '';
  return { ok: !r.failed, missing, timedOut: r.timedOut, bytes: r.stdout ?? new Uint8Array(), stderr, reason };
}
