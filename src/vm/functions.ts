/**
 * Function pointers (callbacks): an `lddw` with source 4 (`BPF_PSEUDO_FUNC`, what libbpf makes of a
 * relocation to a function) loads the address of the function that starts `imm + 1` slots after it.
 * In tsbpf that address is {@link FUNCTION_ADDRESS_BASE} plus the function's slot: never mapped, so
 * reading through it faults, and a helper taking a callback (`bpf_loop`, `bpf_for_each_map_elem`) gives
 * it to {@link HelperContext.callFunction}, which runs that function of the running program. Both
 * engines load the same value and accept only these targets as callbacks.
 * @module
 */
import { PseudoLoad, Opcode } from '../isa/opcodes.js';
import type { Program } from './program.js';

/** The address of the function at slot 0; slot `s` is at `FUNCTION_ADDRESS_BASE + s` (below 2^32 slots). */
export const FUNCTION_ADDRESS_BASE = 0xffff_fffe_0000_0000n;

/** The high half of every function address (as a signed int32, as the engines keep halves). */
export const FUNCTION_ADDRESS_HIGH = -2;

/** The slot an `lddw` source 4 at `pc` with immediate `imm` points at. */
export function functionTarget(pc: number, imm: number): number {
  return pc + imm + 1;
}

/** The function address of slot `slot`. */
export function functionAddress(slot: number): bigint {
  return FUNCTION_ADDRESS_BASE + BigInt(slot);
}

/** The slot a function address names, or undefined for any other value. */
export function functionSlotOf(value: bigint): number | undefined {
  const slot = BigInt.asUintN(64, value) - FUNCTION_ADDRESS_BASE;
  return slot >= 0n && slot < 0x1_0000_0000n ? Number(slot) : undefined;
}

/** The function slots `program` loads with `lddw` source 4 (in range), cached on the program. */
export function functionPointerTargets(program: Program): ReadonlySet<number> {
  let set = program.compiled.get('function-pointers') as ReadonlySet<number> | undefined;
  if (set === undefined) {
    const found = new Set<number>();
    const insns = program.insns;
    for (let pc = 0; pc < insns.length; pc++) {
      const i = insns[pc]!;
      if (i.opcode !== Opcode.LDDW) continue;
      if (i.src === PseudoLoad.FUNC) {
        const t = functionTarget(pc, i.imm);
        if (t >= 0 && t < insns.length) found.add(t);
      }
      pc++;
    }
    set = found;
    program.compiled.set('function-pointers', set);
  }
  return set;
}
