// ENA hardware interface: geometry of Low Latency Queue (LLQ) entries.
//
// In LLQ placement the driver writes Tx descriptors and the packet's leading bytes into device
// memory (BAR2) in fixed-size entries. The first entry of a packet holds up to
// `descs_before_header` 16-byte descriptors (the meta descriptor counts) followed by the pushed
// header bytes; remaining descriptors continue at the start of the following entries. The SQ
// tail and doorbell count entries, and the phase bit flips when the entry ring wraps.
#pragma once

#include "admin.hpp"
#include "io.hpp"

namespace ena::hw {

struct LlqLayout {
    std::uint16_t entry_size = 128;         // bytes: 128, 192 or 256
    std::uint16_t descs_before_header = 2;  // descriptors ahead of the header in the first entry
    LlqStride stride = LlqStride::kMultipleDescsPerEntry;

    constexpr std::uint16_t header_offset() const {
        return static_cast<std::uint16_t>(descs_before_header * kTxDescSize);
    }
    // Header bytes a packet may carry: 96 with 128-byte entries, 224 with 256-byte entries.
    constexpr std::uint16_t header_room() const {
        return static_cast<std::uint16_t>(entry_size - header_offset());
    }
    constexpr std::uint16_t descs_per_continuation_entry() const {
        return stride == LlqStride::kSingleDescPerEntry ? 1 : static_cast<std::uint16_t>(entry_size / kTxDescSize);
    }
    // Where descriptor `index` of a packet (meta descriptor first, when there is one) lands:
    // `entry` counts from the packet's first entry, `offset` is bytes into that entry.
    struct Position {
        std::uint32_t entry;
        std::uint32_t offset;
    };
    constexpr Position descriptor_position(std::uint32_t index) const {
        if (index < descs_before_header)
            return {0, index * kTxDescSize};
        const std::uint32_t rest = index - descs_before_header;
        const std::uint32_t per = descs_per_continuation_entry();
        return {1 + rest / per, (rest % per) * kTxDescSize};
    }
    // Entries used by a packet with `descs` descriptors (meta included).
    constexpr std::uint32_t entries_for(std::uint32_t descs) const {
        return descs == 0 ? 1 : descriptor_position(descs - 1).entry + 1;
    }
};

inline constexpr LlqLayout kLlqNormal{128, 2, LlqStride::kMultipleDescsPerEntry};
inline constexpr LlqLayout kLlqWide{256, 2, LlqStride::kMultipleDescsPerEntry};
static_assert(kLlqNormal.header_room() == 96);
static_assert(kLlqWide.header_room() == 224);
static_assert(kLlqNormal.entries_for(2) == 1 && kLlqNormal.entries_for(3) == 2 && kLlqNormal.entries_for(10) == 2 &&
              kLlqNormal.entries_for(11) == 3);
static_assert(kLlqNormal.descriptor_position(1).entry == 0 && kLlqNormal.descriptor_position(1).offset == 16 &&
              kLlqNormal.descriptor_position(2).entry == 1 && kLlqNormal.descriptor_position(2).offset == 0 &&
              kLlqNormal.descriptor_position(10).entry == 2 && kLlqWide.descriptor_position(17).offset == 240);

}  // namespace ena::hw
