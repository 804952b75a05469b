// record/pwru-args.ts is pure: pwru's --version text -> capabilities -> the exact argv skbtape runs. The version
// boundaries are the ones PWRU_FORMATS.md §7 gives for each flag.
import { describe, expect, it } from 'vitest';
import { buildPwruArgv, capsOf, parsePwruVersion, PASS_THROUGH_FLAGS, type PwruArgOptions } from '../src/record/pwru-args.js';

const caps = (v: string) => capsOf(parsePwruVersion(v));
const base: PwruArgOptions = { targetArgs: [], passThrough: [], extraArgs: [], readyFile: '/cap/.pwru-ready', format: 'auto' };

describe('parsePwruVersion', () => {
  it('reads release and git-describe versions as pwru --version prints them', () => {
    expect(parsePwruVersion('pwru v1.0.10\n')).toEqual({ raw: 'v1.0.10', major: 1, minor: 0, patch: 10 });
    expect(parsePwruVersion('pwru v1.0.4-1-g1e10c197d1c0')).toEqual({ raw: 'v1.0.4-1-g1e10c197d1c0', major: 1, minor: 0, patch: 4 });
    expect(parsePwruVersion('pwru 0.0.9')).toMatchObject({ major: 0, minor: 0, patch: 9 });
  });

  it('gives null when there is no version (pwru before v0.0.3 had no --version)', () => {
    expect(parsePwruVersion('')).toBeNull();
    expect(parsePwruVersion('unknown flag: --version')).toBeNull();
  });
});

describe('capsOf', () => {
  it('switches each flag on at the release that added it', () => {
    expect(caps('v1.0.5')).toEqual({ json: false, timestamp: true, readyFile: true, needMetaTupleFlags: true, tcpFlags: false });
    expect(caps('v1.0.6').json).toBe(true);
    expect(caps('v1.0.7').needMetaTupleFlags).toBe(true);
    expect(caps('v1.0.8').needMetaTupleFlags).toBe(false);
    expect(caps('v1.0.9').tcpFlags).toBe(false);
    expect(caps('v1.0.10').tcpFlags).toBe(true);
    expect(caps('v0.0.4').timestamp).toBe(false);
    expect(caps('v0.0.5').timestamp).toBe(true);
    expect(caps('v0.0.6').readyFile).toBe(false);
    expect(caps('v0.0.7').readyFile).toBe(true);
    expect(caps('v2.0.0')).toEqual({ json: true, timestamp: true, readyFile: true, needMetaTupleFlags: false, tcpFlags: true });
  });

  it('an unknown version gets the oldest behaviour', () => {
    expect(capsOf(null)).toEqual({ json: false, timestamp: false, readyFile: false, needMetaTupleFlags: true, tcpFlags: false });
  });
});

describe('buildPwruArgv', () => {
  it('v1.0.10: JSON, current timestamps, ready file', () => {
    expect(buildPwruArgv(base, caps('v1.0.10'))).toEqual({
      argv: ['--output-json', '--timestamp', 'current', '--ready-file', '/cap/.pwru-ready'],
      json: true, timestamp: true, readyFile: '/cap/.pwru-ready',
    });
  });

  it('order: target filters, our flags, pass-through, --pwru-arg, then the pcap filter last', () => {
    const p = buildPwruArgv({
      ...base,
      targetArgs: ['--filter-ifname', 'lxc3a6f7d4e8c73'],
      passThrough: ['--filter-track-skb', '--filter-func', 'ip_.*'],
      extraArgs: ['--output-caller'],
      pcapFilter: 'tcp and port 80',
    }, caps('v1.0.10'));
    expect(p.argv).toEqual([
      '--filter-ifname', 'lxc3a6f7d4e8c73', '--output-json', '--timestamp', 'current', '--ready-file', '/cap/.pwru-ready',
      '--filter-track-skb', '--filter-func', 'ip_.*', '--output-caller', 'tcp and port 80',
    ]);
  });

  it('v1.0.5: text with --output-meta --output-tuple (not default before v1.0.8)', () => {
    const p = buildPwruArgv(base, caps('v1.0.5'));
    expect(p.json).toBe(false);
    expect(p.argv).toEqual(['--output-meta', '--output-tuple', '--timestamp', 'current', '--ready-file', '/cap/.pwru-ready']);
  });

  it('no version: no flag pwru might not know; readiness then comes from "Listening for events.."', () => {
    const p = buildPwruArgv(base, capsOf(null));
    expect(p).toEqual({ argv: ['--output-meta', '--output-tuple'], json: false, timestamp: false, readyFile: null });
  });

  it('text-only outputs turn auto JSON off; --format forces either way', () => {
    const textOnly = buildPwruArgv({ ...base, extraArgs: ['--output-skb-metadata', 'skb->mark'] }, caps('v1.0.10'));
    expect(textOnly.json).toBe(false);
    expect(textOnly.argv).not.toContain('--output-json');
    expect(buildPwruArgv({ ...base, format: 'text' }, caps('v1.0.10')).argv).not.toContain('--output-json');
    expect(buildPwruArgv({ ...base, format: 'json' }, caps('v1.0.5')).argv[0]).toBe('--output-json');
  });

  it('a user --timestamp or --output-json is not doubled', () => {
    const t = buildPwruArgv({ ...base, extraArgs: ['--timestamp', 'absolute'] }, caps('v1.0.10'));
    expect(t.argv.filter((a) => a === '--timestamp')).toHaveLength(1);
    expect(t.argv).toContain('absolute');
    expect(t.timestamp).toBe(true);
    const j = buildPwruArgv({ ...base, format: 'text', extraArgs: ['--output-json'] }, caps('v1.0.10'));
    expect(j.argv.filter((a) => a === '--output-json')).toHaveLength(1);
    expect(j.json).toBe(true);
  });

  it('pass-through flags keep pwru names and arity', () => {
    expect(PASS_THROUGH_FLAGS['filter-track-skb']).toBe(false);
    expect(PASS_THROUGH_FLAGS['filter-func']).toBe(true);
    expect(PASS_THROUGH_FLAGS['output-limit-lines']).toBe(true);
  });
});
