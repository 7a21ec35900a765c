/**
 * Text of one decoded instruction in rbpf syntax (hexadecimal, like rbpf's disassembler, but with
 * signed values written so that they reassemble) and in LLVM syntax (like `llvm-objdump -d`).
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { pseudoName, sizeSuffix } from './encoding.js';

/** The decoded instruction to print, with its jump target already rendered. */
export interface FormatInput {
  readonly op: Exclude<Operation, { kind: 'invalid' }>;
  readonly insn: Insn;
  /** The unsigned 64-bit immediate of an `lddw`. */
  readonly wide?: bigint;
  /** The jump/call target as text: a label name or a signed distance (`+0x3`, `+3`). */
  readonly target?: string;
  /** True when `target` is a label name rather than a distance. */
  readonly targetIsLabel?: boolean;
}

/** `0x1f` / `-0x1f`. */
export function hexSigned(n: number | bigint): string {
  return n < 0 ? `-0x${(-BigInt(n)).toString(16)}` : `0x${n.toString(16)}`;
}

/** `+0x3` / `-0x3`. */
export function hexDistance(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `+0x${n.toString(16)}`;
}

/** `+3` / `-3`. */
export function decDistance(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

const LLVM_ALU: Readonly<Record<string, string>> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: 's/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  mod: '%=',
  smod: 's%=',
  xor: '^=',
  arsh: 's>>=',
};

const LLVM_COND: Readonly<Record<string, string>> = {
  jeq: '==',
  jne: '!=',
  jgt: '>',
  jge: '>=',
  jlt: '<',
  jle: '<=',
  jset: '&',
  jsgt: 's>',
  jsge: 's>=',
  jslt: 's<',
  jsle: 's<=',
};

function mem(reg: number, off: number): string {
  return `[r${reg}${off < 0 ? '-' : '+'}0x${Math.abs(off).toString(16)}]`;
}

/** rbpf-style text, e.g. `add64 r1, 0x605`, `ldxw r1, [r2+0x5]`, `jeq r1, 0x4, +0x8`. */
export function formatRbpf(f: FormatInput): string {
  const { op, insn: i } = f;
  const t = f.target ?? '';
  switch (op.kind) {
    case 'alu': {
      const name = `${op.op}${op.width}`;
      return op.source === 'reg' ? `${name} r${i.dst}, r${i.src}` : `${name} r${i.dst}, ${hexSigned(i.imm)}`;
    }
    case 'neg':
      return `neg${op.width} r${i.dst}`;
    case 'movsx':
      return `movsx${op.bits}${op.width} r${i.dst}, r${i.src}`;
    case 'end':
      return `${op.order === 'swap' ? 'bswap' : op.order}${op.bits} r${i.dst}`;
    case 'ja':
      return `${op.long ? 'ja32' : 'ja'} ${t}`;
    case 'jcond': {
      const name = `${op.cond}${op.width === 32 ? '32' : ''}`;
      const rhs = op.source === 'reg' ? `r${i.src}` : hexSigned(i.imm);
      return `${name} r${i.dst}, ${rhs}, ${t}`;
    }
    case 'call':
      if (op.target === 'local') return `call local ${t}`;
      if (op.target === 'kfunc') return `call kfunc ${hexSigned(i.imm)}`;
      return `call ${hexSigned(i.imm)}`;
    case 'callx':
      return `callx r${i.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw': {
      const value = `0x${f.wide!.toString(16)}`;
      return i.src === 0 ? `lddw r${i.dst}, ${value}` : `lddw r${i.dst}, ${pseudoName(i.src)} ${value}`;
    }
    case 'ldx':
      return `ldx${op.signed ? 's' : ''}${sizeSuffix(op.size)} r${i.dst}, ${mem(i.src, i.offset)}`;
    case 'st':
      return `st${sizeSuffix(op.size)} ${mem(i.dst, i.offset)}, ${hexSigned(i.imm)}`;
    case 'stx':
      return `stx${sizeSuffix(op.size)} ${mem(i.dst, i.offset)}, r${i.src}`;
    case 'atomic': {
      const fetch = op.fetch && op.op !== 'xchg' && op.op !== 'cmpxchg' ? 'fetch ' : '';
      return `lock ${fetch}${op.op}${op.size * 8} ${mem(i.dst, i.offset)}, r${i.src}`;
    }
    case 'ldabs':
      return `ldabs${sizeSuffix(op.size)} ${hexSigned(i.imm)}`;
    case 'ldind':
      return `ldind${sizeSuffix(op.size)} r${i.src}, ${hexSigned(i.imm)}`;
  }
}

function addr(reg: number, off: number): string {
  return `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
}

const TYPE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const STYPE = { 1: 's8', 2: 's16', 4: 's32', 8: 's64' } as const;

/** LLVM-style text, e.g. `r1 += 1541`, `r1 = *(u32 *)(r2 + 5)`, `if r1 == 4 goto +8`. */
export function formatLlvm(f: FormatInput): string {
  const { op, insn: i } = f;
  const t = f.target ?? '';
  switch (op.kind) {
    case 'alu': {
      const r = op.width === 32 ? 'w' : 'r';
      const sym = op.op === 'mov' ? '=' : LLVM_ALU[op.op]!;
      return op.source === 'reg' ? `${r}${i.dst} ${sym} ${r}${i.src}` : `${r}${i.dst} ${sym} ${i.imm}`;
    }
    case 'neg': {
      const r = op.width === 32 ? 'w' : 'r';
      return `${r}${i.dst} = -${r}${i.dst}`;
    }
    case 'movsx': {
      const r = op.width === 32 ? 'w' : 'r';
      return `${r}${i.dst} = (s${op.bits})${r}${i.src}`;
    }
    case 'end':
      return `r${i.dst} = ${op.order === 'swap' ? 'bswap' : op.order}${op.bits} r${i.dst}`;
    case 'ja':
      return `${op.long ? 'gotol' : 'goto'} ${t}`;
    case 'jcond': {
      const r = op.width === 32 ? 'w' : 'r';
      const rhs = op.source === 'reg' ? `${r}${i.src}` : `${i.imm}`;
      return `if ${r}${i.dst} ${LLVM_COND[op.cond]!} ${rhs} goto ${t}`;
    }
    case 'call':
      if (op.target === 'local') return f.targetIsLabel ? `call local ${t}` : `call pc${t}`;
      if (op.target === 'kfunc') return `call kfunc ${i.imm}`;
      return `call ${i.imm}`;
    case 'callx':
      return `callx r${i.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw': {
      // Signed, as llvm-objdump prints it.
      const v = BigInt.asIntN(64, f.wide!);
      return i.src === 0 ? `r${i.dst} = ${v} ll` : `r${i.dst} = ${pseudoName(i.src)} ${v} ll`;
    }
    case 'ldx':
      return `r${i.dst} = *(${(op.signed ? STYPE : TYPE)[op.size]} *)(${addr(i.src, i.offset)})`;
    case 'st':
      return `*(${TYPE[op.size]} *)(${addr(i.dst, i.offset)}) = ${i.imm}`;
    case 'stx':
      return `*(${TYPE[op.size]} *)(${addr(i.dst, i.offset)}) = r${i.src}`;
    case 'atomic': {
      const r = op.size === 4 ? 'w' : 'r';
      const ty = TYPE[op.size];
      if (op.op === 'xchg') return `${r}${i.src} = xchg${op.size === 4 ? '32_32' : '_64'}(${addr(i.dst, i.offset)}, ${r}${i.src})`;
      if (op.op === 'cmpxchg') {
        return `${r}0 = cmpxchg${op.size === 4 ? '32_32' : '_64'}(${addr(i.dst, i.offset)}, ${r}0, ${r}${i.src})`;
      }
      if (op.fetch) return `${r}${i.src} = atomic_fetch_${op.op}((${ty} *)(${addr(i.dst, i.offset)}), ${r}${i.src})`;
      const sym = op.op === 'add' ? '+=' : op.op === 'or' ? '|=' : op.op === 'and' ? '&=' : '^=';
      return `lock *(${ty} *)(${addr(i.dst, i.offset)}) ${sym} ${r}${i.src}`;
    }
    case 'ldabs':
      return `r0 = *(${TYPE[op.size]} *)skb[${i.imm}]`;
    case 'ldind':
      if (i.imm === 0) return `r0 = *(${TYPE[op.size]} *)skb[r${i.src}]`;
      return `r0 = *(${TYPE[op.size]} *)skb[r${i.src} ${i.imm < 0 ? '-' : '+'} ${Math.abs(i.imm)}]`;
  }
}
