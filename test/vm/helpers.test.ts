/** rbpf's helpers: rbpf's documented results, bounds checks through the VM memory, the trace sink. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BPF_KTIME_GETNS_IDX, BPF_TRACE_PRINTK_IDX, ErrorCode, MemoryAccessError, MEM_START, bpfTimeGetns, bpfTracePrintf,
  gatherBytes, memfrob, rand, setTraceSink, sqrti, strcmp, type HelperContext,
} from '../../src/index.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { Opcode, exit, insn, mov } from './util.js';
import { encodeProgram } from '../../src/isa/index.js';

const call = (id: number) => insn(Opcode.CALL, 0, 0, 0, id);
const movx = (d: number, s: number) => insn(0xbf, d, s);

function vmWith(id: number, fn: Parameters<EbpfVmRaw['registerHelper']>[1], body: ReturnType<typeof insn>[]): EbpfVmRaw {
  const vm = new EbpfVmRaw(encodeProgram([...body, call(id), exit()]));
  vm.registerHelper(id, fn);
  return vm;
}

afterEach(() => setTraceSink(() => {}));

describe('rbpf helpers', () => {
  it('have rbpf ids', () => {
    expect([BPF_KTIME_GETNS_IDX, BPF_TRACE_PRINTK_IDX]).toEqual([5, 6]);
  });

  it('gatherBytes(0x11, 0x22, 0x33, 0x44, 0x55) = 0x1122334455', () => {
    expect(gatherBytes(0x11n, 0x22n, 0x33n, 0x44n, 0x55n)).toBe(0x1122334455n);
    const vm = vmWith(0, gatherBytes, [mov(1, 0x11), mov(2, 0x22), mov(3, 0x33), mov(4, 0x44), mov(5, 0x55)]);
    expect(vm.executeProgram()).toBe(0x1122334455n);
  });

  it('sqrti is the exact integer square root', () => {
    expect(sqrti(9n)).toBe(3n);
    expect(sqrti(10n)).toBe(3n);
    expect(sqrti(0n)).toBe(0n);
    expect(sqrti(0xffffffffffffffffn)).toBe(0xffffffffn);
    expect(sqrti((1n << 52n) + 1n)).toBe(1n << 26n);
  });

  it('memfrob xors the bytes in VM memory twice back to the original (rbpf doc example)', () => {
    // mem holds the u64 0x112233; memfrob(r1 = MEM_START, 8)
    const vm = vmWith(1, memfrob, [mov(2, 8)]);
    const mem = new Uint8Array(8);
    new DataView(mem.buffer).setBigUint64(0, 0x112233n, true);
    expect(vm.executeProgram(mem)).toBe(0n);
    expect(new DataView(mem.buffer).getBigUint64(0, true)).toBe(0x2a2a2a2a2a3b0819n);
    vm.executeProgram(mem);
    expect(new DataView(mem.buffer).getBigUint64(0, true)).toBe(0x112233n);
  });

  it('memfrob past the end of a region is a MemoryAccessError at the call', () => {
    const vm = vmWith(1, memfrob, [mov(2, 9)]);
    let err: unknown;
    try {
      vm.executeProgram(new Uint8Array(8));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryAccessError);
    expect((err as MemoryAccessError).pc).toBe(1);
    expect((err as MemoryAccessError).code).toBe(ErrorCode.OUT_OF_BOUNDS);
  });

  it('strcmp compares C strings in VM memory, bounds-checked', () => {
    const text = new TextEncoder().encode('This is a string.\0This is another sting.\0abc');
    const second = 'This is a string.\0'.length;
    const vm = (a: number, b: number) => vmWith(4, strcmp, [movx(2, 1), insn(0x07, 1, 0, 0, a), insn(0x07, 2, 0, 0, b)]);
    expect(vm(0, 0).executeProgram(text.slice())).toBe(0n);
    expect(vm(0, second).executeProgram(text.slice())).not.toBe(0n);
    expect(vm(0, second).executeProgram(text.slice())).toBe(BigInt('n'.charCodeAt(0) - ' '.charCodeAt(0)));
    // 'abc' at the end has no terminator: reading past the region faults
    expect(() => vm(text.length - 3, text.length - 3).executeProgram(text.slice())).toThrow(MemoryAccessError);
    const ctx = { memory: new EbpfVmRaw().memory, pc: 0 } as unknown as HelperContext;
    expect(strcmp(0n, BigInt(MEM_START), 0n, 0n, 0n, ctx)).toBe(0xffffffffffffffffn);
  });

  it('bpfTracePrintf writes to the sink and returns the line length; the default sink is silent', () => {
    const lines: string[] = [];
    setTraceSink((l) => lines.push(l));
    expect(bpfTracePrintf(0n, 0n, 1n, 15n, 32n)).toBe(BigInt('bpf_trace_printf: 0x1, 0xf, 0x20\n'.length));
    expect(lines).toEqual(['bpf_trace_printf: 0x1, 0xf, 0x20']);
  });

  it('bpfTimeGetns is monotonic and in nanoseconds', () => {
    const a = bpfTimeGetns();
    const b = bpfTimeGetns();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(a).toBeGreaterThan(1_600_000_000_000_000_000n);
  });

  it('rand stays within [min, max]', () => {
    for (let i = 0; i < 200; i++) {
      const n = rand(3n, 6n);
      expect(n >= 3n && n <= 6n).toBe(true);
    }
    expect(typeof rand(0n, 0n)).toBe('bigint');
  });
});

describe('u64FromHalves (results and helper arguments from int32 register halves)', () => {
  it.each([0n, 1n, 1023n, 1024n, 0xffffffffn, 0x100000000n, 0x1234_5678_9abc_def0n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 5n])('gives %s back unsigned', async (v) => {
    const { u64FromHalves } = await import('../../src/vm/helper-call.js');
    const lo = Number(v & 0xffffffffn) | 0;
    const hi = Number(v >> 32n) | 0;
    expect(u64FromHalves(lo, hi)).toBe(v);
  });
});

describe('setHalves (helper results and entry registers into int32 halves)', () => {
  it.each([0n, 7n, 0xffffffffn, 0x100000000n, 0x1234_5678_9abc_def0n, (1n << 64n) - 1n, -1n, -(1n << 63n), (1n << 64n) + 3n])('stores %s modulo 2^64', async (v) => {
    const { setHalves, u64FromHalves } = await import('../../src/vm/helper-call.js');
    const r = new Int32Array(4).fill(0x55);
    setHalves(r, 2, v);
    expect([r[0], r[1]]).toEqual([0x55, 0x55]);
    expect(u64FromHalves(r[2]!, r[3]!)).toBe(BigInt.asUintN(64, v));
  });
});
