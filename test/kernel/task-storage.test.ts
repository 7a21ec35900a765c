/**
 * Task-local storage against the kernel: test/fixtures/elf/task_storage.c (a raw tracepoint program) run
 * through BPF_PROG_TEST_RUN, in the runner's own task, with a sequence of bpf_task_storage_get / _delete
 * operations (get, create, create from a value, count up, delete twice, an unknown flag, a NULL task), and
 * in tsbpf on both engines with one host-described task: the same results after each run. The map loads
 * as declared (max_entries 0, BPF_F_NO_PREALLOC) and is refused when sized, in both.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();

const O = fileURLToPath(new URL('../fixtures/elf/task_storage.o', import.meta.url));
/** [operation, initial count]: see task_storage.c. */
const OPS: readonly [number, bigint][] = [
  [0, 0n], [1, 0n], [1, 0n], [0, 0n], [4, 0n], [3, 0n], [3, 0n], [0, 0n], [2, 41n], [2, 99n], [0, 0n], [5, 0n], [3, 0n], [2, 0xffff_ffff_ffff_ffffn], [0, 0n],
];
const args = (op: number, init: bigint): bigint[] => [BigInt(op), init];
const ctxOf = (op: number, init: bigint): Uint8Array => new Uint8Array(new BigUint64Array(args(op, init)).buffer);
const show = (v: Uint8Array): string => {
  const d = new DataView(v.buffer, v.byteOffset, v.length);
  return `found ${d.getBigInt64(0, true)} count ${d.getBigUint64(8, true)} delete ${d.getBigInt64(16, true)}`;
};

describe.skipIf(reason !== undefined)('task-local storage: tsbpf and the kernel', () => {
  it('loads with max_entries 0 and BPF_F_NO_PREALLOC, not sized', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [asDeclared, sized] = k.exec([
      { op: 'obj', path: O, program: 'storage_op' },
      { op: 'obj', path: O, program: 'storage_op', sizes: { store: 1 } },
    ]);
    expect(asDeclared).toMatchObject({ kind: 'obj', accepted: true });
    expect(sized).toMatchObject({ kind: 'obj', accepted: false });
    expect(() => loadObject(fixture('task_storage')).program('storage_op')).not.toThrow();
    expect(() => loadObject(fixture('task_storage'), { mapSizes: { store: 1 } }).program('storage_op')).toThrow(/store.*max_entries 0/);
  });

  it('bpf_task_storage_get / _delete give the kernel results on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [first] = k.exec([{ op: 'obj', path: O, program: 'storage_op' }]);
    if (first?.kind !== 'obj' || !first.accepted) throw new Error(`the kernel refused task_storage.o: ${JSON.stringify(first)}`);
    const fd = first.maps.find((m) => m.name === 'results')!.fd;
    const requests: KernelRequest[] = [{ op: 'obj', path: O, program: 'storage_op' }];
    for (const [op, init] of OPS) requests.push({ op: 'run', prog: { ref: 0 }, ctx: ctxOf(op, init), dataOut: 0, ctxOut: 0 }, { op: 'dump', map: fd });
    const out = k.exec(requests);
    const kernel = OPS.map((_, i) => {
      const d = out[2 + 2 * i]!;
      return d.kind === 'dump' ? show(d.entries[0]![1]) : JSON.stringify(d);
    });
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('task_storage'));
      const prog = obj.program('storage_op');
      const key = new Uint8Array(4);
      const ours = OPS.map(([op, init]) => {
        prog.runEvent({ args: args(op, init) }, { jit, task: { pid: 4242, comm: 'runner' } });
        return show(obj.map('results').lookup(key)!);
      });
      expect(ours, jit ? 'JIT' : 'interpreter').toEqual(kernel);
    }
  });
});
