/**
 * libbpf-bootstrap's task_iter.bpf.o (test/corpus/libbpf-bootstrap/examples/c/task_iter.bpf.c) run as
 * its user space reads it, on host-described tasks: each task's `task_struct` bytes and kernel stack,
 * with the object's CO-RE relocations resolved against the kernel-like layout of fixture task_target.c
 * (a 5.14+ task_struct with `__state`, fields at offsets of its own); the program
 * copies pid, tid, state, comm and the stack (bpf_get_task_stack) into a `struct task_info` and writes
 * it with bpf_seq_write. Overflowing the 32 KiB output makes the host drain it and show the task again,
 * as the kernel's read() does. Both engines.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BtfKind, parseBtf, type Btf } from '../../src/elf/btf.js';
import { parseElf } from '../../src/elf/reader.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { SeqOutput } from '../../src/helpers/seq.js';
import type { TaskDescription } from '../../src/helpers/task.js';
import { fixture } from './fixtures.js';

const OBJECT = fileURLToPath(new URL('../corpus/libbpf-bootstrap/examples/c/task_iter.bpf.o', import.meta.url));
/** `struct task_info`: pid, tid, state, comm[16], kstack_len, kstack[127]. */
const RECORD = 4 + 4 + 4 + 16 + 4 + 8 * 127;

interface Task extends TaskDescription {
  readonly address: bigint;
  readonly state: number;
}

const TARGET = fixture('task_target');
const TARGET_BTF: Btf = parseBtf(parseElf(TARGET).section('.BTF')!.data);

/** The object, its CO-RE relocations resolved against the kernel-like target. */
const load = (): BpfObject => loadObject(readFileSync(OBJECT), { targetBtf: TARGET });

/** Where task_struct's fields are in the target's BTF. */
function offsets(): { size: number; pid: number; tgid: number; state: number; comm: number } {
  const t = TARGET_BTF.find(BtfKind.STRUCT, 'task_struct')!;
  const at = (name: string): number => t.members!.find((m) => m.name === name)!.bitOffset / 8;
  return { size: t.sizeOrType, pid: at('pid'), tgid: at('tgid'), state: at('__state'), comm: at('comm') };
}

/** The task_struct bytes of `t`. */
function taskStruct(t: Task): Uint8Array {
  const o = offsets();
  const b = new Uint8Array(o.size);
  const v = new DataView(b.buffer);
  v.setInt32(o.pid, t.pid, true);
  v.setInt32(o.tgid, t.tgid ?? t.pid, true);
  v.setUint32(o.state, t.state, true);
  b.set(new TextEncoder().encode(t.comm ?? '').subarray(0, 15), o.comm);
  return b;
}

interface TaskInfo {
  pid: number;
  tid: number;
  state: number;
  comm: string;
  kstack: bigint[];
}

function records(bytes: Uint8Array): TaskInfo[] {
  expect(bytes.length % RECORD).toBe(0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / RECORD }, (_, i) => {
    const at = i * RECORD;
    const comm = bytes.subarray(at + 12, at + 28);
    const len = v.getInt32(at + 28, true);
    return {
      pid: v.getInt32(at, true),
      tid: v.getInt32(at + 4, true),
      state: v.getUint32(at + 8, true),
      comm: new TextDecoder().decode(comm.subarray(0, Math.max(0, comm.indexOf(0)))),
      kstack: Array.from({ length: Math.max(0, len) }, (_, k) => v.getBigUint64(at + 32 + 8 * k, true)),
    };
  });
}

const frames = (n: number, base: bigint): bigint[] => Array.from({ length: n }, (_, i) => base + BigInt(i) * 0x10n);

/**
 * Read the iterator as the kernel's read() would: the tasks in order, then the NULL call; a run that
 * overflows is shown again after the host drained the output. Returns the whole output.
 */
function iterate(obj: BpfObject, tasks: readonly Task[], current: Task, jit: boolean): { bytes: Uint8Array; reads: number } {
  const p = obj.program('get_tasks');
  const options = { jit, task: current, tasks: tasks.filter((t) => t !== current), probeMemory: tasks.map((t) => ({ address: t.address, bytes: taskStruct(t) })) };
  const seq = new SeqOutput();
  const chunks: Uint8Array[] = [];
  let reads = 0;
  for (let i = 0; i <= tasks.length; i++) {
    const event = i < tasks.length ? { args: [tasks[i]!.address], seqNum: BigInt(i) } : { seqNum: BigInt(i) };
    let r = p.runEvent(event, { ...options, seq });
    if (r.seqOverflow === true) {
      chunks.push(seq.drain());
      reads++;
      r = p.runEvent(event, { ...options, seq });
      expect(r.seqOverflow).toBe(false);
    }
    expect(r.r0).toBe(0n);
  }
  chunks.push(seq.drain());
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, reads: reads + 1 };
}

describe.each([false, true])('task_iter.bpf.o (jit %s)', (jit) => {
  it('writes one task_info per task: ids, state, name and kernel stack', () => {
    const obj = load();
    const init: Task = { pid: 1, comm: 'systemd', address: 0xffff_8880_0010_0000n, state: 1, kernelStack: frames(3, 0xffff_ffff_8100_0000n) };
    const kthread: Task = { pid: 2, comm: 'kthreadd', address: 0xffff_8880_0020_0000n, state: 1, kernelThread: true, kernelStack: frames(127, 0xffff_ffff_8200_0000n) };
    const worker: Task = { pid: 301, tgid: 300, comm: 'a-very-long-thread-name', address: 0xffff_8880_0030_0000n, state: 0 };
    const self: Task = { pid: 4242, tgid: 4242, comm: 'task_iter', address: 0xffff_8880_0040_0000n, state: 0, kernelStack: frames(5, 0xffff_ffff_8300_0000n) };
    const { bytes, reads } = iterate(obj, [init, kthread, worker, self], self, jit);
    expect(reads).toBe(1);
    expect(records(bytes)).toEqual([
      { pid: 1, tid: 1, state: 1, comm: 'systemd', kstack: init.kernelStack },
      { pid: 2, tid: 2, state: 1, comm: 'kthreadd', kstack: kthread.kernelStack },
      // No stack described: none, as the kernel gives for a task it cannot unwind.
      { pid: 300, tid: 301, state: 0, comm: 'a-very-long-thr', kstack: [] },
      { pid: 4242, tid: 4242, state: 0, comm: 'task_iter', kstack: self.kernelStack },
    ]);
  });

  it('fills the 32 KiB output, and shows the task that did not fit again after the host drained it', () => {
    const obj = load();
    const tasks: Task[] = Array.from({ length: 70 }, (_, i) => ({ pid: 100 + i, comm: `t${i}`, address: 0xffff_8880_1000_0000n + BigInt(i) * 0x1_0000n, state: i % 3, kernelStack: frames(i % 20, 0xffff_ffff_8100_0000n + BigInt(i) * 0x1000n) }));
    const { bytes, reads } = iterate(obj, tasks, { pid: 9999, address: 0xffff_8880_0900_0000n, state: 0 }, jit);
    // 31 records of 1,048 bytes fit in 32 KiB.
    expect(reads).toBe(3);
    expect(records(bytes).map((r) => [r.pid, r.state, r.comm, r.kstack.length])).toEqual(tasks.map((t) => [t.pid, t.state, t.comm, t.kernelStack!.length]));
  });
});
