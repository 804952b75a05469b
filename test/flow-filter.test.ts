// The one --flow language (analyze/flow-filter.ts): the tree it parses, its error messages, the SQL it compiles (values
// bound, never pasted), and its answers on real captures (the demo pair, and the delivered one with IPv6 addresses)
// through paths, replay and the CLI's exit codes. Real DuckDB over real Arrow captures.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalysis, type Analysis } from '../src/analyze/loader.js';
import { UserError, formatUserError } from '../src/errors.js';
import { applyFlow, compileFlow, flowFilter, parseFlow, type FlowNode } from '../src/analyze/flow-filter.js';
import { importCapture } from '../src/ingest/importer.js';
import { buildDemoCapture, SAMPLES } from './helpers/captures.js';
import { SKBTAPE } from './helpers/cli.js';
import { ROOT } from './helpers/real.js';

/** The tree as a compact string: terms by kind and value, operators in prefix form. */
function show(n: FlowNode | null): string {
  if (n === null) return '';
  if (n.op === 'not') return `not(${show(n.arg)})`;
  if (n.op !== 'term') return `${n.op}(${show(n.left)}, ${show(n.right)})`;
  const t = n.term;
  const dir = 'dir' in t && t.dir !== 'any' ? `${t.dir} ` : '';
  switch (t.kind) {
    case 'addr': return `${dir}addr ${t.family}:${t.lo}-${t.hi}`;
    case 'port': return `${dir}port ${t.port}`;
    case 'l4': return t.proto;
    case 'identity': case 'endpoint': return `${dir}${t.kind} ${t.id}`;
    case 'label': return `${dir}label ${t.label}`;
    case 'verdict': return `verdict ${t.verdict}`;
    case 'netns': return `netns ${t.inode}`;
    default: return `${t.kind} ${t.name}`;
  }
}
const tree = (f: string) => show(parseFlow(f));
const err = (f: string, ctx = {}) => {
  try { parseFlow(f, ctx); } catch (e) { if (e instanceof UserError) return formatUserError(e); throw e; }
  return 'no error';
};

describe('flow filter: the tree', () => {
  it('and binds tighter than or; not tighter than and; parentheses; && || ! too', () => {
    expect(tree('tcp or udp and not port 53')).toBe('or(tcp, and(udp, not(port 53)))');
    expect(tree('(tcp || udp) && !port 53')).toBe('and(or(tcp, udp), not(port 53))');
    expect(tree('not (verdict dropped or verdict consumed)')).toBe('not(or(verdict dropped, verdict consumed))');
  });

  it("pcap's forms: tcp port 80, udp dst port 53, src/dst qualifiers, src ADDR short for src host ADDR", () => {
    expect(tree('tcp port 80')).toBe('and(tcp, port 80)');
    expect(tree('udp dst port 53')).toBe('and(udp, dst port 53)');
    expect(tree('src 10.0.0.1 and dst net 10.0.0.0/8')).toBe('and(src addr 4:167772161-167772161, dst addr 4:167772160-184549375)');
    expect(tree('src identity 26328 and id 9764 and dst endpoint 133')).toBe('and(and(src identity 26328, identity 9764), dst endpoint 133)');
    expect(tree('src identity k8s:app=client or id app=server')).toBe('or(src label k8s:app=client, label app=server)');
    expect(tree('func nf_hook_slow or reason skb_drop_reason_netfilter_drop or iface eth0 or netns 4026531840'))
      .toBe('or(or(or(func nf_hook_slow, reason NETFILTER_DROP), iface eth0), netns 4026531840)');
    expect(tree('  ')).toBe('');
  });

  it('the older words map onto the new ones: dport, sport, proto', () => {
    expect(tree('dport 80 tcp')).toBe(tree('dst port 80 and tcp'));
    expect(tree('sport 54864')).toBe(tree('src port 54864'));
    expect(tree('proto UDP')).toBe('udp');
  });

  it('addresses are numbers: the same IPv6 address written two ways is one value; a network is a range', () => {
    expect(tree('host fd00:10:96:0::3c')).toBe(tree('host fd00:10:96::3c'));
    expect(tree('host [fd00:10:96::3c]')).toBe(tree('host fd00:10:96::3c'));
    const n = parseFlow('net fd00:10:96::/64');
    expect(n).toMatchObject({ op: 'term', term: { kind: 'addr', family: 6, lo: 0xfd000010009600000000000000000000n, hi: 0xfd00001000960000ffffffffffffffffn } });
  });

  it('errors: one line naming the flag, the bad word and its position, and what was expected', () => {
    expect(err('tcp dprt 80')).toBe("skbtape: --flow: unknown word 'dprt' at position 5; expected host, net, port, identity, endpoint, tcp, udp, icmp, icmp6, sctp, verdict, func, reason, iface, netns, node, src, dst, not or '('");
    expect(err('host 10.244.2.999')).toBe("skbtape: --flow: '10.244.2.999' is not an IPv4 or IPv6 address at position 6");
    expect(err('host 10.1')).toBe("skbtape: --flow: '10.1' is not an IPv4 or IPv6 address at position 6");
    expect(err('src 10.244.2.999')).toBe("skbtape: --flow: '10.244.2.999' is not an IPv4 or IPv6 address at position 5");
    expect(err('net 10.244.2.5/24')).toBe("skbtape: --flow: '10.244.2.5/24' has bits set beyond its /24 prefix at position 5; did you mean 10.244.2.0/24?");
    expect(err('net 10.0.0.0/33')).toBe("skbtape: --flow: '10.0.0.0/33': the prefix length wants 0-32 at position 5");
    expect(err('host 10.0.0.0/8')).toBe("skbtape: --flow: '10.0.0.0/8' is a network at position 6; write 'net 10.0.0.0/8'");
    expect(err('port 99999')).toBe("skbtape: --flow: 'port' wants a port number 0-65535, not '99999' at position 6");
    expect(err('identity client')).toBe("skbtape: --flow: 'identity' wants a numeric Cilium identity or a label like k8s:app=client, not 'client' at position 10");
    expect(err('port')).toBe("skbtape: --flow: 'port' wants a port number 0-65535 at position 5, found the end");
    expect(err('verdict lost')).toBe("skbtape: --flow: 'verdict' wants one of delivered, transmitted, dropped, consumed, redirected, unknown, not 'lost' at position 9");
    expect(err('src tcp')).toBe("skbtape: --flow: 'src' wants host, net, port, identity, endpoint or an address after it, not 'tcp' at position 5");
    expect(err('(tcp')).toBe("skbtape: --flow: unmatched '(' at position 1");
    expect(err('tcp)')).toBe("skbtape: --flow: unexpected ')' at position 4");
    expect(err('tcp or')).toMatch(/^skbtape: --flow: expected a term at position 7, found the end; expected host, /);
    expect(err('and tcp')).toMatch(/^skbtape: --flow: expected a term at position 1, not 'and'; /);
    expect(err('tcp & udp')).toBe("skbtape: --flow: unexpected '&' at position 5 (and/or are 'and', '&&', 'or', '||')");
    expect(err('flow *:80/tcp')).toBe("skbtape: --flow: 'flow' (a diff flow-key pattern) is not a filter word at position 1; say what it matches, e.g. 'dst port 80 and tcp'");
    // In a rules file the label is the rule's key and the place its file:line.
    expect(err('via eth0', { label: 'no_drops.flow', where: 'r.yaml:3' })).toMatch(/^skbtape: no_drops\.flow: unknown word 'via' at position 1; .* \(r\.yaml:3\)$/);
  });

  it('compiles to SQL whose only values are bound parameters', () => {
    const c = compileFlow(parseFlow("func x';DROP_TABLE-- or port 80"), 'f', 'q');
    expect(c.sql).not.toContain('DROP_TABLE');
    expect(c.sql).not.toContain('80');
    expect(Object.values(c.params)).toEqual(["x';DROP_TABLE--", 80]);
    expect(c.sql).toMatch(/\$q0.*\$q1/);
    expect(flowFilter('')).toEqual({ text: null, sql: 'true', params: {} });
  });
});

describe('flow filter: answers on real captures', () => {
  let tmp: string, drop: string, delivered: string, v6: string;
  let a: Analysis, a6: Analysis;
  const cli = (args: string[]) => execa(SKBTAPE, args, { reject: false, cwd: ROOT });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'skbtape-flow-'));
    drop = await buildDemoCapture('drop', join(tmp, 'demo-drop'));
    delivered = await buildDemoCapture('delivered', join(tmp, 'demo-delivered'));
    // The delivered demo with IPv6 tuples (pwru brackets them), to compare IPv6 addresses numerically.
    const text = readFileSync(join(SAMPLES, 'demo-delivered.pwru.txt'), 'utf8')
      .replace(/10\.244\.2\.173:/g, '[fd00:10:96::ad]:').replace(/10\.244\.2\.61:/g, '[fd00:10:96::3c]:');
    writeFileSync(join(tmp, 'v6.txt'), text);
    v6 = join(tmp, 'v6');
    await importCapture(join(tmp, 'v6.txt'), v6, { format: 'auto', force: false, showProgress: false });
    a = await openAnalysis([delivered]);
    a6 = await openAnalysis([v6]);
  });
  afterAll(() => {
    a?.close();
    a6?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const kept = async (an: Analysis, f: string) => [...(await applyFlow(an, flowFilter(f))).values()][0];

  it('or, not, parentheses, net, protocol with port, func, iface, netns', async () => {
    expect(await kept(a, '')).toBe(9);
    expect(await kept(a, 'dst port 80')).toBe(6);
    expect(await kept(a, 'not dst port 80')).toBe(3);
    expect(await kept(a, 'src port 80 or dst port 80')).toBe(9);
    expect(await kept(a, 'tcp port 80 and not (src host 10.244.2.61 || udp)')).toBe(6);
    expect(await kept(a, 'net 10.244.2.0/24')).toBe(9);
    expect(await kept(a, 'src net 10.244.2.128/25')).toBe(6);
    expect(await kept(a, 'net 10.244.3.0/24')).toBe(0);
    expect(await kept(a, 'udp dst port 53')).toBe(0);
    expect(await kept(a, 'id 9764 and identity 26328')).toBe(9);
    // By label (identities.json): the client's requests are the 6 lifetimes towards port 80.
    expect(await kept(a, 'src identity k8s:app=client')).toBe(6);
    expect(await kept(a, 'src identity app=client')).toBe(6);
    expect(await kept(a, 'identity k8s:io.kubernetes.pod.namespace=default')).toBe(9);
    expect(await kept(a, 'dst identity k8s:app=client')).toBe(3);
    expect(await kept(a, 'identity k8s:app=nosuch or identity reserved:host')).toBe(0);
    expect(await kept(a, 'dst endpoint 133')).toBe(6);
    expect(await kept(a, 'func tcp_v4_rcv')).toBeGreaterThan(0);
    // Two eth0 (host and pod netns): a name matches both, the printed form or the ifindex one.
    expect(await kept(a, 'iface eth0:27')).toBe(await kept(a, 'iface 27'));
    expect(await kept(a, 'iface eth0')).toBeGreaterThan(await kept(a, 'iface 27'));
    expect(await kept(a, 'netns 4026531840')).toBeGreaterThan(0);
  });

  it('IPv6 addresses compare as numbers: fd00:10:96:0::3c is fd00:10:96::3c', async () => {
    expect(await kept(a6, 'host fd00:10:96:0::3c')).toBe(9);
    expect(await kept(a6, 'dst host fd00:10:96:0:0:0:0:3c')).toBe(6);
    expect(await kept(a6, 'net fd00:10:96::/64 and tcp')).toBe(9);
    expect(await kept(a6, 'net fd00:10:97::/64')).toBe(0);
    expect(await kept(a6, 'host 10.244.2.61')).toBe(0);
  });

  it('paths and replay warn when the filter matches nothing; replay --flow keeps only the matching lifetimes', async () => {
    const [p, r, all, some, bad] = await Promise.all([
      cli(['paths', drop, '--no-cache', '--flow', 'port 443']),
      cli(['replay', drop, '--no-cache', '--flow', 'port 443']),
      cli(['replay', delivered]),
      cli(['replay', delivered, '--no-cache', '--flow', 'dst port 80']),
      cli(['replay', delivered, '--flow', 'dprt 80']),
    ]);
    expect(p.exitCode).toBe(0);
    expect(p.stderr.trim()).toBe(`skbtape: warning: --flow 'port 443' matched nothing in ${drop}`);
    expect(r.stderr.trim()).toBe(`skbtape: warning: --flow 'port 443' matched nothing in ${drop}`);
    expect(r.stdout).toBe('');
    const lines = (s: string) => s.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines(some.stdout).length).toBeGreaterThan(0);
    expect(lines(some.stdout).length).toBeLessThan(lines(all.stdout).length);
    expect(lines(some.stdout).every((l) => /->10\.244\.2\.61:80\(/.test(l)), some.stdout).toBe(true);
    expect(some.stderr).toBe('');
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, "skbtape: --flow: unknown word 'dprt' at position 1; expected host, net, port, identity, endpoint, tcp, udp, icmp, icmp6, sctp, verdict, func, reason, iface, netns, node, src, dst, not or '('"]);
  });

  it("diff: the help's old example 'flow *:80/tcp' is a one-line error, exit 2 (was an internal error, exit 70)", async () => {
    const d = await cli(['diff', delivered, drop, '--flow', 'flow *:80/tcp']);
    expect([d.exitCode, d.stderr.trim()]).toEqual([2, "skbtape: --flow: 'flow' (a diff flow-key pattern) is not a filter word at position 1; say what it matches, e.g. 'dst port 80 and tcp'"]);
  });
});
