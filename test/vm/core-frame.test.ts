/**
 * Frame accesses in the interpreter's WebAssembly core (src/vm/interpreter-core-frame.ts): loads and
 * stores through r10 at a constant offset below it run without the region caches when the run's stack
 * holds every frame they can address, and on words without them otherwise. Each program runs on the
 * core, on the JS loop alone and on the JIT, at every budget up to what it needs, with stacks that hold
 * the accesses and stacks that do not (frames smaller than the reach, one frame or several): r0,
 * instructions charged and errors (class, code, pc) must be the same on all three.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/index.js';
import { DEFAULT_LIMITS, type RunLimits } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { coreModule, InterpreterCore } from '../../src/vm/interpreter-core.js';
import { frameAccesses, frameAccessesFit } from '../../src/vm/interpreter-core-frame.js';
import { CORE_OP_NAMES, coreFuse } from '../../src/vm/interpreter-core-fused.js';
import { interpreterCode, OP_MASK, SLOT_WORDS } from '../../src/vm/interpreter-decode.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { setup } from '../jit/harness.js';
import { agreeAtEveryBudget, type Charged, core } from '../jit/three-engines.js';

type Outcome = Charged;

/** The three engines agree at every budget up to a little past the run's need (at most `max`); returns the unlimited outcome. */
function agree(source: string, input: Uint8Array, limits: Partial<RunLimits>, max = 200): Outcome {
  return agreeAtEveryBudget(new Program(assemble(source)), input, { ...DEFAULT_LIMITS, ...limits }, { max });
}

/** Spills and fills of every size the core has frame operations for, at the frame's both ends, in a loop. */
const SPILLS = (low: number): string => `
  ldxb r6, [r1+0]
  lddw r7, 0x1122334455667788
  mov r0, 0
loop:
  stxdw [r10-8], r7
  stxw [r10-${low}], r6
  stxdw [r10-${low}], r7
  ldxw r2, [r10-${low}]
  ldxdw r3, [r10-8]
  stxw [r10-12], r2
  ldxw r4, [r10-12]
  ldxdw r5, [r10-${low}]
  add r0, r2
  add r0, r3
  xor r0, r4
  add r0, r5
  add r7, 0x777
  sub r6, 1
  jsgt r6, 0, loop
  exit`;

/** Each frame spills below its r10 and calls one deeper, `n` from the input; fills after the call. */
const FRAMES = (low: number): string => `
  ldxb r1, [r1+0]
  call local f
  exit
f:
  stxdw [r10-${low}], r1
  stxw [r10-8], r1
  mov r0, 1
  jeq r1, 0, out
  sub r1, 1
  call local f
  ldxdw r2, [r10-${low}]
  ldxw r3, [r10-8]
  mul r0, 3
  add r0, r2
  add r0, r3
out:
  exit`;

describe('frame accesses in the interpreter core', () => {
  it('rewrite loads and stores through r10 below it, and none in a program that writes r10', () => {
    const count = (source: string): [number, number] => {
      const code = interpreterCode(new Program(assemble(source)));
      const words = code.words.slice();
      coreFuse(words, code.length);
      const before = words.slice();
      const reach = frameAccesses(words, code.length, code.program);
      let n = 0;
      for (let at = 0; at < words.length; at += SLOT_WORDS) if ((words[at]! & OP_MASK) !== (before[at]! & OP_MASK)) n++;
      return [n, reach];
    };
    expect(count('stxdw [r10-16], r1\nldxw r0, [r10-4]\nldxdw r2, [r1-8]\nstxw [r10+0], r1\nexit')).toEqual([2, 16]);
    // A byte access has no frame operation; an access reaching r10 or above is not rewritten.
    expect(count('stxb [r10-1], r1\nldxw r0, [r10-2]\nexit')).toEqual([0, 0]);
    expect(count('stxdw [r10-16], r1\nmov r10, r1\nexit')).toEqual([0, 0]);
  });

  it('fit a run only when the stack holds every frame they reach', () => {
    const stack = { vaddr: 1000, size: 512 } as Parameters<typeof frameAccessesFit>[2];
    expect(frameAccessesFit(64, 1512, stack, 64, 8)).toBe(true);
    expect(frameAccessesFit(72, 1512, stack, 64, 8)).toBe(false); // past its frame
    expect(frameAccessesFit(72, 1512, stack, 64, 1)).toBe(true); // one frame: the whole stack
    expect(frameAccessesFit(520, 1512, stack, 512, 1)).toBe(false);
    expect(frameAccessesFit(8, 1520, stack, 64, 1)).toBe(false); // r10 above the stack
    expect(frameAccessesFit(8, 1512, undefined, 64, 1)).toBe(false);
  });

  it('run spills and fills as the JS loop and the JIT do, at every budget, where the stack holds them and where not', () => {
    for (const low of [16, 64, 72, 512, 520]) {
      for (const [stackSize, maxCallDepth] of [[64, 1], [64, 2], [512, 1], [512, 8], [72, 1]] as const) {
        const out = agree(SPILLS(low), Uint8Array.of(3), { stackSize, maxCallDepth }, 80);
        if (low <= stackSize * maxCallDepth) expect(out).toHaveProperty('r0');
        else expect(out).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 5 });
      }
    }
  });

  it('address each callee frame from its own r10, and refuse a frame past the stack at its pc', () => {
    for (const low of [8, 64, 72]) {
      for (const maxCallDepth of [2, 4, 8]) {
        for (const n of [0, maxCallDepth - 2, maxCallDepth - 1]) {
          const out = agree(FRAMES(low), Uint8Array.of(n), { stackSize: 64, maxCallDepth }, 120);
          // 72 bytes below r10 is in the caller's frame, and past the stack in the deepest one.
          // f's frames are depths 1 to n + 1; 72 bytes below r10 is in the caller's frame, and past the
          // stack in the last frame there is.
          if (low === 72 && n + 1 >= maxCallDepth - 1) expect(out).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 3 });
          else if (n + 1 >= maxCallDepth) expect(out).toMatchObject({ code: 'E_CALL_DEPTH', pc: 8 });
          else expect(out).toHaveProperty('r0');
        }
      }
    }
  });

  it('take the words without frame operations for a run whose stack does not hold them', () => {
    const memory = new VmMemory();
    const small = memory.map({ name: 'stack', vaddr: STACK_START, size: 64 });
    const instance = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const code = interpreterCode(new Program(assemble('mov r1, 5\nstxdw [r10-128], r1\nldxdw r0, [r10-128]\nexit')));
    const words = instance.wordsOf(code)!;
    // 128 bytes below the top of a 64-byte stack: the checked store misses every region and hands slot 1 over.
    expect(instance.run(code, words, 100, 0, 0, 0, 0, STACK_START + 64, small)).toBe(1 * 4);
    const other = new VmMemory();
    const big = other.map({ name: 'stack', vaddr: STACK_START, size: 512 });
    const second = new InterpreterCore(other, new WebAssembly.Module(coreModule()));
    expect(second.run(code, second.wordsOf(code)!, 100, 0, 0, 0, 0, STACK_START + 512, big)).toBe(-1);
    expect(second.r0()).toBe(5n);
  });

  it('count the spills and fills inside superinstructions in the reach a run\'s stack must hold', () => {
    // Slots 0-1 fuse (ldxdw; stxdw), both parts frame accesses; the deepest, r10-128, is the run's first
    // part (a later part is also rewritten on its own slot, which counts it anyway).
    const code = interpreterCode(new Program(assemble('ldxdw r2, [r10-128]\nstxdw [r10-8], r2\nmov r0, 5\nexit')));
    const words = code.words.slice();
    coreFuse(words, code.length);
    expect(frameAccesses(words, code.length, code.program)).toBe(128);
    expect(CORE_OP_NAMES[words[0]! & OP_MASK]).toBe('ldxdw_fp__stxdw_fp');
    const memory = new VmMemory();
    const small = memory.map({ name: 'stack', vaddr: STACK_START, size: 64 });
    const instance = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    // The words without frame operations: the checked load at r10-128 misses every region and hands slot 0 over.
    expect(instance.run(code, instance.wordsOf(code)!, 100, 0, 0, 0, 0, STACK_START + 64, small)).toBe(0);
    const other = new VmMemory();
    const big = other.map({ name: 'stack', vaddr: STACK_START, size: 512 });
    const second = new InterpreterCore(other, new WebAssembly.Module(coreModule()));
    expect(second.run(code, second.wordsOf(code)!, 100, 0, 0, 0, 0, STACK_START + 512, big)).toBe(-1);
    expect(second.r0()).toBe(5n);
  });

  it('leave a stack the next run of another program finds zero', () => {
    const limits: RunLimits = { ...DEFAULT_LIMITS, stackSize: 512, maxCallDepth: 1 };
    const s = setup(Uint8Array.of(0), limits);
    const writer = new Program(assemble('mov r1, -1\nstxdw [r10-8], r1\nstxw [r10-256], r1\nstxdw [r10-512], r1\nmov r0, 0\nexit'));
    const reader = new Program(assemble('ldxdw r0, [r10-8]\nldxw r1, [r10-256]\nor r0, r1\nldxdw r1, [r10-512]\nor r0, r1\nexit'));
    const run = (program: Program): bigint =>
      core.run({ program, memory: s.memory, stackTop: s.stackTop, r1: 0n, r2: 0n, helpers: new Map(), limits });
    for (let i = 0; i < 3; i++) {
      expect(run(writer)).toBe(0n);
      expect(run(reader)).toBe(0n);
    }
  });
});
