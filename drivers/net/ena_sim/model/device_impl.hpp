// The simulated device's composition root: shared core plus the parts that act on it.
#pragma once

#include "admin_queue.hpp"
#include "aenq.hpp"
#include "device_core.hpp"
#include "rx_engine.hpp"
#include "tx_engine.hpp"

namespace ena::sim {

struct Device::Impl {
    Impl(Device& self, const DeviceConfig& config, IovaTranslator iova, EngineMode mode);

    // One pass over everything the driver may have written. process_mutex held.
    bool process_locked();

    // The control registers alone (reset, readless, admin queue, RSS entry updates, CQ unmask):
    // what a driver's register write needs answered before it goes on. process_mutex held.
    bool process_control_locked();

    // Register handling (registers.cpp).
    void power_on_registers();
    void clear_driver_registers();
    // Writes to MMIO_RESP_LO/HI taken since the last look (each half only when written).
    struct AddressWrites {
        std::optional<std::uint32_t> low, high;
    };
    AddressWrites take_readless_address_writes();
    bool apply_readless_address_writes(const AddressWrites& writes);
    bool handle_dev_ctl();
    void complete_reset();
    bool answer_readless();
    // The request as loaded earlier in the pass (see process_control_locked).
    bool answer_readless(std::uint32_t request);
    bool handle_cq_unmask();
    // Moderated CQ interrupts whose delay has passed fire (process_mutex held); the earliest one
    // still to come (kNever: none), where advance_time() stops on its way.
    bool fire_moderated_interrupts();
    std::uint64_t next_interrupt_deadline() const;
    bool handle_rss_entry_update();

    // Faults that are device events, and the schedule (faults.cpp). process_mutex held.
    bool run_faults();
    // The next time run_faults() has something to do (kNever: nothing planned). advance_time()
    // stops there on its way, so that virtual time is exact.
    std::uint64_t next_fault_deadline() const;
    // The device fails (DEV_STS.FATAL_ERROR, a FATAL_ERROR event); the link changes.
    void fail_locked();
    void set_link_locked(bool up);

    // Inline mode: serves the Tx SQ whose doorbell was written (device.cpp).
    void serve_tx(std::uint16_t index);
    // Fault events armed and waiting for the device's state (kFatalError, kDeviceResetRequest,
    // kLinkFlap): next_deadline_ns() looks again every kFaultEventPollNs while they wait.
    bool fault_event_waiting() const;
    static constexpr std::uint64_t kFaultEventPollNs = 1'000'000;

    // The Nitro stage (device.cpp).
    bool drain_ingress();  // takes rx_mutex
    void nitro_stats(DeviceStats& s);  // process_mutex and rx_mutex held

    detail::DeviceCore core;
    detail::Aenq aenq;
    detail::AdminCommands commands;
    detail::AdminQueue admin;
    detail::TxEngine tx;
    detail::RxEngine rx;
    bool in_reset = false;
    // Fault events (faults.cpp): a reset request sent since the last reset, a link flap under way.
    bool reset_requested = false;
    std::uint64_t link_flap_down_ns = 0;                          // when the link last went down
    std::uint64_t link_flap_up_ns = detail::FaultPlan::kNever;  // when the flapped link comes back
    std::uint64_t next_link_flap_ns = 0;                          // the next flap may start from here
};

}  // namespace ena::sim
