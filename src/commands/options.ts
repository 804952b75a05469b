// Options several commands share, defined once so their flag and help read the same everywhere.
import { Option } from 'commander';

/** --strict: refuse a capture with a damaged, missing or duplicated batch instead of warning and skipping it. */
export const strictOption = (): Option =>
  new Option('--strict', 'a damaged, missing or duplicated batch is an error (exit 2), not a warning and a skip').default(false);
