/**
 * Turning a PROG or MEM argument into bytes: a raw bytecode file, a file of hex text, a hex string given
 * directly, or `-` for stdin. Text that is not hex is treated as assembly.
 * @module
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { InputError } from './input-error.js';

export { InputError };

/** How a program argument was given. */
export type ProgramFormat = 'bytecode' | 'hex' | 'assembly' | 'elf';

/** A program argument, read and classified. */
export interface ProgramInput {
  /** Name for messages: the path, `<stdin>` or `<hex>`. */
  readonly name: string;
  /** What the bytes are. */
  readonly format: ProgramFormat;
  /** Raw file contents (for `assembly`, the UTF-8 text; for `hex`, the decoded bytes). */
  readonly bytes: Uint8Array;
}


/**
 * Decode hex text: whitespace is ignored, as are an optional leading `0x` and `0x`/`\x` before each byte
 * group; anything else must be pairs of hex digits.
 */
export function parseHex(text: string, what: string): Uint8Array {
  const compact = text.replace(/(0x|\\x)/gi, '').replace(/[\s,]+/g, '');
  const bad = /[^0-9a-f]/i.exec(compact);
  if (bad !== null) {
    throw new InputError(`${what}: '${bad[0]}' is not a hex digit (expected pairs of 0-9a-f)`);
  }
  if (compact.length % 2 !== 0) {
    throw new InputError(`${what}: odd number of hex digits (${compact.length}); every byte needs two`);
  }
  const out = new Uint8Array(compact.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** True when text looks like hex bytes rather than assembly. */
export function looksLikeHex(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && /^((0x|\\x)?[0-9a-f]{2}[\s,]*)+$/i.test(t);
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** True when every byte is printable ASCII/UTF-8 text or whitespace (bytecode never is: `exit` is 0x95). */
function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function classify(name: string, bytes: Uint8Array): ProgramInput {
  if (bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b)) return { name, format: 'elf', bytes };
  if (bytes.length > 0 && isText(bytes)) {
    const text = new TextDecoder().decode(bytes);
    if (looksLikeHex(text)) return { name, format: 'hex', bytes: parseHex(text, name) };
    return { name, format: 'assembly', bytes };
  }
  return { name, format: 'bytecode', bytes };
}

/** A file system failure on `path` as a one-line {@link InputError} (the path, what went wrong, the errno code). */
function fileError(path: string, e: unknown, verb: 'read' | 'write'): InputError {
  if (e instanceof InputError) return e;
  const code = (e as { code?: unknown }).code;
  const name = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'ENOENT':
      return new InputError(verb === 'read' ? `${path}: no such file` : `${path}: cannot write: its directory does not exist`);
    case 'ENOTDIR':
      return new InputError(`${path}: cannot ${verb}: a part of the path is not a directory`);
    case 'EISDIR':
      return new InputError(`${path}: cannot ${verb}: is a directory, not a file`);
    case 'EACCES':
    case 'EPERM':
      return new InputError(`${path}: cannot ${verb}: permission denied`);
    case 'EROFS':
      return new InputError(`${path}: cannot write: read-only file system`);
    case 'ENOSPC':
      return new InputError(`${path}: cannot write: no space left on the device`);
    default:
      return new InputError(`${path}: cannot ${verb} (${name})`);
  }
}

/** Read a file, turning the usual failures into one-line messages. */
export function readInputFile(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory, not a file`);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw fileError(path, e, 'read');
  }
}

/** Write a file (bytes or text), turning every failure into a one-line message naming the path. */
export function writeOutputFile(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw fileError(path, e, 'write');
  }
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read the PROG argument: `-` reads stdin; an existing path is read as a file; otherwise the argument
 * itself must be hex bytecode.
 */
export async function readProgramArg(arg: string, io: CliIo): Promise<ProgramInput> {
  if (arg === '-') return classify('<stdin>', await io.readStdin());
  if (fileExists(arg)) {
    const input = classify(arg, readInputFile(arg));
    if (input.bytes.length === 0) throw new InputError(`${arg}: the file is empty`);
    return input;
  }
  if (looksLikeHex(arg)) return { name: '<hex>', format: 'hex', bytes: parseHex(arg, 'program hex') };
  if (/^[0-9a-fx\s]+$/i.test(arg)) return { name: '<hex>', format: 'hex', bytes: parseHex(arg, 'program hex') };
  throw new InputError(`${arg}: no such file (and not a hex string)`);
}

/** Read memory given as `--mem FILE` (raw bytes) or `--mem-hex HEX`; empty when neither is given. */
export function readMemoryOptions(file: string | undefined, hex: string | undefined): Uint8Array {
  if (file !== undefined && hex !== undefined) throw new UsageError('give either --mem or --mem-hex, not both');
  if (file !== undefined) return readInputFile(file);
  if (hex !== undefined) return parseHex(hex, 'memory hex');
  return new Uint8Array(0);
}
