/**
 * kfunc calls (`call` with src 2 in raw bytecode; a loader's kfunc helper id in objects): the kfuncs
 * modelled are checked against the kernel's declaration and flags, as its documentation (kfuncs.rst,
 * "BPF kfuncs") describes them:
 *
 * - Arguments: the context; a pointer and its `__sz` size (memory readable for that size, never NULL);
 *   numbers; a kernel object (a `btf_id`: what a kfunc returned, unmodified, after its null check).
 * - KF_ACQUIRE: the result holds a reference, which every path must give back to a KF_RELEASE kfunc
 *   before exit (the helpers' reference machinery: `State.refs`, dropped on the NULL branch of the null
 *   check, every copy unusable after the release). KF_RET_NULL: the result must be checked for NULL first.
 * - A kernel object may be read inside a member of its structure as the BTF lays it out, never
 *   written, and moved by constants only (btf-objects.ts).
 *
 * The BTF also gives the kfunc's declared parameter count, checked against the model's. A kfunc not
 * modelled (a host's own) stays unchecked, with a warning.
 * @module
 */
import { BtfKind, type Btf } from '../../elf/btf.js';
import { baseName, structName, structNamed } from './btf-objects.js';
import type { Env } from './env.js';
import { clobber, release } from './calls.js';
import { checkMemoryArg, type Work } from './memory.js';
import { constValue, S64_MAX } from './scalar.js';
import { ANY_SCALAR, UNINIT, isPointer, pointer, typeName } from './value.js';

/** The kfuncs a program may call: the BTF declaring them and the call numbers naming them. */
export interface KfuncTable {
  /** BTF holding each kfunc's FUNC (by name) and the structures its prototype names. */
  readonly btf: Btf;
  /**
   * Call number → kfunc name: the helper id an object loader gave the kfunc (from `KFUNC_ID_BASE`), or
   * the immediate of a raw `call kfunc` (the kfunc's BTF id in the kernel's BTF).
   */
  readonly calls: ReadonlyMap<number, string>;
  /**
   * Call numbers of weak kfuncs nobody provides (their address is 0): a reachable call is refused, as the
   * kernel refuses the call its loader leaves for them (`invalid func unknown#...`).
   */
  readonly missing?: ReadonlySet<number>;
}

/** The kernel's kfunc flags that change what the verifier proves. */
export interface KfuncFlags {
  /** KF_ACQUIRE: the result holds a reference. */
  readonly acquire?: boolean;
  /** KF_RELEASE: the kernel-object argument's reference is given back. */
  readonly release?: boolean;
  /** KF_RET_NULL: the result may be NULL. */
  readonly retNull?: boolean;
}

/**
 * What an argument must be: a number; the program's context; memory readable for the size the next
 * argument gives (a `__sz` pair; never NULL); the size itself; a kernel object of the named structure
 * (a kfunc's result, unmodified, after its null check).
 */
type Param = 'scalar' | 'ctx' | 'mem' | 'size' | { readonly object: string };

/** What a kfunc returns: nothing (r0 unreadable), a number, or a kernel object of the named structure. */
type Ret = 'void' | 'scalar' | { readonly object: string };

/** A kfunc's prototype in the kernel's terms (its BTF declaration and its flags). */
interface KfuncProto {
  readonly params: readonly Param[];
  readonly ret: Ret;
  readonly flags: KfuncFlags;
}

/**
 * The kfuncs modelled, as the kernel declares them (its BTF: `bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx,
 * struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz, struct bpf_ct_opts *opts, u32 opts__sz)`) with the
 * flags the kernel's documentation gives them. The kernel checks a call against its own declaration, not
 * the object's (an object names the parameters as it likes and declares a `struct nf_conn` of the fields
 * it reads): the object's BTF only lays out the structures the program reads.
 */
const CT_LOOKUP: KfuncProto = { params: ['ctx', 'mem', 'size', 'mem', 'size'], ret: { object: 'nf_conn' }, flags: { acquire: true, retNull: true } };
const PROTOS: ReadonlyMap<string, KfuncProto> = new Map<string, KfuncProto>([
  ['bpf_xdp_ct_lookup', CT_LOOKUP],
  ['bpf_skb_ct_lookup', CT_LOOKUP],
  ['bpf_ct_release', { params: [{ object: 'nf_conn' }], ret: 'void', flags: { release: true } }],
]);

/** Flags of the kfuncs modelled (the others' calls stay unchecked). */
export const KFUNC_FLAGS: ReadonlyMap<string, KfuncFlags> = new Map([...PROTOS].map(([name, p]) => [name, p.flags]));

const paramCache = new WeakMap<Btf, Map<string, number | undefined>>();

/** The number of parameters the BTF declares kfunc `name` with (undefined: no declaration there). */
function declaredParams(btf: Btf, name: string): number | undefined {
  let cache = paramCache.get(btf);
  if (cache === undefined) paramCache.set(btf, (cache = new Map()));
  if (!cache.has(name)) {
    const fn = btf.types.find((t) => t !== undefined && t.kind === BtfKind.FUNC && t.name === name);
    const proto = fn === undefined || fn.sizeOrType === 0 ? undefined : btf.types[fn.sizeOrType];
    cache.set(name, proto?.kind === BtfKind.FUNC_PROTO ? proto.vlen : undefined);
  }
  return cache.get(name);
}

/**
 * Apply a call to kfunc number `id` of `env.kfuncs` (see {@link KfuncTable.calls}). Returns false when the
 * table does not name it or the kfunc is not one modelled ({@link KFUNC_FLAGS}): the caller treats it as before.
 */
export function kfuncCall(env: Env, w: Work, pc: number, id: number): boolean {
  const table = env.kfuncs;
  const name = table?.calls.get(id);
  const proto = name === undefined ? undefined : PROTOS.get(name);
  if (table === undefined || name === undefined || proto === undefined) return false;
  const declared = declaredParams(table.btf, name);
  if (declared !== undefined && declared !== proto.params.length) {
    env.report(pc, 'helper-argument', `kfunc ${name} takes ${proto.params.length} arguments, but the BTF declares it with ${declared}`);
    clobber(w, ANY_SCALAR);
    return true;
  }
  let ok = true;
  const where = (r: number): string => `arg#${r - 1} of kfunc ${name}`;
  for (let a = 0; a < proto.params.length && ok; a++) {
    const r = a + 1;
    const param = proto.params[a]!;
    const v = w.regs[r]!;
    if (v.type === 'uninit') {
      env.report(pc, 'uninit-register', `R${r} !read_ok (${where(r)})`);
      ok = false;
      break;
    }
    const maybeNull = v.type === 'scalar' || v.type === 'btf_id_or_null' || v.type === 'map_value_or_null' || v.type === 'mem_or_null';
    if (param === 'size') continue;
    if (param === 'scalar') {
      if (isPointer(v) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${r} leaks addr into kfunc ${name}`);
        ok = false;
      }
    } else if (param === 'ctx') {
      if (v.type !== 'ctx') {
        env.report(pc, 'helper-argument', `arg#${a} expected pointer to ctx, but got ${typeName(v.type)} (kfunc ${name})`);
        ok = false;
      } else if (v.lo !== 0 || v.hi !== 0) {
        env.report(pc, 'helper-argument', `dereference of modified ctx ptr R${r} off=${v.lo === v.hi ? v.lo : `[${v.lo}, ${v.hi}]`} disallowed (${where(r)})`);
        ok = false;
      }
    } else if (param === 'mem') {
      ok = memArgument(env, w, pc, r, name, maybeNull);
    } else {
      ok = objectArgument(env, w, pc, r, name, param.object, proto.flags.release === true, maybeNull);
    }
  }
  if (!ok) {
    clobber(w, ANY_SCALAR);
    return true;
  }
  const ret = proto.ret;
  if (ret === 'void') clobber(w, UNINIT);
  else if (ret === 'scalar') clobber(w, ANY_SCALAR);
  else {
    let ref = 0;
    if (proto.flags.acquire === true) {
      ref = pc + 1;
      w.refs.set(ref, pc);
    }
    // the structure as the analysis's BTF lays it out (an object's own declaration: the fields it reads); none: no reads
    const struct = env.btf === undefined ? undefined : structNamed(env.btf, ret.object);
    const type = proto.flags.retNull === true ? 'btf_id_or_null' : 'btf_id';
    clobber(w, pointer(type, 0, { map: struct?.id ?? 0, size: struct?.sizeOrType ?? 0, id: pc * 16 + 1, ref }));
  }
  return true;
}

/** A `__sz` pair: register `r` readable for the size in `r + 1`; false after a report. */
function memArgument(env: Env, w: Work, pc: number, r: number, name: string, maybeNull: boolean): boolean {
  const v = w.regs[r]!;
  const where = (n: number): string => `arg#${n - 1} of kfunc ${name}`;
  if (maybeNull) {
    env.report(pc, 'helper-argument', `Possibly NULL pointer passed to trusted arg${r - 1} (kfunc ${name})`);
    return false;
  }
  if (v.type !== 'stack' && v.type !== 'packet' && v.type !== 'packet_meta' && v.type !== 'map_value' && v.type !== 'mem') {
    env.report(pc, 'helper-argument', `R${r} type=${typeName(v.type)} expected=fp, pkt, pkt_meta, map_value, mem (${where(r)})`);
    return false;
  }
  const sv = w.regs[r + 1]!;
  if (sv.type !== 'scalar') {
    env.report(pc, sv.type === 'uninit' ? 'uninit-register' : 'helper-argument', sv.type === 'uninit' ? `R${r + 1} !read_ok (${where(r + 1)})` : `R${r + 1} type=${typeName(sv.type)} expected=scalar (the size, ${where(r + 1)})`);
    return false;
  }
  const s = sv.scalar;
  if (s.smin < 0n) {
    env.report(pc, 'helper-argument', `R${r + 1} min value is negative, either use unsigned or 'var &= const' (${where(r + 1)})`);
    return false;
  }
  if (s.umax >= 1n << 29n || s.umax > S64_MAX) {
    env.report(pc, 'helper-argument', `R${r + 1} unbounded memory access, use 'var &= const' or 'if (var < const)' (${where(r + 1)})`);
    return false;
  }
  return checkMemoryArg(env, w, pc, r, v, Number(s.umin), Number(s.umax), false);
}

/** A kernel object of structure `want` in register `r` (given back when `releases`); false after a report. */
function objectArgument(env: Env, w: Work, pc: number, r: number, name: string, want: string, releases: boolean, maybeNull: boolean): boolean {
  const v = w.regs[r]!;
  const a = r - 1;
  if (maybeNull) {
    env.report(pc, 'helper-argument', `Possibly NULL pointer passed to trusted arg${a} (kfunc ${name})`);
    return false;
  }
  if (v.type !== 'btf_id') {
    env.report(pc, 'helper-argument', `arg#${a} pointer type STRUCT ${want} must point to scalar, or struct with scalar (R${r} is ${typeName(v.type)}; kfunc ${name} takes a struct ${want} a kfunc returned)`);
    return false;
  }
  const have = baseName(structName(env, v));
  // (an object of a structure the BTF lacks has no name to compare: the modelled kfuncs return one kind)
  if (v.map !== 0 && have !== want) {
    env.report(pc, 'helper-argument', `kernel function ${name} args#${a} expected pointer to STRUCT ${want} but R${r} has a pointer to STRUCT ${have}`);
    return false;
  }
  if (v.lo !== 0 || v.hi !== 0) {
    env.report(pc, 'helper-argument', `R${r} must have zero offset when passed to release func or trusted arg to kfunc (arg#${a} of kfunc ${name})`);
    return false;
  }
  if (!releases) return true;
  if (v.ref === 0) {
    env.report(pc, 'helper-argument', `R${r} must be referenced when passed to release function (arg#${a} of kfunc ${name})`);
    return false;
  }
  release(w, v.ref);
  return true;
}
