/*
 * Parse QUIC datagrams (RFC 9000 section 17) the way a load balancer routing on connection IDs does:
 * a datagram holds one or more coalesced packets; a long header (Initial, 0-RTT, Handshake, Retry, or
 * Version Negotiation when the version is 0) carries the version, the destination and source
 * connection IDs (at most 20 bytes each), for an Initial a token whose length is a variable-length
 * integer, then the payload length as a variable-length integer (2-bit length prefix: 1, 2, 4 or 8
 * bytes, big-endian); a short header (1-RTT) carries a destination connection ID of the length the
 * load balancer configured and runs to the end of the datagram. Every read is checked against the
 * datagram's end. The destination IDs are hashed (their first byte encodes a server ID, as QUIC-LB
 * does), the packet numbers read, and the malformed packets counted by reason.
 * Datagrams are length-prefixed records (u16 little-endian length, then the datagram).
 */
#include "bench.h"

struct quic_input {
  u32 len;       /* bytes of records after the header */
  u32 short_cid; /* the destination connection ID length of short headers */
  u8 data[];
};

/* A variable-length integer at *pp, at most to end; returns 0 and leaves *pp when it does not fit. */
static inline int varint(const u8 **pp, const u8 *end, u64 *out) {
  const u8 *p = *pp;
  if (p + 1 > end) return 0;
  u32 n = 1u << (p[0] >> 6);
  if (p + n > end) return 0;
  u64 v = p[0] & 0x3f;
  for (u32 i = 1; i < n; i++) v = v << 8 | p[i];
  *pp = p + n;
  *out = v;
  return 1;
}

static inline u64 cid_hash(const u8 *p, u32 n, u64 h) {
  for (u32 i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

u64 bpf_main(void *mem) {
  const struct quic_input *in = mem;
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 scid_len = in->short_cid;
  u64 h = 0xcbf29ce484222325ull;
  u32 kinds[6] = {0, 0, 0, 0, 0, 0}; /* initial, 0-rtt, handshake, retry, version negotiation, short */
  u32 bad_fixed = 0, bad_len = 0, bad_cid = 0, truncated = 0, servers = 0;
  u64 pn_sum = 0, token_bytes = 0, payload = 0;
  while (p + 2 <= stop) {
    u32 dlen = p[0] | (u32)p[1] << 8;
    const u8 *q = p + 2;
    const u8 *end = q + dlen;
    if (end > stop) break;
    p = end;
    while (q < end) {
      u32 first = q[0];
      if (!(first & 0x80)) {
        /* short header: fixed bit, DCID, then a 1-4 byte packet number */
        if (!(first & 0x40)) { bad_fixed++; break; }
        if (q + 1 + scid_len + 4 > end) { truncated++; break; }
        h = cid_hash(q + 1, scid_len, h);
        servers += q[1] >> 5;
        u32 pnl = (first & 3) + 1;
        u32 pn = 0;
        const u8 *pp = q + 1 + scid_len;
        for (u32 i = 0; i < pnl; i++) pn = pn << 8 | pp[i];
        pn_sum += pn;
        payload += (u64)(end - pp) - pnl;
        kinds[5]++;
        break;
      }
      if (q + 7 > end) { truncated++; break; }
      u32 version = (u32)q[1] << 24 | (u32)q[2] << 16 | (u32)q[3] << 8 | q[4];
      u32 dcl = q[5];
      if (dcl > 20) { bad_cid++; break; }
      const u8 *r = q + 6;
      if (r + dcl + 1 > end) { truncated++; break; }
      h = cid_hash(r, dcl, h);
      if (dcl > 0) servers += r[0] >> 5;
      r += dcl;
      u32 scl = r[0];
      if (scl > 20) { bad_cid++; break; }
      r++;
      if (r + scl > end) { truncated++; break; }
      h = cid_hash(r, scl, h ^ 0x5c);
      r += scl;
      if (version == 0) {
        /* version negotiation: a list of versions to the end */
        while (r + 4 <= end) {
          h ^= (u32)r[0] << 24 | (u32)r[1] << 16 | (u32)r[2] << 8 | r[3];
          h *= 0x100000001b3ull;
          r += 4;
        }
        kinds[4]++;
        break;
      }
      if (!(first & 0x40)) { bad_fixed++; break; }
      u32 type = (first >> 4) & 3;
      if (type == 3) {
        /* retry: token to the end, 16-byte integrity tag */
        if (end - r < 16) { truncated++; break; }
        token_bytes += (u64)(end - r) - 16;
        kinds[3]++;
        break;
      }
      if (type == 0) {
        u64 tl;
        if (!varint(&r, end, &tl)) { truncated++; break; }
        if (tl > (u64)(end - r)) { bad_len++; break; }
        token_bytes += tl;
        r += tl;
      }
      u64 plen;
      if (!varint(&r, end, &plen)) { truncated++; break; }
      u32 pnl = (first & 3) + 1;
      if (plen < pnl || plen > (u64)(end - r)) { bad_len++; break; }
      u32 pn = 0;
      for (u32 i = 0; i < pnl; i++) pn = pn << 8 | r[i];
      pn_sum += pn ^ version;
      payload += plen - pnl;
      kinds[type]++;
      q = r + plen;
    }
  }
  u64 k = 0;
  for (int i = 0; i < 6; i++) k = k * 4099 + kinds[i];
  return h ^ k ^ (pn_sum << 7) ^ (token_bytes << 21) ^ (payload << 29) ^
         ((u64)(bad_fixed + 3 * bad_len + 5 * bad_cid + 7 * truncated) << 48) ^ ((u64)servers << 33);
}
