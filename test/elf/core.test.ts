/**
 * CO-RE relocations (fixture core.c, compiled against its own layouts): against the object's own BTF
 * (the default) and against core_target.c's BTF (another layout of the same types: fields moved,
 * narrowed, removed, other enum values). The expected values are read from the packet at the offsets
 * `bpftool btf dump` gives for each layout, not from tsbpf's BTF code.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { parseElf } from '../../src/elf/reader.js';
import { fixture, load } from './fixtures.js';

const PACKET = new Uint8Array(256).map((_, i) => (i * 37 + 11) & 0xff);
const v = new DataView(PACKET.buffer);
const u32 = (at: number): number => v.getUint32(at, true);
const signedBits = (x: number, bits: number): number => (x << (32 - bits)) >> (32 - bits);

/** Offsets of each layout (bpftool btf dump file core.o / core_target.o). */
const LOCAL = { x: 0, y: 8, ySize: 8, b: 20, arr2: 32, c: 42, bf2: [40, 3], sbf: [41, 0, 4], thing: 48, inner: 8 } as const;
const TARGET = { x: 60, y: 56, ySize: 4, b: 16, arr2: 32, c: 0, bf2: [0, 15], sbf: [0, 23, 6], thing: 64, inner: 16 } as const;

function expectedFields(l: typeof LOCAL | typeof TARGET, gone: boolean): bigint[] {
  const y = l.ySize === 8 ? v.getBigUint64(l.y, true) : BigInt(u32(l.y));
  const bf2 = (u32(l.bf2[0]) >>> l.bf2[1]) & 31;
  const sbf = signedBits(u32(l.sbf[0]) >>> l.sbf[1], l.sbf[2]);
  return [
    BigInt(v.getInt32(l.x, true)), BigInt.asIntN(64, y), BigInt(v.getInt16(l.b, true)), BigInt(v.getInt32(l.arr2, true)), BigInt(v.getInt8(l.c)),
    BigInt(l.y), BigInt(l.ySize), gone ? 1n : 0n, 1n, 0n, BigInt(bf2), BigInt(sbf),
  ];
}

function run(program: string, targetBtf?: Uint8Array, jit = false): bigint[] {
  const obj = load('core', targetBtf === undefined ? {} : { targetBtf });
  const out = obj.program(program).runXdp(PACKET, { jit }).packet;
  const o = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return [...Array(12).keys()].map((i) => o.getBigInt64(128 + 8 * i, true));
}

describe('CO-RE relocations', () => {
  for (const jit of [false, true]) {
    it(`against the object's own BTF: the layouts it was compiled for (${jit ? 'JIT' : 'interpreter'})`, () => {
      expect(run('fields', undefined, jit)).toEqual(expectedFields(LOCAL, true));
      expect(run('types', undefined, jit).slice(0, 11)).toEqual([1n, 1n, 48n, 8n, 1n, 7n, 0n, 1n, 1n, 4n, 1n]);
      expect(run('guarded', undefined, jit)[0]).toBe(BigInt(v.getInt32(44, true)));
    });

    it(`against another layout: moved, narrowed, missing fields, bitfields, sizes, enum values (${jit ? 'JIT' : 'interpreter'})`, () => {
      const target = fixture('core_target');
      expect(run('fields', target, jit)).toEqual(expectedFields(TARGET, false));
      // A missing type's size and target id are 0 (libbpf's values), not a poisoned instruction.
      expect(run('types', target, jit).slice(0, 11)).toEqual([1n, 0n, 64n, 16n, 0n, 70n, 0n, 1n, 1n, 0n, 0n]);
      // The idiom: a field read only behind bpf_core_field_exists loads and takes the other branch.
      expect(run('guarded', target, jit)[0]).toBe(-1n);
    });
  }

  it('fails a read of a field the target lacks when the program reaches it, naming the field; warnings list it at load', () => {
    // verify: 'warn': the poisoned relocation is reachable, which the kernel (and tsbpf's kernel level) refuses at load; the run-time fault is tested here
    const obj = load('core', { targetBtf: fixture('core_target'), verify: 'warn' });
    expect(obj.warnings.filter((w) => w.startsWith('CO-RE'))).toEqual([
      expect.stringMatching(/^CO-RE relocation at xdp\+\d+ \(field byte offset of struct thing.gone\) cannot be resolved: the target BTF has no such field$/),
      expect.stringMatching(/^CO-RE relocation at xdp\+\d+ \(field byte offset of struct thing.gone\) cannot be resolved/),
    ]);
    for (const jit of [false, true]) {
      let err: unknown;
      try {
        obj.program('unguarded').runXdp(PACKET, { jit });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EbpfError);
      expect((err as EbpfError).code).toBe('E_HELPER');
      expect(String((err as Error).message)).toMatch(/CO-RE relocation at xdp\+\d+ \(field byte offset of struct thing.gone\) cannot be resolved/);
    }
    // Against its own BTF there is nothing to report.
    expect(load('core').warnings.filter((w) => w.startsWith('CO-RE'))).toEqual([]);
  });

  it('takes the target as raw BTF or as an ELF file, and refuses malformed BTF with ArgumentError', () => {
    const elf = fixture('core_target');
    const raw = load('core_target').section('.BTF')!;
    expect(run('types', raw)).toEqual(run('types', elf));
    expect(() => load('core', { targetBtf: new Uint8Array(40) })).toThrow(ArgumentError);
    expect(() => load('core', { targetBtf: new Uint8Array(40) })).toThrow(/targetBtf: BTF: bad magic number/);
    expect(() => load('core', { targetBtf: fixture('xdp_counter').subarray(0, 64) })).toThrow(ArgumentError);
    expect(() => load('core', { targetBtf: 'vmlinux' as unknown as Uint8Array })).toThrow(/targetBtf/);
    // An object without CO-RE relocations does not read the target at all (but still checks its type).
    expect(load('xdp_counter', { targetBtf: new Uint8Array(8) }).programs.length).toBeGreaterThan(0);
  });

  it('poisons a relocation whose instruction does not hold the local value', () => {
    // Corrupt the immediate of bpf_core_type_size(struct thing) (48) in the section's code: the
    // relocation no longer matches its instruction.
    const bytes = fixture('core');
    const xdp = parseElf(bytes).section('xdp')!;
    const code = bytes.slice();
    const view = new DataView(code.buffer);
    let patched = 0;
    for (let i = xdp.data.byteOffset; i + 8 <= xdp.data.byteOffset + xdp.size; i += 8) {
      if (code[i] === 0xb7 && view.getInt32(i + 4, true) === 48) {
        view.setInt32(i + 4, 47, true);
        patched++;
      }
    }
    expect(patched).toBe(1);
    // verify: 'warn': the kernel refuses the poisoned, reachable instruction at load; the run-time fault is tested here
    const bad = loadObject(code, { verify: 'warn' });
    expect(bad.warnings.some((w) => /type size of struct thing\) cannot be resolved: the instruction's immediate is 47, not the local value 48/.test(w))).toBe(true);
    expect(() => bad.program('types').runXdp(PACKET)).toThrow(/type size of struct thing/);
  });
});


describe('tsbpf run / inspect --btf', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const O = `${root}test/fixtures/elf/core.o`;
  const T = `${root}test/fixtures/elf/core_target.o`;
  it('relocates against the file given, and reports a reached unresolved relocation as a one-line error', async () => {
    const { cli } = await import('../cli/helpers.js');
    const hex = Buffer.from(PACKET).toString('hex');
    const own = JSON.parse((await cli(['run', O, '--program', 'types', '--packet-hex', hex, '--json'])).out);
    const other = JSON.parse((await cli(['run', O, '--program', 'types', '--packet-hex', hex, '--json', '--btf', T])).out);
    // bpf_core_type_size(struct thing) is the 3rd value at byte 128 + 16.
    expect(own.packet.hex.slice(2 * 144, 2 * 145)).toBe('30');
    expect(other.packet.hex.slice(2 * 144, 2 * 145)).toBe('40');
    // --verify warn: the kernel refuses the poisoned, reachable instruction at load; the run-time error is tested here
    const bad = await cli(['run', O, '--program', 'unguarded', '--packet-hex', hex, '--btf', T, '--verify', 'warn']);
    expect(bad.code).not.toBe(0);
    expect(bad.err + bad.out).toMatch(/CO-RE relocation at xdp\+\d+ \(field byte offset of struct thing.gone\) cannot be resolved/);
    expect((await cli(['run', O, '--btf', `${root}nope.btf`])).err).toMatch(/nope.btf/);
  });
});
