/**
 * Semantic mutants of real clang-built programs, judged by the kernel: the oracle of
 * kernel-mutants.test.ts and bench/verifier-mutants.ts. Each program the kernel accepts as linked
 * (test/corpus as corpus-kernel.json records it, examples/*.o and bench/programs/*.o as the kernel judges
 * them) gets small changes of the kinds a programmer's mistake makes (a bounds or null check dropped or
 * inverted, a jump's constant or comparison changed, an access moved or resized, a register swapped, a
 * helper's size argument changed, a number made a pointer, a stack initialisation removed), chosen
 * deterministically from a seed and the program's name, and the same change is made to the bytes tsbpf
 * analyses and to the bytes the kernel loads (maps as pseudo loads again, corpus-kernel.ts).
 *
 * Seeds split the mutants into a development set (looked at and fixed from) and a held set (only
 * measured): {@link DEV_SEEDS}, {@link HELD_SEEDS}.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import type { ProgramType } from '../../src/verifier/analysis/index.js';
import type { VerifierOptions as CheckOptions } from '../../src/verifier/index.js';
import { loadedCorpusObjects } from '../corpus/survey.js';
import type { VerdictRequest } from '../kernel/runner.js';
import { rng } from '../kernel/packets.js';
import { kernelPrograms, recordedVerdicts } from './corpus-kernel.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Seeds of the development set: the disagreements on these are looked at and fixed. */
export const DEV_SEEDS: readonly number[] = [1, 2];
/** Seeds of the held set: only measured, never looked at program by program. */
export const HELD_SEEDS: readonly number[] = [101, 102];
/** Mutants per program per seed. */
export const PER_PROGRAM = 3;
/** Programs longer than this are not mutated (the analysis of each mutant costs as much as the original's). */
export const MAX_INSNS = 3000;

/**
 * Program types whose programs hinge on BTF typing (PTR_TO_BTF_ID contexts, attach targets): a raw load
 * carries no attach BTF id, so they are left to the BTF work and not mutated.
 */
const BTF_TYPED = new Set<string>(['tracing', 'lsm', 'struct_ops', 'ext']);

/** A program the kernel accepts as linked, ready to mutate. */
export interface MutantSource {
  /** `path:program`, as corpus-kernel.json keys it. */
  readonly key: string;
  readonly type: ProgramType;
  /** The linked program tsbpf analyses (maps as handles). */
  readonly bytes: Uint8Array;
  /** The kernel's load of the same program (maps as pseudo loads, stand-in helpers). */
  readonly request: VerdictRequest;
  /** checkProgram's options for the kernel level, without the program. */
  readonly options: CheckOptions;
}

/** The mutation kinds, each a mistake a programmer makes. */
export const MUTATION_KINDS = [
  'jump-drop', // a conditional jump never taken (a bounds or null check removed)
  'jump-always', // a conditional jump always taken
  'jump-invert', // a conditional jump's condition negated
  'jump-const', // a conditional jump's constant moved
  'jump-cond', // a conditional jump's comparison changed (strictness, signedness)
  'mem-offset', // a load's or store's offset moved
  'mem-size', // a load's or store's size changed
  'reg-swap', // a register operand replaced by another
  'null-check-drop', // the null test after a lookup made to pass always
  'helper-size', // the constant size argument of a helper changed
  'ptr-move', // a number moved into a register made a register (often a pointer) move
  'stack-init-drop', // a store to the stack removed
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** One mutant: the changed bytes for both sides and what was changed. */
export interface Mutant {
  /** `source@seed.index`. */
  readonly key: string;
  readonly source: MutantSource;
  readonly kind: MutationKind;
  readonly pc: number;
  /** What changed, for people. */
  readonly what: string;
  /** The mutated program for tsbpf. */
  readonly bytes: Uint8Array;
  /** The mutated program for the kernel. */
  readonly request: VerdictRequest;
  /** A short hash of the mutated program and its kind (a recorded verdict whose hash differs is stale). */
  readonly hash: string;
}

/** Every program the kernel accepts as linked, of the corpus, examples/ and bench/programs/, up to `maxInsns`. */
export function mutantSources(originals: ReadonlyMap<string, boolean>, maxInsns = MAX_INSNS): MutantSource[] {
  const corpus = recordedVerdicts();
  const out: MutantSource[] = [];
  for (const { key, source } of allSources(maxInsns)) {
    const accepted = corpus.get(key)?.accepted ?? originals.get(key);
    if (accepted === true) out.push(source);
  }
  return out;
}

/** The programs of examples/ and bench/programs/ (not in corpus-kernel.json), whose kernel verdicts a mutant table records. */
export function extraSources(maxInsns = MAX_INSNS): MutantSource[] {
  return allSources(maxInsns)
    .filter((s) => isExtra(s.key))
    .map((s) => s.source);
}

/** A program of examples/ or bench/programs/ (the corpus's keys are paths under test/corpus). */
export const isExtra = (key: string): boolean => key.startsWith('examples/') || key.startsWith('bench/');

function* objectFiles(): Generator<{ readonly path: string; readonly obj: BpfObject }> {
  for (const { path, obj } of loadedCorpusObjects()) yield { path, obj };
  for (const dir of ['examples', 'bench/programs']) {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      if (!name.endsWith('.o')) continue;
      try {
        yield { path: `${dir}/${name}`, obj: loadObject(new Uint8Array(readFileSync(join(ROOT, dir, name))), { verify: false }) };
      } catch {
        // an object the loader refuses has nothing to mutate
      }
    }
  }
}

function allSources(maxInsns: number): { key: string; source: MutantSource }[] {
  const out: { key: string; source: MutantSource }[] = [];
  for (const { path, obj } of objectFiles()) {
    const kfuncs = obj.verifierKfuncs();
    for (const { name, type, bytes, relocated, attach, table, request } of kernelPrograms(obj, maxInsns, (_, t) => BTF_TYPED.has(t))) {
      const options: CheckOptions = {
        level: 'kernel',
        programType: type,
        maps: table.maps,
        resolve: (imm, pc) => (relocated.has(pc) ? table.resolve(imm) : undefined),
        ...(attach === undefined ? {} : { attachType: attach }),
        ...(kfuncs === undefined ? {} : { kfuncs }),
      };
      // corpus-kernel.json keys corpus programs by their path under test/corpus
      const key = `${path}:${name}`;
      out.push({ key, source: { key, type, bytes, request, options } });
    }
  }
  return out;
}

// ---- instruction fields ----
const opOf = (u: Uint8Array, pc: number): number => u[pc * 8]!;
const dstOf = (u: Uint8Array, pc: number): number => u[pc * 8 + 1]! & 0x0f;
const srcOf = (u: Uint8Array, pc: number): number => u[pc * 8 + 1]! >> 4;
const view = (u: Uint8Array): DataView => new DataView(u.buffer, u.byteOffset, u.byteLength);
const offOf = (u: Uint8Array, pc: number): number => view(u).getInt16(pc * 8 + 2, true);
const immOf = (u: Uint8Array, pc: number): number => view(u).getInt32(pc * 8 + 4, true);

/** A conditional jump (JMP or JMP32 class, not ja / call / exit). */
const isCondJump = (op: number): boolean => ((op & 7) === 5 || (op & 7) === 6) && ![0x00, 0x80, 0x90].includes(op & 0xf0);
/** A load or store of memory (not lddw, ld_abs / ld_ind or atomics). */
const isMemAccess = (op: number): boolean => (op & 7) === 1 || (op & 7) === 2 || ((op & 7) === 3 && (op & 0xe0) === 0x60);
/** Negated conditions. */
const INVERSE: Record<number, number> = { 0x10: 0x50, 0x50: 0x10, 0x20: 0xb0, 0xb0: 0x20, 0x30: 0xa0, 0xa0: 0x30, 0x60: 0xd0, 0xd0: 0x60, 0x70: 0xc0, 0xc0: 0x70 };
/** Related conditions: strictness changed, or signedness. */
const RELATED: Record<number, readonly number[]> = {
  0x20: [0x30, 0x60],
  0x30: [0x20, 0x70],
  0xa0: [0xb0, 0xc0],
  0xb0: [0xa0, 0xd0],
  0x60: [0x70, 0x20],
  0x70: [0x60, 0x30],
  0xc0: [0xd0, 0xa0],
  0xd0: [0xc0, 0xb0],
  0x10: [0x50, 0x40],
  0x50: [0x10, 0x40],
  0x40: [0x50, 0x10],
};
/** Helpers whose result may be null, by id (bpf-helpers(7)). */
const NULLABLE_RESULT = new Set([1, 84, 85, 99, 107, 131, 156, 195]);
/** Helpers with a constant-size argument, by id: the argument registers holding sizes (bpf-helpers(7)). */
const SIZE_ARGS: Record<number, readonly number[]> = {
  4: [2], // probe_read(dst, size, src)
  6: [2], // trace_printk(fmt, fmt_size)
  9: [4], // skb_store_bytes(skb, off, from, len)
  16: [2], // get_current_comm(buf, size)
  25: [5], // perf_event_output(ctx, map, flags, data, size)
  26: [4], // skb_load_bytes(skb, off, to, len)
  28: [2, 4], // csum_diff(from, from_size, to, to_size, seed)
  45: [2], // probe_read_str
  67: [3], // get_stack(ctx, buf, size, flags)
  68: [4], // skb_load_bytes_relative(skb, off, to, len, hdr)
  112: [2], // probe_read_user
  113: [2], // probe_read_kernel
  114: [2], // probe_read_user_str
  115: [2], // probe_read_kernel_str
  130: [3], // ringbuf_output(ringbuf, data, size, flags)
  131: [2], // ringbuf_reserve(ringbuf, size, flags)
  189: [4], // xdp_load_bytes(xdp, off, buf, len)
  190: [4], // xdp_store_bytes
};

/** Instruction starts (not the second slot of an lddw). */
function starts(u: Uint8Array): number[] {
  const out: number[] = [];
  for (let pc = 0; pc < u.length / 8; pc++) {
    out.push(pc);
    if (opOf(u, pc) === 0x18) pc++;
  }
  return out;
}

/** An edit at one pc, applied to both programs. */
interface Edit {
  readonly pc: number;
  readonly what: string;
  apply(u: Uint8Array): void;
}

const NOP = [0x05, 0, 0, 0, 0, 0, 0, 0];
const setOp = (pc: number, op: number) => (u: Uint8Array): void => void (u[pc * 8] = op);
const setImm = (pc: number, imm: number) => (u: Uint8Array): void => view(u).setInt32(pc * 8 + 4, imm, true);

/** The candidate edits of one kind on program `u` (pcs in order), made with `next` for the random parts. */
function candidates(kind: MutationKind, u: Uint8Array, pcs: readonly number[]): number[] {
  switch (kind) {
    case 'jump-drop':
    case 'jump-always':
    case 'jump-cond':
      return pcs.filter((pc) => isCondJump(opOf(u, pc)));
    case 'jump-invert':
      return pcs.filter((pc) => isCondJump(opOf(u, pc)) && INVERSE[opOf(u, pc) & 0xf0] !== undefined);
    case 'jump-const':
      return pcs.filter((pc) => isCondJump(opOf(u, pc)) && (opOf(u, pc) & 8) === 0);
    case 'mem-offset':
    case 'mem-size':
      return pcs.filter((pc) => isMemAccess(opOf(u, pc)));
    case 'reg-swap':
      return pcs.filter((pc) => {
        const op = opOf(u, pc);
        return isMemAccess(op) || ((op & 7) === 7 && (op & 8) !== 0) || ((op & 7) === 4 && (op & 8) !== 0) || (isCondJump(op) && (op & 8) !== 0);
      });
    case 'null-check-drop':
      return pcs.filter((pc) => opOf(u, pc) === 0x85 && srcOf(u, pc) === 0 && NULLABLE_RESULT.has(immOf(u, pc)) && nullTest(u, pc) !== undefined);
    case 'helper-size':
      return pcs.filter((pc) => opOf(u, pc) === 0x85 && srcOf(u, pc) === 0 && (SIZE_ARGS[immOf(u, pc)] ?? []).some((r) => sizeSetter(u, pc, r) !== undefined));
    case 'ptr-move':
      return pcs.filter((pc) => opOf(u, pc) === 0xb7 || opOf(u, pc) === 0xb4);
    case 'stack-init-drop':
      return pcs.filter((pc) => ((opOf(u, pc) & 7) === 2 || ((opOf(u, pc) & 7) === 3 && (opOf(u, pc) & 0xe0) === 0x60)) && dstOf(u, pc) === 10);
  }
}

/** The first test of the lookup result against 0 after the helper call at `call` (within a few instructions), as the pc. */
function nullTest(u: Uint8Array, call: number): number | undefined {
  const n = u.length / 8;
  const held = new Set([0]);
  for (let pc = call + 1; pc < Math.min(n, call + 12); pc++) {
    const op = opOf(u, pc);
    if (op === 0xbf && held.has(srcOf(u, pc))) held.add(dstOf(u, pc));
    else if ((op & 7) === 5 && (op & 0xf0) !== 0x00 && !isCondJump(op)) return undefined; // call or exit
    else if (op === 0x05) return undefined;
    else if (isCondJump(op) && (op & 7) === 5 && (op & 8) === 0 && immOf(u, pc) === 0 && held.has(dstOf(u, pc)) && ((op & 0xf0) === 0x10 || (op & 0xf0) === 0x50)) return pc;
    else if (isCondJump(op)) return undefined;
  }
  return undefined;
}

/** The `mov rN, imm` that sets argument register `reg` before the call at `call`, in the same straight line. */
function sizeSetter(u: Uint8Array, call: number, reg: number): number | undefined {
  for (let pc = call - 1; pc >= Math.max(0, call - 16); pc--) {
    const op = opOf(u, pc);
    if ((op & 7) === 5 || (op & 7) === 6) return undefined;
    if (pc > 0 && opOf(u, pc - 1) === 0x18) return undefined;
    if ((op & 7) === 4 || (op & 7) === 7 || (op & 7) === 1 || op === 0x18) {
      if (dstOf(u, pc) !== reg) continue;
      return op === 0xb7 || op === 0xb4 ? pc : undefined;
    }
  }
  return undefined;
}

/** The edit of one kind at `pc`. */
function edit(kind: MutationKind, u: Uint8Array, pc: number, next: () => number): Edit | undefined {
  const op = opOf(u, pc);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  switch (kind) {
    case 'jump-drop':
      return { pc, what: 'never taken', apply: (w) => w.set(NOP, pc * 8) };
    case 'jump-always':
      return { pc, what: 'always taken', apply: (w) => void (w[pc * 8] = 0x05, w[pc * 8 + 1] = 0, view(w).setInt32(pc * 8 + 4, 0, true)) };
    case 'jump-invert': {
      const c = INVERSE[op & 0xf0]!;
      return { pc, what: `condition ${hex2(op)} -> ${hex2((op & 0x0f) | c)}`, apply: setOp(pc, (op & 0x0f) | c) };
    }
    case 'jump-cond': {
      const c = pick(RELATED[op & 0xf0]!);
      return { pc, what: `condition ${hex2(op)} -> ${hex2((op & 0x0f) | c)}`, apply: setOp(pc, (op & 0x0f) | c) };
    }
    case 'jump-const': {
      const k = immOf(u, pc);
      const to = pick([k + 1, k - 1, k + 2, k - 2, k + 4, k - 4, k + 8, k * 2, k === 0 ? 1 : Math.trunc(k / 2)]);
      return to === k ? undefined : { pc, what: `constant ${k} -> ${to}`, apply: setImm(pc, to) };
    }
    case 'mem-offset': {
      const d = pick([-8, -4, -2, -1, 1, 2, 4, 8]);
      const off = offOf(u, pc) + d;
      return { pc, what: `offset ${offOf(u, pc)} -> ${off}`, apply: (w) => view(w).setInt16(pc * 8 + 2, off, true) };
    }
    case 'mem-size': {
      const sizes = [0x00, 0x08, 0x10, 0x18].filter((s) => s !== (op & 0x18));
      const s = pick(sizes);
      return { pc, what: `size ${hex2(op)} -> ${hex2((op & 0xe7) | s)}`, apply: setOp(pc, (op & 0xe7) | s) };
    }
    case 'reg-swap': {
      const useSrc = isMemAccess(op) ? (op & 7) !== 2 && next() % 2 === 0 : true;
      const was = useSrc ? srcOf(u, pc) : dstOf(u, pc);
      const r = pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((x) => x !== was));
      return { pc, what: `${useSrc ? 'src' : 'dst'} r${was} -> r${r}`, apply: (w) => void (w[pc * 8 + 1] = useSrc ? (w[pc * 8 + 1]! & 0x0f) | (r << 4) : (w[pc * 8 + 1]! & 0xf0) | r) };
    }
    case 'null-check-drop': {
      const t = nullTest(u, pc)!;
      const top = opOf(u, t);
      // `== 0` jumps to the null path: never taken; `!= 0` jumps to the value's path: always taken
      return (top & 0xf0) === 0x10
        ? { pc: t, what: `null test after call ${immOf(u, pc)} never taken`, apply: (w) => w.set(NOP, t * 8) }
        : { pc: t, what: `null test after call ${immOf(u, pc)} always taken`, apply: (w) => void (w[t * 8] = 0x05, w[t * 8 + 1] = 0, view(w).setInt32(t * 8 + 4, 0, true)) };
    }
    case 'helper-size': {
      const regs = SIZE_ARGS[immOf(u, pc)]!.filter((r) => sizeSetter(u, pc, r) !== undefined);
      const at = sizeSetter(u, pc, pick(regs))!;
      const k = immOf(u, at);
      const to = pick([k + 1, k + 8, k * 2, k - 1, 0, -1, k + 64, 4096]);
      return to === k ? undefined : { pc: at, what: `size argument of call ${immOf(u, pc)}: ${k} -> ${to}`, apply: setImm(at, to) };
    }
    case 'ptr-move': {
      const r = pick([10, 1, 6, 7, 8, 9, 0]);
      const to = op === 0xb7 ? 0xbf : 0xbc;
      return { pc, what: `r${dstOf(u, pc)} = ${immOf(u, pc)} -> r${dstOf(u, pc)} = r${r}`, apply: (w) => void (w[pc * 8] = to, w[pc * 8 + 1] = (r << 4) | dstOf(u, pc), view(w).setInt32(pc * 8 + 4, 0, true)) };
    }
    case 'stack-init-drop':
      return { pc, what: `store at r10${offOf(u, pc)} removed`, apply: (w) => w.set(NOP, pc * 8) };
  }
}

const hex2 = (x: number): string => `0x${x.toString(16).padStart(2, '0')}`;

/** A 32-bit hash of a string (FNV-1a), to seed each program's generator apart from the others. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * `count` mutants of `source` for `seed`: each picks a kind among those with a place in the program, then a
 * place. Deterministic in (seed, the program's key, the program's bytes).
 */
export function mutantsOf(source: MutantSource, seed: number, count: number = PER_PROGRAM): Mutant[] {
  const next = rng((fnv(source.key) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
  const u = source.bytes;
  const pcs = starts(u);
  const places = new Map<MutationKind, number[]>();
  for (const kind of MUTATION_KINDS) {
    const c = candidates(kind, u, pcs);
    if (c.length > 0) places.set(kind, c);
  }
  const kinds = [...places.keys()];
  const out: Mutant[] = [];
  for (let i = 0, tries = 0; i < count && tries < count * 4 && kinds.length > 0; tries++) {
    const kind = kinds[next() % kinds.length]!;
    const list = places.get(kind)!;
    const e = edit(kind, u, list[next() % list.length]!, next);
    if (e === undefined) continue;
    const mine = new Uint8Array(u);
    const theirs = new Uint8Array(source.request.insns);
    e.apply(mine);
    e.apply(theirs);
    const hash = createHash('sha1').update(kind).update(mine).digest('hex').slice(0, 10);
    out.push({ key: `${source.key}@${seed}.${i}`, source, kind, pc: e.pc, what: `pc ${e.pc}: ${kind}, ${e.what}`, bytes: mine, request: { ...source.request, insns: theirs }, hash });
    i++;
  }
  return out;
}

/** The recorded table of mutant verdicts (mutants-kernel.json). */
export interface MutantTable {
  /** The kernel that judged them (uname -r). */
  readonly kernel: string;
  readonly perProgram: number;
  readonly maxInsns: number;
  /** The kernel's verdicts on the programs of examples/ and bench/programs/ as linked. */
  readonly originals: Record<string, boolean>;
  /** By mutant key: `A` (accepted), `R` (rejected) or `X` (no verdict: a map the kernel would not create), a space, the mutant's hash. */
  readonly verdicts: Record<string, string>;
}

export const MUTANT_TABLE_FILE = join(import.meta.dirname, 'mutants-kernel.json');

/** The recorded table. */
export function readMutantTable(): MutantTable {
  return JSON.parse(readFileSync(MUTANT_TABLE_FILE, 'utf8')) as MutantTable;
}
