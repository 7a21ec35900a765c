import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePcap, examplePcapng } from '../../scripts/gen-example-captures.js';
import { spawnCli } from '../cli/helpers.js';

const root = new URL('../../', import.meta.url).pathname;

describe('examples/', () => {
  it('the committed captures are what scripts/gen-example-captures.ts writes', () => {
    expect(Buffer.from(readFileSync(`${root}examples/traffic.pcap`)).equals(Buffer.from(examplePcap()))).toBe(true);
    expect(Buffer.from(readFileSync(`${root}examples/traffic.pcapng`)).equals(Buffer.from(examplePcapng()))).toBe(true);
  });

  // The README's commands, run as a user runs them (relative paths from the repository root).
  it('tsbpf run examples/xdp_firewall.o --pcap examples/traffic.pcap', () => {
    const r = spawnCli(['run', 'examples/xdp_firewall.o', '--pcap', 'examples/traffic.pcap']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^program xdp_firewall \(xdp\) on examples\/traffic\.pcap\npackets: 12\nverdicts:\n  XDP_DROP  3\n  XDP_PASS  9\n/);
    expect(r.out).toContain(
      'maps:\n' +
        '  drops_by_saddr (hash, key __be32, value __u64): 2 entries\n' +
        '    172.16.0.9: 1\n' +
        '    192.168.1.66: 2\n' +
        '  proto_stats (hash, key __u32, value struct counter): 3 entries\n' +
        '    1: { packets: 1, bytes: 58 }\n' +
        '    6: { packets: 5, bytes: 270 }\n' +
        '    17: { packets: 4, bytes: 280 }\n' +
        'trace_printk: 3 lines\n' +
        '  [packet 3] drop port 23 from c0a80142\n' +
        '  [packet 7] drop port 23 from c0a80142\n' +
        '  [packet 8] drop port 23 from ac100009\n',
    );
  });

  it('tsbpf run examples/trace_openat.o --event examples/openat.json, as the README shows it', () => {
    const r = spawnCli(['run', 'examples/trace_openat.o', '--event', 'examples/openat.json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(`${root}README.md`, 'utf8')).toContain(`$ npx tsbpf run examples/trace_openat.o --event examples/openat.json\n${r.out}\`\`\``);
  });

  it('tsbpf run examples/socket_dns.o and examples/tc_mark.o --pcap examples/traffic.pcap', () => {
    const dns = spawnCli(['run', 'examples/socket_dns.o', '--pcap', 'examples/traffic.pcap']);
    expect(dns.code).toBe(0);
    expect(dns.out).toContain('verdicts:\n  dropped (0)      10\n  kept (non-zero)  2\n');
    expect(dns.out).toContain('  .bss (array, key 4 bytes, value global variables): 1 entry\n    0: { kept: 2 }\n');
    const tc = spawnCli(['run', 'examples/tc_mark.o', '--pcap', 'examples/traffic.pcapng']);
    expect(tc.code).toBe(0);
    expect(tc.out).toContain('verdicts:\n  TC_ACT_OK    11\n  TC_ACT_SHOT  1\n');
    expect(tc.out).toContain('  class_packets (array, key __u32, value __u64): 3 entries\n    0: 5\n    1: 2\n    2: 2\n');
  });
});
