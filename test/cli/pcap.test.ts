import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackets, writePcap } from '../../src/pcap/index.js';
import { exampleTraffic, inetChecksum } from '../../scripts/gen-example-captures.js';
import { cli, tempFiles } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const ex = (f: string): string => `${root}examples/${f}`;
const traffic = exampleTraffic();

/** Expected per-protocol counters of xdp_firewall.c, computed from the generated frames. */
function protoStats(): Map<number, { packets: number; bytes: number }> {
  const out = new Map<number, { packets: number; bytes: number }>();
  for (const p of traffic) {
    if (p.data[12] !== 0x08 || p.data[13] !== 0x00) continue;
    const proto = p.data[23]!;
    const c = out.get(proto) ?? { packets: 0, bytes: 0 };
    c.packets++;
    c.bytes += p.data.length;
    out.set(proto, c);
  }
  return out;
}

/** Destination port of an IPv4 TCP/UDP frame, else undefined. */
function dport(d: Uint8Array): number | undefined {
  if (d[12] !== 0x08 || d[13] !== 0x00 || (d[23] !== 6 && d[23] !== 17)) return undefined;
  const l4 = 14 + (d[14]! & 0x0f) * 4;
  return (d[l4 + 2]! << 8) | d[l4 + 3]!;
}

describe('tsbpf run OBJ --pcap', () => {
  it('counts XDP verdicts, decodes the maps through BTF and collects trace_printk lines', async () => {
    const r = await cli(['run', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const blocked = traffic.map((p, i) => [i + 1, p] as const).filter(([, p]) => dport(p.data) === 23);
    expect(blocked.map(([n]) => n)).toEqual([3, 7, 8]);
    expect(report.packets).toBe(traffic.length);
    expect(report.verdicts).toEqual({ XDP_DROP: blocked.length, XDP_PASS: traffic.length - blocked.length });
    const stats = report.maps.find((m: { name: string }) => m.name === 'proto_stats');
    expect(stats).toMatchObject({ type: 'hash', keyType: '__u32', valueType: 'struct counter' });
    expect(stats.entries).toEqual([...protoStats()].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value })));
    const drops = report.maps.find((m: { name: string }) => m.name === 'drops_by_saddr');
    expect(drops.keyType).toBe('__be32');
    expect(drops.entries).toEqual([
      { key: '172.16.0.9', value: 1 },
      { key: '192.168.1.66', value: 2 },
    ]);
    expect(report.trace).toEqual([
      { packet: 3, line: 'drop port 23 from c0a80142' },
      { packet: 7, line: 'drop port 23 from c0a80142' },
      { packet: 8, line: 'drop port 23 from ac100009' },
    ]);
    expect(report.engine).toBe('interpreter');
  });

  it('prints the same report as text, and --out keeps the passed packets unchanged and in order', async () => {
    const dir = tempFiles({});
    const out = join(dir, 'passed.pcap');
    const r = await cli(['run', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^program xdp_firewall \(xdp\) on .*traffic\.pcap\npackets: 12\nverdicts:\n  XDP_DROP  3\n  XDP_PASS  9\ntime: [\d.]+ (ns|µs|ms) per packet on average, median [\d.]+ (ns|µs|ms) \(interpreter\)\ninstructions: 47\.8 per packet \(min 13, median 47, p99 74, max 74\)\n  by count: 13 16\.7%, 44 16\.7%, 47 16\.7%, 48 8\.3%, 53 8\.3%, 56 8\.3%, 61 8\.3%, 74 16\.7%\nmaps:\n/);
    expect(r.out).toContain('  drops_by_saddr (hash, key __be32, value __u64): 2 entries\n    172.16.0.9: 1\n    192.168.1.66: 2\n');
    expect(r.out).toContain('    6: { packets: 5, bytes: 270 }\n');
    expect(r.out).toContain('trace_printk: 3 lines\n  [packet 3] drop port 23 from c0a80142\n');
    expect(r.out).toMatch(/wrote 9 packets to .*passed\.pcap\n$/);
    const written = readPackets(new Uint8Array(readFileSync(out)));
    const expected = traffic.filter((p) => dport(p.data) !== 23);
    expect(written.map((p) => [...p.data])).toEqual(expected.map((p) => [...p.data]));
    expect(written[0]!.timestamp).toBe(1_700_000_000_000_000_000n);
  });

  it('reads pcapng captures too, and --jit gives the same verdicts and maps', async () => {
    const a = JSON.parse((await cli(['run', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcapng'), '--json'])).out);
    const b = JSON.parse((await cli(['run', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--json', '--jit'])).out);
    expect(b.engine).toBe('jit');
    for (const k of ['packets', 'verdicts', 'maps', 'trace']) expect(a[k]).toEqual(b[k]);
  });

  it('socket filter: keeps DNS packets only, at the length it returns; counts them in a global variable', async () => {
    const out = join(tempFiles({}), 'dns.pcap');
    const r = JSON.parse((await cli(['run', ex('socket_dns.o'), '--pcap', ex('traffic.pcap'), '--out', out, '--json'])).out);
    const dns = traffic.filter((p) => {
      const d = p.data;
      if (d[12] !== 0x08 || d[13] !== 0 || d[23] !== 17) return false;
      const l4 = 14 + (d[14]! & 0x0f) * 4;
      return ((d[l4]! << 8) | d[l4 + 1]!) === 53 || ((d[l4 + 2]! << 8) | d[l4 + 3]!) === 53;
    });
    expect(dns).toHaveLength(2);
    expect(r.verdicts).toEqual({ 'dropped (0)': traffic.length - 2, 'kept (non-zero)': 2 });
    expect(r.maps).toEqual([{ name: '.bss', type: 'array', keyType: '4 bytes', valueType: 'global variables', entries: [{ key: 0, value: { kept: 2 } }] }]);
    expect(readPackets(new Uint8Array(readFileSync(out))).map((p) => [...p.data])).toEqual(dns.map((p) => [...p.data]));
  });

  it('tc: marks classes, drops TTL 1, and --out holds the packets as the program left them (TTL - 1, checksum fixed)', async () => {
    const out = join(tempFiles({}), 'tc.pcap');
    const r = JSON.parse((await cli(['run', ex('tc_mark.o'), '--pcap', ex('traffic.pcap'), '--out', out, '--json', '-v'])).out);
    expect(r.verdicts).toEqual({ TC_ACT_OK: 11, TC_ACT_SHOT: 1 });
    expect(r.perPacket[9]).toEqual({ packet: 10, verdict: 'TC_ACT_SHOT', length: 54 });
    // web: TCP 80 and 443; DNS: UDP 53 either way; other IPv4: the rest but the TTL-1 packet.
    expect(r.maps[0]).toMatchObject({ name: 'class_packets', entries: [{ key: 0, value: 5 }, { key: 1, value: 2 }, { key: 2, value: 2 }] });
    const written = readPackets(new Uint8Array(readFileSync(out)));
    const kept = traffic.filter((_, i) => i !== 9);
    expect(written).toHaveLength(kept.length);
    written.forEach((p, i) => {
      const orig = kept[i]!.data;
      if (orig[12] !== 0x08 || orig[13] !== 0) {
        expect([...p.data]).toEqual([...orig]);
        return;
      }
      expect(p.data[22]).toBe(orig[22]! - 1);
      expect(inetChecksum(p.data.subarray(14, 34))).toBe(0);
      expect([...p.data.subarray(34)]).toEqual([...orig.subarray(34)]);
    });
  });

  it('--map preloads entries by BTF field name, dotted address, hex and number before the run', async () => {
    const dir = tempFiles({
      'stats.json': JSON.stringify({ '6': { packets: 100, bytes: '0x1000' } }),
      'drops.json': JSON.stringify([{ key: '192.168.1.66', value: 40 }, { key: '0x0a000001', value: '7' }]),
    });
    const r = JSON.parse(
      (await cli(['run', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--json', '--map', `proto_stats=${dir}/stats.json`, '--map', `drops_by_saddr=${dir}/drops.json`])).out,
    );
    const stats = r.maps.find((m: { name: string }) => m.name === 'proto_stats');
    expect(stats.entries.find((e: { key: number }) => e.key === 6).value).toEqual({ packets: 105, bytes: 0x1000 + 270 });
    const drops = r.maps.find((m: { name: string }) => m.name === 'drops_by_saddr');
    // __be32 hex strings are host-order integers: 0x0a000001 is 10.0.0.1.
    expect(drops.entries).toEqual([
      { key: '10.0.0.1', value: 7 },
      { key: '172.16.0.9', value: 1 },
      { key: '192.168.1.66', value: 42 },
    ]);
  });

  it('raw bytecode runs per packet too (r0 counts)', async () => {
    // ldxb r0, [r1+23] (IP protocol byte); exit
    const r = await cli(['run', '71101700000000009500000000000000', '--pcap', ex('traffic.pcap'), '--json']);
    const j = JSON.parse(r.out);
    expect(j.verdicts).toEqual({ 'r0 = 0': 2, 'r0 = 1': 1, 'r0 = 6': 5, 'r0 = 17': 4 });
  });
});

describe('tsbpf run --pcap on bad input', () => {
  const obj = ex('xdp_firewall.o');
  const pcap = ex('traffic.pcap');
  const bytes = new Uint8Array(readFileSync(pcap));
  const dir = tempFiles({
    'truncated.pcap': bytes.subarray(0, bytes.length - 10),
    'notpcap.pcap': 'hello, world',
    'raw.pcap': writePcap([{ data: new Uint8Array(20) }], { linkType: 101 }),
    'bad.json': '{"6": {packets: 1}}',
    'badfield.json': '{"6": {"pkts": 1}}',
    'badkey.json': '[{"key": "zz", "value": 1}]',
    'notelf.o': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]),
  });
  const cases: [string, string[], RegExp][] = [
    ['a missing capture', ['run', obj, '--pcap', `${dir}/nope.pcap`], /nope\.pcap: no such file\n$/],
    ['a missing object', ['run', `${dir}/nope.o`, '--pcap', pcap], /nope\.o: no such file \(and not a hex string\)\n$/],
    ['a file that is not an ELF object', ['run', `${dir}/notelf.o`, '--pcap', pcap], /^tsbpf run: E_ELF: not an ELF file: 7 bytes is shorter than an ELF64 header\n$/],
    ['a file that is not a capture', ['run', obj, '--pcap', `${dir}/notpcap.pcap`], /notpcap\.pcap: E_PCAP: not a pcap or pcapng capture/],
    ['a non-Ethernet capture', ['run', obj, '--pcap', `${dir}/raw.pcap`], /packet 1 is RAW \(link type 101\); tsbpf runs programs on Ethernet frames/],
    ['an unknown program name', ['run', obj, '--pcap', pcap, '--program', 'nope'], /no program named nope; programs: xdp_firewall \(xdp\)\n$/],
    ['an unknown map in --map', ['run', obj, '--pcap', pcap, '--map', `nope=${dir}/bad.json`], /--map nope: the object has no map named nope; maps: drops_by_saddr, proto_stats, .rodata\n$/],
    ['bad JSON', ['run', obj, '--pcap', pcap, '--map', `proto_stats=${dir}/bad.json`], /bad\.json: not valid JSON/],
    ['an unknown struct field', ['run', obj, '--pcap', pcap, '--map', `proto_stats=${dir}/badfield.json`], /entry 0 value: struct counter has no field 'pkts'; fields: packets, bytes\n$/],
    ['a bad key', ['run', obj, '--pcap', pcap, '--map', `proto_stats=${dir}/badkey.json`], /entry 0 key: expected an integer/],
    ['a --map without =', ['run', obj, '--pcap', pcap, '--map', 'proto_stats'], /--map proto_stats: expected NAME=FILE\.json, or a map state FILE\.json \(no such file\)/],
  ];
  for (const [what, argv, message] of cases) {
    it(`reports ${what} in one line with exit code 1`, async () => {
      const r = await cli(argv);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
  it('rejects capture-only options without --pcap, and --mem with --pcap (exit code 2)', async () => {
    expect((await cli(['run', obj, '--verbose'])).err).toMatch(/--verbose applies to capture runs only/);
    expect((await cli(['run', obj, '--pcap', pcap, '--mem-hex', '00'])).code).toBe(2);
  });
});

describe('progress bar', () => {
  const many = writePcap(Array.from({ length: 1200 }, (_, i) => ({ data: Uint8Array.from([i & 0xff, i >> 8, ...new Array(12).fill(0)]) })));
  const dir = tempFiles({ 'many.pcap': many });
  const run = async (tty: boolean): Promise<{ code: number; err: string; out: string }> => {
    let err = '';
    let out = '';
    const { runCli } = await import('../../src/cli/cli.js');
    const code = await runCli(['run', 'b7000000010000009500000000000000', '--pcap', `${dir}/many.pcap`], {
      out: (t) => void (out += t),
      outBytes: () => undefined,
      err: (t) => void (err += t),
      readStdin: async () => new Uint8Array(0),
      errIsTty: tty,
    });
    return { code, err, out };
  };
  it('is drawn on a terminal for long captures and erased at the end; never otherwise', async () => {
    const tty = await run(true);
    expect(tty.code).toBe(0);
    expect(tty.out).toContain('packets: 1200\nverdicts:\n  r0 = 1  1200\n');
    expect(tty.err).toMatch(/^\r\d+ packets/);
    expect(tty.err.endsWith('\r\x1b[K')).toBe(true);
    expect((await run(false)).err).toBe('');
  });
});
