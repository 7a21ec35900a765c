/*
 * A connection tracker for TCP, as a stateful firewall keeps one: a flow table with open addressing
 * (linear probing, tombstones for deleted entries) in mem, keyed by the canonical 4-tuple (lower
 * endpoint first, so both directions find the same entry), and a TCP state machine per entry driven
 * by each packet's flags and direction. Entries time out by state; a RST or the end of TIME_WAIT frees
 * them. Returns a mix of per-state counts, invalid packets and table statistics.
 */
#include "bench.h"

enum { S_NONE, S_SYN_SENT, S_SYN_RECV, S_ESTABLISHED, S_FIN_WAIT, S_CLOSE_WAIT, S_LAST_ACK, S_TIME_WAIT, S_CLOSE };

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

#define SLOT_EMPTY 0
#define SLOT_USED 1
#define SLOT_DEAD 2

struct event {
  u32 saddr, daddr;
  u16 sport, dport;
  u8 flags;
  u8 pad[3];
  u32 ts; /* milliseconds */
  u32 pad2;
};

struct entry {
  u32 lo_addr, hi_addr;
  u16 lo_port, hi_port;
  u8 state;
  u8 slot;   /* SLOT_EMPTY, SLOT_USED or SLOT_DEAD */
  u8 orig;   /* 0: the originator is the lower endpoint, 1: the higher */
  u8 pad;
  u32 last;  /* time of the last packet */
  u32 packets;
};

struct ct_input {
  u32 nevents;
  u32 log2cap; /* table of 2^log2cap entries, 4-20 */
  struct event ev[]; /* nevents events, then the table */
};

static inline u32 timeout_of(u8 state) {
  switch (state) {
  case S_SYN_SENT:
  case S_SYN_RECV: return 5000;
  case S_ESTABLISHED: return 300000;
  case S_TIME_WAIT: return 2000;
  default: return 10000;
  }
}

static inline u32 flow_hash(u32 a, u32 b, u32 ports) {
  u32 h = a * 0x9e3779b1u;
  h ^= (b + 0x7f4a7c15u) * 0x85ebca77u;
  h ^= h >> 15;
  h += ports * 0xc2b2ae3du;
  h ^= h >> 13;
  h *= 0x27d4eb2fu;
  return h ^ (h >> 16);
}

/* The next state for a packet with `flags` seen in direction `reply` (0: from the originator). */
static inline u8 next_state(u8 st, u8 flags, int reply, u32 *invalid) {
  if (flags & F_RST) return S_CLOSE;
  switch (st) {
  case S_SYN_SENT:
    if (reply && (flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK)) return S_SYN_RECV;
    if (!reply && (flags & F_SYN)) return S_SYN_SENT; /* retransmitted SYN */
    break;
  case S_SYN_RECV:
    if (!reply && (flags & F_ACK) && !(flags & F_SYN)) return S_ESTABLISHED;
    if (reply && (flags & F_SYN)) return S_SYN_RECV;
    break;
  case S_ESTABLISHED:
    if (flags & F_FIN) return reply ? S_CLOSE_WAIT : S_FIN_WAIT;
    if (flags & F_SYN) break;
    return S_ESTABLISHED;
  case S_FIN_WAIT:
    if (reply && (flags & F_FIN)) return S_LAST_ACK;
    if (flags & F_ACK) return S_FIN_WAIT;
    break;
  case S_CLOSE_WAIT:
    if (!reply && (flags & F_FIN)) return S_LAST_ACK;
    if (flags & F_ACK) return S_CLOSE_WAIT;
    break;
  case S_LAST_ACK:
    if (flags & F_ACK) return S_TIME_WAIT;
    break;
  case S_TIME_WAIT:
    if (!reply && (flags & F_SYN) && !(flags & F_ACK)) return S_SYN_SENT; /* reopened */
    return S_TIME_WAIT;
  default:
    break;
  }
  (*invalid)++;
  return st;
}

u64 bpf_main(void *mem) {
  struct ct_input *in = mem;
  if (in->log2cap < 4 || in->log2cap > 20) return 0;
  u32 cap = 1u << in->log2cap;
  u32 mask = cap - 1;
  struct entry *table = (struct entry *)(in->ev + in->nevents);
  for (u32 i = 0; i < cap; i++) {
    table[i].slot = SLOT_EMPTY;
    table[i].packets = i;
  }
  u32 invalid = 0, created = 0, expired = 0, full = 0, untracked = 0, probes = 0;
  for (u32 e = 0; e < in->nevents; e++) {
    const struct event *ev = &in->ev[e];
    u32 a = ev->saddr, b = ev->daddr;
    u16 pa = ev->sport, pb = ev->dport;
    int swapped = a > b || (a == b && pa > pb);
    u32 lo = swapped ? b : a, hi = swapped ? a : b;
    u16 lop = swapped ? pb : pa, hip = swapped ? pa : pb;
    u32 h = flow_hash(lo, hi, (u32)lop << 16 | hip) & mask;
    u32 first_free = cap; /* the first dead slot on the probe path, reused by an insert */
    struct entry *found = 0;
    for (u32 n = 0; n < cap; n++) {
      struct entry *s = &table[h];
      probes++;
      if (s->slot == SLOT_EMPTY) {
        if (first_free == cap) first_free = h;
        break;
      }
      if (s->slot == SLOT_USED && ev->ts - s->last > timeout_of(s->state)) {
        s->slot = SLOT_DEAD; /* lazily expired */
        expired++;
      }
      if (s->slot == SLOT_DEAD) {
        if (first_free == cap) first_free = h;
      } else if (s->lo_addr == lo && s->hi_addr == hi && s->lo_port == lop && s->hi_port == hip) {
        found = s;
        break;
      }
      h = (h + 1) & mask;
    }
    if (found == 0) {
      /* Only a SYN without ACK opens a connection; anything else is untracked. */
      if ((ev->flags & (F_SYN | F_ACK | F_RST)) != F_SYN) {
        untracked++;
        continue;
      }
      if (first_free == cap) {
        full++;
        continue;
      }
      struct entry *s = &table[first_free];
      s->lo_addr = lo;
      s->hi_addr = hi;
      s->lo_port = lop;
      s->hi_port = hip;
      s->orig = swapped;
      s->state = S_SYN_SENT;
      s->slot = SLOT_USED;
      s->last = ev->ts;
      s->packets = 1;
      created++;
      continue;
    }
    int reply = swapped != found->orig;
    u8 st = next_state(found->state, ev->flags, reply, &invalid);
    found->packets++;
    found->last = ev->ts;
    if (st == S_CLOSE) found->slot = SLOT_DEAD;
    found->state = st;
  }
  u32 per_state[9];
  for (int i = 0; i < 9; i++) per_state[i] = 0;
  u64 pk = 0;
  for (u32 i = 0; i < cap; i++) {
    if (table[i].slot != SLOT_USED) continue;
    per_state[table[i].state]++;
    pk += table[i].packets;
  }
  u64 r = 0;
  for (int i = 0; i < 9; i++) r = r * 131 + per_state[i];
  return r ^ ((u64)invalid << 40) ^ ((u64)created << 20) ^ ((u64)expired << 8) ^ full ^ ((u64)untracked << 30) ^ (pk << 48) ^ ((u64)probes << 3);
}
