/**
 * The benchmark suite: which program runs on which input. A program (bench/programs/NAME.c, built to
 * NAME.o) may serve several benchmarks with different inputs (strcmp: fail early and full length).
 * @module
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Folder of the programs, their objects, inputs and expected results. */
export const PROGRAMS_DIR = fileURLToPath(new URL('./programs/', import.meta.url));

/** One benchmark: a program and an input. */
export interface Benchmark {
  /** Name shown in the table and matched by `--filter`. */
  readonly name: string;
  /** Base name of the program: bench/programs/PROGRAM.c and PROGRAM.o. */
  readonly program: string;
  /** What it exercises, for the documentation. */
  readonly about: string;
  /**
   * True when a run is so short that it measures the cost of calling into the VM (copying `mem` in and
   * out, setting up a run) rather than executing code; the runner reports a second geomean without them.
   */
  readonly callOverhead?: boolean;
  /**
   * True when both engines run the program's hot loop as one bulk copy (a counted copy loop: see
   * docs/architecture.md), so its time says nothing of their speed per instruction; the runner reports
   * a third geomean without them.
   */
  readonly bulkCopy?: boolean;
}

/** The suite, in table order. */
export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'prime', program: 'prime', about: 'count primes below 10^4 by trial division (64-bit mod)' },
  { name: 'log2_int', program: 'log2_int', about: 'floor(log2) of 16384 u64 by binary search (branches)' },
  { name: 'memcpy', program: 'memcpy', about: 'copy 1 MiB, 8 bytes at a time', bulkCopy: true },
  { name: 'strcmp_fail', program: 'strcmp', about: 'strcmp of 1 KiB strings differing at byte 10 (call overhead)', callOverhead: true },
  { name: 'strcmp_full', program: 'strcmp', about: 'strcmp of two equal 16 KiB strings (byte loads)' },
  { name: 'switch', program: 'switch', about: 'dense 64-case switch over 16384 bytes' },
  { name: 'fnv1a', program: 'fnv1a', about: 'FNV-1a 64 over 64 KiB' },
  { name: 'crc32', program: 'crc32', about: 'bitwise CRC-32 over 8 KiB' },
  { name: 'hash64', program: 'hash64', about: 'multiply-rotate 64-bit hash over 64 KiB' },
  { name: 'sort', program: 'sort', about: 'shell sort of 2000 u32 (copied to scratch first)' },
  { name: 'arith64', program: 'arith64', about: '64-bit mul / div / mod / shifts, 20000 rounds' },
  { name: 'div32', program: 'div32', about: '32-bit div / mod, 50000 rounds' },
];

/** Input size: the benchmark input, or the small one the unit test runs. */
export type InputSize = 'full' | 'small';

/** Path of a benchmark's input file. */
export function inputPath(name: string, size: InputSize): string {
  return join(PROGRAMS_DIR, size === 'full' ? `${name}.mem` : `${name}.small.mem`);
}

/** Path of a program's BPF object. */
export function objectPath(program: string): string {
  return join(PROGRAMS_DIR, `${program}.o`);
}

/** Path of the expected results: `{ [benchmark]: { full: "0x…", small: "0x…" } }`, r0 in hex. */
export const EXPECTED_PATH = join(PROGRAMS_DIR, 'expected.json');
