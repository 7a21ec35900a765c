/**
 * Chooses the interpreter's superinstructions (FUSED in src/vm/interpreter-decode.ts) from a static
 * count of instruction pairs and triples over a broad corpus — every program of the benchmarks, the test
 * fixtures, the examples and test/corpus — rather than from the dynamic counts of the benchmarks alone:
 *   npx tsx bench/superinstructions.ts [PAIRS] [TRIPLES]
 *
 * The count is a static frequency estimate: a slot's weight is 10^d for its loop depth d (the number of
 * back-edge spans `[target, jump]` holding it, at most 3: the classic loop-depth estimate of how often
 * code runs), and each program's counts are divided by its total weight, so that every program counts
 * as much as every other, a large one no more than a small one. A run never crosses a block boundary
 * (its later slots are no jump targets), only its last slot may jump, and only operations the WebAssembly
 * core runs itself may take part (ALU, byte order, loads, stores of registers, jumps).
 *
 * Selection is greedy: take the run that saves the most weighted dispatches ((length - 1) × weight),
 * mark its occurrences (left to right, not overlapping) as taken, count again, until PAIRS pairs
 * (default 40) and TRIPLES triples (default 5) are chosen. Prints the list in FUSED's syntax, with each
 * entry's share.
 *
 * `npx tsx bench/superinstructions.ts PAIRS TRIPLES --judge [--each] [--print VARIANT]` trains on the
 * clang-built objects of test/corpus alone (four weightings: per program or per slot, all code or loop
 * bodies only) and judges each list, and the core's CORE_FUSED, by the dispatches per executed instruction
 * of every benchmark (small inputs), the 35 and the held-out ten apart.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../src/elf/loader.js';
import { Program } from '../src/vm/program.js';
import { OP_NAMES, slotDecoding } from '../src/vm/interpreter-decode.js';
import { blockLeaders } from '../src/verifier/cfg.js';
import { CORPUS_DIR, corpusObjects } from '../test/corpus/survey.js';
import { BENCHMARKS, inputPath, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';
import { TracingVmRaw } from '../src/vm/trace.js';

const pairsWanted = Number(process.argv[2] ?? '40');
const triplesWanted = Number(process.argv[3] ?? '5');
const root = fileURLToPath(new URL('..', import.meta.url));

/** Operations that may take part in a run (first parts), and jumps, which may only end one. */
const PLAIN = /^((add|sub|mul|div|sdiv|or|and|lsh|rsh|neg|mod|smod|xor|mov|arsh)(64|32)(_k|_x)?|movsx(64|32)_\d+|(le|be)(16|32|64)|ldx(b|h|w|dw)|stx(b|h|w|dw))$/;
const JUMP = /^j(eq|gt|ge|lt|le|set|ne|sgt|sge|slt|sle)(32)?_(k|x)$/;

/** One program: each slot's operation name (undefined: cannot take part), leaders and weights. */
interface Prog {
  readonly names: (string | undefined)[];
  readonly leader: Uint8Array;
  readonly weight: Float64Array;
  readonly taken: Uint8Array;
}

/**
 * A program's slots, weighted by the static estimate and divided by its total weight (`norm` 'total':
 * every program counts alike) or by its number of slots ('slots': loop-heavy programs count more).
 */
function prepare(bytes: Uint8Array, loopsOnly = false, norm: 'total' | 'slots' = 'total'): Prog | undefined {
  const program = new Program(bytes, 'p');
  const slots = slotDecoding(program);
  const n = slots.length;
  if (n === 0) return undefined;
  const leader = blockLeaders(program.insns);
  const names: (string | undefined)[] = [];
  const depth = new Int32Array(n + 1);
  for (let pc = 0; pc < n; pc++) {
    const name = OP_NAMES[slots.op[pc]!];
    names.push(name !== undefined && (PLAIN.test(name) || JUMP.test(name)) ? name : undefined);
    // A back edge: a jump to a slot at or before it spans a loop (clang lays loops out so).
    const i = program.insns[pc]!;
    const cls = i.opcode & 7;
    if ((cls === 5 || cls === 6) && name !== 'call_helper' && name !== 'call_local' && name !== 'exit' && name !== 'callx') {
      const target = pc + 1 + i.offset;
      if (target >= 0 && target <= pc) {
        depth[target]! += 1;
        depth[pc + 1]! -= 1;
      }
    }
  }
  const weight = new Float64Array(n);
  let d = 0;
  let total = 0;
  for (let pc = 0; pc < n; pc++) {
    d += depth[pc]!;
    weight[pc] = loopsOnly && d <= 0 ? 0 : 10 ** Math.min(3, Math.max(0, d));
    total += weight[pc]!;
  }
  if (total === 0) return undefined;
  const by = norm === 'total' ? total : n;
  for (let pc = 0; pc < n; pc++) weight[pc]! /= by;
  return { names, leader, weight, taken: new Uint8Array(n) };
}

/** Every program of a source, prepared (bench objects by benchmark name, the others by file). */
function programsOf(path: string): Uint8Array[] {
  let obj;
  try {
    obj = loadObject(new Uint8Array(readFileSync(path)), { verify: false });
  } catch {
    return [];
  }
  const out: Uint8Array[] = [];
  for (const p of obj.programs) {
    try {
      out.push(obj.program(p.name).program.bytes);
    } catch {
      // A program that does not link: not counted.
    }
  }
  return out;
}
const objectsIn = (dir: string): string[] => readdirSync(join(root, dir)).filter((f) => f.endsWith('.o')).sort().map((f) => join(root, dir, f));

/** Whether slots pc..pc+len-1 may form a run (not taken, later slots no leaders, only the last a jump). */
function runAt(p: Prog, pc: number, len: number): string | undefined {
  if (pc + len > p.names.length) return undefined;
  const parts: string[] = [];
  for (let k = 0; k < len; k++) {
    const name = p.names[pc + k];
    if (name === undefined || p.taken[pc + k] === 1 || (k > 0 && p.leader[pc + k] === 1)) return undefined;
    if (k < len - 1 && JUMP.test(name)) return undefined;
    parts.push(name);
  }
  return parts.join(',');
}

/** Greedy selection (see the module comment) over `progs` (their `taken` marks are reset first). */
function select(progs: readonly Prog[], pairsWanted: number, triplesWanted: number): { run: string; share: number }[] {
  for (const p of progs) p.taken.fill(0);
  const chosen: { run: string; share: number }[] = [];
  let pairs = 0;
  let triples = 0;
  while (pairs < pairsWanted || triples < triplesWanted) {
    const score = new Map<string, number>();
    for (const p of progs) {
      for (let pc = 0; pc < p.names.length; pc++) {
        for (const len of [2, 3]) {
          if ((len === 2 && pairs >= pairsWanted) || (len === 3 && triples >= triplesWanted)) continue;
          const run = runAt(p, pc, len);
          if (run !== undefined) score.set(run, (score.get(run) ?? 0) + (len - 1) * p.weight[pc + len - 1]!);
        }
      }
    }
    const best = [...score].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    if (best === undefined) break;
    const [run, s] = best;
    const len = run.split(',').length;
    chosen.push({ run, share: s / progs.length });
    if (len === 2) pairs++;
    else triples++;
    for (const p of progs) {
      for (let pc = 0; pc < p.names.length; pc++) {
        if (runAt(p, pc, len) === run) {
          for (let k = 0; k < len; k++) p.taken[pc + k] = 1;
          pc += len - 1;
        }
      }
    }
  }
  return chosen;
}

/** A benchmark program with each slot's executed count on its small input (weights: its shares). */
function traced(bench: (typeof BENCHMARKS)[number]): Prog {
  const bytes = loadBenchProgram(objectPath(bench.program));
  const p = prepare(bytes)!;
  const vm = new TracingVmRaw(bytes);
  const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
  const count = new Float64Array(p.names.length);
  let n = 0;
  vm.executeProgramTraced(mem, (step) => {
    count[step.pc]! += 1;
    n++;
  });
  for (let pc = 0; pc < count.length; pc++) p.weight[pc] = count[pc]! / n;
  return p;
}

/**
 * Dispatches per executed instruction of a traced program with a given list, fused as the interpreter
 * fuses (interpreter-decode's fuseRuns: per block, the runs that save the most slots).
 */
function dispatches(p: Prog, list: readonly string[]): number {
  const set = new Set(list);
  const n = p.names.length;
  const saved = new Float64Array(n + 1);
  const choice = new Uint8Array(n);
  p.taken.fill(0);
  const slots = new Float64Array(n + 1);
  for (let pc = n - 1; pc >= 0; pc--) {
    saved[pc] = saved[pc + 1]!;
    slots[pc] = slots[pc + 1]!;
    for (const len of [2, 3]) {
      const run = runAt(p, pc, len);
      if (run !== undefined && set.has(run) && len - 1 + slots[pc + len]! > slots[pc]!) {
        slots[pc] = len - 1 + slots[pc + len]!;
        saved[pc] = (len - 1) * p.weight[pc]! + saved[pc + len]!;
        choice[pc] = len;
      }
    }
  }
  return 1 - saved[0]!;
}

const holdout = process.argv.includes('--holdout');
const judge = process.argv.includes('--judge');
if (judge) {
  // Train on the real clang-built objects of test/corpus only (never a benchmark), judge on every
  // benchmark: dispatches per executed instruction (small inputs) with each training variant's list and
  // with the core's current list.
  const corpusProgs = (loopsOnly: boolean, norm: 'total' | 'slots'): Prog[] => {
    const out: Prog[] = [];
    for (const f of corpusObjects()) for (const b of programsOf(join(CORPUS_DIR, f))) {
      const p = prepare(b, loopsOnly, norm);
      if (p !== undefined) out.push(p);
    }
    return out;
  };
  const test = BENCHMARKS.map((b) => ({ name: b.name, p: traced(b) }));
  const { CORE_FUSED } = await import('../src/vm/interpreter-core-fused.js');
  const lists: [string, string[]][] = [['core list (chosen from the benchmarks)', CORE_FUSED.map((r) => r.join(','))]];
  for (const [name, loops, norm] of [['corpus, per program', false, 'total'], ['corpus, per slot', false, 'slots'], ['corpus loops, per program', true, 'total'], ['corpus loops, per slot', true, 'slots']] as const) {
    const progs = corpusProgs(loops, norm);
    const chosen = select(progs, pairsWanted, triplesWanted);
    lists.push([`${name} (${progs.length})`, chosen.map((c) => c.run)]);
    if (process.argv.includes('--print') && name === process.argv[process.argv.indexOf('--print') + 1]) {
      for (const c of chosen) process.stdout.write(`  [${c.run.split(',').map((n) => `'${n}'`).join(', ')}], // ${(c.share * 100).toFixed(2)}%\n`);
    }
  }
  lists.push(['none', []]);
  const heldOut = new Set(['siphash', 'toeplitz', 'tunnel', 'ipv6_ext', 'dns_qname', 'token_bucket', 'maglev', 'crc32c', 'bloom', 'rtt_stats']);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [name, list] of lists) {
    const d = test.map((t) => ({ name: t.name, d: dispatches(t.p, list) }));
    const h = d.filter((x) => heldOut.has(x.name)).map((x) => x.d);
    const o = d.filter((x) => !heldOut.has(x.name)).map((x) => x.d);
    process.stdout.write(`${name.padEnd(44)} all ${mean(d.map((x) => x.d)).toFixed(3)}  the 35 ${mean(o).toFixed(3)}  held-out 10 ${mean(h).toFixed(3)}\n`);
    if (process.argv.includes('--each')) process.stdout.write(d.map((x) => `${x.name} ${x.d.toFixed(3)}`).join('  ') + '\n');
  }
} else if (!holdout) {
  const progs: Prog[] = [];
  const add = (bytes: Uint8Array): void => {
    const p = prepare(bytes);
    if (p !== undefined) progs.push(p);
  };
  const corpus = process.argv.includes('--corpus');
  // --exclude NAME,...: leave these benchmark programs out of the training set (to judge the list on them).
  const excludeAt = process.argv.indexOf('--exclude');
  const excluded = new Set(excludeAt >= 0 ? process.argv[excludeAt + 1]!.split(',').map((n) => `${n}.o`) : []);
  for (const dir of corpus ? ['bench/programs', 'test/fixtures/elf', 'examples'] : ['bench/programs']) {
    for (const f of objectsIn(dir)) if (!excluded.has(basename(f))) programsOf(f).forEach(add);
  }
  if (corpus) for (const f of corpusObjects()) programsOf(join(CORPUS_DIR, f)).forEach(add);
  process.stderr.write(`${progs.length} programs\n`);
  let saved = 0;
  for (const c of select(progs, pairsWanted, triplesWanted)) {
    saved += c.share;
    const parts = c.run.split(',').map((n) => `'${n}'`).join(', ');
    process.stdout.write(`  [${parts}], // ${(c.share * 100).toFixed(2)}%\n`);
  }
  process.stderr.write(`weighted dispatches saved: ${(saved * 100).toFixed(1)}%\n`);
} else {
  // Two-fold cross-validation over the benchmarks: choose from one half (and, for the static
  // choices, everything else), measure the dispatches per executed instruction on the other half.
  const others: Prog[] = [];
  for (const dir of ['test/fixtures/elf', 'examples']) for (const f of objectsIn(dir)) for (const b of programsOf(f)) others.push(prepare(b)!);
  for (const f of corpusObjects()) for (const b of programsOf(join(CORPUS_DIR, f))) {
    const p = prepare(b);
    if (p !== undefined) others.push(p);
  }
  const perSlot: Prog[] = [];
  for (const dir of ['test/fixtures/elf', 'examples']) for (const f of objectsIn(dir)) for (const b of programsOf(f)) perSlot.push(prepare(b, false, 'slots')!);
  for (const f of corpusObjects()) for (const b of programsOf(join(CORPUS_DIR, f))) {
    const p = prepare(b, false, 'slots');
    if (p !== undefined) perSlot.push(p);
  }
  const loopy: Prog[] = [];
  for (const dir of ['test/fixtures/elf', 'examples']) for (const f of objectsIn(dir)) for (const b of programsOf(f)) {
    const p = prepare(b, true);
    if (p !== undefined) loopy.push(p);
  }
  for (const f of corpusObjects()) for (const b of programsOf(join(CORPUS_DIR, f))) {
    const p = prepare(b, true);
    if (p !== undefined) loopy.push(p);
  }
  process.stderr.write(`${others.length} other programs, ${loopy.length} with loops\n`);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const results = new Map<string, number[]>();
  for (const half of [0, 1]) {
    const train = BENCHMARKS.filter((_, i) => i % 2 !== half);
    const test = BENCHMARKS.filter((_, i) => i % 2 === half).map(traced);
    const staticTrain = train.map((b) => prepare(loadBenchProgram(objectPath(b.program)))!);
    const lists: [string, string[]][] = [
      ['dynamic, benchmarks', select(train.map(traced), pairsWanted, triplesWanted).map((c) => c.run)],
      ['static, benchmarks', select(staticTrain, pairsWanted, triplesWanted).map((c) => c.run)],
      ['static, benchmarks + corpus', select([...staticTrain, ...others], pairsWanted, triplesWanted).map((c) => c.run)],
      ['static per slot, benchmarks + corpus', select([...train.map((b) => prepare(loadBenchProgram(objectPath(b.program)), false, 'slots')!), ...perSlot], pairsWanted, triplesWanted).map((c) => c.run)],
      ['static per slot, corpus only', select(perSlot, pairsWanted, triplesWanted).map((c) => c.run)],
      ['static, corpus only', select(others, pairsWanted, triplesWanted).map((c) => c.run)],
      ['static loops, benchmarks + corpus', select([...train.map((b) => prepare(loadBenchProgram(objectPath(b.program)), true)).filter((p) => p !== undefined), ...loopy], pairsWanted, triplesWanted).map((c) => c.run)],
      ['static loops, corpus only', select(loopy, pairsWanted, triplesWanted).map((c) => c.run)],
      ['none', []],
    ];
    for (const [name, list] of lists) {
      const d = test.map((p) => dispatches(p, list));
      results.set(name, [...(results.get(name) ?? []), ...d]);
    }
  }
  for (const [name, d] of results) process.stdout.write(`${name.padEnd(30)} ${mean(d).toFixed(3)} dispatches per executed instruction (held-out halves)\n`);
}
