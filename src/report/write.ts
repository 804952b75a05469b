// `skbtape report`'s one job as data: build the report (data.ts), render it (html.ts), write it next to its final
// name and rename, so a failure leaves no half file and a file that is not ours is never replaced without --force.
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { buildReport } from './data.js';
import { renderReportHtml } from './html.js';

export interface WriteReportResult {
  file: string; bytes: number; ms: number;
  captures: { id: string; events: number; lifetimes: number; flows: number; paths: number; dropped: number }[];
  diff: string | null;
}

export async function writeReport(capture: string, file: string, o: { diff?: string; force?: boolean; cache?: boolean; warn?: (m: string) => void; step?: (s: string) => void } = {}): Promise<WriteReportResult> {
  if (existsSync(file) && !o.force) throw new UserError(`${file} exists; give --force to replace it`, '--output');
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserError(`${file} is a directory; -o wants a file name like report.html`, '--output');
  const t0 = performance.now();
  o.step?.(`aggregating ${capture}${o.diff ? ` and ${o.diff}` : ''} in DuckDB…`);
  const data = await buildReport(capture, o);
  o.step?.('rendering the page…');
  const html = renderReportHtml(data);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${file}: ${(e as Error).message}`, '--output');
  }
  return {
    file, bytes: Buffer.byteLength(html), ms: Math.round(performance.now() - t0),
    captures: data.captures.map((c) => ({ id: c.id, ...c.summary })) as WriteReportResult['captures'],
    diff: data.diff?.result.summary.sentence ?? null,
  };
}
