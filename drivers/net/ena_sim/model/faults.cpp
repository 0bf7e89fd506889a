// Faults that are events of the device rather than misbehaving operations -- it fails, asks for
// a reset, flaps its link -- and the schedule that arms faults at their time. Run in every pass
// of the device (process(), the engine thread) and at each step of advance_time(), under
// process_mutex. Faults that bend one operation are committed where it happens (FaultPlan::fire
// in the Tx, Rx, admin, AENQ and register code).
#include "device_impl.hpp"

namespace ena::sim {

namespace {
constexpr std::uint64_t kMs = 1'000'000;
}

void Device::Impl::fail_locked() {
    aenq.post_fatal_error();
    core.fatal_error = true;
    core.registers.store(hw::reg::kDevSts, core.registers.load(hw::reg::kDevSts) | hw::dev_sts::FatalError::kMask);
}

void Device::Impl::set_link_locked(bool up) {
    if (core.link_up.exchange(up) != up)
        aenq.post_link_change(up);
}

std::uint64_t Device::Impl::next_fault_deadline() const {
    std::uint64_t next = std::min(core.faults.next_due_ns(), link_flap_up_ns);
    if (core.faults.pending(Fault::kLinkFlap) != 0)
        next = std::min(next, next_link_flap_ns);
    return next;
}

bool Device::Impl::run_faults() {
    detail::FaultPlan& plan = core.faults;
    const std::uint64_t now = core.clock.now_ns();
    bool did = plan.arm_due(now);

    // A flapped link comes back when its time is up, whatever else the device is doing.
    if (link_flap_up_ns != detail::FaultPlan::kNever && now >= link_flap_up_ns) {
        next_link_flap_ns = now + (link_flap_up_ns - link_flap_down_ns);  // as long up as it was down
        link_flap_up_ns = detail::FaultPlan::kNever;
        set_link_locked(true);
        did = true;
    }

    const bool fatal = plan.pending(Fault::kFatalError) != 0;
    const bool request = plan.pending(Fault::kDeviceResetRequest) != 0;
    const bool flap = plan.pending(Fault::kLinkFlap) != 0;
    // Events hit a device the driver started (it has IO queues), and one that still works.
    if (!(fatal || request || flap) || in_reset || core.fatal_error.load() || core.live_sqs == 0)
        return did;
    if (fatal && plan.fire(Fault::kFatalError)) {
        fail_locked();
        return true;
    }
    if (request && !reset_requested && aenq.enabled(hw::AenqGroup::kDeviceRequestReset) &&
        plan.fire(Fault::kDeviceResetRequest)) {
        reset_requested = true;  // one request per reset: the device waits for the driver
        aenq.post_device_reset_request();
        did = true;
    }
    if (flap && link_flap_up_ns == detail::FaultPlan::kNever && now >= next_link_flap_ns && core.link_up.load() &&
        plan.fire(Fault::kLinkFlap)) {
        link_flap_down_ns = now;
        link_flap_up_ns = now + std::uint64_t{plan.param(Fault::kLinkFlap)} * kMs;
        set_link_locked(false);
        did = true;
    }
    return did;
}

}  // namespace ena::sim
