/**
 * bpf_skb_change_tail and bpf_skb_change_head in sk_skb runs (runSkSkb), on both engines, as
 * bpf-helpers(7) documents them (the kernel does not test-run sk_skb): flags must be 0 (-EINVAL), new
 * bytes are zero, the stream data may shrink to nothing (no Ethernet header to keep, unlike tc), growth is
 * bounded; `len` and the data the run reports follow. adjust_room and change_proto stay tc-only.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import type { KernelEnvironment } from '../../src/helpers/kernel.js';
import { skbResizeHelpers } from '../../src/helpers/skb-resize.js';
import { SocketTable } from '../../src/helpers/socket-table.js';
import { SocketMemory } from '../../src/helpers/sockets.js';
import { SockOpsSockets } from '../../src/helpers/sockopt.js';
import { VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';

/** A runner of assembled `src` with the resize helpers over one socket. */
function runnerOf(src: string): ProgramRunner {
  const memory = new VmMemory();
  const env = { memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 } as unknown as KernelEnvironment;
  const sockets = new SocketMemory(memory, new SocketTable([{ protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:5000' }]));
  return new ProgramRunner(new Program(assemble(src)), { space: RunSpace.of(memory), helpers: skbResizeHelpers(env), jitEngine: undefined, sockOps: { sockets, states: new SockOpsSockets() } });
}

/** Call helper `id` with (ctx, r2, r3); r0 = its result in the low 32 bits, skb->len in the high. */
const call = (id: number, r2: number, r3 = 0): string =>
  `r6 = r1\nr2 = ${r2}\nr3 = ${r3}\ncall ${id}\nr0 <<= 32\nr0 >>= 32\nr1 = *(u32 *)(r6 + 0)\nr1 <<= 32\nr0 |= r1\nexit`;

const DATA = new Uint8Array([1, 2, 3, 4, 5, 6]);

describe.each([false, true])('sk_skb resize helpers (jit %s)', (jit) => {
  const run = (src: string, data = DATA) => runnerOf(src).runSkSkb(data, { socket: 0, jit });
  const split = (r0: bigint): [number, number] => [Number(BigInt.asIntN(32, r0 & 0xffffffffn)), Number(r0 >> 32n)];

  it('bpf_skb_change_tail grows with zeros, shrinks, down to nothing; flags must be 0', () => {
    const grow = run(call(38, 10));
    expect(split(grow.r0)).toEqual([0, 10]);
    expect([...grow.packet]).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 0, 0]);
    const shrink = run(call(38, 2));
    expect(split(shrink.r0)).toEqual([0, 2]);
    expect([...shrink.packet]).toEqual([1, 2]);
    expect(split(run(call(38, 0)).r0)).toEqual([0, 0]);
    expect(split(run(call(38, 8, 1)).r0)).toEqual([-22, 6]);
    expect(split(run(call(38, 0x10000000)).r0)).toEqual([-22, 6]);
  });

  it('bpf_skb_change_head adds zeroed room in front; flags must be 0', () => {
    const r = run(call(43, 3));
    expect(split(r.r0)).toEqual([0, 9]);
    expect([...r.packet]).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    expect(split(run(call(43, 3, 2)).r0)).toEqual([-22, 6]);
    expect(split(run(call(43, 0x10000000)).r0)).toEqual([-22, 6]);
  });

  it('bpf_skb_adjust_room and bpf_skb_change_proto stay tc-only, with an error naming the runs that may', () => {
    expect(() => run(call(50, 4))).toThrow(/bpf_skb_adjust_room: only tc programs may call it/);
    expect(() => run(call(31, 0x86dd))).toThrow(/bpf_skb_change_proto: only tc programs may call it/);
  });
});
