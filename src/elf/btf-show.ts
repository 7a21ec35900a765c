/**
 * A BTF-typed object as text, in the form `bpf_snprintf_btf` (helper 149) gives it (bpf-helpers(7);
 * the details below were taken from the kernel's own output, test/kernel/snprintf-btf.test.ts):
 *
 *     (struct ethhdr){
 *      .h_dest = (unsigned char[])[
 *       1,
 *       ...
 *      ],
 *      .h_proto = (__be16)8,
 *     }
 *
 * - every item is `(type name)value`, a member's `.name = (type name)value`; `BTF_F_NONAME` drops both,
 *   `BTF_F_COMPACT` the newlines and the one-space indentation per level;
 * - members (and array elements) whose bytes are all zero are left out unless `BTF_F_ZERO`; the
 *   object itself is always shown;
 * - integers in decimal (signed or not, as their encoding says), bitfields in hex (`0x5`), enums by
 *   enumerator name (else the number), pointers as 16 hex digits: raw with `BTF_F_PTR_RAW`, else
 *   obfuscated as the kernel's `%p` is (a 32-bit hash; NULL stays 0);
 * - arrays of 1-byte integers are strings: they stop at the first NUL byte, printable bytes are shown
 *   quoted (`'a'`); elements of an array carry no type name, and a struct element neither its opening
 *   brace nor member names (as the kernel shows them);
 * - a type name leaves out qualifiers (`const unsigned char *` is `unsigned char *`; a qualified type
 *   itself is named `()`), a variable shows as its type;
 * - kinds with no value (functions, prototypes, forward declarations, floats, void) give
 *   `<unsupported kind:N>`; a DATASEC is refused (-EINVAL).
 * @module
 */
import { ObjectFileError } from '../errors.js';
import type { BtfPrinter } from '../helpers/btf-print.js';
import { BtfKind, BtfIntEncoding, type Btf, type BtfType } from './btf.js';

/** `bpf_snprintf_btf`'s flags (uapi `BTF_F_*`). */
export const BtfShowFlag = { COMPACT: 1, NONAME: 2, PTR_RAW: 4, ZERO: 8 } as const;

/** All the flags {@link BtfShowFlag} defines: others are -EINVAL. */
export const BTF_SHOW_FLAGS = 0xf;

/** Deepest nesting of types shown (well-formed kernel BTF nests far less). */
const MAX_DEPTH = 32;

/** Largest object shown, bytes (a `task_struct` is about 10 KiB). */
export const MAX_SHOW_BYTES = 1 << 16;

const MODIFIERS: readonly number[] = [BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG];

/** Why an object cannot be shown: the errno the helper returns. */
export class BtfShowError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

const EINVAL = 22;

/** Follow typedefs, qualifiers and variables to the type a value has (depth-limited). */
function valueType(btf: Btf, id: number): BtfType {
  let t = btf.types[id]!;
  for (let i = 0; t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.VAR || MODIFIERS.includes(t.kind); i++) {
    if (i > MAX_DEPTH) throw new BtfShowError(EINVAL, `type ${id}: chain of typedefs too long`);
    t = btf.types[t.sizeOrType] ?? btf.types[0]!;
  }
  return t;
}

/** The name of a type in `(…)`: see the module notes. */
export function btfTypeName(btf: Btf, id: number, depth = 0): string {
  if (depth > MAX_DEPTH) return '';
  const t = btf.types[id] ?? btf.types[0]!;
  switch (t.kind) {
    case 0: return 'void';
    case BtfKind.STRUCT: return t.name === '' ? 'struct' : `struct ${t.name}`;
    case BtfKind.UNION: return t.name === '' ? 'union' : `union ${t.name}`;
    case BtfKind.ENUM: case BtfKind.ENUM64: return t.name === '' ? 'enum' : `enum ${t.name}`;
    case BtfKind.VAR: return btfTypeName(btf, t.sizeOrType, depth + 1);
    case BtfKind.PTR: {
      let stars = '*';
      let target = t.sizeOrType;
      for (let i = 0; i < MAX_DEPTH; i++) {
        const u = btf.types[target] ?? btf.types[0]!;
        if (MODIFIERS.includes(u.kind)) target = u.sizeOrType;
        else if (u.kind === BtfKind.PTR) {
          stars += '*';
          target = u.sizeOrType;
        } else break;
      }
      return `${btfTypeName(btf, target, depth + 1)} ${stars}`;
    }
    case BtfKind.ARRAY: {
      let elem = t.array!.type;
      while (MODIFIERS.includes((btf.types[elem] ?? btf.types[0]!).kind) && depth++ < MAX_DEPTH) elem = btf.types[elem]!.sizeOrType;
      return `${btfTypeName(btf, elem, depth + 1)}[]`;
    }
    default:
      return MODIFIERS.includes(t.kind) || t.kind === BtfKind.FUNC_PROTO ? '' : t.name;
  }
}

/** Where an item sits: how it is introduced and how deep. */
interface Place {
  /** Member name, '' for an anonymous member, undefined for the object itself or an array element. */
  readonly member: string | undefined;
  readonly depth: number;
  /** Inside an array element: no names, types or opening braces. */
  readonly inArray: boolean;
  readonly top: boolean;
}

/** A 32-bit hash standing for a pointer, as `%p` shows one (the kernel's key is random per boot). */
function hashPointer(p: bigint): string {
  let h = 0x811c9dc5;
  for (let i = 0n; i < 64n; i += 8n) {
    h ^= Number((p >> i) & 0xffn);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `0x${h.toString(16).padStart(16, '0')}`;
}

function isPrintable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b >= 0xa0;
}

/** Shows one object: {@link showBtf}. */
class Shower {
  private out = '';

  constructor(private readonly btf: Btf, private readonly data: Uint8Array, private readonly flags: number) {}

  private get compact(): boolean {
    return (this.flags & BtfShowFlag.COMPACT) !== 0;
  }

  private get zero(): boolean {
    return (this.flags & BtfShowFlag.ZERO) !== 0;
  }

  /** `value` read as an unsigned integer of `size` bytes at `offset` (little-endian). */
  private uint(offset: number, size: number): bigint {
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.data[offset + i] ?? 0);
    return v;
  }

  private allZero(offset: number, size: number): boolean {
    for (let i = 0; i < size; i++) if ((this.data[offset + i] ?? 0) !== 0) return false;
    return true;
  }

  private prefix(id: number, at: Place): string {
    if (at.inArray || (this.flags & BtfShowFlag.NONAME) !== 0) return '';
    const name = at.member === undefined || at.member === '' ? '' : `.${at.member} = `;
    return `${name}(${btfTypeName(this.btf, id)})`;
  }

  private indent(depth: number): string {
    return this.compact ? '' : ' '.repeat(depth);
  }

  private end(at: Place): string {
    return `${at.top ? '' : ','}${this.compact ? '' : '\n'}`;
  }

  private scalar(id: number, at: Place, text: string): void {
    this.out += `${this.indent(at.depth)}${this.prefix(id, at)}${text}${this.end(at)}`;
  }

  /** Show type `id` at byte `offset`; `bits` for a bitfield member (its bit offset and width). */
  show(id: number, offset: number, at: Place, bits?: { readonly offset: number; readonly size: number }): void {
    if (at.depth > MAX_DEPTH) throw new BtfShowError(EINVAL, 'types nest too deep');
    const t = valueType(this.btf, id);
    switch (t.kind) {
      case BtfKind.INT: {
        const enc = t.int!;
        const size = t.sizeOrType;
        const bitfield = bits ?? (enc.offset !== 0 || enc.bits < size * 8 ? { offset: enc.offset, size: enc.bits } : undefined);
        if (bitfield !== undefined) {
          const bytes = Math.ceil((bitfield.offset % 8 + bitfield.size) / 8);
          const raw = this.uint(offset + Math.floor(bitfield.offset / 8), Math.min(bytes, 16));
          const v = (raw >> BigInt(bitfield.offset % 8)) & ((1n << BigInt(bitfield.size)) - 1n);
          this.scalar(id, at, `0x${v.toString(16)}`);
          return;
        }
        const raw = this.uint(offset, size);
        if (size > 8) {
          this.scalar(id, at, `0x${raw.toString(16)}`);
          return;
        }
        const v = (enc.encoding & BtfIntEncoding.SIGNED) !== 0 ? BigInt.asIntN(size * 8, raw) : raw;
        this.scalar(id, at, v.toString());
        return;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64: {
        const size = t.sizeOrType;
        const raw = this.uint(offset, size);
        const v = t.kflag === true ? BigInt.asIntN(size * 8, raw) : raw;
        const e = t.enumerators?.find((x) => BigInt.asUintN(size * 8, x.value) === raw);
        this.scalar(id, at, e?.name ?? v.toString());
        return;
      }
      case BtfKind.PTR: {
        const p = this.uint(offset, 8);
        const raw = (this.flags & BtfShowFlag.PTR_RAW) !== 0 || p === 0n;
        this.scalar(id, at, raw ? `0x${p.toString(16).padStart(16, '0')}` : hashPointer(p));
        return;
      }
      case BtfKind.ARRAY: this.array(id, t, offset, at); return;
      case BtfKind.STRUCT: case BtfKind.UNION: this.aggregate(id, t, offset, at); return;
      case BtfKind.DATASEC: throw new BtfShowError(EINVAL, 'a DATASEC cannot be shown');
      default:
        this.out += `<unsupported kind:${t.kind}>`;
    }
  }

  private open(id: number, at: Place, brace: string): void {
    this.out += `${this.indent(at.depth)}${this.prefix(id, at)}${at.inArray ? '' : brace}${this.compact ? '' : '\n'}`;
  }

  private close(at: Place, brace: string): void {
    this.out += `${this.indent(at.depth)}${brace}${this.end(at)}`;
  }

  private array(id: number, t: BtfType, offset: number, at: Place): void {
    const { type: elemId, nelems } = t.array!;
    const elem = valueType(this.btf, elemId);
    const size = this.btf.sizeOf(elemId);
    this.open(id, at, '[');
    const inner: Place = { member: undefined, depth: at.depth + 1, inArray: true, top: false };
    if (elem.kind === BtfKind.INT && size === 1 && elem.int!.bits === 8) {
      for (let i = 0; i < nelems; i++) {
        const b = this.data[offset + i] ?? 0;
        if (b === 0) break;
        const signed = (elem.int!.encoding & BtfIntEncoding.SIGNED) !== 0 && b >= 0x80;
        this.scalar(elemId, inner, isPrintable(b) ? `'${String.fromCharCode(b)}'` : String(signed ? b - 256 : b));
      }
    } else {
      for (let i = 0; i < nelems; i++) {
        if (!this.zero && this.allZero(offset + i * size, size)) continue;
        this.show(elemId, offset + i * size, inner);
      }
    }
    this.close(at, ']');
  }

  private aggregate(id: number, t: BtfType, offset: number, at: Place): void {
    this.open(id, at, '{');
    for (const m of t.members ?? []) {
      const byte = offset + Math.floor(m.bitOffset / 8);
      const place: Place = { member: m.name, depth: at.depth + 1, inArray: at.inArray, top: false };
      const bitfield = m.bitSize !== undefined && m.bitSize !== 0 ? { offset: m.bitOffset % 8, size: m.bitSize } : undefined;
      if (!this.zero && this.memberZero(m.type, byte, bitfield)) continue;
      this.show(m.type, byte, place, bitfield);
    }
    this.close(at, '}');
  }

  private memberZero(id: number, offset: number, bits: { readonly offset: number; readonly size: number } | undefined): boolean {
    if (bits === undefined) {
      const t = valueType(this.btf, id);
      const size = t.kind === BtfKind.ARRAY || t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION || t.kind === BtfKind.INT ||
        t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 || t.kind === BtfKind.PTR ? this.btf.sizeOf(id) : 0;
      if (t.kind === BtfKind.INT && (t.int!.offset !== 0 || t.int!.bits < size * 8)) {
        return this.memberZero(id, offset, { offset: t.int!.offset, size: t.int!.bits });
      }
      return size > 0 && this.allZero(offset, size);
    }
    const bytes = Math.ceil((bits.offset + bits.size) / 8);
    const raw = this.uint(offset, Math.min(bytes, 16));
    return ((raw >> BigInt(bits.offset)) & ((1n << BigInt(bits.size)) - 1n)) === 0n;
  }

  text(): string {
    return this.out;
  }
}

/**
 * The size of the object type `id` shows, or a {@link BtfShowError}: -EINVAL for void (id 0), a
 * DATASEC or an object larger than {@link MAX_SHOW_BYTES}, -ENOENT for an id `btf` does not have.
 * Kinds without a size (functions, forward declarations...) are 0 bytes: they show as unsupported.
 */
export function btfShowSize(btf: Btf, id: number): number {
  if (id === 0) throw new BtfShowError(EINVAL, 'type id 0 is void');
  if (btf.types[id] === undefined) throw new BtfShowError(2, `type id ${id} is not in the BTF (${btf.types.length - 1} types)`);
  const t = valueType(btf, id);
  if (t.kind === BtfKind.DATASEC) throw new BtfShowError(EINVAL, 'a DATASEC cannot be shown');
  const sized: readonly number[] = [BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64];
  if (!sized.includes(t.kind)) return 0;
  const size = btf.sizeOf(id);
  if (size > MAX_SHOW_BYTES) throw new BtfShowError(EINVAL, `type ${id} is ${size} bytes, more than the ${MAX_SHOW_BYTES} shown`);
  return size;
}

/**
 * The text `bpf_snprintf_btf` gives for the object of type `id` whose bytes are `data` (at least
 * {@link btfShowSize} of them), as latin-1 codes (a printable byte of a string is itself), with
 * `flags` of {@link BtfShowFlag}. Throws {@link BtfShowError} as {@link btfShowSize} does.
 */
export function showBtf(btf: Btf, id: number, data: Uint8Array, flags: number): string {
  btfShowSize(btf, id);
  const s = new Shower(btf, data, flags);
  s.show(id, 0, { member: undefined, depth: 0, inArray: false, top: true });
  return s.text();
}

const LATIN1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** `bpf_snprintf_btf`'s printer over `btf` (helpers/btf-print.ts): errors as negative errnos. */
export function btfPrinter(btf: Btf): BtfPrinter {
  const errno = (e: unknown): number => {
    if (e instanceof BtfShowError) return -e.errno;
    if (e instanceof ObjectFileError) return -EINVAL;
    throw e;
  };
  return {
    size(typeId) {
      try {
        return btfShowSize(btf, typeId);
      } catch (e) {
        return errno(e);
      }
    },
    show(typeId, data, flags) {
      try {
        return LATIN1(showBtf(btf, typeId, data, flags));
      } catch (e) {
        return errno(e);
      }
    },
  };
}
