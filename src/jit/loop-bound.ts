/**
 * Trip-count bounds of innermost loops, for charging the instruction budget once per loop entry
 * (emit-loops.ts, emit-budget.ts): a guard before the loop computes, from the registers it is entered with, an upper
 * bound on its iterations; when that many iterations of the loop's longest path fit in the budget, no
 * charge inside the loop can fail, so the loop runs without budget checks (its blocks still charge,
 * exactly). Otherwise the run continues in the function's checked copy at the loop's header, so a
 * budget error is the interpreter's whatever the bound says.
 *
 * The bound comes from an exit test `t OP L` that every completed iteration passes (its block
 * dominates every back edge), where `L` is loop-invariant and `t` moves by a loop-invariant amount
 * per iteration: each register's value is followed as an affine form over the registers at the
 * header (`k + Σ c × rN`), modulo 2^W where W is the test's width (a 32-bit test follows 32- and
 * 64-bit `mov`, `add`, `sub`, `mul` and `lsh` by a constant, whose low halves are exact modulo 2^32; a
 * 64-bit test only the 64-bit ones), through the acyclic body, joining paths where they agree. Then
 * `t` on iteration k + 1 is `t` on iteration k plus `dt = Σ c × step`, the steps being the forms'
 * changes from the header to the back edges. Nothing here is trusted at run time beyond this
 * bookkeeping: the guard evaluates `t`, `dt` and `L` on entry and checks the conditions under which
 * `t` cannot wrap around before the test fails (emit-budget.ts, `boundGuard`); a step of 0, a limit that
 * lets `t` wrap, a `!=` test `t` could skip over, all fail the guard and run checked.
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import { fieldUse } from '../verifier/fields.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { Affine } from '../verifier/affine.js';
import { combine } from './induction.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { L_BUDGET, L_LIM, L_T, L_T2 } from './locals.js';

/** The continue condition, normalized to `t OP L` (unsigned, or signed when `signed`). */
export type BoundOp = 'lt' | 'le' | 'gt' | 'ge' | 'ne';

/** A loop's bound: what the entry guard evaluates. */
export interface LoopBound {
  /** The tested value on the first iteration, over the registers at entry (modulo 2^width). */
  readonly tested: Affine;
  /** Its change per iteration, over registers the loop never writes. */
  readonly delta: Affine;
  /** The limit, over registers the loop never writes. */
  readonly limit: Affine;
  readonly op: BoundOp;
  readonly signed: boolean;
  readonly width: 32 | 64;
  /** The pc of the test (for dumps and tests). */
  readonly pc: number;
  /** Each node's register forms at its start, over the registers at the header (modulo 2^width). */
  readonly entryForms: ReadonlyMap<number, readonly (Affine | undefined)[]>;
}

/** The loop as the analysis sees it: graph nodes, each a block's slots (or none, a switch edge). */
export interface BoundInput {
  readonly insns: readonly Insn[];
  readonly ops: readonly Operation[];
  /** The header (graph node). */
  readonly header: number;
  /** The loop's nodes in reverse postorder, the header first; the loop is innermost. */
  readonly body: readonly number[];
  /** Reverse postorder number of each node. */
  readonly rpo: Int32Array;
  /** Immediate dominator of each node. */
  readonly idom: Int32Array;
  /** Graph successors of a node. */
  succ(node: number): readonly number[];
  /** The conditional jump ending a node and its successors in the graph, or undefined. */
  cond(node: number): { readonly pc: number; readonly taken: number; readonly fall: number } | undefined;
  /** The node's instruction slots [from, to) (the terminating jump included), or undefined for none. */
  slots(node: number): { readonly from: number; readonly to: number } | undefined;
  /** Registers a node may also write after its slots (an if-converted block it runs as selects). */
  extraWrites(node: number): readonly number[];
}

const NEGATE: Readonly<Record<string, string>> = { jlt: 'jge', jge: 'jlt', jle: 'jgt', jgt: 'jle', jslt: 'jsge', jsge: 'jslt', jsle: 'jsgt', jsgt: 'jsle', jeq: 'jne', jne: 'jeq' };
const SWAP: Readonly<Record<string, string>> = { jlt: 'jgt', jgt: 'jlt', jle: 'jge', jge: 'jle', jslt: 'jsgt', jsgt: 'jslt', jsle: 'jsge', jsge: 'jsle', jne: 'jne', jeq: 'jeq' };
const OPS: Readonly<Record<string, { op: BoundOp; signed: boolean }>> = {
  jlt: { op: 'lt', signed: false },
  jle: { op: 'le', signed: false },
  jgt: { op: 'gt', signed: false },
  jge: { op: 'ge', signed: false },
  jslt: { op: 'lt', signed: true },
  jsle: { op: 'le', signed: true },
  jsgt: { op: 'gt', signed: true },
  jsge: { op: 'ge', signed: true },
  jne: { op: 'ne', signed: false },
};

const reg = (r: number): Affine => ({ coeffs: new Map([[r, 1]]), k: 0 });
const constant = (k: number): Affine => ({ coeffs: new Map(), k });
const same = (a: Affine | undefined, b: Affine | undefined): boolean => {
  if (a === undefined || b === undefined) return false;
  if (a.k !== b.k || a.coeffs.size !== b.coeffs.size) return false;
  for (const [r, v] of a.coeffs) if (b.coeffs.get(r) !== v) return false;
  return true;
};

/** Registers an instruction writes, all of r0-r5 for those that clobber them; undefined for a call or an invalid slot. */
function writesOf(op: Operation, i: Insn): number[] | undefined {
  if (op.kind === 'call' || op.kind === 'callx' || op.kind === 'invalid') return undefined;
  if (op.kind === 'ldabs' || op.kind === 'ldind') return [0, 1, 2, 3, 4, 5];
  const out = fieldUse(op).writes.map((f) => i[f]);
  if (op.kind === 'atomic' && op.op === 'cmpxchg') out.push(0);
  return out;
}

/** The form of `dst` after the ALU instruction, modulo 2^width, or undefined. */
function alu(state: readonly (Affine | undefined)[], op: Operation & { kind: 'alu' }, i: Insn, width: 32 | 64): Affine | undefined {
  // A 64-bit test sees 64-bit operations only; a 32-bit one sees the low halves of both widths.
  if (op.width === 32 && width === 64) return undefined;
  const src = op.source === 'reg' ? state[i.src] : constant(op.width === 32 ? i.imm >>> 0 : i.imm);
  const dst = state[i.dst];
  switch (op.op) {
    case 'mov':
      return src;
    case 'add':
      return combine(dst, 1, src);
    case 'sub':
      return combine(dst, -1, src);
    case 'mul':
      return op.source === 'imm' && Math.abs(i.imm) <= 2 ** 20 ? combine(constant(0), i.imm, dst) : undefined;
    case 'lsh':
      return op.source === 'imm' && i.imm >= 0 && i.imm <= 20 ? combine(constant(0), 2 ** i.imm, dst) : undefined;
    default:
      return undefined;
  }
}

/**
 * The bound of an innermost loop (see the module comment), or undefined when no exit test qualifies
 * or the loop holds a call (which spends budget of its own) or an invalid slot.
 */
export function loopBound(input: BoundInput): LoopBound | undefined {
  const { insns, ops, header, body } = input;
  const inLoop = new Set(body);
  const written = new Set<number>();
  for (const x of body) {
    const s = input.slots(x);
    if (s !== undefined)
      for (let pc = s.from; pc < s.to; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
        const w = writesOf(ops[pc]!, insns[pc]!);
        if (w === undefined) return undefined;
        for (const r of w) written.add(r);
      }
    for (const r of input.extraWrites(x)) written.add(r);
  }
  const latches = body.filter((x) => input.succ(x).includes(header));
  if (latches.length === 0) return undefined;
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = input.idom[x]!) {
      if (x === a) return true;
      if (x === header || x < 0 || input.idom[x] === x) return false;
    }
  };
  const tests = body.filter((x) => {
    const c = input.cond(x);
    if (c === undefined || inLoop.has(c.taken) === inLoop.has(c.fall)) return false;
    return latches.every((l) => dominates(x, l));
  });
  if (tests.length === 0) return undefined;
  const invariant = (f: Affine): boolean => [...f.coeffs.keys()].every((r) => !written.has(r));
  for (const width of [32, 64] as const) {
    const candidates = tests.filter((x) => ops[input.cond(x)!.pc]!.kind === 'jcond' && (ops[input.cond(x)!.pc] as { width: number }).width === width);
    if (candidates.length === 0) continue;
    const flowed = flow(input, inLoop, width);
    if (flowed === undefined) continue;
    const { out, entry } = flowed;
    // Each register's change per iteration, over registers the loop never writes.
    let end: (Affine | undefined)[] | undefined;
    for (const l of latches) {
      const s = out.get(l)!;
      end = end === undefined ? [...s] : end.map((v, r) => (same(v, s[r]) ? v : undefined));
    }
    const step = end!.map((v, r) => {
      const d = combine(v, -1, reg(r));
      return d !== undefined && invariant(d) ? d : undefined;
    });
    for (const x of candidates) {
      const c = input.cond(x)!;
      const op = ops[c.pc] as Operation & { kind: 'jcond' };
      const i = insns[c.pc]!;
      const s = out.get(x)!;
      let cond: string = op.cond;
      if (!inLoop.has(c.taken)) cond = NEGATE[cond] ?? '';
      const left = s[i.dst];
      const right = op.source === 'reg' ? s[i.src] : constant(width === 32 ? i.imm >>> 0 : i.imm);
      for (const [t, l, k] of [
        [left, right, cond],
        [right, left, SWAP[cond] ?? ''],
      ] as const) {
        const norm = OPS[k];
        if (norm === undefined || t === undefined || l === undefined || !invariant(l) || invariant(t)) continue;
        let delta: Affine | undefined = constant(0);
        for (const [r, v] of t.coeffs) delta = combine(delta, v, step[r]);
        if (delta === undefined || (delta.coeffs.size === 0 && delta.k === 0)) continue;
        return { tested: t, delta, limit: l, op: norm.op, signed: norm.signed, width, pc: c.pc, entryForms: entry };
      }
    }
  }
  return undefined;
}

/** Each node's register forms at its start and at its end (after its slots and extra writes), modulo 2^width. */
function flow(
  input: BoundInput,
  inLoop: ReadonlySet<number>,
  width: 32 | 64,
): { out: Map<number, (Affine | undefined)[]>; entry: Map<number, (Affine | undefined)[]> } | undefined {
  const { insns, ops, header, body, rpo } = input;
  const preds = new Map<number, number[]>();
  for (const x of body) for (const y of input.succ(x)) if (y !== header && inLoop.has(y) && rpo[y]! > rpo[x]!) preds.set(y, [...(preds.get(y) ?? []), x]);
  const out = new Map<number, (Affine | undefined)[]>();
  const entry = new Map<number, (Affine | undefined)[]>();
  for (const x of body) {
    let state: (Affine | undefined)[];
    if (x === header) state = Array.from({ length: JIT_REGISTERS }, (_, r) => reg(r));
    else {
      const ps = preds.get(x);
      if (ps === undefined) return undefined;
      state = [...out.get(ps[0]!)!];
      for (const p of ps.slice(1)) {
        const o = out.get(p)!;
        state = state.map((v, r) => (same(v, o[r]) ? v : undefined));
      }
    }
    entry.set(x, [...state]);
    const s = input.slots(x);
    if (s !== undefined)
      for (let pc = s.from; pc < s.to; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
        const op = ops[pc]!;
        const i = insns[pc]!;
        if (op.kind === 'alu') {
          state[i.dst] = alu(state, op, i, width);
          continue;
        }
        for (const r of writesOf(op, i) ?? []) state[r] = undefined;
      }
    for (const r of input.extraWrites(x)) state[r] = undefined;
    out.set(x, state);
  }
  return { out, entry };
}

/**
 * Push `f` evaluated (i64, modulo 2^64) on the registers' current values, or on what `value(r)` pushes
 * for register r.
 */
export function evaluate(c: CodeWriter, f: Affine, value: (r: number) => void = (r) => void c.get(r)): void {
  let terms = 0;
  for (const [r, v] of f.coeffs) {
    value(r);
    if (v !== 1) c.i64(v).op(Op.i64_mul);
    if (terms++ > 0) c.op(Op.i64_add);
  }
  if (terms === 0) c.i64(f.k);
  else if (f.k !== 0) c.i64(f.k).op(Op.i64_add);
}

/**
 * Push an i32, non-zero when the loop's iterations from here, at `cost` each at most, and then `after`
 * (the most any path from the loop's exits charges before the next check) fit in the budget
 * (L_BUDGET, exact: deferred charges flushed). Uses L_T, L_T2 and L_LIM.
 *
 * With M = 2^width, t the tested value on the first iteration, L the limit and dt the change per
 * iteration (t and L biased by 2^(width-1) for a signed test, which turns it into an unsigned one and
 * commutes with adding dt): for `t < L` or `t <= L`, dt in [1, M - L) means t cannot wrap while the
 * test holds (t <= L < M - dt), so it passes at most L - t + 1 times; for `t > L` or `t >= L`,
 * -dt in [1, L] likewise at most t - L + 1 times; for `t != L`, with s = dt (up) or M - dt (down),
 * t reaches L after (±(L - t) mod M) / s passes when s divides that distance (otherwise the guard fails). Every iteration but the last passes the test (it dominates the back
 * edges), so at most passes + 1 iterations run: the guard asks for (dist + 2) × cost + after.
 */
export function emitBoundCheck(c: CodeWriter, b: LoopBound, cost: number, after: number): void {
  const w32 = b.width === 32;
  const mask = (): void => {
    if (w32) c.i64(0xffffffff).op(Op.i64_and);
  };
  const bias = (): void => {
    if (b.signed) c.i64(w32 ? 0x80000000 : -(2n ** 63n)).op(Op.i64_xor);
  };
  evaluate(c, b.tested);
  mask();
  bias();
  c.set(L_T);
  evaluate(c, b.limit);
  mask();
  bias();
  c.set(L_T2);
  evaluate(c, b.delta);
  mask();
  c.set(L_LIM);
  /** Push M - x (x in [1, M)), as an i64 (for width 64, modulo 2^64). */
  const fromTop = (x: () => void): void => {
    if (w32) c.i64(2 ** 32);
    else c.i64(0);
    x();
    c.op(Op.i64_sub);
  };
  const dt = (): void => void c.get(L_LIM);
  if (b.op === 'lt' || b.op === 'le') {
    // ok: dt != 0 && L < M - dt; dist: L - t when t < L, else 0.
    c.get(L_LIM).i64(0).op(Op.i64_ne);
    c.get(L_T2);
    fromTop(dt);
    c.op(Op.i64_lt_u).op(Op.i32_and);
    c.get(L_T2).get(L_T).op(Op.i64_sub).i64(0).get(L_T).get(L_T2).op(Op.i64_lt_u).op(Op.select).set(L_T);
  } else if (b.op === 'gt' || b.op === 'ge') {
    // ok: g = M - dt (dt != 0) and g <= L; dist: t - L when t > L, else 0.
    c.get(L_LIM).i64(0).op(Op.i64_ne);
    fromTop(dt);
    c.get(L_T2).op(Op.i64_le_u).op(Op.i32_and);
    c.get(L_T).get(L_T2).op(Op.i64_sub).i64(0).get(L_T).get(L_T2).op(Op.i64_gt_u).op(Op.select).set(L_T);
  } else {
    // Up by s = dt when dt <= M/2, else down by s = M - dt; d = (L - t) mod M up, (t - L) mod M down.
    // ok: dt != 0 and s divides d; dist: d / s (t meets L after d / s steps and not before: the values
    // between are t + ks, k < d / s, strictly between t and t + d with no wrap past L).
    c.get(L_LIM).i64(0).op(Op.i64_ne);
    c.get(L_T2).get(L_T).op(Op.i64_sub);
    mask();
    c.get(L_T).get(L_T2).op(Op.i64_sub);
    mask();
    const up = (): void => void c.get(L_LIM).i64(w32 ? 2 ** 31 : -(2n ** 63n)).op(Op.i64_le_u);
    up();
    c.op(Op.select).set(L_T);
    c.get(L_LIM);
    fromTop(dt);
    up();
    c.op(Op.select).set(L_LIM);
    // (L_LIM is not 0 here unless dt is: a divisor of 1 then keeps the division defined.)
    c.get(L_T).get(L_LIM).i64(1).get(L_LIM).i64(0).op(Op.i64_ne).op(Op.select).tee(L_LIM).op(Op.i64_rem_u).op(Op.i64_eqz).op(Op.i32_and);
    c.get(L_T).get(L_LIM).op(Op.i64_div_u).set(L_T);
  }
  // dist < 2^32 keeps (dist + 2) × cost exact (cost < 2^21: a function's instructions).
  c.get(L_T).i64(2 ** 32).op(Op.i64_lt_u).op(Op.i32_and);
  c.get(L_T).i64(2).op(Op.i64_add).i64(cost).op(Op.i64_mul);
  if (after !== 0) c.i64(after).op(Op.i64_add);
  c.get(L_BUDGET).op(Op.i64_le_s).op(Op.i32_and);
}
