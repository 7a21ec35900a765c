/**
 * Kernel objects typed by BTF (`btf_id` values): what a pointer to a kernel structure lets a program do,
 * as the kernel's documentation describes BTF pointers and as the kernel answers
 * (test/fixtures/btf-ptr, test/verifier/kernel-btf-ptr.test.ts):
 *
 * - Reads inside one member of the structure (nested structures, unions and arrays followed down); a read
 *   across the end of a member, past the structure, before it, or at a variable offset is refused.
 * - No writes ("only read is supported").
 * - A whole (8-byte) read of a member that points to a structure gives a pointer to that structure,
 *   usable without a NULL check (the kernel turns such loads into faulting reads: a NULL pointer reads
 *   0); any other read gives a number.
 * - A helper argument that wants a kernel structure takes a pointer at offset 0 to that structure, or to
 *   one whose first member is it, recursively (a `struct sock` is a `struct sock_common`).
 *
 * The structures are those of `Env.btf`: the kernel's BTF where the loader has one, else the object's own
 * (whose CO-RE declarations carry the fields the program reads; flavours such as `nf_conn___local` match
 * `nf_conn`, as libbpf matches them).
 * @module
 */
import { BtfKind, type Btf, type BtfType } from '../../elf/btf.js';
import type { Env } from './env.js';
import { loadRange, type Access } from './memory.js';
import { pointer, scalarValue, typeName, type Value } from './value.js';

/** A structure's name without its CO-RE flavour (`nf_conn___local` is `nf_conn`, as libbpf matches them). */
export function baseName(name: string): string {
  const at = name.indexOf('___');
  return at > 0 ? name.slice(0, at) : name;
}

/** Named types of a BTF by kind and name (the first of each), built once per BTF. */
const indexes = new WeakMap<Btf, Map<string, BtfType>>();

/** The first type of `kind` named `name` in `btf` (an index built on first use: vmlinux has 100,000+ types). */
export function namedType(btf: Btf, kind: number, name: string): BtfType | undefined {
  let index = indexes.get(btf);
  if (index === undefined) {
    index = new Map();
    for (const t of btf.types) {
      if (t === undefined || t.name === '') continue;
      const key = `${t.kind}:${t.name}`;
      if (!index.has(key)) index.set(key, t);
      // a flavoured structure answers for its base name when the base itself is absent
      const base = baseName(t.name);
      if (base !== t.name && (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) && !index.has(`${t.kind}:${base}~`)) index.set(`${t.kind}:${base}~`, t);
    }
    indexes.set(btf, index);
  }
  return index.get(`${kind}:${name}`) ?? (kind === BtfKind.STRUCT ? index.get(`${kind}:${name}~`) : undefined);
}

/** The structure of BTF `btf` named `name` (or a flavour of it), if it has one. */
export function structNamed(btf: Btf, name: string): BtfType | undefined {
  return namedType(btf, BtfKind.STRUCT, name);
}

/** The structure or union a type id points to (through typedefs and modifiers), if it is a pointer to one. */
export function pointee(btf: Btf, typeId: number): BtfType | undefined {
  if (typeId === 0) return undefined;
  const p = btf.resolve(typeId);
  if (p.kind !== BtfKind.PTR || p.sizeOrType === 0) return undefined;
  const t = btf.resolve(p.sizeOrType);
  return (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) && t.sizeOrType > 0 ? t : undefined;
}

/**
 * What a pointer of BTF type `typeId` holds once loaded: a pointer to its structure (or one that may be
 * NULL, with null-check id `id`); an untyped kernel object when the structure is only declared (a `FWD`:
 * a target BTF that names it without laying it out); undefined when it points to no structure (a number).
 */
export function pointerValue(btf: Btf, typeId: number, nullable: boolean, id: number): Value | undefined {
  const to = pointee(btf, typeId);
  if (to !== undefined) return objectPointer(to, nullable, id);
  const p = typeId === 0 ? undefined : btf.resolve(typeId);
  const fwd = p?.kind === BtfKind.PTR && p.sizeOrType !== 0 && btf.resolve(p.sizeOrType).kind === BtfKind.FWD;
  return fwd ? pointer(nullable ? 'btf_id_or_null' : 'btf_id', 0, { id }) : undefined;
}

/** A pointer (or a pointer that may be NULL, with null-check id `id`) to structure `t` of `Env.btf`. */
export function objectPointer(t: BtfType, nullable: boolean, id: number): Value {
  return pointer(nullable ? 'btf_id_or_null' : 'btf_id', 0, { map: t.id, size: t.sizeOrType, id });
}

/**
 * A pointer to the kernel's `struct NAME` as `Env.btf` lays it out (a helper's BTF result: the current
 * task, a socket cast's socket), or NULL too when `nullable` (null-check id `id`). Where that BTF has no
 * such structure the pointer is untyped (`map` 0): a kernel object all the same (no number may stand
 * for it), but one the analysis cannot read through nor check a helper's structure against.
 */
export function btfObject(env: Env, name: string, nullable = false, id = 0): Value {
  const struct = env.btf === undefined ? undefined : structNamed(env.btf, name);
  return struct !== undefined ? objectPointer(struct, nullable, id) : pointer(nullable ? 'btf_id_or_null' : 'btf_id', 0, { id });
}

/** The name of a kernel object's structure. */
export function structName(env: Env, v: Value): string {
  const t = v.map === 0 ? undefined : env.btf?.types[v.map];
  return t === undefined ? 'kernel object' : t.name;
}

/** Where a read lands in a structure: the reason it is refused, or the member type read whole (undefined: a number). */
type Landing = { readonly why: string } | { readonly whole: BtfType | undefined };

/**
 * Where a `size`-byte read at `off` of type `t` lands: inside one member (nested structures, unions and
 * arrays followed down), with the innermost member's type when the read is exactly that member.
 */
function landing(btf: Btf, t: BtfType, off: number, size: number, depth = 0): Landing {
  const r = btf.resolve(t.id);
  if (depth > 32) return { why: `struct ${t.name} nests too deeply` };
  if (r.kind === BtfKind.ARRAY) {
    const elem = btf.type(r.array!.type);
    const n = btf.sizeOf(elem.id);
    if (n === 0) return { why: `array of empty elements at off ${off}` };
    const inner = off % n;
    if (inner + size > n) return { why: `access beyond the end of an array element at off ${off} size ${size}` };
    return landing(btf, elem, inner, size, depth + 1);
  }
  if (r.kind !== BtfKind.STRUCT && r.kind !== BtfKind.UNION) {
    const n = btf.sizeOf(r.id);
    if (off + size > n) return { why: `access beyond the end of a member at off ${off} size ${size}` };
    return { whole: off === 0 && size === n ? r : undefined };
  }
  let last: Landing = { why: `struct ${r.name} doesn't have field at offset ${off}` };
  for (const m of r.members!) {
    const start = Math.floor(m.bitOffset / 8);
    const mt = btf.resolve(m.type);
    const bits = m.bitSize !== undefined && m.bitSize > 0 ? m.bitSize : undefined;
    const msize = bits !== undefined ? Math.ceil(((m.bitOffset % 8) + bits) / 8) : btf.sizeOf(mt.id);
    if (off < start || off >= start + msize) continue;
    if (off + size > start + msize) {
      last = { why: `access beyond the end of member ${m.name} (mend:${start + msize}) in struct ${r.name} with off ${off} size ${size}` };
      continue;
    }
    const inner = bits !== undefined ? { whole: undefined } : landing(btf, mt, off - start, size, depth + 1);
    if ('whole' in inner) return inner;
    last = inner;
  }
  return last;
}

/**
 * Where a `size`-byte read at `off` of structure `t` lands: undefined when inside one member, else the
 * kernel's reason (kfuncs.ts's objects and this module's loads share it).
 */
export function memberAt(btf: Btf, t: BtfType, off: number, size: number): string | undefined {
  const l = landing(btf, t, off, size);
  return 'why' in l ? l.why : undefined;
}

/**
 * A load or store through a kernel object (`btf_id`): a read inside a member (a pointer to a structure
 * where it reads a whole pointer member, else a number), no writes. Undefined after a report.
 */
export function btfLoad(env: Env, a: Access): Value | undefined {
  const { base, pc } = a;
  const R = `R${a.regNo}`;
  const name = structName(env, base);
  const btf = env.btf;
  if (base.map === 0 || btf === undefined) {
    env.report(pc, 'mem-access', `${R} points to a kernel object whose structure the BTF does not declare: it cannot be read or written`);
    return undefined;
  }
  if (a.store !== undefined || a.atomic === true) {
    env.report(pc, 'mem-access', `only read is supported (a write to ${name} at off ${base.lo + a.off}: kernel objects are read-only)`);
    return undefined;
  }
  if (base.lo !== base.hi) {
    env.report(pc, 'mem-access', `${R} is ptr_${name} invalid variable offset: off=${a.off}, var_off=[${base.lo}, ${base.hi}]`);
    return undefined;
  }
  const off = base.lo + a.off;
  if (off < 0) {
    env.report(pc, 'mem-access', `${R} is ptr_${name} invalid negative access: off=${off}`);
    return undefined;
  }
  if (off + a.size > base.size) {
    env.report(pc, 'mem-access', `access beyond struct ${name} at off ${off} size ${a.size}`);
    return undefined;
  }
  let l: Landing;
  try {
    l = landing(btf, btf.type(base.map), off, a.size);
  } catch {
    l = { why: `struct ${name}: its BTF is malformed` };
  }
  if ('why' in l) {
    env.report(pc, 'mem-access', l.why);
    return undefined;
  }
  // a pointer member read whole: the structure it points to (not NULL-checked: the kernel's read faults to 0)
  const to = l.whole !== undefined && l.whole.kind === BtfKind.PTR ? pointerValue(btf, l.whole.id, false, 0) : undefined;
  return to ?? scalarValue(loadRange(a.size));
}

/** True when structure `t` is `want`, or its first member (at offset 0) is, recursively. */
function isA(btf: Btf, t: BtfType, want: string, depth = 0): boolean {
  if (baseName(t.name) === want) return true;
  if (depth > 8 || (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION)) return false;
  const first = t.members?.find((m) => m.bitOffset === 0);
  if (first === undefined) return false;
  const mt = btf.resolve(first.type);
  return (mt.kind === BtfKind.STRUCT || mt.kind === BtfKind.UNION) && isA(btf, mt, want, depth + 1);
}

/**
 * A helper's argument that must be a kernel object of structure `want` (or NULL, the number 0, when
 * `nullable`): a `btf_id` at offset 0 of that structure or of one that starts with it. False after a report.
 */
export function btfArgument(env: Env, pc: number, r: number, v: Value, want: string, nullable: boolean, helper: string): boolean {
  if (nullable && v.type === 'scalar' && v.scalar.umin === 0n && v.scalar.umax === 0n) return true;
  if (v.type === 'btf_id_or_null') {
    env.report(pc, 'helper-argument', `R${r} type=${typeName(v.type)} expected=ptr_ (${helper} takes a struct ${want}: check it for NULL first)`);
    return false;
  }
  if (v.type !== 'btf_id') {
    env.report(pc, 'helper-argument', `R${r} type=${typeName(v.type)} expected=ptr_, trusted_ptr_, rcu_ptr_ (${helper} takes a pointer to the kernel's struct ${want})`);
    return false;
  }
  const btf = env.btf;
  const t = v.map === 0 || btf === undefined ? undefined : btf.types[v.map];
  // a structure the BTF lacks has no name to compare: the call is let through
  if (t === undefined) return true;
  if (v.lo !== 0 || v.hi !== 0 || !isA(btf!, t, want)) {
    env.report(pc, 'helper-argument', `R${r} is of type ${baseName(t.name)} but ${want} is expected${v.lo !== 0 || v.hi !== 0 ? ` (a pointer moved ${v.lo === v.hi ? v.lo : `[${v.lo}, ${v.hi}]`} bytes into it)` : ''} (${helper})`);
    return false;
  }
  return true;
}
