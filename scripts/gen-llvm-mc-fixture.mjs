#!/usr/bin/env node
// Generates test/fixtures/asm/llvm-mc.jsonl: LLVM-syntax eBPF instructions covering every form that
// llvm-mc understands, with the bytes llvm-mc encodes them to. The test suite then checks tsbpf's
// assembler against LLVM without needing LLVM installed.
//
// Usage: node scripts/gen-llvm-mc-fixture.mjs [llvm-mc binary]   (needs llvm-mc with the BPF target)
//
// Each line: {"text": what we fed llvm-mc, "printed": how llvm-mc printed it back, "hex": the bytes}.
// LLVM 14 cannot parse v4 forms (sdiv, movsx, bswap, ldxs, gotol) nor the fetch/xchg/cmpxchg atomics,
// and rejects `*(u32 *)(r1 + 0) = imm`, `%=` and `if … & … goto`; those are covered by the round-trip tests instead.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const llvmMc = process.argv[2] ?? 'llvm-mc';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'asm', 'llvm-mc.jsonl');

// Deterministic generator (mulberry32) so the fixture is reproducible.
let seed = 0x5eed1234;
function rand() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const reg = () => int(0, 10);
function imm32() {
  const kind = rand();
  if (kind < 0.3) return int(-16, 16);
  if (kind < 0.5) return pick([-2147483648, 2147483647, -1, 0, 1]);
  return int(-2147483648, 2147483647);
}
const fmtImm = (n) => (rand() < 0.2 && n >= 0 ? '0x' + n.toString(16) : String(n));
function off16() {
  return rand() < 0.4 ? int(-64, 64) : pick([-32768, 32767, int(-32768, 32767)]);
}
const addr = (r, o) => `r${r} ${o < 0 ? '-' : '+'} ${Math.abs(o)}`;
const jmp = (o) => (o < 0 ? `${o}` : `+${o}`);

// LLVM 14's asm parser rejects `%=` (mod) and `&` (jset); the round-trip tests cover them.
const ALU = ['=', '+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '^=', 's>>='];
const COND = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<='];
const TYPES = ['u8', 'u16', 'u32', 'u64'];
const LOCK = ['+=', '|=', '&=', '^='];

const forms = [
  () => { const w = pick(['r', 'w']); return `${w}${reg()} ${pick(ALU)} ${w}${reg()}`; },
  () => { const w = pick(['r', 'w']); return `${w}${reg()} ${pick(ALU)} ${fmtImm(imm32())}`; },
  () => { const w = pick(['r', 'w']); const d = reg(); return `${w}${d} = -${w}${d}`; },
  () => { const d = reg(); return `r${d} = ${pick(['be', 'le'])}${pick([16, 32, 64])} r${d}`; },
  () => `r${reg()} = *(${pick(TYPES)} *)(${addr(reg(), off16())})`,
  () => `*(${pick(TYPES)} *)(${addr(reg(), off16())}) = r${reg()}`,
  () => { const w = pick(['r', 'w']); return `if ${w}${reg()} ${pick(COND)} ${w}${reg()} goto ${jmp(off16())}`; },
  () => { const w = pick(['r', 'w']); return `if ${w}${reg()} ${pick(COND)} ${imm32()} goto ${jmp(off16())}`; },
  () => `goto ${jmp(off16())}`,
  () => {
    const v = rand() < 0.5 ? BigInt(int(-1000, 1000)) : (BigInt(int(0, 2 ** 31)) << 33n) ^ BigInt(int(0, 2 ** 31));
    return `r${reg()} = ${v} ll`;
  },
  () => `lock *(u64 *)(${addr(reg(), off16())}) ${pick(LOCK)} r${reg()}`,
  () => `lock *(u32 *)(${addr(reg(), off16())}) ${pick(LOCK)} w${reg()}`,
  () => `r0 = *(${pick(['u8', 'u16', 'u32'])} *)skb[${int(0, 65535)}]`,
  () => `r0 = *(${pick(['u8', 'u16', 'u32'])} *)skb[r${reg()}]`,
  () => `call ${int(0, 300)}`,
  () => 'exit',
];

const lines = [];
for (const form of forms) for (let k = 0; k < 12; k++) lines.push(form());
while (lines.length < 3000) lines.push(pick(forms)());

const result = execFileSync(llvmMc, ['-triple', 'bpfel', '-mcpu=v3', '-show-encoding'], {
  input: lines.join('\n') + '\n',
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  stdio: ['pipe', 'pipe', 'pipe'],
});
const encoded = result
  .split('\n')
  .map((l) => /^\s*(.*?)\s*# encoding: \[([^\]]*)\]/.exec(l))
  .filter((m) => m !== null);
if (encoded.length !== lines.length) {
  throw new Error(`llvm-mc encoded ${encoded.length} of ${lines.length} lines`);
}
const records = encoded.map((m, k) => {
  const hex = m[2].split(',').map((b) => b.trim().replace(/^0x/, '').padStart(2, '0')).join('');
  return JSON.stringify({ text: lines[k], printed: m[1], hex });
});
writeFileSync(out, records.join('\n') + '\n');
console.log(`wrote ${records.length} instructions to ${out}`);
