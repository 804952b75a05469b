// Links this checkout's own bin into node_modules/.bin so `npx skbtape` and ./node_modules/.bin/skbtape work
// in the checkout (npm links dependencies' bins, never the root package's own).
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'node_modules', '.bin');
mkdirSync(dir, { recursive: true });
rmSync(join(dir, 'skbtape'), { force: true });
symlinkSync('../../bin/skbtape.js', join(dir, 'skbtape'));
