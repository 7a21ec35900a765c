/*
 * HTTP/1.1 request heads as a layer-7 filter in XDP or a socket program reads them: the request line
 * (method token matched against the known methods, request target, "HTTP/1.x"), then header lines up to
 * the empty line, each name compared case-insensitively (8 bytes at a time against packed literals: the programs have no
 * data sections) with Host, Content-Length, Connection and
 * Transfer-Encoding; Host's value is hashed (lowercased, port dropped), Content-Length parsed as a
 * decimal. The path (up to '?') is matched against a route table in mem by the longest prefix that ends
 * on a segment boundary, each route allowing a set of methods. Every read is checked against the
 * request's end; malformed requests are counted. Requests are length-prefixed records (u16
 * little-endian length, then the bytes).
 */
#include "bench.h"

struct route {
  u8 len;
  u8 methods; /* bit per method */
  u8 id;
  u8 pad;
  u8 path[28];
};

struct http_input {
  u32 len;      /* bytes of request records */
  u32 nroutes;
  u32 routes_off;
  u32 reserved;
  u8 data[];
};

static inline u32 lower(u32 c) { return c - 'A' < 26 ? c | 0x20 : c; }

/* Do the n bytes at p equal, lowercased, the n (at most 8) bytes of lit (little-endian)? */
static inline int eq_lower(const u8 *p, u64 lit, u32 n) {
  for (u32 i = 0; i < n; i++)
    if (lower(p[i]) != ((lit >> (8 * i)) & 0xff)) return 0;
  return 1;
}

/* The method's number (1-9) or 0. */
static inline u32 method_of(const u8 *p, u32 n) {
  switch (n) {
  case 3:
    if (p[0] == 'G' && p[1] == 'E' && p[2] == 'T') return 1;
    if (p[0] == 'P' && p[1] == 'U' && p[2] == 'T') return 3;
    return 0;
  case 4:
    if (p[0] == 'P' && p[1] == 'O' && p[2] == 'S' && p[3] == 'T') return 2;
    if (p[0] == 'H' && p[1] == 'E' && p[2] == 'A' && p[3] == 'D') return 5;
    return 0;
  case 5:
    if (p[0] == 'P' && p[1] == 'A' && p[2] == 'T' && p[3] == 'C' && p[4] == 'H') return 7;
    if (p[0] == 'T' && p[1] == 'R' && p[2] == 'A' && p[3] == 'C' && p[4] == 'E') return 8;
    return 0;
  case 6:
    if (p[0] == 'D' && p[1] == 'E' && p[2] == 'L' && p[3] == 'E' && p[4] == 'T' && p[5] == 'E') return 4;
    return 0;
  case 7:
    if (p[0] == 'O' && p[1] == 'P' && p[2] == 'T' && p[3] == 'I' && p[4] == 'O' && p[5] == 'N' && p[6] == 'S') return 6;
    if (p[0] == 'C' && p[1] == 'O' && p[2] == 'N' && p[3] == 'N' && p[4] == 'E' && p[5] == 'C' && p[6] == 'T') return 9;
    return 0;
  default:
    return 0;
  }
}

u64 bpf_main(void *mem) {
  const struct http_input *in = mem;
  const struct route *routes = (const struct route *)((const u8 *)mem + in->routes_off);
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 bad = 0, no_route = 0, denied = 0, keepalive = 0, chunked = 0, nohost = 0;
  u64 route_sum = 0, host_sum = 0, clen_sum = 0, methods = 0;
  while (p + 2 <= stop) {
    u32 rlen = p[0] | (u32)p[1] << 8;
    const u8 *q = p + 2;
    const u8 *end = q + rlen;
    if (end > stop) break;
    p = end;
    /* method */
    const u8 *t = q;
    while (t < end && *t != ' ') t++;
    u32 m = method_of(q, (u32)(t - q));
    if (m == 0 || t + 1 >= end) { bad++; continue; }
    methods += m;
    /* target */
    const u8 *path = t + 1;
    const u8 *pe = path;
    while (pe < end && *pe != ' ' && *pe != '?') pe++;
    const u8 *te = pe;
    while (te < end && *te != ' ') te++;
    if (te + 10 > end || path[0] != '/') { bad++; continue; }
    if (te[1] != 'H' || te[2] != 'T' || te[3] != 'T' || te[4] != 'P' || te[5] != '/' || te[6] != '1' || te[7] != '.' ||
        (te[8] != '0' && te[8] != '1') || te[9] != '\r') { bad++; continue; }
    u32 minor = te[8] - '0';
    const u8 *h = te + 10;
    if (h >= end || *h != '\n') { bad++; continue; }
    h++;
    /* headers */
    u32 host = 0, have_host = 0, clen = 0, ka = minor, ok = 1;
    for (;;) {
      if (h + 2 > end) { ok = 0; break; }
      if (h[0] == '\r' && h[1] == '\n') break;
      const u8 *c = h;
      while (c < end && *c != ':' && *c != '\r') c++;
      if (c >= end || *c != ':') { ok = 0; break; }
      u32 nlen = (u32)(c - h);
      const u8 *v = c + 1;
      while (v < end && *v == ' ') v++;
      const u8 *ve = v;
      while (ve < end && *ve != '\r') ve++;
      if (ve + 1 >= end || ve[1] != '\n') { ok = 0; break; }
      if (nlen == 4 && eq_lower(h, 0x74736f68, 4)) {
        u32 hh = 2166136261u;
        for (const u8 *x = v; x < ve && *x != ':'; x++) hh = (hh ^ lower(*x)) * 16777619u;
        host = hh;
        have_host = 1;
      } else if (nlen == 14 && eq_lower(h, 0x2d746e65746e6f63ull, 8) && eq_lower(h + 8, 0x6874676e656cull, 6)) {
        u32 n = 0;
        for (const u8 *x = v; x < ve; x++) {
          if (*x - '0' > 9u) { ok = 0; break; }
          n = n * 10 + (*x - '0');
        }
        clen = n;
      } else if (nlen == 10 && eq_lower(h, 0x697463656e6e6f63ull, 8) && eq_lower(h + 8, 0x6e6f, 2)) {
        if (ve - v == 5 && lower(v[0]) == 'c' && lower(v[1]) == 'l') ka = 0;
        else if (ve - v == 10 && lower(v[0]) == 'k') ka = 1;
      } else if (nlen == 17 && eq_lower(h, 0x726566736e617274ull, 8) && eq_lower(h + 8, 0x6e69646f636e652dull, 8) && lower(h[16]) == 'g') {
        if (ve - v == 7 && lower(v[0]) == 'c') chunked++;
      }
      h = ve + 2;
    }
    if (!ok) { bad++; continue; }
    if (!have_host && minor == 1) { nohost++; continue; }
    keepalive += ka;
    host_sum += host;
    clen_sum += clen;
    /* longest route prefix on a segment boundary */
    u32 plen = (u32)(pe - path);
    u32 best = 0, best_len = 0, best_methods = 0;
    for (u32 r = 0; r < in->nroutes; r++) {
      const struct route *rt = &routes[r];
      u32 l = rt->len;
      if (l > plen || l <= best_len) continue;
      u32 i = 0;
      while (i < l && rt->path[i] == path[i]) i++;
      if (i < l) continue;
      if (l < plen && path[l] != '/' && rt->path[l - 1] != '/') continue;
      best = rt->id;
      best_len = l;
      best_methods = rt->methods;
    }
    if (best_len == 0) { no_route++; continue; }
    if (!(best_methods >> m & 1)) { denied++; continue; }
    route_sum = route_sum * 131 + best;
  }
  return route_sum ^ (host_sum << 16) ^ (clen_sum << 8) ^ (methods << 40) ^
         ((u64)(bad + 3 * no_route + 5 * denied + 7 * nohost) << 50) ^ ((u64)(keepalive + 11 * chunked) << 28);
}
