/**
 * The kernel's verdicts on the corpus programs (test/corpus) that tsbpf links: each linked program
 * with its map handles and global-data addresses turned back into map-fd / map-value pseudo loads,
 * loaded by the kernel as its kernel program type with fresh maps of the same shapes. Recorded in
 * corpus-kernel.json (kernel 6.18, root); `TSBPF_CORPUS_KERNEL=1` re-asks the kernel and
 * `UPDATE_CORPUS_KERNEL=1` rewrites the file (test/verifier/kernel-corpus.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelAttachType, kernelProgramType, objectMapTable } from '../../src/elf/kernel-check.js';
import type { BpfObject } from '../../src/elf/index.js';
import { ATTACH_TYPES, type AttachType, type ProgramType } from '../../src/verifier/analysis/index.js';
import type { VerifierIssue } from '../../src/verifier/index.js';
import { loadedCorpusObjects } from '../corpus/survey.js';
import type { KernelMapDef, KernelOracle, VerdictRequest } from '../kernel/runner.js';
import { analyzeObject } from './objects.js';

export const CORPUS_KERNEL_FILE = join(import.meta.dirname, 'corpus-kernel.json');

/** One corpus program: the analysis's issues, and what the kernel needs to judge it. */
export interface CorpusProgram {
  readonly key: string;
  readonly type: ProgramType;
  readonly issues: readonly VerifierIssue[];
  /** The program for the kernel (a map of maps is created with its inner map as the template). */
  readonly request: VerdictRequest;
}

/** A recorded kernel verdict: accepted, or the kernel's last log line; `note` when judged with a stand-in helper. */
export interface CorpusVerdict {
  readonly accepted: boolean;
  readonly log?: string;
  readonly note?: string;
}

/** Every corpus program tsbpf links, analysed at the kernel level. */
export function corpusPrograms(): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  for (const { path, obj } of loadedCorpusObjects()) {
    let results;
    try {
      results = analyzeObject(obj);
    } catch {
      continue; // a program the loader cannot link
    }
    const table = objectMapTable(obj.maps, obj.valueFields());
    const flags = objectMapFlags(obj.maps);
    for (const r of results) {
      const { bytes, relocatedLoads } = obj.program(r.name).program;
      out.push({ key: `${path}:${r.name}`, type: r.type, issues: r.issues, request: kernelRequest(new Uint8Array(bytes), r.type, table, kernelAttachType(r.type, r.section), relocatedLoads, flags) });
    }
  }
  return out;
}

/**
 * The linked program with its maps as pseudo loads again (the `lddw`s at `relocated`, the slots the loader
 * resolved: a constant equal to a map's handle stays a constant); a map of maps comes with its inner map's
 * shape, which the kernel creates first as the template.
 */
export function kernelRequest(
  bytes: Uint8Array,
  type: ProgramType,
  table: ReturnType<typeof objectMapTable>,
  attach: AttachType | undefined,
  relocated: ReadonlySet<number>,
  flags: ReadonlyMap<number, MapFlags> = new Map(),
): VerdictRequest {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maps: Record<number, KernelMapDef> = {};
  for (let pc = 0; pc + 1 < bytes.length / 8; pc++) {
    if (bytes[pc * 8] !== 0x18) continue;
    const wide = (BigInt(view.getUint32(pc * 8 + 12, true)) << 32n) | BigInt(view.getUint32(pc * 8 + 4, true));
    const at = (bytes[pc * 8 + 1]! >> 4) === 0 && relocated.has(pc) ? table.resolve(wide) : undefined;
    if (at !== undefined) {
      const m = table.maps.get(at.map)!;
      const fd = at.map | 0;
      const f = flags.get(at.map);
      const inner = m.inner === undefined ? {} : { inner: { ...m.inner, maxEntries: Math.max(1, m.inner.maxEntries), flags: f?.inner ?? 0 } };
      const own = (f?.flags ?? 0) | (m.readOnly === true ? BPF_F_RDONLY_PROG : 0);
      maps[fd] = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: Math.max(1, m.maxEntries), flags: own, ...(m.frozen === undefined ? {} : { initial: m.frozen, freeze: true }), ...inner };
      bytes[pc * 8 + 1] = (bytes[pc * 8 + 1]! & 0x0f) | ((at.offset === undefined ? 1 : 2) << 4);
      view.setInt32(pc * 8 + 4, fd, true);
      view.setUint32(pc * 8 + 12, at.offset ?? 0, true);
    }
    pc++;
  }
  // the expected attach type libbpf gives the program's section (BPF_XDP_DEVMAP for `xdp/devmap`...)
  return { type, insns: bytes, maps, logLevel: 1, ...(attach === undefined ? {} : { attachType: ATTACH_TYPES[attach] }) };
}

/** BPF_F_RDONLY_PROG: programs may not write the map (read-only global data). */
const BPF_F_RDONLY_PROG = 0x80;

/** The `map_flags` an object's map (and its inner map) is defined with, by handle. */
export interface MapFlags {
  readonly flags: number;
  readonly inner?: number;
}

/**
 * The `map_flags` of an object's maps, which the kernel needs to create some of them as the object's
 * loader would (an LPM trie only with BPF_F_NO_PREALLOC).
 */
export function objectMapFlags(objectMaps: BpfObject['maps']): Map<number, MapFlags> {
  const out = new Map<number, MapFlags>();
  for (const m of objectMaps.values()) out.set(m.handle, { flags: m.spec.flags, ...(m.spec.inner === undefined ? {} : { inner: m.spec.inner.flags }) });
  return out;
}

/**
 * Helpers whose use some kernel builds refuse for a program type the kernels programs are written for
 * allow (test/verifier/kernel-helper-types.test.ts), each with a helper of the same prototype and the
 * same effect on the verifier's state that the host allows: a program refused only for the first is
 * judged again with the second, so the table holds a verdict on its safety on every host.
 */
const HOST_DEPENDENT_HELPERS: readonly { readonly id: number; readonly name: string; readonly as: number; readonly asName: string }[] = [
  // both take (ctx, int delta), return int and move the packet's bounds (packet pointers are invalidated)
  { id: 54, name: 'bpf_xdp_adjust_meta', as: 44, asName: 'bpf_xdp_adjust_head' },
];

/** `insns` with every call of helper `id` made a call of helper `as`. */
function substituteHelper(insns: Uint8Array, id: number, as: number): Uint8Array {
  const out = new Uint8Array(insns);
  const view = new DataView(out.buffer);
  for (let pc = 0; pc < out.length / 8; pc++) {
    if (out[pc * 8] === 0x85 && out[pc * 8 + 1]! >> 4 === 0 && view.getInt32(pc * 8 + 4, true) === id) view.setInt32(pc * 8 + 4, as, true);
  }
  return out;
}

/** `request` with every host-dependent helper replaced by its stand-in (for kernel runs of variants of recorded programs). */
export function withStandIns(request: VerdictRequest): VerdictRequest {
  let insns = request.insns;
  for (const h of HOST_DEPENDENT_HELPERS) insns = substituteHelper(insns, h.id, h.as);
  return { ...request, insns };
}

/** An object's program as the kernel is asked to judge it (and as variants of it are made). */
export interface KernelProgram {
  readonly name: string;
  readonly section: string;
  readonly type: ProgramType;
  /** The linked program (a copy: the caller may change it). */
  readonly bytes: Uint8Array;
  /** The slots whose \`lddw\` the loader resolved to a map or global data. */
  readonly relocated: ReadonlySet<number>;
  readonly attach: AttachType | undefined;
  readonly table: ReturnType<typeof objectMapTable>;
  /** The kernel's load request, host-dependent helpers replaced by their stand-ins. */
  readonly request: VerdictRequest;
}

/**
 * The programs of `obj` (not \`.text\`) that link and have at most `maxInsns` slots, typed by the loader's
 * conventions (socket_filter when the section says none), less those `skip` names.
 */
export function* kernelPrograms(obj: BpfObject, maxInsns: number, skip: (name: string, type: ProgramType) => boolean = () => false): Generator<KernelProgram> {
  const table = objectMapTable(obj.maps, obj.valueFields());
  const flags = objectMapFlags(obj.maps);
  for (const p of obj.programs) {
    if (p.section === '.text') continue;
    const type = kernelProgramType(p.type, p.section) ?? 'socket_filter';
    if (skip(p.name, type)) continue;
    let program;
    try {
      program = obj.program(p.name).program;
    } catch {
      continue; // a program the loader cannot link
    }
    const bytes = new Uint8Array(program.bytes);
    if (bytes.length / 8 > maxInsns) continue;
    const relocated = program.relocatedLoads;
    const attach = kernelAttachType(type, p.section);
    const request = withStandIns(kernelRequest(new Uint8Array(bytes), type, table, attach, relocated, flags));
    yield { name: p.name, section: p.section, type, bytes, relocated, attach, table, request };
  }
}

/** Ask the kernel about every program it can load; programs whose maps it refuses get no verdict. */
export function liveVerdicts(k: KernelOracle, programs: readonly CorpusProgram[]): Map<string, CorpusVerdict> {
  const verdicts = k.verdicts(programs.map((p) => p.request));
  // refused only for a host-dependent helper: asked again with its stand-in
  const again: { at: number; note: string; request: VerdictRequest }[] = [];
  verdicts.forEach((v, i) => {
    const h = v.accepted ? undefined : HOST_DEPENDENT_HELPERS.find((x) => v.log.includes(`cannot use helper ${x.name}#${x.id}`));
    if (h === undefined) return;
    const request = { ...programs[i]!.request, insns: substituteHelper(programs[i]!.request.insns, h.id, h.as) };
    again.push({ at: i, note: `${h.name} judged as ${h.asName} (this host's kernel refuses ${h.name} here)`, request });
  });
  const second = k.verdicts(again.map((a) => a.request));
  const notes = new Map(again.map((a, j) => [a.at, { note: a.note, v: second[j]! }]));
  const out = new Map<string, CorpusVerdict>();
  programs.forEach((p, i) => {
    const sub = notes.get(i);
    const v = sub?.v ?? verdicts[i]!;
    if (!v.accepted && v.log.startsWith('map creation failed')) return;
    const log = v.accepted ? {} : { log: v.log.trim().split('\n').slice(-2, -1)[0]?.slice(0, 200) ?? '' };
    out.set(p.key, { accepted: v.accepted, ...log, ...(sub === undefined ? {} : { note: sub.note }) });
  });
  return out;
}

/** The recorded verdicts. */
export function recordedVerdicts(): Map<string, CorpusVerdict> {
  return new Map(Object.entries(JSON.parse(readFileSync(CORPUS_KERNEL_FILE, 'utf8')) as Record<string, CorpusVerdict>));
}

/** Rewrite the recorded verdicts. */
export function writeVerdicts(v: ReadonlyMap<string, CorpusVerdict>): void {
  writeFileSync(CORPUS_KERNEL_FILE, `${JSON.stringify(Object.fromEntries([...v].sort(([a], [b]) => a.localeCompare(b))), null, 1)}\n`);
}
