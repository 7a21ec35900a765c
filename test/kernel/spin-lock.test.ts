/**
 * bpf_spin_lock / bpf_spin_unlock (fixture spin_lock.c): a counter under a lock counts as in the kernel
 * (BPF_PROG_TEST_RUN, compared live where bpf() is allowed) on every engine; taking a held lock, which
 * the kernel's verifier refuses and a CPU would spin on forever, stops the run with an E_HELPER error.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { EbpfError, ExecutionError } from '../../src/errors.js';
import { KernelHelper, kernelHelpers } from '../../src/helpers/kernel.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { kernelOracle, skipNote } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/spin_lock.o', import.meta.url));
const PACKET = new Uint8Array(60);

describe('spin locks', () => {
  for (const { name, engine } of ENGINES) {
    it(`count under the lock on the ${name}, and stop a program taking a held lock`, () => {
      const jit = name === 'jit';
      const obj = loadObject(fixture('spin_lock'), { jitEngine: engine });
      expect([1, 2, 3].map(() => obj.program('count').runXdp(PACKET, { jit }).r0)).toEqual([1n, 2n, 3n]);
      // verify: 'warn': the kernel-level analysis refuses double_lock and no_unlock, as the kernel does;
      // these runs check the engines' own defences
      const fresh = loadObject(fixture('spin_lock'), { jitEngine: engine, verify: 'warn' });
      expect(() => loadObject(fixture('spin_lock'), { jitEngine: engine }).program('double_lock')).toThrow(/Locking two bpf_spin_locks/);
      const twice = (): unknown => fresh.program('double_lock').runXdp(PACKET, { jit });
      expect(twice).toThrow(ExecutionError);
      expect(twice).toThrow(/bpf_spin_lock: the lock at 0x[0-9a-f]+ is already held: a program may hold one lock at a time/);
      // Returning with the lock held leaves it held: the next lock of it stops.
      const left = loadObject(fixture('spin_lock'), { jitEngine: engine, verify: 'warn' });
      expect(left.program('no_unlock').runXdp(PACKET, { jit }).r0).toBe(2n);
      expect(() => left.program('count').runXdp(PACKET, { jit })).toThrow(/is already held/);
    });
  }

  it('refuse an unaligned, unmapped or read-only lock word and an unlock of a free lock', () => {
    const memory = new VmMemory({ initialPages: 1 });
    const word = BigInt(memory.map({ name: 'value', size: 8 }).vaddr);
    const ro = BigInt(memory.map({ name: 'ro', size: 8, writable: false }).vaddr);
    const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 });
    const ctx: HelperContext = { memory, pc: 3, tailCall: () => false, host: undefined };
    const call = (id: number, r1: bigint): unknown => helpers.get(id)!.fn(r1, 0n, 0n, 0n, 0n, ctx);
    expect(() => call(KernelHelper.SPIN_UNLOCK, word)).toThrow(/bpf_spin_unlock: the lock at 0x[0-9a-f]+ is not held/);
    expect(() => call(KernelHelper.SPIN_LOCK, word + 1n)).toThrow(/not 4-byte aligned/);
    expect(() => call(KernelHelper.SPIN_LOCK, 0n)).toThrow(EbpfError);
    expect(() => call(KernelHelper.SPIN_LOCK, ro)).toThrow(EbpfError);
    expect(() => call(KernelHelper.SPIN_LOCK, 0xffff_ffff_ffff_fff0n)).toThrow(EbpfError);
    expect(call(KernelHelper.SPIN_LOCK, word)).toBe(0);
    expect(() => call(KernelHelper.SPIN_LOCK, word)).toThrow(/already held/);
    expect(call(KernelHelper.SPIN_UNLOCK, word)).toBe(0);
  });

  it('on a shared memory (--workers N), wait for a lock another thread holds, and fail a lock never released', async () => {
    const memory = new VmMemory({ initialPages: 1, shared: true });
    const word = BigInt(memory.map({ name: 'value', size: 8 }).vaddr);
    const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 });
    const ctx: HelperContext = { memory, pc: 3, tailCall: () => false, host: undefined };
    const call = (id: number): unknown => helpers.get(id)!.fn(word, 0n, 0n, 0n, 0n, ctx);
    const cell = memory.slice(word, 4, true, 0);
    expect(call(KernelHelper.SPIN_LOCK)).toBe(0);
    // Another thread releases the lock this thread holds a few milliseconds after it says it started.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const cell = new Int32Array(workerData.buffer, workerData.offset, 1);
       parentPort.postMessage('started');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
       Atomics.store(cell, 0, 0);
       Atomics.notify(cell, 0);`,
      { eval: true, workerData: { buffer: cell.buffer, offset: cell.byteOffset } },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    expect(call(KernelHelper.SPIN_LOCK)).toBe(0);
    await worker.terminate();
    // Held and never released: the bounded wait ends in an error, not a hang.
    expect(() => call(KernelHelper.SPIN_LOCK)).toThrow(/bpf_spin_lock: the lock at 0x[0-9a-f]+ stayed held for 100 ms/);
    expect(call(KernelHelper.SPIN_UNLOCK)).toBe(0);
    expect(() => call(KernelHelper.SPIN_UNLOCK)).toThrow(/is not held/);
  });

  const k = kernelOracle();
  if (typeof k === 'string') skipNote(k);
  it.skipIf(typeof k === 'string')('match the kernel live: the counter, and both faulty programs refused', () => {
    if (typeof k === 'string') return;
    const out = k.exec([{ op: 'obj', path: O, program: 'count' }, ...[0, 1, 2].map(() => ({ op: 'run' as const, prog: { ref: 0 }, data: PACKET }))]);
    expect(out.map((r) => (r.kind === 'run' ? r.retval : r.kind))).toEqual(['obj', 1, 2, 3]);
    for (const program of ['double_lock', 'no_unlock']) {
      expect(k.exec([{ op: 'obj', path: O, program }])[0]).toMatchObject({ kind: 'obj', accepted: false });
    }
  });
});
