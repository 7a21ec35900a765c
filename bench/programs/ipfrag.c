/*
 * IPv4 fragment reassembly with the hole descriptor lists of RFC 815, as a defragmenting XDP program
 * or a middlebox keeps it: fragments (IPv4 headers then payload) of interleaved datagrams arrive in any
 * order, some duplicated or overlapping; each datagram (source address, identification, protocol) has a
 * slot of a small direct-mapped table (a collision evicts the older datagram) with a list of at most 16
 * holes, each fragment cutting the holes it overlaps, the last fragment (MF clear) fixing the length.
 * The payload is copied into the slot's buffer by 8-byte words (the last fragment's tail by bytes);
 * when no hole is left the datagram is complete and its buffer hashed. Fragments are length-prefixed
 * records (u16 little-endian length, then the IPv4 packet, padded so that every record's payload is
 * 8-byte aligned in mem).
 */
#include "bench.h"

#define MAXHOLES 16
#define BUFSZ 4096

struct slot {
  u32 saddr;
  u16 id;
  u8 proto;
  u8 used;
  u32 nholes;
  u32 total; /* 0: the last fragment not seen */
  u16 first[MAXHOLES];
  u16 last[MAXHOLES];
};

struct frag_input {
  u32 len;
  u32 log2slots;
  u32 slots_off;
  u32 bufs_off;
  u64 zero; /* 0: the clearing value */
  u16 pad;  /* so that records start 2 bytes past a multiple of 8 and payloads are 8-byte aligned */
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

u64 bpf_main(void *mem) {
  const struct frag_input *in = mem;
  struct slot *slots = (struct slot *)((u8 *)mem + in->slots_off);
  u8 *bufs = (u8 *)mem + in->bufs_off;
  u32 mask = (1u << in->log2slots) - 1;
  for (u32 i = 0; i <= mask; i++) slots[i].used = (u8)in->zero;
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 complete = 0, evicted = 0, bad = 0, dup = 0, overflow = 0, whole = 0;
  u64 digest = 0;
  while (p + 2 <= stop) {
    u32 plen = p[0] | (u32)p[1] << 8;
    const u8 *h = p + 2;
    const u8 *end = h + plen;
    if (end > stop) break;
    p = end;
    if (h + 20 > end || h[0] != 0x45) { bad++; continue; }
    u32 tot = be16(h + 2);
    if (tot < 20 || h + tot > end) { bad++; continue; }
    u32 fo = be16(h + 6);
    u32 mf = (fo >> 13) & 1;
    u32 first = (fo & 0x1fff) * 8;
    u32 dlen = tot - 20;
    if (!mf && first == 0) { whole++; continue; }
    if (dlen == 0 || (mf && (dlen & 7)) || first + dlen > BUFSZ) { bad++; continue; }
    u32 fl = first + dlen - 1;
    u32 saddr = be32(h + 12), id = be16(h + 4), proto = h[9];
    u32 si = ((saddr * 0x9e3779b1u) ^ (id * 0x85ebca6bu) ^ proto) >> 7 & mask;
    struct slot *s = &slots[si];
    if (s->used && (s->saddr != saddr || s->id != id || s->proto != proto)) {
      evicted++;
      s->used = 0;
    }
    if (!s->used) {
      s->saddr = saddr;
      s->id = (u16)id;
      s->proto = (u8)proto;
      s->used = 1;
      s->nholes = 1;
      s->total = 0;
      s->first[0] = 0;
      s->last[0] = 0xffff;
    }
    /* cut the holes */
    u16 nf[MAXHOLES], nl[MAXHOLES];
    u32 n = 0, touched = 0, ok = 1;
    for (u32 k = 0; k < s->nholes && k < MAXHOLES; k++) {
      u32 hf = s->first[k], hl = s->last[k];
      if (first > hl || fl < hf) {
        if (n == MAXHOLES) { ok = 0; break; }
        nf[n] = (u16)hf;
        nl[n++] = (u16)hl;
        continue;
      }
      touched = 1;
      if (first > hf) {
        if (n == MAXHOLES) { ok = 0; break; }
        nf[n] = (u16)hf;
        nl[n++] = (u16)(first - 1);
      }
      if (fl < hl && mf) {
        if (n == MAXHOLES) { ok = 0; break; }
        nf[n] = (u16)(fl + 1);
        nl[n++] = (u16)hl;
      }
    }
    if (!ok) { overflow++; s->used = 0; continue; }
    if (!touched) { dup++; continue; }
    if (!mf) {
      s->total = fl + 1;
      /* holes past the end are gone */
      u32 m = 0;
      for (u32 k = 0; k < n; k++) {
        if (nf[k] > fl) continue;
        nf[m] = nf[k];
        nl[m++] = nl[k] > fl ? (u16)fl : nl[k];
      }
      n = m;
    }
    for (u32 k = 0; k < n; k++) {
      s->first[k] = nf[k];
      s->last[k] = nl[k];
    }
    s->nholes = n;
    /* copy the payload */
    u8 *buf = bufs + si * BUFSZ;
    const u8 *src = h + 20;
    u32 k = 0;
    for (; k + 8 <= dlen; k += 8) *(u64 *)(buf + first + k) = *(const u64 *)(src + k);
    for (; k < dlen; k++) buf[first + k] = src[k];
    if (n == 0 && s->total) {
      u64 d = 0xcbf29ce484222325ull;
      u32 t = s->total, j = 0;
      for (; j + 8 <= t; j += 8) d = (d ^ *(const u64 *)(buf + j)) * 0x100000001b3ull;
      for (; j < t; j++) d = (d ^ buf[j]) * 0x100000001b3ull;
      digest = digest * 31 + (d ^ t);
      complete++;
      s->used = 0;
    }
  }
  return digest ^ ((u64)complete << 32) ^ ((u64)evicted << 44) ^ ((u64)(bad + 3 * dup + 5 * overflow + 7 * whole) << 52);
}
