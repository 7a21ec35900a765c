/**
 * Keeps the benchmark suite honest: the committed inputs are what bench/inputs.ts generates, the
 * committed objects hold a bpf_main the ELF loader accepts, and every program, run once on the
 * interpreter and once on the JIT with its small input, returns what the native build of the same C
 * source printed (expected.json).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { BENCHMARKS, EXPECTED_PATH, inputPath, objectPath } from '../../bench/suite.js';
import { makeInput } from '../../bench/inputs.js';
import { loadBenchProgram } from '../../bench/object.js';
import { Class, Opcode } from '../../src/isa/index.js';
import { loadEngines, type BenchEngine } from '../../bench/engines.js';

const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { full: string; small: string }>;

describe('benchmark inputs', () => {
  for (const bench of BENCHMARKS) {
    it(`${bench.name}: committed .mem files equal the generator's output`, () => {
      for (const size of ['small', 'full'] as const) {
        const committed = new Uint8Array(readFileSync(inputPath(bench.name, size)));
        expect(committed.length).toBe(makeInput(bench.name, size).length);
        expect(Buffer.compare(committed, makeInput(bench.name, size))).toBe(0);
      }
    });
  }
});

describe('benchmark objects', () => {
  for (const program of new Set(BENCHMARKS.map((b) => b.program))) {
    it(`${program}.o: bpf_main loads, has an exit and ends in a jump`, () => {
      const bytes = loadBenchProgram(objectPath(program));
      expect(bytes.length % 8).toBe(0);
      expect(bytes.length).toBeGreaterThan(8);
      const opcodes = Array.from({ length: bytes.length / 8 }, (_, pc) => bytes[pc * 8]!);
      expect(opcodes).toContain(Opcode.EXIT);
      expect(opcodes[opcodes.length - 1]! & 0x07).toBe(Class.JMP);
    });
  }
});

for (const engineName of ['interpreter', 'jit'] as const) {
  describe(`benchmark programs on the ${engineName} (small inputs)`, () => {
    // The same adapter the runner uses (EbpfVmRaw.executeProgram / jitCompile + executeProgramJit).
    // A missing engine fails the test rather than skipping it.
    let engine: BenchEngine;
    beforeAll(async () => {
      const load = (await loadEngines())[engineName];
      if ('missing' in load) throw new Error(`${engineName} not available: ${load.missing}`);
      engine = load.engine;
    });
    for (const bench of BENCHMARKS) {
      it(`${bench.name} returns the native result ${expected[bench.name]?.small}`, () => {
        const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
        const run = engine.prepare(loadBenchProgram(objectPath(bench.program))).bind(mem, 'copy');
        expect(run()).toBe(BigInt(expected[bench.name]!.small));
      });
    }
  });
}
