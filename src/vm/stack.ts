/**
 * Every run starts with a stack holding nothing from an earlier run, at a cost that follows what was
 * written rather than the stack's size.
 *
 * Invariant: between runs, the stack region is zero except below its top from the *stack mark* up. The
 * mark ({@link STACK_MARK}, a u32 in linear memory) is the lowest virtual address of the stack a run may
 * have written. When a run starts, {@link clearStack} zeroes from the last run's mark to the top of the
 * last run's stack (so the stack is wholly zero again), then sets the mark to what this run's program
 * writes that no engine tracks: stores with r10 as their base, which the JIT checks at compile time
 * (its frame fast path) and so cannot mark (the program's {@link StackFootprint}). Every other store
 * into the stack lowers the mark as it happens:
 * - the engines' checked stack paths (the JIT's and the WebAssembly loop's stack branch, the JS loop's
 *   stack cache), whatever way the address was computed (a copy of r10, a constant, r1, a loaded value);
 * - a region cache that comes to hold the stack (a cache hit is not checked again) marks the whole stack;
 * - helpers' and copy loops' writes through {@link VmMemory} (`translate`, `write`, `slice`...);
 * - a tail call marks the whole stack (the program it continues in has a footprint of its own).
 *
 * Zeroing the default 4 KiB stack costs more than a short program's whole run; a short program usually
 * writes a few dozen bytes, which is all the next run zeroes.
 *
 * A program proved to read no stack byte its run has not written first (`Program.stackReadsWritten`,
 * verifier/stack-seal) cannot see what earlier runs left, so its runs zero nothing: they leave the
 * stack as it is and lower the mark to what they may write, so that the mark still covers every byte
 * any run left (the next run of another program zeroes them all).
 * @module
 */
import { decodeOperation } from '../isa/operation.js';
import type { Insn } from '../isa/instruction.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import { fieldUse } from '../verifier/fields.js';
import type { RunRequest } from './environment.js';
import { STACK_MARK, type Region, type VmMemory } from './memory.js';

/**
 * What a program may write on the stack without the engines marking it: stores (and atomics) with r10
 * as their base, relative to the frame's r10.
 */
export interface StackFootprint {
  /** True when that cannot be bounded statically (local calls: deeper frames; or r10 is written). */
  readonly whole: boolean;
  /** Lowest offset from r10 such a store writes at (0 when there is none below r10). */
  readonly low: number;
}

const WHOLE: StackFootprint = { whole: true, low: 0 };

/** The stack footprint of a program's instructions (see {@link StackFootprint}). */
export function stackFootprint(insns: readonly Insn[]): StackFootprint {
  let low = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind === 'invalid') continue; // never runs: the engines stop there with an error
    if (op.kind === 'lddw') pc++;
    if (op.kind === 'call' && op.target === 'local') return WHOLE;
    for (const field of fieldUse(op).writes) if (i[field] === FRAME_POINTER) return WHOLE;
    if ((op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic') && i.dst === FRAME_POINTER) low = Math.min(low, i.offset);
  }
  return { whole: false, low };
}

/** The stack region of the run that set the mark, as it was then (its linear range to zero from the mark). */
interface MarkedStack {
  readonly vaddr: number;
  readonly offset: number;
  readonly size: number;
}

/** Per memory: the stack the mark in its linear memory refers to. */
const marked = new WeakMap<VmMemory, MarkedStack>();
let lastMemory: VmMemory | undefined;
let lastMarked: MarkedStack | undefined;

/**
 * Start a run's stack: zero what earlier runs wrote (from the mark up), then mark what this run's
 * program writes untracked. Engines call it when a run starts; it returns the run's stack region when
 * it is one writable region (the `stackSize × maxCallDepth` bytes below `stackTop`), else `undefined`
 * (the program's stack accesses then take the engines' checked paths like any other, and fail).
 */
export function clearStack(req: RunRequest): Region | undefined {
  const memory = req.memory;
  let plan = lastPlan;
  if (plan === undefined || plan.request !== req || plan.version !== memory.version) {
    // Only sizes changed (a packet session resizes the packet region on every packet): the plan still
    // holds when the stack is the same region, of the same size, under the same top.
    if (plan !== undefined && plan.request === req && plan.shape === memory.shape && plan.region !== undefined && stillPlanned(plan, req)) {
      (plan as { version: number }).version = memory.version;
    } else plan = lastPlan = planStackClear(req);
  }
  return startStack(plan);
}

/** {@link clearStack} with its plan worked out (for a caller that keeps it: the layout must still be the plan's). */
export function startStack(plan: StackClearPlan): Region | undefined {
  const memory = plan.request.memory;
  const view = memory.view;
  const prev = lastMemory === memory ? lastMarked : marked.get(memory);
  const region = plan.region;
  if (plan.keep && prev !== undefined && region !== undefined && prev.vaddr === region.vaddr && prev.offset === region.offset && prev.size === region.size) {
    // The same stack as the last run's, and this program cannot read what is left on it.
    memory.runStack = region;
    lastMemory = memory;
    lastMarked = prev;
    const at = memory.scratch + STACK_MARK;
    if (plan.mark < view.getUint32(at, true)) view.setUint32(at, plan.mark, true);
    return region;
  }
  if (prev !== undefined) zeroFromMark(memory, view, prev, view.getUint32(memory.scratch + STACK_MARK, true));
  memory.runStack = region;
  if (region !== undefined) {
    let now = prev;
    if (now === undefined || now.vaddr !== region.vaddr || now.offset !== region.offset || now.size !== region.size) {
      now = { vaddr: region.vaddr, offset: region.offset, size: region.size };
      marked.set(memory, now);
    }
    lastMemory = memory;
    lastMarked = now;
    view.setUint32(memory.scratch + STACK_MARK, plan.mark, true);
  } else if (prev !== undefined) {
    marked.delete(memory);
    lastMemory = undefined;
    lastMarked = undefined;
  }
  return region;
}

/**
 * {@link startStack} for a plan that is current (made under the memory's present layout version) when
 * the last start on this memory was of the plan's own region (`memory.runStack`): the bookkeeping then
 * already is what a start would leave, so only the stack itself and the mark change (zeroed from the
 * mark up and the mark set, or for a `keep` plan the mark only lowered). A VM running one prepared
 * request run after run takes this path; anything else takes startStack's.
 */
export function restartStack(plan: StackClearPlan): Region | undefined {
  const region = plan.region;
  const memory = plan.request.memory;
  if (region === undefined || memory.runStack !== region || plan.version !== memory.version) return startStack(plan);
  const view = memory.view;
  const at = memory.scratch + STACK_MARK;
  const mark = view.getUint32(at, true);
  if (plan.keep) {
    if (plan.mark < mark) view.setUint32(at, plan.mark, true);
    return region;
  }
  zeroFromMark(memory, view, region, mark);
  view.setUint32(at, plan.mark, true);
  return region;
}

/** Zero the stack `at` (a region's coordinates) from virtual address `mark` to its end. */
function zeroFromMark(memory: VmMemory, view: DataView, at: MarkedStack, mark: number): void {
  const end = at.vaddr + at.size;
  if (mark >= end) return;
  const from = at.offset + Math.max(0, mark - at.vaddr);
  const to = at.offset + at.size;
  // A short program's few written words: stores V8 inlines cost less than a call to fill.
  if (to - from <= 64 && (from & 3) === 0 && (to & 3) === 0) for (let a = from; a < to; a += 4) view.setUint32(a, 0, true);
  else memory.bytes.fill(0, from, to);
}

/** True when {@link planStackClear} would give `plan` again for `req` (its region found again, unchanged, under the same top). */
function stillPlanned(plan: StackClearPlan, req: RunRequest): boolean {
  const region = plan.region!;
  const size = req.limits.stackSize * req.limits.maxCallDepth;
  return req.stackTop === plan.stackTop && region.size === plan.regionSize && req.memory.find(req.stackTop - size, size) === region;
}

/** What {@link clearStack} needs for one request while the memory's layout stays the same. */
export interface StackClearPlan {
  readonly request: RunRequest;
  /** The memory's {@link VmMemory.version} the plan was made for. */
  readonly version: number;
  /** The memory's {@link VmMemory.shape}, the request's stack top and the region's size then. */
  readonly shape: number;
  readonly stackTop: number;
  readonly regionSize: number;
  /** The stack region, when it is one writable region (what {@link clearStack} returns). */
  readonly region: Region | undefined;
  /** The stack mark a run of the request starts with (the lowest address its footprint reaches). */
  readonly mark: number;
  /** The program reads no stack byte its run did not write first: what earlier runs left stays (see the module comment). */
  readonly keep: boolean;
}

/**
 * The plan of the last request started: a VM reuses its request object while nothing about the run
 * changes, and finding the stack region costs as much as a short run.
 */
let lastPlan: StackClearPlan | undefined;

/** Work out what {@link clearStack} needs for `request` in the memory's current layout. */
export function planStackClear(request: RunRequest): StackClearPlan {
  const { memory, limits, stackTop } = request;
  const version = memory.version;
  const shape = memory.shape;
  const size = limits.stackSize * limits.maxCallDepth;
  const region = memory.find(stackTop - size, size);
  if (region === undefined || !region.writable) return { request, version, shape, stackTop, regionSize: 0, region: undefined, mark: 0xffffffff, keep: false };
  const reach = request.program.stackFootprint;
  const end = region.vaddr + region.size;
  const mark = reach.whole ? region.vaddr : Math.min(end, Math.max(region.vaddr, stackTop + reach.low));
  return { request, version, shape, stackTop, regionSize: region.size, region, mark, keep: request.program.stackReadsWritten };
}

/**
 * Mark the whole stack of the run under way as written: at a tail call, which continues in a program
 * whose unmarked stores the run's starting mark did not cover.
 */
export function markWholeStack(memory: VmMemory): void {
  const region = memory.runStack;
  if (region !== undefined) memory.markStackStore(region.vaddr);
}
