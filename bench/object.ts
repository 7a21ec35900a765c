/**
 * Gets a benchmark program's bytecode out of its clang-built object. Uses the project's ELF loader
 * when it is there (src/elf); until then a minimal reader: the bytes of symbol `bpf_main` in its
 * section, refusing objects with relocations (benchmark programs have none by construction).
 * @module
 */
import { readFileSync } from 'node:fs';

const SHT_SYMTAB = 2;
const SHT_REL = 9;

/** Read the bytecode of function `symbol` from an ELF64 little-endian relocatable object. */
export function functionBytes(object: Uint8Array, symbol = 'bpf_main'): Uint8Array {
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  const isElf = object[0] === 0x7f && object[1] === 0x45 && object[2] === 0x4c && object[3] === 0x46;
  if (!isElf || object[4] !== 2 || object[5] !== 1) throw new Error('not an ELF64 little-endian object');
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
      info: view.getUint32(at + 0x2c, true),
    };
  };
  const cString = (at: number): string => {
    let end = at;
    while (object[end] !== 0) end++;
    return new TextDecoder().decode(object.subarray(at, end));
  };
  for (let i = 0; i < shnum; i++) {
    const symtab = section(i);
    if (symtab.type !== SHT_SYMTAB) continue;
    const strtab = section(symtab.link);
    for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 24) {
      if (cString(strtab.offset + view.getUint32(at, true)) !== symbol) continue;
      const shndx = view.getUint16(at + 6, true);
      const value = Number(view.getBigUint64(at + 8, true));
      const size = Number(view.getBigUint64(at + 16, true));
      for (let r = 0; r < shnum; r++) {
        const rel = section(r);
        if (rel.type === SHT_REL && rel.info === shndx && rel.size > 0) {
          throw new Error(`${symbol} has relocations; benchmark programs must use only the stack and mem`);
        }
      }
      const text = section(shndx);
      return object.slice(text.offset + value, text.offset + value + size);
    }
  }
  throw new Error(`symbol ${symbol} not found`);
}

/** The bytecode of `bpf_main` in the object file at `path`. */
export function loadBenchProgram(path: string): Uint8Array {
  return functionBytes(readFileSync(path));
}
