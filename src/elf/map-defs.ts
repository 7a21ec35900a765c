/**
 * The maps an object defines, read from its ELF sections and BTF: `.maps` (BTF definitions), the legacy
 * `maps` layouts (libbpf's, the kernel samples', iproute2's), the global-data sections, and the special
 * fields (timer, spin lock) of map values.
 * @module
 */
import { EbpfError, ErrorCode, ObjectFileError } from '../errors.js';
import { MapType, type MapSpec } from '../maps/types.js';
import { BtfKind, btfMapDefs, datasecVariables, type Btf, type BtfMapDef } from './btf.js';
import type { MapValueFields } from './kernel-check.js';
import { SymbolType, type ElfFile, type ElfSection } from './reader.js';

/** Sections holding global data: `.data`, `.rodata`, `.bss` and their `.NAME` suffixed forms. */
export const GLOBAL_DATA = /^\.(data|rodata|bss)(\..*)?$/;

/** A global variable of `.data`, `.rodata*` or `.bss`, located with BTF and the symbol table. */
export interface GlobalVariable {
  /** C name. */
  readonly name: string;
  /** Section (the internal map's name). */
  readonly section: string;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** BTF type id of the variable's type (0 when the object has no BTF for it). */
  readonly type: number;
}

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** A map definition found in the object: its spec, or why it has none. */
export interface MapDefinition {
  readonly name: string;
  /** `section index:offset` of the definition, which relocations name. */
  readonly key: string;
  readonly spec: MapSpec | string;
}

/** Sections of legacy map definitions: `maps` and the old samples' `maps/NAME`. */
export function isMapSection(name: string): boolean {
  return name === '.maps' || name === 'maps' || name.startsWith('maps/');
}

/**
 * Legacy map definitions, one per symbol of the `maps` / `maps/NAME` sections. Three layouts, told
 * apart by the definition's size (the symbol's size, else the section's size shared by its symbols):
 * libbpf's `struct bpf_map_def` (20 bytes: type, key_size, value_size, max_entries, map_flags); the
 * kernel samples' (28: then `inner_map_idx`, the index of the inner map's definition among all of
 * them, and `numa_node`); iproute2's `struct bpf_elf_map` (36: then `id`, `pinning`, `inner_id` —
 * the `id` of the inner map's definition — and `inner_idx`). The inner definition is the template a
 * map of maps' inner maps must match; the outer map starts empty.
 */
export function legacyMapSpecs(elf: ElfFile): MapDefinition[] {
  interface Raw { name: string; key: string; fields: number[]; size: number }
  const raws: Raw[] = [];
  for (const section of elf.sections) {
    if (section.name === '.maps' || !isMapSection(section.name)) continue;
    const syms = elf.symbols
      .filter((s) => s.shndx === section.index && s.type !== SymbolType.SECTION && s.type !== SymbolType.FILE && s.name !== '')
      .sort((a, b) => a.value - b.value);
    const shared = syms.length > 0 && section.size % syms.length === 0 ? section.size / syms.length : 0;
    const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
    for (const s of syms) {
      const size = s.size >= 20 ? s.size : shared >= 20 ? shared : 20;
      if (s.value + 20 > section.data.length) fail(`legacy map ${s.name}: definition at offset ${s.value} runs past section ${section.name}`);
      const words = Math.min(Math.floor(size / 4), 9, Math.floor((section.data.length - s.value) / 4));
      const fields: number[] = [];
      for (let k = 0; k < words; k++) fields.push(view.getUint32(s.value + 4 * k, true));
      raws.push({ name: s.name, key: `${section.index}:${s.value}`, fields, size });
    }
  }
  const base = (r: Raw): MapSpec => ({ name: r.name, type: r.fields[0]!, keySize: r.fields[1]!, valueSize: r.fields[2]!, maxEntries: r.fields[3]!, flags: r.fields[4]! });
  return raws.map((r) => {
    const spec = base(r);
    if (spec.type !== MapType.ARRAY_OF_MAPS && spec.type !== MapType.HASH_OF_MAPS) return { name: r.name, key: r.key, spec };
    let inner: Raw | undefined;
    if (r.size >= 36 && r.fields.length >= 9) {
      const innerId = r.fields[7]!;
      inner = innerId === 0 ? undefined : raws.find((o) => o !== r && o.size >= 36 && o.fields[5] === innerId);
      if (inner === undefined) return { name: r.name, key: r.key, spec: `map of maps ${r.name}: no map definition has the id ${innerId} its inner_id names` };
    } else if (r.size >= 24 && r.fields.length >= 6) {
      inner = raws[r.fields[5]!];
      if (inner === undefined || inner === r) return { name: r.name, key: r.key, spec: `map of maps ${r.name}: inner_map_idx ${r.fields[5]} is not another map definition` };
    }
    return { name: r.name, key: r.key, spec: inner === undefined ? spec : { ...spec, inner: base(inner) } };
  });
}

/** The BTF-defined maps of `.maps`: a spec each, or why there is none. */
export function btfMapSpecs(elf: ElfFile, btf: Btf | undefined): MapDefinition[] {
  const dotMaps = elf.section('.maps');
  if (dotMaps === undefined) return [];
  if (btf === undefined) fail('section .maps needs BTF (.BTF section) to describe its maps; compile with -g');
  return btfMaps(elf, btf, dotMaps).map((def) => {
    let spec: MapSpec | string;
    try {
      if (def.error !== undefined) throw new ObjectFileError(ErrorCode.BTF, def.error);
      spec = specFromBtf(btf, def);
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      spec = e.message;
    }
    return { name: def.name, key: `${dotMaps.index}:${def.offset}`, spec };
  });
}

/**
 * BTF map definitions with their offsets taken from the symbol table: clang leaves DATASEC variable
 * offsets for the loader to fix up (they are relocated in `.rel.BTF`), as libbpf does.
 */
export function btfMaps(elf: ElfFile, btf: Btf, dotMaps: ElfSection): BtfMapDef[] {
  return btfMapDefs(btf).map((def) => {
    const sym = elf.symbols.find((y) => y.shndx === dotMaps.index && y.name === def.name && y.type !== SymbolType.SECTION);
    if (sym === undefined) fail(`BTF map ${def.name} has no symbol in section .maps`);
    return { ...def, offset: sym.value, size: sym.size || def.size };
  });
}

function specFromBtf(btf: Btf, def: BtfMapDef): MapSpec {
  const type = def.numbers.get('type');
  if (type === undefined) throw new ObjectFileError(ErrorCode.BTF, `BTF map ${def.name} has no type`);
  const size = (explicit: string, t: number | undefined): number =>
    def.numbers.get(explicit) ?? (t === undefined ? 0 : btf.sizeOf(t));
  let keySize = size('key_size', def.keyType);
  let valueSize = size('value_size', def.valueType);
  if (type === MapType.PROG_ARRAY || type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
    keySize ||= 4;
    valueSize ||= 4;
  }
  if (type === MapType.PERF_EVENT_ARRAY) {
    keySize ||= 4;
    valueSize ||= 4;
  }
  const inner = def.inner === undefined ? undefined : specFromBtf(btf, def.inner);
  const extra = def.numbers.get('map_extra');
  return { name: def.name, type, keySize, valueSize, maxEntries: def.numbers.get('max_entries') ?? 0, flags: def.numbers.get('map_flags') ?? 0, inner, ...(extra === undefined ? {} : { extra }) };
}

/**
 * The BTF maps whose value (a struct) has a `struct bpf_timer` or `struct bpf_spin_lock` member: their
 * byte offsets, by map name (what the kernel-level analysis checks the timer and lock helpers against).
 */
export function mapValueFields(elf: ElfFile, btf: Btf | undefined): Map<string, MapValueFields> {
  const out = new Map<string, MapValueFields>();
  const dotMaps = elf.section('.maps');
  if (dotMaps === undefined || btf === undefined) return out;
  for (const def of btfMapDefs(btf)) {
    if (def.valueType === undefined) continue;
    try {
      const value = btf.resolve(def.valueType);
      const field = (name: string): number | undefined => {
        const m = value.kind === BtfKind.STRUCT ? value.members?.find((x) => { const t = btf.resolve(x.type); return t.kind === BtfKind.STRUCT && t.name === name; }) : undefined;
        return m !== undefined && m.bitOffset % 8 === 0 ? m.bitOffset / 8 : undefined;
      };
      const timer = field('bpf_timer');
      const spinLock = field('bpf_spin_lock');
      if (timer !== undefined || spinLock !== undefined) out.set(def.name, { timer, spinLock });
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e; // malformed BTF: the map gets no special fields
    }
  }
  return out;
}

/** The global variables (`.data`, `.rodata*`, `.bss`) with their locations, from the symbol table and BTF. */
export function globalVariables(elf: ElfFile, btf: Btf | undefined): GlobalVariable[] {
  const out: GlobalVariable[] = [];
  for (const sym of elf.symbols) {
    const section = elf.sections[sym.shndx];
    if (section === undefined || sym.type !== SymbolType.OBJECT || !GLOBAL_DATA.test(section.name) || sym.name === '') continue;
    let type = 0;
    if (btf !== undefined) {
      const v = datasecVariables(btf, section.name).find((x) => x.name === sym.name);
      type = v?.type ?? 0;
    }
    out.push({ name: sym.name, section: section.name, offset: sym.value, size: sym.size, type });
  }
  return out;
}
