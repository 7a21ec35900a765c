/**
 * Semantic mutants of real clang programs (test/verifier/mutants.ts), judged by the live kernel (root)
 * and by the kernel-level analysis. Prints, per set (development seeds, held seeds), how many of the
 * kernel's rejections the analysis also rejects and how many of its acceptances the analysis refuses,
 * by mutation kind; for the development set also each disagreement by rule / kernel message with
 * examples (the held set is only counted). `--write` records the kernel's verdicts in
 * test/verifier/mutants-kernel.json (what kernel-mutants.test.ts checks without the syscall).
 *   npx tsx bench/verifier-mutants.ts [--set dev|held|both] [--show N] [--write] [--max-insns N] [--kind K]
 * `--recorded` takes the verdicts from the table instead of the kernel (no root; no kernel messages).
 * @module
 */
import { execSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { checkProgram, type VerifierIssue } from '../src/verifier/index.js';
import { kernelOracle, type Verdict, type VerdictRequest } from '../test/kernel/runner.js';
import { DEV_SEEDS, extraSources, HELD_SEEDS, MAX_INSNS, MUTANT_TABLE_FILE, mutantsOf, mutantSources, PER_PROGRAM, readMutantTable, type Mutant } from '../test/verifier/mutants.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const set = arg('set', 'both');
const show = Number(arg('show', '3'));
const write = process.argv.includes('--write');
const maxInsns = Number(arg('max-insns', String(MAX_INSNS)));
const onlyKind = arg('kind', '');

const fromTable = process.argv.includes('--recorded');
const oracle = fromTable ? undefined : kernelOracle();
if (typeof oracle === 'string') throw new Error(`no kernel oracle: ${oracle}`);
const table = fromTable ? readMutantTable() : undefined;
/** The kernel's verdicts, live or (--recorded) from the table, whose rejections carry no log. */
const judge = (requests: readonly { key: string; request: VerdictRequest }[]): Verdict[] =>
  table === undefined
    ? oracle!.verdicts(requests.map((r) => r.request))
    : requests.map((r) => {
        const v = table.verdicts[r.key] ?? (table.originals[r.key] === true ? 'A' : 'R');
        return { accepted: v.startsWith('A'), errno: v.startsWith('A') ? 0 : 13, log: v.startsWith('X') ? 'map creation failed' : '(recorded)\n(recorded verdict)\n' };
      });

// the programs of examples/ and bench/programs/ as linked: the kernel's verdicts on the originals
const extras = extraSources(maxInsns);
const ov = judge(extras.map((s) => ({ key: s.key, request: { ...s.request, logLevel: 0 } })));
const originals = new Map(extras.map((s, i) => [s.key, ov[i]!.accepted] as const));
const sources = mutantSources(originals, maxInsns);
console.log(`${sources.length} programs the kernel accepts (<= ${maxInsns} instructions; ${[...originals.values()].filter(Boolean).length} of ${extras.length} from examples/ and bench/programs/)`);

const recorded: Record<string, string> = {};

function measure(title: string, seeds: readonly number[], detail: boolean): void {
  const mutants: Mutant[] = sources.flatMap((s) => seeds.flatMap((seed) => mutantsOf(s, seed))).filter((m) => onlyKind === '' || m.kind === onlyKind);
  const t0 = Date.now();
  const verdicts: Verdict[] = [];
  for (let i = 0; i < mutants.length; i += 500) verdicts.push(...judge(mutants.slice(i, i + 500).map((m) => ({ key: m.key, request: m.request }))));
  const tk = Date.now() - t0;
  let analysisMs = 0;
  const byKind = new Map<string, { rej: number; caught: number; acc: number; fr: number }>();
  const fr = new Map<string, string[]>();
  const fa = new Map<string, string[]>();
  let kRej = 0, caught = 0, kAcc = 0, nFr = 0;
  mutants.forEach((m, i) => {
    const v = verdicts[i]!;
    if (!v.accepted && v.log.startsWith('map creation failed')) {
      recorded[m.key] = `X ${m.hash}`; // no verdict: the kernel would not create a map
      return;
    }
    recorded[m.key] = `${v.accepted ? 'A' : 'R'} ${m.hash}`;
    const t = Date.now();
    let issues: VerifierIssue[];
    try {
      issues = checkProgram(m.bytes, m.source.options);
    } catch (e) {
      issues = [{ pc: -1, rule: 'CRASH', message: String(e), severity: 'error' } as unknown as VerifierIssue];
    }
    analysisMs += Date.now() - t;
    const first = issues.find((x) => x.severity === 'error');
    const row = byKind.get(m.kind) ?? { rej: 0, caught: 0, acc: 0, fr: 0 };
    byKind.set(m.kind, row);
    if (v.accepted) {
      kAcc++;
      row.acc++;
      if (first !== undefined) {
        nFr++;
        row.fr++;
        const key = `${first.rule}: ${first.message.replace(/\d+/g, 'N').slice(0, 90)}`;
        fr.set(key, [...(fr.get(key) ?? []), `${m.key} ${m.what}\n        tsbpf: pc ${first.pc} ${first.message.slice(0, 160)}`]);
      }
    } else {
      kRej++;
      row.rej++;
      if (first !== undefined) {
        caught++;
        row.caught++;
      } else {
        const lines = v.log.trim().split('\n');
        const log = lines.slice(-2, -1)[0] ?? `errno ${v.errno}`;
        const key = log.replace(/\d+/g, 'N').slice(0, 90);
        fa.set(key, [...(fa.get(key) ?? []), `${m.key} ${m.what}\n          ${lines.slice(-7, -1).join('\n          ')}`]);
      }
    }
  });
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  console.log(`\n== ${title}: ${mutants.length} mutants (kernel ${tk} ms, analysis ${analysisMs} ms)`);
  console.log(`kernel rejects ${kRej}, tsbpf rejects ${caught} of them (${pct(caught, kRej)}); kernel accepts ${kAcc}, tsbpf rejects ${nFr} (${pct(nFr, kAcc)})`);
  for (const [kind, r] of [...byKind].sort()) console.log(`  ${kind.padEnd(16)} kernel rejects ${String(r.rej).padStart(5)}, caught ${String(r.caught).padStart(5)}; kernel accepts ${String(r.acc).padStart(5)}, refused ${r.fr}`);
  if (!detail) return;
  console.log('-- kernel accepts, tsbpf rejects, by tsbpf rule:');
  for (const [key, cs] of [...fr].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${cs.length}  ${key}`);
    for (const c of cs.slice(0, show)) console.log(`      ${c}`);
  }
  console.log('-- kernel rejects, tsbpf accepts, by kernel message:');
  for (const [key, cs] of [...fa].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${cs.length}  ${key}`);
    for (const c of cs.slice(0, show)) console.log(`      ${c}`);
  }
}

if (set !== 'held') measure(`development set, seeds ${DEV_SEEDS.join(', ')} x ${PER_PROGRAM}`, DEV_SEEDS, true);
if (set !== 'dev') measure(`held set, seeds ${HELD_SEEDS.join(', ')} x ${PER_PROGRAM} (counted only)`, HELD_SEEDS, false);

if (write && table === undefined) {
  const before = existsSync(MUTANT_TABLE_FILE) ? readMutantTable().verdicts : {};
  const table = {
    kernel: execSync('uname -r').toString().trim(),
    perProgram: PER_PROGRAM,
    maxInsns,
    originals: Object.fromEntries([...originals].sort(([a], [b]) => a.localeCompare(b))),
    verdicts: Object.fromEntries(Object.entries({ ...before, ...recorded }).sort(([a], [b]) => a.localeCompare(b))),
  };
  writeFileSync(MUTANT_TABLE_FILE, `${JSON.stringify(table, null, 0).replace(/","/g, '",\n"')}\n`);
  console.log(`wrote ${Object.keys(table.verdicts).length} verdicts to ${MUTANT_TABLE_FILE}`);
}
