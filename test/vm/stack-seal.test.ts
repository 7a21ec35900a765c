/**
 * Runs of a program proved to read no stack byte it has not written first skip zeroing the stack
 * earlier runs left (verifier/stack-seal, vm/stack). A run must still never see an earlier run's stack:
 * a program that reads uninitialised stack (which privileged kernel-level rules accept) or that can
 * reach the stack through a helper taking a plain address is not proved, and reads zeros after any
 * run left data, in every engine.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { analyzeFacts } from '../../src/verifier/index.js';
import { stackReadsWritten } from '../../src/verifier/stack-seal.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import { Program } from '../../src/vm/program.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { TraceEngine } from '../../src/vm/trace.js';
import { DEFAULT_LIMITS, type Engine, type RunRequest } from '../../src/vm/environment.js';

const ENGINES: [string, () => Engine][] = [
  ['interpreter', () => new Interpreter()],
  ['interpreter (JS loop)', () => new Interpreter({ wasmCore: false })],
  ['JIT', () => new JitEngine()],
  ['tracer', () => new TraceEngine(() => {})],
];

const BUILTIN = (_id: number): boolean => true;

/** The program and whether its stack reads are proved written first (kernel-level analysis, XDP, privileged). */
function proved(bytes: Uint8Array, maps: ReadonlyMap<number, MapInfo> = new Map(), builtin = BUILTIN): { program: Program; sealed: boolean } {
  const { issues, facts } = analyzeFacts(bytes, { programType: 'xdp', maps });
  expect(issues.filter((i) => i.severity !== 'warning')).toEqual([]);
  const sealed = stackReadsWritten(new Program(bytes).insns, facts, maps, builtin);
  return { program: new Program(bytes, 'p', new Map(), { stackReadsWritten: sealed }), sealed };
}

/** Writes fp-16, then reads it back. */
const WRITES_FIRST = assemble(`
  stdw [r10-16], 0x42424242
  ldxdw r0, [r10-16]
  exit`);

/** Writes fp-16 when the packet's first byte is 1, then reads it: on the other path, uninitialised. */
const READS_UNINIT = assemble(`
  ldxw r2, [r1+0]
  ldxw r3, [r1+4]
  mov r4, r2
  add r4, 1
  jgt r4, r3, +3
  ldxb r5, [r2+0]
  jne r5, 1, +1
  stdw [r10-16], 0x41414141
  ldxdw r0, [r10-16]
  exit`);

describe('stack reads proved written first', () => {
  it('proves a program that writes before it reads, not one that reads uninitialised stack on some path', () => {
    expect(proved(WRITES_FIRST).sealed).toBe(true);
    const uninit = analyzeFacts(READS_UNINIT, { programType: 'xdp' });
    expect(uninit.issues).toEqual([]); // privileged rules accept the read...
    expect(uninit.facts.uninitStackReads).toEqual([8]); // ...which the facts record
    expect(proved(READS_UNINIT).sealed).toBe(false);
  });

  it('does not prove a program calling a helper that reads a plain address, or a helper the host replaced', () => {
    const stackAddress = 0x0200_0000 + 4096 - 8;
    // bpf_probe_read_kernel(fp-16, 8, <the stack's address as a number>): the helper reads the stack.
    const probe = assemble(`
      mov r1, r10
      add r1, -16
      mov r2, 8
      mov r3, ${stackAddress}
      call 113
      mov r0, 0
      exit`);
    const facts = analyzeFacts(probe, { programType: 'xdp' });
    expect(stackReadsWritten(new Program(probe).insns, facts.facts, new Map(), BUILTIN)).toBe(false);
    // A built-in helper without memory (bpf_ktime_get_ns) proves, unless the host replaced it.
    const clock = assemble(`
      call 5
      exit`);
    expect(proved(clock).sealed).toBe(true);
    expect(proved(clock, new Map(), (id) => id !== 5).sealed).toBe(false);
  });

  it('proves bpf_trace_printk with a read-only format without %s, not with %s (it reads a plain address)', () => {
    const format = (text: string): ReadonlyMap<number, MapInfo> => {
      const frozen = new Uint8Array(16);
      frozen.set(new TextEncoder().encode(text));
      return new Map([[7, { type: 2, keySize: 4, valueSize: 16, maxEntries: 1, readOnly: true, frozen }]]);
    };
    // r1 = the format (map value 7 + 0), r2 = 16, r3 = the stack's address as a number.
    const printk = new Uint8Array([
      ...[0x18, 0x21, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ...assemble(`
        mov r2, 16
        mov r3, ${0x0200_0000 + 4096 - 8}
        call 6
        mov r0, 0
        exit`),
    ]);
    expect(proved(printk, format('x %d y %x\n')).sealed).toBe(true);
    expect(proved(printk, format('x %%d %-8s\n')).sealed).toBe(false);
    expect(proved(printk, format('%s')).sealed).toBe(false);
    expect(proved(printk, format('%ld %')).sealed).toBe(false);
  });

  for (const [name, make] of ENGINES) {
    it(`${name}: what a proved program leaves on the stack stays unseen by the others`, () => {
      const space = new RunSpace(new VmMemory());
      const runner = (p: Program): ProgramRunner => new ProgramRunner(p, { space, helpers: new Map(), jitEngine: undefined });
      const writer = proved(WRITES_FIRST);
      expect(writer.sealed).toBe(true);
      const reader = proved(READS_UNINIT);
      const w = runner(writer.program).session('xdp', { engine: make() });
      const r = runner(reader.program).session('xdp', { engine: make() });
      const one = new Uint8Array([1, 0, 0, 0]);
      const zero = new Uint8Array([0, 0, 0, 0]);
      for (let round = 0; round < 3; round++) {
        expect(r.run(one, 0, 4)).toBe(0x41414141n);
        expect(r.run(zero, 0, 4)).toBe(0n);
        for (let k = 0; k < 3; k++) expect(w.run(zero, 0, 4)).toBe(0x42424242n);
        // The writer's runs zeroed nothing: its bytes are still there, yet the reader sees zeros.
        expect(space.memory.load(BigInt(STACK_START + 4096 - 16), 8)).toBe(0x42424242n);
        expect(r.run(zero, 0, 4)).toBe(0n);
        expect(runner(reader.program).runXdp(zero, { engine: make() }).r0).toBe(0n);
      }
    });

    it(`${name}: prepared runs of a proved program and a reader, alternating on one memory, keep the reader blind`, () => {
      // Engine.prepare's steady path (the JIT starts the stack inside its module when the stack is as the
      // last start left it): the writer's runs must still lower the stack mark over what they write.
      const memory = new VmMemory();
      const stackBytes = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
      memory.map({ name: 'stack', size: stackBytes, vaddr: STACK_START });
      const ctx = memory.map({ name: 'ctx', size: 8 });
      const packet = memory.map({ name: 'packet', size: 4 });
      memory.store(BigInt(ctx.vaddr), 4, BigInt(packet.vaddr));
      memory.store(BigInt(ctx.vaddr + 4), 4, BigInt(packet.vaddr + 4));
      const request = (program: Program): RunRequest => ({
        program,
        memory,
        stackTop: STACK_START + stackBytes,
        r1: BigInt(ctx.vaddr),
        r2: 0n,
        helpers: new Map(),
        limits: DEFAULT_LIMITS,
      });
      const engine = make();
      const start = (req: RunRequest): (() => bigint) => engine.prepare?.(req) ?? (() => engine.run(req));
      const w = start(request(proved(WRITES_FIRST).program));
      const r = start(request(proved(READS_UNINIT).program));
      // A reader storing nothing through r10 (its starting mark is the stack's end), reading what the writer wrote.
      const blind = proved(assemble(`
        mov r6, r10
        ldxdw r0, [r6-16]
        exit`));
      expect(blind.sealed).toBe(false);
      const b = start(request(blind.program));
      for (let round = 0; round < 3; round++) {
        memory.store(BigInt(packet.vaddr), 1, 1n);
        expect(r()).toBe(0x41414141n);
        memory.store(BigInt(packet.vaddr), 1, 0n);
        expect(r()).toBe(0n);
        expect(b()).toBe(0n);
        for (let k = 0; k < 3; k++) expect(w()).toBe(0x42424242n);
        expect(r()).toBe(0n);
        expect(w()).toBe(0x42424242n);
        expect(b()).toBe(0n);
      }
    });
  }
});
