/**
 * The JIT at size: programs of every control-flow shape (test/jit/shapes.ts) at sizes where the
 * compiler used to overflow the JS stack (`RangeError: Maximum call stack size exceeded` from its
 * recursive walk of the dominator tree: a chain of a few thousand blocks or loops was enough) must
 * compile and give the interpreter's result, or fail with a clear EbpfError. The sizes here are the
 * smallest that overflowed; TSBPF_SCALE_TESTS=1 also runs every shape at 100,000 and 1,000,000
 * instructions (minutes).
 */
import { describe, it, expect } from 'vitest';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { EbpfError, ErrorCode, JitError } from '../../src/errors.js';
import { compileToWasm } from '../../src/jit/compiler.js';
import { Program } from '../../src/vm/program.js';
import { thrown } from '../vm/util.js';
import { generate, SHAPES, type Shape } from './shapes.js';

const mem = (): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);

/** Run on both engines: the JIT's result must be the interpreter's, or the JIT must refuse with E_JIT. */
function agree(prog: Uint8Array): 'same' | 'refused' {
  const vm = new EbpfVmRaw(prog);
  const want = vm.executeProgram(mem());
  let got: bigint;
  try {
    got = vm.executeProgramJit(mem());
  } catch (e) {
    expect(e).toBeInstanceOf(EbpfError);
    expect((e as EbpfError).code).toBe(ErrorCode.JIT);
    expect((e as Error).message).toMatch(/interpreter/);
    return 'refused';
  }
  expect(got).toBe(want);
  return 'same';
}

// Smallest sizes (instructions) at which each shape overflowed the stack before the structurer
// walked the tree with an explicit stack (checked on that code).
const OVERFLOWED: Partial<Record<Shape, number>> = {
  forward: 6_000, // 3,000 conditional jumps to one merge block
  ladder: 10_000, // 2,500 jumps nested like parentheses
  loops: 6_000, // 1,500 loops one after another
  nested: 5_000, // 1,250 loops nested in each other
  switchy: 10_000, // 700 groups of diamond, triangle and loop
  calls: 20_000, // 2,000 subprograms and 2,700 call sites
};

describe('JIT at size', () => {
  for (const [shape, size] of Object.entries(OVERFLOWED) as [Shape, number][]) {
    it(`compiles ${shape} at ${size} instructions and agrees with the interpreter`, () => {
      expect(agree(generate(shape, size))).toBe('same');
    });
  }

  it('agrees with the interpreter on every shape at small sizes', () => {
    for (const shape of SHAPES) for (const size of [8, 40, 300]) expect(agree(generate(shape, size)), `${shape} ${size}`).toBe('same');
  });

  it('refuses a function over the WebAssembly engine limit with E_JIT naming the limit', () => {
    // The limit lowered to what a 3,000-instruction block takes (the real one, 7.6 MB, takes about
    // 700,000 straight-line instructions: see the TSBPF_SCALE_TESTS run).
    const insns = new Program(generate('straight', 3_000)).insns;
    const options = { stackSize: 512, frameFastPath: true, badSlots: new Uint8Array(insns.length + 1) };
    expect(compileToWasm(insns, options).bytes.length).toBeGreaterThan(20_000);
    const err = thrown(() => compileToWasm(insns, { ...options, maxFunctionBytes: 20_000 }));
    expect(err).toBeInstanceOf(JitError);
    expect((err as Error).message).toMatch(/the function at pc 0 compiles to \d+ bytes of WebAssembly, over the 20000-byte limit.*interpreter/);
  });

  it.runIf(process.env.TSBPF_SCALE_TESTS === '1')(
    'every shape at 100,000 and 1,000,000 instructions compiles and agrees, or is refused with E_JIT',
    async () => {
      for (const shape of SHAPES) {
        for (const size of [100_000, 1_000_000]) {
          const prog = generate(shape, size);
          const outcome = agree(prog);
          if (size === 100_000) expect(outcome, `${shape} ${size}`).toBe('same');
          const vm = new EbpfVmRaw(prog);
          if (shape === 'straight' && size === 1_000_000) expect(outcome).toBe('refused');
          try {
            await vm.jitCompileAsync();
          } catch (e) {
            expect((e as EbpfError).code, `${shape} ${size} async`).toBe(ErrorCode.JIT);
          }
        }
      }
    },
    3_600_000,
  );
});
