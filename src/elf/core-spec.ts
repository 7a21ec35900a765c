/**
 * CO-RE relocation values on one BTF: what a relocation (kind, root type, access string) means in the
 * object's own BTF ("local") and, found by name, in a target BTF. The rules are libbpf's, as its
 * documentation describes them:
 *
 * - A type is matched by its essential name (the name without a `___suffix` flavour) and kind;
 *   typedefs and const/volatile modifiers are looked through. Every candidate must give the same
 *   value, else the relocation is ambiguous.
 * - A field access `0:2:1` is an index into the root type (as through a pointer), then member and
 *   array indices. In the target each member is found by name (through anonymous structs and unions)
 *   and must have a compatible type (both composite of the same kind, both scalars — integers, enums,
 *   floats, pointers — or arrays of compatible elements); array indices must be in bounds (a
 *   trailing flexible array takes any).
 * - Field values: byte offset and size (for a bitfield, the smallest naturally aligned load of 1 to 8
 *   bytes holding it), existence, signedness, and the shifts that extract a bitfield from a 64-bit
 *   load. Type values: existence, size, id, and whether the layouts match. Enum values: existence
 *   and value of an enumerator found by name.
 * @module
 */
import { BtfIntEncoding, BtfKind, type Btf, type BtfType } from './btf.js';

/** Relocation kinds (`enum bpf_core_relo_kind`). */
export const CoreKind = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4, FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;

/** Names of the kinds, for messages. */
export const CORE_KIND_NAMES = [
  'field byte offset', 'field byte size', 'field exists', 'field signed', 'field lshift', 'field rshift',
  'local type id', 'target type id', 'type exists', 'type size', 'enum value exists', 'enum value', 'type matches',
];

const isFieldKind = (k: number): boolean => k <= CoreKind.FIELD_RSHIFT_U64;
const isEnumKind = (k: number): boolean => k === CoreKind.ENUMVAL_EXISTS || k === CoreKind.ENUMVAL_VALUE;
/**
 * Kinds whose value is simply 0 when the target lacks the field, type or enumerator: the existence
 * checks, and a type's size and target id (libbpf's `bpf_core_type_size` / `bpf_core_type_id_kernel`
 * give 0 for a type the kernel lacks, as libbpf documents for the latter and does for both).
 */
export const isZeroWhenMissingKind = (k: number): boolean =>
  k === CoreKind.FIELD_EXISTS || k === CoreKind.TYPE_EXISTS || k === CoreKind.ENUMVAL_EXISTS || k === CoreKind.TYPE_MATCHES ||
  k === CoreKind.TYPE_SIZE || k === CoreKind.TYPE_ID_TARGET;

/** A relocation's value, and what a load of the field must change to when its size differs. */
export interface CoreValue {
  readonly value: bigint;
  /** Field relocations: the field's size and signedness (to adjust a load's width). */
  readonly fieldSize?: number;
  readonly signed?: boolean;
  /**
   * A bitfield's offset, size or shift: clang and libbpf choose the load differently, so the
   * compiled value is not checked (libbpf does not either); the target's set replaces it whole.
   */
  readonly bitfield?: boolean;
}

/** A field or enumerator access resolved on one BTF. */
interface Resolved {
  /** The root type id, the last type reached. */
  readonly root: number;
  readonly type: number;
  /** Bit offset from the start of the access, and the bitfield width (0: not a bitfield). */
  readonly bitOffset: number;
  readonly bitSize: number;
  /** The names along the access (members and `[i]`), for messages and matching. */
  readonly path: readonly (string | number)[];
}

const MAX_DEPTH = 64;

/** `name___flavour` -> `name`. */
export function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i < 0 ? name : name.slice(0, i);
}

/** Skip const / volatile / restrict / type tags (not typedefs). */
function skipModifiers(btf: Btf, id: number): BtfType {
  let t = btf.type(id);
  for (let d = 0; d < MAX_DEPTH && (t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG); d++) {
    t = btf.type(t.sizeOrType);
  }
  return t;
}

/** Skip modifiers and typedefs (the type a value really has). */
function skipTypedefs(btf: Btf, id: number): BtfType {
  let t = skipModifiers(btf, id);
  for (let d = 0; d < MAX_DEPTH && t.kind === BtfKind.TYPEDEF; d++) t = skipModifiers(btf, t.sizeOrType);
  return t;
}

const isComposite = (t: BtfType): boolean => t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
const isScalar = (t: BtfType): boolean => t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 || t.kind === BtfKind.FLOAT || t.kind === BtfKind.PTR;

/** Two field types that a relocation may move between (libbpf's compatibility, loosely). */
function compatible(local: Btf, lid: number, target: Btf, tid: number, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const l = skipTypedefs(local, lid);
  const t = skipTypedefs(target, tid);
  if (isComposite(l) || isComposite(t)) return l.kind === t.kind || (t.kind === BtfKind.FWD) || (l.kind === BtfKind.FWD);
  if (l.kind === BtfKind.FWD || t.kind === BtfKind.FWD) return true;
  if (isScalar(l) && isScalar(t)) return l.kind === t.kind || ((l.kind === BtfKind.INT || l.kind === BtfKind.ENUM || l.kind === BtfKind.ENUM64) && (t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64));
  if (l.kind === BtfKind.ARRAY && t.kind === BtfKind.ARRAY) return compatible(local, l.array!.type, target, t.array!.type, depth + 1);
  return false;
}

/**
 * Parse an access string against the local BTF: the path of names it walks and where it ends. A
 * malformed access (bad index, a member index on a non-composite) is an error message.
 */
function resolveLocal(btf: Btf, root: number, access: readonly number[]): Resolved | string {
  if (access.length === 0) return 'empty access string';
  let t = skipTypedefs(btf, root);
  let type = t.id;
  let bitOffset = access[0]! * 8 * (t.kind === BtfKind.FWD ? 0 : safeSize(btf, type));
  const path: (string | number)[] = [access[0]!];
  let bitSize = 0;
  for (let i = 1; i < access.length; i++) {
    const idx = access[i]!;
    if (isComposite(t)) {
      const m = t.members?.[idx];
      if (m === undefined) return `member index ${idx} is outside ${typeName(btf, t)} (${t.members?.length ?? 0} members)`;
      const bits = memberField(btf, t, idx);
      bitOffset += bits.bitOffset;
      bitSize = bits.bitSize;
      path.push(m.name);
      type = m.type;
    } else if (t.kind === BtfKind.ARRAY) {
      const a = t.array!;
      if (idx >= a.nelems && !(a.nelems === 0)) return `index ${idx} is outside ${typeName(btf, t)}`;
      bitOffset += idx * 8 * safeSize(btf, a.type);
      bitSize = 0;
      path.push(idx);
      type = a.type;
    } else {
      return `access ${access.join(':')} indexes ${typeName(btf, t)}, which has no members or elements`;
    }
    t = skipTypedefs(btf, type);
  }
  return { root, type, bitOffset, bitSize, path };
}

function safeSize(btf: Btf, id: number): number {
  try {
    return btf.sizeOf(id);
  } catch {
    return 0;
  }
}

/**
 * A member's bit offset and bitfield width (0: not a bitfield): recorded in the member with the kind
 * flag, else given by an integer type narrower than its size.
 */
function memberField(btf: Btf, parent: BtfType, index: number): { bitOffset: number; bitSize: number } {
  const m = parent.members![index]!;
  if ((m.bitSize ?? 0) !== 0) return { bitOffset: m.bitOffset, bitSize: m.bitSize! };
  const t = skipTypedefs(btf, m.type);
  if (t.kind === BtfKind.INT && t.int !== undefined && (t.int.bits !== t.sizeOrType * 8 || t.int.offset !== 0)) {
    return { bitOffset: m.bitOffset + t.int.offset, bitSize: t.int.bits };
  }
  return { bitOffset: m.bitOffset, bitSize: 0 };
}

/** Find a member by name in a target composite, through anonymous members; the bit offset and type. */
function findMember(btf: Btf, t: BtfType, name: string, depth = 0): { bitOffset: number; bitSize: number; type: number } | undefined {
  if (depth > MAX_DEPTH) return undefined;
  for (let i = 0; i < (t.members?.length ?? 0); i++) {
    const m = t.members![i]!;
    const bits = memberField(btf, t, i);
    if (m.name === name) return { ...bits, type: m.type };
    if (m.name === '') {
      const inner = skipTypedefs(btf, m.type);
      if (!isComposite(inner)) continue;
      const found = findMember(btf, inner, name, depth + 1);
      if (found !== undefined) return { ...found, bitOffset: found.bitOffset + bits.bitOffset };
    }
  }
  return undefined;
}

/** Walk the local path in a target root type; undefined when some member or index does not match. */
function matchTarget(local: Btf, spec: Resolved, access: readonly number[], target: Btf, targetRoot: number): Resolved | undefined {
  let t = skipTypedefs(target, targetRoot);
  let type = t.id;
  let bitOffset = access[0]! * 8 * safeSize(target, type);
  let bitSize = 0;
  let l = skipTypedefs(local, spec.root);
  for (let i = 1; i < access.length; i++) {
    const idx = access[i]!;
    if (isComposite(l)) {
      const lm = l.members![idx]!;
      if (!isComposite(t)) return undefined;
      if (lm.name === '' && i + 1 < access.length && isComposite(skipTypedefs(local, lm.type))) {
        // An anonymous struct or union on the way: the next named member is looked up through the
        // target's anonymous members, wherever the target nests it.
        l = skipTypedefs(local, lm.type);
        continue;
      }
      if (lm.name === '') {
        // The access ends at an anonymous member: the target must have one at the same index.
        const tm = t.members?.[idx];
        if (tm === undefined || tm.name !== '') return undefined;
        const bits = memberField(target, t, idx);
        bitOffset += bits.bitOffset;
        bitSize = bits.bitSize;
        type = tm.type;
      } else {
        const found = findMember(target, t, lm.name);
        if (found === undefined) return undefined;
        bitOffset += found.bitOffset;
        bitSize = found.bitSize;
        type = found.type;
      }
      if (!compatible(local, lm.type, target, type)) return undefined;
      l = skipTypedefs(local, lm.type);
    } else {
      // An array index.
      if (t.kind !== BtfKind.ARRAY) return undefined;
      const a = t.array!;
      if (idx >= a.nelems && a.nelems !== 0) return undefined;
      bitOffset += idx * 8 * safeSize(target, a.type);
      bitSize = 0;
      type = a.type;
      l = skipTypedefs(local, l.array!.type);
    }
    t = skipTypedefs(target, type);
  }
  return { root: targetRoot, type, bitOffset, bitSize, path: spec.path };
}

function typeName(btf: Btf, t: BtfType): string {
  const kind = t.kind === BtfKind.STRUCT ? 'struct ' : t.kind === BtfKind.UNION ? 'union ' : t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 ? 'enum ' : '';
  return t.name === '' ? `${kind}(anonymous, BTF id ${t.id})` : `${kind}${t.name}`;
}

/** A readable name for what a relocation refers to: `struct task_struct.pid`, `enum e::B`. */
export function describeAccess(btf: Btf, typeId: number, access: string, kind: number): string {
  try {
    const t = skipModifiers(btf, typeId);
    const base = typeName(btf, t);
    const idx = parseAccess(access);
    if (typeof idx === 'string') return `${base} (access ${access})`;
    if (isEnumKind(kind)) {
      const e = skipTypedefs(btf, typeId);
      return `${base}::${e.enumerators?.[idx[0]!]?.name ?? `#${idx[0]}`}`;
    }
    if (!isFieldKind(kind)) return base;
    const r = resolveLocal(btf, typeId, idx);
    if (typeof r === 'string') return `${base} (access ${access})`;
    const names = r.path.slice(1).map((p) => (typeof p === 'number' ? `[${p}]` : `.${p || '(anonymous)'}`)).join('');
    return `${base}${r.path[0] === 0 ? '' : `[${r.path[0]}]`}${names}`;
  } catch {
    return `BTF type ${typeId} (access ${access})`;
  }
}

/** `0:1:2` -> [0, 1, 2]; a message when malformed. */
export function parseAccess(access: string): number[] | string {
  if (!/^\d+(:\d+)*$/.test(access) || access.length > 1024) return `malformed access string ${JSON.stringify(access.slice(0, 64))}`;
  return access.split(':').map(Number);
}

/** Candidate target types for a local type: same essential name, same kind (through typedefs). */
export class TargetIndex {
  private readonly byName = new Map<string, number[]>();

  constructor(readonly btf: Btf) {
    for (const t of btf.types) {
      if (t === undefined || t.name === '') continue;
      const key = essentialName(t.name);
      const list = this.byName.get(key);
      if (list === undefined) this.byName.set(key, [t.id]);
      else list.push(t.id);
    }
  }

  candidates(local: Btf, localId: number): number[] {
    const l = skipModifiers(local, localId);
    if (l.name === '') return [];
    const lk = l.kind === BtfKind.ENUM64 ? BtfKind.ENUM : l.kind;
    return (this.byName.get(essentialName(l.name)) ?? []).filter((id) => {
      const t = this.btf.type(id);
      const tk = t.kind === BtfKind.ENUM64 ? BtfKind.ENUM : t.kind;
      return tk === lk || (lk === BtfKind.FWD && isComposite(t)) || (tk === BtfKind.FWD && isComposite(l));
    });
  }
}

/** Field values from a resolved access: offset, size, signedness and the 64-bit load shifts. */
function fieldValue(btf: Btf, r: Resolved, kind: number): CoreValue | string {
  const t = skipTypedefs(btf, r.type);
  const signed = (t.kind === BtfKind.INT && ((t.int?.encoding ?? 0) & BtfIntEncoding.SIGNED) !== 0) || ((t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.kflag === true);
  let byteSize = safeSize(btf, r.type);
  let byteOffset: number;
  let bitSize: number;
  if (r.bitSize === 0) {
    if (r.bitOffset % 8 !== 0) return 'the field is not byte-aligned';
    byteOffset = r.bitOffset / 8;
    bitSize = byteSize * 8;
  } else {
    // The smallest naturally aligned load (1, 2, 4, 8 bytes) that holds the whole bitfield.
    bitSize = r.bitSize;
    byteSize = Math.max(1, byteSize);
    byteOffset = Math.floor(r.bitOffset / 8 / byteSize) * byteSize;
    while (r.bitOffset + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) return 'the bitfield spans more than 8 bytes';
      byteSize *= 2;
      byteOffset = Math.floor(r.bitOffset / 8 / byteSize) * byteSize;
    }
  }
  const bitfield = r.bitSize !== 0;
  switch (kind) {
    case CoreKind.FIELD_BYTE_OFFSET:
      return { value: BigInt(byteOffset), fieldSize: byteSize, signed, bitfield };
    case CoreKind.FIELD_BYTE_SIZE:
      return { value: BigInt(byteSize), bitfield };
    case CoreKind.FIELD_EXISTS:
      return { value: 1n };
    case CoreKind.FIELD_SIGNED:
      return { value: signed ? 1n : 0n };
    case CoreKind.FIELD_LSHIFT_U64:
      return { value: BigInt(64 - (r.bitOffset + bitSize - byteOffset * 8)), bitfield };
    default:
      return { value: BigInt(64 - bitSize), bitfield };
  }
}

/** Whether a local type's layout is matched by a target type (TYPE_MATCHES): same kind, same member names with compatible types, same enumerators. */
function typesMatch(local: Btf, lid: number, target: Btf, tid: number, depth = 0): boolean {
  if (depth > 8) return true;
  const l = skipTypedefs(local, lid);
  const t = skipTypedefs(target, tid);
  if (l.kind !== t.kind) return (l.kind === BtfKind.ENUM || l.kind === BtfKind.ENUM64) && (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64);
  if (isComposite(l)) {
    return (l.members ?? []).every((m) => {
      const found = m.name === '' ? undefined : findMember(target, t, m.name);
      return m.name === '' || (found !== undefined && compatible(local, m.type, target, found.type));
    });
  }
  if (l.kind === BtfKind.ENUM || l.kind === BtfKind.ENUM64) {
    return (l.enumerators ?? []).every((e) => (t.enumerators ?? []).some((x) => essentialName(x.name) === essentialName(e.name)));
  }
  if (l.kind === BtfKind.INT) return l.sizeOrType === t.sizeOrType && ((l.int?.encoding ?? 0) & BtfIntEncoding.SIGNED) === ((t.int?.encoding ?? 0) & BtfIntEncoding.SIGNED);
  if (l.kind === BtfKind.PTR) return typesMatch(local, l.sizeOrType, target, t.sizeOrType, depth + 1);
  if (l.kind === BtfKind.ARRAY) return l.array!.nelems === t.array!.nelems && typesMatch(local, l.array!.type, target, t.array!.type, depth + 1);
  return true;
}

/**
 * The value of a relocation on `target` (the object's own BTF when the target is the local BTF):
 * a value, undefined when the target lacks the field / type / enumerator, or an error message for
 * a relocation that cannot mean anything (malformed, ambiguous).
 */
export function coreValue(local: Btf, typeId: number, access: string, kind: number, target: Btf, index: TargetIndex | undefined): CoreValue | undefined | string {
  if (kind > CoreKind.TYPE_MATCHES) return `unknown relocation kind ${kind}`;
  const idx = parseAccess(access);
  if (typeof idx === 'string') return idx;
  if (kind === CoreKind.TYPE_ID_LOCAL) return { value: BigInt(typeId) };
  const same = target === local;
  const candidates = same ? [typeId] : index!.candidates(local, typeId);
  const values: CoreValue[] = [];
  if (isFieldKind(kind)) {
    const spec = resolveLocal(local, typeId, idx);
    if (typeof spec === 'string') return spec;
    for (const c of candidates) {
      const m = same ? spec : matchTarget(local, spec, idx, target, c);
      if (m === undefined) continue;
      const v = fieldValue(target, m, kind);
      if (typeof v === 'string') return v;
      values.push(v);
    }
  } else if (isEnumKind(kind)) {
    const e = skipTypedefs(local, typeId);
    const name = e.enumerators?.[idx[0]!]?.name;
    if (name === undefined) return `enumerator index ${idx[0]} is outside ${typeName(local, e)}`;
    for (const c of candidates) {
      const t = skipTypedefs(target, c);
      const found = t.enumerators?.find((x) => essentialName(x.name) === essentialName(name));
      if (found !== undefined) values.push({ value: kind === CoreKind.ENUMVAL_EXISTS ? 1n : found.value });
    }
  } else {
    for (const c of candidates) {
      if (kind === CoreKind.TYPE_MATCHES && !typesMatch(local, typeId, target, c)) continue;
      const v = kind === CoreKind.TYPE_SIZE ? BigInt(safeSize(target, c)) : kind === CoreKind.TYPE_ID_TARGET ? BigInt(c) : 1n;
      values.push({ value: v });
    }
  }
  if (values.length === 0) return undefined;
  const first = values[0]!;
  // Every candidate must agree (the same value and, for loads, the same field size).
  if (values.some((v) => v.value !== first.value || v.fieldSize !== first.fieldSize)) {
    return `ambiguous: ${values.length} target types named ${essentialName(skipModifiers(local, typeId).name)} give different values`;
  }
  return first;
}
