/**
 * Programs on which a path-sensitive analysis can go wrong, with the kernel's verdict (kernel 6.18,
 * root): facts that hold on one path only, states that look alike but differ in a packet range, a
 * spilled pointer, a reference or a null-check id, more paths than the analysis keeps apart, a fault on
 * one late loop iteration. Each "rejects" case is one that a naive path-sensitive join (pruning a state
 * by a kept one that covers only some of it, or dropping paths past the bound) would accept.
 * test/verifier/kernel-paths.test.ts checks them against tsbpf and, where bpf() works, the kernel.
 */
import type { KernelProgramType } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';

/** The maps the cases use: an array, a hash map (keys of 8 bytes) and a ring buffer. */
export const PATH_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 },
  2: { type: 1, keySize: 8, valueSize: 8, maxEntries: 16 },
  3: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
};

export interface PathCase {
  readonly name: string;
  readonly type: KernelProgramType;
  readonly source: string;
  readonly kernelAccepts: boolean;
}

const lines = (...l: string[]): string => l.join('\n');

export const CASES: readonly PathCase[] = [
  // A subprogram (no BTF: verified at each call, as the kernel does with static functions) that proves
  // the caller's packet range or returns a failure code first; the caller tests r0 and reads on success
  // only (netobserv's fill_ethhdr). The kernel walks each return separately.
  {
    name: 'a callee proves the range or returns 1; the caller reads when it returned 0',
    type: 'xdp',
    kernelAccepts: true,
    source: calleeRange({ read: 'r0 != 0' }),
  },
  {
    name: 'the same, the caller reading when it returned 1 (the failure path)',
    type: 'xdp',
    kernelAccepts: false,
    source: calleeRange({ read: 'r0 == 0' }),
  },
  {
    name: 'the same with the return values swapped in the callee (0 on failure)',
    type: 'xdp',
    kernelAccepts: false,
    source: calleeRange({ read: 'r0 != 0', swapped: true }),
  },
  {
    name: 'a callee returning 0 from two paths, one without the check',
    type: 'xdp',
    kernelAccepts: false,
    source: calleeRange({ read: 'r0 != 0', unchecked: true }),
  },
  {
    name: 'a callee returning an unknown number on failure (it may be 0): the read refused',
    type: 'xdp',
    kernelAccepts: false,
    source: calleeRange({ read: 'r0 != 0', code: 'r3' }),
  },
  {
    name: 'a callee returning -22 on failure, tested by the sign',
    type: 'xdp',
    kernelAccepts: true,
    source: calleeRange({ read: 'r0 s< 0', code: -22 }),
  },
  {
    name: 'a callee proving 14 bytes (returns 0) or 34 (returns 2) or none (returns 1); each read on its return',
    type: 'xdp',
    kernelAccepts: true,
    source: calleeTwoRanges(false),
  },
  {
    name: 'the same, the 34th byte read where the callee returned 0 (14 bytes proved)',
    type: 'xdp',
    kernelAccepts: false,
    source: calleeTwoRanges(true),
  },
  {
    name: 'packet range proved on one path only, the access after the join',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)', 'if r5 == 1 goto skip', 'r6 = r2', 'r6 += 14', 'if r6 > r3 goto out', 'skip:', 'r0 = *(u8 *)(r2 + 0)', 'out:', 'r0 = 2', 'exit'),
  },
  {
    name: 'the same with the unchecked path arriving last (a backward jump from a later block)',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)', 'if r5 == 1 goto unchecked', 'r6 = r2', 'r6 += 14', 'if r6 > r3 goto out', 'j:', 'r0 = *(u8 *)(r2 + 0)', 'out:', 'r0 = 2', 'exit', 'unchecked:', 'goto j'),
  },
  {
    name: 'a header of 14 or 18 bytes, each proved on its path (VLAN)',
    type: 'xdp',
    kernelAccepts: true,
    source: lines(
      'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)', 'r4 = 14', 'if r5 == 1 goto vlan',
      'r6 = r2', 'r6 += 14', 'if r6 > r3 goto out', 'goto hdr',
      'vlan:', 'r4 = 18', 'r6 = r2', 'r6 += 18', 'if r6 > r3 goto out',
      'hdr:', 'r6 = r2', 'r6 += r4', 'r0 = *(u8 *)(r6 - 1)', 'out:', 'r0 = 2', 'exit',
    ),
  },
  {
    name: 'a pointer on one path and a number on the other, dereferenced where a flag says pointer',
    type: 'xdp',
    kernelAccepts: true,
    source: lines('r0 = 0', '*(u64 *)(r10 - 8) = r0', 'r5 = *(u32 *)(r1 + 12)', 'if r5 == 1 goto num', 'r6 = r10', 'r7 = 1', 'goto j', 'num:', 'r6 = 5', 'r7 = 0', 'j:', 'if r7 == 0 goto end', 'r0 = *(u64 *)(r6 - 8)', 'end:', 'r0 = 2', 'exit'),
  },
  {
    name: 'the same with the flag read the wrong way: the number dereferenced',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r0 = 0', '*(u64 *)(r10 - 8) = r0', 'r5 = *(u32 *)(r1 + 12)', 'if r5 == 1 goto num', 'r6 = r10', 'r7 = 1', 'goto j', 'num:', 'r6 = 5', 'r7 = 0', 'j:', 'if r7 == 1 goto end', 'r0 = *(u64 *)(r6 - 8)', 'end:', 'r0 = 2', 'exit'),
  },
  {
    name: 'a spilled pointer on one path, a spilled number on the other, filled and dereferenced',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r5 = *(u32 *)(r1 + 12)', 'if r5 == 1 goto num', '*(u64 *)(r10 - 8) = r10', 'goto j', 'num:', 'r2 = 7', '*(u64 *)(r10 - 8) = r2', 'j:', 'r3 = *(u64 *)(r10 - 8)', 'r0 = *(u64 *)(r3 - 16)', 'r0 = 2', 'exit'),
  },
  {
    name: 'a variable packet offset on one path, a constant on the other',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r6 = r2', 'r6 += 14', 'if r6 > r3 goto out', 'r5 = *(u32 *)(r1 + 12)', 'r4 = r2', 'if r5 == 1 goto j', 'r5 &= 15', 'r4 += r5', 'j:', 'r0 = *(u8 *)(r4 + 0)', 'out:', 'r0 = 2', 'exit'),
  },
  {
    name: 'a ring buffer record submitted on one path only',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r1 = map_fd 3 ll', 'r2 = 8', 'r3 = 0', 'call 131', 'if r0 == 0 goto out', 'r6 = r0', 'call 7', 'if r0 == 1 goto out', 'r1 = r6', 'r2 = 0', 'call 132', 'out:', 'r0 = 2', 'exit'),
  },
  {
    name: 'a ring buffer record submitted on every path',
    type: 'xdp',
    kernelAccepts: true,
    source: lines('r1 = map_fd 3 ll', 'r2 = 8', 'r3 = 0', 'call 131', 'if r0 == 0 goto out', 'r6 = r0', 'call 7', 'r1 = r6', 'r2 = 0', 'if r0 == 1 goto discard', 'call 132', 'goto out', 'discard:', 'call 133', 'out:', 'r0 = 2', 'exit'),
  },
  {
    name: 'a null check of one lookup result used for another on one path',
    type: 'xdp',
    kernelAccepts: false,
    source: lines(
      'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 2 ll', 'call 1', 'r6 = r0',
      'r2 = r10', 'r2 += -8', 'r1 = map_fd 2 ll', 'call 1', 'r7 = r0', 'call 7', 'if r0 == 1 goto other', 'r7 = r6',
      'other:', 'if r6 == 0 goto out', 'r0 = *(u64 *)(r7 + 0)', 'out:', 'r0 = 2', 'exit',
    ),
  },
  {
    name: 'a fault on the 20th iteration of a loop only',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r6 = 0', 'loop:', 'r6 += 1', 'if r6 != 20 goto next', 'r0 = *(u64 *)(r10 + 8)', 'next:', 'if r6 < 30 goto loop', 'r0 = 2', 'exit'),
  },
  {
    name: 'sixteen paths, the bounds check skipped on the last combination of four flags',
    type: 'xdp',
    kernelAccepts: false,
    source: lines(
      'r2 = *(u32 *)(r1 + 0)', '*(u64 *)(r10 - 8) = r2', 'r3 = *(u32 *)(r1 + 4)', '*(u64 *)(r10 - 16) = r3',
      'r6 = 0', 'r7 = 0', 'r8 = 0', 'r9 = 0',
      'call 7', 'if r0 == 0 goto a', 'r6 = 1', 'a:', 'call 7', 'if r0 == 0 goto b', 'r7 = 1', 'b:',
      'call 7', 'if r0 == 0 goto c', 'r8 = 1', 'c:', 'call 7', 'if r0 == 0 goto d', 'r9 = 1', 'd:',
      'r2 = *(u64 *)(r10 - 8)', 'r3 = *(u64 *)(r10 - 16)',
      'if r6 != 1 goto check', 'if r7 != 1 goto check', 'if r8 != 1 goto check', 'if r9 != 1 goto check', 'goto access',
      'check:', 'r4 = r2', 'r4 += 1', 'if r4 > r3 goto out', 'access:', 'r0 = *(u8 *)(r2 + 0)', 'out:', 'r0 = 2', 'exit',
    ),
  },
  {
    name: 'sixteen chains of packet offsets (more paths than are kept), the one past the proved range last',
    type: 'xdp',
    kernelAccepts: false,
    source: lines(
      'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 4', 'if r4 > r3 goto out', 'r6 = r2',
      'call 7', 'if r0 == 0 goto a', 'r6 += 1', 'a:', 'r7 = r6', 'call 7', 'if r0 == 0 goto b', 'r7 += 1', 'b:',
      'r8 = r7', 'call 7', 'if r0 == 0 goto c', 'r8 += 1', 'c:', 'r9 = r8', 'call 7', 'if r0 == 0 goto d', 'r9 += 1', 'd:',
      'r0 = *(u8 *)(r6 + 0)', 'r0 = *(u8 *)(r7 + 0)', 'r0 = *(u8 *)(r8 + 0)', 'r0 = *(u8 *)(r9 + 0)', 'out:', 'r0 = 2', 'exit',
    ),
  },
  {
    name: 'sixteen chains of packet offsets, all inside the proved range',
    type: 'xdp',
    kernelAccepts: true,
    source: lines(
      'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 5', 'if r4 > r3 goto out', 'r6 = r2',
      'call 7', 'if r0 == 0 goto a', 'r6 += 1', 'a:', 'r7 = r6', 'call 7', 'if r0 == 0 goto b', 'r7 += 1', 'b:',
      'r8 = r7', 'call 7', 'if r0 == 0 goto c', 'r8 += 1', 'c:', 'r9 = r8', 'call 7', 'if r0 == 0 goto d', 'r9 += 1', 'd:',
      'r0 = *(u8 *)(r6 + 0)', 'r0 = *(u8 *)(r7 + 0)', 'r0 = *(u8 *)(r8 + 0)', 'r0 = *(u8 *)(r9 + 0)', 'out:', 'r0 = 2', 'exit',
    ),
  },
  {
    name: 'packet pointer minus packet pointer is an unknown number to the kernel',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 8', 'if r4 > r3 goto out', 'r5 = r2', 'r5 += 4', 'r5 -= r2', 'r4 = r2', 'r4 += r5', 'r0 = *(u8 *)(r4 + 0)', 'out:', 'r0 = 2', 'exit'),
  },
  {
    name: 'a register set on one path only, read after the join',
    type: 'xdp',
    kernelAccepts: false,
    source: lines('r0 = 0', 'r2 = *(u32 *)(r1 + 12)', 'if r2 == 1 goto j', 'r7 = 1', 'j:', 'r0 = r7', 'exit'),
  },
  { name: '32-bit scalar minus pointer', type: 'xdp', kernelAccepts: true, source: lines('w0 = 1', 'w0 -= w1', 'r0 = 0', 'exit') },
  { name: '32-bit pointer minus scalar', type: 'xdp', kernelAccepts: true, source: lines('r0 = r1', 'w0 -= 1', 'r0 = 0', 'exit') },
  { name: '32-bit pointer plus scalar', type: 'xdp', kernelAccepts: false, source: lines('r0 = r1', 'w0 += 1', 'r0 = 0', 'exit') },
  { name: '32-bit scalar plus pointer', type: 'xdp', kernelAccepts: false, source: lines('w0 = 1', 'w0 += w1', 'r0 = 0', 'exit') },
  { name: '32-bit pointer minus pointer', type: 'xdp', kernelAccepts: true, source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'w3 -= w2', 'r0 = 0', 'exit') },
  { name: '32-bit data_end minus scalar', type: 'xdp', kernelAccepts: true, source: lines('r2 = *(u32 *)(r1 + 4)', 'w2 -= 1', 'r0 = 0', 'exit') },
  { name: '32-bit map pointer minus scalar', type: 'xdp', kernelAccepts: true, source: lines('r2 = map_fd 1 ll', 'w2 -= 1', 'r0 = 0', 'exit') },
  {
    name: 'a byte shifted by 2 or 3 (paths joined to a shift range) added to a packet pointer',
    type: 'xdp',
    kernelAccepts: true,
    source: shiftedOffset('r4 = 2', 'r4 = 3'),
  },
  {
    name: 'a byte shifted by anything up to 63 added to a packet pointer',
    type: 'xdp',
    kernelAccepts: false,
    source: shiftedOffset('r4 = *(u32 *)(r1 + 16)', 'r4 &= 63'),
  },
  {
    name: 'ten header offsets, each proved 20 bytes long on its path: more paths than kept apart, joined',
    type: 'xdp',
    kernelAccepts: true,
    source: manyHeaders(10, () => 20),
  },
  {
    name: 'the same with one path proving 19 bytes only',
    type: 'xdp',
    kernelAccepts: false,
    source: manyHeaders(10, (i) => (i === 6 ? 19 : 20)),
  },
  {
    // clang's rotated loop (bounded_loop.o): entered at its exit test, which tests a zero-extended copy of the counter
    name: 'a loop entered past its head, the exit test on a 32-bit copy of the counter',
    type: 'socket_filter',
    kernelAccepts: true,
    source: rotatedLoop('r6 += 1'),
  },
  {
    name: 'the same loop with a counter that never moves',
    type: 'socket_filter',
    kernelAccepts: false,
    source: rotatedLoop('r6 += 0'),
  },
  {
    // katran's tc_decap_info: an IPv4 or IPv6 header length, proved after the paths meet
    name: 'a header length of 20 or 40 set on two paths, proved after they meet, then read within it',
    type: 'xdp',
    kernelAccepts: true,
    source: twoLengths(9),
  },
  {
    name: 'the same reading past the 20-byte header on its path',
    type: 'xdp',
    kernelAccepts: false,
    source: twoLengths(25),
  },
  {
    name: 'values of two maps, 16 paths meeting (more than are kept apart), a spilled value read inside both',
    type: 'xdp',
    kernelAccepts: true,
    source: twoMapsManyPaths(0),
  },
  {
    name: 'the same read past the smaller value (the hash map path)',
    type: 'xdp',
    kernelAccepts: false,
    source: twoMapsManyPaths(8),
  },
  {
    name: 'values of two maps at different offsets, paths differing only in r3-r5 before a two-argument helper call',
    type: 'xdp',
    kernelAccepts: true,
    source: lines(
      'r6 = r1', 'r7 = *(u32 *)(r6 + 12)', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'if r7 == 1 goto hash',
      'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r0 += 8', 'goto got',
      'hash:', 'r1 = map_fd 2 ll', 'call 1', 'if r0 == 0 goto out',
      'got:', '*(u64 *)(r10 - 24) = r0', 'r7 = *(u32 *)(r6 + 16)', 'r3 = 0', 'r4 = 0', 'r5 = 0',
      'if r7 & 1 goto a', 'r3 = r10', 'a:', 'if r7 & 2 goto b', 'r4 = r10', 'b:', 'if r7 & 4 goto c', 'r5 = r10', 'c:',
      'r1 = map_fd 2 ll', 'r2 = r10', 'r2 += -8', 'call 1', 'r1 = *(u64 *)(r10 - 24)', 'r0 = *(u64 *)(r1 + 0)', 'out:', 'r0 = 0', 'exit',
    ),
  },
  {
    name: 'a success and two failures meet (past the constants bound): the error code of the failures alone decides an unchecked lookup result is never read',
    type: 'xdp',
    kernelAccepts: true,
    source: statusJoin(-155, false),
  },
  {
    name: 'the same with the second failure arriving before the first',
    type: 'xdp',
    kernelAccepts: true,
    source: statusJoin(-155, true),
  },
  {
    name: 'the same with the second failure reporting 0: the unchecked lookup result is read',
    type: 'xdp',
    kernelAccepts: false,
    source: statusJoin(0, false),
  },
  {
    name: 'the same, the second failure reporting 0 and arriving before the first',
    type: 'xdp',
    kernelAccepts: false,
    source: statusJoin(0, true),
  },
  {
    name: 'more paths than are kept meet where a status code (0 or -22) alone says whether a packet range was proved, and a jump on it guards the access',
    type: 'xdp',
    kernelAccepts: true,
    source: statusRange(10, 'if w7 != 0 goto out'),
  },
  {
    name: 'the same with the status spilled and filled before its test',
    type: 'xdp',
    kernelAccepts: true,
    source: statusRange(10, '*(u64 *)(r10 - 8) = r7', 'r8 = *(u64 *)(r10 - 8)', 'if w8 != 0 goto out'),
  },
  {
    name: 'the same with the test inverted: the access is on the failing path',
    type: 'xdp',
    kernelAccepts: false,
    source: statusRange(10, 'if w7 == 0 goto out'),
  },
  {
    name: 'a function returning NULL on one path and a lookup\'s result on the other, checked by its caller',
    type: 'xdp',
    kernelAccepts: true,
    source: lines(
      'call local get', 'if r0 == 0 goto out', 'r0 = *(u64 *)(r0 + 0)', 'out:', 'r0 = 2', 'exit',
      'get:', 'call 7', 'if r0 == 1 goto look', 'r0 = 0', 'exit',
      'look:', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 2 ll', 'call 1', 'exit',
    ),
  },
  {
    name: 'the same with the caller dereferencing the result unchecked',
    type: 'xdp',
    kernelAccepts: false,
    source: lines(
      'call local get', 'r0 = *(u64 *)(r0 + 0)', 'r0 = 2', 'exit',
      'get:', 'call 7', 'if r0 == 1 goto look', 'r0 = 0', 'exit',
      'look:', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 2 ll', 'call 1', 'exit',
    ),
  },
  {
    // xdp-synproxy's header pointers: IPv4 (NULL on the IPv6 path) and IPv6 (NULL on the IPv4 path), each
    // unknown after a packet-moving helper; a third path first, so the two would be joined as numbers
    name: 'a number 0 on one path and unknown on another, tested later, with a third path before them',
    type: 'xdp',
    kernelAccepts: true,
    source: zeroOnOnePath('r8 = 0'),
  },
  {
    name: 'the same with the offset unknown on the path that passes the test',
    type: 'xdp',
    kernelAccepts: false,
    source: zeroOnOnePath('r8 = r9'),
  },
  {
    name: 'four header pointers in stack slots, each set on its path or NULL (16 kinds of state), each null-checked, then read',
    type: 'xdp',
    kernelAccepts: true,
    source: nullOrHeaders({}),
  },
  {
    name: 'the same with the last header read without its null check (NULL on some paths)',
    type: 'xdp',
    kernelAccepts: false,
    source: nullOrHeaders({ unchecked: true }),
  },
  {
    name: 'the same with one header pointer set at the end of the proved range, null-checked, then read',
    type: 'xdp',
    kernelAccepts: false,
    source: nullOrHeaders({ past: true }),
  },
  {
    name: 'the same with the packet moved (bpf_xdp_adjust_head) before the headers are read',
    type: 'xdp',
    kernelAccepts: false,
    source: nullOrHeaders({ moved: true }),
  },
  {
    name: 'the same with one header null-checked and another (NULL on other paths) read',
    type: 'xdp',
    kernelAccepts: false,
    source: nullOrHeaders({ otherChecked: true }),
  },
];

/**
 * `paths` paths (each a different packet offset in r3) reach a check `r3 + 4 <= data_end` whose outcome
 * is kept only as a status code in r7 (0, or -22 when the check fails), as clang compiles Cilium's
 * `ctx_load_bytes`-style helpers; `test` then decides whether the 4 bytes at r3 are read. Past the
 * bound on kept states two states must be joined: joining a success with a failure loses the range.
 */
function statusRange(paths: number, ...test: string[]): string {
  const chain: string[] = [];
  for (let i = 0; i < paths - 1; i++) chain.push(`if r5 == ${i} goto check`, 'r3 += 2');
  return lines(
    'r2 = *(u32 *)(r1 + 0)', 'r4 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)', 'r3 = r2', ...chain,
    'check:', 'r1 = r3', 'r1 += 4', 'r7 = 0', 'if r1 <= r4 goto status', 'r7 = -22',
    'status:', ...test, 'r0 = *(u32 *)(r3 + 0)', 'out:', 'r0 = 2', 'exit',
  );
}

/**
 * A hash lookup's result (maybe null) spilled; then three paths meet, each with a result w7, an error
 * code r8 and a return value r9: success (w7 >= 0, r8 = 0, r9 = 3), a failure (w7 < 0, r8 = -155, r9 = 1)
 * and a failure with w7 = -12 (r8 = `code`, r9 = 2), placed before the other failure when `early`. After
 * the join, when w7 < 0, the lookup result is read unchecked unless r8 < 0 (Cilium's bpf_overlay: a
 * failed send whose error code is tested again later).
 */
function statusJoin(code: number, early: boolean): string {
  const second = ['r9 = 2', `r8 = ${code}`, 'goto join'];
  const first = ['r9 = 1', 'goto join'];
  return lines(
    'r6 = r1', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 2 ll', 'call 1', '*(u64 *)(r10 - 16) = r0',
    'r7 = *(u32 *)(r6 + 12)', 'r8 = 0', 'r9 = 3', 'if w7 s> -1 goto join', 'r8 = -155',
    ...(early ? ['if w7 != -12 goto other', ...second, 'other:', ...first] : ['if w7 == -12 goto other', ...first, 'other:', ...second]),
    'join:', 'r0 = *(u64 *)(r10 - 16)', 'if w7 s< 0 goto fail', 'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 0)', 'goto out',
    'fail:', 'if w8 s< 0 goto out', 'r1 = *(u64 *)(r0 + 0)', 'out:', 'r0 = r9', 'exit',
  );
}

/** A length of 20 or 40 by a flag (spilled), proved as `data + x + len <= data_end` (x in [0, 60]) after the join, then a byte read at `at` (20) or 6 (40) past `data + x`. */
function twoLengths(at: number): string {
  return lines(
    'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)', 'r8 = r5', 'r8 &= 60', 'r2 += r8',
    'r5 &= 48', 'r4 = 20', '*(u64 *)(r10 - 8) = r5',
    'if r5 == 0 goto j', 'r4 = 40', 'j:', 'r6 = r2', 'r6 += r4', 'if r6 > r3 goto out',
    `r4 = ${at}`, 'r5 = *(u64 *)(r10 - 8)', 'if r5 == 0 goto k', 'r4 = 6', 'k:', 'r2 += r4', 'r0 = *(u8 *)(r2 + 0)',
    'out:', 'r0 = 2', 'exit',
  );
}

/** A loop entered at `t` (not at its head `b`), leaving when the low 32 bits of r6 reach 100, with two back edges. */
function rotatedLoop(step: string): string {
  return lines(
    'r6 = 0', 'goto t', 'b:', step, 'r1 = r6', 'r1 <<= 32', 'r1 >>= 32', 'if r1 == 100 goto o',
    't:', 'r2 = r6', 'r2 &= 1', 'if r2 == 0 goto b', 'goto b', 'o:', 'r0 = 0', 'exit',
  );
}

/** A packet byte shifted left by r4 (set by `a` on one path, `b` on the other), plus 8, as an offset into the packet (an IPv6 extension header's length). */
function shiftedOffset(a: string, b: string): string {
  return lines(
    'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r6 = r2', 'r6 += 14', 'if r6 > r3 goto out',
    'r5 = *(u32 *)(r1 + 12)', a, 'if r5 == 1 goto j', b, 'j:',
    'r7 = *(u8 *)(r2 + 0)', 'r7 <<= r4', 'r7 += 8', 'r6 = r2', 'r6 += r7', 'r8 = r6', 'r8 += 1', 'if r8 > r3 goto out',
    'r0 = *(u8 *)(r6 + 0)', 'out:', 'r0 = 2', 'exit',
  );
}

/** `n` paths, path i with its header at 14 + 4i proved `len(i)` bytes long, meeting before a 4-byte read at header + 16. */
function manyHeaders(n: number, len: (i: number) => number): string {
  const l = ['r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r5 = *(u32 *)(r1 + 12)'];
  for (let i = 0; i < n; i++) l.push(`if r5 == ${i} goto p${i}`);
  l.push('goto out');
  for (let i = 0; i < n; i++) l.push(`p${i}:`, 'r6 = r2', `r6 += ${14 + 4 * i}`, 'r7 = r6', `r7 += ${len(i)}`, 'if r7 > r3 goto out', 'goto hdr');
  l.push('hdr:', 'r0 = *(u32 *)(r6 + 16)', 'out:', 'r0 = 2', 'exit');
  return lines(...l);
}

/**
 * A value of the array (path 1) or the hash map (path 2) spilled, then four registers each a stack
 * pointer or 0 (16 kinds of state), all read after a load of 8 bytes at `off` from the filled value.
 */
function twoMapsManyPaths(off: number): string {
  return lines(
    'r6 = r1', 'r7 = *(u32 *)(r6 + 12)', 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'if r7 == 1 goto hash',
    'r1 = map_fd 1 ll', 'call 1', 'goto got', 'hash:', 'r1 = map_fd 2 ll', 'call 1',
    'got:', 'if r0 == 0 goto out', '*(u64 *)(r10 - 24) = r0', 'r7 = *(u32 *)(r6 + 16)', 'r8 = 0', 'r9 = 0', 'r5 = 0',
    'if r7 & 1 goto a', 'r8 = r10', 'a:', 'if r7 & 2 goto b', 'r9 = r10', 'b:', 'if r7 & 4 goto c', 'r5 = r10', 'c:', 'if r7 & 8 goto d', 'r6 = r10', 'd:',
    'r1 = *(u64 *)(r10 - 24)', `r0 = *(u64 *)(r1 + ${off})`, 'r0 = r8', 'r0 = r9', 'r0 = r5', 'r0 = r6', 'out:', 'r0 = 0', 'exit',
  );
}

/**
 * Three paths meet: r7 and r8 are 0 on the first (which also holds a stack pointer), r7 0 and r8 unknown
 * on the second, r7 unknown and r8 as `b8` says on the third; where r7 is not 0, r8 is added to a map
 * value pointer and read through. Joined as numbers, the second and third paths would let r7 and r8 be
 * non-zero together; the kernel, walking each path, never does.
 */
function zeroOnOnePath(b8: string): string {
  return lines(
    'call 7', 'r9 = r0', 'r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0',
    'r1 = r9', 'r1 &= 3', 'if r1 == 2 goto b', 'if r1 == 1 goto a',
    'r7 = 0', 'r8 = 0', 'r4 = r10', 'goto join',
    'a:', 'r7 = 0', 'r8 = r9', 'r4 = 0', 'goto join',
    'b:', 'r7 = r9', b8, 'r4 = 0', 'goto join',
    'join:', 'r3 = r4', 'if r7 == 0 goto out', 'r0 = r6', 'r0 += r8', 'r0 = *(u64 *)(r0 + 0)',
    'out:', 'r0 = 2', 'exit',
  );
}

/**
 * Four header pointers kept in stack slots (a parser's struct of `tcph` / `udph` / ... fields), each a
 * packet pointer inside the 40 bytes proved or NULL as a flag bit says: 16 kinds of state, more than the
 * analysis keeps apart, so pointers meet NULL in a join. Each is filled, null-checked and read; the
 * kernel, walking each path, sees the pointer or the number 0 there. `unchecked`: the last one read
 * without its check; `past`: the second set at offset 40, past the range; `otherChecked`: the third's
 * check guards a read through the fourth; `moved`: the packet moved by a helper before the reads.
 */
function nullOrHeaders(o: { unchecked?: boolean; past?: boolean; otherChecked?: boolean; moved?: boolean }): string {
  const set = (bit: number, slot: number, off: number): string[] => [`r6 = r5`, `r6 &= ${bit}`, `if r6 == 0 goto s${bit}`, 'r7 = r2', `r7 += ${off}`, `*(u64 *)(r10 - ${slot}) = r7`, `s${bit}:`];
  const use = (slot: number, n: number): string[] => [`r7 = *(u64 *)(r10 - ${slot})`, ...(o.unchecked === true && n === 4 ? [] : [`if r7 == 0 goto u${n}`]), 'r0 = *(u8 *)(r7 + 0)', `u${n}:`];
  return lines(
    'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 40', 'if r4 > r3 goto out', 'r5 = *(u32 *)(r1 + 12)',
    'r0 = 0', '*(u64 *)(r10 - 8) = r0', '*(u64 *)(r10 - 16) = r0', '*(u64 *)(r10 - 24) = r0', '*(u64 *)(r10 - 32) = r0',
    ...set(1, 8, 14), ...set(2, 16, o.past === true ? 40 : 20), ...set(4, 24, 34), ...set(8, 32, 38),
    ...(o.moved === true ? ['r2 = 0', 'call 44'] : []),
    ...use(8, 1), ...use(16, 2),
    ...(o.otherChecked === true ? ['r7 = *(u64 *)(r10 - 24)', 'r8 = *(u64 *)(r10 - 32)', 'if r7 == 0 goto u3', 'r0 = *(u8 *)(r8 + 0)', 'u3:'] : [...use(24, 3), ...use(32, 4)]),
    'out:', 'r0 = 2', 'exit',
  );
}

/**
 * `main` passes data and data_end to `fill`, which proves 14 bytes and returns 0, or returns `code` (1)
 * (or a register: `r3`, a number from the context) first; `main` skips the read of byte 13 when `read`
 * holds (`if ${read} goto out`). `swapped`: the callee returns the code after the check and 0 before
 * it; `unchecked`: a flag makes it return 0 without the check too.
 */
function calleeRange(o: { read: string; code?: number | string; swapped?: boolean; unchecked?: boolean }): string {
  const code = o.code ?? 1;
  const [ok, fail] = o.swapped === true ? [code, 0] : [0, code];
  return lines(
    'r6 = *(u32 *)(r1 + 0)', 'r2 = *(u32 *)(r1 + 4)', 'r3 = *(u32 *)(r1 + 12)', 'r1 = r6', 'call local fill',
    `if ${o.read} goto out`, 'r0 = *(u8 *)(r6 + 13)',
    'out:', 'r0 = 2', 'exit',
    'fill:', ...(o.unchecked === true ? ['if r3 == 7 goto early'] : []), 'r4 = r1', 'r4 += 14', 'if r4 > r2 goto fail',
    `r0 = ${ok}`, 'exit',
    'fail:', `r0 = ${fail}`, 'exit',
    // the unchecked return last: a join that kept the first exit of each value would miss it
    ...(o.unchecked === true ? ['early:', 'r0 = 0', 'exit'] : []),
  );
}

/** `fill` proves 34 bytes (returns 2), 14 (returns 0) or none (returns 1); `main` reads byte 13 on 0 and byte 33 on 2 (`wrong`: byte 33 on 0). */
function calleeTwoRanges(wrong: boolean): string {
  return lines(
    'r6 = *(u32 *)(r1 + 0)', 'r2 = *(u32 *)(r1 + 4)', 'r1 = r6', 'call local fill',
    'if r0 == 2 goto long', 'if r0 != 0 goto out', `r0 = *(u8 *)(r6 + ${wrong ? 33 : 13})`, 'goto out',
    'long:', 'r0 = *(u8 *)(r6 + 33)',
    'out:', 'r0 = 2', 'exit',
    'fill:', 'r4 = r1', 'r4 += 34', 'if r4 > r2 goto short', 'r0 = 2', 'exit',
    'short:', 'r4 = r1', 'r4 += 14', 'if r4 > r2 goto fail', 'r0 = 0', 'exit',
    'fail:', 'r0 = 1', 'exit',
  );
}
