/**
 * bpf_loop and bpf_for_each_map_elem against the kernel: fixture callbacks.c runs under
 * BPF_PROG_TEST_RUN (a raw tracepoint) on argument lists that pick the loop count, the iteration a
 * callback stops at and a seed (for_each over array, hash, per-CPU array and LRU maps); tsbpf runs it
 * on both engines. Return values and every map entry
 * (helper results, what callbacks folded, the values they changed) must be identical.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { hex, kernelOracle, skipNote, type KernelRequest, type KernelResponse } from './runner.js';

const OBJ = fileURLToPath(new URL('../fixtures/elf/callbacks.o', import.meta.url));
const oracle = kernelOracle();
const reason = typeof oracle === 'string' ? oracle : undefined;
if (reason !== undefined) skipNote(reason);

/** seed, loop count, the iteration `step` stops at, the array key `arr_cb` stops at, flags, a large count. */
const BIG = (1n << 23n) + 1n;
const CASES: bigint[][] = [
  [1n, 5n, 99n, 99n, 1n, BIG],
  [7n, 10n, 3n, 2n, 2n, BIG],
  [0xdead_beefn, 0n, 0n, 0n, 1n << 40n, 0xffff_ffffn],
  [3n, 1000n, 500n, 7n, 1n, BIG],
  [0xffff_ffff_ffff_fff0n, 17n, 16n, 5n, 1n, BIG],
  [42n, 100_000n, 1n << 40n, 1n, 0n, 3n],
  [5n, 8n, 1n, 0n, 0n, 1n << 23n],
];

const entries = (list: [Uint8Array, Uint8Array][]): string[] => list.map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
const MAPS = ['out', 'arr', 'hash', 'pcpu', 'lru'];

describe.skipIf(reason !== undefined)('callbacks: tsbpf and the kernel on the same arguments', () => {
  it('agree on return values and every map', () => {
    const k = oracle as Exclude<typeof oracle, string>;
    // Map fds are the same in every runner process that makes the same requests: learn them first.
    const [loaded] = k.exec([{ op: 'cpu', cpu: 0 }, { op: 'obj', path: OBJ, program: 'callbacks' }]).slice(1) as [KernelResponse];
    if (loaded.kind !== 'obj' || !loaded.accepted) throw new Error(`kernel runner: ${JSON.stringify(loaded).slice(-1500)}`);
    const fd = (name: string): number => loaded.maps.find((m) => m.name === name)!.fd;
    for (const args of CASES) {
      const ctx = new Uint8Array(96);
      args.forEach((a, i) => new DataView(ctx.buffer).setBigUint64(8 * i, a, true));
      const requests: KernelRequest[] = [{ op: 'cpu', cpu: 0 }, { op: 'obj', path: OBJ, program: 'callbacks' }, { op: 'run', prog: { ref: 1 }, ctx, dataOut: 0, ctxOut: 0 }];
      for (const m of MAPS) requests.push({ op: 'dump', map: fd(m) });
      const all = k.exec(requests);
      const run = all[2]!;
      if (run.kind !== 'run') throw new Error(`kernel runner: ${JSON.stringify(run)}`);
      // Per-CPU values: the kernel dumps every CPU's; the runs happened on CPU 0, tsbpf's one CPU.
      const kernelMaps = all.slice(3).map((d, m) => (d.kind === 'dump' ? entries(MAPS[m] === 'pcpu' ? d.entries.map(([key, v]) => [key, v.subarray(0, 8)]) : d.entries) : [JSON.stringify(d)]));
      for (const jit of [false, true]) {
        const o = loadObject(fixture('callbacks'));
        const r0 = o.program('callbacks').runEvent({ args }, { jit }).r0;
        expect({ args, jit, r0: Number(r0 & 0xffff_ffffn) }).toEqual({ args, jit, r0: run.retval });
        const ours = MAPS.map((m) => entries(o.map(m).entries()));
        expect({ args, jit, maps: ours }).toEqual({ args, jit, maps: kernelMaps });
      }
    }
  });
});
