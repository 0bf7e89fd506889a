#include "control/llq_negotiation.hpp"

#include <bit>
#include <initializer_list>

namespace ena::ng {

namespace {

constexpr std::uint16_t bit(hw::LlqEntrySize size) { return static_cast<std::uint16_t>(size); }

// First supported entry size in the order the ENA interface documents for fallbacks.
std::uint16_t fallback_entry_size(std::uint16_t supported) {
    for (const auto size : {hw::LlqEntrySize::k128, hw::LlqEntrySize::k192, hw::LlqEntrySize::k256})
        if (supported & bit(size))
            return bit(size);
    return 0;
}

std::uint16_t entry_bytes(std::uint16_t size_bit) {
    return hw::llq_entry_size_bytes(static_cast<hw::LlqEntrySize>(size_bit));
}

}  // namespace

const char* llq_policy_name(LlqPolicy policy) {
    switch (policy) {
        case LlqPolicy::kOff:
            return "off";
        case LlqPolicy::kDeviceRecommendation:
            return "device recommendation";
        case LlqPolicy::kNormal:
            return "normal (128-byte entries)";
        case LlqPolicy::kWide:
            return "wide (256-byte entries)";
    }
    return "?";
}

LlqChoice choose_llq(const hw::LlqFeature& offer, bool device_has_llq, bool llq_memory, LlqPolicy policy) {
    LlqChoice choice;
    if (policy == LlqPolicy::kOff)
        return choice;
    if (!device_has_llq) {
        choice.fallback_reason = "the device does not offer LLQ";
        return choice;
    }
    if (!llq_memory) {
        choice.fallback_reason = "the device offers LLQ but its LLQ memory BAR is not mapped";
        return choice;
    }
    if (!(offer.header_location_supported & static_cast<std::uint16_t>(hw::LlqHeaderLocation::kInline))) {
        choice.fallback_reason = "the device does not support inline LLQ headers";
        return choice;
    }
    choice.header_location = static_cast<std::uint16_t>(hw::LlqHeaderLocation::kInline);

    if (offer.stride_supported & static_cast<std::uint16_t>(hw::LlqStride::kMultipleDescsPerEntry))
        choice.stride = static_cast<std::uint16_t>(hw::LlqStride::kMultipleDescsPerEntry);
    else if (offer.stride_supported & static_cast<std::uint16_t>(hw::LlqStride::kSingleDescPerEntry))
        choice.stride = static_cast<std::uint16_t>(hw::LlqStride::kSingleDescPerEntry);
    else {
        choice.fallback_reason = "the device reports no usable LLQ descriptor stride";
        return choice;
    }

    const std::uint16_t sizes = offer.entry_size_supported;
    std::uint16_t wanted = bit(hw::LlqEntrySize::k128);
    if (policy == LlqPolicy::kWide) {
        wanted = bit(hw::LlqEntrySize::k256);
    } else if (policy == LlqPolicy::kDeviceRecommendation &&
               offer.feature_version >= hw::kLlqFeatureVersionRecommendsEntrySize &&
               std::has_single_bit(offer.entry_size_recommended) && (sizes & offer.entry_size_recommended)) {
        wanted = offer.entry_size_recommended;
    }
    if (sizes & wanted) {
        choice.entry_size = wanted;
    } else {
        choice.entry_size = fallback_entry_size(sizes);
        if (choice.entry_size == 0) {
            choice.fallback_reason = "the device reports no usable LLQ entry size";
            return choice;
        }
        if (policy == LlqPolicy::kWide)
            choice.fallback_reason = "llq_policy asks for 256-byte LLQ entries but the device does not offer them";
        else if (policy == LlqPolicy::kNormal)
            choice.fallback_reason = "llq_policy asks for 128-byte LLQ entries but the device does not offer them";
    }

    const std::uint16_t before = offer.desc_num_before_header_supported;
    choice.descs_before_header = 0;
    for (const std::uint16_t n : {2, 1, 4, 8}) {
        if (before & n) {
            choice.descs_before_header = n;
            break;
        }
    }
    if (choice.descs_before_header == 0) {
        choice.fallback_reason = "the device reports no usable LLQ descriptors-before-header count";
        return choice;
    }

    const std::uint16_t bytes = entry_bytes(choice.entry_size);
    choice.layout = hw::LlqLayout{bytes, choice.descs_before_header, static_cast<hw::LlqStride>(choice.stride)};

    const std::uint16_t accel = offer.accel_mode.get.supported_flags;
    const std::uint16_t meta_bit = std::uint16_t{1} << static_cast<unsigned>(hw::LlqAccelFlag::kDisableMetaCaching);
    const std::uint16_t burst_bit = std::uint16_t{1} << static_cast<unsigned>(hw::LlqAccelFlag::kLimitTxBurst);
    choice.accel_flags = static_cast<std::uint16_t>(accel & (meta_bit | burst_bit));
    choice.disable_meta_caching = (accel & meta_bit) != 0;
    // The burst budget is in bytes of entries: divide by the size actually negotiated.
    if ((accel & burst_bit) && offer.accel_mode.get.max_tx_burst_size != 0)
        choice.max_entries_per_burst = static_cast<std::uint16_t>(offer.accel_mode.get.max_tx_burst_size / bytes);

    choice.max_depth = offer.max_llq_depth;
    if (bytes == 256)
        choice.max_depth = offer.max_wide_llq_depth != 0 ? offer.max_wide_llq_depth : offer.max_llq_depth / 2;
    if (choice.max_depth == 0) {
        choice.fallback_reason = "the device reports an LLQ depth of 0";
        return LlqChoice{.fallback_reason = choice.fallback_reason};
    }
    choice.placement = TxPlacement::kLlq;
    return choice;
}

}  // namespace ena::ng
