// Receive-side scaling: which Rx queue a frame goes to, and the hash the device reports.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "ena_hw.hpp"
#include "packet.hpp"

namespace ena::sim::detail {

// Toeplitz hash with per-byte lookup tables (rebuilt when the key changes), so hashing costs
// one table load per input byte. Inputs longer than key - 4 bytes (L2 fields on IPv6) use the
// key cyclically.
class ToeplitzHasher {
public:
    static constexpr std::size_t kKeySize = hw::kRssKeySize;
    static constexpr std::size_t kMaxInput = 48;  // L2 SA+DA, IPv6 SA+DA, ports

    void set_key(const std::array<std::uint8_t, kKeySize>& key);
    std::uint32_t hash(const std::uint8_t* input, std::size_t len) const;

private:
    std::vector<std::array<std::uint32_t, 256>> table_ = std::vector<std::array<std::uint32_t, 256>>(kMaxInput);
};

// The Microsoft RSS verification key, in conventional byte order.
inline constexpr std::array<std::uint8_t, hw::kRssKeySize> kDefaultRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

// RSS configuration. Modified only by admin commands (with both device locks held); read by
// the Rx path under the Rx lock.
class RssState {
public:
    static constexpr std::uint16_t kAllFields = hw::rss_field::kL2Da | hw::rss_field::kL2Sa | hw::rss_field::kL3Da |
                                                hw::rss_field::kL3Sa | hw::rss_field::kL4Dp | hw::rss_field::kL4Sp;
    static constexpr std::uint16_t kSortFlags = hw::rss_input_sort::L3Sort::kMask | hw::rss_input_sort::L4Sort::kMask;
    static constexpr std::uint32_t kSupportedFunctions = 1u << static_cast<unsigned>(hw::HashFunction::kToeplitz);
    static constexpr std::uint8_t kMinTableLog = 0;

    explicit RssState(std::uint8_t max_table_log);
    void reset();  // power-on configuration

    // Fields the device can hash for each protocol class (every class it recognises: all).
    static std::uint16_t supported_fields(unsigned proto) { return proto <= 9 ? kAllFields : 0; }

    const std::array<std::uint8_t, hw::kRssKeySize>& key() const { return key_; }
    void set_key(const std::array<std::uint8_t, hw::kRssKeySize>& key);
    std::uint32_t selected_function() const { return selected_function_; }
    std::uint32_t init_value() const { return init_value_; }
    void set_function(std::uint32_t selected, std::uint32_t init_value) {
        selected_function_ = selected;
        init_value_ = init_value;
    }

    std::uint16_t fields(unsigned proto) const { return fields_[proto]; }
    void set_fields(unsigned proto, std::uint16_t fields) { fields_[proto] = fields; }
    std::uint16_t sort_flags() const { return sort_; }
    void set_sort_flags(std::uint16_t flags) { sort_ = flags; }

    std::uint8_t max_table_log() const { return max_table_log_; }
    std::uint8_t table_log() const { return table_log_; }
    bool table_configured() const { return table_configured_; }
    std::uint16_t table_entry(std::uint32_t i) const { return table_[i]; }
    void set_table_size(std::uint8_t log) {
        table_log_ = log;
        table_configured_ = true;
        count_differing();
    }
    void set_table_entry(std::uint32_t i, std::uint16_t cq) {
        table_configured_ = true;
        if (i == 0) {
            table_[0] = cq;
            count_differing();
            return;
        }
        differing_ -= table_[i] != table_[0];
        table_[i] = cq;
        differing_ += table_[i] != table_[0];
    }
    // Whether the hash decides the queue: a table whose entries do not all name one CQ. When it
    // does not, the frame's queue is steady_cq() (-1: no table, the first Rx queue).
    bool steers() const { return differing_ != 0; }
    int steady_cq() const { return table_configured_ ? table_[0] : -1; }

    // Protocol class (hw::RssProto) of a parsed frame.
    static hw::RssProto classify(const PacketInfo& info);
    std::uint32_t hash(std::span<const std::uint8_t> frame, const PacketInfo& info) const;
    // Indirection: the CQ index the frame's hash selects, or -1 when the driver has not set a
    // table (the Rx path then uses its first Rx queue).
    int select_cq(std::uint32_t hash) const {
        if (!table_configured_)
            return -1;
        return table_[hash & ((1u << table_log_) - 1)];
    }

private:
    std::uint8_t max_table_log_;
    std::array<std::uint8_t, hw::kRssKeySize> key_{};
    ToeplitzHasher hasher_;
    std::uint32_t selected_function_ = 0;
    std::uint32_t init_value_ = 0;
    std::array<std::uint16_t, hw::kRssProtoCount> fields_{};
    std::uint16_t sort_ = 0;
    std::uint8_t table_log_ = 0;
    bool table_configured_ = false;
    std::uint32_t differing_ = 0;  // entries of the table in use that name another CQ than entry 0
    std::vector<std::uint16_t> table_;

    void count_differing() {
        const std::size_t n = std::size_t{1} << table_log_;
        differing_ = static_cast<std::uint32_t>(std::count_if(
            table_.begin(), table_.begin() + static_cast<std::ptrdiff_t>(n), [&](std::uint16_t cq) { return cq != table_[0]; }));
    }
};

}  // namespace ena::sim::detail
