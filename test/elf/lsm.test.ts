/**
 * LSM programs (`lsm/…`, `lsm.s/…`, `lsm_cgroup/…`) run as BTF tracing programs do: on a host-described
 * event whose `args` are the hook's arguments, then the return value of the LSM programs before
 * (fixture lsm.c, the socket_connect hook). The program's return value is its verdict: 0 allows, a
 * negative errno refuses. Both engines. The kernel of this machine refuses to load LSM programs (BPF
 * is not among its active LSMs: EPERM), so there is no kernel comparison.
 */
import { describe, expect, it } from 'vitest';
import { load } from './fixtures.js';

const TASK = { pid: 77, tgid: 70, uid: 1000, gid: 1000, comm: 'curl' };
const SOCK = 0xffff_8880_0100_0000n;
const ADDR = 0xffff_c900_0002_0000n;

describe.each([false, true])('LSM programs (jit %s)', (jit) => {
  it('are tracing programs that read the hook arguments and the earlier verdict', () => {
    const obj = load('lsm');
    const p = obj.program('lsm_connect');
    expect(obj.programs.find((x) => x.name === 'lsm_connect')?.type).toBe('tracing');
    const allow = p.runEvent({ args: [SOCK, ADDR, 16n, 0n] }, { jit, task: TASK });
    expect(allow.r0).toBe(0n);
    const seen = obj.map('seen').entries().map(([, v]) => new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
    expect(seen).toEqual([SOCK, ADDR, 16n, 0n, 70n]);
    // addrlen 7 is refused with -1 (EPERM); an earlier refusal (-13, EACCES) is passed on.
    expect(BigInt.asIntN(32, p.runEvent({ args: [SOCK, ADDR, 7n, 0n] }, { jit, task: TASK }).r0)).toBe(-1n);
    expect(BigInt.asIntN(32, p.runEvent({ args: [SOCK, ADDR, 16n, BigInt.asUintN(64, -13n)] }, { jit, task: TASK }).r0)).toBe(-13n);
  });
});
