/** Kernel-level analysis of the programs of a loaded ELF object, with its maps and global data. */
import type { BpfObject } from '../../src/elf/index.js';
import { EbpfError } from '../../src/errors.js';
import { ArrayMap } from '../../src/maps/index.js';
import { programTypeOfSection, type MapInfo, type ProgramType } from '../../src/verifier/analysis/index.js';
import { checkProgram, type VerifierIssue } from '../../src/verifier/index.js';

const GLOBAL_DATA = /^\.(data|rodata|bss)(\..*)?$/;

/** Every program of the object with the issues the kernel level finds. */
export function analyzeObject(obj: BpfObject): { name: string; section: string; type: ProgramType; issues: VerifierIssue[]; insns: number }[] {
  const maps = new Map<number, MapInfo>();
  const data = new Set<number>();
  /** Where a global-data map's value lives (its address, which programs load), by handle. */
  const valueAt = new Map<number, number>();
  for (const [name, m] of obj.maps) {
    if (m instanceof ArrayMap) valueAt.set(m.handle, m.valueAddress(0));
    const i = m.spec.inner;
    const inner = i === undefined ? undefined : { type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries };
    maps.set(m.handle, { type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, readOnly: name.startsWith('.rodata'), inner });
    if (GLOBAL_DATA.test(name)) data.add(m.handle);
  }
  const resolve = (wide: bigint): { map: number; offset?: number } | undefined => {
    // addresses are 32-bit; the loader may sign-extend them into the 64-bit immediate
    const imm = wide >> 32n === 0n || wide >> 32n === 0xffff_ffffn ? BigInt.asUintN(32, wide) : wide;
    for (const [h, m] of maps) {
      const value = BigInt(valueAt.get(h) ?? h);
      if (data.has(h) && imm >= value && imm < value + BigInt(Math.max(1, m.valueSize))) return { map: h, offset: Number(imm - value) };
      if (!data.has(h) && imm === BigInt(h)) return { map: h };
    }
    return undefined;
  };
  // A program the loader refuses (a map tsbpf could not create, helpers it lacks) has nothing to analyse.
  const usable = (name: string): boolean => {
    try {
      obj.program(name);
      return true;
    } catch (e) {
      if (e instanceof EbpfError && /could not create|does not implement/.test(e.message)) return false;
      throw e;
    }
  };
  return obj.programs.filter((p) => p.section !== '.text' && usable(p.name)).map((p) => {
    const bytes = obj.program(p.name).program.bytes;
    const type = programTypeOfSection(p.section) ?? 'socket_filter';
    return { name: p.name, section: p.section, type, issues: checkProgram(bytes, { level: 'kernel', programType: type, maps, resolve }), insns: bytes.length / 8 };
  });
}
