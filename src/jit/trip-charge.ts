/**
 * Budget charges of a bounded loop (loop-bound.ts) recovered from its induction variable instead of
 * added up block by block. A loop whose budget is checked once per entry still has to charge exactly
 * (the instructions a run used are observable, and an exit may continue where the budget is checked
 * again), so each of its blocks used to add its length to an accumulator carried from one iteration
 * to the next. V8 tends to keep that accumulator in a stack slot across the back edge, and the
 * load-add-store chain then limits the loop to one iteration per store-to-load forwarding.
 *
 * When every path from the header to a block charges the same (`before`, the same for every path) and
 * every iteration charges the same (`perIteration`), the charges so far at a block of iteration k are
 * `k × perIteration + before + its own length`. k itself follows from the tested value: the entry
 * guard proved that `t` moves by the constant step `dt` without wrapping while the test holds, so on
 * iteration k, `t_k - t_0 = k × dt` exactly (modulo 2^width, and |k × dt| < 2^width). t_k is read off
 * the registers at the block's start: every header register the tested form uses must be held by some
 * register as itself plus a constant there (the forms of loop-bound.ts). Each block then *sets* the
 * accumulator from registers of the current iteration, which nothing carries across the back edge;
 * V8 computes the value only on the paths that leave the loop, where it is read.
 * @module
 */
import type { Affine } from '../verifier/affine.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { evaluate, type LoopBound } from './loop-bound.js';
import { L_T0 } from './locals.js';

/** Where a header register's value is at a block's start: register `reg` holds it plus `k` (modulo 2^width). */
interface Held {
  readonly reg: number;
  readonly k: number;
}

/** One block's charge: the tested value's header registers as held there, and what the iteration charged before it. */
export interface TripBlock {
  readonly held: ReadonlyMap<number, Held>;
  /** Charged by the iteration before this block, plus this block's own charge. */
  readonly through: number;
}

/** A bounded loop charged from its induction variable. */
export interface TripCharge {
  readonly bound: LoopBound;
  /** What one complete iteration charges. */
  readonly perIteration: number;
  readonly blocks: ReadonlyMap<number, TripBlock>;
}

/** The loop as this module sees it (graph nodes; the body in reverse postorder, the header first). */
export interface TripInput {
  readonly bound: LoopBound;
  readonly header: number;
  readonly body: readonly number[];
  readonly rpo: Int32Array;
  succ(node: number): readonly number[];
  /** What a node charges; undefined when its charge depends on the path (an if-converted block). */
  cost(node: number): number | undefined;
}

/** The plan for charging the loop from its induction variable, or undefined when its charges are not uniform. */
export function tripCharge(input: TripInput): TripCharge | undefined {
  const { bound, header, body, rpo } = input;
  const inLoop = new Set(body);
  const before = new Map<number, number>([[header, 0]]);
  let perIteration: number | undefined;
  const blocks = new Map<number, TripBlock>();
  for (const x of body) {
    const cost = input.cost(x);
    const at = before.get(x);
    if (cost === undefined || at === undefined) return undefined;
    const through = at + cost;
    for (const y of input.succ(x)) {
      if (!inLoop.has(y)) continue;
      if (y === header) {
        if (perIteration !== undefined && perIteration !== through) return undefined;
        perIteration = through;
      } else if (rpo[y]! <= rpo[x]!) return undefined;
      else {
        const seen = before.get(y);
        if (seen !== undefined && seen !== through) return undefined;
        before.set(y, through);
      }
    }
    const held = heldAt(bound, bound.entryForms.get(x));
    if (held === undefined) return undefined;
    blocks.set(x, { held, through });
  }
  if (perIteration === undefined || perIteration <= 0) return undefined;
  return { bound, perIteration, blocks };
}

/** For each header register of the tested form, a register holding it plus a constant at a block's start. */
function heldAt(bound: LoopBound, forms: readonly (Affine | undefined)[] | undefined): Map<number, Held> | undefined {
  if (forms === undefined) return undefined;
  const out = new Map<number, Held>();
  for (const r of bound.tested.coeffs.keys()) {
    let found: Held | undefined;
    for (let q = 0; q < forms.length && found === undefined; q++) {
      const f = forms[(q + r) % forms.length];
      if (f !== undefined && f.coeffs.size === 1 && f.coeffs.get(r) === 1) found = { reg: (q + r) % forms.length, k: f.k };
    }
    if (found === undefined) return undefined;
    out.set(r, found);
  }
  return out;
}

/** Push the tested form over `value(r)` (each header register), as an i64 reduced modulo 2^width. */
function tested(c: CodeWriter, bound: LoopBound, value: (r: number) => void): void {
  evaluate(c, bound.tested, value);
  if (bound.width === 32) c.i64(0xffffffff).op(Op.i64_and);
}

/** At the loop's entry (after its guard passed): keep the first iteration's tested value in L_T0. */
export function emitTripStart(c: CodeWriter, trip: TripCharge): void {
  tested(c, trip.bound, (r) => void c.get(r));
  c.set(L_T0);
}

/**
 * The tested value's direction and step per iteration under the entry guard (see emitBoundCheck): up by
 * dt for `<`, `<=` and `!=` with dt <= 2^(width-1), down by 2^width - dt for `>`, `>=` and other `!=`.
 */
function direction(bound: LoopBound): { readonly down: boolean; readonly step: bigint } {
  const bits = BigInt(bound.width);
  const dt = BigInt.asUintN(bound.width, BigInt(bound.delta.k));
  const up = bound.op === 'lt' || bound.op === 'le' || (bound.op === 'ne' && dt <= 1n << (bits - 1n));
  return up ? { down: false, step: dt } : { down: true, step: (1n << bits) - dt };
}

/** Push (i64) the charges so far in the loop's current iteration's block `block`, from the registers at its start. */
export function emitTripCharge(c: CodeWriter, trip: TripCharge, block: TripBlock): void {
  const value = (r: number): void => {
    const h = block.held.get(r)!;
    c.get(h.reg);
    if (h.k !== 0) c.i64(-h.k).op(Op.i64_add);
  };
  const { down, step } = direction(trip.bound);
  if (down) {
    c.get(L_T0);
    tested(c, trip.bound, value);
  } else {
    tested(c, trip.bound, value);
    c.get(L_T0);
  }
  c.op(Op.i64_sub);
  if (trip.bound.width === 32) c.i64(0xffffffff).op(Op.i64_and);
  // Iterations completed: the distance over the step (a guard-proved exact multiple of it).
  if (step !== 1n) {
    if ((step & (step - 1n)) === 0n) c.i64(step.toString(2).length - 1).op(Op.i64_shr_u);
    else c.i64(step).op(Op.i64_div_u);
  }
  c.i64(trip.perIteration).op(Op.i64_mul);
  c.i64(block.through).op(Op.i64_add);
}
