/*
 * TCP options as an XDP MSS clamper and SYN inspector walks them: for each IPv4 or IPv6 frame carrying
 * TCP (IPv4 options skipped by the header length), the options between the fixed header and the data
 * offset are walked one kind at a time (end, no-op, MSS, window scale, SACK permitted, timestamps, SACK
 * blocks, others by their length), every length validated and every read checked against the header's
 * end; on a SYN the MSS is clamped to the interface's limit, rewritten in place with an incremental
 * update of the TCP checksum (RFC 1624; a second run finds it clamped and leaves it). Per frame the
 * option set, window scale, the timestamp echo and the bytes covered by SACK blocks are folded into the
 * result. Frames are length-prefixed records.
 */
#include "bench.h"

struct opts_input {
  u32 len;
  u32 mss_limit; /* MSS clamp for IPv4; IPv6 uses 20 less */
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

u64 bpf_main(void *mem) {
  struct opts_input *in = mem;
  u8 *p = in->data;
  u8 *end = p + in->len;
  u64 sum = 0;
  u32 clamped = 0, malformed = 0, syns = 0, sackbytes = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (u32)p[1] << 8;
    u8 *f = p + 2;
    u8 *fend = f + flen;
    p = fend;
    if (fend > end) break;
    if (f + 14 > fend) continue;
    u32 et = be16(f + 12);
    u8 *tcp;
    u32 limit = in->mss_limit;
    if (et == 0x0800) {
      u8 *ip = f + 14;
      if (ip + 20 > fend || ip[9] != 6) continue;
      tcp = ip + (ip[0] & 15) * 4;
    } else if (et == 0x86dd) {
      u8 *ip = f + 14;
      if (ip + 40 > fend || ip[6] != 6) continue;
      tcp = ip + 40;
      limit -= 20;
    } else {
      continue;
    }
    if (tcp + 20 > fend) continue;
    u32 doff = (tcp[12] >> 4) * 4;
    u8 *oend = tcp + doff;
    if (doff < 20 || oend > fend) { malformed++; continue; }
    u32 flags = tcp[13];
    u32 set = 0, wscale = 0, tsecr = 0;
    u8 *o = tcp + 20;
    int bad = 0;
    for (u32 guard = 0; guard < 40 && o < oend; guard++) {
      u32 kind = o[0];
      if (kind == 0) break;
      if (kind == 1) { o++; continue; }
      if (o + 2 > oend) { bad = 1; break; }
      u32 olen = o[1];
      if (olen < 2 || o + olen > oend) { bad = 1; break; }
      switch (kind) {
      case 2:
        if (olen != 4) { bad = 1; break; }
        set |= 1;
        if ((flags & 2) && be16(o + 2) > limit) {
          u32 old = be16(o + 2);
          o[2] = (u8)(limit >> 8);
          o[3] = (u8)limit;
          u32 c = (~be16(tcp + 16) & 0xffff) + (~old & 0xffff) + limit;
          c = (c & 0xffff) + (c >> 16);
          c = (c & 0xffff) + (c >> 16);
          c = ~c & 0xffff;
          tcp[16] = (u8)(c >> 8);
          tcp[17] = (u8)c;
        }
        if (be16(o + 2) == limit) clamped++; /* after the clamp: the same on every run */
        break;
      case 3:
        if (olen != 3) { bad = 1; break; }
        set |= 2;
        wscale = o[2] > 14 ? 14 : o[2];
        break;
      case 4:
        if (olen != 2) { bad = 1; break; }
        set |= 4;
        break;
      case 8:
        if (olen != 10) { bad = 1; break; }
        set |= 8;
        tsecr = be32(o + 6);
        break;
      case 5:
        if ((olen - 2) % 8 != 0) { bad = 1; break; }
        set |= 16;
        for (u32 b = 2; b + 8 <= olen; b += 8) sackbytes += be32(o + b + 4) - be32(o + b);
        break;
      default:
        set |= 32;
        break;
      }
      if (bad) break;
      o += olen;
    }
    if (bad) { malformed++; continue; }
    if (flags & 2) syns++;
    sum = sum * 0x100000001b3ull + (set << 8 | wscale) + tsecr + be16(tcp + 16);
  }
  return sum ^ (u64)clamped << 48 ^ (u64)malformed << 32 ^ (u64)syns << 16 ^ sackbytes;
}
