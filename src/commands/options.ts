// Options several commands share, defined once so their flag and help read the same everywhere.
import { Option, type Command } from 'commander';

/** --strict: refuse a capture with a damaged, missing or duplicated batch instead of warning and skipping it. */
export const strictOption = (): Option =>
  new Option('--strict', 'a damaged, missing or duplicated batch is an error (exit 2), not a warning and a skip').default(false);

/**
 * --memory-limit and --temp-dir, for every command that loads captures into DuckDB: checked and handed to the loader
 * (analyze/db-resources.ts) before the command's action runs, so each command's own code never sees them.
 */
export function analysisResourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--memory-limit <size>', "DuckDB's memory limit for the analysis: 2GB, 512MB, 25% (of RAM); default a quarter of the free memory, 256 MB to 512 MB"))
    .addOption(new Option('--temp-dir <dir>', "where the working database and DuckDB's spill files go (a directory of our own inside it, removed after); default the system temp dir"))
    .hook('preAction', async (_cmd, action) => {
      const o = action.opts<{ memoryLimit?: string; tempDir?: string }>();
      if (o.memoryLimit === undefined && o.tempDir === undefined) return;
      const r = await import('../analyze/db-resources.js');
      r.setAnalysisResources({
        memoryLimit: o.memoryLimit === undefined ? null : r.parseMemoryLimit(o.memoryLimit),
        tempDir: o.tempDir === undefined ? null : r.checkTempDir(o.tempDir),
      });
    });
}
