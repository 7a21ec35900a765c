/**
 * The interpreter's pre-decoded form of a program: one dense internal operation number per slot plus
 * its operands in typed arrays, so that the run loop is a single `switch` over small integer literals
 * (V8 turns it into a jump table) and never allocates or re-classifies an instruction.
 *
 * Classification goes through {@link decodeOperation} (the ISA's single source of truth); this module
 * only maps each {@link Operation} to an internal number. The numbers are private to the interpreter:
 * the run loop spells them as literals with the name as a comment, and a test checks every
 * `case N: // name` against {@link OP_NAMES}.
 * @module
 */
import { FUNCTION_ADDRESS_HIGH, functionTarget } from './functions.js';
import { FRAME_POINTER, PseudoLoad } from '../isa/opcodes.js';
import { branchTarget, decodeOperation, type AluName, type JumpCond, type Operation } from '../isa/operation.js';
import { basicBlocks } from '../verifier/cfg.js';
import { fieldUse } from '../verifier/fields.js';
import type { Program } from './program.js';
import { COPY_LOOP_OP, copyLoopOf, type CopyLoopPlan } from './copy-loop.js';
import { LOAD_WORD_B, LOAD_WORD_H, markLoadWords } from './load-word.js';

const ALU_ORDER: readonly AluName[] = [
  'add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'mov', 'arsh',
];
const JUMP_ORDER: readonly JumpCond[] = [
  'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle',
];
const ATOMIC_ORDER = ['add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg'];

/** First internal number of each family (the families are laid out densely, in the orders above). */
const BASE = {
  ALU64_K: 10,
  ALU64_X: 24,
  ALU32_K: 38,
  ALU32_X: 52,
  JMP64_K: 80,
  JMP64_X: 91,
  JMP32_K: 102,
  JMP32_X: 113,
  LDX: 124, // b h w dw, then sb sh sw
  ST: 131, // b h w dw
  STX: 135, // b h w dw
  ATOMIC32: 139,
  ATOMIC64: 149,
  LDABS: 159, // b h w
  LDIND: 162, // b h w
} as const;

/** Internal number of the first superinstruction; they may use the numbers up to {@link OP_MASK}. */
export const FUSED_BASE = 170;

/**
 * Superinstructions: runs of two or three consecutive slots of one basic block executed by a single
 * dispatch (only the last may be a jump). Chosen by `npx tsx bench/superinstructions.ts`: greedy
 * selection by a static frequency estimate (each slot weighted 10^loop depth, every program counting
 * alike) over the benchmark programs (40 pairs, 5 triples). Two-fold cross-validation over the benchmarks (choose from one
 * half, count dispatches on the other: `--holdout`) preferred this to the dynamic counts and to adding
 * test/corpus, whose mostly straight-line programs chose pairs the loop kernels rarely run (see
 * docs/benchmarks.md, 2026-12-05). The run loop's cases for
 * them are generated from the single cases by `npx tsx bench/gen-fused.ts`, which rewrites the marked
 * region of interpreter-loop.ts (a test checks that it is up to date). The first slot of a run keeps its
 * operands and block cost, with the fused number as its op; the later slots are left as they were, so
 * each part still reads its operands from its own slot, and a fault in it reports its own pc.
 *
 * Keep the list bounded. Every entry adds ~390 bytes of bytecode to the JS run loop, and V8 needs more
 * profiler ticks to re-optimize a bigger function after a deopt (one comes whenever an optimized loop
 * meets an operation it has no feedback for, e.g. a new program's first `mod`): with 50 pairs and 35
 * triples the quick bench regularly ran a whole benchmark unoptimized on the JS loop (3-40x slower).
 * With these 40 pairs and 5 triples the JS loop showed no such collapse (docs/benchmarks.md, 2026-12-05
 * evening). The default engine, the WebAssembly core (interpreter-core.ts), never deoptimizes and
 * re-fuses its copy of the words with a longer list of its own (interpreter-core-fused.ts).
 */
export const FUSED: readonly (readonly string[])[] = [
  ['mov64_x', 'add64_x'],
  ['mov64_x', 'rsh64_k'],
  ['add32_x', 'ldxh', 'add32_x'],
  ['add64_k', 'jlt_x'],
  ['add64_k', 'mov64_x'],
  ['add64_k', 'mov32_x', 'jlt_x'],
  ['add32_k', 'mov32_x'],
  ['and32_k', 'neg32', 'and32_k'],
  ['ldxb', 'add32_x', 'mov32_x'],
  ['mov64_x', 'lsh64_k'],
  ['lsh64_k', 'or64_x'],
  ['ldxb', 'xor64_x', 'mul64_x'],
  ['mov64_x', 'add64_k'],
  ['ldxdw', 'add64_x'],
  ['mov32_x', 'add32_x'],
  ['ldxw', 'ldxw'],
  ['xor32_x', 'rsh32_k'],
  ['ldxdw', 'jlt_x'],
  ['mul64_x', 'add64_x'],
  ['mov32_x', 'add32_k'],
  ['mov32_x', 'rsh32_k'],
  ['mov32_k', 'jeq32_k'],
  ['mul64_x', 'mov64_x'],
  ['ldxdw', 'stxdw'],
  ['add64_k', 'ldxb'],
  ['ldxw', 'jeq32_k'],
  ['lsh64_k', 'add64_x'],
  ['mov32_x', 'and32_k'],
  ['mov32_x', 'lsh64_k'],
  ['mov32_x', 'sub32_x'],
  ['lsh64_k', 'rsh64_k'],
  ['ldxb', 'lsh32_k'],
  ['ldxb', 'mov64_x'],
  ['ldxdw', 'mov64_x'],
  ['mov64_x', 'div64_x'],
  ['add64_k', 'mov32_k'],
  ['mov32_x', 'jne32_x'],
  ['ldxb', 'jne32_k'],
  ['mul32_x', 'jlt32_x'],
  ['ldxdw', 'xor64_x'],
  ['div32_x', 'mul32_x'],
  ['add64_k', 'add64_k'],
  ['mov32_k', 'ldxw'],
  ['mul64_x', 'rsh64_k'],
  ['lsh64_k', 'xor64_x'],
];

/** Internal operation names by number (holes are unused numbers). */
export const OP_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  names[0] = 'bad';
  names[1] = 'lddw';
  names[2] = 'unsupported';
  names[3] = 'exit';
  names[4] = 'ja';
  names[5] = 'call_helper';
  names[6] = 'callx';
  names[7] = 'call_local';
  names[LOAD_WORD_B] = 'load_word_b';
  names[LOAD_WORD_H] = 'load_word_h';
  ALU_ORDER.forEach((n, i) => {
    names[BASE.ALU64_K + i] = `${n}64_k`;
    names[BASE.ALU64_X + i] = `${n}64_x`;
    names[BASE.ALU32_K + i] = `${n}32_k`;
    names[BASE.ALU32_X + i] = `${n}32_x`;
  });
  const misc = ['neg64', 'neg32', 'movsx64_8', 'movsx64_16', 'movsx64_32', 'movsx32_8', 'movsx32_16',
    'le16', 'le32', 'le64', 'be16', 'be32', 'be64'];
  misc.forEach((n, i) => (names[66 + i] = n));
  names[COPY_LOOP_OP] = 'copy_loop';
  JUMP_ORDER.forEach((n, i) => {
    names[BASE.JMP64_K + i] = `${n}_k`;
    names[BASE.JMP64_X + i] = `${n}_x`;
    names[BASE.JMP32_K + i] = `${n}32_k`;
    names[BASE.JMP32_X + i] = `${n}32_x`;
  });
  ['ldxb', 'ldxh', 'ldxw', 'ldxdw', 'ldxsb', 'ldxsh', 'ldxsw'].forEach((n, i) => (names[BASE.LDX + i] = n));
  ['stb', 'sth', 'stw', 'stdw'].forEach((n, i) => (names[BASE.ST + i] = n));
  ['stxb', 'stxh', 'stxw', 'stxdw'].forEach((n, i) => (names[BASE.STX + i] = n));
  ATOMIC_ORDER.forEach((n, i) => {
    names[BASE.ATOMIC32 + i] = `atomic32_${n}`;
    names[BASE.ATOMIC64 + i] = `atomic64_${n}`;
  });
  ['ldabsb', 'ldabsh', 'ldabsw'].forEach((n, i) => (names[BASE.LDABS + i] = n));
  ['ldindb', 'ldindh', 'ldindw'].forEach((n, i) => (names[BASE.LDIND + i] = n));
  FUSED.forEach((run, i) => (names[FUSED_BASE + i] = run.join('__')));
  return names;
})();


const SIZE_INDEX = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;

/** Words per slot in {@link InterpreterCode.words} (the run loop spells it as a literal: 4). */
export const SLOT_WORDS = 4;
/** Mask of the internal op in a slot's first word: 9 bits, room for superinstructions (literal 0x1ff). */
export const OP_MASK = 0x1ff;
/** Bit position of the pre-doubled `dst` register in a slot's first word (literal 9). */
export const DST_SHIFT = 9;
/** Bit position of the pre-doubled `src` register in a slot's first word (literal 14). */
export const SRC_SHIFT = 14;
/** Bit position of a block's cost in a slot's first word (the run loop spells it as a literal: 19). */
export const COST_SHIFT = 19;
/** Cost value meaning "too large for the first word: read word 3" (a literal in the run loop: 0x1fff). */
export const COST_IN_SLOT = 0x1fff;

/**
 * A program in the interpreter's form: one Int32Array, {@link SLOT_WORDS} words per slot, so that the run
 * loop touches a single typed array. Slot `pc` holds
 * `[op | (2·dst) << 9 | (2·src) << 14 | cost << 19, imm, off, cost]`: register numbers are pre-doubled
 * (registers live as lo/hi pairs); `cost` is the length of the basic block the slot starts (charged to
 * the budget on entry), 0 inside a block, {@link COST_IN_SLOT} in the first word when it only fits word
 * 3; `off` is the memory offset, or the word index (slot × SLOT_WORDS) of a jump's or local call's
 * target, or the upper 32 bits of an `lddw`. One extra `bad` slot after the end (index `length`) catches
 * a program that runs off its last instruction.
 */
export interface InterpreterCode {
  /** Number of slots of the program. */
  readonly length: number;
  /** The packed slots (see above). */
  readonly words: Int32Array;
  /** Why a slot cannot run (`bad` and `unsupported` slots), by slot. */
  readonly problems: ReadonlyMap<number, string>;
  /** The program it came from. */
  readonly program: Program;
  /** The slot decoding it was built from. */
  readonly slots: SlotDecoding;
  /** The counted copy loops found (see copy-loop.ts), by the index their back edge keeps in word 1. */
  readonly copyLoops: readonly CopyLoopPlan[];
}

function familyIndex<T>(order: readonly T[], value: T): number {
  return order.indexOf(value);
}

function opNumber(op: Operation): number | string {
  switch (op.kind) {
    case 'alu': {
      const base =
        op.width === 64 ? (op.source === 'imm' ? BASE.ALU64_K : BASE.ALU64_X) : op.source === 'imm' ? BASE.ALU32_K : BASE.ALU32_X;
      return base + familyIndex(ALU_ORDER, op.op);
    }
    case 'neg':
      return op.width === 64 ? 66 : 67;
    case 'movsx':
      if (op.width === 64) return op.bits === 8 ? 68 : op.bits === 16 ? 69 : 70;
      return op.bits === 8 ? 71 : op.bits === 16 ? 72 : 'movsx32 of 32 bits is not an instruction';
    case 'end':
      // On a little-endian machine `le` only truncates, and `be` and the v4 `bswap` both swap.
      if (op.order === 'le') return op.bits === 16 ? 73 : op.bits === 32 ? 74 : 75;
      return op.bits === 16 ? 76 : op.bits === 32 ? 77 : 78;
    case 'ja':
      return 4;
    case 'jcond': {
      const base =
        op.width === 64 ? (op.source === 'imm' ? BASE.JMP64_K : BASE.JMP64_X) : op.source === 'imm' ? BASE.JMP32_K : BASE.JMP32_X;
      return base + familyIndex(JUMP_ORDER, op.cond);
    }
    case 'call':
      if (op.target === 'helper') return 5;
      if (op.target === 'local') return 7;
      return -2;
    case 'callx':
      return 6;
    case 'exit':
      return 3;
    case 'lddw':
      return op.pseudo === PseudoLoad.NONE || op.pseudo === PseudoLoad.FUNC ? 1 : -2;
    case 'ldx':
      return BASE.LDX + (op.signed ? 4 : 0) + SIZE_INDEX[op.size];
    case 'st':
      return BASE.ST + SIZE_INDEX[op.size];
    case 'stx':
      return BASE.STX + SIZE_INDEX[op.size];
    case 'atomic': {
      const name = op.op === 'xchg' || op.op === 'cmpxchg' ? op.op : op.fetch ? `fetch_${op.op}` : op.op;
      return (op.size === 4 ? BASE.ATOMIC32 : BASE.ATOMIC64) + ATOMIC_ORDER.indexOf(name);
    }
    case 'ldabs':
    case 'ldind':
      if (op.size === 8) return `${op.kind}dw is not an instruction`;
      return (op.kind === 'ldabs' ? BASE.LDABS : BASE.LDIND) + SIZE_INDEX[op.size];
    case 'invalid':
      return op.reason;
  }
}




/**
 * Every slot of a program classified once: its internal operation number (0 `bad`, 2 `unsupported`
 * for slots that cannot run) and operands, and why each bad or unsupported slot cannot run. Shared by
 * the interpreter's {@link predecode} and the JIT, which needs only the problems (its errors for those
 * slots are the interpreter's): cached in `Program.compiled` under `'slots'`.
 */
export interface SlotDecoding {
  /** Number of slots of the program. */
  readonly length: number;
  /** Internal operation number by slot (index `length`: the `bad` slot after the end). */
  readonly op: Uint16Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** The memory offset, a jump's or local call's target slot, or an `lddw`'s upper 32 bits. */
  readonly off: Int32Array;
  readonly imm: Int32Array;
  /** 1 where `off` is a resolved branch target. */
  readonly isTarget: Uint8Array;
  /** Why a slot cannot run (`bad` and `unsupported` slots), by slot; `length` is running off the end. */
  readonly problems: ReadonlyMap<number, string>;
}

/** The {@link SlotDecoding} of `program`, decoded once. Never throws. */
export function slotDecoding(program: Program): SlotDecoding {
  let slots = program.compiled.get('slots') as SlotDecoding | undefined;
  if (slots === undefined) {
    slots = decodeSlots(program);
    program.compiled.set('slots', slots);
  }
  return slots;
}

function decodeSlots(program: Program): SlotDecoding {
  const insns = program.insns;
  const n = insns.length;
  const code = {
    length: n,
    op: new Uint16Array(n + 1),
    dst: new Uint8Array(n + 1),
    src: new Uint8Array(n + 1),
    off: new Int32Array(n + 1),
    imm: new Int32Array(n + 1),
    isTarget: new Uint8Array(n + 1),
    problems: new Map<number, string>(),
  };
  const lddwSecond = new Uint8Array(n);
  const isTarget = code.isTarget;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    code.dst[pc] = i.dst;
    code.src[pc] = i.src;
    code.imm[pc] = i.imm;
    code.off[pc] = i.offset;
    let num = opNumber(op);
    if (typeof num === 'number') {
      // Which register fields the operation reads and writes: the verifier's table, so both agree.
      const use = fieldUse(op);
      if (i.dst > FRAME_POINTER && use.registers.includes('dst')) num = `invalid destination register r${i.dst} (registers are r0-r10)`;
      else if (i.src > FRAME_POINTER && use.registers.includes('src')) num = `invalid source register r${i.src} (registers are r0-r10)`;
      else if (i.dst === FRAME_POINTER && use.writes.includes('dst')) num = 'r10 is the read-only frame pointer and cannot be written';
      else if (i.src === FRAME_POINTER && use.writes.includes('src')) {
        num = 'r10 is the read-only frame pointer: a fetching atomic cannot load into it';
      }
    }
    if (op.kind === 'lddw') {
      if (pc + 1 >= n) num = 'incomplete lddw: its second slot is missing';
      else {
        code.off[pc] = insns[pc + 1]!.imm;
        lddwSecond[pc + 1] = 1;
        if (op.pseudo === PseudoLoad.FUNC) {
          // A function pointer: the address of its target slot (vm/functions).
          const t = functionTarget(pc, i.imm);
          if (t < 0 || t >= n) num = `lddw of a function: target slot ${t} is outside the program (slots 0-${n - 1})`;
          code.imm[pc] = t;
          code.off[pc] = FUNCTION_ADDRESS_HIGH;
        }
      }
    }
    const target = branchTarget(op, i, pc);
    if (typeof num === 'number' && target !== undefined) {
      if (target < 0 || target >= n) num = `jump target ${target} is outside the program (slots 0-${n - 1})`;
      else {
        code.off[pc] = target;
        isTarget[pc] = 1;
      }
    }
    if (num === -2) {
      code.op[pc] = 2;
      code.problems.set(
        pc,
        op.kind === 'lddw'
          ? `lddw pseudo source ${(op as { pseudo: number }).pseudo} (map or BTF reference) must be resolved by a loader before running`
          : 'kfunc calls are not supported',
      );
    } else if (typeof num === 'string') {
      code.op[pc] = 0;
      code.problems.set(pc, num);
    } else {
      code.op[pc] = num;
    }
    if (op.kind === 'lddw') pc++;
  }
  // A jump into an lddw's second slot was only known once the lddw was seen: mark those slots bad.
  for (let pc = 0; pc < n; pc++) {
    if (lddwSecond[pc] === 1) {
      code.op[pc] = 0;
      code.problems.set(pc, 'jump into the middle of an lddw (its second slot is not an instruction)');
    }
  }
  code.problems.set(n, 'execution ran past the last instruction without reaching exit');
  return code;
}

/**
 * Pre-decode a program for the interpreter. Never throws: a slot that cannot run (unknown opcode,
 * bad register, jump outside the program, incomplete `lddw`, unresolved pseudo load, kfunc call)
 * becomes a `bad` or `unsupported` slot that fails with an {@link ExecutionError} when executed.
 *
 * `stepped`: the form for stepped runs (the interpreter's `runStepped`): one operation per instruction
 * (no copy loops, no superinstructions), and every slot inside a block marked with {@link COST_IN_SLOT}
 * and a cost of 0 in word 3, so that the run loop's budget check, taken on every slot while a stepped
 * run keeps its budget at 0, reaches the observer before each instruction. Blocks are charged exactly
 * as in the plain form.
 */
export function predecode(program: Program, stepped = false): InterpreterCode {
  const insns = program.insns;
  const slots = slotDecoding(program);
  const n = slots.length;
  // The copy-loop and superinstruction passes rewrite ops (and a copy loop's imm): copies of the shared decoding.
  const code = { ...slots, op: slots.op.slice(), imm: slots.imm.slice(), cost: new Int32Array(n + 1) };
  const isTarget = slots.isTarget;
  const leader = new Uint8Array(n + 1);
  const copyLoops: CopyLoopPlan[] = [];
  const isBad = (pc: number): boolean => code.op[pc] === 0 || code.op[pc] === 2;
  for (const block of basicBlocks(insns)) {
    code.cost[block.start] = block.length;
    leader[block.start] = 1;
    const loop = stepped ? undefined : copyLoopOf(insns, block, isBad);
    if (loop !== undefined) {
      // The back edge (a register jump: its imm is free) becomes the copy loop's operation.
      code.op[block.end - 1] = COPY_LOOP_OP;
      code.imm[block.end - 1] = copyLoops.length;
      copyLoops.push(loop);
    }
  }
  if (!stepped) {
    markLoadWords(insns, code.op, code.imm, leader, isBad);
    fuseRuns(code.op, leader, n);
  }
  const words = new Int32Array((n + 1) * SLOT_WORDS);
  for (let pc = 0; pc <= n; pc++) {
    const at = pc * SLOT_WORDS;
    const cost = stepped && pc < n && leader[pc] === 0 ? COST_IN_SLOT : code.cost[pc]!;
    words[at] =
      code.op[pc]! | ((code.dst[pc]! * 2) << DST_SHIFT) | ((code.src[pc]! * 2) << SRC_SHIFT) | (Math.min(cost, COST_IN_SLOT) << COST_SHIFT);
    words[at + 1] = code.imm[pc]!;
    words[at + 2] = code.off[pc]! * (isTarget[pc] === 1 ? SLOT_WORDS : 1);
    words[at + 3] = code.cost[pc]!;
  }
  return { length: n, words, problems: slots.problems, slots, program, copyLoops };
}

/**
 * The numbers of a superinstruction list's runs: `a,b` or `a,b,c` (internal numbers of the parts) to
 * `FUSED_BASE` + the entry's index; and the longest run's length.
 */
export interface FusedTable {
  readonly byOps: ReadonlyMap<string, number>;
  readonly maxLength: number;
}

/** The {@link FusedTable} of `list` (entries of base operation names, as {@link FUSED}). */
export function fusedTable(list: readonly (readonly string[])[]): FusedTable {
  const number = new Map<string, number>();
  OP_NAMES.forEach((name, num) => {
    if (name !== undefined && num < FUSED_BASE) number.set(name, num);
  });
  const byOps = new Map<string, number>();
  // A run with a part that is no base operation (the core's frame variants) has no key: nothing fuses to it.
  list.forEach((names, i) => {
    if (names.every((n) => number.has(n))) byOps.set(names.map((n) => number.get(n)!).join(','), FUSED_BASE + i);
  });
  return { byOps, maxLength: Math.max(2, ...list.map((names) => names.length)) };
}

const FUSED_TABLE = fusedTable(FUSED);

/**
 * Replace the op of the first slot of every chosen run by its superinstruction (of `table`: {@link FUSED}'s
 * by default; the WebAssembly core re-fuses its copy with its own list). Never across a block
 * boundary (no later slot of a run may be a leader, so nothing jumps into its middle). Candidate runs
 * overlap (`a b c` may fuse as `ab` or `bc`), so a small dynamic programme per program picks the runs
 * that save the most dispatches.
 */
export function fuseRuns(op: Uint16Array, leader: Uint8Array, n: number, table: FusedTable = FUSED_TABLE): void {
  const longest = table.maxLength;
  // fusedAt[pc * (longest + 1) + len]: superinstruction for the run of `len` slots at pc, or 0.
  const width = longest + 1;
  const fusedAt = new Uint16Array(n * width);
  for (let pc = 0; pc < n; pc++) {
    let key = `${op[pc]!}`;
    for (let len = 2; len <= longest && pc + len - 1 < n && leader[pc + len - 1] === 0; len++) {
      key += `,${op[pc + len - 1]!}`;
      fusedAt[pc * width + len] = table.byOps.get(key) ?? 0;
    }
  }
  // saved[pc]: most dispatches saved in slots pc..n-1; choice[pc]: the run length taken at pc (0: none).
  const saved = new Int32Array(n + 1);
  const choice = new Uint8Array(n);
  for (let pc = n - 1; pc >= 0; pc--) {
    saved[pc] = saved[pc + 1]!;
    for (let len = 2; len <= longest; len++) {
      if (fusedAt[pc * width + len] !== 0 && len - 1 + saved[pc + len]! > saved[pc]!) {
        saved[pc] = len - 1 + saved[pc + len]!;
        choice[pc] = len;
      }
    }
  }
  for (let pc = 0; pc < n; pc++) {
    const len = choice[pc]!;
    if (len === 0) continue;
    op[pc] = fusedAt[pc * width + len]!;
    pc += len - 1;
  }
}

/** The stepped form of `program` (see {@link predecode}), decoded once and cached in `program.compiled`. */
export function steppedCode(program: Program): InterpreterCode {
  let code = program.compiled.get('interpreter-stepped') as InterpreterCode | undefined;
  if (code === undefined) {
    code = predecode(program, true);
    program.compiled.set('interpreter-stepped', code);
  }
  return code;
}

/** The interpreter's compiled form of `program`, decoded once and cached in `program.compiled`. */
export function interpreterCode(program: Program): InterpreterCode {
  // The program run last, without a Map lookup: most runs repeat the previous program.
  if (program === lastCode?.program) return lastCode;
  let code = program.compiled.get('interpreter') as InterpreterCode | undefined;
  if (code === undefined) {
    code = predecode(program);
    program.compiled.set('interpreter', code);
  }
  lastCode = code;
  return code;
}

let lastCode: InterpreterCode | undefined;
