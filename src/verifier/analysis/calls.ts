/**
 * Helper calls: arguments checked against the prototype table, r0 typed by the return kind, r1-r5
 * clobbered, references taken and released, packet pointers invalidated by packet-changing helpers.
 * @module
 */
import { KERNEL_HELPER_NAMES } from '../../helpers/kernel-names.js';
import { KFUNC_ID_BASE } from '../../elf/externs.js';
import { INNER_MAP, mapInfo, type Env, type MapInfo } from './env.js';

/** BPF_MAP_TYPE_SOCKMAP and _SOCKHASH, whose lookups give a socket. */
const SOCKMAP = 15;
const SOCKHASH = 18;
import { helperAllowed } from './helper-types.js';
import { btfArgument, btfObject } from './btf-objects.js';
import { kfuncCall } from './kfuncs.js';
import { BTF_TRACING_PROTOS, HELPER_PROTOS, type ArgKind } from './helpers.js';
import { checkMemoryArg, ownFrame, type Work } from './memory.js';
import { constValue as scalarConst, S64_MAX } from './scalar.js';
import { callWhileLocked, isLockHelper, lockArgument, LOCK_REF } from './spin-lock.js';
import { Byte, mapSpills, STACK_SIZE } from './state.js';
import { ANY_SCALAR, DYNPTR_LOCAL, DYNPTR_RINGBUF, UNINIT, isPointer, mapsOf, pointer, typeName, type Value } from './value.js';

/** Map types whose elements a program cannot look up, update or delete. */
const NO_ELEMENT_ACCESS = new Set([3, 4, 8, 24, 27, 29, 30, 31, 32]);
/** Map types that take only some of the helpers whose prototypes take any map: the helpers they take. */
const MAP_TYPE_HELPERS: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  // A bloom filter: push adds, peek tests (bpf_map_pop_elem and element access refused, as the kernel does).
  [30, new Set([87, 89])],
  // A cgroup array: the two cgroup tests.
  [8, new Set([33, 37])],
  // Cgroup storage (shared and per-CPU): bpf_get_local_storage alone.
  [19, new Set([81])],
  [21, new Set([81])],
]);
/** The bloom filter map type, whose `bpf_map_peek_elem` reads the value it tests instead of writing one. */
const BLOOM_FILTER = 30;
/** Helpers that operate on map elements. */
const ELEMENT_HELPERS = new Set([1, 2, 3]);
/** Largest size a memory argument may have (the kernel's limit for variable sizes is far below this). */
const MAX_SIZE = 1n << 29n;

/** Apply `call id` (a helper) to `w`. */
export function helperCall(env: Env, w: Work, pc: number, id: number): void {
  if (!isLockHelper(id) && callWhileLocked(env, w, pc)) {
    clobber(w, ANY_SCALAR);
    return;
  }
  const proto = (env.programType === 'tracing' ? BTF_TRACING_PROTOS.get(id) : undefined) ?? HELPER_PROTOS.get(id);
  if (proto === undefined && env.kfuncs?.missing?.has(id) === true) {
    env.report(pc, 'helper-unknown', `invalid func unknown#${id}: kfunc ${env.kfuncs.calls.get(id) ?? ''} is weak and not provided (its address is 0); test it with bpf_ksym_exists() before the call`);
    clobber(w, ANY_SCALAR);
    return;
  }
  if (proto === undefined && id >= KFUNC_ID_BASE && kfuncCall(env, w, pc, id)) return;
  if (proto === undefined && id >= KFUNC_ID_BASE) {
    // A kfunc the loader bound to a host implementation: its BTF prototype is not modelled, so r0 is any scalar.
    env.report(pc, 'helper-unknown', `kfunc call (tsbpf id ${id}): its arguments and result are not checked by the analysis`, 'warning');
    clobber(w, ANY_SCALAR);
    return;
  }
  if (proto === undefined && env.hostHelper?.(id) === true) {
    // tsbpf runs it (the host's or a kernel helper without a prototype here): unchecked, not refused.
    const name = KERNEL_HELPER_NAMES.get(id) ?? 'host helper';
    env.report(pc, 'helper-unknown', `helper ${name}#${id} has no prototype in the analysis: its arguments are not checked before the run (its memory accesses are at run time) and its result is any number`, 'warning');
    clobber(w, ANY_SCALAR);
    return;
  }
  if (proto === undefined) {
    const name = KERNEL_HELPER_NAMES.get(id);
    env.report(
      pc,
      'helper-unknown',
      name === undefined
        ? `invalid func unknown#${id}`
        : `helper ${name}#${id} has no prototype in the analysis, so its arguments cannot be checked; use a helper from the table or the shape-only verifier`,
    );
    clobber(w, ANY_SCALAR);
    return;
  }
  if (!helperAllowed(env.programType, id, env.attachType)) {
    env.report(pc, 'helper-program-type', proto.sleeps === true ? `helper call might sleep in a non-sleepable prog (${proto.name}#${id}, ${env.programType})` : `program of this type cannot use helper ${proto.name}#${id} (${env.programType})`);
    clobber(w, ANY_SCALAR);
    return;
  }
  if (env.programType === 'tracing' && (id === 193 || id === 191) && env.tracing?.sleepable !== true) {
    env.report(pc, 'helper-program-type', `program of this type cannot use helper ${proto.name}#${id} (a sleepable program's: ${env.tracing?.attach ?? 'tracing'} without .s)`);
    clobber(w, ANY_SCALAR);
    return;
  }
  // a tail call never returns: a reference held across it could never be released
  if (id === 12 && [...w.refs.keys()].some((r) => r !== LOCK_REF)) env.report(pc, 'unreleased-reference', 'tail_call would lead to reference leak');
  const args = proto.args;
  let mapKey: number | undefined;
  let mapSet: readonly number[] = [];
  let mixedShapes = false;
  let ok = true;
  /** The reference of a sock_common first argument (what bpf_sk_fullsock's result borrows). */
  let sockArgRef = 0;
  /** The dynptr argument's spilled value, and where a `dynptr_uninit` argument's goes. */
  let dynptr: Value | undefined;
  let dynptrSlot: Value | undefined;
  /** The map a `timer` argument lies in. */
  let timerMap: number | undefined;
  for (let a = 0; a < args.length && ok; a++) {
    const r = a + 1;
    const kind = args[a]!;
    const v = w.regs[r]!;
    if (v.type === 'uninit') {
      env.report(pc, 'uninit-register', `R${r} !read_ok (argument ${r} of ${proto.name}#${id})`);
      ok = false;
      break;
    }
    const bad = (expected: string): void => {
      env.report(pc, 'helper-argument', `R${r} type=${typeName(v.type)} expected=${expected} (argument ${r} of ${proto.name}#${id})`);
      ok = false;
    };
    if (kind.startsWith('btf')) {
      // a kernel object of the named structure (btf-objects.ts)
      const nullable = kind.startsWith('btf_or_null:');
      ok = btfArgument(env, pc, r, v, kind.slice(kind.indexOf(':') + 1), nullable, `argument ${r} of ${proto.name}#${id}`);
      continue;
    }
    switch (kind) {
      case 'any':
        break;
      case 'scalar':
        // any value (the kernel's ARG_ANYTHING): a pointer is a leak only the unprivileged are refused
        if (isPointer(v) && !env.privileged) {
          env.report(pc, 'pointer-leak', `R${r} leaks addr into helper function`);
          ok = false;
        }
        break;
      case 'const':
        if (v.type !== 'scalar' || scalarConst(v.scalar) === undefined) bad('a known constant');
        break;
      case 'zero':
        if (v.type !== 'scalar' || scalarConst(v.scalar) !== 0n) {
          env.report(pc, 'helper-argument', `${proto.name.replace(/^bpf_/, '')}() doesn't support non-zero flags (argument ${r} of ${proto.name}#${id} must be the constant 0)`);
          ok = false;
        }
        break;
      case 'ctx':
        if (v.type === 'ctx' && (v.lo !== 0 || v.hi !== 0)) {
          // the kernel's words: a context pointer must be passed unmodified
          env.report(pc, 'helper-argument', `dereference of modified ctx ptr R${r} off=${v.lo === v.hi ? v.lo : `[${v.lo}, ${v.hi}]`} disallowed (argument ${r} of ${proto.name}#${id} must be the context itself)`);
          ok = false;
        } else if (v.type !== 'ctx') bad('ctx');
        break;
      case 'ctx_or_null':
        if (!(v.type === 'scalar' && scalarConst(v.scalar) === 0n) && (v.type !== 'ctx' || v.lo !== 0 || v.hi !== 0)) bad('ctx or null');
        break;
      case 'u32_inout':
        // read (it must be initialised), then written
        ok = checkMemoryArg(env, w, pc, r, v, 4, 4, false) && checkMemoryArg(env, w, pc, r, v, 4, 4, true);
        break;
      case 'fixed_mem_20':
      case 'fixed_mem_40': {
        const n = kind === 'fixed_mem_20' ? 20 : 40;
        ok = checkMemoryArg(env, w, pc, r, v, n, n, false);
        break;
      }
      case 'map': {
        if (v.type !== 'map_ptr') {
          bad('map_ptr');
          break;
        }
        mapKey = v.map;
        mapSet = mapsOf(v);
        if (timerMap !== undefined && (mapSet.length !== 1 || mapKey !== timerMap)) {
          env.report(pc, 'helper-argument', `timer pointer in R1 doesn't match map pointer in R${r} (${proto.name}#${id} takes the map the timer lies in)`);
          ok = false;
          break;
        }
        for (const key of mapSet) {
          const map = mapInfo(env, key);
          const only = map === undefined ? undefined : MAP_TYPE_HELPERS.get(map.type);
          if (map !== undefined && map.type !== 0 && ((proto.mapTypes !== undefined && !proto.mapTypes.includes(map.type)) || (ELEMENT_HELPERS.has(id) && NO_ELEMENT_ACCESS.has(map.type)) || (only !== undefined && !only.has(id)))) {
            env.report(pc, 'helper-argument', `cannot pass map_type ${map.type} into func ${proto.name}#${id}`);
            ok = false;
            break;
          }
        }
        // one map stands for the set where all share their shape; else the key and value must suit each
        if (ok && mapSet.length > 1 && !mapSet.every((k) => sameShape(mapInfo(env, k), mapInfo(env, mapSet[0]!)))) mixedShapes = true;
        break;
      }
      case 'value_or_null':
        // NULL (the number 0), or a map value's worth of readable memory as for 'value'
        if (v.type === 'scalar' && scalarConst(v.scalar) === 0n) break;
      // falls through
      case 'key':
      case 'value':
      case 'out_value': {
        const shapes = mapSet.map((k) => mapInfo(env, k));
        if (mapKey === undefined || shapes.some((m) => m === undefined)) {
          env.report(pc, 'helper-argument', `R${r}: no map argument precedes the ${kind} of ${proto.name}#${id}`);
          ok = false;
          break;
        }
        // the largest size among the maps: the memory must hold the key or value of each
        const size = Math.max(...shapes.map((m) => (kind === 'key' ? m!.keySize : m!.valueSize)));
        const reads = kind === 'out_value' && shapes.every((m) => m!.type === BLOOM_FILTER);
        ok = checkMemoryArg(env, w, pc, r, v, size, size, kind === 'out_value' && !reads);
        break;
      }
      case 'timer': {
        const map = v.type === 'map_value' ? mapInfo(env, v.map) : undefined;
        if (map === undefined || !TIMER_MAPS.has(map.type)) {
          bad('map_value (a struct bpf_timer in a value of an array, hash or LRU hash map)');
          break;
        }
        if (v.lo !== v.hi || (v.lo & 7) !== 0 || v.lo < 0 || v.lo + TIMER_BYTES > map.valueSize) {
          const off = v.lo === v.hi ? `${v.lo}` : `[${v.lo}, ${v.hi}]`;
          env.report(pc, 'helper-argument', `R${r} off ${off} is no struct bpf_timer of map value size ${map.valueSize} (16 bytes at a constant, 8-aligned offset; argument ${r} of ${proto.name}#${id})`);
          ok = false;
          break;
        }
        if (map.timer === undefined) {
          env.report(pc, 'helper-argument', `map '' has to have BTF in order to use bpf_timer: its value has no struct bpf_timer (describe it with the map's timer offset; argument ${r} of ${proto.name}#${id})`);
          ok = false;
          break;
        }
        if (v.lo !== map.timer) {
          env.report(pc, 'helper-argument', `off ${v.lo} doesn't point to 'struct bpf_timer' that is at ${map.timer} (argument ${r} of ${proto.name}#${id})`);
          ok = false;
          break;
        }
        timerMap = v.map;
        break;
      }
      case 'spin_lock':
        ok = lockArgument(env, w, pc, v, id);
        break;
      case 'stack_or_null':
        if (v.type !== 'stack' && !(v.type === 'scalar' && scalarConst(v.scalar) === 0n)) bad('fp (a stack pointer or NULL: the callback\'s context)');
        break;
      case 'long_out':
        if (proto.noPacket === true && (v.type === 'packet' || v.type === 'packet_meta')) bad('fp, map_value, ringbuf_mem (helper access to the packet is not allowed)');
        else if (v.type === 'stack' && (v.lo & 7) !== 0) {
          env.report(pc, 'stack-access', `misaligned stack access off ${v.lo} size 8 (argument ${r} of ${proto.name}#${id} is a long)`);
          ok = false;
        } else ok = checkMemoryArg(env, w, pc, r, v, 8, 8, true);
        break;
      case 'dynptr_uninit':
        dynptrSlot = v;
        ok = dynptrUninit(env, w, pc, r, v, proto.name, id);
        break;
      case 'dynptr':
      case 'dynptr_release': {
        dynptr = dynptrAt(env, w, pc, r, v, proto.name, id);
        if (dynptr === undefined) ok = false;
        else if (kind === 'dynptr_release') {
          if (dynptr.k !== DYNPTR_RINGBUF) {
            env.report(pc, 'helper-argument', `Expected a dynptr of type ringbuf as arg #${r} (${proto.name}#${id})`);
            ok = false;
          } else release(w, dynptr.ref);
        }
        break;
      }
      case 'map_mem':
      case 'mem':
      case 'mem_or_null':
      case 'out': {
        const sizeKind: ArgKind | undefined = args[a + 1];
        const sv = w.regs[r + 1]!;
        if (kind === 'mem_or_null' && v.type === 'scalar' && scalarConst(v.scalar) === 0n) {
          // NULL memory: its size must be the number 0 (else the kernel wants a pointer)
          if (sv.type === 'uninit') {
            env.report(pc, 'uninit-register', `R${r + 1} !read_ok (argument ${r + 1} of ${proto.name}#${id})`);
            ok = false;
          } else if (sv.type !== 'scalar') {
            env.report(pc, 'helper-argument', `R${r + 1} type=${typeName(sv.type)} expected=scalar (a size)`);
            ok = false;
          } else if (scalarConst(sv.scalar) !== 0n) {
            env.report(pc, 'helper-argument', `R${r} type=scalar expected=fp (NULL memory with a size that may not be 0, argument ${r} of ${proto.name}#${id})`);
            ok = false;
          }
          a++;
          break;
        }
        if (kind === 'map_mem' && v.type !== 'map_value') {
          env.report(pc, 'helper-argument', `Unsupported reg type ${typeName(v.type)} for ${proto.name} data (argument ${r} must be a map value)`);
          ok = false;
          break;
        }
        if (proto.noPacket === true && (v.type === 'packet' || v.type === 'packet_meta')) {
          env.report(pc, 'helper-argument', `helper access to the packet is not allowed (argument ${r} of ${proto.name}#${id})`);
          ok = false;
          break;
        }
        if (sv.type !== 'scalar') {
          env.report(pc, sv.type === 'uninit' ? 'uninit-register' : 'helper-argument', sv.type === 'uninit' ? `R${r + 1} !read_ok` : `R${r + 1} type=${typeName(sv.type)} expected=scalar (a size)`);
          ok = false;
          break;
        }
        const s = sv.scalar;
        if (s.smin < 0n) {
          env.report(pc, 'helper-argument', `R${r + 1} min value is negative, either use unsigned or 'var &= const'`);
          ok = false;
          break;
        }
        if (s.umax >= MAX_SIZE || s.umax > S64_MAX) {
          env.report(pc, 'helper-argument', `R${r + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
          ok = false;
          break;
        }
        if (sizeKind === 'size' && s.umin === 0n) {
          env.report(pc, 'helper-argument', `R${r + 1} invalid zero-sized read: u64=[${s.umin},${s.umax}] (the size argument of ${proto.name}#${id} must be > 0)`);
          ok = false;
          break;
        }
        ok = checkMemoryArg(env, w, pc, r, v, Number(s.umin), Number(s.umax), kind === 'out');
        a++;
        break;
      }
      case 'ringbuf_mem':
        if (v.type !== 'mem' || v.ref === 0 || v.k !== 0 || v.lo !== 0 || v.hi !== 0) bad('ringbuf_mem (the unmodified pointer bpf_ringbuf_reserve returned, after its null check)');
        else release(w, v.ref);
        break;
      case 'sock':
      case 'sock_common':
        if (kind === 'sock_common' && (v.type === 'btf_id' || v.type === 'btf_id_or_null')) ok = btfArgument(env, pc, r, v, 'sock_common', false, `argument ${r} of ${proto.name}#${id}`);
        else if ((v.type !== 'sock' && v.type !== 'sock_common') || v.lo !== 0 || v.hi !== 0) bad(`${kind} (a socket a lookup returned, after its null check)`);
        else if (kind === 'sock' && v.ref === 0) {
          env.report(pc, 'helper-argument', `R${r} must be referenced when passed to release function (a socket bpf_get_listener_sock returned holds no reference)`);
          ok = false;
        } else if (kind === 'sock') release(w, v.ref);
        else if (a === 0) sockArgRef = v.ref;
        break;
      case 'size':
      case 'size_or_zero':
        break;
    }
  }
  if (proto.changesPacket === true) invalidatePacket(w);
  if (ok && dynptrSlot !== undefined) {
    // A ring buffer dynptr holds a reference whether or not the reservation succeeds.
    const ringbuf = proto.dynptr === 'ringbuf';
    const ref = ringbuf ? pc + 1 : 0;
    if (ringbuf) w.refs.set(ref, pc);
    const frame = ownFrame(w, dynptrSlot.frame);
    const start = dynptrSlot.lo + STACK_SIZE;
    for (let i = start; i < start + DYNPTR_BYTES; i++) frame.bytes[i] = Byte.SPILL;
    frame.spills.set(start, { value: pointer('dynptr', 0, { k: ringbuf ? DYNPTR_RINGBUF : DYNPTR_LOCAL, ref }), size: DYNPTR_BYTES });
  }
  switch (proto.ret) {
    case 'integer':
      clobber(w, ANY_SCALAR);
      break;
    case 'void':
      clobber(w, UNINIT);
      break;
    case 'map_value':
      // never NULL (bpf_get_local_storage: the attachment's value exists while the program runs)
      clobber(w, mapKey === undefined || mixedShapes ? ANY_SCALAR : pointer('map_value', 0, { map: mapKey }));
      break;
    case 'map_value_or_null': {
      if (mixedShapes) {
        // one of several maps of different shapes: the value of the smallest (accesses proved inside it
        // are inside each), when none is a map of maps and all allow the same writes
        const infos = mapSet.map((k) => mapInfo(env, k)!);
        const simple = infos.every((m) => m.inner === undefined && m.readOnly === infos[0]!.readOnly);
        let smallest = 0;
        infos.forEach((m, i) => {
          if (m.valueSize < infos[smallest]!.valueSize) smallest = i;
        });
        clobber(w, simple ? pointer('map_value_or_null', 0, { map: mapSet[smallest]!, id: pc * 16 + 1 }) : ANY_SCALAR);
        break;
      }
      // a lookup in an array or hash of maps yields an inner map (after its null check)
      const outer = mapKey === undefined ? undefined : mapInfo(env, mapKey);
      // a SOCKMAP / SOCKHASH lookup yields a referenced socket, released with bpf_sk_release
      if (outer !== undefined && (outer.type === SOCKMAP || outer.type === SOCKHASH)) {
        const ref = pc + 1;
        w.refs.set(ref, pc);
        clobber(w, pointer('sock_or_null', 0, { id: pc * 16 + 1, ref }));
      } else if (outer?.inner !== undefined && mapKey! < INNER_MAP) clobber(w, pointer('map_ptr_or_null', 0, { map: mapKey! + INNER_MAP, id: pc * 16 + 1 }));
      else if (mapKey !== undefined && id === 1 && knownArrayIndex(env, w, mapKey)) clobber(w, pointer('map_value', 0, { map: mapKey, id: pc * 16 + 1 })); // the id names the element (a lock in it)
      else clobber(w, mapKey === undefined ? ANY_SCALAR : pointer('map_value_or_null', 0, { map: mapKey, id: pc * 16 + 1 }));
      break;
    }
    case 'sock_or_null':
    case 'sock_common_or_null': {
      // The socket holds a reference until bpf_sk_release; a null result holds none (see the null check).
      const ref = pc + 1;
      w.refs.set(ref, pc);
      clobber(w, pointer(proto.ret, 0, { id: pc * 16 + 1, ref }));
      break;
    }
    case 'dynptr_mem_or_null': {
      // memory inside the dynptr: a ring buffer record's slice dies with the record (it borrows the
      // dynptr's reference, k 1: its null check releases nothing)
      const size = w.regs[3]!.type === 'scalar' ? scalarConst(w.regs[3]!.scalar) : undefined;
      if (!ok || size === undefined || dynptr === undefined || size > BigInt(MAX_SIZE)) {
        clobber(w, ANY_SCALAR);
        break;
      }
      clobber(w, pointer('mem_or_null', 0, { id: pc * 16 + 1, size: Number(size), ref: dynptr.ref, k: dynptr.ref === 0 ? 0 : 1 }));
      break;
    }
    case 'sock_or_null_of_arg':
    case 'tcp_sock_or_null_of_arg':
      // k 1: a borrowed reference, which the null branch does not release (see refineNull)
      clobber(w, ok ? pointer(proto.ret === 'sock_or_null_of_arg' ? 'sock_or_null' : 'tcp_sock_or_null', 0, { id: pc * 16 + 1, ref: sockArgRef, k: sockArgRef === 0 ? 0 : 1 }) : ANY_SCALAR);
      break;
    case 'sock_or_null_unref':
      clobber(w, ok ? pointer('sock_or_null', 0, { id: pc * 16 + 1 }) : ANY_SCALAR);
      break;
    case 'task_btf':
      clobber(w, ok ? btfObject(env, 'task_struct') : ANY_SCALAR);
      break;
    default: {
      // `btf_or_null:NAME`: the kernel's struct NAME or NULL
      clobber(w, ok && proto.ret.startsWith('btf_or_null:') ? btfObject(env, proto.ret.slice('btf_or_null:'.length), true, pc * 16 + 1) : ANY_SCALAR);
      break;
    }
    case 'ringbuf_mem_or_null': {
      const size = w.regs[2]!.type === 'scalar' ? scalarConst(w.regs[2]!.scalar) : undefined;
      if (!ok || size === undefined) {
        clobber(w, ANY_SCALAR);
        break;
      }
      const ref = pc + 1;
      w.refs.set(ref, pc);
      clobber(w, pointer('mem_or_null', 0, { id: pc * 16 + 1, size: Number(size), ref }));
      break;
    }
  }
}

/** Bytes of a `struct bpf_dynptr`. */
const DYNPTR_BYTES = 16;
/** Bytes of a `struct bpf_timer`, and the map types (array, hash, LRU hash) that may hold one. */
const TIMER_BYTES = 16;
const TIMER_MAPS = new Set([2, 1, 9]);

/** The stack slot of a dynptr argument: a constant, 8-aligned offset with 16 bytes in the frame; or a report. */
function dynptrStart(env: Env, w: Work, pc: number, r: number, v: Value, name: string, id: number): number | undefined {
  if (v.type !== 'stack') {
    env.report(pc, 'helper-argument', `R${r} type=${typeName(v.type)} expected=fp (a dynptr on the stack, argument ${r} of ${name}#${id})`);
    return undefined;
  }
  if (v.lo !== v.hi || v.frame >= w.frames.length) {
    env.report(pc, 'helper-argument', `dynptr has to be at a constant offset (argument ${r} of ${name}#${id})`);
    return undefined;
  }
  if ((v.lo & 7) !== 0 || v.lo < -STACK_SIZE || v.lo + DYNPTR_BYTES > 0) {
    env.report(pc, 'helper-argument', `invalid dynptr slot fp${v.lo} (argument ${r} of ${name}#${id}): 16 bytes at an 8-byte aligned offset inside the stack`);
    return undefined;
  }
  return v.lo + STACK_SIZE;
}

/** The dynptr a `dynptr` argument points to (its spilled value), or undefined after a report. */
function dynptrAt(env: Env, w: Work, pc: number, r: number, v: Value, name: string, id: number): Value | undefined {
  const start = dynptrStart(env, w, pc, r, v, name, id);
  if (start === undefined) return undefined;
  const spill = w.frames[v.frame]!.spills.get(start);
  if (spill === undefined || spill.size !== DYNPTR_BYTES || spill.value.type !== 'dynptr') {
    env.report(pc, 'helper-argument', `Expected an initialized dynptr as arg #${r} (${name}#${id})`);
    return undefined;
  }
  return spill.value;
}

/** A `dynptr_uninit` argument: a slot that may be made a dynptr (not one holding a ring buffer reference). */
function dynptrUninit(env: Env, w: Work, pc: number, r: number, v: Value, name: string, id: number): boolean {
  const start = dynptrStart(env, w, pc, r, v, name, id);
  if (start === undefined) return false;
  for (const [at, s] of w.frames[v.frame]!.spills) {
    if (at < start + DYNPTR_BYTES && at + s.size > start && s.value.type === 'dynptr' && s.value.ref !== 0) {
      env.report(pc, 'unreleased-reference', `cannot overwrite referenced dynptr (argument ${r} of ${name}#${id}): submit or discard it first`);
      return false;
    }
  }
  // what the slot held is gone (a spill over part of it becomes plain data)
  const frame = ownFrame(w, v.frame);
  for (const [at, s] of frame.spills) {
    if (at < start + DYNPTR_BYTES && at + s.size > start) {
      frame.spills.delete(at);
      for (let i = at; i < at + s.size; i++) frame.bytes[i] = Byte.DATA;
    }
  }
  return true;
}

/** Same key size, value size, type and access (so one map's facts hold for every map of a set). */
function sameShape(a: MapInfo | undefined, b: MapInfo | undefined): boolean {
  return a !== undefined && b !== undefined && a.type === b.type && a.keySize === b.keySize && a.valueSize === b.valueSize && a.maxEntries === b.maxEntries && a.readOnly === b.readOnly && a.inner === b.inner;
}

/**
 * True when a lookup in an array map is given a key known to be in range: the kernel then knows the
 * result is not null. Its walk knows a key at an 8-byte aligned offset from a 4-byte spill of a
 * constant there, and a key elsewhere only when every byte of it was stored as zero (observed: a
 * constant 1 stored at fp-4 or fp-12 leaves the result nullable; zero bytes from any stores, even the
 * upper half of an 8-byte spill of 0, make key 0; an 8-byte spill read as a 4-byte key does not).
 */
function knownArrayIndex(env: Env, w: Work, mapKey: number): boolean {
  const map = mapInfo(env, mapKey);
  if (map === undefined || (map.type !== 2 && map.type !== 6) || map.keySize !== 4) return false;
  const key = w.regs[2]!;
  if (key.type !== 'stack' || key.lo !== key.hi || key.frame >= w.frames.length) return false;
  const frame = w.frames[key.frame]!;
  const start = key.lo + STACK_SIZE;
  if (key.lo % 8 === 0) {
    const spill = frame.spills.get(start);
    if (spill === undefined || spill.size !== 4 || spill.value.type !== 'scalar') return false;
    const v = spill.value.scalar;
    return v.umin === v.umax && v.umin < BigInt(map.maxEntries);
  }
  const zero = new Uint8Array(4);
  for (const [at, s] of frame.spills) {
    if (at >= start + 4 || at + s.size <= start || s.value.type !== 'scalar' || scalarConst(s.value.scalar) !== 0n) continue;
    for (let i = Math.max(at, start); i < Math.min(at + s.size, start + 4); i++) zero[i - start] = 1;
  }
  return zero.every((b) => b === 1);
}

/** r0 gets the result; r1-r5 are clobbered by every call. */
export function clobber(w: Work, r0: Value): void {
  w.regs[0] = r0;
  for (let r = 1; r <= 5; r++) w.regs[r] = UNINIT;
}

/** Release reference `ref`: every copy of the pointer becomes unusable. */
export function release(w: Work, ref: number): void {
  w.refs.delete(ref);
  const dead = (v: Value): Value => (v.ref === ref && isPointer(v) ? ANY_SCALAR : v);
  for (let r = 0; r < w.regs.length; r++) w.regs[r] = dead(w.regs[r]!);
  for (let f = 0; f < w.frames.length; f++) {
    const next = mapSpills(w.frames[f]!, dead);
    if (next !== w.frames[f]) {
      w.frames[f] = next;
      ownFrame(w, f);
    }
  }
}

/** After a helper that may move the packet: every packet pointer is unknown, every range forgotten. */
export function invalidatePacket(w: Work): void {
  const stale = (v: Value): Value => (v.type === 'packet' || v.type === 'packet_or_null' || v.type === 'packet_end' || v.type === 'packet_meta' ? ANY_SCALAR : v);
  for (let r = 0; r < w.regs.length; r++) w.regs[r] = stale(w.regs[r]!);
  for (let f = 0; f < w.frames.length; f++) {
    const next = mapSpills(w.frames[f]!, stale);
    if (next !== w.frames[f]) {
      w.frames[f] = next;
      w.owned.delete(f);
      ownFrame(w, f);
    }
  }
  w.pkt.clear();
  w.meta = 0;
}
