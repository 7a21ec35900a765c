/*
 * Parse a stream of Ethernet frames the way an XDP program does: every header read is preceded by a
 * check against the end of the frame (data_end). Frames are length-prefixed records (u16 little-endian
 * length, then the frame); VLAN tags, IPv4 with options, IPv6, TCP and UDP are recognised, truncated
 * frames are dropped. The result mixes per-protocol counters and the ports seen.
 */
#include "bench.h"

struct pkt_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

static inline u16 be16(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }

u64 bpf_main(void *mem) {
  const struct pkt_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 tcp = 0, udp = 0, other = 0, dropped = 0, ports = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (p[1] << 8);
    const u8 *data = p + 2;
    const u8 *data_end = data + flen;
    if (data_end > end) break;
    p = data_end;
    const u8 *h = data;
    if (h + 14 > data_end) { dropped++; continue; }
    u16 proto = be16(h + 12);
    h += 14;
    if (proto == 0x8100 || proto == 0x88a8) {
      if (h + 4 > data_end) { dropped++; continue; }
      proto = be16(h + 2);
      h += 4;
    }
    u8 l4;
    if (proto == 0x0800) {
      if (h + 20 > data_end) { dropped++; continue; }
      u32 ihl = (h[0] & 15) * 4;
      if (ihl < 20 || h + ihl > data_end) { dropped++; continue; }
      if (be16(h + 6) & 0x3fff) { other++; continue; } /* a fragment */
      l4 = h[9];
      h += ihl;
    } else if (proto == 0x86dd) {
      if (h + 40 > data_end) { dropped++; continue; }
      l4 = h[6];
      h += 40;
    } else {
      other++;
      continue;
    }
    if (l4 == 6) {
      if (h + 20 > data_end) { dropped++; continue; }
      u32 doff = (h[12] >> 4) * 4;
      if (doff < 20 || h + doff > data_end) { dropped++; continue; }
      tcp++;
      ports += (u64)be16(h + 2) * 3 + be16(h) + (h[13] & 0x3f);
    } else if (l4 == 17) {
      if (h + 8 > data_end) { dropped++; continue; }
      udp++;
      ports += (u64)be16(h + 2) * 5 + be16(h + 4);
    } else {
      other++;
    }
  }
  return (tcp << 48) ^ (udp << 32) ^ (other << 16) ^ dropped ^ (ports << 8);
}
