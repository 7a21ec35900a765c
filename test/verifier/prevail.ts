/**
 * A reader for PREVAIL's YAML test cases (test/fixtures/prevail): each case's code (assembled with
 * tsbpf's assembler), its precondition as an entry state, and whether PREVAIL expects it to be
 * rejected. The format used there is small (flow lists, block lists, block scalars); this reads only it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { decodeProgram } from '../../src/isa/instruction.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { analyzeProgram, emptyFrame, type AnalysisIssue, type MapInfo, type State, type Value } from '../../src/verifier/analysis/index.js';
import { constant, sync, type Scalar } from '../../src/verifier/analysis/scalar.js';
import { ANY_SCALAR, UNINIT, pointer, scalarValue } from '../../src/verifier/analysis/value.js';
import { Byte } from '../../src/verifier/analysis/state.js';
import { checkProgram } from '../../src/verifier/index.js';
import { helperAllowed } from '../../src/verifier/analysis/helper-types.js';

export const PREVAIL_DIR = join(import.meta.dirname, '../fixtures/prevail');

/** One test case. */
export interface PrevailCase {
  readonly file: string;
  readonly name: string;
  readonly options: readonly string[];
  readonly pre: readonly string[];
  /** Assembly text in tsbpf's syntax (labels rewritten), ending with `r0 = 0; exit` when the code falls off its end. */
  readonly code: string;
  /** Number of lines of the original code (issues past them are in the appended epilogue). */
  readonly messages: readonly string[];
}

function flowList(text: string): string[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,\s][^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner)) !== null) out.push((m[1] ?? m[2] ?? '').trim());
  return out.filter((s) => s.length > 0);
}

/** PREVAIL's assembly dialect into tsbpf's (labels, local calls, mixed-width moves, movsx). */
function translate(line: string): string {
  let t = line.replace(/<([A-Za-z0-9_]+)>/g, 'L_$1');
  // `assume COND` keeps only the paths where COND holds: jump away to a harmless exit when it does not
  const assume = /^assume\s+([rw]\d+)\s*(==|!=|s?>=?|s?<=?)\s*(\S+)\s*$/.exec(t);
  if (assume !== null) {
    const neg: Record<string, string> = { '==': '!=', '!=': '==', '>': '<=', '>=': '<', '<': '>=', '<=': '>', 's>': 's<=', 's>=': 's<', 's<': 's>=', 's<=': 's>' };
    const rhs = /^[rw]\d+$/.test(assume[3]!) ? `${assume[1]![0]}${assume[3]!.slice(1)}` : assume[3]!;
    return `if ${assume[1]} ${neg[assume[2]!]} ${rhs} goto L___assumed`;
  }
  t = t.replace(/^call (L_\w+)/, 'call local $1');
  // `w1 = r2`, `w1 += r2`: PREVAIL writes the source as rN in 32-bit operations
  t = t.replace(/^(w\d+)\s*([-+*\/%&|^]|<<|>>|s>>)?=\s*r(\d+)/, (_m, d: string, op: string | undefined, s: string) => `${d} ${op ?? ''}= w${s}`);
  // movsx: `r1 s8= r2` is `r1 = (s8)r2`
  t = t.replace(/^([rw]\d+)\s*s(8|16|32)=\s*[rw](\d+)/, (_m, d: string, bits: string, s: string) => `${d} = (s${bits})${d[0]}${s}`);
  return t;
}

/** Parse every case of one file. */
export function parseFile(file: string, text: string): PrevailCase[] {
  const cases: PrevailCase[] = [];
  for (const doc of text.split(/^---\s*$/m)) {
    const lines = doc.split('\n');
    const fields = new Map<string, string[]>();
    let key: string | undefined;
    for (const line of lines) {
      if (/^#/.test(line)) continue;
      const top = /^([a-z-]+):\s*(.*)$/.exec(line);
      if (top !== null) {
        key = top[1]!;
        fields.set(key, top[2]!.length > 0 ? [top[2]!] : []);
      } else if (key !== undefined) fields.get(key)!.push(line);
    }
    const name = fields.get('test-case')?.[0];
    if (name === undefined) continue;
    const list = (k: string): string[] => {
      const v = fields.get(k);
      if (v === undefined) return [];
      const joined = v.join('\n').trim();
      if (joined.startsWith('[')) return flowList(joined.replace(/\n/g, ' '));
      return v.map((l) => /^\s*-\s*(.*)$/.exec(l)?.[1]?.trim().replace(/^"(.*)"$/, '$1') ?? '').filter((s) => s.length > 0);
    };
    // code: `  <label>: |` then indented lines
    const code: string[] = [];
    for (const line of fields.get('code') ?? []) {
      const label = /^\s*<([A-Za-z0-9_]+)>:\s*(.*)$/.exec(line);
      if (label !== null) {
        if (label[1] !== 'start') code.push(`L_${label[1]}:`);
        const rest = label[2]!.trim();
        if (rest.length > 0 && rest !== '|') code.push(translate(rest));
        continue;
      }
      const t = line.trim();
      if (t.length > 0) code.push(translate(t));
    }
    cases.push({ file, name, options: list('options'), pre: list('pre'), code: ['L_start:', ...code].join('\n'), messages: list('messages') });
  }
  return cases;
}

/** Every case of every vendored file. */
export function loadCases(): PrevailCase[] {
  return readdirSync(PREVAIL_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseFile(f, readFileSync(join(PREVAIL_DIR, f), 'utf8')));
}

/** PREVAIL's test map: key and value 4 bytes; a hash map, as the kernel runs of the cases create it (prevail-kernel.ts). */
const TEST_MAP: MapInfo = { type: 1, keySize: 4, valueSize: 4, maxEntries: 1 };

function range(text: string): [bigint, bigint] | undefined {
  const one = /^-?\d+$/.exec(text);
  if (one !== null) return [BigInt(text), BigInt(text)];
  const m = /^\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]$/.exec(text);
  return m === null ? undefined : [BigInt(m[1]!), BigInt(m[2]!)];
}

/** The entry state and maps a precondition describes. */
export function entryFromPre(pre: readonly string[]): { state: State; maps: Map<number, MapInfo> } {
  const facts = new Map<string, string>();
  for (const p of pre) {
    const eq = p.indexOf('=');
    if (eq > 0) facts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const maps = new Map<number, MapInfo>([[1, TEST_MAP]]);
  const regs: Value[] = new Array(11).fill(UNINIT);
  const top = Number(facts.get('r10.stack_offset') ?? 512);
  let pktSize = 0;
  const ps = range(facts.get('packet_size') ?? '');
  if (ps !== undefined) pktSize = Number(ps[0]);
  for (let r = 0; r <= 10; r++) {
    const type = facts.get(`r${r}.type`);
    const sv = range(facts.get(`r${r}.svalue`) ?? '');
    const uv = range(facts.get(`r${r}.uvalue`) ?? '');
    switch (type) {
      case 'number': {
        let s: Scalar | undefined = { umin: 0n, umax: (1n << 64n) - 1n, smin: -(1n << 63n), smax: (1n << 63n) - 1n };
        if (sv !== undefined) s = { ...s, smin: sv[0], smax: sv[1] };
        if (uv !== undefined && uv[0] >= 0n) s = { ...s, umin: uv[0], umax: uv[1] };
        regs[r] = scalarValue(sync(s) ?? constant(0n));
        break;
      }
      case 'ctx': {
        const o = range(facts.get(`r${r}.ctx_offset`) ?? '0') ?? [0n, 0n];
        regs[r] = pointer('ctx', 0, { lo: Number(o[0]), hi: Number(o[1]) });
        break;
      }
      case 'stack': {
        const o = range(facts.get(`r${r}.stack_offset`) ?? '') ?? [BigInt(top), BigInt(top)];
        regs[r] = pointer('stack', 0, { lo: Number(o[0]) - top, hi: Number(o[1]) - top, frame: 0 });
        break;
      }
      case 'packet': {
        const raw = facts.get(`r${r}.packet_offset`) ?? '0';
        if (raw === 'packet_size') {
          regs[r] = pointer('packet_end', 0);
          break;
        }
        const o = range(raw);
        if (o === undefined) regs[r] = pointer('packet', 0, { id: -1, lo: 0, hi: 0xffff });
        else regs[r] = o[0] === o[1] ? pointer('packet', Number(o[0]), { k: Number(o[0]) }) : pointer('packet', 0, { id: -1, lo: Number(o[0]), hi: Number(o[1]) });
        break;
      }
      case 'shared': {
        const size = Number(range(facts.get(`r${r}.shared_region_size`) ?? '4')?.[0] ?? 4);
        const o = range(facts.get(`r${r}.shared_offset`) ?? '0') ?? [0n, 0n];
        const key = 100 + r;
        maps.set(key, { type: 2, keySize: 4, valueSize: size, maxEntries: 1 });
        const nullable = sv !== undefined && sv[0] <= 0n;
        regs[r] = pointer(nullable ? 'map_value_or_null' : 'map_value', 0, { map: key, lo: Number(o[0]), hi: Number(o[1]), id: nullable ? 1_000_000 + r : 0 });
        break;
      }
      case 'map_fd':
      case 'map_fd_programs': {
        const fd = Number(facts.get(`r${r}.map_fd`) ?? 1);
        if (type === 'map_fd_programs') maps.set(fd, { type: 3, keySize: 4, valueSize: 4, maxEntries: 1 });
        else if (!maps.has(fd)) maps.set(fd, TEST_MAP);
        regs[r] = pointer('map_ptr', 0, { map: fd });
        break;
      }
      case undefined:
        break;
      default:
        regs[r] = ANY_SCALAR;
    }
  }
  if (regs[10]!.type === 'uninit') regs[10] = pointer('stack', 0, { frame: 0 });
  const frame = emptyFrame();
  for (const [k, v] of facts) {
    const m = /^s\[(\d+)\.\.\.(\d+)\]\.type$/.exec(k);
    if (m === null) continue;
    const a = Number(m[1]) - top + 512;
    const b = Number(m[2]) - top + 512;
    for (let i = Math.max(0, a); i <= Math.min(511, b); i++) frame.bytes[i] = Byte.DATA;
    void v;
  }
  const pkt = new Map<number, number>();
  if (pktSize > 0) pkt.set(0, pktSize);
  return { state: { regs, frames: [frame], pkt, meta: 0, refs: new Map() }, maps };
}

/** How a case fared. */
export interface CaseResult {
  readonly c: PrevailCase;
  /** `skip` when the code cannot be assembled (PREVAIL-only syntax). */
  readonly verdict: 'accept' | 'reject' | 'skip';
  readonly issues: readonly { pc: number | undefined; rule: string; message: string }[];
  readonly why?: string;
}

/** Run the kernel-level analysis on one case from its precondition. */
export function runCase(c: PrevailCase): CaseResult {
  let bytes: Uint8Array;
  let n: number;
  try {
    n = assemble(`${c.code}\nL___assumed:`).length / 8;
    bytes = assemble(`${c.code}\nL___end:\nr0 = 0\nexit\nL___assumed:\nr0 = 0\nexit`);
  } catch (e) {
    return { c, verdict: 'skip', issues: [], why: (e as Error).message };
  }
  // as at the kernel level: an out-of-range shift immediate is an error ("invalid shift")
  const shape = checkProgram(bytes, { allowPseudoLoads: true }).filter((i) => i.severity === 'error' || i.rule === 'shift-range');
  if (shape.length > 0) return { c, verdict: 'reject', issues: shape };
  const insns = decodeProgram(bytes);
  const ops = insns.map(decodeOperation);
  const { state, maps } = entryFromPre(c.pre);
  // the legacy packet loads exist only in socket-buffer programs; everything else runs as XDP (PREVAIL's
  // test context has `data` at offset 0 and `data_end` at 4, as xdp_md does)
  // (a case calling helpers only tracing programs have, e.g. bpf_get_stack, runs as a kprobe)
  const calls = [...c.code.matchAll(/^call (\d+)\b/gm)].map((m) => Number(m[1]));
  const programType = /skb\[/.test(c.code) ? 'socket_filter' : calls.every((id) => helperAllowed('xdp', id)) ? 'xdp' : 'kprobe';
  const result = analyzeProgram(insns, ops, { programType, maps, entry: state });
  const issues: AnalysisIssue[] = result.issues.filter((i) => i.pc < n || i.rule !== 'unreachable');
  return { c, verdict: issues.length > 0 ? 'reject' : 'accept', issues };
}

/**
 * Whether PREVAIL's expectation is a safety verdict the kernel shares: dead-code notes ("Code becomes
 * unreachable") and division by zero under PREVAIL's `!allow_division_by_zero` (the kernel defines
 * x/0 = 0) are not rejections in the kernel.
 */
export function expectedUnsafe(c: PrevailCase): boolean {
  return c.messages.some((m) => !/Code becomes unreachable|Possible division by zero|Only numbers can be used as divisors/.test(m));
}

/**
 * Cases PREVAIL accepts that the kernel rejects by its documented rules, so they are not counted as
 * safe: division or modulo by the immediate 0 ("div by zero"), and `callx` (no kernel has it).
 */
export function kernelRejects(c: PrevailCase): string | undefined {
  if (/(\/|%)=\s*0\s*$/m.test(c.code)) return 'division by the immediate 0 (the kernel: "div by zero")';
  if (/^callx /m.test(c.code)) return 'callx (the kernel has no indirect calls)';
  return undefined;
}
