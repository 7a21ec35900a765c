/**
 * BTF (BPF Type Format) parsing: enough of the type graph for BTF-defined maps (`.maps`), the
 * variables of global-data sections, and type sizes. Every read is bounds-checked and every walk of
 * the type graph is depth-limited, so malformed or cyclic BTF gives an {@link ObjectFileError} (E_BTF).
 * @module
 */
import { ErrorCode, ObjectFileError } from '../errors.js';
import { checkBytes, checkInteger, checkString } from '../validate.js';

/** BTF type kinds. */
export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** A struct or union member. `bitOffset` is in bits from the start of the aggregate. */
export interface BtfMember {
  /** Member name ('' for anonymous members). */
  readonly name: string;
  /** Type id of the member. */
  readonly type: number;
  /** Offset in bits. */
  readonly bitOffset: number;
  /** Bitfield width recorded in the member (structs with the kind flag); 0 otherwise. */
  readonly bitSize?: number;
}

/** A variable inside a DATASEC. */
export interface BtfVarSecInfo {
  /** Type id of the VAR. */
  readonly type: number;
  /** Byte offset inside the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/** One BTF type. Fields beyond `kind`, `name`, `sizeOrType` are filled by kind. */
export interface BtfType {
  /** Type id (1-based; 0 is void). */
  readonly id: number;
  /** Kind, one of {@link BtfKind}. */
  readonly kind: number;
  /** Name ('' when anonymous). */
  readonly name: string;
  /** `vlen`: number of members, parameters, enumerators or variables. */
  readonly vlen: number;
  /** Size in bytes (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT) or referenced type id (PTR, TYPEDEF, VAR…). */
  readonly sizeOrType: number;
  /** ARRAY: element type and element count. */
  readonly array?: { readonly type: number; readonly nelems: number };
  /** STRUCT / UNION members. */
  readonly members?: readonly BtfMember[];
  /** DATASEC variables. */
  readonly vars?: readonly BtfVarSecInfo[];
  /** INT: encoding bits ({@link BtfIntEncoding}), bit offset and bit width. */
  readonly int?: { readonly encoding: number; readonly offset: number; readonly bits: number };
  /** ENUM / ENUM64: the enumerators (values sign-extended when `signed`). */
  readonly enumerators?: readonly { readonly name: string; readonly value: bigint }[];
  /** ENUM / ENUM64: the kind flag, set for signed enums. STRUCT / UNION: member offsets carry bitfield sizes. */
  readonly kflag?: boolean;
  /** VAR: linkage (0 static, 1 global, 2 extern). */
  readonly linkage?: number;
  /** FUNC_PROTO: the parameters, in order (name '' when unnamed; type 0 for a trailing `...`). */
  readonly params?: readonly { readonly name: string; readonly type: number }[];
}

/** INT encoding bits. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** Parsed BTF. */
export class Btf {
  /** Types by id; index 0 is a placeholder for void. */
  readonly types: readonly BtfType[];

  /** The string section. */
  readonly strings: Uint8Array;

  constructor(types: BtfType[], strings: Uint8Array = new Uint8Array(0)) {
    this.types = types;
    this.strings = strings;
  }

  /** A string of the string section (E_BTF when the offset is outside it). */
  string(offset: number): string {
    checkInteger(offset, 'offset', 0, 0xffff_ffff);
    return stringAt(this.strings, offset);
  }

  /** The type with this id, or an E_BTF error. */
  type(id: number): BtfType {
    checkInteger(id, 'id', 0, 0xffff_ffff);
    const t = id > 0 ? this.types[id] : undefined;
    if (t === undefined) throw btfError(`type id ${id} does not exist (${this.types.length - 1} types)`);
    return t;
  }

  /** Follow typedefs, const/volatile/restrict and type tags to the underlying type (depth-limited). */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (depth > 64) throw btfError(`type ${id}: chain of modifiers too long or cyclic`);
      if (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.CONST ||
          t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG || t.kind === BtfKind.VAR) {
        t = this.type(t.sizeOrType);
      } else {
        return t;
      }
    }
  }

  /** Size in bytes of a type (depth-limited, so cyclic BTF errors out instead of hanging). */
  sizeOf(id: number, depth = 0): number {
    checkInteger(depth, 'depth', 0, 65);
    if (depth > 64) throw btfError(`type ${id}: nesting too deep or cyclic`);
    const t = this.resolve(id);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64:
      case BtfKind.DATASEC: case BtfKind.FLOAT:
        return t.sizeOrType;
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY: {
        const n = t.array!.nelems * this.sizeOf(t.array!.type, depth + 1);
        if (!Number.isSafeInteger(n) || n > 0xffffffff) throw btfError(`array type ${t.id} is too large`);
        return n;
      }
      default:
        throw btfError(`type ${t.id} (kind ${t.kind}) has no size`);
    }
  }

  /** The first type of a kind with a name. */
  find(kind: number, name: string): BtfType | undefined {
    checkInteger(kind, 'kind', 0, 0x1f);
    checkString(name, 'name');
    return this.types.find((t) => t !== undefined && t.kind === kind && t.name === name);
  }
}

function btfError(message: string): ObjectFileError {
  return new ObjectFileError(ErrorCode.BTF, `BTF: ${message}`);
}

function stringAt(strings: Uint8Array, off: number): string {
  if (off >= strings.length) throw btfError(`string offset ${off} is outside the ${strings.length}-byte string section`);
  let end = off;
  while (end < strings.length && strings[end] !== 0) end++;
  return new TextDecoder().decode(strings.subarray(off, end));
}

/** Parse the `.BTF` section. Throws {@link ObjectFileError} with code E_BTF when malformed. */
export function parseBtf(data: Uint8Array): Btf {
  checkBytes(data, 'data');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const need = (at: number, len: number): void => {
    if (at < 0 || at + len > data.length) throw btfError(`data at offset ${at} (${len} bytes) lies past the end of the ${data.length}-byte section`);
  };
  need(0, 24);
  if (view.getUint16(0, true) !== 0xeb9f) {
    if (view.getUint16(0, false) === 0xeb9f) throw btfError('big-endian BTF is not supported');
    throw btfError('bad magic number');
  }
  const hdrLen = view.getUint32(4, true);
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (hdrLen < 24) throw btfError(`header length ${hdrLen} is smaller than 24`);
  need(hdrLen + typeOff, typeLen);
  need(hdrLen + strOff, strLen);
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const types: BtfType[] = [{ id: 0, kind: 0, name: 'void', vlen: 0, sizeOrType: 0 }];
  let at = hdrLen + typeOff;
  const end = at + typeLen;
  const u32 = (p: number): number => {
    if (p + 4 > end) throw btfError(`type ${types.length} runs past the end of the type section`);
    return view.getUint32(p, true);
  };
  while (at < end) {
    const id = types.length;
    const name = stringAt(strings, u32(at));
    const info = u32(at + 4);
    const sizeOrType = u32(at + 8);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    at += 12;
    let type: BtfType = { id, kind, name, vlen, sizeOrType };
    switch (kind) {
      case BtfKind.INT: {
        const word = u32(at);
        type = { ...type, int: { encoding: (word >>> 24) & 0xf, offset: (word >>> 16) & 0xff, bits: word & 0xff } };
        at += 4;
        break;
      }
      case BtfKind.VAR:
        type = { ...type, linkage: u32(at) };
        at += 4;
        break;
      case BtfKind.DECL_TAG:
        u32(at);
        at += 4;
        break;
      case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
      case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG:
        break;
      case BtfKind.ARRAY:
        type = { ...type, array: { type: u32(at), nelems: u32(at + 8) } };
        at += 12;
        break;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        const members: BtfMember[] = [];
        const kflag = info >>> 31;
        for (let i = 0; i < vlen; i++, at += 12) {
          const off = u32(at + 8);
          members.push({ name: stringAt(strings, u32(at)), type: u32(at + 4), bitOffset: kflag ? off & 0xffffff : off, bitSize: kflag ? off >>> 24 : 0 });
        }
        type = { ...type, members, kflag: kflag === 1 };
        break;
      }
      case BtfKind.FUNC_PROTO: {
        u32(at + vlen * 8 - 4 * (vlen > 0 ? 1 : 0));
        const params: { name: string; type: number }[] = [];
        for (let i = 0; i < vlen; i++, at += 8) params.push({ name: stringAt(strings, u32(at)), type: u32(at + 4) });
        type = { ...type, params };
        break;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64: {
        const signed = info >>> 31 === 1;
        const step = kind === BtfKind.ENUM ? 8 : 12;
        u32(at + vlen * step - 4 * (vlen > 0 ? 1 : 0));
        const enumerators: { name: string; value: bigint }[] = [];
        for (let i = 0; i < vlen; i++, at += step) {
          const lo = BigInt(u32(at + 4));
          const raw = kind === BtfKind.ENUM ? lo : (BigInt(u32(at + 8)) << 32n) | lo;
          const value = kind === BtfKind.ENUM ? (signed ? BigInt.asIntN(32, raw) : raw) : signed ? BigInt.asIntN(64, raw) : raw;
          enumerators.push({ name: stringAt(strings, u32(at)), value });
        }
        type = { ...type, enumerators, kflag: signed };
        break;
      }
      case BtfKind.DATASEC: {
        const vars: BtfVarSecInfo[] = [];
        for (let i = 0; i < vlen; i++, at += 12) vars.push({ type: u32(at), offset: u32(at + 4), size: u32(at + 8) });
        type = { ...type, vars };
        break;
      }
      default:
        throw btfError(`type ${id} has unknown kind ${kind}`);
    }
    types.push(type);
  }
  return new Btf(types, strings);
}

/** A map definition read from a BTF `.maps` variable. */
export interface BtfMapDef {
  /** Variable name (the map's name). */
  readonly name: string;
  /** Byte offset of the variable in `.maps` (relocations point here). */
  readonly offset: number;
  /** Size of the variable in `.maps`. */
  readonly size: number;
  /** Fields given as `__uint(field, n)`: type, max_entries, key_size, value_size, map_flags, pinning… */
  readonly numbers: ReadonlyMap<string, number>;
  /** Key type id when given with `__type(key, T)`. */
  readonly keyType?: number;
  /** Value type id when given with `__type(value, T)`. */
  readonly valueType?: number;
  /** Byte offset of the `values` array inside the variable (program arrays, maps of maps), if any. */
  readonly valuesOffset?: number;
  /** The inner map's definition for array/hash of maps (`__array(values, struct {…})`). */
  readonly inner?: BtfMapDef;
  /** Why the definition cannot be read (the map is refused, the object's other maps are not). */
  readonly error?: string;
}

/** Read one map definition struct (the type of a `.maps` variable). */
function mapDefFromStruct(btf: Btf, name: string, offset: number, size: number, typeId: number, depth = 0): BtfMapDef {
  if (depth > 4) throw btfError(`map ${name}: maps of maps nested too deeply (or cyclic)`);
  const st = btf.resolve(typeId);
  if (st.kind !== BtfKind.STRUCT) throw btfError(`map ${name}: definition is not a struct`);
  const numbers = new Map<string, number>();
  let keyType: number | undefined;
  let valueType: number | undefined;
  let valuesOffset: number | undefined;
  let inner: BtfMapDef | undefined;
  for (const m of st.members ?? []) {
    const mt = btf.resolve(m.type);
    if (m.name === 'values') {
      if (mt.kind !== BtfKind.ARRAY) throw btfError(`map ${name}: 'values' is not an array`);
      valuesOffset = Math.floor(m.bitOffset / 8);
      const elem = btf.resolve(mt.array!.type);
      if (elem.kind === BtfKind.PTR && elem.sizeOrType !== 0) {
        const target = btf.resolve(elem.sizeOrType);
        if (target.kind === BtfKind.STRUCT) inner = mapDefFromStruct(btf, `${name}.inner`, 0, 0, target.id, depth + 1);
      }
      continue;
    }
    if (mt.kind === BtfKind.ENUM || mt.kind === BtfKind.ENUM64) {
      // libbpf's __ulong(field, n): an anonymous enum whose one enumerator is n (64-bit fields, map_extra).
      const value = mt.enumerators?.[0]?.value;
      if (value === undefined || mt.enumerators!.length !== 1) throw btfError(`map ${name}: field '${m.name}' is an enum without exactly one value (use __ulong)`);
      if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw btfError(`map ${name}: field '${m.name}' is ${value}, outside 0 to 2^53-1`);
      numbers.set(m.name, Number(value));
      continue;
    }
    if (mt.kind !== BtfKind.PTR) throw btfError(`map ${name}: field '${m.name}' is not a pointer (use __uint / __type / __ulong)`);
    const target = btf.resolve(mt.sizeOrType);
    if (m.name === 'key' || m.name === 'value') {
      if (m.name === 'key') keyType = mt.sizeOrType;
      else valueType = mt.sizeOrType;
    } else if (target.kind === BtfKind.ARRAY) {
      numbers.set(m.name, target.array!.nelems);
    } else {
      throw btfError(`map ${name}: field '${m.name}' is not an __uint() array`);
    }
  }
  return { name, offset, size, numbers, keyType, valueType, valuesOffset, inner };
}

/**
 * The BTF-defined maps of the `.maps` DATASEC. A definition that cannot be read is returned with its
 * `error` (that map is refused, not the object); a `.maps` entry that is not a variable is an error.
 */
export function btfMapDefs(btf: Btf): BtfMapDef[] {
  const sec = btf.find(BtfKind.DATASEC, '.maps');
  if (sec === undefined) return [];
  return (sec.vars ?? []).map((v) => {
    const variable = btf.type(v.type);
    if (variable.kind !== BtfKind.VAR) throw btfError(`.maps entry ${v.type} is not a variable`);
    try {
      return mapDefFromStruct(btf, variable.name, v.offset, v.size, variable.sizeOrType);
    } catch (e) {
      if (!(e instanceof ObjectFileError)) throw e;
      return { name: variable.name, offset: v.offset, size: v.size, numbers: new Map(), error: e.message };
    }
  });
}

/** The variables of a DATASEC (`.data`, `.bss`, `.rodata`…) with their offsets, sizes and type ids. */
export function datasecVariables(btf: Btf, section: string): { name: string; offset: number; size: number; type: number }[] {
  const sec = btf.find(BtfKind.DATASEC, section);
  if (sec === undefined) return [];
  return (sec.vars ?? []).map((v) => {
    const variable = btf.type(v.type);
    return { name: variable.name, offset: v.offset, size: v.size, type: variable.sizeOrType };
  });
}
