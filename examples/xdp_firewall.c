/* XDP firewall: drops TCP and UDP packets to port 23 (telnet), counts packets and bytes per IP protocol,
 * and counts dropped packets per source address.
 *   tsbpf run examples/xdp_firewall.o --pcap examples/traffic.pcap */
#include "common.h"

#define BLOCKED_PORT 23

struct counter {
  __u64 packets;
  __u64 bytes;
};

/* IP protocol number (6 TCP, 17 UDP, 1 ICMP) -> packets and bytes seen. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, struct counter);
} proto_stats SEC(".maps");

/* Source address (network order) -> packets dropped. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __be32);
  __type(value, __u64);
} drops_by_saddr SEC(".maps");

/* Safe when CPUs run it at once: two that miss the same key both try to insert; BPF_NOEXIST lets one
 * win, and the other, whose insert fails, looks the entry up again and adds to it atomically. */
static __always_inline void count(__u32 proto, __u64 len) {
  struct counter *c = bpf_map_lookup_elem(&proto_stats, &proto);
  if (!c) {
    struct counter fresh = { .packets = 1, .bytes = len };
    if (bpf_map_update_elem(&proto_stats, &proto, &fresh, BPF_NOEXIST) == 0) return;
    c = bpf_map_lookup_elem(&proto_stats, &proto);
    if (!c) return; /* the map is full */
  }
  __sync_fetch_and_add(&c->packets, 1);
  __sync_fetch_and_add(&c->bytes, len);
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_DROP;
  count(ip->protocol, data_end - data);
  __u16 dport = 0;
  void *l4 = (void *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > data_end) return XDP_DROP;
    dport = tcp->dest;
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end) return XDP_DROP;
    dport = udp->dest;
  }
  if (dport != bpf_htons(BLOCKED_PORT)) return XDP_PASS;
  __be32 saddr = ip->saddr;
  __u64 *n = bpf_map_lookup_elem(&drops_by_saddr, &saddr);
  if (!n) {
    /* As in count(): BPF_ANY here would let a second CPU's insert overwrite the first one's count. */
    __u64 one = 1;
    if (bpf_map_update_elem(&drops_by_saddr, &saddr, &one, BPF_NOEXIST) != 0) n = bpf_map_lookup_elem(&drops_by_saddr, &saddr);
  }
  if (n) __sync_fetch_and_add(n, 1);
  bpf_printk("drop port %d from %x", BLOCKED_PORT, bpf_ntohl(saddr));
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
