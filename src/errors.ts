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
