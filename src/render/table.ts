// Plain aligned tables (header, dashes, rows; numbers right-aligned) through cli-table3, which measures display
// width (CJK, emoji) and elides with `…`; fitted to the terminal when one is there. BigInt-safe JSON beside it.
import Table from 'cli-table3';
import stringWidth from 'string-width';

/** JSON.stringify that prints BigInt as a number when it is safe, else as a decimal string. */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString()) : x), indent);
}


const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(cell).join(' → ');
  if (typeof v === 'object') return toJson(v);
  return String(v).replace(/[\r\n\t]+/g, ' ');
};

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};
/** A column is never elided below this many cells (or its own width, if narrower). */
const MIN_COL = 8;

export interface TableOptions {
  /** Fit the table into this many cells, eliding the widest columns with `…`; default: the terminal's width, or no limit when stdout is not a terminal. */
  maxWidth?: number;
}

/** Column widths that fit `maxWidth`: the widest column gives up a cell at a time, none below MIN_COL. */
export function fitWidths(natural: readonly number[], maxWidth: number, gap = 2): number[] {
  const w = [...natural];
  const total = () => w.reduce((a, b) => a + b, 0) + gap * Math.max(0, w.length - 1);
  while (total() > maxWidth) {
    let i = -1;
    for (let j = 0; j < w.length; j++) if (w[j]! > Math.min(MIN_COL, natural[j]!) && (i < 0 || w[j]! > w[i]!)) i = j;
    if (i < 0) break;
    w[i]!--;
  }
  return w;
}

/** A plain text table: header, dashes, rows; numbers right-aligned; long cells elided with `…` to fit the width. */
export function renderTable(columns: string[], rows: unknown[][], opts: TableOptions = {}): string {
  const text = rows.map((r) => columns.map((_, i) => cell(r[i])));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const natural = columns.map((c, i) => Math.max(1, stringWidth(c), ...text.map((r) => stringWidth(r[i]!))));
  const maxWidth = opts.maxWidth ?? (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : Infinity);
  const widths = fitWidths(natural, maxWidth);
  const t = new Table({
    head: columns, chars: NO_BORDER, colWidths: widths, colAligns: numeric.map((n) => (n ? 'right' : 'left')),
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true }, truncate: '…', wordWrap: false,
  });
  t.push(widths.map((w) => '-'.repeat(w)), ...text);
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n') + '\n';
}

/** `{pass: 3, drop: 1}` -> `drop 1, pass 3` (keys sorted); `none` when empty. */
export const fmtCounts = (o: Record<string, number>) => Object.entries(o).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
