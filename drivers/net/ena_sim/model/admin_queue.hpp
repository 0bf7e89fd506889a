// The admin queue, device side: consumes AQ entries from its head to the driver's doorbell
// tail, executes them, and writes one 64-byte ACQ completion for each. Used under the
// device's process_mutex.
#pragma once

#include "admin_commands.hpp"

namespace ena::sim::detail {

class AdminQueue {
public:
    AdminQueue(DeviceCore& core, AdminCommands& commands) : core_(core), commands_(commands) {}

    void reset() {
        head_ = 0;
        completions_ = 0;
    }
    // Runs every command the doorbell covers; true when any was consumed.
    bool service();

private:
    void complete(std::uint8_t* acq, std::uint32_t acq_depth, const hw::AdminCompletion& completion);

    DeviceCore& core_;
    AdminCommands& commands_;
    std::uint16_t head_ = 0;         // AQ entries consumed (same counter as the driver's tail)
    std::uint32_t completions_ = 0;  // ACQ entries written
};

}  // namespace ena::sim::detail
