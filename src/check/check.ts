// `skbtape check` as data: parses a YAML rules file into SQL checks and runs them over one capture's views; each
// rule passes when its query returns no rows. Printing and exit codes are commands/check.ts's.
//
// Rules file (YAML, version 1; see samples/check-example.yaml):
//   rules:                      # or the list itself at the top level
//     - name: curl reaches the server's TCP stack          # optional; defaults to the rule's form
//       reaches: { flow: 'dst port 80', func: tcp_v4_rcv } # some track of the flow calls func
//     - no_drops: true                                     # or { flow: 'port 80' }: no track is dropped
//     - no_func: kfree_skb_reason                          # or { func: X, flow: F }: no track calls X
//     - max_hop_latency_us: { func: tcp_v4_rcv, p99: 200 } # median / p99 / max limits (µs) on the step into func
//     - name: no netfilter drops
//       sql: SELECT track_id FROM skb_tracks WHERE drop_reason = 'NETFILTER_DROP'   # any SQL over the views
//   allow_loss: true            # top level: events the tracer lost (the loss table) do not fail the check
// `flow` is the --flow language (analyze/flow-filter.ts). A rule whose tracks (its flow's, else the capture's) are none
// fails unless it says `allow_empty: true`; a no_func naming a function no event of the capture has warns (a typo?).
// Every check also runs one rule of its own, `no events lost`: any loss report fails it unless `allow_loss: true`
// (then it passes and says what it allowed). So `rules: []` is a valid file that checks exactly that.
// A bad file (YAML error, unknown form, missing field, SQL that does not run) is a UserError naming file:line.
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { DuckDBValue } from '@duckdb/node-api';
import { sqlFile } from '../analyze/sql-files.js';
import { openAnalysis, type Analysis, type Row } from '../analyze/loader.js';
import { fsUserError, UserError } from '../errors.js';
import { applyFlow, flowFilter, type CompiledFlow } from '../analyze/flow-filter.js';
import { lockDown, runSandboxed, SandboxRefusal } from '../analyze/sandbox.js';
import { readManifest, type Manifest } from '../capture/manifest.js';
import { unreportedLoss } from '../capture/loss.js';

export const CHECK_VERSION = 1;
const FORMS = ['sql', 'reaches', 'no_drops', 'no_func', 'max_hop_latency_us'] as const;
type Form = (typeof FORMS)[number];

/** Keys a form's mapping may hold (besides the rule's own `name` and `allow_empty`). */
const FORM_KEYS: Record<Exclude<Form, 'sql'>, string[]> = {
  reaches: ['flow', 'func', 'allow_empty'],
  no_drops: ['flow', 'allow_empty'],
  no_func: ['func', 'flow', 'allow_empty'],
  max_hop_latency_us: ['func', 'median', 'p99', 'max', 'flow', 'allow_empty'],
};

export interface CheckRule {
  name: string; form: Form; line: number; sql: string; params: Record<string, DuckDBValue>;
  /** The rule's flow filter (every track when it has none); null for `sql` rules. */
  flow: CompiledFlow | null;
  /** Pass even when the flow matches no track. */
  allowEmpty: boolean;
  /** The function a no_func rule names (checked against the capture's functions). */
  func: string | null;
}
export interface RuleResult { name: string; form: Form | 'loss'; line: number; pass: boolean; total: number; rows: Row[]; warning?: string }
export interface CheckResult { version: number; capture: string; rulesFile: string; passed: number; failed: number; rules: RuleResult[] }

/** Offending rows kept per failed rule (the total is always counted). */
export const ROWS_SHOWN = 5;

/** A rules file: its rules, and whether loss is allowed (the line of `allow_loss:`, 0 when the file does not say). */
export interface RulesFile { rules: CheckRule[]; allowLoss: boolean; allowLossLine: number }

export function parseRules(text: string, file: string): CheckRule[] {
  return parseRulesFile(text, file).rules;
}

// Kept whole although long (about 50 lines): the top level, each rule's keys and the allow flags are read in one pass
// over the YAML nodes, each error naming its own line.
export function parseRulesFile(text: string, file: string): RulesFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (n: Node | null | undefined) => `${file}:${n?.range ? lc.linePos(n.range[0]).line : 1}`;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UserError(`bad rules file: ${e.message.split('\n')[0]}`, `${file}:${e.linePos?.[0]?.line ?? 1}`);
  }
  let list: Node | null | undefined = doc.contents as Node | null;
  let allowLoss = false;
  let allowLossLine = 0;
  if (isMap(list)) {
    for (const p of list.items) {
      const k = String((p.key as { value?: unknown })?.value ?? p.key);
      if (k !== 'rules' && k !== 'version' && k !== 'allow_loss') throw new UserError(`bad rules file: unknown top-level key '${k}' (rules, version, allow_loss)`, at(p.key as Node));
      if (k !== 'allow_loss') continue;
      const v = (p.value as { value?: unknown } | null)?.value;
      if (typeof v !== 'boolean') throw new UserError('bad rules file: allow_loss wants true or false', at(p.key as Node));
      allowLoss = v;
      const w = at(p.key as Node);
      allowLossLine = Number(w.slice(w.lastIndexOf(':') + 1));
    }
    list = list.get('rules', true) as Node | undefined;
  }
  if (!isSeq(list)) throw new UserError(`bad rules file: expected a list of rules (or 'rules:' with one)`, at(list ?? (doc.contents as Node)));
  const rules: CheckRule[] = [];
  list.items.forEach((item, i) => {
    const where = at(item as Node);
    const line = Number(where.slice(where.lastIndexOf(':') + 1));
    if (!isMap(item)) throw new UserError(`bad rules file: rule ${i + 1} is not a mapping`, where);
    const obj = item.toJSON() as Record<string, unknown>;
    const forms = Object.keys(obj).filter((k) => (FORMS as readonly string[]).includes(k)) as Form[];
    const unknown = Object.keys(obj).filter((k) => k !== 'name' && k !== 'allow_empty' && !(FORMS as readonly string[]).includes(k));
    if (unknown.length) throw new UserError(`bad rules file: unknown key '${unknown[0]}' in rule ${i + 1} (name, allow_empty, ${FORMS.join(', ')})`, where);
    if (forms.length !== 1) throw new UserError(`bad rules file: rule ${i + 1} needs exactly one of ${FORMS.join(', ')}`, where);
    const form = forms[0]!;
    const name = typeof obj['name'] === 'string' ? obj['name'] : `${form} ${JSON.stringify(obj[form])}`;
    const c = compileRule(form, obj[form], where, `r${i}_`);
    const allow = (x: unknown, k: string) => {
      if (x !== undefined && typeof x !== 'boolean') throw new UserError(`bad rules file: ${k} wants true or false`, where);
      return x === true;
    };
    const inner = obj[form] !== null && typeof obj[form] === 'object' ? (obj[form] as Record<string, unknown>)['allow_empty'] : undefined;
    const allowEmpty = allow(obj['allow_empty'], 'allow_empty') || allow(inner, `${form}.allow_empty`);
    rules.push({ name, form, line, ...c, allowEmpty });
  });
  return { rules, allowLoss, allowLossLine };
}

type Compiled = Pick<CheckRule, 'sql' | 'params' | 'flow' | 'func'>;

function compileRule(form: Form, v: unknown, where: string, prefix: string): Compiled {
  const obj = (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  if (form !== 'sql') {
    const bad = Object.keys(obj).find((k) => !FORM_KEYS[form].includes(k));
    if (bad !== undefined) throw new UserError(`bad rules file: unknown key '${bad}' in ${form} (${FORM_KEYS[form].join(', ')})`, where);
  }
  const need = (k: string): string => {
    const x = obj[k];
    if (typeof x !== 'string' || x.trim() === '') throw new UserError(`bad rules file: ${form} needs '${k}:' (a string)`, where);
    return x.trim();
  };
  const withFilter = (name: string, flow: unknown, params: Record<string, DuckDBValue>): Compiled => {
    if (flow !== undefined && typeof flow !== 'string') throw new UserError(`bad rules file: ${form}.flow must be a string`, where);
    const f = flowFilter(flow as string | undefined, { label: `${form}.flow`, where }, `${prefix}f`);
    return { sql: sqlFile(`check/${name}`), params, flow: f, func: form === 'no_func' ? String(params['func']) : null };
  };
  switch (form) {
    case 'sql':
      if (typeof v !== 'string' || v.trim() === '') throw new UserError('bad rules file: sql wants a query string', where);
      return { sql: v, params: {}, flow: null, func: null };
    case 'reaches':
      return withFilter('reaches', obj['flow'], { func: need('func') });
    case 'no_drops':
      if (v === false) throw new UserError('bad rules file: no_drops: false checks nothing; drop the rule', where);
      return withFilter('no_drops', v === true ? undefined : obj['flow'], {});
    case 'no_func':
      return typeof v === 'string' ? withFilter('no_func', undefined, { func: v }) : withFilter('no_func', obj['flow'], { func: need('func') });
    case 'max_hop_latency_us': {
      const lim = (k: string): number | null => {
        const x = obj[k];
        if (x === undefined) return null;
        if (typeof x !== 'number' || !(x >= 0)) throw new UserError(`bad rules file: max_hop_latency_us.${k} wants a number of µs`, where);
        return x;
      };
      const limits = { median_us: lim('median'), p99_us: lim('p99'), max_us: lim('max') };
      if (Object.values(limits).every((x) => x === null)) throw new UserError('bad rules file: max_hop_latency_us needs median, p99 or max', where);
      // DuckDB needs a type for a NULL parameter: NULL limits become +inf-like huge values instead.
      const p = Object.fromEntries(Object.entries(limits).map(([k, x]) => [k, x ?? 1e18])) as Record<string, DuckDBValue>;
      return withFilter('hop_latency', obj['flow'], { func: need('func'), ...p });
    }
  }
}

export function readRules(file: string): RulesFile {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw fsUserError(e, file); }
  return parseRulesFile(text, file);
}

export async function runCheck(capture: string, rulesFile: string, opts: { warn?: (m: string) => void; strict?: boolean } = {}): Promise<CheckResult> {
  const { rules, allowLoss, allowLossLine } = readRules(rulesFile);
  const an = await openAnalysis([capture], { warn: opts.warn, strict: opts.strict });
  try {
    await an.run(sqlFile('analyze/flow_tracks'));
    // The rules file may come from anyone (a pull request): from here on, no SQL reaches a file, a database or an extension.
    await lockDown(an);
    const id = an.captureIds[0]!;
    const results: RuleResult[] = [];
    for (const r of rules) {
      const warning = r.func !== null ? await unknownFunc(an, r.func, capture) : null;
      if (warning !== null) opts.warn?.(`rule '${r.name}' (${rulesFile}:${r.line}): ${warning}`);
      const extra = warning !== null ? { warning } : {};
      if (r.flow !== null && (await applyFlow(an, r.flow)).get(id) === 0 && !r.allowEmpty) {
        // A rule that looked at no track proved nothing: it fails, unless the rule says an empty flow is fine.
        const problem = r.flow.text !== null ? `flow '${r.flow.text}' matches no track (allow_empty: true to pass)` : 'the capture has no track (allow_empty: true to pass)';
        results.push({ name: r.name, form: r.form, line: r.line, pass: false, total: 1, rows: [{ problem }], ...extra });
        continue;
      }
      let rows: Row[];
      try {
        rows = r.form === 'sql' ? await runSandboxed(an, r.sql, r.params) : await an.run(r.sql, r.params);
      } catch (e) {
        // A user query that does not run, or tries more than one read-only SELECT, is a bad rules file, named by its line.
        const msg = (e as Error).message.split('\n')[0]!;
        const why = e instanceof SandboxRefusal ? `sql ${msg}`
          : /^Permission Error/.test(msg) ? `sql tried to reach outside the capture (rules run without file, database or extension access): ${msg}`
          : /lock_configuration|configuration has been locked/.test(msg) ? `sql tried to change the sandbox: ${msg}`
          : msg;
        throw new UserError(`bad rules file: rule '${r.name}': ${why}`, `${rulesFile}:${r.line}`);
      }
      results.push({ name: r.name, form: r.form, line: r.line, pass: rows.length === 0, total: rows.length, rows: rows.slice(0, ROWS_SHOWN), ...extra });
    }
    results.push(await lossRule(an, capture, allowLoss, allowLossLine));
    const failed = results.filter((x) => !x.pass).length;
    return { version: CHECK_VERSION, capture, rulesFile, passed: results.length - failed, failed, rules: results };
  } finally {
    an.close();
  }
}

/**
 * The check's own rule: no loss report (queries/views/25_loss.sql), unless the rules say `allow_loss: true`. A capture
 * made before skbtape kept loss reports cannot say, nor can a tracer that drops events without a report (pwru
 * v1.0.0+, capture/loss.ts unreportedLoss): both pass with a warning that says so.
 */
async function lossRule(an: Analysis, capture: string, allow: boolean, line: number): Promise<RuleResult> {
  const base = { name: 'no events lost', form: 'loss' as const, line };
  const [known] = await an.run(`SELECT count(*) AS n FROM loss_reports`);
  const rows = await an.run(
    `SELECT l.source, l.count AS events, l.text, l.ktime_start, l.ktime_end,
            (SELECT count(*) FROM track_loss t WHERE t.capture = l.capture) AS lifetimes_possibly_incomplete
     FROM loss l ORDER BY l.line, l.report_no`);
  if (rows.length === 0) {
    const m = readManifestOrNull(capture);
    if (Number(known?.['n'] ?? 0) === 0 && (m?.loss ?? null) === null) return { ...base, pass: true, total: 0, rows: [], warning: `${capture} was made before skbtape kept loss reports: loss is not known` };
    const unreported = m ? unreportedLoss(m) : null;
    return { ...base, pass: true, total: 0, rows: [], ...(unreported ? { warning: `no loss reported, but ${unreported}` } : {}) };
  }
  const events = rows.reduce((n, r) => n + Number(r['events'] ?? 0), 0);
  const said = `${rows.length} loss report(s), ${events} events lost, ${String(rows[0]!['lifetimes_possibly_incomplete'])} lifetime(s) possibly incomplete`;
  if (allow) return { ...base, pass: true, total: 0, rows: [], warning: `${said}: allowed by allow_loss: true` };
  return { ...base, pass: false, total: rows.length, rows: rows.slice(0, ROWS_SHOWN), warning: `${said} (allow_loss: true to pass)` };
}

function readManifestOrNull(capture: string): Manifest | null {
  try { return readManifest(capture); } catch { return null; }
}

/** Null when some event of the capture calls `func`; else the warning, with the closest function name seen. */
async function unknownFunc(an: Analysis, func: string, capture: string): Promise<string | null> {
  const [r] = await an.run(
    `SELECT count(*) FILTER (WHERE f = $func OR skb_func_base(f) = $func) AS hits,
            arg_min(f, levenshtein(f, $func)) AS near, min(levenshtein(f, $func)) AS d
     FROM (SELECT DISTINCT func::VARCHAR AS f FROM raw_events)`, { func });
  if (Number(r?.['hits'] ?? 0) > 0) return null;
  const near = r?.['near'] != null && Number(r['d']) <= Math.max(2, Math.floor(func.length / 4)) ? `; did you mean ${String(r['near'])}?` : '; a typo?';
  return `no_func: function '${func}' appears nowhere in ${capture}${near}`;
}
