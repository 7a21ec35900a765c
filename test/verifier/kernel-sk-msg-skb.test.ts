/**
 * The sk_skb and sk_msg helpers (socket redirects over SOCKMAP / SOCKHASH, the message helpers) in the
 * kernel-level analysis: each case's verdict is recorded (kernel 6.18, root, BPF_PROG_LOAD) and tsbpf
 * must give it; where bpf() works the live kernel is checked against the recording too, else a skip note.
 * Variants: the right and a wrong map type, a key by value and by pointer (uninitialised, too short, a
 * number), variable flags, the wrong program type, packet pointers across the data-moving helpers.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

const SOCKMAP = { type: 15, keySize: 4, valueSize: 4, maxEntries: 4 };
const SOCKHASH = { type: 18, keySize: 8, valueSize: 4, maxEntries: 4 };
const ARRAY = { type: 2, keySize: 4, valueSize: 4, maxEntries: 4 };
/** Map 1 is a SOCKMAP, 2 a SOCKHASH, 3 an array. */
const MAPS = { 1: SOCKMAP, 2: SOCKHASH, 3: ARRAY };

/** `call helper` with r1 the context, r2 map `map`, r3 the key (`key` sets it up), r4 the flags. */
const redirect = (helper: number, map: number, key: string, flags = 'r4 = 0'): string => `${key}
r2 = map_fd ${map} ll
${flags}
call ${helper}
exit`;
const BY_INDEX = 'r3 = 1';
const KEY8 = '*(u64 *)(r10 - 8) = 0\nr3 = r10\nr3 += -8';
/** sk_skb: __sk_buff data at 76, data_end at 80; sk_msg: sk_msg_md data at 0, data_end at 8. */
const packetAcross = (data: number, end: number, between: string, reload: boolean): string => `r6 = r1
r7 = *(u32 *)(r6 + ${data})
r8 = *(u32 *)(r6 + ${end})
r9 = r7
r9 += 1
if r9 > r8 goto out
${between}
${reload ? `r7 = *(u32 *)(r6 + ${data})\nr8 = *(u32 *)(r6 + ${end})\nr9 = r7\nr9 += 1\nif r9 > r8 goto out` : ''}
r0 = *(u8 *)(r7 + 0)
out:
r0 = 1
exit`;
const msgPacket = (between: string, reload: boolean): string => packetAcross(0, 8, between, reload).replace(/\*\(u32 \*\)\(r6/g, '*(u64 *)(r6');

type Case = readonly [type: 'sk_skb' | 'sk_msg', name: string, src: string, kernelAccepts: boolean];
/** Recorded from kernel 6.18 (root). */
const CASES: readonly Case[] = [
  ['sk_skb', 'sk_redirect_map over a SOCKMAP', redirect(52, 1, BY_INDEX), true],
  ['sk_skb', 'sk_redirect_map with variable flags and index', redirect(52, 1, 'r3 = *(u32 *)(r1 + 0)', 'r4 = *(u32 *)(r1 + 4)'), true],
  ['sk_skb', 'sk_redirect_map over a SOCKHASH', redirect(52, 2, BY_INDEX), false],
  ['sk_skb', 'sk_redirect_map over an array', redirect(52, 3, BY_INDEX), false],
  ['sk_skb', 'sk_redirect_map of a number for the context', `r1 = 0\n${redirect(52, 1, BY_INDEX)}`, false],
  ['sk_skb', 'sk_redirect_map with a map of a number', 'r2 = 0\nr3 = 0\nr4 = 0\ncall 52\nexit', false],
  ['sk_skb', 'sk_redirect_hash over a SOCKHASH', redirect(72, 2, KEY8), true],
  ['sk_skb', 'sk_redirect_hash with variable flags', redirect(72, 2, KEY8, 'r4 = *(u32 *)(r1 + 4)'), true],
  ['sk_skb', 'sk_redirect_hash over a SOCKMAP', redirect(72, 1, '*(u32 *)(r10 - 4) = 0\nr3 = r10\nr3 += -4'), false],
  // root may pass uninitialised stack
  ['sk_skb', 'sk_redirect_hash with an uninitialised key', redirect(72, 2, 'r3 = r10\nr3 += -8'), true],
  ['sk_skb', 'sk_redirect_hash with a key past the stack top', redirect(72, 2, 'r3 = r10\nr3 += -4'), false],
  ['sk_skb', 'sk_redirect_hash with a key too short', redirect(72, 2, '*(u32 *)(r10 - 4) = 0\nr3 = r10\nr3 += -4'), false],
  ['sk_skb', 'sk_redirect_hash with a number for the key', redirect(72, 2, 'r3 = 0'), false],
  ['sk_skb', 'msg_redirect_map from sk_skb', redirect(60, 1, BY_INDEX), false],
  ['sk_skb', 'packet read after skb_pull_data, not reloaded', packetAcross(76, 80, 'r1 = r6\nr2 = 0\ncall 39', false), false],
  ['sk_skb', 'packet read after skb_pull_data, reloaded', packetAcross(76, 80, 'r1 = r6\nr2 = 0\ncall 39', true), true],
  ['sk_skb', 'packet read after sk_redirect_map', packetAcross(76, 80, `r1 = r6\n${redirect(52, 1, BY_INDEX).replace('exit', '')}`, false), true],
  ['sk_msg', 'msg_redirect_map over a SOCKMAP', redirect(60, 1, BY_INDEX), true],
  ['sk_msg', 'msg_redirect_map with variable flags', redirect(60, 1, 'r3 = *(u32 *)(r1 + 16)', 'r4 = *(u32 *)(r1 + 20)'), true],
  ['sk_msg', 'msg_redirect_map over a SOCKHASH', redirect(60, 2, BY_INDEX), false],
  ['sk_msg', 'msg_redirect_map over an array', redirect(60, 3, BY_INDEX), false],
  ['sk_msg', 'msg_redirect_hash over a SOCKHASH', redirect(71, 2, KEY8), true],
  ['sk_msg', 'msg_redirect_hash over a SOCKMAP', redirect(71, 1, '*(u32 *)(r10 - 4) = 0\nr3 = r10\nr3 += -4'), false],
  ['sk_msg', 'msg_redirect_hash with an uninitialised key', redirect(71, 2, 'r3 = r10\nr3 += -8'), true],
  ['sk_msg', 'msg_redirect_hash with the context for the key', redirect(71, 2, 'r3 = r1'), false],
  ['sk_msg', 'msg_redirect_hash with a number for the key', redirect(71, 2, 'r3 = 0'), false],
  ['sk_msg', 'sk_redirect_map from sk_msg', redirect(52, 1, BY_INDEX), false],
  ['sk_msg', 'msg_apply_bytes of a variable count', 'r2 = *(u32 *)(r1 + 16)\ncall 61\nr0 = 1\nexit', true],
  ['sk_msg', 'msg_cork_bytes', 'r2 = 100\ncall 62\nr0 = 1\nexit', true],
  ['sk_msg', 'msg_cork_bytes of a number for the context', 'r1 = 0\nr2 = 100\ncall 62\nr0 = 1\nexit', false],
  ['sk_msg', 'msg_pull_data', 'r2 = 0\nr3 = 10\nr4 = 0\ncall 63\nr0 = 1\nexit', true],
  ['sk_msg', 'msg_push_data with variable arguments', 'r2 = *(u32 *)(r1 + 16)\nr3 = *(u32 *)(r1 + 20)\nr4 = *(u32 *)(r1 + 24)\ncall 90\nr0 = 1\nexit', true],
  ['sk_msg', 'msg_pop_data', 'r2 = 0\nr3 = 4\nr4 = 0\ncall 91\nr0 = 1\nexit', true],
  ['sk_msg', 'msg_pop_data with a pointer for the length', 'r2 = 0\nr3 = r10\nr4 = 0\ncall 91\nr0 = 1\nexit', true],
  ['sk_msg', 'packet read after msg_pull_data, not reloaded', msgPacket('r1 = r6\nr2 = 0\nr3 = 10\nr4 = 0\ncall 63', false), false],
  ['sk_msg', 'packet read after msg_push_data, not reloaded', msgPacket('r1 = r6\nr2 = 0\nr3 = 10\nr4 = 0\ncall 90', false), false],
  ['sk_msg', 'packet read after msg_pop_data, not reloaded', msgPacket('r1 = r6\nr2 = 0\nr3 = 10\nr4 = 0\ncall 91', false), false],
  ['sk_msg', 'packet read after msg_pull_data, reloaded', msgPacket('r1 = r6\nr2 = 0\nr3 = 10\nr4 = 0\ncall 63', true), true],
  ['sk_msg', 'packet read after msg_apply_bytes', msgPacket('r1 = r6\nr2 = 10\ncall 61', false), true],
];

const tsbpfAccepts = (c: Case): string | true => {
  const issues = checkProgram(assemble(c[2]), { level: 'kernel', programType: c[0], maps: MAPS }).filter((x) => x.severity === 'error');
  return issues.length === 0 ? true : issues[0]!.message;
};

describe('sk_skb / sk_msg helpers in the kernel-level analysis', () => {
  it('accept and refuse as recorded from the kernel', () => {
    const wrong = CASES.filter((c) => (tsbpfAccepts(c) === true) !== c[3]).map((c) => `${c[0]} ${c[1]}: recorded ${c[3] ? 'accepted' : 'refused'}, tsbpf ${String(tsbpfAccepts(c))}`);
    expect(wrong).toEqual([]);
  });

  it('loads test/fixtures/elf/sk_msg_skb.o: tsbpf verifies its programs and runs them (test/context/sk-msg.test.ts, sk-skb.test.ts)', () => {
    const obj = loadObject(fixture('sk_msg_skb'));
    for (const [name, type] of [['skb_parse', 'sk_skb'], ['skb_redirect', 'sk_skb'], ['msg_redirect', 'sk_msg']] as const) {
      obj.program(name);
      expect(obj.verification.get(name), name).toEqual({ programType: type, issues: [] });
    }
  });

  it('the kernel loads every program of sk_msg_skb.o', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const path = fileURLToPath(new URL('../fixtures/elf/sk_msg_skb.o', import.meta.url));
    const programs = ['skb_parse', 'skb_redirect', 'msg_redirect'];
    const verdicts = k.exec(programs.map((program) => ({ op: 'obj' as const, path, program })));
    programs.forEach((name, i) => expect(verdicts[i], name).toMatchObject({ kind: 'obj', accepted: true }));
  });

  it('match the live kernel', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const verdicts = k.verdicts(CASES.map((c) => ({ type: c[0], insns: assemble(c[2]), maps: MAPS, logLevel: 1 })));
    const wrong = CASES.flatMap((c, i) => (verdicts[i]!.accepted === c[3] ? [] : [`${c[0]} ${c[1]}: recorded ${c[3] ? 'accepted' : 'refused'}, kernel ${verdicts[i]!.accepted ? 'accepts' : `refuses (${verdicts[i]!.log.trim().split('\n').slice(-2, -1)[0]})`}`]));
    expect(wrong).toEqual([]);
  });
});
