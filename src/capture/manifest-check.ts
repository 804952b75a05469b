// The full manifest validator: every field, its type and its range, checked by every reader (readManifest), so a
// broken manifest is one line naming the field and never a crash further on. Lists an older skbtape did not write
// default to empty. Hand-written over a small table rather than a schema library: the rules are few, the messages
// must be skbtape's one-line style, and the readers load no extra module for it.
import { UserError } from '../errors.js';
import { SCHEMA_VERSION } from '../version.js';

type Check = (v: unknown, field: string) => void;

const fail = (field: string, want: string, v: unknown): never => {
  const got = v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 60) ?? String(v);
  throw new FieldError(`manifest field ${field}: wants ${want}, got ${got}`);
};
class FieldError extends Error {}

const str: Check = (v, f) => { if (typeof v !== 'string') fail(f, 'a string', v); };
const date: Check = (v, f) => { if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) fail(f, 'an ISO date string', v); };
const nat: Check = (v, f) => { if (!Number.isSafeInteger(v) || (v as number) < 0) fail(f, 'a non-negative integer', v); };
const num: Check = (v, f) => { if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(f, 'a non-negative number', v); };
const int: Check = (v, f) => { if (!Number.isSafeInteger(v)) fail(f, 'an integer', v); };
const oneOf = (...xs: string[]): Check => (v, f) => { if (typeof v !== 'string' || !xs.includes(v)) fail(f, `one of ${xs.join(', ')}`, v); };
const match = (re: RegExp, what: string): Check => (v, f) => { if (typeof v !== 'string' || !re.test(v)) fail(f, what, v); };
const u64 = match(/^\d{1,20}$/, 'a decimal string of a 64-bit unsigned integer');
const i64 = match(/^-?\d{1,19}$/, 'a decimal string of a 64-bit integer');
const nullable = (c: Check): Check => (v, f) => { if (v !== null) c(v, f); };
const list = (c: Check): Check => (v, f) => {
  if (!Array.isArray(v)) fail(f, 'a list', v);
  (v as unknown[]).forEach((x, i) => c(x, `${f}[${i}]`));
};
type Shape = Record<string, [Check, 'required' | 'optional']>;
/** An object with these keys; keys it does not name are let through (a newer skbtape's field, or target's own). */
const obj = (shape: Shape): Check => (v, f) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(f, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const [k, [c, need]] of Object.entries(shape)) {
    const at = f ? `${f}.${k}` : k;
    if (o[k] === undefined || (need === 'optional' && o[k] === null)) {
      if (need === 'required') fail(at, 'a value', undefined);
      continue;
    }
    c(o[k], at);
  }
};
const R = (c: Check): [Check, 'required'] => [c, 'required'];
const O = (c: Check): [Check, 'optional'] => [c, 'optional'];
const strs = list(str);

const COUNTS = obj(Object.fromEntries(
  ['inputLines', 'events', 'continuationLines', 'logLines', 'rejects', 'blankLines', 'batches', 'skbs'].map((k) => [k, R(nat)]),
));

const MANIFEST = obj({
  schemaVersion: R((v, f) => { if (!Number.isSafeInteger(v) || (v as number) < 1) fail(f, 'a positive integer', v); }),
  skbtapeVersion: R(str),
  createdAt: R(date),
  finishedAt: O(date),
  status: R(oneOf('recording', 'complete', 'interrupted', 'failed')),
  statusReason: O(str),
  source: R(obj({ kind: R(oneOf('file', 'stdin', 'live')), path: O(str), format: R(str), tool: O(oneOf('pwru', 'bpftrace')) })),
  pwru: O(obj({ version: O(str), argv: O(strs), path: O(str), stderrTail: O(strs) })),
  tracepoint: O(obj({
    tracepoints: R(strs), bpftraceVersion: O(str), argv: O(strs), program: O(str), notes: O(strs),
    netnsInode: O(nat), netnsInodes: O(list(nat)), ifindex: O(nat), lostEvents: O(nat),
  })),
  host: R(obj({ hostname: R(str), kernel: R(str) })),
  clock: O(obj({ monotonicToWallNs: R(i64), measuredAt: R(date), source: O(str) })),
  timeRange: O(obj({ firstKtime: O(u64), lastKtime: O(u64), firstAbs: O(str), lastAbs: O(str) })),
  counts: R(COUNTS),
  layouts: O(strs),
  headers: O(list(obj({ line: R(nat), text: R(str) }))),
  firstRejects: O(list(obj({ line: R(nat), reason: R(str) }))),
  target: O(obj({})),
  command: O(obj({
    argv: R(strs), exitCode: R(nullable(int)), signal: O(str), exit: O(int), exitText: O(str), durationMs: R(num), startedAt: R(date),
  })),
  snapshots: O(list(obj({
    phase: R(oneOf('start', 'end')), kind: R(str), status: R(oneOf('ok', 'unavailable', 'failed', 'attached')),
    file: O(str), argv: O(strs), reason: O(str), takenAt: O(date),
  }))),
  warnings: O(strs),
  batches: O(list(obj({ file: R(match(/^\d{6,}\.arrows$/, 'a batch file name like 000001.arrows')), rows: R(nat), bytes: R(nat), crc32: R(match(/^[0-9a-f]{8}$/, '8 hex digits')) }))),
  writer: O(obj({ pid: R(nat), host: R(str), bootId: O(str), startTicks: O(str) })),
  loss: O(obj({ reports: R(nat), events: R(nat), uncounted: R(nat), sources: R(list(oneOf('bpftrace', 'pwru', 'skbtape'))) })),
});

/** Throws a UserError naming the first field that is missing, of the wrong type or out of range. */
export function checkManifestFields(m: unknown, where: string): void {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new UserError('manifest is not an object', where);
  const v = (m as { schemaVersion?: unknown }).schemaVersion;
  if (typeof v === 'number' && v > SCHEMA_VERSION) {
    throw new UserError(`capture schema v${v} is newer than this skbtape (v${SCHEMA_VERSION}); upgrade skbtape`, where);
  }
  try {
    MANIFEST(m, '');
    const tr = (m as { timeRange?: { firstKtime?: string; lastKtime?: string } }).timeRange;
    if (tr?.firstKtime !== undefined && BigInt(tr.firstKtime) >= 2n ** 64n) fail('timeRange.firstKtime', 'a value below 2^64', tr.firstKtime);
    if (tr?.lastKtime !== undefined && BigInt(tr.lastKtime) >= 2n ** 64n) fail('timeRange.lastKtime', 'a value below 2^64', tr.lastKtime);
    if (tr?.firstKtime !== undefined && tr.lastKtime !== undefined && BigInt(tr.firstKtime) > BigInt(tr.lastKtime)) {
      fail('timeRange.lastKtime', `a value not below firstKtime (${tr.firstKtime})`, tr.lastKtime);
    }
  } catch (e) {
    if (e instanceof FieldError) throw new UserError(e.message, where);
    throw e;
  }
}
