/**
 * The module's exports that start a run from JavaScript (a pass of the code generator, after the
 * eBPF functions): `init` sets a call's globals; `start` starts the stack in the module (vm/stack's
 * `startStack`); `run` is a whole fresh run in one call (globals, stack start, region cache, the entry
 * function, r0); `run32`, `high` and `left` give r0's halves and the budget left as numbers, so that a
 * packet session needs no `bigint` across the boundary.
 * @module
 */
import { CodeWriter, type ModuleBuilder } from '../wasm/module.js';
import { Op, ValType, type ValTypeCode } from '../wasm/opcodes.js';
import { Global } from './layout.js';
import { pushReservedBase, type Reserved } from './reserved.js';

/**
 * Define and export `init`, `start`, `run`, `run32`, `high` and `left` in `mb`; `entryIndex` is the
 * entry function's index, `mark` the reserved word of the stack's write mark (reserved.ts). Returns
 * `run`'s function index (batch-export.ts calls it per packet).
 */
export function emitRunExports(mb: ModuleBuilder, entryIndex: number, mark: Reserved): number {
  const at = mark.offset;
  // `init(...)` sets the globals of a call; `run(r1, r2, r10, <init's arguments but depth>) -> r0` is a
  // whole fresh run in one call from JS, setting the same globals itself (a call to `init` from `run`
  // costs V8 a frame and a stack check per run). Numbers rather than BigInts cross the JS boundary where
  // they can (a BigInt argument costs an allocation and a conversion): the budget as f64 (an integer
  // below 2^53, so the saturating truncation, which V8 compiles without the trapping one's range
  // checks, is exact), addresses and sizes as u32.
  const wide: ReadonlySet<number> = new Set([Global.stackTop, Global.stackBase, Global.stackLimit]);
  const callGlobals = [Global.depth, Global.maxDepth, Global.stackTop, Global.stackDelta, Global.tableAddr, Global.tableCount, Global.stackBase, Global.stackLimit];
  /**
   * Set the globals of a call: the budget from param `budget`, the others from `params` in callGlobals'
   * order (-1: zero); `emptyCache`: also empty the region cache.
   */
  const setGlobals = (c: CodeWriter, budget: number, params: readonly number[], emptyCache: boolean): void => {
    c.i32(0).gset(Global.halt);
    c.get(budget).i64TruncSatF64S().gset(Global.budget);
    callGlobals.forEach((g, k) => {
      if (params[k]! < 0) c.i32(0);
      else c.get(params[k]!);
      if (wide.has(g)) c.op(Op.i64_extend_i32_u);
      c.gset(g);
    });
    if (emptyCache) c.i64(0).gset(Global.cacheLimit);
  };
  const initParams: ValTypeCode[] = [ValType.f64, ...Array<ValTypeCode>(8).fill(ValType.i32)];
  const init = mb.declareFunction(initParams, []);
  const ic = new CodeWriter();
  setGlobals(ic, 0, [1, 2, 3, 4, 5, 6, 7, 8], true);
  mb.defineFunction(init, [], ic);
  mb.export('init', 'func', init);

  // Params: r1, r2, r10 (= stackTop), budget, maxDepth, stackDelta, tableAddr, tableCount, stackBase, stackLimit,
  // the memory's layout version (f64: an integer below 2^53), the stack start's mode and mark (below).
  const runParams: ValTypeCode[] = [ValType.i64, ValType.i64, ValType.i32, ValType.f64, ...Array<ValTypeCode>(6).fill(ValType.i32), ValType.f64, ValType.i32, ValType.i32];
  // `start(mode, mark, base, limit, delta)`: the stack's start (vm/stack's `startStack`) done in the module
  // when the runtime found the stack as the last start of this memory left it (its JS bookkeeping then
  // stays as it is), so a run pays no call out for it: mode 1 zeroes from the stack mark to the stack's
  // end (base + limit + 7, at linear delta + vaddr) and sets the mark to `mark`; mode 2 (a program that
  // reads only stack it wrote) only lowers the mark to `mark`. `run` calls it for modes 1 and 2 (0: the
  // runtime started the stack itself). A function of its own (docs/benchmarks.md: inline, it moved switch_sparse).
  const start = mb.declareFunction(Array<ValTypeCode>(5).fill(ValType.i32), []);
  const sc = new CodeWriter();
  const [MODE, MARK, BASE, LIMIT, DELTA, M, END] = [0, 1, 2, 3, 4, 5, 6];
  sc.get(MODE).i32(1).op(Op.i32_eq).if();
  pushReservedBase(sc, mark).mem(Op.i32_load, at).tee(M).get(BASE).get(LIMIT).op(Op.i32_add).i32(7).op(Op.i32_add).tee(END).op(Op.i32_lt_u).if();
  // M = delta + max_u(M, base) (the first byte to zero), END = end - max_u(M, base) (how many). A short
  // program's few written words: 8-byte stores cost less than memory.fill (a call out of the module).
  sc.get(M).get(BASE).get(M).get(BASE).op(Op.i32_gt_u).op(Op.select).set(M).get(END).get(M).op(Op.i32_sub).set(END);
  sc.get(DELTA).get(M).op(Op.i32_add).set(M);
  sc.get(END).i32(64).op(Op.i32_gt_u).if().get(M).i32(0).get(END).memoryFill().else();
  sc.block().loop().get(END).i32(8).op(Op.i32_lt_u).brIf(1);
  sc.get(M).i64(0).mem(Op.i64_store).get(M).i32(8).op(Op.i32_add).set(M).get(END).i32(8).op(Op.i32_sub).set(END).br(0).end().end();
  sc.get(END).if().get(M).i32(0).get(END).memoryFill().end().end().end();
  pushReservedBase(sc, mark).get(MARK).mem(Op.i32_store, at);
  sc.else().get(MARK);
  pushReservedBase(sc, mark).mem(Op.i32_load, at).op(Op.i32_lt_u).if();
  pushReservedBase(sc, mark).get(MARK).mem(Op.i32_store, at).end();
  sc.end();
  mb.defineFunction(start, [ValType.i32, ValType.i32], sc);
  const run = mb.declareFunction(runParams, [ValType.i64]);
  const rc = new CodeWriter();
  rc.get(11).if().get(11).get(12).get(8).get(9).get(5).call(start).end();
  // depth 0, stackTop = r10.
  setGlobals(rc, 3, [-1, 4, 2, 5, 6, 7, 8, 9], false);
  // The region cache stays when the layout is the one the last fresh run started with: it was filled from
  // that layout's table since (a helper changing the layout empties it, and a later run sees a new version).
  const V = 14;
  rc.get(10).i64TruncSatF64S().tee(V).gget(Global.cacheVersion).op(Op.i64_ne).if();
  rc.i64(0).gset(Global.cacheLimit).get(V).gset(Global.cacheVersion).end();
  // A cache kept holding the stack: its hits are not marked, so mark the whole stack (see vm/stack).
  rc.gget(Global.cacheBase).gget(Global.stackBase).op(Op.i64_eq).gget(Global.cacheLimit).i64(0).op(Op.i64_ne).op(Op.i32_and).if();
  rc.gget(Global.stackBase).op(Op.i32_wrap_i64);
  pushReservedBase(rc, mark).mem(Op.i32_load, at).op(Op.i32_lt_u).if();
  pushReservedBase(rc, mark).gget(Global.stackBase).op(Op.i32_wrap_i64).mem(Op.i32_store, at).end();
  rc.end();
  rc.i64(0).get(0).get(1);
  for (let r = 3; r <= 9; r++) rc.i64(0);
  rc.get(2).op(Op.i64_extend_i32_u).call(entryIndex);
  for (let r = 0; r < 5; r++) rc.op(Op.drop);
  // A run that stopped early (an unwinding helper, a bad packet load) ends with r0 = savedR0: answered
  // here so that the runtime need not read globals after a fresh run.
  const R0 = 13;
  rc.set(R0).gget(Global.halt).if(ValType.i64).gget(Global.savedR0).else().get(R0).end();
  mb.defineFunction(run, [ValType.i64, ValType.i64], rc);
  mb.export('run', 'func', run);
  // `run32`: the same run returning r0's low half, r0 kept in savedR0 for `high` (its high half) and the
  // budget left for `left` (as f64), so that a caller wanting numbers (a packet session) gets r0 and the
  // instructions charged without a `bigint` crossing the boundary.
  const run32 = mb.declareFunction(runParams, [ValType.i32]);
  const r32 = new CodeWriter();
  runParams.forEach((_, k) => r32.get(k));
  r32.call(run).tee(runParams.length).gset(Global.savedR0).get(runParams.length).op(Op.i32_wrap_i64);
  mb.defineFunction(run32, [ValType.i64], r32);
  mb.export('run32', 'func', run32);
  const high = mb.declareFunction([], [ValType.i32]);
  mb.defineFunction(high, [], new CodeWriter().gget(Global.savedR0).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64));
  mb.export('high', 'func', high);
  const left = mb.declareFunction([], [ValType.f64]);
  mb.defineFunction(left, [], new CodeWriter().gget(Global.budget).op(Op.f64_convert_i64_s));
  mb.export('left', 'func', left);
  return run;
}
