/** Small builders shared by the VM tests: programs from instruction lists, VMs without a verifier. */
import { AluOp, Class, JmpOp, Opcode, Size, Mode, Source, encodeProgram, insn, type Insn } from '../../src/isa/index.js';
import { splitWideImm } from '../../src/isa/instruction.js';
import { EbpfVmRaw, type VmOptions } from '../../src/vm/vm.js';

export { AluOp, Class, JmpOp, Opcode, Size, Mode, Source, insn };

/** Both slots of `lddw dst, value`. */
export function lddw(dst: number, value: bigint): Insn[] {
  const { lo, hi } = splitWideImm(value);
  return [insn(Opcode.LDDW, dst, 0, 0, lo), insn(0, 0, 0, 0, hi)];
}

/** What `fn` throws (undefined when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** `exit`. */
export const exit = (): Insn => insn(Opcode.EXIT);

/** `mov64 dst, imm`. */
export const mov = (dst: number, imm: number): Insn => insn(Class.ALU64 | AluOp.MOV | Source.K, dst, 0, 0, imm);

/** A Raw VM with a permissive verifier (these tests exercise the engine, not the verifier). */
export function rawVm(insns: readonly Insn[], options: VmOptions = {}): EbpfVmRaw {
  return new EbpfVmRaw(encodeProgram(insns), { verifier: () => {}, ...options });
}

// One VM reused by `run` (creating a WebAssembly.Memory per program would dominate the tests' time).
const shared = new EbpfVmRaw(undefined, { verifier: () => {} });

/** Run `insns` on `mem` (default limits, no helpers) and return r0. */
export function run(insns: readonly Insn[], mem: Uint8Array = new Uint8Array(0)): bigint {
  shared.setProgram(encodeProgram(insns));
  return shared.executeProgram(mem);
}
