// ENA hardware interface: the asynchronous event notification queue (AENQ).
// The device writes 64-byte entries with a phase bit; the driver consumes them and writes its
// free-running head to AENQ_HEAD_DB.
#pragma once

#include "admin.hpp"

namespace ena::hw {

inline constexpr std::uint16_t kAenqDepth = 16;  // what drivers use
inline constexpr std::uint16_t kAenqEntrySize = 64;

enum class AenqGroup : std::uint16_t {
    kLinkChange = 0,
    kFatalError = 1,
    kWarning = 2,
    kNotification = 3,
    kKeepAlive = 4,
    kRefreshCapabilities = 5,
    kConfNotifications = 6,
    kDeviceRequestReset = 7,
};
inline constexpr unsigned kAenqGroupCount = 8;
constexpr std::uint32_t aenq_group_bit(AenqGroup g) { return std::uint32_t{1} << static_cast<unsigned>(g); }

// Syndromes of the NOTIFICATION group.
enum class AenqNotificationSyndrome : std::uint16_t { kSuspend = 0, kResume = 1, kUpdateHints = 2 };

struct AenqCommonDesc {
    std::uint16_t group;  // AenqGroup
    std::uint16_t syndrome;
    std::uint8_t flags;  // bit 0: phase; other bits must be zero
    std::uint8_t reserved[3];
    std::uint32_t timestamp_low;
    std::uint32_t timestamp_high;
};
namespace aenq_desc {
using Phase = Flag<std::uint8_t, 0>;
}
static_assert(sizeof(AenqCommonDesc) == 16);

struct AenqEntry {
    AenqCommonDesc common;
    std::uint32_t inline_w4[12];
};
static_assert(sizeof(AenqEntry) == kAenqEntrySize);

struct AenqLinkChange {
    AenqCommonDesc common;
    std::uint32_t flags;  // bit 0: link up
};
namespace aenq_link {
using Up = Flag<std::uint32_t, 0>;
}
static_assert(offsetof(AenqLinkChange, flags) == 16);

// Sent about once a second; a missing keep-alive tells the driver the device is gone.
struct AenqKeepAlive {
    AenqCommonDesc common;
    SplitCounter rx_drops;  // frames dropped for lack of Rx buffers
    SplitCounter tx_drops;
    SplitCounter rx_overruns;
};
static_assert(sizeof(AenqKeepAlive) == 40);
static_assert(offsetof(AenqKeepAlive, tx_drops) == 24);

struct AenqConfNotifications {
    AenqCommonDesc common;
    std::uint64_t notifications_bitmap;  // bit n = notification code n + 1
    std::uint64_t reserved;
};
static_assert(sizeof(AenqConfNotifications) == 32);

// Sub-optimal configuration notification codes (EC2 user guide).
enum class ConfNotification : std::uint8_t {
    kEnaExpressWithWideLlq = 1,
    kEnaExpressShallowTxQueue = 2,
    kLlqHeaderTooLarge = 3,  // normal LLQ while Tx headers exceed 96 bytes: the device drops them
};
constexpr std::uint64_t conf_notification_bit(ConfNotification code) {
    return std::uint64_t{1} << (static_cast<unsigned>(code) - 1);
}

struct AenqHintsUpdate {
    AenqCommonDesc common;
    HwHints hints;
};
static_assert(offsetof(AenqHintsUpdate, hints) == 16);

}  // namespace ena::hw
