/**
 * Local value numbering of registers and frame slots within a block, for the access groups
 * (access-groups.ts): two accesses whose base registers hold the same value are checked by one span
 * check even when the value was reloaded from its frame slot in between, the way clang's code keeps a
 * packet pointer under register pressure (`r5 = *(u64 *)(r10 - 48); r5 = *(u8 *)(r5 + 6)` again and
 * again for one header). A value number is exact: registers get the number of what they were set from
 * (a 64-bit `mov` of a register, an 8-byte load of a frame slot `r10 + off`), everything else a new one;
 * a slot keeps the number of the register last stored into it by an 8-byte store through r10, and
 * loses it at any other store that may overlap it (through r10, or through any other register, which
 * may point into the stack), at calls and at atomics.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { FRAME_POINTER } from '../isa/opcodes.js';

/**
 * The value numbers before one instruction: of r0-r10, and of the 8-byte frame slots known (by offset
 * from r10). A register or slot holds its number's value plus a constant: `deltas` (per register) and
 * `slotDeltas` (per known slot), so that `r2 = r1; r2 += 14` is r1's number, 14 past it.
 */
export interface ValueState {
  readonly regs: Int32Array;
  readonly deltas: Int32Array;
  readonly slots: ReadonlyMap<number, number>;
  readonly slotDeltas: ReadonlyMap<number, number>;
}

/** The largest constant distance kept from a value (beyond it, a new number): groups' spans stay short. */
export const MAX_DELTA = 4096;

/**
 * The value numbers before each instruction of the slots [start, end) (no jumps among them, the last
 * one may be one), keyed by pc; registers and slots start with distinct numbers at `start`.
 */
export function blockValues(ops: readonly Operation[], insns: readonly Insn[], start: number, end: number): Map<number, ValueState> {
  let next = 0;
  const fresh = (): number => next++;
  const regs = new Int32Array(11).map(() => fresh());
  const deltas = new Int32Array(11);
  const slots = new Map<number, number>();
  const slotDeltas = new Map<number, number>();
  const out = new Map<number, ValueState>();
  const forget = (off: number, size: number): void => {
    for (const s of [...slots.keys()]) if (s < off + size && off < s + 8) slots.delete(s);
  };
  const set = (r: number, v: number, d = 0): void => {
    regs[r] = v;
    deltas[r] = d;
  };
  for (let pc = start; pc < end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
    out.set(pc, { regs: regs.slice(), deltas: deltas.slice(), slots: new Map(slots), slotDeltas: new Map(slotDeltas) });
    const op = ops[pc]!;
    const i = insns[pc]!;
    switch (op.kind) {
      case 'ldx':
        if (i.src === FRAME_POINTER && op.size === 8 && !op.signed) {
          let v = slots.get(i.offset);
          if (v === undefined) {
            slots.set(i.offset, (v = fresh()));
            slotDeltas.set(i.offset, 0);
          }
          set(i.dst, v, slotDeltas.get(i.offset)!);
        } else set(i.dst, fresh());
        break;
      case 'st':
      case 'stx':
        if (i.dst !== FRAME_POINTER) slots.clear();
        else {
          forget(i.offset, op.size);
          if (op.kind === 'stx' && op.size === 8) {
            slots.set(i.offset, regs[i.src]!);
            slotDeltas.set(i.offset, deltas[i.src]!);
          }
        }
        break;
      case 'alu': {
        if (op.op === 'mov' && op.width === 64 && op.source === 'reg') {
          set(i.dst, regs[i.src]!, deltas[i.src]!);
          break;
        }
        // A 64-bit add or sub of a constant: the same number, further from it.
        const step = op.width === 64 && op.source === 'imm' ? (op.op === 'add' ? i.imm : op.op === 'sub' ? -i.imm : undefined) : undefined;
        const d = step === undefined ? undefined : deltas[i.dst]! + step;
        if (d !== undefined && Math.abs(d) <= MAX_DELTA) deltas[i.dst] = d;
        else set(i.dst, fresh());
        break;
      }
      case 'neg':
      case 'movsx':
      case 'end':
      case 'lddw':
        set(i.dst, fresh());
        break;
      case 'ja':
      case 'jcond':
      case 'exit':
        break;
      default:
        // Calls, atomics, packet loads, bad slots: every register they may write and every slot.
        for (let r = 0; r < 10; r++) set(r, fresh());
        slots.clear();
    }
  }
  return out;
}

/** True when some register or known frame slot holds value `v` in `s`. */
export function held(s: ValueState, v: number): boolean {
  if (s.regs.includes(v)) return true;
  for (const x of s.slots.values()) if (x === v) return true;
  return false;
}
