/**
 * `.BTF.ext` line information: for each code section, which source file, line and column (and the
 * source text clang recorded) each instruction comes from. The CLI's disassembler and tracer use it.
 * @module
 */
import { ErrorCode, ObjectFileError } from '../errors.js';
import type { Btf } from './btf.js';

/** Where an instruction comes from in the C source. */
export interface SourceLine {
  /** Source file name as clang recorded it. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (0 when unknown). */
  readonly column: number;
  /** The source line's text. */
  readonly text: string;
}

/** One line-info record: the instruction's byte offset in its section and its source position. */
export interface LineInfo extends SourceLine {
  /** Byte offset of the instruction in its section. */
  readonly insnOffset: number;
}

function extError(message: string): ObjectFileError {
  return new ObjectFileError(ErrorCode.BTF, `BTF.ext: ${message}`);
}

/** Parse the line info of `.BTF.ext`, by section name. Throws E_BTF when malformed. */
export function parseLineInfo(data: Uint8Array, btf: Btf): Map<string, LineInfo[]> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (at: number): number => {
    if (at < 0 || at + 4 > data.length) throw extError(`read at offset ${at} is past the end of the ${data.length}-byte section`);
    return view.getUint32(at, true);
  };
  if (data.length < 24 || view.getUint16(0, true) !== 0xeb9f) throw extError('bad header or magic number');
  const hdrLen = u32(4);
  const lineOff = u32(16);
  const lineLen = u32(20);
  const out = new Map<string, LineInfo[]>();
  if (lineLen === 0) return out;
  let at = hdrLen + lineOff;
  const end = at + lineLen;
  if (end > data.length) throw extError('line info runs past the end of the section');
  const recSize = u32(at);
  if (recSize < 16) throw extError(`line info record size ${recSize} is smaller than 16`);
  at += 4;
  while (at < end) {
    const section = btf.string(u32(at));
    const count = u32(at + 4);
    at += 8;
    if (count * recSize > end - at) throw extError(`section ${section}: ${count} line records do not fit`);
    const list: LineInfo[] = out.get(section) ?? [];
    for (let i = 0; i < count; i++, at += recSize) {
      const lineCol = u32(at + 12);
      list.push({
        insnOffset: u32(at),
        file: btf.string(u32(at + 4)),
        text: btf.string(u32(at + 8)),
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      });
    }
    out.set(section, list);
  }
  return out;
}

/** One CO-RE relocation record of `.BTF.ext` (`struct bpf_core_relo`). */
export interface CoreRelo {
  /** Byte offset of the instruction in its section. */
  readonly insnOffset: number;
  /** The root type in the object's BTF. */
  readonly typeId: number;
  /** Access string (`0:1:2`: an index into the root, then member / element indices). */
  readonly access: string;
  /** Relocation kind (`CoreKind`). */
  readonly kind: number;
}

/** Parse the CO-RE relocations of `.BTF.ext`, by section name (empty when the header has none). Throws E_BTF when malformed. */
export function parseCoreRelos(data: Uint8Array, btf: Btf): Map<string, CoreRelo[]> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (at: number): number => {
    if (at < 0 || at + 4 > data.length) throw extError(`read at offset ${at} is past the end of the ${data.length}-byte section`);
    return view.getUint32(at, true);
  };
  if (data.length < 24 || view.getUint16(0, true) !== 0xeb9f) throw extError('bad header or magic number');
  const hdrLen = u32(4);
  const out = new Map<string, CoreRelo[]>();
  // Headers before CO-RE (24 bytes) have no relocation fields.
  if (hdrLen < 32) return out;
  const off = u32(24);
  const len = u32(28);
  if (len === 0) return out;
  let at = hdrLen + off;
  const end = at + len;
  if (end > data.length || end < at) throw extError('CO-RE relocations run past the end of the section');
  const recSize = u32(at);
  if (recSize < 16) throw extError(`CO-RE relocation record size ${recSize} is smaller than 16`);
  at += 4;
  while (at < end) {
    const section = btf.string(u32(at));
    const count = u32(at + 4);
    at += 8;
    if (count * recSize > end - at) throw extError(`section ${section}: ${count} CO-RE relocation records do not fit`);
    const list = out.get(section) ?? [];
    for (let i = 0; i < count; i++, at += recSize) {
      list.push({ insnOffset: u32(at), typeId: u32(at + 4), access: btf.string(u32(at + 8)), kind: u32(at + 12) });
    }
    out.set(section, list);
  }
  return out;
}
