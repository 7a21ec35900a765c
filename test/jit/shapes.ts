/**
 * Generated programs of a chosen size and control-flow shape, for the JIT's robustness-at-size tests
 * and `bench/compile-scale.ts`: every shape is accepted by the default verifier, runs to `exit` on the
 * interpreter well inside the default budget, and returns a value that depends on most of its code.
 * Each takes a target size in instructions and returns bytecode of about that many slots.
 * @module
 */
import { encodeInsnInto, type Insn } from '../../src/isa/instruction.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';

// Opcodes used (the generators build slots directly: assembling a million lines would dominate).
const ALU64 = Class.ALU64;
const MOV_K = ALU64 | AluOp.MOV | Source.K;
const ADD_K = ALU64 | AluOp.ADD | Source.K;
const ADD_X = ALU64 | AluOp.ADD | Source.X;
const XOR_K = ALU64 | AluOp.XOR | Source.K;
const MUL_K = ALU64 | AluOp.MUL | Source.K;
const JA = Opcode.JA;
const JEQ_K = Class.JMP | JmpOp.JEQ | Source.K;
const JNE_K = Class.JMP | JmpOp.JNE | Source.K;
const JGT_K = Class.JMP | JmpOp.JGT | Source.K;
const JLT_K = Class.JMP | JmpOp.JLT | Source.K;
const CALL = Opcode.CALL;
const EXIT = Opcode.EXIT;
const LDXB = Class.LDX | Mode.MEM | Size.B;
const LDXDW = Class.LDX | Mode.MEM | Size.DW;
const STXDW = Class.STX | Mode.MEM | Size.DW;

/** Longest span of one nested or fan-in run: jump offsets are 16-bit. */
const RUN = 32_000;

/** A program under construction: slots and fix-ups for forward jumps. */
class Gen {
  readonly insns: Insn[] = [];
  get pc(): number {
    return this.insns.length;
  }
  emit(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): number {
    this.insns.push({ opcode, dst, src, offset, imm });
    return this.insns.length - 1;
  }
  /** Point the jump at `at` to slot `target`. */
  patch(at: number, target: number): void {
    const i = this.insns[at]!;
    if (i.opcode === CALL) this.insns[at] = { ...i, imm: target - at - 1 };
    else if (Math.abs(target - at - 1) > 0x7fff) throw new Error(`jump from ${at} to ${target} does not fit 16 bits`);
    else this.insns[at] = { ...i, offset: target - at - 1 };
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.insns.length * 8);
    this.insns.forEach((insn, pc) => encodeInsnInto(out, pc, insn));
    return out;
  }
}

/** The shapes: each builds a program of about `size` instructions (r1 = input of at least 8 bytes). */
export type Shape = 'straight' | 'forward' | 'ladder' | 'ifchain' | 'loops' | 'nested' | 'calls' | 'switchy';

/** Straight-line ALU code and stack traffic, one block. */
function straight(size: number): Uint8Array {
  const g = new Gen();
  g.emit(MOV_K, 0, 0, 0, 1);
  for (let k = 0; g.pc < size - 3; k++) {
    if (k % 16 === 15) {
      g.emit(STXDW, 10, 0, -8 - 8 * (k % 8));
      g.emit(LDXDW, 2, 10, -8 - 8 * ((k + 3) % 8));
      g.emit(ADD_X, 0, 2);
    } else g.emit(k % 3 === 0 ? MUL_K : k % 3 === 1 ? ADD_K : XOR_K, 0, 0, 0, (k * 2654435761) | 1);
  }
  g.emit(EXIT);
  return g.bytes();
}

/**
 * Many conditional jumps all going forward to one block (a merge node with thousands of in-edges),
 * in runs as long as a jump's 16-bit offset reaches.
 */
function forward(size: number): Uint8Array {
  const g = new Gen();
  g.emit(LDXB, 2, 1, 0);
  g.emit(MOV_K, 0, 0, 0, 0);
  while (g.pc < size - 4) {
    const jumps: number[] = [];
    for (let k = 0; g.pc < size - 4 && k < RUN / 2; k++) {
      jumps.push(g.emit(JEQ_K, 2, 0, 0, 1000 + k));
      g.emit(ADD_K, 0, 0, 0, k);
    }
    const end = g.emit(ADD_K, 0, 0, 0, 7);
    for (const j of jumps) g.patch(j, end);
  }
  g.emit(EXIT);
  return g.bytes();
}

/** Jumps nested like parentheses: the k-th jump goes past everything the later ones skip (deep `block` nesting). */
function ladder(size: number): Uint8Array {
  const g = new Gen();
  g.emit(LDXB, 2, 1, 0);
  g.emit(MOV_K, 0, 0, 0, 0);
  while (g.pc < size - 5) {
    const count = Math.max(1, Math.min(RUN / 4, Math.floor((size - 1 - g.pc) / 4)));
    const jumps: number[] = [];
    for (let k = 0; k < count; k++) {
      jumps.push(g.emit(JEQ_K, 2, 0, 0, 1000 + k));
      g.emit(ADD_K, 0, 0, 0, k + 1);
    }
    // Landing pads in reverse order: jump k lands after pad count-1-k, so the ranges nest.
    for (let k = count - 1; k >= 0; k--) {
      g.patch(jumps[k]!, g.pc);
      g.emit(XOR_K, 0, 0, 0, k * 3 + 1);
      g.emit(MUL_K, 0, 0, 0, 3);
    }
  }
  g.emit(EXIT);
  return g.bytes();
}

/** `if (x > k) { a; b; c; d } else { e }` one after another: a chain of diamonds. */
function ifchain(size: number): Uint8Array {
  const g = new Gen();
  g.emit(LDXB, 2, 1, 0);
  g.emit(MOV_K, 0, 0, 0, 0);
  for (let k = 0; g.pc < size - 9; k++) {
    const j = g.emit(JGT_K, 2, 0, 0, k & 255);
    g.emit(ADD_K, 0, 0, 0, 1);
    g.emit(MUL_K, 0, 0, 0, 3);
    g.emit(XOR_K, 0, 0, 0, k);
    g.emit(ADD_K, 2, 0, 0, 1);
    const skip = g.emit(JA);
    g.patch(j, g.pc);
    g.emit(ADD_K, 0, 0, 0, 5);
    g.patch(skip, g.pc);
  }
  g.emit(EXIT);
  return g.bytes();
}

/** Short counted loops one after another. */
function loops(size: number): Uint8Array {
  const g = new Gen();
  g.emit(MOV_K, 0, 0, 0, 0);
  for (let k = 0; g.pc < size - 6; k++) {
    g.emit(MOV_K, 3, 0, 0, 0);
    const head = g.emit(ADD_K, 3, 0, 0, 1);
    g.emit(ADD_X, 0, 3);
    g.emit(XOR_K, 0, 0, 0, k);
    const back = g.emit(JLT_K, 3, 0, 0, 2 + (k % 3));
    g.patch(back, head);
  }
  g.emit(EXIT);
  return g.bytes();
}

/**
 * Loops nested as deep as a jump's offset reaches (nests one after another): level k's back edge is
 * `if r4 == k + 1 goto head k`, with r4 = 0 throughout, so each nest is a loop nest to the compiler
 * but runs once through (a nest that iterated would run exponentially long).
 */
function nested(size: number): Uint8Array {
  const g = new Gen();
  g.emit(MOV_K, 0, 0, 0, 0);
  g.emit(MOV_K, 4, 0, 0, 0);
  while (g.pc < size - 5) {
    const depth = Math.max(1, Math.min(RUN / 4, Math.floor((size - 1 - g.pc) / 4)));
    const heads: number[] = [];
    for (let k = 0; k < depth; k++) heads.push(g.emit(ADD_K, 0, 0, 0, k + 1));
    for (let k = depth - 1; k >= 0; k--) {
      g.emit(MUL_K, 0, 0, 0, 5);
      g.emit(XOR_K, 0, 0, 0, k);
      g.patch(g.emit(JEQ_K, 4, 0, 0, k + 1), heads[k]!);
    }
  }
  g.emit(EXIT);
  return g.bytes();
}

/** Wide call fan-out: the entry calls each of many small subprograms, several times. */
function calls(size: number): Uint8Array {
  const g = new Gen();
  const fns = Math.max(1, Math.floor(size / 10));
  const sites: { at: number; fn: number }[] = [];
  g.emit(MOV_K, 0, 0, 0, 0);
  g.emit(MOV_K, 6, 0, 0, 0);
  for (let f = 0; f < fns; f++) {
    g.emit(MOV_K, 1, 0, 0, f);
    sites.push({ at: g.emit(CALL, 0, 1), fn: f });
    g.emit(ADD_X, 6, 0);
    if (f % 3 === 0) sites.push({ at: g.emit(CALL, 0, 1), fn: (f * 7) % fns });
  }
  g.emit(MOV_K, 0, 0, 0, 0);
  g.emit(ADD_X, 0, 6);
  g.emit(EXIT);
  const starts: number[] = [];
  for (let f = 0; f < fns; f++) {
    starts.push(g.pc);
    g.emit(MOV_K, 0, 0, 0, f);
    g.emit(MUL_K, 0, 0, 0, 3);
    g.emit(ADD_X, 0, 1);
    g.emit(EXIT);
  }
  for (const s of sites) g.patch(s.at, starts[s.fn]!);
  return g.bytes();
}

/** Branchy code of the kind compilers emit: diamonds, triangles, short loops and merges mixed. */
function switchy(size: number): Uint8Array {
  const g = new Gen();
  g.emit(LDXB, 2, 1, 0);
  g.emit(MOV_K, 0, 0, 0, 0);
  for (let k = 0; g.pc < size - 16; k++) {
    // if (r2 == k & 7) { r0 += k; if (r2 > 3) r0 *= 3 } else r0 ^= k; then a 2-iteration loop.
    const j1 = g.emit(JNE_K, 2, 0, 0, k & 7);
    g.emit(ADD_K, 0, 0, 0, k);
    const j2 = g.emit(JLT_K, 2, 0, 0, 4);
    g.emit(MUL_K, 0, 0, 0, 3);
    g.patch(j2, g.pc);
    const skip = g.emit(JA);
    g.patch(j1, g.pc);
    g.emit(XOR_K, 0, 0, 0, k);
    g.patch(skip, g.pc);
    g.emit(MOV_K, 3, 0, 0, 0);
    const head = g.emit(ADD_K, 3, 0, 0, 1);
    g.emit(ADD_X, 0, 3);
    g.patch(g.emit(JLT_K, 3, 0, 0, 2), head);
  }
  g.emit(EXIT);
  return g.bytes();
}

const GENERATORS: Record<Shape, (size: number) => Uint8Array> = { straight, forward, ladder, ifchain, loops, nested, calls, switchy };

/** Every shape's name. */
export const SHAPES = Object.keys(GENERATORS) as Shape[];

/** Bytecode of a program of the given shape and about `size` instructions. */
export function generate(shape: Shape, size: number): Uint8Array {
  return GENERATORS[shape](size);
}
