/**
 * Map lookups served inside the module, as the kernel's JITs inline array lookups: a
 * `bpf_map_lookup_elem` call whose `r1` is a constant (the map's handle, loaded by `lddw` in the same
 * block) reads its key and answers from the map's layout (an array's bounded index and stride; a
 * shared hash index's lock-free find, maps/shared-find.ts, linked into the module), and calls the
 * helper import only when it cannot.
 *
 * The module does not know the maps: each constant handle gets a descriptor in globals (its kind and
 * layout, all i32), which the engine writes per instance from the helper table's entry
 * (`HelperEntry.inlineMap`, vm/environment.ts; jit/engine.ts `syncInlineMaps`). Kind 0, what a fresh
 * instance holds, is the import. So a helper replaced after compiling, a map only the helper can read
 * (read-only to programs, LRU, a plain memory's hash index, maps of maps…) or an engine that knows
 * nothing of this keeps the call.
 *
 * The inline path answers only where the helper's answer is sure: the key wholly inside the run's stack
 * region (read from linear memory as the helper reads it); a key elsewhere, or a hash look that kept
 * meeting concurrent changes, takes the import, which makes every check and raises every error as
 * always. The budget is unchanged: a helper call charges nothing beyond its instruction either way.
 * @module
 */
import { wideImm, type Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { effect } from '../verifier/reg-liveness.js';
import type { HelperEntry, HelperTable, InlineMap } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Op } from '../wasm/opcodes.js';
import type { CodeWriter } from '../wasm/module.js';
import { Global } from './layout.js';
import { L_A, L_T, L_T2 } from './locals.js';

/** `bpf_map_lookup_elem`'s helper id. */
export const MAP_LOOKUP_ELEM = 1;

/** A descriptor's globals, in order (offsets from its first global). */
export const MapField = { kind: 0, base: 1, stride: 2, maxEntries: 3, index: 4, mask: 5, keySize: 6, maxSlots: 7, slots: 8, keys: 9, tries: 10 } as const;
/** Globals per descriptor. */
export const MAP_FIELDS = 11;
/** Descriptor kinds. */
export const MapKind = { helper: 0, array: 1, hash: 2 } as const;

/** The lookup calls with a constant map: pc → the descriptor's number, and the handle of each descriptor. */
export interface LookupSites {
  readonly sites: ReadonlyMap<number, number>;
  readonly handles: readonly number[];
}

/**
 * The `bpf_map_lookup_elem` calls whose r1 is a 32-bit constant set in their block (an `lddw`, a
 * `mov` of an immediate, or copies of one), one descriptor per distinct constant.
 */
export function lookupSites(insns: readonly Insn[], ops: readonly Operation[], blocks: readonly BasicBlock[], badSlots: Uint8Array): LookupSites {
  const sites = new Map<number, number>();
  const handles: number[] = [];
  const numbers = new Map<number, number>();
  const known: (bigint | undefined)[] = Array<bigint | undefined>(16).fill(undefined);
  for (const b of blocks) {
    known.fill(undefined);
    for (let pc = b.start; pc < b.end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = ops[pc]!;
      const i = insns[pc]!;
      if (badSlots[pc] === 1) break;
      if (op.kind === 'call' && op.target === 'helper' && i.imm === MAP_LOOKUP_ELEM) {
        const h = known[1];
        if (h !== undefined && h > 0n && h <= 0xffff_ffffn) {
          let k = numbers.get(Number(h));
          if (k === undefined) {
            k = handles.length;
            handles.push(Number(h));
            numbers.set(Number(h), k);
          }
          sites.set(pc, k);
        }
      }
      if (op.kind === 'lddw') {
        known[i.dst] = op.pseudo === 0 && pc + 1 < b.end ? wideImm(i, insns[pc + 1]!) : undefined;
      } else if (op.kind === 'alu' && op.op === 'mov' && op.width === 64) {
        known[i.dst] = op.source === 'reg' ? known[i.src] : BigInt.asUintN(64, BigInt(i.imm));
      } else {
        const e = effect(op, i, false);
        // Calls, atomics and the like: nothing is known after them (effect() names no def for them).
        if (e.def === 0 && op.kind !== 'st' && op.kind !== 'stx' && op.kind !== 'jcond' && op.kind !== 'ja' && op.kind !== 'exit') known.fill(undefined);
        for (let r = 0; r < 16; r++) if ((e.def & (1 << r)) !== 0) known[r] = undefined;
      }
    }
  }
  return { sites, handles };
}

/** The values of a descriptor's globals for `m` (undefined: the helper), in {@link MapField} order. */
export function descriptorValues(m: InlineMap | undefined, shared: boolean): number[] {
  const v = Array<number>(MAP_FIELDS).fill(0);
  // The find reads the index with atomic loads: only a module over a shared memory links it.
  if (m === undefined || (m.kind === 'hash' && (!shared || m.keySize <= 0))) return v;
  v[MapField.base] = m.base | 0;
  v[MapField.stride] = m.stride | 0;
  if (m.kind === 'array') {
    v[MapField.kind] = MapKind.array;
    v[MapField.maxEntries] = m.maxEntries | 0;
    return v;
  }
  v[MapField.kind] = MapKind.hash;
  v[MapField.index] = m.index;
  v[MapField.mask] = m.mask;
  v[MapField.keySize] = m.keySize;
  v[MapField.maxSlots] = m.maxSlots;
  v[MapField.slots] = m.slots;
  v[MapField.keys] = m.keys;
  v[MapField.tries] = m.tries;
  return v;
}

/** r0 = base + n * stride when `ok` (an i32 pushed by `pushOk`) holds, else 0; `n` an i32 local. */
function answer(c: CodeWriter, g: number, n: number, pushOk: () => void): void {
  c.gget(g + MapField.base).op(Op.i64_extend_i32_u);
  c.get(n).op(Op.i64_extend_i32_u).gget(g + MapField.stride).op(Op.i64_extend_i32_u).op(Op.i64_mul).op(Op.i64_add);
  c.i64(0);
  pushOk();
  c.op(Op.select).set(0);
}

/**
 * The inline lookup for the descriptor whose first global is `g`, then `helper()` (the import's call
 * sequence, emitted two labels deeper) for the calls it does not answer. `find`: the shared find's
 * function index (a module over a shared memory), else undefined (hash descriptors then take the import).
 */
export function emitInlineLookup(c: CodeWriter, g: number, find: number | undefined, helper: () => void): void {
  c.block().block();
  // Kind 0, or no usable stack region: the helper.
  c.gget(g + MapField.kind).op(Op.i32_eqz).brIf(0);
  c.gget(Global.stackLimit).op(Op.i64_eqz).brIf(0);
  // L_T: the key's offset in the stack region (unsigned: below it is huge).
  c.get(2).gget(Global.stackBase).op(Op.i64_sub).set(L_T);
  c.gget(g + MapField.kind).i32(MapKind.array).op(Op.i32_eq).if();
  {
    // Four key bytes inside the region (stackLimit is its size - 7).
    c.get(L_T).gget(Global.stackLimit).i64(3).op(Op.i64_add).op(Op.i64_gt_u).brIf(1);
    c.get(2).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add).mem(Op.i32_load).set(L_A);
    answer(c, g, L_A, () => c.get(L_A).gget(g + MapField.maxEntries).op(Op.i32_lt_u));
    c.br(2);
  }
  c.end();
  if (find !== undefined) {
    c.gget(g + MapField.kind).i32(MapKind.hash).op(Op.i32_ne).brIf(0);
    // keySize key bytes inside the region: offset <= size - keySize (L_T2, negative: never).
    c.gget(Global.stackLimit).i64(7).op(Op.i64_add).gget(g + MapField.keySize).op(Op.i64_extend_i32_u).op(Op.i64_sub).tee(L_T2).i64(0).op(Op.i64_lt_s).brIf(0);
    c.get(L_T).get(L_T2).op(Op.i64_gt_u).brIf(0);
    c.get(2).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
    for (const f of [MapField.index, MapField.mask, MapField.keySize, MapField.maxSlots, MapField.slots, MapField.keys, MapField.tries]) c.gget(g + f);
    // -2: the index kept changing while it looked; the helper takes the lock.
    c.call(find).tee(L_A).i32(-2).op(Op.i32_eq).brIf(0);
    answer(c, g, L_A, () => c.get(L_A).i32(0).op(Op.i32_ge_s));
    c.br(1);
  }
  c.end();
  helper();
  c.end();
}

/**
 * An instance's descriptors (the globals `m<k>_<field>` of its module) and what they were last
 * written for: the helper table's lookup entry and the memory's shape (a map made since may be one a
 * handle names). The engine calls {@link InlineMaps.sync} before it enters the module.
 */
export class InlineMaps {
  private entry: HelperEntry | undefined | null = null;
  private shape = -1;
  private readonly globals: WebAssembly.Global[][];

  constructor(
    private readonly handles: readonly number[],
    exports: Record<string, unknown>,
    private readonly shared: boolean,
  ) {
    this.globals = handles.map((_, k) => Array.from({ length: MAP_FIELDS }, (_, f) => exports[`m${k}_${f}`] as WebAssembly.Global));
  }

  /** Write the descriptors for the lookup helper of `helpers` and the maps of `memory`, unless they already are. */
  sync(helpers: HelperTable, memory: VmMemory): void {
    const entry = helpers.get(MAP_LOOKUP_ELEM);
    if (entry === this.entry && memory.shape === this.shape) return;
    this.entry = entry;
    this.shape = memory.shape;
    const inline = entry !== undefined && !entry.unwindOnZero ? entry.inlineMap : undefined;
    this.handles.forEach((h, k) => {
      const values = descriptorValues(inline?.(h), this.shared);
      const g = this.globals[k]!;
      for (let f = 0; f < MAP_FIELDS; f++) if (g[f]!.value !== values[f]) g[f]!.value = values[f];
    });
  }
}
