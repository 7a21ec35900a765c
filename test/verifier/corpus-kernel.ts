/**
 * The kernel's verdicts on the corpus programs (test/corpus) that tsbpf links: each linked program
 * with its map handles and global-data addresses turned back into map-fd / map-value pseudo loads,
 * loaded by the kernel as its kernel program type with fresh maps of the same shapes. Recorded in
 * corpus-kernel.json (kernel 6.18, root); `TSBPF_CORPUS_KERNEL=1` re-asks the kernel and
 * `UPDATE_CORPUS_KERNEL=1` rewrites the file (test/verifier/kernel-corpus.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelAttachType, objectMapTable } from '../../src/elf/kernel-check.js';
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
  /** The program for the kernel, or undefined when it uses a map of maps (created with an inner map). */
  readonly request: VerdictRequest | undefined;
}

/** A recorded kernel verdict: accepted, or the kernel's last log line. */
export interface CorpusVerdict {
  readonly accepted: boolean;
  readonly log?: string;
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
    for (const r of results) {
      const { bytes, relocatedLoads } = obj.program(r.name).program;
      out.push({ key: `${path}:${r.name}`, type: r.type, issues: r.issues, request: kernelRequest(new Uint8Array(bytes), r.type, table, kernelAttachType(r.type, r.section), relocatedLoads) });
    }
  }
  return out;
}

/**
 * The linked program with its maps as pseudo loads again (the `lddw`s at `relocated`, the slots the loader
 * resolved: a constant equal to a map's handle stays a constant), or undefined when it uses a map of maps.
 */
export function kernelRequest(bytes: Uint8Array, type: ProgramType, table: ReturnType<typeof objectMapTable>, attach: AttachType | undefined, relocated: ReadonlySet<number>): VerdictRequest | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maps: Record<number, KernelMapDef> = {};
  for (let pc = 0; pc + 1 < bytes.length / 8; pc++) {
    if (bytes[pc * 8] !== 0x18) continue;
    const wide = (BigInt(view.getUint32(pc * 8 + 12, true)) << 32n) | BigInt(view.getUint32(pc * 8 + 4, true));
    const at = (bytes[pc * 8 + 1]! >> 4) === 0 && relocated.has(pc) ? table.resolve(wide) : undefined;
    if (at !== undefined) {
      const m = table.maps.get(at.map)!;
      if (m.inner !== undefined) return undefined;
      const fd = at.map | 0;
      maps[fd] = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: Math.max(1, m.maxEntries), flags: m.readOnly === true ? 0x80 : 0, ...(m.frozen === undefined ? {} : { initial: m.frozen, freeze: true }) };
      bytes[pc * 8 + 1] = (bytes[pc * 8 + 1]! & 0x0f) | ((at.offset === undefined ? 1 : 2) << 4);
      view.setInt32(pc * 8 + 4, fd, true);
      view.setUint32(pc * 8 + 12, at.offset ?? 0, true);
    }
    pc++;
  }
  // the expected attach type libbpf gives the program's section (BPF_XDP_DEVMAP for `xdp/devmap`...)
  return { type, insns: bytes, maps, logLevel: 1, ...(attach === undefined ? {} : { attachType: ATTACH_TYPES[attach] }) };
}

/** Ask the kernel about every program it can load; programs whose maps it refuses get no verdict. */
export function liveVerdicts(k: KernelOracle, programs: readonly CorpusProgram[]): Map<string, CorpusVerdict> {
  const asked = programs.filter((p) => p.request !== undefined);
  const verdicts = k.verdicts(asked.map((p) => p.request!));
  const out = new Map<string, CorpusVerdict>();
  asked.forEach((p, i) => {
    const v = verdicts[i]!;
    if (!v.accepted && v.log.startsWith('map creation failed')) return;
    out.set(p.key, v.accepted ? { accepted: true } : { accepted: false, log: v.log.trim().split('\n').slice(-2, -1)[0]?.slice(0, 200) ?? '' });
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
