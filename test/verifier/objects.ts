/** Kernel-level analysis of the programs of a loaded ELF object, with its maps and global data. */
import type { BpfObject } from '../../src/elf/index.js';
import { programTypeOfSection, type MapInfo, type ProgramType } from '../../src/verifier/analysis/index.js';
import { checkProgram, type VerifierIssue } from '../../src/verifier/index.js';

const GLOBAL_DATA = /^\.(data|rodata|bss)(\..*)?$/;

/** Every program of the object with the issues the kernel level finds. */
export function analyzeObject(obj: BpfObject): { name: string; section: string; type: ProgramType; issues: VerifierIssue[]; insns: number }[] {
  const maps = new Map<number, MapInfo>();
  const data = new Set<number>();
  for (const [name, m] of obj.maps) {
    const i = m.spec.inner;
    const inner = i === undefined ? undefined : { type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries };
    maps.set(m.handle, { type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, readOnly: name.startsWith('.rodata'), inner });
    if (GLOBAL_DATA.test(name)) data.add(m.handle);
  }
  const resolve = (imm: bigint): { map: number; offset?: number } | undefined => {
    for (const [h, m] of maps) {
      const base = BigInt(h);
      if (data.has(h) && imm >= base && imm < base + BigInt(Math.max(1, m.valueSize))) return { map: h, offset: Number(imm - base) };
      if (!data.has(h) && imm === base) return { map: h };
    }
    return undefined;
  };
  return obj.programs.filter((p) => p.section !== '.text').map((p) => {
    const bytes = obj.program(p.name).program.bytes;
    const type = programTypeOfSection(p.section) ?? 'socket_filter';
    return { name: p.name, section: p.section, type, issues: checkProgram(bytes, { level: 'kernel', programType: type, maps, resolve }), insns: bytes.length / 8 };
  });
}
