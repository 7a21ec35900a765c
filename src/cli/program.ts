/**
 * From a program argument to bytecode, whatever form it came in.
 * @module
 */
import { assemble } from '../asm/assembler.js';
import { AssemblyError } from '../errors.js';
import { InputError, readProgramArg, type ProgramInput } from './input.js';
import type { CliIo } from './io.js';

/** Bytecode of a program input (assembly is assembled; ELF objects are not handled here yet). */
export function programBytes(input: ProgramInput): Uint8Array {
  switch (input.format) {
    case 'bytecode':
    case 'hex':
      return input.bytes;
    case 'assembly':
      return assembleInput(input);
    case 'elf':
      throw new InputError(`${input.name}: ELF objects are not supported by this command yet; extract the bytecode first`);
  }
}

/** Read and convert the PROG argument. */
export async function loadProgram(arg: string, io: CliIo): Promise<{ name: string; bytes: Uint8Array }> {
  const input = await readProgramArg(arg, io);
  return { name: input.name, bytes: programBytes(input) };
}

/** Assemble a text input; assembly errors name the file as well as the line and column. */
export function assembleInput(input: ProgramInput): Uint8Array {
  const text = new TextDecoder().decode(input.bytes);
  try {
    return assemble(text);
  } catch (e) {
    if (e instanceof AssemblyError) throw new InputError(`${input.name}: ${e.message}`);
    throw e;
  }
}
