/**
 * bpf_xdp_output (helper 121) in fentry / fexit programs on an XDP program: xdp-tools' xdpdump, with
 * the struct xdp_buff, its rxq and net_device and the packet in host-described kernel memory. The
 * record is the metadata followed by the first flags >> 32 packet bytes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { u32 } from './fixtures.js';

const XDPDUMP = new Uint8Array(readFileSync(fileURLToPath(new URL('../corpus/xdp-tools/xdp-dump/xdpdump_bpf.o', import.meta.url))));
const BUFF = 0xffff_8880_0000_1000n;
const RXQ = 0xffff_8880_0000_2000n;
const DEV = 0xffff_8880_0000_3000n;
const PACKET = 0xffff_8880_0001_0000n;

function u64s(...values: bigint[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  values.forEach((v, i) => new DataView(b.buffer).setBigUint64(i * 8, v, true));
  return b;
}

/** xdp_buff { data, data_end, data_meta, data_hard_start, handle, rxq }, rxq { dev, queue_index }, dev { ifindex }. */
function memory(packetLength: number, packetBytes = packetLength): { address: bigint; bytes: Uint8Array }[] {
  const rxq = new Uint8Array(16);
  rxq.set(u64s(DEV));
  rxq.set(u32(2), 8);
  return [
    { address: BUFF, bytes: u64s(PACKET, PACKET + BigInt(packetLength), PACKET, PACKET - 256n, 0n, RXQ) },
    { address: RXQ, bytes: rxq },
    { address: DEV, bytes: u32(7) },
    { address: PACKET, bytes: Uint8Array.from({ length: packetBytes }, (_, i) => i + 1) },
  ];
}

function capture(snaplen: number): { obj: ReturnType<typeof loadObject>; events: Uint8Array[] } {
  const events: Uint8Array[] = [];
  const obj = loadObject(XDPDUMP, { onPerfEvent: (_map, _cpu, data) => events.push(data) });
  // trace_cfg: capture_if_ifindex, capture_snaplen, capture_prog_index.
  obj.map('.data').update(u32(0), new Uint8Array([...u32(7), ...u32(snaplen), ...u32(4)]));
  return { obj, events };
}

describe('bpf_xdp_output', () => {
  for (const jit of [false, true]) {
    it(`writes the metadata and the first cap_len packet bytes (${jit ? 'JIT' : 'interpreter'})`, () => {
      const { obj, events } = capture(6);
      expect(obj.program('trace_on_exit').runEvent({ args: [BUFF, 2n] }, { jit, probeMemory: memory(20) }).r0).toBe(0n);
      expect(events).toHaveLength(1);
      const e = events[0]!;
      const v = new DataView(e.buffer, e.byteOffset, e.byteLength);
      // ifindex, rx_queue, pkt_len, cap_len, flags (FEXIT), prog_index, action; then 6 packet bytes.
      expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint16(8, true), v.getUint16(10, true), v.getUint16(12, true), v.getUint16(14, true), v.getInt32(16, true)]).toEqual([7, 2, 20, 6, 1, 4, 2]);
      expect([...e.subarray(20)]).toEqual([1, 2, 3, 4, 5, 6]);
    });
  }

  it('gives -EFAULT, and writes nothing, when the packet bytes are not readable', () => {
    const { obj, events } = capture(16);
    // data_end says 20 bytes, but only 4 are described: the helper faults (the program ignores the result).
    expect(obj.program('trace_on_entry').runEvent({ args: [BUFF] }, { probeMemory: memory(20, 4) }).r0).toBe(0n);
    expect(events).toHaveLength(0);
  });
});
