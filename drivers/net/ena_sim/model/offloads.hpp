// Tx offloads the device performs on a gathered frame: IPv4 header checksum, TCP/UDP
// checksum (full, or finishing a pseudo-header sum the driver left in the field), and TCP
// segmentation (TSO) over IPv4 and IPv6.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

#include "packet.hpp"

namespace ena::sim::detail {

struct TxOffloadRequest {
    bool l3_checksum = false;
    bool l4_checksum = false;
    bool l4_partial = false;
    bool tso = false;
    std::uint16_t mss = 0;
};

// Fills the requested checksums of a frame in place (no segmentation). Returns false when the
// frame does not carry what the request names (no IPv4 header for an L3 checksum, no
// TCP/UDP header for an L4 checksum).
bool apply_checksums(std::uint8_t* frame, const PacketInfo& info, const TxOffloadRequest& req);

// Splits a TCP frame into segments of at most `mss` payload bytes, each a complete frame with
// its own IP length, IPv4 id (incremented per segment) and header checksum, TCP sequence
// number and checksum; FIN and PSH stay on the last segment, CWR on the first.
class TsoSegmenter {
public:
    explicit TsoSegmenter(std::span<std::uint8_t> buffer) : buffer_(buffer) {}

    // Calls emit(std::span<const std::uint8_t>) for each segment. False (and no emit) when the
    // frame is not TCP over IP, mss is 0, or a segment does not fit the buffer.
    template <typename Emit>
    bool run(std::span<std::uint8_t> frame, const PacketInfo& info, std::uint16_t mss, Emit&& emit);

private:
    void fix_segment(std::uint8_t* seg, const PacketInfo& info, std::size_t seg_len, std::uint32_t index,
                     std::uint32_t seq_offset, bool first, bool last, std::uint16_t ip_id, std::uint32_t seq,
                     std::uint8_t tcp_flags);

    std::span<std::uint8_t> buffer_;
};

template <typename Emit>
bool TsoSegmenter::run(std::span<std::uint8_t> frame, const PacketInfo& info, std::uint16_t mss, Emit&& emit) {
    if (!info.is_tcp() || info.fragment || info.l3_truncated || mss == 0)
        return false;
    const std::size_t header = std::size_t{info.l4_offset} + info.l4_length;
    const std::size_t payload = info.l3_end - header;
    if (header + std::min<std::size_t>(mss, payload) > buffer_.size())
        return false;
    const std::uint8_t* tcp = frame.data() + info.l4_offset;
    const std::uint32_t seq = load_be32(tcp + 4);
    const std::uint8_t flags = tcp[13];
    const std::uint16_t ip_id = info.l3 == L3Kind::kIpv4 ? load_be16(frame.data() + info.l3_offset + 4) : 0;
    const std::uint32_t segments = payload == 0 ? 1 : static_cast<std::uint32_t>((payload + mss - 1) / mss);
    for (std::uint32_t i = 0; i < segments; ++i) {
        const std::size_t off = std::size_t{i} * mss;
        const std::size_t len = std::min<std::size_t>(mss, payload - off);
        std::uint8_t* seg = buffer_.data();
        std::memcpy(seg, frame.data(), header);
        std::memcpy(seg + header, frame.data() + header + off, len);
        fix_segment(seg, info, header + len, i, static_cast<std::uint32_t>(off), i == 0, i + 1 == segments, ip_id,
                    seq, flags);
        emit(std::span<const std::uint8_t>(seg, header + len));
    }
    return true;
}

}  // namespace ena::sim::detail
