// snapshot-parsers against real pasted outputs (the seed article and ../shared/real) and small hand-made strings
// built from CILIUM_DBG_FORMATS.md for the eras no real paste covers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipUnless } from './helpers/prereq.js';
import { REAL_DIR, SHARED } from './helpers/real.js';
import {

  formatIp,
  ipToBigInt,
  parseBpftoolNet,
  parseEndpointList,
  parseIpcacheList,
  parseMetricsList,
  prefixRange,
  type SnapshotKind,
} from '../src/snapshots/parsers.js';
import { detectSnapshotKind } from '../src/snapshots/detect.js';

const REAL = REAL_DIR;
const SEED = path.join(SHARED, 'seed/000_7ab2082905dfc8aa.txt');
const haveReal = !skipUnless({ ok: existsSync(REAL), why: `${REAL} is absent` }, 'snapshot-parsers real-output tests');
const haveSeed = !skipUnless({ ok: existsSync(SEED), why: `${SEED} is absent` }, 'snapshot-parsers seed tests');

/** The seed lines after the line equal to `marker`, up to (not including) the first line matching `stop`. */
function seedBlock(marker: string, stop: RegExp): string {
  const lines = readFileSync(SEED, 'utf8').split('\n');
  const start = lines.indexOf(marker);
  if (start < 0) throw new Error(`marker not in seed: ${marker}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => stop.test(l));
  return rest.slice(0, end < 0 ? undefined : end).join('\n');
}
const NON_ASCII_START = /^[^\x00-\x7f]/;

const realFile = (name: string) => readFileSync(path.join(REAL, name), 'utf8');

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(!haveSeed)('seed article (whitespace collapsed, author comments after #)', () => {
  it('endpoint list: 10.244.2.173 is endpoint 1617 with identity 26328 on ifindex 26', () => {
    const text = seedBlock('$ cilium-dbg bpf endpoint list', NON_ASCII_START);
    const { rows, warnings } = parseEndpointList(text, 'seed');
    expect(warnings).toEqual([]);
    expect(rows).toHaveLength(7);
    const ep = rows.find((r) => r.ip === '10.244.2.173')!;
    expect(ep).toMatchObject({
      family: 4, localhost: false, endpointId: 1617, securityIdentity: 26328, ifindex: 26,
      mac: 'CA:16:6C:38:B8:CA', nodemac: '92:E2:D7:DB:D2:0E', flags: '0x0000', parentIfindex: 0, cluster: null, line: 3,
    });
    // The author's `# 可注意 ifindex,是 26` is kept in raw but does not leak into the fields.
    expect(ep.raw).toContain('# ');
    expect(rows.filter((r) => r.localhost).map((r) => r.ip)).toEqual(['10.244.2.161', '10.13.1.57']);
    expect(rows.find((r) => r.ip === '10.13.1.57')).toMatchObject({ endpointId: null, securityIdentity: null, ifindex: null, mac: null });
    expect(rows.find((r) => r.ip === '10.244.2.99')?.securityIdentity).toBe(4); // reserved:health
  });

  it('ipcache grep line: 10.244.2.173/32 has identity 26328 and no tunnel', () => {
    const text = seedBlock('$ cilium-dbg bpf ipcache list | grep 10.244.2.173 # client pod IP', /^Available Commands:/);
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows).toEqual([
      expect.objectContaining({
        prefix: '10.244.2.173/32', family: 4, prefixLen: 32, lo: ipToBigInt('10.244.2.173'), hi: ipToBigInt('10.244.2.173'),
        identity: 26328, encryptKey: 0, tunnelEndpoint: null, flags: '<none>', cluster: null, line: 1,
      }),
    ]);
  });

  it('metrics list: reasons with blanks, 19 rows, big byte counts', () => {
    const text = seedBlock('$ cilium-dbg bpf metrics list', /^GitHub Repo:/);
    const { rows, warnings } = parseMetricsList(text);
    expect(warnings).toEqual([]);
    expect(rows).toHaveLength(19);
    expect(rows.find((r) => r.file === 'bpf_sock.c')).toMatchObject({
      reason: 'LB: sock cgroup: Reverse entry delete succeeded', direction: 'EGRESS', packets: 64n, bytes: 0n, line: 1256, lineNo: 5,
    });
    expect(rows.filter((r) => r.reason === 'Policy denied by denylist').map((r) => r.direction)).toEqual(['EGRESS', 'INGRESS']);
    expect(rows.find((r) => r.bytes === 2670131232n)).toMatchObject({ reason: 'Success', line: 1344, file: 'bpf_lxc.c' });
    expect(rows.at(-1)).toMatchObject({ reason: 'Unsupported L3 protocol', file: 'bpf_lxc.c', line: 1544 });
  });

  it('bpftool net: tcx rows, the commented lxc line, empty sections', () => {
    const text = seedBlock('$ bpftool net', /^[^\x00-\x7f]/);
    const { rows, warnings } = parseBpftoolNet(text);
    expect(warnings).toEqual([]);
    expect(rows).toHaveLength(12);
    expect(rows.find((r) => r.iface === 'lxc3a6f7d4e8c73')).toEqual(
      expect.objectContaining({
        iface: 'lxc3a6f7d4e8c73', ifindex: 26, hook: 'tcx', direction: 'ingress', progName: 'cil_from_container',
        progId: 4773, linkId: 29, kind: 'tcx/ingress',
      }),
    );
    expect(rows.filter((r) => r.iface === 'ens5').map((r) => [r.direction, r.progName])).toEqual([
      ['ingress', 'cil_from_netdev'],
      ['egress', 'cil_to_netdev'],
    ]);
  });

  it('the seed blocks are recognised by detectSnapshotKind', () => {
    expect(detectSnapshotKind(seedBlock('$ cilium-dbg bpf endpoint list', NON_ASCII_START))).toBe('endpoints');
    expect(detectSnapshotKind(seedBlock('$ cilium-dbg bpf metrics list', /^GitHub Repo:/))).toBe('metrics');
    expect(detectSnapshotKind(seedBlock('$ bpftool net', /^[^\x00-\x7f]/))).toBe('bpftool-net');
    expect(detectSnapshotKind(seedBlock('$ cilium-dbg bpf ipcache list | grep 10.244.2.173 # client pod IP', /^Available/))).toBe('ipcache');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(!haveReal)('every cilium/bpftool output in ../shared/real', () => {
  type MapKind = Exclude<SnapshotKind, 'identities' | 'endpoint-list'>;
  const kindOf = (f: string): MapKind | null =>
    f.startsWith('endpoint-list-') ? 'endpoints'
    : f.startsWith('ipcache-list-') || f.startsWith('ipcache-mapget-') ? 'ipcache'
    : f.startsWith('metrics-') ? 'metrics'
    : f.startsWith('bpftool-net-') ? 'bpftool-net'
    : null;
  const files = haveReal ? readdirSync(REAL).filter((f) => kindOf(f) !== null).sort() : [];
  const parse = { endpoints: parseEndpointList, ipcache: parseIpcacheList, metrics: parseMetricsList, 'bpftool-net': parseBpftoolNet };

  it('finds some', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s parses without warnings and is detected as its kind', (f) => {
    const kind = kindOf(f)!;
    const text = realFile(f);
    const { rows, warnings } = parse[kind](text, f);
    expect(warnings).toEqual([]);
    expect(rows.length).toBeGreaterThan(0);
    // Every line that is not blank, a header or a bpftool section title became a row (none silently dropped).
    const rowLines = new Set(rows.map((r) => ('lineNo' in r ? r.lineNo : r.line)));
    const contentLines = text
      .split('\n')
      .map((l, i) => [l.trim(), i + 1] as const)
      .filter(([l]) => l !== '' && !/^(IP (PREFIX|ADDRESS|address)|REASON\s|Key\s|(xdp|tc|flow_dissector|netfilter):$)/.test(l))
      .map(([, n]) => n);
    expect([...rowLines].sort((a, b) => a - b)).toEqual(contentLines);
    if (kind !== 'ipcache' || !f.startsWith('ipcache-mapget-')) expect(detectSnapshotKind(text)).toBe(kind);
  });

  const endpointFile = 'endpoint-list-kind-worker2-cilium-1.14ish-trailing-pad.txt';
  it.skipIf(!existsSync(path.join(REAL, endpointFile)))('endpoint list with tabwriter padding (~1.14, no parent_ifindex)', () => {
    const { rows } = parseEndpointList(realFile(endpointFile));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ ip: '172.18.0.2', localhost: true, line: 2 });
    expect(rows.find((r) => r.ip === '10.244.3.168')).toMatchObject({
      endpointId: 1371, securityIdentity: 16771, ifindex: 8, mac: 'DA:D8:BD:AC:A6:C0', nodemac: '96:E9:98:4F:8E:1D', parentIfindex: null,
    });
    expect(rows.find((r) => r.ip === '10.244.3.13')).toMatchObject({ endpointId: 235, securityIdentity: 4, ifindex: 6 });
    // Trailing tabwriter blanks stay in raw only.
    expect(rows[1]!.raw.endsWith('   ')).toBe(true);
    expect(rows[1]!.nodemac).toBe('96:E9:98:4F:8E:1D');
  });

  const ipcacheFile = 'ipcache-list-ko-cilium-study-1.18-vagrant-unsorted.txt';
  it.skipIf(!existsSync(path.join(REAL, ipcacheFile)))('unsorted 1.18 ipcache with /24 tunnel routes and 0.0.0.0/0', () => {
    const { rows } = parseIpcacheList(realFile(ipcacheFile));
    expect(rows).toHaveLength(22);
    expect(rows.find((r) => r.prefix === '172.20.2.0/24')).toMatchObject({
      prefixLen: 24, identity: 2, tunnelEndpoint: '192.168.20.100', flags: 'hastunnel', encryptKey: 0,
      lo: ipToBigInt('172.20.2.0'), hi: ipToBigInt('172.20.2.255'),
    });
    expect(rows.find((r) => r.prefix === '0.0.0.0/0')).toMatchObject({ identity: 2, lo: 0n, hi: 0xffffffffn, line: 23 });
    expect(rows.find((r) => r.prefix === '10.0.2.15/32')).toMatchObject({ identity: 1, tunnelEndpoint: null, flags: '<none>' });
    // Longest-prefix match by integer ranges: 172.20.2.77 has its own /32 inside the remote node's /24.
    const ip = ipToBigInt('172.20.2.77');
    const hits = rows.filter((r) => r.family === 4 && r.lo <= ip && ip <= r.hi).sort((a, b) => b.prefixLen - a.prefixLen);
    expect(hits.map((r) => r.prefix)).toEqual(['172.20.2.77/32', '172.20.2.0/24', '0.0.0.0/0']);
    expect(hits[0]!.identity).toBe(2219);
  });

  const bpftoolFile = 'bpftool-net-show-dev-cilium_vxlan-old-clsact-zh.txt';
  it.skipIf(!existsSync(path.join(REAL, bpftoolFile)))('old classic-tc clsact rows on cilium_vxlan', () => {
    const { rows } = parseBpftoolNet(realFile(bpftoolFile));
    expect(rows).toEqual([
      expect.objectContaining({ iface: 'cilium_vxlan', ifindex: 5, hook: 'tc', direction: 'ingress', progName: 'bpf_overlay.o:[from-overlay]', progId: 4468, linkId: null, kind: 'clsact/ingress', line: 4 }),
      expect.objectContaining({ iface: 'cilium_vxlan', ifindex: 5, hook: 'tc', direction: 'egress', progName: 'bpf_overlay.o:[to-overlay]', progId: 4476, linkId: null, line: 5 }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('endpoint list eras (hand-made from the formats reference §1)', () => {
  it('2017: mixed-case header, bare keys (IPv6 too), seclabel in hex', () => {
    const text = [
      'IP address                     Local endpoint info',
      '172.29.244.20                  id=29898 ifindex=0   mac=00:00:00:00:3E:69 nodemac=00:00:00:00:00:00 seclabel=0x100 portMaps=(empty)',
      'f00d::ae9:4000:0:8ad6          id=29898 ifindex=0   mac=00:00:00:00:3E:69 nodemac=00:00:00:00:00:00 seclabel=0x100 portMaps=(empty)',
      'f00d::ae9:4000:0:1234          id=4660  ifindex=0   mac=00:00:00:00:12:34 nodemac=00:00:00:00:00:00 seclabel=0x105 portMaps=80:8080 443:8443',
    ].join('\n');
    const { rows, warnings } = parseEndpointList(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.ip, r.family, r.endpointId, r.securityIdentity, r.flags])).toEqual([
      ['172.29.244.20', 4, 29898, 256, null],
      ['f00d::ae9:4000:0:8ad6', 6, 29898, 256, null],
      // The last group is all digits: without the 2018 header this would read as key `:1234`.
      ['f00d::ae9:4000:0:1234', 6, 4660, 261, null],
    ]);
  });

  it('~1.1-1.13: flags, no sec_id, bracketed IPv6 keys', () => {
    const text = [
      'IP ADDRESS                 LOCAL ENDPOINT INFO',
      '10.0.0.194:0               id=2049  flags=0x0000 ifindex=12  mac=1E:0F:6B:7C:5B:2D nodemac=B6:7A:6E:0C:48:76',
      '[f00d::a0f:0:0:8ad6]:0     id=2049  flags=0x0000 ifindex=12  mac=1E:0F:6B:7C:5B:2D nodemac=B6:7A:6E:0C:48:76',
      '10.0.2.15:0                (localhost)',
    ].join('\n');
    const { rows, warnings } = parseEndpointList(text);
    expect(warnings).toEqual([]);
    expect(rows[0]).toMatchObject({ ip: '10.0.0.194', endpointId: 2049, securityIdentity: null, flags: '0x0000', ifindex: 12 });
    expect(rows[1]).toMatchObject({ ip: 'f00d::a0f:0:0:8ad6', family: 6, endpointId: 2049 });
    expect(rows[2]).toMatchObject({ ip: '10.0.2.15', localhost: true });
  });

  it('≥1.14: unbracketed IPv6 keys, @cluster, 4-digit ifindex, unknown trailing token kept in raw', () => {
    const text = [
      'IP ADDRESS                 LOCAL ENDPOINT INFO',
      'fd00:10:244:3::f82d:0      id=1478  sec_id=22446 flags=0x0000 ifindex=1013 mac=4E:03:9F:4E:C1:30 nodemac=36:4D:F7:A2:B9:04 parent_ifindex=0     ',
      '10.64.0.15@2:0             id=77    sec_id=16777217 flags=0x0004 ifindex=29  mac=4E:03:9F:4E:C1:31 nodemac=36:4D:F7:A2:B9:05 parent_ifindex=0   rt_info:0',
    ].join('\n');
    const { rows, warnings } = parseEndpointList(text);
    expect(warnings).toEqual([]);
    expect(rows[0]).toMatchObject({ ip: 'fd00:10:244:3::f82d', family: 6, ifindex: 1013, securityIdentity: 22446, parentIfindex: 0 });
    expect(rows[1]).toMatchObject({ ip: '10.64.0.15', cluster: '2', securityIdentity: 16777217, flags: '0x0004', ifindex: 29 });
    expect(rows[1]!.raw).toContain('rt_info:0');
  });

  it('-o json: sorted keys, same display strings, trailing empty line', () => {
    const text = [
      '{',
      '  "10.244.1.87:0": [',
      '    "id=1478  sec_id=22446 flags=0x0000 ifindex=12  mac=4E:03:9F:4E:C1:30 nodemac=36:4D:F7:A2:B9:04 parent_ifindex=0  "',
      '  ],',
      '  "10.244.1.9:0": [',
      '    "(localhost)"',
      '  ]',
      '}',
      '',
      '',
    ].join('\n');
    const { rows, warnings } = parseEndpointList(text);
    expect(warnings).toEqual([]);
    expect(rows).toEqual([
      expect.objectContaining({ ip: '10.244.1.87', endpointId: 1478, securityIdentity: 22446, ifindex: 12, line: 3 }),
      expect.objectContaining({ ip: '10.244.1.9', localhost: true, line: 6 }),
    ]);
    expect(detectSnapshotKind(text)).toBe('endpoints');
  });

  it('a garbage line is a warning with its line number and source; the other rows survive', () => {
    const text = [
      'IP ADDRESS       LOCAL ENDPOINT INFO',
      '10.244.2.20:0    id=258   sec_id=12196 flags=0x0000 ifindex=32  mac=76:B4:62:BA:AD:D5 nodemac=DE:F2:3F:BD:76:75 parent_ifindex=0',
      'this is not a row at all',
      'not-an-ip:0      id=1 sec_id=2',
      '10.244.2.21:0    sec_id=12196 flags=0x0000',
      '',
      '    id=5 sec_id=6',
    ].join('\n');
    const { rows, warnings } = parseEndpointList(text, 'node1/endpoints.txt');
    expect(rows.map((r) => r.ip)).toEqual(['10.244.2.20']);
    expect(warnings.map((w) => [w.line, w.source])).toEqual([
      [3, 'node1/endpoints.txt'],
      [4, 'node1/endpoints.txt'],
      [5, 'node1/endpoints.txt'],
      [7, 'node1/endpoints.txt'],
    ]);
    expect(warnings[0]!.text).toBe('this is not a row at all');
    expect(warnings[1]!.reason).toMatch(/not-an-ip/);
  });

  it('an empty map prints just the header: no rows, no warnings', () => {
    expect(parseEndpointList('IP ADDRESS   LOCAL ENDPOINT INFO\n')).toEqual({ rows: [], warnings: [] });
  });

  it('invalid JSON is one warning, not an exception', () => {
    const r = parseEndpointList('{ "10.0.0.1:0": [');
    expect(r.rows).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.reason).toMatch(/invalid JSON/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('ipcache list eras (hand-made from the formats reference §2)', () => {
  it('2018: the value is just the identity', () => {
    const { rows, warnings } = parseIpcacheList('IP PREFIX/ADDRESS   IDENTITY\n10.11.0.1/32        60382\nf00d::a0f:0:0:3f2b/128   60382\n');
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.prefix, r.identity, r.tunnelEndpoint, r.flags, r.encryptKey])).toEqual([
      ['10.11.0.1/32', 60382, null, null, null],
      ['f00d::a0f:0:0:3f2b/128', 60382, null, null, null],
    ]);
  });

  it('~1.1-1.10 (no flags), nodeid and vtepmac variants, IPv6 tunnel endpoints', () => {
    const text = [
      'IP PREFIX/ADDRESS      IDENTITY',
      '10.0.1.0/24            identity=2 encryptkey=0 tunnelendpoint=192.168.33.12   ',
      '10.0.1.7/32            identity=2 encryptkey=1 tunnelendpoint=192.168.33.12 nodeid=3   ',
      '10.1.5.0/24            identity=2 encryptkey=0 tunnelendpoint=172.18.0.4 vtepmac=00:50:56:A0:7D:D8',
      '10.2.0.0/16            identity=2 encryptkey=0 tunnelendpoint=fd00::12 flags=hastunnel,ipv6tunnel',
    ].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.prefix, r.tunnelEndpoint, r.encryptKey, r.flags])).toEqual([
      ['10.0.1.0/24', '192.168.33.12', 0, null],
      ['10.0.1.7/32', '192.168.33.12', 1, null],
      ['10.1.5.0/24', '172.18.0.4', 0, null],
      ['10.2.0.0/16', 'fd00::12', 0, 'hastunnel,ipv6tunnel'],
    ]);
  });

  it('continuation rows (blank key column) carry the previous key; padding and order do not matter', () => {
    const text = [
      'IP PREFIX/ADDRESS   IDENTITY',
      '10.244.1.0/24       identity=2 encryptkey=0 tunnelendpoint=172.18.0.3 flags=hastunnel         ',
      '                    identity=2 encryptkey=0 tunnelendpoint=172.18.0.9 flags=hastunnel         ',
      '0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>               ',
      '10.244.0.17/32      identity=16777217 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>        ',
    ].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.prefix, r.tunnelEndpoint, r.line])).toEqual([
      ['10.244.1.0/24', '172.18.0.3', 2],
      ['10.244.1.0/24', '172.18.0.9', 3],
      ['0.0.0.0/0', null, 4],
      ['10.244.0.17/32', null, 5],
    ]);
  });

  it('a continuation row with no key before it is a warning', () => {
    const { rows, warnings } = parseIpcacheList('                    identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>\n');
    expect(rows).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ line: 1, reason: expect.stringMatching(/continuation/) })]);
  });

  it('IPv6 keys bare and bracketed, ::/0, IPv4-mapped, @cluster suffix', () => {
    const text = [
      'IP PREFIX/ADDRESS          IDENTITY',
      'fd00:10:244::/64           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>',
      '[fd00:10:244:1::5]/128     identity=4 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>',
      '::/0                       identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>',
      '::ffff:10.0.0.1/128        identity=6 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>',
      '10.0.0.5/32@3              identity=16777217 encryptkey=0 tunnelendpoint=172.18.0.2 flags=hastunnel,remotecluster',
    ].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows[0]).toMatchObject({ prefix: 'fd00:10:244::/64', family: 6, prefixLen: 64 });
    expect(rows[0]!.hi - rows[0]!.lo).toBe((1n << 64n) - 1n);
    expect(rows[1]).toMatchObject({ prefix: 'fd00:10:244:1::5/128', identity: 4 });
    expect(rows[2]).toMatchObject({ prefix: '::/0', lo: 0n, hi: (1n << 128n) - 1n });
    expect(rows[3]).toMatchObject({ prefix: '::ffff:10.0.0.1/128', family: 6, lo: 0xffff0a000001n });
    expect(rows[4]).toMatchObject({ prefix: '10.0.0.5/32', cluster: '3', identity: 16777217, tunnelEndpoint: '172.18.0.2' });
  });

  it('`No entries found.` (stderr merged into stdout) is neither a row nor a warning', () => {
    expect(parseIpcacheList('No entries found.\n')).toEqual({ rows: [], warnings: [] });
  });

  it('-o json, with Go\'s HTML-escaped <none> and multiple values per key', () => {
    const text = [
      '{',
      '  "10.244.0.17/32": [',
      '    "identity=16777217 encryptkey=0 tunnelendpoint=0.0.0.0 flags=\\u003cnone\\u003e"',
      '  ],',
      '  "10.244.1.0/24": [',
      '    "identity=2 encryptkey=0 tunnelendpoint=172.18.0.3 flags=hastunnel",',
      '    "identity=2 encryptkey=0 tunnelendpoint=172.18.0.9 flags=hastunnel"',
      '  ]',
      '}',
      '',
    ].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.prefix, r.flags, r.tunnelEndpoint, r.line])).toEqual([
      ['10.244.0.17/32', '<none>', null, 3],
      ['10.244.1.0/24', 'hastunnel', '172.18.0.3', 6],
      ['10.244.1.0/24', 'hastunnel', '172.18.0.9', 7],
    ]);
    expect(detectSnapshotKind(text)).toBe('ipcache');
  });

  it('`cilium-dbg map get cilium_ipcache_v2` (Key Value State Error) reads the same rows', () => {
    const text = [
      'Key              Value                                                                    State   Error',
      '10.244.0.17/32   identity=16777217 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>   sync    ',
      '10.244.1.0/24    identity=2 encryptkey=0 tunnelendpoint=172.18.0.3 flags=hastunnel       sync    ',
    ].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.prefix, r.identity, r.flags])).toEqual([
      ['10.244.0.17/32', 16777217, '<none>'],
      ['10.244.1.0/24', 2, 'hastunnel'],
    ]);
  });

  it('bad keys and values are warnings with line numbers', () => {
    const text = ['IP PREFIX/ADDRESS   IDENTITY', '<unknown>           identity=2', '10.0.0.0/33         identity=2', '10.0.0.1/32         encryptkey=0'].join('\n');
    const { rows, warnings } = parseIpcacheList(text);
    expect(rows).toEqual([]);
    expect(warnings.map((w) => w.line)).toEqual([2, 3, 4]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('metrics list (§5)', () => {
  it('old 4-column layout without LINE/FILE', () => {
    const text = ['REASON                   DIRECTION   PACKETS   BYTES', 'Success                  EGRESS      8         744', 'Policy denied            INGRESS     2         148'].join('\n');
    const { rows, warnings } = parseMetricsList(text);
    expect(warnings).toEqual([]);
    expect(rows).toEqual([
      expect.objectContaining({ reason: 'Success', direction: 'EGRESS', packets: 8n, bytes: 744n, line: null, file: null, lineNo: 2 }),
      expect.objectContaining({ reason: 'Policy denied', direction: 'INGRESS', packets: 2n, bytes: 148n }),
    ]);
  });

  it('-o json: lower-case direction, counters above 2^53 kept exact', () => {
    const text = [
      '[',
      '  {',
      '    "reason": "Success",',
      '    "direction": "egress",',
      '    "packets": 9007199254740993,',
      '    "bytes": 18446744073709551615,',
      '    "line": 1344,',
      '    "file": "bpf_lxc.c"',
      '  },',
      '  {',
      '    "reason": "Policy denied by denylist",',
      '    "direction": "ingress",',
      '    "packets": 5,',
      '    "bytes": 394,',
      '    "line": 2127,',
      '    "file": "bpf_lxc.c"',
      '  }',
      ']',
      '',
    ].join('\n');
    const { rows, warnings } = parseMetricsList(text);
    expect(warnings).toEqual([]);
    expect(rows[0]).toMatchObject({ reason: 'Success', direction: 'EGRESS', packets: 9007199254740993n, bytes: 18446744073709551615n, line: 1344, lineNo: 3 });
    expect(rows[1]).toMatchObject({ reason: 'Policy denied by denylist', direction: 'INGRESS', packets: 5n, lineNo: 11 });
    expect(detectSnapshotKind(text)).toBe('metrics');
  });

  it('a row without counters is a warning', () => {
    const { rows, warnings } = parseMetricsList('REASON   DIRECTION   PACKETS   BYTES   LINE   FILE\nSuccess  EGRESS      x         1       2      bpf_lxc.c\n');
    expect(rows).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ line: 2 })]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('bpftool net (§6)', () => {
  it('xdp (single and multi-attach), classic tc with an action, netkit, flow_dissector, tcx trailing blank', () => {
    const text = [
      'xdp:',
      'eth0(2) driver id 257477',
      'eth1(3) generic id 11 driver id 12',
      '',
      'tc:',
      'eth0(2) tcx/ingress cil_from_netdev prog_id 257603 link_id 19 ',
      'eth0(2) clsact/egress cil_to_netdev-eth0 id 4470 act [{icmp_action id 7}] ',
      'nk0(9) netkit/peer cil_from_container prog_id 500 link_id 40 ',
      'eth2(4) tcx/egress prog_id 77 ',
      '',
      'flow_dissector:',
      'id 42',
      '',
      'netfilter:',
      '',
    ].join('\n');
    const { rows, warnings } = parseBpftoolNet(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.iface, r.ifindex, r.hook, r.direction, r.progName, r.progId, r.linkId, r.kind])).toEqual([
      ['eth0', 2, 'xdp', null, '', 257477, null, 'driver'],
      ['eth1', 3, 'xdp', null, '', 11, null, 'generic'],
      ['eth1', 3, 'xdp', null, '', 12, null, 'driver'],
      ['eth0', 2, 'tcx', 'ingress', 'cil_from_netdev', 257603, 19, 'tcx/ingress'],
      ['eth0', 2, 'tc', 'egress', 'cil_to_netdev-eth0', 4470, null, 'clsact/egress'],
      ['nk0', 9, 'netkit', null, 'cil_from_container', 500, 40, 'netkit/peer'],
      ['eth2', 4, 'tcx', 'egress', '', 77, null, 'tcx/egress'],
      ['', 0, 'flow_dissector', null, '', 42, null, 'flow_dissector'],
    ]);
  });

  it('-j JSON as the formats reference assembles it', () => {
    const text =
      '[{"xdp":[{"devname":"eth0","ifindex":2,"mode":"driver","id":257477}],' +
      '"tc":[{"devname":"eth0","ifindex":2,"kind":"tcx/ingress","name":"cil_from_netdev","prog_id":257603,"prog_flags":[],"link_id":19,"link_flags":[]},' +
      '{"devname":"cilium_vxlan","ifindex":5,"kind":"clsact/ingress","name":"bpf_overlay.o:[from-overlay]","id":4468}],' +
      '"flow_dissector":[],"netfilter":[]}]\n';
    const { rows, warnings } = parseBpftoolNet(text);
    expect(warnings).toEqual([]);
    expect(rows.map((r) => [r.iface, r.hook, r.direction, r.progName, r.progId, r.linkId])).toEqual([
      ['eth0', 'xdp', null, '', 257477, null],
      ['eth0', 'tcx', 'ingress', 'cil_from_netdev', 257603, 19],
      ['cilium_vxlan', 'tc', 'ingress', 'bpf_overlay.o:[from-overlay]', 4468, null],
    ]);
    expect(detectSnapshotKind(text)).toBe('bpftool-net');
  });

  it('multi_attachments in JSON become one row each', () => {
    const text = '[{"xdp":[{"devname":"eth1","ifindex":3,"multi_attachments":[{"mode":"generic","id":11},{"mode":"driver","id":12}]}],"tc":[]}]';
    expect(parseBpftoolNet(text).rows.map((r) => [r.kind, r.progId])).toEqual([['generic', 11], ['driver', 12]]);
  });

  it('a line that is not `<dev>(<ifindex>) ...` is a warning', () => {
    const { rows, warnings } = parseBpftoolNet('tc:\nens5 tcx/ingress cil_from_netdev prog_id 4600\nens5(2) tcx/ingress cil_from_netdev\n');
    expect(rows).toEqual([]);
    expect(warnings.map((w) => w.line)).toEqual([2, 3]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('prefixRange / ipToBigInt', () => {
  it('IPv4 /24 and /32', () => {
    expect(prefixRange('10.244.2.0/24')).toEqual({ prefix: '10.244.2.0/24', family: 4, prefixLen: 24, lo: 0x0af40200n, hi: 0x0af402ffn });
    expect(prefixRange('10.244.2.173/32')).toMatchObject({ lo: 0x0af402adn, hi: 0x0af402adn });
    expect(prefixRange('0.0.0.0/0')).toMatchObject({ lo: 0n, hi: 4294967295n });
  });

  it('IPv6 /64, host bits cleared, bare address = host prefix', () => {
    const r = prefixRange('fd00:10:244:3::/64');
    expect(r.lo).toBe(0xfd00_0010_0244_0003n << 64n);
    expect(r.hi).toBe((0xfd00_0010_0244_0003n << 64n) | 0xffff_ffff_ffff_ffffn);
    expect(prefixRange('FD00:10:244:3::f82d/64').prefix).toBe('fd00:10:244:3::/64');
    expect(prefixRange('10.244.2.5/24').prefix).toBe('10.244.2.0/24');
    expect(prefixRange('fd00::1')).toMatchObject({ prefixLen: 128, prefix: 'fd00::1/128' });
  });

  it('rejects bad input with a RangeError naming it', () => {
    expect(() => prefixRange('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/);
    expect(() => ipToBigInt('10.0.0.256')).toThrow(RangeError);
    expect(() => ipToBigInt('fd00::1::2')).toThrow(RangeError);
    expect(() => ipToBigInt('1:2:3:4:5:6:7:8:9')).toThrow(RangeError);
  });

  it('formats like Go (RFC 5952)', () => {
    expect(formatIp(6, ipToBigInt('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIp(6, ipToBigInt('2001:0db8:0000:0000:0000:0000:0002:0001'))).toBe('2001:db8::2:1');
    expect(formatIp(6, 0n)).toBe('::');
    expect(formatIp(6, 1n)).toBe('::1');
    expect(formatIp(6, ipToBigInt('1:0:1:0:1:0:1:0'))).toBe('1:0:1:0:1:0:1:0');
    expect(formatIp(4, ipToBigInt('192.168.20.100'))).toBe('192.168.20.100');
  });
});

describe('detectSnapshotKind', () => {
  it('returns null for text that is none of the four', () => {
    expect(detectSnapshotKind('hello world\nnothing to see\n')).toBeNull();
    expect(detectSnapshotKind('')).toBeNull();
    expect(detectSnapshotKind('[1,2,3]')).toBeNull();
    expect(detectSnapshotKind('{ broken')).toBeNull();
  });

  it('recognises headerless (grep-filtered) rows', () => {
    expect(detectSnapshotKind('10.244.2.173/32 identity=26328 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>')).toBe('ipcache');
    expect(detectSnapshotKind('10.244.2.173:0 id=1617 sec_id=26328 flags=0x0000 ifindex=26 mac=CA:16:6C:38:B8:CA')).toBe('endpoints');
    expect(detectSnapshotKind('lxc3a6f7d4e8c73(26) tcx/ingress cil_from_container prog_id 4773 link_id 29')).toBe('bpftool-net');
    expect(detectSnapshotKind('Policy denied   EGRESS   134   9916   1361   bpf_lxc.c')).toBe('metrics');
  });
});
