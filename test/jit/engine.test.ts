/**
 * JIT engine behaviour beyond the conformance suite: errors identical to the interpreter's, tail calls,
 * helpers registered after compiling, the VM kinds' JIT API, region caches across runs, irreducible
 * control flow, compile statistics.
 */
import { describe, it, expect } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { EbpfError, ErrorCode, MemoryAccessError } from '../../src/errors.js';
import { JitEngine } from '../../src/jit/engine.js';
import { dumpJitModule } from '../../src/jit/dump.js';
import { DEFAULT_LIMITS, type Engine, type HelperEntry, type RunLimits } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { EbpfVmFixedMbuff, EbpfVmMbuff, EbpfVmNoData, EbpfVmRaw } from '../../src/vm/vm.js';
import { MEM_START, type VmMemory } from '../../src/vm/memory.js';
import { encodeProgram, insn } from '../../src/isa/instruction.js';
import { Opcode } from '../../src/isa/opcodes.js';
import { Program, setup } from './harness.js';

type Outcome = { r0: bigint } | { error: string; code: string; pc: number | undefined; message: string };

interface Case {
  mem?: Uint8Array;
  helpers?: Map<number, HelperEntry>;
  limits?: RunLimits;
  readOnly?: boolean;
}

function outcome(engine: Engine, program: Program, c: Case): Outcome {
  const limits = c.limits ?? DEFAULT_LIMITS;
  const mem = c.mem ?? new Uint8Array(16);
  const s = setup(mem, limits);
  if (c.readOnly) s.memory.map({ name: 'rodata', vaddr: 0x9000_0000, size: 16, writable: false });
  try {
    return {
      r0: engine.run({
        program,
        memory: s.memory,
        stackTop: s.stackTop,
        r1: BigInt(MEM_START),
        r2: BigInt(mem.length),
        helpers: c.helpers ?? new Map(),
        limits,
      }),
    };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { error: e.constructor.name, code: e.code, pc: e.pc, message: e.message };
  }
}

/** Run on both engines, check they agree, return the JIT's outcome. */
function both(source: string | Uint8Array, c: Case = {}): Outcome {
  const program = new Program(typeof source === 'string' ? assemble(source) : source);
  const a = outcome(new Interpreter(), program, c);
  const b = outcome(new JitEngine(), program, c);
  expect(b).toEqual(a);
  return b;
}

const code = (o: Outcome): string | undefined => ('code' in o ? o.code : undefined);

describe('JIT errors match the interpreter', () => {
  it('budget exhaustion stops at the first pc of the block that overdraws', () => {
    const o = both('mov r0, 0\nloop:\nadd r0, 1\njne r0, 0, loop\nexit', { limits: { ...DEFAULT_LIMITS, instructionBudget: 1000 } });
    expect(o).toMatchObject({ code: ErrorCode.BUDGET_EXCEEDED, pc: 1 });
  });

  it('a loop checked once per iteration fails at the same block as the interpreter for every budget', () => {
    // An innermost loop of four blocks (the JIT checks the budget once at its header for all four and
    // continues in its every-block copy when that may not suffice), then a second, shorter loop.
    const src = `
      mov r0, 0
      mov r2, 0
    top:
      add r0, 1
      jeq r0, 1000, +0
      stxdw [r10-8], r0
      jeq r0, 1000, +0
      stxdw [r10-16], r0
      jeq r0, 1000, +0
      add r2, 3
      jlt r0, 6, top
    tail:
      add r2, 1
      jlt r2, 24, tail
      mov r0, r2
      exit`;
    expect(both(src)).toEqual({ r0: 24n });
    const pcs = new Set<number | undefined>();
    for (let budget = 1; budget <= 60; budget++) {
      const o = both(src, { limits: { ...DEFAULT_LIMITS, instructionBudget: budget } });
      if ('code' in o) pcs.add(o.pc);
    }
    // Budgets ran out in every block of the loop.
    expect([...pcs].sort((x, y) => x! - y!)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('a budget that exactly suffices lets the program finish', () => {
    // 1 + 2*5 + 1 (exit block) instructions.
    const src = 'mov r0, 5\nloop:\nsub r0, 1\njne r0, 0, loop\nexit';
    expect(both(src, { limits: { ...DEFAULT_LIMITS, instructionBudget: 12 } })).toEqual({ r0: 0n });
    expect(code(both(src, { limits: { ...DEFAULT_LIMITS, instructionBudget: 11 } }))).toBe(ErrorCode.BUDGET_EXCEEDED);
  });

  it('out-of-bounds loads and stores name pc, address and size', () => {
    const o = both('mov r0, 0\nldxw r0, [r1+14]\nexit');
    expect(o).toMatchObject({ error: 'MemoryAccessError', code: ErrorCode.OUT_OF_BOUNDS, pc: 1 });
    expect(code(both('stxdw [r10+8], r1\nexit'))).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(both('stxdw [r10-4096], r1\nldxdw r0, [r10-4096]\nexit')).toEqual({ r0: BigInt(MEM_START) });
    expect(code(both('stxdw [r10-4100], r1\nexit'))).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(code(both('lddw r2, 0x100000000\nldxb r0, [r2]\nexit'))).toBe(ErrorCode.OUT_OF_BOUNDS);
    expect(code(both('mov r2, r1\nsub r2, 1\nldxb r0, [r2]\nexit'))).toBe(ErrorCode.OUT_OF_BOUNDS);
  });

  it('the thrown error is a MemoryAccessError with the faulting address', () => {
    const program = new Program(assemble('ldxdw r0, [r1+12]\nexit'));
    const s = setup(new Uint8Array(16));
    const run = (): bigint =>
      new JitEngine().run({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(MEM_START), r2: 16n, helpers: new Map(), limits: DEFAULT_LIMITS });
    expect(run).toThrow(MemoryAccessError);
    try {
      run();
    } catch (e) {
      expect((e as MemoryAccessError).address).toBe(BigInt(MEM_START + 12));
      expect((e as MemoryAccessError).size).toBe(8);
    }
  });

  it('stores to a read-only region fail with E_READ_ONLY, loads from it work', () => {
    expect(code(both('lddw r2, 0x90000000\nstw [r2+4], 1\nexit', { readOnly: true }))).toBe(ErrorCode.READ_ONLY);
    expect(both('lddw r2, 0x90000000\nldxw r0, [r2+4]\nexit', { readOnly: true })).toEqual({ r0: 0n });
    expect(code(both('lddw r2, 0x90000000\nmov r3, 1\nlock add [r2+4], r3\nexit', { readOnly: true }))).toBe(ErrorCode.READ_ONLY);
  });

  it('call depth, unknown helpers, failing helpers', () => {
    expect(both('call local f\nexit\nf:\ncall local f\nexit')).toMatchObject({ code: ErrorCode.CALL_DEPTH, pc: 2 });
    expect(both('call 99\nexit')).toMatchObject({ code: ErrorCode.UNKNOWN_HELPER, pc: 0 });
    const helpers = new Map<number, HelperEntry>([[1, { name: 'boom', unwindOnZero: false, fn: () => { throw new Error('boom'); } }]]);
    expect(both('mov r0, 1\ncall 1\nexit', { helpers })).toMatchObject({ code: ErrorCode.HELPER, pc: 1 });
  });

  it('slots that cannot run fail when reached, not before', () => {
    const bad = encodeProgram([insn(Opcode.JA, 0, 0, 1), insn(0xff), insn(Opcode.EXIT)]);
    expect(both(bad)).toEqual({ r0: 0n });
    const reached = encodeProgram([insn(0xff), insn(Opcode.EXIT)]);
    expect(both(reached)).toMatchObject({ code: ErrorCode.BAD_PROGRAM, pc: 0 });
    const offEnd = encodeProgram([insn(0xb7, 0, 0, 0, 1)]);
    expect(both(offEnd)).toMatchObject({ code: ErrorCode.BAD_PROGRAM, pc: 0 });
    const jumpOut = encodeProgram([insn(0x15, 1, 0, 10, 0), insn(Opcode.EXIT)]);
    expect(both(jumpOut)).toMatchObject({ code: ErrorCode.BAD_PROGRAM, pc: 0 });
    const kfunc = encodeProgram([insn(Opcode.CALL, 0, 2, 0, 7), insn(Opcode.EXIT)]);
    expect(both(kfunc)).toMatchObject({ code: ErrorCode.UNSUPPORTED, pc: 0 });
  });
});

describe('JIT control flow', () => {
  it('irreducible graphs fall back to the dispatch loop and still agree', () => {
    // Two entries into the loop {a, b}: from the top (to a) and through the jeq (to b). The store
    // keeps \`a\` from being compiled as a select (which would remove the second entry).
    const src = `
      mov r0, 0
      mov r2, 7
      jeq r1, 0, b
    a:
      stxdw [r10-8], r0
      add r0, 3
    b:
      add r0, 1
      sub r2, 1
      jne r2, 0, a
      exit`;
    const program = new Program(assemble(src));
    const stats = new JitEngine().compile(program, DEFAULT_LIMITS);
    expect(stats.dispatchFunctions).toEqual([0]);
    expect(both(src)).toEqual({ r0: 7n * 4n });
  });

  it('a compare tree on one register becomes a br_table with the same results and budget errors', () => {
    const src = `
      ldxb r1, [r1+0]
      mov r0, 0
      jsgt r1, 15, l1
      jsgt r1, 7, l2
      jsgt r1, 3, l3
      add r0, 1
      exit
    l3:
      add r0, 2
      exit
    l2:
      jsgt r1, 11, l4
      add r0, 3
      exit
    l4:
      add r0, 4
      exit
    l1:
      jsgt r1, 23, l5
      add r0, 5
      exit
    l5:
      add r0, 6
      exit`;
    expect(dumpJitModule(new Program(assemble(src))).wat).toMatch(/br_table/);
    const seen = new Set<bigint>();
    for (const v of [0, 3, 4, 7, 8, 11, 12, 15, 16, 23, 24, 200, 255]) {
      const o = both(src, { mem: new Uint8Array([v]) });
      if ('r0' in o) seen.add(o.r0);
      // Budgets that run out on the root block, inside the tree and on a leaf.
      for (let budget = 1; budget <= 7; budget++) both(src, { mem: new Uint8Array([v]), limits: { ...DEFAULT_LIMITS, instructionBudget: budget } });
    }
    // Every leaf was reached.
    expect([...seen].sort()).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('local calls keep r6-r9 for the caller and pass r1-r5', () => {
    const src = `
      mov r6, 6
      mov r1, 10
      call local f
      add r0, r6
      exit
    f:
      mov r6, 100
      mov r0, r1
      add r0, 1
      exit`;
    expect(both(src)).toEqual({ r0: 17n });
  });

  it('frames get their own stack: r10 moves down by stackSize', () => {
    const src = `
      stdw [r10-8], 1
      call local f
      ldxdw r0, [r10-8]
      exit
    f:
      stdw [r10-8], 2
      mov r0, r10
      exit`;
    expect(both(src)).toEqual({ r0: 1n });
  });
});

describe('JIT helpers and tail calls', () => {
  it('unwinding helpers stop the run from inside a local call', () => {
    const helpers = new Map<number, HelperEntry>([[5, { name: 'unwind', unwindOnZero: true, fn: (r1) => r1 }]]);
    expect(both('mov r0, 9\ncall local f\nmov r0, 3\nexit\nf:\nmov r1, 0\ncall 5\nmov r0, 4\nexit', { helpers })).toEqual({ r0: 0n });
  });

  it('tail calls replace the current function, from frame 0 and from a subprogram', () => {
    const target = new Program(assemble('mov r0, r6\nadd r0, 1000\nexit'));
    const mk = (): Map<number, HelperEntry> =>
      new Map([[12, { name: 'tail_call', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => (ctx.tailCall(target) ? 0 : 1) }]]);
    // From frame 0: the target's exit ends the run.
    expect(both('mov r6, 5\ncall 12\nmov r0, 77\nexit', { helpers: mk() })).toEqual({ r0: 1005n });
    // From a subprogram: the target's exit returns to the subprogram's caller.
    const src = 'mov r6, 1\ncall local f\nadd r0, r6\nexit\nf:\nmov r6, 20\ncall 12\nmov r0, 77\nexit';
    expect(both(src, { helpers: mk() })).toEqual({ r0: 1021n });
  });

  it('a tail call to something that is not a program is E_HELPER at the call, in both engines', () => {
    for (const bad of [undefined, null, 7, 'prog', {}, { insns: [] }]) {
      const helpers = new Map<number, HelperEntry>([
        [12, { name: 'tail_call', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => (ctx.tailCall(bad as unknown as Program) ? 0 : 1) }],
      ]);
      const out = both('mov r6, 5\ncall 12\nmov r0, 77\nexit', { helpers });
      expect(out).toMatchObject({ error: 'ExecutionError', code: ErrorCode.HELPER, pc: 1 });
    }
  });

  it('tail-call chains stop at maxTailCalls', () => {
    const self: { p?: Program } = {};
    const helpers = new Map<number, HelperEntry>([
      [12, { name: 'tail_call', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => (ctx.tailCall(self.p!) ? 0 : 1) }],
    ]);
    const src = 'add r6, 1\ncall 12\nmov r0, r6\nexit';
    self.p = new Program(assemble(src));
    const limits = { ...DEFAULT_LIMITS, maxTailCalls: 5 };
    expect(both(src, { helpers, limits })).toEqual({ r0: 6n });
  });

  it('regions a helper maps or unmaps are seen by the next access (region table rewritten)', () => {
    const mk = (): Map<number, HelperEntry> => {
      let region: ReturnType<VmMemory['map']> | undefined;
      return new Map<number, HelperEntry>([
        [8, { name: 'map', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => BigInt((region = ctx.memory.map({ name: 'extra', size: 64 })).vaddr) }],
        [9, { name: 'unmap', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => (ctx.memory.unmap(region!), 0) }],
      ]);
    };
    // Map, store, load back: the new region is found after the helper call.
    const ok = 'call 8\nmov r6, r0\nstw [r6+60], 5\nldxw r0, [r6+60]\nexit';
    expect(both(ok, { helpers: mk() })).toEqual({ r0: 5n });
    // Unmapped again: the same access now faults (the cached region was dropped).
    const bad = 'call 8\nmov r6, r0\nstw [r6+8], 5\ncall 9\nldxw r0, [r6+8]\nexit';
    expect(code(both(bad, { helpers: mk() }))).toBe(ErrorCode.OUT_OF_BOUNDS);
  });

  it('helpers registered after jitCompile are found (no recompilation needed)', () => {
    const vm = new EbpfVmNoData(assemble('mov r1, 20\ncall 7\nexit'));
    vm.jitCompile();
    vm.registerHelper(7, (r1) => r1 + 22n);
    expect(vm.executeProgramJit()).toBe(42n);
  });
});

describe('JIT through the VM kinds', () => {
  it('EbpfVmRaw: copy path writes back, zero-copy path runs in place', () => {
    const prog = assemble('ldxh r0, [r1+2]\nstb [r1], 0x55\nexit');
    const vm = new EbpfVmRaw(prog);
    const mem = new Uint8Array([1, 2, 0x11, 0x22]);
    expect(vm.executeProgramJit(mem)).toBe(0x2211n);
    expect(mem[0]).toBe(0x55);
    const view = vm.memBuffer(4);
    view.set([0, 0, 0x33, 0x44]);
    expect(vm.executeProgramJit(view)).toBe(0x4433n);
    expect(view[0]).toBe(0x55);
    expect(vm.executeProgram(view)).toBe(0x4433n);
  });

  it('a shorter input on the next run is checked again (no stale region cache)', () => {
    const vm = new EbpfVmRaw(assemble('ldxb r0, [r1+7]\nexit'));
    expect(vm.executeProgramJit(new Uint8Array(8).fill(9))).toBe(9n);
    expect(() => vm.executeProgramJit(new Uint8Array(4))).toThrow(MemoryAccessError);
    expect(() => vm.executeProgram(new Uint8Array(4))).toThrow(MemoryAccessError);
  });

  it('EbpfVmMbuff and EbpfVmFixedMbuff', () => {
    const mem = new Uint8Array([0xaa, 0xbb, 0x11, 0x22, 0xcc, 0xdd]);
    const mbuffProg = assemble('ldxdw r2, [r1+8]\nldxh r0, [r2+2]\nexit');
    const mbuff = new Uint8Array(16);
    new DataView(mbuff.buffer).setBigUint64(8, BigInt(MEM_START), true);
    const vm = new EbpfVmMbuff(mbuffProg);
    expect(vm.executeProgramJit(mem, mbuff)).toBe(0x2211n);
    const fixed = new EbpfVmFixedMbuff(assemble('ldxdw r2, [r1+0x40]\nldxh r0, [r2+2]\nexit'), 0x40, 0x50);
    expect(fixed.executeProgramJit(mem)).toBe(fixed.executeProgram(mem));
    expect(fixed.executeProgramJit(mem)).toBe(0x2211n);
  });

  it('jitCompile reports statistics and fails clearly without a program', () => {
    const vm = new EbpfVmRaw(assemble('mov r0, 1\nexit'));
    const stats = vm.jitCompile();
    expect(stats.functionCount).toBe(1);
    expect(stats.size).toBeGreaterThan(0);
    expect(() => new EbpfVmRaw().jitCompile()).toThrow(expect.objectContaining({ code: ErrorCode.NO_PROGRAM }));
  });

  // Compile time is measured in bench/compile-time.ts (docs/benchmarks.md), not asserted here.
  it('compiles a 1,000-instruction program and reports its compile time', () => {
    const lines: string[] = ['mov r0, 0', 'mov r2, 0'];
    for (let k = 0; k < 998 / 4; k++) lines.push(`add r0, ${k}`, `jgt r0, ${k * 7}, +1`, 'xor r0, r2', `stxdw [r10-${8 + (k % 8) * 8}], r0`);
    lines.push('exit');
    const program = new Program(assemble(lines.join('\n')));
    const stats = new JitEngine().compile(program, DEFAULT_LIMITS);
    expect(program.insns.length).toBeGreaterThanOrEqual(1000);
    for (const ms of [stats.generateMs, stats.wasmCompileMs]) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
    expect(both(lines.join('\n'))).toEqual(both(lines.join('\n')));
  });
});

describe('JIT asynchronous compilation', () => {
  it('compileAsync fills the cache that runs use', async () => {
    const engine = new JitEngine();
    const program = new Program(assemble('mov r0, 41\nadd r0, 1\nexit'));
    const stats = await engine.compileAsync(program, DEFAULT_LIMITS);
    expect(stats.size).toBeGreaterThan(0);
    expect(engine.compile(program, DEFAULT_LIMITS)).toBe(stats);
    const s = setup(new Uint8Array(0));
    expect(engine.run({ program, memory: s.memory, stackTop: s.stackTop, r1: 0n, r2: 0n, helpers: new Map(), limits: DEFAULT_LIMITS })).toBe(42n);
  });
});

describe('helper calls across the WebAssembly boundary (arguments as halves, r0 through linear memory)', () => {
  const values = [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0000n, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x1234_5678_9abc_def0n];
  it('passes r1-r5 and returns r0 of every width, as the interpreter does', () => {
    for (const v of values) {
      // r1..r5 = v, v+1, ... (lddw), the helper returns a mix of them; r0 after the call is returned.
      const lines = [1, 2, 3, 4, 5].map((r) => `lddw r${r}, 0x${BigInt.asUintN(64, v + BigInt(r)).toString(16)}`);
      const source = `${lines.join('\n')}\ncall 9\nexit`;
      const seen: bigint[][] = [];
      const helper = (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
        seen.push([a, b, c, d, e]);
        return BigInt.asUintN(64, a ^ (e << 3n)) + (v === 0n ? 0n : -1n);
      };
      const results = [false, true].map((jit) => {
        const vm = new EbpfVmNoData(assemble(source));
        vm.registerHelper(9, helper);
        return jit ? vm.executeProgramJit() : vm.executeProgram();
      });
      const want = BigInt.asUintN(64, BigInt.asUintN(64, v + 1n) ^ (BigInt.asUintN(64, v + 5n) << 3n)) + (v === 0n ? 0n : -1n);
      expect(results).toEqual([BigInt.asUintN(64, want), BigInt.asUintN(64, want)]);
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[0]).toEqual([1n, 2n, 3n, 4n, 5n].map((r) => BigInt.asUintN(64, v + r)));
    }
  });
});
