/**
 * Kernel differential test (c): the legacy packet loads LD_ABS / LD_IND of 1, 2 and 4 bytes at every
 * kind of offset — inside, at and past the end of the packet, negative, the network-header base
 * SKF_NET_OFF (-0x100000) and the link-layer base SKF_LL_OFF (-0x200000) with offsets inside and past
 * the packet, just below each base, and (LD_IND) register values that are negative, large or above 32
 * bits — run in the kernel (sched_cls: the frame from its Ethernet header, as tsbpf's socket filters
 * see it) and in tsbpf's engines. A load that fails ends the program with r0 = 0; a load that works
 * is marked (B/H: | 0x10000, W: ^ 0xa5a5a5a5) so that "read a zero" and "failed" differ.
 */
import { describe, expect, it } from 'vitest';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';
import { testPackets } from './packets.js';
import { ENGINES, kernelOutcome, rawRunner, skbCtxIn, tsbpfRun } from './differential.js';
import { exit, ins, ldPacket, lddw, mov64x, prog } from './insns.js';

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;
const SKF_AD_OFF = -0x1000;

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

interface Case {
  readonly name: string;
  readonly insns: Uint8Array;
}

function loadProgram(ind: boolean, size: 1 | 2 | 4, reg: bigint, imm: number): Uint8Array {
  const mark = size === 4 ? ins(0xa7, 0, 0, 0, 0xa5a5a5a5) : ins(0x47, 0, 0, 0, 0x10000);
  return prog(mov64x(6, 1), lddw(7, reg), ldPacket(ind, size, 7, imm), mark, exit());
}

/** Offsets relative to a packet of `len` bytes whose network header is at 14. */
function absOffsets(len: number): number[] {
  const rel = [0, 1, 11, 12, 13, len - 4, len - 2, len - 1, len, len + 1];
  return [
    ...rel, -1, -4, -14, 0x7fffffff, -0x80000000, SKF_AD_OFF, SKF_AD_OFF + 4,
    ...[0, 1, 6, 9, len - 15, len - 14, len - 13, -1, 0xfffff].map((k) => SKF_NET_OFF + k),
    ...[0, 1, 12, 13, 14, len - 1, len, -1, 0xfffff].map((k) => SKF_LL_OFF + k),
  ];
}

const REGS: readonly bigint[] = [0n, 1n, 12n, 14n, -1n, -14n, 0x7fffffffn, -0x80000000n, 0x1_0000_0005n, -0x1_0000_0000n + 3n, BigInt(SKF_NET_OFF), BigInt(SKF_LL_OFF) + 13n];
const IND_IMMS: readonly number[] = [0, 2, -2, 20, SKF_NET_OFF, SKF_NET_OFF + 9, SKF_LL_OFF, SKF_LL_OFF + 12, SKF_LL_OFF - 1];

describe.skipIf(typeof oracle === 'string')('kernel differential: LD_ABS / LD_IND offsets', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;
  // Packets the kernel's skb test run takes: IPv4 and IPv6, tagged, odd lengths.
  const packets = testPackets(3).filter((p) => /^(ipv4-udp-dns|ipv6-tcp|vlan-ipv4-udp|ipv4-options|arp|random-63|random-255)\/?(host)?$/.test(p.name));
  const lengths = [...new Set(packets.map((p) => p.bytes.length))];

  const cases: Case[] = [];
  for (const size of [1, 2, 4] as const) {
    const offsets = new Set(lengths.flatMap(absOffsets));
    for (const off of offsets) cases.push({ name: `ldabs${size} ${off}`, insns: loadProgram(false, size, 0n, off) });
    for (const reg of REGS) {
      for (const imm of IND_IMMS) cases.push({ name: `ldind${size} r7=${reg} imm=${imm}`, insns: loadProgram(true, size, reg, imm) });
    }
  }

  it(`${cases.length} programs on ${packets.length} packets agree with the kernel`, () => {
    const requests: KernelRequest[] = [];
    const at: number[] = [];
    for (const c of cases) {
      at.push(requests.length);
      const load = requests.length;
      requests.push({ op: 'load', type: 'sched_cls', insns: c.insns, logLevel: 0 });
      for (const p of packets) requests.push({ op: 'run', prog: { ref: load }, data: p.bytes, ctx: skbCtxIn(p.bytes, { mark: 0, priority: 0, cb: [] }), ctxOut: 192 });
      requests.push({ op: 'close', fd: { ref: load } });
    }
    const out = k!.exec(requests);
    let compared = 0;
    const refused: string[] = [];
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const loaded = out[at[i]!]!;
      if (loaded.kind !== 'load' || !loaded.accepted) {
        refused.push(c.name);
        return;
      }
      for (const { name, engine } of ENGINES) {
        const runner = rawRunner(c.insns);
        packets.forEach((p, j) => {
          const res = out[at[i]! + 1 + j]!;
          if (res.kind !== 'run') throw new Error(`kernel run of ${c.name} failed: ${JSON.stringify(res)}`);
          const want = kernelOutcome('skb', res);
          const got = tsbpfRun(runner, 'skb', p.bytes, engine, { mark: 0, priority: 0, cb: [] });
          if (got.retval !== want.retval) mismatches.push(`${name}: ${c.name} on ${p.name} (${p.bytes.length} bytes): tsbpf ${got.retval ?? got.error}, kernel ${want.retval}`);
          compared++;
        });
      }
    });
    expect(mismatches.slice(0, 30), `${mismatches.length} differences`).toEqual([]);
    // The kernel's verifier accepts every one of these (the offsets are run-time matters).
    expect(refused).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  });
});
