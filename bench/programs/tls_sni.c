/*
 * Read the server name (SNI) of TLS ClientHello messages the way an L7 filter does at tc or sk_skb:
 * the record header (handshake, TLS 1.0-1.3 version), the handshake header (ClientHello), then skip
 * the random, session id, cipher suites and compression methods, and walk the extensions (at most 64)
 * with a length check before every read: server_name gives the host name (lowercased and hashed, then
 * matched against a blocked domain suffix held in the header), ALPN is searched for "h2", and
 * supported_versions for TLS 1.3. Messages are length-prefixed records (u16 little-endian length, then
 * the TCP payload).
 */
#include "bench.h"

struct sni_input {
  u32 len;
  u32 suffix_len; /* blocked suffix length, at most 32 */
  u8 suffix[32];  /* e.g. ".example.com" */
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be24(const u8 *p) { return (u32)p[0] << 16 | (u32)p[1] << 8 | p[2]; }

#define R_OK 0
#define R_NOT_TLS 1
#define R_BAD 2

u64 bpf_main(void *mem) {
  const struct sni_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u32 slen = in->suffix_len > 32 ? 32 : in->suffix_len;
  u64 acc = 0;
  u32 counts[3] = {0, 0, 0};
  u32 blocked = 0, h2 = 0, tls13 = 0, no_sni = 0;
  while (p + 2 <= end) {
    u32 mlen = p[0] | (p[1] << 8);
    const u8 *m = p + 2;
    const u8 *m_end = m + mlen;
    if (m_end > end) break;
    p = m_end;
    int result = R_BAD;
    do {
      if (m + 5 > m_end) break;
      if (m[0] != 22 || m[1] != 3 || m[2] > 4) { result = R_NOT_TLS; break; }
      const u8 *rec_end = m + 5 + be16(m + 3);
      if (rec_end > m_end) break;
      const u8 *h = m + 5;
      if (h + 4 > rec_end || h[0] != 1) { result = R_NOT_TLS; break; }
      const u8 *hs_end = h + 4 + be24(h + 1);
      if (hs_end > rec_end) break;
      h += 4;
      if (h + 2 + 32 + 1 > hs_end) break; /* version, random, session id length */
      h += 34;
      u32 sid = h[0];
      if (sid > 32) break;
      h += 1 + sid;
      if (h + 2 > hs_end) break;
      u32 cs = be16(h);
      if (cs & 1) break;
      h += 2 + cs;
      if (h + 1 > hs_end) break;
      h += 1 + h[0];
      if (h + 2 > hs_end) break;
      const u8 *ext_end = h + 2 + be16(h);
      if (ext_end > hs_end) break;
      h += 2;
      int ok = 1, have_sni = 0;
      for (int n = 0; n < 64 && h + 4 <= ext_end; n++) {
        u32 type = be16(h), elen = be16(h + 2);
        const u8 *e = h + 4;
        h = e + elen;
        if (h > ext_end) { ok = 0; break; }
        if (type == 0) {
          /* server_name: list length, then entries of type (0: host name), length, name */
          if (e + 5 > h || e + 2 + be16(e) > h || e[2] != 0) { ok = 0; break; }
          u32 nlen = be16(e + 3);
          const u8 *name = e + 5;
          if (nlen == 0 || nlen > 255 || name + nlen > h) { ok = 0; break; }
          u32 hash = 2166136261u;
          for (u32 i = 0; i < nlen; i++) {
            u8 c = name[i];
            if (c >= 'A' && c <= 'Z') c += 32;
            hash = (hash ^ c) * 16777619u;
          }
          acc += hash;
          have_sni = 1;
          /* a match is the whole suffix at the end of the name, compared without case */
          if (slen > 0 && nlen >= slen) {
            u32 i = 0;
            for (; i < slen; i++) {
              u8 c = name[nlen - slen + i];
              if (c >= 'A' && c <= 'Z') c += 32;
              if (c != in->suffix[i]) break;
            }
            if (i == slen) blocked++;
          }
        } else if (type == 16) {
          /* ALPN: list length, then protocols of a 1-byte length */
          if (e + 2 > h) { ok = 0; break; }
          const u8 *q = e + 2;
          const u8 *q_end = e + 2 + be16(e);
          if (q_end > h) { ok = 0; break; }
          for (int k = 0; k < 16 && q + 1 <= q_end; k++) {
            u32 l = q[0];
            if (q + 1 + l > q_end) break;
            if (l == 2 && q[1] == 'h' && q[2] == '2') h2++;
            q += 1 + l;
          }
        } else if (type == 43) {
          /* supported_versions: a 1-byte length, then versions */
          if (e + 1 > h) { ok = 0; break; }
          u32 l = e[0];
          if (e + 1 + l > h) { ok = 0; break; }
          for (u32 k = 0; k + 1 < l && k < 32; k += 2)
            if (e[1 + k] == 3 && e[2 + k] == 4) { tls13++; break; }
        }
      }
      if (!ok) break;
      if (!have_sni) no_sni++;
      result = R_OK;
    } while (0);
    counts[result]++;
  }
  return acc ^ ((u64)counts[0] << 48) ^ ((u64)counts[1] << 36) ^ ((u64)counts[2] << 24) ^ ((u64)blocked << 16) ^
         ((u64)h2 << 8) ^ tls13 ^ ((u64)no_sni << 56);
}
