/**
 * The legacy packet loads (LD_ABS / LD_IND), shared by both engines and the tracing engine.
 * @module
 */
import { MEM_START, type VmMemory } from './memory.js';

/** LD_ABS / LD_IND offsets from here up to -1 are relative to the network header (`SKF_NET_OFF`). */
export const SKF_NET_OFF = -0x100000;
/** Offsets from here up to `SKF_NET_OFF - 1` are relative to the link-layer header (`SKF_LL_OFF`). */
export const SKF_LL_OFF = -0x200000;

/**
 * A big-endian read of `size` bytes at `offset` (signed 32-bit: the immediate, plus the source register
 * for LD_IND) into the input memory (the region at MEM_START). As in the kernel, an offset in
 * `[SKF_NET_OFF, 0)` counts from the network header and one in `[SKF_LL_OFF, SKF_NET_OFF)` from the
 * link-layer header — the frame's start — when the region says where its network header is (socket
 * filter and tc runs, {@link Region.networkHeader}). Returns -1 when the access is outside the region
 * (or the offset is below both bases): the program then ends with r0 = 0, as in the kernel.
 */
export function packetLoad(memory: VmMemory, offset: number, size: number): number {
  let at = offset;
  if (at < 0) {
    const frame = memory.find(MEM_START, 0);
    const net = frame?.vaddr === MEM_START ? frame.networkHeader : undefined;
    if (net === undefined || at < SKF_LL_OFF) return -1;
    at = at >= SKF_NET_OFF ? net + (at - SKF_NET_OFF) : at - SKF_LL_OFF;
  }
  const region = memory.find(MEM_START + at, size);
  if (region === undefined || region.vaddr !== MEM_START) return -1;
  const v = memory.view;
  const p = region.offset + at;
  return size === 1 ? v.getUint8(p) : size === 2 ? v.getUint16(p, false) : v.getUint32(p, false);
}
