// Prints one line at the end of a run: how many tests were skipped, and why (the reasons the gates in prereq.ts
// logged, by file). A skip without a logged reason says so, so it cannot hide.
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const log = process.env['SKBTAPE_SKIP_LOG'];
    const reasons = new Map<string, Set<string>>();
    if (log) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        /* nothing logged */
      }
      for (const row of text.split('\n').filter(Boolean)) {
        const { file, why } = JSON.parse(row) as { file: string; why: string };
        const set = reasons.get(file) ?? new Set<string>();
        set.add(why);
        reasons.set(file, set);
      }
      if (!process.env['SKBTAPE_SKIP_SUMMARY']) rmSync(log, { force: true });
    }
    const parts: string[] = [];
    let total = 0;
    const summary = process.env['SKBTAPE_SKIP_SUMMARY']; // test/run-all.mjs joins both halves into one line
    for (const m of modules) {
      const n = [...m.children.allTests('skipped')].length;
      if (n === 0) continue;
      total += n;
      if (summary) appendFileSync(summary, `${JSON.stringify({ file: m.moduleId, n })}\n`);
      const why = [...(reasons.get(m.moduleId) ?? ['no reason logged'])].join('; ');
      parts.push(`${n} in ${basename(m.moduleId)} (${why})`);
    }
    if (summary) return;
    process.stdout.write(`\nskipped ${total} test${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}\n`);
  }
}
