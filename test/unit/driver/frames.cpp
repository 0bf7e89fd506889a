#include "frames.hpp"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>

#include "dpdk_compat.hpp"

namespace ena::test {

namespace {

constexpr std::uint16_t kExperimentalEtherType = 0x88b5;

bool is_ipv4(FrameKind k) { return k == FrameKind::kUdp4 || k == FrameKind::kTcp4; }
bool is_tcp(FrameKind k) { return k == FrameKind::kTcp4 || k == FrameKind::kTcp6; }

}  // namespace

HeaderLengths header_lengths(const FrameSpec& spec) {
    HeaderLengths h;
    if (spec.kind == FrameKind::kRaw)
        return h;
    h.l3 = is_ipv4(spec.kind) ? 20 : 40;
    h.l4 = is_tcp(spec.kind) ? static_cast<std::uint16_t>(20 + spec.tcp_options) : 8;
    return h;
}

std::vector<std::uint8_t> make_frame(const FrameSpec& requested) {
    // Never smaller than its own headers (a 60-byte IPv6/TCP frame does not exist).
    FrameSpec spec = requested;
    const HeaderLengths lengths = header_lengths(spec);
    spec.size = std::max<std::size_t>(spec.size, lengths.l2 + lengths.l3 + lengths.l4);
    std::vector<std::uint8_t> f(spec.size);
    for (std::size_t i = 0; i < f.size(); ++i)
        f[i] = static_cast<std::uint8_t>(spec.seed * 31 + i * 7);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    const rte_ether_addr dst = {{0x02, 0, 0, 0, 0, 0x02}}, src = {{0x02, 0, 0, 0, 0, 0x01}};
    eth->dst_addr = dst;
    eth->src_addr = src;
    const HeaderLengths h = header_lengths(spec);
    if (spec.kind == FrameKind::kRaw) {
        eth->ether_type = rte_cpu_to_be_16(kExperimentalEtherType);
        return f;
    }
    std::uint8_t* l3 = f.data() + h.l2;
    std::uint8_t* l4 = l3 + h.l3;
    const auto l4_total = static_cast<std::uint16_t>(spec.size - h.l2 - h.l3);
    if (is_ipv4(spec.kind)) {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
        std::memset(ip, 0, sizeof(*ip));
        ip->version_ihl = 0x45;
        ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(spec.size - h.l2));
        ip->packet_id = rte_cpu_to_be_16(spec.seed);
        ip->time_to_live = 64;
        ip->next_proto_id = is_tcp(spec.kind) ? IPPROTO_TCP : IPPROTO_UDP;
        ip->src_addr = rte_cpu_to_be_32(spec.src_ip4);
        ip->dst_addr = rte_cpu_to_be_32(spec.dst_ip4);
    } else {
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
        std::memset(ip, 0, sizeof(*ip));
        ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
        ip->payload_len = rte_cpu_to_be_16(l4_total);
        ip->proto = is_tcp(spec.kind) ? IPPROTO_TCP : IPPROTO_UDP;
        ip->hop_limits = 64;
        std::uint8_t* src = compat::ipv6_bytes(ip->src_addr);
        std::uint8_t* dst = compat::ipv6_bytes(ip->dst_addr);
        src[0] = dst[0] = 0x20;
        src[1] = dst[1] = 0x01;
        src[15] = 1;
        dst[15] = 2;
    }
    if (is_tcp(spec.kind)) {
        auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l4);
        std::memset(tcp, 0, h.l4);
        tcp->src_port = rte_cpu_to_be_16(spec.src_port);
        tcp->dst_port = rte_cpu_to_be_16(spec.dst_port);
        tcp->sent_seq = rte_cpu_to_be_32(1000u * spec.seed);
        tcp->data_off = static_cast<std::uint8_t>((h.l4 / 4) << 4);
        tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
        tcp->rx_win = rte_cpu_to_be_16(65535);
        for (unsigned i = 0; i < spec.tcp_options; ++i)
            l4[20 + i] = 1;  // NOP options
    } else {
        auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
        udp->src_port = rte_cpu_to_be_16(spec.src_port);
        udp->dst_port = rte_cpu_to_be_16(spec.dst_port);
        udp->dgram_len = rte_cpu_to_be_16(l4_total);
        udp->dgram_cksum = 0;
    }
    if (is_ipv4(spec.kind)) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        const std::uint16_t c = rte_ipv4_udptcp_cksum(ip, l4);
        std::memcpy(l4 + (is_tcp(spec.kind) ? 16 : 6), &c, 2);
    } else {
        const std::uint16_t c = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(l3), l4);
        std::memcpy(l4 + (is_tcp(spec.kind) ? 16 : 6), &c, 2);
    }
    return f;
}

void clear_checksums(std::vector<std::uint8_t>& frame, const FrameSpec& spec) {
    const HeaderLengths h = header_lengths(spec);
    if (spec.kind == FrameKind::kRaw)
        return;
    if (is_ipv4(spec.kind))
        reinterpret_cast<rte_ipv4_hdr*>(frame.data() + h.l2)->hdr_checksum = 0;
    std::uint8_t* l4 = frame.data() + h.l2 + h.l3;
    std::memset(l4 + (is_tcp(spec.kind) ? 16 : 6), 0, 2);
}

bool checksums_valid(const std::vector<std::uint8_t>& frame) {
    if (frame.size() < 14)
        return false;
    const auto* eth = reinterpret_cast<const rte_ether_hdr*>(frame.data());
    const std::uint16_t type = rte_be_to_cpu_16(eth->ether_type);
    if (type == RTE_ETHER_TYPE_IPV4) {
        const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(frame.data() + 14);
        const unsigned ihl = (ip->version_ihl & 0xf) * 4u;
        if (rte_raw_cksum(ip, ihl) != 0xffff)
            return false;
        return rte_ipv4_udptcp_cksum_verify(ip, frame.data() + 14 + ihl) == 0;
    }
    if (type == RTE_ETHER_TYPE_IPV6) {
        const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(frame.data() + 14);
        return rte_ipv6_udptcp_cksum_verify(ip, frame.data() + 14 + 40) == 0;
    }
    return true;
}

rte_mbuf* make_chain(rte_mempool* pool, const std::vector<std::uint8_t>& bytes, unsigned segments,
                     std::size_t first_min) {
    rte_mbuf* head = nullptr;
    std::size_t offset = 0;
    for (unsigned s = 0; s < segments; ++s) {
        const std::size_t remaining_segments = segments - s;
        std::size_t len = (bytes.size() - offset + remaining_segments - 1) / remaining_segments;
        if (s == 0)
            len = std::min(bytes.size() - (segments - 1), std::max(len, first_min));
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (m == nullptr || len > rte_pktmbuf_tailroom(m)) {
            rte_pktmbuf_free(m);
            rte_pktmbuf_free(head);
            return nullptr;
        }
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(len)), bytes.data() + offset, len);
        offset += len;
        if (head == nullptr)
            head = m;
        else if (rte_pktmbuf_chain(head, m) != 0) {
            rte_pktmbuf_free(m);
            rte_pktmbuf_free(head);
            return nullptr;
        }
    }
    return head;
}

std::vector<std::uint8_t> packet_bytes(const rte_mbuf* m) {
    std::vector<std::uint8_t> out(m->pkt_len);
    const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, out.data());
    if (p != out.data())
        std::memcpy(out.data(), p, m->pkt_len);
    return out;
}

}  // namespace ena::test
