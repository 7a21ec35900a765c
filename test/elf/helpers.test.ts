/** Kernel helpers called directly: printk formats, probe_read fault semantics, errors naming the helper. */
import { describe, it, expect } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { KernelHelper, kernelHelperName, kernelHelpers } from '../../src/helpers/kernel.js';
import { formatTracePrintk } from '../../src/helpers/kernel-printk.js';
import { Errno } from '../../src/maps/types.js';

function setup() {
  const memory = new VmMemory({ initialPages: 1 });
  const region = memory.map({ name: 'scratch', size: 64 });
  const lines: string[] = [];
  const helpers = kernelHelpers({
    memory,
    mapByHandle: () => undefined,
    ringBuffers: () => [],
    cpu: 3,
    trace: (l) => lines.push(l),
    now: () => 42n,
    random: () => 0xdeadbeef,
  });
  const ctx: HelperContext = { memory, pc: 7, tailCall: () => false, host: undefined };
  const call = (id: number, ...a: bigint[]): bigint => {
    const r = helpers.get(id)!.fn(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n, ctx);
    return typeof r === 'bigint' ? r : BigInt(r ?? 0);
  };
  return { memory, base: BigInt(region.vaddr), lines, call };
}

describe('trace_printk', () => {
  it('formats the kernel subset of printf', () => {
    const m = new VmMemory({ initialPages: 1 });
    const r = m.map({ name: 's', size: 8 });
    m.write(BigInt(r.vaddr), new TextEncoder().encode('abc\0'));
    expect(formatTracePrintk('%d %i %u %x', [0xffffffffn, 5n, 0xffffffffn, 255n], m)).toBe('-1 5 4294967295 ff');
    expect(formatTracePrintk('%lld %llu %llx', [0xffffffffffffffffn, 0xffffffffffffffffn, 0x1234n], m)).toBe('-1 18446744073709551615 1234');
    expect(formatTracePrintk('%p %s %c %%', [0x10n, BigInt(r.vaddr), 65n], m)).toBe('0x10 abc A %');
    expect(formatTracePrintk('[%5d|%-3u|%04x]', [42n, 7n, 0xabn], m)).toBe('[   42|7  |00ab]');
    expect(formatTracePrintk('%s', [0x999n], m)).toBe('(fault)');
    expect(formatTracePrintk('%d %d %d %d', [1n, 2n, 3n], m)).toBe('1 2 3 %d');
  });

  it('sends one line to the sink and returns its length', () => {
    const { memory, base, lines, call } = setup();
    memory.write(base, new TextEncoder().encode('x=%d\n\0'));
    expect(call(KernelHelper.TRACE_PRINTK, base, 6n, 9n)).toBe(4n);
    expect(lines).toEqual(['x=9']);
  });

  it('returns the length in UTF-8 bytes, as the kernel counts what it wrote', () => {
    for (const text of ['é', '€!', '\u{1f600}', 'aé€\u{1f600}\n']) {
      const { memory, base, call } = setup();
      const bytes = new TextEncoder().encode(`${text}\0`);
      memory.write(base, bytes);
      expect(call(KernelHelper.TRACE_PRINTK, base, BigInt(bytes.length))).toBe(BigInt(bytes.length - 1));
    }
  });
});

describe('probe_read', () => {
  it('copies, or zero-fills the destination and returns -EFAULT on a fault', () => {
    const { memory, base, call } = setup();
    memory.write(base, new Uint8Array([1, 2, 3, 4]));
    expect(call(KernelHelper.PROBE_READ_KERNEL, base + 16n, 4n, base)).toBe(0n);
    expect([...memory.read(base + 16n, 4)]).toEqual([1, 2, 3, 4]);
    expect(call(KernelHelper.PROBE_READ_USER, base + 16n, 4n, 0x1234n)).toBe(BigInt.asUintN(64, BigInt(-Errno.EFAULT)));
    expect([...memory.read(base + 16n, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('probe_read_str copies a NUL-terminated string and returns its length with the NUL', () => {
    const { memory, base, call } = setup();
    memory.write(base, new TextEncoder().encode('hello\0'));
    expect(call(KernelHelper.PROBE_READ_KERNEL_STR, base + 32n, 4n, base)).toBe(4n);
    expect(new TextDecoder().decode(memory.read(base + 32n, 4))).toBe('hel\0');
  });

  it('a bad destination is a memory error, not silent', () => {
    const { base, call } = setup();
    expect(() => call(KernelHelper.PROBE_READ, 0x10n, 4n, base)).toThrow(expect.objectContaining({ code: 'E_OUT_OF_BOUNDS' }));
  });
});

describe('misc helpers', () => {
  it('time, random, cpu', () => {
    const { call } = setup();
    expect(call(KernelHelper.KTIME_GET_NS)).toBe(42n);
    expect(call(KernelHelper.KTIME_GET_BOOT_NS)).toBe(42n);
    expect(call(KernelHelper.GET_PRANDOM_U32)).toBe(0xdeadbeefn);
    expect(call(KernelHelper.GET_SMP_PROCESSOR_ID)).toBe(3n);
  });

  it('csum_diff refuses sizes that are not multiples of 4', () => {
    const { base, call } = setup();
    expect(call(KernelHelper.CSUM_DIFF, 0n, 0n, base, 3n, 0n)).toBe(BigInt.asUintN(64, BigInt(-Errno.EINVAL)));
  });

  it('csum_diff replacing word 1 by word 2 gives ~1 + 2 with end-around carry = 1', () => {
    const { memory, base, call } = setup();
    memory.write(base, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]));
    expect(call(KernelHelper.CSUM_DIFF, base, 4n, base + 4n, 4n, 0n)).toBe(1n);
  });

  it('a map argument that is not a map names the helper', () => {
    const { base, call } = setup();
    expect(() => call(KernelHelper.MAP_LOOKUP_ELEM, 0x77n, base)).toThrow(/bpf_map_lookup_elem: argument 0x77 is not a map/);
    expect(() => call(KernelHelper.XDP_ADJUST_HEAD, 0n, 4n)).toThrow(/only XDP programs/);
  });

  it('knows every kernel helper name', () => {
    expect(kernelHelperName(1)).toBe('bpf_map_lookup_elem');
    expect(kernelHelperName(131)).toBe('bpf_ringbuf_reserve');
    expect(kernelHelperName(100000)).toBe('unknown');
  });
});
