/**
 * Iterator programs against the kernel: fixture iter_helpers.c's seq_formats is attached to the live
 * kernel's task iterator (BPF_LINK_CREATE with BPF_TRACE_ITER, then read() of BPF_ITER_CREATE's fd).
 * It prints on the first task and on the last (NULL) call only, so its whole output is fixed but for the
 * task count: tsbpf (interpreter and JIT), run on one task and then on the NULL call with that count,
 * must print the same bytes. task_stack_rules prints, for every task, whether it is a kernel thread and
 * bpf_get_task_stack's results (user stack, kernel stack, a skip, build ids, a short buffer): tsbpf, given
 * each task as another task (not the current one) with as many kernel frames as the kernel found, must
 * print the same line (the reader's own task, and tasks without a stack, are left out).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { SeqOutput } from '../../src/helpers/seq.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote, type KernelResponse } from './runner.js';


const OBJ = fileURLToPath(new URL('../fixtures/elf/iter_helpers.o', import.meta.url));
const oracle = kernelOracle();
const reason = typeof oracle === 'string' ? oracle : undefined;
if (reason !== undefined) skipNote(reason);

/** The output of iterator program `program` of iter_helpers.o over the kernel's tasks. */
function kernelOutput(program: string): string {
  const k = oracle as Exclude<typeof oracle, string>;
  const [obj, iter] = k.exec([{ op: 'obj', path: OBJ, program }, { op: 'iter', prog: { ref: 0 } }]) as [KernelResponse, KernelResponse];
  if (obj.kind !== 'obj' || !obj.accepted) throw new Error(`the kernel refused ${program}: ${JSON.stringify(obj).slice(0, 400)}`);
  if (iter.kind !== 'iter') throw new Error(`reading ${program}'s iterator failed: ${JSON.stringify(iter)}`);
  return new TextDecoder().decode(iter.output);
}

describe.skipIf(reason !== undefined)('iterator programs: tsbpf and the kernel', () => {
  it('print the same with bpf_seq_printf and bpf_seq_write', () => {
    const kernel = kernelOutput('seq_formats');
    const count = /end (\d+)\n$/.exec(kernel)?.[1];
    expect(count, kernel).toBeDefined();
    for (const jit of [false, true]) {
      const p = loadObject(fixture('iter_helpers')).program('seq_formats');
      const seq = new SeqOutput();
      p.runEvent({ args: [0xffff_8880_0123_4000n], seqNum: 0n }, { jit, seq });
      p.runEvent({ seqNum: BigInt(count!) }, { jit, seq });
      expect(seq.text()).toBe(kernel);
    }
  });

  it('agree on bpf_get_task_stack for every task of the kernel', () => {
    const lines = kernelOutput('task_stack_rules').split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(10);
    // The reader's own task is the one whose user stack can be read (user >= 0).
    const cases = lines.map((l) => l.split(' ').map(Number)).filter(([, , user, kernel]) => kernel! >= 0 && user! < 0);
    const kinds = new Set(cases.map(([, kthread, user]) => `${kthread} ${user}`));
    // Both kinds of task are there: kernel threads (user stack -EFAULT) and other processes (-EOPNOTSUPP).
    expect(kinds).toEqual(new Set(['1 -14', '0 -95']));
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('iter_helpers'));
      const p = obj.program('task_stack_rules');
      const mismatches: string[] = [];
      cases.forEach(([pid, kthread, , kernel], i) => {
        const address = 0xffff_8880_1000_0000n + BigInt(i) * 0x1_0000n;
        // task_struct as the fixture's own BTF lays it out: pid, tgid, flags.
        const ts = new Uint8Array(12);
        const v = new DataView(ts.buffer);
        v.setInt32(0, pid!, true);
        v.setUint32(8, kthread === 1 ? 0x0020_0000 : 0, true);
        const kernelStack = Array.from({ length: kernel! / 8 }, (_, f) => 0xffff_ffff_8100_0000n + BigInt(f) * 8n);
        const r = p.runEvent({ args: [address], seqNum: BigInt(i) }, { jit, tasks: [{ pid: pid!, address, kernelThread: kthread === 1, kernelStack }], probeMemory: [{ address, bytes: ts }] });
        const ours = new TextDecoder().decode(r.seq).trimEnd();
        const theirs = lines.find((l) => l.startsWith(`${pid} `));
        if (ours !== theirs) mismatches.push(`kernel: ${theirs}, tsbpf: ${ours}`);
      });
      expect(mismatches).toEqual([]);
    }
  });
});
