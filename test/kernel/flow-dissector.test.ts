/**
 * Flow dissector runs against the kernel (6.18, as root): test/fixtures/elf/flow_dissector.c (Ethernet,
 * one VLAN tag, IPv4 with options and fragments, IPv6 with a fragment header, TCP / UDP ports) on a set of
 * frames, and small assembled programs that probe the run itself (the keys as a run starts, the offsets'
 * clamping, the verdict, bpf_skb_load_bytes, which fails with -EFAULT in a test run: no skb),
 * through tsbpf's runFlowDissector on both engines and BPF_PROG_TEST_RUN (whose data_out is the keys):
 * return values and keys byte for byte.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { loadObject } from '../../src/elf/index.js';
import { kernelHelpers } from '../../src/helpers/kernel.js';
import { VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';
import { fixture } from '../elf/fixtures.js';
import { hex, kernelOracle, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();
const O = fileURLToPath(new URL('../fixtures/elf/flow_dissector.o', import.meta.url));

/** A runner for assembled instructions with the kernel helpers (bpf_skb_load_bytes). */
function runnerOf(insns: Uint8Array): ProgramRunner {
  const memory = new VmMemory();
  const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 });
  return new ProgramRunner(new Program(insns), { space: RunSpace.of(memory), helpers, jitEngine: undefined });
}

const u16 = (x: number): number[] => [x >> 8, x & 0xff];
const eth = (type: number): number[] => [...Array<number>(12).fill(0).map((_, i) => i + 1), ...u16(type)];
const ports = (s: number, d: number): number[] => [...u16(s), ...u16(d)];
/** An IPv4 header: `ihl` words, `frag` the flags / offset field. */
const ip4 = (proto: number, frag = 0, ihl = 5): number[] => {
  const h = [0x40 | ihl, 0, 0, 20, 0, 1, ...u16(frag), 64, proto, 0, 0, 10, 0, 0, 1, 192, 168, 1, 2];
  return [...h, ...Array<number>(4 * ihl - 20).fill(1)];
};
const ip6 = (next: number): number[] => [0x60, 0x0a, 0xbc, 0xde, 0, 8, next, 64, ...Array.from({ length: 16 }, (_, i) => 0x20 + i), ...Array.from({ length: 16 }, (_, i) => 0x80 + i)];
const frag6 = (next: number, off: number): number[] => [next, 0, ...u16(off), 0, 0, 0, 7];
const pad = (b: number[], n = 64): Uint8Array => Uint8Array.from([...b, ...Array<number>(Math.max(0, n - b.length)).fill(0)]);

/** The frames: IPv4 / IPv6, TCP / UDP / ICMP, VLAN, fragments, options, truncated at each header, other EtherTypes. */
const FRAMES: [string, Uint8Array][] = [
  ['v4 tcp', pad([...eth(0x0800), ...ip4(6), ...ports(1234, 80)])],
  ['v4 udp', pad([...eth(0x0800), ...ip4(17), ...ports(53, 5353)])],
  ['v4 icmp', pad([...eth(0x0800), ...ip4(1), 8, 0])],
  ['v4 options', pad([...eth(0x0800), ...ip4(6, 0, 7), ...ports(22, 2222)])],
  ['v4 bad ihl', pad([...eth(0x0800), ...ip4(6, 0, 5)].map((b, i) => (i === 14 ? 0x43 : b)))],
  ['v4 first fragment', pad([...eth(0x0800), ...ip4(17, 0x2000), ...ports(1, 2)])],
  ['v4 later fragment', pad([...eth(0x0800), ...ip4(17, 0x0010), ...ports(1, 2)])],
  ['v4 truncated ip', Uint8Array.from([...eth(0x0800), ...ip4(6)].slice(0, 30))],
  ['v4 truncated ports', Uint8Array.from([...eth(0x0800), ...ip4(6), 1, 2])],
  ['vlan v4 udp', pad([...eth(0x8100), 0, 5, ...u16(0x0800), ...ip4(17), ...ports(4000, 4001)])],
  ['qinq-less 802.1ad v6', pad([...eth(0x88a8), 0, 5, ...u16(0x86dd), ...ip6(6), ...ports(443, 50000)], 80)],
  ['vlan truncated', Uint8Array.from([...eth(0x8100), 0])],
  ['v6 tcp', pad([...eth(0x86dd), ...ip6(6), ...ports(443, 50000)], 80)],
  ['v6 udp', pad([...eth(0x86dd), ...ip6(17), ...ports(500, 4500)], 80)],
  ['v6 first fragment', pad([...eth(0x86dd), ...ip6(44), ...frag6(17, 1), ...ports(7, 9)], 80)],
  ['v6 later fragment', pad([...eth(0x86dd), ...ip6(44), ...frag6(17, 0x0101), ...ports(7, 9)], 80)],
  ['v6 truncated', Uint8Array.from([...eth(0x86dd), ...ip6(6)].slice(0, 40))],
  ['arp', pad(eth(0x0806))],
  ['ethernet only', Uint8Array.from(eth(0x0800))],
];

/** Probes of the run itself: the keys as it starts, the clamping of nhoff / thoff, the verdict, bpf_skb_load_bytes. */
const keysPtr = 'r2 = *(u64 *)(r1 + 144)';
const PROBES: [string, string][] = [
  ['initial keys and data', `${keysPtr}\nr3 = *(u32 *)(r1 + 76)\nr4 = *(u32 *)(r1 + 80)\nr4 -= r3\n*(u32 *)(r2 + 16) = r4\nr0 = 0\nexit`],
  ...([[0, 1000], [20, 5], [30, 40], [100, 100], [65535, 65535]] as const).map(([nh, th]): [string, string] =>
    [`clamp nhoff ${nh} thoff ${th}`, `${keysPtr}\nr3 = ${nh}\n*(u16 *)(r2 + 0) = r3\nr3 = ${th}\n*(u16 *)(r2 + 2) = r3\nr0 = 0\nexit`]),
  ...[1, 2, -1, 7].map((r): [string, string] => [`verdict ${r}`, `r0 = ${r}\nexit`]),
  ...([[0, 8], [50, 10], [56, 8], [57, 8], [0, 64], [60, 4], [60, 1]] as const).map(([off, len]): [string, string] => [
    `load_bytes ${off}/${len}`,
    `r6 = r1\nr1 = -1\n*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 24) = r1\n*(u64 *)(r10 - 32) = r1\n` +
    `*(u64 *)(r10 - 40) = r1\n*(u64 *)(r10 - 48) = r1\n*(u64 *)(r10 - 56) = r1\n*(u64 *)(r10 - 64) = r1\n` +
    `r1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -64\nr4 = ${len}\ncall 26\nr2 = *(u64 *)(r6 + 144)\n` +
    `r1 = *(u64 *)(r10 - 64)\n*(u64 *)(r2 + 16) = r1\nr1 = *(u64 *)(r10 - 56)\n*(u64 *)(r2 + 24) = r1\nr1 = *(u64 *)(r10 - 8)\n*(u64 *)(r2 + 32) = r1\nexit`,
  ]),
];

describe.skipIf(reason !== undefined)('flow dissector runs: tsbpf and BPF_PROG_TEST_RUN', () => {
  it('flow_dissector.o gives the kernel\'s verdicts and keys on every frame, in both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const out = k.exec([{ op: 'obj', path: O, program: 'dissect' }, ...FRAMES.map(([, data]) => ({ op: 'run' as const, prog: { ref: 0 }, data }))]);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    const kernel = out.slice(1).map((r) => (r.kind === 'run' ? `${r.retval} ${hex(r.data)}` : JSON.stringify(r)));
    for (const jit of [false, true]) {
      const p = loadObject(fixture('flow_dissector')).program('dissect');
      const ours = FRAMES.map(([, f]) => {
        const r = p.runFlowDissector(f, { jit });
        return `${r.verdict} ${hex(r.keys)}`;
      });
      const differ = FRAMES.flatMap(([name], i) => (ours[i] === kernel[i] ? [] : [`${name} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel[i]}, tsbpf ${ours[i]}`]));
      expect(differ).toEqual([]);
    }
    // the fixture does dissect: not every frame dropped, ports and fragments seen
    const p = loadObject(fixture('flow_dissector')).program('dissect');
    expect(p.runFlowDissector(FRAMES[0]![1]).flow).toMatchObject({ ipProto: 6, sport: 1234, dport: 80, nhoff: 14, thoff: 34, addrProto: 0x0800 });
    expect(p.runFlowDissector(FRAMES[14]![1]).flow).toMatchObject({ isFrag: true, isFirstFrag: true, sport: 7, dport: 9, flowLabel: 0xabcde });
  });

  it('the run itself (initial keys, clamped offsets, verdicts, bpf_skb_load_bytes) is the kernel\'s', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const frames = [FRAMES[0]![1], FRAMES[9]![1], FRAMES[18]![1]];
    const differ: string[] = [];
    for (const [name, src] of PROBES) {
      const insns = assemble(src);
      const out = k.exec([{ op: 'load', type: 'flow_dissector', insns, logLevel: 0 }, ...frames.map((data) => ({ op: 'run' as const, prog: { ref: 0 }, data }))]);
      expect(out[0], name).toMatchObject({ kind: 'load', accepted: true });
      const kernel = out.slice(1).map((r) => (r.kind === 'run' ? `${r.retval} ${hex(r.data)}` : JSON.stringify(r)));
      for (const jit of [false, true]) {
        const p = runnerOf(insns);
        frames.forEach((f, i) => {
          const r = p.runFlowDissector(f, { jit });
          const ours = `${r.verdict} ${hex(r.keys)}`;
          if (ours !== kernel[i]) differ.push(`${name} frame ${i} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel[i]}, tsbpf ${ours}`);
        });
      }
    }
    expect(differ).toEqual([]);
  });

  it('flags pass through; frames shorter than an Ethernet header are refused, as the kernel\'s test run refuses them (EINVAL)', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const insns = assemble('r0 = 0\nexit');
    const ctx = new Uint8Array(56);
    ctx[48] = 0x07;
    const out = k.exec([{ op: 'load', type: 'flow_dissector', insns, logLevel: 0 }, { op: 'run', prog: { ref: 0 }, data: FRAMES[0]![1], ctx }, { op: 'run', prog: { ref: 0 }, data: new Uint8Array(13) }]);
    const p = runnerOf(insns);
    expect(out[1]).toMatchObject({ kind: 'run' });
    expect(out[1]!.kind === 'run' && hex(out[1]!.data)).toBe(hex(p.runFlowDissector(FRAMES[0]![1], { flags: 7 }).keys));
    expect(out[2]).toMatchObject({ kind: 'err', errno: 22 });
    expect(() => p.runFlowDissector(new Uint8Array(13))).toThrow(/at least 14 bytes/);
  });
});
