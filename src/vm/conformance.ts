/**
 * A runner for the bpf_conformance suite's pre-assembled manifest (one JSON object per line:
 * `{name, program, mem, result, cpu_version, groups}`), reusable by every engine: pass an `execute`
 * function to run on something other than the interpreter.
 *
 * The suite's conventions: r1 = memory start, r2 = memory length (an {@link EbpfVmRaw}); helper 5 returns
 * its r1 and is the "unwind" helper (returning 0 stops the program with r0 = 0); `callx` takes the helper
 * id from its dst register.
 * @module
 */
import { ArgumentError, EbpfError } from '../errors.js';
import { EbpfVmRaw, type VmOptions } from './vm.js';
import { checkArray, checkBigInteger, checkBytes, checkFunction, checkInteger, checkObject, checkString } from '../validate.js';

/** One test of the suite. */
export interface ConformanceCase {
  /** File name of the test, e.g. `add.data`. */
  readonly name: string;
  /** Bytecode. */
  readonly program: Uint8Array;
  /** Input memory (may be empty). */
  readonly mem: Uint8Array;
  /** Expected r0. */
  readonly result: bigint;
  /** Lowest cpu version (1-4) the test needs. */
  readonly cpuVersion: number;
  /** Conformance groups (`base32`, `atomic64`, `callx`…). */
  readonly groups: readonly string[];
}

/** Outcome of one test. */
export interface ConformanceOutcome {
  /** The test. */
  readonly test: ConformanceCase;
  /** True when r0 equals the expected result. */
  readonly passed: boolean;
  /** r0, when the program returned. */
  readonly actual?: bigint;
  /** The error, when the program failed. */
  readonly error?: EbpfError;
}

/** The helper id the suite calls (`call 5`, `callx` with 5). */
export const CONFORMANCE_HELPER_ID = 5;

function hexBytes(hex: string, what: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new ArgumentError(`${what} is not hex bytes`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parse the manifest text (JSON lines; blank lines are skipped). */
export function parseConformanceManifest(text: string): ConformanceCase[] {
  return checkString(text, 'text')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new ArgumentError(`manifest line ${index + 1} is not JSON`);
      }
      const o = raw as Record<string, unknown>;
      if (typeof o['name'] !== 'string' || typeof o['program'] !== 'string' || typeof o['result'] !== 'string') {
        throw new ArgumentError(`manifest line ${index + 1} lacks name, program or result`);
      }
      return {
        name: o['name'],
        program: hexBytes(o['program'], `program of ${o['name']}`),
        mem: hexBytes(typeof o['mem'] === 'string' ? o['mem'] : '', `mem of ${o['name']}`),
        result: BigInt.asUintN(64, resultOf(o['result'], o['name'])),
        cpuVersion: typeof o['cpu_version'] === 'number' ? o['cpu_version'] : 1,
        groups: Array.isArray(o['groups']) ? o['groups'].map(String) : [],
      };
    });
}

/** A manifest's `result` (decimal or 0x hex) as a bigint. */
function resultOf(text: string, name: string): bigint {
  try {
    return BigInt(text);
  } catch {
    throw new ArgumentError(`result of ${name} is not an integer: ${text.slice(0, 40)}`);
  }
}

/** A {@link ConformanceCase}, its fields checked. */
function checkCase(value: unknown, name = 'test'): ConformanceCase {
  const t = checkObject(value, name) as ConformanceCase;
  checkString(t.name, `${name}.name`);
  checkBytes(t.program, `${name}.program`);
  checkBytes(t.mem, `${name}.mem`);
  checkBigInteger(t.result, `${name}.result`, 0n, 2n ** 64n - 1n);
  checkInteger(t.cpuVersion, `${name}.cpuVersion`, 1, 4);
  checkArray(t.groups, `${name}.groups`, 64).forEach((g, i) => checkString(g, `${name}.groups[${i}]`));
  return t;
}

/** A VM set up the way the suite expects (helper 5 registered as the unwind helper). */
export function conformanceVm(test: ConformanceCase, options: VmOptions = {}): EbpfVmRaw {
  checkCase(test);
  const vm = new EbpfVmRaw(undefined, options);
  vm.registerHelper(CONFORMANCE_HELPER_ID, (r1) => r1, { name: 'unwind', unwindOnZero: true });
  vm.setProgram(test.program);
  return vm;
}

/**
 * Run one test. `execute` runs the loaded VM on the memory (default: the interpreter); the JIT passes
 * `(vm, mem) => { vm.jitCompile(); return vm.executeProgramJit(mem); }`.
 */
export function runConformanceCase(
  test: ConformanceCase,
  execute: (vm: EbpfVmRaw, mem: Uint8Array) => bigint = (vm, mem) => vm.executeProgram(mem),
  options: VmOptions = {},
): ConformanceOutcome {
  checkCase(test);
  checkFunction(execute, 'execute');
  try {
    const vm = conformanceVm(test, options);
    const actual = execute(vm, test.mem.slice());
    return { test, passed: actual === test.result, actual };
  } catch (e) {
    if (e instanceof EbpfError) return { test, passed: false, error: e };
    throw e;
  }
}
