// The device's management interrupt (MSI-X vector 0: admin completions and AENQ events) as a
// port receives it: a callback on the ethdev's interrupt handle, run by EAL's interrupt thread,
// and the waits of admin commands (AdminQueue's CompletionWaiter).
//
// A command issued from any thread but EAL's interrupt thread sleeps on a condition variable
// that the callback signals. A command issued from the interrupt thread itself (the
// control-path alarm runs there: periodic statistics, auto-recovery) cannot be woken by a
// callback that thread would run only after it: it waits on the vector's event fd directly and,
// once done, writes what it took back to the fd, so the callback still runs for the AENQ events
// the interrupt may have announced. UIO fds cannot be written back that way: on igb_uio such a
// command polls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "control/admin_queue.hpp"

struct rte_intr_handle;

namespace ena::ng {

class ManagementInterrupt final : public CompletionWaiter {
public:
    using Handler = void (*)(void* arg);

    ManagementInterrupt() = default;
    ~ManagementInterrupt() { detach(); }
    ManagementInterrupt(const ManagementInterrupt&) = delete;
    ManagementInterrupt& operator=(const ManagementInterrupt&) = delete;

    // Registers `handler(arg)` on vector 0 of `handle` and turns the vector on. Returns 0 or a
    // negative value from EAL.
    int attach(rte_intr_handle* handle, Handler handler, void* arg);
    // Unregisters it (waiting for a run in progress, unless called from that run) and turns
    // the handle's vectors off.
    void detach();
    bool attached() const { return handle() != nullptr; }
    rte_intr_handle* handle() const { return handle_.load(std::memory_order_acquire); }

    // The callback calls this first: wakes the commands waiting.
    void fired();
    std::uint64_t count() const { return fired_.load(std::memory_order_acquire); }

    // CompletionWaiter.
    std::uint64_t ticket() override { return count(); }
    bool wait(std::uint64_t ticket, std::uint64_t timeout_ns) override;
    bool pending() override;
    void finished() override;

private:
    static void on_interrupt(void* arg);
    bool fd_is_eventfd() const;

    std::atomic<rte_intr_handle*> handle_{nullptr};  // read by the callback while detach() runs
    Handler handler_ = nullptr;
    void* arg_ = nullptr;
    std::atomic<std::uint64_t> fired_{0};
    std::mutex lock_;
    std::condition_variable signal_;
    std::uint64_t taken_ = 0;  // interrupts the interrupt thread's waits read from the fd
};

}  // namespace ena::ng
