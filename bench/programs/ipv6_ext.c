/*
 * Walk the IPv6 extension-header chain of a stream of Ethernet frames the way an XDP or tc program does:
 * hop-by-hop options, routing (segments left read), fragment (non-first fragments stop the walk),
 * destination options and AH, at most 8 headers, every read checked against the frame end (data_end).
 * Frames are length-prefixed records (u16 little-endian length, then the frame). The upper layer (TCP,
 * UDP, ICMPv6) is read when it is reached; the result mixes counters and the ports seen.
 */
#include "bench.h"

struct v6_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

#define MAX_EXT 8

static inline u16 be16(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }

u64 bpf_main(void *mem) {
  const struct v6_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 tcp = 0, udp = 0, icmp = 0, frags = 0, dropped = 0, other = 0, deep = 0, ports = 0, segs = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (p[1] << 8);
    const u8 *h = p + 2;
    const u8 *data_end = h + flen;
    if (data_end > end) break;
    p = data_end;
    if (h + 14 > data_end) { dropped++; continue; }
    if (be16(h + 12) != 0x86dd) { other++; continue; }
    h += 14;
    if (h + 40 > data_end) { dropped++; continue; }
    if ((h[0] >> 4) != 6) { dropped++; continue; }
    u8 nh = h[6];
    h += 40;
    int bad = 0, fragment = 0, n;
    for (n = 0; n < MAX_EXT; n++) {
      if (nh == 0 || nh == 43 || nh == 60) {
        if (h + 8 > data_end) { bad = 1; break; }
        u32 hlen = ((u32)h[1] + 1) * 8;
        if (h + hlen > data_end) { bad = 1; break; }
        if (nh == 43) segs += h[3] + ((u32)h[2] << 8);
        nh = h[0];
        h += hlen;
      } else if (nh == 44) {
        if (h + 8 > data_end) { bad = 1; break; }
        if (be16(h + 2) & 0xfff8) { fragment = 1; break; } /* not the first fragment: no upper header */
        nh = h[0];
        h += 8;
      } else if (nh == 51) {
        if (h + 8 > data_end) { bad = 1; break; }
        u32 hlen = ((u32)h[1] + 2) * 4;
        if (h + hlen > data_end) { bad = 1; break; }
        nh = h[0];
        h += hlen;
      } else {
        break;
      }
    }
    if (bad) { dropped++; continue; }
    if (fragment) { frags++; continue; }
    if (n == MAX_EXT) { deep++; continue; }
    if (nh == 6) {
      if (h + 20 > data_end) { dropped++; continue; }
      tcp++;
      ports += (u64)be16(h) * 7 + be16(h + 2) + (h[13] & 0x3f);
    } else if (nh == 17) {
      if (h + 8 > data_end) { dropped++; continue; }
      udp++;
      ports += (u64)be16(h + 2) * 3 + be16(h + 4);
    } else if (nh == 58) {
      if (h + 4 > data_end) { dropped++; continue; }
      icmp++;
      ports += (u64)h[0] << 8 | h[1];
    } else {
      other++;
    }
  }
  return (tcp << 48) ^ (udp << 40) ^ (icmp << 32) ^ (frags << 24) ^ (dropped << 16) ^ (other << 8) ^ deep ^
         (ports << 4) ^ (segs << 20);
}
