/**
 * Loads through BTF-typed kernel pointers (fentry / fexit / tp_btf programs read `sk->field` directly):
 * they read the host-described probe memory, and 0 where the host describes none — the kernel's
 * faulting-load semantics for such pointers (a faulting load zeroes its destination register). The
 * program is cilium/ebpf's fentry example (test/corpus), which reads a `struct sock` through its first
 * argument and sends what it read to a ring buffer. Both engines.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { ExecutionError } from '../../src/errors.js';

const OBJECT = new Uint8Array(readFileSync(new URL('../corpus/ebpf-samples/cilium-examples/fentry_bpf_bpfel.o', import.meta.url)));
const SK = 0xffff_8880_1234_5000n;

/** The first bytes of a `struct sock_common`: daddr, saddr, dport (big-endian), sport, family. */
function sock(family: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x0200000a, true); // daddr 10.0.0.2
  v.setUint32(4, 0x0100000a, true); // saddr 10.0.0.1
  v.setUint16(12, 0x0050, false); // dport 80, network order
  v.setUint16(14, 12345, true); // sport, host order
  v.setUint16(16, family, true);
  return b;
}

describe.each([false, true])('loads through BTF pointers (jit %s)', (jit) => {
  it('read the host-described object the argument points at', () => {
    const o = loadObject(OBJECT);
    o.program('tcp_connect').runEvent({ args: [SK] }, { jit, task: { pid: 7, comm: 'curl' }, probeMemory: [{ address: SK, bytes: sock(2) }] });
    const records = o.map('events', RingBufMap).drain();
    expect(records.length).toBe(1);
    const r = new DataView(records[0]!.buffer, records[0]!.byteOffset, records[0]!.byteLength);
    expect(new TextDecoder().decode(records[0]!.subarray(0, 4))).toBe('curl');
    expect(r.getUint16(16, true)).toBe(12345 >> 8 | (12345 & 0xff) << 8); // bpf_ntohs(sport) as stored
    expect(r.getUint16(18, true)).toBe(0x5000); // dport as it was
    expect(r.getUint32(20, true)).toBe(0x0100000a);
    expect(r.getUint32(24, true)).toBe(0x0200000a);
  });

  it('read 0 where the host describes nothing: a NULL pointer, a small one, an address past a block', () => {
    const o = loadObject(OBJECT);
    for (const args of [[0n], [1n], [SK + 0x10000n], [0xffff_ffff_ffff_fff0n], []]) {
      // family reads 0, not AF_INET: the program sends nothing.
      expect(o.program('tcp_connect').runEvent({ args }, { jit, probeMemory: [{ address: SK, bytes: sock(2) }] }).r0).toBe(0n);
      expect(o.map('events', RingBufMap).drain()).toEqual([]);
    }
    // A block too short for the 2-byte load at +16 (it straddles the block's end) reads 0 too.
    o.program('tcp_connect').runEvent({ args: [SK] }, { jit, probeMemory: [{ address: SK, bytes: sock(2).subarray(0, 17) }] });
    expect(o.map('events', RingBufMap).drain()).toEqual([]);
  });

  it('do not change other program types: a kprobe load nothing maps still fails', () => {
    // verify: 'warn': as a kprobe the program dereferences a register the kernel sees as a number (refused at load); the run-time fault is tested here
    const o = loadObject(OBJECT, { programTypes: { tcp_connect: 'kprobe' }, verify: 'warn' });
    expect(() => o.program('tcp_connect').runEvent({ regs: { di: 0n } }, { jit })).toThrow(ExecutionError);
    // And after a BTF run, the next run of another type faults again (the setting does not leak).
    const b = loadObject(OBJECT);
    b.program('tcp_connect').runEvent({ args: [0n] }, { jit });
    expect(() => b.program('tcp_connect').run(new Uint8Array(104), { jit })).toThrow(/out-of-bounds 2-byte load/);
  });
});
