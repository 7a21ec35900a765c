/**
 * The kernel-level analysis rule by rule: each case is a small program that breaks one rule (with the
 * rule id and a piece of the kernel-style message expected) and, where it makes sense, the corrected
 * program, which must be accepted.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { VerifierError } from '../../src/errors.js';
import { analyzeFacts, checkProgram, verifyProgram, type VerifierOptions } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import { functionStarts } from '../kernel/btf-writer.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

const HASH: MapInfo = { type: 1, keySize: 4, valueSize: 8, maxEntries: 16 };
const ARRAY: MapInfo = { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 };
const RINGBUF: MapInfo = { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 };
const RODATA: MapInfo = { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, readOnly: true };
const MAPS = new Map<number, MapInfo>([[1, HASH], [2, ARRAY], [3, RINGBUF], [4, RODATA]]);

function check(src: string, options: Partial<VerifierOptions> = {}) {
  return checkProgram(assemble(src), { level: 'kernel', programType: 'socket_filter', maps: MAPS, ...options });
}
function rules(src: string, options: Partial<VerifierOptions> = {}): string[] {
  return check(src, options).filter((i) => i.severity === 'error').map((i) => i.rule);
}
function expectRule(src: string, rule: string, message: string | RegExp, options: Partial<VerifierOptions> = {}): void {
  const issues = check(src, options).filter((i) => i.severity === 'error');
  const hit = issues.find((i) => i.rule === rule);
  expect(hit, `expected ${rule}; got ${JSON.stringify(issues)}`).toBeDefined();
  if (typeof message === 'string') expect(hit!.message).toContain(message);
  else expect(hit!.message).toMatch(message);
}
function expectOk(src: string, options: Partial<VerifierOptions> = {}): void {
  expect(check(src, options).filter((i) => i.severity === 'error')).toEqual([]);
}

/** A map lookup of key 0 (on the stack) in map `fd`, leaving the result in r0. */
const lookup = (fd: number): string => `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map_fd ${fd} ll
  call 1`;

/** XDP: r2 = data, r3 = data_end. */
const XDP = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)`;

describe('registers', () => {
  it('R0 must be set before exit', () => {
    expectRule('exit', 'uninit-register', 'R0 !read_ok');
    expectOk('r0 = 0\nexit');
  });
  it('reading a register never written', () => {
    expectRule('r0 = r2\nexit', 'uninit-register', 'R2 !read_ok');
    expectRule('r0 = 1\nr0 += r7\nexit', 'uninit-register', 'R7 !read_ok');
  });
  it('helper calls clobber r1-r5', () => {
    expectRule('r1 = 5\ncall 7\nr0 = r1\nexit', 'uninit-register', 'R1 !read_ok');
    expectOk('r6 = 5\ncall 7\nr0 = r6\nexit');
  });
});

describe('map values', () => {
  it('a lookup result is map_value_or_null until checked', () => {
    expectRule(`${lookup(1)}\nr0 = *(u64 *)(r0 + 0)\nexit`, 'invalid-mem-access', "R0 invalid mem access 'map_value_or_null'");
    expectOk(`${lookup(1)}\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`);
    expectOk(`${lookup(1)}\nif r0 != 0 goto found\nr0 = 0\nexit\nfound:\nr0 = *(u64 *)(r0 + 0)\nexit`);
  });
  it('copies of the pointer are checked together', () => {
    expectOk(`${lookup(1)}\nr6 = r0\nif r0 == 0 goto out\nr0 = *(u64 *)(r6 + 0)\nexit\nout:\nr0 = 0\nexit`);
  });
  it('accesses stay within value_size', () => {
    expectRule(`${lookup(1)}\nif r0 == 0 goto out\nr0 = *(u64 *)(r0 + 4)\nout:\nr0 = 0\nexit`, 'map-value-access', 'invalid access to map value, value_size=8 off=4 size=8');
    expectOk(`${lookup(1)}\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 4)\nout:\nr0 = 0\nexit`);
  });
  it('a variable index needs both bounds', () => {
    const idx = (check: string): string => `${lookup(2)}\nif r0 == 0 goto out\nr6 = r0\ncall 7\nr1 = r0\n${check}\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nout:\nr0 = 0\nexit`;
    expectRule(idx(''), 'pointer-arithmetic', 'unbounded');
    expectOk(idx('if r1 > 15 goto out'));
    expectRule(idx('if r1 > 16 goto out'), 'map-value-access', 'invalid access to map value');
    expectOk(idx('r1 &= 15'));
    // a signed check leaves the low bound open
    expectRule(idx('if r1 s> 15 goto out'), 'pointer-arithmetic', 'unbounded min value');
    // a variable part that may be negative: refused at once (the kernel refuses any access through it)
    expectRule(idx('if r1 s> 15 goto out\nif r1 s< -8 goto out'), 'pointer-arithmetic', 'may be negative');
  });
  it('writes into a read-only map are refused', () => {
    expectRule('r1 = map_value 4 ll\nr2 = 1\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit', 'read-only-write', 'write into map forbidden');
    expectOk('r1 = map_value 4 ll\nr0 = *(u32 *)(r1 + 4)\nexit');
  });
  it('a map reference must name a known map', () => {
    expectRule('r1 = map_fd 9 ll\nr0 = 0\nexit', 'map-reference', 'fd 9 is not pointing to valid bpf_map');
  });
  it('storing a pointer into a map value is refused', () => {
    const src = `${lookup(1)}\nif r0 == 0 goto out\n*(u64 *)(r0 + 0) = r10\nout:\nr0 = 0\nexit`;
    expectRule(src, 'pointer-leak', 'R10 leaks addr into map', { privileged: false });
    expectOk(src); // a privileged loader may (the kernel accepts it as root)
  });
});

describe('stack', () => {
  it('reads of bytes never written (unprivileged rules)', () => {
    const strict = { privileged: false };
    expectRule('r0 = *(u64 *)(r10 - 8)\nexit', 'uninit-stack-read', 'invalid read from stack', strict);
    expectRule('r1 = 0\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit', 'uninit-stack-read', 'byte -4', strict);
    expectOk('r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit', strict);
    // a privileged loader reads an unknown number, as the kernel does for root
    expectOk('r0 = *(u64 *)(r10 - 8)\nexit');
  });
  it('accesses stay inside the 512 bytes below r10', () => {
    expectRule('r1 = 0\n*(u64 *)(r10 + 0) = r1\nr0 = 0\nexit', 'stack-access', 'invalid write to stack');
    expectRule('r1 = 0\n*(u64 *)(r10 - 520) = r1\nr0 = 0\nexit', 'stack-access', 'invalid write to stack');
    expectOk('r1 = 0\n*(u64 *)(r10 - 512) = r1\nr0 = 0\nexit');
  });
  it('spilled pointers keep their type and must be spilled whole', () => {
    expectOk('*(u64 *)(r10 - 8) = r1\nr1 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r1 + 0)\nexit');
    expectRule('*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit', 'pointer-spill', 'invalid size of register spill');
  });
  it('spilled scalars keep their range', () => {
    expectOk(`${lookup(2)}\nif r0 == 0 goto out\nr6 = r0\ncall 7\nr0 &= 7\n*(u64 *)(r10 - 16) = r0\nr1 = *(u64 *)(r10 - 16)\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nout:\nr0 = 0\nexit`);
  });
});

describe('context', () => {
  it('fields per program type', () => {
    expectOk('r0 = *(u32 *)(r1 + 0)\nexit'); // skb->len
    expectRule('r0 = *(u32 *)(r1 + 76)\nexit', 'ctx-access', 'invalid bpf_context access off=76 size=4'); // socket filters: no data
    expectOk('r0 = *(u32 *)(r1 + 76)\nr0 = 0\nexit', { programType: 'sched_cls' });
    expectRule('r0 = *(u32 *)(r1 + 200)\nexit', 'ctx-access', 'off=200');
    expectRule('r0 = *(u32 *)(r1 + 2)\nexit', 'ctx-access', 'misaligned');
  });
  it('writes only to writable fields', () => {
    expectOk('r2 = 7\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit', { programType: 'sched_cls' }); // mark
    expectRule('r2 = 7\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit', 'ctx-access', 'read-only'); // socket filter
    expectRule('r2 = 7\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit', 'ctx-access', 'read-only', { programType: 'sched_cls' });
    // an immediate store is a store (Linux 6.3 and later; 6.18 accepts it for every type with writable fields)
    expectOk('*(u32 *)(r1 + 8) = 7\nr0 = 0\nexit', { programType: 'sched_cls' });
    expectRule('*(u32 *)(r1 + 0) = 7\nr0 = 0\nexit', 'ctx-access', 'read-only', { programType: 'sched_cls' });
    expectRule('r2 = 1\nlock *(u32 *)(r1 + 8) += r2\nr0 = 0\nexit', 'ctx-access', 'BPF_ATOMIC stores into R1 ctx is not allowed', { programType: 'sched_cls' });
    expectRule('*(u32 *)(r1 + 48) = r10\nr0 = 0\nexit', 'pointer-leak', 'leaks addr into ctx', { privileged: false });
    expectRule('r2 = 1\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit', 'ctx-access', 'read-only', { programType: 'kprobe' });
  });
  it("xdp's egress_ifindex only for a devmap program (attachType 'xdp_devmap'), as the kernel has it", () => {
    const src = 'r0 = *(u32 *)(r1 + 20)\nr0 = 2\nexit';
    expectRule(src, 'ctx-access', 'invalid bpf_context access off=20 size=4', { programType: 'xdp' });
    expectOk(src, { programType: 'xdp', attachType: 'xdp_devmap' });
    expect(() => check(src, { programType: 'xdp', attachType: 'devmap' as never })).toThrow(/attachType/);
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    // BPF_XDP_DEVMAP is expected attach type 33
    const [plain, devmap] = k.verdicts([{ type: 'xdp', insns: assemble(src) }, { type: 'xdp', insns: assemble(src), attachType: 33 }]);
    expect([plain!.accepted, devmap!.accepted]).toEqual([false, true]);
  });
  it('a moved context pointer cannot be dereferenced', () => {
    expectRule('r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit', 'ctx-access', 'dereference of modified ctx ptr');
  });
});

describe('packet', () => {
  const access = (cmp: string, off = 13): string => `${XDP}\nr4 = r2\nr4 += 14\n${cmp}\nr0 = *(u8 *)(r2 + ${off})\nexit\nout:\nr0 = 2\nexit`;
  it('needs a data + n <= data_end proof, in every form clang emits', () => {
    expectRule(`${XDP}\nr0 = *(u8 *)(r2 + 0)\nexit`, 'packet-access', 'invalid access to packet', { programType: 'xdp' });
    for (const cmp of ['if r4 > r3 goto out', 'if r3 < r4 goto out']) {
      expectOk(access(cmp), { programType: 'xdp' });
      expectRule(access(cmp, 14), 'packet-access', 'off=14 size=1', { programType: 'xdp' });
    }
    // the proof on the taken edge: jump into the access
    for (const cmp of ['if r4 <= r3 goto ok', 'if r3 >= r4 goto ok']) {
      const src = `${XDP}\nr4 = r2\nr4 += 14\n${cmp}\nr0 = 2\nexit\nok:\nr0 = *(u8 *)(r2 + 13)\nexit`;
      expectOk(src, { programType: 'xdp' });
    }
    // strict comparison proves one byte more
    expectOk(`${XDP}\nr4 = r2\nr4 += 14\nif r4 >= r3 goto out\nr0 = *(u8 *)(r2 + 14)\nexit\nout:\nr0 = 2\nexit`, { programType: 'xdp' });
  });
  it('a variable offset is proved through its own comparison', () => {
    const src = `${XDP}\nr5 = *(u8 *)(r2 + 0)\nexit`;
    expectRule(src, 'packet-access', 'invalid access to packet', { programType: 'xdp' });
    expectOk(`${XDP}\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\nr5 = *(u8 *)(r2 + 0)\nr5 &= 15\nr2 += r5\nr4 = r2\nr4 += 2\nif r4 > r3 goto out\nr0 = *(u16 *)(r2 + 0)\nexit\nout:\nr0 = 2\nexit`, { programType: 'xdp' });
  });
  it('packet-changing helpers invalidate packet pointers', () => {
    const src = `${XDP}\nr4 = r2\nr4 += 14\nif r4 > r3 goto out\nr6 = r2\nr2 = 0\ncall 44\nr0 = *(u8 *)(r6 + 0)\nexit\nout:\nr0 = 2\nexit`;
    expectRule(src, 'invalid-mem-access', "R6 invalid mem access 'scalar'", { programType: 'xdp' });
  });
  it('socket filters cannot write packets; arithmetic on data_end is refused', () => {
    expectRule(`${XDP}\nr3 += 1\nr0 = 0\nexit`, 'pointer-arithmetic', 'pointer arithmetic on pkt_end prohibited', { programType: 'xdp' });
    const write = 'r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto out\nr5 = 1\n*(u8 *)(r2 + 0) = r5\nout:\nr0 = 0\nexit';
    expectRule(write, 'ctx-access', 'invalid bpf_context access');
    expectOk(write, { programType: 'sched_cls' });
    expectRule(write, 'packet-access', 'cannot write into packet', { programType: 'cgroup_skb' });
  });
  it('a fixed-size memory argument needs all its bytes (bpf_tcp_raw_check_syncookie_ipv4: two 20-byte headers)', () => {
    const call = (n: number): string => `${XDP}\nr4 = r2\nr4 += ${n}\nif r4 > r3 goto out\nr1 = r2\nr2 += 20\ncall 206\nexit\nout:\nr0 = 2\nexit`;
    expectOk(call(40), { programType: 'xdp' });
    expectRule(call(39), 'packet-access', 'invalid access to packet', { programType: 'xdp' });
  });
  it('data_end - data is a length', () => {
    expectOk(`${XDP}\nr3 -= r2\nr0 = r3\nr0 = 2\nexit`, { programType: 'xdp' });
  });
});

describe('pointer arithmetic', () => {
  it('only + and - move a pointer, in 64 bits', () => {
    expectRule('r1 *= 2\nr0 = 0\nexit', 'pointer-arithmetic', 'pointer arithmetic with mul operator prohibited');
    expectRule('r1 &= 2\nr0 = 0\nexit', 'pointer-arithmetic', 'bitwise operator and on pointer prohibited');
    expectRule('w1 += 2\nr0 = 0\nexit', 'pointer-arithmetic', '32-bit pointer arithmetic prohibited');
    expectRule('r2 = r10\nr2 += r10\nr0 = 0\nexit', 'pointer-arithmetic', 'pointer += pointer prohibited');
    expectRule(`${lookup(1)}\nr0 += 1\nr0 = 0\nexit`, 'pointer-arithmetic', 'map_value_or_null prohibited');
  });
});

describe('exit', () => {
  it('R0 must be a number; cgroup_skb must return 0 or 1', () => {
    expectRule('r0 = r10\nexit', 'return-value', 'R0 leaks addr as return value', { privileged: false });
    expectOk('r0 = r10\nexit');
    expectRule('r0 = r10\nexit', 'return-value', 'not a known value', { programType: 'cgroup_skb' });
    expectRule('r0 = 2\nexit', 'return-value', 'should have been in [0, 1]', { programType: 'cgroup_skb' });
    expectOk('r0 = 1\nexit', { programType: 'cgroup_skb' });
    expectOk('r0 = 7\nexit', { programType: 'xdp' });
  });
});

describe('helpers', () => {
  it('unknown helpers are refused', () => {
    expectRule('call 9999\nr0 = 0\nexit', 'helper-unknown', 'invalid func unknown#9999');
    expectRule('call 180\nr0 = 0\nexit', 'helper-unknown', 'bpf_find_vma#180 has no prototype');
  });
  it('a helper the host runs but the analysis has no prototype for is a warning, its result any number', () => {
    const helpers = new Map([[9999, () => 0n], [180, () => 0n]]);
    for (const id of [9999, 180]) {
      const issues = check(`call ${id}\nr0 &= 1\nexit`, { helpers });
      expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
      expect(issues.find((i) => i.rule === 'helper-unknown')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/no prototype in the analysis: its arguments are not checked/) });
    }
    // Its result is not a pointer: dereferencing it is still refused.
    expectRule('call 9999\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit', 'invalid-mem-access', "R0 invalid mem access 'scalar'", { helpers });
  });
  it('argument types and sizes', () => {
    expectRule('r1 = map_fd 1 ll\nr2 = 0\ncall 1\nr0 = 0\nexit', 'helper-argument', 'R2 type=scalar');
    expectRule('r1 = 0\ncall 1\nr0 = 0\nexit', 'helper-argument', 'R1 type=scalar expected=map_ptr');
    expectRule('r1 = map_fd 1 ll\nr2 = r10\nr2 += -4\ncall 1\nr0 = 0\nexit', 'uninit-stack-read', 'invalid indirect read from stack', { privileged: false });
    // a size from an unknown number must be bounded
    expectRule('call 7\nr2 = r0\nr1 = r10\nr1 += -64\nr3 = 0\ncall 4\nr0 = 0\nexit', 'helper-argument', 'R2 min value is negative', { programType: 'kprobe' });
    expectRule('call 7\nr2 = r0\nr2 >>= 1\nr1 = r10\nr1 += -64\nr3 = 0\ncall 4\nr0 = 0\nexit', 'helper-argument', 'unbounded memory access', { programType: 'kprobe' });
    expectOk('call 7\nr2 = r0\nr2 &= 63\nr1 = r10\nr1 += -64\nr3 = 0\ncall 4\nr0 = 0\nexit', { programType: 'kprobe' });
    expectRule('call 7\nr2 = r0\nr2 &= 127\nr1 = r10\nr1 += -64\nr3 = 0\ncall 4\nr0 = 0\nexit', 'stack-access', 'invalid indirect access to stack', { programType: 'kprobe' });
    expectRule('r1 = map_fd 1 ll\nr2 = r10\nr3 = 0\ncall 130\nr0 = 0\nexit', 'helper-argument', 'cannot pass map_type 1');
  });
  it('helpers per program type, and r0 after a helper that returns nothing', () => {
    // the kernel: "program of this type cannot use helper" (socket filters cannot redirect, XDP cannot write an skb)
    expectRule('r1 = 1\nr2 = 0\ncall 23\nexit', 'helper-program-type', 'cannot use helper bpf_redirect#23');
    expectOk('r1 = 1\nr2 = 0\ncall 23\nexit', { programType: 'sched_cls' });
    expectRule('r2 = 0\nr3 = r10\nr3 += -8\nr4 = 1\nr5 = 0\ncall 9\nr0 = 0\nexit', 'helper-program-type', 'bpf_skb_store_bytes#9', { programType: 'xdp' });
    // bpf_tail_call leaves r0 unreadable (it only returns when the call fails)
    expectRule('r2 = map_fd 5 ll\nr3 = 0\ncall 12\nexit', 'uninit-register', 'R0 !read_ok', { maps: new Map([[5, { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 }]]) });
  });
  it('probe_read initialises the stack it writes', () => {
    expectOk('r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\ncall 4\nr0 = *(u64 *)(r10 - 16)\nexit', { programType: 'kprobe' });
  });
  it('ring buffer records are tracked references', () => {
    const reserve = 'r1 = map_fd 3 ll\nr2 = 16\nr3 = 0\ncall 131';
    expectRule(`${reserve}\nr0 = 0\nexit`, 'unreleased-reference', 'Unreleased reference');
    expectRule(`${reserve}\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit`, 'helper-argument', 'expected=ringbuf_mem');
    expectRule(`${reserve}\nif r0 == 0 goto out\nr0 = 0\nexit\nout:\nr0 = 0\nexit`, 'unreleased-reference', 'alloc_insn=4');
    expectOk(`${reserve}\nif r0 == 0 goto out\nr1 = 5\n*(u64 *)(r0 + 8) = r1\nr1 = r0\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit`);
    expectOk(`${reserve}\nif r0 == 0 goto out\nr1 = r0\nr2 = 0\ncall 133\nout:\nr0 = 0\nexit`);
    expectRule(`${reserve}\nif r0 == 0 goto out\nr1 = 5\n*(u64 *)(r0 + 16) = r1\nr1 = r0\nr2 = 0\ncall 132\nout:\nr0 = 0\nexit`, 'mem-access', 'mem_size=16 off=16');
    // a submitted record cannot be used again
    expectRule(`${reserve}\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\nr2 = 0\ncall 132\nr1 = *(u64 *)(r6 + 0)\nout:\nr0 = 0\nexit`, 'invalid-mem-access', "R6 invalid mem access 'scalar'");
  });
});

describe('control flow', () => {
  it('unreachable instructions', () => {
    expectRule('r0 = 0\nexit\nr0 = 1\nexit', 'unreachable', 'unreachable insn 2');
  });
  it('bounded loops are accepted, unbounded ones reported', () => {
    expectOk('r1 = 0\nloop:\nr1 += 1\nif r1 < 100 goto loop\nr0 = 0\nexit');
    expectOk('r1 = 100\nloop:\nr1 -= 1\nif r1 != 0 goto loop\nr0 = 0\nexit');
    expectOk('r1 = 0\nloop:\nif r1 > 50 goto out\nr1 += 3\ngoto loop\nout:\nr0 = 0\nexit');
    expectRule('r1 = 0\nloop:\nr1 += 0\nif r1 < 100 goto loop\nr0 = 0\nexit', 'unbounded-loop', 'infinite loop detected at insn 1');
    expectRule('loop:\nr0 = 0\ngoto loop', 'unbounded-loop', 'back-edge from insn 1 to 0');
    expectRule('r1 = 0\nloop:\nr1 += 1\nif r1 < 100000000 goto loop\nr0 = 0\nexit', 'unbounded-loop', 'complexity limit');
    // a counter kept on the stack: proved by running the body iteration by iteration
    expectOk('r1 = 0\n*(u64 *)(r10 - 8) = r1\nloop:\nr1 = *(u64 *)(r10 - 8)\nr1 += 1\n*(u64 *)(r10 - 8) = r1\nif r1 < 5 goto loop\nr0 = 0\nexit');
  });
  it('functions: jumps stay inside, no recursion, r6-r9 survive calls', () => {
    expectOk('r6 = 1\ncall local f\nr0 = r6\nexit\nf:\nr0 = 2\nexit');
    expectRule('call local f\nr0 = 0\nexit\nf:\ncall local f\nr0 = 0\nexit', 'call-stack', 'recursive call');
    expectRule('call local f\nr0 = 0\nback:\nexit\nf:\nr0 = 0\ngoto back', 'subprogram', 'jump out of range');
    // a callee reads its caller's stack through a pointer argument
    expectOk('r1 = 7\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\ncall local f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)\nexit');
    expectRule('r1 = r10\nr1 += -8\ncall local f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)\nexit', 'uninit-stack-read', 'invalid read from stack', { privileged: false });
    expectRule('call local f\nexit\nf:\nr0 += 1\nexit', 'uninit-register', 'R0 !read_ok');
  });
  it('too deep a call chain', () => {
    const chain = Array.from({ length: 9 }, (_, k) => `f${k}:\ncall local f${k + 1}\nexit`).join('\n');
    expectRule(`call local f0\nexit\n${chain}\nf9:\nr0 = 0\nexit`, 'call-stack', 'frames is too deep');
  });
});

describe('arithmetic as the kernel treats it', () => {
  it('division by a register that may be zero is allowed; by the immediate 0 it is not', () => {
    expectOk('r0 = 5\nr1 = 0\nr0 /= r1\nexit');
    expectOk('r0 = 5\nr1 = 0\nr0 %= r1\nexit');
    expect(rules('r0 = 5\nr0 /= 0\nexit')).toContain('division-by-zero');
  });
  it('shift immediates out of range are errors at the kernel level', () => {
    expect(rules('r0 = 1\nr0 <<= 64\nexit')).toContain('shift-range');
  });
  it('32-bit jumps refine the register when its high half is zero', () => {
    expectOk(`${lookup(2)}\nif r0 == 0 goto out\nr6 = r0\ncall 7\nr1 = r0\nr1 &= 0xffff\nif w1 > 15 goto out\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nout:\nr0 = 0\nexit`);
  });
  it('legacy packet loads only in socket-buffer programs', () => {
    expectOk('r6 = r1\nr0 = *(u8 *)skb[12]\nexit');
    expectRule('r6 = r1\nr0 = *(u8 *)skb[12]\nexit', 'unsupported', 'not allowed for this program type', { programType: 'xdp' });
  });
});

describe('interface', () => {
  it('verifyProgram throws the first problem as a VerifierError with its pc', () => {
    const prog = assemble('r0 = 0\nr0 = *(u64 *)(r10 - 8)\nexit');
    let err: unknown;
    try {
      verifyProgram(prog, { level: 'kernel', privileged: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).pc).toBe(1);
    expect((err as VerifierError).code).toBe('E_VERIFY');
  });
  it('the shape level stays the default', () => {
    expect(checkProgram(assemble('r0 = *(u64 *)(r10 - 8)\nexit'))).toEqual([]);
  });
  it('an unknown program type is an argument error', () => {
    expect(() => checkProgram(assemble('r0 = 0\nexit'), { level: 'kernel', programType: 'bogus' as never })).toThrow(/options\.programType must be one of .*'xdp'.*not 'bogus'/);
  });
  it('maps may be a plain object', () => {
    expect(checkProgram(assemble(`${lookup(1)}\nr0 = 0\nexit`), { level: 'kernel', maps: { 1: HASH } })).toEqual([]);
  });
  it('facts give the type and range of every register at every pc', () => {
    const { facts, issues } = analyzeFacts(assemble(`${XDP}\nr4 = r2\nr4 += 14\nif r4 > r3 goto out\nr0 = *(u8 *)(r2 + 13)\nexit\nout:\nr0 = 2\nexit`), { programType: 'xdp' });
    expect(issues).toEqual([]);
    expect(facts.regs[0]![1]!.type).toBe('ctx');
    expect(facts.regs[5]![2]!.type).toBe('packet');
    expect(facts.regs[5]![0]!.type).toBe('uninit');
    const afterLoad = facts.regs[6]![0]!;
    expect(afterLoad.type).toBe('scalar');
    expect(afterLoad.scalar.umax).toBe(255n);
    const loop = analyzeFacts(assemble('r1 = 0\nloop:\nr1 += 1\nif r1 < 100 goto loop\nr0 = 0\nexit'));
    expect(loop.facts.loops).toEqual([{ head: 1, backEdge: 2, test: 2, maxIterations: expect.any(BigInt) }]);
    expect(loop.facts.loops[0]!.maxIterations).toBeLessThanOrEqual(102n);
  });
});

describe('map pointers joined from several paths', () => {
  // r6 picks one of two maps, as clang emits for `f(cond ? &a : &b)`; the kernel walks each path
  const pick = (a: number, b: number): string => `
    r6 = *(u32 *)(r1 + 0)
    r1 = map_fd ${a} ll
    if r6 == 0 goto join
    r1 = map_fd ${b} ll
  join:
    r7 = r1
    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r2 = r10
    r2 += -8
    r1 = r7`;
  it('a lookup on either map is accepted, and its value is checked against the smaller value', () => {
    expectOk(`${pick(1, 2)}
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit`);
    expectRule(`${pick(1, 2)}
call 1
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 8)
out:
r0 = 0
exit`, 'map-value-access', /value_size=8/);
  });
  it('the key must fit the larger key of the two', () => {
    const m = new Map<number, MapInfo>([[1, HASH], [5, { type: 1, keySize: 16, valueSize: 8, maxEntries: 4 }]]);
    expectRule(`${pick(1, 5)}
call 1
r0 = 0
exit`, 'stack-access', /size=16/, { maps: m });
  });
  it('each map of the set must suit the helper', () => {
    expectRule(`${pick(1, 3)}
call 1
r0 = 0
exit`, 'helper-argument', /cannot pass map_type 27/);
  });
});

// classes found by the rule families of families-rules.ts (bounds, null_infer, ld_imm64, ctx_narrow, dead_code), each checked against the kernel
describe('rules from the rule families', () => {
  const DEAD = (bad: string): string => `r0 = 0\nr1 = 0\nif r1 != 0 goto +2\nexit\nexit\n${bad}\nexit`;
  it('shape rules the kernel checks as its walk reaches an instruction refuse it only where reached', () => {
    for (const bad of ['r10 = 1', 'r0 /= 0', 'w0 s%= 0', 'r0 <<= 64', '.byte 0xb7, 0x0b, 0, 0, 0, 0, 0, 0']) {
      const dead = `r0 = 0\nr1 = 0\nif r1 != 0 goto bad\nexit\nbad:\n${bad}\nexit`;
      expectOk(dead);
      expect(rules(`r0 = 0\n${bad}\nexit`).length, bad).toBeGreaterThan(0);
    }
    expect(rules(DEAD('r0 = 1'))).toContain('unreachable');
  });
  it('known bits decide jumps: jset on bits a range cannot have, == a value its trailing zeros exclude', () => {
    expectOk('call 7\nr0 &= 3\nif r0 & 4 goto +2\nr0 = 0\nexit\nr0 = r5\nexit');
    expectOk('call 7\nr0 &= 0xf0\nif r0 & 4 goto +2\nr0 = 0\nexit\nr0 = r5\nexit');
    expectOk('call 7\nr0 <<= 2\nif r0 == 0x41 goto +2\nr0 = 0\nexit\nr0 = r5\nexit');
    expectRule('call 7\nr0 &= 7\nif r0 & 4 goto +2\nr0 = 0\nexit\nr0 = r5\nexit', 'uninit-register', 'R5 !read_ok');
  });
  it('and, or and xor act on known bits: masks that share no bit leave 0, xor of a known bit moves the range', () => {
    const v = `${lookup(2)}\nr6 = r0\ncall 7\nr1 = r0`; // an array lookup of key 0 < max_entries: not null
    expectOk(`${v}\nr1 &= 15\nr1 &= 0x30\nr6 += r1\nr0 = *(u64 *)(r6 + 8)\nr0 = 0\nexit`);
    expectRule(`${v}\nr1 &= 15\nr1 &= 0x18\nr6 += r1\nr0 = *(u64 *)(r6 + 8)\nr0 = 0\nexit`, 'map-value-access', 'value_size=16');
    expectOk(`${v}\nr1 &= 0xff\nr1 ^= 0x100\nif r1 >= 48 goto +2\nr0 = r9\nexit\nr0 = 0\nexit`);
  });
  it('a nullable map value equal to a checked one is not null (that register only, not its copies)', () => {
    const two = `${lookup(1)}\nr6 = r0\n${lookup(1)}\nif r0 == 0 goto +4\nr8 = r6`;
    expectOk(`${two}\nif r6 != r0 goto +1\nr1 = *(u32 *)(r6 + 0)\nr0 = 0\nexit`);
    expectRule(`${two}\nif r6 != r0 goto +1\nr1 = *(u32 *)(r8 + 0)\nr0 = 0\nexit`, 'invalid-mem-access', 'map_value_or_null');
    expectRule(`${lookup(1)}\nr6 = r0\nr7 = r10\nif r6 != r7 goto +1\nr1 = *(u32 *)(r6 + 0)\nr0 = 0\nexit`, 'invalid-mem-access', 'map_value_or_null');
  });
  it("a map load's second slot imm is 0; a value's address only of a one-entry array", () => {
    expectRule('.byte 0x18, 0x11, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0\nr0 = 0\nexit', 'map-reference', 'unrecognized bpf_ld_imm64');
    expectRule('.byte 0x18, 0x21, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0\nr0 = 0\nexit', 'map-value-access', 'no direct value access');
    expectRule('.byte 0x18, 0x21, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0\nr0 = 0\nexit', 'map-value-access', 'only a one-entry array');
    expectOk('.byte 0x18, 0x21, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit');
  });
  it("a tracepoint's first 8 bytes (the record's common fields) are not readable", () => {
    expectRule('r0 = *(u32 *)(r1 + 4)\nr0 = 0\nexit', 'ctx-access', 'common fields', { programType: 'tracepoint' });
    expectOk('r0 = *(u16 *)(r1 + 8)\nr0 = 0\nexit', { programType: 'tracepoint' });
  });
});

// classes found by the held-out families of families-held.ts, each checked against the kernel
describe('rules from the held-out families', () => {
  const v = `${lookup(2)}\nr6 = r0\ncall 7\nr1 = r0`; // a 16-byte array value in r6 (key 0: not null), a random number in r1
  /** Each program's verdict (true: accepted) by the analysis, and by the live kernel where it answers. */
  const verdicts = (srcs: readonly string[], options: Partial<VerifierOptions> = {}): { tsbpf: boolean[]; kernel?: boolean[] } => {
    const tsbpf = srcs.map((s) => check(s, options).every((i) => i.severity !== 'error'));
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return { tsbpf };
    }
    const table = options.maps instanceof Map ? options.maps : MAPS;
    const maps = Object.fromEntries([...table].filter(([, m]) => m.readOnly !== true).map(([fd, m]) => [fd, { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }]));
    const type = options.programType === undefined ? 'socket_filter' : (options.programType as 'socket_filter');
    // a callback (bpf_loop's) needs BTF func_info: one function at each call or function-pointer target
    const funcInfo = (insns: Uint8Array): number[] | undefined => (srcs.some((s) => s.includes('func ')) ? functionStarts(insns) : undefined);
    return { tsbpf, kernel: k.verdicts(srcs.map((s) => { const insns = assemble(s); const fi = funcInfo(insns); return { type, insns, maps, logLevel: 0, ...(fi === undefined ? {} : { funcInfo: fi }) }; })).map((x) => x.accepted) };
  };
  const expectVerdicts = (srcs: readonly string[], expected: readonly boolean[], options: Partial<VerifierOptions> = {}): void => {
    const r = verdicts(srcs, options);
    expect(r.tsbpf).toEqual(expected);
    if (r.kernel !== undefined) expect(r.kernel).toEqual(expected);
  };
  it('a 32-bit jump narrows the 64-bit bounds where the low half decides them: a known high half, or a 64-bit value within 32 signed bits', () => {
    expectVerdicts([
      `${v}\nr1 <<= 32\nr1 s>>= 32\nif w1 s> 15 goto +3\nif w1 s< 0 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit`,
      `${v}\nr1 >>= 40\nif w1 > 15 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit`,
      // the high half unknown: the 64-bit value is still unbounded
      `${v}\nif w1 > 15 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit`,
    ], [true, true, false]);
  });
  it('known zero low bits: a 32-bit view of a value shifted left 32 is 0, and bounds round to the multiples the value can take', () => {
    expectVerdicts([
      `${v}\nr1 <<= 32\nif w1 > 15 goto +2\nw1 = w1\nr6 += r1\nr0 = *(u8 *)(r6 + 1)\nr0 = 0\nexit`,
      `${v}\nr2 = 0xffffffff00000000 ll\nr1 &= r2\nif r1 > 15 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 15)\nr0 = 0\nexit`,
      `${v}\nr1 &= -4\nif r1 > 15 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 3)\nr0 = 0\nexit`,
      `${v}\nr1 &= -4\nif r1 > 15 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 4)\nr0 = 0\nexit`,
    ], [true, true, true, false]);
  });
  it('a tail call holding a reference is refused (the reference could never be released)', () => {
    const rec = 'r1 = map_fd 3 ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +10\nr7 = r0';
    const tail = 'r1 = r6\nr2 = map_fd 5 ll\nr3 = 0\ncall 12';
    const release = 'r1 = r7\nr2 = 0\ncall 133';
    const maps = new Map<number, MapInfo>([...MAPS, [5, { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 }]]);
    expectVerdicts([`r6 = r1\n${rec}\n${tail}\n${release}\nr0 = 0\nexit`, `r6 = r1\n${rec}\n${release}\n${tail}\nr0 = 0\nexit`], [false, true], { programType: 'xdp', maps });
  });
  it('part of a spilled pointer is never read, from inside the spill or at its start with fewer bytes', () => {
    expectVerdicts([
      'r6 = r1\n*(u64 *)(r10 - 8) = r6\nr3 = *(u32 *)(r10 - 4)\nr0 = 0\nexit',
      'r6 = r1\n*(u64 *)(r10 - 16) = r6\nr3 = *(u8 *)(r10 - 9)\nr0 = 0\nexit',
      'r6 = r1\n*(u64 *)(r10 - 8) = r6\nr3 = *(u32 *)(r10 - 8)\nr0 = 0\nexit',
      'r6 = r1\n*(u64 *)(r10 - 8) = r6\nr3 = *(u64 *)(r10 - 8)\nr0 = 0\nexit',
    ], [false, false, false, true]);
  });
  it("bpf_loop's index reaches its callback as an unknown 64-bit number", () => {
    const loop = (body: string): string => `r1 = 4\nr2 = func 6 ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\n${body}\nexit`;
    expectVerdicts([loop('r0 = r1\nr0 s>>= 63'), loop('r0 = r1\nr0 &= 1')], [false, true], { programType: 'xdp' });
  });
  it('BPF_F_STRICT_ALIGNMENT: packet offsets aligned counting 2 bytes before data, map value offsets aligned', () => {
    const pkt = (acc: string): string => `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 24\nif r4 > r3 goto +1\n${acc}\nr0 = 0\nexit`;
    const srcs = [pkt('r0 = *(u32 *)(r2 + 14)'), pkt('r0 = *(u32 *)(r2 + 12)'), pkt('r0 = *(u16 *)(r2 + 12)'), `${v}\nr0 = *(u32 *)(r6 + 4)\nr0 = 0\nexit`, `${v}\nr0 = *(u32 *)(r6 + 6)\nr0 = 0\nexit`];
    const k = kernelOracle();
    const flagged = typeof k === 'string' ? undefined : k.verdicts(srcs.map((s) => ({ type: 'xdp', insns: assemble(s), maps: { 2: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 } }, logLevel: 0, progFlags: 1 }))).map((x) => x.accepted);
    const mine = srcs.map((s) => check(s, { programType: 'xdp', strictAlignment: true }).every((i) => i.severity !== 'error'));
    expect(mine).toEqual([true, false, true, true, false]);
    if (flagged !== undefined) expect(flagged).toEqual(mine);
    // without the flag every one is accepted
    expect(srcs.map((s) => check(s, { programType: 'xdp' }).every((i) => i.severity !== 'error'))).toEqual([true, true, true, true, true]);
  });
  it('a 64-bit jump after a 32-bit one: the 32-bit bounds narrow the new 64-bit ones', () => {
    expectVerdicts([
      `${v}\nif w1 s>= 15 goto +3\nif r1 > 16 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 1)\nr0 = 0\nexit`,
      `${v}\nif w1 s>= 16 goto +3\nif r1 > 16 goto +2\nr6 += r1\nr0 = *(u8 *)(r6 + 1)\nr0 = 0\nexit`,
    ], [true, false]);
  });
  it("root may read the first bytes of a map's kernel object through its pointer, never write them", () => {
    expectVerdicts([
      'r1 = map_fd 2 ll\nr0 = *(u64 *)(r1 + 0)\nr0 = 0\nexit',
      'r1 = map_fd 2 ll\nr0 = *(u32 *)(r1 + 28)\nr0 = 0\nexit',
      'r1 = map_fd 2 ll\n*(u64 *)(r1 + 0) = 1\nr0 = 0\nexit',
      'r1 = map_fd 2 ll\ncall 7\nr0 &= 8\nr1 += r0\nr0 = *(u64 *)(r1 + 0)\nr0 = 0\nexit',
    ], [true, true, false, false]);
    expectRule('r1 = map_fd 2 ll\nr0 = *(u64 *)(r1 + 0)\nr0 = 0\nexit', 'invalid-mem-access', "invalid mem access 'map_ptr'", { privileged: false });
  });
  it('a map load by index (lddw source 5 or 6) needs an fd_array', () => {
    const src = '.byte 0x18, 0x51, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0\nr0 = 0\nexit';
    expectVerdicts([src], [false], { fdArray: false });
    expectOk(src);
  });
  it('a shift by a register gives any number unless the amount is a constant, or constants joined from paths (each taken)', () => {
    const two = (a: string, b: string): string => `call 7\nr2 = ${a}\nif r0 == 0 goto +1\nr2 = ${b}`;
    const shifted = (mask: number, amount: string): string => `${v}\nr7 = r1\nr7 &= ${mask}\n${amount}\nr7 <<= r2\nr6 += r7\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit`;
    expectVerdicts([
      shifted(15, two('1', '2')),
      shifted(1, 'call 7\nr2 = r0\nr2 &= 1'),
      shifted(1, two('1', '2')),
      shifted(3, two('1', '2')),
    ], [false, false, true, true]);
  });
  it('a packet pointer plus a variable offset has no proved bytes, plus constants joined from paths the fewest proved past any', () => {
    const pkt = (add: string, at: number): string =>
      `r6 = *(u32 *)(r1 + 0)\nr7 = *(u32 *)(r1 + 4)\nr3 = r6\nr3 += 16\nif r3 > r7 goto out\n${add}\nr6 += r2\nr0 = *(u8 *)(r6 + ${at})\nout:\nr0 = 0\nexit`;
    const joined = 'call 7\nr2 = 6\nif r0 == 0 goto +1\nr2 = 9';
    expectVerdicts([pkt(joined, 6), pkt(joined, 7), pkt('call 7\nr2 = r0\nr2 &= 7', 0)], [true, false, false], { programType: 'xdp' });
  });
  it('a map value plus a variable offset that may be negative is refused; constants joined from paths are each a fixed offset', () => {
    expectVerdicts([
      `${v}\nr1 &= 7\nr1 = -r1\nr6 += r1\nr0 = *(u8 *)(r6 + 8)\nr0 = 0\nexit`,
      `${v}\nr1 &= 7\nr6 += r1\nr0 = *(u8 *)(r6 + 8)\nr0 = 0\nexit`,
      `${v}\nr7 = -4\nif r1 == 0 goto +1\nr7 = 4\nr6 += r7\nr0 = *(u8 *)(r6 + 8)\nr0 = 0\nexit`,
    ], [false, true, true]);
  });
});
