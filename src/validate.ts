/**
 * Checks for the arguments of public entry points. JavaScript callers get no type checking, so every
 * function and constructor exported from the package root checks what it is given, once, at the
 * boundary, with these checkers: a wrong value is an {@link ArgumentError} that names the argument,
 * shows the value and says what is allowed, never a `TypeError` from deep inside (or a hang).
 * @module
 */
import { ArgumentError } from './errors.js';
import type { RunLimits } from './vm/environment.js';

/** A short, printable description of any value, for messages (`undefined`, `1.5`, `'abc'`, `1n`, `an array`…). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`.length > 40 ? 'a bigint' : `${value}n`;
    case 'boolean':
      return String(value);
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : `'${value}'`;
    case 'symbol':
      return 'a Symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
}

/** The {@link ArgumentError} for `name` holding `value` where `allowed` was expected. */
export function argumentError(name: string, allowed: string, value: unknown): ArgumentError {
  return new ArgumentError(`${name} must be ${allowed}, not ${describeValue(value)}`);
}

function fail(name: string, allowed: string, value: unknown): never {
  throw argumentError(name, allowed, value);
}

/** An integer (a `number`) from `min` to `max`. */
export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** {@link checkInteger}, or `undefined`. */
export function checkOptionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  return value === undefined ? undefined : checkInteger(value, name, min, max);
}

/** A 32-bit field value given as a number: anything from -2^31 to 2^32-1 (stored modulo 2^32). */
export function checkU32Field(value: unknown, name: string): number | undefined {
  return checkOptionalInteger(value, name, -0x8000_0000, 0xffff_ffff);
}

/** A `Uint8Array` (a Node `Buffer` is one). */
export function checkBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(name, 'a Uint8Array', value);
  return value;
}

/** {@link checkBytes}, or `undefined`. */
export function checkOptionalBytes(value: unknown, name: string): Uint8Array | undefined {
  return value === undefined ? undefined : checkBytes(value, name);
}

/** A non-null object that is not an array (a record of fields; its fields are checked by the caller). */
export function checkObject(value: unknown, name: string): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  return value;
}

/** An array of at most `maxLength` elements (its elements are checked by the caller). */
export function checkArray<T = unknown>(value: unknown, name: string, maxLength = 0xffff_ffff): readonly T[] {
  if (!Array.isArray(value)) fail(name, 'an array', value);
  if (value.length > maxLength) fail(name, `an array of at most ${maxLength} elements`, value);
  return value as readonly T[];
}

/** Something `for…of` can iterate (an array, a generator, a `Set`…). */
export function checkIterable<T>(value: unknown, name: string): Iterable<T> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof (value as Iterable<T>)[Symbol.iterator] !== 'function') {
    fail(name, 'an iterable (an array, for instance)', value);
  }
  return value as Iterable<T>;
}

/** An instance of `type` (`what` names it in the message, default the class's name). */
export function checkInstance<T>(value: unknown, type: abstract new (...args: never[]) => T, name: string, what = `a ${type.name}`): T {
  if (!(value instanceof type)) fail(name, what, value);
  return value;
}

/** A string. */
export function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string') fail(name, 'a string', value);
  return value;
}

/** A function. */
export function checkFunction<F extends (...args: never[]) => unknown>(value: unknown, name: string): F {
  if (typeof value !== 'function') fail(name, 'a function', value);
  return value as F;
}

/** {@link checkFunction}, or `undefined`. */
export function checkOptionalFunction<F extends (...args: never[]) => unknown>(value: unknown, name: string): F | undefined {
  return value === undefined ? undefined : checkFunction<F>(value, name);
}

/** `true`, `false` or `undefined`. */
export function checkOptionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail(name, 'true or false', value);
  return value;
}

/** One of `allowed` (compared with `===`). */
export function checkOneOf<T>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(name, `one of ${allowed.map((a) => describeValue(a)).join(', ')}`, value);
  return value as T;
}

/** One of `allowed` (compared with `===`), or `undefined`. */
export function checkOptionalOneOf<T>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value !== undefined && !allowed.includes(value as T)) {
    fail(name, `one of ${allowed.map((a) => describeValue(a)).join(', ')}`, value);
  }
  return value as T | undefined;
}

/** A `bigint` or an integer `number` from `min` to `max` (inclusive, as bigints), returned as a bigint. */
export function checkBigInteger(value: unknown, name: string, min: bigint, max: bigint): bigint {
  const v = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (v === undefined || v < min || v > max) fail(name, `an integer (bigint or safe number) from ${min} to ${max}`, value);
  return v;
}

/** A `bigint` from 0 to 2^64-1 (a 64-bit value at the API: numbers are refused, as they lose bits). */
export function checkU64(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > 0xffff_ffff_ffff_ffffn) fail(name, 'a bigint from 0 to 2^64-1', value);
  return value;
}

/** {@link checkU64}, or `undefined`. */
export function checkOptionalU64(value: unknown, name: string): bigint | undefined {
  return value === undefined ? undefined : checkU64(value, name);
}

/**
 * An options object: `undefined` (then `{}`) or a non-null, non-array object. Its fields are checked by
 * the caller; this only makes sure reading them cannot throw a `TypeError`.
 */
export function checkOptions<T extends object>(value: T | undefined, name: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    fail(name, 'an options object', value);
  }
  return value;
}

/** Largest call depth and stack size a run may ask for (the stack is `stackSize × maxCallDepth` bytes). */
const MAX_CALL_DEPTH = 64;
const MAX_STACK_SIZE = 1 << 20;

/**
 * `limits` (some fields of {@link RunLimits}, or `undefined`) over `base`, every field checked:
 * `instructionBudget` an integer from 1 to 2^53-1 (not `NaN` or `Infinity`: a budget that never runs
 * out would let a loop run forever), `maxCallDepth` 1 to 64, `stackSize` a multiple of 8 from 8 to
 * 1 MiB, `maxTailCalls` 0 to 2^53-1. Returns `base` itself when `limits` changes nothing.
 */
export function resolveLimits(limits: unknown, base: RunLimits, name = 'limits'): RunLimits {
  if (limits === undefined) return base;
  const l = checkOptions(limits as Partial<RunLimits>, name);
  const budget = checkOptionalInteger(l.instructionBudget, `${name}.instructionBudget`, 1, Number.MAX_SAFE_INTEGER);
  const depth = checkOptionalInteger(l.maxCallDepth, `${name}.maxCallDepth`, 1, MAX_CALL_DEPTH);
  const stack = checkOptionalInteger(l.stackSize, `${name}.stackSize`, 8, MAX_STACK_SIZE);
  if (stack !== undefined && stack % 8 !== 0) fail(`${name}.stackSize`, 'a multiple of 8', stack);
  const tail = checkOptionalInteger(l.maxTailCalls, `${name}.maxTailCalls`, 0, Number.MAX_SAFE_INTEGER);
  if (budget === undefined && depth === undefined && stack === undefined && tail === undefined) return base;
  return {
    instructionBudget: budget ?? base.instructionBudget,
    maxCallDepth: depth ?? base.maxCallDepth,
    stackSize: stack ?? base.stackSize,
    maxTailCalls: tail ?? base.maxTailCalls,
  };
}
