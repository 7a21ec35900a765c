/**
 * From a program argument to bytecode, whatever form it came in.
 * @module
 */
import { assemble } from '../asm/assembler.js';
import type { SourceLine } from '../elf/btf-ext.js';
import { loadObject, type BpfObject, type LoadOptions } from '../elf/loader.js';
import { kernelProgramType, objectMapTable, type ObjectMapTable } from '../elf/kernel-check.js';
import type { VerifierOptions } from '../verifier/issues.js';
import type { KfuncTable, ProgramType as KernelProgramType } from '../verifier/analysis/index.js';
import { AssemblyError, EbpfError, ErrorCode, ExecutionError } from '../errors.js';
import { kernelHelperName } from '../helpers/kernel.js';
import type { HelperEntry } from '../vm/environment.js';
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
  readonly maps: ObjectMapTable['maps'];
  /** The addresses of the lddw slots the loader relocated (maps, global data), for the verifier's `resolve`. */
  readonly resolve: NonNullable<VerifierOptions['resolve']>;
  /** The object's kfuncs for the kernel-level analysis (undefined without BTF). */
  readonly kfuncs: KfuncTable | undefined;
  /** Helpers it calls that tsbpf does not implement (it cannot run, but can be read and verified). */
  readonly missingHelpers: readonly MissingHelper[];
}

/** A helper a program calls that tsbpf does not implement. */
export interface MissingHelper {
  /** Helper id (the call's immediate). */
  readonly id: number;
  /** The kernel's name for it (`bpf_get_socket_uid`), or `helper N`. */
  readonly name: string;
}

/** An object loaded for reading (disasm, inspect, verify), with the helpers each program lacks. */
export interface ListingObject {
  /** The object, loaded without verification and with a placeholder for every missing helper. */
  readonly obj: BpfObject;
  /** Missing helpers by program (function) name; programs lacking none are absent. */
  readonly missing: ReadonlyMap<string, readonly MissingHelper[]>;
}

function helperIds(e: unknown): number[] | undefined {
  if (!(e instanceof EbpfError)) return undefined;
  const ids = e.details['helpers'];
  return Array.isArray(ids) && ids.every((x) => typeof x === 'number') ? (ids as number[]) : undefined;
}

/**
 * Load an object for commands that read programs without running them. A helper tsbpf lacks matters
 * only to a run, so each one a program calls gets a placeholder (which fails if ever called) and the
 * program links as the kernel would link it; the gaps are returned for the report.
 */
export function loadForListing(bytes: Uint8Array, load: LoadOptions = {}): ListingObject {
  const first = loadObject(bytes, { ...load, verify: false });
  const missing = new Map<string, MissingHelper[]>();
  const all = new Set<number>();
  for (const p of first.programs) {
    try {
      first.program(p.name);
    } catch (e) {
      const ids = helperIds(e);
      if (ids === undefined) continue; // Other problems are reported where the program is used.
      missing.set(p.name, ids.map((id) => ({ id, name: kernelHelperName(id) })));
      for (const id of ids) all.add(id);
    }
  }
  if (all.size === 0) return { obj: first, missing };
  const helpers = new Map<number, HelperEntry>(load.helpers ?? []);
  for (const id of all) {
    const name = kernelHelperName(id);
    const fn = (): never => {
      throw new ExecutionError(ErrorCode.UNKNOWN_HELPER, `helper ${id} (${name}) is not implemented by tsbpf`);
    };
    helpers.set(id, { fn, name, unwindOnZero: false });
  }
  return { obj: loadObject(bytes, { ...load, verify: false, helpers }), missing };
}

/**
 * The programs of an ELF object (or only the one named `only`), linked but not verified, so that
 * `verify` can report every problem and `disasm` can show programs the verifier rejects. Programs
 * calling helpers tsbpf lacks are linked all the same (see {@link loadForListing}). `load`: the map
 * sizing flags' options.
 */
export function objectPrograms(input: ProgramInput, only?: string, load: LoadOptions = {}): LinkedProgram[] {
  const { obj, missing } = loadForListing(input.bytes, load);
  const infos = only === undefined ? obj.programs : obj.programs.filter((p) => p.name === only || p.section === only);
  if (infos.length === 0) {
    const names = obj.programs.map((p) => `${p.name} (${p.section})`).join(', ') || 'none';
    throw new InputError(`${input.name}: ${only === undefined ? 'has no programs' : `no program named ${only}; programs: ${names}`}`);
  }
  const mapTable = objectMapTable(obj.maps, obj.valueFields());
  return infos.map((info) => {
    const runner = obj.program(info.name);
    const program = runner.program;
    const kernelType = kernelProgramType(info.type, info.section);
    return {
      name: info.name,
      section: info.section,
      bytes: program.bytes,
      functionNames: program.functionNames,
      lines: runner.lines,
      kernelType,
      maps: mapTable.maps,
      // only the lddw slots the loader relocated are addresses: a constant equal to one stays a number
      resolve: (imm: bigint, pc: number) => (program.relocatedLoads.has(pc) ? mapTable.resolve(imm) : undefined),
      kfuncs: obj.verifierKfuncs(),
      missingHelpers: missing.get(info.name) ?? [],
    };
  });
}
