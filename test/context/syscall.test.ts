/**
 * syscall runs (runSyscall) on both engines: test/fixtures/elf/syscall_run.c's fold reads and writes the
 * caller's `struct args` and the bytes come back as it left them; the context's rules (at most 65535
 * bytes, at least the program's furthest access, a Uint8Array); make_map's bpf_sys_bpf refused at load
 * with the reason while fold stays usable. Compared with the kernel in test/kernel/syscall.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ArgumentError, ObjectFileError } from '../../src/errors.js';
import { fixture } from '../elf/fixtures.js';
import { syscallArgs } from './syscall-args.js';

describe('syscall programs', () => {
  for (const jit of [false, true]) {
    it(`fold reads and writes the caller's context (${jit ? 'JIT' : 'interpreter'})`, () => {
      const obj = loadObject(fixture('syscall_run'));
      expect(obj.programs.find((p) => p.name === 'fold')?.type).toBe('syscall');
      const ctx = syscallArgs(3, 0, [5n, 17n, 2n, 99n], 'abcdefghijklmnop');
      const r = obj.program('fold').runSyscall(ctx, { jit });
      expect(r.r0).toBe(3n);
      const v = new DataView(r.ctx.buffer);
      expect(v.getBigUint64(72, true)).toBe(24n); // sum of the first 3
      expect(v.getBigUint64(80, true)).toBe(17n); // max
      expect(new TextDecoder().decode(r.ctx.subarray(88, 104))).toBe('ponmlkjihgfedcba');
      expect(ctx[72]).toBe(0); // the caller's bytes are not changed in place
      const flagged = obj.program('fold').runSyscall(syscallArgs(0, 1, [], ''), { jit });
      expect(flagged.r0).toBe(0xffff_ffff_ffff_ffffn);
      expect(obj.map('calls').lookup(new Uint8Array(4))).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
      // a longer context: the rest comes back untouched
      const long = new Uint8Array(4096).fill(0xee);
      long.set(syscallArgs(1, 0, [7n], 'x'));
      const l = obj.program('fold').runSyscall(long, { jit });
      expect(l.ctx.length).toBe(4096);
      expect(l.ctx.subarray(104).every((b) => b === 0xee)).toBe(true);
    });
  }

  it('refuse contexts the kernel refuses: shorter than the furthest access, over 65535 bytes, not bytes', () => {
    const fold = loadObject(fixture('syscall_run')).program('fold');
    expect(() => fold.runSyscall(new Uint8Array(103))).toThrow(/accesses its context up to byte 104, but the context given has 103 bytes/);
    expect(() => fold.runSyscall(new Uint8Array(0))).toThrow(ArgumentError);
    expect(() => fold.runSyscall(new Uint8Array(0x10000))).toThrow(/at most 65535 bytes, not 65536/);
    expect(() => fold.runSyscall([1, 2, 3] as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
    expect(fold.runSyscall(new Uint8Array(0xffff)).ctx.length).toBe(0xffff);
  });

  it('refuse bpf_sys_bpf when the program is loaded, naming it and why; the object\'s other programs run', () => {
    const obj = loadObject(fixture('syscall_run'));
    expect(() => obj.program('make_map')).toThrow(ObjectFileError);
    expect(() => obj.program('make_map')).toThrow(/166 \(bpf_sys_bpf, first at .*makes bpf system calls/);
    expect(obj.program('fold').runSyscall(syscallArgs(1, 0, [1n], '')).r0).toBe(1n);
  });
});
