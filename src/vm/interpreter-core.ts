/**
 * The interpreter's WebAssembly run loop (the "core"): one fixed WebAssembly function, built once per
 * process and the same for every program, that interprets a copy of the JS run loop's words
 * (interpreter-decode's packed slots, re-fused with the core's own superinstructions: see
 * interpreter-core-fused.ts), with the registers as i64 values in
 * linear memory. It is not a compiler: nothing is generated per program. It exists because 64-bit
 * arithmetic and dispatch cost less in WebAssembly than in JavaScript, where a register is two int32
 * halves and a 64-bit multiply or division takes a dozen operations (measured: docs/benchmarks.md,
 * "The interpreter's design decisions, measured").
 *
 * The core implements the operations a run spends its time in (ALU, byte order, jumps, loads, stores,
 * `lddw`, LD_ABS/LD_IND, local calls and `exit`, and counted copy loops, whose bulk step it calls from
 * copy-loop.ts through the `copy` import) and hands everything else to the JS run loop, which is the
 * complete implementation: at a helper call, atomic, slot that cannot run, a budget that runs out, an
 * access no mapped region allows, or a local call past the frame limit (or past the
 * {@link CORE_FRAMES} records it holds), the core stops *before* that slot (giving back what it
 * charged beyond the JS loop's count there: interpreter-core-charge.ts) and returns its word index; the JS loop continues from there with the
 * core's registers, frame records and budget and raises any error itself, so errors are the JS loop's
 * by construction. The JS loop may give the run back at a later block, in any frame the core can hold
 * ({@link InterpreterCore.resume}). Callbacks (bpf_loop and the like) are helpers: they run in the JS loop.
 *
 * Local calls keep the JS loop's frame records ({@link FRAMES}) in the area, so a hand-over copies
 * them as they are: a call saves the return slot, r6-r9 and r10, and gives the callee r10 = the entry
 * frame's r10 - depth × stackSize; `exit` in a callee restores them.
 *
 * Memory accesses are checked like the JIT's: a cached region (virtual base, a limit per access size,
 * linear offset) for loads, one for stores and one for the stack, kept in the area from run to run while
 * the memory's layout version is unchanged; on a miss, a block outside the cases has `scan` search the
 * region table (region-table.ts, written by the `table` import only when a miss needs it), refills the
 * cache and runs the slot again. Word and double-word loads and stores through r10 below it take no
 * cache: their own operations address the stack directly, in words a run uses only when its stack
 * holds every frame they reach (interpreter-core-frame.ts). The core reads and writes linear memory
 * only inside a region that holds the whole access, in its own area, the stack mark (vm/stack) and in the program's words, which
 * live in linear memory allocated for them and mapped at no virtual address (programs cannot reach
 * them).
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';
import { CodeWriter, ModuleBuilder } from '../wasm/module.js';
import { Op, ValType, type ValTypeCode } from '../wasm/opcodes.js';
import { COST_SHIFT, DST_SHIFT, OP_MASK, SLOT_WORDS, SRC_SHIFT, type InterpreterCode } from './interpreter-decode.js';
import { CORE_OP_NAMES, coreFuse, coreParts } from './interpreter-core-fused.js';
import { CORE_AREA, CORE_AREA_BYTES, MEM_START, STACK_MARK, type Region, type VmMemory } from './memory.js';
import { currentRegionTable, regionTable, TABLE_ENTRY } from './region-table.js';
import { COPY_LOOP_OP, COPY_REFUSED, copyLoopBulk, PAUSE_AFTER_REFUSAL, type CopyLoopPlan } from './copy-loop.js';
import { u64FromHalves } from './helper-call.js';
import { CORE_FRAMES, FRAME_WORDS } from './interpreter-loop.js';
import { FRAME_OPS, frameAccesses, frameAccessesFit } from './interpreter-core-frame.js';
import { chainCharges } from './interpreter-core-charge.js';

// ---- the core's area of linear memory, one per VM memory (offsets from its start) ----
/** r0-r15 as little-endian i64 (the JS loop's lo/hi int32 pairs, in the same order). */
const REGS = 0;
/** The budget used so far, when the core hands a run back or ends it (i64). */
const USED = 128;
/** The region `scan` found: virtual address, accessible size, linear offset (i32 each); `packet` uses +4 and +8. */
const FOUND = 136;
/**
 * The region caches, kept here rather than in locals (see {@link LEFT}): the load cache, the store
 * cache (kept from run to run) and the run's stack (from the parameters). Each is {@link CACHE_BYTES}:
 * the base (i64), then for accesses of 1, 2, 4 and 8 bytes the exact limit (i64: size - n + 1, 0 when
 * the region is smaller than n bytes), so that an offset below it holds the whole access, then the
 * linear offset (i32). Exact limits let a miss refill the cache and run the slot again: the region
 * found always admits the access that found it (see {@link CoreWriter.linear}).
 */
const CACHES = 152;
const CACHE_BYTES = 48;
const LIMITS = 8;
const LINEAR = 40;
const LOAD_CACHE = CACHES;
const STORE_CACHE = CACHES + CACHE_BYTES;
const STACK_CACHE = CACHES + 2 * CACHE_BYTES;
/** The size of the region at MEM_START for LD_ABS/LD_IND (i64; -1: not looked up yet, -2: none), its linear offset (i32). */
const PACKET_SIZE = CACHES + 3 * CACHE_BYTES;
const PACKET_BASE = PACKET_SIZE + 8;
/** The region table's linear offset (i32, written by the `table` import) and entries (i32, -1: not current). */
const TABLE_AT = PACKET_SIZE + 16;
const TABLE_COUNT = PACKET_SIZE + 20;
/** The slot (byte address) and the budget left at the last miss (see {@link CoreWriter.miss}). */
const MISS_AT = PACKET_SIZE + 24;
const MISS_LEFT = PACKET_SIZE + 32;
/**
 * The budget left (i64: budget - used), counted down where a block starts. The loop carries as few
 * values as it can (the slot, the code, the area): in a function this big, every further one TurboFan
 * keeps live across the loop costs spills and register moves at every case's end. So the budget is one
 * count, converted from its f64 parameter (which lives in a float register) only where a run ends, and
 * it and the region caches ({@link CACHES}) live here, loaded where a block start or an access needs them.
 */
const LEFT = PACKET_SIZE + 40;
/** The frames below the current one (i32): 0 in the entry function, n after n local calls. */
const DEPTH = PACKET_SIZE + 48;
/**
 * The frame records of local calls, {@link CORE_FRAMES} of them, in the JS loop's layout so that a
 * hand-over copies them as they are ({@link FRAME_WORDS} int32 words: the return slot's word index, then
 * r6-r9 and r10 as lo/hi pairs; in bytes: pc at 0, r6 at 4 ... r10 at 36, i64 stores unaligned).
 */
const FRAMES = PACKET_SIZE + 56;
const FRAME_BYTES = FRAME_WORDS * 4;
/** The stack's linear offset less its virtual address (i32), for frame accesses (interpreter-core-frame.ts). */
const FP_DELTA = FRAMES + CORE_FRAMES * FRAME_BYTES;
/** Bytes of the area (at the memory's `scratch + CORE_AREA`, where it reserves CORE_AREA_BYTES). */
const AREA_SIZE = FP_DELTA + 8;
if (AREA_SIZE > CORE_AREA_BYTES) throw new Error('internal: the interpreter core\'s area is larger than memories reserve for it');

/** Offset in a cache entry of the limit for accesses of `size` bytes (1, 2, 4 or 8). */
function limitAt(size: number): number {
  return LIMITS + 8 * Math.log2(size);
}

/** A `run` flag: the registers are already in the area (a run the JS loop gave back). */
const RESUME_REGISTERS = 1;
/** A `run` flag: the caches in the area describe the memory's current layout. */
const RESUME_CACHES = 2;

/**
 * Bytes of a slot in the core's copy of a program's words (made when they are copied into linear memory,
 * see {@link coreWords}): the JS loop's four words, but a jump's (or local call's) target is the byte
 * offset of its slot from word 0, a copy loop's back edge carries its condition and pause count, and
 * word 3 is the slot's charge (interpreter-core-charge.ts). Word 0 is re-laid out for the core (see
 * {@link coreWord}): the op, and the registers' byte offsets into the area as bytes of their own, so
 * that a register's address is one byte load (no shift and mask; the area's address is each access's offset).
 */
const SLOT_BYTES = 16;
/** Byte of word 0 (in the core's words) holding the destination register's offset in the area (dst × 8). */
const DST_BYTE = 2;
/** Byte of word 0 (in the core's words) holding the source register's offset in the area (src × 8). */
const SRC_BYTE = 3;
/**
 * A copy loop's back edge in the core's form: word 1 is the plan's index | its jump's condition (on dst
 * and src) << COPY_CONDITION_SHIFT; word 3 (0 in a slot that does not start a block) counts the back
 * edges left to pause after a refusal.
 */
const COPY_CONDITION = { jlt: 0, jgt: 1, jne: 2 } as const;
const COPY_CONDITION_SHIFT = 28;

/** Most distinct programs whose words one memory keeps for the core; later ones run on the JS loop. */
const MAX_PROGRAMS = 16;
/** Largest program (in words) the core takes; a larger one runs on the JS loop. */
const MAX_WORDS = 1 << 18;

// ---- locals of the run function ----
const P_AREA = 0; // i32: the area's linear offset, which the module knows already (scratch + CORE_AREA): unused
const P_PC = 1; // byte address of the first slot's words (the program's word 0)
const P_BUDGET = 2; // f64
const P_R1L = 3;
const P_R1H = 4;
const P_R2L = 5;
const P_R2H = 6;
const P_R10 = 7;
const P_SS = 8; // stack region: virtual address, limit, linear offset
const P_SL = 9; // the stack's size (0: none)
const P_SB = 10;
const P_START = 11; // i32: word index of the slot to start at (0, or where the JS loop gave the run back)
const P_USED = 12; // f64: budget used before it
const P_RESUME = 13; // i32 flags: RESUME_REGISTERS, RESUME_CACHES
const P_TABLE = 14; // i32: the memory's region table (see region-table.ts): linear offset, entries (-1: not current)
const P_COUNT = 15;
const P_FRAME = 16; // i32: a frame's stack bytes (RunLimits.stackSize): a callee's r10 is r10 at entry - depth × this
const P_MAX_DEPTH = 17; // i32: a local call at depth d runs here only while d + 1 < this (see CoreLimits)
const PARAMS = [
  ValType.i32, ValType.i32, ValType.f64, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32,
  ValType.i32, ValType.f64, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32,
];
const L_CODE = 18; // i32: byte address of word 0
const L_PC = 19; // i32: byte address of the current slot
const L_W = 20; // i32: the op of the slot at L_PC (word 0's low half), set before every dispatch (see CoreWriter.next)
const L_D = 21; // i32: byte address of the destination register of the current part
const L_S = 22; // i32: ... of its source register
const L_C = 23; // i32: scratch (cost, linear address)
const L_A = 24; // i64: address, operand
const L_T = 25; // i64: scratch
const L_X = 26; // i32 scratch
const LOCALS = [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i64, ValType.i64, ValType.i32];

/** Function index of the `packet` import: 1 and the size and offset of the region at MEM_START in FOUND + 4 and + 8, or 0. */
const IMPORT_PACKET = 0;
/** Function index of the `table` import: writes the region table if stale, its offset to TABLE_AT; returns its entries. */
const IMPORT_TABLE = 1;
/**
 * Function index of the `copy` import: the bulk step of the copy loop whose index it is given (see
 * copy-loop.ts), on the registers in the area and the budget used in USED (which it advances); returns
 * -1 when the step was refused (the back edge then pauses), else 0.
 */
const IMPORT_COPY = 2;
/** Function index of `scan` (see {@link scanFunction}). */
const FUNC_SCAN = 4;

const ALU_NAMES = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'mov', 'arsh'];
const JUMP_NAMES = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'];
const JUMP64 = [Op.i64_eq, Op.i64_gt_u, Op.i64_ge_u, -1, Op.i64_ne, Op.i64_gt_s, Op.i64_ge_s, Op.i64_lt_u, Op.i64_le_u, Op.i64_lt_s, Op.i64_le_s];
const JUMP32 = [Op.i32_eq, Op.i32_gt_u, Op.i32_ge_u, -1, Op.i32_ne, Op.i32_gt_s, Op.i32_ge_s, Op.i32_lt_u, Op.i32_le_u, Op.i32_lt_s, Op.i32_le_s];
const PLAIN64: Readonly<Record<string, number>> = { add: Op.i64_add, sub: Op.i64_sub, mul: Op.i64_mul, or: Op.i64_or, and: Op.i64_and, xor: Op.i64_xor, lsh: Op.i64_shl, rsh: Op.i64_shr_u, arsh: Op.i64_shr_s };
const PLAIN32: Readonly<Record<string, number>> = { add: Op.i32_add, sub: Op.i32_sub, mul: Op.i32_mul, or: Op.i32_or, and: Op.i32_and, xor: Op.i32_xor, lsh: Op.i32_shl, rsh: Op.i32_shr_u, arsh: Op.i32_shr_s };
/** The opcodes {@link CoreWriter.alu} needs at each width, and the scratch local of its operand. */
interface Width {
  readonly plain: Readonly<Record<string, number>>;
  readonly type: ValTypeCode;
  readonly temp: number;
  readonly eqz: number;
  readonly eq: number;
  readonly sub: number;
  readonly divU: number;
  readonly remU: number;
  readonly divS: number;
  readonly remS: number;
}
const WIDE: Width = {
  plain: PLAIN64, type: ValType.i64, temp: L_A, eqz: Op.i64_eqz, eq: Op.i64_eq, sub: Op.i64_sub,
  divU: Op.i64_div_u, remU: Op.i64_rem_u, divS: Op.i64_div_s, remS: Op.i64_rem_s,
};
const NARROW: Width = {
  plain: PLAIN32, type: ValType.i32, temp: L_X, eqz: Op.i32_eqz, eq: Op.i32_eq, sub: Op.i32_sub,
  divU: Op.i32_div_u, remU: Op.i32_rem_u, divS: Op.i32_div_s, remS: Op.i32_rem_s,
};
const LOADS: Readonly<Record<string, [number, number]>> = {
  ldxb: [1, Op.i64_load8_u], ldxh: [2, Op.i64_load16_u], ldxw: [4, Op.i64_load32_u], ldxdw: [8, Op.i64_load],
  ldxsb: [1, Op.i64_load8_s], ldxsh: [2, Op.i64_load16_s], ldxsw: [4, Op.i64_load32_s],
};
/** Operation names by family: ALU (op, width, operand), stores (x: register source, size), LD_ABS/LD_IND. */
const ALU_NAME = /^([a-z]+)(64|32)_([kx])$/;
const STORE_NAME = /^st(x?)(b|h|w|dw)$/;
const PACKET_NAME = /^ld(abs|ind)(b|h|w)$/;
/** A conditional jump: condition, 32 for JMP32, operand. */
const JUMP_NAME = /^(j[a-z]+?)(32)?_([kx])$/;
/** A superinstruction's part that is a frame access (interpreter-core-frame.ts), and its base operation. */
const FRAME_PART = /^((?:ldx|stx)d?w)_fp$/;
const STORES: Readonly<Record<string, [number, number]>> = { b: [1, Op.i64_store8], h: [2, Op.i64_store16], w: [4, Op.i64_store32], dw: [8, Op.i64_store] };

/** Emits the run function's cases. `depth` counts the blocks open above the current case's code. */
class CoreWriter {
  readonly c = new CodeWriter();
  /**
   * `mark`: linear offset of the stack mark (see vm/stack), `scratch + STACK_MARK` of the memory it runs
   * in; `area`: linear offset of the core's area there, `scratch + CORE_AREA`, a constant of the module,
   * so that a register's address is its byte in the slot (the area folded into each access's offset).
   */
  constructor(readonly mark: number, readonly area: number) {}
  /** Blocks open between the current code and the miss block (then the bail block, then the loop). */
  depth = 0;

  /** Open a structured block (`if`, `block`) inside a case. */
  open(kind: 'if' | 'block', result?: ValTypeCode): void {
    if (kind === 'if') this.c.if(result);
    else this.c.block();
    this.depth++;
  }
  close(): void {
    this.c.end();
    this.depth--;
  }
  /** Leave the case at part `k` of its slot run: hand the slot `pc + k` back to the JS loop. */
  bail(k: number): void {
    if (k > 0) this.c.get(L_PC).i32(SLOT_BYTES * k).op(Op.i32_add).set(L_PC);
    this.c.br(this.depth + 1);
  }
  /**
   * Continue the loop at the current slot address (L_PC already set), whose first word goes to L_W for
   * the dispatch unless the case `preloaded` it (see {@link preload}).
   */
  next(preloaded = false): void {
    if (!preloaded) this.c.get(L_PC).mem(Op.i32_load16_u).set(L_W);
    this.c.br(this.depth + 2);
  }
  /**
   * Load the first word of the slot `len` slots on, the one a case that does not transfer control
   * continues at, into L_W as the case starts: the dispatch's load is then off the path from the case's
   * end to the indirect jump.
   */
  preload(len: number): void {
    this.c.get(L_PC).mem(Op.i32_load16_u, SLOT_BYTES * len).set(L_W);
  }
  /**
   * Continue the loop at L_PC, a slot control was transferred to: charge its chain (word 3, see
   * interpreter-core-charge.ts) and hand it back when the budget left goes below 0.
   */
  transfer(): void {
    const c = this.c;
    c.i32(this.area).mem(Op.i64_load, LEFT).get(L_PC).mem(Op.i64_load32_u, 12).op(Op.i64_sub).set(L_T);
    c.i32(this.area).get(L_T).mem(Op.i64_store, LEFT);
    c.get(L_T).i64(0).op(Op.i64_lt_s).brIf(this.depth + 1);
    this.next();
  }

  /**
   * Set L_D (and L_S, when the operation reads a source register) to the register offsets of part `k`
   * of the run starting at L_PC: the slot's register byte ({@link DST_BYTE}, {@link SRC_BYTE}), an offset
   * into the area, whose address every register access adds as its constant memarg offset.
   * Loaded from the slot rather than kept from the dispatch: a value live into every case is spilled.
   */
  registers(k: number, source: boolean): void {
    const c = this.c;
    c.get(L_PC).mem(Op.i32_load8_u, SLOT_BYTES * k + DST_BYTE).set(L_D);
    if (source) c.get(L_PC).mem(Op.i32_load8_u, SLOT_BYTES * k + SRC_BYTE).set(L_S);
  }
  /** Push part `k`'s immediate (word 1 of its slot). */
  imm(k: number): void {
    this.c.get(L_PC).mem(Op.i32_load, SLOT_BYTES * k + 4);
  }
  /** Push part `k`'s offset or jump target (word 2 of its slot; a target as a byte offset from word 0). */
  off(k: number): void {
    this.c.get(L_PC).mem(Op.i32_load, SLOT_BYTES * k + 8);
  }
  /** Push the destination register, 64 bits. */
  dst64(): void {
    this.c.get(L_D).mem(Op.i64_load, this.area);
  }
  /** Push the source register, 64 bits. */
  src64(): void {
    this.c.get(L_S).mem(Op.i64_load, this.area);
  }
  /** Push the destination register's low 32 bits. */
  dst32(): void {
    this.c.get(L_D).mem(Op.i32_load, this.area);
  }
  /** Push the source register's low 32 bits. */
  src32(): void {
    this.c.get(L_S).mem(Op.i32_load, this.area);
  }

  /**
   * Push the linear address of an access of `size` bytes at the i64 address in L_A: the load (store)
   * cache's region or the stack's. On a miss, leave for the miss block with L_PC at part `k`'s slot and
   * L_C = size | store << 4: it finds the region in the region table, refills the cache and runs that
   * slot again (or hands it back to the JS loop, which raises the error, when no region holds the
   * access). Out of line, the search's calls leave the cases without any, so that TurboFan keeps their
   * values in registers instead of spilling them around a call on every access.
   */
  linear(size: number, store: boolean, k: number): void {
    const c = this.c;
    const cache = store ? STORE_CACHE : LOAD_CACHE;
    const limit = limitAt(size);
    c.get(L_A).i32(this.area).mem(Op.i64_load, cache).op(Op.i64_sub).tee(L_T).i32(this.area).mem(Op.i64_load, cache + limit).op(Op.i64_lt_u);
    this.open('if', ValType.i32);
    c.get(L_T).op(Op.i32_wrap_i64).i32(this.area).mem(Op.i32_load, cache + LINEAR).op(Op.i32_add);
    c.else();
    c.get(L_A).i32(this.area).mem(Op.i64_load, STACK_CACHE).op(Op.i64_sub).tee(L_T).i32(this.area).mem(Op.i64_load, STACK_CACHE + limit).op(Op.i64_lt_u);
    this.open('if', ValType.i32);
    if (store) this.markStack(() => c.get(L_A).op(Op.i32_wrap_i64));
    c.get(L_T).op(Op.i32_wrap_i64).i32(this.area).mem(Op.i32_load, STACK_CACHE + LINEAR).op(Op.i32_add);
    c.else();
    if (k > 0) c.get(L_PC).i32(SLOT_BYTES * k).op(Op.i32_add).set(L_PC);
    c.i32(size | (store ? 16 : 0)).set(L_C);
    c.br(this.depth);
    this.close();
    this.close();
  }

  /**
   * The miss block (see {@link linear}): search the region table for the access at L_A (size and store
   * in L_C) of the slot at L_PC; none holds it: hand the slot back; else refill the load or store cache
   * with the region found and run the slot again (the dispatch charges nothing: see
   * interpreter-core-charge.ts). The slot is a base operation or a superinstruction's first slot (the
   * later slots of a run hold their own operations), so no part before the access runs twice.
   */
  miss(): void {
    const c = this.c;
    // The table is written only when a run needs it: a layout changed before every run (inputs copied
    // in) costs nothing until an access misses.
    c.i32(this.area).mem(Op.i32_load, TABLE_COUNT).i32(0).op(Op.i32_lt_s);
    this.open('if');
    c.i32(this.area).call(IMPORT_TABLE).mem(Op.i32_store, TABLE_COUNT);
    this.close();
    c.get(L_A).get(L_C).i32(15).op(Op.i32_and).get(L_C).i32(4).op(Op.i32_shr_u);
    c.i32(this.area).mem(Op.i32_load, TABLE_AT).i32(this.area).mem(Op.i32_load, TABLE_COUNT).i32(this.area).call(FUNC_SCAN);
    c.i32(0).op(Op.i32_lt_s);
    // Defence in depth: a second miss at the same slot with no budget charged since the first (no progress)
    // hands the slot back rather than run it again in a loop that charges nothing. It cannot happen (the
    // region found admits the access) unless the caches' limits are wrong.
    c.get(L_PC).i32(this.area).mem(Op.i32_load, MISS_AT).op(Op.i32_eq).i32(this.area).mem(Op.i64_load, LEFT).i32(this.area).mem(Op.i64_load, MISS_LEFT).op(Op.i64_eq).op(Op.i32_and).op(Op.i32_or);
    this.open('if');
    this.bail(0);
    this.close();
    c.i32(this.area).get(L_PC).mem(Op.i32_store, MISS_AT);
    c.i32(this.area).i32(this.area).mem(Op.i64_load, LEFT).mem(Op.i64_store, MISS_LEFT);
    c.i32(this.area).i32(LOAD_CACHE).op(Op.i32_add).get(L_C).i32(4).op(Op.i32_shr_u).i32(CACHE_BYTES).op(Op.i32_mul).op(Op.i32_add).set(L_D);
    const found = (at: number) => (): void => void c.i32(this.area).mem(Op.i32_load, at);
    fillCache(c, () => c.get(L_D), 0, found(FOUND), found(FOUND + 4), found(FOUND + 8));
    // The stack in the store cache: its hits are not marked, so mark the whole stack.
    c.i32(this.area).mem(Op.i32_load, FOUND).get(P_SS).op(Op.i32_eq).get(L_C).i32(4).op(Op.i32_shr_u).op(Op.i32_and);
    this.open('if');
    this.markStack(() => c.get(P_SS));
    this.close();
    this.next();
  }

  /** Lower the stack mark (see vm/stack) to the i32 virtual address `push` pushes (twice). */
  markStack(push: () => void): void {
    const c = this.c;
    push();
    c.i32(0).mem(Op.i32_load, this.mark).op(Op.i32_lt_u);
    this.open('if');
    c.i32(0);
    push();
    c.mem(Op.i32_store, this.mark);
    this.close();
  }

  /** Part `k` of a slot run, a non-jump operation `name`. */
  plain(name: string, k: number): void {
    const c = this.c;
    const alu = ALU_NAME.exec(name);
    if (alu !== null && ALU_NAMES.includes(alu[1]!)) {
      const [, op, width, src] = alu as unknown as [string, string, string, string];
      this.alu(op, width === '64' ? 64 : 32, src === 'k', k);
      return;
    }
    const load = LOADS[name];
    if (load !== undefined) {
      c.get(L_D);
      this.src64();
      this.off(k);
      c.op(Op.i64_extend_i32_s).op(Op.i64_add).set(L_A);
      this.linear(load[0], false, k);
      c.mem(load[1]).mem(Op.i64_store, this.area);
      return;
    }
    const st = STORE_NAME.exec(name);
    if (st !== null) {
      const [size, storeOp] = STORES[st[2]!]!;
      this.dst64();
      this.off(k);
      c.op(Op.i64_extend_i32_s).op(Op.i64_add).set(L_A);
      this.linear(size, true, k);
      if (st[1] === 'x') this.src64();
      else {
        this.imm(k);
        c.op(Op.i64_extend_i32_s);
      }
      c.mem(storeOp);
      return;
    }
    switch (name) {
      case 'neg64':
        c.get(L_D).i64(0);
        this.dst64();
        c.op(Op.i64_sub).mem(Op.i64_store, this.area);
        return;
      case 'neg32':
        c.get(L_D).i32(0);
        this.dst32();
        c.op(Op.i32_sub).op(Op.i64_extend_i32_u).mem(Op.i64_store, this.area);
        return;
      case 'movsx64_8':
      case 'movsx64_16':
      case 'movsx64_32':
        c.get(L_D);
        this.src64();
        c.op(name === 'movsx64_8' ? Op.i64_extend8_s : name === 'movsx64_16' ? Op.i64_extend16_s : Op.i64_extend32_s).mem(Op.i64_store, this.area);
        return;
      case 'movsx32_8':
      case 'movsx32_16':
        c.get(L_D);
        this.src32();
        c.op(name === 'movsx32_8' ? Op.i32_extend8_s : Op.i32_extend16_s).op(Op.i64_extend_i32_u).mem(Op.i64_store, this.area);
        return;
      case 'le16':
        c.get(L_D);
        this.dst64();
        c.i64(0xffff).op(Op.i64_and).mem(Op.i64_store, this.area);
        return;
      case 'le32':
        c.get(L_D);
        this.dst32();
        c.op(Op.i64_extend_i32_u).mem(Op.i64_store, this.area);
        return;
      case 'le64':
        return;
      case 'be16':
        c.get(L_D);
        this.dst32();
        c.tee(L_X).i32(0xff).op(Op.i32_and).i32(8).op(Op.i32_shl);
        c.get(L_X).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).op(Op.i32_or);
        c.op(Op.i64_extend_i32_u).mem(Op.i64_store, this.area);
        return;
      case 'be32':
        c.get(L_D);
        this.dst32();
        this.bswap32();
        c.op(Op.i64_extend_i32_u).mem(Op.i64_store, this.area);
        return;
      case 'be64':
        // Swap the bytes of each 16-bit lane, then the lanes of each 32-bit half, then the halves.
        c.get(L_D);
        this.dst64();
        c.tee(L_T).i64(0x00ff00ff00ff00ffn).op(Op.i64_and).i64(8).op(Op.i64_shl);
        c.get(L_T).i64(8).op(Op.i64_shr_u).i64(0x00ff00ff00ff00ffn).op(Op.i64_and).op(Op.i64_or);
        c.tee(L_T).i64(0x0000ffff0000ffffn).op(Op.i64_and).i64(16).op(Op.i64_shl);
        c.get(L_T).i64(16).op(Op.i64_shr_u).i64(0x0000ffff0000ffffn).op(Op.i64_and).op(Op.i64_or);
        c.i64(32).op(Op.i64_rotl).mem(Op.i64_store, this.area);
        return;
    }
    throw new Error(`internal: the interpreter core has no case for ${name}`);
  }

  /** Byte-swap the i32 on the stack: the even bytes rotated right by 8, the odd ones left by 8. */
  private bswap32(): void {
    const c = this.c;
    c.tee(L_X).i32(0x00ff00ff).op(Op.i32_and).i32(24).op(Op.i32_rotl);
    c.get(L_X).i32(0xff00ff00 | 0).op(Op.i32_and).i32(8).op(Op.i32_rotl).op(Op.i32_or);
  }

  /**
   * ALU operation `op` of `width` bits, immediate or register operand. 32-bit results are
   * zero-extended. Division and modulo: by zero, `/` gives 0 and `%` keeps dst; signed by -1, `/`
   * negates (the minimum stays the minimum, where `div_s` would trap) and `%` gives 0.
   */
  private alu(op: string, width: 32 | 64, imm: boolean, k: number): void {
    const c = this.c;
    const w = width === 64 ? WIDE : NARROW;
    const dst = (): void => (width === 64 ? this.dst64() : this.dst32());
    const operand = (): void => {
      if (!imm) width === 64 ? this.src64() : this.src32();
      else {
        this.imm(k);
        if (width === 64) c.op(Op.i64_extend_i32_s);
      }
    };
    const constant = (v: number): void => void (width === 64 ? c.i64(v) : c.i32(v));
    c.get(L_D);
    if (op === 'mov') operand();
    else if (w.plain[op] !== undefined) {
      dst();
      operand();
      c.op(w.plain[op]);
    } else {
      operand();
      c.tee(w.temp).op(w.eqz);
      this.open('if', w.type);
      if (op === 'div' || op === 'sdiv') constant(0);
      else dst();
      c.else();
      if (op === 'div' || op === 'mod') {
        dst();
        c.get(w.temp).op(op === 'div' ? w.divU : w.remU);
      } else {
        c.get(w.temp);
        constant(-1);
        c.op(w.eq);
        this.open('if', w.type);
        constant(0);
        if (op === 'sdiv') {
          dst();
          c.op(w.sub);
        }
        c.else();
        dst();
        c.get(w.temp).op(op === 'sdiv' ? w.divS : w.remS);
        this.close();
      }
      this.close();
    }
    if (width === 32) c.op(Op.i64_extend_i32_u);
    c.mem(Op.i64_store, this.area);
  }

  /** Part `k`, a conditional jump `name`, ending a run of `len` slots. */
  jump(name: string, k: number, len: number): void {
    const c = this.c;
    const m = JUMP_NAME.exec(name)!;
    const cond = JUMP_NAMES.indexOf(m[1]!);
    const wide = m[2] === undefined;
    if (wide) {
      this.dst64();
      if (m[3] === 'k') {
        this.imm(k);
        c.op(Op.i64_extend_i32_s);
      } else this.src64();
      if (cond === 3) c.op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
      else c.op(JUMP64[cond]!);
    } else {
      this.dst32();
      if (m[3] === 'k') this.imm(k);
      else this.src32();
      if (cond === 3) c.op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz);
      else c.op(JUMP32[cond]!);
    }
    this.open('if', ValType.i32);
    c.get(L_CODE);
    this.off(k);
    c.op(Op.i32_add);
    c.else();
    c.get(L_PC).i32(SLOT_BYTES * len).op(Op.i32_add);
    this.close();
    c.set(L_PC);
    this.transfer();
  }

  /**
   * LD_ABS / LD_IND of `size` bytes: r0 = the big-endian value at offset imm (+ the low 32 bits of src,
   * wrapping) of the region at MEM_START; past its end the run ends with r0 = 0. A negative offset is
   * handed to the JS loop (the `SKF_*_OFF` bases, vm/packet-load.ts).
   */
  private packetLoad(indirect: boolean, size: number): void {
    const c = this.c;
    this.registers(0, indirect);
    this.imm(0);
    if (indirect) {
      this.src32();
      c.op(Op.i32_add);
    }
    c.set(L_X);
    c.i32(this.area).mem(Op.i64_load, PACKET_SIZE).i64(-1).op(Op.i64_eq);
    this.open('if');
    c.i32(this.area);
    c.call(IMPORT_PACKET);
    this.open('if', ValType.i64);
    c.i32(this.area).mem(Op.i64_load32_u, FOUND + 4);
    c.else().i64(-2);
    this.close();
    c.mem(Op.i64_store, PACKET_SIZE);
    c.i32(this.area).i32(this.area).mem(Op.i32_load, FOUND + 8).mem(Op.i32_store, PACKET_BASE);
    this.close();
    // A negative offset (SKF_NET_OFF / SKF_LL_OFF bases, or a failing load): the JS loop's packetLoad decides.
    c.get(L_X).i32(0).op(Op.i32_lt_s);
    this.open('if');
    this.bail(0);
    this.close();
    c.get(L_X).op(Op.i64_extend_i32_u).i64(size).op(Op.i64_add).i32(this.area).mem(Op.i64_load, PACKET_SIZE).op(Op.i64_gt_s);
    this.open('if');
    c.i32(this.area).i64(0).mem(Op.i64_store, REGS);
    // What the core charged past this slot's block (its chain's later blocks, see coreWords) is not run.
    c.i32(this.area).i32(this.area).mem(Op.i64_load, LEFT);
    this.off(0);
    c.op(Op.i64_extend_i32_u).op(Op.i64_add).mem(Op.i64_store, LEFT);
    endRun(c, this.area);
    this.close();
    c.i32(this.area);
    c.i32(this.area).mem(Op.i32_load, PACKET_BASE).get(L_X).op(Op.i32_add).set(L_X);
    if (size === 1) c.get(L_X).mem(Op.i32_load8_u);
    else if (size === 2) c.get(L_X).mem(Op.i32_load8_u).i32(8).op(Op.i32_shl).get(L_X).mem(Op.i32_load8_u, 1).op(Op.i32_or);
    else {
      c.get(L_X).mem(Op.i32_load);
      this.bswap32();
    }
    c.op(Op.i64_extend_i32_u).mem(Op.i64_store, REGS);
    c.get(L_PC).i32(SLOT_BYTES).op(Op.i32_add).set(L_PC);
    this.next();
  }

  /**
   * The case of op number `num` (a base operation or one of the core's superinstructions, whose parts run
   * one after the other with no dispatch between them); false: no case (hand back).
   */
  caseOf(num: number): boolean {
    const c = this.c;
    const frame = FRAME_OPS.find((f) => f.num === num);
    if (frame !== undefined) {
      this.frameAccess(frame.base);
      return true;
    }
    const parts = coreParts(num);
    if (parts === undefined) return false;
    const name = parts.length === 1 ? parts[0]! : CORE_OP_NAMES[num]!;
    if (!parts.every((p) => this.handles(p))) return false;
    if (name === 'lddw') {
      this.registers(0, false);
      c.get(L_D);
      this.imm(0);
      c.op(Op.i64_extend_i32_u);
      this.off(0);
      c.op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).op(Op.i64_or).mem(Op.i64_store, this.area);
      c.get(L_PC).i32(2 * SLOT_BYTES).op(Op.i32_add).set(L_PC);
      this.next();
      return true;
    }
    if (name === 'exit') {
      this.exit();
      return true;
    }
    if (name === 'call_local') {
      this.callLocal();
      return true;
    }
    if (name === 'ja') {
      c.get(L_CODE);
      this.off(0);
      c.op(Op.i32_add).set(L_PC);
      this.transfer();
      return true;
    }
    if (name === 'copy_loop') {
      this.copyLoop();
      return true;
    }
    if (name === 'load_word_b' || name === 'load_word_h') {
      this.loadWord(name === 'load_word_b' ? 'ldxb' : 'ldxh');
      return true;
    }
    const packet = PACKET_NAME.exec(name);
    if (packet !== null) {
      this.packetLoad(packet[1] === 'ind', packet[2] === 'b' ? 1 : packet[2] === 'h' ? 2 : 4);
      return true;
    }
    const falls = !isJump(parts[parts.length - 1]!);
    if (falls) this.preload(parts.length);
    parts.forEach((part, k) => {
      const frame = FRAME_PART.exec(part);
      if (frame !== null) return this.framePart(frame[1]!, k);
      this.registers(k, readsSource(part));
      if (isJump(part)) this.jump(part, k, parts.length);
      else this.plain(part, k);
    });
    if (falls) {
      c.get(L_PC).i32(SLOT_BYTES * parts.length).op(Op.i32_add).set(L_PC);
      this.next(true);
    }
    return true;
  }

  /**
   * A frame access (interpreter-core-frame.ts): a load or store `base` through r10 at a constant offset
   * that the run's stack region is known to hold, at linear address r10 + offset + {@link FP_DELTA}.
   */
  private frameAccess(base: string): void {
    this.preload(1);
    this.framePart(base, 0);
    this.c.get(L_PC).i32(SLOT_BYTES).op(Op.i32_add).set(L_PC);
    this.next(true);
  }

  /** Part `k` of a slot run, the frame access `base` (see {@link frameAccess}); L_D, L_S not yet set. */
  private framePart(base: string, k: number): void {
    const c = this.c;
    const load = LOADS[base];
    const address = (): void => {
      c.i32(this.area).mem(Op.i32_load, REGS + 80);
      this.off(k);
      c.op(Op.i32_add).i32(this.area).mem(Op.i32_load, FP_DELTA).op(Op.i32_add);
    };
    if (load !== undefined) {
      this.registers(k, false);
      c.get(L_D);
      address();
      c.mem(load[1]).mem(Op.i64_store, this.area);
    } else {
      const [, storeOp] = STORES[STORE_NAME.exec(base)![2]!]!;
      c.get(L_PC).mem(Op.i32_load8_u, SLOT_BYTES * k + SRC_BYTE).set(L_S);
      address();
      this.src64();
      c.mem(storeOp);
    }
  }

  /**
   * `exit`: in the entry function the run ends; in a callee, pop its caller's frame record ({@link
   * FRAMES}): r6-r9 and r10 as they were at the call, and continue at the slot after the call.
   */
  private exit(): void {
    const c = this.c;
    c.i32(this.area).mem(Op.i32_load, DEPTH).tee(L_X).op(Op.i32_eqz);
    this.open('if');
    endRun(c, this.area);
    this.close();
    c.i32(this.area).get(L_X).i32(1).op(Op.i32_sub).tee(L_X).mem(Op.i32_store, DEPTH);
    c.i32(this.area).get(L_X).i32(FRAME_BYTES).op(Op.i32_mul).op(Op.i32_add).set(L_C);
    for (let k = 0; k < 5; k++) c.i32(this.area).get(L_C).mem(Op.i64_load, FRAMES + 4 + 8 * k).mem(Op.i64_store, REGS + 48 + 8 * k);
    c.get(L_CODE).get(L_C).mem(Op.i32_load, FRAMES).i32(2).op(Op.i32_shl).op(Op.i32_add).set(L_PC);
    this.transfer();
  }

  /**
   * A local call: push a frame record (the return slot, r6-r9, r10), give the callee the next frame's
   * r10 and jump to its first slot (charging its chain). A call the core cannot hold the
   * frame of, or one past {@link RunLimits.maxCallDepth}, is handed back (the JS loop raises E_CALL_DEPTH).
   */
  private callLocal(): void {
    const c = this.c;
    c.i32(this.area).mem(Op.i32_load, DEPTH).tee(L_X).i32(1).op(Op.i32_add).get(P_MAX_DEPTH).op(Op.i32_ge_s);
    this.open('if');
    this.bail(0);
    this.close();
    c.i32(this.area).get(L_X).i32(FRAME_BYTES).op(Op.i32_mul).op(Op.i32_add).set(L_C);
    // The return slot as a word index of the JS loop's words (slot × SLOT_WORDS = byte offset / 4).
    c.get(L_C).get(L_PC).get(L_CODE).op(Op.i32_sub).i32(SLOT_BYTES).op(Op.i32_add).i32(2).op(Op.i32_shr_u).mem(Op.i32_store, FRAMES);
    for (let k = 0; k < 5; k++) c.get(L_C).i32(this.area).mem(Op.i64_load, REGS + 48 + 8 * k).mem(Op.i64_store, FRAMES + 4 + 8 * k);
    c.i32(this.area).get(L_X).i32(1).op(Op.i32_add).tee(L_X).mem(Op.i32_store, DEPTH);
    c.i32(this.area).get(P_R10).get(L_X).get(P_FRAME).op(Op.i32_mul).op(Op.i32_sub).op(Op.i64_extend_i32_u).mem(Op.i64_store, REGS + 80);
    c.get(L_CODE);
    this.off(0);
    c.op(Op.i32_add).set(L_PC);
    this.transfer();
  }

  /**
   * A counted copy loop's back edge (copy-loop.ts): the slot's own jump (its condition in word 1, see
   * {@link COPY_CONDITION}), and when it is taken, the bulk step through the `copy` import, unless the
   * back edge is pausing after a refusal (back edges left in word 3, the core's own count: the JS loop
   * keeps another in the plan).
   */
  private copyLoop(): void {
    const c = this.c;
    this.registers(0, true);
    c.get(L_PC).mem(Op.i32_load, 4).i32(COPY_CONDITION_SHIFT).op(Op.i32_shr_u).tee(L_X);
    this.open('if', ValType.i32);
    c.get(L_X).i32(COPY_CONDITION.jgt).op(Op.i32_eq);
    this.open('if', ValType.i32);
    this.dst64();
    this.src64();
    c.op(Op.i64_gt_u);
    c.else();
    this.dst64();
    this.src64();
    c.op(Op.i64_ne);
    this.close();
    c.else();
    this.dst64();
    this.src64();
    c.op(Op.i64_lt_u);
    this.close();
    this.open('if');
    c.get(L_PC).mem(Op.i32_load, 12).tee(L_X);
    this.open('if');
    c.get(L_PC).get(L_X).i32(1).op(Op.i32_sub).mem(Op.i32_store, 12);
    c.else();
    storeUsed(c, this.area);
    c.get(L_PC).mem(Op.i32_load, 4).i32((1 << COPY_CONDITION_SHIFT) - 1).op(Op.i32_and).call(IMPORT_COPY).i32(0).op(Op.i32_lt_s);
    this.open('if');
    c.get(L_PC).i32(PAUSE_AFTER_REFUSAL).mem(Op.i32_store, 12);
    this.close();
    c.i32(this.area).get(P_BUDGET).i64TruncSatF64S().i32(this.area).mem(Op.i64_load, USED).op(Op.i64_sub).mem(Op.i64_store, LEFT);
    this.close();
    c.get(L_CODE);
    this.off(0);
    c.op(Op.i32_add).set(L_PC);
    this.transfer();
    this.close();
    c.get(L_PC).i32(SLOT_BYTES).op(Op.i32_add).set(L_PC);
    this.transfer();
  }

  /**
   * A combined run (load-word.ts; its description in word 1): where the word's bytes lie in the load
   * cache's region or the stack, one wide load, the word kept in its order and shifted into the result
   * register, and the slot after the run; else the first slot as the load `first` it is.
   */
  private loadWord(first: string): void {
    const c = this.c;
    this.registers(0, true);
    this.imm(0);
    c.set(L_X);
    this.src64();
    this.off(0);
    c.op(Op.i64_extend_i32_s).op(Op.i64_add);
    c.get(L_X).i32(12).op(Op.i32_shr_u).i32(7).op(Op.i32_and).op(Op.i64_extend_i32_u).op(Op.i64_sub).set(L_A);
    this.open('block'); // slow
    this.open('block'); // loaded: the wide load's bytes in L_T
    const sizes = [2, 4, 8] as const;
    for (const size of sizes) {
      if (size !== 8) {
        c.get(L_X).i32(22).op(Op.i32_shr_u).i32(Math.log2(size)).op(Op.i32_eq);
        this.open('if');
      }
      const limit = limitAt(size);
      for (const cache of [LOAD_CACHE, STACK_CACHE]) {
        c.get(L_A).i32(this.area).mem(Op.i64_load, cache).op(Op.i64_sub).tee(L_T).i32(this.area).mem(Op.i64_load, cache + limit).op(Op.i64_lt_u);
        this.open('if');
        c.get(L_T).op(Op.i32_wrap_i64).i32(this.area).mem(Op.i32_load, cache + LINEAR).op(Op.i32_add);
        c.mem(size === 2 ? Op.i64_load16_u : size === 4 ? Op.i64_load32_u : Op.i64_load).set(L_T);
        c.br(size !== 8 ? 2 : 1); // loaded
        this.close();
      }
      c.br(size !== 8 ? 2 : 1); // slow
      if (size !== 8) this.close();
    }
    this.close(); // loaded
    // The n bytes in the word's order: bswap64(X) >> (64 - 8n) (be), or X << (64 - 8n) >> (64 - 8n) (le).
    c.get(L_X).i32(0x100).op(Op.i32_and);
    this.open('if');
    c.get(L_T).i64(0x00ff00ff00ff00ffn).op(Op.i64_and).i64(8).op(Op.i64_shl);
    c.get(L_T).i64(8).op(Op.i64_shr_u).i64(0x00ff00ff00ff00ffn).op(Op.i64_and).op(Op.i64_or);
    c.tee(L_T).i64(0x0000ffff0000ffffn).op(Op.i64_and).i64(16).op(Op.i64_shl);
    c.get(L_T).i64(16).op(Op.i64_shr_u).i64(0x0000ffff0000ffffn).op(Op.i64_and).op(Op.i64_or);
    c.i64(32).op(Op.i64_rotl).set(L_T);
    c.else();
    c.get(L_T).i64(64).get(L_X).i32(4).op(Op.i32_shr_u).i32(15).op(Op.i32_and).i32(8).op(Op.i32_mul).op(Op.i64_extend_i32_u).op(Op.i64_sub).op(Op.i64_shl).set(L_T);
    this.close();
    c.i32(this.area).get(L_X).i32(15).op(Op.i32_and).i32(8).op(Op.i32_mul).op(Op.i32_add);
    c.get(L_T).i64(64).get(L_X).i32(4).op(Op.i32_shr_u).i32(15).op(Op.i32_and).i32(8).op(Op.i32_mul).op(Op.i64_extend_i32_u).op(Op.i64_sub).op(Op.i64_shr_u);
    c.get(L_X).i32(9).op(Op.i32_shr_u).i32(7).op(Op.i32_and).i32(8).op(Op.i32_mul).op(Op.i64_extend_i32_u).op(Op.i64_shl);
    c.mem(Op.i64_store, REGS);
    c.get(L_PC).get(L_X).i32(16).op(Op.i32_shr_u).i32(63).op(Op.i32_and).i32(SLOT_BYTES).op(Op.i32_mul).op(Op.i32_add).set(L_PC);
    this.next();
    this.close(); // slow
    this.plain(first, 0);
    c.get(L_PC).i32(SLOT_BYTES).op(Op.i32_add).set(L_PC);
    this.next();
  }

  /** Whether the core runs operation `name` itself. */
  private handles(name: string): boolean {
    if (FRAME_PART.test(name)) return true;
    if (name === 'copy_loop' || name === 'load_word_b' || name === 'load_word_h') return true;
    if (PACKET_NAME.test(name) || STORE_NAME.test(name) || LOADS[name] !== undefined) return true;
    if (name === 'lddw' || name === 'exit' || name === 'ja' || name === 'call_local' || isJump(name)) return true;
    const alu = ALU_NAME.exec(name);
    if (alu !== null && ALU_NAMES.includes(alu[1]!)) return true;
    return /^(neg(64|32)|movsx(64_(8|16|32)|32_(8|16))|le(16|32|64)|be(16|32|64))$/.test(name);
  }
}

/** Whether operation `name` (one the core runs) reads its source register. */
function readsSource(name: string): boolean {
  return name.endsWith('_x') || LOADS[name] !== undefined || name.startsWith('stx') || name.startsWith('movsx');
}

function isJump(name: string): boolean {
  const m = JUMP_NAME.exec(name);
  return m !== null && JUMP_NAMES.includes(m[1]!);
}

/**
 * Write a cache entry (see {@link CACHES}) at `addr()` + `at`: the region at virtual address `base()`
 * of `size()` accessible bytes at linear offset `linear()` (each pushes an i32).
 */
function fillCache(c: CodeWriter, addr: () => void, at: number, base: () => void, size: () => void, linear: () => void): void {
  addr();
  base();
  c.op(Op.i64_extend_i32_u).mem(Op.i64_store, at);
  for (const n of [1, 2, 4, 8]) {
    addr();
    size();
    c.op(Op.i64_extend_i32_u).i64(n - 1).op(Op.i64_sub).i64(0);
    size();
    c.op(Op.i64_extend_i32_u).i64(n).op(Op.i64_ge_u).op(Op.select).mem(Op.i64_store, at + limitAt(n));
  }
  addr();
  linear();
  c.mem(Op.i32_store, at + LINEAR);
}

/**
 * Word 0 of a slot in the core's form, from the JS loop's `[op | (2·dst) << 9 | (2·src) << 14 | cost << 19]`:
 * the op, and dst × 8 and src × 8 in bytes {@link DST_BYTE} and {@link SRC_BYTE} (the cost is word 3's
 * business: see {@link coreWords}).
 */
function coreWord(w: number): number {
  const dst = ((w >>> DST_SHIFT) & 31) * 4;
  const src = ((w >>> SRC_SHIFT) & 31) * 4;
  return (w & OP_MASK) | (dst << (8 * DST_BYTE)) | (src << (8 * SRC_BYTE));
}

/** End the run (r0 is in the area): keep the budget used, return -1. */
function endRun(c: CodeWriter, area: number): void {
  storeUsed(c, area);
  c.i32(-1).op(Op.return);
}

/** Write the budget used (the budget less the budget left) to USED. */
function storeUsed(c: CodeWriter, area: number): void {
  c.i32(area).get(P_BUDGET).i64TruncSatF64S().i32(area).mem(Op.i64_load, LEFT).op(Op.i64_sub).mem(Op.i64_store, USED);
}

/**
 * `scan(address i64, size, store, table, count, area) -> linear address or -1`: the region of the region
 * table that holds the whole access (writable, for a store), written to the area's FOUND words
 * (virtual address, accessible size, linear offset); -1 when none does (the JS loop then
 * raises the error). Regions do not overlap, so the first that holds the access is the one
 * {@link VmMemory.find} returns.
 */
function scanFunction(): CodeWriter {
  const [A, SIZE, STORE, TABLE, COUNT, AREA, I, END, T, RS, E] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const c = new CodeWriter();
  c.get(TABLE).tee(I).get(COUNT).i32(TABLE_ENTRY).op(Op.i32_mul).op(Op.i32_add).set(END);
  c.loop();
  c.get(I).get(END).op(Op.i32_ge_u).if().i32(-1).op(Op.return).end();
  c.get(A).get(I).mem(Op.i64_load32_u).op(Op.i64_sub).tee(T);
  c.get(I).mem(Op.i64_load32_u, 4).tee(RS).op(Op.i64_lt_u);
  c.get(T).get(SIZE).op(Op.i64_extend_i32_u).op(Op.i64_add).get(RS).op(Op.i64_le_u).op(Op.i32_and);
  c.if();
  c.get(STORE).get(I).mem(Op.i32_load, 12).op(Op.i32_eqz).op(Op.i32_and).if().i32(-1).op(Op.return).end();
  // An element region (see Region.stride): the access must be inside one live element, which is what
  // is found (E: its start as an offset into the region; RS: its accessible bytes).
  c.i32(0).set(E);
  c.get(I).mem(Op.i32_load, 16).if();
  c.get(T).op(Op.i32_wrap_i64).get(I).mem(Op.i32_load, 16).op(Op.i32_div_u).set(E);
  c.get(I).mem(Op.i32_load, 24).if();
  c.get(I).mem(Op.i32_load, 24).get(E).op(Op.i32_add).mem(Op.i32_load8_u, 0).op(Op.i32_eqz).if().i32(-1).op(Op.return).end();
  c.end();
  c.get(E).get(I).mem(Op.i32_load, 16).op(Op.i32_mul).set(E);
  c.get(I).mem(Op.i64_load32_u, 20).set(RS);
  c.get(T).get(E).op(Op.i64_extend_i32_u).op(Op.i64_sub).get(SIZE).op(Op.i64_extend_i32_u).op(Op.i64_add).get(RS).op(Op.i64_gt_u).if().i32(-1).op(Op.return).end();
  c.end();
  c.get(AREA).get(I).mem(Op.i32_load).get(E).op(Op.i32_add).mem(Op.i32_store, FOUND);
  c.get(AREA).get(RS).op(Op.i32_wrap_i64).mem(Op.i32_store, FOUND + 4);
  c.get(AREA).get(I).mem(Op.i32_load, 8).get(E).op(Op.i32_add).mem(Op.i32_store, FOUND + 8);
  c.get(T).op(Op.i32_wrap_i64).get(I).mem(Op.i32_load, 8).op(Op.i32_add).op(Op.return);
  c.end();
  c.get(I).i32(TABLE_ENTRY).op(Op.i32_add).set(I).br(0);
  c.end();
  c.op(Op.unreachable);
  return c;
}

/** Which variant of the core's module: a shared memory's, and where that memory keeps its stack mark. */
export interface CoreModuleOptions {
  /** Import a shared memory (see VmMemory.shared). */
  readonly shared?: boolean;
  /** The memory's {@link VmMemory.scratch} (default 0). */
  readonly scratch?: number;
}

/**
 * The core's module bytes: `run(area, code, budget, r1 lo, r1 hi, r2 lo, r2 hi, r10, stack vaddr, stack
 * limit, stack offset, start, used, flags, table, count, frame, max depth) -> i32` (the params P_*), and `scan`.
 */
export function coreModule(options: CoreModuleOptions = {}): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder();
  mb.importFunction('env', 'packet', [], [ValType.i32]);
  mb.importFunction('env', 'table', [], [ValType.i32]);
  mb.importFunction('env', 'copy', [ValType.i32], [ValType.i32]);
  mb.importMemory('env', 'memory', options.shared === true);
  const run = mb.declareFunction(PARAMS, [ValType.i32]);
  const area = (options.scratch ?? 0) + CORE_AREA;
  const w = new CoreWriter((options.scratch ?? 0) + STACK_MARK, area);
  const c = w.c;
  // Registers: r0-r15 zero, then r1, r2 and r10 (as the JS loop sets them up), unless resuming.
  c.get(P_RESUME).i32(RESUME_REGISTERS).op(Op.i32_and).op(Op.i32_eqz).if();
  for (let r = 0; r < 16; r++) c.i32(area).i64(0).mem(Op.i64_store, REGS + 8 * r);
  c.i32(area).get(P_R1L).op(Op.i64_extend_i32_u).get(P_R1H).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).op(Op.i64_or).mem(Op.i64_store, REGS + 8);
  c.i32(area).get(P_R2L).op(Op.i64_extend_i32_u).get(P_R2H).op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl).op(Op.i64_or).mem(Op.i64_store, REGS + 16);
  c.i32(area).get(P_R10).op(Op.i64_extend_i32_u).mem(Op.i64_store, REGS + 80);
  c.i32(area).i32(0).mem(Op.i32_store, DEPTH);
  c.end();
  c.get(P_PC).set(L_CODE);
  c.get(P_PC).get(P_START).i32(2).op(Op.i32_shl).op(Op.i32_add).set(L_PC);
  c.i32(area).get(P_BUDGET).i64TruncSatF64S().get(P_USED).i64TruncSatF64S().op(Op.i64_sub).mem(Op.i64_store, LEFT);
  fillCache(c, () => c.i32(area), STACK_CACHE, () => c.get(P_SS), () => c.get(P_SL), () => c.get(P_SB));
  c.i32(area).i64(-1).mem(Op.i64_store, PACKET_SIZE);
  c.i32(area).i32(0).mem(Op.i32_store, MISS_AT);
  c.i32(area).get(P_TABLE).mem(Op.i32_store, TABLE_AT);
  c.i32(area).get(P_COUNT).mem(Op.i32_store, TABLE_COUNT);
  c.i32(area).get(P_SB).get(P_SS).op(Op.i32_sub).mem(Op.i32_store, FP_DELTA);
  // The caches the last run on this memory left, while its layout is the same; else empty (base 0,
  // limit 0: no offset is below 0).
  c.get(P_RESUME).i32(RESUME_CACHES).op(Op.i32_and).if();
  // A store cache holding the stack (hits are not marked): mark the whole stack for this run too.
  c.i32(area).mem(Op.i64_load, STORE_CACHE).get(P_SS).op(Op.i64_extend_i32_u).op(Op.i64_eq);
  c.i32(area).mem(Op.i64_load, STORE_CACHE + LIMITS).i64(0).op(Op.i64_ne).op(Op.i32_and);
  c.if();
  w.markStack(() => c.get(P_SS));
  c.end();
  c.else();
  for (const cache of [LOAD_CACHE, STORE_CACHE]) for (let at = 0; at < LINEAR; at += 8) c.i32(area).i64(0).mem(Op.i64_store, cache + at);
  c.end();
  // The first slot (a block's first) is entered like a transfer: charge its chain, or hand it back as it is.
  c.i32(area).mem(Op.i64_load, LEFT).get(L_PC).mem(Op.i64_load32_u, 12).op(Op.i64_sub).tee(L_T).i64(0).op(Op.i64_lt_s);
  c.if();
  storeUsed(c, area);
  c.get(P_START).op(Op.return);
  c.end();
  c.i32(area).get(L_T).mem(Op.i64_store, LEFT);
  c.get(L_PC).mem(Op.i32_load16_u).set(L_W);
  c.loop();
  c.block(); // bail
  c.block(); // miss
  // No budget here: the cases that transfer control charge the chain they land on (interpreter-core-charge.ts).
  // L_W holds the slot's first word: every way into the loop loads it (see CoreWriter.next).
  // Nested blocks, one per op number with a name; the br_table sends the rest to the bail block.
  const cases: number[] = [];
  const targets: number[] = [];
  const frameNums = new Set(FRAME_OPS.map((f) => f.num));
  for (let num = 0; num <= OP_MASK; num++) {
    const named = CORE_OP_NAMES[num] !== undefined || frameNums.has(num);
    targets.push(named ? cases.length : -1);
    if (named) cases.push(num);
  }
  for (let i = cases.length - 1; i >= 0; i--) c.block();
  // Word 0's low half is the op alone (bits 9-15 are 0 in the core's words, see coreWord): no mask; a
  // number past the table would take the default (hand back).
  c.get(L_W).brTable(targets.map((t) => (t < 0 ? cases.length + 1 : t)), cases.length + 1);
  cases.forEach((num, i) => {
    c.end();
    w.depth = cases.length - 1 - i;
    if (!w.caseOf(num)) w.bail(0); // no case: hand the slot back
  });
  c.end(); // miss: the access at L_A (size and store in L_C) of the slot at L_PC missed both caches
  w.depth = -1;
  w.miss();
  c.end(); // bail: hand the slot at L_PC back
  // Give back what the core charged for the slot's chain beyond what the JS loop has charged when it
  // starts at that slot: word 3 (see interpreter-core-charge.ts).
  c.get(L_PC).mem(Op.i32_load, 12).set(L_C);
  c.i32(area).get(P_BUDGET).i64TruncSatF64S().i32(area).mem(Op.i64_load, LEFT).op(Op.i64_sub).get(L_C).op(Op.i64_extend_i32_u).op(Op.i64_sub).mem(Op.i64_store, USED);
  c.get(L_PC).get(L_CODE).op(Op.i32_sub).i32(2).op(Op.i32_shr_u).op(Op.return);
  c.end(); // loop
  c.op(Op.unreachable);
  mb.defineFunction(run, LOCALS, c);
  const scan = mb.declareFunction([ValType.i64, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], [ValType.i32]);
  if (scan !== FUNC_SCAN) throw new Error('internal: the core\'s scan function has another index');
  mb.defineFunction(scan, [ValType.i32, ValType.i32, ValType.i64, ValType.i64, ValType.i32], scanFunction());
  mb.export('run', 'func', run);
  return mb.build();
}

/**
 * `code`'s words in the core's form (see {@link SLOT_BYTES}); undefined if a copy loop's back edge has no
 * room for its fields (it always has: it ends a block of three slots or more, so it starts none, and a
 * jump ends its chain). Word 3 of every slot is its charge (interpreter-core-charge.ts); word 2 of an
 * LD_ABS/LD_IND slot (which has no offset) is what that charge holds beyond the slot's own block, given
 * back when the load ends the run.
 */
function coreWords(code: InterpreterCode, frames: boolean): { words: Int32Array; reach: number } | undefined {
  const out = code.words.slice();
  coreFuse(out, code.length);
  const reach = frames ? frameAccesses(out, code.length, code.program) : 0;
  const isTarget = code.slots.isTarget;
  const charges = chainCharges(code.program, code.length);
  for (let at = 0, pc = 0; at < out.length; at += SLOT_WORDS, pc++) {
    // A target is a word index (slot × SLOT_WORDS) in the JS loop's words.
    if (isTarget[pc] === 1) out[at + 2] = (out[at + 2]! / SLOT_WORDS) * SLOT_BYTES;
    const op = out[at]! & OP_MASK;
    if (op === COPY_LOOP_OP) {
      const plan = out[at + 1]!;
      if (plan >>> COPY_CONDITION_SHIFT !== 0 || out[at]! >>> COST_SHIFT !== 0 || out[at + 3] !== 0 || charges[pc] !== 0) return undefined;
      out[at + 1] = plan | (COPY_CONDITION[code.copyLoops[plan]!.cond] << COPY_CONDITION_SHIFT);
    }
    // The JS loop's word 3 is the slot's own block length where it starts one, else 0.
    if (PACKET_OPS.has(op)) out[at + 2] = charges[pc]! - out[at + 3]!;
    out[at + 3] = charges[pc]!;
    out[at] = coreWord(out[at]!);
  }
  return { words: out, reach };
}

/** The op numbers of LD_ABS and LD_IND. */
const PACKET_OPS = new Set(CORE_OP_NAMES.flatMap((name, num) => (name !== undefined && PACKET_NAME.test(name) ? [num] : [])));

/** The stack's size for the run function (0: no stack). */
function stackSize(stack: Region | undefined): number {
  return stack === undefined ? 0 : stack.size;
}

type RunFunction = (
  area: number, code: number, budget: number, r1l: number, r1h: number, r2l: number, r2h: number, r10: number,
  stackVaddr: number, stackSize: number, stackOffset: number, start: number, used: number, resume: number,
  table: number, count: number, frame: number, maxDepth: number,
) => number;

/**
 * The run's frame rules for local calls in the core: `stackSize` ({@link RunLimits.stackSize}) and
 * `maxCallDepth` ({@link RunLimits.maxCallDepth}). Without them the core hands every local call to the
 * JS loop.
 */
export interface CoreLimits {
  readonly stackSize: number;
  readonly maxCallDepth: number;
}

/** The most frames the core nests before it hands a call to the JS loop: {@link CORE_FRAMES} records. */
function coreMaxDepth(limits: CoreLimits | undefined): number {
  return limits === undefined ? 0 : Math.min(limits.maxCallDepth, CORE_FRAMES + 1);
}

/** The core bound to one VM memory: its instance, register area and the words of the programs it ran. */
export class InterpreterCore {
  private readonly runFn: RunFunction;
  /** Linear offset of the register area. */
  readonly area: number;
  private readonly code = new Map<InterpreterCode, number>();
  /** The copy loops and the budget of the run under way (for the `copy` import). */
  private loops: readonly CopyLoopPlan[] = [];
  private budget = 0;

  constructor(private readonly memory: VmMemory, module: WebAssembly.Module) {
    this.area = memory.scratch + CORE_AREA;
    // The area is reserved, never allocated: make sure the memory's bytes reach it (a memory made with no pages).
    memory.allocate(0);
    const area = this.area;
    const packet = (): number => {
      const r = memory.regions.find((region) => region.vaddr === MEM_START);
      if (r === undefined) return 0;
      memory.view.setUint32(area + FOUND + 4, r.size, true);
      memory.view.setInt32(area + FOUND + 8, r.offset | 0, true);
      return 1;
    };
    const table = (): number => {
      const t = regionTable(memory);
      memory.view.setInt32(area + TABLE_AT, t.offset, true);
      return t.count;
    };
    const copy = (index: number): number => {
      const used = this.used();
      const bulk = copyLoopBulk(this.loops[index]!, this.registers(), memory, used, this.budget);
      if (bulk === COPY_REFUSED) return -1;
      if (bulk > 0) {
        const after = used + bulk;
        memory.view.setUint32(area + USED, after >>> 0, true);
        memory.view.setUint32(area + USED + 4, Math.floor(after / 4294967296), true);
      }
      return 0;
    };
    const instance = new WebAssembly.Instance(module, { env: { memory: memory.wasm, packet, table, copy } });
    this.runFn = instance.exports['run'] as RunFunction;
  }

  /** The last program's words (most runs repeat the previous program). */
  private lastCode: InterpreterCode | undefined;
  private lastWords: number | undefined;

  /** Linear offset of `code`'s words in this memory (copied there on first use); undefined: run it on the JS loop. */
  wordsOf(code: InterpreterCode): number | undefined {
    if (code === this.lastCode) return this.lastWords;
    const at = this.wordsOfNew(code);
    this.lastCode = code;
    this.lastWords = at;
    return at;
  }

  private wordsOfNew(code: InterpreterCode): number | undefined {
    const at = this.code.get(code);
    if (at !== undefined) return at;
    if (this.code.size >= MAX_PROGRAMS || code.words.length > MAX_WORDS) return undefined;
    const made = coreWords(code, true);
    if (made === undefined) return undefined;
    const offset = this.place(made.words);
    this.code.set(code, offset);
    if (made.reach > 0) this.frameReach.set(offset, made.reach);
    return offset;
  }

  private place(words: Int32Array): number {
    const offset = this.memory.allocate(words.byteLength);
    new Int32Array(this.memory.wasm.buffer, offset, words.length).set(words);
    return offset;
  }

  /** The bytes below r10 that the frame accesses of the words at an offset reach (interpreter-core-frame.ts), where they have any. */
  private readonly frameReach = new Map<number, number>();
  /** The words without frame accesses, by the offset of the words with them (made when a run's stack does not fit them). */
  private readonly checkedWords = new Map<number, number>();
  /** The last words {@link enter} looked up, and their reach. */
  private reachWords = -1;
  private lastReach = 0;

  /** The words a run of `code` from `words` takes: those without frame accesses when its stack does not hold them. */
  private wordsFor(code: InterpreterCode, words: number, r10: number, stack: Region | undefined, limits: CoreLimits | undefined): number {
    if (words !== this.reachWords) {
      this.reachWords = words;
      this.lastReach = this.frameReach.get(words) ?? 0;
    }
    const reach = this.lastReach;
    if (reach === 0 || frameAccessesFit(reach, r10 >>> 0, stack, limits?.stackSize ?? 0, coreMaxDepth(limits))) return words;
    let checked = this.checkedWords.get(words);
    if (checked === undefined) {
      checked = this.place(coreWords(code, false)!.words);
      this.checkedWords.set(words, checked);
    }
    return checked;
  }

  /**
   * Run `code` (whose words {@link wordsOf} put at `words`) from slot 0: -1 when the program exited (r0
   * is {@link r0}), else the word index (slot × 4) of the slot the JS loop continues at,
   * with {@link copyRegisters} and {@link used}.
   */
  run(
    code: InterpreterCode, words: number, budget: number, r1l: number, r1h: number, r2l: number, r2h: number, r10: number,
    stack: Region | undefined, limits?: CoreLimits,
  ): number {
    return this.enter(code, words, budget, r1l, r1h, r2l, r2h, r10, stack, 0, 0, 0, limits);
  }

  /**
   * Continue a run the JS loop gives back at word index `start` (a block's first slot, its cost not yet
   * charged) with `used` budget spent, the registers `r`, and `depth` frame records in `frames` (the JS
   * loop's, at most {@link CORE_FRAMES}; `r10` is the entry frame's r10); returns what {@link run} does.
   */
  resume(
    code: InterpreterCode, words: number, budget: number, stack: Region | undefined, start: number, used: number, r: Int32Array,
    frames: Int32Array, depth: number, r10: number, limits: CoreLimits,
  ): number {
    this.registers().set(r);
    if (depth > CORE_FRAMES) throw new Error('internal: more frames given back than the interpreter core holds');
    this.frames().set(frames.subarray(0, depth * FRAME_WORDS));
    this.memory.view.setInt32(this.area + DEPTH, depth, true);
    return this.enter(code, words, budget, 0, 0, 0, 0, r10, stack, start, used, RESUME_REGISTERS, limits);
  }

  /**
   * The memory's layout version when the caches now in the area were left there (-1: none, or a run
   * failed before leaving them). A run only uses them while the version is the same.
   */
  private cacheVersion = -1;

  /** Call the run function (`flags`: {@link RESUME_REGISTERS} or 0; the caches' flag is added here). */
  private enter(
    code: InterpreterCode, words: number, budget: number, r1l: number, r1h: number, r2l: number, r2h: number, r10: number,
    stack: Region | undefined, start: number, used: number, flags: number, limits: CoreLimits | undefined,
  ): number {
    this.loops = code.copyLoops;
    this.budget = budget;
    words = this.wordsFor(code, words, r10, stack, limits);
    const version = this.memory.version;
    if (version === this.cacheVersion) flags |= RESUME_CACHES;
    this.cacheVersion = -1;
    const table = currentRegionTable(this.memory);
    let status: number;
    try {
      status = this.runFn(
        this.area, words, budget, r1l, r1h, r2l, r2h, r10, stack?.vaddr ?? 0, stackSize(stack), stack?.offset ?? 0,
        start, used, flags, table?.offset ?? 0, table?.count ?? -1, limits?.stackSize ?? 0, coreMaxDepth(limits),
      );
    } catch (e) {
      throw coreFailure(e);
    }
    this.cacheVersion = version;
    return status;
  }

  /** The register area as int32 halves (a view made again when growing the memory detached it). */
  private registerView = new Int32Array(0);

  private registers(): Int32Array {
    if (this.registerView.length === 0) this.registerView = new Int32Array(this.memory.wasm.buffer, this.area + REGS, 32);
    return this.registerView;
  }

  /** The frame records in the area as int32 words (see {@link FRAMES}; a view made again when detached). */
  private frameView = new Int32Array(0);

  private frames(): Int32Array {
    if (this.frameView.length === 0) this.frameView = new Int32Array(this.memory.wasm.buffer, this.area + FRAMES, CORE_FRAMES * FRAME_WORDS);
    return this.frameView;
  }

  /**
   * Copy the frame records of the run the core handed over into the JS loop's `frames` (room for
   * {@link CORE_FRAMES} at least); returns their number, the depth of the frame the run was in.
   */
  copyFrames(frames: Int32Array): number {
    const depth = this.memory.view.getInt32(this.area + DEPTH, true);
    if (depth !== 0) frames.set(this.frames().subarray(0, depth * FRAME_WORDS));
    return depth;
  }

  /** r0 after a run that exited. */
  r0(): bigint {
    const r = this.registers();
    return u64FromHalves(r[0]!, r[1]!);
  }
  /** r0's low 32 bits after a run that exited. */
  r0Low(): number {
    return this.registers()[0]!;
  }
  /** r0's high 32 bits. */
  r0High(): number {
    return this.registers()[1]!;
  }
  /** Copy the registers (lo/hi int32 pairs) into the JS loop's register file. */
  copyRegisters(r: Int32Array): void {
    r.set(this.registers());
  }
  /** The budget used when the core handed a run back or ended it. */
  used(): number {
    const v = this.memory.view;
    return (v.getUint32(this.area + USED, true) + v.getUint32(this.area + USED + 4, true) * 4294967296);
  }
}

/** A failure inside the core (a trap: a tsbpf bug, never the program's fault) as an EbpfError. */
function coreFailure(e: unknown): EbpfError {
  if (e instanceof EbpfError) return e;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new EbpfError(
    ErrorCode.INTERNAL,
    `internal error: the interpreter's WebAssembly loop failed with ${what}; this is a tsbpf bug (please report it with the program); new Interpreter({ wasmCore: false }) runs the program meanwhile`,
  );
}

/** The compiled core: undefined until compiled (or while an asynchronous compile runs), null if it cannot be. */
let compiled: WebAssembly.Module | null | undefined;
let compiling: Promise<boolean> | undefined;

/**
 * The core's compiled module; null where WebAssembly cannot be compiled at all (a content security
 * policy without `wasm-unsafe-eval`, say), undefined while it is being compiled. A browser window's
 * main thread (where engines may refuse synchronous compiles of modules over 4 KB) gets an asynchronous
 * compile, started on first use: runs take the JS loop until it is done ({@link interpreterCoreReady}).
 */
function coreModuleCompiled(): WebAssembly.Module | null | undefined {
  if (compiled !== undefined) return compiled;
  if (typeof (globalThis as { document?: unknown }).document !== 'undefined') {
    void interpreterCoreReady();
    return undefined;
  }
  try {
    compiled = new WebAssembly.Module(coreModule());
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * Compile the interpreter's WebAssembly loop asynchronously (if it is not already); resolves to whether
 * interpreter runs can use it. Awaiting it is only useful on a browser's main thread, where the loop is
 * otherwise compiled in the background on the first run and earlier runs take the JS loop (with the same
 * results, more slowly).
 */
export function interpreterCoreReady(): Promise<boolean> {
  if (compiled !== undefined) return Promise.resolve(compiled !== null);
  if (typeof WebAssembly === 'undefined') {
    compiled = null;
    return Promise.resolve(false);
  }
  compiling ??= WebAssembly.compile(coreModule()).then(
    (m) => {
      compiled = m;
      return true;
    },
    () => {
      compiled = null;
      return false;
    },
  );
  return compiling;
}

/** The shared-memory variants of the core, by scratch offset (a worker thread has one or two). */
const sharedModules = new Map<number, WebAssembly.Module | null>();

/** The core's module for a shared memory whose reserved words are at `scratch` (null if it cannot be compiled). */
function sharedCoreModule(scratch: number): WebAssembly.Module | null {
  let m = sharedModules.get(scratch);
  if (m === undefined) {
    try {
      m = new WebAssembly.Module(coreModule({ shared: true, scratch }));
    } catch {
      m = null;
    }
    if (sharedModules.size > 64) sharedModules.clear();
    sharedModules.set(scratch, m);
  }
  return m;
}

const cores = new WeakMap<VmMemory, InterpreterCore | null>();

/** The core for `memory`, made on first use; undefined where there is none (then the JS loop runs everything). */
export function coreFor(memory: VmMemory): InterpreterCore | undefined {
  if (memory === lastMemory) return lastCore;
  const core = coreForNew(memory);
  // Not kept while the module is still being compiled, so that the memory gets its core once it is.
  if (compiled !== undefined) {
    lastMemory = memory;
    lastCore = core;
  }
  return core;
}

/** The memory {@link coreFor} answered last, and its answer. */
let lastMemory: VmMemory | undefined;
let lastCore: InterpreterCore | undefined;

function coreForNew(memory: VmMemory): InterpreterCore | undefined {
  const have = cores.get(memory);
  if (have !== undefined) return have ?? undefined;
  const module = memory.shared ? sharedCoreModule(memory.scratch) : coreModuleCompiled();
  if (module === undefined) return undefined;
  let core: InterpreterCore | null = null;
  if (module !== null) {
    try {
      core = new InterpreterCore(memory, module);
    } catch {
      core = null;
    }
  }
  cores.set(memory, core);
  return core ?? undefined;
}
