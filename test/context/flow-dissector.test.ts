/**
 * runFlowDissector without the kernel (test/kernel/flow-dissector.test.ts compares it with one): the
 * fixture's keys decoded, the keys' initial state and bounds, the flags, and bad input refused.
 */
import { describe, expect, it } from 'vitest';
import { EbpfError, ErrorCode } from '../../src/errors.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { FLOW_KEYS_SIZE } from '../../src/context/index.js';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';
import { fixture } from '../elf/fixtures.js';

const runner = (src: string): ProgramRunner => new ProgramRunner(new Program(assemble(src)), { space: new RunSpace(new VmMemory()), helpers: new Map(), jitEngine: undefined });

/** Ethernet + IPv4 (10.0.0.1 -> 192.168.1.2) + UDP 53 -> 5353, padded to 64 bytes. */
const v4udp = (): Uint8Array => {
  const f = new Uint8Array(64);
  f.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 192, 168, 1, 2, 0, 53, 0x14, 0xe9], 12);
  return f;
};

describe('runFlowDissector', () => {
  it('runs flow_dissector.o on both engines and decodes its keys', () => {
    for (const jit of [false, true]) {
      const r = loadObject(fixture('flow_dissector')).program('dissect').runFlowDissector(v4udp(), { jit });
      expect(r.verdict).toBe(0);
      expect(r.keys.length).toBe(FLOW_KEYS_SIZE);
      expect(r.flow).toMatchObject({ nhoff: 14, thoff: 34, addrProto: 0x0800, ipProto: 17, nProto: 0x0800, sport: 53, dport: 5353, isFrag: false });
      expect([...r.flow.src, ...r.flow.dst]).toEqual([10, 0, 0, 1, 192, 168, 1, 2]);
    }
  });

  it('starts from zeroed keys with nhoff, thoff, n_proto and flags set, and clamps the offsets after the run', () => {
    const r = runner('r0 = 2\nexit').runFlowDissector(v4udp(), { flags: 5 });
    expect(r.verdict).toBe(2);
    expect(r.flow).toMatchObject({ nhoff: 14, thoff: 14, nProto: 0x0800, flags: 5, ipProto: 0, sport: 0 });
    const c = runner('r2 = *(u64 *)(r1 + 144)\nr3 = 9000\n*(u16 *)(r2 + 0) = r3\nr3 = 3\n*(u16 *)(r2 + 2) = r3\nr0 = 0\nexit').runFlowDissector(v4udp());
    expect([c.flow.nhoff, c.flow.thoff]).toEqual([64, 64]);
  });

  it('keeps a program inside the 56 bytes of its keys and refuses bad input', () => {
    for (const jit of [false, true]) {
      expect(() => runner('r2 = *(u64 *)(r1 + 144)\nr3 = 1\n*(u64 *)(r2 + 56) = r3\nr0 = 0\nexit').runFlowDissector(v4udp(), { jit })).toThrow(EbpfError);
    }
    const p = runner('r0 = 0\nexit');
    expect(() => p.runFlowDissector(new Uint8Array(13))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => p.runFlowDissector(v4udp(), { flags: -1 })).toThrow(/options.flags/);
    expect(() => p.runFlowDissector('x' as unknown as Uint8Array)).toThrow(EbpfError);
  });
});
