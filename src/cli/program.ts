/**
 * From a program argument to bytecode, whatever form it came in.
 * @module
 */
import { assemble } from '../asm/assembler.js';
import type { SourceLine } from '../elf/btf-ext.js';
import { loadObject } from '../elf/loader.js';
import { kernelProgramType, objectMapTable, type ObjectMapTable } from '../elf/kernel-check.js';
import type { ProgramType as KernelProgramType } from '../verifier/analysis/index.js';
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
      throw new InputError(`${input.name}: ELF objects are not supported by this command; give bytecode, hex or assembly`);
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

/** One program of an ELF object, linked (subprograms appended, relocations applied). */
export interface LinkedProgram {
  /** Program (function) name. */
  readonly name: string;
  /** Section it came from. */
  readonly section: string;
  /** Linked bytecode. */
  readonly bytes: Uint8Array;
  /** Names of the slots that start functions. */
  readonly functionNames: ReadonlyMap<number, string>;
  /** C source line of each slot that starts one (from `.BTF.ext`; empty without `-g`). */
  readonly lines: ReadonlyMap<number, SourceLine>;
  /** The kernel program type the loader's conventions give it (undefined when the section says none). */
  readonly kernelType: KernelProgramType | undefined;
  /** The object's maps as the kernel-level verifier sees them. */
  readonly mapTable: ObjectMapTable;
}

/**
 * The programs of an ELF object (or only the one named `only`), linked but not verified, so that
 * `verify` can report every problem and `disasm` can show programs the verifier rejects.
 */
export function objectPrograms(input: ProgramInput, only?: string): LinkedProgram[] {
  const obj = loadObject(input.bytes, { verify: false });
  const infos = only === undefined ? obj.programs : obj.programs.filter((p) => p.name === only || p.section === only);
  if (infos.length === 0) {
    const names = obj.programs.map((p) => `${p.name} (${p.section})`).join(', ') || 'none';
    throw new InputError(`${input.name}: ${only === undefined ? 'has no programs' : `no program named ${only}; programs: ${names}`}`);
  }
  const mapTable = objectMapTable(obj.maps);
  return infos.map((info) => {
    const runner = obj.program(info.name);
    const program = runner.program;
    const kernelType = kernelProgramType(info.type, info.section);
    return { name: info.name, section: info.section, bytes: program.bytes, functionNames: program.functionNames, lines: runner.lines, kernelType, mapTable };
  });
}
