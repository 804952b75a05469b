// Output helpers shared by commands: BigInt-safe JSON and plain aligned tables. Commands decide what to print;
// these decide how.

/** JSON.stringify that prints BigInt as a number when it is safe, else as a decimal string. */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString()) : x), indent);
}

export function printJson(v: unknown): void {
  process.stdout.write(toJson(v, 2) + '\n');
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(cell).join(' → ');
  if (typeof v === 'object') return toJson(v);
  return String(v);
};

/** A plain text table: header, dashes, rows; numbers right-aligned. */
export function renderTable(columns: string[], rows: unknown[][]): string {
  const text = rows.map((r) => r.map(cell));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const width = columns.map((c, i) => Math.min(80, Math.max(c.length, ...text.map((r) => r[i]!.length))));
  const fmt = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join('  ').trimEnd();
  return [fmt(columns), width.map((w) => '-'.repeat(w)).join('  '), ...text.map(fmt)].join('\n') + '\n';
}

/** `{pass: 3, drop: 1}` -> `drop 1, pass 3` (keys sorted); `none` when empty. */
export const fmtCounts = (o: Record<string, number>) => Object.entries(o).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
