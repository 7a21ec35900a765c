/**
 * The function-tracing helpers on host-described events (fixture func_args.c): an fexit / fentry
 * program reads its arguments, return value, function address and cookie through
 * bpf_get_func_arg(_cnt), bpf_get_func_ret, bpf_get_func_ip and bpf_get_attach_cookie; argument slots
 * past the event's count are -EINVAL (the value left unwritten), the return value of an fentry run
 * -EOPNOTSUPP, as the kernel's inlined helpers give; bpf_get_socket_cookie of a socket pointer (fixture
 * socket_cookie.c). Each case runs on both engines.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ExecutionError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { assemble } from '../../src/asm/index.js';
import { fixture } from './fixtures.js';

const EINVAL = -22n;
const EOPNOTSUPP = -95n;

function seen(bytes: Uint8Array): { cnt: bigint; retRc: bigint; ret: bigint; ip: bigint; cookie: bigint; rc: bigint[]; arg: bigint[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = (i: number): bigint => v.getBigInt64(8 * i, true);
  return {
    cnt: s(0), retRc: s(1), ret: s(2), ip: s(3), cookie: s(4),
    rc: Array.from({ length: 13 }, (_, i) => s(5 + i)),
    arg: Array.from({ length: 13 }, (_, i) => v.getBigUint64(8 * (18 + i), true)),
  };
}

describe.each([false, true])('function tracing helpers (jit %s)', (jit) => {
  it('fexit: the arguments, the return value after them, the address and the cookie', () => {
    const o = loadObject(fixture('func_args'));
    const args = [3n, 0x7ffd_0000_1000n, 0xffff_ffff_ffff_fff6n];
    o.program('on_exit').runEvent({ args, ret: 0xffff_ffff_ffff_fffen, funcIp: 0xffff_ffff_8123_4560n, cookie: 42n }, { jit });
    const s = seen(o.map('seen').lookup(new Uint8Array(4))!);
    expect(s.cnt).toBe(3n);
    expect(s.rc).toEqual([0n, 0n, 0n, ...new Array(10).fill(EINVAL)]);
    expect(s.arg).toEqual([...args, ...new Array(10).fill(0xaaaan)]);
    expect(s).toMatchObject({ retRc: 0n, ret: -2n, ip: BigInt.asIntN(64, 0xffff_ffff_8123_4560n), cookie: 42n });
  });

  it('fentry (no return value), twelve arguments, none', () => {
    const o = loadObject(fixture('func_args'));
    const key = new Uint8Array([1, 0, 0, 0]);
    const twelve = Array.from({ length: 12 }, (_, i) => BigInt(i + 1) << 40n);
    o.program('on_entry').runEvent({ args: twelve }, { jit });
    let s = seen(o.map('seen').lookup(key)!);
    expect(s).toMatchObject({ cnt: 12n, retRc: EOPNOTSUPP, ret: 0xbbbbn, ip: 0n, cookie: 0n });
    expect(s.rc).toEqual([...new Array(12).fill(0n), EINVAL]);
    expect(s.arg).toEqual([...twelve, 0xaaaan]);
    o.program('on_entry').runEvent(undefined, { jit });
    s = seen(o.map('seen').lookup(key)!);
    expect(s.cnt).toBe(0n);
    expect(s.rc).toEqual(new Array(13).fill(EINVAL));
    // fexit of a function without arguments: the return value is slot 0.
    o.program('on_exit').runEvent({ ret: 9n }, { jit });
    expect(seen(o.map('seen').lookup(new Uint8Array(4))!)).toMatchObject({ cnt: 0n, retRc: 0n, ret: 9n });
  });

  it('bpf_get_socket_cookie of a socket pointer (fentry, tp_btf): 0 for NULL, one non-zero cookie per socket', () => {
    const p = loadObject(fixture('socket_cookie')).program('cookie_of_first_arg');
    const cookie = (sk: bigint): bigint => p.runEvent({ args: [sk] }, { jit }).r0;
    expect(cookie(0n)).toBe(0n);
    const socks = [0xffff_8880_0123_4000n, 0xffff_8880_0123_4800n, 1n, 0xffff_ffff_ffff_ffffn];
    const cookies = socks.map(cookie);
    expect(cookies.every((c) => c !== 0n)).toBe(true);
    expect(new Set(cookies).size).toBe(socks.length);
    expect(socks.map(cookie)).toEqual(cookies);
    // Another object gives the same socket the same cookie (it is the socket's, not the run's).
    expect(loadObject(fixture('socket_cookie')).program('cookie_of_first_arg').runEvent({ args: [socks[0]!] }, { jit }).r0).toBe(cookies[0]);
  });

  it('kprobe: bpf_get_func_ip and bpf_get_attach_cookie from the event', () => {
    const o = loadObject(fixture('func_args'));
    expect(o.program('on_kprobe').runEvent({ funcIp: 0x1000n, cookie: 5n }, { jit }).r0).toBe(0x1005n);
    expect(o.program('on_kprobe').runEvent(undefined, { jit }).r0).toBe(0n);
  });

  it('refuses events that do not fit: a return value for a kprobe, a bad cookie, 13 arguments', () => {
    const o = loadObject(fixture('func_args'));
    expect(() => o.program('on_kprobe').runEvent({ ret: 1n }, { jit })).toThrow(ArgumentError);
    expect(() => o.program('on_exit').runEvent({ cookie: 'x' as unknown as bigint }, { jit })).toThrow(ArgumentError);
    expect(() => o.program('on_exit').runEvent({ args: new Array(13).fill(0n) }, { jit })).toThrow(ArgumentError);
    expect(() => o.program('on_exit').runEvent({ ret: 1n << 64n }, { jit })).toThrow(ArgumentError);
  });
});

describe('function argument helpers outside BTF programs', () => {
  it('are an ExecutionError naming the helper, not a value read from elsewhere', () => {
    const o = loadObject(fixture('func_args'));
    // A raw run has no traced function: bpf_get_func_arg_cnt fails clearly.
    const prog = o.program('on_entry');
    expect(() => prog.run(new Uint8Array(104))).toThrow(ExecutionError);
    expect(() => prog.run(new Uint8Array(104))).toThrow(/bpf_get_func_arg_cnt: only fentry/);
    expect(assemble('r0 = 0\nexit').length).toBe(16);
  });
});
