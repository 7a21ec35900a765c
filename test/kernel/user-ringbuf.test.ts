/**
 * User ring buffers against the kernel: test/fixtures/elf/user_ringbuf.c's `drain` (an XDP program whose
 * callback adds up each sample's first 8 bytes and stops at 0xdead) run through BPF_PROG_TEST_RUN after
 * samples written by libbpf's user_ring_buffer producer, and in tsbpf (both engines) after the same
 * samples submitted with UserRingBufMap.submit: the same drain results, sums, callback counts and
 * bpf_dynptr_data results, for an empty ring, a drain stopped by the callback, a bad flag and the wakeup
 * flags. BPF_MAP_CREATE of user ring buffers with each map_flags bit is in sk-storage.test.ts's table.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import type { UserRingBufMap } from '../../src/maps/user-ringbuf.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();

const O = fileURLToPath(new URL('../fixtures/elf/user_ringbuf.o', import.meta.url));
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
/** Steps: a sample to write, or a drain with these flags. */
const STEPS: readonly ({ sample: Uint8Array } | { flags: number })[] = [
  { flags: 0 },
  { sample: u64(1n) }, { sample: u64(2n) }, { sample: new Uint8Array([9, 9, 9, 9]) }, { sample: u64(0xdeadn) }, { sample: u64(5n) },
  { sample: new Uint8Array(24).fill(1) },
  { flags: 0 }, { flags: 4 }, { flags: 1 }, { flags: 2 }, { flags: 0 },
];
const packet = (flags: number): Uint8Array => {
  const d = new Uint8Array(40);
  d[0] = flags;
  return d;
};
const show = (d: Uint8Array): string => {
  const v = new DataView(d.buffer, d.byteOffset, d.length);
  return `drain ${v.getBigInt64(8, true)} sum ${v.getBigUint64(16, true)} calls ${v.getBigUint64(24, true)} data NULL ${v.getBigUint64(32, true)}`;
};

describe.skipIf(reason !== undefined)('user ring buffers: tsbpf and the kernel', () => {
  it('bpf_user_ringbuf_drain gives the kernel results on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [first] = k.exec([{ op: 'obj', path: O, program: 'drain' }]);
    if (first?.kind !== 'obj' || !first.accepted) throw new Error(`the kernel refused user_ringbuf.o: ${JSON.stringify(first)}`);
    const fd = first.maps.find((m) => m.name === 'samples')!.fd;
    const requests: KernelRequest[] = [{ op: 'obj', path: O, program: 'drain' }];
    for (const s of STEPS) requests.push('sample' in s ? { op: 'usample', map: fd, bytes: s.sample } : { op: 'run', prog: { ref: 0 }, data: packet(s.flags) });
    const out = k.exec(requests).slice(1);
    const kernel = out.map((r) => (r.kind === 'run' ? show(r.data) : r.kind));
    expect(kernel.filter((r) => r !== 'ok')).toHaveLength(6);
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('user_ringbuf'));
      const ring = obj.map('samples') as UserRingBufMap;
      const prog = obj.program('drain');
      const ours = STEPS.map((s) => {
        if ('sample' in s) {
          ring.submit(s.sample);
          return 'ok';
        }
        return show(prog.runXdp(packet(s.flags), { jit }).packet);
      });
      expect(ours, jit ? 'JIT' : 'interpreter').toEqual(kernel);
    }
  });
});
