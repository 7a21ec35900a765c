/**
 * Register liveness: which registers some path from a program point may read before writing them. A
 * dead register's value cannot matter, so the fixpoint forgets it where states are kept (it becomes
 * uninitialised): paths that differ only in dead registers are one state, as in the kernel's pruning.
 * A backward may-analysis over every edge, feasible or not, so it never calls a register dead that a
 * path reads.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import { backwardFixpoint } from './backward.js';
import { HELPER_PROTOS } from './helpers.js';

const ALL = 0x7ff;
/** r1-r5: arguments of calls. */
const ARGS = 0b111110;
/** r0-r5: set or clobbered by calls. */
const CALL_DEFS = 0b111111;
const bit = (r: number): number => 1 << r;

/** Registers read and written by one instruction (r10 is always live). */
function useDef(i: Insn, op: Operation): { use: number; def: number } {
  switch (op.kind) {
    case 'alu':
      if (op.op === 'mov') return { use: op.source === 'reg' ? bit(i.src) : 0, def: bit(i.dst) };
      return { use: bit(i.dst) | (op.source === 'reg' ? bit(i.src) : 0), def: bit(i.dst) };
    case 'neg':
    case 'end':
      return { use: bit(i.dst), def: bit(i.dst) };
    case 'movsx':
      return { use: bit(i.src), def: bit(i.dst) };
    case 'lddw':
      return { use: 0, def: bit(i.dst) };
    case 'ldx':
      return { use: bit(i.src), def: bit(i.dst) };
    case 'st':
      return { use: bit(i.dst), def: 0 };
    case 'stx':
      return { use: bit(i.dst) | bit(i.src), def: 0 };
    case 'atomic': {
      const use = bit(i.dst) | bit(i.src) | (op.op === 'cmpxchg' ? 1 : 0);
      // a fetch writes its source register, cmpxchg writes r0; the old value may survive, so no kill
      return { use, def: 0 };
    }
    case 'jcond':
      return { use: bit(i.dst) | (op.source === 'reg' ? bit(i.src) : 0), def: 0 };
    case 'ja':
      return { use: 0, def: 0 };
    case 'call': {
      // a helper reads the arguments its prototype has; anything else (a local call, a kfunc, a helper
      // without a prototype) may read r1-r5
      const proto = op.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
      return { use: proto === undefined ? ARGS : ARGS & ((1 << (proto.args.length + 1)) - 1), def: CALL_DEFS };
    }
    case 'ldabs':
      return { use: bit(6), def: CALL_DEFS };
    case 'ldind':
      return { use: bit(6) | bit(i.src), def: CALL_DEFS };
    case 'exit':
      return { use: 1, def: 0 };
    default:
      return { use: ALL, def: 0 };
  }
}

/**
 * For each slot, the registers live on entry (bit r for register r), over the whole program: a local
 * call reads r1-r5 and sets r0-r5 like a helper call; an exit reads r0.
 */
export function liveRegisters(insns: readonly Insn[], ops: readonly Operation[]): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const ud = useDef(insns[pc]!, op);
    use[pc] = ud.use | bit(10);
    def[pc] = ud.def;
    if (op.kind === 'lddw') pc++;
  }
  // out(pc) = union of live(succ); live(pc) = use | (out & ~def)
  const outOf = new Uint16Array(n);
  backwardFixpoint(
    insns,
    ops,
    (pc) => {
      const v = use[pc]! | (outOf[pc]! & ~def[pc]!);
      if (v === live[pc]) return false;
      live[pc] = v;
      return true;
    },
    (p, pc) => {
      const o = outOf[p]! | live[pc]!;
      if (o === outOf[p]) return false;
      outOf[p] = o;
      return true;
    },
  );
  return live;
}

/**
 * For each slot, the 8-byte stack slots of the current frame that some path from it may fill a
 * register from (an 8-byte load from r10 + offset) before overwriting them (an 8-byte store there):
 * bit k of word `2 * pc + (k >> 5)` for the slot at r10 - 512 + 8k. Only loads and stores addressed
 * from r10 itself are seen, so this is a hint for which spilled pointers to keep paths apart by, never
 * a proof that a slot is dead.
 */
export function filledSlots(insns: readonly Insn[], ops: readonly Operation[]): Uint32Array {
  const n = insns.length;
  const live = new Uint32Array(2 * n);
  const slotOf = (i: Insn): number => (i.offset >= -512 && i.offset < 0 && (i.offset & 7) === 0 ? (i.offset + 512) >> 3 : -1);
  const gen = new Int8Array(n).fill(-1);
  const kill = new Int8Array(n).fill(-1);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    if (op.kind === 'ldx' && op.size === 8 && i.src === 10) gen[pc] = slotOf(i);
    if ((op.kind === 'stx' || op.kind === 'st') && op.size === 8 && i.dst === 10) kill[pc] = slotOf(i);
    if (op.kind === 'lddw') pc++;
  }
  const out = new Uint32Array(2 * n);
  backwardFixpoint(
    insns,
    ops,
    (pc) => {
      let lo = out[2 * pc]!;
      let hi = out[2 * pc + 1]!;
      const k = kill[pc]!;
      if (k >= 0) k < 32 ? (lo &= ~(1 << k)) : (hi &= ~(1 << (k - 32)));
      const g = gen[pc]!;
      if (g >= 0) g < 32 ? (lo |= 1 << g) : (hi |= 1 << (g - 32));
      lo >>>= 0;
      hi >>>= 0;
      if (lo === live[2 * pc] && hi === live[2 * pc + 1]) return false;
      live[2 * pc] = lo;
      live[2 * pc + 1] = hi;
      return true;
    },
    (p, pc) => {
      const a = (out[2 * p]! | live[2 * pc]!) >>> 0;
      const b = (out[2 * p + 1]! | live[2 * pc + 1]!) >>> 0;
      if (a === out[2 * p] && b === out[2 * p + 1]) return false;
      out[2 * p] = a;
      out[2 * p + 1] = b;
      return true;
    },
  );
  return live;
}
