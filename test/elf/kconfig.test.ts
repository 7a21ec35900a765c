/**
 * Kconfig externs (fixture kconfig.c): the modelled kernel's values, weak externs it lacks (0), a
 * strong one it lacks (only the program reading it is refused, naming it), host overrides of every
 * extern type through the API and the CLI, values that do not fit, and the map being read-only.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ObjectFileError } from '../../src/errors.js';
import { KCONFIG_DEFAULTS, kernelVersion } from '../../src/elf/kconfig.js';
import type { LoadOptions } from '../../src/elf/loader.js';
import { load } from './fixtures.js';
import { cli } from '../cli/helpers.js';

const FIELDS = ['kernel_version', 'has_cookie', 'unknown_virtual', 'bpf_syscall', 'hz', 'tristate', 'boolean', 'chr', 'ushort', 'sint', 'ulong', 'missing'] as const;

/** Run read_all and decode what it saw. */
function seen(options: LoadOptions = {}): { action: number } & Record<(typeof FIELDS)[number], bigint> & { str: string } {
  const obj = load('kconfig', options);
  const { action } = obj.program('read_all').runXdp(new Uint8Array(64));
  const b = obj.readVariable('seen');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Record<string, bigint> = {};
  FIELDS.forEach((f, i) => (out[f] = v.getBigInt64(8 * i, true)));
  const raw = b.subarray(8 * FIELDS.length, 8 * FIELDS.length + 8);
  return { action, ...(out as Record<(typeof FIELDS)[number], bigint>), str: Buffer.from(raw).toString('hex') };
}

describe('Kconfig externs', () => {
  it('resolve to the modelled kernel, and weak externs it lacks to 0', () => {
    expect(seen()).toEqual({
      action: 2,
      kernel_version: BigInt(kernelVersion(6, 18, 0)),
      has_cookie: 0n,
      unknown_virtual: 0n,
      bpf_syscall: 1n,
      hz: 250n,
      tristate: 0n,
      boolean: 0n,
      chr: 0n,
      ushort: 0n,
      sint: 0n,
      ulong: 0n,
      missing: 0n,
      str: '0000000000000000',
    });
    expect(KCONFIG_DEFAULTS.LINUX_KERNEL_VERSION).toBe(0x061200);
  });

  it('take the host values of every extern type', () => {
    const s = seen({
      kconfig: {
        LINUX_KERNEL_VERSION: kernelVersion(5, 4, 300),
        CONFIG_HZ: '0x3e8',
        CONFIG_TRISTATE: 'm',
        CONFIG_BOOL: true,
        CONFIG_CHAR: 'y',
        CONFIG_USHORT: 65535,
        CONFIG_INT: -5,
        CONFIG_ULONG: 0xffff_ffff_ffff_fffen,
        CONFIG_STR: '"abcdefghij"',
        UNRELATED: 'y',
      },
    });
    expect(s).toMatchObject({ action: 1, kernel_version: 0x0504ffn, hz: 1000n, tristate: 2n, boolean: 1n, chr: 0x79n, ushort: 65535n, sint: -5n, ulong: -2n });
    // A string is cut to the array's size less its NUL.
    expect(s.str).toBe(Buffer.from('abcdefg\0').toString('hex'));
    expect(seen({ kconfig: { CONFIG_CHAR: -3, CONFIG_BOOL: 'n', CONFIG_TRISTATE: 'y' } })).toMatchObject({ chr: -3n, boolean: 0n, tristate: 1n });
  });

  it('refuse only the program that reads a strong extern with no value, naming it; a host value makes it load', () => {
    const obj = load('kconfig');
    expect(() => obj.program('needs_strong')).toThrow(ObjectFileError);
    expect(() => obj.program('needs_strong')).toThrow(/Kconfig extern CONFIG_TSBPF_STRONG has no value.*--kconfig CONFIG_TSBPF_STRONG=VALUE/);
    expect(obj.program('no_externs').runXdp(new Uint8Array(64)).action).toBe(2);
    expect(load('kconfig', { kconfig: { CONFIG_TSBPF_STRONG: 3 } }).program('needs_strong').runXdp(new Uint8Array(64)).action).toBe(3);
  });

  it('refuse host values that do not fit the extern, with ArgumentError naming it', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ CONFIG_BOOL: 'm' }, /kconfig.CONFIG_BOOL: a bool takes y or n/],
      [{ CONFIG_TRISTATE: 3 }, /kconfig.CONFIG_TRISTATE: a tristate takes y, n or m/],
      [{ CONFIG_USHORT: 65536 }, /kconfig.CONFIG_USHORT: 65536 does not fit 2 unsigned bytes/],
      [{ CONFIG_INT: 'abc' }, /kconfig.CONFIG_INT: an integer extern takes a number/],
      [{ CONFIG_CHAR: 256 }, /kconfig.CONFIG_CHAR: 256 does not fit/],
      [{ CONFIG_STR: 5 }, /kconfig.CONFIG_STR: a char array takes a string/],
      [{ CONFIG_HZ: 1.5 }, /kconfig.CONFIG_HZ must be/],
      [{ CONFIG_HZ: {} }, /kconfig.CONFIG_HZ must be/],
      [{ 'bad name': 1 }, /is not a Kconfig name/],
    ];
    for (const [kconfig, re] of bad) {
      expect(() => load('kconfig', { kconfig: kconfig as LoadOptions['kconfig'] })).toThrow(ArgumentError);
      expect(() => load('kconfig', { kconfig: kconfig as LoadOptions['kconfig'] })).toThrow(re);
    }
    expect(() => load('kconfig', { kconfig: [] as unknown as LoadOptions['kconfig'] })).toThrow(/kconfig must be an object/);
  });

  it('live in a .kconfig map programs cannot write', () => {
    // verify: 'warn': the kernel refuses the store into .kconfig at load; the engines' run-time fault is tested here
    const obj = load('kconfig', { verify: 'warn' });
    expect(obj.map('.kconfig').spec.valueSize).toBeGreaterThanOrEqual(48);
    expect(() => obj.program('write_kconfig').runXdp(new Uint8Array(64))).toThrow(/store to read-only region map:.kconfig/);
    expect(() => obj.program('write_kconfig').runXdp(new Uint8Array(64), { jit: true })).toThrow(/read-only|out-of-bounds/);
  });

  it('a kernel symbol (__ksym) the host does not provide is a clear link error for the program that uses one', () => {
    expect(() => load('kconfig').program('uses_ksym')).toThrow(/kernel symbol bpf_prog_active \(__ksym\) is not provided: pass its address or bytes with the ksyms option/);
    // verify: 'warn': the kernel-level analysis does not model __ksym variables yet (it sees the address as a number)
    expect(load('kconfig', { ksyms: { bpf_prog_active: Uint8Array.of(5, 0, 0, 0) }, verify: 'warn' }).program('uses_ksym').runXdp(new Uint8Array(64)).r0).toBe(5n);
  });
});

describe('tsbpf run --kconfig', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const O = `${root}test/fixtures/elf/kconfig.o`;
  it('passes values to the loader and reports bad ones as one-line errors', async () => {
    const pkt = '00'.repeat(64);
    expect((await cli(['run', O, '--program', 'needs_strong', '--packet-hex', pkt])).err).toMatch(/CONFIG_TSBPF_STRONG has no value/);
    const ok = await cli(['run', O, '--program', 'needs_strong', '--packet-hex', pkt, '--kconfig', 'CONFIG_TSBPF_STRONG=3', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ r0Decimal: '3', verdict: 'XDP_TX' });
    const old = await cli(['run', O, '--program', 'read_all', '--packet-hex', pkt, '--kconfig', 'LINUX_KERNEL_VERSION=0x050400', '--json']);
    expect(JSON.parse(old.out)).toMatchObject({ verdict: 'XDP_DROP' });
    const bad = await cli(['run', O, '--program', 'read_all', '--packet-hex', pkt, '--kconfig', 'CONFIG_BOOL=m']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/CONFIG_BOOL: a bool takes y or n/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    expect((await cli(['run', O, '--kconfig', 'nonsense'])).err).toMatch(/--kconfig nonsense: expected NAME=VALUE/);
  });
});
