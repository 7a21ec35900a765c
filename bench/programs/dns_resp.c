/*
 * DNS responses (RFC 1035) walked the way a DNS-aware XDP or tc program inspects them: the header's
 * counts, the question skipped, then every resource record of the answer, authority and additional
 * sections: its owner name read with compression (RFC 1035 section 4.1.4: a pointer, two bytes with the
 * top bits set, sends the reader to an earlier offset of the message; pointers must point backwards
 * and at most 16 are followed), lowercased and hashed label by label, then type, class, TTL and the
 * record data's length. A records' addresses and AAAA records' high words are summed, the names inside
 * CNAME and NS data decompressed and hashed too, the minimum TTL of the answers kept. Every read is
 * checked against the message's end; malformed messages are counted and left. Messages are
 * length-prefixed records (u16 little-endian length, then the message).
 */
#include "bench.h"

struct dnsr_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

/*
 * Read the name at offset off of msg (len bytes); returns the offset just after the name where it
 * started (after its first pointer, if any) or 0 when malformed; *hash gets the name's hash.
 */
static u32 read_name(const u8 *msg, u32 len, u32 off, u32 *hash) {
  u32 h = 0x811c9dc5u;
  u32 next = 0, jumps = 0, total = 0;
  u32 limit = off; /* a pointer must point before the name part that holds it */
  for (;;) {
    if (off >= len) return 0;
    u32 c = msg[off];
    if (c == 0) {
      off++;
      break;
    }
    if ((c & 0xc0) == 0xc0) {
      if (off + 1 >= len) return 0;
      u32 to = (c & 0x3f) << 8 | msg[off + 1];
      if (to >= limit || ++jumps > 16) return 0;
      if (next == 0) next = off + 2;
      off = to;
      limit = to;
      continue;
    }
    if (c & 0xc0) return 0;
    if (off + 1 + c > len) return 0;
    total += c + 1;
    if (total > 255) return 0;
    for (u32 i = 1; i <= c; i++) {
      u32 b = msg[off + i];
      if (b - 'A' < 26) b |= 0x20;
      h = (h ^ b) * 0x01000193u;
    }
    h = (h ^ '.') * 0x01000193u;
    off += c + 1;
  }
  *hash = h;
  return next ? next : off;
}

u64 bpf_main(void *mem) {
  const struct dnsr_input *in = mem;
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 bad = 0, nx = 0, trunc = 0, a = 0, aaaa = 0, cname = 0, other = 0;
  u64 names = 0, addrs = 0, ttls = 0;
  while (p + 2 <= stop) {
    u32 mlen = p[0] | (u32)p[1] << 8;
    const u8 *msg = p + 2;
    if (msg + mlen > stop) break;
    p = msg + mlen;
    if (mlen < 12) { bad++; continue; }
    u32 flags = be16(msg + 2);
    if (!(flags & 0x8000)) { bad++; continue; }
    if (flags & 0x0200) trunc++;
    if ((flags & 15) == 3) nx++;
    u32 qd = be16(msg + 4), an = be16(msg + 6), ns = be16(msg + 8), ar = be16(msg + 10);
    u32 off = 12, ok = 1, h;
    for (u32 i = 0; i < qd && ok; i++) {
      off = read_name(msg, mlen, off, &h);
      if (off == 0 || off + 4 > mlen) { ok = 0; break; }
      names += h;
      off += 4;
    }
    u32 min_ttl = 0xffffffffu;
    u32 nrr = an + ns + ar;
    for (u32 i = 0; i < nrr && ok; i++) {
      off = read_name(msg, mlen, off, &h);
      if (off == 0 || off + 10 > mlen) { ok = 0; break; }
      u32 type = be16(msg + off), ttl = be32(msg + off + 4), rdlen = be16(msg + off + 8);
      off += 10;
      if (off + rdlen > mlen) { ok = 0; break; }
      names = names * 3 + h;
      if (i < an && ttl < min_ttl) min_ttl = ttl;
      if (type == 1 && rdlen == 4) {
        a++;
        addrs += be32(msg + off);
      } else if (type == 28 && rdlen == 16) {
        aaaa++;
        addrs += (u64)be32(msg + off) << 16 ^ be32(msg + off + 12);
      } else if (type == 5 || type == 2) {
        u32 hn;
        u32 e = read_name(msg, mlen, off, &hn);
        if (e == 0 || e > off + rdlen) { ok = 0; break; }
        cname++;
        names ^= (u64)hn << 21;
      } else {
        other++;
      }
      off += rdlen;
    }
    if (!ok) { bad++; continue; }
    if (an) ttls += min_ttl;
  }
  return names ^ (addrs << 3) ^ (ttls << 29) ^ ((u64)(bad + 3 * nx + 5 * trunc) << 50) ^
         ((u64)(a + 7 * aaaa + 13 * cname + 17 * other) << 36);
}
