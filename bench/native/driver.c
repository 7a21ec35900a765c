/*
 * Native timing driver for one benchmark program: links with the program's own .c file (built with
 * cc -O2 by bench/native/native.ts) and times bpf_main on an input file.
 *
 *   driver MEMFILE          print "result=0x<r0>" after one run
 *   driver MEMFILE MS       also time: 8 batches of at least MS/8 milliseconds; print the ns per run of the
 *                           fastest batch (the machine is shared: interference only adds time) and the median
 *
 * Output is one line: result=0x... [ns=... runs=...]. Every benchmark program is idempotent on its
 * input (it writes only scratch areas it fully rewrites), so runs reuse the same buffer, as the VM does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bpf_main(void *mem);

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MEMFILE [MILLISECONDS]\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) {
    perror(argv[1]);
    return 2;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* 64-byte aligned like the VM's view of mem is 8-byte aligned: the programs assume 8. */
  void *mem = aligned_alloc(64, (size_t)(size + 64) & ~(size_t)63);
  if (mem == NULL || fread(mem, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  fclose(f);

  uint64_t result = bpf_main(mem);
  if (argc < 3) {
    printf("result=0x%llx\n", (unsigned long long)result);
    return 0;
  }
  double budget_ms = atof(argv[2]);
  const int batches = 8;
  double batch_ns = budget_ms * 1e6 / batches;

  /* Calibrate: double the run count until one batch takes at least batch_ns (this also warms up). */
  long runs = 1;
  for (;;) {
    double t0 = now_ns();
    for (long i = 0; i < runs; i++) {
      if (bpf_main(mem) != result) {
        fprintf(stderr, "result changed between runs\n");
        return 1;
      }
    }
    if (now_ns() - t0 >= batch_ns || runs >= (1L << 40)) break;
    runs *= 2;
  }
  double per_run[batches];
  for (int b = 0; b < batches; b++) {
    double t0 = now_ns();
    for (long i = 0; i < runs; i++) {
      if (bpf_main(mem) != result) {
        fprintf(stderr, "result changed between runs\n");
        return 1;
      }
    }
    per_run[b] = (now_ns() - t0) / (double)runs;
  }
  qsort(per_run, batches, sizeof per_run[0], compare_doubles);
  printf("result=0x%llx ns=%.3f median=%.3f runs=%ld\n", (unsigned long long)result, per_run[0],
         (per_run[batches / 2 - 1] + per_run[batches / 2]) / 2, runs * batches);
  return 0;
}
