#include "management_interrupt.hpp"

#include <poll.h>
#include <rte_interrupts.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>

namespace ena::ng {

int ManagementInterrupt::attach(rte_intr_handle* handle, Handler handler, void* arg) {
    detach();
    handler_ = handler;
    arg_ = arg;
    int rc = rte_intr_callback_register(handle, &ManagementInterrupt::on_interrupt, this);
    if (rc != 0)
        return rc;
    rc = rte_intr_enable(handle);
    if (rc != 0) {
        rte_intr_callback_unregister_sync(handle, &ManagementInterrupt::on_interrupt, this);
        return rc;
    }
    handle_.store(handle, std::memory_order_release);
    return 0;
}

void ManagementInterrupt::detach() {
    rte_intr_handle* handle = handle_.exchange(nullptr, std::memory_order_acq_rel);
    if (handle == nullptr)
        return;
    if (!rte_thread_is_intr()) {
        rte_intr_callback_unregister_sync(handle, &ManagementInterrupt::on_interrupt, this);
    } else if (rte_intr_callback_unregister(handle, &ManagementInterrupt::on_interrupt, this) == -EAGAIN) {
        // Called from a callback of this very vector (a port closed from its own event): gone
        // once that run returns.
        rte_intr_callback_unregister_pending(handle, &ManagementInterrupt::on_interrupt, this, nullptr);
    }
    rte_intr_disable(handle);  // VFIO: the device's MSI-X off
}

void ManagementInterrupt::on_interrupt(void* arg) {
    auto* self = static_cast<ManagementInterrupt*>(arg);
    self->fired();
    self->handler_(self->arg_);
    // UIO re-enables the vector here; a no-op for VFIO MSI-X and software devices.
    if (rte_intr_handle* handle = self->handle())
        rte_intr_ack(handle);
}

void ManagementInterrupt::fired() {
    {
        std::lock_guard guard(lock_);
        fired_.fetch_add(1, std::memory_order_acq_rel);
    }
    signal_.notify_all();
}

bool ManagementInterrupt::fd_is_eventfd() const {
    const int type = rte_intr_type_get(handle());
    return type == RTE_INTR_HANDLE_VFIO_MSIX || type == RTE_INTR_HANDLE_VFIO_MSI || type == RTE_INTR_HANDLE_VDEV;
}

bool ManagementInterrupt::wait(std::uint64_t ticket, std::uint64_t timeout_ns) {
    if (fired_.load(std::memory_order_acquire) != ticket)
        return true;
    if (!rte_thread_is_intr()) {
        std::unique_lock guard(lock_);
        return signal_.wait_for(guard, std::chrono::nanoseconds(timeout_ns),
                                [&] { return fired_.load(std::memory_order_acquire) != ticket; });
    }
    // EAL's interrupt thread: nobody else would run the callback. Wait on the fd itself.
    rte_intr_handle* handle = this->handle();
    if (handle == nullptr || !fd_is_eventfd())
        return false;
    pollfd p{rte_intr_fd_get(handle), POLLIN, 0};
    const timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    if (ppoll(&p, 1, &timeout, nullptr) != 1)
        return false;
    std::uint64_t count = 0;
    if (read(p.fd, &count, sizeof(count)) != static_cast<ssize_t>(sizeof(count)))
        return false;
    taken_ += count;
    return true;
}

bool ManagementInterrupt::pending() {
    rte_intr_handle* handle = this->handle();
    if (handle == nullptr)
        return false;
    if (!fd_is_eventfd())
        return true;  // cannot tell: assume it is on its way
    pollfd p{rte_intr_fd_get(handle), POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

void ManagementInterrupt::finished() {
    rte_intr_handle* handle = this->handle();
    if (taken_ == 0 || handle == nullptr)
        return;
    // Back to the fd: the callback runs for it when this thread returns to EAL's loop.
    const std::uint64_t count = taken_;
    taken_ = 0;
    [[maybe_unused]] const ssize_t n = write(rte_intr_fd_get(handle), &count, sizeof(count));
}

}  // namespace ena::ng
