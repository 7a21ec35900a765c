/**
 * Robustness: truncated and corrupted copies of the real objects must give an EbpfError (ObjectFileError,
 * MapError, VerifierError…) or load; never another exception or a hang. Programs of corrupted objects that
 * do load are run with a small budget, and must then also fail only with EbpfErrors.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ObjectFileError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { parseBtf } from '../../src/elf/btf.js';
import { parseElf } from '../../src/elf/reader.js';
import { example, fixture, ipv4Packet } from './fixtures.js';
import { thrown } from '../vm/util.js';

const NAMES = ['xdp_counter', 'globals', 'ringbuf', 'lpm', 'tailcall', 'legacy', 'block_port', 'helpers', 'percpu', 'context', 'map_in_map'];
const OBJECTS = NAMES.map(fixture);
const LIMITS = { instructionBudget: 5000 };

/** An EbpfError that is not a wrapped JS exception (wrappers keep the original in `details.cause`). */
function clean(e: unknown): boolean {
  return e instanceof EbpfError && e.details.cause === undefined;
}

/** Load an object and every program, running each once; returns an unclean error, if any. */
function exercise(bytes: Uint8Array): unknown {
  try {
    const obj = loadObject(bytes);
    for (const p of obj.programs) {
      try {
        const prog = obj.program(p.name);
        prog.runXdp(ipv4Packet(6), { limits: LIMITS });
        prog.runSocketFilter(ipv4Packet(17), { limits: LIMITS });
      } catch (e) {
        if (!clean(e)) return e;
      }
    }
    return undefined;
  } catch (e) {
    return clean(e) ? undefined : e;
  }
}

describe('hostile ELF input', () => {
  it('every truncation of every fixture fails cleanly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: NAMES.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (k, f) => {
        const whole = OBJECTS[k]!;
        const cut = whole.slice(0, Math.floor(whole.length * f));
        expect(exercise(cut)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('byte corruptions fail cleanly or load', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: NAMES.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (k, edits) => {
          const bytes = OBJECTS[k]!.slice();
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          expect(exercise(bytes)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('corruptions of the headers and tables (where bugs hide) fail cleanly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: NAMES.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (k, edits) => {
          const bytes = OBJECTS[k]!.slice();
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
      { numRuns: 300 },
    );
  });

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
    expect((e as ObjectFileError).message).toMatch(/section xdp: executable, but its 744 bytes are not in the file/);
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
