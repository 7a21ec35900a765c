/**
 * `tsbpf run` on a flow dissector (test/fixtures/elf/flow_dissector.o): one frame (text and --json, with
 * the keys), a capture (verdicts per frame), and what it refuses (a frame shorter than an Ethernet
 * header, --workers).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePcap } from '../../src/pcap/index.js';
import { cli, tempFiles } from './helpers.js';

const O = new URL('../fixtures/elf/flow_dissector.o', import.meta.url).pathname;
/** Ethernet + IPv4 10.0.0.1 -> 192.168.1.2 + UDP 53 -> 5353. */
const V4_UDP = '0102030405060708090a0b0c08004500001400010000401100000a000001c0a80102003514e9';
const ARP = `${'00'.repeat(12)}0806${'00'.repeat(28)}`;
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('tsbpf run a flow dissector', () => {
  it('runs one frame and reports the verdict and the keys', async () => {
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', O, '--packet-hex', V4_UDP, ...jit]);
      expect(r.err).toBe('');
      expect(r.out).toContain('verdict = BPF_OK (0)\n');
      expect(r.out).toContain('flow keys: nhoff=14 thoff=34 addrProto=2048 nProto=2048 ipProto=17 isFrag=false isFirstFrag=false isEncap=false sport=53 dport=5353 src=10.0.0.1 dst=192.168.1.2 flags=0 flowLabel=0\n');
    }
    const doc = JSON.parse((await cli(['run', O, '--packet-hex', ARP, '--json'])).out);
    expect(doc).toMatchObject({ verdict: 'BPF_DROP (2)', flowKeys: { nhoff: 14, thoff: 14, nProto: 0x0806, ipProto: 0 } });
  });

  it('runs a capture, frame by frame', async () => {
    const dir = tempFiles({ 'flows.pcap': writePcap([{ data: bytes(V4_UDP) }, { data: bytes(ARP) }, { data: bytes(V4_UDP) }]) });
    const r = await cli(['run', O, '--pcap', join(dir, 'flows.pcap')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/BPF_OK \(0\)\s+2/);
    expect(r.out).toMatch(/BPF_DROP \(2\)\s+1/);
  });

  it('refuses a frame shorter than an Ethernet header, and --workers', async () => {
    const short = await cli(['run', O, '--packet-hex', '0102']);
    expect(short.code).not.toBe(0);
    expect(short.err).toMatch(/at least 14 bytes, not 2/);
    const dir = tempFiles({ 'one.pcap': writePcap([{ data: bytes(V4_UDP) }]) });
    expect((await cli(['run', O, '--pcap', join(dir, 'one.pcap'), '--workers', '2'])).err).toMatch(/--workers does not run flow_dissector programs yet/);
  });
});
