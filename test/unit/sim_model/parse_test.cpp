// The inline parse of the common frame (parse_packet) gives what the general parser gives, for
// frames near the fast path's edges: every length, IHL, fragment field, protocol and L4 header
// length around the values it takes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "packet.hpp"

namespace ena::sim::test {
namespace {

void expect_same(const detail::PacketInfo& a, const detail::PacketInfo& b, const std::vector<std::uint8_t>& f) {
    SCOPED_TRACE(testing::Message() << "frame of " << f.size() << " bytes, IP byte 0x" << std::hex
                                    << (f.size() > 14 ? int{f[14]} : -1));
    EXPECT_EQ(a.l2_length, b.l2_length);
    EXPECT_EQ(a.vlan_count, b.vlan_count);
    EXPECT_EQ(a.l3, b.l3);
    EXPECT_EQ(a.l3_offset, b.l3_offset);
    EXPECT_EQ(a.l3_length, b.l3_length);
    EXPECT_EQ(a.l3_end, b.l3_end);
    EXPECT_EQ(a.l3_truncated, b.l3_truncated);
    EXPECT_EQ(a.ipv6_extensions, b.ipv6_extensions);
    EXPECT_EQ(a.fragment, b.fragment);
    EXPECT_EQ(a.first_fragment, b.first_fragment);
    EXPECT_EQ(a.l4_proto, b.l4_proto);
    EXPECT_EQ(a.l4_parsed, b.l4_parsed);
    EXPECT_EQ(a.l4_offset, b.l4_offset);
    EXPECT_EQ(a.l4_length, b.l4_length);
}

std::vector<std::uint8_t> ipv4_frame(std::size_t size, std::uint8_t proto, std::uint16_t total, std::uint16_t frag,
                                     std::uint8_t ver_ihl, std::uint8_t tcp_offset) {
    std::vector<std::uint8_t> f(size, 0xA5);
    if (size > 13) {
        f[12] = 0x08;
        f[13] = 0x00;
    }
    auto put = [&](std::size_t at, std::uint8_t v) {
        if (at < size)
            f[at] = v;
    };
    put(14, ver_ihl);
    put(16, static_cast<std::uint8_t>(total >> 8));
    put(17, static_cast<std::uint8_t>(total));
    put(20, static_cast<std::uint8_t>(frag >> 8));
    put(21, static_cast<std::uint8_t>(frag));
    put(23, proto);
    put(14 + 20 + 12, tcp_offset);
    return f;
}

TEST(Parse, InlineFastPathEqualsTheGeneralParser) {
    for (std::size_t size : {0u, 13u, 14u, 33u, 34u, 41u, 42u, 53u, 54u, 60u, 64u, 66u, 100u, 1514u})
        for (std::uint8_t proto : {std::uint8_t{6}, std::uint8_t{17}, std::uint8_t{1}, std::uint8_t{0}})
            for (std::uint16_t total : {0, 19, 20, 27, 28, 39, 40, 46, 50, 1500, 0xFFFF})
                for (std::uint16_t frag : {0x0000, 0x4000, 0x2000, 0x0001, 0x8000, 0x1FFF})
                    for (std::uint8_t ver_ihl : {0x45, 0x46, 0x44, 0x55, 0x4F})
                        for (std::uint8_t tcp_offset : {0x50, 0x40, 0x60, 0xF0, 0x00}) {
                            const auto f = ipv4_frame(size, proto, total, frag, ver_ihl, tcp_offset);
                            expect_same(detail::parse_packet(f), detail::parse_packet_general(f), f);
                            if (testing::Test::HasFailure())
                                return;
                        }
}

TEST(Parse, InlineFastPathEqualsTheGeneralParserOnRandomFrames) {
    std::mt19937 random(11);
    std::vector<std::uint8_t> f;
    for (int n = 0; n < 20000; ++n) {
        f = ipv4_frame(random() % 120, (random() & 1) ? 6 : 17, static_cast<std::uint16_t>(random() % 128), 0, 0x45,
                       static_cast<std::uint8_t>(random()));
        for (int flips = static_cast<int>(random() % 3); flips > 0 && !f.empty(); --flips)
            f[random() % f.size()] ^= static_cast<std::uint8_t>(1u << (random() % 8));
        expect_same(detail::parse_packet(f), detail::parse_packet_general(f), f);
        if (testing::Test::HasFailure())
            return;
    }
}

}  // namespace
}  // namespace ena::sim::test
