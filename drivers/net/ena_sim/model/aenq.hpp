// The asynchronous event notification queue, device side: posts events of the groups the
// driver enabled, never overwriting entries the driver has not released through
// AENQ_HEAD_DB, and runs the keep-alive timer. Used under the device's process_mutex.
#pragma once

#include <array>
#include <cstdint>

#include "device_core.hpp"

namespace ena::sim::detail {

class Aenq {
public:
    static constexpr std::uint32_t kSupportedGroups =
        hw::aenq_group_bit(hw::AenqGroup::kLinkChange) | hw::aenq_group_bit(hw::AenqGroup::kFatalError) |
        hw::aenq_group_bit(hw::AenqGroup::kWarning) | hw::aenq_group_bit(hw::AenqGroup::kNotification) |
        hw::aenq_group_bit(hw::AenqGroup::kKeepAlive) | hw::aenq_group_bit(hw::AenqGroup::kConfNotifications) |
        hw::aenq_group_bit(hw::AenqGroup::kDeviceRequestReset);
    static constexpr std::uint64_t kConfNotificationInterval = 1'000'000'000;  // at most one a second per code

    explicit Aenq(DeviceCore& core) : core_(core) {}

    void reset();  // power-on: nothing enabled, nothing produced
    std::uint32_t enabled_groups() const { return enabled_; }
    // AENQ_CONFIG: the driver enabled `groups` (already checked against kSupportedGroups).
    // Newly enabled link-change announces the current link state; keep-alive starts its timer.
    void set_enabled_groups(std::uint32_t groups);

    // Events. Each returns true when an entry was written.
    bool post_link_change(bool up);
    bool post_fatal_error();
    bool post_device_reset_request();
    bool enabled(hw::AenqGroup g) const { return enabled_ & hw::aenq_group_bit(g); }
    // A sub-optimal configuration was seen; each code is sent at most once per
    // kConfNotificationInterval.
    bool post_conf_notification(hw::ConfNotification code);
    // Sends the keep-alives that fell due by now; true when any was due.
    bool run_timers();
    // When run_timers() has something to do next (kNoDeadline: nothing).
    std::uint64_t next_timer_ns() const {
        return enabled(hw::AenqGroup::kKeepAlive) && core_.config.keep_alive_interval_ms != 0 ? next_keep_alive_ns_
                                                                                               : kNoDeadline;
    }
    // Notes a head doorbell write (every control pass looks, so none is missed in synchronous mode).
    void observe_head() { driver_head(0); }

private:
    bool post(hw::AenqEntry& entry);
    bool post(hw::AenqEntry& entry, std::uint64_t timestamp_ns);
    // The driver's head doorbell: entries it consumed plus the depth, so entries below it are
    // free. The queue is empty with room for its whole depth from admin initialisation on:
    // until the driver first writes the doorbell (some enable events before), head = depth.
    std::uint16_t driver_head(std::uint32_t depth);

    DeviceCore& core_;
    std::uint32_t enabled_ = 0;
    std::uint64_t produced_ = 0;
    std::uint64_t next_keep_alive_ns_ = 0;
    std::uint64_t conf_notified_ = 0;  // bitmap of the codes sent since the last reset
    std::array<std::uint64_t, 64> last_conf_notification_ns_{};  // by code - 1
    std::uint32_t head_register_ = 0;  // AENQ_HEAD_DB as last seen
    bool head_written_ = false;        // the driver wrote it since the last reset
};

}  // namespace ena::sim::detail
