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
    bool handle_rss_entry_update();

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
};

}  // namespace ena::sim
