/**
 * The interpreter engine: runs a pre-decoded program (see interpreter-decode) with registers kept as
 * signed 32-bit halves in two Int32Arrays, so that the hot path never touches `bigint`.
 *
 * Semantics shared with the JIT (results and errors must match):
 * - the budget is charged per basic block on entry ({@link RunLimits.instructionBudget});
 * - a slot that cannot run (unknown opcode, bad register, jump outside the program — taken or not —,
 *   jump into an `lddw`, unresolved pseudo `lddw`, kfunc call) fails with E_BAD_PROGRAM /
 *   E_UNSUPPORTED when it is reached, never earlier; running past the last slot is E_BAD_PROGRAM;
 * - local calls push a frame: r6-r9 and r10 are saved and restored on `exit`, r10 moves down by
 *   `stackSize`; more than `maxCallDepth` frames is E_CALL_DEPTH at the `call`;
 * - helpers get r1-r5 as unsigned `bigint`s; r1-r5 are left unchanged by a call (the kernel clobbers
 *   them, programs must not rely on either);
 * - tail calls (`ctx.tailCall(program)` from a helper) are allowed from any frame: the current
 *   function is replaced by the target program, which runs in the same frame with the same
 *   registers; its `exit` returns to whoever called the replaced function (the program's end at frame
 *   0), as in kernels since 5.10;
 * - LD_ABS / LD_IND read big-endian from the `mem` region at MEM_START; an access outside it ends
 *   the run at once with r0 = 0, as the kernel does.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { Engine, HelperContext, HelperEntry, HelperTable, RunRequest } from './environment.js';
import { invokeHelper, u64FromHalves, unknownHelperError } from './helper-call.js';
import { interpreterCode, type InterpreterCode } from './interpreter-decode.js';
import {
  arsh64,
  bswap32,
  div64,
  ges,
  geu,
  gts,
  gtu,
  lsh64,
  mod64,
  mul64,
  rsh64,
  sdiv64,
  smod64,
} from './interpreter-ops.js';
import { MEM_START, type Region, type VmMemory } from './memory.js';
import type { Program } from './program.js';

/** The region found by the last slow-path translation (read right after the call). */
let lastRegion: Region | undefined;

/** Translate `(hi:lo) + off` for an access that missed the cached regions; throws the program's error. */
function translateSlow(memory: VmMemory, lo: number, hi: number, off: number, size: number, store: boolean, pc: number): number {
  const l = (lo >>> 0) + off;
  const ah = l < 0 ? (hi - 1) | 0 : l > 0xffffffff ? (hi + 1) | 0 : hi;
  const al = l | 0;
  const vaddr = al >>> 0;
  const region = ah === 0 ? memory.find(vaddr, size) : undefined;
  if (region === undefined || (store && !region.writable)) {
    throw memory.accessError(al, ah, size, store, pc, region);
  }
  lastRegion = region;
  return region.offset + (vaddr - region.vaddr);
}

/** The per-run context handed to helpers. `pc` is updated before each call. */
class RunContext implements HelperContext {
  pc = 0;
  tailCalls = 0;
  pendingTail: Program | undefined = undefined;

  constructor(
    readonly memory: VmMemory,
    readonly host: unknown,
    private readonly maxTailCalls: number,
  ) {}

  tailCall(program: Program): boolean {
    if (this.tailCalls >= this.maxTailCalls) return false;
    this.tailCalls++;
    this.pendingTail = program;
    return true;
  }
}

function badSlot(code: InterpreterCode, pc: number): ExecutionError {
  const unsupported = code.op[pc] === 2;
  return new ExecutionError(
    unsupported ? ErrorCode.UNSUPPORTED : ErrorCode.BAD_PROGRAM,
    code.problems.get(pc) ?? 'invalid instruction',
    // Running off the end is reported at the last slot, the one that failed to jump or exit.
    { pc: pc === code.length ? Math.max(pc - 1, 0) : pc },
  );
}

function budgetError(budget: number, pc: number): ExecutionError {
  return new ExecutionError(
    ErrorCode.BUDGET_EXCEEDED,
    `instruction budget of ${budget} exhausted (a runaway loop?); raise RunLimits.instructionBudget if the program is meant to run longer`,
    { pc, budget },
  );
}

function callDepthError(max: number, pc: number): ExecutionError {
  return new ExecutionError(
    ErrorCode.CALL_DEPTH,
    `local call nests deeper than ${max} frames (RunLimits.maxCallDepth); unbounded recursion?`,
    { pc, maxCallDepth: max },
  );
}

function helperEntry(helpers: HelperTable, id: bigint | number, pc: number): HelperEntry {
  const entry = typeof id === 'number' ? helpers.get(id) : id <= 0xffffffffn ? helpers.get(Number(id)) : undefined;
  if (entry === undefined) throw unknownHelperError(id, pc, helpers);
  return entry;
}

/**
 * Big-endian packet load for LD_ABS / LD_IND. Returns the value, or -1 when the access is outside the
 * `mem` region (the caller then ends the run with r0 = 0).
 */
function packetLoad(memory: VmMemory, offset: number, size: number): number {
  if (offset < 0) return -1;
  const vaddr = MEM_START + offset;
  const region = memory.find(vaddr, size);
  if (region === undefined || region.vaddr !== MEM_START) return -1;
  const at = region.offset + offset;
  const v = memory.view;
  return size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, false) : v.getUint32(at, false);
}

/** Atomic read-modify-write at linear offset `p`; `kind` indexes add, or, and, xor (×fetch), xchg, cmpxchg. */
function atomic(dv: DataView, p: number, wide: boolean, kind: number, lo: Int32Array, hi: Int32Array, s: number): void {
  const ol = dv.getInt32(p, true);
  const oh = wide ? dv.getInt32(p + 4, true) : 0;
  const bl = lo[s]!;
  const bh = wide ? hi[s]! : 0;
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
    const eq = wide ? lo[0] === ol && hi[0] === oh : lo[0] === ol;
    lo[0] = ol;
    hi[0] = oh;
    if (!eq) return;
    nl = bl;
    nh = bh;
  } else if (kind >= 4) {
    lo[s] = ol;
    hi[s] = oh;
  }
  dv.setInt32(p, nl, true);
  if (wide) dv.setInt32(p + 4, nh, true);
}

/** Frame record layout in the frame stack: return pc, r6-r9 (lo, hi), r10 (lo, hi). */
const FRAME_WORDS = 11;

/** The interpreter {@link Engine}. Stateless: one instance can run any number of programs. */
export class Interpreter implements Engine {
  /** Engine name, the key of its entry in `Program.compiled`. */
  readonly name = 'interpreter';

  run(request: RunRequest): bigint {
    return execute(request);
  }
}

function execute(req: RunRequest): bigint {
  const memory = req.memory;
  const limits = req.limits;
  const helpers = req.helpers;
  const budget = limits.instructionBudget;
  const maxDepth = limits.maxCallDepth;
  const stackSize = limits.stackSize;
  const ctx = new RunContext(memory, req.host, limits.maxTailCalls);

  let code = interpreterCode(req.program);
  let ops = code.op;
  let dsts = code.dst;
  let srcs = code.src;
  let offs = code.off;
  let imms = code.imm;
  let costs = code.cost;

  const lo = new Int32Array(16);
  const hi = new Int32Array(16);
  lo[1] = Number(BigInt.asUintN(32, req.r1)) | 0;
  hi[1] = Number(BigInt.asUintN(32, req.r1 >> 32n)) | 0;
  lo[2] = Number(BigInt.asUintN(32, req.r2)) | 0;
  hi[2] = Number(BigInt.asUintN(32, req.r2 >> 32n)) | 0;
  lo[10] = req.stackTop | 0;

  const frames = new Int32Array(Math.max(maxDepth, 1) * FRAME_WORDS);
  const frameCode: InterpreterCode[] = [];
  let depth = 0;

  let dv = memory.view;
  // Region caches as [start, end) virtual ranges and base = linear offset - vaddr: the stack (fixed for
  // the run), the last region loaded from, the last writable region stored to.
  const stack = memory.find(req.stackTop - 1, 1);
  const sS = stack === undefined ? 1 : stack.vaddr;
  const sE = stack === undefined ? 0 : stack.vaddr + stack.size;
  const sB = stack === undefined ? 0 : stack.offset - stack.vaddr;
  let rS = 1;
  let rE = 0;
  let rB = 0;
  let wS = 1;
  let wE = 0;
  let wB = 0;

  let used = 0;
  let pc = 0;
  for (;;) {
    const cost = costs[pc]!;
    if (cost !== 0) {
      used += cost;
      if (used > budget) throw budgetError(budget, pc);
    }
    const i = pc++;
    switch (ops[i]) {
      case 0: // bad
      case 2: // unsupported
        throw badSlot(code, i);
      case 1: { // lddw
        const d = dsts[i]!;
        lo[d] = imms[i]!;
        hi[d] = offs[i]!;
        pc++;
        break;
      }
      case 3: { // exit
        if (depth === 0) return u64FromHalves(lo[0]!, hi[0]!);
        depth--;
        const f = depth * FRAME_WORDS;
        pc = frames[f]!;
        lo[6] = frames[f + 1]!;
        hi[6] = frames[f + 2]!;
        lo[7] = frames[f + 3]!;
        hi[7] = frames[f + 4]!;
        lo[8] = frames[f + 5]!;
        hi[8] = frames[f + 6]!;
        lo[9] = frames[f + 7]!;
        hi[9] = frames[f + 8]!;
        lo[10] = frames[f + 9]!;
        hi[10] = frames[f + 10]!;
        const back = frameCode[depth]!;
        if (back !== code) {
          code = back;
          ops = code.op;
          dsts = code.dst;
          srcs = code.src;
          offs = code.off;
          imms = code.imm;
          costs = code.cost;
        }
        break;
      }
      case 4: // ja
        pc = offs[i]!;
        break;
      case 5: // call_helper
      case 6: { // callx
        const entry =
          ops[i] === 5 ? helperEntry(helpers, imms[i]! >>> 0, i) : helperEntry(helpers, u64FromHalves(lo[dsts[i]!]!, hi[dsts[i]!]!), i);
        ctx.pc = i;
        const r = invokeHelper(
          entry,
          u64FromHalves(lo[1]!, hi[1]!),
          u64FromHalves(lo[2]!, hi[2]!),
          u64FromHalves(lo[3]!, hi[3]!),
          u64FromHalves(lo[4]!, hi[4]!),
          u64FromHalves(lo[5]!, hi[5]!),
          ctx,
        );
        if (r === 0n && entry.unwindOnZero) return 0n;
        lo[0] = Number(r & 0xffffffffn) | 0;
        hi[0] = Number(r >> 32n) | 0;
        // A helper may have grown the memory or mapped regions: drop cached views and regions.
        dv = memory.view;
        rS = wS = 1;
        rE = wE = 0;
        const tail = ctx.pendingTail;
        if (tail !== undefined) {
          ctx.pendingTail = undefined;
          code = interpreterCode(tail);
          ops = code.op;
          dsts = code.dst;
          srcs = code.src;
          offs = code.off;
          imms = code.imm;
          costs = code.cost;
          pc = 0;
        }
        break;
      }
      case 7: { // call_local
        if (depth + 1 >= maxDepth) throw callDepthError(maxDepth, i);
        const f = depth * FRAME_WORDS;
        frames[f] = pc;
        frames[f + 1] = lo[6]!;
        frames[f + 2] = hi[6]!;
        frames[f + 3] = lo[7]!;
        frames[f + 4] = hi[7]!;
        frames[f + 5] = lo[8]!;
        frames[f + 6] = hi[8]!;
        frames[f + 7] = lo[9]!;
        frames[f + 8] = hi[9]!;
        frames[f + 9] = lo[10]!;
        frames[f + 10] = hi[10]!;
        frameCode[depth] = code;
        depth++;
        lo[10] = (req.stackTop - depth * stackSize) | 0;
        hi[10] = 0;
        pc = offs[i]!;
        break;
      }

      // ---- ALU64, immediate operand (sign-extended to 64 bits) ----
      case 10: { // add64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        const l = (lo[d]! >>> 0) + (k >>> 0);
        hi[d] = (hi[d]! + (k >> 31) + (l > 0xffffffff ? 1 : 0)) | 0;
        lo[d] = l | 0;
        break;
      }
      case 11: { // sub64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        const l = (lo[d]! >>> 0) - (k >>> 0);
        hi[d] = (hi[d]! - (k >> 31) - (l < 0 ? 1 : 0)) | 0;
        lo[d] = l | 0;
        break;
      }
      case 12: { // mul64_k
        const k = imms[i]!;
        mul64(lo, hi, dsts[i]!, k, k >> 31);
        break;
      }
      case 13: { // div64_k
        const k = imms[i]!;
        div64(lo, hi, dsts[i]!, k, k >> 31);
        break;
      }
      case 14: { // sdiv64_k
        const k = imms[i]!;
        sdiv64(lo, hi, dsts[i]!, k, k >> 31);
        break;
      }
      case 15: { // or64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        lo[d] = lo[d]! | k;
        hi[d] = hi[d]! | (k >> 31);
        break;
      }
      case 16: { // and64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        lo[d] = lo[d]! & k;
        hi[d] = hi[d]! & (k >> 31);
        break;
      }
      case 17: // lsh64_k
        lsh64(lo, hi, dsts[i]!, imms[i]!);
        break;
      case 18: // rsh64_k
        rsh64(lo, hi, dsts[i]!, imms[i]!);
        break;
      case 19: { // mod64_k
        const k = imms[i]!;
        mod64(lo, hi, dsts[i]!, k, k >> 31);
        break;
      }
      case 20: { // smod64_k
        const k = imms[i]!;
        smod64(lo, hi, dsts[i]!, k, k >> 31);
        break;
      }
      case 21: { // xor64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        lo[d] = lo[d]! ^ k;
        hi[d] = hi[d]! ^ (k >> 31);
        break;
      }
      case 22: { // mov64_k
        const d = dsts[i]!;
        const k = imms[i]!;
        lo[d] = k;
        hi[d] = k >> 31;
        break;
      }
      case 23: // arsh64_k
        arsh64(lo, hi, dsts[i]!, imms[i]!);
        break;

      // ---- ALU64, register operand ----
      case 24: { // add64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        const l = (lo[d]! >>> 0) + (lo[s]! >>> 0);
        hi[d] = (hi[d]! + hi[s]! + (l > 0xffffffff ? 1 : 0)) | 0;
        lo[d] = l | 0;
        break;
      }
      case 25: { // sub64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        const l = (lo[d]! >>> 0) - (lo[s]! >>> 0);
        hi[d] = (hi[d]! - hi[s]! - (l < 0 ? 1 : 0)) | 0;
        lo[d] = l | 0;
        break;
      }
      case 26: { // mul64_x
        const s = srcs[i]!;
        mul64(lo, hi, dsts[i]!, lo[s]!, hi[s]!);
        break;
      }
      case 27: { // div64_x
        const s = srcs[i]!;
        div64(lo, hi, dsts[i]!, lo[s]!, hi[s]!);
        break;
      }
      case 28: { // sdiv64_x
        const s = srcs[i]!;
        sdiv64(lo, hi, dsts[i]!, lo[s]!, hi[s]!);
        break;
      }
      case 29: { // or64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        lo[d] = lo[d]! | lo[s]!;
        hi[d] = hi[d]! | hi[s]!;
        break;
      }
      case 30: { // and64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        lo[d] = lo[d]! & lo[s]!;
        hi[d] = hi[d]! & hi[s]!;
        break;
      }
      case 31: // lsh64_x
        lsh64(lo, hi, dsts[i]!, lo[srcs[i]!]!);
        break;
      case 32: // rsh64_x
        rsh64(lo, hi, dsts[i]!, lo[srcs[i]!]!);
        break;
      case 33: { // mod64_x
        const s = srcs[i]!;
        mod64(lo, hi, dsts[i]!, lo[s]!, hi[s]!);
        break;
      }
      case 34: { // smod64_x
        const s = srcs[i]!;
        smod64(lo, hi, dsts[i]!, lo[s]!, hi[s]!);
        break;
      }
      case 35: { // xor64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        lo[d] = lo[d]! ^ lo[s]!;
        hi[d] = hi[d]! ^ hi[s]!;
        break;
      }
      case 36: { // mov64_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        lo[d] = lo[s]!;
        hi[d] = hi[s]!;
        break;
      }
      case 37: // arsh64_x
        arsh64(lo, hi, dsts[i]!, lo[srcs[i]!]!);
        break;

      // ---- ALU32, immediate operand (results zero-extended) ----
      case 38: { // add32_k
        const d = dsts[i]!;
        lo[d] = (lo[d]! + imms[i]!) | 0;
        hi[d] = 0;
        break;
      }
      case 39: { // sub32_k
        const d = dsts[i]!;
        lo[d] = (lo[d]! - imms[i]!) | 0;
        hi[d] = 0;
        break;
      }
      case 40: { // mul32_k
        const d = dsts[i]!;
        lo[d] = Math.imul(lo[d]!, imms[i]!);
        hi[d] = 0;
        break;
      }
      case 41: { // div32_k
        const d = dsts[i]!;
        const b = imms[i]! >>> 0;
        lo[d] = b === 0 ? 0 : ((lo[d]! >>> 0) / b) | 0;
        hi[d] = 0;
        break;
      }
      case 42: { // sdiv32_k
        const d = dsts[i]!;
        const b = imms[i]!;
        lo[d] = b === 0 ? 0 : (lo[d]! / b) | 0;
        hi[d] = 0;
        break;
      }
      case 43: { // or32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! | imms[i]!;
        hi[d] = 0;
        break;
      }
      case 44: { // and32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! & imms[i]!;
        hi[d] = 0;
        break;
      }
      case 45: { // lsh32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! << imms[i]!;
        hi[d] = 0;
        break;
      }
      case 46: { // rsh32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! >>> imms[i]!;
        hi[d] = 0;
        break;
      }
      case 47: { // mod32_k
        const d = dsts[i]!;
        const b = imms[i]! >>> 0;
        if (b !== 0) lo[d] = ((lo[d]! >>> 0) % b) | 0;
        hi[d] = 0;
        break;
      }
      case 48: { // smod32_k
        const d = dsts[i]!;
        const b = imms[i]!;
        if (b !== 0) lo[d] = (lo[d]! % b) | 0;
        hi[d] = 0;
        break;
      }
      case 49: { // xor32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! ^ imms[i]!;
        hi[d] = 0;
        break;
      }
      case 50: { // mov32_k
        const d = dsts[i]!;
        lo[d] = imms[i]!;
        hi[d] = 0;
        break;
      }
      case 51: { // arsh32_k
        const d = dsts[i]!;
        lo[d] = lo[d]! >> imms[i]!;
        hi[d] = 0;
        break;
      }

      // ---- ALU32, register operand ----
      case 52: { // add32_x
        const d = dsts[i]!;
        lo[d] = (lo[d]! + lo[srcs[i]!]!) | 0;
        hi[d] = 0;
        break;
      }
      case 53: { // sub32_x
        const d = dsts[i]!;
        lo[d] = (lo[d]! - lo[srcs[i]!]!) | 0;
        hi[d] = 0;
        break;
      }
      case 54: { // mul32_x
        const d = dsts[i]!;
        lo[d] = Math.imul(lo[d]!, lo[srcs[i]!]!);
        hi[d] = 0;
        break;
      }
      case 55: { // div32_x
        const d = dsts[i]!;
        const b = lo[srcs[i]!]! >>> 0;
        lo[d] = b === 0 ? 0 : ((lo[d]! >>> 0) / b) | 0;
        hi[d] = 0;
        break;
      }
      case 56: { // sdiv32_x
        const d = dsts[i]!;
        const b = lo[srcs[i]!]!;
        lo[d] = b === 0 ? 0 : (lo[d]! / b) | 0;
        hi[d] = 0;
        break;
      }
      case 57: { // or32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! | lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 58: { // and32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! & lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 59: { // lsh32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! << lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 60: { // rsh32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! >>> lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 61: { // mod32_x
        const d = dsts[i]!;
        const b = lo[srcs[i]!]! >>> 0;
        if (b !== 0) lo[d] = ((lo[d]! >>> 0) % b) | 0;
        hi[d] = 0;
        break;
      }
      case 62: { // smod32_x
        const d = dsts[i]!;
        const b = lo[srcs[i]!]!;
        if (b !== 0) lo[d] = (lo[d]! % b) | 0;
        hi[d] = 0;
        break;
      }
      case 63: { // xor32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! ^ lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 64: { // mov32_x
        const d = dsts[i]!;
        lo[d] = lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }
      case 65: { // arsh32_x
        const d = dsts[i]!;
        lo[d] = lo[d]! >> lo[srcs[i]!]!;
        hi[d] = 0;
        break;
      }

      // ---- neg, movsx, byte order ----
      case 66: { // neg64
        const d = dsts[i]!;
        const l = lo[d]!;
        lo[d] = -l | 0;
        hi[d] = (~hi[d]! + (l === 0 ? 1 : 0)) | 0;
        break;
      }
      case 67: { // neg32
        const d = dsts[i]!;
        lo[d] = -lo[d]! | 0;
        hi[d] = 0;
        break;
      }
      case 68: { // movsx64_8
        const d = dsts[i]!;
        const v = (lo[srcs[i]!]! << 24) >> 24;
        lo[d] = v;
        hi[d] = v >> 31;
        break;
      }
      case 69: { // movsx64_16
        const d = dsts[i]!;
        const v = (lo[srcs[i]!]! << 16) >> 16;
        lo[d] = v;
        hi[d] = v >> 31;
        break;
      }
      case 70: { // movsx64_32
        const d = dsts[i]!;
        const v = lo[srcs[i]!]!;
        lo[d] = v;
        hi[d] = v >> 31;
        break;
      }
      case 71: { // movsx32_8
        const d = dsts[i]!;
        lo[d] = (lo[srcs[i]!]! << 24) >> 24;
        hi[d] = 0;
        break;
      }
      case 72: { // movsx32_16
        const d = dsts[i]!;
        lo[d] = (lo[srcs[i]!]! << 16) >> 16;
        hi[d] = 0;
        break;
      }
      case 73: { // le16
        const d = dsts[i]!;
        lo[d] = lo[d]! & 0xffff;
        hi[d] = 0;
        break;
      }
      case 74: // le32
        hi[dsts[i]!] = 0;
        break;
      case 75: // le64
        break;
      case 76: { // be16
        const d = dsts[i]!;
        const v = lo[d]!;
        lo[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
        hi[d] = 0;
        break;
      }
      case 77: { // be32
        const d = dsts[i]!;
        lo[d] = bswap32(lo[d]!);
        hi[d] = 0;
        break;
      }
      case 78: { // be64
        const d = dsts[i]!;
        const t = bswap32(lo[d]!);
        lo[d] = bswap32(hi[d]!);
        hi[d] = t;
        break;
      }

      // ---- JMP (64-bit compares), immediate sign-extended ----
      case 80: { // jeq_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (lo[d] === k && hi[d] === k >> 31) pc = offs[i]!;
        break;
      }
      case 81: { // jgt_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (gtu(hi[d]!, lo[d]!, k >> 31, k)) pc = offs[i]!;
        break;
      }
      case 82: { // jge_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (geu(hi[d]!, lo[d]!, k >> 31, k)) pc = offs[i]!;
        break;
      }
      case 83: { // jset_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if ((lo[d]! & k) !== 0 || (hi[d]! & (k >> 31)) !== 0) pc = offs[i]!;
        break;
      }
      case 84: { // jne_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (lo[d] !== k || hi[d] !== k >> 31) pc = offs[i]!;
        break;
      }
      case 85: { // jsgt_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (gts(hi[d]!, lo[d]!, k >> 31, k)) pc = offs[i]!;
        break;
      }
      case 86: { // jsge_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (ges(hi[d]!, lo[d]!, k >> 31, k)) pc = offs[i]!;
        break;
      }
      case 87: { // jlt_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (gtu(k >> 31, k, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 88: { // jle_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (geu(k >> 31, k, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 89: { // jslt_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (gts(k >> 31, k, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 90: { // jsle_k
        const d = dsts[i]!;
        const k = imms[i]!;
        if (ges(k >> 31, k, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }

      // ---- JMP (64-bit compares), register ----
      case 91: { // jeq_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (lo[d] === lo[s] && hi[d] === hi[s]) pc = offs[i]!;
        break;
      }
      case 92: { // jgt_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (gtu(hi[d]!, lo[d]!, hi[s]!, lo[s]!)) pc = offs[i]!;
        break;
      }
      case 93: { // jge_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (geu(hi[d]!, lo[d]!, hi[s]!, lo[s]!)) pc = offs[i]!;
        break;
      }
      case 94: { // jset_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if ((lo[d]! & lo[s]!) !== 0 || (hi[d]! & hi[s]!) !== 0) pc = offs[i]!;
        break;
      }
      case 95: { // jne_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (lo[d] !== lo[s] || hi[d] !== hi[s]) pc = offs[i]!;
        break;
      }
      case 96: { // jsgt_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (gts(hi[d]!, lo[d]!, hi[s]!, lo[s]!)) pc = offs[i]!;
        break;
      }
      case 97: { // jsge_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (ges(hi[d]!, lo[d]!, hi[s]!, lo[s]!)) pc = offs[i]!;
        break;
      }
      case 98: { // jlt_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (gtu(hi[s]!, lo[s]!, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 99: { // jle_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (geu(hi[s]!, lo[s]!, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 100: { // jslt_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (gts(hi[s]!, lo[s]!, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }
      case 101: { // jsle_x
        const d = dsts[i]!;
        const s = srcs[i]!;
        if (ges(hi[s]!, lo[s]!, hi[d]!, lo[d]!)) pc = offs[i]!;
        break;
      }

      // ---- JMP32 (low words), immediate ----
      case 102: // jeq32_k
        if (lo[dsts[i]!] === imms[i]) pc = offs[i]!;
        break;
      case 103: // jgt32_k
        if (lo[dsts[i]!]! >>> 0 > imms[i]! >>> 0) pc = offs[i]!;
        break;
      case 104: // jge32_k
        if (lo[dsts[i]!]! >>> 0 >= imms[i]! >>> 0) pc = offs[i]!;
        break;
      case 105: // jset32_k
        if ((lo[dsts[i]!]! & imms[i]!) !== 0) pc = offs[i]!;
        break;
      case 106: // jne32_k
        if (lo[dsts[i]!] !== imms[i]) pc = offs[i]!;
        break;
      case 107: // jsgt32_k
        if (lo[dsts[i]!]! > imms[i]!) pc = offs[i]!;
        break;
      case 108: // jsge32_k
        if (lo[dsts[i]!]! >= imms[i]!) pc = offs[i]!;
        break;
      case 109: // jlt32_k
        if (lo[dsts[i]!]! >>> 0 < imms[i]! >>> 0) pc = offs[i]!;
        break;
      case 110: // jle32_k
        if (lo[dsts[i]!]! >>> 0 <= imms[i]! >>> 0) pc = offs[i]!;
        break;
      case 111: // jslt32_k
        if (lo[dsts[i]!]! < imms[i]!) pc = offs[i]!;
        break;
      case 112: // jsle32_k
        if (lo[dsts[i]!]! <= imms[i]!) pc = offs[i]!;
        break;

      // ---- JMP32 (low words), register ----
      case 113: // jeq32_x
        if (lo[dsts[i]!] === lo[srcs[i]!]) pc = offs[i]!;
        break;
      case 114: // jgt32_x
        if (lo[dsts[i]!]! >>> 0 > lo[srcs[i]!]! >>> 0) pc = offs[i]!;
        break;
      case 115: // jge32_x
        if (lo[dsts[i]!]! >>> 0 >= lo[srcs[i]!]! >>> 0) pc = offs[i]!;
        break;
      case 116: // jset32_x
        if ((lo[dsts[i]!]! & lo[srcs[i]!]!) !== 0) pc = offs[i]!;
        break;
      case 117: // jne32_x
        if (lo[dsts[i]!] !== lo[srcs[i]!]) pc = offs[i]!;
        break;
      case 118: // jsgt32_x
        if (lo[dsts[i]!]! > lo[srcs[i]!]!) pc = offs[i]!;
        break;
      case 119: // jsge32_x
        if (lo[dsts[i]!]! >= lo[srcs[i]!]!) pc = offs[i]!;
        break;
      case 120: // jlt32_x
        if (lo[dsts[i]!]! >>> 0 < lo[srcs[i]!]! >>> 0) pc = offs[i]!;
        break;
      case 121: // jle32_x
        if (lo[dsts[i]!]! >>> 0 <= lo[srcs[i]!]! >>> 0) pc = offs[i]!;
        break;
      case 122: // jslt32_x
        if (lo[dsts[i]!]! < lo[srcs[i]!]!) pc = offs[i]!;
        break;
      case 123: // jsle32_x
        if (lo[dsts[i]!]! <= lo[srcs[i]!]!) pc = offs[i]!;
        break;

      // ---- loads: address = src + off, checked against the cached regions first ----
      case 124: // ldxb
      case 125: // ldxh
      case 126: // ldxw
      case 127: // ldxdw
      case 128: // ldxsb
      case 129: // ldxsh
      case 130: { // ldxsw
        const o = ops[i]!;
        const s = srcs[i]!;
        const size = o === 124 || o === 128 ? 1 : o === 125 || o === 129 ? 2 : o === 127 ? 8 : 4;
        const h = hi[s]!;
        let a = (lo[s]! >>> 0) + offs[i]!;
        if (h === 0 && a >= rS && a + size <= rE) a += rB;
        else if (h === 0 && a >= sS && a + size <= sE) a += sB;
        else {
          a = translateSlow(memory, lo[s]!, h, offs[i]!, size, false, i);
          const r = lastRegion!;
          rS = r.vaddr;
          rE = r.vaddr + r.size;
          rB = r.offset - r.vaddr;
        }
        const d = dsts[i]!;
        switch (o) {
          case 124:
            lo[d] = dv.getUint8(a);
            hi[d] = 0;
            break;
          case 125:
            lo[d] = dv.getUint16(a, true);
            hi[d] = 0;
            break;
          case 126:
            lo[d] = dv.getInt32(a, true);
            hi[d] = 0;
            break;
          case 127:
            lo[d] = dv.getInt32(a, true);
            hi[d] = dv.getInt32(a + 4, true);
            break;
          case 128: {
            const v = dv.getInt8(a);
            lo[d] = v;
            hi[d] = v >> 31;
            break;
          }
          case 129: {
            const v = dv.getInt16(a, true);
            lo[d] = v;
            hi[d] = v >> 31;
            break;
          }
          default: {
            const v = dv.getInt32(a, true);
            lo[d] = v;
            hi[d] = v >> 31;
          }
        }
        break;
      }

      // ---- stores: address = dst + off; value = imm (st) or src (stx) ----
      case 131: // stb
      case 132: // sth
      case 133: // stw
      case 134: // stdw
      case 135: // stxb
      case 136: // stxh
      case 137: // stxw
      case 138: { // stxdw
        const o = ops[i]!;
        const d = dsts[i]!;
        const kind = o < 135 ? o - 131 : o - 135;
        const size = kind === 0 ? 1 : kind === 1 ? 2 : kind === 2 ? 4 : 8;
        const h = hi[d]!;
        let a = (lo[d]! >>> 0) + offs[i]!;
        if (h === 0 && a >= sS && a + size <= sE) a += sB;
        else if (h === 0 && a >= wS && a + size <= wE) a += wB;
        else {
          a = translateSlow(memory, lo[d]!, h, offs[i]!, size, true, i);
          const r = lastRegion!;
          wS = r.vaddr;
          wE = r.vaddr + r.size;
          wB = r.offset - r.vaddr;
        }
        let vl: number;
        let vh: number;
        if (o < 135) {
          vl = imms[i]!;
          vh = vl >> 31;
        } else {
          const s = srcs[i]!;
          vl = lo[s]!;
          vh = hi[s]!;
        }
        if (kind === 0) dv.setUint8(a, vl);
        else if (kind === 1) dv.setUint16(a, vl, true);
        else {
          dv.setInt32(a, vl, true);
          if (kind === 3) dv.setInt32(a + 4, vh, true);
        }
        break;
      }

      // ---- atomics (single-threaded: a plain read-modify-write) ----
      case 139: case 140: case 141: case 142: case 143: case 144: case 145: case 146: case 147: case 148: // atomic32
      case 149: case 150: case 151: case 152: case 153: case 154: case 155: case 156: case 157: case 158: { // atomic64
        const o = ops[i]!;
        const wide = o >= 149;
        const size = wide ? 8 : 4;
        const d = dsts[i]!;
        const h = hi[d]!;
        let a = (lo[d]! >>> 0) + offs[i]!;
        if (h === 0 && a >= sS && a + size <= sE) a += sB;
        else if (h === 0 && a >= wS && a + size <= wE) a += wB;
        else {
          a = translateSlow(memory, lo[d]!, h, offs[i]!, size, true, i);
          const r = lastRegion!;
          wS = r.vaddr;
          wE = r.vaddr + r.size;
          wB = r.offset - r.vaddr;
        }
        atomic(dv, a, wide, o - (wide ? 149 : 139), lo, hi, srcs[i]!);
        break;
      }

      // ---- legacy packet loads ----
      case 159: // ldabsb
      case 160: // ldabsh
      case 161: // ldabsw
      case 162: // ldindb
      case 163: // ldindh
      case 164: { // ldindw
        const o = ops[i]!;
        const ind = o >= 162;
        const kind = ind ? o - 162 : o - 159;
        const off = ind ? (imms[i]! + lo[srcs[i]!]!) | 0 : imms[i]!;
        const v = packetLoad(memory, off, kind === 0 ? 1 : kind === 1 ? 2 : 4);
        if (v < 0) return 0n;
        lo[0] = v | 0;
        hi[0] = 0;
        break;
      }
      default:
        throw badSlot(code, i);
    }
  }
}
