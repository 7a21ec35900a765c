/**
 * From a program argument to bytecode, whatever form it came in.
 * @module
 */
import { InputError, readProgramArg, type ProgramInput } from './input.js';
import type { CliIo } from './io.js';

/** Bytecode of a program input (assembly is assembled; ELF objects are not handled here yet). */
export function programBytes(input: ProgramInput): Uint8Array {
  switch (input.format) {
    case 'bytecode':
    case 'hex':
      return input.bytes;
    case 'assembly':
      throw new InputError(
        `${input.name}: this is text but not hex bytecode; assembly input needs the assembler, which this build lacks`,
      );
    case 'elf':
      throw new InputError(`${input.name}: ELF objects are not supported by this command yet; extract the bytecode first`);
  }
}

/** Read and convert the PROG argument. */
export async function loadProgram(arg: string, io: CliIo): Promise<{ name: string; bytes: Uint8Array }> {
  const input = await readProgramArg(arg, io);
  return { name: input.name, bytes: programBytes(input) };
}
