/**
 * Programs for the superinstruction tests (fused.test.ts: the JS loop's FUSED; core-fused.test.ts: the
 * WebAssembly core's CORE_FUSED): an instruction from an internal operation's name, a run of them
 * placed so that it is fused or not, and random register values, some pointing into the input.
 */
import fc from 'fast-check';
import type { Insn } from '../../src/isa/instruction.js';
import { MEM_START } from '../../src/vm/memory.js';
import { AluOp, Class, JmpOp, Mode, Size, Source, exit, insn, lddw } from './util.js';

/** The slot a run starts at in {@link runProgram}'s programs. */
export const RUN_AT = 23;

const SIZES: Record<string, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

/** The instruction an internal operation name stands for, with the given operands. */
export function encode(name: string, dst: number, src: number, off: number, imm: number): Insn {
  let m = /^(ldx|stx)(b|h|w|dw)$/.exec(name);
  if (m !== null) return insn((m[1] === 'ldx' ? Class.LDX : Class.STX) | Mode.MEM | SIZES[m[2]!]!, dst, src, off);
  m = /^neg(64|32)$/.exec(name);
  if (m !== null) return insn((m[1] === '64' ? Class.ALU64 : Class.ALU) | AluOp.NEG, dst);
  m = /^(j[a-z]+?)(32)?_(k|x)$/.exec(name);
  if (m !== null) {
    const op = JmpOp[m[1]!.toUpperCase() as keyof typeof JmpOp];
    const x = m[3] === 'x';
    return insn((m[2] ? Class.JMP32 : Class.JMP) | op | (x ? Source.X : Source.K), dst, x ? src : 0, off, x ? 0 : imm);
  }
  m = /^([a-z]+)(64|32)_(k|x)$/.exec(name);
  if (m === null) throw new Error(`no encoding for ${name}`);
  const op = AluOp[m[1]!.toUpperCase() as keyof typeof AluOp];
  const x = m[3] === 'x';
  // Shift amounts by immediate must be in range to be an instruction.
  const k = m[1]!.endsWith('sh') ? imm & (m[2] === '64' ? 63 : 31) : imm;
  // Unused fields must be zero to be an instruction.
  return insn((m[2] === '64' ? Class.ALU64 : Class.ALU) | op | (x ? Source.X : Source.K), dst, x ? src : 0, 0, x ? 0 : k);
}

/**
 * r0-r9 set from `regs`, never-taken `jeq r10, 0` aimed at the run's first slot (fused) or its
 * second and third slots (not fused), the run from slot {@link RUN_AT}, then an epilogue that mixes
 * every register into r0 (its first instruction is what a taken jump in the run skips).
 */
export function runProgram(run: readonly Insn[], regs: readonly bigint[], fused: boolean): Insn[] {
  const out: Insn[] = [];
  regs.forEach((v, k) => out.push(...lddw(k, v)));
  // The third jump ends the run's block in both programs: the epilogue never fuses with the run.
  const targets = fused ? [RUN_AT, RUN_AT, RUN_AT + run.length] : [RUN_AT + 1, RUN_AT + 2, RUN_AT + run.length];
  targets.forEach((target, k) => out.push(insn(Class.JMP | JmpOp.JEQ | Source.K, 10, 0, target - (20 + k + 1), 0)));
  out.push(...run);
  out.push(insn(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, 12345));
  for (let k = 1; k <= 9; k++) {
    out.push(insn(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 1000003));
    out.push(insn(Class.ALU64 | AluOp.XOR | Source.X, 0, k));
  }
  out.push(exit());
  return out;
}

/** Bytes of input the programs run on. */
export const MEM_LEN = 32;
/** A register value: any, small, or an address in or near the input. */
export const register = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: -40n, max: 40n }).map((v) => BigInt.asUintN(64, v)),
  fc.integer({ min: -8, max: MEM_LEN + 8 }).map((o) => BigInt(MEM_START + o)),
);
