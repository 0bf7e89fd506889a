// Frame parsing and Internet checksums, shared by the Tx offloads, the LLQ header-size check,
// Rx checksum verification and RSS.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ena::sim::detail {

namespace ip_proto {
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
}  // namespace ip_proto

enum class L3Kind : std::uint8_t { kNone, kIpv4, kIpv6 };

// What the device learns from a frame's headers. Offsets are from the start of the frame.
struct PacketInfo {
    std::uint16_t l2_length = 0;  // Ethernet header with VLAN tags
    std::uint8_t vlan_count = 0;
    L3Kind l3 = L3Kind::kNone;
    std::uint16_t l3_offset = 0;
    std::uint16_t l3_length = 0;  // IPv4 header with options / IPv6 header with extension headers
    std::uint16_t l3_end = 0;     // end of the IP packet (total/payload length), within the frame
    bool l3_truncated = false;    // the IP length claims more bytes than the frame has
    bool ipv6_extensions = false;
    bool fragment = false;        // IPv4 MF/offset, IPv6 fragment header
    bool first_fragment = false;  // fragment offset 0: the L4 header is present
    std::uint8_t l4_proto = 0;    // IP protocol number (0 when no IP)
    bool l4_parsed = false;       // TCP or UDP header complete in the frame
    std::uint16_t l4_offset = 0;
    std::uint16_t l4_length = 0;  // TCP header with options / 8 for UDP

    bool is_tcp() const { return l4_parsed && l4_proto == ip_proto::kTcp; }
    bool is_udp() const { return l4_parsed && l4_proto == ip_proto::kUdp; }
    // Bytes of L2..L4 headers: what must fit in an LLQ entry's header room.
    std::uint16_t header_length() const {
        if (l4_parsed)
            return static_cast<std::uint16_t>(l4_offset + l4_length);
        if (l3 != L3Kind::kNone)
            return static_cast<std::uint16_t>(l3_offset + l3_length);
        return l2_length;
    }
};

inline std::uint16_t load_be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// Parses Ethernet (up to two VLAN tags), IPv4 with options or IPv6 with extension headers,
// TCP with options or UDP. Never reads past the frame.
PacketInfo parse_packet_general(std::span<const std::uint8_t> frame);

// parse_packet_general(), with the frame nearly all traffic is -- untagged IPv4 without
// options, not a fragment, carrying TCP or UDP -- parsed inline (on every Tx frame's path).
inline PacketInfo parse_packet(std::span<const std::uint8_t> f) {
    constexpr std::size_t kL3 = 14, kL4 = kL3 + 20;
    if (f.size() < kL4 || f[12] != 0x08 || f[13] != 0x00 || f[kL3] != 0x45)
        return parse_packet_general(f);
    const std::size_t total = load_be16(&f[kL3 + 2]);
    const std::uint8_t proto = f[kL3 + 9];
    if (total < 20 || (load_be16(&f[kL3 + 6]) & 0x3FFF) != 0 ||
        (proto != ip_proto::kTcp && proto != ip_proto::kUdp))
        return parse_packet_general(f);
    PacketInfo info;
    info.l2_length = kL3;
    info.l3 = L3Kind::kIpv4;
    info.l3_offset = kL3;
    info.l3_length = 20;
    std::size_t end = kL3 + total;
    if (end > f.size()) {
        info.l3_truncated = true;
        end = f.size();
    }
    info.l3_end = static_cast<std::uint16_t>(end);
    info.first_fragment = true;
    info.l4_proto = proto;
    info.l4_offset = kL4;
    if (proto == ip_proto::kUdp) {
        if (kL4 + 8 <= end) {
            info.l4_length = 8;
            info.l4_parsed = true;
        }
    } else if (kL4 + 20 <= end) {
        const std::size_t len = static_cast<std::size_t>(f[kL4 + 12] >> 4) * 4;
        if (len >= 20 && kL4 + len <= end) {
            info.l4_length = static_cast<std::uint16_t>(len);
            info.l4_parsed = true;
        }
    }
    return info;
}

// Bytes past a parsed header end that parse_head() wants in the head: an IPv4 header with
// options and a TCP header with options fit in it.
inline constexpr std::size_t kParseSlack = 128;

// The parse of a frame of `frame_len` bytes from its first head.size() bytes: true, with `info`
// as parse_packet() of the whole frame would give, when the head holds the frame's headers with
// room to spare (IPv4 or IPv6 without extension headers, or no IP); false when only the whole
// frame can tell.
//
// The parse reads no further than the headers it finds plus what their length fields bound:
// with kParseSlack bytes past the headers in the head, nothing it decides depends on where the
// head ends except the IP packet's end, which is recomputed for the whole frame. IPv6
// extension headers may run long: those frames need the whole frame.
inline bool parse_head(std::span<const std::uint8_t> head, std::size_t frame_len, PacketInfo& info) {
    info = parse_packet(head);
    if (head.size() >= frame_len)
        return true;
    if ((info.l3 == L3Kind::kIpv6 && info.ipv6_extensions) || info.header_length() + kParseSlack > head.size())
        return false;
    std::size_t ip_end;
    if (info.l3 == L3Kind::kIpv4)
        ip_end = info.l3_offset + std::size_t{load_be16(&head[info.l3_offset + 2])};
    else if (info.l3 == L3Kind::kIpv6)
        ip_end = info.l3_offset + 40 + std::size_t{load_be16(&head[info.l3_offset + 4])};
    else
        return true;
    info.l3_truncated = ip_end > frame_len;
    info.l3_end = static_cast<std::uint16_t>(std::min(ip_end, frame_len));
    return true;
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

// One's-complement sum of big-endian 16-bit words (odd tail padded with zero), not folded.
std::uint64_t checksum_add(std::uint64_t sum, const std::uint8_t* data, std::size_t len);
std::uint16_t checksum_fold(std::uint64_t sum);
// Sum of the TCP/UDP pseudo-header for the packet described by `info`.
std::uint64_t pseudo_header_sum(const std::uint8_t* frame, const PacketInfo& info, std::uint32_t l4_bytes);

// True when the IPv4 header checksum is right.
bool ipv4_header_checksum_ok(const std::uint8_t* frame, const PacketInfo& info);
void ipv4_header_checksum_fill(std::uint8_t* frame, const PacketInfo& info);
// TCP/UDP checksum over [l4_offset, l3_end), pseudo-header included.
bool l4_checksum_ok(const std::uint8_t* frame, const PacketInfo& info);
void l4_checksum_fill_full(std::uint8_t* frame, const PacketInfo& info);
// The checksum field holds the pseudo-header sum (as drivers prepare it for partial
// offload): add the L4 bytes to it.
void l4_checksum_fill_partial(std::uint8_t* frame, const PacketInfo& info);
// Offset of the checksum field in the L4 header.
constexpr std::uint16_t l4_checksum_field(std::uint8_t proto) { return proto == ip_proto::kTcp ? 16 : 6; }

}  // namespace ena::sim::detail
