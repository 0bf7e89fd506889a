// The admin submission queue (AQ) and its completion queue (ACQ), used in polling mode.
//
// Commands run one at a time under a lock: ethdev ops and the control-path alarm may both
// issue commands, and the control path never needs more than one in flight. A command that
// gets no completion within the device's admin timeout fails with -ETIME and leaves the queue
// "not running" (every later command fails with -ENODEV) until the device is reset and the
// queue initialised again, as the ENA interface expects.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "control/dma_buffer.hpp"
#include "hw/admin.hpp"
#include "hw/rings.hpp"
#include "control/register_access.hpp"

namespace ena::ng {

struct AdminQueueStats {
    std::uint64_t submitted = 0;
    std::uint64_t completed = 0;
    std::uint64_t failed = 0;         // completed with a non-success status
    std::uint64_t no_completion = 0;  // timed out
    std::uint64_t aborted = 0;
};

class AdminQueue {
public:
    static constexpr std::uint64_t kDefaultTimeoutUs = 3'000'000;

    // Allocates both rings and programs their base and capability registers. The device must
    // be ready (right after a reset).
    int init(RegisterAccess& registers, const DeviceResources& resources, unsigned dma_width);
    void release();

    void set_timeout_us(std::uint64_t microseconds) { timeout_us_ = microseconds; }
    std::uint64_t timeout_us() const { return timeout_us_; }

    // Submits `command` (its command id and phase are filled in here) and waits for its
    // completion, copied to `completion`. Returns 0, -errno from the completion status,
    // -ETIME on timeout, or -ENODEV when the queue is not running or was aborted.
    int execute(hw::AdminEntry& command, hw::AdminCompletion& completion);

    // Typed form: any 64-byte-or-smaller command and response layout from hw/admin.hpp.
    template <typename Command, typename Response>
    int execute(const Command& command, Response& response) {
        static_assert(sizeof(Command) <= sizeof(hw::AdminEntry));
        static_assert(sizeof(Response) <= sizeof(hw::AdminCompletion));
        hw::AdminEntry entry{};
        std::memcpy(&entry, &command, sizeof(Command));
        hw::AdminCompletion completion{};
        const int rc = execute(entry, completion);
        std::memcpy(&response, &completion, sizeof(Response));
        return rc;
    }

    // Fails the command in flight (if any) and every later one until init() runs again.
    void abort();
    bool running() const { return running_.load(std::memory_order_acquire); }
    // Status of the last completed command, for callers that log it.
    hw::AdminStatus last_status() const { return last_status_; }
    AdminQueueStats stats() const;

private:
    bool take_completions(std::uint16_t command_id, hw::AdminCompletion& completion);

    RegisterAccess* registers_ = nullptr;
    ResourcesRef resources_;
    DmaBuffer submission_ring_;
    DmaBuffer completion_ring_;
    std::uint16_t depth_ = hw::kAdminQueueDepth;
    std::uint16_t sq_tail_ = 0;
    std::uint16_t cq_head_ = 0;
    std::uint16_t next_command_id_ = 0;
    std::uint64_t timeout_us_ = kDefaultTimeoutUs;
    hw::AdminStatus last_status_ = hw::AdminStatus::kSuccess;
    std::atomic<bool> running_{false};
    std::atomic<bool> aborted_{false};
    AdminQueueStats stats_;
    mutable std::mutex lock_;
};

// Errno for an admin completion status.
int admin_status_to_errno(hw::AdminStatus status);
const char* admin_status_name(hw::AdminStatus status);

}  // namespace ena::ng
