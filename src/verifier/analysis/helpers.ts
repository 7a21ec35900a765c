/**
 * Helper prototypes by kernel helper id: argument kinds, return kind, and side effects, as the helper
 * documentation (bpf-helpers(7)) describes them.
 * @module
 */

/**
 * What an argument must be.
 * - `any`: anything initialised (a scalar or a pointer).
 * - `scalar`: a number.
 * - `map`: a map pointer (`lddw` of a map).
 * - `key` / `value`: a pointer to readable memory of the map's key / value size (stack, map value, packet).
 * - `value_or_null`: the same as `value`, or the number 0.
 * - `mem`: a pointer to readable memory of the size given by the next argument.
 * - `mem_or_null`: the same, or the number 0 (with size 0).
 * - `out`: a pointer to writable memory of the size given by the next argument (initialised by the call).
 * - `size` / `size_or_zero`: the byte count of the previous argument, a bounded number (> 0 / >= 0).
 * - `ctx`: the context pointer.
 * - `ctx_or_null`: the context pointer or the number 0.
 * - `u32_inout`: a pointer to 4 bytes of initialised memory the helper reads and writes (bpf_check_mtu's `mtu_len`).
 * - `fixed_mem_20` / `fixed_mem_40`: a pointer to 20 / 40 bytes of initialised memory the helper reads (the
 *   kernel's fixed-size memory argument: an IPv4 or TCP header, an IPv6 header).
 * - `ringbuf_mem`: ring buffer memory from `bpf_ringbuf_reserve` (released by the call).
 * - `const`: a known number (ring buffer reserve size).
 * - `zero`: the number 0, known (flags a helper reserves: "doesn't support non-zero flags").
 * - `out_value`: a pointer to writable memory of the map's value size (initialised by the call).
 * - `sock`: a socket a lookup returned, after its null check (released by the call).
 * - `sock_common`: a socket a lookup returned, after its null check (not released).
 * - `map_mem`: a map value pointer, of the size given by the next argument (`bpf_dynptr_from_mem`'s data).
 * - `long_out`: a pointer to 8 writable bytes (initialised by the call).
 * - `dynptr_uninit`: a stack slot of 16 bytes at a constant, 8-aligned offset, made a dynptr by the call
 *   (of the prototype's {@link HelperProto.dynptr} kind).
 * - `dynptr`: a dynptr a helper made (a stack pointer to it).
 * - `dynptr_release`: a ring buffer dynptr (released by the call).
 * - `timer`: the `struct bpf_timer` of a value of an array, hash or LRU hash map, at the offset its BTF
 *   gives (`MapInfo.timer`); `bpf_timer_init`'s map argument must be that map.
 * - `spin_lock`: the `struct bpf_spin_lock` of a map value (its map's `spinLock` offset; see spin-lock.ts).
 * - `stack_or_null`: a stack pointer or the number 0 (a callback's context argument).
 * - `btf:NAME` / `btf_or_null:NAME`: a pointer to the kernel's `struct NAME` (a BTF pointer at offset 0,
 *   of that structure or one starting with it; see btf-objects.ts), or also the number 0.
 */
export type ArgKind =
  | 'any'
  | 'scalar'
  | 'map'
  | 'key'
  | 'value'
  | 'value_or_null'
  | 'mem'
  | 'mem_or_null'
  | 'out'
  | 'size'
  | 'size_or_zero'
  | 'ctx'
  | 'ctx_or_null'
  | 'u32_inout'
  | 'fixed_mem_20'
  | 'fixed_mem_40'
  | 'ringbuf_mem'
  | 'const'
  | 'zero'
  | 'out_value'
  | 'sock'
  | 'sock_common'
  | 'map_mem'
  | 'long_out'
  | 'dynptr_uninit'
  | 'dynptr'
  | 'dynptr_release'
  | 'timer'
  | 'spin_lock'
  | 'stack_or_null'
  | `btf:${string}`
  | `btf_or_null:${string}`;

/**
 * What a helper returns in r0 (`void`: nothing, r0 is unreadable after the call, as the kernel has it
 * for bpf_tail_call and the ring buffer submit and discard; `dynptr_mem_or_null`: memory of the size of
 * the constant third argument inside the dynptr of the first, which it lives no longer than).
 */
export type ReturnKind =
  | 'integer'
  /** A value of the map argument, never NULL (bpf_get_local_storage). */
  | 'map_value'
  | 'map_value_or_null'
  | 'ringbuf_mem_or_null'
  | 'sock_or_null'
  | 'sock_common_or_null'
  /** The socket argument itself or null, borrowing its reference (released with it; a null result releases nothing). */
  | 'sock_or_null_of_arg'
  /** A socket that holds no reference (nothing to release, and bpf_sk_release refuses it), or null. */
  | 'sock_or_null_unref'
  /** The argument's `struct bpf_tcp_sock` or null, borrowing its reference like `sock_or_null_of_arg`. */
  | 'tcp_sock_or_null_of_arg'
  | 'dynptr_mem_or_null'
  /**
   * The current `struct task_struct` as a BTF pointer, never NULL (bpf_get_current_task_btf): its fields
   * readable as the analysis's BTF lays them out (an untyped kernel object where it has no such struct).
   */
  | 'task_btf'
  /** A pointer to the kernel's `struct NAME` or NULL (the socket casts). */
  | `btf_or_null:${string}`
  | 'void';

/** One helper's prototype. */
export interface HelperProto {
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: ReturnKind;
  /** The helper may move or resize the packet: every packet pointer is invalidated. */
  readonly changesPacket?: boolean;
  /** Map types the `map` argument may have (undefined: any). */
  readonly mapTypes?: readonly number[];
  /** The kind of dynptr a `dynptr_uninit` argument becomes. */
  readonly dynptr?: 'local' | 'ringbuf';
  /** Memory arguments may not be packet memory ("helper access to the packet is not allowed"). */
  readonly noPacket?: boolean;
  /** The helper may sleep: only a program loaded sleepable (of the modelled types, syscall) may call it. */
  readonly sleeps?: boolean;
}

const PROG_ARRAY = 3;
const PERF_EVENT_ARRAY = 4;
const RINGBUF = 27;
const PERCPU_HASH = 5;
const PERCPU_ARRAY = 6;
const LRU_PERCPU_HASH = 10;
const SK_STORAGE = 24;
const CGROUP_ARRAY = 8;
const TASK_STORAGE = 29;
const USER_RINGBUF = 31;
const CGROUP_STORAGE = 19;
const CGRP_STORAGE = 32;
const PERCPU_CGROUP_STORAGE = 21;
const SOCKMAP = 15;
const SOCKHASH = 18;

const p = (name: string, args: ArgKind[], ret: ReturnKind = 'integer', extra: Partial<HelperProto> = {}): HelperProto => ({ name, args, ret, ...extra });

/** The prototypes the analysis knows, keyed by kernel helper id. */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProto> = new Map([
  [1, p('bpf_map_lookup_elem', ['map', 'key'], 'map_value_or_null')],
  [2, p('bpf_map_update_elem', ['map', 'key', 'value', 'scalar'])],
  [3, p('bpf_map_delete_elem', ['map', 'key'])],
  [4, p('bpf_probe_read', ['out', 'size_or_zero', 'any'])],
  [5, p('bpf_ktime_get_ns', [])],
  [6, p('bpf_trace_printk', ['mem', 'size'])], // arguments 3-5 are not checked
  [7, p('bpf_get_prandom_u32', [])],
  [8, p('bpf_get_smp_processor_id', [])],
  [9, p('bpf_skb_store_bytes', ['ctx', 'scalar', 'mem', 'size', 'scalar'], 'integer', { changesPacket: true })],
  [10, p('bpf_l3_csum_replace', ['ctx', 'scalar', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [11, p('bpf_l4_csum_replace', ['ctx', 'scalar', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [12, p('bpf_tail_call', ['ctx', 'map', 'scalar'], 'void', { mapTypes: [PROG_ARRAY] })],
  [13, p('bpf_clone_redirect', ['ctx', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [14, p('bpf_get_current_pid_tgid', [])],
  [15, p('bpf_get_current_uid_gid', [])],
  [16, p('bpf_get_current_comm', ['out', 'size'])],
  [17, p('bpf_get_cgroup_classid', ['ctx'])],
  [18, p('bpf_skb_vlan_push', ['ctx', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [19, p('bpf_skb_vlan_pop', ['ctx'], 'integer', { changesPacket: true })],
  [20, p('bpf_skb_get_tunnel_key', ['ctx', 'out', 'size', 'scalar'])],
  [21, p('bpf_skb_set_tunnel_key', ['ctx', 'mem', 'size', 'scalar'])],
  [22, p('bpf_perf_event_read', ['map', 'scalar'], 'integer', { mapTypes: [PERF_EVENT_ARRAY] })],
  [23, p('bpf_redirect', ['scalar', 'scalar'])],
  [24, p('bpf_get_route_realm', ['ctx'])],
  [25, p('bpf_perf_event_output', ['ctx', 'map', 'scalar', 'mem', 'size_or_zero'], 'integer', { mapTypes: [PERF_EVENT_ARRAY] })],
  [26, p('bpf_skb_load_bytes', ['ctx', 'scalar', 'out', 'size'])],
  [27, p('bpf_get_stackid', ['ctx', 'map', 'scalar'])],
  [28, p('bpf_csum_diff', ['mem_or_null', 'size_or_zero', 'mem_or_null', 'size_or_zero', 'scalar'])],
  [29, p('bpf_skb_get_tunnel_opt', ['ctx', 'out', 'size'])],
  [30, p('bpf_skb_set_tunnel_opt', ['ctx', 'mem', 'size'])],
  [31, p('bpf_skb_change_proto', ['ctx', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [32, p('bpf_skb_change_type', ['ctx', 'scalar'])],
  [33, p('bpf_skb_under_cgroup', ['ctx', 'map', 'scalar'], 'integer', { mapTypes: [CGROUP_ARRAY] })],
  [34, p('bpf_get_hash_recalc', ['ctx'])],
  [35, p('bpf_get_current_task', [])],
  [37, p('bpf_current_task_under_cgroup', ['map', 'scalar'], 'integer', { mapTypes: [CGROUP_ARRAY] })],
  [38, p('bpf_skb_change_tail', ['ctx', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [39, p('bpf_skb_pull_data', ['ctx', 'scalar'], 'integer', { changesPacket: true })],
  [40, p('bpf_csum_update', ['ctx', 'scalar'])],
  [41, p('bpf_set_hash_invalid', ['ctx'])],
  [42, p('bpf_get_numa_node_id', [])],
  [43, p('bpf_skb_change_head', ['ctx', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [44, p('bpf_xdp_adjust_head', ['ctx', 'scalar'], 'integer', { changesPacket: true })],
  [45, p('bpf_probe_read_str', ['out', 'size_or_zero', 'any'])],
  [46, p('bpf_get_socket_cookie', ['ctx'])],
  [47, p('bpf_get_socket_uid', ['ctx'])],
  [48, p('bpf_set_hash', ['ctx', 'scalar'])],
  [50, p('bpf_skb_adjust_room', ['ctx', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [51, p('bpf_redirect_map', ['map', 'scalar', 'scalar'])],
  [55, p('bpf_perf_event_read_value', ['map', 'scalar', 'out', 'size'], 'integer', { mapTypes: [PERF_EVENT_ARRAY] })],
  [56, p('bpf_perf_prog_read_value', ['ctx', 'out', 'size'])],
  [54, p('bpf_xdp_adjust_meta', ['ctx', 'scalar'], 'integer', { changesPacket: true })],
  [65, p('bpf_xdp_adjust_tail', ['ctx', 'scalar'], 'integer', { changesPacket: true })],
  [67, p('bpf_get_stack', ['ctx', 'out', 'size_or_zero', 'scalar'])],
  [68, p('bpf_skb_load_bytes_relative', ['ctx', 'scalar', 'out', 'size', 'scalar'])],
  [69, p('bpf_fib_lookup', ['ctx', 'mem', 'size', 'scalar'])],
  [79, p('bpf_skb_cgroup_id', ['ctx'])],
  [80, p('bpf_get_current_cgroup_id', [])],
  [81, p('bpf_get_local_storage', ['map', 'zero'], 'map_value', { mapTypes: [CGROUP_STORAGE, PERCPU_CGROUP_STORAGE] })],
  [83, p('bpf_skb_ancestor_cgroup_id', ['ctx', 'scalar'])],
  [84, p('bpf_sk_lookup_tcp', ['ctx', 'mem', 'size_or_zero', 'scalar', 'scalar'], 'sock_or_null')],
  [85, p('bpf_sk_lookup_udp', ['ctx', 'mem', 'size_or_zero', 'scalar', 'scalar'], 'sock_or_null')],
  [86, p('bpf_sk_release', ['sock'])],
  [87, p('bpf_map_push_elem', ['map', 'value', 'scalar'])],
  [88, p('bpf_map_pop_elem', ['map', 'out_value'])],
  [89, p('bpf_map_peek_elem', ['map', 'out_value'])],
  [95, p('bpf_sk_fullsock', ['sock_common'], 'sock_or_null_of_arg')],
  [96, p('bpf_tcp_sock', ['sock_common'], 'tcp_sock_or_null_of_arg')],
  [97, p('bpf_skb_ecn_set_ce', ['ctx'])],
  [98, p('bpf_get_listener_sock', ['sock_common'], 'sock_or_null_unref')],
  [99, p('bpf_skc_lookup_tcp', ['ctx', 'mem', 'size_or_zero', 'scalar', 'scalar'], 'sock_common_or_null')],
  // Socket-local storage: the socket is any socket pointer (a lookup's, a context's `sk`), after its null check.
  [107, p('bpf_sk_storage_get', ['map', 'sock_common', 'value_or_null', 'scalar'], 'map_value_or_null', { mapTypes: [SK_STORAGE] })],
  [108, p('bpf_sk_storage_delete', ['map', 'sock_common'], 'integer', { mapTypes: [SK_STORAGE] })],
  // sock_ops: socket options of the context's socket, its callback flags, socket maps keyed from it.
  [49, p('bpf_setsockopt', ['ctx', 'scalar', 'scalar', 'mem', 'size'])],
  [57, p('bpf_getsockopt', ['ctx', 'scalar', 'scalar', 'out', 'size'])],
  [59, p('bpf_sock_ops_cb_flags_set', ['ctx', 'scalar'])],
  // TCP header options: a buffer the option is copied into / from, of a known size.
  [142, p('bpf_load_hdr_opt', ['ctx', 'out', 'size', 'scalar'])],
  [143, p('bpf_store_hdr_opt', ['ctx', 'mem', 'size', 'scalar'])],
  [144, p('bpf_reserve_hdr_opt', ['ctx', 'scalar', 'scalar'])],
  [53, p('bpf_sock_map_update', ['ctx', 'map', 'key', 'scalar'], 'integer', { mapTypes: [SOCKMAP] })],
  [70, p('bpf_sock_hash_update', ['ctx', 'map', 'key', 'scalar'], 'integer', { mapTypes: [SOCKHASH] })],
  // Socket redirects (sk_skb, sk_msg): to the socket of a SOCKMAP index (a u32 by value) or of a SOCKHASH
  // key (a pointer to the map's key); flags (BPF_F_INGRESS) are any number. They return SK_PASS / SK_DROP.
  [52, p('bpf_sk_redirect_map', ['ctx', 'map', 'scalar', 'scalar'], 'integer', { mapTypes: [SOCKMAP] })],
  [72, p('bpf_sk_redirect_hash', ['ctx', 'map', 'key', 'scalar'], 'integer', { mapTypes: [SOCKHASH] })],
  [60, p('bpf_msg_redirect_map', ['ctx', 'map', 'scalar', 'scalar'], 'integer', { mapTypes: [SOCKMAP] })],
  [71, p('bpf_msg_redirect_hash', ['ctx', 'map', 'key', 'scalar'], 'integer', { mapTypes: [SOCKHASH] })],
  // sk_msg's message: apply / cork a verdict to a byte count; pull, push and pop move or resize the data
  // the context's data / data_end point into, so packet pointers are invalidated.
  [61, p('bpf_msg_apply_bytes', ['ctx', 'scalar'])],
  [62, p('bpf_msg_cork_bytes', ['ctx', 'scalar'])],
  [63, p('bpf_msg_pull_data', ['ctx', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [90, p('bpf_msg_push_data', ['ctx', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  [91, p('bpf_msg_pop_data', ['ctx', 'scalar', 'scalar', 'scalar'], 'integer', { changesPacket: true })],
  // The socket casts take a socket (a lookup's, or a BTF pointer to one) and return a BTF pointer to the
  // kernel structure or NULL.
  [136, p('bpf_skc_to_tcp6_sock', ['sock_common'], 'btf_or_null:tcp6_sock')],
  [137, p('bpf_skc_to_tcp_sock', ['sock_common'], 'btf_or_null:tcp_sock')],
  [138, p('bpf_skc_to_tcp_timewait_sock', ['sock_common'], 'btf_or_null:tcp_timewait_sock')],
  [139, p('bpf_skc_to_tcp_request_sock', ['sock_common'], 'btf_or_null:tcp_request_sock')],
  [140, p('bpf_skc_to_udp6_sock', ['sock_common'], 'btf_or_null:udp6_sock')],
  [112, p('bpf_probe_read_user', ['out', 'size_or_zero', 'any'])],
  [113, p('bpf_probe_read_kernel', ['out', 'size_or_zero', 'any'])],
  [114, p('bpf_probe_read_user_str', ['out', 'size_or_zero', 'any'])],
  [115, p('bpf_probe_read_kernel_str', ['out', 'size_or_zero', 'any'])],
  [118, p('bpf_jiffies64', [])],
  [120, p('bpf_get_ns_current_pid_tgid', ['scalar', 'scalar', 'out', 'size'])],
  [122, p('bpf_get_netns_cookie', ['ctx_or_null'])],
  [124, p('bpf_sk_assign', ['ctx', 'sock_common', 'scalar'])],
  [125, p('bpf_ktime_get_boot_ns', [])],
  // The seq_file helpers of iterator programs and bpf_get_task_stack: their first argument is a BTF
  // pointer (ctx->meta->seq, a task; measured: a moved seq_file, a task not checked for NULL refused).
  [126, p('bpf_seq_printf', ['btf:seq_file', 'mem', 'size', 'mem_or_null', 'size_or_zero'])],
  [127, p('bpf_seq_write', ['btf:seq_file', 'mem', 'size_or_zero'])],
  [141, p('bpf_get_task_stack', ['btf:task_struct', 'out', 'size_or_zero', 'scalar'])],
  [130, p('bpf_ringbuf_output', ['map', 'mem', 'size_or_zero', 'scalar'], 'integer', { mapTypes: [RINGBUF] })],
  [131, p('bpf_ringbuf_reserve', ['map', 'const', 'scalar'], 'ringbuf_mem_or_null', { mapTypes: [RINGBUF] })],
  [132, p('bpf_ringbuf_submit', ['ringbuf_mem', 'scalar'], 'void')],
  [133, p('bpf_ringbuf_discard', ['ringbuf_mem', 'scalar'], 'void')],
  [134, p('bpf_ringbuf_query', ['map', 'scalar'], 'integer', { mapTypes: [RINGBUF] })],
  [135, p('bpf_csum_level', ['ctx', 'scalar'])],
  [151, p('bpf_skb_cgroup_classid', ['ctx'])],
  [152, p('bpf_redirect_neigh', ['scalar', 'mem_or_null', 'size_or_zero', 'scalar'])],
  [155, p('bpf_redirect_peer', ['scalar', 'scalar'])],
  [160, p('bpf_ktime_get_coarse_ns', [])],
  // Task-local storage: the task is a BTF pointer to a struct task_struct, or NULL (measured: a number,
  // another structure or a pointer moved into the task are refused).
  [156, p('bpf_task_storage_get', ['map', 'btf_or_null:task_struct', 'value_or_null', 'scalar'], 'map_value_or_null', { mapTypes: [TASK_STORAGE] })],
  [157, p('bpf_task_storage_delete', ['map', 'any'], 'integer', { mapTypes: [TASK_STORAGE] })],
  [158, p('bpf_get_current_task_btf', [], 'task_btf')],
  [163, p('bpf_check_mtu', ['ctx', 'scalar', 'u32_inout', 'scalar', 'scalar'])],
  [204, p('bpf_tcp_raw_gen_syncookie_ipv4', ['fixed_mem_20', 'fixed_mem_20', 'scalar'])],
  [205, p('bpf_tcp_raw_gen_syncookie_ipv6', ['fixed_mem_40', 'fixed_mem_20', 'scalar'])],
  [206, p('bpf_tcp_raw_check_syncookie_ipv4', ['fixed_mem_20', 'fixed_mem_20'])],
  [207, p('bpf_tcp_raw_check_syncookie_ipv6', ['fixed_mem_40', 'fixed_mem_20'])],
  // The string helpers: `str` of bpf_snprintf may be null with size 0 (it is written, as far as the
  // analysis goes a read); the format and bpf_strncmp's second string are constant strings, checked
  // by the helpers at run time.
  // Callback helpers: the callback (a function pointer) is verified as the helper calls it (callbacks.ts;
  // bpf_user_ringbuf_drain's is not, with a warning); the context pointer may be anything.
  [164, p('bpf_for_each_map_elem', ['map', 'any', 'stack_or_null', 'scalar'])],
  [181, p('bpf_loop', ['scalar', 'any', 'stack_or_null', 'scalar'])],
  [210, p('bpf_cgrp_storage_get', ['map', 'any', 'value_or_null', 'scalar'], 'map_value_or_null', { mapTypes: [CGRP_STORAGE] })],
  [211, p('bpf_cgrp_storage_delete', ['map', 'any'], 'integer', { mapTypes: [CGRP_STORAGE] })],
  [209, p('bpf_user_ringbuf_drain', ['map', 'any', 'any', 'scalar'], 'integer', { mapTypes: [USER_RINGBUF] })],
  [165, p('bpf_snprintf', ['mem_or_null', 'size_or_zero', 'any', 'mem_or_null', 'size_or_zero'])],
  // An object shown as text through BTF: `str` is written (its size may be 0, the kernel loads that), `ptr` (a struct btf_ptr) read; the type id
  // in it is checked by the helper at run time.
  [149, p('bpf_snprintf_btf', ['out', 'size_or_zero', 'mem', 'size', 'scalar'])],
  // Helpers of tracing programs whose first argument is a BTF pointer: bpf_skb_output's struct sk_buff
  // (measured: another structure or a number refused); the others' (a struct path, file, task or
  // seq_file) are not typed yet: any value, checked by the helper at run time.
  [111, p('bpf_skb_output', ['btf:sk_buff', 'map', 'scalar', 'mem', 'size_or_zero'], 'integer', { mapTypes: [PERF_EVENT_ARRAY] })],
  [147, p('bpf_d_path', ['any', 'out', 'size_or_zero'])],
  [150, p('bpf_seq_printf_btf', ['btf:seq_file', 'mem', 'size', 'scalar'])],
  [191, p('bpf_copy_from_user_task', ['out', 'size_or_zero', 'any', 'any', 'scalar'], 'integer', { sleeps: true })],
  [193, p('bpf_ima_file_hash', ['any', 'out', 'size'])],
  [173, p('bpf_get_func_ip', ['ctx'])],
  [174, p('bpf_get_attach_cookie', ['ctx'])],
  [177, p('bpf_trace_vprintk', ['mem', 'size', 'mem_or_null', 'size_or_zero'])],
  [182, p('bpf_strncmp', ['mem', 'size', 'any'])],
  [183, p('bpf_get_func_arg', ['ctx', 'scalar', 'any'])],
  [184, p('bpf_get_func_ret', ['ctx', 'any'])],
  [185, p('bpf_get_func_arg_cnt', ['ctx'])],
  [93, p('bpf_spin_lock', ['spin_lock'], 'void')],
  [94, p('bpf_spin_unlock', ['spin_lock'], 'void')],
  [188, p('bpf_xdp_get_buff_len', ['ctx'])],
  [189, p('bpf_xdp_load_bytes', ['ctx', 'scalar', 'out', 'size'])],
  [190, p('bpf_xdp_store_bytes', ['ctx', 'scalar', 'mem', 'size'])],
  [192, p('bpf_skb_set_tstamp', ['ctx', 'scalar', 'scalar'])],
  [195, p('bpf_map_lookup_percpu_elem', ['map', 'key', 'scalar'], 'map_value_or_null', { mapTypes: [PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH] })],
  [208, p('bpf_ktime_get_tai_ns', [])],
  // String to number: the string must not be packet memory; `res` is written on success and failure.
  [105, p('bpf_strtol', ['mem', 'size', 'scalar', 'long_out'], 'integer', { noPacket: true })],
  [106, p('bpf_strtoul', ['mem', 'size', 'scalar', 'long_out'], 'integer', { noPacket: true })],
  // Dynptrs: 16 bytes on the stack made by from_mem (a map value) or reserve_dynptr (a ring buffer
  // record, a reference taken even when the reservation fails, released by submit or discard).
  [197, p('bpf_dynptr_from_mem', ['map_mem', 'size_or_zero', 'scalar', 'dynptr_uninit'], 'integer', { dynptr: 'local' })],
  [198, p('bpf_ringbuf_reserve_dynptr', ['map', 'scalar', 'scalar', 'dynptr_uninit'], 'integer', { mapTypes: [RINGBUF], dynptr: 'ringbuf' })],
  [199, p('bpf_ringbuf_submit_dynptr', ['dynptr_release', 'scalar'], 'void')],
  [200, p('bpf_ringbuf_discard_dynptr', ['dynptr_release', 'scalar'], 'void')],
  [201, p('bpf_dynptr_read', ['out', 'size_or_zero', 'dynptr', 'scalar', 'scalar'], 'integer', { noPacket: true })],
  [202, p('bpf_dynptr_write', ['dynptr', 'scalar', 'mem', 'size_or_zero', 'scalar'], 'integer', { noPacket: true })],
  [203, p('bpf_dynptr_data', ['dynptr', 'scalar', 'const'], 'dynptr_mem_or_null')],
  // Timers in map values, where the map's BTF places one (MapInfo.timer); the callback is verified as
  // the timer calls it (callbacks.ts).
  [169, p('bpf_timer_init', ['timer', 'map', 'scalar'])],
  [170, p('bpf_timer_set_callback', ['timer', 'any'])],
  [171, p('bpf_timer_start', ['timer', 'scalar', 'scalar'])],
  [172, p('bpf_timer_cancel', ['timer'])],
]);

/**
 * Prototypes a BTF tracing program (`tracing`: fentry, tp_btf, iter...) has instead of the table's: bpf_get_socket_cookie
 * takes the socket a traced function was given (a BTF pointer, or NULL), not the context.
 */
export const BTF_TRACING_PROTOS: ReadonlyMap<number, HelperProto> = new Map([[46, p('bpf_get_socket_cookie', ['btf_or_null:sock_common'])]]);
