/**
 * `bpf_check_mtu` (helper 163) for XDP and tc programs, against the MTUs of the host's {@link Fib}
 * interfaces. As BPF_PROG_TEST_RUN on Linux 6.18 gives it (test/kernel/skb-info.test.ts): flags other
 * than `BPF_MTU_CHK_SEGS` (tc only; XDP takes none), or SEGS with a length or a `len_diff`, are
 * -EINVAL; an unknown interface -ENODEV (`mtu_len` untouched). Otherwise the L3 length — `*mtu_len` when
 * it is not 0, else the packet's length less its 14-byte Ethernet header — plus `len_diff`, as a 32-bit
 * signed number (a negative size is no violation), is compared with the interface's MTU, which is
 * written to `*mtu_len`: 0 when it fits, `BPF_MTU_CHK_RET_FRAG_NEEDED` (1) when not. A GSO skb
 * (`gso_size` set) that does not fit passes, as its segments are checked when sent; with SEGS it is
 * -EINVAL, as the test run's GSO skbs give.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { Fib } from './fib-table.js';
import type { PacketRunHost } from './packet.js';
import { Errno, negErrno } from '../maps/types.js';
import { SkBuff, XdpMd } from '../context/layout.js';

/** The helper's id (uapi `linux/bpf.h`). */
export const CHECK_MTU = 163;

/** `bpf_check_mtu` results (`BPF_MTU_CHK_RET_*`) and its flag. */
export const MtuCheck = { SUCCESS: 0, FRAG_NEEDED: 1, SEGS_TOOBIG: 2, FLAG_SEGS: 1 } as const;

const ETH_HLEN = 14;
/** The loopback interface: a test run's skb device, and an skb run's when the host names none. */
const LOOPBACK = 1;

/** The `bpf_check_mtu` helper, bound to the object's memory and the host's interfaces. */
export function mtuHelpers(memory: VmMemory, fib: Fib): Map<number, HelperEntry> {
  const fn = (_r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, ctx: HelperContext): bigint | number => {
    const host = ctx.host as Partial<PacketRunHost> | undefined;
    const kind = host?.kind;
    if (kind !== 'xdp' && kind !== 'tc') {
      throw new ExecutionError(ErrorCode.HELPER, 'bpf_check_mtu: only XDP and tc programs may call it (the kernel refuses it elsewhere); run the program with runXdp or runTc', { pc: ctx.pc, helper: 'bpf_check_mtu' });
    }
    const cell = memory.slice(r3, 4, true, ctx.pc);
    const mtuLen = new DataView(cell.buffer, cell.byteOffset, 4);
    const lenDiff = Number(BigInt.asIntN(32, r4));
    const segs = r5 === BigInt(MtuCheck.FLAG_SEGS);
    if (kind === 'xdp' ? r5 !== 0n : r5 !== 0n && !segs) return negErrno(Errno.EINVAL);
    if (segs && (mtuLen.getUint32(0, true) !== 0 || lenDiff !== 0)) return negErrno(Errno.EINVAL);
    const v = memory.view;
    const ctxAt = host!.ctxOffset!;
    let ifindex = Number(r2 & 0xffffffffn);
    if (ifindex === 0) ifindex = v.getUint32(ctxAt + (kind === 'xdp' ? XdpMd.ingress_ifindex : SkBuff.ifindex), true) || LOOPBACK;
    const dev = fib.devices.get(ifindex);
    if (dev === undefined) return negErrno(Errno.ENODEV);
    const packetLength = kind === 'xdp' ? host!.xdpData!().length : host!.packet!().length;
    const given = mtuLen.getUint32(0, true);
    const len = ((given !== 0 ? given : packetLength - ETH_HLEN) + lenDiff) | 0;
    let ret: number = len > dev.mtu ? MtuCheck.FRAG_NEEDED : MtuCheck.SUCCESS;
    if (ret !== MtuCheck.SUCCESS && kind === 'tc' && v.getUint32(ctxAt + SkBuff.gso_size, true) !== 0) {
      if (segs) return negErrno(Errno.EINVAL);
      ret = MtuCheck.SUCCESS;
    }
    mtuLen.setUint32(0, dev.mtu, true);
    return ret;
  };
  return new Map([[CHECK_MTU, { fn, name: 'bpf_check_mtu', unwindOnZero: false }]]);
}
