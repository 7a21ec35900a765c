/**
 * The kernel-level analysis against the live kernel's verifier (root, test/kernel/runner.ts) on material
 * broader than the committed tables: programs from test/verifier/generate.ts with other seeds, and
 * single-instruction mutations of the corpus programs the kernel accepts (a conditional jump made a
 * no-op, a bound or offset moved, a jump condition or register changed). Prints how many of the kernel's
 * rejections the analysis also rejects, how many of the kernel's acceptances it wrongly rejects, each by
 * rule / kernel message, and examples:
 *   npx tsx bench/verifier-agreement.ts [--seeds 100-109] [--count 400] [--mutants 3] [--max-insns 3000] [--show N]
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../src/asm/assembler.js';
import { checkProgram, type VerifierIssue } from '../src/verifier/index.js';
import { loadedCorpusObjects } from '../test/corpus/survey.js';
import { kernelOracle, type VerdictRequest } from '../test/kernel/runner.js';
import { rng } from '../test/kernel/packets.js';
import { kernelPrograms } from '../test/verifier/corpus-kernel.js';
import { GEN_MAPS, generatePrograms } from '../test/verifier/generate.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const [seedLo, seedHi] = arg('seeds', '100-109').split('-').map(Number) as [number, number];
const count = Number(arg('count', '400'));
const mutants = Number(arg('mutants', '3'));
const maxInsns = Number(arg('max-insns', '3000'));
const show = Number(arg('show', '3'));
const only = arg('only', 'both');

interface Case {
  readonly label: string;
  readonly request: VerdictRequest;
  readonly issues: () => VerifierIssue[];
  readonly text?: string;
}

const oracle = kernelOracle();
if (typeof oracle === 'string') throw new Error(`no kernel oracle: ${oracle}`);
const k = oracle;

function measure(title: string, cases: readonly Case[]): void {
  const t0 = Date.now();
  const verdicts = k.verdicts(cases.map((c) => c.request));
  const tk = Date.now() - t0;
  let kAcc = 0;
  let kRej = 0;
  const fr = new Map<string, Case[]>();
  const fa = new Map<string, { c: Case; log: string }[]>();
  let analysisMs = 0;
  cases.forEach((c, i) => {
    const v = verdicts[i]!;
    if (!v.accepted && v.log.startsWith('map creation failed')) return;
    const t = Date.now();
    let issues: VerifierIssue[];
    try {
      issues = c.issues();
    } catch (e) {
      issues = [{ pc: -1, rule: 'CRASH', message: String(e), severity: 'error' } as unknown as VerifierIssue];
    }
    analysisMs += Date.now() - t;
    const first = issues.find((x) => x.severity === 'error');
    if (v.accepted) {
      kAcc++;
      if (first !== undefined) {
        const key = `${first.rule}: ${first.message.replace(/\d+/g, 'N').slice(0, 90)}`;
        fr.set(key, [...(fr.get(key) ?? []), { ...c, label: `${c.label}\n        tsbpf: pc ${first.pc} ${first.message.slice(0, 160)}` }]);
      }
    } else {
      kRej++;
      if (first === undefined) {
        const log = v.log.trim().split('\n').slice(-2, -1)[0] ?? `errno ${v.errno}`;
        const key = log.replace(/\d+/g, 'N').slice(0, 90);
        const tail = v.log.trim().split('\n').slice(-6, -1).join('\n          ');
        fa.set(key, [...(fa.get(key) ?? []), { c: { ...c, label: `${c.label}\n        kernel: ${tail}` }, log: v.log }]);
      }
    }
  });
  const nFr = [...fr.values()].reduce((a, b) => a + b.length, 0);
  const nFa = [...fa.values()].reduce((a, b) => a + b.length, 0);
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  console.log(`\n== ${title}: ${cases.length} programs (kernel ${tk} ms, analysis ${analysisMs} ms)`);
  console.log(`kernel rejects ${kRej}, tsbpf rejects ${kRej - nFa} of them (${pct(kRej - nFa, kRej)}); kernel accepts ${kAcc}, tsbpf wrongly rejects ${nFr} (${pct(nFr, kAcc)})`);
  console.log('-- kernel accepts, tsbpf rejects, by tsbpf rule:');
  for (const [key, cs] of [...fr].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${cs.length}  ${key}`);
    for (const c of cs.slice(0, show)) console.log(`      ${c.label}${c.text === undefined ? '' : `\n${c.text.replace(/^/gm, '        | ')}`}`);
  }
  console.log('-- kernel rejects, tsbpf accepts, by kernel message:');
  for (const [key, cs] of [...fa].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${cs.length}  ${key}`);
    for (const { c } of cs.slice(0, show)) console.log(`      ${c.label}${c.text === undefined ? '' : `\n${c.text.replace(/^/gm, '        | ')}`}`);
  }
}

if (only !== 'corpus') {
  const cases: Case[] = [];
  for (let seed = seedLo; seed <= seedHi; seed++) {
    generatePrograms(seed, count).forEach((p, i) => {
      const insns = assemble(p.source);
      cases.push({
        label: `seed ${seed} #${i} (${p.type})`,
        text: p.source,
        request: { type: p.type, insns, maps: GEN_MAPS, logLevel: 1 },
        issues: () => checkProgram(insns, { level: 'kernel', programType: p.type, maps: GEN_MAPS }),
      });
    });
  }
  measure(`generated, seeds ${seedLo}-${seedHi} x ${count}`, cases);
}

/** One random single-instruction change to a copy of `a` and of `b` (the same change at the same place). */
function mutate(a: Uint8Array, b: Uint8Array, next: () => number): [Uint8Array, Uint8Array, string] | undefined {
  const n = a.length / 8;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  const dx = new DataView(x.buffer);
  const dy = new DataView(y.buffer);
  const both = (f: (d: DataView, u: Uint8Array) => void): void => {
    f(dx, x);
    f(dy, y);
  };
  for (let tries = 0; tries < 50; tries++) {
    const pc = next() % n;
    const op = x[pc * 8]!;
    if (op === 0x18 || (pc > 0 && x[pc * 8 - 8] === 0x18)) continue;
    const cls = op & 7;
    const kind = next() % 4;
    if ((cls === 5 || cls === 6) && (op & 0xf0) !== 0x80 && (op & 0xf0) !== 0x90 && (op & 0xf0) !== 0x00) {
      // a conditional jump
      if (kind === 0) {
        both((_, u) => u.set([0x05, 0, 0, 0, 0, 0, 0, 0], pc * 8));
        return [x, y, `pc ${pc}: conditional jump removed`];
      }
      if (kind === 1 && (op & 8) === 0) {
        const d = (next() % 9) - 4 || 1;
        both((v) => v.setInt32(pc * 8 + 4, v.getInt32(pc * 8 + 4, true) + d, true));
        return [x, y, `pc ${pc}: jump immediate ${d > 0 ? '+' : ''}${d}`];
      }
      if (kind === 2) {
        const conds = [0x10, 0x20, 0x30, 0x50, 0xa0, 0xb0, 0x60, 0x70, 0xc0, 0xd0];
        const c = conds[next() % conds.length]!;
        both((_, u) => (u[pc * 8] = (op & 0x0f) | c));
        return [x, y, `pc ${pc}: jump condition ${op.toString(16)} -> ${((op & 0x0f) | c).toString(16)}`];
      }
      const u = x[pc * 8 + 1]!;
      const r = next() % 10;
      both((_, w) => (w[pc * 8 + 1] = (u & 0x0f) | (r << 4)));
      return [x, y, `pc ${pc}: jump source register`];
    }
    if (cls === 1 || cls === 2 || cls === 3) {
      // a load or store
      if (kind <= 1) {
        const d = [-8, -4, -2, -1, 1, 2, 4, 8][next() % 8]!;
        both((v) => v.setInt16(pc * 8 + 2, v.getInt16(pc * 8 + 2, true) + d, true));
        return [x, y, `pc ${pc}: offset ${d > 0 ? '+' : ''}${d}`];
      }
      if (kind === 2) {
        const size = [0x00, 0x08, 0x10, 0x18][next() % 4]!;
        both((_, u) => (u[pc * 8] = (op & 0xe7) | size));
        return [x, y, `pc ${pc}: size`];
      }
      const u = x[pc * 8 + 1]!;
      const r = next() % 11;
      const dst = next() % 2 === 0;
      both((_, w) => (w[pc * 8 + 1] = dst ? (u & 0xf0) | r : (u & 0x0f) | (r << 4)));
      return [x, y, `pc ${pc}: register`];
    }
    if (cls === 4 || cls === 7) {
      // ALU
      if ((op & 8) === 0 && kind <= 1) {
        const d = [-8, -4, -1, 1, 4, 8, 64, -64][next() % 8]!;
        both((v) => v.setInt32(pc * 8 + 4, v.getInt32(pc * 8 + 4, true) + d, true));
        return [x, y, `pc ${pc}: alu immediate ${d > 0 ? '+' : ''}${d}`];
      }
      const u = x[pc * 8 + 1]!;
      const r = next() % 10;
      both((_, w) => (w[pc * 8 + 1] = kind === 2 ? (u & 0xf0) | r : (u & 0x0f) | (r << 4)));
      return [x, y, `pc ${pc}: alu register`];
    }
  }
  return undefined;
}

if (only !== 'generated') {
  const accepted = new Map(Object.entries(JSON.parse(readFileSync(join(import.meta.dirname, '../test/verifier/corpus-kernel.json'), 'utf8')) as Record<string, { accepted: boolean }>));
  const cases: Case[] = [];
  const next = rng(seedLo);
  for (const { path, obj } of loadedCorpusObjects()) {
    for (const { name, type, bytes, relocated, attach, table, request: req } of kernelPrograms(obj, maxInsns, (n) => accepted.get(`${path}:${n}`)?.accepted !== true)) {
      for (let m = 0; m < mutants; m++) {
        const got = mutate(bytes, req.insns, next);
        if (got === undefined) continue;
        const [mine, theirs, what] = got;
        const at = Number(/^pc (\d+)/.exec(what)![1]);
        const hexOf = (u: Uint8Array): string => Buffer.from(u.subarray(at * 8, at * 8 + 8)).toString('hex');
        cases.push({
          label: `${path}:${name} ${what} (${hexOf(bytes)} -> ${hexOf(mine)})`,
          request: { ...req, insns: theirs },
          issues: () => checkProgram(mine, { level: 'kernel', programType: type, maps: table.maps, resolve: (imm, pc) => (relocated.has(pc) ? table.resolve(imm) : undefined), ...(attach === undefined ? {} : { attachType: attach }) }),
        });
      }
    }
  }
  measure(`corpus mutants (seed ${seedLo}, ${mutants} per program, <= ${maxInsns} insns)`, cases);
}
