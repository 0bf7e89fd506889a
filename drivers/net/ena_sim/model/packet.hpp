// Frame parsing and Internet checksums, shared by the Tx offloads, the LLQ header-size check,
// Rx checksum verification and RSS.
#pragma once

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

// Parses Ethernet (up to two VLAN tags), IPv4 with options or IPv6 with extension headers,
// TCP with options or UDP. Never reads past the frame.
PacketInfo parse_packet(std::span<const std::uint8_t> frame);

// The parse of a frame of `frame_len` bytes from its first head.size() bytes: true, with `info`
// as parse_packet() of the whole frame would give, when the head holds the frame's headers with
// room to spare (IPv4 or IPv6 without extension headers, or no IP); false when only the whole
// frame can tell.
bool parse_head(std::span<const std::uint8_t> head, std::size_t frame_len, PacketInfo& info);
// Bytes past a parsed header end that parse_head() wants in the head: an IPv4 header with
// options and a TCP header with options fit in it.
inline constexpr std::size_t kParseSlack = 128;

inline std::uint16_t load_be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
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
