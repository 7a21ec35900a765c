/**
 * CO-RE relocations (`.BTF.ext` core_relo records) applied to an object's code before linking, as
 * libbpf applies them: each relocation's value is computed on the object's own BTF (what the compiler
 * put in the instruction) and on the target BTF (the object's own by default, or a kernel's `vmlinux`
 * BTF the host passes), and the instruction is rewritten from one to the other:
 *
 * - an ALU instruction with an immediate (`r1 += 8`, `r1 = 4`): the immediate;
 * - a load or store (`r1 = *(u32 *)(r2 + 8)`): the offset, and for a load of a field whose size
 *   changed, the load's width (not for signed fields or stores, which cannot be adjusted);
 * - a 64-bit immediate load (`lddw`): the value.
 *
 * The instruction must hold the local value, else the object is inconsistent. When the target lacks
 * the field, type or enumerator, `*_exists`, `type_matches`, `type size` and `target type id`
 * relocations become 0 (as libbpf makes them); any other
 * relocation is "poisoned", as libbpf does, so that a program guarding it with an existence check
 * still loads: the instruction becomes a call that fails, when reached, with an `EbpfError` naming
 * the relocation and the field (`E_HELPER`, "CO-RE relocation ... cannot be resolved"). Each poisoned
 * relocation is also listed in the object's warnings. Nothing is silently left as compiled.
 * @module
 */
import { ErrorCode, ExecutionError, ObjectFileError } from '../errors.js';
import { decodeInsn, encodeInsnInto, splitWideImm, wideImm } from '../isa/instruction.js';
import { CallKind, Class, Mode, Opcode, Size, Source, INSN_SIZE, classOf, sizeBytes } from '../isa/opcodes.js';
import type { HelperEntry } from '../vm/environment.js';
import type { Btf } from './btf.js';
import type { CoreRelo } from './btf-ext.js';
import { CORE_KIND_NAMES, CoreKind, TargetIndex, coreValue, describeAccess, isZeroWhenMissingKind, type CoreValue } from './core-spec.js';
import type { ElfFile } from './reader.js';

/** Helper ids of poisoned relocations start here (libbpf's poison call immediate). */
export const CORE_POISON_BASE = 0xbad2310;

/** What applying an object's CO-RE relocations did. */
export interface CoreResult {
  /** Relocations applied (including those that left the instruction as it was). */
  readonly applied: number;
  /** Messages for poisoned relocations, one each (also the failing calls' messages). */
  readonly poisoned: readonly string[];
  /** The poison helpers to register, by id. */
  readonly helpers: ReadonlyMap<number, HelperEntry>;
}

const SIZE_FIELD: Readonly<Record<number, number>> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };

/**
 * Apply every CO-RE relocation of `relos` (by section name) to the sections' code in place. `target`
 * is the BTF to relocate against (the object's own `local` BTF when the host gave none). Poisoned
 * instructions call helpers numbered from `firstId` (objects linked together take ids one after another).
 */
export function applyCoreRelocations(elf: ElfFile, local: Btf, target: Btf, relos: ReadonlyMap<string, readonly CoreRelo[]>, firstId = CORE_POISON_BASE): CoreResult {
  const index = target === local ? undefined : new TargetIndex(target);
  const poisoned: string[] = [];
  const helpers = new Map<number, HelperEntry>();
  let applied = 0;
  for (const [sectionName, list] of relos) {
    const section = elf.sections.find((s) => s.name === sectionName && s.data.length > 0);
    for (const r of list) {
      const where = `${sectionName}+${r.insnOffset / INSN_SIZE}`;
      const what = `${CORE_KIND_NAMES[r.kind] ?? `kind ${r.kind}`} of ${describeAccess(local, r.typeId, r.access, r.kind)}`;
      if (section === undefined || r.insnOffset % INSN_SIZE !== 0 || r.insnOffset + INSN_SIZE > section.data.length) {
        // Not an instruction of the file: nothing to poison, so the whole object is refused.
        throw new ObjectFileError(ErrorCode.BTF, `BTF.ext: CO-RE relocation (${what}) at ${where} is not an instruction of the object`);
      }
      const poison = (why: string): void => {
        const id = firstId + helpers.size;
        const message = `CO-RE relocation at ${where} (${what}) cannot be resolved: ${why}`;
        poisoned.push(message);
        helpers.set(id, {
          name: 'core_relocation_failed',
          unwindOnZero: false,
          fn: (_1, _2, _3, _4, _5, ctx) => {
            throw new ExecutionError(ErrorCode.HELPER, message, { pc: ctx.pc, helper: 'core_relocation_failed' });
          },
        });
        poisonAt(section.data, r.insnOffset / INSN_SIZE, id);
      };
      const localValue = safeValue(local, local, undefined, r);
      if (typeof localValue === 'string') {
        poison(localValue);
        continue;
      }
      if (localValue === undefined) {
        poison('the object\'s own BTF does not describe it');
        continue;
      }
      // Against its own BTF the code is as compiled: only checked (a bitfield's choice of load is clang's).
      if (target === local && localValue.bitfield === true) {
        applied++;
        continue;
      }
      let targetValue = target === local ? localValue : safeValue(local, target, index, r);
      if (typeof targetValue === 'string') {
        poison(targetValue);
        continue;
      }
      if (targetValue === undefined) {
        if (!isZeroWhenMissingKind(r.kind)) {
          poison(`the target BTF has no such ${r.kind >= CoreKind.ENUMVAL_EXISTS && r.kind <= CoreKind.ENUMVAL_VALUE ? 'enumerator' : r.kind >= CoreKind.TYPE_ID_LOCAL ? 'type' : 'field'}`);
          continue;
        }
        targetValue = { value: 0n };
      }
      const why = patch(section.data, r.insnOffset / INSN_SIZE, r.kind, localValue, targetValue);
      if (why !== undefined) poison(why);
      else applied++;
    }
  }
  return { applied, poisoned, helpers };
}

function safeValue(local: Btf, target: Btf, index: TargetIndex | undefined, r: CoreRelo): CoreValue | undefined | string {
  try {
    return coreValue(local, r.typeId, r.access, r.kind, target, index);
  } catch (e) {
    // Malformed BTF (a bad type id): the relocation cannot mean anything.
    return e instanceof Error ? e.message : String(e);
  }
}

/** Replace the instruction (both slots of an lddw) with a call to the poison helper `id`. */
function poisonAt(code: Uint8Array, slot: number, id: number): void {
  const wide = decodeInsn(code, slot).opcode === Opcode.LDDW && (slot + 2) * INSN_SIZE <= code.length;
  encodeInsnInto(code, slot, { opcode: Opcode.CALL, dst: 0, src: CallKind.HELPER, offset: 0, imm: id | 0 });
  // The second slot of an lddw becomes `goto +0` (never reached: the call fails).
  if (wide) encodeInsnInto(code, slot + 1, { opcode: Opcode.JA, dst: 0, src: 0, offset: 0, imm: 0 });
}

/** Rewrite one instruction from the local value to the target's; a reason when it cannot be. */
function patch(code: Uint8Array, slot: number, kind: number, local: CoreValue, target: CoreValue): string | undefined {
  const i = decodeInsn(code, slot);
  const cls = classOf(i.opcode);
  // A bitfield's compiled values are clang's choice of load, not libbpf's: not compared.
  const check = local.bitfield !== true;
  const orig = local.value;
  const next = target.value;
  if (i.opcode === Opcode.LDDW) {
    if ((slot + 2) * INSN_SIZE > code.length) return 'the lddw has no second slot';
    const second = decodeInsn(code, slot + 1);
    if (check && wideImm(i, second) !== orig) return `the lddw holds ${wideImm(i, second)}, not the local value ${orig}`;
    const { lo, hi } = splitWideImm(BigInt.asUintN(64, next));
    encodeInsnInto(code, slot, { ...i, imm: lo });
    encodeInsnInto(code, slot + 1, { ...second, imm: hi });
    return undefined;
  }
  if ((cls === Class.ALU || cls === Class.ALU64) && (i.opcode & Source.X) === Source.K) {
    // The immediate is 32 bits: compare (and write) values modulo 2^32, as the compiler truncated them.
    if (check && BigInt.asIntN(32, BigInt(i.imm)) !== BigInt.asIntN(32, orig)) return `the instruction's immediate is ${i.imm}, not the local value ${orig}`;
    if (next < -0x8000_0000n || next > 0xffff_ffffn) return `the target value ${next} does not fit a 32-bit immediate`;
    encodeInsnInto(code, slot, { ...i, imm: Number(BigInt.asIntN(32, next)) });
    return undefined;
  }
  const mode = i.opcode & 0xe0;
  if ((cls === Class.LDX || cls === Class.ST || cls === Class.STX) && (mode === Mode.MEM || mode === Mode.MEMSX)) {
    if (kind !== CoreKind.FIELD_BYTE_OFFSET) return `a ${CORE_KIND_NAMES[kind]} relocation on a load or store`;
    if (check && BigInt(i.offset) !== orig) return `the instruction's offset is ${i.offset}, not the local value ${orig}`;
    if (next > 0x7fffn) return `the target offset ${next} does not fit a load's 16-bit offset`;
    let opcode = i.opcode;
    const size = sizeBytes(i.opcode);
    if (target.fieldSize !== undefined && local.fieldSize !== undefined && target.fieldSize !== local.fieldSize && size === local.fieldSize && local.bitfield !== true) {
      const width = SIZE_FIELD[target.fieldSize];
      if (cls !== Class.LDX || width === undefined) return `the field is ${target.fieldSize} bytes in the target, ${local.fieldSize} here: a ${cls === Class.LDX ? 'load' : 'store'} of it cannot be adjusted`;
      if (target.signed === true || mode === Mode.MEMSX) return `the signed field is ${target.fieldSize} bytes in the target, ${local.fieldSize} here: the load cannot be adjusted`;
      opcode = (i.opcode & ~0x18) | width;
    }
    encodeInsnInto(code, slot, { ...i, opcode, offset: Number(next) });
    return undefined;
  }
  return `instruction 0x${i.opcode.toString(16)} cannot carry a relocation`;
}
