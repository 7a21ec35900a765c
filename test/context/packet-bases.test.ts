/**
 * LD_ABS / LD_IND with the kernel's negative bases in socket filter and tc runs: SKF_LL_OFF
 * (-0x200000) counts from the frame's start, SKF_NET_OFF (-0x100000) from the network header after
 * the 14-byte Ethernet header (issue 16 item 13: LD_IND with SKF_LL_OFF returned 0). The expected
 * values are what the kernel returned for the same programs and packet (test/kernel/ld-abs.test.ts
 * checks every offset kind against the live kernel where it can).
 */
import { describe, expect, it } from 'vitest';
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { TraceEngine } from '../../src/vm/trace.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { exit, ldPacket, lddw, mov64x, prog } from '../kernel/insns.js';

const NET = -0x100000;
const LL = -0x200000;
// Ethernet (dst 00.., src 02:..:01, IPv4) + IPv4 header (0x45, tos 0, total 0x0028, ...).
const FRAME = Uint8Array.from([0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06]);

const load = (ind: boolean, size: 1 | 2 | 4, reg: bigint, imm: number): Uint8Array => prog(mov64x(6, 1), lddw(7, reg), ldPacket(ind, size, 7, imm), exit());

const CASES: [string, Uint8Array, bigint][] = [
  ['ldabsh SKF_LL_OFF+12 (ethertype)', load(false, 2, 0n, LL + 12), 0x0800n],
  ['ldabsb SKF_NET_OFF (version/ihl)', load(false, 1, 0n, NET), 0x45n],
  ['ldabsh SKF_NET_OFF+2 (total length)', load(false, 2, 0n, NET + 2), 0x28n],
  ['ldindb r7=12 SKF_LL_OFF', load(true, 1, 12n, LL), 0x08n],
  ['ldindw r7=-2 SKF_NET_OFF+4 (length, id)', load(true, 4, -2n, NET + 4), 0x00281234n],
  ['ldindb r7=0x1_0000_000d SKF_LL_OFF (low 32 bits of the register)', load(true, 1, 0x1_0000_000dn, LL), 0x00n],
  ['ldindh r7=SKF_LL_OFF imm 6', load(true, 2, BigInt(LL), 6), 0x0200n],
  ['ldabsb SKF_LL_OFF+len (past the end)', load(false, 1, 0n, LL + FRAME.length), 0n],
  ['ldabsb SKF_NET_OFF+len-14 (past the end)', load(false, 1, 0n, NET + FRAME.length - 14), 0n],
  ['ldabsb SKF_LL_OFF-1 (below both bases)', load(false, 1, 0n, LL - 1), 0n],
  ['ldabsb -1 (SKF_NET_OFF + 0xfffff)', load(false, 1, 0n, -1), 0n],
];

const ENGINES = [new Interpreter(), new Interpreter({ wasmCore: false }), new JitEngine(), new TraceEngine(() => {})];

describe('LD_ABS / LD_IND from the link-layer and network headers (SKF_LL_OFF, SKF_NET_OFF)', () => {
  for (const [name, insns, want] of CASES) {
    it(name, () => {
      const runner = new ProgramRunner(new Program(insns), { space: new RunSpace(new VmMemory()), helpers: new Map(), jitEngine: undefined });
      for (const engine of ENGINES) {
        expect(runner.runSocketFilter(FRAME, { engine }), engine.constructor.name).toBe(want);
        expect(runner.runTc(FRAME, { engine }), engine.constructor.name).toBe(want);
      }
    });
  }

  it('a raw VM has no link layer: those bases end the program with r0 = 0', () => {
    const vm = new EbpfVmRaw(load(false, 1, 0n, LL + 1), { verifier: () => {} });
    expect(vm.executeProgram(FRAME.slice())).toBe(0n);
    vm.setProgram(load(true, 1, 1n, NET));
    expect(vm.executeProgram(FRAME.slice())).toBe(0n);
  });
});
