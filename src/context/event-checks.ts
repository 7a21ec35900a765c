/**
 * What a raw or tracing run describes of the kernel around it, checked: the current task and other
 * tasks (numbers, name, cgroups, PID namespace, stacks, user memory), probe memory blocks, socket
 * buffers, files and cgroups. JavaScript callers may pass anything; what the run keeps are copies.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkBytes, checkInteger, checkOptionalBoolean, checkOptionalInteger, checkOptionalU64, checkOptions, checkString, checkU64, describeValue } from '../validate.js';
import { MAX_CGROUP_LEVELS } from '../helpers/skb-info.js';
import type { CgroupDescription, ProbeMemoryBlock, TaskDescription, TaskRunHost } from '../helpers/task.js';
import { DEFAULT_TASK_ADDRESS, MAX_STACK_FRAMES } from '../helpers/task.js';
import type { FileDescription, ImaHash, SkbDescription } from '../helpers/event-objects.js';
import type { RawRunOptions, TracingRunOptions } from './run-options.js';

/** A task description checked (a copy: the name cut to what the kernel keeps, the stacks copied). */
function checkTask(task: TaskDescription, name: string): TaskDescription {
  const t = checkOptions(task, name) as unknown as Record<string, unknown>;
  checkInteger(t.pid, `${name}.pid`, 0, 0xffff_ffff);
  for (const f of ['tgid', 'uid', 'gid']) checkOptionalInteger(t[f], `${name}.${f}`, 0, 0xffff_ffff);
  if (t.comm !== undefined) checkString(t.comm, `${name}.comm`);
  for (const f of ['cgroupId', 'address']) checkOptionalU64(t[f], `${name}.${f}`);
  checkOptionalBoolean(t.kernelThread, `${name}.kernelThread`);
  let cgroupIds: bigint[] | undefined;
  if (t.cgroupIds !== undefined) {
    const ids: unknown = t.cgroupIds;
    if (!Array.isArray(ids) || ids.length > MAX_CGROUP_LEVELS) throw new ArgumentError(`${name}.cgroupIds must be an array of at most ${MAX_CGROUP_LEVELS} cgroup ids (bigint, root first), not ${describeValue(ids)}`);
    cgroupIds = ids.map((id: unknown, i) => checkU64(id, `${name}.cgroupIds[${i}]`));
  }
  if (t.pidNamespace !== undefined) {
    const n = checkOptions(t.pidNamespace as object, `${name}.pidNamespace`) as unknown as Record<string, unknown>;
    for (const f of ['dev', 'ino']) checkU64(n[f], `${name}.pidNamespace.${f}`);
    for (const f of ['pid', 'tgid']) checkOptionalInteger(n[f], `${name}.pidNamespace.${f}`, 0, 0xffff_ffff);
  }
  const stacks: Record<string, bigint[]> = {};
  for (const f of ['kernelStack', 'userStack']) {
    const frames = t[f];
    if (frames === undefined) continue;
    if (!Array.isArray(frames) || frames.length > MAX_STACK_FRAMES) throw new ArgumentError(`${name}.${f} must be an array of at most ${MAX_STACK_FRAMES} addresses (bigints), not ${describeValue(frames)}`);
    stacks[f] = frames.map((x: unknown, i) => checkU64(x, `${name}.${f}[${i}]`));
  }
  const userMemory = t.userMemory === undefined ? undefined : checkMemoryBlocks(t.userMemory, `${name}.userMemory`);
  // The kernel keeps 15 bytes of the name: no need to keep more characters than that.
  return { ...(t as unknown as TaskDescription), ...(userMemory === undefined ? {} : { userMemory }), ...(typeof t.comm === 'string' ? { comm: t.comm.slice(0, 16) } : {}), ...stacks, ...(cgroupIds === undefined ? {} : { cgroupIds }) };
}

/** Most other tasks a run may describe. */
const MAX_TASKS = 4096;

/** A raw run's simulated event checked: the tasks' numbers, names and stacks, the memory blocks (copies). */
export function checkTaskHost(o: RawRunOptions | TracingRunOptions): TaskRunHost {
  const task = o.task === undefined ? undefined : checkTask(o.task, 'options.task');
  let tasks: TaskDescription[] | undefined;
  if (o.tasks !== undefined) {
    if (!Array.isArray(o.tasks) || o.tasks.length > MAX_TASKS) throw new ArgumentError(`options.tasks must be an array of at most ${MAX_TASKS} tasks, not ${describeValue(o.tasks)}`);
    const seen = new Set<bigint>([task?.address ?? DEFAULT_TASK_ADDRESS]);
    tasks = o.tasks.map((x: unknown, i) => {
      const t = checkTask(x as TaskDescription, `options.tasks[${i}]`);
      if (t.address === undefined) throw new ArgumentError(`options.tasks[${i}].address is needed: the program finds the task by the address of its task_struct`);
      if (seen.has(t.address)) throw new ArgumentError(`options.tasks[${i}].address 0x${t.address.toString(16)} is another task's (the current task's is 0x${(task?.address ?? DEFAULT_TASK_ADDRESS).toString(16)})`);
      seen.add(t.address);
      return t;
    });
  }
  const probeMemory = o.probeMemory === undefined ? undefined : checkMemoryBlocks(o.probeMemory, 'options.probeMemory');
  const cgroups = o.cgroups === undefined ? undefined : checkCgroups(o.cgroups);
  const skbs = o.skbs === undefined ? undefined : checkSkbs(o.skbs);
  const files = o.files === undefined ? undefined : checkFiles(o.files);
  return {
    ...(task === undefined ? {} : { task }), ...(tasks === undefined ? {} : { tasks }), ...(probeMemory === undefined ? {} : { probeMemory }),
    ...(cgroups === undefined ? {} : { cgroups }), ...(skbs === undefined ? {} : { skbs }), ...(files === undefined ? {} : { files }),
  };
}

/** Memory blocks checked (copies): at most 4096, none running past 2^64. */
function checkMemoryBlocks(list: unknown, name: string): ProbeMemoryBlock[] {
  if (!Array.isArray(list) || list.length > 4096) throw new ArgumentError(`${name} must be an array of at most 4096 { address, bytes } blocks, not ${describeValue(list)}`);
  return list.map((b: unknown, i) => {
    const blk = checkOptions(b as ProbeMemoryBlock, `${name}[${i}]`) as unknown as Record<string, unknown>;
    const address = checkU64(blk.address, `${name}[${i}].address`);
    const bytes = checkBytes(blk.bytes, `${name}[${i}].bytes`);
    // A block may end at 2^64 but not wrap around to address 0.
    if (address + BigInt(bytes.length) > 1n << 64n) throw new ArgumentError(`${name}[${i}]: ${bytes.length} bytes at 0x${address.toString(16)} run past the end of the 64-bit address space`);
    return { address, bytes: bytes.slice() };
  });
}

/** `options.skbs` checked (copies): distinct addresses. */
function checkSkbs(list: unknown): SkbDescription[] {
  if (!Array.isArray(list) || list.length > MAX_TASKS) throw new ArgumentError(`options.skbs must be an array of at most ${MAX_TASKS} { address, packet } socket buffers, not ${describeValue(list)}`);
  const seen = new Set<bigint>();
  return list.map((x: unknown, i) => {
    const o = checkOptions(x as SkbDescription, `options.skbs[${i}]`) as unknown as Record<string, unknown>;
    const address = checkU64(o.address, `options.skbs[${i}].address`);
    if (seen.has(address)) throw new ArgumentError(`options.skbs[${i}].address 0x${address.toString(16)} is another skb's`);
    seen.add(address);
    return { address, packet: checkBytes(o.packet, `options.skbs[${i}].packet`).slice() };
  });
}

/** `options.files` checked (copies): a path, optional addresses, an IMA hash of at most 64 bytes. */
function checkFiles(list: unknown): FileDescription[] {
  if (!Array.isArray(list) || list.length > MAX_TASKS) throw new ArgumentError(`options.files must be an array of at most ${MAX_TASKS} { path, address?, pathAddress?, imaHash? } files, not ${describeValue(list)}`);
  return list.map((x: unknown, i) => {
    const name = `options.files[${i}]`;
    const o = checkOptions(x as FileDescription, name) as unknown as Record<string, unknown>;
    const path = checkString(o.path, `${name}.path`);
    if (path.length > 4096) throw new ArgumentError(`${name}.path must be at most 4096 characters (PATH_MAX), not ${path.length}`);
    const address = checkOptionalU64(o.address, `${name}.address`);
    const pathAddress = checkOptionalU64(o.pathAddress, `${name}.pathAddress`);
    let imaHash: ImaHash | undefined;
    if (o.imaHash !== undefined) {
      const h = checkOptions(o.imaHash as ImaHash, `${name}.imaHash`) as unknown as Record<string, unknown>;
      const algo = checkInteger(h.algo, `${name}.imaHash.algo`, 0, 0xffff);
      const digest = checkBytes(h.digest, `${name}.imaHash.digest`);
      if (digest.length > 64) throw new ArgumentError(`${name}.imaHash.digest must be at most 64 bytes (HASH_MAX_DIGESTSIZE), not ${digest.length}`);
      imaHash = { algo, digest: digest.slice() };
    }
    return { path, ...(address === undefined ? {} : { address }), ...(pathAddress === undefined ? {} : { pathAddress }), ...(imaHash === undefined ? {} : { imaHash }) };
  });
}

/** `options.cgroups` checked: ids that fit a 4-byte key, distinct non-zero addresses (copies). */
function checkCgroups(list: unknown): CgroupDescription[] {
  if (!Array.isArray(list) || list.length > MAX_TASKS) throw new ArgumentError(`options.cgroups must be an array of at most ${MAX_TASKS} { id, address } cgroups, not ${describeValue(list)}`);
  const seen = new Set<bigint>();
  return list.map((x: unknown, i) => {
    const c = checkOptions(x as CgroupDescription, `options.cgroups[${i}]`) as unknown as Record<string, unknown>;
    const id = checkU64(c.id, `options.cgroups[${i}].id`);
    if (id > 0xffff_ffffn) throw new ArgumentError(`options.cgroups[${i}].id must be at most 2^32 - 1 (a cgrp storage map's 4-byte key), not ${id}`);
    const address = checkU64(c.address, `options.cgroups[${i}].address`);
    if (address === 0n || seen.has(address)) throw new ArgumentError(`options.cgroups[${i}].address must be a non-zero address no other cgroup of the run has, not 0x${address.toString(16)}`);
    seen.add(address);
    return { id, address };
  });
}
