/**
 * The `__sk_buff` fields a BPF_PROG_TEST_RUN caller may set (wire_len, gso_segs, gso_size, tstamp,
 * hwtstamp) can be set for a tsbpf run too, and programs read them where the kernel puts them
 * (test/kernel/context.test.ts compares every readable field with the kernel).
 */
import { describe, expect, it } from 'vitest';
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { ErrorCode } from '../../src/errors.js';
import { SkBuff } from '../../src/context/index.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { exit, ins } from '../kernel/insns.js';

const runnerFor = (off: number, size: 4 | 8, high = false): ProgramRunner =>
  new ProgramRunner(
    new Program(new Uint8Array([...ins(size === 4 ? 0x61 : 0x79, 0, 1, off, 0), ...(high ? ins(0x77, 0, 0, 0, 32) : []), ...exit()])),
    { space: new RunSpace(new VmMemory()), helpers: new Map(), jitEngine: undefined },
  );
const packet = new Uint8Array(60);

describe('__sk_buff fields a host sets like a test run caller', () => {
  it('wire_len defaults to the length and can be set', () => {
    expect(runnerFor(SkBuff.wire_len, 4).runTc(packet)).toBe(60n);
    expect(runnerFor(SkBuff.wire_len, 4).runTc(packet, { wireLen: 1500 })).toBe(1500n);
  });
  it('gso_segs, gso_size', () => {
    expect(runnerFor(SkBuff.gso_segs, 4).runTc(packet, { gsoSegs: 3 })).toBe(3n);
    expect(runnerFor(SkBuff.gso_size, 4).runSocketFilter(packet, { gsoSize: 1400 })).toBe(1400n);
  });
  it('tstamp and hwtstamp are 64-bit', () => {
    expect(runnerFor(SkBuff.tstamp, 8).runTc(packet, { tstamp: 0x1122334455667788n, jit: true })).toBe(0x1122334455667788n);
    expect(runnerFor(SkBuff.hwtstamp, 8, true).runTc(packet, { hwtstamp: 0x99aabbccddeeff00n })).toBe(0x99aabbccn);
  });
  it('a timestamp that is not a bigint is an ArgumentError', () => {
    expect(() => runnerFor(SkBuff.tstamp, 8).runTc(packet, { tstamp: 5 as unknown as bigint })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});
