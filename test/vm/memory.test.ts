/**
 * The memory model as programs see it: loads and stores of every size on every region, sign-extending
 * loads, atomics, legacy packet loads, out-of-bounds and read-only errors naming pc/address/size, and
 * stores visible to the caller (copied back, or in place through the zero-copy buffers).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, MemoryAccessError, MBUFF_START, MEM_START, STACK_START, HEAP_START } from '../../src/index.js';
import { AtomicOp } from '../../src/isa/opcodes.js';
import { EbpfVmMbuff, EbpfVmRaw } from '../../src/vm/vm.js';
import { Class, Mode, Size, Source, AluOp, exit, insn, lddw, mov, run, rawVm, thrown } from './util.js';

const SIZES = [
  [Size.B, 1],
  [Size.H, 2],
  [Size.W, 4],
  [Size.DW, 8],
] as const;
const ldx = (size: number, dst: number, src: number, off: number, signed = false) =>
  insn(Class.LDX | size | (signed ? Mode.MEMSX : Mode.MEM), dst, src, off, 0);
const stx = (size: number, dst: number, src: number, off: number) => insn(Class.STX | size | Mode.MEM, dst, src, off, 0);
const st = (size: number, dst: number, off: number, imm: number) => insn(Class.ST | size | Mode.MEM, dst, 0, off, imm);

function expectAccessError(fn: () => unknown, fields: { code: string; pc: number; address: bigint; size: number; access: 'load' | 'store' }): void {
  const caught = thrown(fn);
  expect(caught).toBeInstanceOf(MemoryAccessError);
  const e = caught as MemoryAccessError;
  expect({ code: e.code, pc: e.pc, address: e.address, size: e.size, access: e.access }).toEqual(fields);
  expect(e.message).toContain(`0x${fields.address.toString(16)}`);
}

describe('loads and stores', () => {
  const mem = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a]);
  it.each(SIZES)('ldx size %i reads little-endian from mem at r1 + off', (size, bytes) => {
    const got = run([ldx(size, 0, 1, 1), exit()], mem.slice());
    let want = 0n;
    for (let i = bytes - 1; i >= 0; i--) want = (want << 8n) | BigInt(mem[1 + i]!);
    expect(got).toBe(want);
  });

  it.each(SIZES.slice(0, 3))('ldxs size %i sign-extends', (size, bytes) => {
    const got = run([ldx(size, 0, 1, 0, true), exit()], mem.slice());
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[i]!);
    expect(got).toBe(BigInt.asUintN(64, BigInt.asIntN(bytes * 8, v)));
  });

  it.each(SIZES)('stx and st of size %i round-trip through the stack and are truncated', (size, bytes) => {
    const v = 0x1122334455667788n;
    const mask = (1n << BigInt(bytes * 8)) - 1n;
    expect(run([...lddw(2, v), stx(size, 10, 2, -8), ldx(Size.DW, 0, 10, -8), exit()])).toBe(v & mask);
    expect(run([st(size, 10, -16, -2), ldx(Size.DW, 0, 10, -16), exit()])).toBe(BigInt.asUintN(64, -2n) & mask);
  });

  it('stores to mem are visible to the caller; the stack is zeroed for each run', () => {
    const data = new Uint8Array(8);
    const vm = rawVm([ldx(Size.DW, 0, 10, -8), ...lddw(2, 0x0102030405060708n), stx(Size.DW, 1, 2, 0), stx(Size.DW, 10, 2, -8), exit()]);
    expect(vm.executeProgram(data)).toBe(0n);
    expect([...data]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(vm.executeProgram(data)).toBe(0n); // the previous run's stack store is gone
  });

  it('the zero-copy buffer is used in place', () => {
    const vm = rawVm([st(Size.B, 1, 3, 0x5a), ldx(Size.B, 0, 1, 0), exit()]);
    const buf = vm.memBuffer(4);
    buf.set([9, 0, 0, 0]);
    expect(vm.executeProgram(buf)).toBe(9n);
    expect(buf[3]).toBe(0x5a);
  });

  it('r1 = MEM_START and r2 = mem length for Raw; r1 = MBUFF_START for Mbuff', () => {
    expect(run([insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 1), exit()], new Uint8Array(3))).toBe(BigInt(MEM_START));
    expect(run([insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 2), exit()], new Uint8Array(3))).toBe(3n);
    const vm = new EbpfVmMbuff(Uint8Array.from([0xbf, 0x10, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
    expect(vm.executeProgram(new Uint8Array(1), new Uint8Array(16))).toBe(BigInt(MBUFF_START));
  });
});

describe('access errors', () => {
  it('a load past the end of mem names pc, address, size and the regions', () => {
    expectAccessError(() => run([mov(0, 0), ldx(Size.W, 0, 1, 6), exit()], new Uint8Array(8)), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 1, address: BigInt(MEM_START + 6), size: 4, access: 'load',
    });
    try {
      run([ldx(Size.W, 0, 1, 6), exit()], new Uint8Array(8));
    } catch (e) {
      expect((e as Error).message).toMatch(/mem \[0x10000000, 0x10000008\)/);
      expect((e as Error).message).toMatch(/stack/);
    }
  });

  it('a store below the stack, a null pointer, a 64-bit address and a negative offset all fault', () => {
    const stackBottom = BigInt(STACK_START);
    expectAccessError(() => run([st(Size.DW, 10, -(512 * 8) - 8, 1), exit()]), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 0, address: BigInt(STACK_START + 512 * 8 - 512 * 8 - 8), size: 8, access: 'store',
    });
    expect(stackBottom).toBeGreaterThan(0n);
    expectAccessError(() => run([mov(1, 0), ldx(Size.B, 0, 1, 0), exit()]), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 1, address: 0n, size: 1, access: 'load',
    });
    expectAccessError(() => run([...lddw(1, 0x1_1000_0000n), ldx(Size.B, 0, 1, 0), exit()], new Uint8Array(4)), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 2, address: 0x1_1000_0000n, size: 1, access: 'load',
    });
    expectAccessError(() => run([ldx(Size.B, 0, 1, -1), exit()], new Uint8Array(4)), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 0, address: BigInt(MEM_START - 1), size: 1, access: 'load',
    });
  });

  it('a store to a read-only region is E_READ_ONLY; loads from it work', () => {
    const vm = rawVm([...lddw(1, BigInt(HEAP_START)), ldx(Size.W, 0, 1, 0), st(Size.W, 1, 0, 7), exit()]);
    const region = vm.memory.map({ name: 'rodata', size: 16, writable: false });
    expect(region.vaddr).toBe(HEAP_START);
    vm.memory.bytes[region.offset] = 0x2a;
    expectAccessError(() => vm.executeProgram(new Uint8Array(0)), {
      code: ErrorCode.READ_ONLY, pc: 3, address: BigInt(HEAP_START), size: 4, access: 'store',
    });
    const reader = rawVm([...lddw(1, BigInt(HEAP_START)), ldx(Size.W, 0, 1, 0), exit()]);
    const r2 = reader.memory.map({ name: 'rodata', size: 16, writable: false });
    reader.memory.bytes[r2.offset] = 0x2a;
    expect(reader.executeProgram(new Uint8Array(0))).toBe(0x2an);
  });

  it('mem stores made before a fault are still copied back', () => {
    const data = new Uint8Array(2);
    expect(() => run([st(Size.B, 1, 0, 0x77), st(Size.B, 1, 2, 0x77), exit()], data)).toThrow(MemoryAccessError);
    expect(data[0]).toBe(0x77);
  });
});

describe('atomics', () => {
  const atomic = (size: number, op: number, dst: number, src: number, off: number) => insn(Class.STX | size | Mode.ATOMIC, dst, src, off, op);
  const cases: [string, number, bigint, bigint, bigint, bigint][] = [
    // name, op, initial, operand, memory after, fetched
    ['add', AtomicOp.ADD | AtomicOp.FETCH, 0xffffffffn, 1n, 0x100000000n, 0xffffffffn],
    ['or', AtomicOp.OR | AtomicOp.FETCH, 0xf0n, 0x0fn, 0xffn, 0xf0n],
    ['and', AtomicOp.AND | AtomicOp.FETCH, 0xf0n, 0x3cn, 0x30n, 0xf0n],
    ['xor', AtomicOp.XOR | AtomicOp.FETCH, 0xf0n, 0xffn, 0x0fn, 0xf0n],
    ['xchg', AtomicOp.XCHG, 5n, 9n, 9n, 5n],
  ];
  it.each(cases)('64-bit fetch %s', (_n, op, init, operand, after, fetched) => {
    const prog = [...lddw(2, init), stx(Size.DW, 10, 2, -8), ...lddw(3, operand), atomic(Size.DW, op, 10, 3, -8),
      ldx(Size.DW, 0, 10, -8), stx(Size.DW, 1, 3, 0), exit()];
    const out = new Uint8Array(8);
    expect(run(prog, out)).toBe(after);
    expect(new DataView(out.buffer).getBigUint64(0, true)).toBe(fetched);
  });

  it('32-bit add without fetch leaves src; with fetch zero-extends', () => {
    const prog = [...lddw(2, 0xffffffffffffffffn), stx(Size.DW, 10, 2, -8), ...lddw(3, 0xaaaaaaaa00000001n),
      atomic(Size.W, AtomicOp.ADD, 10, 3, -8), ldx(Size.DW, 0, 10, -8), exit()];
    expect(run(prog)).toBe(0xffffffff00000000n);
    const fetch = [...lddw(2, 7n), stx(Size.DW, 10, 2, -8), ...lddw(3, 0xaaaaaaaa00000001n),
      atomic(Size.W, AtomicOp.ADD | AtomicOp.FETCH, 10, 3, -8), insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 3), exit()];
    expect(run(fetch)).toBe(7n);
  });

  it('cmpxchg stores only when r0 matches and always loads the old value into r0', () => {
    const prog = (r0: bigint) => [...lddw(2, 100n), stx(Size.DW, 10, 2, -8), ...lddw(0, r0), ...lddw(3, 200n),
      atomic(Size.DW, AtomicOp.CMPXCHG, 10, 3, -8), ldx(Size.DW, 4, 10, -8), stx(Size.DW, 1, 4, 0), exit()];
    const out = new Uint8Array(8);
    expect(run(prog(100n), out)).toBe(100n);
    expect(out[0]).toBe(200);
    expect(run(prog(5n), out)).toBe(100n);
    expect(out[0]).toBe(100);
  });

  it('an atomic on a bad address faults as a store', () => {
    expectAccessError(() => run([mov(1, 0), atomic(Size.W, AtomicOp.ADD, 1, 2, 0), exit()]), {
      code: ErrorCode.OUT_OF_BOUNDS, pc: 1, address: 0n, size: 4, access: 'store',
    });
  });
});

describe('legacy packet loads (LD_ABS / LD_IND)', () => {
  const ldabs = (size: number, imm: number) => insn(Class.LD | size | Mode.ABS, 0, 0, 0, imm);
  const ldind = (size: number, src: number, imm: number) => insn(Class.LD | size | Mode.IND, 0, src, 0, imm);
  const pkt = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
  it('read big-endian from mem', () => {
    expect(run([ldabs(Size.B, 1), exit()], pkt)).toBe(0x34n);
    expect(run([ldabs(Size.H, 1), exit()], pkt)).toBe(0x3456n);
    expect(run([ldabs(Size.W, 1), exit()], pkt)).toBe(0x3456789an);
    expect(run([mov(3, 2), ldind(Size.H, 3, 1), exit()], pkt)).toBe(0x789an);
  });
  it('out of range ends the program with r0 = 0', () => {
    expect(run([ldabs(Size.W, 2), mov(0, 5), exit()], pkt)).toBe(0n);
    expect(run([mov(3, -10), ldind(Size.B, 3, 1), mov(0, 5), exit()], pkt)).toBe(0n);
    expect(run([ldabs(Size.B, 0), mov(0, 5), exit()])).toBe(0n);
  });
});

describe('VM argument checks', () => {
  it('rejects non-Uint8Array memory with E_INVALID_ARGUMENT', () => {
    const vm = new EbpfVmRaw(Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => vm.executeProgram([1, 2] as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});
