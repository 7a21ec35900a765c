/**
 * Iterator programs against the kernel: fixture iter_helpers.c's seq_formats is attached to the live
 * kernel's task iterator (BPF_LINK_CREATE with BPF_TRACE_ITER, then read() of BPF_ITER_CREATE's fd).
 * It prints on the first task and on the last (NULL) call only, so its whole output is fixed but for the
 * task count: tsbpf (interpreter and JIT), run on one task and then on the NULL call with that count,
 * must print the same bytes.
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
});
