// ENA hardware interface: PCI identity and the BAR0 register map.
// All registers are 32 bits wide, little-endian.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bits.hpp"

namespace ena::hw {

// --- PCI identity ---------------------------------------------------------------------------
inline constexpr std::uint16_t kPciVendorAmazon = 0x1d0f;
// Every device id the Linux ENA driver matches (DPDK's built-in PMD matches only the first two).
inline constexpr std::uint16_t kPciDeviceVf = 0xec20;
inline constexpr std::uint16_t kPciDeviceVfLlq = 0xec21;
inline constexpr std::uint16_t kPciDevicePf = 0x0ec2;
inline constexpr std::uint16_t kPciDevicePfLlq = 0x1ec2;
inline constexpr std::uint16_t kPciDeviceReserved0 = 0x0051;

inline constexpr unsigned kRegisterBar = 0;  // BAR0: registers (non-prefetchable)
inline constexpr unsigned kLlqBar = 2;       // BAR2: LLQ device memory (prefetchable, map WC)
// Bit 0 of the PCI revision id set means the device does not implement readless MMIO reads.
inline constexpr std::uint8_t kPciRevisionNoReadlessMmio = 0x1;

// --- Register offsets in BAR0 -----------------------------------------------------------------
namespace reg {
inline constexpr std::uint32_t kVersion = 0x00;
inline constexpr std::uint32_t kControllerVersion = 0x04;
inline constexpr std::uint32_t kCaps = 0x08;
inline constexpr std::uint32_t kCapsExt = 0x0c;
inline constexpr std::uint32_t kAqBaseLow = 0x10;
inline constexpr std::uint32_t kAqBaseHigh = 0x14;
inline constexpr std::uint32_t kAqCaps = 0x18;
inline constexpr std::uint32_t kAcqBaseLow = 0x20;
inline constexpr std::uint32_t kAcqBaseHigh = 0x24;
inline constexpr std::uint32_t kAcqCaps = 0x28;
inline constexpr std::uint32_t kAqDoorbell = 0x2c;
inline constexpr std::uint32_t kAcqTail = 0x30;
inline constexpr std::uint32_t kAenqCaps = 0x34;
inline constexpr std::uint32_t kAenqBaseLow = 0x38;
inline constexpr std::uint32_t kAenqBaseHigh = 0x3c;
inline constexpr std::uint32_t kAenqHeadDoorbell = 0x40;
inline constexpr std::uint32_t kAenqTail = 0x44;
inline constexpr std::uint32_t kIntrMask = 0x4c;
inline constexpr std::uint32_t kDevCtl = 0x54;
inline constexpr std::uint32_t kDevSts = 0x58;
inline constexpr std::uint32_t kMmioRegRead = 0x5c;
inline constexpr std::uint32_t kMmioRespLow = 0x60;
inline constexpr std::uint32_t kMmioRespHigh = 0x64;
inline constexpr std::uint32_t kRssIndEntryUpdate = 0x68;
inline constexpr std::uint32_t kPhcDoorbell = 0x100;
// First offset past the fixed registers; IO doorbells, CQ unmask and NUMA registers live above
// it at offsets the device returns from CREATE_SQ / CREATE_CQ.
inline constexpr std::uint32_t kFixedRegisterEnd = 0x200;
}  // namespace reg

// INTR_MASK: set, the device raises no admin interrupt (admin completions, AENQ events); the
// driver sets it while it polls the admin queue.
inline constexpr std::uint32_t kAdminIntrMask = 1;

// --- Register fields --------------------------------------------------------------------------
namespace version {  // VERSION: ENA specification version the device implements
using Minor = Field<std::uint32_t, 0, 8>;
using Major = Field<std::uint32_t, 8, 8>;
}  // namespace version

namespace controller_version {
using Subminor = Field<std::uint32_t, 0, 8>;
using Minor = Field<std::uint32_t, 8, 8>;
using Major = Field<std::uint32_t, 16, 8>;
using ImplId = Field<std::uint32_t, 24, 8>;
// The driver refuses controllers older than 0.0.1.
inline constexpr std::uint32_t kMinimum = 0x000001;
}  // namespace controller_version

namespace caps {
using ContiguousQueueRequired = Flag<std::uint32_t, 0>;
using ResetTimeout = Field<std::uint32_t, 1, 5>;    // units of 100 ms
using DmaAddrWidth = Field<std::uint32_t, 8, 8>;    // bits
using AdminCmdTimeout = Field<std::uint32_t, 16, 4>;  // units of 100 ms; 0 = driver default (3 s)
inline constexpr std::uint32_t kTimeoutUnitMs = 100;
}  // namespace caps

namespace queue_caps {  // AQ_CAPS, ACQ_CAPS, AENQ_CAPS
using Depth = Field<std::uint32_t, 0, 16>;
using EntrySize = Field<std::uint32_t, 16, 16>;  // bytes
}  // namespace queue_caps

namespace dev_ctl {
using DevReset = Flag<std::uint32_t, 0>;
using AqRestart = Flag<std::uint32_t, 1>;
using Quiescent = Flag<std::uint32_t, 2>;
using IoResume = Flag<std::uint32_t, 3>;
// Extended reset reasons (> 15) put their high nibble here when the device advertises the
// EXTENDED_RESET_REASONS capability; otherwise such reasons are sent as kGeneric.
using ResetReasonExt = Field<std::uint32_t, 24, 4>;
using ResetReason = Field<std::uint32_t, 28, 4>;
}  // namespace dev_ctl

namespace dev_sts {
using Ready = Flag<std::uint32_t, 0>;
using AqRestartInProgress = Flag<std::uint32_t, 1>;
using AqRestartFinished = Flag<std::uint32_t, 2>;
using ResetInProgress = Flag<std::uint32_t, 3>;
using ResetFinished = Flag<std::uint32_t, 4>;
using FatalError = Flag<std::uint32_t, 5>;
using QuiescentInProgress = Flag<std::uint32_t, 6>;
using QuiescentAchieved = Flag<std::uint32_t, 7>;
}  // namespace dev_sts

namespace mmio_reg_read {
using RequestId = Field<std::uint32_t, 0, 16>;
using RegisterOffset = Field<std::uint32_t, 16, 16>;
}  // namespace mmio_reg_read

namespace rss_ind_entry_update {
using Index = Field<std::uint32_t, 0, 16>;
using CqIndex = Field<std::uint32_t, 16, 16>;
}  // namespace rss_ind_entry_update

// The 8-byte buffer in host memory where the device answers a readless register read.
// The driver pre-fills request_id with a value that cannot match, then waits until it does.
struct ReadlessResponse {
    std::uint16_t request_id;
    std::uint16_t register_offset;
    std::uint32_t value;
};
static_assert(sizeof(ReadlessResponse) == 8);
static_assert(offsetof(ReadlessResponse, register_offset) == 2);
static_assert(offsetof(ReadlessResponse, value) == 4);
// Value a failed (timed out) register read yields, as on real hardware.
inline constexpr std::uint32_t kRegisterReadFailed = 0xFFFFFFFF;

// Reset reasons written to DEV_CTL together with DEV_RESET.
enum class ResetReason : std::uint32_t {
    kNormal = 0,
    kKeepAliveTimeout = 1,
    kAdminTimeout = 2,
    kMissingTxCompletion = 3,
    kInvalidRxReqId = 4,
    kInvalidTxReqId = 5,
    kTooManyRxDescs = 6,
    kInitError = 7,
    kDriverInvalidState = 8,
    kOsTrigger = 9,
    kOsNetdevWatchdog = 10,
    kShutdown = 11,
    kUserTrigger = 12,
    kGeneric = 13,
    kMissingInterrupt = 14,
    kSuspectedPollStarvation = 15,
    kRxDescriptorMalformed = 16,
    kTxDescriptorMalformed = 17,
    kMissingAdminInterrupt = 18,
    kDeviceRequest = 19,
    kMissingFirstInterrupt = 20,
};
inline constexpr std::uint32_t kResetReasonCount = 21;

// Each reason's name as the driver's logs and xstats (reset_<name>) spell it.
inline constexpr std::array<const char*, kResetReasonCount> kResetReasonNames = {
    "normal",          "keep_alive_timeout",   "admin_timeout",         "missing_tx_completion",
    "invalid_rx_req_id", "invalid_tx_req_id", "too_many_rx_descs",     "init_error",
    "driver_invalid_state", "os_trigger",     "os_netdev_watchdog",    "shutdown",
    "user_trigger",    "generic",             "missing_interrupt",     "suspected_poll_starvation",
    "rx_descriptor_malformed", "tx_descriptor_malformed", "missing_admin_interrupt", "device_request",
    "missing_first_interrupt"};
constexpr const char* reset_reason_name(ResetReason reason) {
    const auto i = static_cast<std::uint32_t>(reason);
    return i < kResetReasonCount ? kResetReasonNames[i] : "unknown";
}
static_assert(std::string_view(reset_reason_name(ResetReason::kMissingFirstInterrupt)) == "missing_first_interrupt");

// DEV_CTL value that starts a reset for `reason`. Its low nibble goes in ResetReason; with the
// EXTENDED_RESET_REASONS capability the rest goes in ResetReasonExt, without it a reason that
// does not fit the nibble is sent as kGeneric.
constexpr std::uint32_t dev_ctl_reset(ResetReason reason, bool extended_reasons) {
    auto code = static_cast<std::uint32_t>(reason);
    if (code > 0xF && !extended_reasons)
        code = static_cast<std::uint32_t>(ResetReason::kGeneric);
    return dev_ctl::DevReset::make(1) | dev_ctl::ResetReason::make(code & 0xF) |
           (extended_reasons ? dev_ctl::ResetReasonExt::make(code >> 4) : 0);
}
// The reason a DEV_CTL value carries (what dev_ctl_reset() packed).
constexpr std::uint32_t reset_reason_code(std::uint32_t dev_ctl_value) {
    return dev_ctl::ResetReason::get(dev_ctl_value) | dev_ctl::ResetReasonExt::get(dev_ctl_value) << 4;
}
static_assert(reset_reason_code(dev_ctl_reset(ResetReason::kDeviceRequest, true)) == 19);
static_assert(reset_reason_code(dev_ctl_reset(ResetReason::kDeviceRequest, false)) == 13);
static_assert(reset_reason_code(dev_ctl_reset(ResetReason::kMissingTxCompletion, false)) == 3);

// IO queue register value layouts (offsets come back from CREATE_CQ).
namespace cq_unmask {
using RxDelay = Field<std::uint32_t, 0, 15>;
using TxDelay = Field<std::uint32_t, 15, 15>;
using Unmask = Flag<std::uint32_t, 30>;
using NoModerationUpdate = Flag<std::uint32_t, 31>;
}  // namespace cq_unmask
namespace numa_cfg {
using Node = Field<std::uint32_t, 0, 8>;
using Enabled = Flag<std::uint32_t, 31>;
}  // namespace numa_cfg

}  // namespace ena::hw
