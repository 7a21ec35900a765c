/**
 * Helpers on the kernel objects of a simulated event (fixture event_objects.c): bpf_skb_output
 * appends a described skb's packet bytes, bpf_copy_from_user_task reads a task's user memory,
 * bpf_d_path gives a described file's path, bpf_ima_file_hash its hash, each with the kernel's errors.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { DEFAULT_TASK_ADDRESS } from '../../src/helpers/index.js';
import { load } from './fixtures.js';

const SKB = 0xffff_8880_0000_1000n;
const OTHER = 0xffff_8880_0000_2000n;
const USER = 0x7ffd_0000_1000n;
const PATH = 0xffff_8880_0000_3000n;
const FILE = 0xffff_8880_0000_2f00n;

function outOf(o: ReturnType<typeof load>): { ret: bigint; buf: Uint8Array } {
  const v = o.readVariable('out');
  return { ret: new DataView(v.buffer, v.byteOffset).getBigInt64(0, true), buf: v.subarray(8) };
}

describe('helpers on the objects of a simulated event', () => {
  for (const jit of [false, true]) {
    it(`bpf_skb_output: the data then the first flags >> 32 packet bytes (${jit ? 'JIT' : 'interpreter'})`, () => {
      const events: Uint8Array[] = [];
      const o = load('event_objects', { onPerfEvent: (_m, _cpu, data) => events.push(data) });
      const skbs = [{ address: SKB, packet: Uint8Array.from({ length: 20 }, (_, i) => i + 1) }];
      o.program('skb_out').runEvent({ args: [SKB, 4n] }, { jit, skbs });
      expect(outOf(o).ret).toBe(0n);
      expect(events.map((e) => [...e])).toEqual([[0xcd, 0xab, 0, 0, 1, 2, 3, 4]]);
      // Longer than the packet, or an skb the event does not describe: -EFAULT, nothing output.
      o.program('skb_out').runEvent({ args: [SKB, 21n] }, { jit, skbs });
      expect(outOf(o).ret).toBe(-14n);
      o.program('skb_out').runEvent({ args: [SKB + 8n, 1n] }, { jit, skbs });
      expect(outOf(o).ret).toBe(-14n);
      expect(events).toHaveLength(1);
    });
  }

  it('bpf_copy_from_user_task: the current task\'s probe memory, another task\'s own user memory', () => {
    const o = load('event_objects');
    const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const task = { pid: 100 };
    o.program('user_task').runEvent({ args: [DEFAULT_TASK_ADDRESS, USER, 0n] }, { task, probeMemory: [{ address: USER, bytes }] });
    expect(outOf(o).ret).toBe(0n);
    expect([...outOf(o).buf.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const tasks = [{ pid: 200, address: OTHER, userMemory: [{ address: USER, bytes: bytes.map((b) => b + 0x10) }] }];
    o.program('user_task').runEvent({ args: [OTHER, USER + 1n, 0n] }, { task, tasks });
    expect([...outOf(o).buf.subarray(0, 8)]).toEqual([0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19]);
    // Past the block, an unknown task, a kernel thread, flags: the buffer zeroed and an error.
    o.program('user_task').runEvent({ args: [OTHER, USER + 2n, 0n] }, { task, tasks });
    expect([outOf(o).ret, [...outOf(o).buf.subarray(0, 8)]]).toEqual([-14n, [0, 0, 0, 0, 0, 0, 0, 0]]);
    o.program('user_task').runEvent({ args: [OTHER + 8n, USER, 0n] }, { task, tasks });
    expect(outOf(o).ret).toBe(-14n);
    o.program('user_task').runEvent({ args: [DEFAULT_TASK_ADDRESS, USER, 0n] }, { probeMemory: [{ address: USER, bytes }] });
    expect(outOf(o).ret).toBe(-14n);
    o.program('user_task').runEvent({ args: [DEFAULT_TASK_ADDRESS, USER, 1n] }, { task, probeMemory: [{ address: USER, bytes }] });
    expect(outOf(o).ret).toBe(-22n);
  });

  it('bpf_d_path: the described path with its NUL, -ENAMETOOLONG when it does not fit, -EFAULT for an unknown path', () => {
    const o = load('event_objects');
    const files = [{ path: '/etc/passwd', pathAddress: PATH, address: FILE }];
    o.program('d_path').runEvent({ args: [PATH, 32n] }, { files });
    expect(outOf(o).ret).toBe(12n);
    expect(Buffer.from(outOf(o).buf.subarray(0, 12)).toString('latin1')).toBe('/etc/passwd\0');
    o.program('d_path').runEvent({ args: [PATH, 11n] }, { files });
    expect(outOf(o).ret).toBe(-36n);
    o.program('d_path').runEvent({ args: [PATH + 16n, 32n] }, { files });
    expect(outOf(o).ret).toBe(-14n);
  });

  it('bpf_ima_file_hash: the algorithm and the digest cut to the buffer, -EOPNOTSUPP without a hash', () => {
    const o = load('event_objects');
    const digest = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
    o.program('ima_hash').runEvent({ args: [FILE] }, { files: [{ path: '/bin/sh', address: FILE, imaHash: { algo: 4, digest } }] });
    expect(outOf(o).ret).toBe(4n);
    expect([...outOf(o).buf.subarray(0, 16)]).toEqual([...digest.subarray(0, 16)]);
    o.program('ima_hash').runEvent({ args: [FILE] }, { files: [{ path: '/bin/sh', address: FILE }] });
    expect(outOf(o).ret).toBe(-95n);
  });

  it('refuses malformed descriptions with an ArgumentError naming the field', () => {
    const o = load('event_objects');
    const run = (options: object): unknown => o.program('d_path').runEvent({ args: [PATH, 32n] }, options);
    expect(() => run({ files: [{ path: 5 }] })).toThrow(/options.files\[0\].path/);
    expect(() => run({ files: [{ path: '/x', imaHash: { algo: 4, digest: new Uint8Array(65) } }] })).toThrow(ArgumentError);
    expect(() => run({ skbs: [{ address: SKB, packet: new Uint8Array(1) }, { address: SKB, packet: new Uint8Array(1) }] })).toThrow(/another skb's/);
    expect(() => run({ tasks: [{ pid: 2, address: OTHER, userMemory: [{ address: 1n }] }] })).toThrow(/userMemory\[0\].bytes/);
  });
});
