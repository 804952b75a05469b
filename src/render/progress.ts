// One live status line on stderr while long work runs, redrawn at most ~8 times a second.
// Quiet when stderr is not a TTY (piped, CI), so logs stay clean.
export interface Progress {
  update(text: () => string): void;
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr, enabled = Boolean(stream.isTTY)): Progress {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 120) return;
      last = now;
      const cols = stream.columns || 100;
      stream.write(`\r\x1b[K${text().slice(0, cols - 1)}`);
      shown = true;
    },
    done() {
      if (enabled && shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

export const fmtRate = (n: number, ms: number) => (ms > 0 ? `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s` : '-');
export const fmtBytes = (b: number) =>
  b < 1024 ? `${b} B` : b < 1 << 20 ? `${(b / 1024).toFixed(1)} KiB` : b < 1 << 30 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / (1 << 30)).toFixed(2)} GiB`;

const fmtSeconds = (s: number) => (s < 90 ? `${Math.ceil(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/**
 * The import status line: with a known input size, the share read, bytes, byte rate and the time left at that rate
 * (`importing: 45% · 83.0 MiB of 184.0 MiB · 21.3 MiB/s · 420,000 lines · 5 s left`); from a pipe, what is known.
 */
export function importStatus(lines: number, bytes: number, size: number, ms: number): string {
  const rate = ms > 0 ? (bytes * 1000) / ms : 0;
  const parts = [`${lines.toLocaleString('en-US')} lines`];
  if (rate > 0) parts.unshift(`${fmtBytes(Math.round(rate))}/s`);
  if (size > 0) {
    const done = Math.min(bytes, size);
    parts.unshift(`${Math.floor((done * 100) / size)}%`, `${fmtBytes(done)} of ${fmtBytes(size)}`);
    if (rate > 0 && done < size) parts.push(`${fmtSeconds((size - done) / rate)} left`);
  } else parts.unshift(fmtBytes(bytes));
  return `importing: ${parts.join(' · ')}`;
}
