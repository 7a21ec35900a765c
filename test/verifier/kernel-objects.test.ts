/** Every clang-built object of the repository passes the kernel-level verifier, but for the listed programs the kernel rejects too and the listed gaps. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { objectMapTable } from '../../src/elf/kernel-check.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { kernelRequest } from './corpus-kernel.js';
import { analyzeObject } from './objects.js';

const DIRS = ['examples', 'test/fixtures/elf'];
// Left out on purpose: format_helpers.o has programs the kernel refuses (bad formats, bpf_strncmp of
// size 0: test/kernel/format-helpers.test.ts); func_args.o, like tracing_events.o, has fentry / fexit
// programs, which have no kernel program type in the analysis; callbacks_bad.o misuses callbacks on
// purpose (test/elf/callbacks.test.ts), timers_bad.o misuses a struct bpf_timer (test/kernel/timers.test.ts), sk_storage_bad.o looks up a
// socket-local storage as a plain map (test/kernel/sk-storage.test.ts), bloom_bad.o looks up and pops a bloom filter
// (test/kernel/bloom.test.ts); link_a.o and link_b.o are halves of a static link whose
// programs call into each other (their linked forms, link_*.linked.o, are checked).
const LEFT_OUT = ['link_a.o', 'link_b.o', 'unknown_helper.o', 'rodata_abuse.o', 'skb_stale.o', 'tracing_events.o', 'format_helpers.o', 'func_args.o', 'callbacks_bad.o', 'timers_bad.o', 'sk_storage_bad.o', 'bloom_bad.o',
  // Iterator programs (a program type the analysis does not model), and a target BTF with no programs.
  'iter_helpers.o', 'task_target.o',
  // tp_btf / fentry programs (BPF_PROG_TYPE_TRACING, which the analysis does not model; test/kernel/cgroup-storage.test.ts loads one in the kernel),
  // and LSM programs (BPF_PROG_TYPE_LSM, not modelled either; test/elf/lsm.test.ts runs them).
  'cgrp_storage.o', 'socket_cookie.o', 'lsm.o', 'event_objects.o',
  // A map of maps with no inner map until its loader gives one (innerMaps; test/elf/loader-features.test.ts).
  'inner_shape.o'];
const objects = DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.o') && !LEFT_OUT.includes(f)).map((f) => `${d}/${f}`));

/**
 * Programs the kernel accepts that the analysis still rejects, each with the reason (issue 14). Listed
 * exactly, so that the test fails, and the entry goes, when the analysis learns the case.
 */
const KNOWN_GAPS: Record<string, { issues: string[]; why: string }> = {
  // Fixed 2026-12-07: mov32_link.o:copy_tail (Calico's ICMPv6 reply loop in small: `w8 = w1` then
  // `if w1 s< 1`; a 32-bit move of a number that fits in 32 bits links the copies, links.ts).
  // Fixed 2026-12-07: stride_loop.o:stride_loop (bcc's ksnoop in small: a loop over two arrays, offsets
  // stepping by 24 and 40, the first bounded by `!= 144`; the trip count ties the second offset to the
  // first, src/verifier/analysis/trip-count.ts).
  // Fixed 2026-12-06: flood.o:flood and tc_skb_ops.o:clone_loop (rotated loops, entered past their
  // head: now unrolled from the edges that enter them).
};

/**
 * Programs of the fixtures that the kernel itself rejects but tsbpf runs (its helpers exist for every
 * program type): socket filters calling tc-only helpers. Checked against the kernel's answer to `call N`
 * per program type (src/verifier/analysis/helper-types.ts).
 */
const KERNEL_REJECTS: Record<string, { issues: string[]; why: string }> = {
  'test/fixtures/elf/context.o:load_store': { issues: ['21:helper-program-type'], why: 'a socket filter calling bpf_skb_store_bytes' },
  'test/fixtures/elf/helpers.o:checksum': { issues: ['19:helper-program-type'], why: 'a socket filter calling bpf_csum_diff' },
  'test/fixtures/elf/rodata_const.o:taken': {
    issues: ['11:stack-access'],
    why: 'a load through fp plus a u32, behind a .rodata flag that is set: the kernel allows the move and refuses the load ("invalid unbounded variable-offset read from stack R2"; test/verifier/rodata-const.test.ts: the kernel rejects it too)',
  },
  'test/fixtures/elf/link_ab.linked.o:cycle': { issues: ['20:call-stack'], why: 'a call cycle across two linked objects (recursion, which the kernel refuses; tsbpf bounds it by the call depth)' },
  'test/fixtures/elf/link_ba.linked.o:cycle': { issues: ['20:call-stack'], why: 'the same cycle, linked in the other order' },
  'test/fixtures/elf/spin_lock.o:double_lock': { issues: ['12:spin-lock'], why: 'bpf_spin_lock twice (the kernel: "Locking two bpf_spin_locks are not allowed"); tsbpf stops it at run time' },
  'test/fixtures/elf/spin_lock.o:no_unlock': { issues: ['16:spin-lock'], why: 'an exit with the lock held (the kernel: "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region")' },
  'test/fixtures/elf/task_btf.o:write_task': { issues: ['2:mem-access'], why: 'a store through bpf_get_current_task_btf\'s task (the kernel: "only read is supported")' },
  'test/fixtures/elf/externs.o:weak_kfunc_unguarded': {
    issues: ['0:helper-unknown'],
    why: 'a call to a weak kfunc no one provides, not behind bpf_ksym_exists(): libbpf leaves the call unresolved and the kernel refuses a reachable one; tsbpf refused it only at run time until 2026-12-08',
  },
  'test/fixtures/elf/kconfig.o:write_kconfig': { issues: ['3:read-only-write'], why: 'a store to a Kconfig extern: the .kconfig map is read-only (libbpf freezes it); tsbpf faults at run time' },
};

describe('clang-built objects at the kernel level', () => {
  it('the kernel accepts stride_loop.o (a gap of the analysis until 2026-12-07)', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/stride_loop.o')), { verify: false });
    const { bytes, relocatedLoads } = obj.program('stride_loop').program;
    const [v] = k.verdicts([kernelRequest(new Uint8Array(bytes), 'xdp', objectMapTable(obj.maps, obj.valueFields()), undefined, relocatedLoads)]);
    expect(v!.accepted).toBe(true);
  });
  it('the kernel accepts mov32_link.o (a gap of the analysis until 2026-12-07: a 32-bit move did not link the copies)', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/mov32_link.o')), { verify: false });
    const { bytes, relocatedLoads } = obj.program('copy_tail').program;
    const [v] = k.verdicts([kernelRequest(new Uint8Array(bytes), 'sched_cls', objectMapTable(obj.maps, obj.valueFields()), undefined, relocatedLoads)]);
    expect(v!.accepted).toBe(true);
  });
  it('the kernel accepts task_btf.o:task_status and refuses write_task (a read the analysis refused until 2026-12-07: bpf_get_current_task_btf gave a number)', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/task_btf.o')), { verify: false });
    const request = (name: string): ReturnType<typeof kernelRequest> => {
      const { bytes, relocatedLoads } = obj.program(name).program;
      return kernelRequest(new Uint8Array(bytes), 'kprobe', objectMapTable(obj.maps, obj.valueFields()), undefined, relocatedLoads);
    };
    expect(k.verdicts([request('task_status'), request('write_task')]).map((v) => v.accepted)).toEqual([true, false]);
  });
  it('finds the objects', () => {
    expect(objects.length).toBeGreaterThanOrEqual(14);
  });
  it('rejects every program of rodata_abuse.o (the kernel refuses them all)', () => {
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/rodata_abuse.o')), { verify: false });
    const results = analyzeObject(obj);
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) expect({ program: r.name, rejected: r.issues.some((i) => i.severity === 'error') }).toEqual({ program: r.name, rejected: true });
  });
  it('rejects the programs of skb_stale.o that use a packet pointer kept across a resize helper', () => {
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/skb_stale.o')), { verify: false });
    const rejected = analyzeObject(obj).filter((r) => r.issues.some((i) => i.severity === 'error')).map((r) => r.name);
    expect(rejected).toEqual(expect.arrayContaining(['stale_read', 'stale_write', 'stale_head']));
  });
  for (const path of objects) {
    it(`accepts every program of ${path}`, () => {
      // verify: false: analyzeObject runs the analysis itself and compares every finding
      const obj = loadObject(new Uint8Array(readFileSync(path)), { verify: false });
      const results = analyzeObject(obj);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        const gap = KNOWN_GAPS[`${path}:${r.name}`] ?? KERNEL_REJECTS[`${path}:${r.name}`];
        // Warnings say what the analysis leaves unchecked (callbacks, kfuncs): only those may have them.
        const errors = r.issues.filter((i) => i.severity === 'error');
        const found = errors.map((i) => `${i.pc}:${i.rule}`);
        expect({ program: r.name, issues: gap === undefined ? errors : found }).toEqual({ program: r.name, issues: gap?.issues ?? [] });
        for (const w of r.issues.filter((i) => i.severity === 'warning')) expect(w.message).toMatch(/^(the callback of helper #\d+ is not analysed|kfunc call \(tsbpf id \d+\): its arguments and result are not checked)/);
      }
    });
  }
});
