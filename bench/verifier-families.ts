/**
 * The kernel-level analysis against the live kernel's verifier (root, test/kernel/runner.ts) on the
 * rule-family programs of test/verifier/families.ts: per family, how many of the kernel's rejections
 * the analysis also rejects and how many of its acceptances the analysis wrongly rejects, with examples
 * of each disagreement. `--write` records the kernel's verdict on each program (test/verifier/families-kernel.json,
 * the table kernel-families.test.ts checks):
 *   npx tsx bench/verifier-families.ts [--seeds 1-1] [--per 200] [--family a,b] [--show 2] [--write] [--held]
 * (`--held`: the held-out families of families-held.ts, written into families-held-kernel.json)
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../src/asm/assembler.js';
import { checkProgram, type VerifierIssue } from '../src/verifier/index.js';
import { kernelOracle } from '../test/kernel/runner.js';
import { familyCheckOptions, familyKernelRequest, FAMILY_NAMES, generateFamilyPrograms, generateHeldPrograms, HELD_FAMILY_NAMES, type FamilyProgram } from '../test/verifier/families.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const [seedLo, seedHi] = arg('seeds', '1-1').split('-').map(Number) as [number, number];
const per = Number(arg('per', '200'));
const show = Number(arg('show', '2'));
const only = process.argv.includes('--family') ? arg('family', '').split(',') : undefined;
const write = process.argv.includes('--write');
/** `--held`: the held-out families of families-held.ts instead of the others. */
const held = process.argv.includes('--held');
const names = held ? HELD_FAMILY_NAMES : FAMILY_NAMES;
const generate = held ? generateHeldPrograms : generateFamilyPrograms;

const oracle = kernelOracle();
if (typeof oracle === 'string') throw new Error(`no kernel oracle: ${oracle}`);

interface Row { family: string; kAcc: number; kRej: number; caught: number; falseRej: number; crash: number }
const rows = new Map<string, Row>(names.map((f) => [f, { family: f, kAcc: 0, kRej: 0, caught: 0, falseRej: 0, crash: 0 }]));
const fr = new Map<string, string[]>();
const fa = new Map<string, string[]>();
/** The kernel's verdicts by family, one letter per program in generation order (A accepts, R rejects). */
const labels: Record<string, string> = {};
let analysisMs = 0;

for (let seed = seedLo; seed <= seedHi; seed++) {
  const progs: FamilyProgram[] = generate(seed, per, only);
  const insns = progs.map((p) => assemble(p.source));
  const verdicts = oracle.verdicts(progs.map((p, i) => familyKernelRequest(p, insns[i]!, 1)));
  progs.forEach((p, i) => {
    const v = verdicts[i]!;
    const row = rows.get(p.family)!;
    const t = Date.now();
    let issues: VerifierIssue[];
    try {
      issues = checkProgram(insns[i]!, familyCheckOptions(p));
    } catch (e) {
      row.crash++;
      issues = [{ pc: -1, rule: 'CRASH', message: String(e), severity: 'error' } as unknown as VerifierIssue];
    }
    analysisMs += Date.now() - t;
    const first = issues.find((x) => x.severity === 'error');
    const label = `seed ${seed} #${i} (${p.type}${p.progFlags ? `, flags ${p.progFlags}` : ''})\n${p.source.replace(/^/gm, '        | ')}`;
    if (v.accepted) {
      row.kAcc++;
      if (first !== undefined) {
        row.falseRej++;
        const key = `${p.family} | ${first.rule}: ${first.message.replace(/\d+/g, 'N').slice(0, 90)}`;
        fr.set(key, [...(fr.get(key) ?? []), `${label}\n        tsbpf: pc ${first.pc} ${first.message.slice(0, 200)}`]);
      }
    } else {
      row.kRej++;
      if (first !== undefined) row.caught++;
      else {
        const lines = v.log.trim().split('\n');
        const last = lines.slice(-2, -1)[0] ?? `errno ${v.errno}`;
        const key = `${p.family} | ${last.replace(/\d+/g, 'N').slice(0, 90)}`;
        fa.set(key, [...(fa.get(key) ?? []), `${label}\n        kernel: ${lines.slice(-8, -1).join('\n          ')}`]);
      }
    }
    labels[p.family] = (labels[p.family] ?? '') + (v.accepted ? 'A' : 'R');
  });
}

const pct = (a: number, b: number): string => (b === 0 ? '   -  ' : `${((100 * a) / b).toFixed(1).padStart(5)}%`);
console.log(`families, seeds ${seedLo}-${seedHi} x ${per} per family (analysis ${analysisMs} ms)`);
console.log('family          k-rej  caught          k-acc  false-rej');
const tot = { kAcc: 0, kRej: 0, caught: 0, falseRej: 0 };
for (const r of rows.values()) {
  if (r.kAcc + r.kRej === 0) continue;
  console.log(`${r.family.padEnd(15)} ${String(r.kRej).padStart(5)}  ${String(r.caught).padStart(5)} ${pct(r.caught, r.kRej)}  ${String(r.kAcc).padStart(5)}  ${String(r.falseRej).padStart(5)} ${pct(r.falseRej, r.kAcc)}${r.crash > 0 ? `  CRASH ${r.crash}` : ''}`);
  tot.kAcc += r.kAcc;
  tot.kRej += r.kRej;
  tot.caught += r.caught;
  tot.falseRej += r.falseRej;
}
console.log(`${'total'.padEnd(15)} ${String(tot.kRej).padStart(5)}  ${String(tot.caught).padStart(5)} ${pct(tot.caught, tot.kRej)}  ${String(tot.kAcc).padStart(5)}  ${String(tot.falseRej).padStart(5)} ${pct(tot.falseRej, tot.kAcc)}`);
console.log('\n-- kernel accepts, tsbpf rejects:');
for (const [key, cs] of [...fr].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${cs.length}  ${key}`);
  for (const c of cs.slice(0, show)) console.log(`      ${c}`);
}
console.log('\n-- kernel rejects, tsbpf accepts:');
for (const [key, cs] of [...fa].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${cs.length}  ${key}`);
  for (const c of cs.slice(0, show)) console.log(`      ${c}`);
}
if (write) {
  if (seedLo !== seedHi || only !== undefined) throw new Error('--write records one seed and every family');
  const path = join(import.meta.dirname, `../test/verifier/${held ? 'families-held-kernel' : 'families-kernel'}.json`);
  writeFileSync(path, `${JSON.stringify({ kernel: 'recorded with bench/verifier-families.ts --write', seed: seedLo, per, labels }, null, 1)}\n`);
  console.log(`\nwrote ${path}`);
}
