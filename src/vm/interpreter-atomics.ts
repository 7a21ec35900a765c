/**
 * The interpreter's atomic read-modify-write instructions (`BPF_ATOMIC`: add, or, and, xor, their fetch
 * forms, xchg, cmpxchg) on the VM's linear memory: plain reads and writes on a private memory, the host's
 * `Atomics` on a shared one (worker threads).
 * @module
 */

/** Atomic read-modify-write at linear offset `p`; `kind` indexes add, or, and, xor (×fetch), xchg, cmpxchg. */
export function atomic(dv: DataView, p: number, wide: boolean, kind: number, r: Int32Array, s: number): void {
  const ol = dv.getInt32(p, true);
  const oh = wide ? dv.getInt32(p + 4, true) : 0;
  const bl = r[s]!;
  const bh = wide ? r[s + 1]! : 0;
  let nl = 0;
  let nh = 0;
  switch (kind & 3) {
    case 0: {
      const l = (ol >>> 0) + (bl >>> 0);
      nl = l | 0;
      nh = (oh + bh + (l > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 1:
      nl = ol | bl;
      nh = oh | bh;
      break;
    case 2:
      nl = ol & bl;
      nh = oh & bh;
      break;
    default:
      nl = ol ^ bl;
      nh = oh ^ bh;
  }
  if (kind === 8) {
    nl = bl;
    nh = bh;
  }
  if (kind === 9) {
    // cmpxchg: compare with r0 (its low word for the 32-bit form), old value always into r0.
    const eq = wide ? r[0] === ol && r[1] === oh : r[0] === ol;
    r[0] = ol;
    r[1] = oh;
    if (!eq) return;
    nl = bl;
    nh = bh;
  } else if (kind >= 4) {
    r[s] = ol;
    r[s + 1] = oh;
  }
  dv.setInt32(p, nl, true);
  if (wide) dv.setInt32(p + 4, nh, true);
}

let atomicBuffer: ArrayBufferLike | undefined;
let atomic32: Int32Array<ArrayBufferLike> = new Int32Array(0);
let atomic64: BigInt64Array<ArrayBufferLike> = new BigInt64Array(0);

/**
 * {@link atomic} on a shared memory with the host's atomics (`p` aligned to the access size; a misaligned
 * atomic, which the kernel's verifier refuses, is the plain read-modify-write of {@link atomic}).
 */
export function sharedAtomic(buffer: ArrayBufferLike, p: number, wide: boolean, kind: number, r: Int32Array, s: number): void {
  if (buffer !== atomicBuffer) {
    atomicBuffer = buffer;
    atomic32 = new Int32Array(buffer);
    atomic64 = new BigInt64Array(buffer, 0, buffer.byteLength >>> 3);
  }
  if (!wide) {
    const i = p >>> 2;
    const b = r[s]!;
    let old: number;
    switch (kind) {
      case 0: case 4: old = Atomics.add(atomic32, i, b); break;
      case 1: case 5: old = Atomics.or(atomic32, i, b); break;
      case 2: case 6: old = Atomics.and(atomic32, i, b); break;
      case 3: case 7: old = Atomics.xor(atomic32, i, b); break;
      case 8: old = Atomics.exchange(atomic32, i, b); break;
      default: old = Atomics.compareExchange(atomic32, i, r[0]!, b);
    }
    if (kind === 9) {
      r[0] = old;
      r[1] = 0;
    } else if (kind >= 4) {
      r[s] = old;
      r[s + 1] = 0;
    }
    return;
  }
  const i = p >>> 3;
  const b = BigInt.asIntN(64, (BigInt(r[s + 1]!) << 32n) | BigInt(r[s]! >>> 0));
  let old: bigint;
  switch (kind) {
    case 0: case 4: old = Atomics.add(atomic64, i, b); break;
    case 1: case 5: old = Atomics.or(atomic64, i, b); break;
    case 2: case 6: old = Atomics.and(atomic64, i, b); break;
    case 3: case 7: old = Atomics.xor(atomic64, i, b); break;
    case 8: old = Atomics.exchange(atomic64, i, b); break;
    default: old = Atomics.compareExchange(atomic64, i, BigInt.asIntN(64, (BigInt(r[1]!) << 32n) | BigInt(r[0]! >>> 0)), b);
  }
  const at = kind === 9 ? 0 : kind >= 4 ? s : -1;
  if (at >= 0) {
    r[at] = Number(BigInt.asIntN(32, old));
    r[at + 1] = Number(old >> 32n);
  }
}
