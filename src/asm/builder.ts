/**
 * Instruction builder: programs as chained calls, mirroring rbpf's `insn_builder` in TypeScript
 * naming, plus what rbpf lacks (JMP32, atomics, local calls, `callx`, full `lddw`, `sdiv`/`smod`,
 * `movsx`, `bswap`, sign-extending loads, `gotol`).
 *
 * ```ts
 * const code = new BpfCode();
 * code.add(Source.Imm, Arch.X64).setDst(1).setImm(0x605).push()
 *     .exit().push();
 * const bytes = code.intoBytes();
 * ```
 * @module
 */
import { ArgumentError } from '../errors.js';
import { encodeProgram, splitWideImm, type Insn } from '../isa/instruction.js';
import {
  AluOp,
  CallKind,
  Class,
  JmpOp,
  Mode,
  Opcode,
  REGISTER_COUNT,
  Size,
  Source as IsaSource,
} from '../isa/opcodes.js';
import type { AtomicName } from '../isa/operation.js';
import { atomicEncoding, endOpcode, jaOpcode, movsxOpcode } from './encoding.js';
import { checkBigInteger, checkInteger, checkOneOf } from '../validate.js';

/** Where the second operand of ALU and jump instructions comes from. */
export const Source = { Imm: IsaSource.K, Reg: IsaSource.X } as const;
/** One of {@link Source}. */
export type Source = (typeof Source)[keyof typeof Source];

/** Operand width of ALU instructions. */
export const Arch = { X64: Class.ALU64, X32: Class.ALU } as const;
/** One of {@link Arch}. */
export type Arch = (typeof Arch)[keyof typeof Arch];

/** Byte-order conversions: `Little`/`Big` (`le`/`be`, ALU class) and the v4 unconditional `Swap`. */
export const Endian = { Little: endOpcode('le'), Big: endOpcode('be'), Swap: endOpcode('swap') } as const;
/** One of {@link Endian}. */
export type Endian = (typeof Endian)[keyof typeof Endian];

/** Access sizes of loads and stores. */
export const MemSize = { Byte: Size.B, HalfWord: Size.H, Word: Size.W, DoubleWord: Size.DW } as const;
/** One of {@link MemSize}. */
export type MemSize = (typeof MemSize)[keyof typeof MemSize];

/** Jump conditions (`Abs` is the unconditional jump). */
export const Cond = {
  Abs: JmpOp.JA,
  Equals: JmpOp.JEQ,
  Greater: JmpOp.JGT,
  GreaterEquals: JmpOp.JGE,
  Lower: JmpOp.JLT,
  LowerEquals: JmpOp.JLE,
  BitAnd: JmpOp.JSET,
  NotEquals: JmpOp.JNE,
  GreaterSigned: JmpOp.JSGT,
  GreaterEqualsSigned: JmpOp.JSGE,
  LowerSigned: JmpOp.JSLT,
  LowerEqualsSigned: JmpOp.JSLE,
} as const;
/** One of {@link Cond}. */
export type Cond = (typeof Cond)[keyof typeof Cond];

/** Atomic read-modify-write operations for {@link BpfCode.atomic}. */
export const AtomicOperation = {
  Add: 'add',
  Or: 'or',
  And: 'and',
  Xor: 'xor',
  Exchange: 'xchg',
  CompareExchange: 'cmpxchg',
} as const satisfies Record<string, AtomicName>;
/** One of {@link AtomicOperation}. */
export type AtomicOperation = (typeof AtomicOperation)[keyof typeof AtomicOperation];

const IMM_MIN = -(2 ** 31);
const IMM_MAX = 2 ** 32 - 1;

/**
 * One instruction being built. Setters validate and return `this`; {@link push} appends the
 * instruction to its program and returns the program for chaining.
 */
export class InsnBuilder {
  private dst = 0;
  private src = 0;
  private offset = 0;
  private imm = 0;
  private wide: bigint | undefined;

  /** @internal Use the methods of {@link BpfCode}. */
  constructor(
    private readonly code: BpfCode,
    /** The opcode byte. */
    readonly opcode: number,
    private readonly isWide = false,
    preset: Partial<Pick<Insn, 'src' | 'offset' | 'imm'>> = {},
  ) {
    this.src = preset.src ?? 0;
    this.offset = preset.offset ?? 0;
    this.imm = preset.imm ?? 0;
    if (isWide) this.wide = 0n;
  }

  /** Set the destination register (0-10). */
  setDst(dst: number): this {
    this.dst = checkReg(dst, 'destination');
    return this;
  }

  /** Set the source register (0-10). */
  setSrc(src: number): this {
    this.src = checkReg(src, 'source');
    return this;
  }

  /** Set the signed 16-bit offset. */
  setOff(offset: number): this {
    this.offset = checkInteger(offset, 'offset', -32768, 32767);
    return this;
  }

  /**
   * Set the immediate: -2^31..2^32-1 (stored as 32 bits), or for a 64-bit load (`load(MemSize.DoubleWord)`)
   * any 64-bit value as a `bigint` or a safe integer.
   */
  setImm(imm: number | bigint): this {
    if (this.isWide) {
      this.wide = BigInt.asUintN(64, checkBigInteger(imm, 'immediate', -(2n ** 63n), 2n ** 64n - 1n));
      return this;
    }
    this.imm = Number(checkBigInteger(imm, 'immediate', BigInt(IMM_MIN), BigInt(IMM_MAX))) | 0;
    return this;
  }

  /** The slots of this instruction (two for a 64-bit load). */
  slots(): Insn[] {
    const first: Insn = { opcode: this.opcode, dst: this.dst, src: this.src, offset: this.offset, imm: this.imm };
    if (this.wide === undefined) return [first];
    const { lo, hi } = splitWideImm(this.wide);
    return [{ ...first, imm: lo }, { opcode: 0, dst: 0, src: 0, offset: 0, imm: hi }];
  }

  /** The instruction's bytes (8, or 16 for a 64-bit load). */
  intoBytes(): Uint8Array {
    return encodeProgram(this.slots());
  }

  /** Append the instruction to its program; returns the program for chaining. */
  push(): BpfCode {
    this.code.append(this.slots());
    return this.code;
  }
}

function checkReg(r: number, what: string): number {
  return checkInteger(r, `the ${what} register`, 0, REGISTER_COUNT - 1);
}

const SOURCES = Object.values(Source);
const ARCHES = Object.values(Arch);
const SIZES = Object.values(MemSize);
const CONDS = Object.values(Cond);

function memOpcode(cls: number, mode: number, size: MemSize): number {
  return cls | mode | checkOneOf(size, 'size (a MemSize)', SIZES);
}

/** A program under construction: a stack of instruction slots. */
export class BpfCode {
  private readonly insns: Insn[] = [];

  /** @internal Append slots (called by {@link InsnBuilder.push}). */
  append(slots: readonly Insn[]): void {
    this.insns.push(...slots);
  }

  /** Number of slots so far (the pc of the next instruction). */
  get length(): number {
    return this.insns.length;
  }

  private alu(source: Source, arch: Arch, op: number, offset = 0): InsnBuilder {
    checkOneOf(source, 'source (a Source)', SOURCES);
    checkOneOf(arch, 'arch (an Arch)', ARCHES);
    return new InsnBuilder(this, arch | op | source, false, { offset });
  }

  /** `dst += src|imm`. */
  add(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.ADD);
  }
  /** `dst -= src|imm`. */
  sub(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.SUB);
  }
  /** `dst *= src|imm`. */
  mul(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.MUL);
  }
  /** Unsigned `dst /= src|imm`. */
  div(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.DIV);
  }
  /** Signed division (v4: `offset` = 1). */
  sdiv(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.DIV, 1);
  }
  /** `dst |= src|imm`. */
  bitOr(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.OR);
  }
  /** `dst &= src|imm`. */
  bitAnd(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.AND);
  }
  /** `dst <<= src|imm`. */
  leftShift(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.LSH);
  }
  /** Logical `dst >>= src|imm`. */
  rightShift(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.RSH);
  }
  /** `dst = -dst`. */
  negate(arch: Arch): InsnBuilder {
    return this.alu(Source.Imm, arch, AluOp.NEG);
  }
  /** Unsigned `dst %= src|imm`. */
  mod(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.MOD);
  }
  /** Alias of {@link mod}, rbpf's name. */
  modulo(source: Source, arch: Arch): InsnBuilder {
    return this.mod(source, arch);
  }
  /** Signed modulo (v4: `offset` = 1). */
  smod(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.MOD, 1);
  }
  /** `dst ^= src|imm`. */
  bitXor(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.XOR);
  }
  /** `dst = src|imm`. */
  mov(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.MOV);
  }
  /** Sign-extending move from the low `bits` of src (v4 `movsx`; 32 only with {@link Arch.X64}). */
  movsx(bits: 8 | 16 | 32, arch: Arch): InsnBuilder {
    checkOneOf(bits, 'bits', [8, 16, 32]);
    checkOneOf(arch, 'arch (an Arch)', ARCHES);
    if (bits === 32 && arch === Arch.X32) throw new ArgumentError('movsx from 32 bits needs Arch.X64');
    return new InsnBuilder(this, movsxOpcode(arch === Arch.X64 ? 64 : 32), false, { offset: bits });
  }
  /** Arithmetic `dst >>= src|imm`. */
  signedRightShift(source: Source, arch: Arch): InsnBuilder {
    return this.alu(source, arch, AluOp.ARSH);
  }
  /** Byte-order conversion; the width (16, 32, 64) goes in `imm`. */
  swapBytes(endian: Endian): InsnBuilder {
    return new InsnBuilder(this, checkOneOf(endian, 'endian (an Endian)', Object.values(Endian)));
  }

  /** `LD | IMM` load: with {@link MemSize.DoubleWord}, the two-slot `lddw` taking a 64-bit `setImm`. */
  load(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.LD, Mode.IMM, size), size === MemSize.DoubleWord);
  }
  /** `lddw dst, value` in one call; `pseudo` is the loader's source kind (see `PseudoLoad`). */
  loadDoubleWord(dst: number, value: bigint, pseudo = 0): BpfCode {
    return this.load(MemSize.DoubleWord).setDst(dst).setSrc(pseudo).setImm(value).push();
  }
  /** Legacy packet load at an absolute offset (`ldabs`). */
  loadAbs(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.LD, Mode.ABS, size));
  }
  /** Legacy packet load at src + imm (`ldind`). */
  loadInd(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.LD, Mode.IND, size));
  }
  /** `dst = *(size *)(src + off)`. */
  loadX(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.LDX, Mode.MEM, size));
  }
  /** Sign-extending load (v4 `ldxs`; not for double words). */
  loadXSigned(size: MemSize): InsnBuilder {
    checkOneOf(size, 'size (a MemSize)', SIZES);
    if (size === MemSize.DoubleWord) throw new ArgumentError('sign-extending loads are 8, 16 or 32 bits');
    return new InsnBuilder(this, memOpcode(Class.LDX, Mode.MEMSX, size));
  }
  /** `*(size *)(dst + off) = imm`. */
  store(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.ST, Mode.MEM, size));
  }
  /** `*(size *)(dst + off) = src`. */
  storeX(size: MemSize): InsnBuilder {
    return new InsnBuilder(this, memOpcode(Class.STX, Mode.MEM, size));
  }
  /** Atomic operation on `*(size *)(dst + off)` with src; `fetch` returns the old value in src. */
  atomic(op: AtomicOperation, size: typeof MemSize.Word | typeof MemSize.DoubleWord, fetch = false): InsnBuilder {
    checkOneOf(op, 'op (an AtomicOperation)', Object.values(AtomicOperation));
    checkOneOf(size, 'size (MemSize.Word or MemSize.DoubleWord)', [MemSize.Word, MemSize.DoubleWord]);
    if (typeof fetch !== 'boolean') checkOneOf(fetch, 'fetch', [true, false]);
    const e = atomicEncoding(op, size === MemSize.Word ? 4 : 8, fetch);
    return new InsnBuilder(this, e.opcode, false, { imm: e.imm });
  }

  /** Conditional jump (64-bit comparison); `Cond.Abs` gives the unconditional `ja`. */
  jumpConditional(cond: Cond, source: Source): InsnBuilder {
    checkOneOf(cond, 'cond (a Cond)', CONDS);
    checkOneOf(source, 'source (a Source)', SOURCES);
    return new InsnBuilder(this, Class.JMP | cond | (cond === Cond.Abs ? 0 : source));
  }
  /** Conditional jump comparing the low 32 bits (JMP32 class). */
  jumpConditional32(cond: Exclude<Cond, typeof Cond.Abs>, source: Source): InsnBuilder {
    checkOneOf(cond, 'cond (a Cond other than Abs)', CONDS.filter((c) => c !== Cond.Abs));
    checkOneOf(source, 'source (a Source)', SOURCES);
    return new InsnBuilder(this, Class.JMP32 | cond | source);
  }
  /** `ja +off`. */
  jumpUnconditional(): InsnBuilder {
    return this.jumpConditional(Cond.Abs, Source.Imm);
  }
  /** `gotol +imm` (v4: the distance is in `imm`). */
  jumpLong(): InsnBuilder {
    return new InsnBuilder(this, jaOpcode(true));
  }
  /** Helper call: the helper id goes in `imm`. */
  call(): InsnBuilder {
    return new InsnBuilder(this, Opcode.CALL, false, { src: CallKind.HELPER });
  }
  /** Local (bpf-to-bpf) call: the pc-relative distance goes in `imm`. */
  callLocal(): InsnBuilder {
    return new InsnBuilder(this, Opcode.CALL, false, { src: CallKind.LOCAL });
  }
  /** Kfunc call: the BTF id goes in `imm`. */
  callKfunc(): InsnBuilder {
    return new InsnBuilder(this, Opcode.CALL, false, { src: CallKind.KFUNC });
  }
  /** `callx`: call the helper whose id is in the register set with `setDst`. */
  callRegister(): InsnBuilder {
    return new InsnBuilder(this, Opcode.CALLX);
  }
  /** `exit`. */
  exit(): InsnBuilder {
    return new InsnBuilder(this, Opcode.EXIT);
  }

  /** The program's bytes (a copy). */
  intoBytes(): Uint8Array {
    return encodeProgram(this.insns);
  }
}
