import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ByteWriter } from '../../src/wasm/writer.js';
import { CodeWriter, ModuleBuilder } from '../../src/wasm/module.js';
import { Op, ValType } from '../../src/wasm/opcodes.js';

/** Independent LEB128 decoders (the spec's definition, on bigint). */
function readUleb(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v |= BigInt(bytes[i]! & 0x7f) << BigInt(7 * i);
  return v;
}
function readSleb(bytes: Uint8Array): bigint {
  const n = bytes.length;
  const v = readUleb(bytes);
  return (bytes[n - 1]! & 0x40) !== 0 ? v - (1n << BigInt(7 * n)) : v;
}
function wellFormed(bytes: Uint8Array): boolean {
  return bytes.every((b, i) => (i === bytes.length - 1 ? (b & 0x80) === 0 : (b & 0x80) !== 0));
}

describe('LEB128', () => {
  it('u32 round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const b = new ByteWriter().u32(v).finish();
        expect(wellFormed(b)).toBe(true);
        expect(b.length).toBeLessThanOrEqual(5);
        expect(readUleb(b)).toBe(BigInt(v));
      }),
    );
  });
  it('s32 and s64 round-trip with minimal length', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), (v) => {
        const b = new ByteWriter().s32(v).finish();
        expect(wellFormed(b)).toBe(true);
        expect(readSleb(b)).toBe(BigInt(v));
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        const b = new ByteWriter().s64(v).finish();
        expect(wellFormed(b)).toBe(true);
        expect(b.length).toBeLessThanOrEqual(10);
        expect(readSleb(b)).toBe(v);
        // Minimal: dropping the last byte must change the value's sign-extension.
        if (b.length > 1) expect(readSleb(b.subarray(0, b.length - 1)) === v).toBe(false);
      }),
    );
  });
  it('known encodings', () => {
    expect([...new ByteWriter().u32(624485).finish()]).toEqual([0xe5, 0x8e, 0x26]);
    expect([...new ByteWriter().s32(-123456).finish()]).toEqual([0xc0, 0xbb, 0x78]);
    expect([...new ByteWriter().s64(-1n).finish()]).toEqual([0x7f]);
    expect([...new ByteWriter().s32(64).finish()]).toEqual([0xc0, 0x00]);
  });
});

describe('ModuleBuilder', () => {
  it('builds a valid module with imports, globals, memory, control flow and i64 ops', () => {
    const mb = new ModuleBuilder();
    const log = mb.importFunction('env', 'log', [ValType.i64], []);
    mb.importMemory('env', 'memory');
    const g = mb.global(ValType.i64);
    mb.export('g', 'global', g);
    const f = mb.declareFunction([ValType.i64, ValType.i64], [ValType.i64]);
    const c = new CodeWriter();
    // sum = 0; for (i = a; i != b; i++) sum += i; store sum at [8]; log(sum); return load8_s [8] + global
    c.block().loop();
    c.get(0).get(1).op(Op.i64_eq).brIf(1);
    c.get(2).get(0).op(Op.i64_add).set(2);
    c.get(0).i64(1).op(Op.i64_add).set(0).br(0);
    c.end().end();
    c.i32(8).get(2).mem(Op.i64_store);
    c.get(2).call(log);
    c.i32(8).mem(Op.i64_load8_s).gget(g).op(Op.i64_add);
    mb.defineFunction(f, [ValType.i64], c);
    mb.export('f', 'func', f);
    const bytes = mb.build();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const logged: bigint[] = [];
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, log: (v: bigint) => logged.push(v) } });
    const ex = inst.exports as { f: (a: bigint, b: bigint) => bigint; g: WebAssembly.Global };
    ex.g.value = 1000n;
    expect(ex.f(0n, 20n)).toBe(-66n + 1000n); // load8_s: 190 is -66 as a signed byte
    expect(logged).toEqual([190n]);
  });
});
