#include "rss.hpp"

#include <bit>
#include <cstring>

namespace ena::sim::detail {

void ToeplitzHasher::set_key(const std::array<std::uint8_t, kKeySize>& key) {
    // Bit b of the key (MSB first), taken cyclically.
    auto key_bit = [&](std::size_t b) -> std::uint32_t {
        b %= kKeySize * 8;
        return (key[b / 8] >> (7 - b % 8)) & 1u;
    };
    // The 32-bit key window that starts at input bit b, slid one bit at a time.
    std::uint32_t window = 0;
    for (std::size_t i = 0; i < 32; ++i)
        window = (window << 1) | key_bit(i);
    std::size_t next_bit = 32;
    for (std::size_t pos = 0; pos < kMaxInput; ++pos) {
        std::array<std::uint32_t, 8> bit_windows;
        for (std::size_t bit = 0; bit < 8; ++bit) {
            bit_windows[bit] = window;
            window = (window << 1) | key_bit(next_bit++);
        }
        // The hash is linear in the input bits: a byte's entry is the entry of the byte without
        // its lowest set bit, XOR that bit's window (bit k from the LSB is input bit 7 - k).
        std::array<std::uint32_t, 256>& row = table_[pos];
        row[0] = 0;
        for (unsigned value = 1; value < 256; ++value)
            row[value] = row[value & (value - 1)] ^ bit_windows[7 - std::countr_zero(value)];
    }
}

std::uint32_t ToeplitzHasher::hash(const std::uint8_t* input, std::size_t len) const {
    std::uint32_t h = 0;
    for (std::size_t i = 0; i < len && i < kMaxInput; ++i)
        h ^= table_[i][input[i]];
    return h;
}

RssState::RssState(std::uint8_t max_table_log)
    : max_table_log_(max_table_log), table_(std::size_t{1} << max_table_log) {
    reset();
}

void RssState::reset() {
    if (key_ != kDefaultRssKey)  // the tables of a key depend on the key only
        set_key(kDefaultRssKey);
    selected_function_ = kSupportedFunctions;
    init_value_ = 0;
    using namespace hw::rss_field;
    constexpr std::uint16_t l3 = kL3Sa | kL3Da;
    constexpr std::uint16_t l4 = kL3Sa | kL3Da | kL4Sp | kL4Dp;
    fields_.fill(0);
    fields_[static_cast<unsigned>(hw::RssProto::kTcp4)] = l4;
    fields_[static_cast<unsigned>(hw::RssProto::kUdp4)] = l4;
    fields_[static_cast<unsigned>(hw::RssProto::kTcp6)] = l4;
    fields_[static_cast<unsigned>(hw::RssProto::kUdp6)] = l4;
    fields_[static_cast<unsigned>(hw::RssProto::kTcp6Ex)] = l4;
    fields_[static_cast<unsigned>(hw::RssProto::kIp4)] = l3;
    fields_[static_cast<unsigned>(hw::RssProto::kIp6)] = l3;
    fields_[static_cast<unsigned>(hw::RssProto::kIp6Ex)] = l3;
    fields_[static_cast<unsigned>(hw::RssProto::kIp4Frag)] = l3;
    fields_[static_cast<unsigned>(hw::RssProto::kNotIp)] = kL2Da | kL2Sa;
    sort_ = 0;
    table_log_ = max_table_log_;
    table_configured_ = false;
    differing_ = 0;
    std::fill(table_.begin(), table_.end(), std::uint16_t{0});
}

void RssState::set_key(const std::array<std::uint8_t, hw::kRssKeySize>& key) {
    key_ = key;
    hasher_.set_key(key);
}

hw::RssProto RssState::classify(const PacketInfo& info) {
    using hw::RssProto;
    if (info.l3 == L3Kind::kIpv4) {
        if (info.fragment)
            return RssProto::kIp4Frag;
        if (info.is_tcp())
            return RssProto::kTcp4;
        if (info.is_udp())
            return RssProto::kUdp4;
        return RssProto::kIp4;
    }
    if (info.l3 == L3Kind::kIpv6) {
        const bool l4 = !info.fragment;
        if (l4 && info.is_tcp())
            return info.ipv6_extensions ? RssProto::kTcp6Ex : RssProto::kTcp6;
        if (l4 && info.is_udp() && !info.ipv6_extensions)
            return RssProto::kUdp6;
        return info.ipv6_extensions ? RssProto::kIp6Ex : RssProto::kIp6;
    }
    return RssProto::kNotIp;
}

// Input order (Microsoft RSS for L3/L4): L3 source, L3 destination, L4 source port, L4
// destination port, then L2 source and destination. Sorting puts the smaller address (port)
// first so both directions of a flow hash alike.
std::uint32_t RssState::hash(std::span<const std::uint8_t> frame, const PacketInfo& info) const {
    using namespace hw::rss_field;
    const std::uint16_t sel = fields_[static_cast<unsigned>(classify(info))];
    std::array<std::uint8_t, ToeplitzHasher::kMaxInput> in;
    std::size_t n = 0;
    auto append_pair = [&](const std::uint8_t* src, const std::uint8_t* dst, std::size_t len, bool use_src,
                           bool use_dst, bool sort) {
        if (sort && use_src && use_dst && std::memcmp(dst, src, len) < 0)
            std::swap(src, dst);
        if (use_src) {
            std::memcpy(&in[n], src, len);
            n += len;
        }
        if (use_dst) {
            std::memcpy(&in[n], dst, len);
            n += len;
        }
    };
    const std::uint8_t* f = frame.data();
    if (info.l3 != L3Kind::kNone) {
        const std::size_t addr_len = info.l3 == L3Kind::kIpv4 ? 4 : 16;
        const std::uint8_t* ip = f + info.l3_offset;
        const std::uint8_t* src = ip + (info.l3 == L3Kind::kIpv4 ? 12 : 8);
        append_pair(src, src + addr_len, addr_len, sel & kL3Sa, sel & kL3Da,
                    sort_ & hw::rss_input_sort::L3Sort::kMask);
        if (info.l4_parsed && !(info.fragment && !info.first_fragment)) {
            const std::uint8_t* l4 = f + info.l4_offset;
            append_pair(l4, l4 + 2, 2, sel & kL4Sp, sel & kL4Dp, sort_ & hw::rss_input_sort::L4Sort::kMask);
        }
    }
    if (frame.size() >= 12)
        append_pair(f + 6, f, 6, sel & kL2Sa, sel & kL2Da, false);
    return hasher_.hash(in.data(), n);
}

}  // namespace ena::sim::detail
