// The admin submission queue (AQ) and its completion queue (ACQ).
//
// Commands run one at a time under a lock: ethdev ops and the control-path alarm may both
// issue commands, and the control path never needs more than one in flight. A command that
// gets no completion within the device's admin timeout fails with -ETIME and leaves the queue
// "not running" (every later command fails with -ENODEV) until the device is reset and the
// queue initialised again, as the ENA interface expects.
//
// A command waits for its completion in one of two ways. Polling (bring-up, and whenever no
// waiter is set): the ACQ is checked with sleeps that grow from 10 us to 5 ms. Interrupt mode
// (a CompletionWaiter is set): the command sleeps until the management interrupt says the
// device wrote something, then reads the ACQ. If no interrupt comes within kInterruptWaitNs the
// command polls; a completion found that way whose interrupt never came is a missed interrupt:
// counted, reported to the owner (who goes back to polling) once per waiter.
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
    std::uint64_t poll_sleeps = 0;         // sleeps between two looks at the ACQ (polling)
    std::uint64_t interrupt_wakeups = 0;   // a command's waits the management interrupt ended
    std::uint64_t by_interrupt = 0;        // completions read after the interrupt said so
    std::uint64_t missed_interrupts = 0;   // completions whose interrupt never came
};

// How a command waits for the management interrupt (interrupt mode). ticket() is taken before
// the ACQ is read; wait(ticket) returns true once an interrupt came after it, false when
// `timeout_ns` (real time) passed first.
class CompletionWaiter {
public:
    virtual std::uint64_t ticket() = 0;
    virtual bool wait(std::uint64_t ticket, std::uint64_t timeout_ns) = 0;
    // An interrupt was raised and is not handled yet (it is on its way to the waiters).
    virtual bool pending() = 0;
    // The command is done: the waiter passes on what its waits took from others.
    virtual void finished() = 0;

protected:
    ~CompletionWaiter() = default;
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

    // Interrupt mode with `waiter` (nullptr: polling). `missed(arg)` is called, from the thread
    // of the command that found it and with the queue's lock held, when a completion's
    // interrupt never came; it may call set_waiter. Safe from any thread.
    void set_waiter(CompletionWaiter* waiter, void (*missed)(void* arg) = nullptr, void* arg = nullptr);
    bool interrupt_mode() const { return waiter_.load(std::memory_order_acquire) != nullptr; }

    // How long a command waits for an interrupt before it polls, and how long, once it found
    // its completion by polling, for the interrupt still on its way.
    static constexpr std::uint64_t kInterruptWaitNs = 100'000'000;
    static constexpr std::uint64_t kLateInterruptNs = 20'000'000;

    // Fails the command in flight (if any) and every later one until init() runs again.
    void abort();
    bool running() const { return running_.load(std::memory_order_acquire); }
    // Status of the last completed command, for callers that log it.
    hw::AdminStatus last_status() const { return last_status_; }
    AdminQueueStats stats() const;

private:
    bool take_completions(std::uint16_t command_id, hw::AdminCompletion& completion);
    // Waits for the completion of `command_id` (lock held). Returns 0, -ETIME or -ENODEV.
    int wait_for_completion(std::uint16_t command_id, std::uint8_t opcode, CompletionWaiter* waiter,
                            std::uint64_t ticket, hw::AdminCompletion& completion);

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
    std::atomic<CompletionWaiter*> waiter_{nullptr};
    void (*missed_)(void*) = nullptr;
    void* missed_arg_ = nullptr;
    mutable std::mutex lock_;
};

// Errno for an admin completion status.
int admin_status_to_errno(hw::AdminStatus status);
const char* admin_status_name(hw::AdminStatus status);

}  // namespace ena::ng
