/**
 * The x86-64 `struct pt_regs` a kprobe (or uprobe, perf event) program gets as its context: 21
 * 8-byte registers in the kernel's order. `ptRegs({ di: 3n, si: 0xffff8880_0000_1000n })` builds one
 * for `ProgramRunner.run(ctx, …)`; libbpf's `PT_REGS_PARM1..5` read `di`, `si`, `dx`, `cx`, `r8`,
 * `PT_REGS_RC` reads `ax`, `PT_REGS_IP` `ip`, `PT_REGS_SP` `sp`.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Register names of x86-64 `struct pt_regs`, in layout order (offset = 8 × index). */
export const PT_REGS_FIELDS = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
] as const;

/** A register of x86-64 `struct pt_regs`. */
export type PtReg = (typeof PT_REGS_FIELDS)[number];

/** Bytes of x86-64 `struct pt_regs`. */
export const PT_REGS_SIZE = PT_REGS_FIELDS.length * 8;

/** An x86-64 `struct pt_regs` with the given registers (64-bit values; the rest 0). */
export function ptRegs(regs: Readonly<Partial<Record<PtReg, bigint>>>): Uint8Array {
  if (typeof regs !== 'object' || regs === null) throw new ArgumentError(`regs must be an object of register names to bigints, not ${describeValue(regs)}`);
  const out = new Uint8Array(PT_REGS_SIZE);
  const v = new DataView(out.buffer);
  for (const [name, value] of Object.entries(regs)) {
    const i = (PT_REGS_FIELDS as readonly string[]).indexOf(name);
    if (i < 0) throw new ArgumentError(`regs.${name}: not an x86-64 pt_regs register (${PT_REGS_FIELDS.join(', ')})`);
    if (typeof value !== 'bigint') throw new ArgumentError(`regs.${name} must be a bigint, not ${describeValue(value)}`);
    v.setBigUint64(8 * i, BigInt.asUintN(64, value), true);
  }
  return out;
}
