/**
 * Builds and runs the native timing drivers: each program's C source compiled with the host C
 * compiler (`$CC`, default `cc`) at -O2 and linked with driver.c, into bench/native/build/ (git-ignored).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRAMS_DIR } from '../suite.js';

const NATIVE_DIR = fileURLToPath(new URL('./', import.meta.url));
const BUILD_DIR = join(NATIVE_DIR, 'build');
const DRIVER = join(NATIVE_DIR, 'driver.c');

/** The C compiler command. */
export function compilerName(): string {
  return process.env['CC'] ?? 'cc';
}

/** The compiler's version line, or undefined when there is no compiler. */
export function compilerVersion(): string | undefined {
  try {
    return execFileSync(compilerName(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    return undefined;
  }
}

function mtime(path: string): number {
  return statSync(path).mtimeMs;
}

/**
 * Build (if out of date) the native driver for a program; returns the executable's path.
 * Throws when the compiler is missing or fails.
 */
export function buildNative(program: string): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const source = join(PROGRAMS_DIR, `${program}.c`);
  const header = join(PROGRAMS_DIR, 'bench.h');
  const exe = join(BUILD_DIR, program);
  if (existsSync(exe)) {
    const built = mtime(exe);
    if (built > mtime(source) && built > mtime(DRIVER) && built > mtime(header)) return exe;
  }
  execFileSync(compilerName(), ['-O2', '-o', exe, DRIVER, source], { stdio: ['ignore', 'ignore', 'inherit'] });
  return exe;
}

/** What a native run reports. */
export interface NativeResult {
  /** r0 of bpf_main. */
  readonly result: bigint;
  /** Nanoseconds per run in the fastest batch, when timed. */
  readonly ns?: number;
  /** Nanoseconds per run, median batch, when timed. */
  readonly medianNs?: number;
}

/** Run a native driver once (no timing), or timed for about `timeMs` milliseconds. */
export function runNative(exe: string, memFile: string, timeMs?: number): NativeResult {
  const args = timeMs === undefined ? [memFile] : [memFile, String(timeMs)];
  const out = execFileSync(exe, args, { encoding: 'utf8' });
  const result = /result=(0x[0-9a-f]+)/.exec(out);
  if (result === null) throw new Error(`unexpected output from ${exe}: ${out}`);
  const ns = /ns=([0-9.]+) median=([0-9.]+)/.exec(out);
  return ns === null ? { result: BigInt(result[1]!) } : { result: BigInt(result[1]!), ns: Number(ns[1]), medianNs: Number(ns[2]) };
}
