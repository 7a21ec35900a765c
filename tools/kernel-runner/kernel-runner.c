/*
 * kernel-runner: the Linux kernel as a black-box oracle for tsbpf's differential tests.
 *
 * Our own code (MIT, like the rest of tsbpf), built against libbpf >= 1.1 (Debian's libbpf-dev):
 *   gcc -O2 -o kernel-runner kernel-runner.c -lbpf
 * It needs root (or CAP_BPF + CAP_NET_ADMIN) and a kernel whose bpf() allows BPF_PROG_LOAD and
 * BPF_PROG_TEST_RUN. test/kernel/runner.ts builds it, checks it works, and wraps this protocol.
 *
 * PROTOCOL: one request per line on stdin, one response line per request on stdout (flushed), so one
 * process serves thousands of requests. Tokens are separated by single spaces. Byte strings are
 * lower-case hex, "-" for none. Numbers are decimal (a leading 0x means hex). Wherever a request
 * takes a file descriptor, "$N" means the fd returned by request number N of this process (0-based,
 * counting every line read), so a whole session can be written before any response is read.
 *
 *   probe
 *     -> ok <libbpf major>.<minor> <possible cpus>
 *   map <map_type> <key_size> <value_size> <max_entries> <map_flags> [<map_extra> [<btf_fd> <key_type_id> <value_type_id> [<inner_map_fd>]]]
 *     -> ok <fd> | err <errno> <text>          (map_type: a BPF_MAP_TYPE_* number)
 *     With a BTF object (a "btf" request's fd, "$N" allowed) and the type ids of key and value, the map
 *     carries BTF (what a struct bpf_spin_lock or bpf_timer in its value needs); btf_fd 0 for none.
 *     inner_map_fd: the template map of an array or hash of maps ("$N" allowed).
 *   btf <blob>
 *     -> ok <fd> <log> | reject <errno> <log>   BPF_BTF_LOAD of raw BTF (header, types, strings; hex).
 *   load <prog_type> <expected_attach_type> <log_level> <prog_flags> <insns> [<fdmap> [<btf_fd> <func_info>]]
 *     -> ok <fd> <log> | reject <errno> <log>
 *     prog_type: a name (socket_filter, kprobe, sched_cls, sched_act, tracepoint, xdp, perf_event,
 *     cgroup_skb, cgroup_sock, lwt_in, lwt_out, lwt_xmit, sock_ops, sk_skb, cgroup_device, sk_msg,
 *     raw_tracepoint, cgroup_sock_addr, lwt_seg6local, lirc_mode2, sk_reuseport, flow_dissector,
 *     cgroup_sysctl, raw_tracepoint_writable, cgroup_sockopt, tracing, struct_ops, ext, lsm,
 *     sk_lookup, syscall, netfilter) or a BPF_PROG_TYPE_* number. expected_attach_type: a number or
 *     "-" (0). insns: the raw 8-byte instructions (little-endian) in hex. The licence is "GPL".
 *     log: the verifier log in hex (empty "-" at log_level 0; 1 MiB buffer, so a huge log is cut).
 *     fdmap: "imm=fd,imm=fd,..." — every lddw with src 1 (map fd) or src 2 (map value) whose imm
 *     equals a listed imm gets that fd instead (fd may be "$N"), so callers write programs with map
 *     ids of their own choosing. btf_fd: a BTF object for the program ("$N" of a btf request, or "-");
 *     func_info: its bpf_func_info records (insn_off, type_id: u32 each, little-endian) in hex, or "-".
 *   obj <path> <program name, "+name" or "*"> [<prog_type> or "-"] [<sizes> or "-"] [<attach type>]
 *     -> ok <program fd> <prog type number> <maps> | reject <errno> <libbpf log>
 *     Opens and loads an ELF object with libbpf (bpf_object__open_file / __load). Only the named
 *     program is loaded; "+name" loads every program and answers for the named one (needed when a
 *     prog array's initial values name the others); "*" loads all and answers for the first.
 *     prog_type overrides the type libbpf infers from the section name (for the named program, and for
 *     every loaded program whose section name gives libbpf no type);
 *     "-" keeps libbpf's. sizes: "name=max_entries,..." set before load (bpf_map__set_max_entries, as a
 *     project's user space sizes its maps; names the object lacks are ignored) or "-". maps: "name:fd:type:key_size:value_size:max_entries,..."
 *     or "-". Maps are never pinned (LIBBPF_PIN_BY_NAME is ignored). The object stays loaded until the
 *     process ends; its fd is valid for run and dump. attach type: the named program's
 *     expected_attach_type (a number), instead of the one its section gives (0 makes an xdp/devmap or
 *     xdp/cpumap program a plain XDP program, which BPF_PROG_TEST_RUN accepts).
 *   run <prog_fd> <data_in> <ctx_in> <data_out_size> <ctx_out_size> [<repeat>]
 *     -> ok <retval> <data_out> <ctx_out> | err <errno> <text>
 *     BPF_PROG_TEST_RUN with repeat 1 (0 for a run with only a context and no output: raw tracepoints
 *     refuse any repeat), or the <repeat> given (0 or 1: syscall programs refuse any repeat). With
 *     <repeat> 0 given and no ctx_out, <ctx_out> is ctx_in as the run left it (syscall programs' context
 *     is written back there). retval is the program's u32 return value in decimal.
 *   update <map_fd> <key> <value> <flags>      -> ok | err <errno> <text>
 *   cgroup <map_fd> <index> <path>              -> ok | err <errno> <text>
 *   sock <map_fd> <index> <kind>                -> ok <fd> <cookie> | err <errno> <text>
 *     Open a socket on loopback, port chosen by the kernel, and store it at <index> of a SOCKMAP (u32 key, the
 *     socket's fd as value): tcp4 / tcp6 / tcp6only / tcp6any listening (127.0.0.1, [::1], [::1] IPV6_V6ONLY,
 *     [::] dual stack), udp4 bound, udp4conn bound and connected to 127.0.0.1:9. The socket stays open (its fd is the reply's).
 *     Opens the cgroup v2 directory at path (no spaces) and stores its fd at index of a cgroup array
 *     (the map keeps the cgroup; the fd is closed).
 *   usample <map_fd> <bytes>                    -> ok | err <errno> <text>
 *     Writes one sample (hex, or "-" for none) into a user ring buffer, as its user-space producer does
 *     (libbpf's user_ring_buffer: reserve, copy, submit).
 *   freeze <map_fd>                             -> ok | err <errno> <text>
 *     BPF_MAP_FREEZE, as libbpf does to .rodata / .kconfig before loading: the verifier then reads
 *     loads from a read-only (BPF_F_RDONLY_PROG) array's value at constant offsets as constants.
 *   dump <map_fd>
 *     -> ok <type> <key_size> <value_size> <entries> | err <errno> <text>
 *     entries: "key:value,..." in iteration order, or "-". For per-CPU maps the value is every
 *     possible CPU's value, each padded to 8 bytes, one after the other.
 *   self
 *     -> ok <tid> <pid> <uid> <gid> <comm> <cgroup id>   The task test runs happen in (this process),
 *     as the task helpers see it: comm in hex, the cgroup v2 id (0 when it cannot be found).
 *   close <fd>                                  -> ok | err <errno> <text>
 *   iter <prog_fd> <max_bytes>
 *     -> ok <output> | err <errno> <text>
 *     Attaches an iterator program (one an obj request loaded from an iter/... section) with
 *     BPF_LINK_CREATE (BPF_TRACE_ITER), opens the iterator (BPF_ITER_CREATE) and read()s it to the end
 *     or to max_bytes (at most 16 MiB); output: the bytes read, in hex. Link and iterator are closed.
 *   cpu <n>
 *     -> ok | err <errno> <text>    Pins this process to CPU n (sched_setaffinity), so test runs happen
 *     there and per-CPU map values land in slot n.
 *   sleep <microseconds, at most 10^7>            -> ok   (timers a test run started fire meanwhile)
 *
 * Malformed requests get "err 22 <text>"; the process never exits before end of input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1u << 20)
#define MAX_TOKENS 16

static long *results; /* fd (or -1) returned by each request, by request number */
static size_t n_results, cap_results;
static char *log_buf;
static char *lib_log;
static size_t lib_log_len;

static const char *prog_types[] = {
  "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
  "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
  "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
  "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing",
  "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
};

static void out_hex(const void *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *b = p;
  if (n == 0) {
    fputc('-', stdout);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    fputc(digits[b[i] >> 4], stdout);
    fputc(digits[b[i] & 15], stdout);
  }
}

/* Decodes hex (or "-") into a fresh buffer; returns -1 on bad input. */
static long from_hex(const char *s, unsigned char **out) {
  size_t n = strlen(s);
  *out = NULL;
  if (strcmp(s, "-") == 0) return 0;
  if (n % 2 != 0) return -1;
  unsigned char *b = malloc(n / 2 + 1);
  if (b == NULL) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int v = 0;
    for (int j = 0; j < 2; j++) {
      char c = s[2 * i + j];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        free(b);
        return -1;
      }
      v = v * 16 + d;
    }
    b[i] = (unsigned char)v;
  }
  *out = b;
  return (long)(n / 2);
}

static int parse_num(const char *s, long long *v) {
  char *end;
  if (strcmp(s, "-") == 0) {
    *v = 0;
    return 0;
  }
  errno = 0;
  *v = strtoll(s, &end, 0);
  return errno != 0 || *end != '\0' || end == s ? -1 : 0;
}

static int parse_fd(const char *s, long *fd) {
  long long v;
  if (s[0] == '$') {
    if (parse_num(s + 1, &v) < 0 || v < 0 || (size_t)v >= n_results || results[v] < 0) return -1;
    *fd = results[v];
    return 0;
  }
  if (parse_num(s, &v) < 0 || v < 0 || v > INT32_MAX) return -1;
  *fd = (long)v;
  return 0;
}

static int prog_type_of(const char *s) {
  long long v;
  for (size_t i = 0; i < sizeof(prog_types) / sizeof(prog_types[0]); i++)
    if (strcmp(s, prog_types[i]) == 0) return (int)i;
  if (parse_num(s, &v) == 0 && v >= 0 && v < 1000) return (int)v;
  return -1;
}

static void reply_err(int e, const char *what) {
  printf("err %d ", e);
  for (const char *p = what; *p; p++) fputc(*p == ' ' || *p == '\n' ? '_' : *p, stdout);
  fputc('\n', stdout);
}

static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level;
  char line[4096];
  int n = vsnprintf(line, sizeof line, fmt, ap);
  if (n < 0) return n;
  if ((size_t)n >= sizeof line) n = sizeof line - 1;
  if (lib_log_len + (size_t)n < LOG_SIZE) {
    memcpy(lib_log + lib_log_len, line, (size_t)n);
    lib_log_len += (size_t)n;
  }
  return n;
}

static long cmd_map(char **t, int n) {
  long long type, ks, vs, max, flags, extra = 0, key_id = 0, value_id = 0;
  long btf = 0, inner = 0;
  if ((n != 6 && n != 7 && n != 10 && n != 11) || parse_num(t[1], &type) || parse_num(t[2], &ks) || parse_num(t[3], &vs) || parse_num(t[4], &max) ||
      parse_num(t[5], &flags) || (n >= 7 && parse_num(t[6], &extra)) ||
      (n >= 10 && (parse_fd(t[7], &btf) || parse_num(t[8], &key_id) || parse_num(t[9], &value_id))) || (n == 11 && parse_fd(t[10], &inner))) {
    reply_err(EINVAL, "usage: map <type> <key_size> <value_size> <max_entries> <flags> [<map_extra> [<btf_fd> <key_type_id> <value_type_id> [<inner_map_fd>]]]");
    return -1;
  }
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = (__u32)flags, .map_extra = (__u64)extra, .btf_fd = (__u32)btf,
              .btf_key_type_id = (__u32)key_id, .btf_value_type_id = (__u32)value_id, .inner_map_fd = (__u32)inner);
  int fd = bpf_map_create((enum bpf_map_type)type, NULL, (__u32)ks, (__u32)vs, (__u32)max, &opts);
  if (fd < 0) {
    reply_err(errno, strerror(errno));
    return -1;
  }
  printf("ok %d\n", fd);
  return fd;
}

/*
 * Rewrites lddw imm values per "imm=fd,..."; returns -1 on a malformed map. Each lddw is rewritten at
 * most once: an fd equal to a later listed imm must not be rewritten again.
 */
static int apply_fdmap(struct bpf_insn *insns, size_t count, char *spec) {
  unsigned char *done = calloc(count, 1);
  if (done == NULL) return -1;
  for (char *item = strtok(spec, ","); item != NULL; item = strtok(NULL, ",")) {
    char *eq = strchr(item, '=');
    long long imm;
    long fd;
    if (eq == NULL) goto bad;
    *eq = '\0';
    if (parse_num(item, &imm) < 0 || parse_fd(eq + 1, &fd) < 0) goto bad;
    for (size_t i = 0; i + 1 < count; i++) {
      if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
        if (!done[i] && (insns[i].src_reg == 1 || insns[i].src_reg == 2) && insns[i].imm == (int32_t)imm) {
          insns[i].imm = (int32_t)fd;
          done[i] = 1;
        }
        i++;
      }
    }
  }
  free(done);
  return 0;
bad:
  free(done);
  return -1;
}

static long cmd_load(char **t, int n) {
  long long attach, level, flags;
  int type = n >= 2 ? prog_type_of(t[1]) : -1;
  unsigned char *code = NULL;
  long len;
  long btf = 0;
  unsigned char *func_info = NULL;
  long func_info_len = 0;
  if ((n != 6 && n != 7 && n != 9) || type < 0 || parse_num(t[2], &attach) || parse_num(t[3], &level) || parse_num(t[4], &flags) ||
      (len = from_hex(t[5], &code)) < 0 || len % 8 != 0 ||
      (n == 9 && ((strcmp(t[7], "-") != 0 && parse_fd(t[7], &btf)) || (func_info_len = from_hex(t[8], &func_info)) < 0 || func_info_len % 8 != 0))) {
    free(code);
    free(func_info);
    reply_err(EINVAL, "usage: load <prog_type> <expected_attach_type> <log_level> <prog_flags> <insns hex> [imm=fd,... [<btf_fd> <func_info hex>]]");
    return -1;
  }
  if (n >= 7 && strcmp(t[6], "-") != 0 && apply_fdmap((struct bpf_insn *)code, (size_t)len / 8, t[6]) < 0) {
    free(code);
    free(func_info);
    reply_err(EINVAL, "bad fd map: want imm=fd,... with fds that exist");
    return -1;
  }
  log_buf[0] = '\0';
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)attach, .prog_flags = (__u32)flags,
              .log_level = (__u32)level, .log_size = level > 0 ? LOG_SIZE : 0, .log_buf = level > 0 ? log_buf : NULL,
              .prog_btf_fd = (__u32)btf, .func_info = func_info, .func_info_cnt = (__u32)(func_info_len / 8),
              .func_info_rec_size = func_info_len > 0 ? 8 : 0);
  int fd = bpf_prog_load((enum bpf_prog_type)type, NULL, "GPL", (struct bpf_insn *)code, (size_t)len / 8, &opts);
  int e = errno;
  free(code);
  free(func_info);
  if (fd < 0) printf("reject %d ", e);
  else printf("ok %d ", fd);
  out_hex(log_buf, level > 0 ? strnlen(log_buf, LOG_SIZE) : 0);
  fputc('\n', stdout);
  return fd;
}

static long cmd_btf(char **t, int n) {
  unsigned char *blob = NULL;
  long len;
  if (n != 2 || (len = from_hex(t[1], &blob)) <= 0) {
    free(blob);
    reply_err(EINVAL, "usage: btf <blob hex>");
    return -1;
  }
  log_buf[0] = '\0';
  LIBBPF_OPTS(bpf_btf_load_opts, opts, .log_buf = log_buf, .log_size = LOG_SIZE, .log_level = 1);
  int fd = bpf_btf_load(blob, (size_t)len, &opts);
  int e = errno;
  free(blob);
  if (fd < 0) printf("reject %d ", e);
  else printf("ok %d ", fd);
  out_hex(log_buf, fd < 0 ? strnlen(log_buf, LOG_SIZE) : 0);
  fputc('\n', stdout);
  return fd;
}

/* Applies "name=N,..." (or "-") to the opened object's maps with bpf_map__set_max_entries; -1 on a bad list. */
static int apply_sizes(struct bpf_object *obj, char *list) {
  if (strcmp(list, "-") == 0) return 0;
  for (char *item = strtok(list, ","); item != NULL; item = strtok(NULL, ",")) {
    char *eq = strchr(item, '=');
    long long v;
    if (eq == NULL) return -1;
    *eq = '\0';
    if (parse_num(eq + 1, &v) < 0 || v < 0 || v > 0xffffffffLL) return -1;
    struct bpf_map *map = bpf_object__find_map_by_name(obj, item);
    /* A size for a map the object does not have is ignored (one list serves a project's objects). */
    if (map != NULL && bpf_map__set_max_entries(map, (__u32)v) < 0) return -1;
  }
  return 0;
}

static long cmd_obj(char **t, int n) {
  int override = n >= 4 && strcmp(t[3], "-") != 0 ? prog_type_of(t[3]) : 0;
  long long attach = -1;
  if (n < 3 || n > 6 || override < 0 || (n == 6 && (parse_num(t[5], &attach) < 0 || attach < 0))) {
    reply_err(EINVAL, "usage: obj <path> <name, +name or *> [<prog_type> or -] [name=max_entries,... or -] [<expected_attach_type>]");
    return -1;
  }
  lib_log_len = 0;
  struct bpf_object *obj = bpf_object__open_file(t[1], NULL);
  int e = 0;
  struct bpf_program *prog, *chosen = NULL;
  if (obj == NULL) {
    e = errno;
  } else {
    const char *name = t[2][0] == '+' ? t[2] + 1 : t[2];
    int all = t[2][0] == '+' || strcmp(t[2], "*") == 0;
    bpf_object__for_each_program(prog, obj) {
      int named = strcmp(name, "*") == 0 || strcmp(bpf_program__name(prog), name) == 0;
      bpf_program__set_autoload(prog, all || named);
      if (named && chosen == NULL) chosen = prog;
      /* The override goes to the named program and to programs whose type libbpf could not infer from
         their section (a tail call target of the same type): retyping a program libbpf knows (an fentry
         beside a tc program) makes libbpf itself crash. */
      if ((named || (all && bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)) && override > 0)
        bpf_program__set_type(prog, (enum bpf_prog_type)override);
    }
    /* No pinning: /sys/fs/bpf may not be a BPF file system here, and a pinned map would carry state
       from one load to the next. */
    struct bpf_map *m;
    bpf_object__for_each_map(m, obj) bpf_map__set_pin_path(m, NULL);
    if (chosen != NULL && attach >= 0) bpf_program__set_expected_attach_type(chosen, (enum bpf_attach_type)attach);
    if (n >= 5 && apply_sizes(obj, t[4]) < 0) {
      e = EINVAL;
      lib_log_len = (size_t)snprintf(lib_log, LOG_SIZE, "bad map sizes: want name=max_entries,...\n");
    } else if (chosen == NULL) {
      e = ENOENT;
      lib_log_len = (size_t)snprintf(lib_log, LOG_SIZE, "no program named %s\n", t[2]);
    } else if (bpf_object__load(obj) < 0) {
      e = errno ? errno : EINVAL;
    }
  }
  if (e != 0) {
    printf("reject %d ", e);
    out_hex(lib_log, lib_log_len);
    fputc('\n', stdout);
    if (obj != NULL) bpf_object__close(obj);
    return -1;
  }
  int fd = bpf_program__fd(chosen);
  printf("ok %d %d ", fd, (int)bpf_program__type(chosen));
  struct bpf_map *map;
  int first = 1;
  bpf_object__for_each_map(map, obj) {
    printf("%s%s:%d:%d:%u:%u:%u", first ? "" : ",", bpf_map__name(map), bpf_map__fd(map), (int)bpf_map__type(map),
           bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map));
    first = 0;
  }
  if (first) fputc('-', stdout);
  fputc('\n', stdout);
  return fd; /* the object is never closed: its fds stay valid for later requests */
}

static long cmd_run(char **t, int n) {
  long fd;
  long long out_size, ctx_out_size;
  unsigned char *data = NULL, *ctx = NULL;
  long data_len = 0, ctx_len = 0;
  long long repeat = -1;
  if ((n != 6 && n != 7) || parse_fd(t[1], &fd) || (data_len = from_hex(t[2], &data)) < 0 || (ctx_len = from_hex(t[3], &ctx)) < 0 ||
      parse_num(t[4], &out_size) || parse_num(t[5], &ctx_out_size) || out_size < 0 || out_size > (1 << 24) ||
      ctx_out_size < 0 || ctx_out_size > (1 << 16) || (n == 7 && (parse_num(t[6], &repeat) || repeat < 0 || repeat > 1))) {
    free(data);
    free(ctx);
    reply_err(EINVAL, "usage: run <prog_fd> <data_in> <ctx_in> <data_out_size> <ctx_out_size> [repeat 0|1]");
    return -1;
  }
  unsigned char *data_out = out_size > 0 ? calloc(1, (size_t)out_size) : NULL;
  unsigned char *ctx_out = ctx_out_size > 0 ? calloc(1, (size_t)ctx_out_size) : NULL;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)data_len, .data_out = data_out,
              .data_size_out = (__u32)out_size, .ctx_in = ctx, .ctx_size_in = (__u32)ctx_len, .ctx_out = ctx_out,
              .ctx_size_out = (__u32)ctx_out_size,
              .repeat = repeat >= 0 ? (int)repeat : (data_len == 0 && out_size == 0 && ctx_out_size == 0) ? 0 : 1);
  int r = bpf_prog_test_run_opts((int)fd, &opts);
  if (r < 0) {
    reply_err(errno, strerror(errno));
  } else {
    printf("ok %u ", opts.retval);
    out_hex(data_out, data_out != NULL ? opts.data_size_out : 0);
    fputc(' ', stdout);
    /* syscall programs: the kernel writes the context back into ctx_in (ctx_out must be empty) */
    if (ctx_out == NULL && repeat == 0) out_hex(ctx, (size_t)ctx_len);
    else out_hex(ctx_out, ctx_out != NULL ? opts.ctx_size_out : 0);
    fputc('\n', stdout);
  }
  free(data);
  free(ctx);
  free(data_out);
  free(ctx_out);
  return -1;
}

/* The cgroup v2 id of this process: the file handle of its cgroup directory (what libbpf's tests read),
 * under whichever of the usual mount points holds the cgroup2 file system; 0 when none does. */
static unsigned long long self_cgroup_id(void) {
  char rel[2048] = "", line[2048];
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) return 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(rel, sizeof rel, "%s", line + 3);
    }
  }
  fclose(f);
  static const char *roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    char path[4200];
    struct statfs fs;
    snprintf(path, sizeof path, "%s%s", roots[i], rel);
    if (statfs(roots[i], &fs) < 0 || fs.f_type != 0x63677270 /* CGROUP2_SUPER_MAGIC */) continue;
    struct {
      struct file_handle fh;
      unsigned long long id;
    } h;
    int mount_id;
    h.fh.handle_bytes = sizeof h.id;
    if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0) continue;
    unsigned long long id;
    memcpy(&id, h.fh.f_handle, sizeof id);
    return id;
  }
  return 0;
}

static void cmd_self(void) {
  char comm[64] = "";
  FILE *f = fopen("/proc/thread-self/comm", "r");
  if (f != NULL) {
    if (fgets(comm, sizeof comm, f) == NULL) comm[0] = '\0';
    fclose(f);
  }
  comm[strcspn(comm, "\n")] = '\0';
  printf("ok %ld %ld %u %u ", (long)gettid(), (long)getpid(), (unsigned)getuid(), (unsigned)getgid());
  out_hex((unsigned char *)comm, strlen(comm));
  printf(" %llu\n", self_cgroup_id());
}

static long cmd_update(char **t, int n) {
  long fd;
  long long flags;
  unsigned char *key = NULL, *value = NULL;
  if (n != 5 || parse_fd(t[1], &fd) || from_hex(t[2], &key) < 0 || from_hex(t[3], &value) < 0 || parse_num(t[4], &flags)) {
    free(key);
    free(value);
    reply_err(EINVAL, "usage: update <map_fd> <key> <value> <flags>");
    return -1;
  }
  if (bpf_map_update_elem((int)fd, key, value, (__u64)flags) < 0) reply_err(errno, strerror(errno));
  else printf("ok\n");
  free(key);
  free(value);
  return -1;
}

static int per_cpu(__u32 type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
         type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static void cmd_cgroup(char **t, int n) {
  long map;
  long long index;
  if (n != 4 || parse_fd(t[1], &map) || parse_num(t[2], &index) || index < 0 || index > UINT32_MAX) {
    reply_err(EINVAL, "usage: cgroup <map_fd> <index> <path>");
    return;
  }
  int cg = open(t[3], O_RDONLY | O_DIRECTORY);
  if (cg < 0) {
    reply_err(errno, strerror(errno));
    return;
  }
  __u32 key = (__u32)index, value = (__u32)cg;
  if (bpf_map_update_elem((int)map, &key, &value, BPF_ANY) < 0) reply_err(errno, strerror(errno));
  else printf("ok\n");
  close(cg);
}

static void cmd_sock(char **t, int n) {
  long map;
  long long index;
  if (n != 4 || parse_fd(t[1], &map) || parse_num(t[2], &index) || index < 0 || index > UINT32_MAX) {
    reply_err(EINVAL, "usage: sock <map_fd> <index> <tcp4|tcp6|tcp6only|tcp6any|udp4|udp4conn>");
    return;
  }
  const char *kind = t[3];
  int v6 = strncmp(kind, "tcp6", 4) == 0, udp = strncmp(kind, "udp", 3) == 0;
  if (!v6 && !udp && strcmp(kind, "tcp4") != 0) {
    reply_err(EINVAL, "usage: sock <map_fd> <index> <tcp4|tcp6|tcp6only|tcp6any|udp4|udp4conn>");
    return;
  }
  int s = socket(v6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (s < 0) {
    reply_err(errno, strerror(errno));
    return;
  }
  int one = 1, rc;
  if (strcmp(kind, "tcp6only") == 0) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (v6) {
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    if (strcmp(kind, "tcp6any") == 0) a.sin6_addr = in6addr_any;
    rc = bind(s, (struct sockaddr *)&a, sizeof(a));
  } else {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    rc = bind(s, (struct sockaddr *)&a, sizeof(a));
  }
  if (rc == 0 && !udp) rc = listen(s, 8);
  if (rc == 0 && strcmp(kind, "udp4conn") == 0) {
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    rc = connect(s, (struct sockaddr *)&peer, sizeof(peer));
  }
  __u64 cookie = 0;
  socklen_t len = sizeof(cookie);
  if (rc == 0) rc = getsockopt(s, SOL_SOCKET, SO_COOKIE, &cookie, &len);
  __u32 key = (__u32)index;
  __u64 value = (__u64)s;
  if (rc == 0) rc = bpf_map_update_elem((int)map, &key, &value, BPF_ANY);
  if (rc < 0) {
    reply_err(errno, strerror(errno));
    close(s);
    return;
  }
  printf("ok %d %llu\n", s, (unsigned long long)cookie);
}

static void cmd_usample(char **t, int n) {
  long map;
  unsigned char *bytes = NULL;
  long len;
  if (n != 3 || parse_fd(t[1], &map) || (len = from_hex(t[2], &bytes)) < 0) {
    free(bytes);
    reply_err(EINVAL, "usage: usample <map_fd> <bytes>");
    return;
  }
  struct user_ring_buffer *rb = user_ring_buffer__new((int)map, NULL);
  if (rb == NULL) {
    free(bytes);
    reply_err(errno, strerror(errno));
    return;
  }
  void *sample = user_ring_buffer__reserve(rb, (__u32)len);
  if (sample == NULL) reply_err(errno, strerror(errno));
  else {
    if (len > 0) memcpy(sample, bytes, (size_t)len);
    user_ring_buffer__submit(rb, sample);
    printf("ok\n");
  }
  user_ring_buffer__free(rb);
  free(bytes);
}

static long cmd_dump(char **t, int n) {
  long fd;
  if (n != 2 || parse_fd(t[1], &fd)) {
    reply_err(EINVAL, "usage: dump <map_fd>");
    return -1;
  }
  struct bpf_map_info info;
  __u32 info_len = sizeof info;
  memset(&info, 0, sizeof info);
  if (bpf_obj_get_info_by_fd((int)fd, &info, &info_len) < 0) {
    reply_err(errno, strerror(errno));
    return -1;
  }
  size_t vsize = per_cpu(info.type) ? (size_t)((info.value_size + 7) & ~7u) * (size_t)libbpf_num_possible_cpus() : info.value_size;
  unsigned char *key = calloc(1, info.key_size + 1), *next = calloc(1, info.key_size + 1), *value = calloc(1, vsize + 1);
  printf("ok %u %u %u ", info.type, info.key_size, info.value_size);
  int first = 1;
  size_t count = 0;
  int have = bpf_map_get_next_key((int)fd, NULL, next) == 0;
  while (have && count < 1000000) {
    memcpy(key, next, info.key_size);
    if (bpf_map_lookup_elem((int)fd, key, value) == 0) {
      if (!first) fputc(',', stdout);
      out_hex(key, info.key_size);
      fputc(':', stdout);
      out_hex(value, vsize);
      first = 0;
    }
    count++;
    have = bpf_map_get_next_key((int)fd, key, next) == 0;
  }
  if (first) fputc('-', stdout);
  fputc('\n', stdout);
  free(key);
  free(next);
  free(value);
  return -1;
}

static long cmd_iter(char **t, int n) {
  long prog;
  long long max;
  if (n != 3 || parse_fd(t[1], &prog) || parse_num(t[2], &max) || max < 0 || max > (1 << 24)) {
    reply_err(EINVAL, "usage: iter <prog_fd> <max_bytes>");
    return -1;
  }
  int link = bpf_link_create((int)prog, 0, BPF_TRACE_ITER, NULL);
  if (link < 0) {
    reply_err(errno, strerror(errno));
    return -1;
  }
  int it = bpf_iter_create(link);
  if (it < 0) {
    int e = errno;
    close(link);
    reply_err(e, strerror(e));
    return -1;
  }
  unsigned char *buf = malloc((size_t)max + 1);
  size_t got = 0;
  int e = buf == NULL ? ENOMEM : 0;
  while (e == 0 && got < (size_t)max) {
    ssize_t r = read(it, buf + got, (size_t)max - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) e = errno;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(it);
  close(link);
  if (e != 0) {
    reply_err(e, strerror(e));
  } else {
    printf("ok ");
    out_hex(buf, got);
    fputc('\n', stdout);
  }
  free(buf);
  return -1;
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  log_buf = malloc(LOG_SIZE);
  lib_log = malloc(LOG_SIZE);
  if (log_buf == NULL || lib_log == NULL) return 1;
  libbpf_set_print(lib_print);
  while ((len = getline(&line, &cap, stdin)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    char *t[MAX_TOKENS];
    int n = 0;
    for (char *tok = strtok(line, " "); tok != NULL && n < MAX_TOKENS; tok = strtok(NULL, " ")) t[n++] = tok;
    long fd = -1;
    if (n == 0) reply_err(EINVAL, "empty request");
    else if (strcmp(t[0], "probe") == 0) printf("ok %u.%u %d\n", libbpf_major_version(), libbpf_minor_version(), libbpf_num_possible_cpus());
    else if (strcmp(t[0], "map") == 0) fd = cmd_map(t, n);
    else if (strcmp(t[0], "load") == 0) fd = cmd_load(t, n);
    else if (strcmp(t[0], "btf") == 0) fd = cmd_btf(t, n);
    else if (strcmp(t[0], "obj") == 0) fd = cmd_obj(t, n);
    else if (strcmp(t[0], "run") == 0) fd = cmd_run(t, n);
    else if (strcmp(t[0], "update") == 0) fd = cmd_update(t, n);
    else if (strcmp(t[0], "dump") == 0) fd = cmd_dump(t, n);
    else if (strcmp(t[0], "cgroup") == 0) cmd_cgroup(t, n);
    else if (strcmp(t[0], "sock") == 0) cmd_sock(t, n);
    else if (strcmp(t[0], "usample") == 0) cmd_usample(t, n);
    else if (strcmp(t[0], "freeze") == 0) {
      long m;
      if (n != 2 || parse_fd(t[1], &m)) reply_err(EINVAL, "usage: freeze <map_fd>");
      else if (bpf_map_freeze((int)m) < 0) reply_err(errno, strerror(errno));
      else printf("ok\n");
    }
    else if (strcmp(t[0], "self") == 0) cmd_self();
    else if (strcmp(t[0], "iter") == 0) cmd_iter(t, n);
    else if (strcmp(t[0], "close") == 0) {
      long c;
      if (n != 2 || parse_fd(t[1], &c) || c <= 2) reply_err(EINVAL, "usage: close <fd> (not 0-2)");
      else if (close((int)c) < 0) reply_err(errno, strerror(errno));
      else printf("ok\n");
    } else if (strcmp(t[0], "cpu") == 0) {
      long long c;
      cpu_set_t set;
      CPU_ZERO(&set);
      if (n != 2 || parse_num(t[1], &c) || c < 0 || c >= CPU_SETSIZE) reply_err(EINVAL, "usage: cpu <n>");
      else {
        CPU_SET((int)c, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) reply_err(errno, strerror(errno));
        else printf("ok\n");
      }
    } else if (strcmp(t[0], "sleep") == 0) {
      long long us;
      if (n != 2 || parse_num(t[1], &us) || us < 0 || us > 10000000) reply_err(EINVAL, "usage: sleep <microseconds, at most 10000000>");
      else {
        usleep((useconds_t)us);
        printf("ok\n");
      }
    } else reply_err(EINVAL, "unknown request (probe, map, btf, load, obj, run, update, freeze, dump, self, iter, close, cpu, sleep)");
    fflush(stdout);
    if (n_results == cap_results) {
      cap_results = cap_results ? cap_results * 2 : 256;
      results = realloc(results, cap_results * sizeof *results);
      if (results == NULL) return 1;
    }
    results[n_results++] = fd;
  }
  free(line);
  return 0;
}
