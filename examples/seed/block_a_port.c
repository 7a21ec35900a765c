/* A kernel-style classifier in the spirit of rbpf's load_elf__block_a_port example: the context holds
 * 64-bit packet pointers at 0x40 (data) and 0x50 (data_end), as EbpfVmFixedMbuff(prog, 0x40, 0x50) provides. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct ctx { u8 pad[0x40]; u64 data; u64 pad2; u64 data_end; };
struct eth { u8 dst[6], src[6]; u16 proto; };
struct ip { u8 vhl, tos; u16 len, id, frag; u8 ttl, proto; u16 csum; u32 saddr, daddr; };
struct tcp { u16 source, dest; u32 seq, ack; u16 flags, window, csum, urg; };

static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;

__attribute__((section(".classifier"), used))
int handle_ingress(struct ctx *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct eth *eth = data;
  struct ip *ip = data + sizeof(*eth);
  struct tcp *tcp = data + sizeof(*eth) + sizeof(*ip);
  if (data + sizeof(*eth) + sizeof(*ip) + sizeof(*tcp) > data_end) return 0;
  if (eth->proto != __builtin_bswap16(0x0800)) return 0;
  if (ip->proto != 6) return 0;
  if (tcp->source == __builtin_bswap16(0x9999)) {
    char fmt[] = "blocked port %x\n";
    bpf_trace_printk(fmt, sizeof(fmt), __builtin_bswap16(tcp->source));
    return -1;
  }
  return 0;
}
