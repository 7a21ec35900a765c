/**
 * bpf_spin_lock rules, as the helper documentation (bpf-helpers(7)) and the kernel's verifier
 * documentation state them: the lock is a `struct bpf_spin_lock` that the map's BTF places in its value
 * (`MapInfo.spinLock`); the helpers take exactly its address; one lock at a time; no helper call while
 * it is held; the program may not exit with it held; loads and stores may not touch it; tracing and
 * socket filter programs may not use a map that has one. The held lock is a reference of the state
 * ({@link LOCK_REF}), whose value names the lock (the map value's null-check id, or its map).
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { PseudoLoad } from '../../isa/opcodes.js';
import type { Operation } from '../../isa/operation.js';
import { mapInfo, type Env } from './env.js';
import type { Work } from './memory.js';
import type { ProgramType } from './program-types.js';
import { mapsOf, typeName, type Value } from './value.js';

/** The `refs` key of the lock the state holds (its value names the lock). */
export const LOCK_REF = -1;
/**
 * The `refs` value of {@link LOCK_REF} when paths holding different locks (or one and none) were joined:
 * some lock may be held and no unlock matches it (lock names are integers: value ids, or map keys).
 */
export const UNKNOWN_LOCK = 0.5;
/** Bytes of a `struct bpf_spin_lock`. */
export const SPIN_LOCK_BYTES = 4;

/** Program types that may not use a map with a spin lock, and how the kernel names them. */
const NO_LOCK_TYPES: Partial<Record<ProgramType, string>> = {
  socket_filter: 'socket filter progs',
  kprobe: 'tracing progs',
  tracepoint: 'tracing progs',
  perf_event: 'tracing progs',
  raw_tracepoint: 'tracing progs',
};

/** True for the two lock helpers (bpf_spin_lock, bpf_spin_unlock). */
export const isLockHelper = (id: number): boolean => id === 93 || id === 94;

/** Program types that may not use a map with a timer (tracing programs). */
const NO_TIMER_TYPES = new Set<ProgramType>(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint']);

/**
 * A program of a type that may not use spin locks (or timers) refers to a map that has one (any `lddw`
 * of it, as the kernel checks every map a program uses when it loads): reported at the first.
 */
export function checkLockMapUse(env: Env, insns: readonly Insn[], ops: readonly Operation[]): void {
  const who = NO_LOCK_TYPES[env.programType];
  const timers = NO_TIMER_TYPES.has(env.programType);
  if (who === undefined && !timers) return;
  for (let pc = 0; pc < insns.length; pc++) {
    const op = ops[pc]!;
    if (op.kind !== 'lddw') continue;
    const pseudo = op.pseudo;
    const map = pseudo === PseudoLoad.MAP_FD || pseudo === PseudoLoad.MAP_VALUE ? env.maps.get(insns[pc]!.imm) : undefined;
    if (who !== undefined && map?.spinLock !== undefined) {
      env.report(pc, 'spin-lock', `${who} cannot use bpf_spin_lock yet (map fd ${insns[pc]!.imm} has a struct bpf_spin_lock in its value)`);
      return;
    }
    if (timers && map?.timer !== undefined) {
      env.report(pc, 'helper-program-type', `tracing progs cannot use bpf_timer yet (map fd ${insns[pc]!.imm} has a struct bpf_timer in its value)`);
      return;
    }
    pc++;
  }
}

/** The lock a value points at, as the state names it. */
const lockName = (v: Value): number => (v.id !== 0 ? v.id : -(v.map + 2));

/**
 * The argument of bpf_spin_lock (93) or bpf_spin_unlock (94) in `v` (register r1): a map value at the
 * constant offset of its map's lock; then the lock is taken or released. False after a report.
 */
export function lockArgument(env: Env, w: Work, pc: number, v: Value, id: number): boolean {
  const name = id === 93 ? 'bpf_spin_lock' : 'bpf_spin_unlock';
  if (v.type !== 'map_value') {
    env.report(pc, 'helper-argument', `R1 type=${typeName(v.type)} expected=map_value (the struct bpf_spin_lock of a map value, argument 1 of ${name}#${id})`);
    return false;
  }
  const offsets = new Set(mapsOf(v).map((k) => mapInfo(env, k)?.spinLock));
  const lock = offsets.size === 1 ? [...offsets][0] : undefined;
  if (lock === undefined) {
    env.report(pc, 'spin-lock', `map '' has to have BTF in order to use ${name}: its value has no struct bpf_spin_lock (describe it with the map's spinLock offset)`);
    return false;
  }
  if (v.lo !== v.hi) {
    env.report(pc, 'spin-lock', `R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
    return false;
  }
  if (v.lo !== lock) {
    env.report(pc, 'spin-lock', `off ${v.lo} doesn't point to 'struct bpf_spin_lock' that is at ${lock}`);
    return false;
  }
  const held = w.refs.get(LOCK_REF);
  if (id === 93) {
    if (held !== undefined) {
      env.report(pc, 'spin-lock', 'Locking two bpf_spin_locks are not allowed');
      return false;
    }
    w.refs.set(LOCK_REF, lockName(v));
    return true;
  }
  if (held === undefined) {
    env.report(pc, 'spin-lock', 'bpf_spin_unlock without taking a lock');
    return false;
  }
  if (held !== lockName(v)) {
    env.report(pc, 'spin-lock', held === UNKNOWN_LOCK ? 'bpf_spin_unlock of different lock (paths holding different locks, or one and none, meet before it)' : 'bpf_spin_unlock of different lock');
    return false;
  }
  w.refs.delete(LOCK_REF);
  return true;
}

/** A call (other than the unlock) while a lock is held: reported; true when it was. */
export function callWhileLocked(env: Env, w: Work, pc: number): boolean {
  if (!w.refs.has(LOCK_REF)) return false;
  env.report(pc, 'spin-lock', 'function calls are not allowed while holding a lock (release it with bpf_spin_unlock first)');
  return true;
}

/** The main program exits holding a lock: reported. */
export function exitWhileLocked(env: Env, w: Work, pc: number): void {
  if (w.refs.has(LOCK_REF)) env.report(pc, 'spin-lock', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region (bpf_spin_unlock is missing)');
}
