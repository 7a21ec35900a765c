/**
 * WebAssembly binary opcodes and type codes used by the JIT (core spec 2.0 numbering).
 * Only the instructions the compiler emits are listed; the encoder never spells opcodes elsewhere.
 * @module
 */

/** Value types. */
export const ValType = { i32: 0x7f, i64: 0x7e, f64: 0x7c } as const;
/** One of {@link ValType}. */
export type ValTypeCode = (typeof ValType)[keyof typeof ValType];

/** The empty block type (a block that takes and returns nothing). */
export const BLOCK_VOID = 0x40;

/** Section ids. */
export const Section = {
  type: 1,
  import: 2,
  function: 3,
  memory: 5,
  global: 6,
  export: 7,
  code: 10,
} as const;

/** Import/export descriptor kinds. */
export const ExternalKind = { func: 0x00, table: 0x01, memory: 0x02, global: 0x03 } as const;

/** Instruction opcodes. */
export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_load: 0x28,
  i64_load: 0x29,
  i32_load8_u: 0x2d,
  i32_load16_u: 0x2f,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_store: 0x36,
  i64_store: 0x37,
  f64_store: 0x39,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_s: 0x57,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  i64_rotl: 0x89,
  i64_rotr: 0x8a,
  f64_sub: 0xa1,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f64_convert_i64_s: 0xb9,
  i32_extend8_s: 0xc0,
  i32_extend16_s: 0xc1,
  i64_extend8_s: 0xc2,
  i64_extend16_s: 0xc3,
  i64_extend32_s: 0xc4,
  /** Prefix of the bulk-memory and saturating-truncation instructions; a LEB128 sub-opcode follows. */
  prefix_fc: 0xfc,
  /** Threads proposal: atomic memory instructions (sub-opcodes in {@link OpFe}). */
  prefix_fe: 0xfe,
} as const;

/** Sub-opcodes after {@link Op.prefix_fc}. */
export const OpFc = { i64_trunc_sat_f64_s: 6, memory_copy: 10, memory_fill: 11 } as const;

/**
 * Sub-opcodes after {@link Op.prefix_fe} (the threads proposal): the atomic loads the shared hash
 * index's lookup uses (maps/shared-find.ts), and what eBPF atomics lower to: 64-bit read-modify-writes
 * and their 32-bit forms on i64 operands (`rmw32`, the old value zero-extended).
 */
export const OpFe = {
  /** `i32.atomic.load` (natural alignment 4). */
  i32_atomic_load: 0x10,
  /** `i32.atomic.load8_u`. */
  i32_atomic_load8_u: 0x12,
  i64_rmw_add: 0x1f,
  i64_rmw32_add_u: 0x24,
  i64_rmw_and: 0x2d,
  i64_rmw32_and_u: 0x32,
  i64_rmw_or: 0x34,
  i64_rmw32_or_u: 0x39,
  i64_rmw_xor: 0x3b,
  i64_rmw32_xor_u: 0x40,
  i64_rmw_xchg: 0x42,
  i64_rmw32_xchg_u: 0x47,
  i64_rmw_cmpxchg: 0x49,
  i64_rmw32_cmpxchg_u: 0x4e,
} as const;
