// The one error type users see. A UserError is bad input, a missing tool or a bad flag: the CLI prints it as
// one line `skbtape: <what> (<where>)` and exits non-zero without a stack. Any other error is a bug.

export class UserError extends Error {
  /** file:line, --flag, or a command name: where the user should look. */
  readonly where?: string;
  readonly exitCode: number;
  /** Lines printed under the one-line message, as given (e.g. DuckDB's hints and its `LINE n ^` caret). */
  readonly detail?: string;
  constructor(message: string, where?: string, exitCode = 2, detail?: string) {
    super(message);
    this.name = 'UserError';
    this.where = where;
    this.exitCode = exitCode;
    this.detail = detail;
  }
}

export function formatUserError(err: UserError): string {
  const line = `skbtape: ${err.message}${err.where ? ` (${err.where})` : ''}`;
  return err.detail ? `${line}\n${err.detail.replace(/^/gm, '  ')}` : line;
}

/** What a write failed on, in words: a full disk, a read-only mount, a path we may not write. */
const WRITE_ERRNO: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EFBIG: 'file too large', EIO: 'input/output error',
};

/**
 * A failed write as one line naming the errno and the path (`no space left on device writing cap/events/000042.arrows`),
 * exit 2; null for an error that is not a known write failure (a bug keeps its stack).
 */
export function writeUserError(err: unknown, path: string): UserError | null {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const what = code !== undefined ? WRITE_ERRNO[code] : undefined;
  return what === undefined ? null : new UserError(`${what} writing ${path}`);
}

/** DuckDB's IO errors say the errno in words: the same one line for a failed COPY or database write. */
export function duckdbWriteError(err: unknown, path: string): UserError | null {
  const msg = (err as Error)?.message ?? '';
  for (const [code, what] of Object.entries(WRITE_ERRNO)) {
    if (msg.includes(STRERROR[code] ?? what)) return new UserError(`${what} writing ${path}`);
  }
  return null;
}
/** strerror(3) texts, as DuckDB quotes them. */
const STRERROR: Record<string, string> = {
  ENOSPC: 'No space left on device', EDQUOT: 'Disk quota exceeded', EROFS: 'Read-only file system', EACCES: 'Permission denied',
  EPERM: 'Operation not permitted', EFBIG: 'File too large', EIO: 'Input/output error',
};

/** Node system errors (ENOENT, EISDIR, EACCES…) on a path the user gave become UserErrors naming that path. */
export function fsUserError(err: unknown, path: string, what = 'cannot read'): UserError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e?.code === 'ENOENT' ? 'no such file or directory'
    : e?.code === 'EISDIR' ? 'is a directory, expected a file'
    : e?.code === 'ENOTDIR' ? 'not a directory'
    : e?.code === 'EACCES' ? 'permission denied'
    : (e?.message ?? String(err));
  return new UserError(`${what} ${path}: ${reason}`, path);
}
