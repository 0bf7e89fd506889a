// Frames for the tests, built byte by byte, and checksum checks written independently of the
// device model (so the model is not verified against itself).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ena::sim::test {

using Frame = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

inline constexpr Mac kMacA{0x02, 0x00, 0x00, 0x00, 0x00, 0x0A};
inline constexpr Mac kMacB{0x02, 0x00, 0x00, 0x00, 0x00, 0x0B};
inline constexpr Mac kMacC{0x02, 0x00, 0x00, 0x00, 0x00, 0x0C};
inline constexpr Mac kBroadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

struct FrameSpec {
    Mac dst = kMacB, src = kMacA;
    int vlans = 0;
    bool ipv6 = false;
    bool ip = true;                       // false: a non-IP frame (ethertype 0x88B5)
    std::array<std::uint8_t, 4> src4{198, 18, 0, 1}, dst4{198, 18, 0, 2};
    std::array<std::uint8_t, 16> src6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    std::array<std::uint8_t, 16> dst6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    std::size_t ip_options = 0;   // IPv4 options bytes (multiple of 4)
    std::size_t ipv6_ext = 0;     // bytes of one destination-options header (multiple of 8, 8..256)
    std::uint8_t proto = 6;       // 6 TCP, 17 UDP, other: raw payload
    std::uint16_t sport = 1234, dport = 80;
    std::size_t tcp_options = 0;  // multiple of 4
    std::uint32_t seq = 1000;
    std::uint8_t tcp_flags = 0x18;  // PSH|ACK
    std::uint16_t ip_id = 0x1234;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0;  // 8-byte units
    std::size_t payload = 64;
    bool checksums = true;  // fill IPv4/L4 checksums
};

inline void put16(Frame& f, std::size_t at, std::uint16_t v) {
    f[at] = static_cast<std::uint8_t>(v >> 8);
    f[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(Frame& f, std::size_t at, std::uint32_t v) {
    put16(f, at, static_cast<std::uint16_t>(v >> 16));
    put16(f, at + 2, static_cast<std::uint16_t>(v));
}
inline std::uint16_t get16(const Frame& f, std::size_t at) { return static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]); }
inline std::uint32_t get32(const Frame& f, std::size_t at) { return std::uint32_t{get16(f, at)} << 16 | get16(f, at + 2); }

// Plain RFC 1071 sum over [from, to).
inline std::uint32_t sum16(const Frame& f, std::size_t from, std::size_t to, std::uint32_t sum = 0) {
    for (std::size_t i = from; i < to; i += 2)
        sum += i + 1 < to ? get16(f, i) : std::uint32_t{f[i]} << 8;
    return sum;
}
inline std::uint16_t fold(std::uint32_t sum) {
    while (sum > 0xFFFF)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// Offsets of a frame built from a spec.
struct Layout {
    std::size_t l3 = 14, l3_len = 20, l4 = 34, l4_len = 20, end = 0;
};

inline Layout layout_of(const FrameSpec& s) {
    Layout l;
    l.l3 = 14 + 4 * static_cast<std::size_t>(s.vlans);
    l.l3_len = s.ipv6 ? 40 + s.ipv6_ext : 20 + s.ip_options;
    l.l4 = l.l3 + l.l3_len;
    l.l4_len = s.proto == 6 ? 20 + s.tcp_options : s.proto == 17 ? 8 : 0;
    l.end = l.l4 + l.l4_len + s.payload;
    return l;
}

inline std::uint32_t pseudo_sum(const Frame& f, const FrameSpec& s, const Layout& l, std::size_t l4_bytes) {
    std::uint32_t sum = s.ipv6 ? sum16(f, l.l3 + 8, l.l3 + 40) : sum16(f, l.l3 + 12, l.l3 + 20);
    return sum + s.proto + static_cast<std::uint32_t>(l4_bytes);
}

inline Frame build_frame(const FrameSpec& s) {
    const Layout l = layout_of(s);
    Frame f(s.ip ? l.end : 14 + s.payload, 0);
    std::copy(s.dst.begin(), s.dst.end(), f.begin());
    std::copy(s.src.begin(), s.src.end(), f.begin() + 6);
    std::size_t off = 12;
    for (int v = 0; v < s.vlans; ++v, off += 4) {
        put16(f, off, v == 0 && s.vlans == 2 ? 0x88A8 : 0x8100);
        put16(f, off + 2, static_cast<std::uint16_t>(100 + v));
    }
    if (!s.ip) {
        put16(f, 12, 0x88B5);
        for (std::size_t i = 0; i < s.payload; ++i)
            f[14 + i] = static_cast<std::uint8_t>(i * 7 + 3);
        return f;
    }
    put16(f, off, s.ipv6 ? 0x86DD : 0x0800);
    std::uint8_t* ip = &f[l.l3];
    if (s.ipv6) {
        ip[0] = 0x60;
        put16(f, l.l3 + 4, static_cast<std::uint16_t>(l.end - l.l3 - 40));
        ip[6] = s.ipv6_ext ? 60 : s.proto;
        ip[7] = 64;
        std::copy(s.src6.begin(), s.src6.end(), f.begin() + static_cast<long>(l.l3 + 8));
        std::copy(s.dst6.begin(), s.dst6.end(), f.begin() + static_cast<long>(l.l3 + 24));
        if (s.ipv6_ext != 0) {  // one destination-options header, padded with PadN
            f[l.l3 + 40] = s.proto;
            f[l.l3 + 41] = static_cast<std::uint8_t>(s.ipv6_ext / 8 - 1);
            f[l.l3 + 42] = 1;
            f[l.l3 + 43] = static_cast<std::uint8_t>(s.ipv6_ext - 4);
        }
    } else {
        ip[0] = static_cast<std::uint8_t>(0x40 | (l.l3_len / 4));
        put16(f, l.l3 + 2, static_cast<std::uint16_t>(l.end - l.l3));
        put16(f, l.l3 + 4, s.ip_id);
        put16(f, l.l3 + 6, static_cast<std::uint16_t>((s.more_fragments ? 0x2000 : 0) | s.fragment_offset));
        ip[8] = 64;
        ip[9] = s.proto;
        std::copy(s.src4.begin(), s.src4.end(), f.begin() + static_cast<long>(l.l3 + 12));
        std::copy(s.dst4.begin(), s.dst4.end(), f.begin() + static_cast<long>(l.l3 + 16));
        for (std::size_t o = 0; o < s.ip_options; ++o)
            f[l.l3 + 20 + o] = 1;  // NOP
        if (s.checksums)
            put16(f, l.l3 + 10, static_cast<std::uint16_t>(~fold(sum16(f, l.l3, l.l4))));
    }
    if (s.proto == 6) {
        put16(f, l.l4, s.sport);
        put16(f, l.l4 + 2, s.dport);
        put32(f, l.l4 + 4, s.seq);
        f[l.l4 + 12] = static_cast<std::uint8_t>((l.l4_len / 4) << 4);
        f[l.l4 + 13] = s.tcp_flags;
        put16(f, l.l4 + 14, 65535);
        for (std::size_t o = 0; o < s.tcp_options; ++o)
            f[l.l4 + 20 + o] = 1;  // NOP
    } else if (s.proto == 17) {
        put16(f, l.l4, s.sport);
        put16(f, l.l4 + 2, s.dport);
        put16(f, l.l4 + 4, static_cast<std::uint16_t>(l.end - l.l4));
    }
    for (std::size_t i = l.l4 + l.l4_len; i < l.end; ++i)
        f[i] = static_cast<std::uint8_t>(i * 13 + 5);
    if (s.checksums && (s.proto == 6 || s.proto == 17)) {
        const std::size_t field = l.l4 + (s.proto == 6 ? 16 : 6);
        std::uint16_t c = static_cast<std::uint16_t>(~fold(sum16(f, l.l4, l.end, pseudo_sum(f, s, l, l.end - l.l4))));
        if (c == 0 && s.proto == 17)
            c = 0xFFFF;
        put16(f, field, c);
    }
    return f;
}

inline bool ipv4_checksum_ok(const Frame& f, const FrameSpec& s) {
    const Layout l = layout_of(s);
    return fold(sum16(f, l.l3, l.l4)) == 0xFFFF;
}

// L4 checksum of a frame (or TSO segment) with the spec's header layout; IP length from the frame.
inline bool l4_checksum_ok(const Frame& f, const FrameSpec& s) {
    Layout l = layout_of(s);
    l.end = s.ipv6 ? l.l3 + 40 + get16(f, l.l3 + 4) : l.l3 + get16(f, l.l3 + 2);
    return fold(sum16(f, l.l4, l.end, pseudo_sum(f, s, l, l.end - l.l4))) == 0xFFFF;
}

// The pseudo-header sum a driver leaves in the checksum field for partial offload.
inline Frame with_partial_checksum(Frame f, const FrameSpec& s) {
    const Layout l = layout_of(s);
    const std::size_t field = l.l4 + (s.proto == 6 ? 16 : 6);
    put16(f, field, fold(pseudo_sum(f, s, l, l.end - l.l4)));
    return f;
}

inline Frame without_checksums(Frame f, const FrameSpec& s) {
    const Layout l = layout_of(s);
    if (!s.ipv6)
        put16(f, l.l3 + 10, 0);
    if (s.proto == 6 || s.proto == 17)
        put16(f, l.l4 + (s.proto == 6 ? 16 : 6), 0);
    return f;
}

}  // namespace ena::sim::test
