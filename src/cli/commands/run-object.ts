/**
 * Choosing the program of a clang-built ELF object that `tsbpf run` and `trace` run (the run itself is
 * single-run.ts or pcap-run.ts).
 * @module
 */
import type { BpfObject, ProgramInfo } from '../../elf/loader.js';
import { InputError } from '../input.js';

/** XDP verdict names by action number. */
export const XDP_ACTIONS: readonly string[] = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/**
 * The program `name` (function or section name) of an object; without a name, its only program.
 * Throws {@link InputError} listing the programs when the choice is missing or wrong.
 */
export function selectProgram(obj: BpfObject, file: string, name: string | undefined): ProgramInfo {
  const names = obj.programs.map((p) => `${p.name} (${p.section})`).join(', ');
  if (name === undefined) {
    if (obj.programs.length !== 1) {
      throw new InputError(
        `${file}: ${obj.programs.length === 0 ? 'has no programs' : `has ${obj.programs.length} programs: ${names}; choose one with --program NAME`}`,
      );
    }
    return obj.programs[0]!;
  }
  const info = obj.programs.find((p) => p.name === name) ?? obj.programs.find((p) => p.section === name);
  if (info === undefined) throw new InputError(`${file}: no program named ${name}; programs: ${names || 'none'}`);
  return info;
}
