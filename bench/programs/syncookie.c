/*
 * SYN cookies (D. J. Bernstein; RFC 4987 section 3.6), as an XDP SYN proxy answers a SYN flood without
 * keeping state: for a SYN, the server's initial sequence number encodes a 5-bit time counter, a 3-bit
 * index into a table of MSS values (the largest not above the client's) and a 24-bit keyed hash of the
 * 4-tuple, the counter and the client's sequence number (Bob Jenkins' lookup3 mixing with a secret);
 * for the ACK that completes the handshake, the cookie (acknowledgment number minus one) is checked:
 * the counter at most one step old, the hash recomputed, the MSS decoded. Events are SYNs and ACKs;
 * an ACK names the SYN whose cookie it echoes (its client writes it back), some with a wrong number,
 * some too late and some from another port.
 */
#include "bench.h"

struct event {
  u32 saddr, daddr;
  u16 sport, dport;
  u32 seq;     /* the client's sequence number */
  u32 ts;      /* seconds */
  u16 mss;     /* SYN: the client's MSS option (0: none) */
  u8 is_ack;
  u8 pad;
  u32 echo;    /* ACK: index of the SYN whose cookie is echoed */
  u32 perturb; /* ACK: added to the echoed acknowledgment number */
  u32 cookie;  /* SYN: written with the cookie sent back */
};

struct sc_input {
  u32 nevents;
  u32 secret[3];
  struct event ev[];
};

static inline u32 rol32(u32 x, u32 k) { return (x << k) | (x >> (32 - k)); }

/* lookup3's final mix of three words. */
static inline u32 final3(u32 a, u32 b, u32 c) {
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
  return c;
}

/* lookup3's hash of six words (two mix rounds folded into the final one) with an initial value. */
static inline u32 hash6(u32 w0, u32 w1, u32 w2, u32 w3, u32 w4, u32 w5, u32 init) {
  u32 a = 0xdeadbeef + (6 << 2) + init, b = a, c = a;
  a += w0; b += w1; c += w2;
  a -= c; a ^= rol32(c, 4); c += b;
  b -= a; b ^= rol32(a, 6); a += c;
  c -= b; c ^= rol32(b, 8); b += a;
  a -= c; a ^= rol32(c, 16); c += b;
  b -= a; b ^= rol32(a, 19); a += c;
  c -= b; c ^= rol32(b, 4); b += a;
  a += w3; b += w4; c += w5;
  return final3(a, b, c);
}

static inline u32 mss_value(u32 i) {
  u32 v = 536;
  if (i >= 1) v = 1220;
  if (i >= 2) v = 1300;
  if (i >= 3) v = 1360;
  if (i >= 4) v = 1400;
  if (i >= 5) v = 1440;
  if (i >= 6) v = 1452;
  if (i >= 7) v = 1460;
  return v;
}

static inline u32 cookie_hash(const struct sc_input *in, const struct event *ev, u32 t, u32 seq) {
  return hash6(ev->saddr, ev->daddr, (u32)ev->sport << 16 | ev->dport, seq, t, in->secret[0], in->secret[1] ^ in->secret[2] * t) & 0xffffff;
}

u64 bpf_main(void *mem) {
  struct sc_input *in = mem;
  u32 syns = 0, valid = 0, bad_hash = 0, stale = 0, bad_ref = 0;
  u64 acc = 0;
  for (u32 i = 0; i < in->nevents; i++) {
    struct event *ev = &in->ev[i];
    u32 t = ev->ts >> 6; /* a 64-second counter */
    if (!ev->is_ack) {
      u32 idx = 0;
      if (ev->mss == 0) idx = 0;
      else
        for (u32 k = 7; k > 0; k--)
          if (mss_value(k) <= ev->mss) { idx = k; break; }
      u32 cookie = ((t & 31) << 27 | idx << 24 | cookie_hash(in, ev, t, ev->seq)) + ev->seq;
      ev->cookie = cookie;
      syns++;
      acc += cookie;
      continue;
    }
    if (ev->echo >= i || in->ev[ev->echo].is_ack) { bad_ref++; continue; }
    u32 ack = in->ev[ev->echo].cookie + 1 + ev->perturb;
    /* the ACK's own sequence number is the SYN's plus one */
    u32 seq = ev->seq - 1;
    u32 c = ack - 1 - seq;
    u32 ct = c >> 27;
    u32 age = (t - ct) & 31;
    if (age > 1) { stale++; continue; }
    u32 tc = t - age; /* the full counter the cookie was made with */
    if ((c & 0xffffff) != cookie_hash(in, ev, tc, seq)) {
      bad_hash++;
      continue;
    }
    valid++;
    acc = acc * 17 + mss_value((c >> 24) & 7);
  }
  return acc ^ ((u64)syns << 48) ^ ((u64)valid << 32) ^ ((u64)bad_hash << 16) ^ ((u64)stale << 8) ^ bad_ref;
}
