/** The VM kinds' API: verifiers, program replacement, options, limits, FixedMbuff's buffer, zero-copy mbuff. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ExecutionError, MEM_START, MBUFF_START, VerifierError, assemble } from '../../src/index.js';
import { encodeProgram } from '../../src/isa/instruction.js';
import { EbpfVmFixedMbuff, EbpfVmMbuff, EbpfVmNoData, EbpfVmRaw } from '../../src/vm/vm.js';
import { Class, Mode, Size, exit, insn, mov, thrown } from './util.js';

const ret = (k: number) => encodeProgram([mov(0, k), exit()]);
const ldxdw = (dst: number, src: number, off: number) => insn(Class.LDX | Size.DW | Mode.MEM, dst, src, off, 0);

describe('verifiers', () => {
  it('the default verifier rejects a bad program in the constructor and in setProgram', () => {
    expect(() => new EbpfVmNoData(new Uint8Array(7))).toThrow(VerifierError);
    const vm = new EbpfVmNoData(ret(1));
    expect(() => vm.setProgram(new Uint8Array(0))).toThrow(expect.objectContaining({ code: ErrorCode.VERIFY }));
    expect(vm.executeProgram()).toBe(1n); // the old program stays loaded
  });

  it('setVerifier re-verifies the loaded program at once, and later programs', () => {
    const vm = new EbpfVmRaw(ret(2));
    const seen: number[] = [];
    vm.setVerifier((p) => {
      seen.push(p.length);
    });
    expect(seen).toEqual([16]);
    expect(() =>
      vm.setVerifier(() => {
        throw new VerifierError('no');
      }),
    ).toThrow(VerifierError);
    expect(() => vm.setProgram(ret(3))).toThrow(VerifierError);
  });

  it('a verifier given in the options replaces the default one', () => {
    const vm = new EbpfVmNoData(encodeProgram([insn(0xff), exit()]), { verifier: () => {} });
    expect(() => vm.executeProgram()).toThrow(expect.objectContaining({ code: ErrorCode.BAD_PROGRAM, pc: 0 }));
  });
});

describe('options and limits', () => {
  it('helpers can be given in the constructor as a record or a map', () => {
    const prog = encodeProgram([insn(0x85, 0, 0, 0, 3), exit()]);
    expect(new EbpfVmNoData(prog, { helpers: { 3: () => 7n } }).executeProgram()).toBe(7n);
    expect(new EbpfVmNoData(prog, { helpers: new Map([[3, () => 8n]]) }).executeProgram()).toBe(8n);
  });

  it('host data reaches helpers', () => {
    const vm = new EbpfVmNoData(encodeProgram([insn(0x85, 0, 0, 0, 3), exit()]), { host: { answer: 42 } });
    vm.registerHelper(3, (_1, _2, _3, _4, _5, ctx) => (ctx.host as { answer: number }).answer);
    expect(vm.executeProgram()).toBe(42n);
  });

  it('bad limits, helper ids and helpers are E_INVALID_ARGUMENT', () => {
    const vm = new EbpfVmNoData(ret(0));
    for (const bad of [{ stackSize: 12 }, { maxCallDepth: 0 }, { instructionBudget: 1.5 }, { maxTailCalls: -1 }]) {
      expect(() => vm.setLimits(bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    }
    expect(() => vm.registerHelper(-1, () => 0)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => vm.registerHelper(1, 5 as unknown as () => 0)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  it('setLimits resizes the stack', () => {
    const vm = new EbpfVmRaw(encodeProgram([insn(Class.ST | Size.DW | Mode.MEM, 10, 0, -1024, 1), mov(0, 1), exit()]));
    expect(() => vm.executeProgram()).not.toThrow(); // 512 * 8 bytes of stack
    vm.setLimits({ stackSize: 256, maxCallDepth: 2 });
    expect(() => vm.executeProgram()).toThrow(expect.objectContaining({ code: ErrorCode.OUT_OF_BOUNDS }));
    expect(vm.limits.stackSize).toBe(256);
  });
});

describe('metadata buffers', () => {
  it('FixedMbuff writes MEM_START and MEM_START + len at the offsets; setProgram changes them', () => {
    const prog = encodeProgram([ldxdw(2, 1, 0x10), ldxdw(3, 1, 0x20), insn(0x1f, 3, 2), insn(0xbf, 0, 3), exit()]);
    const vm = new EbpfVmFixedMbuff(prog, 0x10, 0x20);
    expect(vm.executeProgram(new Uint8Array(77))).toBe(77n);
    const start = encodeProgram([ldxdw(0, 1, 0x8), exit()]);
    vm.setProgram(start, 0x8, 0x30);
    expect(vm.executeProgram(new Uint8Array(5))).toBe(BigInt(MEM_START));
    expect(() => new EbpfVmFixedMbuff(prog, -1, 4)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  it('Mbuff: r1 points at the mbuff, whose stores are copied back; the zero-copy mbuff buffer works', () => {
    const prog = encodeProgram([insn(Class.ST | Size.B | Mode.MEM, 1, 0, 1, 0x33), insn(0xbf, 0, 1), exit()]);
    const vm = new EbpfVmMbuff(prog);
    const mbuff = new Uint8Array(4);
    expect(vm.executeProgram(new Uint8Array(0), mbuff)).toBe(BigInt(MBUFF_START));
    expect(mbuff[1]).toBe(0x33);
    const inPlace = vm.mbuffBuffer(4);
    expect(vm.executeProgram(new Uint8Array(0), inPlace)).toBe(BigInt(MBUFF_START));
    expect(inPlace[1]).toBe(0x33);
  });

  it('NoData passes r1 = r2 = 0', () => {
    expect(new EbpfVmNoData(encodeProgram([insn(0xbf, 0, 1), insn(0x0f, 0, 2), exit()])).executeProgram()).toBe(0n);
  });
});

describe('large and growing memory', () => {
  it('a 1 MiB input is mapped, read at its end and copied back', () => {
    const vm = new EbpfVmRaw(
      encodeProgram([insn(0xbf, 3, 1), insn(0x0f, 3, 2), insn(Class.LDX | Size.B | Mode.MEM, 0, 3, -1, 0), insn(Class.ST | Size.B | Mode.MEM, 3, 0, -2, 9), exit()]),
    );
    const big = new Uint8Array(1 << 20);
    big[big.length - 1] = 0xab;
    expect(vm.executeProgram(big)).toBe(0xabn);
    expect(big[big.length - 2]).toBe(9);
    expect(vm.executeProgram(new Uint8Array(3).fill(1))).toBe(1n);
  });
});

describe('nested runs', () => {
  // Stores 77 on the stack, calls helper 7 (which runs a program), then returns what the stack holds.
  const outer = assemble('mov64 r2, 77\nstxdw [r10-8], r2\nmov64 r1, 0\ncall 7\nldxdw r0, [r10-8]\nexit');
  const inner = assemble('mov64 r1, 99\nstxdw [r10-8], r1\nmov64 r0, 5\nexit');

  it.each([['interpreter'], ['jit']])('refuses a run of the same VM from inside its own run (%s), then runs normally again', (name) => {
    const vm = new EbpfVmRaw(outer);
    const run = (): bigint => (name === 'jit' ? vm.executeProgramJit(new Uint8Array(4)) : vm.executeProgram(new Uint8Array(4)));
    let nested = true;
    vm.registerHelper(7, () => (nested ? run() : 0n));
    if (name === 'jit') vm.jitCompile();
    const error = thrown(run);
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).code).toBe(ErrorCode.UNSUPPORTED);
    expect((error as Error).message).toMatch(/second VM/);
    nested = false;
    expect(run()).toBe(77n);
  });

  it.each([['interpreter'], ['jit']])('lets a helper run another VM, whose stack is its own (%s)', (name) => {
    const second = new EbpfVmRaw(inner);
    const vm = new EbpfVmRaw(outer);
    vm.registerHelper(7, () => (name === 'jit' ? second.executeProgramJit() : second.executeProgram()));
    if (name === 'jit') {
      second.jitCompile();
      vm.jitCompile();
    }
    expect(name === 'jit' ? vm.executeProgramJit() : vm.executeProgram()).toBe(77n);
  });
});
