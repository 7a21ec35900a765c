/** Kernel-level analysis of the programs of a loaded ELF object, with its maps and global data. */
import type { BpfObject } from '../../src/elf/index.js';
import { EbpfError, ErrorCode } from '../../src/errors.js';
import { kernelAttachType, kernelProgramType, objectMapTable } from '../../src/elf/kernel-check.js';
import { type ProgramType } from '../../src/verifier/analysis/index.js';
import { checkProgram, type VerifierIssue } from '../../src/verifier/index.js';

/** Every program of the object with the issues the kernel level finds. */
export function analyzeObject(obj: BpfObject): { name: string; section: string; type: ProgramType; issues: VerifierIssue[]; insns: number }[] {
  const { maps, resolve } = objectMapTable(obj.maps, obj.valueFields());
  // A program the loader refuses (a map tsbpf could not create, helpers it lacks, an extern with no value, a
  // kernel-only type such as netfilter) has nothing to analyse.
  const usable = (name: string): boolean => {
    try {
      obj.program(name);
      return true;
    } catch (e) {
      if (e instanceof EbpfError && (e.code === ErrorCode.UNSUPPORTED || /could not create|does not implement|has no value|cannot resolve|does not provide/.test(e.message))) return false;
      throw e;
    }
  };
  return obj.programs.filter((p) => p.section !== '.text' && usable(p.name)).map((p) => {
    const { bytes, relocatedLoads } = obj.program(p.name).program;
    const type = kernelProgramType(p.type, p.section) ?? 'socket_filter';
    const attachType = kernelAttachType(type, p.section);
    // the object's BTF for its kfuncs and BTF pointers, as the loader passes it
    const kfuncs = obj.verifierKfuncs();
    return { name: p.name, section: p.section, type, issues: checkProgram(bytes, { level: 'kernel', programType: type, maps, resolve: (imm, pc) => (relocatedLoads.has(pc) ? resolve(imm) : undefined), ...(attachType === undefined ? {} : { attachType }), ...(kfuncs === undefined ? {} : { kfuncs }) }), insns: bytes.length / 8 };
  });
}
