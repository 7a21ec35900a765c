/**
 * Lowering of the region checks of memory accesses (the rule of VmMemory.find, in WebAssembly): the
 * one-entry region cache in globals (base, limit = size - 7, linear offset), the scan of the region
 * table in linear memory that decides every case exactly (the first region wholly holding the access,
 * element regions and their liveness bytes, read-only regions refusing stores), the cache refill, and
 * the stack's write mark. emit-address.ts decides where each access needs which check; this module only
 * emits them. `filled` is called after every cache refill (the compiler keeps values derived from the
 * cache, see its indexed accesses).
 * @module
 */
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { Global, Import, TABLE_ENTRY } from './layout.js';
import { L_A, L_E, L_I, L_LIM, L_T, L_T2 } from './locals.js';
import { pushReservedBase, type Reserved } from './reserved.js';

/**
 * Push (i64) how far past a region's base an access of `size` bytes may start and lie in it: the
 * region's size - size + 1 (the region's `limit` global keeps size - 7, the window of an 8-byte access,
 * so that a loop of smaller accesses running to the region's last byte would otherwise fail its guard),
 * or 0 when nothing is cached or the region is under 8 bytes (limit 0: never a hit). Sizes of 8 or more
 * get the 8-byte window. The cached region's limit by default.
 */
export function pushWindow(c: CodeWriter, size: number, limit: number = Global.cacheLimit): void {
  if (size >= 8) {
    c.gget(limit);
    return;
  }
  c.i64(0).gget(limit).i64(8 - size).op(Op.i64_add).gget(limit).op(Op.i64_eqz).op(Op.select);
}

/**
 * With an access's address (i64) on the stack, push (i32) whether its `size` bytes lie in the run's
 * stack region, its last bytes included. The stack's `limit` global keeps the window of an 8-byte
 * access (size - 7), which alone refuses a smaller access to the stack's last 7 bytes (the top of the
 * entry frame, where clang puts a function's first local).
 */
export function pushInStack(c: CodeWriter, size: number): void {
  c.gget(Global.stackBase).op(Op.i64_sub);
  pushWindow(c, size, Global.stackLimit);
  c.op(Op.i64_lt_u);
}

/**
 * With an address (i64) on the stack, push (i32) whether it may start an access that writes the run's
 * stack: it lies below the stack's end (an access running past the end fails anyway). One compare,
 * for the tests before and after every store that must see any store into the stack.
 */
export function pushBelowStackEnd(c: CodeWriter): void {
  c.gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).i64(7).op(Op.i64_add).op(Op.i64_lt_u);
}

/**
 * With a span's first address on the stack and in L_T, push (i32) whether its `span` bytes lie in the
 * region whose base and limit are the globals `base` and `limit`: 8-byte windows at its first and last
 * bytes (the span is far below 2^32, so everything between lies inside too); a span under 8 bytes is
 * tested as one access of its size, so that it passes at the region's last bytes.
 */
export function pushSpanInside(c: CodeWriter, span: number, base: number, limit: number): void {
  c.gget(base).op(Op.i64_sub);
  pushWindow(c, span, limit);
  c.op(Op.i64_lt_u);
  if (span > 8) {
    c.get(L_T).i64(span - 8).op(Op.i64_add).gget(base).op(Op.i64_sub).gget(limit).op(Op.i64_lt_u);
    c.op(Op.i32_and);
  }
}

/**
 * Lower the stack mark (see vm/stack), the reserved word `mark` (`VmMemory.scratch + STACK_MARK`: see
 * reserved.ts), to the i32 virtual address `push` pushes (twice).
 */
export function markStack(c: CodeWriter, mark: Reserved, push: () => void): void {
  push();
  pushReservedBase(c, mark).mem(Op.i32_load, mark.offset).op(Op.i32_lt_u).if();
  pushReservedBase(c, mark);
  push();
  c.mem(Op.i32_store, mark.offset).end();
}

/**
 * Inside a `found` block holding a `not found` block: search the region table for the first region
 * wholly holding `size` bytes at L_T, leaving by `br` to `found` with L_I its entry and L_T2 the
 * offset into it, or falling out of `not found` when there is none (or L_T is 2^32 or more).
 */
function searchTable(c: CodeWriter, size: 1 | 2 | 4 | 8): void {
  c.get(L_T).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).brIf(0);
  c.gget(Global.tableAddr).set(L_I);
  c.gget(Global.tableCount).i32(TABLE_ENTRY).op(Op.i32_mul).gget(Global.tableAddr).op(Op.i32_add).set(L_A);
  c.loop();
  c.get(L_I).get(L_A).op(Op.i32_ge_u).brIf(1);
  // d = addr - vaddr (signed; |d| < 2^32); hit when d >= 0 and d <= size - access size, i.e. when
  // (d | (size - access - d)) >= 0.
  c.get(L_T).get(L_I).mem(Op.i64_load32_u, 0).op(Op.i64_sub).set(L_T2);
  c.get(L_I).mem(Op.i64_load32_u, 4).i64(size).op(Op.i64_sub).get(L_T2).op(Op.i64_sub);
  c.get(L_T2).op(Op.i64_or).i64(0).op(Op.i64_ge_s).brIf(2);
  c.get(L_I).i32(TABLE_ENTRY).op(Op.i32_add).set(L_I).br(0);
  c.end(); // loop
}

/**
 * Find the region of an access of `size` bytes at L_T (see {@link searchTable} and {@link element}):
 * after it, L_I is the region's table entry, L_T2 the offset into the region and L_E the start of the
 * element holding the access. When no region or no live element holds the access, `miss(depth)` runs
 * and must not fall through: it fails, or leaves by `br depth` the block enclosing the search.
 */
function findRegion(c: CodeWriter, size: 1 | 2 | 4 | 8, miss: (depth: number) => void): void {
  c.block(); // found
  c.block(); // not found
  searchTable(c, size);
  c.end(); // not found
  miss(1);
  c.end(); // found: L_I is the entry, L_T2 the offset into the region
  element(c, size, miss);
}

/**
 * After a region table hit (L_I the entry, L_T2 the offset into the region): set L_E to the start of
 * the element holding the access, for an element region (see Region.stride; 0 otherwise), calling
 * `miss(depth)` (depth: blocks it opened) when the access is not inside one live element.
 */
function element(c: CodeWriter, size: 1 | 2 | 4 | 8, miss: (depth: number) => void): void {
  c.i32(0).set(L_E);
  c.get(L_I).mem(Op.i32_load, 16).if();
  c.get(L_T2).op(Op.i32_wrap_i64).get(L_I).mem(Op.i32_load, 16).op(Op.i32_div_u).set(L_E);
  // A dead element: its liveness byte (when the region has them) is 0.
  c.get(L_I).mem(Op.i32_load, 24).if();
  c.get(L_I).mem(Op.i32_load, 24).get(L_E).op(Op.i32_add).mem(Op.i32_load8_u, 0).op(Op.i32_eqz).if();
  miss(3);
  c.end();
  c.end();
  c.get(L_E).get(L_I).mem(Op.i32_load, 16).op(Op.i32_mul).set(L_E);
  // Past the element's accessible bytes: offset - L_E + size > element size.
  c.get(L_T2).op(Op.i32_wrap_i64).get(L_E).op(Op.i32_sub).i32(size).op(Op.i32_add).get(L_I).mem(Op.i32_load, 20).op(Op.i32_gt_u).if();
  miss(2);
  c.end();
  c.end();
}

/**
 * Refill the cache from region table entry L_I (a writable region): base = vaddr, limit = size - 7 (0
 * when smaller than 8), offset. Cache hits are not marked, so caching the stack marks all of it.
 */
function fillCache(c: CodeWriter, mark: Reserved, filled: () => void): void {
  c.get(L_I).mem(Op.i64_load32_u, 0).gget(Global.stackBase).op(Op.i64_eq).if();
  markStack(c, mark, () => c.gget(Global.stackBase).op(Op.i32_wrap_i64));
  c.end();
  // The region, or for an element region the one element at L_E.
  c.get(L_I).mem(Op.i64_load32_u, 0).get(L_E).op(Op.i64_extend_i32_u).op(Op.i64_add).gset(Global.cacheBase);
  c.get(L_I).mem(Op.i64_load32_u, 20).get(L_I).mem(Op.i64_load32_u, 4).get(L_I).mem(Op.i32_load, 16).op(Op.select);
  c.i64(7).op(Op.i64_sub).tee(L_LIM).i64(0).get(L_LIM).i64(0).op(Op.i64_gt_s).op(Op.select).gset(Global.cacheLimit);
  c.get(L_I).mem(Op.i32_load, 8).get(L_E).op(Op.i32_add).gset(Global.cacheOffset);
  filled();
}

/**
 * Push the i32 linear address of an access of `size` bytes at L_T, found in the region table (which
 * holds every region, the stack included), refilling the cache with a writable region; else fail.
 */
export function scanAddress(c: CodeWriter, size: 1 | 2 | 4 | 8, store: boolean, pc: number, mark: Reserved, filled: () => void): void {
  // Miss: scan the region table in wasm (a call here would make V8 spill the loop's registers).
  // Same rule as VmMemory.find: the first region wholly containing the access.
  const call = (): void => {
    c.get(L_T).op(Op.i32_wrap_i64).get(L_T).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    c.i32(size).i32(store ? 1 : 0).i32(pc).call(Import.memError);
  };
  if (store) {
    const fail = (): void => {
      call();
      c.op(Op.unreachable);
    };
    findRegion(c, size, fail);
    c.get(L_I).mem(Op.i32_load, 12).if();
    fillCache(c, mark, filled);
    c.else();
    fail();
    c.end();
    c.get(L_I).mem(Op.i32_load, 8).get(L_T2).op(Op.i32_wrap_i64).op(Op.i32_add);
    return;
  }
  // A load: memError fails, or (a run with faulting loads, see VmMemory.faultingLoads) gives the
  // linear offset of the value, which leaves through `done` in L_A.
  c.block(); // done
  findRegion(c, size, (depth) => {
    call();
    c.set(L_A).br(depth);
  });
  c.get(L_I).mem(Op.i32_load, 12).if();
  fillCache(c, mark, filled);
  c.end();
  c.get(L_I).mem(Op.i32_load, 8).get(L_T2).op(Op.i32_wrap_i64).op(Op.i32_add).set(L_A);
  c.end(); // done
  c.get(L_A);
}

/**
 * Refill the cache with the first region wholly holding `size` bytes at L_T when that region is
 * writable (the rule of {@link scanAddress}, without failing: nothing changes when
 * no region holds them or it is read-only).
 */
export function refill(c: CodeWriter, size: 1 | 2 | 4 | 8, mark: Reserved, filled: () => void): void {
  c.block(); // skip
  findRegion(c, size, (depth) => c.br(depth));
  c.get(L_I).mem(Op.i32_load, 12).if();
  fillCache(c, mark, filled);
  c.end();
  c.end(); // skip
}
