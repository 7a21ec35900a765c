/**
 * The map a helper's argument names, checked to be of the map class the helper takes: the shared
 * form of "argument 0x… is not a map of this object" / "map M is a X, not a Y" that helpers taking
 * one map type report.
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { mapTypeName } from '../maps/types.js';

/**
 * The map of handle `r` (a map `lddw`'s value), which must be a `cls` (and of map type `type` where a
 * class serves several, as `SockMap` serves SOCKMAP and SOCKHASH); otherwise an EbpfError of helper
 * `name` at the call's pc, naming what `r` is and `wanted` (the map type the helper takes).
 */
export function typedMapArg<T extends BpfMap>(
  mapByHandle: (handle: number) => BpfMap | undefined,
  name: string,
  r: bigint,
  ctx: HelperContext,
  cls: abstract new (...args: never[]) => T,
  wanted: string,
  type?: number,
): T {
  const m = r <= 0xffff_ffffn ? mapByHandle(Number(r)) : undefined;
  if (m instanceof cls && (type === undefined || m.spec.type === type)) return m;
  const why = m === undefined ? `argument 0x${r.toString(16)} is not a map of this object` : `map ${m.name} is a ${mapTypeName(m.spec.type)}, not a ${wanted}`;
  throw helperError(name, why, ctx);
}
