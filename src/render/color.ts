// Colour on a terminal only: `--color auto|always|never` (auto: stdout is a TTY, NO_COLOR unset, TERM not dumb),
// through picocolors (tiny, no dependencies, the NO_COLOR convention built in). Renderers ask `paint()` for colours.
import pc from 'picocolors';
import { UserError } from '../errors.js';

export type ColorMode = 'auto' | 'always' | 'never';
let mode: ColorMode = 'auto';

export function setColorMode(m: string): void {
  if (m !== 'auto' && m !== 'always' && m !== 'never') throw new UserError(`--color wants auto, always or never, not '${m}'`, '--color');
  mode = m;
}

export function colorEnabled(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (mode !== 'auto') return mode === 'always';
  return isTTY && !('NO_COLOR' in env && env['NO_COLOR'] !== '') && env['TERM'] !== 'dumb';
}

/** The colour functions for stdout now (identity functions when colour is off). */
export const paint = (): ReturnType<typeof pc.createColors> => pc.createColors(colorEnabled());
