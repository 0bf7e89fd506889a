#include "sim_interrupts.hpp"

#include <rte_errno.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

// The most queue vectors EAL keeps in a handle.
constexpr unsigned kMaxQueueVectors = RTE_MAX_RXTX_INTR_VEC_ID;

void drain(int fd) {
    std::uint64_t count;
    while (read(fd, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
    }
}

}  // namespace

std::unique_ptr<SimInterrupts> SimInterrupts::create(const char* name, unsigned queue_vectors) {
    if (queue_vectors > kMaxQueueVectors)
        queue_vectors = kMaxQueueVectors;
    auto self = std::unique_ptr<SimInterrupts>(new SimInterrupts);
    self->name_ = name;
    for (unsigned v = 0; v <= queue_vectors; ++v) {
        const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            sim_log(RTE_LOG_ERR, "%s: cannot create the eventfd of MSI-X vector %u: %s", name, v, std::strerror(errno));
            return nullptr;
        }
        self->fds_.push_back(fd);
    }
    rte_intr_handle* h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
    self->handle_ = h;
    // Vector 0 is the handle's fd; EAL's epoll callback on a queue vector reads the eventfd's
    // 8-byte count (efd_counter_size).
    if (h == nullptr || rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 || rte_intr_fd_set(h, self->fds_[0]) != 0 ||
        rte_intr_efd_counter_size_set(h, sizeof(std::uint64_t)) != 0 || rte_intr_nb_efd_set(h, 0) != 0 ||
        rte_intr_max_intr_set(h, 1) != 0) {
        sim_log(RTE_LOG_ERR, "%s: cannot set up an EAL interrupt handle for the device's MSI-X vectors", name);
        return nullptr;
    }
    // EAL does not read a VDEV handle's fd: this callback does, before the driver's (registered
    // later on the same fd) looks at the device, so an interrupt raised meanwhile is kept.
    self->vector0_fd_.store(self->fds_[0], std::memory_order_release);
    if (const int rc = rte_intr_callback_register(h, &SimInterrupts::consume_vector0, self.get()); rc != 0) {
        sim_log(RTE_LOG_ERR, "%s: cannot register vector 0 with EAL's interrupt thread: %d", name, rc);
        return nullptr;
    }
    self->callback_registered_ = true;
    return self;
}

SimInterrupts::~SimInterrupts() {
    if (callback_registered_)
        rte_intr_callback_unregister_sync(handle_, &SimInterrupts::consume_vector0, this);
    if (handle_ != nullptr) {
        rte_intr_free_epoll_fd(handle_);
        rte_intr_vec_list_free(handle_);
        rte_intr_instance_free(handle_);
    }
    for (const int fd : fds_)
        close(fd);
}

void SimInterrupts::consume_vector0(void* arg) {
    drain(static_cast<SimInterrupts*>(arg)->vector0_fd_.load(std::memory_order_acquire));
}

void SimInterrupts::raise(std::uint32_t vector) {
    if (vector >= fds_.size())
        return;  // a vector the driver gave a CQ that this handle has no fd for
    const std::uint64_t one = 1;
    // A full counter (2^64 - 2 interrupts unread) cannot happen; EAGAIN would only mean that.
    [[maybe_unused]] const ssize_t n = write(fds_[vector], &one, sizeof(one));
}

int SimInterrupts::set_queue_vectors(void* ctx, rte_intr_handle* handle, unsigned count) {
    auto* self = static_cast<SimInterrupts*>(ctx);
    if (handle != self->handle_)
        return -EINVAL;
    const unsigned available = static_cast<unsigned>(self->fds_.size() - 1);
    if (count > available) {
        sim_log(RTE_LOG_ERR, "%s: %u queue interrupt vectors asked for, the device has %u", self->name_, count,
                available);
        return -ENOSPC;
    }
    // Whatever an application added to its epoll sets goes with the vectors.
    rte_intr_free_epoll_fd(handle);
    for (unsigned n = 0; n < count; ++n) {
        drain(self->fds_[n + 1]);  // what the vector raised before it was handed out is stale
        if (rte_intr_efds_index_set(handle, static_cast<int>(n), self->fds_[n + 1]) != 0)
            return -rte_errno;
    }
    // max_intr above nb_efd: vector 0 stays with the control path (rte_intr_allow_others).
    if (rte_intr_nb_efd_set(handle, static_cast<int>(count)) != 0 ||
        rte_intr_max_intr_set(handle, static_cast<int>(count + 1)) != 0)
        return -rte_errno;
    return 0;
}

}  // namespace ena::sim::glue
