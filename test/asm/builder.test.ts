import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { Arch, AtomicOperation, BpfCode, Cond, Endian, MemSize, Source } from '../../src/asm/builder.js';
import { builder, BpfCode as FromIndex } from '../../src/asm/index.js';
import { ArgumentError } from '../../src/errors.js';

const SEED_BYTES = [
  0x07, 0x01, 0x00, 0x00, 0x05, 0x06, 0x00, 0x00, 0xb7, 0x02, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0xdc, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x87, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

describe('instruction builder', () => {
  it("builds the rbpf README's example: the same 48 bytes as the assembler", () => {
    const code = new BpfCode();
    code
      .add(Source.Imm, Arch.X64).setDst(1).setImm(0x605).push()
      .mov(Source.Imm, Arch.X64).setDst(2).setImm(0x32).push()
      .mov(Source.Reg, Arch.X64).setSrc(0).setDst(1).push()
      .swapBytes(Endian.Big).setDst(0).setImm(0x10).push()
      .negate(Arch.X64).setDst(2).push()
      .exit().push();
    expect(Array.from(code.intoBytes())).toEqual(SEED_BYTES);
    expect(Array.from(assemble('add64 r1, 0x605\nmov64 r2, 0x32\nmov64 r1, r0\nbe16 r0\nneg64 r2\nexit'))).toEqual(SEED_BYTES);
  });

  it('is reachable from the index through the builder namespace', () => {
    expect(FromIndex).toBe(BpfCode);
    expect(builder.Source.Reg).toBe(Source.Reg);
  });

  it('covers what rbpf lacks, matching the assembler byte for byte', () => {
    const code = new BpfCode();
    code
      .sdiv(Source.Reg, Arch.X32).setDst(1).setSrc(2).push()
      .smod(Source.Imm, Arch.X64).setDst(3).setImm(-7).push()
      .movsx(16, Arch.X64).setDst(4).setSrc(5).push()
      .swapBytes(Endian.Swap).setDst(6).setImm(32).push()
      .loadXSigned(MemSize.HalfWord).setDst(1).setSrc(10).setOff(-2).push()
      .jumpConditional32(Cond.GreaterSigned, Source.Imm).setDst(1).setImm(-5).setOff(3).push()
      .jumpLong().setImm(-4).push()
      .atomic(AtomicOperation.Add, MemSize.DoubleWord, true).setDst(1).setSrc(2).setOff(8).push()
      .atomic(AtomicOperation.CompareExchange, MemSize.Word).setDst(1).setSrc(3).push()
      .callLocal().setImm(2).push()
      .callRegister().setDst(4).push()
      .loadDoubleWord(1, 0x1122334455667788n)
      .load(MemSize.DoubleWord).setDst(2).setImm(-1n).push()
      .store(MemSize.Word).setDst(10).setOff(-4).setImm(0xffffffff).push()
      .jumpUnconditional().setOff(-1).push()
      .exit().push();
    const text = `sdiv32 r1, r2
      smod64 r3, -7
      movsx1664 r4, r5
      bswap32 r6
      ldxsh r1, [r10-2]
      jsgt32 r1, -5, +3
      ja32 -4
      lock fetch add [r1+8], r2
      lock cmpxchg32 [r1+0], r3
      call local +2
      callx r4
      lddw r1, 0x1122334455667788
      lddw r2, 0xffffffffffffffff
      stw [r10-4], 0xffffffff
      ja -1
      exit`;
    expect(Array.from(code.intoBytes())).toEqual(Array.from(assemble(text)));
    expect(code.length).toBe(18);
  });

  it('rejects out-of-range fields with an ArgumentError', () => {
    const code = new BpfCode();
    expect(() => code.mov(Source.Imm, Arch.X64).setDst(11)).toThrow(ArgumentError);
    expect(() => code.mov(Source.Imm, Arch.X64).setImm(2 ** 32)).toThrow(/immediate must be an integer .* from -2147483648 to 4294967295, not 4294967296/);
    expect(() => code.jumpUnconditional().setOff(40000)).toThrow(/offset must be an integer from -32768 to 32767, not 40000/);
    expect(() => code.load(MemSize.DoubleWord).setImm(2n ** 64n)).toThrow(/immediate must be an integer .* to 18446744073709551615, not a bigint|not 18446744073709551616n/);
    expect(() => code.movsx(32, Arch.X32)).toThrow(ArgumentError);
  });
});
