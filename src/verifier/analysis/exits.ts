/**
 * A subprogram's exit states, kept apart by the constant it returns. The kernel walks each return of a
 * callee back into its caller separately, so a caller's test of r0 (`if (fill_header(...) == DISCARD)`)
 * tells apart the paths that proved a packet range from those that did not. Joining every exit into one
 * loses both the range and the return value that told them apart. Exits returning the same constant
 * are joined; up to {@link EXIT_PATHS} distinct constants are kept apart, every other exit (r0 not a
 * constant, a pointer, or a constant past the bound) is joined into one more state. The caller's path
 * states (paths.ts) then decide, at the slot after the call, which of them stay apart.
 * @module
 */
import { constValue } from './scalar.js';
import { joinState, type State } from './state.js';

/** Most distinct constant return values whose exit states are kept apart. */
export const EXIT_PATHS = 4;

/** The exit states of one run of a function, collected as its exits are reached. */
export class ExitStates {
  private readonly byConst = new Map<bigint, State>();
  private rest: State | undefined;

  /** `start`: the function's first slot (names the fresh ids a join creates). */
  constructor(private readonly start: number) {}

  /** Add an exit state: joined into the one returning the same constant, or into the rest. */
  add(s: State): void {
    const r0 = s.regs[0]!;
    const c = r0.type === 'scalar' ? constValue(r0.scalar) : undefined;
    if (c !== undefined) {
      const old = this.byConst.get(c);
      if (old !== undefined) {
        this.byConst.set(c, joinState(old, s, this.start, false));
        return;
      }
      if (this.byConst.size < EXIT_PATHS) {
        this.byConst.set(c, s);
        return;
      }
    }
    this.rest = this.rest === undefined ? s : joinState(this.rest, s, this.start, false);
  }

  /** The kept exit states (constants in the order first reached, then the rest); undefined when no exit was reached. */
  states(): readonly State[] | undefined {
    const out = [...this.byConst.values()];
    if (this.rest !== undefined) out.push(this.rest);
    return out.length === 0 ? undefined : out;
  }
}

/** The join of `states` (at least one). */
export function joinExits(states: readonly State[], start: number): State {
  let s = states[0]!;
  for (let i = 1; i < states.length; i++) s = joinState(s, states[i]!, start, false);
  return s;
}
