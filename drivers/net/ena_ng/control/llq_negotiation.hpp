// Choosing how Tx descriptors reach the device: LLQ (written into device memory, BAR2) with
// 128- or 256-byte entries, or host memory. Pure function of what the device offers and what
// the user asked for, so it can be tested without a device.
#pragma once

#include <cstdint>

#include "hw/admin.hpp"
#include "hw/llq.hpp"

namespace ena::ng {

// llq_policy devarg (upstream meanings).
enum class LlqPolicy : std::uint8_t {
    kOff = 0,                   // host-memory Tx
    kDeviceRecommendation = 1,  // entry size the device recommends (default)
    kNormal = 2,                // force 128-byte entries (96-byte header room)
    kWide = 3,                  // force 256-byte entries (224-byte header room)
};

enum class TxPlacement : std::uint8_t { kHost, kLlq };

struct LlqChoice {
    TxPlacement placement = TxPlacement::kHost;
    hw::LlqLayout layout{};  // meaningful with kLlq
    // What SET_FEATURE(LLQ) sends (one value of each option).
    std::uint16_t header_location = 0;
    std::uint16_t entry_size = 0;  // hw::LlqEntrySize bit
    std::uint16_t descs_before_header = 0;
    std::uint16_t stride = 0;
    std::uint16_t accel_flags = 0;  // bitmap of hw::LlqAccelFlag the driver enables
    // Accelerated LLQ: every packet carries a meta descriptor; at most this many entries between
    // two doorbells (0 = no limit).
    bool disable_meta_caching = false;
    std::uint16_t max_entries_per_burst = 0;
    // Tx ring entries LLQ allows (before the CQ depth limit): the wide-entry rule applied.
    std::uint32_t max_depth = 0;
    // Non-null when the policy asked for LLQ (or for an entry size) that the device cannot
    // give: one warning line for the user.
    const char* fallback_reason = nullptr;
};

// `offer` is the device's GET_FEATURE(LLQ) answer; `device_has_llq` says whether the feature is
// supported and `llq_memory` whether BAR2 is mapped.
LlqChoice choose_llq(const hw::LlqFeature& offer, bool device_has_llq, bool llq_memory, LlqPolicy policy);

const char* llq_policy_name(LlqPolicy policy);

}  // namespace ena::ng
