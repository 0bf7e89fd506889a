// The asynchronous event notification queue (AENQ): the device writes 64-byte events with a
// phase bit; the driver consumes them in order and tells the device how far it got through the
// head doorbell.
#pragma once

#include <cstdint>
#include <cstring>
#include <mutex>

#include <rte_io.h>

#include "control/dma_buffer.hpp"
#include "hw/aenq.hpp"
#include "hw/registers.hpp"
#include "control/register_access.hpp"

namespace ena::ng {

class EventQueue {
public:
    int init(RegisterAccess& registers, const DeviceResources& resources, unsigned dma_width);
    // Gives every entry to the device (head = depth): events start flowing.
    void enable();
    void release();

    // Calls handler(const hw::AenqEntry&) for every new event, then writes the head doorbell.
    // Serialised: the control-path alarm and ethdev ops may both call it. Returns the count.
    template <typename Handler>
    unsigned process(Handler&& handler) {
        std::lock_guard guard(lock_);
        if (!ring_ || !enabled_)
            return 0;
        auto* ring = ring_.as<volatile hw::AenqEntry>();
        const std::uint16_t mask = static_cast<std::uint16_t>(depth_ - 1);
        unsigned processed = 0;
        while (true) {
            volatile hw::AenqEntry& entry = ring[head_ & mask];
            if (hw::aenq_desc::Phase::get(entry.common.flags) != phase_)
                break;
            // Read the body only after the phase bit says the device is done with it.
            rte_io_rmb();
            hw::AenqEntry copy;
            std::memcpy(&copy, const_cast<const hw::AenqEntry*>(&entry), sizeof(copy));
            ++head_;
            if ((head_ & mask) == 0)
                phase_ ^= 1;
            ++processed;
            handler(static_cast<const hw::AenqEntry&>(copy));
        }
        if (processed != 0)
            registers_->write(hw::reg::kAenqHeadDoorbell, head_);
        return processed;
    }

private:
    RegisterAccess* registers_ = nullptr;
    DmaBuffer ring_;
    std::uint16_t depth_ = hw::kAenqDepth;
    // Free-running head as the device sees it: starts at depth (every entry handed over).
    std::uint16_t head_ = hw::kAenqDepth;
    std::uint8_t phase_ = 1;
    bool enabled_ = false;
    std::mutex lock_;
};

}  // namespace ena::ng
