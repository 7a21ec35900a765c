/**
 * eBPF atomics (`lock` add/or/and/xor, xchg, cmpxchg, with and without fetch) on an address the
 * caller has checked and left on the stack (an i32, plus a constant `offset`). In a shared memory an
 * aligned atomic is one WebAssembly atomic read-modify-write; otherwise (one thread: nothing can
 * interleave, or a misaligned one, which the kernel refuses) a load, an operation and a store.
 * Moved out of compiler.ts unchanged.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op, OpFe } from '../wasm/opcodes.js';
import { L_A, L_T } from './locals.js';

type AtomicOp = Extract<Operation, { kind: 'atomic' }>;

/** The atomic `op` of slot `i` at the checked address on the stack + `offset`; `shared`: the memory is shared. */
export function emitAtomic(c: CodeWriter, op: AtomicOp, i: Insn, offset: number, shared: boolean): void {
  c.set(L_A);
  if (shared) {
    // A shared memory: a WebAssembly atomic when the address is aligned (it traps otherwise), else the
    // plain sequence below (the kernel refuses misaligned atomics, so no real program takes it).
    c.get(L_A).i32(offset).op(Op.i32_add).i32(op.size - 1).op(Op.i32_and).op(Op.i32_eqz).if();
    sharedAtomic(c, op, i, offset);
    c.else();
  }
  plainAtomic(c, op, i, offset);
  if (shared) c.end();
}

/** An atomic at L_A + `offset` as a load, an operation and a store (one thread: nothing can interleave). */
function plainAtomic(c: CodeWriter, op: AtomicOp, i: Insn, offset: number): void {
  const load = op.size === 8 ? Op.i64_load : Op.i64_load32_u;
  const store = op.size === 8 ? Op.i64_store : Op.i64_store32;
  c.get(L_A).mem(load, offset).set(L_T);
  if (op.op === 'cmpxchg') {
    if (op.size === 8) c.get(L_T).get(0).op(Op.i64_eq);
    else c.get(L_T).op(Op.i32_wrap_i64).get(0).op(Op.i32_wrap_i64).op(Op.i32_eq);
    c.if().get(L_A).get(i.src).mem(store, offset).end();
    c.get(L_T).set(0);
    return;
  }
  c.get(L_A);
  if (op.op === 'xchg') c.get(i.src);
  else {
    const bin = { add: Op.i64_add, or: Op.i64_or, and: Op.i64_and, xor: Op.i64_xor }[op.op];
    c.get(L_T).get(i.src).op(bin);
  }
  c.mem(store, offset);
  if (op.fetch) c.get(L_T).set(i.src);
}

/** An atomic at L_A + `offset` (aligned) as one WebAssembly atomic read-modify-write. */
function sharedAtomic(c: CodeWriter, op: AtomicOp, i: Insn, offset: number): void {
  const wide = op.size === 8;
  c.get(L_A);
  if (op.op === 'cmpxchg') {
    // The 32-bit form compares r0's low word and zero-extends the old value, as eBPF's does.
    c.get(0).get(i.src).atomicRmw(wide ? OpFe.i64_rmw_cmpxchg : OpFe.i64_rmw32_cmpxchg_u, op.size, offset).set(0);
    return;
  }
  const code = {
    add: [OpFe.i64_rmw_add, OpFe.i64_rmw32_add_u],
    or: [OpFe.i64_rmw_or, OpFe.i64_rmw32_or_u],
    and: [OpFe.i64_rmw_and, OpFe.i64_rmw32_and_u],
    xor: [OpFe.i64_rmw_xor, OpFe.i64_rmw32_xor_u],
    xchg: [OpFe.i64_rmw_xchg, OpFe.i64_rmw32_xchg_u],
  }[op.op][wide ? 0 : 1]!;
  c.get(i.src).atomicRmw(code, op.size, offset);
  if (op.fetch) c.set(i.src);
  else c.op(Op.drop);
}
