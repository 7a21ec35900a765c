/**
 * The symbolic path runner of the loop relations (relations.ts): every path from a loop head back to it
 * (at most {@link MAX_PATHS}, the body acyclic without its back edges) is run with each register as a
 * form over the registers' values at the head (`v + c`, the low 32 bits of that, or a constant), with
 * what its conditional jumps prove of those values (an interval of a register or of its low half, and
 * bounds by other head registers).
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import { edgeRelation } from './branch.js';

/** Paths from the head back to it, and instructions run over all of them, before giving up (no relation). */
const MAX_PATHS = 64;
const MAX_WORK = 20_000;
/** All ones in 32 / 64 bits. */
export const U32 = (1n << 32n) - 1n;
export const U64 = (1n << 64n) - 1n;

/** A register as a form over the head's registers: `b + c` (z 0), its low half shifted up (z 1) or zero-extended (z 2); `b` -1: the constant `c`. */
export interface Form {
  readonly b: number;
  readonly c: bigint;
  readonly z: 0 | 1 | 2;
}
/** A form, or undefined where a register is no form of the head's registers. */
export type F = Form | undefined;
const CONST = -1;
const cst = (c: bigint): Form => ({ b: CONST, c: BigInt.asUintN(64, c), z: 0 });

/** A test's bound on a head value by another head register (`w32`: its low half): `value REL reg`. */
export interface Bound {
  readonly rel: string;
  readonly reg: number;
  readonly w32: boolean;
}

/**
 * One path's state: forms, intervals (unsigned) its tests proved of head values, and their bounds by
 * other head registers, keyed `reg` or `reg:32` (a low half).
 */
export interface PathState {
  readonly forms: F[];
  readonly guards: ReadonlyMap<string, readonly [bigint, bigint]>;
  readonly bounds: ReadonlyMap<string, readonly Bound[]>;
}

/**
 * Every path's state on arriving back at the head, and the forms before each slot, met over the paths
 * reaching it (undefined: a path count or work past the limits, or a cycle not through the head).
 */
export function runPaths(insns: readonly Insn[], ops: readonly Operation[], head: number, slots: ReadonlySet<number>): { ends: PathState[]; seen: Map<number, F[]> } | undefined {
  const ends: PathState[] = [];
  const seen = new Map<number, F[]>();
  const init: F[] = Array.from({ length: 11 }, (_, r) => ({ b: r, c: 0n, z: 0 as const }));
  const stack: [number, PathState, number][] = [[head, { forms: init, guards: new Map(), bounds: new Map() }, 0]];
  let work = 0;
  let depth = 0;
  const push = (to: number, s: PathState): void => {
    if (to === head) ends.push(s);
    else stack.push([to, s, depth + 1]);
  };
  while (stack.length > 0) {
    const [pc, st, d] = stack.pop()!;
    depth = d;
    const met = seen.get(pc);
    if (met === undefined) seen.set(pc, st.forms.slice());
    else for (let r = 0; r < met.length; r++) if (met[r] !== undefined && !sameForm(met[r]!, st.forms[r])) met[r] = undefined;
    if (++work > MAX_WORK || depth > slots.size) return undefined; // a path longer than the body: a cycle not through the head
    const i = insns[pc]!;
    const op = ops[pc]!;
    if (op.kind === 'exit') continue;
    const next = pc + (op.kind === 'lddw' ? 2 : 1);
    if (op.kind === 'jcond') {
      const t = branchTarget(op, i, pc)!;
      for (const [to, taken] of [[next, false], [t, true]] as const) {
        if (!slots.has(to)) continue;
        const g = guarded(st, i, op, taken);
        if (g !== undefined) push(to, g);
      }
      continue;
    }
    const to = op.kind === 'ja' ? branchTarget(op, i, pc)! : next;
    if (!slots.has(to)) continue;
    push(to, { ...st, forms: step(st.forms, i, op, insns[pc + 1]) });
    if (ends.length > MAX_PATHS) return undefined;
  }
  return { ends, seen };
}

const sameForm = (a: Form, b: F): boolean => b !== undefined && a.b === b.b && a.c === b.c && a.z === b.z;

/** The forms after one instruction (not a jump). */
function step(forms: readonly F[], i: Insn, op: Operation, next: Insn | undefined): F[] {
  const o = forms.slice();
  const d = i.dst;
  switch (op.kind) {
    case 'alu': {
      const a = o[d];
      const b = op.source === 'imm' ? cst(BigInt(i.imm)) : o[i.src];
      if (op.width === 32) {
        if (op.op === 'mov') o[d] = b === undefined || b.z === 1 ? undefined : b.b === CONST ? cst(b.c & U32) : { b: b.b, c: b.c, z: 2 };
        else if ((op.op === 'add' || op.op === 'sub') && a !== undefined && a.z !== 1 && b?.b === CONST) {
          const c = op.op === 'add' ? a.c + b.c : a.c - b.c;
          o[d] = a.b === CONST ? cst(c & U32) : { b: a.b, c: BigInt.asUintN(32, c), z: 2 };
        } else o[d] = undefined;
        break;
      }
      if (op.op === 'mov') o[d] = b;
      else if ((op.op === 'add' || op.op === 'sub') && a !== undefined && b !== undefined) {
        if (b.b === CONST && a.z === 0) o[d] = { b: a.b, c: BigInt.asUintN(64, op.op === 'add' ? a.c + b.c : a.c - b.c), z: 0 };
        else if (op.op === 'add' && a.b === CONST && b.z === 0) o[d] = { b: b.b, c: BigInt.asUintN(64, a.c + b.c), z: 0 };
        else o[d] = undefined;
      } else if (op.source === 'imm' && i.imm === 32 && a !== undefined && (op.op === 'lsh' || op.op === 'rsh')) {
        if (a.b === CONST) o[d] = cst(op.op === 'lsh' ? a.c << 32n : a.c >> 32n);
        else if (op.op === 'lsh' && a.z !== 1) o[d] = { b: a.b, c: a.c, z: 1 };
        else if (op.op === 'rsh' && a.z === 1) o[d] = { b: a.b, c: a.c, z: 2 };
        else o[d] = undefined;
      } else o[d] = undefined;
      break;
    }
    case 'lddw':
      o[d] = op.pseudo === 0 && next !== undefined ? cst((BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0)) : undefined;
      break;
    case 'neg':
    case 'movsx':
    case 'end':
    case 'ldx':
      o[d] = undefined;
      break;
    case 'atomic':
      if (op.fetch || op.op === 'xchg') o[i.src] = undefined;
      if (op.op === 'cmpxchg') o[0] = undefined;
      break;
    case 'call':
    case 'callx':
    case 'ldabs':
    case 'ldind':
      for (let r = 0; r <= 5; r++) o[r] = undefined;
      break;
    default:
      break;
  }
  return o;
}

const SWAP: Record<string, string> = { eq: 'eq', ne: 'ne', ugt: 'ult', uge: 'ule', ult: 'ugt', ule: 'uge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge' };

/** The head value a form is at a jump of `width` (`reg` or `reg:32`, its low half), and the width of its comparison; undefined when none. */
function termOf(f: F, width: 32 | 64): string | undefined {
  if (f === undefined || f.b === CONST) return undefined;
  if (width === 32 && f.z !== 1 && (f.c & U32) === 0n) return `${f.b}:32`;
  if (width === 64 && f.z === 0 && f.c === 0n) return `${f.b}`;
  if (width === 64 && f.z === 2 && (f.c & U32) === 0n) return `${f.b}:32`;
  return undefined;
}

/** `st` on one edge of a conditional jump: what it proves of head values added; undefined when the edge cannot be taken. */
function guarded(st: PathState, i: Insn, op: Extract<Operation, { kind: 'jcond' }>, taken: boolean): PathState | undefined {
  const rel: string = edgeRelation(op.cond, taken);
  const a = st.forms[i.dst];
  const b = op.source === 'imm' ? cst(BigInt(i.imm)) : st.forms[i.src];
  let out: PathState | undefined = st;
  for (const [f, g, r] of [[a, b, rel], [b, a, SWAP[rel] ?? 'set']] as const) {
    const key = termOf(f, op.width);
    if (key === undefined || g === undefined || out === undefined) continue;
    if (g.b === CONST) out = withGuard(out, key, r, op.width === 32 ? g.c & U32 : g.c);
    else if (g.z === 0 && g.c === 0n && /^u[lg][te]$/.test(r)) {
      const list = [...(out.bounds.get(key) ?? []), { rel: r, reg: g.b, w32: op.width === 32 }];
      out = { ...out, bounds: new Map(out.bounds).set(key, list) };
    }
  }
  return out;
}

/** `st` with `key REL k` added to the interval of head value `key`; undefined when that leaves none. */
function withGuard(st: PathState, key: string, rel: string, k: bigint): PathState | undefined {
  const max = key.endsWith(':32') ? U32 : U64;
  const smax = max >> 1n;
  let [lo, hi] = st.guards.get(key) ?? [0n, max];
  switch (rel) {
    case 'eq': [lo, hi] = [lo > k ? lo : k, hi < k ? hi : k]; break;
    case 'ne': if (lo === k) lo++; else if (hi === k) hi--; break;
    case 'ult': if (k - 1n < hi) hi = k - 1n; break;
    case 'ule': if (k < hi) hi = k; break;
    case 'ugt': if (k + 1n > lo) lo = k + 1n; break;
    case 'uge': if (k > lo) lo = k; break;
    // a signed bound at or above 0 keeps the value in [k, smax]
    case 'sgt': if (k < smax) [lo, hi] = [k + 1n > lo ? k + 1n : lo, hi < smax ? hi : smax]; break;
    case 'sge': if (k <= smax) [lo, hi] = [k > lo ? k : lo, hi < smax ? hi : smax]; break;
    default: return st;
  }
  if (lo > hi) return undefined;
  return { ...st, guards: new Map(st.guards).set(key, [lo, hi]) };
}
