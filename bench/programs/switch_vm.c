/*
 * A tiny register-machine interpreter: a 16-opcode dense switch, the shape of protocol state machines
 * and filter interpreters. The bytecode (2-byte instructions: opcode, then two 4-bit register numbers
 * or an 8-bit immediate) is run `rounds` times over eight 64-bit registers on the stack.
 */
#include "bench.h"

struct vm_input {
  u32 rounds;
  u32 len; /* instructions */
  u8 code[];
};

u64 bpf_main(void *mem) {
  const struct vm_input *in = mem;
  u64 r[8];
  for (int i = 0; i < 8; i++) r[i] = (u64)i * 0x0101010101 + 1;
  for (u32 round = 0; round < in->rounds; round++) {
    for (u32 pc = 0; pc < in->len; pc++) {
      u8 op = in->code[2 * pc];
      u8 arg = in->code[2 * pc + 1];
      u32 a = arg & 7, b = (arg >> 4) & 7;
      switch (op & 15) {
      case 0: r[a] += r[b]; break;
      case 1: r[a] -= r[b]; break;
      case 2: r[a] ^= r[b]; break;
      case 3: r[a] *= r[b] | 1; break;
      case 4: r[a] += arg; break;
      case 5: r[a] <<= (r[b] & 31); break;
      case 6: r[a] >>= (r[b] & 31); break;
      case 7: r[a] = r[b]; break;
      case 8: r[a] |= (u64)arg << 24; break;
      case 9: r[a] &= r[b] | 0xff00ff; break;
      case 10: r[a] = (r[a] << 13) | (r[a] >> 51); break;
      case 11: r[a] = r[a] > r[b] ? r[a] - r[b] : r[b] - r[a]; break;
      case 12: r[a] = ~r[a]; break;
      case 13: r[a] += round; break;
      case 14: r[a] = r[a] * 0x9e3779b97f4a7c15ULL; break;
      case 15: if (r[b] & 1) r[a]++; break;
      }
    }
  }
  return r[0] ^ r[1] ^ r[2] ^ r[3] ^ r[4] ^ r[5] ^ r[6] ^ r[7];
}
