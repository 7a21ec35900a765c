/**
 * `bpf_get_stackid`, `bpf_get_stack` and `bpf_get_task_stack` on tsbpf's stack model. A user-space VM
 * has no kernel or user stack to walk, so the stacks are what the host describes of a task
 * (`TaskDescription.kernelStack` / `userStack`, at most 127 frames), else a documented, deterministic
 * model:
 *
 * - The current task's kernel stack (the default) is one frame: the address of the helper's `call`
 *   instruction in a synthetic program image, {@link STACK_IP_BASE} + pc × 8 (pc: the instruction's
 *   slot in the running program). So stack ids tell call sites apart, and the same call site always
 *   gives the same id. The bpf-to-bpf call chain and what called the program are not modelled.
 * - The current task's user stack (`BPF_F_USER_STACK`) is empty, as for a kernel thread:
 *   `bpf_get_stackid` gives -EFAULT, `bpf_get_stack` 0 bytes.
 * - `bpf_get_task_stack` (141) reads the task whose `task_struct` address it is given: the current
 *   task, or one of the run's other tasks (`tasks`). Another task's kernel stack is what the host
 *   described (none when it did not); a user stack is -EOPNOTSUPP for a task that is not the current
 *   one and -EFAULT for a kernel thread's, as the kernel gives them (6.18, measured through a task
 *   iterator by test/kernel/iter.test.ts; bpf-helpers(7) names only -EOPNOTSUPP).
 *
 * Flags, limits and errors follow bpf-helpers(7): the skip count (`BPF_F_SKIP_FIELD_MASK`) drops
 * frames from the top (-EFAULT when none are left for `get_stackid`, or fewer than it skips for
 * `get_stack`), `BPF_F_FAST_STACK_CMP` compares traces by hash only, `BPF_F_REUSE_STACKID` replaces a
 * different trace in the same bucket (else -EEXIST), unknown flags give -EINVAL, and `bpf_get_stack`
 * zeroes the rest of its buffer (all of it on error). Build-id records (`BPF_F_STACK_BUILD_ID` maps,
 * `BPF_F_USER_BUILD_ID`) carry the address with status `BPF_STACK_BUILD_ID_IP`.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { StackTraceMap } from '../maps/stack-trace.js';
import { Errno, mapTypeName, negErrno } from '../maps/types.js';
import type { KernelEnvironment } from './kernel.js';
import { DEFAULT_TASK_ADDRESS, isKernelThread, taskOf, type TaskRunHost } from './task.js';

/** Stack helper ids (uapi `linux/bpf.h`). */
export const StackHelper = { GET_STACKID: 27, GET_STACK: 67, GET_TASK_STACK: 141 } as const;

/** Base of the synthetic program image whose addresses the modelled kernel stack holds. */
export const STACK_IP_BASE = 0xffff_ffff_c000_0000n;


const SKIP_MASK = 0xffn;
const F_USER_STACK = 1n << 8n;
const F_FAST_STACK_CMP = 1n << 9n;
const F_REUSE_STACKID = 1n << 10n;
const F_USER_BUILD_ID = 1n << 11n;
const BUILD_ID_SIZE = 32;
const BPF_STACK_BUILD_ID_IP = 2;

/** The current task's stack at a helper call: see the module comment. */
function framesAt(ctx: HelperContext, user: boolean): readonly bigint[] {
  const t = taskOf(ctx);
  return (user ? t.userStack : t.kernelStack) ?? (user ? [] : [STACK_IP_BASE + BigInt(ctx.pc) * 8n]);
}

/** The stack of the task at `address` (`bpf_get_task_stack`), or the negative errno for it. */
function taskFrames(ctx: HelperContext, address: bigint, user: boolean): readonly bigint[] | number {
  if (address === (taskOf(ctx).address ?? DEFAULT_TASK_ADDRESS)) return framesAt(ctx, user);
  const task = (ctx.host as TaskRunHost | undefined)?.tasks?.find((t) => t.address === address);
  if (!user) return task?.kernelStack ?? [];
  return task !== undefined && isKernelThread(task) ? -Errno.EFAULT : -Errno.EOPNOTSUPP;
}

/**
 * `bpf_get_stack` / `bpf_get_task_stack`: copy the frames into the `size`-byte buffer at `r2` as `flags`
 * say, zeroing the rest (all of it on error); the bytes copied, or a negative errno.
 */
function copyStack(env: KernelEnvironment, r2: bigint, r3: bigint, flags: bigint, ctx: HelperContext, frames: (user: boolean) => readonly bigint[] | number): bigint | number {
  const size = Number(r3 & 0xffffffffn);
  const buf = size === 0 ? new Uint8Array(0) : env.memory.slice(r2, size, true, ctx.pc);
  const buildId = (flags & F_USER_BUILD_ID) !== 0n;
  const user = (flags & F_USER_STACK) !== 0n;
  const elem = buildId ? BUILD_ID_SIZE : 8;
  const fail = (errno: number): bigint => {
    buf.fill(0);
    return negErrno(errno);
  };
  if ((flags & ~(SKIP_MASK | F_USER_STACK | F_USER_BUILD_ID)) !== 0n || (buildId && !user) || size % elem !== 0) return fail(Errno.EINVAL);
  const skip = Number(flags & SKIP_MASK);
  const all = frames(user);
  if (typeof all === 'number') return fail(-all);
  if (all.length < skip) return fail(Errno.EFAULT);
  const copied = all.slice(skip, skip + size / elem);
  buf.fill(0);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  copied.forEach((ip, i) => {
    if (buildId) {
      v.setInt32(i * elem, BPF_STACK_BUILD_ID_IP, true);
      v.setBigUint64(i * elem + 24, ip, true);
    } else {
      v.setBigUint64(i * elem, ip, true);
    }
  });
  return copied.length * elem;
}

/** The stack helpers, bound to an environment. */
export function stackHelpers(env: KernelEnvironment): Map<number, HelperEntry> {
  const getStackid: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const m = r2 >> 32n === 0n ? env.mapByHandle(Number(r2)) : undefined;
    if (!(m instanceof StackTraceMap)) {
      const what = m === undefined ? `0x${r2.toString(16)} is not a map of this object` : `map ${m.name} is a ${mapTypeName(m.spec.type)}`;
      throw new ExecutionError(ErrorCode.HELPER, `bpf_get_stackid: ${what}; it takes a BPF_MAP_TYPE_STACK_TRACE`, { pc: ctx.pc, helper: 'bpf_get_stackid' });
    }
    const flags = r3;
    if ((flags & ~(SKIP_MASK | F_USER_STACK | F_FAST_STACK_CMP | F_REUSE_STACKID)) !== 0n) return negErrno(Errno.EINVAL);
    const skip = Number(flags & SKIP_MASK);
    const frames = framesAt(ctx, (flags & F_USER_STACK) !== 0n);
    if (frames.length <= skip) return negErrno(Errno.EFAULT);
    const id = m.store(frames.slice(skip, skip + m.depth), (flags & F_FAST_STACK_CMP) !== 0n, (flags & F_REUSE_STACKID) !== 0n);
    return id < 0 ? negErrno(-id) : id;
  };

  const getStack: HelperFunction = (_r1, r2, r3, r4, _5, ctx) => copyStack(env, r2, r3, r4, ctx, (user) => framesAt(ctx, user));
  const getTaskStack: HelperFunction = (r1, r2, r3, r4, _5, ctx) => copyStack(env, r2, r3, r4, ctx, (user) => taskFrames(ctx, r1, user));

  return new Map([
    [StackHelper.GET_STACKID, { fn: getStackid, name: 'bpf_get_stackid', unwindOnZero: false }],
    [StackHelper.GET_STACK, { fn: getStack, name: 'bpf_get_stack', unwindOnZero: false }],
    [StackHelper.GET_TASK_STACK, { fn: getTaskStack, name: 'bpf_get_task_stack', unwindOnZero: false }],
  ]);
}
