// Writing data to stdout with backpressure. When the reader goes away (`| head`), the CLI exits quietly.
export class StdoutClosed extends Error {}

export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.destroyed) return reject(new StdoutClosed());
    const ok = process.stdout.write(text, (err) => {
      if (err) reject((err as NodeJS.ErrnoException).code === 'EPIPE' ? new StdoutClosed() : err);
    });
    if (ok) resolve();
    else process.stdout.once('drain', resolve);
  });
}
