// The README's command reference is the program's own: every command, every flag and each command's exit codes as
// its --help states them. `make readme` rewrites it; this test fails when they differ (a flag added without the
// README, an exit code changed in one place only).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { END, referenceTable, START } from './helpers/reference.js';
import { ROOT } from './helpers/real.js';

it('the README command reference matches every command\'s flags and exit codes', async () => {
  const file = join(ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const table = await referenceTable();
  const a = readme.indexOf(START), b = readme.indexOf(END);
  expect(a, 'README.md has no generated reference section').toBeGreaterThan(0);
  const current = readme.slice(a, b + END.length);
  if (process.env['SKBTAPE_WRITE_README'] === '1') writeFileSync(file, readme.replace(current, table));
  else expect(current).toBe(table);
  // Facts checked without the generator: a flag and an exit code from two commands' help.
  expect(table).toMatch(/\| `attach` \|[^\n]*`--identities <file>`/);
  expect(table).toMatch(/\| `diff` \|[^\n]*\| \(like diff\(1\)\) 0 no differences/);
  expect(table.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(17);
});
