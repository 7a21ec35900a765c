/**
 * Bounded output (issue 16 item 4): perf event records, ring buffer records and trace_printk lines are
 * kept up to kernel-like capacities until the host drains them; what does not fit is dropped and counted,
 * and the program gets the kernel's errors. A program flooding every channel cannot grow the host.
 */
import { describe, it, expect } from 'vitest';
import { ArgumentError, ErrorCode } from '../../src/errors.js';
import { VmMemory } from '../../src/vm/memory.js';
import { DEFAULT_PERF_BUFFER_BYTES, PerfEventArrayMap } from '../../src/maps/special.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { Errno, MapType } from '../../src/maps/types.js';
import { DEFAULT_TRACE_BUFFER_BYTES, TRACE_LINE_MAX } from '../../src/helpers/index.js';
import { KernelHelper, kernelHelpers } from '../../src/helpers/kernel.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { loadObject } from '../../src/elf/index.js';
import { fixture, load, readU32, readU64 } from './fixtures.js';
import { thrown } from '../vm/util.js';

const perfSpec = (maxEntries = 0) => ({ name: 'perf', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries, flags: 0 });
/** A record's footprint in a perf buffer: 12 bytes of header and size, 8-byte aligned. */
const footprint = (len: number): number => Math.ceil((len + 12) / 8) * 8;

describe('perf event arrays', () => {
  it('keep records per CPU up to their capacity, then drop them with -ENOSPC until drained', () => {
    const m = new PerfEventArrayMap(new VmMemory({ initialPages: 1 }), perfSpec(), 2, 64);
    const rec = (n: number): Uint8Array => new Uint8Array(8).fill(n); // 24 bytes each
    expect(m.output(0, rec(1))).toBe(0);
    expect(m.output(0, rec(2))).toBe(0);
    expect(m.output(0, rec(3))).toBe(-Errno.ENOSPC); // 72 > 64
    expect(m.output(1, rec(4))).toBe(0); // CPU 1 has its own buffer
    expect(m.dropped).toBe(1);
    expect(m.drain().map((r) => [r.cpu, r.data[0]])).toEqual([[0, 1], [0, 2], [1, 4]]);
    expect(m.output(0, rec(5))).toBe(0); // drained: room again
    expect(m.output(0, new Uint8Array(64))).toBe(-Errno.ENOSPC); // larger than a whole buffer
    expect(m.dropped).toBe(2);
  });

  it('accept slots below max_entries that have a CPU (max_entries 0: one per CPU), like the kernel', () => {
    const perCpu = new PerfEventArrayMap(new VmMemory({ initialPages: 1 }), perfSpec(0), 2);
    expect(perCpu.output(1, new Uint8Array(4))).toBe(0);
    expect(perCpu.output(2, new Uint8Array(4))).toBe(-Errno.E2BIG);
    const wide = new PerfEventArrayMap(new VmMemory({ initialPages: 1 }), perfSpec(8), 2);
    expect(wide.output(5, new Uint8Array(4))).toBe(-Errno.ENOENT); // no perf buffer on CPU 5
    expect(wide.output(8, new Uint8Array(4))).toBe(-Errno.E2BIG);
    expect(wide.capacity).toBe(DEFAULT_PERF_BUFFER_BYTES);
  });

  it('hand records to the host callback instead of keeping them (the reader keeps up)', () => {
    const seen: number[] = [];
    const obj = load('percpu', { onPerfEvent: (_m, _c, data) => seen.push(readU32(data)), perfBufferBytes: 16 });
    for (let i = 0; i < 10; i++) obj.program('track').runSocketFilter(new Uint8Array(5));
    expect(seen).toHaveLength(10);
    const perf = obj.map('perf', PerfEventArrayMap);
    expect([perf.drain(), perf.dropped]).toEqual([[], 0]);
  });

  it('refuse a bad perfBufferBytes', () => {
    for (const bad of [0, 8, 1.5, -1, Number.NaN, 2 ** 31]) {
      expect(thrown(() => loadObject(fixture('percpu'), { perfBufferBytes: bad })), String(bad)).toBeInstanceOf(ArgumentError);
    }
  });
});

describe('trace_printk output', () => {
  function printk() {
    const lines: string[] = [];
    const memory = new VmMemory({ initialPages: 1 });
    const region = memory.map({ name: 'fmt', size: 4096 });
    const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: (l) => lines.push(l), now: () => 0n, random: () => 0 });
    const ctx: HelperContext = { memory, pc: 0, tailCall: () => false, host: undefined };
    const call = (fmt: string): bigint => {
      const bytes = new TextEncoder().encode(fmt);
      memory.write(BigInt(region.vaddr), bytes);
      return BigInt(helpers.get(KernelHelper.TRACE_PRINTK)!.fn(BigInt(region.vaddr), BigInt(bytes.length), 0n, 0n, 0n, ctx) as number);
    };
    return { lines, call };
  }

  it('keeps at most one kernel buffer of a line (1023 characters) and returns the whole length', () => {
    const { lines, call } = printk();
    expect(call(`${'x'.repeat(3000)}\0`)).toBe(3000n);
    expect(lines[0]).toHaveLength(TRACE_LINE_MAX);
    // The format stops at its first NUL, however long the buffer.
    expect(call(`ab\0${'y'.repeat(4000)}`)).toBe(2n);
    expect(lines[1]).toBe('ab');
  });

  it('keeps lines up to traceBufferBytes until drained, counting the rest as dropped', () => {
    const obj = load('flood', { traceBufferBytes: 1000 });
    obj.program('flood').runSocketFilter(new Uint8Array(60));
    // "flood N" lines of 7-10 characters cost 16 more each: about 40 fit in 1000 bytes.
    const kept = obj.traceLog.length;
    expect(kept).toBeGreaterThan(30);
    expect(kept).toBeLessThan(45);
    expect(obj.traceLog.reduce((n, l) => n + l.length + 16, 0)).toBeLessThanOrEqual(1000);
    expect(obj.traceDropped).toBe(2000 - kept);
    expect(obj.drainTrace()).toHaveLength(kept);
    expect(obj.traceLog).toEqual([]);
    obj.program('flood').runSocketFilter(new Uint8Array(60));
    expect(obj.traceLog.length).toBe(kept); // room again after the drain
    expect(obj.traceDropped).toBe(2 * (2000 - kept));
    expect(load('flood').traceLog).toEqual([]);
    expect(DEFAULT_TRACE_BUFFER_BYTES).toBe(1408 * 1024);
  });

  it('refuses a bad traceBufferBytes', () => {
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 31]) {
      expect(thrown(() => loadObject(fixture('flood'), { traceBufferBytes: bad })), String(bad)).toBeInstanceOf(ArgumentError);
    }
  });
});

describe('a program flooding every output channel', () => {
  for (const jit of [false, true]) {
    it(`leaves the host only what its buffers hold, and sees the kernel's errors (${jit ? 'JIT' : 'interpreter'})`, () => {
      const obj = load('flood');
      expect(obj.program('flood').runSocketFilter(new Uint8Array(60), { jit })).toBe(0n);
      const perf = obj.map('perf', PerfEventArrayMap);
      const rb = obj.map('rb', RingBufMap);
      const records = perf.drain();
      const bytes = records.reduce((n, r) => n + footprint(r.data.length), 0);
      expect(bytes).toBeLessThanOrEqual(DEFAULT_PERF_BUFFER_BYTES);
      expect(records.length).toBe(Math.floor(DEFAULT_PERF_BUFFER_BYTES / footprint(256)));
      expect(perf.dropped).toBe(2000 - records.length);
      expect(readU32(obj.readVariable('perf_failed'))).toBe(perf.dropped);
      expect(BigInt.asIntN(64, readU64(obj.readVariable('perf_err')))).toBe(BigInt(-Errno.ENOSPC));
      // The ring buffer (4096 bytes) holds 15 records of 256 + 8 bytes.
      expect(rb.drain()).toHaveLength(15);
      expect(rb.dropped).toBe(2000 - 15);
      expect(BigInt.asIntN(64, readU64(obj.readVariable('rb_err')))).toBe(BigInt(-Errno.EAGAIN));
      expect(obj.drainTrace()).toHaveLength(2000);
    });
  }

  it('stops at the budget with the buffers still bounded', () => {
    const obj = load('flood', { traceBufferBytes: 512, perfBufferBytes: 1024 });
    const e = thrown(() => obj.program('flood').runSocketFilter(new Uint8Array(60), { limits: { instructionBudget: 20_000 } }));
    expect((e as { code?: string }).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    const records = obj.map('perf', PerfEventArrayMap).drain();
    expect(records.reduce((n, r) => n + footprint(r.data.length), 0)).toBeLessThanOrEqual(1024);
    expect(obj.traceLog.reduce((n, l) => n + l.length + 16, 0)).toBeLessThanOrEqual(512);
    expect(obj.traceDropped).toBeGreaterThan(0);
  });
});
