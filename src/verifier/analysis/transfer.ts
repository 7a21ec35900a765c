/**
 * One instruction's effect on the abstract state (everything except control flow, which the
 * fixpoint handles): ALU, `lddw`, loads, stores, atomics, legacy packet loads and helper calls.
 * @module
 */
import { functionAddress } from '../../vm/functions.js';
import { wideImm, type Insn } from '../../isa/instruction.js';
import { PseudoLoad } from '../../isa/opcodes.js';
import type { Operation } from '../../isa/operation.js';
import { aluStep, readReg } from './alu.js';
import { clobber, helperCall } from './calls.js';
import { kfuncCall } from './kfuncs.js';
import type { Env } from './env.js';
import { access, loadRange, type Work } from './memory.js';
import { constant, signExtend } from './scalar.js';
import { LOCK_REF } from './spin-lock.js';
import { ANY_SCALAR, isPointer, pointer, scalarValue, type Value } from './value.js';

/**
 * The context's packet start loaded into `dst`: the kernel gives the new pointer no proved range (a
 * range belongs to the pointers a `data_end` comparison saw). The analysis keeps one range for the
 * packet start (relation 0), so it forgets it when no other register or spill holds such a pointer
 * (else the kept pointers keep it, and so, more permissively than the kernel, does the new one).
 */
function freshPacketStart(w: Work, dst: number): void {
  if (!w.pkt.has(0)) return;
  const start = (v: Value): boolean => (v.type === 'packet' || v.type === 'packet_or_null') && v.id === 0;
  if (w.regs.some((v, r) => r !== dst && start(v))) return;
  for (const f of w.frames) for (const s of f.spills.values()) if (start(s.value)) return;
  w.pkt.delete(0);
}

/** Program types that may use the legacy `ld_abs` / `ld_ind` packet loads. */
const LD_ABS_TYPES = new Set(['socket_filter', 'sched_cls', 'sched_act']);

/** Apply a non-control-flow instruction at `pc` (the caller handles jumps, exit and local calls). */
export function step(env: Env, w: Work, pc: number, i: Insn, op: Operation, next: Insn | undefined): void {
  switch (op.kind) {
    case 'alu':
    case 'neg':
    case 'movsx':
    case 'end':
      aluStep(env, w, pc, i, op);
      return;
    case 'lddw':
      w.regs[i.dst] = lddw(env, pc, i, op.pseudo, next);
      return;
    case 'ldx': {
      const base = w.regs[i.src]!;
      const v = access(env, w, { pc, regNo: i.src, base, off: i.offset, size: op.size });
      let out = v ?? ANY_SCALAR;
      if (op.signed && base.type === 'ctx' && isPointer(out)) {
        // a context field the kernel rewrites into a pointer load cannot be sign-extended
        env.report(pc, 'ctx-access', `invalid bpf_context access off=${i.offset} size=${op.size} (a sign-extending load of a pointer field)`);
        out = ANY_SCALAR;
      } else if (op.signed) out = isPointer(out) ? ANY_SCALAR : scalarValue(signExtend(out.scalar, (op.size * 8) as 8 | 16 | 32));
      if (base.type === 'ctx' && out.type === 'packet') freshPacketStart(w, i.dst);
      w.regs[i.dst] = out;
      return;
    }
    case 'st': {
      const value = scalarValue(constant(BigInt(op.size === 8 ? i.imm : i.imm & (2 ** (op.size * 8) - 1))));
      access(env, w, { pc, regNo: i.dst, base: w.regs[i.dst]!, off: i.offset, size: op.size, store: value, immediate: true });
      return;
    }
    case 'stx': {
      const value = w.regs[i.src]!;
      if (value.type === 'uninit') {
        env.report(pc, 'uninit-register', `R${i.src} !read_ok`);
        return;
      }
      access(env, w, { pc, regNo: i.dst, base: w.regs[i.dst]!, off: i.offset, size: op.size, store: value, storeReg: i.src });
      return;
    }
    case 'atomic': {
      const src = readReg(env, w, pc, i.src);
      if (op.op === 'cmpxchg') readReg(env, w, pc, 0);
      if (isPointer(src) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${i.src} leaks addr into mem (atomic operand)`);
        return;
      }
      const r = access(env, w, { pc, regNo: i.dst, base: w.regs[i.dst]!, off: i.offset, size: op.size, store: src, atomic: true, storeReg: i.src });
      if (r === undefined) return;
      const loaded = scalarValue(loadRange(op.size));
      if (op.op === 'cmpxchg') w.regs[0] = loaded;
      else if (op.fetch || op.op === 'xchg') w.regs[i.src] = loaded;
      return;
    }
    case 'ldabs':
    case 'ldind': {
      if (!LD_ABS_TYPES.has(env.programType)) {
        env.report(pc, 'unsupported', `BPF_LD_[ABS|IND] instructions not allowed for this program type (${env.programType})`);
      } else if (w.regs[6]!.type !== 'ctx') {
        env.report(pc, 'uninit-register', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
      }
      // a legacy load may end the program (an offset outside the packet), which it may not do holding a lock
      if (w.refs.has(LOCK_REF)) env.report(pc, 'spin-lock', 'BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region');
      if (op.kind === 'ldind') {
        const idx = readReg(env, w, pc, i.src);
        // a privileged loader may index with a pointer's bits (the kernel accepts it as root)
        if (isPointer(idx) && !env.privileged) env.report(pc, 'pointer-arithmetic', `R${i.src} pointer used as a packet offset`);
      }
      clobber(w, scalarValue(loadRange(op.size)));
      return;
    }
    case 'call':
      if (op.target === 'helper') helperCall(env, w, pc, i.imm);
      else if (op.target === 'kfunc' && i.offset === 0 && kfuncCall(env, w, pc, i.imm)) return;
      else {
        env.report(pc, 'unsupported', op.target === 'kfunc' ? `kfunc call (BTF id ${i.imm}) is not modelled by the analysis` : 'internal: local call reached the step function');
        clobber(w, ANY_SCALAR);
      }
      return;
    case 'callx':
      env.report(pc, 'unsupported', 'callx (an indirect call) is not modelled by the analysis; the kernel refuses it');
      clobber(w, ANY_SCALAR);
      return;
    default:
      return;
  }
}

function lddw(env: Env, pc: number, i: Insn, pseudo: number, next: Insn | undefined): Value {
  const hiImm = next?.imm ?? 0;
  if ((pseudo === PseudoLoad.MAP_IDX || pseudo === PseudoLoad.MAP_IDX_VALUE) && !env.fdArray) {
    env.report(pc, 'map-reference', `fd_idx without fd_array is invalid: a map load by index (lddw source ${pseudo}) needs the load's fd_array (the fdArray option)`);
    return ANY_SCALAR;
  }
  switch (pseudo) {
    case PseudoLoad.NONE: {
      const v = wideImm(i, next ?? { opcode: 0, dst: 0, src: 0, offset: 0, imm: 0 });
      const at = env.resolve?.(v, pc);
      if (at !== undefined && env.maps.has(at.map)) {
        return at.offset === undefined ? pointer('map_ptr', 0, { map: at.map }) : pointer('map_value', at.offset, { map: at.map });
      }
      return scalarValue(constant(v));
    }
    case PseudoLoad.MAP_FD:
    case PseudoLoad.MAP_IDX: {
      if (!env.maps.has(i.imm)) {
        env.report(pc, 'map-reference', `fd ${i.imm} is not pointing to valid bpf_map (pass it in the maps option)`);
        return ANY_SCALAR;
      }
      if (hiImm !== 0) env.report(pc, 'map-reference', `unrecognized bpf_ld_imm64 insn: the second slot's imm of a map load must be 0, not ${hiImm}`);
      return pointer('map_ptr', 0, { map: i.imm });
    }
    case PseudoLoad.MAP_VALUE:
    case PseudoLoad.MAP_IDX_VALUE: {
      const map = env.maps.get(i.imm);
      if (map === undefined) {
        env.report(pc, 'map-reference', `fd ${i.imm} is not pointing to valid bpf_map (pass it in the maps option)`);
        return ANY_SCALAR;
      }
      // the address of a value: only an array's (BPF_MAP_TYPE_ARRAY, 2), and only of one entry
      if (map.type !== 2) {
        env.report(pc, 'map-value-access', `no direct value access support for this map type (${map.type}): only an array map's value has an address`);
        return ANY_SCALAR;
      }
      if (map.maxEntries !== 1 || hiImm < 0 || hiImm >= map.valueSize) {
        const why = map.maxEntries !== 1 ? `: the map has ${map.maxEntries} entries and only a one-entry array's value has an address` : '';
        env.report(pc, 'map-value-access', `invalid access to map value pointer, value_size=${map.valueSize} off=${hiImm}${why}`);
        return ANY_SCALAR;
      }
      return pointer('map_value', hiImm, { map: i.imm });
    }
    case PseudoLoad.FUNC: {
      // A callback: its address as a number, which a callback helper follows into the function
      // (Fixpoint.callback). The kernel takes one only from a program with BTF func_info.
      const target = pc + i.imm + 1;
      if (!env.funcInfo) env.report(pc, 'callback', `missing btf func_info: a callback (the function at insn ${target}) needs the program's BTF func_info (the funcInfo option; raw bytecode loaded without BTF has none)`);
      return scalarValue(constant(functionAddress(target)));
    }
    default:
      env.report(pc, 'unsupported', `lddw with source ${pseudo} (BTF id) is not modelled by the analysis`);
      return ANY_SCALAR;
  }
}

