/**
 * bpf_xdp_load_bytes, bpf_xdp_store_bytes and bpf_xdp_get_buff_len (fixture xdp_bytes.c) at the
 * packet's edges: the return values and packets tsbpf gives on every engine are the kernel's, as
 * measured with BPF_PROG_TEST_RUN on Linux 6.18 (the table below), and compared live with the kernel
 * where bpf() is allowed.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ExecutionError } from '../../src/errors.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { hex, kernelOracle, skipNote } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/xdp_bytes.o', import.meta.url));
const PROGRAMS = ['load_store', 'load_edge', 'store_edge', 'buff_len'] as const;
const packet = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i + 1);
const SIZES = [20, 60] as const;
const tail = (n: number, from: number): string => hex(packet(n).subarray(from));

/** The kernel's results (6.18, 2026-12-06): return value and packet, per program and packet size. */
const KERNEL: Record<(typeof PROGRAMS)[number], (n: number) => { retval: number; data: string }> = {
  // 8 bytes from offset 6 written at 0.
  load_store: (n) => ({ retval: 0, data: `0708090a0b0c0d0e${tail(n, 8)}` }),
  // The last 8 bytes read fine; one byte further is -EINVAL and leaves the buffer (0xaa) untouched.
  load_edge: (n) => ({ retval: 22, data: `aaaaaaaaaaaaaaaa${tail(n, 8)}` }),
  // Past the end -EINVAL (22), offset 0x10000 -EFAULT (14), the last 4 bytes fine.
  store_edge: (n) => ({ retval: (22 << 16) | (14 << 8), data: `${hex(packet(n).subarray(0, n - 4))}01020304` }),
  // The length, then 4 more after bpf_xdp_adjust_tail.
  buff_len: (n) => ({ retval: ((n + 4) << 16) | n, data: `${hex(packet(n))}00000000` }),
};

describe('XDP byte helpers', () => {
  for (const { name, engine } of ENGINES) {
    it(`give the kernel's results on the ${name}`, () => {
      const obj = loadObject(fixture('xdp_bytes'), { jitEngine: engine });
      for (const program of PROGRAMS) {
        for (const n of SIZES) {
          const r = obj.program(program).runXdp(packet(n), { jit: name === 'jit' });
          expect({ program, n, retval: Number(r.r0 & 0xffffffffn), data: hex(r.packet) }).toEqual({ program, n, ...KERNEL[program](n) });
        }
      }
    });
  }

  it('refuse a program type without an xdp_buff with a clear error', () => {
    // verify: 'warn': the kernel refuses the XDP helpers in a tc program at load; tsbpf's run-time refusal is tested here
    const run = (): unknown => loadObject(fixture('xdp_bytes'), { programTypes: { '*': 'tc' }, verify: 'warn' }).program('load_store').runTc(packet(60));
    expect(run).toThrow(ExecutionError);
    expect(run).toThrow(/bpf_xdp_load_bytes: only XDP programs run with runXdp have an xdp_buff/);
  });

  const k = kernelOracle();
  if (typeof k === 'string') skipNote(k);
  it.skipIf(typeof k === 'string')('match the kernel live (BPF_PROG_TEST_RUN)', () => {
    if (typeof k === 'string') return;
    for (const program of PROGRAMS) {
      const out = k.exec([{ op: 'obj', path: O, program }, ...SIZES.map((n) => ({ op: 'run' as const, prog: { ref: 0 }, data: packet(n) }))]);
      expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
      SIZES.forEach((n, i) => {
        const r = out[i + 1]!;
        if (r.kind !== 'run') throw new Error(JSON.stringify(r));
        expect({ program, n, retval: r.retval, data: hex(r.data) }).toEqual({ program, n, ...KERNEL[program](n) });
      });
    }
  });
});
