/**
 * The WAT dumper: the text of real JIT modules (instructions, nesting, annotations, exports) and
 * every opcode the encoder knows printed under its WebAssembly text name.
 */
import { describe, it, expect } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { dumpJitModule } from '../../src/jit/dump.js';
import { wasmToWat } from '../../src/jit/wat.js';
import { CodeWriter, ModuleBuilder } from '../../src/wasm/module.js';
import { Op, ValType } from '../../src/wasm/opcodes.js';
import { JitError } from '../../src/errors.js';
import { Program } from './harness.js';

/** The instruction lines of one function of a WAT text, trimmed. */
function body(wat: string, index: number): string[] {
  const lines = wat.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  (func (;${index};)`));
  const end = lines.findIndex((l, i) => i > start && l === '  )');
  return lines.slice(start + 1, end).map((l) => l.trim());
}

describe('WAT dump of JIT modules', () => {
  // (f calls a helper, so it stays a function of its own rather than inlined: jit/inline.ts.)
  const src = 'mov r0, 1\nldxb r2, [r1+3]\njeq r2, 0, +1\nmul r0, r2\ncall local f\nexit\nf:\nadd r0, 7\ncall 5\nexit';
  const dump = dumpJitModule(new Program(assemble(src)));

  it('is the module the JIT runs (valid WebAssembly) and names its functions by eBPF pc', () => {
    expect(() => new WebAssembly.Module(dump.wasm)).not.toThrow();
    expect(dump.wat.startsWith('(module\n')).toBe(true);
    expect(dump.wat.trimEnd().endsWith(')')).toBe(true);
    expect(dump.wat).toMatch(/\(func \(;6;\) \(type \d+\) \(param( i64){11}\) \(result( i64){6}\) ;; eBPF entry, pc 0/);
    expect(dump.wat).toContain(';; eBPF function at pc 6');
    expect(dump.wat).toContain('(export "entry" (func 6))');
    expect(dump.wat).toContain('(import "env" "memory" (memory (;0;) 0))');
    expect(dump.wat).toContain('(import "env" "trap" (func (;4;) (type 4) (param i32 i32)))');
  });

  it('prints instructions with their immediates, indented by nesting', () => {
    const lines = body(dump.wat, 6);
    // The skipped `mul` is a select: computed, then chosen by the jump's condition.
    const at = lines.indexOf('i64.mul');
    expect(lines.slice(at - 2, at + 2)).toEqual(['local.get 0', 'local.get 2', 'i64.mul', 'local.set 0']);
    expect(lines).toContain('select');
    // The byte load at r1+3 and the region-table scan's load at offset 4.
    expect(lines).toContain('i64.load8_u');
    expect(lines).toContain('i64.load32_u offset=4');
    expect(lines).toContain('i64.const 3');
    // Nesting: every block/loop/if has its end, and nested lines are indented further.
    const opens = lines.filter((l) => /^(block|loop|if)\b/.test(l)).length;
    expect(lines.filter((l) => l === 'end').length).toBe(opens);
    const raw = dump.wat.split('\n');
    const blockAt = raw.findIndex((l) => l.trim() === 'block');
    expect(raw[blockAt + 1]!.search(/\S/)).toBe(raw[blockAt]!.search(/\S/) + 2);
  });

  it('prints every opcode the encoder knows under its text name', () => {
    const mb = new ModuleBuilder();
    const f = mb.declareFunction([], []);
    const c = new CodeWriter();
    const expected: string[] = [];
    for (const [key, code] of Object.entries(Op)) {
      const name = /^(i32|i64|f64|local|global)_/.test(key) ? key.replace('_', '.') : key;
      if (code === Op.block || code === Op.loop || code === Op.if) {
        c.w.u8(code).u8(0x40);
        c.end();
        expected.push(name, 'end');
      } else if (code === Op.else || code === Op.end) {
        continue;
      } else if (code === Op.prefix_fc) {
        c.memoryCopy();
        expected.push('memory.copy');
      } else if (code === Op.br_table) {
        c.brTable([0, 1], 2);
        expected.push('br_table 0 1 2');
      } else if (code >= Op.i32_load && code <= Op.i64_store32) {
        c.mem(code, 24);
        expected.push(`${name} offset=24`);
      } else if (code === Op.i32_const) {
        c.i32(-5);
        expected.push('i32.const -5');
      } else if (code === Op.i64_const) {
        c.i64(-(2n ** 63n));
        expected.push('i64.const -9223372036854775808');
      } else if ([Op.br, Op.br_if, Op.call, Op.local_get, Op.local_set, Op.local_tee, Op.global_get, Op.global_set].includes(code as never)) {
        c.w.u8(code).u32(300);
        expected.push(`${name} 300`);
      } else {
        c.op(code);
        expected.push(name);
      }
    }
    mb.defineFunction(f, [ValType.i64, ValType.i64, ValType.i32], c);
    const wat = wasmToWat(mb.build());
    expect(wat).toContain('(local i64 i64 i32)');
    expect(body(wat, 0).slice(1)).toEqual(expected);
  });

  it('refuses bytes that are not a module it can read, with a JitError', () => {
    expect(() => wasmToWat(new Uint8Array([1, 2, 3]))).toThrow(JitError);
    const bytes = dumpJitModule(new Program(assemble('exit'))).wasm;
    expect(() => wasmToWat(bytes.subarray(0, bytes.length - 3))).toThrow(JitError);
  });
});
