// The installed binary, as a user runs it: node_modules/.bin/skbtape (linked by `make setup`), started through its
// own shebang and flags. Tests never run `node bin/skbtape.js`, which would skip those flags.
import { join } from 'node:path';
import { ROOT } from './real.js';

export const SKBTAPE = join(ROOT, 'node_modules/.bin/skbtape');
