/**
 * Preparing objects for the loader, and static linking of several into one, with the semantics
 * libbpf's linker documents (`bpftool gen object out.o a.o b.o`):
 *
 * - sections of the same name are appended in object order (each part 8-byte aligned); `.BTF`,
 *   `.BTF.ext`, symbol, string and relocation sections are rebuilt rather than appended;
 * - global symbols are resolved by name: an undefined one (an `extern` function or variable) binds to
 *   the object that defines it; of two definitions a strong one beats a weak one, the first of two weak
 *   ones wins, two strong ones are an error; externs still undefined after all objects stay externs
 *   (Kconfig, ksyms, kfuncs), strong if any object declares them strong;
 * - BTF types of later objects follow the earlier ones' (ids shifted), and DATASECs of the same name
 *   (`.maps`, `.data`, `.kconfig`...) become one, listing only the winning definitions;
 * - line info and CO-RE relocations are read per object, before linking, and the line info moved with
 *   its section.
 *
 * The result is not an ELF file but the parsed form the loader works on.
 * @module
 */
import { ErrorCode, ObjectFileError } from '../errors.js';
import type { HelperEntry } from '../vm/environment.js';
import { INSN_SIZE, Opcode } from '../isa/opcodes.js';
import { Btf, BtfKind, parseBtf, type BtfType } from './btf.js';
import { parseCoreRelos, parseLineInfo, type LineInfo } from './btf-ext.js';
import { applyCoreRelocations, CORE_POISON_BASE } from './core.js';
import { RelocType } from './link.js';
import { iterMetaLayout, type IterMetaLayout } from '../context/iter.js';
import { parseElf, SectionType, SymbolType, type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol } from './reader.js';

/** An object as the loader uses it: ELF, BTF and line info, CO-RE relocations applied. */
export interface PreparedObject {
  readonly elf: ElfFile;
  readonly btf: Btf | undefined;
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  /** Helpers that poisoned CO-RE relocations call. */
  readonly coreHelpers: ReadonlyMap<number, HelperEntry>;
  /** Problems that do not stop the load (poisoned CO-RE relocations). */
  readonly warnings: readonly string[];
  /** Where iterator programs read `struct bpf_iter_meta`: the CO-RE target's layout, else the object's. */
  readonly iterMeta: IterMetaLayout;
}

/** Parses a target BTF given as raw BTF or an ELF file (the loader's, so that errors read the same). */
export type TargetBtfParser = (bytes: Uint8Array) => Btf;

/** Most objects one link takes. */
const MAX_OBJECTS = 64;
/** Most poison helpers one object's CO-RE relocations may take (ids are handed out in blocks). */
const POISON_BLOCK = 0x10000;

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** Parse one object and apply its CO-RE relocations (`poisonBase`: the first poison helper id). */
export function prepareObject(bytes: Uint8Array, targetBtf: Uint8Array | undefined, parseTarget: TargetBtfParser, poisonBase = CORE_POISON_BASE): PreparedObject {
  // A private plain copy: a Node Buffer's slice() is a view, so linking would otherwise write
  // relocated immediates back into the caller's buffer (and a second load of it would relocate twice).
  const elf = parseElf(new Uint8Array(bytes));
  const btfSection = elf.section('.BTF');
  const btf = btfSection === undefined ? undefined : parseBtf(btfSection.data);
  const ext = elf.section('.BTF.ext');
  const lineInfo = ext === undefined || btf === undefined ? new Map<string, LineInfo[]>() : parseLineInfo(ext.data, btf);
  // CO-RE: rewrite the code for the target BTF before anything links it.
  const relos = ext === undefined || btf === undefined ? new Map() : parseCoreRelos(ext.data, btf);
  if (relos.size === 0 || btf === undefined) return { elf, btf, lineInfo, coreHelpers: new Map(), warnings: [], iterMeta: iterMetaLayout(btf) };
  // Parsed only when there is something to relocate (a kernel's BTF is megabytes).
  const target = targetBtf === undefined ? btf : parseTarget(targetBtf);
  const core = applyCoreRelocations(elf, btf, target, relos, poisonBase);
  return { elf, btf, lineInfo, coreHelpers: core.helpers, warnings: core.poisoned, iterMeta: iterMetaLayout(target) };
}

/** Sections only the first object that has one contributes (libbpf's linker keeps one license). */
const FIRST_ONLY = new Set(['license', 'version']);

/** Sections the link rebuilds (or, DWARF, drops: the loader reads line info from .BTF.ext) instead of appending. */
function rebuilt(s: ElfSection): boolean {
  return s.type === SectionType.NULL || s.type === SectionType.SYMTAB || s.type === SectionType.STRTAB ||
    s.type === SectionType.REL || s.type === SectionType.RELA || s.name === '.BTF' || s.name === '.BTF.ext' ||
    s.name.startsWith('.debug') || s.name.startsWith('.llvm');
}

interface MergedSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  size: number;
  parts: [number, Uint8Array][];
}

/** A global symbol being resolved: its slot in the merged table and where its definition came from. */
interface GlobalSlot {
  readonly index: number;
  /** Object that defines it (undefined while only declared). */
  unit: number | undefined;
  strong: boolean;
}

/**
 * Link objects into one prepared object. Each object is prepared (CO-RE applied against `targetBtf`
 * or its own BTF) before linking. Conflicting definitions and mismatched sections are E_ELF errors
 * naming the symbol or section and the objects.
 */
export function linkObjectFiles(objects: readonly Uint8Array[], targetBtf: Uint8Array | undefined, parseTarget: TargetBtfParser): PreparedObject {
  if (objects.length > MAX_OBJECTS) fail(`cannot link ${objects.length} objects: at most ${MAX_OBJECTS}`);
  const units = objects.map((b, u) => {
    try {
      return prepareObject(b, targetBtf, parseTarget, CORE_POISON_BASE + u * POISON_BLOCK);
    } catch (e) {
      if (e instanceof ObjectFileError) throw new ObjectFileError(e.code, `object ${u + 1} of the link: ${e.message}`, { cause: e });
      throw e;
    }
  });

  // Sections by name, in order of first appearance; where each object's part starts.
  const merged = new Map<string, MergedSection>();
  const order: MergedSection[] = [];
  const base = new Map<string, { section: MergedSection; offset: number }>();
  units.forEach(({ elf }, u) => {
    for (const s of elf.sections) {
      if (rebuilt(s)) continue;
      let m = merged.get(s.name);
      if (m !== undefined && FIRST_ONLY.has(s.name)) continue;
      if (m === undefined) {
        m = { index: order.length + 1, name: s.name, type: s.type, flags: s.flags, size: 0, parts: [] };
        merged.set(s.name, m);
        order.push(m);
      } else if (m.type !== s.type || (m.flags & 0x4) !== (s.flags & 0x4)) {
        fail(`section ${s.name} is of another kind in object ${u + 1} (type ${s.type}, flags ${s.flags}) than in an earlier object (type ${m.type}, flags ${m.flags})`);
      }
      const offset = Math.ceil(m.size / 8) * 8;
      if (s.type !== SectionType.NOBITS) m.parts.push([offset, s.data]);
      m.size = offset + s.size;
      if (m.size > 0x7fff_ffff) fail(`section ${s.name} grows past 2 GiB when linked`);
      base.set(`${u}:${s.index}`, { section: m, offset });
    }
  });
  const sections: ElfSection[] = [{ index: 0, name: '', type: SectionType.NULL, flags: 0, size: 0, link: 0, info: 0, data: new Uint8Array(0) }];
  for (const m of order) {
    const data = new Uint8Array(m.type === SectionType.NOBITS ? 0 : m.size);
    for (const [at, part] of m.parts) data.set(part, at);
    sections.push({ index: m.index, name: m.name, type: m.type, flags: m.flags, size: m.size, link: 0, info: 0, data });
  }

  // Symbols: locals copied, globals resolved by name.
  const symbols: ElfSymbol[] = [{ index: 0, name: '', value: 0, size: 0, type: SymbolType.NOTYPE, bind: 0, shndx: 0 }];
  const globals = new Map<string, GlobalSlot>();
  const sectionSymbols = new Map<number, number>();
  const maps: Map<number, number>[] = [];
  const add = (s: Omit<ElfSymbol, 'index'>): number => {
    symbols.push({ ...s, index: symbols.length });
    return symbols.length - 1;
  };
  units.forEach(({ elf }, u) => {
    const map = new Map<number, number>();
    maps.push(map);
    for (const sym of elf.symbols) {
      if (sym.index === 0 || sym.type === SymbolType.FILE) continue;
      const at = sym.shndx === 0 || sym.shndx >= 0xff00 ? undefined : base.get(`${u}:${sym.shndx}`);
      if (sym.shndx !== 0 && sym.shndx < 0xff00 && at === undefined) {
        // In a rebuilt section (.BTF), or a license after the first: references (if any) go to the kept one.
        const kept = globals.get(sym.name);
        if (kept !== undefined) map.set(sym.index, kept.index);
        continue;
      }
      const defined = { value: sym.value + (at?.offset ?? 0), size: sym.size, type: sym.type, bind: sym.bind, shndx: at?.section.index ?? sym.shndx, name: sym.name };
      if (sym.type === SymbolType.SECTION) {
        if (at === undefined) fail(`object ${u + 1}: section symbol ${sym.index} names no section (index ${sym.shndx})`);
        let idx = sectionSymbols.get(at.section.index);
        if (idx === undefined) {
          idx = add({ ...defined, value: 0, size: 0, bind: 0 });
          sectionSymbols.set(at.section.index, idx);
        }
        map.set(sym.index, idx);
        continue;
      }
      if (sym.bind === 0 || sym.name === '') {
        map.set(sym.index, add(defined));
        continue;
      }
      const slot = globals.get(sym.name);
      const strong = sym.bind !== 2;
      if (slot === undefined) {
        const index = add(defined);
        globals.set(sym.name, { index, unit: sym.shndx === 0 ? undefined : u, strong });
        map.set(sym.index, index);
        continue;
      }
      map.set(sym.index, slot.index);
      const old = symbols[slot.index]!;
      if (sym.shndx === 0) {
        // Another declaration: an extern stays strong if any object declares it strong.
        if (slot.unit === undefined && strong && old.bind === 2) symbols[slot.index] = { ...old, bind: 1 };
        continue;
      }
      if (slot.unit === undefined) {
        symbols[slot.index] = { ...defined, index: slot.index };
        slot.unit = u;
        slot.strong = strong;
        continue;
      }
      if (kindOf(old.type) !== kindOf(sym.type)) fail(`symbol ${sym.name} is a ${kindName(old.type)} in object ${slot.unit + 1} but a ${kindName(sym.type)} in object ${u + 1}`);
      if (strong && slot.strong) fail(`symbol ${sym.name} is defined (strong) in both object ${slot.unit + 1} and object ${u + 1}; make one of them __weak or static`);
      if (strong) {
        symbols[slot.index] = { ...defined, index: slot.index };
        slot.unit = u;
        slot.strong = true;
      }
    }
  });

  // Relocations, moved with their sections; references to section symbols get the part's offset added in place.
  const relocations = new Map<number, ElfRelocation[]>();
  units.forEach(({ elf }, u) => {
    for (const [target, list] of elf.relocations) {
      const at = base.get(`${u}:${target}`);
      if (at === undefined) continue; // relocations of .BTF / .BTF.ext: rebuilt
      const out = relocations.get(at.section.index) ?? [];
      relocations.set(at.section.index, out);
      const data = sections[at.section.index]!.data;
      for (const r of list) {
        const sym = elf.symbols[r.symbol];
        const index = maps[u]!.get(r.symbol);
        if (sym === undefined || index === undefined) fail(`object ${u + 1}: section ${elf.sections[target]?.name ?? target}: relocation names symbol ${r.symbol}, which does not exist`);
        const offset = r.offset + at.offset;
        if (sym.type === SymbolType.SECTION) {
          const part = base.get(`${u}:${sym.shndx}`);
          if (part !== undefined && part.offset !== 0) shiftInPlace(data, offset, r.type, part.offset, at.section.name);
        }
        out.push({ ...r, offset, symbol: index });
      }
    }
  });

  const elf: ElfFile = {
    sections,
    symbols,
    relocations,
    section: (name: string) => sections.find((s) => s.name === name),
  };
  const btf = mergeBtf(units, base, globals);
  const lineInfo = new Map<string, LineInfo[]>();
  units.forEach((unit, u) => {
    for (const [name, list] of unit.lineInfo) {
      const s = unit.elf.sections.find((x) => x.name === name && x.size > 0);
      const at = s === undefined ? undefined : base.get(`${u}:${s.index}`);
      if (at === undefined) continue;
      const out = lineInfo.get(name) ?? [];
      lineInfo.set(name, out);
      for (const li of list) out.push({ ...li, insnOffset: li.insnOffset + at.offset });
    }
  });
  const coreHelpers = new Map<number, HelperEntry>();
  for (const unit of units) for (const [id, h] of unit.coreHelpers) coreHelpers.set(id, h);
  const warnings = units.flatMap((x, u) => x.warnings.map((w) => `object ${u + 1}: ${w}`));
  return { elf, btf, lineInfo, coreHelpers, warnings, iterMeta: units[0]!.iterMeta };
}

function kindOf(type: number): 'function' | 'variable' {
  return type === SymbolType.FUNC ? 'function' : 'variable';
}

function kindName(type: number): string {
  return kindOf(type);
}

/**
 * A reference to a section symbol carries its offset in place (REL): add the part's offset there —
 * to an `lddw`'s immediate (bytes), a call's (instructions), or a data word.
 */
function shiftInPlace(data: Uint8Array, offset: number, type: number, by: number, section: string): void {
  const width = type === RelocType.R_BPF_64_ABS32 || type === RelocType.R_BPF_64_NODYLD32 ? 4 : 8;
  if (offset < 0 || offset + width > data.length) fail(`section ${section}: relocation at offset ${offset} lies outside it`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const opcode = data[offset]!;
  if (width === 4) {
    v.setUint32(offset, (v.getUint32(offset, true) + by) >>> 0, true);
    return;
  }
  if (type !== RelocType.R_BPF_64_ABS64 && (opcode === Opcode.LDDW || opcode === Opcode.CALL)) {
    const step = opcode === Opcode.CALL ? by / INSN_SIZE : by;
    v.setInt32(offset + 4, v.getInt32(offset + 4, true) + step, true);
    return;
  }
  v.setBigUint64(offset, BigInt.asUintN(64, v.getBigUint64(offset, true) + BigInt(by)), true);
}

/** One BTF of all objects: later objects' types shifted, same-name DATASECs merged into the first. */
function mergeBtf(units: readonly PreparedObject[], base: ReadonlyMap<string, { offset: number }>, globals: ReadonlyMap<string, GlobalSlot>): Btf | undefined {
  if (units.every((u) => u.btf === undefined)) return undefined;
  const types: BtfType[] = [{ id: 0, kind: 0, name: 'void', vlen: 0, sizeOrType: 0 }];
  const firstSec = new Map<string, number>();
  const externSeen = new Set<string>();
  units.forEach((unit, u) => {
    const btf = unit.btf;
    if (btf === undefined) return;
    const shift = types.length - 1;
    const id = (t: number): number => (t === 0 ? 0 : t + shift);
    for (const t of btf.types.slice(1)) {
      let out: BtfType = { ...t, id: t.id + shift };
      if (usesType(t.kind)) out = { ...out, sizeOrType: id(t.sizeOrType) };
      if (t.array !== undefined) out = { ...out, array: { ...t.array, type: id(t.array.type) } };
      if (t.members !== undefined) out = { ...out, members: t.members.map((m) => ({ ...m, type: id(m.type) })) };
      if (t.kind === BtfKind.DATASEC) {
        const sec = unit.elf.sections.find((s) => s.name === t.name);
        const offset = sec === undefined ? 0 : base.get(`${u}:${sec.index}`)?.offset ?? 0;
        const vars = (t.vars ?? []).filter((v) => {
          const variable = btf.types[v.type];
          if (variable === undefined) return true;
          if (variable.kind === BtfKind.VAR && variable.linkage === 2) {
            // One entry per extern name.
            const key = `${t.name}:${variable.name}`;
            if (externSeen.has(key)) return false;
            externSeen.add(key);
            return true;
          }
          const slot = variable.linkage === 1 || variable.kind === BtfKind.FUNC ? globals.get(variable.name) : undefined;
          return slot === undefined || slot.unit === undefined || slot.unit === u;
        }).map((v) => ({ ...v, type: id(v.type), offset: v.offset + offset }));
        const first = firstSec.get(t.name);
        if (first !== undefined) {
          const f = types[first]!;
          types[first] = { ...f, vars: [...(f.vars ?? []), ...vars], vlen: (f.vars ?? []).length + vars.length };
          out = { ...out, vars: [], vlen: 0 };
        } else {
          firstSec.set(t.name, out.id);
          out = { ...out, vars, vlen: vars.length };
        }
      }
      types.push(out);
    }
  });
  return new Btf(types);
}

/** Kinds whose `sizeOrType` is a type id. */
function usesType(kind: number): boolean {
  return kind === BtfKind.PTR || kind === BtfKind.TYPEDEF || kind === BtfKind.VOLATILE || kind === BtfKind.CONST ||
    kind === BtfKind.RESTRICT || kind === BtfKind.FUNC || kind === BtfKind.FUNC_PROTO || kind === BtfKind.VAR ||
    kind === BtfKind.TYPE_TAG || kind === BtfKind.DECL_TAG;
}
