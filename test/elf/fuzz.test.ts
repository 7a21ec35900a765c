/**
 * Robustness: truncated and corrupted copies of the real objects (the examples and every fixture) must
 * give an EbpfError (ObjectFileError, MapError, VerifierError…) or load; never another exception or a
 * hang. Every program of a corrupted object that loads is linked (`obj.program`) and run on both engines
 * with a small budget, and must then also fail only with EbpfErrors.
 *
 * The properties run with a fixed seed and a bounded number of cases. A longer run (see docs/testing.md, Fuzzing):
 * `TSBPF_FUZZ_RUNS=20000 npx vitest run test/elf/fuzz.test.ts`, with `TSBPF_FUZZ_SEED=n` for other inputs.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ObjectFileError } from '../../src/errors.js';
import { loadObject, type ProgramType } from '../../src/elf/index.js';
import type { ProgramRunner } from '../../src/context/runner.js';
import { parseBtf } from '../../src/elf/btf.js';
import { parseElf } from '../../src/elf/reader.js';
import { example, fixture, ipv4Packet } from './fixtures.js';
import { thrown } from '../vm/util.js';

const NAMES = ['xdp_counter', 'globals', 'ringbuf', 'lpm', 'tailcall', 'legacy', 'block_port', 'helpers', 'percpu', 'context', 'map_in_map'];
const OBJECTS = NAMES.map(fixture);
/** Every real object: the fixtures above, the other fixtures and the examples. */
const ALL_OBJECTS = [
  ...OBJECTS,
  ...['rodata_abuse', 'unknown_helper', 'flood'].map(fixture),
  ...['xdp_firewall', 'socket_dns', 'tc_mark'].map(example),
];
const LIMITS = { instructionBudget: 5000 };

/** Cases per property: the CI count, or TSBPF_FUZZ_RUNS for a longer run. */
const LONG_RUNS = Number(process.env['TSBPF_FUZZ_RUNS'] ?? 0);
/** fast-check parameters: a fixed seed (TSBPF_FUZZ_SEED to change it) and `ci` cases unless told otherwise. */
function params(ci: number): { seed: number; numRuns: number } {
  return { seed: Number(process.env['TSBPF_FUZZ_SEED'] ?? 16), numRuns: LONG_RUNS > 0 ? LONG_RUNS : ci };
}
/** No time limit on a long run. */
const TIMEOUT = LONG_RUNS > 0 ? 0 : undefined;

/** An EbpfError that is not a wrapped JS exception (wrappers keep the original in `details.cause`). */
function clean(e: unknown): boolean {
  return e instanceof EbpfError && e.details.cause === undefined;
}

/** Run a program with the context of its type, then (anything may have been corrupted) as XDP and raw. */
function runAll(prog: ProgramRunner, type: ProgramType, jit: boolean): unknown {
  const options = { limits: LIMITS, jit };
  const runs: (() => unknown)[] = [
    () => (type === 'socket' ? prog.runSocketFilter(ipv4Packet(17), options) : type === 'tc' ? prog.runTc(ipv4Packet(17), options) : prog.runXdp(ipv4Packet(6), options)),
    () => prog.run(new Uint8Array(16), { ...options, mem: ipv4Packet(6) }),
  ];
  for (const r of runs) {
    try {
      r();
    } catch (e) {
      if (!clean(e)) return e;
    }
  }
  return undefined;
}

/** Load an object, link every program and run each on both engines; returns an unclean error, if any. */
function exercise(bytes: Uint8Array): unknown {
  try {
    const obj = loadObject(bytes);
    for (const p of obj.programs) {
      let prog: ProgramRunner;
      try {
        prog = obj.program(p.name);
      } catch (e) {
        if (!clean(e)) return e;
        continue;
      }
      const bad = runAll(prog, p.type, false) ?? runAll(prog, p.type, true);
      if (bad !== undefined) return bad;
    }
    return undefined;
  } catch (e) {
    return clean(e) ? undefined : e;
  }
}

describe('hostile ELF input', () => {
  it('every truncation of every fixture fails cleanly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ALL_OBJECTS.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (k, f) => {
        const whole = ALL_OBJECTS[k]!;
        const cut = whole.slice(0, Math.floor(whole.length * f));
        expect(exercise(cut)).toBeUndefined();
      }),
      params(150),
    );
  }, TIMEOUT);

  it('byte corruptions fail cleanly or load', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL_OBJECTS.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (k, edits) => {
          const bytes = ALL_OBJECTS[k]!.slice();
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          expect(exercise(bytes)).toBeUndefined();
        },
      ),
      params(300),
    );
  }, TIMEOUT);

  it('one changed byte anywhere in a real object fails cleanly or loads, links and runs', () => {
    // Issue 16 item 8 was a single byte (a section type) of examples/xdp_firewall.o.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL_OBJECTS.length - 1 }),
        fc.nat(),
        fc.constantFrom(0, 1, 2, 4, 8, 0x7f, 0x80, 0xff, 0x10, 0x20),
        (k, at, v) => {
          const bytes = ALL_OBJECTS[k]!.slice();
          bytes[at % bytes.length] = v;
          expect(exercise(bytes)).toBeUndefined();
        },
      ),
      params(300),
    );
  }, TIMEOUT);

  it('corruptions of the headers and tables (where bugs hide) fail cleanly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL_OBJECTS.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (k, edits) => {
          const bytes = ALL_OBJECTS[k]!.slice();
          const elf = parseElf(bytes);
          const btf = elf.section('.BTF')!;
          // Aim at the ELF header, the section header table, .symtab and .BTF's header and types.
          const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true));
          const symtab = elf.sections.find((s) => s.type === 2)!;
          const targets = [
            [0, 64],
            [shoff, bytes.length - shoff],
            [symtab.data.byteOffset, symtab.size],
            [btf.data.byteOffset, Math.min(btf.size, 512)],
          ] as const;
          for (const [at, v] of edits) {
            const [start, len] = targets[at % targets.length]!;
            bytes[start + (Math.floor(at / targets.length) % len)] = v;
          }
          expect(exercise(bytes)).toBeUndefined();
        },
      ),
      params(300),
    );
  }, TIMEOUT);

  it('gives specific messages for non-BPF, 32-bit and big-endian files', () => {
    const obj = fixture('globals');
    expect(() => loadObject(new Uint8Array(10))).toThrow(/shorter than an ELF64 header/);
    expect(() => loadObject(new TextEncoder().encode('#!/bin/sh\n'.repeat(10)))).toThrow(/bad magic/);
    const be = obj.slice();
    be[5] = 2;
    expect(() => loadObject(be)).toThrow(/big-endian/);
    const c32 = obj.slice();
    c32[4] = 1;
    expect(() => loadObject(c32)).toThrow(/64-bit/);
    const x86 = obj.slice();
    x86[18] = 62;
    expect(() => loadObject(x86)).toThrow(/machine is 62, not BPF/);
    const err = (() => {
      try {
        loadObject(obj.slice(0, 2000));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ObjectFileError);
    expect((err as ObjectFileError).code).toBe('E_ELF');
  });

  it('rejects cyclic BTF with E_BTF instead of recursing forever', () => {
    // Two typedefs pointing at each other; sizeOf must stop.
    const strings = new Uint8Array([0, 0x61, 0]);
    const types = new Uint8Array(24);
    const tv = new DataView(types.buffer);
    tv.setUint32(0, 1, true); // name "a"
    tv.setUint32(4, 8 << 24, true); // TYPEDEF
    tv.setUint32(8, 2, true); // -> type 2
    tv.setUint32(12, 1, true);
    tv.setUint32(16, 8 << 24, true);
    tv.setUint32(20, 1, true); // -> type 1
    const btf = new Uint8Array(24 + types.length + strings.length);
    const v = new DataView(btf.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true);
    v.setUint32(20, strings.length, true);
    btf.set(types, 24);
    btf.set(strings, 24 + types.length);
    const parsed = parseBtf(btf);
    expect(() => parsed.sizeOf(1)).toThrow(expect.objectContaining({ code: 'E_BTF' }));
  });

  it('an executable section whose type was changed to one without file bytes is E_ELF, not a TypeError from linking', () => {
    // Issue 16 item 8: this one-byte change to examples/xdp_firewall.o made obj.program() throw a TypeError.
    const bytes = example('xdp_firewall');
    const elf = parseElf(bytes);
    const xdp = elf.sections.find((s) => s.name === 'xdp')!;
    const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true));
    bytes[shoff + xdp.index * 64 + 4] = 0; // sh_type: PROGBITS -> NULL
    const e = thrown(() => loadObject(bytes).program('xdp_firewall'));
    expect(e).toBeInstanceOf(ObjectFileError);
    expect((e as ObjectFileError).code).toBe('E_ELF');
    expect((e as ObjectFileError).message).toMatch(/section xdp: executable, but its 864 bytes are not in the file/);
  });

  it('names an unsupported relocation type', () => {
    const bytes = fixture('globals');
    const elf = parseElf(bytes);
    const rel = elf.sections.find((s) => s.name === '.reltc')!;
    // r_info of the first relocation: low 32 bits are the type.
    new DataView(bytes.buffer, rel.data.byteOffset).setUint32(8, 7, true);
    expect(() => loadObject(bytes).program('calc')).toThrow(/relocation type 7 on an lddw; expected R_BPF_64_64/);
  });
});
