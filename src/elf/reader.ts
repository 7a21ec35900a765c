/**
 * ELF64 parsing for relocatable BPF objects: the header, section table, symbol table and relocations.
 * Every offset and count read from the file is checked against the file's length before use, so a
 * truncated or hostile file gives an {@link ObjectFileError} and never an out-of-range read.
 * @module
 */
import { ErrorCode, ObjectFileError } from '../errors.js';
import { checkBytes } from '../validate.js';

/** ELF machine number of BPF. */
export const EM_BPF = 247;
/** ELF machine "none", which LLVM wrote into BPF objects before it had EM_BPF. */
export const EM_NONE = 0;

/** Section header types used by the loader. */
export const SectionType = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;

/** Section flag: the section holds executable code. */
export const SHF_EXECINSTR = 0x4;

/** Symbol types. */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

/** Symbol binding: local. */
export const STB_LOCAL = 0;
/** Symbol binding: global. */
export const STB_GLOBAL = 1;

/** One section. `data` is a view of the file (empty for SHT_NOBITS). */
export interface ElfSection {
  /** Index in the section table. */
  readonly index: number;
  /** Name from the section-name string table. */
  readonly name: string;
  /** `sh_type`. */
  readonly type: number;
  /** `sh_flags` (low 32 bits; BPF objects use no higher flags). */
  readonly flags: number;
  /** Size in bytes (for NOBITS, the size in memory). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** The section's bytes in the file (empty for NOBITS). */
  readonly data: Uint8Array;
}

/** One symbol of `.symtab`. */
export interface ElfSymbol {
  /** Index in the symbol table. */
  readonly index: number;
  /** Name ('' when unnamed). */
  readonly name: string;
  /** `st_value`: an offset inside its section for relocatable objects. */
  readonly value: number;
  /** `st_size`. */
  readonly size: number;
  /** Type, one of {@link SymbolType}. */
  readonly type: number;
  /** Binding ({@link STB_LOCAL}, {@link STB_GLOBAL}, weak 2). */
  readonly bind: number;
  /** Section index the symbol is defined in (0 when undefined, ≥ 0xff00 when special). */
  readonly shndx: number;
}

/** One relocation entry of a REL or RELA section. */
export interface ElfRelocation {
  /** Byte offset inside the section the relocation applies to. */
  readonly offset: number;
  /** Relocation type (`R_BPF_*`). */
  readonly type: number;
  /** Symbol index. */
  readonly symbol: number;
  /** Explicit addend (RELA only; REL relocations have 0 and keep the addend in place). */
  readonly addend: bigint;
}

/** A parsed ELF file. */
export interface ElfFile {
  /** Every section, by index. */
  readonly sections: readonly ElfSection[];
  /** Every symbol of `.symtab` (empty if there is none). */
  readonly symbols: readonly ElfSymbol[];
  /** Relocations by the index of the section they apply to. */
  readonly relocations: ReadonlyMap<number, readonly ElfRelocation[]>;
  /** The first section with this name. */
  section(name: string): ElfSection | undefined;
}

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** Bounds-checked little-endian reads of the file. */
class Bytes {
  private readonly view: DataView;
  constructor(readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  check(at: number, len: number, what: string): void {
    if (!Number.isSafeInteger(at) || at < 0 || len < 0 || at + len > this.data.length) {
      fail(`${what} at offset ${at} (${len} bytes) lies outside the ${this.data.length}-byte file; the file is truncated or corrupt`);
    }
  }
  u8(at: number): number {
    this.check(at, 1, 'field');
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    this.check(at, 2, 'field');
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    this.check(at, 4, 'field');
    return this.view.getUint32(at, true);
  }
  /** An unsigned 64-bit field that must fit a JS number (offsets, sizes). */
  size64(at: number, what: string): number {
    this.check(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is too large`);
    return Number(v);
  }
  i64(at: number): bigint {
    this.check(at, 8, 'field');
    return this.view.getBigInt64(at, true);
  }
}

/** Read a NUL-terminated string from a string table section. */
export function stringAt(table: Uint8Array, offset: number, what: string): string {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= table.length) {
    if (offset === 0 && table.length === 0) return '';
    fail(`${what}: string offset ${offset} is outside its ${table.length}-byte string table`);
  }
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  return new TextDecoder().decode(table.subarray(offset, end));
}

/** Parse an ELF64 little-endian relocatable BPF object. Throws {@link ObjectFileError} (E_ELF) on anything malformed. */
export function parseElf(data: Uint8Array): ElfFile {
  checkBytes(data, 'data');
  const b = new Bytes(data);
  if (data.length < 64) fail(`not an ELF file: ${data.length} bytes is shorter than an ELF64 header`);
  if (data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) fail('not an ELF file: bad magic number');
  if (data[4] !== 2) fail('only 64-bit ELF files (ELFCLASS64) are supported; BPF objects are 64-bit');
  if (data[5] === 2) fail('big-endian BPF objects are not supported; compile with -target bpfel (or bpf on a little-endian host)');
  if (data[5] !== 1) fail(`unknown ELF data encoding ${data[5]}`);
  const machine = b.u16(18);
  // Old LLVM releases wrote EM_NONE (0) into BPF objects; libbpf accepts them, and so do we.
  if (machine !== EM_BPF && machine !== EM_NONE) fail(`ELF machine is ${machine}, not BPF (${EM_BPF}); compile with clang -target bpf`);
  const shoff = b.size64(40, 'section header offset');
  const shentsize = b.u16(58);
  let shnum = b.u16(60);
  const shstrndx = b.u16(62);
  if (shoff === 0) shnum = 0;
  if (shnum === 0 && shoff !== 0) fail('extended section numbering (e_shnum = 0) is not supported');
  if (shnum > 0 && shentsize < 64) fail(`section header entry size ${shentsize} is smaller than 64`);
  b.check(shoff, shnum * shentsize, 'section header table');

  interface RawSection { nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }
  const raw: RawSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const type = b.u32(at + 4);
    const offset = b.size64(at + 24, `section ${i} offset`);
    const size = b.size64(at + 32, `section ${i} size`);
    if (type !== SectionType.NOBITS && type !== SectionType.NULL) b.check(offset, size, `section ${i} contents`);
    raw.push({
      nameOff: b.u32(at),
      type,
      flags: b.u32(at + 8),
      offset,
      size,
      link: b.u32(at + 40),
      info: b.u32(at + 44),
      entsize: b.size64(at + 56, `section ${i} entry size`),
    });
  }
  const contents = (r: RawSection): Uint8Array =>
    r.type === SectionType.NOBITS || r.type === SectionType.NULL ? new Uint8Array(0) : data.subarray(r.offset, r.offset + r.size);

  if (shnum > 0 && shstrndx >= shnum) fail(`section-name string table index ${shstrndx} is not a section`);
  const names = shnum > 0 ? contents(raw[shstrndx]!) : new Uint8Array(0);
  const sections: ElfSection[] = raw.map((r, index) => ({
    index,
    name: index === 0 ? '' : stringAt(names, r.nameOff, `name of section ${index}`),
    type: r.type,
    flags: r.flags,
    size: r.size,
    link: r.link,
    info: r.info,
    data: contents(r),
  }));

  const symbols: ElfSymbol[] = [];
  const symtabIndex = raw.findIndex((r) => r.type === SectionType.SYMTAB);
  if (symtabIndex >= 0) {
    const st = raw[symtabIndex]!;
    if (st.link >= shnum) fail(`symbol table links to string table ${st.link}, which is not a section`);
    const strtab = contents(raw[st.link]!);
    const ent = st.entsize === 0 ? 24 : st.entsize;
    if (ent < 24) fail(`symbol entry size ${ent} is smaller than 24`);
    const count = Math.floor(st.size / ent);
    for (let i = 0; i < count; i++) {
      const at = st.offset + i * ent;
      const info = b.u8(at + 4);
      symbols.push({
        index: i,
        name: stringAt(strtab, b.u32(at), `name of symbol ${i}`),
        type: info & 0xf,
        bind: info >> 4,
        shndx: b.u16(at + 6),
        value: b.size64(at + 8, `value of symbol ${i}`),
        size: b.size64(at + 16, `size of symbol ${i}`),
      });
    }
  }

  const relocations = new Map<number, ElfRelocation[]>();
  raw.forEach((r, i) => {
    if (r.type !== SectionType.REL && r.type !== SectionType.RELA) return;
    const rela = r.type === SectionType.RELA;
    const ent = r.entsize === 0 ? (rela ? 24 : 16) : r.entsize;
    if (ent < (rela ? 24 : 16)) fail(`relocation section ${sections[i]!.name}: entry size ${ent} is too small`);
    if (r.info >= shnum) fail(`relocation section ${sections[i]!.name} applies to section ${r.info}, which does not exist`);
    const list: ElfRelocation[] = [];
    const count = Math.floor(r.size / ent);
    for (let k = 0; k < count; k++) {
      const at = r.offset + k * ent;
      list.push({
        offset: b.size64(at, 'relocation offset'),
        type: b.u32(at + 8),
        symbol: b.u32(at + 12),
        addend: rela ? b.i64(at + 16) : 0n,
      });
    }
    const prev = relocations.get(r.info);
    relocations.set(r.info, prev === undefined ? list : prev.concat(list));
  });

  return {
    sections,
    symbols,
    relocations,
    section: (name: string) => sections.find((s) => s.name === name),
  };
}
