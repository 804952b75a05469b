// The tracer plan for `record` with pwru: asks pwru its version, then builds the argv that version takes and the
// target filters it gets. Turning flags into argv is pwru-args.ts's (pure); running pwru is the recorder's.
import { resolve } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { buildPwruArgv, capsOf, parsePwruVersion } from './pwru-args.js';
import type { TracerPlan } from './recorder.js';
import { pwruTargetArgs, type ResolvedTarget, type TargetMode } from './target-resolver.js';

/** What the pwru plan is built from: the record flags that concern pwru, already checked. */
export interface PwruPlanInput {
  pwru: string;
  outDir: string;
  target: ResolvedTarget | null;
  /** The target came from --pod/--container: --target `mode` picks pwru's filters; else --netns/--ifname go as written. */
  byPod: boolean;
  mode: TargetMode;
  netns?: string;
  ifname?: string;
  pcapFilter?: string;
  passThrough: string[];
  extraArgs: string[];
  inputFormat: 'auto' | 'text' | 'json';
}

/** Runs `pwru --version` and builds the argv that version takes (`--output-json`, `--ready-file`, … where it has them). */
export async function pwruPlan(o: PwruPlanInput): Promise<TracerPlan> {
  const v = await execa(o.pwru, ['--version'], { reject: false, timeout: 15_000, stdin: 'ignore' });
  if ((v as { code?: string }).code === 'ENOENT') throw new UserError(`pwru not found: '${o.pwru}' (install pwru, or point --pwru at it; without kprobes try --source tracepoint)`, '--pwru');
  if ((v as { code?: string }).code === 'EACCES') throw new UserError(`pwru is not executable: '${o.pwru}'`, '--pwru');
  const version = v.exitCode === 0 ? parsePwruVersion(String(v.stdout)) : null;
  const caps = capsOf(version);
  const targetArgs = pwruFilterArgs(o);
  // Inside the capture directory: removed once seen, and never left in /tmp when skbtape is killed.
  const readyFile = resolve(o.outDir, '.pwru-ready');
  const p = buildPwruArgv({ targetArgs, pcapFilter: o.pcapFilter, passThrough: o.passThrough, extraArgs: o.extraArgs, readyFile, format: o.inputFormat }, caps);
  return {
    tool: 'pwru',
    cmd: o.pwru,
    args: p.argv,
    format: p.json ? 'json' : 'text',
    readyFile: p.readyFile,
    // Older pwru has no --ready-file; "Listening for events.." is logged once probes are attached.
    readyPattern: /Listening for events/,
    manifestPatch: { pwru: { version: version?.raw, argv: [o.pwru, ...p.argv], path: o.pwru } },
  };
}

/** pwru filters: --pod/--container go through --target; a bare --netns/--ifname is passed as the user wrote it. */
function pwruFilterArgs(o: PwruPlanInput): string[] {
  if (!o.target) return [];
  if (o.byPod) return pwruTargetArgs(o.target, o.mode);
  const args: string[] = [];
  if (o.netns) args.push('--filter-netns', o.netns);
  if (o.ifname) args.push('--filter-ifname', o.ifname);
  return args;
}
