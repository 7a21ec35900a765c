/**
 * The step lattice of trip-count.ts: how each instruction of a loop body changes the loop's variables
 * (registers and r10 stack slots) relative to their values at the head. A forward data flow over the body
 * with {@link transfer} and {@link joinDelta} finds the basic induction variables.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';

/** Variables: registers 0-10, then the 8-byte stack slots at r10 - 8, r10 - 16, ... (variable 11 + k: r10 - 8(k + 1)). */
export const VARS = 11 + 64;

/** The variable of the 8-byte stack slot at `off` from r10 (a negative multiple of 8), or undefined. */
export function slotVar(off: number): number | undefined {
  return off < 0 && off >= -512 && off % 8 === 0 ? 11 + (-off / 8 - 1) : undefined;
}

/** The offset from r10 of a slot variable. */
export function slotOffset(v: number): number {
  return -8 * (v - 11 + 1);
}


/**
 * A value in terms of a variable's value at the head: `b + [c, h]` (`z` 0; `c` = `h` on a single path,
 * a range where paths that step it differently meet), its low 32 bits shifted to the high half (`z` 1,
 * after `<<= 32`), or the low 32 bits zero-extended (`z` 2, after `>>= 32` of that or a 32-bit move);
 * or TOP (anything). Only `z` 0 of a variable takes a range.
 */
export interface Rel {
  readonly b: number;
  readonly c: bigint;
  readonly h: bigint;
  readonly z: 0 | 1 | 2;
}
export type Delta = Rel | typeof TOP_DELTA;
/** The `b` of a constant (`c` itself, set by a move of an immediate in the loop). */
export const CONST = -1;
export const TOP_DELTA = 'top';
export const rel = (b: number, c: bigint, z: 0 | 1 | 2 = 0, h = c): Rel => ({ b, c, h, z });
export const sameDelta = (a: Delta, b: Delta): boolean => a === b || (a !== TOP_DELTA && b !== TOP_DELTA && a.b === b.b && a.c === b.c && a.h === b.h && a.z === b.z);
/** A single change (not a range). */
export const exact = (d: Delta): d is Rel => d !== TOP_DELTA && d.c === d.h;

const SWAP_REL: Record<string, string> = { eq: 'eq', ne: 'ne', ugt: 'ult', uge: 'ule', ult: 'ugt', ule: 'uge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge' };
/** `a REL b` as `b REL' a`. */
export function swapRelation(r: string): string {
  return SWAP_REL[r] ?? 'set';
}

export function joinDelta(a: Delta, b: Delta): Delta {
  if (sameDelta(a, b)) return a;
  if (a === TOP_DELTA || b === TOP_DELTA || a.b !== b.b || a.z !== 0 || b.z !== 0 || a.b === CONST) return TOP_DELTA;
  return rel(a.b, a.c < b.c ? a.c : b.c, 0, a.h > b.h ? a.h : b.h);
}

/** The slot variables an access of `size` bytes at `off` from r10 overlaps. */
export function overlapped(off: number, size: number): number[] {
  const out: number[] = [];
  for (let at = Math.floor(off / 8) * 8; at < off + size; at += 8) {
    const v = slotVar(at);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * Each variable's value after one instruction, relative to the head: a 64-bit `+=` / `-=` of a constant
 * moves it, a copy (64-bit move, an 8-byte fill or spill through r10) keeps it, `<<= 32` and `>>= 32`
 * take its low half; any other write makes it anything.
 */
export function transfer(i: Insn, op: Operation, d: readonly Delta[]): Delta[] {
  const o = d.slice();
  switch (op.kind) {
    case 'alu': {
      if (op.op === 'mov' && op.source === 'reg') {
        const src = o[i.src]!;
        if (op.width === 64) o[i.dst] = src;
        else o[i.dst] = !exact(src) || src.z === 1 ? TOP_DELTA : rel(src.b, src.c, 2);
        break;
      }
      if (op.op === 'mov' && op.source === 'imm' && op.width === 64) {
        o[i.dst] = rel(CONST, BigInt(i.imm));
        break;
      }
      const cur = o[i.dst]!;
      if (cur === TOP_DELTA || op.width !== 64 || op.source !== 'imm' || (cur.b === CONST && op.op !== 'add' && op.op !== 'sub')) o[i.dst] = TOP_DELTA;
      else if ((op.op === 'add' || op.op === 'sub') && cur.z === 0) {
        const m = op.op === 'add' ? BigInt(i.imm) : -BigInt(i.imm);
        o[i.dst] = rel(cur.b, cur.c + m, 0, cur.h + m);
      } else if (op.op === 'lsh' && i.imm === 32 && cur.z === 0 && exact(cur)) o[i.dst] = rel(cur.b, cur.c, 1);
      else if (op.op === 'rsh' && i.imm === 32 && cur.z === 1) o[i.dst] = rel(cur.b, cur.c, 2);
      else o[i.dst] = TOP_DELTA;
      break;
    }
    case 'ldx': {
      const v = i.src === 10 && op.size === 8 ? slotVar(i.offset) : undefined;
      o[i.dst] = v === undefined ? TOP_DELTA : o[v]!;
      break;
    }
    case 'stx':
    case 'st':
    case 'atomic': {
      if (op.kind === 'atomic') {
        if (op.fetch || op.op === 'xchg') o[i.src] = TOP_DELTA;
        if (op.op === 'cmpxchg') o[0] = TOP_DELTA;
      }
      if (i.dst !== 10) break; // through another pointer: the fixpoint's guard checks it cannot reach a slot
      const whole = op.kind === 'stx' && op.size === 8 ? slotVar(i.offset) : undefined;
      for (const v of overlapped(i.offset, op.size)) o[v] = TOP_DELTA;
      if (whole !== undefined) o[whole] = o[i.src]!;
      break;
    }
    case 'neg':
    case 'movsx':
    case 'end':
    case 'lddw':
      o[i.dst] = TOP_DELTA;
      break;
    case 'call':
    case 'callx':
    case 'ldabs':
    case 'ldind':
      for (let r = 0; r <= 5; r++) o[r] = TOP_DELTA;
      break;
    default:
      break;
  }
  return o;
}
