#include "aenq.hpp"

#include <cstring>

namespace ena::sim::detail {

namespace {
using hw::AenqGroup;
}

void Aenq::reset() {
    enabled_ = 0;
    produced_ = 0;
    next_keep_alive_ns_ = 0;
    conf_notified_ = 0;
    last_conf_notification_ns_ = {};
    head_register_ = 0;
    head_written_ = false;
}

std::uint16_t Aenq::driver_head(std::uint32_t depth) {
    const std::uint32_t value = core_.registers.load(hw::reg::kAenqHeadDoorbell);
    if (value != head_register_) {
        head_register_ = value;
        head_written_ = true;
    }
    return static_cast<std::uint16_t>(head_written_ ? value : depth);
}

void Aenq::set_enabled_groups(std::uint32_t groups) {
    const std::uint32_t added = groups & ~enabled_;
    enabled_ = groups;
    if (added & hw::aenq_group_bit(AenqGroup::kKeepAlive))
        next_keep_alive_ns_ = core_.clock.now_ns() + std::uint64_t{core_.config.keep_alive_interval_ms} * 1'000'000;
    // This is how a driver learns the initial link state.
    if (added & hw::aenq_group_bit(AenqGroup::kLinkChange))
        post_link_change(core_.link_up.load());
}

bool Aenq::post_link_change(bool up) {
    if (!enabled(AenqGroup::kLinkChange))
        return false;
    hw::AenqEntry e{};
    hw::AenqLinkChange body{};
    body.flags = hw::aenq_link::Up::make(up);
    std::memcpy(&e.inline_w4, &body.flags, sizeof(body.flags));
    e.common.group = static_cast<std::uint16_t>(AenqGroup::kLinkChange);
    return post(e);
}

bool Aenq::post_fatal_error() {
    if (!enabled(AenqGroup::kFatalError))
        return false;
    hw::AenqEntry e{};
    e.common.group = static_cast<std::uint16_t>(AenqGroup::kFatalError);
    return post(e);
}

bool Aenq::post_device_reset_request() {
    if (!enabled(AenqGroup::kDeviceRequestReset))
        return false;
    hw::AenqEntry e{};
    e.common.group = static_cast<std::uint16_t>(AenqGroup::kDeviceRequestReset);
    return post(e);
}

bool Aenq::post_conf_notification(hw::ConfNotification code) {
    if (!enabled(AenqGroup::kConfNotifications))
        return false;
    const std::uint64_t now = core_.clock.now_ns();
    const std::uint64_t bitmap = hw::conf_notification_bit(code);
    std::uint64_t& last = last_conf_notification_ns_[static_cast<unsigned>(code) - 1];
    if ((conf_notified_ & bitmap) && now - last < kConfNotificationInterval)
        return false;
    conf_notified_ |= bitmap;
    last = now;
    hw::AenqEntry e{};
    e.common.group = static_cast<std::uint16_t>(AenqGroup::kConfNotifications);
    static_assert(offsetof(hw::AenqConfNotifications, notifications_bitmap) == sizeof(hw::AenqCommonDesc));
    std::memcpy(&e.inline_w4, &bitmap, sizeof(bitmap));
    const bool sent = post(e);
    if (sent)
        ++core_.stats.conf_notifications_sent;
    return sent;
}

bool Aenq::run_timers() {
    if (!enabled(AenqGroup::kKeepAlive) || core_.fatal_error.load())
        return false;
    const std::uint64_t now = core_.clock.now_ns();
    const std::uint64_t interval = std::uint64_t{core_.config.keep_alive_interval_ms} * 1'000'000;
    if (interval == 0 || now < next_keep_alive_ns_)
        return false;
    // After a long pause (a huge advance_time), do not replay more than a queue's worth.
    constexpr std::uint64_t kMaxCatchUp = 64;
    if ((now - next_keep_alive_ns_) / interval > kMaxCatchUp)
        next_keep_alive_ns_ = now - kMaxCatchUp * interval;
    RxCounters rx;
    {
        std::lock_guard lock(core_.rx_mutex);
        rx = core_.rx_counters;
    }
    for (; next_keep_alive_ns_ <= now; next_keep_alive_ns_ += interval) {
        if (core_.faults.fire(Fault::kKeepAliveStop))
            continue;
        hw::AenqEntry e{};
        hw::AenqKeepAlive body{};
        body.rx_drops.set(rx.drops);
        body.tx_drops.set(core_.stats.tx_drops);
        body.rx_overruns.set(rx.overruns);
        std::memcpy(&e, &body, sizeof(body));
        e.common.group = static_cast<std::uint16_t>(AenqGroup::kKeepAlive);
        if (post(e, next_keep_alive_ns_))
            ++core_.stats.keep_alives_sent;
    }
    return true;
}

bool Aenq::post(hw::AenqEntry& e) { return post(e, core_.clock.now_ns()); }

bool Aenq::post(hw::AenqEntry& e, std::uint64_t timestamp_ns) {
    using namespace hw;
    RegisterFile& regs = core_.registers;
    const std::uint32_t caps = regs.load(reg::kAenqCaps);
    const std::uint32_t depth = queue_caps::Depth::get(caps);
    const std::uint64_t base = regs.load_address(reg::kAenqBaseLow, reg::kAenqBaseHigh);
    std::uint8_t* ring = nullptr;
    if (valid_ring_depth(depth) && queue_caps::EntrySize::get(caps) == kAenqEntrySize)
        ring = core_.memory.map(base, std::size_t{depth} * kAenqEntrySize);
    const std::uint16_t room = static_cast<std::uint16_t>(driver_head(depth) - static_cast<std::uint16_t>(produced_));
    if (ring == nullptr || room == 0 || room > depth) {
        ++core_.stats.aenq_events_dropped;
        return false;
    }
    e.common.timestamp_low = static_cast<std::uint32_t>(timestamp_ns);
    e.common.timestamp_high = static_cast<std::uint32_t>(timestamp_ns >> 32);
    e.common.flags = 0;
    const std::uint32_t slot = ring_slot(static_cast<std::uint32_t>(produced_), depth);
    auto* dst = reinterpret_cast<AenqEntry*>(ring + std::size_t{slot} * kAenqEntrySize);
    // Body first, then the flags byte holding the phase: the driver reads the phase first.
    AenqEntry staged = e;
    std::memcpy(reinterpret_cast<std::uint8_t*>(dst), &staged, offsetof(AenqCommonDesc, flags));
    std::memcpy(reinterpret_cast<std::uint8_t*>(dst) + offsetof(AenqCommonDesc, flags) + 1,
                reinterpret_cast<const std::uint8_t*>(&staged) + offsetof(AenqCommonDesc, flags) + 1,
                sizeof(AenqEntry) - offsetof(AenqCommonDesc, flags) - 1);
    store_release(&dst->common.flags,
                  static_cast<std::uint8_t>(aenq_desc::Phase::make(ring_phase(static_cast<std::uint32_t>(produced_), depth))));
    ++produced_;
    regs.store(reg::kAenqTail, static_cast<std::uint32_t>(produced_ & 0xFFFF));
    if (core_.admin_interrupts_unmasked())
        core_.irq_process.raise(0);
    return true;
}

}  // namespace ena::sim::detail
