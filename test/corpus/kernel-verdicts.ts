/**
 * The kernel's verdict on every XDP / socket filter / tc program of the real-object corpus: does
 * libbpf + the kernel (BPF_PROG_LOAD) load it, with the map sizes the survey gives tsbpf (survey.ts's
 * `mapSizes`, as the project's user space sets them)? Kept as a committed table (kernel-heldout.json)
 * so that machines without bpf() still check tsbpf's side against it; kernel.test.ts re-asks the
 * kernel when asked to (docs/testing.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelOracle, KernelProgType, KernelRequest, KernelResponse } from '../kernel/runner.js';
import { CORPUS_DIR, mapSizesFor, programTypesFor, type ObjectStatus } from './survey.js';

/** One packet program of the corpus, as the survey table names it. */
export interface PacketProgram {
  /** Object path relative to {@link PacketProgram.root}. */
  readonly path: string;
  /** The directory of the object's set: test/corpus, or the second held-out set's (survey.ts HELDOUT2_DIR). */
  readonly root: string;
  /** The survey's key: `name (section) type`. */
  readonly key: string;
  /** The function (libbpf's program name). */
  readonly name: string;
  readonly type: 'xdp' | 'socket' | 'tc';
  /** The survey's status for it (`runs`, `refused: …`, `fails: …`). */
  readonly status: string;
}

/** Every XDP / socket filter / tc program of a survey table (expected*.json; its objects under `root`), in table order. */
export function packetPrograms(table: string, root: string = CORPUS_DIR): PacketProgram[] {
  const t = JSON.parse(readFileSync(join(CORPUS_DIR, table), 'utf8')) as { objects: Record<string, ObjectStatus> };
  const out: PacketProgram[] = [];
  for (const [path, s] of Object.entries(t.objects)) {
    if (path.startsWith('ebpf-samples/invalid/')) continue;
    for (const [key, status] of Object.entries(s.programs)) {
      const m = /^(\S+) \((.*)\) (xdp|socket|tc)$/.exec(key);
      if (m !== null) out.push({ path, root, key, name: m[1]!, type: m[3] as PacketProgram['type'], status });
    }
  }
  return out;
}

/** The kernel's program type for a tsbpf packet program type. */
export function kernelType(p: PacketProgram): KernelProgType {
  return p.type === 'xdp' ? 'xdp' : p.type === 'tc' ? 'sched_cls' : 'socket_filter';
}

/**
 * The type the kernel loader is told first: tsbpf's where the survey overrides the section's
 * (programTypesFor), else none (libbpf infers it from the section name, with the attach type and flags
 * that go with it).
 */
export function kernelTypeFor(p: PacketProgram): KernelProgType | undefined {
  return programTypesFor(p.path) === undefined ? undefined : kernelType(p);
}

/** The survey's map sizes for an object (what the kernel loader gets too). */
export function sizesFor(path: string, root: string = CORPUS_DIR): Record<string, number> | undefined {
  const sizes = mapSizesFor(path, new Uint8Array(readFileSync(join(root, path))));
  return sizes === undefined ? undefined : { ...sizes };
}

/**
 * How the kernel loads one program: `alone` (only it is loaded) or `whole` (every program of the
 * object, as libbpf needs when a prog array's initial values name the others), each with libbpf's
 * program type or, suffixed `typed`, with tsbpf's (a section name libbpf does not know: the project's
 * loader sets the type itself); or refused, with the errno and the last informative line of the log.
 */
export type KernelVerdict = 'alone' | 'whole' | 'alone typed' | 'whole typed' | `refused: ${string}`;

/** The last informative line of a libbpf log (its final lines are often the generic "failed to load"). */
function lastLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && l !== '-- END PROG LOAD LOG --');
  const useful = lines.filter((l) => !/failed to load object|failed to load: -|-- BEGIN PROG LOAD LOG --|processed \d+ insns/.test(l));
  return (useful[useful.length - 1] ?? lines[lines.length - 1] ?? '').replace(/fd=\d+/g, 'fd=N').slice(0, 240);
}

/** The load requests for one program, in the order {@link kernelVerdicts} tries them. */
export function loadTries(p: PacketProgram): { verdict: KernelVerdict; request: KernelRequest }[] {
  const path = join(p.root, p.path);
  const sizes = sizesFor(p.path, p.root);
  const first = kernelTypeFor(p);
  return [
    { verdict: 'alone', request: { op: 'obj', path, program: p.name, type: first, sizes } },
    { verdict: 'whole', request: { op: 'obj', path, program: `+${p.name}`, type: first, sizes } },
    { verdict: 'alone typed', request: { op: 'obj', path, program: p.name, type: kernelType(p), sizes } },
    { verdict: 'whole typed', request: { op: 'obj', path, program: `+${p.name}`, type: kernelType(p), sizes } },
  ];
}

/** The request that loads a program as its verdict says (undefined when refused). */
export function loadRequest(p: PacketProgram, v: KernelVerdict): KernelRequest | undefined {
  return loadTries(p).find((t) => t.verdict === v)?.request;
}

/**
 * The kernel's verdicts on `programs`, keyed `path key`: one runner process per object and round of
 * tries, each round asking again only for the programs every earlier try refused (a big object's
 * whole-object loads are not repeated for programs already accepted alone).
 */
export function kernelVerdicts(k: KernelOracle, programs: readonly PacketProgram[]): Map<string, KernelVerdict> {
  const out = new Map<string, KernelVerdict>();
  const byPath = new Map<string, PacketProgram[]>();
  for (const p of programs) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  for (const list of byPath.values()) {
    const tries = list.map(loadTries);
    const answers: KernelResponse[][] = list.map(() => []);
    let open = list.map((_, i) => i);
    for (let round = 0; open.length > 0 && round < tries[0]!.length; round++) {
      const res = k.exec(open.map((i) => tries[i]![round]!.request));
      open.forEach((i, j) => answers[i]!.push(res[j]!));
      open = open.filter((_, j) => !(res[j]!.kind === 'obj' && (res[j] as { accepted: boolean }).accepted));
    }
    list.forEach((p, i) => {
      const mine = answers[i]!;
      const ok = mine.findIndex((r) => r.kind === 'obj' && r.accepted);
      // The refusal to show: the first that is not libbpf's "missing BPF prog type" (which the typed tries answer).
      const first = mine.find((r) => !(r.kind === 'obj' && /missing BPF prog type/.test(lastLine(r.log)))) ?? mine[0]!;
      out.set(
        `${p.path} ${p.key}`,
        ok >= 0 ? tries[i]![ok]!.verdict : first.kind === 'obj' ? `refused: ${first.errno} ${lastLine(first.log)}` : `refused: ${JSON.stringify(first).slice(0, 200)}`,
      );
    });
  }
  return out;
}
