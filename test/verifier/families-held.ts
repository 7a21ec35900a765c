/**
 * Held-out rule families: written before the analysis was changed for them, so that their first
 * agreement figures (docs/testing.md) measure how general the verifier is rather than how well it was
 * tuned. Kinds the other families do not cover, from the kernel's verifier documentation
 * (docs.kernel.org/bpf/verifier.html) and RFC 9669: pointer subtraction and comparison between pointer
 * kinds, spilled pointers partly overwritten, helper reads of partly written stack, accesses under
 * BPF_F_STRICT_ALIGNMENT, helper arguments against each helper's prototype, jumps and calls into the
 * second slot of a 64-bit load, 32-bit bounds after 64-bit operations, signed and unsigned comparison
 * mixes, a reference released on one branch only, and callback return ranges.
 */
import { lookup, PKT, RANDOM, type Template } from './family-parts.js';

/** Lines of `\n`-joined lines, flattened, blanks dropped. */
const flat = (lines: readonly string[]): string[] => lines.flatMap((l) => l.split('\n')).filter((l) => l !== '');

/** An `if` that skips to `out` unless `cond` holds (the kept branch), or skips to `out` when it holds. */
const guard = (cond: string, keepWhenTrue: boolean): string => (keepWhenTrue ? `if ${cond} goto +1\ngoto out` : `if ${cond} goto out`);

/** The held-out families, by name. */
export const HELD_FAMILIES: Record<string, readonly Template[]> = {
  /** Pointer minus pointer, pointer plus pointer and pointer comparisons, across every pair of pointer kinds; then the result used. */
  ptr_sub: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const kinds = ['pkt', 'pkt_off', 'pkt_end', 'stack', 'stack2', 'ctx', 'map', 'map2', 'map_other', 'scalar', 'map_or_null'] as const;
      const a = d.pick(kinds);
      const b = d.pick(kinds);
      const nullable = a === 'map_or_null' || b === 'map_or_null';
      const lines = ['r6 = r1', ...lookup(1), ...(nullable ? [] : ['if r0 == 0 goto out']), 'r9 = r0'];
      if (a === 'map2' || b === 'map2') lines.push(...lookup(1).map((l) => (l === 'r1 = 0' ? 'r1 = 1' : l)), 'if r0 == 0 goto out', '*(u64 *)(r10 - 16) = r0');
      if (a === 'map_other' || b === 'map_other') lines.push(...lookup(5), 'if r0 == 0 goto out', '*(u64 *)(r10 - 24) = r0');
      lines.push(`r7 = *(u32 *)(r6 + ${PKT[type].data})`, `r8 = *(u32 *)(r6 + ${PKT[type].end})`, 'r3 = r7', 'r3 += 16', 'if r3 > r8 goto out');
      const load = (r: string, k: (typeof kinds)[number]): string =>
        ({
          pkt: `${r} = r7`, pkt_off: `${r} = r7\n${r} += 14`, pkt_end: `${r} = r8`, stack: `${r} = r10\n${r} += -8`, stack2: `${r} = r10\n${r} += -32`, ctx: `${r} = r6`,
          map: `${r} = r9`, map_or_null: `${r} = r9`, map2: `${r} = *(u64 *)(r10 - 16)`, map_other: `${r} = *(u64 *)(r10 - 24)`, scalar: `call 7\n${r} = r0\n${r} &= 31`,
        })[k];
      // the scalar's draw clobbers r1-r5: load it first
      if (b === 'scalar') lines.push(load('r2', b), load('r1', a));
      else lines.push(load('r1', a), load('r2', b));
      const op = d.pick(['r1 -= r2', 'r1 -= r2', 'r1 -= r2', 'w1 -= w2', 'r1 += r2', 'cmp', 'cmp', 'cmp32']);
      if (op === 'cmp' || op === 'cmp32') {
        const w = op === 'cmp32' ? 'w' : 'r';
        lines.push(guard(`${w}1 ${d.pick(['>', '<', '>=', 's>', 's<=', '==', '!='])} ${w}2`, d.p(0.5)));
        const deref = d.pick(['r1', 'r2', 'r9', 'r7']);
        lines.push(`r0 = *(u8 *)(${deref} + ${d.pick([0, 0, 15, 16])})`);
      } else {
        lines.push(op);
        const use = d.pick(['none', 'ret', 'map_index', 'deref', 'pkt_index', 'stack_index', 'bounded_map_index']);
        if (use === 'ret') lines.push('r0 = r1', 'exit');
        if (use === 'map_index') lines.push('r9 += r1', 'r0 = *(u8 *)(r9 + 0)');
        if (use === 'bounded_map_index') lines.push('if r1 > 15 goto out', 'r9 += r1', 'r0 = *(u8 *)(r9 + 0)');
        if (use === 'deref') lines.push('r0 = *(u8 *)(r1 + 0)');
        if (use === 'pkt_index') lines.push('r1 &= 7', 'r7 += r1', 'r0 = *(u8 *)(r7 + 0)');
        if (use === 'stack_index') lines.push('r2 = 0', '*(u64 *)(r10 - 8) = r2', 'r1 &= 7', 'r2 = r10', 'r2 += -8', 'r2 += r1', 'r0 = *(u8 *)(r2 + 0)');
      }
      lines.push('out:', 'r0 = 0', 'exit');
      return { type, lines: flat(lines) };
    },
  ],
  /** A spilled pointer (or constant) partly overwritten by a narrower store, then filled at some size and used. */
  spill_partial: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls', 'socket_filter'] as const);
      const ptr = d.pick(['map', 'ctx', 'stack', 'const', 'const_small'] as const);
      const lines = ['r6 = r1', 'r1 = 0', '*(u64 *)(r10 - 32) = r1', ...lookup(1), 'if r0 == 0 goto out', 'r7 = r0'];
      const value = { map: 'r7', ctx: 'r6', stack: 'r2 = r10\nr2 += -32\nr2', const: 'r2 = 12\nr2', const_small: 'r2 = 3\nr2' }[ptr];
      const spillAt = d.pick([8, 8, 16]);
      const parts = value.split('\n');
      lines.push(...parts.slice(0, -1), `*(u64 *)(r10 - ${spillAt}) = ${parts[parts.length - 1]!}`);
      const over = d.pick(['none', 'none', 'u8_low', 'u8_high', 'u16', 'u32_low', 'u32_high', 'other_slot', 'u32_reg', 'u64_scalar', 'u8_same_ptr']);
      const at = (k: number): number => spillAt - k;
      if (over === 'u8_low') lines.push(`*(u8 *)(r10 - ${at(0)}) = ${d.pick([0, 7])}`);
      if (over === 'u8_high') lines.push(`*(u8 *)(r10 - ${at(7)}) = 0`);
      if (over === 'u16') lines.push(`*(u16 *)(r10 - ${at(d.pick([0, 2, 6]))}) = 1`);
      if (over === 'u32_low') lines.push(`*(u32 *)(r10 - ${at(0)}) = ${d.pick([0, 5])}`);
      if (over === 'u32_high') lines.push(`*(u32 *)(r10 - ${at(4)}) = 0`);
      if (over === 'other_slot') lines.push(`*(u8 *)(r10 - ${spillAt === 8 ? 9 : 1}) = 1`);
      if (over === 'u32_reg') lines.push('call 7', `*(u32 *)(r10 - ${at(d.pick([0, 4]))}) = r0`);
      if (over === 'u64_scalar') lines.push('call 7', `*(u64 *)(r10 - ${spillAt}) = r0`);
      if (over === 'u8_same_ptr') lines.push(`*(u8 *)(r10 - ${at(0)}) = r7`);
      const fill = d.pick(['u64', 'u64', 'u64', 'u32', 'u32_high', 'u8'] as const);
      lines.push(
        {
          u64: `r3 = *(u64 *)(r10 - ${spillAt})`, u32: `r3 = *(u32 *)(r10 - ${spillAt})`, u32_high: `r3 = *(u32 *)(r10 - ${spillAt - 4})`, u8: `r3 = *(u8 *)(r10 - ${spillAt})`,
        }[fill],
      );
      const use = d.pick(['deref', 'deref', 'index', 'index', 'ret', 'key']);
      if (use === 'deref') lines.push(`r0 = *(u32 *)(r3 + ${d.pick([0, 4])})`);
      if (use === 'index') lines.push('r7 += r3', 'r0 = *(u8 *)(r7 + 0)');
      if (use === 'ret') lines.push('r0 = r3', 'r0 &= 1', 'exit');
      if (use === 'key') lines.push('r2 = r3', 'r1 = map_fd 1 ll', 'call 1');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type, lines: flat(lines) };
    },
  ],
  /** Stack regions written in pieces, then read whole: by a load straddling pieces, by a helper (map key or value), or at a variable offset. */
  stack_partial: [
    (d) => {
      const lines = ['r6 = r1'];
      const region = d.pick([8, 16, 16, 24]);
      // pieces written: each a size and an aligned offset inside [-region, 0)
      for (let i = d.int(1, 4); i > 0; i--) {
        const s = d.pick([1, 2, 4, 8]);
        const off = -region + s * d.int(0, region / s - 1);
        lines.push(d.p(0.6) ? `*(u${s * 8} *)(r10 ${off}) = ${d.int(0, 3)}` : `r1 = ${d.int(0, 3)}\n*(u${s * 8} *)(r10 ${off}) = r1`);
      }
      const reader = d.pick(['load', 'load', 'key', 'value', 'var', 'output']);
      if (reader === 'load') {
        const s = d.pick([2, 4, 8]);
        lines.push(`r0 = *(u${s * 8} *)(r10 ${-region + s * d.int(0, region / s - 1)})`, 'r0 &= 1', 'exit');
      }
      if (reader === 'key') lines.push('r2 = r10', `r2 += ${-region}`, `r1 = map_fd ${d.pick([1, 2])} ll`, 'call 1', 'r0 = 0', 'exit');
      if (reader === 'value') lines.push('r3 = r10', `r3 += ${-region}`, 'r1 = 0', '*(u32 *)(r10 - 36) = r1', 'r2 = r10', 'r2 += -36', 'r4 = 0', 'r1 = map_fd 1 ll', 'call 2', 'r0 = 0', 'exit');
      if (reader === 'var') lines.push(RANDOM, `r0 &= ${d.pick([7, 8, 4])}`, 'r2 = r10', `r2 += ${-region}`, 'r2 += r0', 'r0 = *(u8 *)(r2 + 0)', 'r0 = 0', 'exit');
      if (reader === 'output') lines.push('r1 = map_fd 3 ll', 'r2 = r10', `r2 += ${-region}`, `r3 = ${d.pick([region, 8, region - 4])}`, 'r4 = 0', 'call 130', 'r0 = 0', 'exit');
      return { type: d.pick(['xdp', 'socket_filter', 'kprobe'] as const), lines: flat(lines) };
    },
  ],
  /** Loads and stores of the context, stack, packet and map values at every alignment, with BPF_F_STRICT_ALIGNMENT set or not. */
  align: [
    (d) => {
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const region = d.pick(['stack', 'packet', 'packet', 'map', 'ctx', 'stack_var', 'packet_var']);
      const size = d.pick([2, 4, 8]);
      const off = d.pick([0, 1, 2, 3, 4, 6, size]);
      const lines = ['r6 = r1'];
      const acc = (base: string, o: number): string => (d.p(0.7) ? `r0 = *(u${size * 8} *)(${base} + ${o})` : `*(u${size * 8} *)(${base} + ${o}) = 1`);
      if (region === 'stack') lines.push('r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 8) = r1', acc('r10', -16 + off));
      if (region === 'stack_var') lines.push('r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 8) = r1', RANDOM, `r0 &= ${d.pick([4, 8, 2, 1])}`, 'r2 = r10', 'r2 += -16', 'r2 += r0', acc('r2', off));
      if (region === 'map') lines.push(...lookup(1), 'if r0 == 0 goto out', acc('r0', off));
      if (region === 'ctx') lines.push(`r0 = *(u32 *)(r6 + ${d.pick([0, 4, 16, 2])})`);
      if (region === 'packet' || region === 'packet_var') {
        lines.push(`r7 = *(u32 *)(r6 + ${PKT[type].data})`, `r8 = *(u32 *)(r6 + ${PKT[type].end})`);
        if (region === 'packet_var') lines.push(RANDOM, `r0 &= ${d.pick([4, 2, 1, 12])}`, 'r7 += r0');
        lines.push('r3 = r7', 'r3 += 24', 'if r3 > r8 goto out', acc('r7', off + d.pick([0, 14])));
      }
      lines.push('out:', 'r0 = 0', 'exit');
      return { type, lines: flat(lines), progFlags: d.p(0.6) ? 1 : 0 };
    },
  ],
  /** Helper arguments against each prototype: sizes (constant, bounded, unbounded, zero, negative) and memory kinds (stack, map value, packet, context, ring buffer memory). */
  helper_proto: [
    (d) => {
      // a size argument in r4's place, by kind
      const size = d.pick(['8', '16', '0', '-1', 'var', 'var15', 'var31', 'var_s', 'var_1_16', 'var_le16', '1000']);
      const sizeLines = (r: string): string[] => {
        if (size === 'var') return [RANDOM, `${r} = r0`];
        if (size === 'var15') return [RANDOM, `${r} = r0`, `${r} &= 15`];
        if (size === 'var31') return [RANDOM, `${r} = r0`, `${r} &= 31`];
        if (size === 'var_s') return [RANDOM, `${r} = r0`, `if ${r} s> 16 goto out`];
        if (size === 'var_1_16') return [RANDOM, `${r} = r0`, `if ${r} > 16 goto out`, `if ${r} == 0 goto out`];
        if (size === 'var_le16') return [RANDOM, `${r} = r0`, `if ${r} > 16 goto out`];
        return [`${r} = ${size}`];
      };
      const helper = d.pick(['probe_read', 'probe_read_str', 'ringbuf_reserve', 'ringbuf_output_map', 'get_current_comm', 'get_stack', 'probe_read_kernel']);
      const lines = ['r6 = r1', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1'];
      if (helper === 'probe_read' || helper === 'probe_read_str' || helper === 'probe_read_kernel') {
        lines.push(...sizeLines('r7'), 'r1 = r10', 'r1 += -16', 'r2 = r7', 'r3 = 0', `call ${{ probe_read: 4, probe_read_str: 45, probe_read_kernel: 113 }[helper]}`);
        return { type: 'kprobe', lines: flat([...lines, 'out:', 'r0 = 0', 'exit']) };
      }
      if (helper === 'get_current_comm') {
        lines.push(...sizeLines('r7'), 'r1 = r10', 'r1 += -16', 'r2 = r7', 'call 16');
        return { type: 'kprobe', lines: flat([...lines, 'out:', 'r0 = 0', 'exit']) };
      }
      if (helper === 'get_stack') {
        lines.push(...sizeLines('r7'), 'r1 = r6', 'r2 = r10', 'r2 += -16', 'r3 = r7', 'r4 = 0', 'call 67');
        return { type: 'kprobe', lines: flat([...lines, 'out:', 'r0 = 0', 'exit']) };
      }
      if (helper === 'ringbuf_reserve') {
        lines.push(...sizeLines('r7'), 'r1 = map_fd 3 ll', 'r2 = r7', `r3 = ${d.pick([0, 0, 0, 1])}`, 'call 131', 'if r0 == 0 goto out', 'r1 = r0', 'r2 = 0', 'call 133');
        return { type: d.pick(['xdp', 'kprobe'] as const), lines: flat([...lines, 'out:', 'r0 = 0', 'exit']) };
      }
      // ring buffer output from a map value (16 bytes) at an offset
      lines.push(...lookup(1), 'if r0 == 0 goto out', 'r8 = r0', ...sizeLines('r7'), 'r1 = map_fd 3 ll', 'r2 = r8', `r2 += ${d.pick([0, 0, 8, 12])}`, 'r3 = r7', 'r4 = 0', 'call 130');
      return { type: d.pick(['xdp', 'kprobe'] as const), lines: flat([...lines, 'out:', 'r0 = 0', 'exit']) };
    },
    (d) => {
      // a map helper's key or value from memory of another kind: packet (checked to some length), map value, context, ring buffer record
      const type = d.pick(['xdp', 'sched_cls'] as const);
      const from = d.pick(['packet', 'packet', 'map_value', 'ctx', 'ringbuf', 'stack_short']);
      const role = d.pick(['key', 'key', 'value']);
      const fd = d.pick([1, 2]);
      const lines = ['r6 = r1', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1'];
      if (from === 'packet') lines.push(`r7 = *(u32 *)(r6 + ${PKT[type].data})`, `r8 = *(u32 *)(r6 + ${PKT[type].end})`, 'r3 = r7', `r3 += ${d.pick([4, 8, 16, 2])}`, 'if r3 > r8 goto out', `r7 += ${d.pick([0, 0, 4])}`);
      if (from === 'map_value') lines.push(...lookup(5), 'if r0 == 0 goto out', 'r7 = r0', `r7 += ${d.pick([0, 56, 60])}`);
      if (from === 'ctx') lines.push('r7 = r6');
      if (from === 'stack_short') lines.push('r7 = r10', `r7 += ${d.pick([-4, -8, -12])}`);
      if (from === 'ringbuf') lines.push('r1 = map_fd 3 ll', `r2 = ${d.pick([8, 16, 4])}`, 'r3 = 0', 'call 131', 'if r0 == 0 goto out', 'r9 = r0', 'r1 = 0', '*(u64 *)(r9 + 0) = r1', 'r7 = r9');
      const call = role === 'key' ? d.pick([1, 2, 3]) : 2;
      if (role === 'key') lines.push('r2 = r7', 'r3 = r10', 'r3 += -16');
      else lines.push('r2 = r10', 'r2 += -16', 'r3 = r7');
      lines.push('r4 = 0', `r1 = map_fd ${fd} ll`, `call ${call}`);
      if (from === 'ringbuf') lines.push('r1 = r9', 'r2 = 0', 'call 133');
      lines.push('out:', 'r0 = 0', 'exit');
      return { type, lines: flat(lines) };
    },
  ],
  /** Jumps, conditional jumps and calls landing on the second slot of a 64-bit load, from either side, live or dead. */
  lddw_mid: [
    (d) => {
      const shape = d.pick(['fwd', 'back', 'jmp32', 'call', 'call_ok', 'ja', 'dead_fwd', 'after']);
      const lines = ['r0 = 0'];
      switch (shape) {
        case 'fwd': lines.push('if r1 != 0 goto +1', 'r2 = 0x123456789 ll', 'exit'); break;
        case 'back': lines.push('goto +2', 'r2 = 0x123456789 ll', 'if r1 == 0 goto -2', 'exit'); break;
        case 'jmp32': lines.push('if w1 > 3 goto +1', 'r2 = 0x1 ll', 'exit'); break;
        case 'call': lines.push('call local +2', 'exit', 'r2 = 0x5 ll', 'r0 = 0', 'exit'); break;
        case 'call_ok': lines.push('call local +1', 'exit', 'r2 = 0x5 ll', 'r0 = 0', 'exit'); break;
        case 'ja': lines.push('goto +1', 'r2 = 0x1 ll', 'exit'); break;
        case 'dead_fwd': lines.push('r1 = 0', 'if r1 != 0 goto +1', 'r2 = 0x1 ll', 'exit'); break;
        case 'after': lines.push('if r1 != 0 goto +2', 'r2 = 0x1 ll', 'exit'); break;
      }
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines };
    },
  ],
  /** 64-bit operations (shifts, wrapping adds, or with high bits) followed by 32-bit refinements and a 64-bit use as an offset. */
  bounds32_64: [
    (d) => {
      const pre = d.pick([
        'r1 <<= 32', 'r1 += 0x7fffffff', 'r1 -= 1', 'r2 = 0x100000000 ll\nr1 |= r2', 'r1 s>>= 32', 'r1 >>= 32', 'r1 *= 0x10001', 'r2 = r1\nr1 <<= 32\nr1 |= r2',
        'r1 <<= 32\nr1 s>>= 32', 'r1 <<= 32\nr1 >>= 32', 'r1 = -r1', 'r2 = 0xffffffff00000000 ll\nr1 &= r2', '', 'r1 += -16',
      ]);
      const refine = d.pick([
        'if w1 > 15 goto out', 'if w1 s> 15 goto out\nif w1 s< 0 goto out', 'w1 &= 15', 'if w1 < 16 goto +1\ngoto out', 'if w1 >= 16 goto out', 'if r1 > 15 goto out',
        'if w1 > 15 goto out\nw1 = w1', 'if w1 > 15 goto out\nr1 &= 0xffffffff', 'w1 &= 15\nr1 <<= 32\nr1 >>= 32', 'if w1 == 0 goto out\nif w1 > 15 goto out',
      ]);
      const fd = d.pick([1, 5]);
      const lines = ['r6 = r1', ...lookup(fd), 'if r0 == 0 goto out', 'r9 = r0', RANDOM, 'r1 = r0', pre, refine, 'r9 += r1', `r0 = *(u8 *)(r9 + ${d.pick([0, 0, 1])})`, 'out:', 'r0 = 0', 'exit'];
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines: flat(lines) };
    },
  ],
  /** Signed and unsigned comparisons mixed on one value (against constants and registers, 64 and 32 bits, either branch kept), then the value as an offset. */
  sign_mix: [
    (d) => {
      const pre = d.pick(['', '', 'r1 <<= 32\nr1 s>>= 32', 'r1 -= 100', 'w1 += -5', 'r1 = (s32)r1', 'r1 s>>= 40']);
      const ks = [-1, -16, 0, 1, 15, 16, 0x7fffffff];
      const cmp = (): string => {
        const w = d.p(0.25) ? 'w' : 'r';
        const op = d.pick(['s>', 's<', '>', '<', 's>=', 's<=', '>=', '<=']);
        const k = d.pick(ks);
        const keep = d.p(0.5);
        if (d.p(0.3)) {
          const swap = d.p(0.5);
          return `r2 = ${k}\n${guard(swap ? `${w}2 ${op} ${w}1` : `${w}1 ${op} ${w}2`, keep)}`;
        }
        return guard(`${w}1 ${op} ${k}`, keep);
      };
      const steps = [cmp()];
      for (let i = d.int(0, 2); i > 0; i--) steps.push(cmp());
      const lines = ['r6 = r1', ...lookup(1), 'if r0 == 0 goto out', 'r9 = r0', RANDOM, 'r1 = r0', pre, ...steps, 'r9 += r1', 'r0 = *(u8 *)(r9 + 0)', 'out:', 'r0 = 0', 'exit'];
      return { type: d.pick(['xdp', 'socket_filter'] as const), lines: flat(lines) };
    },
  ],
  /** A reference (ring buffer record, socket) released on some paths only, in a subprogram, through a spilled copy, or held across an exit or tail call. */
  ref_branch: [
    (d) => {
      const ring = d.p(0.5);
      const lines = ['r6 = r1'];
      if (ring) lines.push('r1 = map_fd 3 ll', 'r2 = 8', 'r3 = 0', 'call 131');
      else lines.push('r1 = 0', ...[8, 16, 24, 32, 40].map((o) => `*(u64 *)(r10 - ${o}) = r1`), '*(u32 *)(r10 - 48) = r1', 'r1 = r6', 'r2 = r10', 'r2 += -48', 'r3 = 12', 'r4 = -1', 'r5 = 0', `call ${d.pick([84, 85])}`);
      const checked = d.p(0.85);
      if (checked) lines.push('if r0 == 0 goto out');
      lines.push('r7 = r0');
      const rel = (reg: string): string => (ring ? `r1 = ${reg}\nr2 = 0\ncall ${d.pick([132, 133])}` : `r1 = ${reg}\ncall 86`);
      const shape = d.pick(['one_branch', 'both', 'subprog', 'subprog_one', 'spill', 'spill_lost', 'early_exit', 'tail_call', 'late_null', 'cond_on_value', 'swap_regs']);
      const sub: string[] = [];
      switch (shape) {
        case 'one_branch': lines.push(RANDOM, `if r0 ${d.pick(['==', '>', 's<'])} ${d.pick([0, 5])} goto out`, rel('r7')); break;
        case 'both': lines.push(RANDOM, 'if r0 == 0 goto l', rel('r7'), 'goto out', 'l:', rel('r7')); break;
        case 'subprog': lines.push('r1 = r7', 'call local release'); sub.push('release:', ring ? 'r2 = 0\ncall 133' : 'call 86', 'r0 = 0', 'exit'); break;
        case 'subprog_one': lines.push(RANDOM, 'r2 = r0', 'r1 = r7', 'call local release'); sub.push('release:', 'if r2 == 0 goto skip', ring ? 'r2 = 0\ncall 133' : 'call 86', 'skip:', 'r0 = 0', 'exit'); break;
        case 'spill': lines.push('*(u64 *)(r10 - 56) = r7', 'r7 = 0', 'r1 = *(u64 *)(r10 - 56)', rel('r1')); break;
        case 'spill_lost': lines.push('*(u64 *)(r10 - 56) = r7', 'r7 = 0', 'r1 = 0', '*(u64 *)(r10 - 56) = r1'); break;
        case 'early_exit': lines.push(RANDOM, 'if r0 != 7 goto +2', 'r0 = 0', 'exit', rel('r7')); break;
        case 'tail_call': lines.push('r1 = r6', 'r2 = map_fd 4 ll', 'r3 = 0', 'call 12', rel('r7')); break;
        case 'late_null': lines.push(RANDOM, 'if r0 == 0 goto l', 'if r7 == 0 goto out', rel('r7'), 'goto out', 'l:', 'if r7 == 0 goto out', rel('r7')); break;
        case 'cond_on_value': lines.push(RANDOM, 'r8 = r0', 'r8 &= 1', 'if r8 == 0 goto l', rel('r7'), 'l:', 'if r8 != 0 goto out', rel('r7')); break;
        case 'swap_regs': lines.push('r8 = r7', 'r7 = 0', rel('r8')); break;
      }
      lines.push('out:', 'r0 = 0', 'exit', ...sub);
      return { type: ring ? d.pick(['xdp', 'kprobe', 'sched_cls'] as const) : 'sched_cls', lines: flat(lines) };
    },
  ],
  /** Callback return values (bpf_loop, bpf_for_each_map_elem) computed, refined by jumps, from subprograms, from memory; the allowed range is [0, 1]. */
  cb_return: [
    (d) => {
      const each = d.p(0.4);
      const body = d.pick([
        'r0 = r1\nr0 &= 1', 'r0 = r1\nr0 &= 2', 'r0 = r1\nr0 %= 2', 'w0 = 1', 'r0 = 1\nr0 <<= 1', 'r0 = r1\nr0 >>= 63', 'r0 = r1\nr0 s>>= 63',
        'call 7\nr0 >>= 31', 'call 7\nr0 >>= 30', 'call 7\nif r0 > 1 goto +1\nexit\nr0 = 1', 'call 7\nif w0 > 1 goto +1\nexit\nr0 = 0', 'call 7\nif r0 s> 1 goto +1\nexit\nr0 = 0',
        'call 7\nif r0 < 2 goto +1\nr0 = 0', 'call 7\nif r0 == 0 goto +2\nr0 = 1\nexit\nr0 = 2', 'call 7\nif r0 == 0 goto +2\nr0 = 1\nexit\nr0 = 0',
        'call local f', 'call local f\nr0 &= 1', 'r0 = 0\n*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 8)', 'r0 = 2\n*(u64 *)(r10 - 8) = r0\nr0 = *(u32 *)(r10 - 8)', 'r0 = r1\nw0 &= 1', 'r0 = -1\nw0 &= 1',
        'r0 = r1\nr0 ^= 1\nr0 &= 1', 'r0 = r1\nif r0 != 0 goto +1\nr0 = 1',
      ]);
      const f = d.pick(['r0 = 0', 'r0 = 1', 'r0 = 3', 'call 7', 'call 7\nr0 &= 1']);
      const lines: string[] = ['r1 = 0', '*(u64 *)(r10 - 8) = r1'];
      if (each) lines.push(`r1 = map_fd ${d.pick([1, 2])} ll`, 'r2 = func @cb ll', 'r3 = 0', 'r4 = 0', 'call 164');
      else lines.push(`r1 = ${d.pick([4, 100])}`, 'r2 = func @cb ll', 'r3 = 0', 'r4 = 0', 'call 181');
      lines.push('r0 = 0', 'exit', 'cb:', body, 'exit');
      if (body.includes('local f')) lines.push('f:', f, 'exit');
      return { type: d.pick(['xdp', 'kprobe', 'sched_cls'] as const), lines: flat(lines), funcInfo: true };
    },
  ],
};
