#!/usr/bin/env node
// Entry point: runs the compiled CLI. `make setup` (or `npm ci`) builds dist/ first.
import('../dist/cli.js').then((m) => m.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('skbtape: not built yet (run `make setup` or `npm ci` in the checkout)\n');
    process.exit(2);
  }
  throw err;
});
