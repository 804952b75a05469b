// Golden files: written on the first local run and committed; under CI=true a missing one is a failure, so a
// test can never pass by writing its own expectation.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './real.js';

export function expectGolden(name: string, actual: string): void {
  const file = join(ROOT, 'test/golden', name);
  if (!existsSync(file)) {
    if (process.env['CI'] === 'true') throw new Error(`golden file missing: test/golden/${name} (run the tests locally and commit it)`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    console.warn(`wrote golden file test/golden/${name}`);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
