/**
 * One module for every thread of a shared memory (jit/reserved.ts): a module compiled for a shared
 * memory finds the thread's reserved words (the stack mark, a helper's result: VmMemory.scratch) through
 * a global each instance sets, so its bytes do not depend on where they are, and one compiled module
 * runs correctly on two views of one shared memory whose reserved words differ (a pool's host and its
 * worker), with the interpreter's results on each.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Program } from '../../src/vm/program.js';
import { DEFAULT_LIMITS, type Engine, type HelperTable } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { STACK_MARK, STACK_START, VmMemory } from '../../src/vm/memory.js';
import { generateModule } from '../../src/jit/engine.js';

const MiB = 1 << 20;

/**
 * Reads what the last run left at fp-8 and fp-16 (the run's start zeroes what earlier runs wrote down
 * to the stack mark, so both are 0 when the mark is kept right), writes both (fp-16 through a pointer,
 * which the generated code marks in the reserved word), then returns a helper's result (which comes
 * back through the reserved words) plus what it read, shifted up.
 */
const SOURCE = `
  ldxdw r6, [r10-8]
  ldxdw r7, [r10-16]
  mov r2, 0x1234
  stxdw [r10-8], r2
  mov r3, r10
  add r3, -16
  stxdw [r3+0], r2
  call 7
  lsh r6, 32
  lsh r7, 48
  add r0, r6
  add r0, r7
  exit`;

/** Helper 7 returning `value`. */
const helpers = (value: number): HelperTable => new Map([[7, { fn: () => BigInt(value), name: 'value', unwindOnZero: false }]]);

/** Two views of one shared memory, each with its own private area (reserved words, stack), as a pool's host and a worker have. */
function twoViews(): [VmMemory, VmMemory] {
  const a = new VmMemory({ shared: true, initialPages: 64 });
  const b = new VmMemory({ attach: a.wasm });
  a.privateArea(MiB, MiB);
  b.privateArea(2 * MiB, MiB);
  return [a, b];
}

/** Map a stack in `memory`'s own area and return its top. */
function stackOf(memory: VmMemory): number {
  const size = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
  memory.map({ name: 'stack', vaddr: STACK_START, size });
  return STACK_START + size;
}

/** Run the program on `a`, `b`, `a`, `b`, `b`, `a` with helpers returning 100 on `a` and 200 on `b`; r0 of each run. */
function runs(engine: Engine, program: Program): bigint[] {
  const [a, b] = twoViews();
  const tops = new Map([[a, stackOf(a)], [b, stackOf(b)]]);
  const out: bigint[] = [];
  for (const memory of [a, b, a, b, b, a]) {
    const other = memory === a ? b : a;
    const otherMark = other.view.getUint32(other.scratch + STACK_MARK, true);
    out.push(
      engine.run({ program, memory, stackTop: tops.get(memory)!, r1: 0n, r2: 0n, helpers: helpers(memory === a ? 100 : 200), limits: DEFAULT_LIMITS }),
    );
    // A run writes only its own view's reserved words.
    expect(other.view.getUint32(other.scratch + STACK_MARK, true)).toBe(otherMark);
  }
  return out;
}

describe('one JIT module for every thread of a shared memory', () => {
  it('compiles one module whose bytes do not depend on the reserved words, and runs it on both views with the interpreter results', () => {
    const program = new Program(assemble(SOURCE));
    const modules: Uint8Array[] = [];
    const jit = runs(new JitEngine({ onModule: (wasm) => modules.push(wasm) }), program);
    expect(modules).toHaveLength(1);
    const interpreted = runs(new Interpreter(), new Program(assemble(SOURCE)));
    expect(jit).toEqual(interpreted);
    expect(jit).toEqual([100n, 200n, 100n, 200n, 200n, 100n]);
    // Another engine compiling for views whose reserved words are elsewhere makes the same bytes.
    const again: Uint8Array[] = [];
    const c = new VmMemory({ shared: true, initialPages: 64 });
    c.privateArea(3 * MiB, MiB);
    new JitEngine({ onModule: (wasm) => again.push(wasm) }).run({ program: new Program(assemble(SOURCE)), memory: c, stackTop: stackOf(c), r1: 0n, r2: 0n, helpers: helpers(1), limits: DEFAULT_LIMITS });
    expect(again).toHaveLength(1);
    expect(Buffer.from(again[0]!).equals(Buffer.from(modules[0]!))).toBe(true);
  });

  it('adopt takes another engine\'s modules of the same instruction bytes only, and runs them without compiling', () => {
    const host = new JitEngine();
    const hostProgram = new Program(assemble(SOURCE));
    host.compile(hostProgram, DEFAULT_LIMITS, { shared: true });
    const modules = host.modules(hostProgram);
    expect(modules.map((m) => m.key)).toEqual([`${DEFAULT_LIMITS.stackSize}:1:shared`]);
    const compiled: Uint8Array[] = [];
    const worker = new JitEngine({ onModule: (wasm) => compiled.push(wasm) });
    expect(worker.adopt(new Program(assemble(SOURCE.replace('0x1234', '0x1235'))), modules)).toBe(0);
    const same = new Program(assemble(SOURCE));
    expect(worker.adopt(same, modules)).toBe(1);
    expect(worker.adopt(same, modules)).toBe(0);
    expect(runs(worker, same)).toEqual([100n, 200n, 100n, 200n, 200n, 100n]);
    expect(compiled).toEqual([]);
  });

  it('leaves the module for a plain memory as it was: reserved words at constant addresses, no scratch global', () => {
    const plain = generateModule(new Program(assemble(SOURCE)), 512);
    const module = new WebAssembly.Module(plain.bytes);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).not.toContain('scratch');
    expect(WebAssembly.Module.imports(module).filter((i) => i.kind === 'global')).toEqual([]);
  });
});
