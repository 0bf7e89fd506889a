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
#include "hw/rings.hpp"
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
        unsigned processed = 0;
        while (true) {
            volatile hw::AenqEntry& entry = ring[hw::ring_slot(consumed_, depth_)];
            if (hw::aenq_desc::Phase::get(entry.common.flags) != hw::ring_phase(consumed_, depth_))
                break;
            // Read the body only after the phase bit says the device is done with it.
            rte_io_rmb();
            hw::AenqEntry copy;
            std::memcpy(&copy, const_cast<const hw::AenqEntry*>(&entry), sizeof(copy));
            ++consumed_;
            ++processed;
            handler(static_cast<const hw::AenqEntry&>(copy));
        }
        if (processed != 0)
            registers_->write(hw::reg::kAenqHeadDoorbell, head());
        return processed;
    }

private:
    RegisterAccess* registers_ = nullptr;
    // The head doorbell value: entries consumed plus the depth, so every entry is the device's.
    std::uint16_t head() const { return static_cast<std::uint16_t>(consumed_ + depth_); }

    DmaBuffer ring_;
    std::uint16_t depth_ = hw::kAenqDepth;
    std::uint16_t consumed_ = 0;  // entries read, free-running
    bool enabled_ = false;
    std::mutex lock_;
};

}  // namespace ena::ng
