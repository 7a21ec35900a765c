/**
 * Inlining of small leaf BPF-to-BPF functions, before the JIT's analyses: the program the JIT
 * compiles gets, for each inlined call, a copy of the callee appended after the original
 * instructions, and the call becomes a jump to it, so that the caller's passes (budget plan, span
 * checks, frame slots, loop analyses) see one function and no call boundary.
 *
 * The original instructions keep their pcs (the callee stays where it was, for its other callers and
 * for callbacks); a copy's pcs map back to the callee's through `origin`, which the engine applies to
 * every pc an error reports. What the interpreter does at a local call is kept exactly:
 * - the budget: the call becomes a `ja` (one instruction, ending its block as the call did), each
 *   `exit` of the copy a `ja` back to the slot after the call (one instruction, ending its block), so
 *   the blocks charged and their lengths are the interpreter's, in the same order;
 * - the call depth: the compiler checks it where the call was ({@link InlinePlan.sites}), before the
 *   copy's first block is charged, with the interpreter's error at the call's pc;
 * - the callee's frame: r10 of the callee is the caller's r10 minus the frame size, so an access
 *   `[r10 + off]` of the copy becomes `[r10 + off - stackSize]` (the same address); a callee that uses
 *   r10 any other way (copies it, writes it) is not inlined;
 * - callee-saved r6-r9: the copy's r6-r9 are renamed to r11-r14, registers only the JIT has (locals of
 *   the WebAssembly function, passed to the checked copy like r0-r10), so the caller's r6-r9 are
 *   untouched; r0-r5 are shared, as in the interpreter (r1-r5 hold what the callee left in them).
 *
 * A callee is inlined when it is a leaf: no local call, helper call, tail call, callback pointer or
 * legacy packet load (helpers see the call depth and frames; LD_ABS reads r6 implicitly), no slot the
 * engines refuse, every jump inside the function, it ends with `exit` or `ja`, and it writes each of
 * r6-r9 before reading it (as the kernel's verifier requires: a raw program's callee that reads the
 * caller's r6 would read r11 in the copy). The cost heuristic:
 * a callee of at most {@link MAX_CALLEE} slots, its slots times its call sites at most
 * {@link MAX_COPIES}, and at most {@link MAX_GROWTH} slots added to the program, so that the copies cost
 * at most a few times the original program's compile time and code size.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, decodeOperation, type Operation } from '../isa/operation.js';
import { FRAME_POINTER, Opcode, PseudoLoad } from '../isa/opcodes.js';
import { fieldUse } from '../verifier/fields.js';
import { functionEntries } from './graph.js';

/** Largest callee inlined, in slots. */
export const MAX_CALLEE = 400;
/** Most slots one callee's copies may take (its slots times its inlined call sites). */
export const MAX_COPIES = 1_200;
/** Most slots inlining may add to a program. */
export const MAX_GROWTH = 4_000;
/** The first of the registers an inlined callee's r6-r9 are renamed to (r11-r14). */
export const INLINE_REG_BASE = 11;
/** Registers the JIT's functions have: r0-r10 and the renamed r11-r14. */
export const JIT_REGISTERS = 15;

/** The program the JIT compiles after inlining, and how its pcs map back. */
export interface InlinePlan {
  /** The original instructions (call sites turned into jumps), then the copies. */
  readonly insns: readonly Insn[];
  /** Bad slots (as CompileOptions.badSlots) of the new program, the last entry running off its end. */
  readonly badSlots: Uint8Array;
  /** The original pc of each new pc (length insns.length + 1; the last entry is the original length). */
  readonly origin: Int32Array;
  /** Inlined call sites: the call's pc (unchanged) → the first pc of its copy. */
  readonly sites: ReadonlyMap<number, number>;
  /** First pc of the copies (every pc from here on is in a copy). */
  readonly copiesStart: number;
}

const JA = (from: number, to: number): Insn => {
  const d = to - (from + 1);
  return d >= -0x8000 && d <= 0x7fff
    ? { opcode: Opcode.JA, dst: 0, src: 0, offset: d, imm: 0 }
    : { opcode: Opcode.GOTOL, dst: 0, src: 0, offset: 0, imm: d };
};

/**
 * True when some path through the callee in [start, end) reads one of r6-r9 before writing it: the
 * interpreter's callee then sees the caller's value, which the renamed copy would not (the kernel's
 * verifier refuses such a read; raw programs may make it).
 */
function readsCallerRegisters(insns: readonly Insn[], ops: readonly Operation[], start: number, end: number): boolean {
  const n = end - start;
  // Per slot: r6-r9 (bits 0-3) written on every path from the entry; 0xf until reached.
  const written = new Uint8Array(n).fill(0xf);
  written[0] = 0;
  const pending = [0];
  const queued = new Uint8Array(n);
  queued[0] = 1;
  const reached = new Uint8Array(n);
  reached[0] = 1;
  const bit = (r: number): number => (r >= 6 && r <= 9 ? 1 << (r - 6) : 0);
  while (pending.length > 0) {
    const k = pending.pop()!;
    queued[k] = 0;
    const pc = start + k;
    const op = ops[pc]!;
    const i = insns[pc]!;
    const use = fieldUse(op);
    const pureWrite = (op.kind === 'alu' && op.op === 'mov') || op.kind === 'movsx' || op.kind === 'lddw' || op.kind === 'ldx';
    let w = written[k]!;
    for (const field of use.registers) {
      if (pureWrite && use.writes.includes(field)) continue;
      if ((bit(i[field]) & ~w) !== 0) return true;
    }
    for (const field of use.writes) w |= bit(i[field]);
    const next: number[] = [];
    const t = branchTarget(op, i, pc);
    if (t !== undefined) next.push(t - start);
    if (op.kind !== 'ja' && op.kind !== 'exit') next.push(k + (op.kind === 'lddw' ? 2 : 1));
    for (const q of next) {
      if (q < 0 || q >= n) continue;
      const merged = written[q]! & w;
      if (reached[q] === 1 && merged === written[q]) continue;
      reached[q] = 1;
      written[q] = merged;
      if (queued[q] === 0) {
        queued[q] = 1;
        pending.push(q);
      }
    }
  }
  return false;
}

/**
 * The copy of the callee in [start, end), or undefined when it cannot be inlined (see the module
 * comment). Its jumps are relative, so the copy keeps them; exits are left as `exit` (the caller of
 * this function turns them into jumps back).
 */
function leafBody(insns: readonly Insn[], ops: readonly Operation[], badSlots: Uint8Array, start: number, end: number, stackSize: number): Insn[] | undefined {
  const out: Insn[] = [];
  for (let pc = start; pc < end; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    if (badSlots[pc] === 1 || op.kind === 'invalid' || op.kind === 'call' || op.kind === 'callx' || op.kind === 'ldabs' || op.kind === 'ldind') return undefined;
    const t = branchTarget(op, i, pc);
    if (t !== undefined && (t < start || t >= end)) return undefined;
    if (op.kind === 'lddw' && op.pseudo === PseudoLoad.FUNC) return undefined;
    const use = fieldUse(op);
    let { dst, src, offset } = i;
    for (const field of use.registers) {
      const r = i[field];
      if (r > FRAME_POINTER) return undefined;
      if (r === FRAME_POINTER) {
        // Only as the base of a load or store: the same address from the caller's r10.
        const base = (field === 'src' && op.kind === 'ldx') || (field === 'dst' && (op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic'));
        if (!base || use.writes.includes(field)) return undefined;
        offset = i.offset - stackSize;
        if (offset < -0x8000) return undefined;
      } else if (r >= 6) {
        if (field === 'dst') dst = r - 6 + INLINE_REG_BASE;
        else src = r - 6 + INLINE_REG_BASE;
      }
    }
    out.push({ opcode: i.opcode, dst, src, offset, imm: i.imm });
    if (op.kind === 'lddw') {
      pc++;
      if (pc >= end) return undefined;
      out.push(insns[pc]!);
    }
  }
  const last = ops[end - 1];
  if (last === undefined || (last.kind !== 'exit' && last.kind !== 'ja')) return undefined;
  if (readsCallerRegisters(insns, ops, start, end)) return undefined;
  return out;
}

/**
 * Inline the program's small leaf functions into their call sites (see the module comment), or
 * undefined when no call is inlined. `badSlots` is CompileOptions.badSlots (length insns.length + 1).
 */
export function inlineCalls(insns: readonly Insn[], badSlots: Uint8Array, stackSize: number): InlinePlan | undefined {
  const n = insns.length;
  if (n === 0) return undefined;
  const ops = insns.map(decodeOperation);
  // Falling off the original's end would run into the copies.
  const lastOp = ops[n - 1]!;
  if ((lastOp.kind !== 'exit' && lastOp.kind !== 'ja') || badSlots[n - 1] === 1) return undefined;
  if (n >= 2 && ops[n - 2]!.kind === 'lddw') return undefined;
  const starts = functionEntries(insns, ops, badSlots).sort((a, b) => a - b);
  const endOf = (s: number): number => starts[starts.indexOf(s) + 1] ?? n;
  // Call sites by callee.
  const sitesOf = new Map<number, number[]>();
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    if (op.kind === 'lddw') {
      pc++;
      continue;
    }
    if (op.kind !== 'call' || op.target !== 'local' || badSlots[pc] === 1) continue;
    const t = branchTarget(op, insns[pc]!, pc)!;
    if (t <= 0 || t >= n) continue;
    const list = sitesOf.get(t) ?? [];
    list.push(pc);
    sitesOf.set(t, list);
  }
  const out: Insn[] = insns.slice();
  const origin: number[] = Array.from({ length: n }, (_, pc) => pc);
  const sites = new Map<number, number>();
  for (const [callee, calls] of [...sitesOf].sort((a, b) => a[0] - b[0])) {
    const end = endOf(callee);
    const size = end - callee;
    if (size > MAX_CALLEE || size * calls.length > MAX_COPIES || out.length - n + size * calls.length > MAX_GROWTH) continue;
    const body = leafBody(insns, ops, badSlots, callee, end, stackSize);
    if (body === undefined) continue;
    for (const call of calls) {
      const base = out.length;
      out[call] = JA(call, base);
      sites.set(call, base);
      body.forEach((i, k) => {
        const at = base + k;
        out.push(ops[callee + k]!.kind === 'exit' && (k === 0 || ops[callee + k - 1]!.kind !== 'lddw') ? JA(at, call + 1) : i);
        origin.push(callee + k);
      });
    }
  }
  if (sites.size === 0) return undefined;
  const bad = new Uint8Array(out.length + 1);
  bad.set(badSlots.subarray(0, n));
  bad[out.length] = badSlots[n] ?? 0;
  const o = new Int32Array(out.length + 1);
  o.set(origin);
  o[out.length] = n;
  return { insns: out, badSlots: bad, origin: o, sites, copiesStart: n };
}
