/**
 * More rule families for families.ts, written from the kernel's verifier documentation
 * (docs.kernel.org/bpf/verifier.html, RFC 9669): scalar range tracking through every ALU operator and
 * jump, variable-offset stack accesses, null inference through copies and pointer comparisons,
 * malformed 64-bit immediate loads, narrow context loads per program type, unreachable and dead code,
 * and 32-bit ALU on pointers. Each template draws its parameters so that some variants are valid and
 * some break one rule; the kernel judges each (bench/verifier-families.ts).
 */
import { lookup, PKT, RANDOM, SIZES, u, type Template } from './family-parts.js';

/** One `.byte` line holding instruction slot(s): opcode, dst/src registers, 16-bit offset and 32-bit immediate each. */
function raw(...slots: readonly (readonly [opcode: number, dst: number, src: number, off: number, imm: number])[]): string {
  const b: number[] = [];
  for (const [op, dst, src, off, imm] of slots) b.push(op, (src << 4) | dst, off & 0xff, (off >> 8) & 0xff, imm & 0xff, (imm >>> 8) & 0xff, (imm >>> 16) & 0xff, (imm >>> 24) & 0xff);
  return `.byte ${b.map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(', ')}`;
}

/** The steps a scalar's range is tracked through: every ALU operator at 64 and 32 bits, and jumps that refine it. */
const RANGE_STEPS = [
  'r1 &= 7', 'r1 &= 15', 'r1 &= 63', 'r1 &= 0xff', 'r1 &= 0x30', 'r1 |= 8', 'r1 |= 0x40', 'r1 ^= 3', 'r1 ^= 0x100', 'r1 *= 3', 'r1 *= 0x10000',
  'r1 <<= 2', 'r1 <<= 40', 'r1 >>= 1', 'r1 >>= 58', 'r1 s>>= 2', 'r1 s>>= 60', 'r1 = -r1', 'r1 %= 10', 'r1 /= 3', 'r1 += 8', 'r1 -= 4',
  'w1 &= 15', 'w1 += 2', 'w1 -= 1', 'w1 *= 2', 'w1 <<= 1', 'w1 >>= 1', 'w1 >>= 27', 'w1 s>>= 1', 'w1 s>>= 26', 'w1 = -w1', 'w1 ^= 1', 'w1 |= 1', 'w1 %= 7',
  'if r1 > 31 goto out', 'if r1 >= 48 goto out', 'if w1 > 31 goto out', 'if w1 s< 0 goto out', 'if r1 s< 0 goto out', 'if r1 s> 40 goto out',
  'if r1 & 0xffffffc0 goto out', 'if w1 & 0xc0 goto out', 'if r1 & 1 goto out', 'if r1 < 4 goto out', 'if r1 == 0 goto out',
  'r2 = r1\nr2 &= 7\nr1 &= 7\nr1 += r2', 'r2 = r1\nr2 &= 7\nr1 &= 31\nr1 -= r2', 'r2 = 15\nr1 &= r2', 'r2 = 3\nr1 >>= r2', 'r2 = r1\nr2 &= 3\nr1 &= 15\nr1 <<= r2',
];

/** A map lookup whose non-null value is left in r6 (else to `out`). */
const value = (fd: number): string[] => [...lookup(fd), 'if r0 == 0 goto out', 'r6 = r0'];

/** Lines of `\n`-joined lines, flattened, blanks dropped. */
const flat = (lines: readonly string[]): string[] => lines.flatMap((l) => l.split('\n')).filter((l) => l !== '');

/** The families, by name (appended after families.ts's own, so that their draws stay as they were). */
export const RULE_FAMILIES: Record<string, readonly Template[]> = {
  /** Scalar range tracking through and/or/xor/mul/shifts/neg/mod, ALU32 and JMP32, jset; then the scalar as a map-value or packet offset. */
  bounds: [
    (d) => {
      const fd = d.pick([1, 5]);
      const vs = fd === 1 ? 16 : 64;
      const steps = [d.pick(['r1 &= 0xff', 'r1 &= 63', 'w1 &= 31', 'r1 &= 15', '', 'w1 = w1'])];
      for (let i = d.int(1, 3); i > 0; i--) steps.push(d.pick(RANGE_STEPS));
      const size = d.pick(SIZES);
      const off = d.pick([0, 0, vs - size, vs - size + 1, size]);
      const src = d.pick([RANDOM, `r0 = *(u64 *)(r6 + 0)`, `r0 = *(u32 *)(r6 + 4)`, `r0 = *(u8 *)(r6 + 1)`]);
      return { type: 'xdp', lines: flat([...value(fd), src, 'r1 = r0', ...steps, 'r6 += r1', `r0 = *(${u(size)} *)(r6 + ${off})`, 'out:', 'r0 = 0', 'exit']) };
    },
    (d) => {
      // a tracked range as a packet offset: in range of the data_end check, past it, or past MAX_PACKET_OFF
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const steps = [d.pick(['r1 &= 0xff', 'r1 &= 0xffff', 'w1 &= 31', 'r1 &= 0x7fff', ''])];
      for (let i = d.int(0, 2); i > 0; i--) steps.push(d.pick(RANGE_STEPS));
      const size = d.pick(SIZES);
      const n = d.pick([size, size, 8, size + 1]);
      const at = d.pick([0, 0, n - size, n - size + 1]);
      return {
        type,
        lines: flat([`r6 = *(u32 *)(r1 + ${PKT[type].data})`, `r7 = *(u32 *)(r1 + ${PKT[type].end})`, RANDOM, 'r1 = r0', ...steps, 'r6 += r1', 'r3 = r6', `r3 += ${n}`, 'if r3 > r7 goto out', `r0 = *(${u(size)} *)(r6 + ${at})`, 'out:', 'r0 = 0', 'exit']),
      };
    },
  ],
  /** Variable-offset stack accesses: reads and writes, of initialised or uninitialised bytes, inside and outside the frame; as a helper's memory. */
  var_stack: [
    (d) => {
      const init = d.pick(['all', 'all', 'none', 'low', 'high', 'ptr']);
      const lines = ['r6 = r1', 'r1 = 0'];
      if (init === 'all' || init === 'high') lines.push('*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1');
      if (init === 'all' || init === 'low') lines.push('*(u64 *)(r10 - 24) = r1', '*(u64 *)(r10 - 32) = r1');
      if (init === 'ptr') lines.push('*(u64 *)(r10 - 8) = r6', '*(u64 *)(r10 - 16) = r6', '*(u64 *)(r10 - 24) = r6', '*(u64 *)(r10 - 32) = r6');
      const index = d.pick(['r0 &= 7', 'r0 &= 15', 'r0 &= 31', 'r0 &= 24', 'r0 &= 8', 'r0 &= 3\nr0 <<= 3', 'if r0 > 24 goto out', 'if r0 > 24 goto out\nif r0 s< 0 goto out', 'w0 &= 16', 'r0 &= 0x1f8']);
      const base = d.pick([8, 16, 32, 32, 40, 512, 520]);
      const neg = d.p(0.25);
      lines.push(RANDOM, ...index.split('\n'), 'r2 = r10', neg ? 'r2 -= r0' : `r2 += -${base}`, neg ? `r2 += ${d.pick([0, -8, 8])}` : 'r2 += r0');
      const size = d.pick(SIZES);
      const what = d.pick(['read', 'read', 'write', 'write', 'key', 'fill_ptr']);
      if (what === 'read') lines.push(`r3 = *(${u(size)} *)(r2 + 0)`);
      if (what === 'write') lines.push(`*(${u(size)} *)(r2 + 0) = 1`, `r0 = *(u64 *)(r10 - ${d.pick([8, 16, 32])})`);
      if (what === 'fill_ptr') lines.push('r3 = *(u64 *)(r2 + 0)', 'r0 = *(u32 *)(r3 + 0)');
      if (what === 'key') lines.push(`r1 = map_fd ${d.pick([1, 2])} ll`, 'call 1');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'xdp', 'socket_filter', 'kprobe'] as const), lines };
    },
    (d) => {
      // a variable-offset stack region a helper writes (probe_read) or reads (map update's value)
      const lines = ['r1 = 0', '*(u64 *)(r10 - 8) = r1', RANDOM, `r0 &= ${d.pick([7, 8, 15, 24])}`, 'r1 = r10', `r1 += -${d.pick([16, 32, 40, 512])}`, 'r1 += r0'];
      if (d.p(0.5)) {
        if (d.p(0.7)) lines.push('r2 = 0', '*(u64 *)(r10 - 16) = r2', '*(u64 *)(r10 - 24) = r2', '*(u64 *)(r10 - 32) = r2', '*(u64 *)(r10 - 40) = r2');
        lines.push('r3 = r1', 'r2 = r10', 'r2 += -8', 'r4 = 0', 'r1 = map_fd 1 ll', 'call 2');
        return { type: 'socket_filter', lines: [...lines, 'r0 = 0', 'exit'] };
      }
      lines.push(`r2 = ${d.pick([4, 8, 16])}`, 'r3 = 0', 'call 4', 'r0 = 0', 'exit');
      return { type: 'kprobe', lines };
    },
  ],
  /** Null inference: a map value or null checked on a copy (register or stack), compared with another pointer or 0, in either branch. */
  null_infer: [
    (d) => {
      const fd = d.pick([1, 2]);
      const lines = [...lookup(fd), 'r6 = r0'];
      const other = d.p(0.35);
      if (other) lines.push(...lookup(d.pick([1, 2])).map((l) => (l === 'r1 = 0' ? 'r1 = 1' : l)), ...(d.p(0.8) ? ['if r0 == 0 goto out'] : []), 'r7 = r0');
      const copy = d.pick(['reg', 'reg', 'stack', 'none', 'arith']);
      if (copy === 'reg') lines.push('r8 = r6');
      if (copy === 'stack') lines.push('*(u64 *)(r10 - 16) = r6', 'r8 = *(u64 *)(r10 - 16)');
      if (copy === 'none') lines.push('r8 = r6');
      if (copy === 'arith') lines.push('r8 = r6', `r8 += ${d.pick([0, 4])}`);
      const tested = copy === 'none' ? 'r6' : 'r8';
      const w = (r: string): string => (d.p(0.1) ? r.replace('r', 'w') : r);
      const check = d.pick([
        `if ${w(tested)} == 0 goto out`, `if ${tested} != 0 goto +1\ngoto out`, `if ${tested} == 0 goto +1\ngoto out`, `if ${tested} != 0 goto out`,
        `if ${tested} > 0 goto +1\ngoto out`, `if ${tested} == 1 goto out`, `if ${tested} s> 0 goto +1\ngoto out`,
        ...(other ? [`if ${tested} == r7 goto +1\ngoto out`, `if ${tested} != r7 goto out`, `if r7 == ${tested} goto +1\ngoto out`, `if ${tested} != r7 goto +1\ngoto out`] : []),
      ]);
      lines.push(...check.split('\n'));
      const via = d.pick(['r6', 'r8', 'fill', 'r6']);
      if (via === 'fill') lines.push('r9 = *(u64 *)(r10 - 16)');
      const reg = via === 'fill' ? (copy === 'stack' ? 'r9' : 'r8') : via;
      lines.push(d.p(0.5) ? `r0 = *(u32 *)(${reg} + ${d.pick([0, 4])})` : `*(u32 *)(${reg} + 0) = 1`, 'out:', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'sched_cls', 'socket_filter'] as const), lines };
    },
  ],
  /** Malformed 64-bit immediate loads: the second slot's fields, the source kinds, a map's value address, truncation, bad registers and opcodes. */
  ld_imm64: [
    (d) => {
      const shape = d.pick(['ok', 'ok', 'hi_opcode', 'hi_regs', 'hi_off', 'lo_off', 'src', 'map_fd', 'map_value', 'map_value_hash', 'map_fd_bad', 'dst', 'size', 'last', 'map_fd_hi']);
      const dst = shape === 'dst' ? d.pick([10, 11]) : 1;
      let lo: [number, number, number, number, number] = [0x18, dst, 0, 0, d.int(0, 0xffff)];
      let hi: [number, number, number, number, number] = [0, 0, 0, 0, d.pick([0, 1, -1])];
      const lines = ['r0 = 0'];
      if (shape === 'hi_opcode') hi = [d.pick([0x18, 0x07, 0x01, 0x10]), 0, 0, 0, 0];
      if (shape === 'hi_regs') hi = [0, d.pick([0, 1, 2]), d.pick([1, 0]), 0, 0];
      if (shape === 'hi_off') hi = [0, 0, 0, d.pick([1, -1]), 0];
      if (shape === 'lo_off') lo = [0x18, 1, 0, d.pick([1, 8]), 0];
      if (shape === 'src') lo = [0x18, 1, d.pick([3, 4, 5, 6, 7, 8, 15]), 0, 1];
      if (shape === 'map_fd' || shape === 'map_fd_hi') lo = [0x18, 1, 1, 0, 1];
      if (shape === 'map_fd') hi = [0, 0, 0, 0, 0];
      if (shape === 'map_fd_hi') hi = [0, 0, 0, 0, d.pick([1, 8])];
      if (shape === 'map_fd_bad') lo = [0x18, 1, d.pick([1, 2]), 0, 99];
      if (shape === 'map_value' || shape === 'map_value_hash') {
        lo = [0x18, 1, 2, 0, shape === 'map_value' ? d.pick([1, 5, 5]) : 2];
        hi = [0, 0, 0, 0, d.pick([0, 8, 12, 15, 16, 64, -1])];
      }
      if (shape === 'size') lo = [d.pick([0x00, 0x08, 0x10]), 1, 0, 0, 1];
      const maps = shape.startsWith('map_') ? ` # map_fd ${shape === 'map_value_hash' ? 2 : shape === 'map_value' ? lo[4] : 1}` : '';
      if (shape === 'last') return { type: 'xdp', lines: ['r0 = 0', 'exit', raw(lo)] };
      lines.push(raw(lo, hi) + maps);
      const use = d.pick(['none', 'read', 'write', 'copy']);
      if (use === 'read' && shape.startsWith('map_value')) lines.push(`r0 = *(u${d.pick([8, 32, 64])} *)(r1 + 0)`);
      if (use === 'write' && shape.startsWith('map_value')) lines.push('*(u32 *)(r1 + 0) = 1');
      if (use === 'copy') lines.push('r2 = r1');
      lines.push('r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'socket_filter', 'kprobe'] as const), lines };
    },
  ],
  /** Narrow, misaligned and wide context loads within a field, per program type. */
  ctx_narrow: [
    (d) => {
      const type = d.pick(['socket_filter', 'sched_cls', 'cgroup_skb', 'sched_act', 'xdp', 'kprobe', 'perf_event', 'tracepoint', 'raw_tracepoint'] as const);
      // fields of 4 bytes (the __sk_buff and xdp_md ones, the data pointers among them) and of 8 (pt_regs, perf_event's sample_period and addr, raw_tracepoint's args)
      const skb = [0, 4, 8, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 64, 68, 72, 76, 80, 84, 88, 92, 96, 140, 144, 168, 176];
      const field = { xdp: d.pick([0, 4, 8, 12, 16, 20]), kprobe: 8 * d.int(0, 20), perf_event: 8 * d.int(18, 22), tracepoint: 8 * d.int(0, 4), raw_tracepoint: 8 * d.int(0, 11) }[type as string] ?? d.pick(skb);
      const fieldSize = type === 'kprobe' || type === 'perf_event' || type === 'raw_tracepoint' || type === 'tracepoint' ? 8 : 4;
      const size = d.pick([1, 1, 2, 2, 4, 8]);
      const within = d.p(0.75) ? size * d.int(0, Math.max(0, fieldSize / size - 1)) : d.pick([1, 3, fieldSize - 1, fieldSize]);
      const lines = [`r0 = *(${u(size)} *)(r1 + ${field + within})`];
      if (d.p(0.15)) lines.push(`r2 = *(${u(size)} *)(r1 + ${field + within})`, 'r2 += 1');
      lines.push('r0 = 0', 'exit');
      return { type, lines };
    },
  ],
  /** Unreachable code, code after exit, jumps past the end or into a 64-bit load, and invalid code on a branch the values make dead. */
  dead_code: [
    (d) => {
      const bad = d.pick(['r0 = *(u64 *)(r2 + 0)', 'r0 = r5', 'r0 /= 0', 'r0 = *(u64 *)(r10 + 8)', 'call 26', 'r10 = 1', 'r0 = 1', raw([0x8f, 0, 0, 0, 0])]);
      const cond = d.pick(['r1 = 0\nif r1 != 0 goto bad', 'r1 = 5\nif r1 > 4 goto +1\ngoto bad', 'call 7\nr0 &= 7\nif r0 > 8 goto bad', 'w1 = 5\nif w1 == 6 goto bad', 'call 7\nr0 |= 1\nif r0 == 0 goto bad', 'call 7\nif r0 > 8 goto bad', 'r1 = -1\nif r1 s> 0 goto bad', 'call 7\nr0 &= 3\nif r0 & 4 goto bad']);
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines: flat(['r0 = 0', cond, 'r0 = 0', 'exit', 'bad:', bad, 'r0 = 0', 'exit']) };
    },
    (d) => {
      const shape = d.pick(['after_exit', 'skipped', 'past_end', 'before_start', 'into_lddw', 'into_lddw_back', 'self', 'plus_zero', 'uncalled', 'exit_less', 'call_past_end', 'jmp_to_exit_only']);
      const lines: string[] = ['r0 = 0'];
      switch (shape) {
        case 'after_exit': lines.push('exit', 'r0 = 1'); break;
        case 'skipped': lines.push('goto +1', 'r0 = 1', 'exit'); break;
        case 'past_end': lines.push(`if r1 == 0 goto +${d.pick([1, 2, 3])}`, 'exit'); break;
        case 'before_start': lines.push(`if r1 == 0 goto -${d.pick([2, 3])}`, 'exit'); break;
        case 'into_lddw': lines.push('if r1 == 0 goto +1', 'r0 = 0x100000000 ll', 'exit'); break;
        case 'into_lddw_back': lines.push('r0 = 0x100000000 ll', 'r0 = 0', 'if r1 == 0 goto -3', 'exit'); break;
        case 'self': lines.push('l:', 'goto l', 'exit'); break;
        case 'plus_zero': lines.push('goto +0', `if r1 ${d.pick(['==', '!='])} 0 goto +0`, 'exit'); break;
        case 'uncalled': lines.push('exit', 'r0 = 1', 'exit'); break;
        case 'exit_less': lines.push(d.pick(['r0 = 1', 'goto +0'])); break;
        case 'call_past_end': lines.push(`call local +${d.pick([1, 2])}`, 'exit'); break;
        case 'jmp_to_exit_only': lines.push('if r1 == 0 goto e', 'r0 = 1', 'e:', 'exit'); break;
      }
      return { type: 'xdp', lines };
    },
  ],
  /** 32-bit ALU on pointers (the pointer as destination or source), partial spills of pointers, byte swaps and sign extension of pointers. */
  alu_ptr_32: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const ptr = d.pick(['stack', 'ctx', 'map_value', 'packet']);
      const lines = ['r6 = r1'];
      if (ptr === 'stack') lines.push('r1 = 0', '*(u64 *)(r10 - 16) = r1', 'r2 = r10', 'r2 += -16');
      if (ptr === 'ctx') lines.push('r2 = r6');
      if (ptr === 'map_value') lines.push(...lookup(1), 'if r0 == 0 goto out', 'r2 = r0');
      if (ptr === 'packet') lines.push(`r2 = *(u32 *)(r6 + ${PKT[type].data})`, `r4 = *(u32 *)(r6 + ${PKT[type].end})`, 'r3 = r2', 'r3 += 8', 'if r3 > r4 goto out');
      const op = d.pick([
        'w2 = w2', 'w2 += 4', 'w2 -= 4', 'w2 &= -1', 'w2 <<= 0', 'w3 = 4\nw3 += w2\nr2 = r3', 'r3 = 4\nr3 += r2\nr2 = r3', 'w3 = 4\nw3 -= w2\nr2 = r3', 'r3 = 4\nr3 -= r2\nr2 = r3',
        '*(u32 *)(r10 - 8) = r2\nr2 = *(u32 *)(r10 - 8)', '*(u64 *)(r10 - 8) = r2\nr2 = *(u32 *)(r10 - 8)', '*(u64 *)(r10 - 8) = r2\nr2 = *(u64 *)(r10 - 8)', '*(u16 *)(r10 - 8) = r2\nr2 = *(u64 *)(r10 - 8)',
        'w2 = -w2', 'r2 = be32 r2', 'r2 = le64 r2', 'w2 = (s8)w2', 'r2 = (s32)r2', 'w3 = w2\nr2 = r3', 'r2 += 0',
      ]);
      lines.push(...op.split('\n'));
      const use = d.pick(['deref', 'deref', 'ret', 'none', 'store']);
      if (use === 'deref') lines.push(`r0 = *(u8 *)(r2 + ${d.pick([0, 4])})`);
      if (use === 'ret') lines.push('r0 = r2', 'r0 &= 1', 'exit');
      if (use === 'store') lines.push('*(u64 *)(r10 - 24) = r2', 'r0 = *(u64 *)(r10 - 24)', 'r0 &= 1', 'exit');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type, lines };
    },
  ],
  /**
   * Known bits (the kernel's tnum) of an unknown value: set by `|=`, cleared by `&=`, moved by shifts, added
   * and multiplied, then tested by `jset`, `==`, `!=` and unsigned / signed orderings at 32 and 64 bits, so
   * that a branch is dead or a bound follows only through the bits; then the value as a map value offset.
   */
  known_bits: [
    (d) => {
      const lines = [...value(1), RANDOM, 'r1 = r0'];
      const ops = [
        'r1 |= 0x40', 'r1 |= 0x80000000', 'w1 |= 1', 'r1 |= 0x30', 'r1 &= -16', 'r1 &= 0xf0', 'w1 &= 0x3c', 'r1 <<= 3', 'r1 >>= 3', 'r1 ^= 0x10', 'r1 += 8',
        'r1 -= 16', 'r1 *= 8', 'w1 *= 4', 'r1 >>= 60', 'r1 s>>= 56', 'r2 = r1\nr2 &= 0x30\nr1 |= r2', 'r2 = 0x100000000 ll\nr1 |= r2', 'r1 = -r1', 'w1 += 0x10',
      ];
      for (let n = d.int(1, 3); n > 0; n--) lines.push(d.pick(ops));
      const tests = [
        'if w1 & 0xc0 goto out', 'if r1 & 0x40 goto +1\ngoto out', 'if w1 & 1 goto +1\ngoto out', 'if r1 & 7 goto out', 'if w1 >= 0xffffffff goto +1\ngoto out',
        'if w1 == 0xffffffff goto +1\ngoto out', 'if w1 != 0x10 goto out', 'if r1 == 0x48 goto +1\ngoto out', 'if w1 & 0xfffffff0 goto out', 'if r1 & 8 goto out',
        'r2 = -1\nif w1 < w2 goto out', 'if r1 s> 15 goto +1\ngoto out', 'if w1 & 0x30 goto out', 'r2 = -4294967296 ll\nif r1 & r2 goto out',
      ];
      for (let n = d.int(1, 2); n > 0; n--) lines.push(d.pick(tests));
      lines.push(d.pick(['', '', 'if r1 > 15 goto out', 'if r1 > 255 goto out', 'if r1 s> 7 goto out\nif r1 s< 0 goto out', 'if w1 > 63 goto out\nw1 = w1']));
      lines.push('r6 += r1', `r0 = *(u8 *)(r6 + ${d.pick([0, 0, 1, 8])})`, 'out:', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines: lines.flatMap((l) => l.split('\n')).filter((l) => l !== '') };
    },
  ],
};

