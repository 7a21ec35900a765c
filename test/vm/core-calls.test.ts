/**
 * Local calls in the interpreter's WebAssembly core (src/vm/interpreter-core.ts): the core pushes and
 * pops frames itself, hands a run over inside a callee (a helper call, a budget running out, an access
 * no region allows, a call past its frames) and takes it back there. Each program runs on the core, on
 * the JS loop alone and on the JIT, at every budget up to what it needs, with several call-depth
 * limits (below, at and above the frames the core holds): r0, instructions charged and errors (class,
 * code, pc) must be the same on all three.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/index.js';
import { CORE_FRAMES } from '../../src/vm/interpreter-loop.js';
import { DEFAULT_LIMITS, type HelperEntry, type HelperTable, type RunLimits } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { coreModule, InterpreterCore } from '../../src/vm/interpreter-core.js';
import { interpreterCode } from '../../src/vm/interpreter-decode.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { setup } from '../jit/harness.js';
import { agreeAtEveryBudget, type Charged, jsLoop } from '../jit/three-engines.js';

type Outcome = Charged;

/** Helper 7: r1 × 3 + r2. Helper 12: tail call into `tailTarget`. */
let tailTarget: Program | undefined;
const helpers: HelperTable = new Map<number, HelperEntry>([
  [7, { name: 'mix', unwindOnZero: false, fn: (a: bigint, b: bigint) => (a * 3n + b) & 0xffff_ffff_ffff_ffffn }],
  [12, { name: 'tail', unwindOnZero: false, fn: (_1, _2, _3, _4, _5, ctx) => (ctx.tailCall(tailTarget!) ? 0n : 1n) }],
]);

/** The three engines agree at every budget up to a little past the run's need (or `max`); returns the unlimited outcome. */
function agree(source: string, input: Uint8Array, limits: Partial<RunLimits> = {}, max = 400): Outcome {
  return agreeAtEveryBudget(new Program(assemble(source)), input, { ...DEFAULT_LIMITS, stackSize: 64, ...limits }, { max, helpers });
}

/** r0 of `source` on the JS loop alone. */
function runR0(source: string): bigint {
  const l: RunLimits = { ...DEFAULT_LIMITS, stackSize: 64 };
  const s = setup(new Uint8Array(1), l);
  return jsLoop.run({ program: new Program(assemble(source)), memory: s.memory, stackTop: s.stackTop, r1: 0n, r2: 0n, helpers, limits: l });
}

/** Recursion n levels deep (n from the input's first byte; a raw program: the verifier refuses recursion). */
const RECURSE = `
  mov r6, 100
  stxdw [r10-8], r6
  ldxb r1, [r1+0]
  call local f
  ldxdw r2, [r10-8]
  add r0, r2
  add r0, r6
  exit
f:
  mov r6, r1
  stxdw [r10-8], r1
  jeq r1, 0, base
  sub r1, 1
  call local f
  ldxdw r2, [r10-8]
  add r0, r2
  mul r0, 3
  add r0, r6
  exit
base:
  mov r0, 7
  exit`;

describe('local calls in the interpreter core', () => {
  it('are run by the core itself, which hands a run over inside a callee with its frame records', () => {
    const memory = new VmMemory();
    const limits = { stackSize: 64, maxCallDepth: 8 };
    const stack = memory.map({ name: 'stack', vaddr: STACK_START, size: 64 * 8 });
    const instance = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const top = STACK_START + 64 * 8;
    const recurse = interpreterCode(new Program(assemble(RECURSE.replace('ldxb r1, [r1+0]', 'mov r1, 5'))));
    expect(instance.run(recurse, instance.wordsOf(recurse)!, 1000, 0, 0, 0, 0, top, stack, limits)).toBe(-1);
    expect(instance.r0()).toBe(runR0(RECURSE.replace('ldxb r1, [r1+0]', 'mov r1, 5')));
    // Without the frame rules the core hands the first call over (slot 3), in the entry frame.
    expect(instance.run(recurse, instance.wordsOf(recurse)!, 1000, 0, 0, 0, 0, top, stack)).toBe(3 * 4);
    expect(instance.copyFrames(new Int32Array(CORE_FRAMES * 11))).toBe(0);
    // A helper call two frames down: handed over there, with two records (return slots 2 and 5, r10 per frame).
    const helper = interpreterCode(new Program(assemble('mov r6, 1\ncall local f\nexit\nf:\nmov r6, 2\ncall local g\nexit\ng:\nmov r6, 3\ncall 7\nexit')));
    expect(instance.run(helper, instance.wordsOf(helper)!, 1000, 0, 0, 0, 0, top, stack, limits)).toBe(7 * 4);
    const frames = new Int32Array(CORE_FRAMES * 11);
    expect(instance.copyFrames(frames)).toBe(2);
    expect([frames[0], frames[1], frames[9], frames[11], frames[12], frames[20]]).toEqual([2 * 4, 1, top, 5 * 4, 2, top - 64]);
    const r = new Int32Array(32);
    instance.copyRegisters(r);
    expect([r[12], r[20]]).toEqual([3, top - 128]);
  });

  it('run nested and recursive calls with their own frames and r6-r10 restored, at every budget', () => {
    for (const n of [0, 1, 3, 6]) {
      const out = agree(RECURSE, Uint8Array.of(n));
      expect(out).toHaveProperty('r0');
    }
  });

  it('refuse a call past maxCallDepth with E_CALL_DEPTH at the call, below, at and past the frames the core holds', () => {
    for (const maxCallDepth of [1, 2, 8, CORE_FRAMES, CORE_FRAMES + 1, CORE_FRAMES + 2, 24]) {
      for (const n of [maxCallDepth - 2, maxCallDepth - 1, maxCallDepth, 30]) {
        if (n < 0) continue;
        const out = agree(RECURSE, Uint8Array.of(n), { maxCallDepth }, 40);
        if (n + 2 > maxCallDepth) expect(out).toMatchObject({ code: 'E_CALL_DEPTH', pc: maxCallDepth < 2 ? 3 : 12 });
        else expect(out).toHaveProperty('r0');
      }
    }
  });

  it('hand a helper call inside a callee to the JS loop and take the run back in the callee', () => {
    const source = `
      mov r6, 0
      mov r7, 0
    loop:
      mov r1, r6
      call local g
      add r7, r0
      add r6, 1
      jlt r6, 6, loop
      mov r0, r7
      exit
    g:
      mov r6, r1
      mov r2, 1
      call 7
      add r0, r6
      mov r8, 0
    gl:
      add r8, 1
      add r0, r8
      jlt r8, 4, gl
      call local h
      exit
    h:
      add r0, 5
      exit`;
    expect(agree(source, Uint8Array.of(0), {}, 300)).toHaveProperty('r0');
  });

  it('fail an access past the stack in the deepest frame at its pc (a frame is stackSize bytes)', () => {
    // Each frame reads one frame below its own: fine until the deepest frame, whose read is past the stack.
    const source = `
      ldxb r1, [r1+0]
      call local f
      exit
    f:
      ldxdw r0, [r10-72]
      stxdw [r10-8], r1
      jeq r1, 0, out
      sub r1, 1
      call local f
    out:
      exit`;
    for (const maxCallDepth of [3, 8, CORE_FRAMES + 1, 20]) {
      expect(agree(source, Uint8Array.of(maxCallDepth - 2), { maxCallDepth }, 80)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 3 });
      expect(agree(source, Uint8Array.of(maxCallDepth - 3), { maxCallDepth }, 80)).toHaveProperty('r0');
    }
  });

  it('run a tail call made from a callee on the JS loop, returning to the caller', () => {
    tailTarget = new Program(assemble('mov r0, r6\nadd r0, 40\nexit'));
    const source = `
      mov r6, 2
      call local f
      add r0, r6
      mov r1, 0
    l:
      add r1, 1
      jlt r1, 3, l
      exit
    f:
      mov r6, 9
      call 12
      mov r0, 1
      exit`;
    expect(agree(source, Uint8Array.of(0), {}, 60)).toMatchObject({ r0: '0:51' });
  });
});
