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
