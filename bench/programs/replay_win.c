/*
 * A WireGuard-style data path as an XDP or tc program would check it: each UDP payload's message type
 * selects the expected length (handshake initiation 148 bytes, response 92, cookie reply 64, transport
 * data at least 32 and a multiple of 16 after its header); a transport message names its receiver by a
 * 32-bit index, found in a peer table (index masked, the entry's index compared); its 64-bit
 * little-endian counter is checked against the peer's anti-replay window (RFC 6479: a ring of 64-bit
 * words holding 2048 bits; a counter beyond the top advances it, clearing the words passed; one below
 * the window or seen already is rejected), and accepted bytes counted per peer. Payloads are
 * length-prefixed records.
 */
#include "bench.h"

#define WORDS 32 /* 2048 bits */

struct peer {
  u32 index;
  u32 rx_packets;
  u64 rx_bytes;
  u64 top; /* highest counter accepted + 1 (0: none yet) */
  u64 bitmap[WORDS];
};

struct wg_input {
  u32 len;
  u32 log2peers;
  u32 peers_off;
  u32 zero;
  u8 data[];
};

static inline u32 le32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static inline u64 le64(const u8 *p) { return le32(p) | (u64)le32(p + 4) << 32; }

static inline int replay_check(struct peer *pr, u64 ctr) {
  if (ctr >= pr->top) {
    u64 idx = ctr >> 6;
    u64 cur = pr->top == 0 ? 0 : (pr->top - 1) >> 6;
    u64 diff = pr->top == 0 ? WORDS : idx - cur;
    if (diff > WORDS) diff = WORDS;
    for (u64 i = 1; i <= diff; i++) pr->bitmap[(cur + i) & (WORDS - 1)] = 0;
    if (pr->top == 0) pr->bitmap[cur & (WORDS - 1)] = 0;
    pr->top = ctr + 1;
  } else if (pr->top - ctr > (WORDS - 1) * 64) {
    return 0;
  }
  u64 *w = &pr->bitmap[(ctr >> 6) & (WORDS - 1)];
  u64 bit = 1ull << (ctr & 63);
  if (*w & bit) return 0;
  *w |= bit;
  return 1;
}

u64 bpf_main(void *mem) {
  const struct wg_input *in = mem;
  struct peer *peers = (struct peer *)((u8 *)mem + in->peers_off);
  u32 mask = (1u << in->log2peers) - 1;
  for (u32 i = 0; i <= mask; i++) {
    peers[i].rx_packets = in->zero;
    peers[i].rx_bytes = in->zero;
    peers[i].top = in->zero;
  }
  const u8 *p = in->data;
  const u8 *end = p + in->len;
  u32 hs = 0, bad = 0, unknown = 0, replayed = 0;
  while (p + 2 <= end) {
    u32 n = p[0] | (u32)p[1] << 8;
    const u8 *m = p + 2;
    p = m + n;
    if (p > end) break;
    if (n < 4 || m[1] | m[2] | m[3]) { bad++; continue; }
    switch (m[0]) {
    case 1:
      if (n != 148) bad++; else hs++;
      continue;
    case 2:
      if (n != 92) bad++; else hs++;
      continue;
    case 3:
      if (n != 64) bad++; else hs++;
      continue;
    case 4:
      break;
    default:
      bad++;
      continue;
    }
    if (n < 32 || (n - 16) % 16 != 0) { bad++; continue; }
    u32 idx = le32(m + 4);
    struct peer *pr = &peers[idx & mask];
    if (pr->index != idx) { unknown++; continue; }
    if (!replay_check(pr, le64(m + 8))) { replayed++; continue; }
    pr->rx_packets++;
    pr->rx_bytes += n - 32;
  }
  u64 sum = 0;
  for (u32 i = 0; i <= mask; i++) sum = sum * 0x100000001b3ull + peers[i].rx_packets + (peers[i].rx_bytes << 20) + peers[i].top;
  return sum ^ (u64)hs << 48 ^ (u64)bad << 32 ^ (u64)unknown << 16 ^ replayed;
}
