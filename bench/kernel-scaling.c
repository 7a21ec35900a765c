/*
 * The kernel's own scaling of an XDP program over threads, the reference for `tsbpf run --workers N`
 * (issue 17): BPF_PROG_TEST_RUN with `repeat` runs, on 1 or 2 threads each pinned to its own CPU, on one
 * Ethernet/IPv4/TCP packet to port 80 (maps as the program leaves them: its own counters are shared).
 * Needs root (bpf()) and libbpf-dev. Build and run:
 *   gcc -O2 -o /tmp/kernel-scaling bench/kernel-scaling.c -lbpf -lpthread
 *   /tmp/kernel-scaling OBJ.o THREADS REPEAT ROUNDS      e.g. examples/xdp_firewall.o 2 1000000 5
 * Prints runs per second over all threads and the time per run per thread.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int prog_fd;
static unsigned char pkt[74];
static int repeat, rounds;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One thread: pinned to CPU `arg`, `rounds` test runs of `repeat` runs each. */
static void *worker(void *arg) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET((long)arg, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  for (int r = 0; r < rounds; r++) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof pkt, .repeat = repeat);
    if (bpf_prog_test_run_opts(prog_fd, &opts)) {
      perror("BPF_PROG_TEST_RUN");
      exit(1);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s OBJ.o THREADS(1-2) REPEAT ROUNDS\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[2]);
  repeat = atoi(argv[3]);
  rounds = atoi(argv[4]);
  if (threads < 1 || threads > 2 || repeat < 1 || rounds < 1) {
    fprintf(stderr, "THREADS is 1 or 2; REPEAT and ROUNDS are positive\n");
    return 2;
  }
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) {
    fprintf(stderr, "%s: cannot load (root and bpf() needed)\n", argv[1]);
    return 1;
  }
  prog_fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
  /* Ethernet, IPv4 10.0.0.1 -> 10.0.0.2 (TTL 64, protocol 6, total length 60), TCP 12345 -> 80 (doff 5). */
  pkt[12] = 0x08;
  pkt[14] = 0x45;
  pkt[17] = 60;
  pkt[22] = 64;
  pkt[23] = 6;
  pkt[26] = 10, pkt[29] = 1;
  pkt[30] = 10, pkt[33] = 2;
  pkt[34] = 0x30, pkt[35] = 0x39;
  pkt[37] = 80;
  pkt[46] = 0x50;
  pthread_t t[2];
  double t0 = now();
  for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  double dt = now() - t0, n = (double)threads * repeat * rounds;
  printf("%s threads=%d runs=%.0f wall=%.3fs %.1f Mruns/s %.1f ns/run/thread\n", argv[1], threads, n, dt, n / dt / 1e6,
         dt * 1e9 * threads / n);
  return 0;
}
