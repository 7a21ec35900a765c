/*
 * Internet checksums (RFC 1071) over `count` 64-byte packets, each an IPv4 header of 20 bytes followed
 * by a 44-byte TCP segment: the IP header checksum and the TCP checksum with its pseudo-header, summed
 * 16 bits at a time and folded, as a NAT or checksum-verifying program does.
 */
#include "bench.h"

struct csum_input {
  u32 count;
  u32 reserved;
  u8 pkts[];
};

static inline u32 fold(u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

u64 bpf_main(void *mem) {
  const struct csum_input *in = mem;
  u64 result = 0;
  for (u32 i = 0; i < in->count; i++) {
    const u8 *ip = in->pkts + (u64)i * 64;
    const u16 *w = (const u16 *)ip;
    u32 sum = 0;
    for (int k = 0; k < 10; k++) sum += w[k];
    u32 ipsum = (~fold(sum)) & 0xffff;
    /* pseudo-header: addresses, protocol, TCP length (44) */
    u32 psum = w[6] + w[7] + w[8] + w[9] + ((u32)ip[9] << 8) + (44 << 8);
    const u16 *t = (const u16 *)(ip + 20);
    for (int k = 0; k < 22; k++) psum += t[k];
    u32 tcpsum = (~fold(psum)) & 0xffff;
    result = result * 31 + (ipsum << 16 | tcpsum);
  }
  return result;
}
