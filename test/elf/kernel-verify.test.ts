/**
 * The loader runs the kernel-level verifier on every program of an object (LoadOptions.verify): by
 * default (`'kernel'`, as `true`) its findings refuse the program with a VerifierError naming the pc,
 * the rule, the kernel-style message and the C line, and how to run it anyway; with `verify: 'warn'`
 * they are warnings (the program still loads, the finding is kept in obj.verification and obj.warnings).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, VerifierError } from '../../src/errors.js';
import { load } from './fixtures.js';

describe('kernel-level verification on load', () => {
  it('by default refuses a program the kernel rejects, saying how to run it anyway', () => {
    for (const obj of [load('rodata_abuse'), load('rodata_abuse', { verify: true })]) {
      expect(() => obj.program('probe_read_into')).toThrow(VerifierError);
      expect(() => obj.program('probe_read_into')).toThrow(/pc 9: program probe_read_into \(socket_filter\): \[read-only-write\].*to run it anyway, load with verify: 'warn' \(tsbpf run --verify warn\)/);
    }
  });

  it("with verify: 'warn' warns about a program the kernel rejects, and still loads it", () => {
    const obj = load('rodata_abuse', { verify: 'warn' });
    expect(() => obj.program('probe_read_into')).not.toThrow();
    const v = obj.verification.get('probe_read_into');
    expect(v?.programType).toBe('socket_filter');
    expect(v?.issues.map((i) => `${i.pc}:${i.rule}`)).toEqual(['9:read-only-write']);
    expect(obj.warnings.join('\n')).toMatch(/kernel-level verifier would reject: pc 9: program probe_read_into \(socket_filter\): \[read-only-write\]/);
  });

  it("refuses it with verify: 'kernel', naming pc, rule, message and C line", () => {
    const obj = load('rodata_abuse', { verify: 'kernel' });
    let err: unknown;
    try {
      obj.program('update_through_address');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const e = err as VerifierError;
    expect(e.pc).toBe(14);
    expect(e.message).toBe(
      'pc 14: program update_through_address (socket_filter): [helper-argument] R1 type=map_value expected=map_ptr (argument 1 of bpf_map_update_elem#2) ' +
        "(./rodata_abuse.c:22: bpf_map_update_elem((void *)&cfg, &key, value, BPF_ANY);); to run it anyway, load with verify: 'warn' (tsbpf run --verify warn)",
    );
  });

  it("accepts the programs the kernel accepts with verify: 'kernel'", () => {
    for (const [name, progs] of [['globals', ['calc', 'first', 'second']], ['skb_state', ['hash', 'by_map']], ['xdp_counter', []]] as const) {
      const obj = load(name, { verify: 'kernel' });
      for (const p of progs.length > 0 ? progs : obj.programs.map((x) => x.name)) {
        expect(() => obj.program(p), `${name}:${p}`).not.toThrow();
        expect(obj.verification.get(p)?.issues ?? [], `${name}:${p}`).toEqual([]);
      }
    }
  });

  it("'shape' and false skip the analysis; a bad mode is an argument error", () => {
    const shape = load('rodata_abuse', { verify: 'shape' });
    shape.program('probe_read_into');
    expect(shape.verification.size).toBe(0);
    const off = load('rodata_abuse', { verify: false });
    off.program('probe_read_into');
    expect(off.verification.size).toBe(0);
    expect(() => load('rodata_abuse', { verify: 'strict' as never })).toThrow(ArgumentError);
  });

  it('a raw program whose section names no kernel type gets the shape checks only', () => {
    const obj = load('globals');
    obj.program('add3');
    expect(obj.verification.has('add3')).toBe(false);
  });
});
