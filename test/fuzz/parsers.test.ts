/**
 * Fuzz targets for the text and binary parsers: the pcap / pcapng reader, the assembler (all three
 * dialects), the disassembler and the BTF parser. Every input must parse or fail with an EbpfError (never
 * another exception, a hang or unbounded growth); what parses must also hold together (a disassembly
 * reassembles to the same bytes, packets read back from a written capture are the same).
 *
 * A short run with a fixed seed is part of the normal suite. A longer one:
 *   TSBPF_FUZZ_RUNS=20000 npx vitest run test/fuzz/parsers.test.ts
 * (`TSBPF_FUZZ_SEED=n` changes the seed; a failure prints the seed and path fast-check needs to replay it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { disassemble, disassembleInsns } from '../../src/asm/disassembler.js';
import { parseBtf } from '../../src/elf/btf.js';
import { parseElf } from '../../src/elf/reader.js';
import { EbpfError } from '../../src/errors.js';
import { readPackets, writePcap } from '../../src/pcap/index.js';

const RUNS = Number(process.env['TSBPF_FUZZ_RUNS'] ?? 0) || undefined;
const SEED = Number(process.env['TSBPF_FUZZ_SEED'] ?? 20261204);
const params = (runs: number): fc.Parameters<unknown> => ({ numRuns: RUNS ?? runs, seed: SEED });
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Run `f`; an EbpfError is a clean failure, anything else is returned for the assertion to show. */
function unclean(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof EbpfError ? undefined : e;
  }
}

/** `whole` with `edits` (position modulo the length, new byte) applied, then cut to `keep` of its length. */
function mutate(whole: Uint8Array, edits: readonly [number, number][], keep: number): Uint8Array {
  const out = whole.slice();
  for (const [at, b] of edits) if (out.length > 0) out[at % out.length] = b;
  return out.subarray(0, Math.ceil(out.length * keep));
}

const mutation = fc.tuple(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 0, maxLength: 12 }),
  fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
);

describe('fuzz: pcap and pcapng reader', () => {
  const captures = [readFileSync(`${root}examples/traffic.pcap`), readFileSync(`${root}examples/traffic.pcapng`)].map((b) => new Uint8Array(b));

  it('mutated and truncated captures read or fail with an EbpfError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: captures.length - 1 }), mutation, (k, [edits, keep]) => {
        expect(unclean(() => readPackets(mutate(captures[k]!, edits, keep)))).toBeUndefined();
      }),
      params(300),
    );
  });

  it('random bytes behind a valid magic read or fail with an EbpfError', () => {
    const magics = [captures[0]!.subarray(0, 24), captures[1]!.subarray(0, 28)];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.uint8Array({ maxLength: 400 }), (k, tail) => {
        const bytes = new Uint8Array(magics[k]!.length + tail.length);
        bytes.set(magics[k]!);
        bytes.set(tail, magics[k]!.length);
        expect(unclean(() => readPackets(bytes))).toBeUndefined();
      }),
      params(300),
    );
  });

  it('written captures read back the same packets', () => {
    const packet = fc.record({
      data: fc.uint8Array({ maxLength: 200 }),
      timestamp: fc.bigInt({ min: 0n, max: 2n ** 40n }).map((t) => t * 1000n),
    });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), (packets) => {
        const back = readPackets(writePcap(packets.map((p) => ({ data: p.data, timestamp: p.timestamp }))));
        expect(back.map((p) => [...p.data])).toEqual(packets.map((p) => [...p.data]));
      }),
      params(100),
    );
  });
});

/** Pieces of assembly in every dialect, joined at random into lines. */
const ASM_PIECES = [
  'mov', 'mov32', 'add64', 'ldxw', 'stxdw', 'lddw', 'jeq', 'ja', 'call', 'exit', 'lock', 'neg', 'be16', 'le64',
  'r0', 'r1', 'w2', 'r10', 'r11', '%r3', 'if', 'goto', 'gotol', 'll', 'local', 'kfunc', 'map_fd', 'atomic_fetch_add',
  '=', '+=', 's>>=', '==', 's<', '&', '*', '(u32 *)', '(s8)', '[', ']', '(', ')', '+', '-', ',', ':', '<L1>',
  '0', '1', '-1', '0x7fffffff', '0xffffffffffffffff', '4294967296', '65536', '+3', '-32769',
  'L1', 'L1:', '#c', '; c', '// c', '.text', '.byte 0x95, 0, 0, 0, 0, 0, 0, 0', '0:', '95 00 00 00 00 00 00 00', '(b7)',
  ' ', '\t', '\n',
];

describe('fuzz: assembler', () => {
  it('token soup in every dialect assembles or fails with an AssemblyError', () => {
    const line = fc.array(fc.constantFrom(...ASM_PIECES), { maxLength: 12 }).map((p) => p.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (lines) => {
        expect(unclean(() => assemble(lines.join('\n')))).toBeUndefined();
      }),
      params(2000),
    );
  });

  it('arbitrary text assembles or fails with an AssemblyError', () => {
    // Generating these strings under vitest is slow (about 60 ms each on the shared host), hence few.
    const texts = fc.sample(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 40, unit: 'binary' })), {
      numRuns: RUNS ?? 100,
      seed: SEED,
    });
    const failures = texts.flatMap((text) => {
      const e = unclean(() => assemble(text));
      return e === undefined ? [] : [[text, String(e)]];
    });
    expect(failures).toEqual([]);
  });

  it('mutated disassemblies of valid programs assemble or fail with an AssemblyError', () => {
    const valid = assemble('mov r0, 1\nlddw r1, 0x1122334455667788\njeq r1, 3, +1\ncall 5\nr2 = *(u32 *)(r1 + 4)\nlock *(u64 *)(r10 - 8) += r2\nexit');
    const texts = [disassemble(valid), disassemble(valid, { syntax: 'llvm', showPc: true, showBytes: true, labels: true })];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 6 }), (k, edits) => {
        let text = texts[k]!;
        for (const [at, s] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + s + text.slice(i + 1);
        }
        expect(unclean(() => assemble(text))).toBeUndefined();
      }),
      params(1000),
    );
  });
});

describe('fuzz: disassembler', () => {
  it('random bytes disassemble, in every form, to text that reassembles to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 * 8 }), fc.boolean(), fc.boolean(), (raw, llvm, labels) => {
        const bytes = raw.subarray(0, raw.length - (raw.length % 8));
        const options = { syntax: llvm ? ('llvm' as const) : ('rbpf' as const), labels, showPc: labels, showBytes: llvm };
        const text = disassemble(bytes, options);
        expect(assemble(text)).toEqual(bytes);
        expect(disassembleInsns(bytes, options).map((i) => i.text).join('\n')).toBe(text.split('\n').filter((l) => !/^\w+:$/.test(l)).map((l) => l.split('\t').at(-1)).join('\n').trimEnd());
      }),
      params(1000),
    );
  });

  it('a length that is not a multiple of 8 is an ArgumentError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }).filter((b) => b.length % 8 !== 0), (bytes) => {
        expect(unclean(() => disassemble(bytes))).toBeUndefined();
        expect(() => disassemble(bytes)).toThrow(EbpfError);
      }),
      params(200),
    );
  });
});

describe('fuzz: BTF parser', () => {
  // The .BTF sections of the clang-built examples.
  const sections = ['xdp_firewall', 'tc_mark', 'socket_dns'].flatMap((name) => {
    const bytes = new Uint8Array(readFileSync(`${root}examples/${name}.o`));
    const s = parseElf(bytes).section('.BTF');
    return s === undefined ? [] : [s.data.slice()];
  });

  it('finds the BTF of the examples', () => {
    expect(sections.length).toBeGreaterThan(0);
    for (const s of sections) expect(() => parseBtf(s)).not.toThrow();
  });

  it('mutated and truncated BTF parses or fails with an EbpfError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sections.length - 1 }), mutation, (k, [edits, keep]) => {
        expect(
          unclean(() => {
            const btf = parseBtf(mutate(sections[k]!, edits, keep));
            // Resolving every type must stay clean too (cycles, bad ids, huge sizes).
            for (let id = 1; id < 300; id++) {
              try {
                btf.sizeOf(id);
              } catch (e) {
                if (!(e instanceof EbpfError)) throw e;
              }
            }
          }),
        ).toBeUndefined();
      }),
      params(150),
    );
  });
});
