/**
 * bpf_spin_lock across paths that meet, with the kernel's verdict (kernel 6.18, root): the lock held on
 * one path and not on the other, or different locks held on each (two lookups' values, one register
 * pointing at either), where the paths meet at a shared tail (a backward jump's target, which the
 * analysis joins by kind as it joins loop heads) before the unlock. The kernel walks each path with its
 * own lock; a join that keeps one side's lock and the other side's pointer refuses the safe programs,
 * one that forgets which paths hold a lock accepts the unsafe ones. loxilb's `tc_packet_func_slow`
 * (held-out set 3) has the first shape: its connection tracker locks `atdat` or `xtdat` as the
 * direction says, and unlocks in a tail both directions share.
 * test/verifier/kernel-lock-paths.test.ts checks them against tsbpf and, where bpf() works, the kernel.
 */
import type { KernelProgramType } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';

/** Map 1: an array of 4 values of 16 bytes, `struct { u32; struct bpf_spin_lock; u64 }` (the lock at 4). */
export const LOCK_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 4 },
};

export interface LockPathCase {
  readonly name: string;
  readonly type: KernelProgramType;
  readonly source: string;
  readonly kernelAccepts: boolean;
}

const lines = (...l: string[]): string => l.join('\n');

/** Look up key `k` of map 1 into `reg` (to `out` when NULL). */
const lookup = (k: number, reg: string): string[] => [
  `r1 = ${k}`, '*(u32 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', `${reg} = r0`,
];
const lock = (reg: string): string[] => [`r1 = ${reg}`, 'r1 += 4', 'call 93'];
const unlock = (reg: string): string[] => [`r1 = ${reg}`, 'r1 += 4', 'call 94'];
/** Two values looked up (r6: key 0, r7: key 1) and a random choice in r0. */
const TWO = [...lookup(0, 'r6'), ...lookup(1, 'r7'), 'call 7'];

export const CASES: readonly LockPathCase[] = [
  {
    name: 'each path locks its own value, r8 points at it, the shared tail unlocks r8',
    type: 'sched_cls',
    kernelAccepts: true,
    source: lines(...TWO, 'if r0 == 0 goto other', 'r8 = r6', ...lock('r6'), 'tail:', ...unlock('r8'), 'out:', 'r0 = 0', 'exit', 'other:', 'r8 = r7', ...lock('r7'), 'goto tail'),
  },
  {
    name: 'the same with the tail unlocking r6, which the second path did not lock',
    type: 'sched_cls',
    kernelAccepts: false,
    source: lines(...TWO, 'if r0 == 0 goto other', 'r8 = r6', ...lock('r6'), 'tail:', ...unlock('r6'), 'out:', 'r0 = 0', 'exit', 'other:', 'r8 = r7', ...lock('r7'), 'goto tail'),
  },
  {
    name: 'a lock on one path only, a flag saying which, the tail unlocking where the flag is set',
    type: 'sched_cls',
    kernelAccepts: true,
    source: lines(...TWO, 'if r0 == 0 goto other', ...lock('r6'), 'r9 = 1', 'tail:', 'if r9 == 0 goto out', ...unlock('r6'), 'out:', 'r0 = 0', 'exit', 'other:', 'r9 = 0', 'goto tail'),
  },
  {
    name: 'the same with the flag read the wrong way: the unlock on the path that took no lock',
    type: 'sched_cls',
    kernelAccepts: false,
    source: lines(...TWO, 'if r0 == 0 goto other', ...lock('r6'), 'r9 = 1', 'tail:', 'if r9 != 0 goto out', ...unlock('r6'), 'out:', 'r0 = 0', 'exit', 'other:', 'r9 = 0', 'goto tail'),
  },
  {
    name: 'the same with no unlock at all: the locking path exits holding its lock',
    type: 'sched_cls',
    kernelAccepts: false,
    source: lines(...TWO, 'if r0 == 0 goto other', ...lock('r6'), 'r9 = 1', 'tail:', 'out:', 'r0 = 0', 'exit', 'other:', 'r9 = 0', 'goto tail'),
  },
  {
    name: 'a lock on one path only and a helper call in the shared tail before its unlock',
    type: 'sched_cls',
    kernelAccepts: false,
    source: lines(...TWO, 'if r0 == 0 goto other', ...lock('r6'), 'r9 = 1', 'tail:', 'call 7', 'if r9 == 0 goto out', ...unlock('r6'), 'out:', 'r0 = 0', 'exit', 'other:', 'r9 = 0', 'goto tail'),
  },
];
