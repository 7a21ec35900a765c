/**
 * Cgroup arrays against the kernel: test/fixtures/elf/cgroup_array.c's `under` (bpf_skb_under_cgroup and
 * bpf_current_task_under_cgroup on slots holding the cgroup v2 root, a child cgroup made for the test, an
 * empty slot, and slots past the array) through BPF_PROG_TEST_RUN, whose skb's socket and task are in the
 * root cgroup, and in tsbpf (both engines) with the same slots holding those cgroups' ids (their inode
 * numbers) and the default socket and task (the root cgroup): the same results. BPF_MAP_CREATE of cgroup
 * arrays with each map_flags bit is in sk-storage.test.ts's table.
 */
import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import type { CgroupArrayMap } from '../../src/maps/cgroup-array.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

/** Where the cgroup v2 file system is mounted, if it is. */
const CGROUP2 = ((): string | undefined => {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')?.[1];
  } catch {
    return undefined;
  }
})();
const CHILD = CGROUP2 === undefined ? undefined : `${CGROUP2}/tsbpf-test-${process.pid}`;

const reason = ((): string | undefined => {
  const k = kernelOracle();
  if (typeof k === 'string') return k;
  if (CGROUP2 === undefined || /\s/.test(CGROUP2)) return 'no cgroup v2 file system is mounted (without spaces in its path)';
  try {
    mkdirSync(CHILD!);
  } catch (e) {
    return `cannot make a cgroup for the test (${e instanceof Error ? e.message : String(e)})`;
  }
  return undefined;
})();
if (reason !== undefined) skipNote(reason);
afterAll(() => {
  if (reason === undefined) rmdirSync(CHILD!);
});

const O = fileURLToPath(new URL('../fixtures/elf/cgroup_array.o', import.meta.url));
/** [operation, slot]: slot 0 the root, 1 the child, 2 and 3 empty, 4 and 2^32-1 past the array. */
const OPS: readonly [number, number][] = [0, 1].flatMap((op) => [0, 1, 2, 3, 4, 0xffff_ffff].map((slot): [number, number] => [op, slot]));

const packet = (op: number, slot: number): Uint8Array => {
  const d = new Uint8Array(64);
  d[0] = op;
  new DataView(d.buffer).setUint32(4, slot, true);
  return d;
};
const result = (d: Uint8Array): bigint => new DataView(d.buffer, d.byteOffset, d.length).getBigInt64(8, true);

describe.skipIf(reason !== undefined)('cgroup arrays: tsbpf and the kernel', () => {
  it('bpf_skb_under_cgroup and bpf_current_task_under_cgroup give the kernel results on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    // The map's fd in a fresh runner, learnt from a first load (the same steps give the same fds).
    const [first] = k.exec([{ op: 'obj', path: O, program: 'under' }]);
    if (first?.kind !== 'obj' || !first.accepted) throw new Error(`the kernel refused cgroup_array.o: ${JSON.stringify(first)}`);
    const fd = first.maps.find((m) => m.name === 'cgroups')!.fd;
    const requests: KernelRequest[] = [
      { op: 'obj', path: O, program: 'under' },
      { op: 'cgroup', map: fd, index: 0, path: CGROUP2! },
      { op: 'cgroup', map: fd, index: 1, path: CHILD! },
    ];
    for (const [op, slot] of OPS) requests.push({ op: 'run', prog: { ref: 0 }, data: packet(op, slot) });
    const out = k.exec(requests);
    expect(out.slice(0, 3).map((r) => r.kind)).toEqual(['obj', 'ok', 'ok']);
    const kernel = out.slice(3).map((r) => (r.kind === 'run' ? result(r.data) : JSON.stringify(r)));
    // What the kernel gives is what the helpers document: in the root, not in the child, -EAGAIN, -E2BIG.
    expect(kernel).toEqual([1n, 0n, -11n, -11n, -7n, -7n, 1n, 0n, -11n, -11n, -7n, -7n]);
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('cgroup_array'));
      const map = obj.map('cgroups') as CgroupArrayMap;
      map.setCgroup(0, statSync(CGROUP2!, { bigint: true }).ino);
      map.setCgroup(1, statSync(CHILD!, { bigint: true }).ino);
      const prog = obj.program('under');
      const ours = OPS.map(([op, slot]) => {
        let d: Uint8Array = new Uint8Array(0);
        prog.runTc(packet(op, slot), { jit, inspect: (_s, p) => (d = p) });
        return result(d);
      });
      expect(ours, jit ? 'JIT' : 'interpreter').toEqual(kernel);
    }
  });
});
