/**
 * Program linking, as libbpf does it: a program is its entry function followed by every subprogram
 * it calls (transitively, from any executable section), with `call` immediates fixed to the new
 * positions, and `lddw` relocations resolved to map handles or global-data addresses.
 *
 * Representation of resolved `lddw`s (documented for engines, the disassembler and the CLI): every
 * resolved `lddw` becomes a plain 64-bit immediate load (src 0). A map reference loads the map's
 * *handle* (an address reserved for the map and never mapped, see `BpfMap.handle`), which the kernel
 * helpers turn back into the map; a global-data reference loads the virtual address of the variable
 * inside the internal map's value, plus the addend. The two never coincide, so a variable's address
 * is never taken for a map. A reference to a function (a callback) stays an `lddw` with source 4
 * (`BPF_PSEUDO_FUNC`) whose imm is the function's slot relative to the next, as libbpf makes it; the
 * engines load it as the function's address (vm/functions).
 * @module
 */
import { ErrorCode, ObjectFileError } from '../errors.js';
import { decodeInsn, encodeInsnInto, splitWideImm, wideImm } from '../isa/instruction.js';
import { CallKind, INSN_SIZE, Opcode, PseudoLoad } from '../isa/opcodes.js';
import { SHF_EXECINSTR, SymbolType, type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol } from './reader.js';

/** Relocation types of the BPF ELF ABI. */
export const RelocType = { NONE: 0, R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10 } as const;

/** A function of an executable section: its symbol name and instruction range. */
export interface ElfFunction {
  /** Function (symbol) name; the section name for sections without FUNC symbols. */
  readonly name: string;
  /** Section index. */
  readonly section: number;
  /** First instruction slot in the section. */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  /** Symbol binding (global functions in `.text` may be programs too). */
  readonly global: boolean;
}

/** Resolves what an `lddw` relocation points at. */
export interface DataResolver {
  /** The 64-bit value to load for `symbol` + `addend`, or an error message; `section` is undefined for an extern (an undefined symbol). */
  (symbol: ElfSymbol, section: ElfSection | undefined, addend: bigint): bigint | string;
}

/** The helper id a call to an undefined function (a kfunc) becomes; it records what it cannot resolve. */
export interface ExternCallResolver {
  (symbol: ElfSymbol, where: string): number;
}

/** The result of linking one program. */
export interface LinkedProgram {
  /** Bytecode. */
  readonly bytes: Uint8Array;
  /** Slot → function name, for traces and disassembly. */
  readonly functionNames: Map<number, string>;
  /** Slot → [section name, slot in that section], to map pcs back to source lines. */
  readonly origins: { section: string; start: number; base: number; length: number }[];
  /** Slots of the `lddw`s a relocation resolved to an address: only these load maps or global data. */
  readonly relocated: ReadonlySet<number>;
}

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** The functions of every executable section, by section index, sorted by start. */
export function functionsOf(elf: ElfFile): Map<number, ElfFunction[]> {
  const out = new Map<number, ElfFunction[]>();
  for (const s of elf.sections) {
    if ((s.flags & SHF_EXECINSTR) === 0 || s.size === 0) continue;
    if (s.size % INSN_SIZE !== 0) fail(`section ${s.name}: size ${s.size} is not a multiple of ${INSN_SIZE}`);
    // Code comes from the file: an executable section without bytes there (NOBITS, or a NULL type
    // left by corruption) has nothing to link.
    if (s.data.length !== s.size) fail(`section ${s.name}: executable, but its ${s.size} bytes are not in the file (section type ${s.type})`);
    const slots = s.size / INSN_SIZE;
    const syms = elf.symbols
      .filter((y) => y.shndx === s.index && y.type === SymbolType.FUNC)
      .sort((a, b) => a.value - b.value);
    const list: ElfFunction[] = [];
    syms.forEach((y, k) => {
      if (y.value % INSN_SIZE !== 0 || y.value >= s.size) fail(`function ${y.name}: offset ${y.value} is not an instruction of section ${s.name}`);
      const start = y.value / INSN_SIZE;
      const next = k + 1 < syms.length ? syms[k + 1]!.value / INSN_SIZE : slots;
      const bySize = y.size > 0 && y.size % INSN_SIZE === 0 ? start + y.size / INSN_SIZE : next;
      const end = Math.max(start + 1, Math.min(bySize, slots));
      list.push({ name: y.name, section: s.index, start, end, global: y.bind !== 0 });
    });
    if (list.length === 0) list.push({ name: s.name, section: s.index, start: 0, end: slots, global: true });
    out.set(s.index, list);
  }
  return out;
}

/** Find the function of a section that contains a slot. */
function functionAt(fns: readonly ElfFunction[] | undefined, slot: number): ElfFunction | undefined {
  return fns?.find((f) => slot >= f.start && slot < f.end);
}

/**
 * Link the program that starts at `entry`. `resolveData` turns `lddw` relocations into values;
 * `checkHelper` may reject helper ids (it throws).
 */
export function linkProgram(
  elf: ElfFile,
  functions: Map<number, ElfFunction[]>,
  entry: ElfFunction,
  resolveData: DataResolver,
  checkHelper: (id: number, where: string) => void,
  resolveCall?: ExternCallResolver,
): LinkedProgram {
  const placed = new Map<ElfFunction, number>();
  const order: ElfFunction[] = [];
  let total = 0;
  const place = (f: ElfFunction): number => {
    let base = placed.get(f);
    if (base === undefined) {
      base = total;
      placed.set(f, base);
      order.push(f);
      total += f.end - f.start;
      if (total > 1_000_000) fail(`program ${entry.name}: linked program exceeds 1,000,000 instructions`);
    }
    return base;
  };
  place(entry);
  const chunks: Uint8Array[] = [];
  const functionNames = new Map<number, string>();
  const origins: LinkedProgram['origins'] = [];
  const relocated = new Set<number>();
  for (let k = 0; k < order.length; k++) {
    const f = order[k]!;
    const base = placed.get(f)!;
    const section = elf.sections[f.section]!;
    const code = section.data.slice(f.start * INSN_SIZE, f.end * INSN_SIZE);
    functionNames.set(base, f.name);
    origins.push({ section: section.name, start: f.start, base, length: f.end - f.start });
    const relocs = new Map<number, ElfRelocation>();
    for (const r of elf.relocations.get(f.section) ?? []) {
      if (r.offset % INSN_SIZE !== 0) fail(`section ${section.name}: relocation at offset ${r.offset} is not on an instruction boundary`);
      const slot = r.offset / INSN_SIZE;
      if (slot >= f.start && slot < f.end) relocs.set(slot - f.start, r);
    }
    const n = f.end - f.start;
    for (let pc = 0; pc < n; pc++) {
      const i = decodeInsn(code, pc);
      const where = `${section.name}:${f.name}+${pc}`;
      const r = relocs.get(pc);
      if (i.opcode === Opcode.LDDW) {
        if (pc + 1 >= n) fail(`${where}: lddw is missing its second slot`);
        if (r !== undefined) {
          // Old LLVM releases (ELF machine 0) wrote type 0 here; libbpf goes by the instruction, not the type.
          if (r.type !== RelocType.R_BPF_64_64 && r.type !== RelocType.NONE) fail(`${where}: relocation type ${r.type} on an lddw; expected R_BPF_64_64 (1)`);
          const sym = symbolOf(elf, r, where);
          // An undefined symbol is an extern: the resolver knows the ones it can fill (Kconfig).
          const target = sym.shndx === 0 ? undefined : targetSection(elf, sym, where);
          const addend = r.addend + wideImm(i, decodeInsn(code, pc + 1));
          if (target !== undefined && (target.flags & SHF_EXECINSTR) !== 0) {
            // A function pointer (a callback): libbpf's BPF_PSEUDO_FUNC, lddw source 4 whose imm is the
            // function's slot relative to the next one; the function is linked in like a called one.
            const offset = BigInt(sym.type === SymbolType.SECTION ? 0 : sym.value) + addend;
            if (offset < 0n || offset % BigInt(INSN_SIZE) !== 0n) fail(`${where}: function pointer to ${sym.name}+${addend} is not an instruction boundary`);
            const tSlot = Number(offset / BigInt(INSN_SIZE));
            const fn = functionAt(functions.get(sym.shndx), tSlot);
            if (fn === undefined) fail(`${where}: function pointer to ${sym.name} (section ${target.name}, slot ${tSlot}) is not in a function`);
            const tBase = place(fn);
            encodeInsnInto(code, pc, { ...i, src: PseudoLoad.FUNC, imm: tBase + (tSlot - fn.start) - (base + pc) - 1 });
            encodeInsnInto(code, pc + 1, { ...decodeInsn(code, pc + 1), imm: 0 });
            pc++;
            continue;
          }
          const value = resolveData(sym, target, addend);
          if (typeof value === 'string') fail(`${where}: ${value}`);
          const { lo, hi } = splitWideImm(value);
          encodeInsnInto(code, pc, { ...i, src: 0, imm: lo });
          encodeInsnInto(code, pc + 1, { ...decodeInsn(code, pc + 1), imm: hi });
          relocated.add(base + pc);
        }
        pc++;
        continue;
      }
      if (i.opcode === Opcode.CALL && i.src === CallKind.LOCAL) {
        let tSection: number;
        let tSlot: number;
        if (r !== undefined) {
          if (r.type !== RelocType.R_BPF_64_32) fail(`${where}: relocation type ${r.type} on a call; expected R_BPF_64_32 (10)`);
          const sym = symbolOf(elf, r, where);
          if (sym.shndx === 0 && resolveCall !== undefined) {
            // A function the object declares but does not define (a kfunc): a helper call to the id the resolver gives.
            encodeInsnInto(code, pc, { ...i, src: CallKind.HELPER, offset: 0, imm: resolveCall(sym, where) });
            continue;
          }
          targetSection(elf, sym, where);
          if (sym.value % INSN_SIZE !== 0) fail(`${where}: call target ${sym.name} is not instruction-aligned`);
          tSection = sym.shndx;
          tSlot = sym.value / INSN_SIZE + i.imm + 1;
        } else {
          tSection = f.section;
          tSlot = f.start + pc + i.imm + 1;
        }
        const target = functionAt(functions.get(tSection), tSlot);
        if (target === undefined) fail(`${where}: call target (section ${elf.sections[tSection]?.name ?? tSection}, slot ${tSlot}) is not in a function`);
        const tBase = place(target);
        encodeInsnInto(code, pc, { ...i, imm: tBase + (tSlot - target.start) - (base + pc) - 1 });
        continue;
      }
      if (r !== undefined) {
        fail(`${where}: unsupported relocation type ${r.type} (${relocName(r.type)}) on opcode 0x${i.opcode.toString(16)}`);
      }
      if (i.opcode === Opcode.CALL && i.src === CallKind.HELPER) checkHelper(i.imm, where);
    }
    chunks.push(code);
  }
  const bytes = new Uint8Array(total * INSN_SIZE);
  order.forEach((f, k) => bytes.set(chunks[k]!, placed.get(f)! * INSN_SIZE));
  return { bytes, functionNames, origins, relocated };
}

/** A relocation type's name for messages. */
export function relocName(type: number): string {
  const e = Object.entries(RelocType).find(([, v]) => v === type);
  return e === undefined ? 'unknown' : e[0];
}

function symbolOf(elf: ElfFile, r: ElfRelocation, where: string): ElfSymbol {
  const sym = elf.symbols[r.symbol];
  if (sym === undefined) fail(`${where}: relocation names symbol ${r.symbol}, which does not exist`);
  return sym;
}

function targetSection(elf: ElfFile, sym: ElfSymbol, where: string): ElfSection {
  if (sym.shndx === 0) fail(`${where}: symbol ${sym.name} is undefined (extern variables, kfuncs and kconfig are not supported)`);
  const s = elf.sections[sym.shndx];
  if (s === undefined || sym.shndx >= 0xff00) fail(`${where}: symbol ${sym.name} is in special section ${sym.shndx}, which is not supported`);
  return s;
}
