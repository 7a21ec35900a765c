/*
 * Parse the question of DNS queries the way a DNS filter at XDP does: check the 12-byte header (a
 * query, one question), walk the name's labels with a bounds check before every read, refuse
 * compression pointers (no pointer is legal in a query's question name), reserved label types, labels
 * over 63 bytes and names over 255, lowercase the name while hashing it (djb2), then read QTYPE and
 * QCLASS. Messages are length-prefixed records (u16 little-endian length, then the UDP payload).
 */
#include "bench.h"

struct dns_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

#define MAX_LABELS 128

static inline u16 be16(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }

u64 bpf_main(void *mem) {
  const struct dns_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 ok = 0, refused = 0, truncated = 0, skipped = 0, acc = 0;
  u32 qtypes = 0;
  while (p + 2 <= end) {
    u32 mlen = p[0] | (p[1] << 8);
    const u8 *msg = p + 2;
    const u8 *msg_end = msg + mlen;
    if (msg_end > end) break;
    p = msg_end;
    if (msg + 12 > msg_end) { truncated++; continue; }
    u16 flags = be16(msg + 2);
    if ((flags & 0x8000) || ((flags >> 11) & 15) != 0 || be16(msg + 4) != 1) { skipped++; continue; }
    const u8 *q = msg + 12;
    u32 hash = 5381, namelen = 0, labels = 0;
    int status = 0; /* 0 walking, 1 done, 2 refused, 3 truncated */
    for (int i = 0; i < MAX_LABELS && status == 0; i++) {
      if (q + 1 > msg_end) { status = 3; break; }
      u32 l = *q;
      if (l == 0) { q++; status = 1; break; }
      if (l > 63) { status = 2; break; } /* a pointer (0xc0) or a reserved type (0x40, 0x80) */
      if (q + 1 + l > msg_end) { status = 3; break; }
      namelen += l + 1;
      if (namelen > 255) { status = 2; break; }
      for (u32 j = 1; j <= l; j++) {
        u32 c = q[j];
        if (c >= 'A' && c <= 'Z') c |= 0x20;
        hash = (hash << 5) + hash + c;
      }
      hash = (hash << 5) + hash + '.';
      labels++;
      q += 1 + l;
    }
    if (status == 2 || status == 0) { refused++; continue; }
    if (status == 3 || q + 4 > msg_end) { truncated++; continue; }
    u16 qtype = be16(q), qclass = be16(q + 2);
    if (qclass != 1) { refused++; continue; }
    ok++;
    qtypes += qtype;
    acc = (acc ^ hash) * 0x9e3779b97f4a7c15ULL + labels;
  }
  return acc ^ (ok << 48) ^ (refused << 32) ^ (truncated << 16) ^ skipped ^ ((u64)qtypes << 8);
}
