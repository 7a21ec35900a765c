/*
 * A ring-buffer record stream, as a tracing program writes events for user space to read: each event
 * is encoded compactly (the timestamp as a delta from the previous one, the pid, an event type, a
 * signed value zigzag-encoded, and a variable-length payload of 0-12 bytes), every integer as LEB128,
 * behind an 8-byte aligned header word (length, a type and a committed bit); the ring of 2^log2size
 * bytes wraps byte by byte. A consumer drains it every `drain_every` events (decoding and summing the
 * records it reads), so a producer that finds no room drops the event and counts it, as a full BPF
 * ring buffer does.
 */
#include "bench.h"

struct event {
  u64 ts;
  u32 pid;
  u32 type;
  s64 value;
  u32 plen; /* 0-12 */
  u8 payload[12];
};

struct rb_input {
  u32 nevents;
  u32 log2size;    /* 8-20 */
  u32 drain_every; /* 1-1024 */
  u32 reserved;
  struct event ev[]; /* nevents, then the ring */
};

#define HDR 4
#define COMMITTED 0x80000000u

static inline u32 put_varint(u8 *ring, u32 mask, u32 pos, u64 v) {
  while (v >= 0x80) {
    ring[pos & mask] = (u8)v | 0x80;
    v >>= 7;
    pos++;
  }
  ring[pos & mask] = (u8)v;
  return pos + 1;
}

static inline u32 get_varint(const u8 *ring, u32 mask, u32 pos, u64 *out) {
  u64 v = 0;
  for (u32 shift = 0; shift < 64; shift += 7) {
    u8 b = ring[pos & mask];
    pos++;
    v |= (u64)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *out = v;
  return pos;
}

static inline u32 varint_len(u64 v) {
  u32 n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

u64 bpf_main(void *mem) {
  struct rb_input *in = mem;
  if (in->log2size < 8 || in->log2size > 20 || in->drain_every == 0 || in->drain_every > 1024) return 0;
  u32 size = 1u << in->log2size;
  u32 mask = size - 1;
  u8 *ring = (u8 *)(in->ev + in->nevents);
  u32 prod = 0, cons = 0, dropped = 0, records = 0;
  u64 last_ts = 0, cons_ts = 0, sum = 0;
  for (u32 e = 0; e <= in->nevents; e++) {
    if (e == in->nevents || (e > 0 && e % in->drain_every == 0)) {
      /* the consumer: read every committed record up to the producer */
      while (cons != prod) {
        u32 hdr = (u32)ring[cons & mask] | (u32)ring[(cons + 1) & mask] << 8 | (u32)ring[(cons + 2) & mask] << 16 |
                  (u32)ring[(cons + 3) & mask] << 24;
        if (!(hdr & COMMITTED)) break;
        u32 len = hdr & 0xffff;
        u32 pos = cons + HDR;
        u64 dts, pid, type, zz, plen;
        pos = get_varint(ring, mask, pos, &dts);
        pos = get_varint(ring, mask, pos, &pid);
        pos = get_varint(ring, mask, pos, &type);
        pos = get_varint(ring, mask, pos, &zz);
        pos = get_varint(ring, mask, pos, &plen);
        s64 value = (s64)(zz >> 1) ^ -(s64)(zz & 1);
        u32 ph = 0;
        for (u32 i = 0; i < plen && i < 15; i++) ph = ph * 31 + ring[(pos + i) & mask];
        cons_ts += dts;
        sum += cons_ts ^ (pid << 20) ^ (type << 40) ^ (u64)value ^ ph;
        records++;
        cons += (HDR + len + 7) & ~7u;
      }
      if (e == in->nevents) break;
    }
    const struct event *ev = &in->ev[e];
    u64 dts = ev->ts - last_ts;
    u64 zz = (u64)(ev->value << 1) ^ (u64)(ev->value >> 63);
    u32 plen = ev->plen > 12 ? 12 : ev->plen;
    u32 len = varint_len(dts) + varint_len(ev->pid) + varint_len(ev->type) + varint_len(zz) + 1 + plen;
    u32 need = (HDR + len + 7) & ~7u;
    if (prod - cons + need > size) {
      dropped++;
      continue;
    }
    u32 pos = prod + HDR;
    pos = put_varint(ring, mask, pos, dts);
    pos = put_varint(ring, mask, pos, ev->pid);
    pos = put_varint(ring, mask, pos, ev->type);
    pos = put_varint(ring, mask, pos, zz);
    pos = put_varint(ring, mask, pos, plen);
    for (u32 i = 0; i < plen; i++) ring[(pos + i) & mask] = ev->payload[i];
    u32 hdr = len | (ev->type & 0x7fff) << 16 | COMMITTED;
    ring[prod & mask] = hdr;
    ring[(prod + 1) & mask] = hdr >> 8;
    ring[(prod + 2) & mask] = hdr >> 16;
    ring[(prod + 3) & mask] = hdr >> 24;
    prod += need;
    last_ts = ev->ts;
  }
  return sum ^ ((u64)records << 44) ^ ((u64)dropped << 24) ^ prod;
}
