// No function in src/ is longer than about 80 lines unless the comment just above it says why it is kept whole
// (issue #11). Read with the TypeScript compiler's own parser, so nested arrow functions and methods count too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const LIMIT = 80;
const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : n.endsWith('.ts') ? [join(d, n)] : []));

interface Long { where: string; lines: number; reason: boolean }

function longFunctions(file: string): Long[] {
  const text = readFileSync(file, 'utf8');
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Long[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n)) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.getEnd()).line;
      if (b - a + 1 > LIMIT) {
        // The comments before the declaration (or the statement holding an arrow function).
        const holder = ts.isArrowFunction(n) || ts.isFunctionExpression(n) ? n.parent?.parent?.parent ?? n : n;
        const comments = (ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []).map((r) => text.slice(r.pos, r.end)).join('\n');
        out.push({ where: `${relative(SRC, file)}:${a + 1}`, lines: b - a + 1, reason: /Kept whole/.test(comments) });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

describe('function length', () => {
  const all = files(SRC).flatMap(longFunctions);

  it(`every function over ${LIMIT} lines says why it is kept whole`, () => {
    expect(all.filter((f) => !f.reason).map((f) => `${f.where} (${f.lines} lines)`)).toEqual([]);
  });

  it('measures something (the rule is not vacuous)', () => {
    // The bpftrace probe template is long on purpose; if it is ever split this becomes a different check.
    expect(all.some((f) => f.where.startsWith('record/tracepoint-program.ts'))).toBe(true);
  });
});
