import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackets } from '../../src/pcap/index.js';
import { cli, spawnCli, tempFiles } from './helpers.js';

/** An Ethernet + IPv4 + TCP frame from 192.168.1.66 to 10.0.0.1, destination port `port`. */
function tcpFrame(port: number): string {
  const b = Buffer.alloc(54);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b[22] = 64;
  b[23] = 6;
  b.writeUInt32BE(0xc0a80142, 26);
  b.writeUInt32BE(0x0a000001, 30);
  b.writeUInt16BE(port, 36);
  return b.toString('hex');
}

describe('tsbpf run OBJ --packet-hex: what a capture run shows, for one packet (spawned CLI)', () => {
  it('XDP: verdict by name, maps, trace lines', () => {
    const r = spawnCli(['run', 'examples/xdp_firewall.o', '--packet-hex', tcpFrame(23)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'verdict = XDP_DROP\n' +
        'r0 = 0x1 (1)\n' +
        'maps:\n' +
        '  drops_by_saddr (hash, key __be32, value __u64): 1 entry\n' +
        '    192.168.1.66: 1\n' +
        '  proto_stats (hash, key __u32, value struct counter): 1 entry\n' +
        '    6: { packets: 1, bytes: 54 }\n' +
        'trace_printk: drop port 23 from c0a80142\n' +
        'packet: unchanged (54 bytes)\n',
    );
  });
  it('tc: TC_ACT names; the changed packet is shown, and written raw or as a capture with --out', async () => {
    const dir = tempFiles({});
    const frame = tcpFrame(80);
    const r = spawnCli(['run', 'test/fixtures/elf/rewrite.o', '--program', 'dnat', '--packet-hex', frame, '--out', join(dir, 'out.bin')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verdict = TC_ACT_OK\nr0 = 0x0 \(0\)\npacket as the program left it \(54 bytes\):\n {2}0000 {2}00 00/);
    const out = readFileSync(join(dir, 'out.bin'));
    expect(out.length).toBe(54);
    // DNAT to 10.1.2.3:8080.
    expect(out.readUInt32BE(30)).toBe(0x0a010203);
    expect(out.readUInt16BE(36)).toBe(8080);
    const json = JSON.parse((await cli(['run', 'test/fixtures/elf/rewrite.o', '--program', 'dnat', '--packet-hex', frame, '--out', join(dir, 'out.pcap'), '--json'])).out) as {
      verdict: string;
      packet: { changed: boolean; hex: string };
    };
    expect(json.verdict).toBe('TC_ACT_OK');
    expect(json.packet).toMatchObject({ changed: true, hex: out.toString('hex') });
    const packets = readPackets(new Uint8Array(readFileSync(join(dir, 'out.pcap'))));
    expect(packets).toHaveLength(1);
    expect(Buffer.from(packets[0]!.data).equals(out)).toBe(true);
  });
});

describe('map state between runs and tsbpf map (spawned CLI)', async () => {
  it('--save-maps, map lookup / update / delete / dump, and --map STATE.json restoring it', async () => {
    const dir = tempFiles({});
    const state = join(dir, 'state.json');
    const obj = 'examples/xdp_firewall.o';
    const first = spawnCli(['run', obj, '-r', 'examples/traffic.pcap', '--save-maps', state]);
    expect(first.code).toBe(0);
    expect(first.out).toContain(`saved the maps to ${state}\n`);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { format: string; maps: Record<string, unknown> };
    expect(saved.format).toBe('tsbpf-map-state');
    expect(saved.maps['drops_by_saddr']).toEqual([
      { key: '172.16.0.9', value: 1 },
      { key: '192.168.1.66', value: 2 },
    ]);
    expect(await cli(['map', 'lookup', obj, 'proto_stats', '6', '--state', state])).toMatchObject({ code: 0, out: '{ packets: 5, bytes: 270 }\n' });
    // Hex keys as bpftool takes them; a missing key is exit 1.
    expect((await cli(['map', 'lookup', obj, 'drops_by_saddr', 'c0 a8 01 42', '--hex', '--state', state])).out).toBe('2\n');
    expect(await cli(['map', 'lookup', obj, 'proto_stats', '99', '--state', state])).toMatchObject({ code: 1, err: 'tsbpf map: proto_stats: no entry for key 99\n' });
    expect((await cli(['map', 'update', obj, 'proto_stats', '6', '{"packets": 100}', '--state', state])).code).toBe(0);
    expect((await cli(['map', 'delete', obj, 'drops_by_saddr', '192.168.1.66', '--state', state])).code).toBe(0);
    expect((await cli(['map', 'dump', obj, 'drops_by_saddr', '--state', state])).out).toBe('  drops_by_saddr (hash, key __be32, value __u64): 1 entry\n    172.16.0.9: 1\n');
    // The next run starts from the edited state: counts add up on top of it.
    const second = spawnCli(['run', obj, '-r', 'examples/traffic.pcap', '--map', state, '--json']);
    const report = JSON.parse(second.out) as { maps: { name: string; entries: { key: unknown; value: unknown }[] }[] };
    const byName = Object.fromEntries(report.maps.map((m) => [m.name, m.entries]));
    expect(byName['proto_stats']).toContainEqual({ key: 6, value: { packets: 105, bytes: 270 } });
    expect(byName['drops_by_saddr']).toEqual([
      { key: '172.16.0.9', value: 2 },
      { key: '192.168.1.66', value: 2 },
    ]);
  });
  it('restores one map with --map NAME=STATE.json, and global data through its variables', async () => {
    const dir = tempFiles({});
    const state = join(dir, 'dns.json');
    expect((await cli(['map', 'update', 'examples/socket_dns.o', '.bss', '0', '{"kept": 40}', '--state', state])).code).toBe(0);
    expect(existsSync(state)).toBe(true);
    const r = spawnCli(['run', 'examples/socket_dns.o', '-r', 'examples/traffic.pcap', '--map', `.bss=${state}`]);
    expect(r.out).toContain('  .bss (array, key 4 bytes, value global variables): 1 entry\n    0: { kept: 42 }\n');
  });
  it('refuses map mistakes with one line and the right exit code', async () => {
    const obj = 'examples/xdp_firewall.o';
    expect(await cli(['map', 'dupm', obj])).toMatchObject({ code: 2, err: expect.stringContaining("unknown action 'dupm'; actions: dump, lookup, update, delete (did you mean 'dump'?)") });
    expect(await cli(['map', 'update', obj, 'proto_stats', '6', '1'])).toMatchObject({ code: 2, err: expect.stringContaining('update needs --state FILE.json') });
    const bad = await cli(['map', 'lookup', obj, 'nope', '1', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ error: { code: 'E_INPUT', message: expect.stringContaining('no map named nope') } });
  });
});
