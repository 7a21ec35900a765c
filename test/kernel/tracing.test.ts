/**
 * Raw tracepoint programs against the kernel: BPF_PROG_TEST_RUN runs fixture raw_tp_task.c with a
 * context of 12 u64 arguments in the runner's own task; tsbpf runs it (interpreter and JIT) on the same
 * arguments with its task set to the runner's pid, tgid, uid, gid, comm and cgroup id. Return values,
 * every map entry (what the program computed from the arguments, what the task helpers returned, the
 * ring buffer output's result) and the counters must be identical.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { rngUnit } from './packets.js';
import { hex, kernelOracle, skipNote, type KernelRequest, type KernelResponse } from './runner.js';

const OBJ = fileURLToPath(new URL('../fixtures/elf/raw_tp_task.o', import.meta.url));
const oracle = kernelOracle();
const reason = typeof oracle === 'string' ? oracle : undefined;
if (reason !== undefined) skipNote(reason);

/** Argument lists: edge values (0, all ones, sign bits, a zero divisor) and seeded random ones. */
function argLists(): bigint[][] {
  const rand = rngUnit(0x7ace);
  const u64 = (): bigint => (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  const lists: bigint[][] = [
    [],
    [1n, 2n, 3n],
    [0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 7n],
    [5n, 100n, 0n],
    [15n, 0xffff_ffff_ffff_fff9n, 0xffff_ffff_ffff_fffdn],
  ];
  for (let i = 0; i < 40; i++) lists.push(Array.from({ length: 1 + (i % 12) }, (_, j) => (j === 2 && i % 5 === 0 ? BigInt(i) : u64())));
  return lists;
}

/** Map entries as sorted `key=value` hex lines. */
const entries = (list: [Uint8Array, Uint8Array][]): string[] => list.map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();

describe.skipIf(reason !== undefined)('raw tracepoints: tsbpf and the kernel on the same arguments and task', () => {
  it('agree on return values, the task helpers, map contents and ring buffer output', () => {
    const k = oracle as Exclude<typeof oracle, string>;
    const lists = argLists();
    const ctxOf = (args: bigint[]): Uint8Array => {
      const b = new Uint8Array(96);
      args.forEach((a, i) => new DataView(b.buffer).setBigUint64(8 * i, a, true));
      return b;
    };
    // Map fds are the same in every runner process that makes the same requests: learn them first.
    const [, loaded] = k.exec([{ op: 'self' }, { op: 'obj', path: OBJ, program: 'compute' }]) as [KernelResponse, KernelResponse];
    if (loaded.kind !== 'obj' || !loaded.accepted) throw new Error(`kernel runner: ${JSON.stringify(loaded).slice(0, 400)}`);
    const fd = (name: string): number => loaded.maps.find((m) => m.name === name)!.fd;
    const requests: KernelRequest[] = [{ op: 'self' }, { op: 'obj', path: OBJ, program: 'compute' }];
    const first = requests.length;
    for (const args of lists) requests.push({ op: 'run', prog: { ref: 1 }, ctx: ctxOf(args), dataOut: 0, ctxOut: 0 });
    const all = k.exec([...requests, { op: 'dump', map: fd('results') }, { op: 'dump', map: fd('counts') }]);
    const task = all[0]!;
    if (task.kind !== 'self') throw new Error('kernel runner: no self');
    const kernelRet = all.slice(first, first + lists.length).map((r) => (r.kind === 'run' ? r.retval : `error ${JSON.stringify(r)}`));
    const dumps = all.slice(first + lists.length);
    const kernelMaps = dumps.map((d) => (d.kind === 'dump' ? entries(d.entries) : [`error ${JSON.stringify(d)}`]));
    expect(kernelRet.every((r) => typeof r === 'number')).toBe(true);

    for (const jit of [false, true]) {
      const o = loadObject(fixture('raw_tp_task'));
      const prog = o.program('compute');
      const opts = { jit, task: { pid: task.pid, tgid: task.tgid, uid: task.uid, gid: task.gid, comm: task.comm, ...(task.cgroupId === 0n ? {} : { cgroupId: task.cgroupId }) } };
      const ret = lists.map((args) => Number(prog.runEvent({ args }, opts).r0 & 0xffff_ffffn));
      expect({ jit, ret }).toEqual({ jit, ret: kernelRet });
      const ours = ['results', 'counts'].map((name) => entries(o.map(name).entries()));
      // The cgroup id is compared only when the runner could read its own (cgroup v2 mounted).
      const mask = (lines: string[]): string[] => (task.cgroupId === 0n ? lines.map((l) => l.replace(/^(\w+=.{32}).{16}/, '$1????????????????')) : lines);
      expect({ jit, maps: ours.map(mask) }).toEqual({ jit, maps: kernelMaps.map(mask) });
    }
    // The runs saw the runner's task (not the idle one): pid and comm are in every result.
    expect(task.pid).toBeGreaterThan(0);
    expect(kernelMaps[0]!.length).toBeGreaterThan(3);
  });
});
