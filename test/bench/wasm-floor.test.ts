/**
 * The check-free WebAssembly strcmp of bench/wasm-floor.ts (the floor the JIT's strcmp figures are read
 * against) computes what the native build of strcmp.c computes, on both inputs of both benchmarks.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { FLOOR_BENCHMARKS, floorRunner } from '../../bench/wasm-floor.js';
import { EXPECTED_PATH, inputPath } from '../../bench/suite.js';

const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { full: string; small: string }>;

describe('WebAssembly floor of strcmp', () => {
  for (const name of FLOOR_BENCHMARKS) {
    for (const size of ['small', 'full'] as const) {
      it(`${name} (${size} input) returns the native result`, () => {
        const run = floorRunner(new Uint8Array(readFileSync(inputPath(name, size))));
        expect(`0x${run().toString(16)}`).toBe(expected[name]![size]);
        expect(`0x${run().toString(16)}`).toBe(expected[name]![size]);
      });
    }
  }

  it('differs from the native result when a string is changed (the test can fail)', () => {
    const input = new Uint8Array(readFileSync(inputPath('strcmp_full', 'small')));
    const view = new DataView(input.buffer, input.byteOffset);
    const a = view.getUint32(0, true);
    input[a + 3] = input[a + 3] === 1 ? 2 : 1; // still not NUL, no longer equal to the other string
    expect(floorRunner(input)()).not.toBe(0n);
  });
});
