// The forwarding engines: what one forwarding lcore does to one stream per pass. Hot path: each
// engine is a type, and the lcore loop is instantiated per engine (forward_loop<Engine>), so the
// mode is chosen once at `start` and not per burst or per packet. Bursts live on the stack;
// mbufs are allocated and freed in bulk; nothing here allocates memory or throws.
#pragma once

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "app.hpp"
#include "dpdk_compat.hpp"

namespace ena::testpmd {

// A counter that one lcore writes while others may read it (show fwd stats during forwarding):
// a relaxed load and store, no read-modify-write, since there is a single writer.
class StreamCounter {
public:
    void add(std::uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }
    void reset() { value_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// One Rx queue polled and the Tx queue its packets go to (testpmd's "stream").
struct alignas(RTE_CACHE_LINE_SIZE) FwdStream {
    std::uint16_t rx_port = 0, rx_queue = 0;
    std::uint16_t tx_port = 0, tx_queue = 0;
    std::uint16_t peer = 0;  // index into FwdContext::peer_mac
    StreamCounter rx_packets, tx_packets, fwd_dropped;
};

// Ethernet + IPv4 + UDP: the header of every txonly packet.
inline constexpr std::size_t kTxHeaderSize = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);

// Read-only while forwarding runs; rebuilt at each `start`.
struct FwdContext {
    std::uint16_t burst = kDefaultBurst;
    std::array<rte_ether_addr, RTE_MAX_ETHPORTS> port_mac{};
    std::array<rte_ether_addr, RTE_MAX_ETHPORTS> peer_mac{};
    std::array<rte_mempool*, RTE_MAX_ETHPORTS> tx_pool{};
    // txonly: the packet's segment lengths and, per Tx port, its header bytes.
    std::array<std::uint16_t, kMaxTxSegments> tx_segments{};
    std::uint16_t nb_tx_segments = 1;
    std::uint32_t tx_packet_length = 64;
    std::array<std::array<std::uint8_t, kTxHeaderSize>, RTE_MAX_ETHPORTS> tx_header{};
};

// The work of one forwarding lcore: a run of consecutive streams.
struct FwdLcore {
    unsigned lcore_id = 0;
    FwdStream* streams = nullptr;
    unsigned nb_streams = 0;
    const FwdContext* ctx = nullptr;
    std::atomic<bool> stop{true};
};

// Hands packets to the stream's Tx queue; what the queue does not take is counted and freed.
inline void send_burst(FwdStream& s, rte_mbuf** pkts, std::uint16_t n) {
    if (n == 0)
        return;
    const std::uint16_t sent = rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts, n);
    s.tx_packets.add(sent);
    if (sent < n) {
        s.fwd_dropped.add(n - sent);
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    }
}

inline std::uint16_t receive_burst(FwdStream& s, rte_mbuf** pkts, std::uint16_t burst) {
    const std::uint16_t n = rte_eth_rx_burst(s.rx_port, s.rx_queue, pkts, burst);
    s.rx_packets.add(n);
    return n;
}

inline rte_ether_hdr* ether_header(rte_mbuf* m) {
    return m->data_len >= sizeof(rte_ether_hdr) ? rte_pktmbuf_mtod(m, rte_ether_hdr*) : nullptr;
}

struct IoEngine {
    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        send_burst(s, pkts, receive_burst(s, pkts, ctx.burst));
    }
};

struct RxOnlyEngine {
    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        const std::uint16_t n = receive_burst(s, pkts, ctx.burst);
        if (n != 0)
            rte_pktmbuf_free_bulk(pkts, n);
    }
};

// Rewrites both MAC addresses: to the Tx port's peer, from the Tx port.
struct MacEngine {
    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        const std::uint16_t n = receive_burst(s, pkts, ctx.burst);
        const rte_ether_addr& dst = ctx.peer_mac[s.peer];
        const rte_ether_addr& src = ctx.port_mac[s.tx_port];
        for (std::uint16_t i = 0; i < n; ++i) {
            if (rte_ether_hdr* eth = ether_header(pkts[i])) {
                rte_ether_addr_copy(&dst, &eth->dst_addr);
                rte_ether_addr_copy(&src, &eth->src_addr);
            }
        }
        send_burst(s, pkts, n);
    }
};

// Sends each frame back where it came from: source and destination MAC exchanged.
struct MacSwapEngine {
    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        const std::uint16_t n = receive_burst(s, pkts, ctx.burst);
        for (std::uint16_t i = 0; i < n; ++i) {
            if (rte_ether_hdr* eth = ether_header(pkts[i])) {
                rte_ether_addr tmp;
                rte_ether_addr_copy(&eth->dst_addr, &tmp);
                rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
                rte_ether_addr_copy(&tmp, &eth->src_addr);
            }
        }
        send_burst(s, pkts, n);
    }
};

// Builds UDP packets from the per-port header (txonly); the payload is zeroes.
struct TxOnlyEngine {
    static bool build(rte_mbuf* m, const FwdContext& ctx, rte_mempool* pool, std::uint16_t tx_port) {
        rte_mbuf* segs[kMaxTxSegments];
        const std::uint16_t nb_segs = ctx.nb_tx_segments;
        segs[0] = m;
        if (nb_segs > 1 && rte_pktmbuf_alloc_bulk(pool, segs + 1, nb_segs - 1) != 0)
            return false;
        const std::uint8_t* header = ctx.tx_header[tx_port].data();
        std::size_t header_left = kTxHeaderSize;
        for (std::uint16_t k = 0; k < nb_segs; ++k) {
            rte_mbuf* seg = segs[k];
            const std::uint16_t len = ctx.tx_segments[k];
            auto* data = rte_pktmbuf_mtod(seg, std::uint8_t*);
            const std::size_t from_header = header_left < len ? header_left : len;
            std::memcpy(data, header, from_header);
            std::memset(data + from_header, 0, len - from_header);
            header += from_header;
            header_left -= from_header;
            seg->data_len = len;
            seg->next = k + 1 < nb_segs ? segs[k + 1] : nullptr;
        }
        m->nb_segs = nb_segs;
        m->pkt_len = ctx.tx_packet_length;
        m->ol_flags = 0;
        m->l2_len = sizeof(rte_ether_hdr);
        m->l3_len = sizeof(rte_ipv4_hdr);
        return true;
    }

    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        rte_mempool* pool = ctx.tx_pool[s.tx_port];
        if (rte_pktmbuf_alloc_bulk(pool, pkts, ctx.burst) != 0)
            return;  // pool empty for now: try again next pass
        std::uint16_t built = 0;
        for (; built < ctx.burst; ++built)
            if (!build(pkts[built], ctx, pool, s.tx_port))
                break;
        if (built < ctx.burst)
            rte_pktmbuf_free_bulk(pkts + built, ctx.burst - built);
        send_burst(s, pkts, built);
    }
};

// Answers ARP requests (with the port's MAC, for any address asked) and ICMP echo requests;
// every other frame is freed, as testpmd's icmpecho does.
struct IcmpEchoEngine {
    static constexpr std::uint16_t kVlanTpid = 0x8100;

    static bool answer_arp(rte_mbuf* m, rte_ether_hdr* eth, std::size_t l3, const rte_ether_addr& port_mac) {
        if (m->data_len < l3 + sizeof(rte_arp_hdr))
            return false;
        auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l3);
        if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) || arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
            arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
            return false;
        arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
        rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
        rte_ether_addr_copy(&port_mac, &arp->arp_data.arp_sha);
        const rte_be32_t asked = arp->arp_data.arp_tip;
        arp->arp_data.arp_tip = arp->arp_data.arp_sip;
        arp->arp_data.arp_sip = asked;
        rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
        rte_ether_addr_copy(&port_mac, &eth->src_addr);
        return true;
    }

    static bool answer_echo(rte_mbuf* m, rte_ether_hdr* eth, std::size_t l3, const rte_ether_addr& port_mac) {
        if (m->data_len < l3 + sizeof(rte_ipv4_hdr))
            return false;
        auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l3);
        const std::size_t ihl = static_cast<std::size_t>(ip->version_ihl & 0x0F) * 4;
        if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || ip->next_proto_id != IPPROTO_ICMP ||
            m->data_len < l3 + ihl + sizeof(rte_icmp_hdr))
            return false;
        auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, l3 + ihl);
        if (icmp->icmp_type != compat::kIcmpEchoRequest || icmp->icmp_code != 0)
            return false;
        // A reply to a multicast or broadcast destination would need a source of our own.
        const std::uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
        if ((dst >> 28) == 0xE || dst == 0xFFFFFFFF)
            return false;
        const rte_be32_t from = ip->src_addr;  // swapped: the IPv4 checksum does not change
        ip->src_addr = ip->dst_addr;
        ip->dst_addr = from;
        // ICMP checksum updated for the type change (RFC 1624: HC' = ~(~HC + ~m + m')).
        std::uint16_t old_word;
        std::memcpy(&old_word, icmp, sizeof(old_word));
        icmp->icmp_type = compat::kIcmpEchoReply;
        std::uint16_t new_word;
        std::memcpy(&new_word, icmp, sizeof(new_word));
        std::uint32_t sum = static_cast<std::uint16_t>(~icmp->icmp_cksum) + static_cast<std::uint16_t>(~old_word) + new_word;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        icmp->icmp_cksum = static_cast<std::uint16_t>(~sum);
        rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
        rte_ether_addr_copy(&port_mac, &eth->src_addr);
        return true;
    }

    static bool answer(rte_mbuf* m, const rte_ether_addr& port_mac) {
        rte_ether_hdr* eth = ether_header(m);
        if (eth == nullptr)
            return false;
        std::size_t l3 = sizeof(rte_ether_hdr);
        std::uint16_t type = rte_be_to_cpu_16(eth->ether_type);
        if (type == kVlanTpid) {
            if (m->data_len < l3 + sizeof(rte_vlan_hdr))
                return false;
            type = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m, rte_vlan_hdr*, l3)->eth_proto);
            l3 += sizeof(rte_vlan_hdr);
        }
        if (type == RTE_ETHER_TYPE_ARP)
            return answer_arp(m, eth, l3, port_mac);
        if (type == RTE_ETHER_TYPE_IPV4)
            return answer_echo(m, eth, l3, port_mac);
        return false;
    }

    static void run(FwdStream& s, const FwdContext& ctx) {
        rte_mbuf* pkts[kMaxBurst];
        rte_mbuf* unanswered[kMaxBurst];
        const std::uint16_t n = receive_burst(s, pkts, ctx.burst);
        std::uint16_t replies = 0, dropped = 0;
        const rte_ether_addr& port_mac = ctx.port_mac[s.rx_port];
        for (std::uint16_t i = 0; i < n; ++i) {
            if (answer(pkts[i], port_mac))
                pkts[replies++] = pkts[i];
            else
                unanswered[dropped++] = pkts[i];
        }
        if (dropped != 0)
            rte_pktmbuf_free_bulk(unanswered, dropped);
        send_burst(s, pkts, replies);
    }
};

template <class Engine>
int forward_loop(void* arg) {
    FwdLcore& lcore = *static_cast<FwdLcore*>(arg);
    const FwdContext& ctx = *lcore.ctx;
    while (!lcore.stop.load(std::memory_order_relaxed))
        for (unsigned i = 0; i < lcore.nb_streams; ++i)
            Engine::run(lcore.streams[i], ctx);
    return 0;
}

// One pass over the lcore's streams (start tx_first).
template <class Engine>
int forward_once(void* arg) {
    FwdLcore& lcore = *static_cast<FwdLcore*>(arg);
    for (unsigned i = 0; i < lcore.nb_streams; ++i)
        Engine::run(lcore.streams[i], *lcore.ctx);
    return 0;
}

}  // namespace ena::testpmd
