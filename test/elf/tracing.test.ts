/**
 * A kprobe on a simulated event (fixture tracing.c): x86-64 pt_regs the host fills (ptRegs), the
 * current task the host describes (pid/tgid, uid/gid, comm) and kernel / user memory at 64-bit
 * addresses for bpf_probe_read_*; what the program saw lands in its global and its map.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { PT_REGS_SIZE, ptRegs } from '../../src/context/pt-regs.js';
import { load } from './fixtures.js';

const USER_PATH = 0x7ffd_1234_0000n;
const KERNEL_HOW = 0xffff_8880_0abc_0000n;

function event(): { regs: Uint8Array; probeMemory: { address: bigint; bytes: Uint8Array }[] } {
  const how = new Uint8Array(16);
  const v = new DataView(how.buffer);
  v.setUint32(0, 0o644, true);
  v.setUint32(4, 0x8241, true);
  v.setBigUint64(8, 4096n, true);
  return {
    regs: ptRegs({ di: BigInt.asUintN(64, -100n), si: USER_PATH, dx: KERNEL_HOW, ip: 0xffff_ffff_8123_4567n }),
    probeMemory: [
      { address: USER_PATH, bytes: new TextEncoder().encode('/etc/passwd\0garbage') },
      { address: KERNEL_HOW, bytes: how },
    ],
  };
}

function seen(obj: ReturnType<typeof load>): Record<string, bigint | string> {
  const b = obj.readVariable('seen');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = (at: number, n: number): string => new TextDecoder().decode(b.subarray(at, at + n)).replace(/\0.*$/s, '');
  return {
    pidTgid: v.getBigUint64(0, true), uidGid: v.getBigUint64(8, true), dfd: v.getBigInt64(16, true),
    readKernel: v.getBigInt64(32, true), readUser: v.getBigInt64(40, true),
    mode: BigInt(v.getUint32(48, true)), flags: BigInt(v.getUint32(52, true)), size: v.getBigUint64(56, true),
    comm: text(64, 16), path: text(80, 32), ip: v.getBigUint64(112, true), rc: v.getBigInt64(120, true),
  };
}

describe('kprobe programs on a host-described event', () => {
  for (const jit of [false, true]) {
    it(`read pt_regs arguments, the task and probe memory (${jit ? 'JIT' : 'interpreter'})`, () => {
      const obj = load('tracing');
      const e = event();
      const r0 = obj.program('trace_open').run(e.regs, { jit, task: { pid: 4242, tgid: 4200, uid: 1000, gid: 100, comm: 'cat-with-a-very-long-name' }, probeMemory: e.probeMemory });
      expect(r0).toBe(0n);
      expect(seen(obj)).toMatchObject({
        pidTgid: (4200n << 32n) | 4242n, uidGid: (100n << 32n) | 1000n, dfd: -100n, readKernel: 0n, readUser: 12n,
        mode: 0o644n, flags: 0x8241n, size: 4096n, comm: 'cat-with-a-very', path: '/etc/passwd', ip: 0xffff_ffff_8123_4567n,
      });
      // The map counts calls per process.
      obj.program('trace_open').run(e.regs, { jit, task: { pid: 4243, tgid: 4200 }, probeMemory: e.probeMemory });
      const key = new Uint8Array(new Uint32Array([4200]).buffer);
      expect(new DataView(obj.map('calls').lookup(key)!.buffer).getBigUint64(0, true)).toBe(2n);
      // A kretprobe reads the return value from ax.
      obj.program('trace_open_ret').run(ptRegs({ ax: BigInt.asUintN(64, -2n) }), { jit });
      expect(seen(obj).rc).toBe(-2n);
    });
  }

  it('without a task sees the idle task; reads outside the described memory fail with -EFAULT and zeroed bytes', () => {
    const obj = load('tracing');
    const regs = ptRegs({ si: USER_PATH + 0x1000n, dx: KERNEL_HOW + 8n });
    obj.program('trace_open').run(regs, { probeMemory: event().probeMemory });
    // The 16-byte read at KERNEL_HOW + 8 runs past its 16-byte block: -EFAULT, zeroed.
    expect(seen(obj)).toMatchObject({ pidTgid: 0n, uidGid: 0n, comm: 'swapper/0', readKernel: -14n, readUser: -14n, mode: 0n, size: 0n, path: '' });
  });

  it('checks the event with ArgumentError', () => {
    const prog = load('tracing').program('trace_open');
    const regs = ptRegs({});
    expect(regs.length).toBe(PT_REGS_SIZE);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ task: { pid: -1 } }, /options.task.pid/],
      [{ task: { pid: 1, uid: 2 ** 32 } }, /options.task.uid/],
      [{ task: { pid: 1, comm: 5 } }, /options.task.comm/],
      [{ probeMemory: [{ address: 5, bytes: new Uint8Array(1) }] }, /probeMemory\[0\].address must be a bigint/],
      [{ probeMemory: [{ address: 5n, bytes: [1] }] }, /probeMemory\[0\].bytes/],
      [{ probeMemory: 'x' }, /options.probeMemory must be an array/],
    ];
    for (const [o, re] of bad) expect(() => prog.run(regs, o as never)).toThrow(re);
    expect(() => ptRegs({ rdi: 1n } as never)).toThrow(ArgumentError);
    expect(() => ptRegs({ di: 1 } as never)).toThrow(/regs.di must be a bigint/);
  });
});
