/**
 * The module's `run_batch` export (a pass of the code generator, after run-exports.ts): packet after
 * packet of a batch area (vm/batch), each a whole fresh run as `run` makes it, with the per-packet work
 * a packet session does in JavaScript done here instead: the packet copied to its place
 * (`memory.copy`), the context copied from its template with the word that carries the packet's end
 * (`xdp_md.data_end`), the packet region's size written into the region table, the region cache
 * emptied (the packet region's size changed), and r0 and the instructions charged stored per packet.
 * It stops after a packet for which the imports set the area's stop word (context/session.ts decides
 * which), and a packet whose run throws ends the call; the area's current word names the packet.
 * @module
 */
import { CodeWriter, type ModuleBuilder } from '../wasm/module.js';
import { Op, ValType, type ValTypeCode } from '../wasm/opcodes.js';
import { BATCH_INSNS, BATCH_LENGTHS, BATCH_R0, BATCH_STARTS, BATCH_TEMPLATE, BatchWord } from '../vm/batch.js';
import { Global } from './layout.js';

/**
 * Define and export `run_batch(area, from, to, <run's parameters>) -> index past the last packet run`
 * in `mb`; `runIndex` is `run`'s function index (run-exports.ts), whose parameters follow `to`
 * (r2 is replaced by the packet's length when the area says so; the layout version should be one no
 * fresh run uses, as the cache is emptied per packet anyway).
 */
export function emitBatchExport(mb: ModuleBuilder, runIndex: number): void {
  const runParams: ValTypeCode[] = [ValType.i64, ValType.i64, ValType.i32, ValType.f64, ...Array<ValTypeCode>(6).fill(ValType.i32), ValType.f64, ValType.i32, ValType.i32];
  const params: ValTypeCode[] = [ValType.i32, ValType.i32, ValType.i32, ...runParams];
  const [A, FROM, TO, R1, R2, BUDGET] = [0, 1, 2, 3, 4, 6];
  const K = params.length;
  const LEN = K + 1;
  const CTX = K + 2;
  const END_AT = K + 3;
  const R2_RUN = K + 4;
  const f = mb.declareFunction(params, [ValType.i32]);
  const c = new CodeWriter();
  const word = (w: number): CodeWriter => c.get(A).mem(Op.i32_load, w);
  // The address of element K of an array of `shift`-sized elements (add the array's offset as memarg).
  const element = (shift: number): CodeWriter => c.get(A).get(K).i32(shift).op(Op.i32_shl).op(Op.i32_add);
  c.get(FROM).set(K);
  c.block().loop();
  c.get(K).get(TO).op(Op.i32_ge_u).brIf(1);
  c.get(A).get(K).mem(Op.i32_store, BatchWord.current);
  element(2).mem(Op.i32_load, BATCH_LENGTHS).set(LEN);
  // The packet to its place.
  word(BatchWord.dest);
  element(2).mem(Op.i32_load, BATCH_STARTS);
  c.get(LEN).memoryCopy();
  // The context from its template, then the word that is the template's value plus the length.
  word(BatchWord.ctxSize).if();
  word(BatchWord.ctx).tee(CTX).get(A).i32(BATCH_TEMPLATE).op(Op.i32_add);
  word(BatchWord.ctxSize).memoryCopy();
  word(BatchWord.endAt).tee(END_AT).i32(0).op(Op.i32_ge_s).if();
  c.get(CTX).get(END_AT).op(Op.i32_add);
  c.get(A).get(END_AT).op(Op.i32_add).mem(Op.i32_load, BATCH_TEMPLATE).get(LEN).op(Op.i32_add).mem(Op.i32_store);
  c.end().end();
  // The packet region's size in the region table; the region cache may hold its old size.
  word(BatchWord.sizeAt).get(LEN).mem(Op.i32_store);
  c.i64(0).gset(Global.cacheLimit);
  c.get(R2).set(R2_RUN);
  word(BatchWord.r2Length).if().get(LEN).op(Op.i64_extend_i32_u).set(R2_RUN).end();
  // r0[K] = run(...); instructions[K] = budget - the budget left.
  element(3);
  params.slice(3).forEach((_, k) => c.get(k + 3 === R2 ? R2_RUN : k + 3));
  c.call(runIndex).mem(Op.i64_store, BATCH_R0);
  element(3).get(BUDGET).i64TruncSatF64S().gget(Global.budget).op(Op.i64_sub).op(Op.f64_convert_i64_s).mem(Op.f64_store, BATCH_INSNS);
  c.get(K).i32(1).op(Op.i32_add).set(K);
  word(BatchWord.stop).brIf(1);
  c.br(0).end().end();
  c.get(K);
  mb.defineFunction(f, [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i64], c);
  mb.export('run_batch', 'func', f);
}
