// The direction of imports between src/'s stage folders (README "Architecture"): record -> ingest -> capture;
// analyze -> capture + snapshots; diff/check -> analyze; report -> analyze + diff; render is used by all; nothing imports commands/ but the
// CLI. A type-only import from render/ of a result type is allowed: it carries no code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const STAGES = ['capture', 'host', 'ingest', 'record', 'snapshots', 'analyze', 'diff', 'check', 'report', 'render', 'demo', 'commands'] as const;
type Stage = (typeof STAGES)[number] | 'top';

/** What each stage may import (besides itself and the top-level errors.ts / version.ts). */
const MAY: Record<Stage, readonly Stage[]> = {
  capture: [],
  host: [],
  ingest: ['capture', 'render'],
  record: ['ingest', 'capture', 'snapshots', 'host', 'render'],
  snapshots: ['capture', 'host'],
  analyze: ['capture', 'snapshots', 'render'],
  diff: ['analyze', 'capture', 'snapshots', 'render'],
  check: ['analyze', 'capture', 'render'],
  report: ['analyze', 'diff', 'capture', 'render'],
  render: ['capture'],
  demo: ['host', 'record', 'analyze', 'capture', 'render'],
  commands: ['capture', 'ingest', 'record', 'snapshots', 'analyze', 'diff', 'check', 'report', 'render', 'host', 'demo'],
  top: ['commands', 'render'],
};
const TOP_SHARED = new Set(['errors.ts', 'version.ts']);

function files(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : n.endsWith('.ts') ? [join(d, n)] : []));
}
const stageOf = (abs: string): Stage => {
  const first = relative(SRC, abs).split('/')[0]!;
  return (STAGES as readonly string[]).includes(first) ? (first as Stage) : 'top';
};

interface Edge { from: string; to: string; typeOnly: boolean }
function edges(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    out.push({ from: file, to: resolve(dirname(file), spec.replace(/\.js$/, '.ts')), typeOnly: Boolean(m[2]) });
  }
  return out;
}

describe('src/ layout', () => {
  const all = files(SRC);

  it('has no .ts file directly in src/ but the CLI, errors and version', () => {
    const top = all.filter((f) => dirname(f) === SRC).map((f) => relative(SRC, f)).sort();
    expect(top).toEqual(['cli.ts', 'errors.ts', 'version.ts']);
  });

  it('imports run one way between stage folders', () => {
    const bad: string[] = [];
    for (const f of all) {
      const from = stageOf(f);
      for (const e of edges(f)) {
        const to = stageOf(e.to);
        if (to === from || (to === 'top' && TOP_SHARED.has(relative(SRC, e.to)))) continue;
        if (MAY[from].includes(to)) continue;
        if (e.typeOnly && from === 'render' && to !== 'commands') continue;
        bad.push(`${relative(SRC, f)} -> ${relative(SRC, e.to)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('finds the imports it checks (the rule is not vacuous)', () => {
    const n = all.reduce((s, f) => s + edges(f).length, 0);
    expect(n).toBeGreaterThan(100);
    // A known edge of each kind: static, type-only, dynamic.
    const flat = all.flatMap(edges).map((e) => `${relative(SRC, e.from)} -> ${relative(SRC, e.to)}${e.typeOnly ? ' (type)' : ''}`);
    expect(flat).toContain('ingest/pump.ts -> capture/batch-writer.ts (type)');
    expect(flat).toContain('commands/import.ts -> ingest/importer.ts');
  });

  it('every import resolves to a file that exists', () => {
    const missing = all.flatMap(edges).filter((e) => !all.includes(e.to)).map((e) => `${relative(SRC, e.from)} -> ${relative(SRC, e.to)}`);
    expect(missing).toEqual([]);
  });
});

describe('the import worker', () => {
  it('loads no Arrow and no LZ4: only the parsers, the fast path and the column buffers (each worker started ~0.3 CPU-s and ~20 MB sooner)', () => {
    // Every file the worker's code reaches (type-only imports carry none), and the packages those files import.
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^.'][^']*)'/gm)) packages.add(m[1]!);
      for (const e of edges(f)) if (!e.typeOnly) walk(e.to);
    };
    walk(join(SRC, 'ingest/worker.ts'));
    const reached = [...seen].map((f) => relative(SRC, f));
    // Not vacuous: the worker does reach the parsers and the column buffers, and node's own modules.
    expect(reached).toEqual(expect.arrayContaining(['ingest/line-parser.ts', 'ingest/fast-path.ts', 'capture/columns.ts', 'capture/event-schema.ts']));
    expect([...packages]).toContain('node:worker_threads');
    expect([...packages].filter((p) => !p.startsWith('node:'))).toEqual([]);
    expect(reached).not.toContain('capture/batch-writer.ts');
  });
});
