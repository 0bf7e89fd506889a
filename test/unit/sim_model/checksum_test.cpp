// The device's Internet checksum (word at a time) against the definition (RFC 1071): big-endian
// 16-bit words one at a time, an odd last byte padded with zero, at every length and alignment.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "packet.hpp"

namespace ena::sim::test {
namespace {

std::uint64_t reference_sum(std::uint64_t sum, const std::uint8_t* p, std::size_t len) {
    std::size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (i < len)
        sum += static_cast<std::uint32_t>(p[i] << 8);
    return sum;
}

std::uint16_t reference_fold(std::uint64_t sum) {
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

TEST(Checksum, EqualsTheDefinitionAtEveryLengthAndAlignment) {
    std::mt19937 random(7);
    std::vector<std::uint8_t> bytes(9100 + 16);
    for (auto& b : bytes)
        b = static_cast<std::uint8_t>(random());
    for (std::size_t offset = 0; offset < 8; ++offset)
        for (std::size_t len = 0; len <= 300; ++len) {
            const std::uint8_t* p = bytes.data() + offset;
            ASSERT_EQ(detail::checksum_fold(detail::checksum_add(0, p, len)), reference_fold(reference_sum(0, p, len)))
                << "length " << len << " at offset " << offset;
        }
    for (std::size_t len : {1499u, 1500u, 4096u, 9000u, 9100u}) {
        const std::uint64_t start = 0x1234567;  // a running sum carried in, as the pseudo-header's
        EXPECT_EQ(detail::checksum_fold(detail::checksum_add(start, bytes.data() + 3, len)),
                  reference_fold(reference_sum(start, bytes.data() + 3, len)))
            << "length " << len;
    }
}

TEST(Checksum, AllOnesAndCarriesFold) {
    std::vector<std::uint8_t> ones(1500, 0xFF);
    EXPECT_EQ(detail::checksum_fold(detail::checksum_add(0, ones.data(), ones.size())), 0xFFFF);
    EXPECT_EQ(detail::checksum_fold(detail::checksum_add(0, ones.data(), 0)), 0);
    for (std::uint64_t v : {0xFFFFull, 0x10000ull, 0x1FFFEull, 0xFFFFFFFFull, 0x123456789ABCull, 0xFFFF0000FFFF0000ull,
                            ~0ull})
        EXPECT_EQ(detail::checksum_fold(v), reference_fold(v)) << std::hex << v;
}

}  // namespace
}  // namespace ena::sim::test
