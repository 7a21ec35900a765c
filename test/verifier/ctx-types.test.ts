/**
 * The rules of the newer program types' contexts as a table, each row naming the kernel's verdict
 * (Linux 6.18, BPF_PROG_LOAD as root; kernel-ctx-types.test.ts checks every offset against the live
 * kernel): the ones the uapi comments do not state are here so that a change to a layout shows.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ArgumentError } from '../../src/errors.js';
import { attachTypeOfSection, checkProgram, programTypeOfSection, type AttachType, type KernelProgramType } from '../../src/verifier/index.js';

const errors = (type: KernelProgramType, src: string, attachType?: AttachType): string[] =>
  checkProgram(assemble(src), { level: 'kernel', programType: type, ...(attachType === undefined ? {} : { attachType }) })
    .filter((i) => i.severity === 'error')
    .map((i) => i.rule);

/** [type, attach type, program, the kernel's verdict: 'ok' or the analysis rule its refusal maps to, the kernel's message]. */
const TABLE: [KernelProgramType, AttachType | undefined, string, string, string][] = [
  ['sk_skb', undefined, 'r0 = *(u32 *)(r1 + 8)\nexit', 'ctx-access', 'invalid bpf_context access off=8 size=4 (mark: hidden from sk_skb)'],
  ['sk_skb', undefined, 'r0 = *(u64 *)(r1 + 48)\nexit', 'ok', 'cb[] is read 8 bytes at a time'],
  ['sk_skb', undefined, 'r2 = 0\n*(u32 *)(r1 + 48) = r2\nr0 = 0\nexit', 'ctx-access', 'invalid bpf_context access off=48 size=4 (cb[] is read-only)'],
  ['sk_skb', undefined, 'r2 = 0\n*(u32 *)(r1 + 44) = r2\nr0 = 0\nexit', 'ok', 'tc_index is written'],
  ['sk_skb', undefined, 'r0 = *(u8 *)(r1 + 93)\nexit', 'ctx-access', 'invalid bpf_context access off=93 size=1 (addresses are read whole)'],
  ['sk_msg', undefined, 'r0 = *(u16 *)(r1 + 16)\nexit', 'ctx-access', 'invalid bpf_context access off=16 size=2 (sk_msg_md fields read whole)'],
  ['sk_msg', undefined, 'r2 = *(u64 *)(r1 + 72)\nr0 = *(u32 *)(r2 + 4)\nexit', 'ok', 'sk is a socket, never NULL'],
  ['cgroup_sock_addr', 'cgroup_inet6_connect', 'r0 = *(u64 *)(r1 + 16)\nr0 = 1\nexit', 'ok', 'user_ip6[2..3] read 8 bytes at a time'],
  ['cgroup_sock_addr', 'cgroup_inet6_connect', 'r0 = *(u64 *)(r1 + 12)\nr0 = 1\nexit', 'ctx-access', 'misaligned 8-byte access'],
  ['cgroup_sock_addr', 'cgroup_inet4_connect', 'r0 = *(u32 *)(r1 + 8)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=8 size=4 (no user_ip6 in an IPv4 hook)'],
  ['cgroup_sock_addr', 'cgroup_inet4_connect', 'r0 = *(u16 *)(r1 + 0)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=0 size=2 (user_family read whole)'],
  ['cgroup_sock_addr', 'cgroup_inet4_connect', 'r2 = 0\n*(u16 *)(r1 + 4) = r2\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=4 size=2 (user_ip4 written whole)'],
  ['cgroup_sock_addr', 'cgroup_udp4_sendmsg', 'r2 = 0\n*(u32 *)(r1 + 40) = r2\nr0 = 1\nexit', 'ok', 'msg_src_ip4 is written by sendmsg hooks'],
  ['cgroup_sock_addr', 'cgroup_inet4_connect', 'r0 = *(u32 *)(r1 + 40)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=40 size=4 (msg_src_ip4 only in sendmsg4)'],
  ['cgroup_sock_addr', 'cgroup_unix_connect', 'r0 = *(u32 *)(r1 + 24)\nr0 = 1\nexit', 'ok', 'user_port in a unix hook'],
  ['cgroup_sock_addr', 'cgroup_unix_connect', 'r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=4 size=4 (no address in a unix hook)'],
  ['cgroup_sock_addr', 'cgroup_inet4_bind', 'r0 = 3\nexit', 'ok', 'bind hooks return 0 to 3'],
  ['cgroup_sock_addr', 'cgroup_inet4_connect', 'r0 = 2\nexit', 'return-value', 'should have been in [0, 1]'],
  ['cgroup_sock_addr', 'cgroup_udp4_recvmsg', 'r0 = 0\nexit', 'return-value', 'should have been in [1, 1]'],
  ['cgroup_sock_addr', 'cgroup_inet6_getsockname', 'r0 = 0\nexit', 'return-value', 'should have been in [1, 1]'],
  ['cgroup_sock_addr', undefined, 'r0 = 2\nexit', 'return-value', 'no attach type: the IPv4 connect hook'],
  ['cgroup_sock', 'cgroup_inet_sock_create', 'r0 = *(u8 *)(r1 + 5)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=5 size=1 (family: narrower only at its start)'],
  ['cgroup_sock', 'cgroup_inet_sock_create', 'r0 = *(u8 *)(r1 + 49)\nr0 = 1\nexit', 'ok', 'dst_port by byte'],
  ['cgroup_sock', 'cgroup_inet_sock_create', 'r0 = *(u16 *)(r1 + 50)\nr0 = 1\nexit', 'ctx-access', "invalid bpf_context access off=50 size=2 (dst_port's padding)"],
  ['cgroup_sock', 'cgroup_inet_sock_create', 'r2 = 0\n*(u32 *)(r1 + 16) = r2\nr0 = 1\nexit', 'ok', 'mark written at socket creation'],
  ['cgroup_sock', 'cgroup_inet4_post_bind', 'r2 = 0\n*(u32 *)(r1 + 16) = r2\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=16 size=4 (not after a bind)'],
  ['cgroup_sock', 'cgroup_inet4_post_bind', 'r0 = *(u16 *)(r1 + 26)\nr0 = 1\nexit', 'ok', 'src_ip4 by half'],
  ['cgroup_sock', 'cgroup_inet4_post_bind', 'r0 = *(u32 *)(r1 + 28)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=28 size=4 (src_ip6 is post_bind6)'],
  ['cgroup_sockopt', 'cgroup_getsockopt', 'r2 = 0\n*(u32 *)(r1 + 36) = r2\nr0 = 1\nexit', 'ok', 'retval written by getsockopt'],
  ['cgroup_sockopt', 'cgroup_setsockopt', 'r0 = *(u32 *)(r1 + 36)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=36 size=4 (no retval in setsockopt)'],
  ['cgroup_sockopt', 'cgroup_setsockopt', 'r2 = 0\n*(u32 *)(r1 + 24) = r2\nr0 = 1\nexit', 'ok', 'level written by setsockopt'],
  ['cgroup_sockopt', 'cgroup_getsockopt', 'r2 = 0\nr3 = 0\nr4 = r10\nr4 += -8\n*(u64 *)(r10 - 8) = r3\nr5 = 8\ncall 49\nr0 = 1\nexit', 'helper-program-type', 'program of this type cannot use helper bpf_setsockopt#49 (only in setsockopt)'],
  ['sk_lookup', undefined, 'r2 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 4)\nr0 = 1\nexit', 'invalid-mem-access', "R2 invalid mem access 'sock_or_null'"],
  ['sk_lookup', undefined, 'r0 = *(u8 *)(r1 + 39)\nr0 = 1\nexit', 'ok', "remote_port's padding by byte"],
  ['sk_reuseport', undefined, 'r0 = *(u8 *)(r1 + 20)\nexit', 'ctx-access', 'invalid bpf_context access off=20 size=1 (eth_protocol at 2 or 4 bytes)'],
  ['sk_reuseport', undefined, 'r0 = *(u16 *)(r1 + 22)\nexit', 'ok', 'eth_protocol by half'],
  ['lwt_in', undefined, 'r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +1\n*(u8 *)(r2 + 0) = 1\nr0 = 0\nexit', 'packet-access', 'cannot write into packet'],
  ['lwt_xmit', undefined, 'r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +1\n*(u8 *)(r2 + 0) = 1\nr0 = 0\nexit', 'ok', 'lwt_xmit writes the packet'],
  ['lwt_out', undefined, 'r0 = *(u32 *)(r1 + 88)\nexit', 'ctx-access', 'invalid bpf_context access off=88 size=4 (no socket fields)'],
  ['cgroup_device', undefined, 'r0 = *(u16 *)(r1 + 4)\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=4 size=2 (major read whole)'],
  ['cgroup_sysctl', undefined, 'r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 1\nexit', 'ctx-access', 'invalid bpf_context access off=0 size=4 (write is read-only)'],
  ['cgroup_sysctl', undefined, 'r0 = 2\nexit', 'return-value', 'should have been in [0, 1]'],
  ['flow_dissector', undefined, 'r2 = *(u64 *)(r1 + 144)\nr0 = *(u16 *)(r2 + 1)\nr0 = 0\nexit', 'ok', 'flow keys read unaligned'],
  ['flow_dissector', undefined, 'r2 = *(u64 *)(r1 + 144)\nr2 += 8\nr0 = *(u64 *)(r2 + 48)\nr0 = 0\nexit', 'ctx-access', 'invalid access to flow keys off=56 size=8'],
  ['flow_dissector', undefined, 'r2 = *(u64 *)(r1 + 144)\nr3 = 1\nlock *(u32 *)(r2 + 4) += r3\nr0 = 0\nexit', 'ctx-access', 'BPF_ATOMIC stores into R2 flow_keys is not allowed'],
  ['flow_dissector', undefined, 'r2 = *(u64 *)(r1 + 144)\nr1 = r2\nr2 = 8\ncall 6\nr0 = 0\nexit', 'helper-argument', 'R1 type=flow_keys expected=fp, pkt, ...'],
  ['flow_dissector', undefined, 'r0 = *(u32 *)(r1 + 0)\nexit', 'ctx-access', 'invalid bpf_context access off=0 size=4 (only data, data_end, flow_keys)'],
];

describe('the newer program types', () => {
  it.each(TABLE)('%s %s: %j is %s (%s)', (type, attach, src, verdict) => {
    const rules = errors(type, src, attach);
    if (verdict === 'ok') expect(rules).toEqual([]);
    else expect(rules[0]).toBe(verdict);
  });

  it('refuses an attach type the program type does not have', () => {
    expect(() => checkProgram(assemble('r0 = 1\nexit'), { level: 'kernel', programType: 'sk_skb', attachType: 'cgroup_inet4_connect' })).toThrow(ArgumentError);
    expect(() => checkProgram(assemble('r0 = 1\nexit'), { level: 'kernel', programType: 'cgroup_sock_addr', attachType: 'xdp_devmap' })).toThrow(/use one of cgroup_inet4_connect/);
    expect(() => checkProgram(assemble('r0 = 1\nexit'), { level: 'kernel', programType: 'cgroup_sock_addr', attachType: 'connect4' as AttachType })).toThrow(ArgumentError);
  });

  it('takes the type and attach type from libbpf section names', () => {
    const cases: [string, KernelProgramType | undefined, AttachType | undefined][] = [
      ['sk_skb/stream_parser', 'sk_skb', undefined],
      ['sk_skb/stream_verdict', 'sk_skb', undefined],
      ['sk_skb', 'sk_skb', undefined],
      ['sk_msg', 'sk_msg', undefined],
      ['cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect'],
      ['cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg'],
      ['cgroup/recvmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_recvmsg'],
      ['cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname'],
      ['cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind'],
      ['cgroup/skb', 'cgroup_skb', undefined],
      ['cgroup/nonsense', undefined, undefined],
      ['xdp/devmap', 'xdp', 'xdp_devmap'],
      ['cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create'],
      ['cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create'],
      ['cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind'],
      ['cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release'],
      ['cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt'],
      ['cgroup/dev', 'cgroup_device', undefined],
      ['cgroup/sysctl', 'cgroup_sysctl', undefined],
      ['cgroup/constructor', undefined, undefined],
      ['cgroup/__proto__', undefined, undefined],
      ['sk_lookup', 'sk_lookup', 'sk_lookup'],
      ['sk_reuseport', 'sk_reuseport', 'sk_reuseport_select'],
      ['sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate'],
      ['lwt_xmit', 'lwt_xmit', undefined],
      ['lwt_seg6local', 'lwt_seg6local', undefined],
      ['flow_dissector', 'flow_dissector', undefined],
      ['constructor', undefined, undefined],
    ];
    for (const [section, type, attach] of cases) {
      expect(programTypeOfSection(section), section).toBe(type);
      expect(attachTypeOfSection(section), section).toBe(attach);
    }
  });
});
