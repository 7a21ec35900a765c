/*
 * A tracepoint program on syscalls:sys_enter_openat, as a tracing tool writes it: it reads the
 * record's fields and the user path, counts opens per process in a hash map, and prints a trace line.
 * Run it on an event described in JSON (examples/openat.json, with the record's layout from
 * examples/sys_enter_openat.format, a copy of /sys/kernel/tracing/events/syscalls/sys_enter_openat/format):
 *   npx tsbpf run examples/trace_openat.o --event examples/openat.json
 */
#include "common.h"

/* The record's layout, as the format file gives it. */
struct sys_enter_openat {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__s64 dfd;
	const char *filename;
	__u64 flags;
	__u64 mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct sys_enter_openat *ctx)
{
	char comm[16], path[64];
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&opens, &tgid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &tgid, &one, BPF_ANY);
	bpf_get_current_comm(comm, sizeof(comm));
	if (bpf_probe_read_user_str(path, sizeof(path), ctx->filename) < 0)
		return 0;
	bpf_printk("%s opens %s flags %llx", comm, path, ctx->flags);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
