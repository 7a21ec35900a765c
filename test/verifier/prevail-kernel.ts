/**
 * The kernel's own verdicts on PREVAIL's test cases, where the kernel can run the same program from
 * the same entry state. The case runs as a subprogram (so r0-r9 start unset, as PREVAIL's registers
 * the precondition does not name), after a prologue that builds its precondition: constants, numbers
 * in a range (an unknown helper result bounded by branches to an exit), stack pointers, the context,
 * a map, stack bytes holding numbers. Preconditions the prologue cannot build exactly (packets,
 * shared regions, ranges of pointers) leave the case to PREVAIL's expectation. For the others the
 * kernel's verdict is what the kernel-level analysis is measured against (prevail-kernel.json,
 * recorded on kernel 6.18 as root; refreshed by UPDATE_PREVAIL_KERNEL=1 npx vitest run
 * test/verifier/kernel-prevail.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { helperAllowed } from '../../src/verifier/analysis/helper-types.js';
import type { KernelMapDef, KernelOracle } from '../kernel/runner.js';
import type { PrevailCase } from './prevail.js';

export const PREVAIL_KERNEL_FILE = join(import.meta.dirname, 'prevail-kernel.json');

/** A recorded verdict: accepted, or the kernel's last log line. */
export interface KernelLabel {
  readonly accepted: boolean;
  readonly log?: string;
}

const I32 = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;

function range(text: string | undefined): [bigint, bigint] | undefined {
  if (text === undefined) return undefined;
  if (/^-?\d+$/.test(text)) return [BigInt(text), BigInt(text)];
  const m = /^\[(-?\d+),(-?\d+)\]$/.exec(text);
  return m === null ? undefined : [BigInt(m[1]!), BigInt(m[2]!)];
}

/** PREVAIL's test map (fd 1: hash, 4-byte key and value) and, for `map_fd_programs`, a program array. */
const TEST_MAP: KernelMapDef = { type: 1, keySize: 4, valueSize: 4, maxEntries: 1 };
const PROG_MAP: KernelMapDef = { type: 3, keySize: 4, valueSize: 4, maxEntries: 1 };

/** The case as a kernel program, or undefined when the prologue cannot build its precondition exactly. */
export function kernelProgram(c: PrevailCase): { type: 'xdp' | 'kprobe'; insns: Uint8Array; maps: Record<number, KernelMapDef> } | undefined {
  if (/skb\[|^callx/m.test(c.code)) return undefined;
  const facts = new Map<string, string>();
  for (const p of c.pre) {
    const t = p.replace(/\s/g, '');
    const eq = t.indexOf('=');
    if (eq <= 0) return undefined;
    facts.set(t.slice(0, eq), t.slice(eq + 1));
  }
  // fd 1 is PREVAIL's test map whether or not the precondition names it
  const maps: Record<number, KernelMapDef> = { 1: TEST_MAP };
  const setup: string[] = []; // after the unknown numbers are made (no calls)
  const unknowns: { r: number; lines: string[] }[] = [];
  let ctxReg: number | undefined;
  const used = new Set<string>();
  for (const [k, v] of facts) {
    const reg = /^r(\d+)\.(\w+)$/.exec(k);
    const slot = /^s\[(\d+)\.\.\.(\d+)\]\.(\w+)$/.exec(k);
    if (reg !== null) {
      used.add(k);
      continue;
    }
    if (slot !== null) {
      if (slot[3] === 'type' && v !== 'number') return undefined;
      continue;
    }
    return undefined; // packet_size, meta_offset
  }
  for (let r = 0; r <= 10; r++) {
    const type = facts.get(`r${r}.type`);
    // a pointer's numeric value (its address) and the numeric size of what a stack pointer points to are
    // PREVAIL's own bookkeeping; the kernel's state has neither
    const known = [...facts.keys()].filter(
      (k) => k.startsWith(`r${r}.`) && !(type !== 'number' && /\.(svalue|uvalue|stack_numeric_size)$/.test(k)),
    );
    if (type === undefined) {
      if (known.length > 0) return undefined;
      continue;
    }
    if (r === 10) {
      if (type !== 'stack' || (facts.get('r10.stack_offset') ?? '512') !== '512' || known.some((k) => !/\.(type|stack_offset)$/.test(k))) return undefined;
      continue;
    }
    switch (type) {
      case 'number': {
        if (known.some((k) => !/\.(type|svalue|uvalue)$/.test(k))) return undefined;
        const s = range(facts.get(`r${r}.svalue`));
        const u = range(facts.get(`r${r}.uvalue`));
        if ((facts.has(`r${r}.svalue`) && s === undefined) || (facts.has(`r${r}.uvalue`) && u === undefined)) return undefined;
        const exact = s !== undefined && s[0] === s[1] ? s[0] : u !== undefined && u[0] === u[1] ? u[0] : undefined;
        if (exact !== undefined) {
          setup.push(I32(exact) ? `r${r} = ${exact}` : `r${r} = ${BigInt.asIntN(64, exact)} ll`);
          break;
        }
        const bounds: string[] = [];
        for (const [b, signed] of [[s, true], [u, false]] as const) {
          if (b === undefined) continue;
          if (!I32(b[0]) || !I32(b[1])) return undefined;
          bounds.push(`if r${r} ${signed ? 's<' : '<'} ${b[0]} goto L___bail`, `if r${r} ${signed ? 's>' : '>'} ${b[1]} goto L___bail`);
        }
        unknowns.push({ r, lines: bounds });
        break;
      }
      case 'stack': {
        if (known.some((k) => !/\.(type|stack_offset)$/.test(k))) return undefined;
        const o = range(facts.get(`r${r}.stack_offset`));
        if (o === undefined || o[0] !== o[1]) return undefined;
        setup.push(`r${r} = r10`, `r${r} += ${o[0] - 512n}`);
        break;
      }
      case 'ctx': {
        if (known.some((k) => !/\.(type|ctx_offset)$/.test(k)) || (facts.get(`r${r}.ctx_offset`) ?? '0') !== '0') return undefined;
        if (r < 1 || r > 5 || ctxReg !== undefined) return undefined;
        ctxReg = r;
        break;
      }
      case 'map_fd':
      case 'map_fd_programs': {
        if (known.some((k) => !/\.(type|map_fd)$/.test(k))) return undefined;
        const fd = Number(facts.get(`r${r}.map_fd`) ?? 1);
        maps[fd] = type === 'map_fd' ? TEST_MAP : PROG_MAP;
        setup.push(`r${r} = map_fd ${fd} ll`);
        break;
      }
      default:
        return undefined;
    }
  }
  // stack bytes holding numbers: unknown bytes (or known ones) stored byte by byte before anything else
  const stack: string[] = [];
  for (const [k, v] of facts) {
    const m = /^s\[(\d+)\.\.\.(\d+)\]\.(\w+)$/.exec(k);
    if (m === null) continue;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a > b || b > 511) return undefined;
    const aligned = b - a === 7 && a % 8 === 0;
    if (m[3] !== 'type') {
      // a known value over an aligned 8-byte slot; elsewhere the bytes are unknown numbers (as the
      // analysis's entry state has them, test/verifier/prevail.ts)
      const val = range(v);
      if (val === undefined) return undefined;
      if (aligned && val[0] === val[1] && m[3] === 'svalue') stack.push(`r0 = ${BigInt.asIntN(64, val[0])} ll`, `*(u64 *)(r10 - ${512 - a}) = r0`);
      continue;
    }
    const valued = aligned && [`s[${a}...${b}].svalue`, `s[${a}...${b}].uvalue`].some((f) => {
      const val = range(facts.get(f));
      return val !== undefined && val[0] === val[1];
    });
    if (valued) continue;
    // unknown numbers: a helper result, byte by byte
    stack.push('call 7');
    for (let i = a; i <= b; i++) stack.push(`*(u8 *)(r10 - ${512 - i}) = r0`);
  }
  // unknown numbers come from bpf_get_prandom_u32 (which clobbers r1-r5): only one may be in r0-r5, made last
  const low = unknowns.filter((x) => x.r <= 5);
  if (low.length > 1) return undefined;
  if (ctxReg !== undefined && (unknowns.length > 0 || stack.some((l) => l.startsWith('call')))) return undefined;
  const make: string[] = [];
  for (const x of [...unknowns.filter((y) => y.r > 5), ...low]) make.push('call 7', ...(x.r === 0 ? [] : [`r${x.r} = r0`]), ...x.lines);
  // r0 must end unset unless the precondition names it
  if (!facts.has('r0.type') && make.length + stack.length > 0 && c.code.split('\n').some((l) => /\b[rw]0\b/.test(l) && !/^r0 = -?\d+$/.test(l.trim()))) return undefined;
  const body = [...stack, ...make, ...setup];
  const needsBail = body.some((l) => l.includes('L___bail'));
  // the caller returns the case's r0, so that an exit with r0 unset is refused as in a main program
  const main = ctxReg === undefined ? ['call 7', 'call local L___case', 'exit'] : ['call local L___case', 'exit'];
  if (ctxReg !== undefined && ctxReg !== 1) return undefined; // r1 would still be the context
  for (const tail of ['', '\nL___assumed:\nr0 = 0\nexit', '\nr0 = 0\nexit', '\nr0 = 0\nexit\nL___assumed:\nr0 = 0\nexit']) {
    const bail = needsBail ? ['goto L_start', 'L___bail:', 'r0 = 0', 'exit'] : [];
    const text = [...main, 'L___case:', ...body, ...bail, c.code, tail].join('\n');
    let insns: Uint8Array;
    try {
      insns = assemble(text);
    } catch {
      continue;
    }
    if (checkProgram(insns, { allowPseudoLoads: true }).some((i) => i.rule === 'fall-through' || i.rule === 'jump-out-of-range')) continue;
    const calls = [...c.code.matchAll(/^call (\d+)\b/gm)].map((m) => Number(m[1]));
    return { type: calls.every((id) => helperAllowed('xdp', id)) ? 'xdp' : 'kprobe', insns, maps };
  }
  return undefined;
}

export const caseKey = (c: PrevailCase): string => `${c.file} | ${c.name}`;

/** The recorded labels. */
export function recordedLabels(): Map<string, KernelLabel> {
  return new Map(Object.entries(JSON.parse(readFileSync(PREVAIL_KERNEL_FILE, 'utf8')) as Record<string, KernelLabel>));
}

/** Ask the kernel about every case it can run (as XDP, or a kprobe where it calls tracing helpers). */
export function liveLabels(k: KernelOracle, cases: readonly PrevailCase[]): Map<string, KernelLabel> {
  const runnable = cases.map((c) => ({ c, p: kernelProgram(c) })).filter((x) => x.p !== undefined);
  const verdicts = k.verdicts(runnable.map(({ p }) => ({ type: p!.type, insns: p!.insns, maps: p!.maps, logLevel: 1 })));
  const out = new Map<string, KernelLabel>();
  const conflicting = new Set<string>();
  runnable.forEach(({ c }, i) => {
    const v = verdicts[i]!;
    const key = caseKey(c);
    // the wrapper adds a call frame and its stack: a verdict on depth or total stack says nothing of the case
    if (!v.accepted && /call stack of \d+ frames is too deep|combined stack size/.test(v.log)) return;
    const label: KernelLabel = v.accepted ? { accepted: true } : { accepted: false, log: v.log.trim().split('\n').slice(-2, -1)[0] ?? '' };
    // cases sharing a name: labelled only when the kernel agrees on all of them
    const prev = out.get(key);
    if (prev !== undefined && prev.accepted !== label.accepted) conflicting.add(key);
    out.set(key, label);
  });
  for (const k2 of conflicting) out.delete(k2);
  return out;
}

/** Rewrite the recorded labels. */
export function writeLabels(labels: ReadonlyMap<string, KernelLabel>): void {
  writeFileSync(PREVAIL_KERNEL_FILE, `${JSON.stringify(Object.fromEntries([...labels].sort(([a], [b]) => a.localeCompare(b))), null, 1)}\n`);
}
