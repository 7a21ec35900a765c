/**
 * Writable raw tracepoints (raw_tp.w): runEvent's event.buffer is mapped writable where args[0] points,
 * and comes back as the program left it, on both engines (test/fixtures/elf/raw_tp_writable.c); the
 * buffer's checks. The kernel's verdicts on the type's context are test/verifier/kernel-ctx-types.test.ts's;
 * the kernel loads the object but will not test-run the type (test/kernel/raw-tp-writable.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ArgumentError, MemoryAccessError } from '../../src/errors.js';
import { fixture } from '../elf/fixtures.js';

/** The fixture's `struct req`: magic, type, cookie, handle[8], from, len (32 bytes). */
function req(type: number, cookie: bigint, from: number, len: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(4, type, true);
  v.setBigUint64(8, cookie, true);
  b.set([0x41, 0, 0, 0, 0, 0, 0, 0], 16);
  v.setUint32(24, from, true);
  v.setUint32(28, len, true);
  return b;
}

describe('writable raw tracepoints', () => {
  for (const jit of [false, true]) {
    it(`rewrite changes the buffer args[0] points at (${jit ? 'JIT' : 'interpreter'})`, () => {
      const obj = loadObject(fixture('raw_tp_writable'));
      expect(obj.programs[0]).toMatchObject({ name: 'rewrite', type: 'raw_tracepoint' });
      expect(obj.program('rewrite').tracingType).toBe('raw_tracepoint');
      obj.program('rewrite');
      expect(obj.verification.get('rewrite')).toEqual({ programType: 'raw_tracepoint_writable', issues: [] });
      const buffer = req(1, 0x1234n, 7, 100);
      const r = obj.program('rewrite').runEvent({ buffer, args: [0n, 5n] }, { jit });
      const v = new DataView(r.buffer!.buffer);
      expect(v.getUint32(0, true)).toBe(0x25609513);
      expect(v.getBigUint64(8, true)).toBe(0x1234n ^ 0xffffn);
      expect(v.getUint32(28, true)).toBe(205);
      expect(r.buffer![23]).toBe(0x41);
      expect(buffer[0]).toBe(0); // the caller's bytes are not changed in place
      const seen = obj.map('seen');
      expect(new DataView(seen.lookup(new Uint8Array([1, 0, 0, 0]))!.buffer).getBigUint64(0, true)).toBe((7n << 32n) | 100n);
      // type 2: magic left alone
      const r2 = obj.program('rewrite').runEvent({ buffer: req(2, 0n, 0, 1) }, { jit });
      expect(new DataView(r2.buffer!.buffer).getUint32(0, true)).toBe(0);
    });
  }

  it('a buffer shorter than the program reaches stops the run at the access; bad buffers are refused', () => {
    const rewrite = loadObject(fixture('raw_tp_writable')).program('rewrite');
    expect(() => rewrite.runEvent({ buffer: new Uint8Array(16) })).toThrow(MemoryAccessError);
    expect(() => rewrite.runEvent({ buffer: new Uint8Array(0x10001) })).toThrow(/event.buffer must be a Uint8Array of at most 65536 bytes/);
    expect(() => rewrite.runEvent({ buffer: [1, 2] as unknown as Uint8Array })).toThrow(ArgumentError);
    expect(() => rewrite.runEvent({ buffer: new Uint8Array(32), args: [5n] })).toThrow(/event.args\[0\] becomes the address of event.buffer/);
    // without a buffer, args[0] is a number like any other: dereferencing it faults
    expect(() => rewrite.runEvent({ args: [0n, 1n] })).toThrow(MemoryAccessError);
  });
});
