#include "offloads.hpp"

namespace ena::sim::detail {

namespace {
constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpCwr = 0x80;
}  // namespace

bool apply_checksums(std::uint8_t* frame, const PacketInfo& info, const TxOffloadRequest& req) {
    if (req.l3_checksum) {
        if (info.l3 != L3Kind::kIpv4)
            return false;
        ipv4_header_checksum_fill(frame, info);
    }
    if (req.l4_checksum) {
        if (!info.l4_parsed || info.fragment)
            return false;
        if (req.l4_partial)
            l4_checksum_fill_partial(frame, info);
        else
            l4_checksum_fill_full(frame, info);
    }
    return true;
}

void TsoSegmenter::fix_segment(std::uint8_t* seg, const PacketInfo& info, std::size_t seg_len, std::uint32_t index,
                               std::uint32_t seq_offset, bool first, bool last, std::uint16_t ip_id,
                               std::uint32_t seq, std::uint8_t tcp_flags) {
    PacketInfo s = info;
    s.l3_end = static_cast<std::uint16_t>(seg_len);
    std::uint8_t* ip = seg + info.l3_offset;
    if (info.l3 == L3Kind::kIpv4) {
        store_be16(ip + 2, static_cast<std::uint16_t>(seg_len - info.l3_offset));
        store_be16(ip + 4, static_cast<std::uint16_t>(ip_id + index));
        ipv4_header_checksum_fill(seg, s);
    } else {
        store_be16(ip + 4, static_cast<std::uint16_t>(seg_len - info.l3_offset - 40));
    }
    std::uint8_t* tcp = seg + info.l4_offset;
    store_be32(tcp + 4, seq + seq_offset);
    std::uint8_t flags = tcp_flags;
    if (!last)
        flags &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
    if (!first)
        flags &= static_cast<std::uint8_t>(~kTcpCwr);
    tcp[13] = flags;
    l4_checksum_fill_full(seg, s);
}

}  // namespace ena::sim::detail
