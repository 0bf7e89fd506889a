#include "control/admin_queue.hpp"

#include <rte_atomic.h>
#include <rte_io.h>
#include <rte_log.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>

#include "hw/registers.hpp"
#include "log.hpp"

namespace ena::ng {

namespace {

constexpr unsigned kMinPollDelayUs = 10;
constexpr unsigned kMaxPollDelayUs = 5000;
constexpr std::uint16_t kCommandIdMask = hw::admin_desc::CommandId::kMask;

}  // namespace

int admin_status_to_errno(hw::AdminStatus status) {
    switch (status) {
        case hw::AdminStatus::kSuccess:
            return 0;
        case hw::AdminStatus::kResourceAllocationFailure:
            return -ENOMEM;
        case hw::AdminStatus::kBadOpcode:
        case hw::AdminStatus::kUnsupportedOpcode:
            return -EOPNOTSUPP;
        case hw::AdminStatus::kMalformedRequest:
        case hw::AdminStatus::kIllegalParameter:
            return -EINVAL;
        case hw::AdminStatus::kResourceBusy:
            return -EBUSY;
        case hw::AdminStatus::kUnknownError:
        default:
            return -EIO;
    }
}

const char* admin_status_name(hw::AdminStatus status) {
    switch (status) {
        case hw::AdminStatus::kSuccess:
            return "success";
        case hw::AdminStatus::kResourceAllocationFailure:
            return "resource allocation failure";
        case hw::AdminStatus::kBadOpcode:
            return "bad opcode";
        case hw::AdminStatus::kUnsupportedOpcode:
            return "unsupported opcode";
        case hw::AdminStatus::kMalformedRequest:
            return "malformed request";
        case hw::AdminStatus::kIllegalParameter:
            return "illegal parameter";
        case hw::AdminStatus::kUnknownError:
            return "unknown error";
        case hw::AdminStatus::kResourceBusy:
            return "resource busy";
    }
    return "invalid status";
}

int AdminQueue::init(RegisterAccess& registers, const DeviceResources& resources, unsigned dma_width) {
    std::lock_guard guard(lock_);
    registers_ = &registers;
    resources_ = ResourcesRef(resources.slot);
    const std::size_t ring_bytes = std::size_t{depth_} * hw::kAdminEntrySize;
    int rc = submission_ring_.allocate(resources, "aq", ring_bytes, 4096, resources.numa_node);
    if (rc == 0)
        rc = completion_ring_.allocate(resources, "acq", ring_bytes, 4096, resources.numa_node);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot allocate the admin queue rings (%zu bytes each): %d",
            resources.name, ring_bytes, rc);
        submission_ring_.release();
        return rc;
    }
    hw::DmaAddress check{};
    if (set_dma_address(check, submission_ring_.iova(), dma_width) != 0 ||
        set_dma_address(check, completion_ring_.iova(), dma_width) != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: admin queue memory at IOVA 0x%" PRIx64 " is beyond the device's %u-bit DMA width",
            resources.name, submission_ring_.iova(), dma_width);
        submission_ring_.release();
        completion_ring_.release();
        return -EFAULT;
    }
    sq_tail_ = 0;
    cq_head_ = 0;
    next_command_id_ = 0;
    stats_ = {};

    registers.write(hw::reg::kAqBaseLow, static_cast<std::uint32_t>(submission_ring_.iova()));
    registers.write(hw::reg::kAqBaseHigh, static_cast<std::uint32_t>(submission_ring_.iova() >> 32));
    registers.write(hw::reg::kAcqBaseLow, static_cast<std::uint32_t>(completion_ring_.iova()));
    registers.write(hw::reg::kAcqBaseHigh, static_cast<std::uint32_t>(completion_ring_.iova() >> 32));
    const std::uint32_t caps =
        hw::queue_caps::Depth::make(depth_) | hw::queue_caps::EntrySize::make(hw::kAdminEntrySize);
    registers.write(hw::reg::kAqCaps, caps);
    registers.write(hw::reg::kAcqCaps, caps);

    aborted_.store(false, std::memory_order_release);
    running_.store(true, std::memory_order_release);
    return 0;
}

void AdminQueue::release() {
    abort();
    std::lock_guard guard(lock_);
    submission_ring_.release();
    completion_ring_.release();
}

void AdminQueue::abort() {
    aborted_.store(true, std::memory_order_release);
    running_.store(false, std::memory_order_release);
}

AdminQueueStats AdminQueue::stats() const {
    std::lock_guard guard(lock_);
    return stats_;
}

bool AdminQueue::take_completions(std::uint16_t command_id, hw::AdminCompletion& completion) {
    auto* ring = completion_ring_.as<volatile hw::AdminCompletion>();
    bool found = false;
    while (true) {
        volatile hw::AdminCompletion& entry = ring[hw::ring_slot(cq_head_, depth_)];
        if (hw::admin_completion::Phase::get(entry.common.flags) != hw::ring_phase(cq_head_, depth_))
            break;
        // The phase bit says the device owns nothing more here; read the body after it.
        rte_io_rmb();
        hw::AdminCompletion copy;
        std::memcpy(&copy, const_cast<const hw::AdminCompletion*>(&entry), sizeof(copy));
        ++cq_head_;
        const std::uint16_t id = hw::admin_completion::CommandId::get(copy.common.command_id);
        if (id == command_id && !found) {
            completion = copy;
            found = true;
        } else {
            log(g_log_driver, RTE_LOG_WARNING, "%s: admin completion for unknown command id %u (waiting for %u) dropped",
                resources_->name, id, command_id);
        }
    }
    return found;
}

void AdminQueue::set_waiter(CompletionWaiter* waiter, void (*missed)(void*), void* arg) {
    // The callback first: a command that sees the waiter sees what to call.
    missed_ = missed;
    missed_arg_ = arg;
    waiter_.store(waiter, std::memory_order_release);
}

int AdminQueue::execute(hw::AdminEntry& command, hw::AdminCompletion& completion) {
    std::lock_guard guard(lock_);
    if (!running_.load(std::memory_order_acquire) || !submission_ring_)
        return -ENODEV;

    const std::uint16_t command_id = next_command_id_;
    next_command_id_ = static_cast<std::uint16_t>((next_command_id_ + 1) & kCommandIdMask);
    command.common.command_id = hw::admin_desc::CommandId::make(command_id);
    command.common.flags = hw::admin_desc::Phase::set(command.common.flags, hw::ring_phase(sq_tail_, depth_));

    auto* ring = submission_ring_.as<hw::AdminEntry>();
    std::memcpy(&ring[hw::ring_slot(sq_tail_, depth_)], &command, sizeof(command));
    ++sq_tail_;
    ++stats_.submitted;
    // Before the doorbell: an interrupt for this command comes after it.
    CompletionWaiter* waiter = waiter_.load(std::memory_order_acquire);
    const std::uint64_t ticket = waiter != nullptr ? waiter->ticket() : 0;
    // The register write orders the entry before the doorbell.
    registers_->write(hw::reg::kAqDoorbell, sq_tail_);

    const int rc = wait_for_completion(command_id, command.common.opcode, waiter, ticket, completion);
    if (waiter != nullptr)
        waiter->finished();
    if (rc != 0)
        return rc;
    ++stats_.completed;
    last_status_ = static_cast<hw::AdminStatus>(completion.common.status);
    const int status = admin_status_to_errno(last_status_);
    if (status != 0)
        ++stats_.failed;
    return status;
}

int AdminQueue::wait_for_completion(std::uint16_t command_id, std::uint8_t opcode, CompletionWaiter* waiter,
                                    std::uint64_t ticket, hw::AdminCompletion& completion) {
    const Deadline deadline(*resources_, timeout_us_ * 1000);
    bool found = take_completions(command_id, completion);
    // Interrupt mode: sleep until the device says it wrote something (AENQ events wake us too).
    while (!found && waiter != nullptr && !aborted_.load(std::memory_order_acquire) && !deadline.expired()) {
        if (!waiter->wait(ticket, kInterruptWaitNs))
            break;  // none came: poll below
        ++stats_.interrupt_wakeups;
        ticket = waiter->ticket();
        found = take_completions(command_id, completion);
        stats_.by_interrupt += found;
    }
    // Polling, or an interrupt that did not come: look with growing sleeps on the resources'
    // clock (the simulator's virtual one moves with them).
    unsigned delay_us = kMinPollDelayUs;
    bool polled = false;
    while (!found) {
        if (aborted_.load(std::memory_order_acquire)) {
            ++stats_.aborted;
            return -ENODEV;
        }
        if (deadline.expired()) {
            ++stats_.no_completion;
            running_.store(false, std::memory_order_release);
            log(g_log_driver, RTE_LOG_ERR,
                "%s: admin command opcode %u (id %u) got no completion within %" PRIu64
                " ms; admin queue stopped until the device is reset",
                resources_->name, opcode, command_id, timeout_us_ / 1000);
            return -ETIME;
        }
        sleep_us(*resources_, delay_us);
        ++stats_.poll_sleeps;
        polled = true;
        delay_us = std::min(delay_us * 2, kMaxPollDelayUs);
        found = take_completions(command_id, completion);
    }
    // Found by polling in interrupt mode: the device wrote it, so its interrupt was raised
    // then. Not on its way a while later: it will not come.
    if (polled && waiter != nullptr && !waiter->wait(ticket, kLateInterruptNs) && !waiter->pending()) {
        ++stats_.missed_interrupts;
        if (missed_ != nullptr)
            missed_(missed_arg_);
    }
    return 0;
}

}  // namespace ena::ng
