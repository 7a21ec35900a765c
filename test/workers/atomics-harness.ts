/**
 * Runs raw programs on a VmMemory (plain or shared) with a data region, on each engine; shared by the
 * shared-memory atomics tests and their worker script.
 */
import { encodeProgram, insn, Class, Mode, Size, type Insn } from '../../src/isa/index.js';
import { Program } from '../../src/vm/program.js';
import { DEFAULT_LIMITS, type Engine } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { STACK_START, VmMemory, type Region } from '../../src/vm/memory.js';

/** The engines under test, by name. */
export const ENGINES: Record<string, () => Engine> = {
  jit: () => new JitEngine(),
  interpreter: () => new Interpreter(),
  'js loop': () => new Interpreter({ wasmCore: false }),
};

/** `STX | ATOMIC` of `size` bytes at `[dst + off]` with `src`, operation `imm` (AtomicOp). */
export function atomicInsn(size: 4 | 8, dst: number, src: number, off: number, imm: number): Insn {
  return insn(Class.STX | Mode.ATOMIC | (size === 8 ? Size.DW : Size.W), dst, src, off, imm);
}

/** A stack region (as a VM maps it) in `memory`, returning the stack top. */
export function mapStack(memory: VmMemory): number {
  const size = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
  memory.map({ name: 'stack', vaddr: STACK_START, size });
  return STACK_START + size;
}

/** Run `insns` with r1 = the data region's address. */
export function runOn(engine: Engine, memory: VmMemory, stackTop: number, data: Region, insns: readonly Insn[]): bigint {
  const program = new Program(encodeProgram(insns));
  return engine.run({ program, memory, stackTop, r1: BigInt(data.vaddr), r2: 0n, helpers: new Map(), limits: DEFAULT_LIMITS });
}
