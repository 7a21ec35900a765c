/**
 * Helpers that act on kernel objects of a simulated event other than the task: socket buffers,
 * files and other tasks' user memory, all described by the host for the run (`runEvent` options
 * `skbs`, `files`, a task's `userMemory`), with the kernel's return values (bpf-helpers(7)):
 * - `bpf_skb_output` (111), for BTF tracing programs given a `struct sk_buff *`: `bpf_perf_event_output`
 *   whose record is the data followed by the first `flags >> 32` bytes (`BPF_F_CTXLEN_MASK`) of the
 *   described skb's packet; -EINVAL for other flag bits, -EFAULT for an skb the event does not describe
 *   or a packet shorter than asked;
 * - `bpf_copy_from_user_task` (191): `size` bytes of the task's user memory (the current task's is the
 *   run's probe memory unless it has its own `userMemory`; another task's its `userMemory`), 0; the
 *   buffer zeroed and -EFAULT when they are not there (or the task is a kernel thread, or unknown),
 *   -EINVAL for non-zero flags;
 * - `bpf_d_path` (147): the full path of the described file whose `struct path` is at the argument,
 *   NUL-terminated, returning its length with the NUL; -ENAMETOOLONG when the buffer is too small,
 *   -EFAULT for a path the event does not describe;
 * - `bpf_ima_file_hash` (193): the file's IMA hash as the host gives it (cut to the buffer), returning
 *   its algorithm (`enum hash_algo`); -EOPNOTSUPP when no hash is known for the file, as when IMA
 *   cannot compute one.
 * @module
 */
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import { Errno, negErrno } from '../maps/types.js';
import { isKernelThread, probeBytes, taskOf, type ProbeMemoryBlock, type TaskRunHost } from './task.js';
import { outputWithPacket, type TracingEnvironment } from './tracing.js';

/** Helper ids of this module (uapi `linux/bpf.h`). */
export const EventObjectHelper = { SKB_OUTPUT: 111, D_PATH: 147, COPY_FROM_USER_TASK: 191, IMA_FILE_HASH: 193 } as const;

/** A socket buffer of a simulated event: where its `struct sk_buff` is and its packet (from `skb->data`). */
export interface SkbDescription {
  /** The address of its `struct sk_buff` (the pointer programs are given), unique in the run. */
  readonly address: bigint;
  /** Its packet bytes (`skb->len` of them, linear and paged data together). */
  readonly packet: Uint8Array;
}

/** An IMA measurement of a file (`bpf_ima_file_hash`). */
export interface ImaHash {
  /** The hash algorithm, uapi `enum hash_algo` (`linux/hash_info.h`: 2 SHA1, 4 SHA256, 6 SHA512...). */
  readonly algo: number;
  /** The digest (at most 64 bytes). */
  readonly digest: Uint8Array;
}

/** An open file of a simulated event. */
export interface FileDescription {
  /** Its full path, as `bpf_d_path` gives it (`/etc/passwd`). */
  readonly path: string;
  /** The address of its `struct file` (`bpf_ima_file_hash`'s argument). */
  readonly address?: bigint;
  /** The address of its `struct path` (`bpf_d_path`'s argument: a program passes `&file->f_path`). */
  readonly pathAddress?: bigint;
  /** Its IMA hash; without one `bpf_ima_file_hash` gives -EOPNOTSUPP. */
  readonly imaHash?: ImaHash;
}


const ENCODER = new TextEncoder();

function hostOf(host: unknown): TaskRunHost | undefined {
  return host as TaskRunHost | undefined;
}

/** The user memory blocks of the task at `address` (the current task's: its own, else the run's probe memory). */
function userMemoryOf(host: TaskRunHost | undefined, current: { address?: bigint; userMemory?: readonly ProbeMemoryBlock[] }, address: bigint, currentAddress: bigint): readonly ProbeMemoryBlock[] | undefined {
  if (address === currentAddress) return current.userMemory ?? host?.probeMemory;
  return host?.tasks?.find((t) => t.address === address)?.userMemory;
}


/** The helpers, bound to the object's memory and maps. */
export function eventObjectHelpers(env: TracingEnvironment, defaultTaskAddress: bigint): Map<number, HelperEntry> {
  const mem = env.memory;
  const size32 = (r: bigint): number => Number(r & 0xffff_ffffn);
  const skbOutput: HelperFunction = (r1, r2, r3, r4, r5, ctx) =>
    outputWithPacket(env, 'bpf_skb_output', r2, r3, r4, r5, ctx, (length) => {
      if (length === 0) return new Uint8Array(0);
      const skb = hostOf(ctx.host)?.skbs?.find((s) => s.address === BigInt.asUintN(64, r1));
      return skb === undefined || skb.packet.length < length ? undefined : skb.packet.subarray(0, length);
    });
  const copyFromUserTask: HelperFunction = (r1, r2, r3, r4, r5, ctx) => {
    const size = size32(r2);
    const out = size === 0 ? new Uint8Array(0) : mem.slice(r1, size, true, ctx.pc);
    const fail = (errno: number): bigint => {
      out.fill(0);
      return negErrno(errno);
    };
    if (r5 !== 0n) return fail(Errno.EINVAL);
    const host = hostOf(ctx.host);
    const current = taskOf(ctx);
    const address = BigInt.asUintN(64, r4);
    const task = address === (current.address ?? defaultTaskAddress) ? current : host?.tasks?.find((t) => t.address === address);
    if (task === undefined || isKernelThread(task)) return fail(Errno.EFAULT);
    const blocks = userMemoryOf(host, current, address, current.address ?? defaultTaskAddress);
    const bytes = blocks === undefined ? undefined : probeBytes({ probeMemory: blocks }, r3, size);
    if (bytes === undefined) return fail(Errno.EFAULT);
    out.set(bytes);
    return 0n;
  };
  const dPath: HelperFunction = (r1, r2, r3, _4, _5, ctx) => {
    const size = size32(r3);
    const out = size === 0 ? new Uint8Array(0) : mem.slice(r2, size, true, ctx.pc);
    const file = hostOf(ctx.host)?.files?.find((f) => f.pathAddress === BigInt.asUintN(64, r1));
    if (file === undefined) return negErrno(Errno.EFAULT);
    const name = ENCODER.encode(file.path);
    if (name.length + 1 > size) return negErrno(Errno.ENAMETOOLONG);
    out.set(name);
    out[name.length] = 0;
    return name.length + 1;
  };
  const imaFileHash: HelperFunction = (r1, r2, r3, _4, _5, ctx) => {
    const size = size32(r3);
    const out = size === 0 ? new Uint8Array(0) : mem.slice(r2, size, true, ctx.pc);
    const hash = hostOf(ctx.host)?.files?.find((f) => f.address === BigInt.asUintN(64, r1))?.imaHash;
    if (hash === undefined) return negErrno(Errno.EOPNOTSUPP);
    out.set(hash.digest.subarray(0, size));
    return hash.algo;
  };
  const fns: [number, string, HelperFunction][] = [
    [EventObjectHelper.SKB_OUTPUT, 'bpf_skb_output', skbOutput],
    [EventObjectHelper.COPY_FROM_USER_TASK, 'bpf_copy_from_user_task', copyFromUserTask],
    [EventObjectHelper.D_PATH, 'bpf_d_path', dPath],
    [EventObjectHelper.IMA_FILE_HASH, 'bpf_ima_file_hash', imaFileHash],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
