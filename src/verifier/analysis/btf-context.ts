/**
 * The context of BTF tracing programs (BPF_PROG_TYPE_TRACING: `fentry`, `fexit`, `fmod_ret`, `tp_btf`;
 * and iterators, `iter`): typed by the kernel's BTF of what the program attaches to, as the kernel's
 * documentation describes them and as the kernel answers (test/fixtures/btf-ptr):
 *
 * - fentry / fexit / fmod_ret / tp_btf: the context is an array of u64, one per argument of the traced
 *   function (the FUNC of that name) or tracepoint (the `btf_trace_NAME` typedef's prototype, less its
 *   leading `void *`); fexit and fmod_ret have the return value after the arguments. Slots are read at
 *   8-byte aligned offsets only; a number may be read narrower, a pointer to a structure is read whole
 *   and gives a BTF pointer to it ({@link btfLoad}); a slot past the arguments is refused, so is any
 *   write.
 * - iter: the context is the iterator's `struct bpf_iter__NAME`, a pointer per member: the first
 *   (`meta`) never NULL, the others (the task, map, socket of this step) NULL at the end of the walk and
 *   so to be NULL-checked before a read.
 *
 * LSM programs (BPF_PROG_TYPE_LSM) take their hook's arguments the same way, but this machine's kernel
 * refuses them (BPF is not an active LSM), so there is no oracle for them and they are not modelled.
 * @module
 */
import { BtfKind, type Btf } from '../../elf/btf.js';
import { namedType, pointerValue } from './btf-objects.js';
import type { Env } from './env.js';
import { loadRange, type Access } from './memory.js';
import { scalarValue, type Value } from './value.js';

/** How a BTF tracing program attaches, from its section name's first part. */
export type TracingAttach = 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf' | 'iter';

/** What a BTF tracing program's context holds, resolved from the kernel's BTF (see {@link tracingTarget}). */
export interface TracingTarget {
  readonly attach: TracingAttach;
  /** The traced function, tracepoint or iterator. */
  readonly name: string;
  /** The BTF type id of each 8-byte slot of the context (arguments, then fexit's return value). */
  readonly slots: readonly number[];
  /** Slots that may hold NULL and must be checked before a read (an iterator's objects). */
  readonly nullable: readonly boolean[];
  /** Loaded sleepable (`fentry.s/`, `iter.s/`...): the helpers that may sleep are allowed. */
  readonly sleepable: boolean;
}

/** Section prefixes of BTF tracing programs (and their sleepable `.s` forms), by attach kind. */
const PREFIXES: readonly (readonly [RegExp, TracingAttach])[] = [
  [/^fentry(\.s)?$/, 'fentry'],
  [/^fexit(\.s)?$/, 'fexit'],
  [/^fmod_ret(\.s)?$/, 'fmod_ret'],
  [/^tp_btf$/, 'tp_btf'],
  [/^iter(\.s)?$/, 'iter'],
];

/** The attach kind and target name a section names (`tp_btf/sched_switch`), or undefined. */
export function tracingSection(section: string): { attach: TracingAttach; name: string; sleepable: boolean } | undefined {
  const s = section.replace(/^\./, '');
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const first = s.slice(0, slash);
  const name = s.slice(slash + 1);
  const attach = PREFIXES.find(([re]) => re.test(first))?.[1];
  return attach === undefined || name === '' || name.includes('/') ? undefined : { attach, name, sleepable: first.endsWith('.s') };
}

/**
 * The context a BTF tracing program of section `section` (`fentry/tcp_connect`, `tp_btf/sched_switch`,
 * `iter/task`) gets, from the kernel's BTF `btf`; a string says why it cannot be resolved (the kernel
 * refuses such a program at load: its attach target does not exist).
 */
export function tracingTarget(btf: Btf, section: string): TracingTarget | string {
  const at = tracingSection(section);
  if (at === undefined) return `section '${section}' names no BTF tracing attach point (fentry/, fexit/, fmod_ret/, tp_btf/, iter/ and a name)`;
  const { attach, name, sleepable } = at;
  if (attach === 'iter') {
    const ctx = namedType(btf, BtfKind.STRUCT, `bpf_iter__${name}`);
    if (ctx === undefined) return `the kernel's BTF has no iterator '${name}' (struct bpf_iter__${name})`;
    const slots: number[] = [];
    for (const m of ctx.members ?? []) {
      if (m.bitOffset % 64 !== 0) continue;
      // each member is a pointer, wrapped in a one-member union by the kernel's headers
      const t = btf.resolve(m.type);
      slots[m.bitOffset / 64] = t.kind === BtfKind.UNION && t.members !== undefined && t.members.length > 0 ? t.members[0]!.type : m.type;
    }
    return { attach, name, slots: Array.from(slots, (s) => s ?? 0), nullable: slots.map((_, i) => i > 0), sleepable };
  }
  let proto;
  let skip = 0;
  if (attach === 'tp_btf') {
    const td = namedType(btf, BtfKind.TYPEDEF, `btf_trace_${name}`);
    const ptr = td === undefined ? undefined : btf.resolve(td.id);
    proto = ptr?.kind === BtfKind.PTR ? btf.resolve(ptr.sizeOrType) : undefined;
    if (proto?.kind !== BtfKind.FUNC_PROTO) return `the kernel's BTF has no tracepoint '${name}' (typedef btf_trace_${name})`;
    skip = 1; // the tracepoint's own `void *` first argument
  } else {
    const fn = namedType(btf, BtfKind.FUNC, name);
    proto = fn === undefined || fn.sizeOrType === 0 ? undefined : btf.type(fn.sizeOrType);
    if (proto?.kind !== BtfKind.FUNC_PROTO) return `the kernel's BTF has no function '${name}'`;
  }
  const params = (proto.params ?? []).slice(skip).filter((p) => p.type !== 0);
  const slots = params.map((p) => p.type);
  if (attach === 'fexit' || attach === 'fmod_ret') slots.push(proto.sizeOrType);
  return { attach, name, slots, nullable: slots.map(() => false), sleepable };
}

/** A context access of a BTF tracing program: the loaded value, or the reason it is refused. */
export function tracingCtxAccess(env: Env, a: Access, pc: number): Value | string {
  const target = env.tracing;
  if (target === undefined) return 'the program has no attach target (its BTF context is unknown)';
  const { off, size } = a;
  if (a.store !== undefined || a.atomic === true) return 'the context is read-only';
  if (off < 0 || off % 8 !== 0) return 'the arguments are read at 8-byte aligned offsets';
  const slot = off / 8;
  if (slot >= target.slots.length) return `func '${target.name}' doesn't have ${slot + 1}-th argument`;
  const btf = env.btf;
  // an iterator's object of this step may be NULL: each load gets its own null-check id
  const nullable = target.nullable[slot] === true;
  const to = btf === undefined ? undefined : pointerValue(btf, target.slots[slot]!, nullable, nullable ? pc * 16 + 3 : 0);
  if (to === undefined) return scalarValue(loadRange(size));
  if (size !== 8) return `argument ${slot} is a pointer to a kernel structure: it is read whole`;
  return to;
}
