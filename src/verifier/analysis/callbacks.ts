/**
 * Callbacks: the helpers that call a function of the program (bpf_loop, bpf_for_each_map_elem,
 * bpf_timer_set_callback), which register holds the function, the arguments each passes it and the
 * values it may return, as bpf-helpers(7) documents them. The fixpoint verifies the callback like a
 * subprogram from these arguments (see Fixpoint.callback).
 * @module
 */
import { functionSlotOf } from '../../vm/functions.js';
import { MAP_KEY } from './env.js';
import { constValue as scalarConst, TOP } from './scalar.js';
import { pointer, scalarValue, UNINIT, type Value } from './value.js';

/** How one helper calls its callback. */
export interface CallbackSpec {
  /** The register holding the function pointer. */
  readonly fn: number;
  /** The callback's r1-r5 from the caller's registers at the call (undefined: the arguments are not modelled). */
  readonly args: (regs: readonly Value[]) => Value[] | undefined;
  /** The range the callback's r0 must be in. */
  readonly ret: readonly [bigint, bigint];
  /** True when the helper is known not to call the callback (bpf_loop of 0 iterations): the kernel does not verify it then. */
  readonly never?: (regs: readonly Value[]) => boolean;
}

/** A map's key (read-only, the key's size) and a value of it, for the callbacks that walk a map. */
function keyAndValue(map: Value): [Value, Value] | undefined {
  if (map.type !== 'map_ptr' || map.maps !== undefined) return undefined;
  return [pointer('map_value', 0, { map: map.map + MAP_KEY }), pointer('map_value', 0, { map: map.map })];
}

/** bpf_loop's index as the kernel gives it to the callback: an unknown 64-bit number (its u32 type is not used). */
const INDEX = scalarValue(TOP);
const pad = (xs: Value[]): Value[] => [...xs, UNINIT, UNINIT, UNINIT, UNINIT, UNINIT].slice(0, 5);

/** Callback helpers by helper id. */
export const CALLBACK_HELPERS: ReadonlyMap<number, CallbackSpec> = new Map([
  // bpf_loop(nr_loops, callback_fn, callback_ctx, flags): long (*callback_fn)(u32 index, void *ctx)
  [181, { fn: 2, args: (r: readonly Value[]) => pad([INDEX, r[3]!]), ret: [0n, 1n] as const, never: (r: readonly Value[]) => r[1]!.type === 'scalar' && scalarConst(r[1]!.scalar) === 0n }],
  // bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): long (*callback_fn)(map, key, value, ctx)
  [164, {
    fn: 2,
    args: (r: readonly Value[]) => {
      const kv = keyAndValue(r[1]!);
      return kv === undefined ? undefined : pad([r[1]!, kv[0], kv[1], r[3]!]);
    },
    ret: [0n, 1n] as const,
  }],
  // bpf_timer_set_callback(timer, callback_fn): int (*callback_fn)(map, key, value), the timer's map
  [170, {
    fn: 2,
    args: (r: readonly Value[]) => {
      const t = r[1]!;
      if (t.type !== 'map_value' || t.maps !== undefined) return undefined;
      const map = pointer('map_ptr', 0, { map: t.map });
      const kv = keyAndValue(map)!;
      return pad([map, kv[0], kv[1]]);
    },
    ret: [0n, 0n] as const,
  }],
]);

/** Helpers that take a callback whose arguments the analysis does not model (bpf_user_ringbuf_drain's dynptr): its body is not analysed. */
export const UNANALYSED_CALLBACK_HELPERS: ReadonlySet<number> = new Set([209]);

/** The function slot a function pointer in `v` names (an `lddw` source 4's address), if it is one. */
export function callbackTarget(v: Value): number | undefined {
  if (v.type !== 'scalar') return undefined;
  const c = scalarConst(v.scalar);
  return c === undefined ? undefined : functionSlotOf(c);
}
