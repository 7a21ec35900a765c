/**
 * Zeroing the stack at the start of a run — only the part the program can reach.
 *
 * Every run starts with a zeroed stack, so that no run sees what an earlier one left behind. Zeroing
 * the whole stack (frames × stack size: 4 KiB by default) costs more than a short program's whole run,
 * so engines zero the program's *footprint* instead: when r10 is only ever the base of loads, stores
 * and atomics (never copied, compared, stored or passed on) and there are no local calls, the bytes a
 * program can touch on the stack are exactly the ranges `[r10 + offset, r10 + offset + size)` of those
 * accesses. Otherwise (r10 escapes, or frames below the entry one are used) the whole stack is zeroed.
 *
 * A tail call continues in a program the footprint did not cover, so the first tail call of a run
 * zeroes the rest of the stack: the stack is then exactly what a whole-stack zeroing at the start
 * followed by this run's stores would have left.
 * @module
 */
import { decodeOperation } from '../isa/operation.js';
import type { Insn } from '../isa/instruction.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import { fieldUse } from '../verifier/fields.js';
import type { RunRequest } from './environment.js';
import type { Region } from './memory.js';

/**
 * The stack bytes a program can reach, relative to the entry frame's r10: `[low, high)`, or the whole
 * stack when `whole` is true.
 */
export interface StackFootprint {
  /** True when the program's reach cannot be bounded statically (r10 escapes, or local calls). */
  readonly whole: boolean;
  /** Lowest offset from r10 accessed (0 when nothing is). */
  readonly low: number;
  /** One past the highest offset from r10 accessed (0 when nothing is). */
  readonly high: number;
}

const WHOLE: StackFootprint = { whole: true, low: 0, high: 0 };

/** The stack footprint of a program's instructions (see the module doc for the rule). */
export function stackFootprint(insns: readonly Insn[]): StackFootprint {
  let low = 0;
  let high = 0;
  let any = false;
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind === 'invalid') continue; // never runs: the engines stop there with an error
    if (op.kind === 'lddw') pc++;
    if (op.kind === 'call' && op.target !== 'helper') return WHOLE;
    const use = fieldUse(op);
    if (!use.registers.some((field) => i[field] === FRAME_POINTER)) continue;
    // r10 as a memory operand's base, and nowhere else, is the only use whose reach is known.
    let size: number;
    if (op.kind === 'ldx' && i.src === FRAME_POINTER && i.dst !== FRAME_POINTER) size = op.size;
    else if (op.kind === 'st' && i.dst === FRAME_POINTER) size = op.size;
    else if ((op.kind === 'stx' || op.kind === 'atomic') && i.dst === FRAME_POINTER && i.src !== FRAME_POINTER) size = op.size;
    else return WHOLE;
    const from = i.offset;
    low = any ? Math.min(low, from) : from;
    high = any ? Math.max(high, from + size) : from + size;
    any = true;
  }
  return { whole: false, low, high };
}

/**
 * Zero what the run's entry program can reach of its stack: the `stackSize × maxCallDepth` bytes below
 * `stackTop`, when they are one writable region (otherwise the program's stack accesses fail anyway).
 * Engines call it when a run starts; it returns that region, or `undefined` when there is none.
 */
export function clearStack(req: RunRequest): Region | undefined {
  const memory = req.memory;
  let plan = lastPlan;
  if (plan === undefined || plan.request !== req || plan.version !== memory.version) plan = lastPlan = planStackClear(req);
  if (plan.to > plan.from) memory.bytes.fill(0, plan.from, plan.to);
  return plan.region;
}

/** What {@link clearStack} zeroes for one request while the memory's layout stays the same. */
export interface StackClearPlan {
  readonly request: RunRequest;
  /** The memory's {@link VmMemory.version} the plan was made for. */
  readonly version: number;
  /** The stack region, when it is one writable region (what {@link clearStack} returns). */
  readonly region: Region | undefined;
  /** Linear-memory range to zero (empty when `to <= from`). */
  readonly from: number;
  readonly to: number;
}

/**
 * The plan of the last request cleared: a VM reuses its request object while nothing about the run
 * changes, and finding the stack region costs as much as a short run.
 */
let lastPlan: StackClearPlan | undefined;

/** Work out what {@link clearStack} zeroes for `request` in the memory's current layout. */
export function planStackClear(request: RunRequest): StackClearPlan {
  const { memory, limits, stackTop } = request;
  const version = memory.version;
  const size = limits.stackSize * limits.maxCallDepth;
  const region = memory.find(stackTop - size, size);
  if (region === undefined || !region.writable) return { request, version, region: undefined, from: 0, to: 0 };
  const end = region.offset + (stackTop - region.vaddr);
  const reach = request.program.stackFootprint;
  if (reach.whole) return { request, version, region, from: end - size, to: end };
  return { request, version, region, from: Math.max(end - size, end + reach.low), to: Math.min(end, end + reach.high) };
}

/**
 * Zero the part of the stack {@link clearStack} left alone: called at a run's first tail call, which
 * continues in a program that footprint did not cover. Until then only the footprint was written, so
 * the stack is then as if it had been wholly zeroed at the start.
 */
export function clearStackRest(req: RunRequest): void {
  const { region, from: low, to: high } = planStackClear(req);
  if (region === undefined || req.program.stackFootprint.whole) return;
  const end = region.offset + (req.stackTop - region.vaddr);
  const start = end - req.limits.stackSize * req.limits.maxCallDepth;
  // What clearStack zeroed, clamped to the stack (a footprint may reach past either end).
  const from = Math.min(end, low);
  const to = Math.max(from, high);
  const bytes = req.memory.bytes;
  bytes.fill(0, start, from);
  bytes.fill(0, to, end);
}
