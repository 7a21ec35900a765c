/**
 * A generator of small hand-shaped programs, one verifier rule family each, in the style of the
 * kernel's own verifier test tables (not mutants of clang output): each family is a few templates
 * whose parameters (the pointer type, the operator, the offset and size, the shape of a bounds check,
 * whether a null check or a release is there) are drawn by a seeded generator, so that some variants
 * are valid and some break exactly one rule. The kernel (BPF_PROG_LOAD) is the judge of each; see
 * bench/verifier-families.ts and kernel-families.test.ts. Deterministic for a seed.
 */
import { assemble } from '../../src/asm/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import type { KernelProgramType, VerifierOptions } from '../../src/verifier/index.js';
import { functionStarts } from '../kernel/btf-writer.js';
import { rng as rngU32 } from '../kernel/packets.js';
import { lookup, PKT, RANDOM, SIZES, u, type Draw, type Template } from './family-parts.js';
import { HELD_FAMILIES } from './families-held.js';
import { RULE_FAMILIES } from './families-rules.js';
import type { KernelMapDef, VerdictRequest } from '../kernel/runner.js';

/** The maps every family program may use, by `lddw` immediate (6-8 carry BTF placing a lock or a timer in their values). */
export const FAMILY_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 }, // array
  2: { type: 1, keySize: 8, valueSize: 8, maxEntries: 16 }, // hash
  3: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 }, // ring buffer
  4: { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 }, // prog array
  5: { type: 2, keySize: 4, valueSize: 64, maxEntries: 1 }, // array, one larger value
  6: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 4 }, // array, struct { u32; bpf_spin_lock; u64 }
  7: { type: 1, keySize: 8, valueSize: 16, maxEntries: 16, spinLock: 0 }, // hash, struct { bpf_spin_lock; ... }
  8: { type: 2, keySize: 4, valueSize: 32, maxEntries: 4, timer: 16 }, // array, struct { u64 a, b; bpf_timer }
};

/** One generated program: its family, the program type and its source (LLVM syntax with labels). */
export interface FamilyProgram {
  readonly family: string;
  readonly type: KernelProgramType;
  readonly source: string;
  /** Loaded with BTF func_info for each function (as clang's objects are); else raw, without BTF. */
  readonly funcInfo: boolean;
  /** BPF_PROG_LOAD's prog_flags (1: BPF_F_STRICT_ALIGNMENT); 0 when absent. */
  readonly progFlags?: number;
}

/** The maps a program's source names (`map_fd N`), as {@link FAMILY_MAPS} describes them. */
function usedMaps(p: FamilyProgram): Record<number, MapInfo> {
  const out: Record<number, MapInfo> = {};
  for (const m of p.source.matchAll(/map_fd (\d+)/g)) out[Number(m[1])] = FAMILY_MAPS[Number(m[1])]!;
  return out;
}

/** The kernel oracle's request for a family program: its maps (with their BTF) and func_info when it has it. */
export function familyKernelRequest(p: FamilyProgram, insns: Uint8Array = assemble(p.source), logLevel = 0): VerdictRequest {
  const maps: Record<number, KernelMapDef> = {};
  for (const [k, m] of Object.entries(usedMaps(p))) {
    const fields = m.spinLock !== undefined || m.timer !== undefined ? { spinLock: m.spinLock, timer: m.timer } : undefined;
    maps[Number(k)] = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, ...(fields === undefined ? {} : { btf: fields }) };
  }
  return { type: p.type, insns, maps, logLevel, ...(p.funcInfo ? { funcInfo: functionStarts(insns) } : {}), ...(p.progFlags ? { progFlags: p.progFlags } : {}) };
}

/** The checkProgram options that describe a family program as the kernel loads it. */
export function familyCheckOptions(p: FamilyProgram): VerifierOptions {
  return { level: 'kernel', programType: p.type, maps: FAMILY_MAPS, funcInfo: p.funcInfo, fdArray: false, ...(p.progFlags === 1 ? { strictAlignment: true } : {}) };
}

/** A bounds check on r3 = data + n against r4 = data_end that skips to `out` when out of range, in one of the shapes clang and people write. */
function pktCheck(d: Draw, out: string): string[] {
  switch (d.int(0, 7)) {
    case 0: return [`if r3 > r4 goto ${out}`];
    case 1: return [`if r4 < r3 goto ${out}`];
    case 2: return [`if r3 >= r4 goto ${out}`]; // one byte short
    case 3: return [`if r4 <= r3 goto ${out}`]; // one byte short
    case 4: return [`if r3 <= r4 goto +1`, `goto ${out}`];
    case 5: return [`if r4 >= r3 goto +1`, `goto ${out}`];
    case 6: return [`if r3 s> r4 goto ${out}`]; // signed: no proof
    default: return []; // no check
  }
}

const FAMILIES: Record<string, readonly Template[]> = {
  /** ALU on a pointer of each type with each operator, then a dereference or not. */
  ptr_alu: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls', 'socket_filter'] as const);
      const ptr = d.pick(['ctx', 'stack', 'map_value', 'map_or_null', 'packet', 'packet_end', 'map_ptr'] as const);
      const op = d.pick(['+=', '+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 's>>=', '^=', '%=', 'neg', 'w+=', 'w-=', 'w=']);
      const viaReg = d.p(0.4);
      const k = d.pick([0, 1, 4, 8, -4, -8, 16]);
      // the register operand first: a helper call clobbers r1-r5
      const lines: string[] = ['r6 = r1', viaReg && d.p(0.5) ? `${RANDOM}\nr9 = r0\nr9 &= 7` : `r9 = ${k}`, 'r1 = r6'];
      if (ptr === 'ctx') lines.push('r2 = r1');
      else if (ptr === 'stack') lines.push('r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -16');
      else if (ptr === 'map_value' || ptr === 'map_or_null') lines.push(...lookup(1), ...(ptr === 'map_value' ? ['if r0 == 0 goto out'] : []), 'r2 = r0');
      else if (ptr === 'packet' || ptr === 'packet_end') {
        const t = type === 'socket_filter' ? 'sched_cls' : type;
        lines.push(`r2 = *(u32 *)(r1 + ${PKT[t].data})`, `r4 = *(u32 *)(r1 + ${PKT[t].end})`, 'r3 = r2', 'r3 += 8', 'if r3 > r4 goto out');
        if (ptr === 'packet_end') lines.push('r2 = r4');
      } else lines.push('r2 = map_fd 1 ll');
      if (viaReg) lines.push('r5 = r9');
      const rhs = viaReg ? 'r5' : String(k);
      if (op === 'neg') lines.push('r2 = -r2');
      else if (op === 'w=') lines.push('w2 = w2');
      else if (op.startsWith('w')) lines.push(`w2 ${op.slice(1)} ${viaReg ? 'w5' : k}`);
      else lines.push(`r2 ${op} ${rhs}`);
      if (d.p(0.6)) lines.push(`r0 = *(${u(d.pick(SIZES))} *)(r2 + ${d.pick([0, 0, 4, -4])})`);
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: type === 'socket_filter' && (ptr === 'packet' || ptr === 'packet_end') ? 'sched_cls' : type, lines };
    },
  ],
  /** 32-bit ALU on a bounded number, then its 64-bit use as an offset into a map value. */
  alu32_bounds: [
    (d) => {
      const pre = d.pick(['w1 &= 15', 'r1 &= 15', 'w1 &= 15\nr1 <<= 32\nr1 >>= 32', 'w1 &= 15\nw1 += -1', 'w1 &= 15\nw1 -= 16\nw1 += 16', 'r1 &= 15\nw1 = w1', 'w1 = w1', 'w1 &= 0x8000000f', 'w1 &= 15\nr1 <<= 32\nr1 s>>= 32', 'w1 <<= 28\nw1 >>= 28', 'w1 >>= 28', 'w1 s>>= 28', 'w1 &= 7\nw1 *= 2', 'w1 |= 15', 'w1 &= 15\nw1 ^= 8', 'w1 %= 15', 'w1 /= 0x10000000', 'w1 &= 15\nw1 = -w1', 'r1 &= 15\nw1 += 0xffffffff']);
      const size = d.pick(SIZES);
      return { type: 'xdp', lines: [...lookup(5), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', ...pre.split('\n'), 'r6 += r1', `r0 = *(${u(size)} *)(r6 + ${d.pick([0, 0, 8, 48])})`, 'out:', 'r0 = 0', 'exit'] };
    },
  ],
  /** Stack: writes of some sizes, then a read at another size or offset; also variable offsets and helper-sized regions. */
  stack: [
    (d) => {
      const lines: string[] = [];
      const base = -8 * d.int(1, 4);
      for (let i = d.int(0, 3); i > 0; i--) {
        const s = d.pick(SIZES);
        const off = base + s * d.int(0, 8 / s - 1) + (d.p(0.1) ? d.int(1, 3) : 0);
        lines.push(d.p(0.5) ? `*(${u(s)} *)(r10 ${off}) = ${d.int(0, 9)}` : `r1 = ${d.int(0, 9)}\n*(${u(s)} *)(r10 ${off}) = r1`);
      }
      const s = d.pick(SIZES);
      const off = base + s * d.int(0, 8 / s - 1) + (d.p(0.1) ? 8 : 0);
      lines.push(`r0 = *(${u(s)} *)(r10 ${off})`, 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines };
    },
    (d) => {
      // a variable offset into the stack, written or read
      // the index: a mask (low bits unknown), an aligned mask, or a shifted one (low bits known zero)
      const index = d.pick(['r0 &= 7', 'r0 &= 15', 'r0 &= 31', 'r0 &= 63', 'r0 &= 24', 'r0 &= 3\nr0 <<= 3', 'r0 &= 6', 'r0 &= 3\nr0 *= 4']);
      const sub = d.pick([16, 32, 64, 8]);
      const write = d.p(0.5);
      const lines = ['r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 24) = r1', '*(u64 *)(r10 - 32) = r1', RANDOM, index, 'r2 = r10', `r2 += -${sub}`, 'r2 += r0'];
      const size = d.pick([1, 2, 4, 8, 8]);
      lines.push(write ? `*(${u(size)} *)(r2 + 0) = 1` : `r3 = *(${u(size)} *)(r2 + 0)`, 'r0 = 0', 'exit');
      return { type: 'xdp', lines };
    },
    (d) => {
      // a stack region of some size passed to a helper that reads it (map update's value) or writes it (probe_read)
      const written = d.pick([0, 4, 8, 16]);
      const lines = ['r1 = 0', '*(u64 *)(r10 - 8) = r1'];
      for (let o = 0; o < written; o += 4) lines.push(`*(u32 *)(r10 - ${32 - o}) = r1`);
      if (d.p(0.5)) {
        lines.push('r2 = r10', 'r2 += -8', 'r3 = r10', `r3 += -${d.pick([32, 32, 24, 4])}`, 'r4 = 0', 'r1 = map_fd 1 ll', 'call 2', 'r0 = 0', 'exit');
        return { type: 'socket_filter', lines };
      }
      lines.push('r3 = 0', 'r1 = r10', `r1 += -${d.pick([32, 16, 8])}`, `r2 = ${d.pick([8, 16, 32, 0, 40])}`, 'call 4', 'r0 = *(u64 *)(r10 - 32)', 'r0 = 0', 'exit');
      return { type: 'kprobe', lines };
    },
  ],
  /** Context fields per program type, at each size, read or written. */
  ctx: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls', 'socket_filter', 'cgroup_skb', 'kprobe'] as const);
      const off = type === 'xdp' ? d.int(0, 7) * 4 : type === 'kprobe' ? d.int(0, 22) * 8 : d.pick([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 140, 144, 152, 168, 176, 184, 188, 192, 196, 200]);
      const size = d.pick([1, 2, 4, 4, 4, 8]);
      const adj = d.p(0.2) ? d.int(1, 3) : 0;
      const lines = d.p(0.3) ? ['r2 = 0', `*(${u(size)} *)(r1 + ${off + adj}) = r2`] : [`r0 = *(${u(size)} *)(r1 + ${off + adj})`];
      lines.push('r0 = 0', 'exit');
      return { type, lines };
    },
  ],
  /** Packet access after a data_end comparison of various shapes and offsets. */
  packet: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const n = d.pick([1, 2, 4, 8, 14, 20, 34]);
      const size = d.pick(SIZES);
      const at = d.p(0.6) ? Math.max(0, n - size - d.int(0, 2)) : d.int(-2, n + 2);
      const meta = type === 'xdp' && d.p(0.15);
      const lines = [`r2 = *(u32 *)(r1 + ${meta ? PKT[type].meta : PKT[type].data})`, `r4 = *(u32 *)(r1 + ${meta ? PKT[type].data : PKT[type].end})`, 'r3 = r2', `r3 += ${n}`, ...pktCheck(d, 'out')];
      lines.push(d.p(0.25) ? `*(${u(size)} *)(r2 + ${at}) = 0` : `r0 = *(${u(size)} *)(r2 + ${at})`, 'out:', 'r0 = 0', 'exit');
      return { type, lines };
    },
    (d) => {
      // a variable offset into the packet, bounded or not, checked before or after it is added
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const mask = d.pick([7, 15, 255, 0xffff]);
      const lines = [`r6 = *(u32 *)(r1 + ${PKT[type].data})`, `r7 = *(u32 *)(r1 + ${PKT[type].end})`, RANDOM, `r0 &= ${mask}`];
      if (d.p(0.2)) lines.push('r0 = 0xffffffff'.replace('0xffffffff', String(d.pick([0x7fff, 0x10000, 0x20000]))));
      lines.push('r2 = r6', 'r2 += r0', 'r3 = r2', `r3 += ${d.pick([1, 4, 8])}`, 'r4 = r7', ...pktCheck(d, 'out'), `r0 = *(${u(d.pick([1, 4]))} *)(r2 + 0)`, 'out:', 'r0 = 0', 'exit');
      return { type, lines };
    },
    (d) => {
      // writes: socket filters may not; helpers that change the packet invalidate pointers
      const type = d.pick(['xdp', 'sched_cls', 'socket_filter'] as const);
      const t = type === 'socket_filter' ? 'sched_cls' : type;
      const lines = ['r6 = r1', `r2 = *(u32 *)(r1 + ${PKT[t].data})`, `r4 = *(u32 *)(r1 + ${PKT[t].end})`, 'r3 = r2', 'r3 += 8', 'if r3 > r4 goto out'];
      if (d.p(0.4)) lines.push('r7 = r2', 'r1 = r6', type === 'xdp' ? 'r2 = 0' : 'r2 = 0', type === 'xdp' ? 'call 44' : 'call 39', 'r2 = r7');
      lines.push(d.p(0.5) ? '*(u8 *)(r2 + 0) = 1' : 'r0 = *(u8 *)(r2 + 0)', 'out:', 'r0 = 0', 'exit');
      return { type, lines };
    },
  ],
  /** A map lookup, then an access at offset k of size s, with or without a null check. */
  map_access: [
    (d) => {
      const fd = d.pick([1, 2, 5]);
      const vs = FAMILY_MAPS[fd]!.valueSize;
      const size = d.pick(SIZES);
      const off = d.p(0.7) ? d.int(0, vs / size - 1) * size : d.int(-4, vs + 2);
      const check = d.pick(['if r0 == 0 goto out', 'if r0 == 0 goto out', 'if r0 != 0 goto +1\ngoto out', 'if r0 > 0 goto +1\ngoto out', 'if r0 s> 0 goto +1\ngoto out', '', 'if r0 == 1 goto out']);
      const lines = [...lookup(fd), ...check.split('\n').filter((x) => x !== '')];
      if (d.p(0.3)) lines.push(`r0 += ${d.pick([1, 4, 8, -1])}`);
      lines.push(d.p(0.4) ? `*(${u(size)} *)(r0 + ${off}) = 1` : `r1 = *(${u(size)} *)(r0 + ${off})`, 'out:', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'socket_filter', 'sched_cls'] as const), lines };
    },
    (d) => {
      // a bounded variable index into a value
      const fd = d.pick([1, 5]);
      const check = d.pick(['if r1 > 15 goto out', 'if r1 > 16 goto out', 'if r1 >= 16 goto out', 'if r1 > 63 goto out', 'if r1 s> 15 goto out', 'if r1 s> 15 goto out\nif r1 s< 0 goto out', 'r1 &= 15', 'r1 &= 63', 'if w1 > 15 goto out', 'if r1 < 16 goto +1\ngoto out', '']);
      return { type: 'xdp', lines: [...lookup(fd), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', ...check.split('\n').filter((x) => x !== ''), 'r6 += r1', `r0 = *(u8 *)(r6 + ${d.pick([0, 0, 1])})`, 'out:', 'r0 = 0', 'exit'] };
    },
  ],
  /** Helper calls with one argument of the wrong kind. */
  helper_args: [
    (d) => {
      const wrong = d.pick(['none', 'map_scalar', 'map_ctx', 'key_scalar', 'key_null', 'key_uninit', 'key_short', 'key_ctx', 'key_map_value', 'key_packet', 'r1_uninit', 'map_prog_array']);
      const lines: string[] = [];
      if (wrong === 'key_ctx') lines.push('r2 = r1');
      else if (wrong === 'key_scalar') lines.push('r2 = 8');
      else if (wrong === 'key_null') lines.push('r2 = 0');
      else if (wrong === 'key_uninit') lines.push('r2 = r10', 'r2 += -16');
      else if (wrong === 'key_short') lines.push('r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4');
      else if (wrong === 'key_map_value') lines.push(...lookup(1), 'if r0 == 0 goto out', 'r2 = r0');
      else if (wrong === 'key_packet') lines.push('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', `r4 += ${d.pick([4, 8])}`, 'if r4 > r3 goto out');
      else lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8');
      if (wrong === 'map_scalar') lines.push('r1 = 1');
      else if (wrong === 'map_ctx') lines.push('r1 = r6');
      else if (wrong === 'map_prog_array') lines.push('r1 = map_fd 4 ll');
      else if (wrong !== 'r1_uninit') lines.push(`r1 = map_fd ${d.pick([1, 2])} ll`);
      lines.unshift('r6 = r1');
      if (wrong === 'r1_uninit') lines.splice(1, 0, 'call 5');
      const h = d.pick([1, 1, 3, 2]);
      if (h === 2) lines.push('r3 = r2', 'r4 = 0');
      lines.push(`call ${h}`, 'out:', 'r0 = 0', 'exit');
      return { type: 'xdp', lines };
    },
    (d) => {
      // sizes: a memory / size argument pair
      const size = d.pick(['8', '0', '-1', '16', '64', 'var', 'var_bounded', 'var_min1']);
      const lines = ['r6 = r1', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1'];
      if (size.startsWith('var')) lines.push(RANDOM, 'r4 = r0', ...(size === 'var_bounded' ? ['r4 &= 15'] : size === 'var_min1' ? ['if r4 > 16 goto out', 'if r4 < 1 goto out'] : []));
      else lines.push(`r4 = ${size}`);
      const helper = d.pick(['skb_load_bytes', 'csum_diff', 'perf_event_output', 'ringbuf_output']);
      if (helper === 'skb_load_bytes') {
        lines.push('r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'call 26');
        return { type: 'sched_cls', lines: [...lines, 'out:', 'r0 = 0', 'exit'] };
      }
      if (helper === 'csum_diff') lines.push('r1 = r10', 'r1 += -16', 'r2 = r4', 'r3 = 0', 'r4 = 0', 'r5 = 0', 'call 28');
      else if (helper === 'ringbuf_output') lines.push('r1 = map_fd 3 ll', 'r2 = r10', 'r2 += -16', 'r3 = r4', 'r4 = 0', 'call 130');
      else lines.push('r1 = r6', 'r2 = map_fd 1 ll', 'r3 = 0', 'r5 = r4', 'r4 = r10', 'r4 += -16', 'call 25');
      return { type: d.pick(['xdp', 'sched_cls'] as const), lines: [...lines, 'out:', 'r0 = 0', 'exit'] };
    },
    (d) => {
      // a helper the program type does not have, or a ctx argument that is not the context
      const type = d.pick(['xdp', 'socket_filter', 'sched_cls', 'kprobe'] as const);
      const call = d.pick([5, 7, 8, 14, 23, 26, 34, 39, 44, 4, 113, 35, 6]);
      return { type, lines: ['r6 = r1', d.p(0.2) ? 'r1 = r10' : 'r1 = r6', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'r5 = 0', `call ${call}`, 'r0 = 0', 'exit'] };
    },
  ],
  /** Reference tracking: acquire, then release, leak, double release or use after release across branches. */
  refs: [
    (d) => {
      const ring = d.p(0.5);
      const lines: string[] = ['r6 = r1'];
      if (ring) lines.push('r1 = map_fd 3 ll', `r2 = ${d.pick([8, 16, 8])}`, 'r3 = 0', 'call 131');
      else lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 24) = r1', '*(u64 *)(r10 - 32) = r1', '*(u64 *)(r10 - 40) = r1', '*(u32 *)(r10 - 48) = r1', 'r1 = r6', 'r2 = r10', 'r2 += -48', 'r3 = 12', 'r4 = -1', 'r5 = 0', 'call 84');
      const nullCheck = d.p(0.85);
      if (nullCheck) lines.push('if r0 == 0 goto out');
      lines.push('r7 = r0');
      const shape = d.pick(['release', 'leak', 'branch_leak', 'double', 'use_after', 'both_branches', 'release_copy', 'write']);
      const release = (reg: string): string[] => (ring ? [`r1 = ${reg}`, 'r2 = 0', `call ${d.pick([132, 133])}`] : [`r1 = ${reg}`, 'call 86']);
      if (shape === 'write') lines.push(ring ? '*(u64 *)(r7 + 0) = 1' : 'r2 = *(u32 *)(r7 + 4)', ...release('r7'));
      if (shape === 'release' || shape === 'release_copy') lines.push(...release(shape === 'release_copy' ? 'r0' : 'r7'));
      if (shape === 'double') lines.push(...release('r7'), ...release('r7'));
      if (shape === 'use_after') lines.push(...release('r7'), ring ? 'r0 = *(u64 *)(r7 + 0)' : 'r0 = *(u32 *)(r7 + 4)');
      if (shape === 'branch_leak' || shape === 'both_branches') {
        lines.push(RANDOM, 'if r0 == 0 goto skip', ...release('r7'), 'goto out', 'skip:');
        if (shape === 'both_branches') lines.push(...release('r7'));
      }
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: ring ? d.pick(['xdp', 'kprobe'] as const) : 'sched_cls', lines };
    },
  ],
  /** bpf_loop / bpf_for_each_map_elem with a callback: its return, its arguments, what it may touch. */
  callbacks: [
    (d) => {
      const each = d.p(0.4);
      const body = d.pick(['r0 = 0', 'r0 = 1', 'r0 = 2', 'r0 = r2', '', 'r0 = *(u64 *)(r2 + 0)\nr0 = 0', 'r0 = *(u64 *)(r3 + 0)\nr0 = 0', 'r0 = *(u8 *)(r10 - 1)\nr0 = 0', `r0 = *(u8 *)(r4 + 0)\nr0 = 0`]);
      const lines = ['r1 = 0', '*(u64 *)(r10 - 8) = r1'];
      if (each) lines.push('r1 = map_fd 1 ll', 'r2 = func @cb ll', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call 164');
      else lines.push(`r1 = ${d.pick([4, 100, 1 << 23, 0])}`, 'r2 = func @cb ll', d.p(0.8) ? 'r3 = 0' : 'r3 = r10', `r4 = ${d.pick([0, 0, 0, 1])}`, 'call 181');
      lines.push('r0 = 0', 'exit', 'cb:', ...body.split('\n').filter((x) => x !== ''), 'exit');
      return { type: d.pick(['xdp', 'kprobe', 'sched_cls'] as const), lines };
    },
  ],
  /** Atomic operations on the stack, map values, the context and packets, 32 and 64 bits, fetching or not. */
  atomics: [
    (d) => {
      const where = d.pick(['stack', 'stack_uninit', 'map', 'map_null', 'ctx', 'packet', 'stack_misaligned']);
      const size = d.pick([4, 8]);
      const op = d.pick(['+=', '|=', '&=', '^=', 'fetch_add', 'xchg', 'cmpxchg']);
      const lines: string[] = ['r6 = r1', 'r7 = 1'];
      let ptr = 'r10';
      let off = -8;
      if (where === 'stack') lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1');
      if (where === 'stack_misaligned') { lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1'); off = -6; }
      if (where === 'map' || where === 'map_null') { lines.push(...lookup(1), ...(where === 'map' ? ['if r0 == 0 goto out'] : []), 'r8 = r0'); ptr = 'r8'; off = d.pick([0, 8, 12]); }
      if (where === 'ctx') { ptr = 'r6'; off = 0; }
      if (where === 'packet') { lines.push('r8 = *(u32 *)(r6 + 0)', 'r3 = *(u32 *)(r6 + 4)', 'r4 = r8', 'r4 += 8', 'if r4 > r3 goto out'); ptr = 'r8'; off = 0; }
      const sz = size === 8 ? 'u64' : 'u32';
      const reg = size === 8 ? 'r7' : 'w7';
      const m = `${ptr} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
      if (op === 'fetch_add') lines.push(`${reg} = atomic_fetch_add((${sz} *)(${m}), ${reg})`);
      else if (op === 'xchg') lines.push(`${reg} = xchg${size === 8 ? '_64' : '32_32'}(${m}, ${reg})`);
      else if (op === 'cmpxchg') lines.push(d.p(0.8) ? 'r0 = 0' : 'r1 = 0', `${size === 8 ? 'r0' : 'w0'} = cmpxchg${size === 8 ? '_64' : '32_32'}(${m}, ${size === 8 ? 'r0' : 'w0'}, ${reg})`);
      else lines.push(`lock *(${sz} *)(${m}) ${op} ${reg}`);
      if (d.p(0.3)) lines.push('r0 = r7');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: 'xdp', lines };
    },
  ],
  /** Conditional jumps on pointers: against constants, against pointers of the same and other types, in 32 bits. */
  jmp_ptr: [
    (d) => {
      const a = d.pick(['ctx', 'stack', 'packet', 'map_value', 'map_or_null', 'map_ptr']);
      const b = d.pick(['imm0', 'imm', 'scalar', 'ctx', 'stack', 'packet', 'packet_end', 'map_value']);
      const op = d.pick(['==', '!=', '>', '<', 's>', '>=', '&']);
      const w = d.p(0.2);
      const lines: string[] = ['r6 = r1', 'r8 = *(u32 *)(r6 + 0)', 'r9 = *(u32 *)(r6 + 4)', 'r1 = 0', '*(u64 *)(r10 - 8) = r1'];
      lines.push(...lookup(1));
      if (a !== 'map_or_null') lines.push('if r0 == 0 goto out');
      const reg = (x: string): string => ({ ctx: 'r6', stack: 'r10', packet: 'r8', packet_end: 'r9', map_value: 'r0', map_or_null: 'r0', map_ptr: 'r7' })[x] ?? 'r5';
      if (a === 'map_ptr' || b === 'map_ptr') lines.push('r7 = map_fd 1 ll');
      lines.push('r5 = 7');
      const lhs = reg(a);
      const rhs = b === 'imm0' ? '0' : b === 'imm' ? '16' : reg(b);
      const cast = (x: string): string => (w && x.startsWith('r') ? `w${x.slice(1)}` : x);
      lines.push(`if ${cast(lhs)} ${op} ${cast(rhs)} goto out`, 'r0 = 1', d.p(0.3) && a === 'map_or_null' ? 'r0 = *(u8 *)(r0 + 0)' : 'r0 = 1', 'exit', 'out:', 'r0 = 0', 'exit');
      return { type: 'xdp', lines };
    },
  ],
  /** Legacy packet loads (ld_abs / ld_ind) by program type, with r6 the context or not, and what they clobber. */
  ldabs: [
    (d) => {
      const type = d.pick(['socket_filter', 'sched_cls', 'xdp', 'kprobe'] as const);
      const size = d.pick(['b', 'h', 'w', 'w', 'dw']);
      const lines = [d.p(0.85) ? 'r6 = r1' : 'r6 = r10'];
      const ind = d.p(0.4);
      if (ind) lines.push(d.p(0.8) ? 'r7 = 2' : 'r7 = r6');
      if (d.p(0.2)) lines.push('r2 = 5');
      lines.push(ind ? `ldind${size} r7, ${d.pick([0, 12, -4])}` : `ldabs${size} ${d.pick([0, 12, 14, -1, 0x7fffffff])}`);
      lines.push(d.p(0.2) ? 'r0 = r2' : d.p(0.2) ? 'r0 = r7\nr0 = 0' : 'r0 = 0', 'exit');
      return { type, lines: lines.flatMap((l) => l.split('\n')) };
    },
  ],
  /** bpf-to-bpf calls: arguments through registers and the caller's stack, return values, preserved registers. */
  subprog: [
    (d) => {
      const shape = d.pick(['ok', 'ret_uninit', 'caller_reads_r1', 'r6_kept', 'stack_arg', 'stack_arg_uninit', 'ret_stack_ptr', 'recursion', 'ctx_arg', 'pkt_arg', 'deep_stack', 'uninit_arg']);
      const lines: string[] = ['r6 = r1'];
      const f: string[] = [];
      if (shape === 'ok') { lines.push('r1 = 3', 'call local f', 'exit'); f.push('r0 = r1', 'r0 += 1', 'exit'); }
      if (shape === 'ret_uninit') { lines.push('call local f', 'exit'); f.push('r1 = 0', 'exit'); }
      if (shape === 'caller_reads_r1') { lines.push('r1 = 1', 'call local f', 'r0 = r1', 'exit'); f.push('r0 = 0', 'exit'); }
      if (shape === 'r6_kept') { lines.push('r6 = 5', 'call local f', 'r0 = r6', 'exit'); f.push(d.p(0.5) ? 'r6 = 1' : 'r7 = 1', 'r0 = 0', 'exit'); }
      if (shape === 'stack_arg' || shape === 'stack_arg_uninit') {
        if (shape === 'stack_arg') lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1');
        lines.push('r1 = r10', 'r1 += -8', 'call local f', 'exit');
        f.push(`r0 = *(u64 *)(r1 + ${d.pick([0, 0, 8, -8])})`, 'exit');
      }
      if (shape === 'ret_stack_ptr') { lines.push('call local f', 'r0 = *(u64 *)(r0 + 0)', 'r0 = 0', 'exit'); f.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r0 = r10', 'r0 += -8', 'exit'); }
      if (shape === 'recursion') { lines.push('call local f', 'exit'); f.push('r0 = 0', d.p(0.5) ? 'call local f' : 'r0 = 1', 'exit'); }
      if (shape === 'ctx_arg') { lines.push('r1 = r6', 'call local f', 'exit'); f.push(`r0 = *(u32 *)(r1 + ${d.pick([0, 4, 16, 2])})`, 'r0 = 0', 'exit'); }
      if (shape === 'pkt_arg') { lines.push('r1 = *(u32 *)(r6 + 0)', 'r2 = *(u32 *)(r6 + 4)', 'r3 = r1', 'r3 += 4', d.p(0.6) ? 'if r3 > r2 goto out' : 'r0 = 0', 'call local f', 'exit', 'out:', 'r0 = 0', 'exit'); f.push('r0 = *(u32 *)(r1 + 0)', 'r0 = 0', 'exit'); }
      if (shape === 'deep_stack') { lines.push('r1 = 0', `*(u64 *)(r10 - ${d.pick([256, 400, 504])}) = r1`, 'call local f', 'exit'); f.push('r1 = 0', `*(u64 *)(r10 - ${d.pick([8, 128, 256])}) = r1`, 'r0 = 0', 'exit'); }
      if (shape === 'uninit_arg') { lines.push('call local f', 'exit'); f.push('r0 = r2', 'exit'); }
      return { type: 'xdp', lines: [...lines, 'f:', ...f] };
    },
  ],
  /** Tail calls: the map, the index, what r0 and the registers are after it, and from a subprogram. */
  tail_call: [
    (d) => {
      const map = d.pick([4, 4, 4, 1]);
      const idx = d.pick(['0', '3', '7', 'var', 'ctx']);
      const lines = ['r6 = r1', 'r1 = r6'];
      lines.push(`r2 = map_fd ${map} ll`, idx === 'var' ? 'r3 = *(u32 *)(r6 + 0)' : idx === 'ctx' ? 'r3 = r6' : `r3 = ${idx}`);
      if (d.p(0.3)) lines.push('r1 = r10');
      lines.push('call 12', d.pick(['r0 = 0', 'r0 = 0', 'r0 += 1', 'r0 = r6\nr0 = 0']), 'exit');
      return { type: d.pick(['xdp', 'sched_cls', 'socket_filter'] as const), lines: lines.flatMap((l) => l.split('\n')) };
    },
  ],
  /** bpf_spin_lock / unlock on values of a map without a lock (the kernel needs BTF for one) and lock pairing. */
  spin_lock: [
    (d) => {
      const lines = [...lookup(1), 'if r0 == 0 goto out', 'r6 = r0', 'r1 = r6', 'call 93'];
      if (d.p(0.5)) lines.push('r1 = r6', 'call 94');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: 'sched_cls', lines };
    },
  ],
  /** 32-bit conditional jumps refining sub-register and full bounds, then the value as an index. */
  jmp32_bounds: [
    (d) => {
      const pre = d.pick(['', 'r1 &= 0xffffffff', 'w1 = w1', 'r1 <<= 32\nr1 >>= 32', 'r2 = 0x1ffffffff ll\nr1 &= r2']);
      const cond = d.pick(['if w1 > 15 goto out', 'if w1 >= 16 goto out', 'if w1 > 16 goto out', 'if w1 s> 15 goto out', 'if w1 s> 15 goto out\nif w1 s< 0 goto out', 'if w1 < 16 goto +1\ngoto out', 'if w1 & 0xfffffff0 goto out', 'if w1 != 3 goto out', 'if w1 == 3 goto +1\ngoto out', 'if r1 > 15 goto out\nif w1 > 7 goto out']);
      return { type: 'xdp', lines: [...lookup(1), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', ...`${pre}\n${cond}`.split('\n').filter((x) => x !== ''), 'r6 += r1', 'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 0', 'exit'] };
    },
  ],
  /** Signed and unsigned bounds mixed on one register, then the register as an index. */
  signed_bounds: [
    (d) => {
      const checks = ['if r1 > 15 goto out', 'if r1 s> 15 goto out', 'if r1 s< 0 goto out', 'if r1 < 0 goto out', 'if r1 s>= 16 goto out', 'if r1 s<= -1 goto out', 'if r1 s< 16 goto +1\ngoto out', 'if r1 s> -1 goto +1\ngoto out', 'r2 = 0x8000000000000000 ll\nif r1 >= r2 goto out', 'if r1 == 0 goto out'];
      const n = d.int(1, 2);
      const lines = [...lookup(1), 'if r0 == 0 goto out', 'r6 = r0', d.p(0.5) ? RANDOM : 'r0 = *(u64 *)(r6 + 0)', 'r1 = r0', d.p(0.3) ? 'r1 <<= 32\nr1 s>>= 32' : ''];
      for (let i = 0; i < n; i++) lines.push(d.pick(checks));
      lines.push('r6 += r1', 'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 0', 'exit');
      return { type: 'xdp', lines: lines.flatMap((l) => l.split('\n')).filter((x) => x !== '') };
    },
  ],
  /** cpu v4 sign extension (movsx, ldsx) and its bounds. */
  sign_extend: [
    (d) => {
      const src = d.pick(['r1 &= 0x7f', 'r1 &= 0xff', 'r1 &= 0xf', 'r1 &= 0xffff', 'r1 &= 0x7fff', '']);
      const op = d.pick(['r1 = (s8)r1', 'r1 = (s16)r1', 'r1 = (s32)r1', 'w1 = (s8)w1', 'w1 = (s16)w1', 'r1 = (s8)r1\nr1 &= 15', 'w1 = (s8)w1\nr1 &= 15']);
      const lines = [...lookup(5), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', src, op, d.p(0.5) ? 'if r1 > 63 goto out' : '', 'r6 += r1', 'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 0', 'exit'];
      return { type: 'xdp', lines: lines.flatMap((l) => l.split('\n')).filter((x) => x !== '') };
    },
    (d) => {
      // sign-extending loads from the stack, the context and map values
      const size = d.pick([1, 2, 4]);
      const from = d.pick(['stack', 'map', 'ctx', 'uninit']);
      const lines = ['r6 = r1', ...lookup(5), 'if r0 == 0 goto out', 'r7 = r0'];
      if (from === 'stack') lines.push(`r1 = ${d.pick([5, 200, 0xffff])}`, '*(u64 *)(r10 - 16) = r1', `r1 = *(s${size * 8} *)(r10 - 16)`);
      if (from === 'uninit') lines.push(`r1 = *(s${size * 8} *)(r10 - 24)`);
      if (from === 'map') lines.push(`r1 = *(s${size * 8} *)(r7 + ${d.pick([0, 60, 62])})`);
      if (from === 'ctx') lines.push(`r1 = *(s${size * 8} *)(r6 + 0)`);
      lines.push(d.p(0.5) ? 'if r1 > 63 goto out' : 'if r1 s> 63 goto out', 'r7 += r1', 'r0 = *(u8 *)(r7 + 0)', 'out:', 'r0 = 0', 'exit');
      return { type: 'xdp', lines };
    },
  ],
  /** Byte swaps (be / le / bswap) of bounded values and the bounds they leave. */
  bswap: [
    (d) => {
      const pre = d.pick(['r1 &= 0xff', 'r1 &= 0xff00', 'r1 &= 0xf', 'r1 = 0x0f00', 'r1 = 0x3f']);
      const op = d.pick(['r1 = be16 r1', 'r1 = be32 r1', 'r1 = be64 r1', 'r1 = le16 r1', 'r1 = le32 r1', 'r1 = le64 r1', 'r1 = bswap16 r1', 'r1 = bswap32 r1', 'r1 = bswap64 r1']);
      const lines = [...lookup(5), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', pre, op, d.p(0.4) ? 'if r1 > 63 goto out' : '', 'r6 += r1', 'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 0', 'exit'];
      return { type: 'xdp', lines: lines.filter((x) => x !== '') };
    },
  ],
  /** Signed division and modulo (cpu v4): by constants, by zero, by registers, and the bounds of the result. */
  sdiv: [
    (d) => {
      const pre = d.pick(['r1 &= 63', 'r1 &= 0xff', 'if r1 s> 63 goto out\nif r1 s< -63 goto out', 'r1 = -8', 'r1 = 64']);
      const op = d.pick(['r1 s/= 2', 'r1 s/= -1', 'r1 s/= 0', 'r1 s%= 16', 'r1 s%= 0', 'r1 s%= -16', 'w1 s/= 4', 'w1 s%= 64', 'r1 s/= r2', 'r1 s%= r2', 'r1 /= 2', 'r1 %= 0']);
      const two = d.pick(['r2 = 4', 'r2 = 0', 'r2 = -4', 'r2 = r0\nr2 &= 3']);
      const lines = [...lookup(5), 'if r0 == 0 goto out', 'r6 = r0', RANDOM, 'r1 = r0', two, pre, op, d.p(0.3) ? 'if r1 > 63 goto out' : '', 'r6 += r1', 'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 0', 'exit'];
      return { type: 'xdp', lines: lines.flatMap((l) => l.split('\n')).filter((x) => x !== '') };
    },
  ],
  /** Loops: bounds, steps and conditions that terminate or do not, counters kept on the stack. */
  loops: [
    (d) => {
      const bound = d.pick([4, 16, 100, 1000]);
      const step = d.pick(['r1 += 1', 'r1 += 2', 'r1 += 0', 'r1 -= 1', 'w1 += 1', 'r1 <<= 1', 'r1 |= 1']);
      const cond = d.pick([`if r1 < ${bound} goto l`, `if r1 != ${bound} goto l`, `if r1 s< ${bound} goto l`, `if w1 < ${bound} goto l`, `if r1 <= ${bound} goto l`, `if r1 > ${bound} goto l`]);
      const init = d.pick(['r1 = 0', 'r1 = 1', `r1 = ${bound}`, 'call 7\nr1 = r0\nr1 &= 7']);
      const spill = d.p(0.3);
      const body = spill ? ['*(u64 *)(r10 - 8) = r1', 'r0 = 0', 'r1 = *(u64 *)(r10 - 8)'] : ['r0 = 0'];
      return { type: 'xdp', lines: [init, 'l:', ...body, step, cond, 'r0 = 0', 'exit'] };
    },
  ],
  /** Program exits: R0 set or not, a pointer or a number, and the range a program type requires. */
  returns: [
    (d) => {
      const type = d.pick(['xdp', 'cgroup_skb', 'socket_filter', 'sched_cls', 'kprobe'] as const);
      const r0 = d.pick(['r0 = 0', 'r0 = 1', 'r0 = 2', 'r0 = -1', '', 'r0 = r1', 'r0 = r10', 'call 7\nr0 &= 1', 'call 7\nr0 &= 3', 'call 7', 'w0 = 1', 'r0 = 0\nr0 <<= 63']);
      const via = d.p(0.2);
      const lines = via ? ['call 7', 'if r0 == 0 goto a', r0, 'exit', 'a:', 'r0 = 0', 'exit'] : [r0, 'exit'];
      return { type, lines: lines.filter((l) => l !== '') };
    },
  ],
  /** Ring buffer records: accesses inside and past the reserved size, before and after submit, with a constant or variable size. */
  ringbuf_mem: [
    (d) => {
      const size = d.pick(['8', '16', '64', 'var', '0']);
      const lines = ['r6 = r1', 'r1 = map_fd 3 ll'];
      if (size === 'var') lines.push('r7 = r1', 'call 7', 'r2 = r0', 'r2 &= 15', 'r1 = r7');
      else lines.push(`r2 = ${size}`);
      lines.push('r3 = 0', 'call 131', 'if r0 == 0 goto out', 'r7 = r0');
      const n = size === 'var' || size === '0' ? 8 : Number(size);
      const sz = d.pick(SIZES);
      const off = d.p(0.7) ? d.int(0, Math.max(0, n / sz - 1)) * sz : d.pick([-8, n, n - 4, 1]);
      const after = d.p(0.2);
      if (after) lines.push('r1 = r7', 'r2 = 0', 'call 132');
      lines.push(d.p(0.5) ? `*(${u(sz)} *)(r7 + ${off}) = 1` : `r0 = *(${u(sz)} *)(r7 + ${off})`);
      if (!after) lines.push('r1 = r7', 'r2 = 0', 'call 132');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'kprobe'] as const), lines: lines.flatMap((l) => l.split('\n')) };
    },
  ],
  /**
   * Callbacks with BTF func_info (mostly; without it the kernel refuses any): bpf_loop and
   * bpf_for_each_map_elem, the callback's return value and what it does with the arguments it gets.
   */
  callbacks_btf: [
    (d) => {
      const each = d.p(0.5);
      const fd = d.pick([1, 2]);
      const voff = d.pick([0, 8, 8, 12, 16]);
      const body = d.pick([
        'r0 = 0', 'r0 = 1', 'r0 = 2', 'r0 = -1', '', 'r0 = r1', 'r0 = r1\nr0 &= 1', 'r0 = r10',
        'r0 = *(u64 *)(r2 + 0)\nr0 = 0', 'r0 = *(u32 *)(r2 + 0)\nr0 = 0', '*(u32 *)(r2 + 0) = 1\nr0 = 0',
        `r0 = *(u64 *)(r3 + ${voff})\nr0 = 0`, `*(u64 *)(r3 + ${voff}) = 1\nr0 = 0`, 'r0 = *(u64 *)(r4 + 0)\nr0 = 0', '*(u64 *)(r4 + 0) = 1\nr0 = 0',
        'r0 = *(u8 *)(r10 - 1)\nr0 = 0', 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)', 'call 7\nr0 &= 1', 'call 7',
        'r6 = r2\ncall 5\nr0 = *(u64 *)(r6 + 0)\nr0 = 0', 'r0 = *(u64 *)(r1 + 0)\nr0 = 0',
      ]);
      const ctx = d.pick(['null', 'null', 'stack', 'stack', 'stack_uninit', 'ctx', 'map_value']);
      const fn = d.p(0.9) ? 'r2 = func @cb ll' : d.pick(['r2 = 0', 'r2 = r10']);
      const lines = ['r6 = r1'];
      if (ctx === 'stack') lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1');
      if (ctx === 'map_value') lines.push(...lookup(1), 'if r0 == 0 goto out', 'r7 = r0');
      const ctxArg = { null: 'r3 = 0', stack: 'r3 = r10\nr3 += -8', stack_uninit: 'r3 = r10\nr3 += -16', ctx: 'r3 = r6', map_value: 'r3 = r7' }[ctx]!;
      if (each) lines.push(`r1 = map_fd ${fd} ll`, fn, ctxArg, 'r4 = 0', 'call 164');
      else lines.push(d.pick(['r1 = 4', 'r1 = 100', 'r1 = 0', 'call 7\nr1 = r0']), fn, ctxArg, `r4 = ${d.pick([0, 0, 0, 1])}`, 'call 181');
      if (ctx === 'stack' && d.p(0.3)) lines.push('r0 = *(u64 *)(r10 - 8)');
      lines.push('out:', 'r0 = 0', 'exit', 'cb:', ...body.split('\n').filter((x) => x !== ''), 'exit');
      return { type: d.pick(['xdp', 'kprobe', 'sched_cls'] as const), lines, funcInfo: d.p(0.85) };
    },
  ],
  /**
   * bpf_spin_lock with maps whose BTF holds a lock (FAMILY_MAPS 6 and 7) or not (1): the lock's offset,
   * pairing across branches, calls and exits while locked, the lock's own bytes, program types.
   */
  spin_lock_btf: [
    (d) => {
      const fd = d.pick([6, 6, 7, 7, 1]);
      const at = fd === 7 ? 0 : 4;
      const off = d.p(0.85) ? at : d.pick([0, 4, 8, 2]);
      const lock = (reg: string, o = off): string[] => [`r1 = ${reg}`, ...(o !== 0 ? [`r1 += ${o}`] : []), 'call 93'];
      const unlock = (reg: string, o = off): string[] => [`r1 = ${reg}`, ...(o !== 0 ? [`r1 += ${o}`] : []), 'call 94'];
      const shape = d.pick(['pair', 'pair', 'no_unlock', 'unlock_only', 'branch_unlock', 'both_branches', 'helper_inside', 'local_inside', 'local_helper_inside', 'access_lock', 'access_other', 'other_lookup', 'nullable', 'double_lock', 'var_off', 'exit_inside', 'unlock_other_off', 'ldabs_inside']);
      const lines = [...lookup(fd), ...(shape === 'nullable' ? [] : ['if r0 == 0 goto out']), 'r6 = r0'];
      let sub = false;
      if (shape === 'other_lookup') lines.push(...lookup(fd).map((l) => (l === 'r1 = 0' ? 'r1 = 1' : l)), 'if r0 == 0 goto out', 'r8 = r0');
      if (shape === 'var_off') lines.push(RANDOM, 'r7 = r0', `r7 &= ${d.pick([4, 0])}`);
      if (shape === 'var_off') lines.push('r1 = r6', 'r1 += r7', 'call 93', ...unlock('r6'));
      else if (shape === 'unlock_only') lines.push(...unlock('r6'));
      else lines.push(...lock('r6'));
      const field = d.pick([0, 8, 12].filter((x) => x !== at));
      switch (shape) {
        case 'pair': case 'nullable': lines.push(...unlock('r6')); break;
        case 'branch_unlock': lines.push(RANDOM, 'if r0 == 0 goto skip', ...unlock('r6'), 'skip:'); break;
        case 'both_branches': lines.push('r7 = *(u32 *)(r6 + ' + field + ')', 'if r7 == 0 goto skip', ...unlock('r6'), 'goto out', 'skip:', ...unlock('r6')); break;
        case 'helper_inside': lines.push(d.pick(['call 7', 'call 5', 'r1 = 0\ncall 8']), ...unlock('r6')); break;
        case 'local_inside': lines.push('r1 = r6', 'call local f', ...unlock('r6')); sub = true; break;
        case 'local_helper_inside': lines.push('call local g', ...unlock('r6')); sub = true; break;
        case 'access_lock': lines.push(d.p(0.5) ? `r0 = *(u${d.pick([8, 32])} *)(r6 + ${at})` : `*(u32 *)(r6 + ${at}) = 0`, ...unlock('r6')); break;
        case 'access_other': lines.push(d.p(0.5) ? `r0 = *(u32 *)(r6 + ${field})` : `*(u32 *)(r6 + ${field}) = 7`, ...unlock('r6')); break;
        case 'other_lookup': lines.push(...unlock(d.p(0.7) ? 'r8' : 'r6')); break;
        case 'double_lock': lines.push(...lock('r6'), ...unlock('r6')); break;
        case 'exit_inside': lines.push('r7 = *(u32 *)(r6 + ' + field + ')', 'if r7 == 0 goto +2', 'r0 = 1', 'exit', ...unlock('r6')); break;
        case 'unlock_other_off': lines.push(...unlock('r6', d.pick([0, 4, 8]))); break;
        case 'ldabs_inside': lines.unshift('r9 = r1'); lines.push('r6 = r9', 'ldabsb 0', ...unlock('r0')); break;
      }
      lines.push('out:', 'r0 = 0', 'exit');
      if (sub) lines.push('f:', 'r0 = *(u32 *)(r1 + ' + field + ')', 'r0 = 0', 'exit', 'g:', d.p(0.5) ? 'call 7' : 'r0 = 1', 'r0 = 0', 'exit');
      if (sub && shape === 'local_inside') lines.splice(lines.indexOf('g:'), 4);
      if (sub && shape === 'local_helper_inside') lines.splice(lines.indexOf('f:'), 4);
      return { type: d.pick(['sched_cls', 'sched_cls', 'sched_cls', 'xdp', 'socket_filter', 'kprobe'] as const), lines, funcInfo: d.p(0.5) };
    },
  ],
  /**
   * bpf_timer in a map value whose BTF places it (map 8, at 16; maps 1 and 2 have none): init with a
   * map, the callback's (map, key, value) arguments and its return value, the timer's offset.
   */
  timers_btf: [
    (d) => {
      const fd = d.pick([8, 8, 8, 8, 1]);
      const toff = d.p(0.85) ? 16 : d.pick([0, 8, 24]);
      const body = d.pick(['r0 = 0', 'r0 = 0', 'r0 = 1', 'call 7\nr0 &= 1', 'r0 = *(u32 *)(r2 + 0)\nr0 = 0', 'r0 = *(u64 *)(r2 + 0)\nr0 = 0', '*(u32 *)(r2 + 0) = 1\nr0 = 0',
        `r0 = *(u64 *)(r3 + ${d.pick([0, 8, 16, 24])})\nr0 = 0`, '*(u64 *)(r3 + 0) = 1\nr0 = 0', 'r0 = *(u64 *)(r3 + 32)\nr0 = 0', 'r6 = r3\nr1 = r6\nr1 += 16\ncall 172\nr0 = 0']);
      const lines = [...lookup(fd), ...(d.p(0.9) ? ['if r0 == 0 goto out'] : []), 'r6 = r0'];
      lines.push('r1 = r6', `r1 += ${toff}`, `r2 = map_fd ${d.p(0.9) ? fd : 2} ll`, `r3 = ${d.pick([0, 1, 1])}`, 'call 169');
      if (d.p(0.85)) lines.push('r1 = r6', `r1 += ${toff}`, d.p(0.95) ? 'r2 = func @cb ll' : 'r2 = 0', 'call 170');
      if (d.p(0.5)) lines.push('r1 = r6', `r1 += ${toff}`, 'r2 = 1000', 'r3 = 0', 'call 171');
      lines.push('out:', 'r0 = 0', 'exit', 'cb:', ...body.split('\n'), 'exit');
      return { type: d.pick(['sched_cls', 'sched_cls', 'xdp', 'kprobe', 'socket_filter'] as const), lines, funcInfo: d.p(0.9) };
    },
  ],
  ...RULE_FAMILIES,
};

/** The family names, in report order. */
export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES);

/** Slots an assembled line takes (lddw is two), for resolving `func @label` to a relative immediate. */
function slots(line: string): number {
  if (/^\s*[\w@]+:\s*$/.test(line)) return 0;
  if (/^\s*\.byte\b/.test(line)) return line.split('#')[0]!.split(',').length / 8;
  return / ll$/.test(line) ? 2 : 1;
}

/** `func @label` in a `r2 = func @label ll` line becomes the callback's offset relative to the next instruction. */
export function resolveFuncs(lines: readonly string[]): string[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const l of lines) {
    const m = /^\s*(\w+):\s*$/.exec(l);
    if (m !== null) at.set(m[1]!, pc);
    pc += slots(l);
  }
  pc = 0;
  return lines.map((l) => {
    const m = /func @(\w+)/.exec(l);
    const here = pc;
    pc += slots(l);
    return m === null ? l : l.replace(m[0], `func ${at.get(m[1]!)! - here - 1}`);
  });
}

/** Generate `perFamily` programs of each family (or of `only`) from `seed`. */
export function generateFamilyPrograms(seed: number, perFamily: number, only?: readonly string[]): FamilyProgram[] {
  return generateFrom(FAMILIES, seed, perFamily, only);
}

/** The held-out families' names (families-held.ts), in report order. */
export const HELD_FAMILY_NAMES: readonly string[] = Object.keys(HELD_FAMILIES);

/** Generate `perFamily` programs of each held-out family (families-held.ts; or of `only`) from `seed`. */
export function generateHeldPrograms(seed: number, perFamily: number, only?: readonly string[]): FamilyProgram[] {
  return generateFrom(HELD_FAMILIES, seed, perFamily, only);
}

/** Generate `perFamily` programs of each family of `families` (or of `only`) from `seed`. */
function generateFrom(families: Record<string, readonly Template[]>, seed: number, perFamily: number, only?: readonly string[]): FamilyProgram[] {
  const next = rngU32(seed);
  const r = (): number => next() / 4294967296;
  const d: Draw = {
    r,
    pick: (xs) => xs[Math.floor(r() * xs.length)]!,
    int: (lo, hi) => lo + Math.floor(r() * (hi - lo + 1)),
    p: (p) => r() < p,
  };
  const out: FamilyProgram[] = [];
  for (const [family, templates] of Object.entries(families)) {
    for (let i = 0; i < perFamily; i++) {
      const t = d.pick(templates);
      const { type, lines, funcInfo, progFlags } = t(d);
      if (only !== undefined && !only.includes(family)) continue;
      const text = resolveFuncs(lines.flatMap((l) => l.split('\n'))).join('\n');
      // `(r2 + -4)` and `(r10 -8)` as the assembler spells them: `(r2 - 4)`, `(r10 - 8)`
      out.push({ family, type, source: text.replace(/\((r\d+) \+ -(\d+)\)/g, '($1 - $2)').replace(/\((r\d+) -(\d+)\)/g, '($1 - $2)'), funcInfo: funcInfo === true, ...(progFlags ? { progFlags } : {}) });
    }
  }
  return out;
}
