#include "control/register_access.hpp"

#include <rte_io.h>

#include <algorithm>
#include <cerrno>

#include "hw/registers.hpp"
#include "log.hpp"

namespace ena::ng {

int RegisterAccess::init(const DeviceResources& resources) {
    resources_ = ResourcesRef(resources.slot);
    sequence_ = 0;
    readless_ = resources.readless_mmio;
    const int rc = response_.allocate(resources, "mmio_resp", sizeof(hw::ReadlessResponse), 8, resources.numa_node);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot allocate the readless response buffer: %d", resources.name, rc);
        return rc;
    }
    write_response_address();
    return 0;
}

void RegisterAccess::release() {
    if (response_) {
        write(hw::reg::kMmioRespLow, 0);
        write(hw::reg::kMmioRespHigh, 0);
    }
    response_.release();
}

void RegisterAccess::write(std::uint32_t offset, std::uint32_t value) {
    // rte_write32 orders earlier stores to host memory (queue entries) before the MMIO store.
    rte_write32(value, resources_->registers + offset);
    if (resources_->after_register_write != nullptr)
        resources_->after_register_write(resources_->ctx, offset);
}

void RegisterAccess::write_response_address() {
    if (!response_)
        return;
    write(hw::reg::kMmioRespLow, static_cast<std::uint32_t>(response_.iova()));
    write(hw::reg::kMmioRespHigh, static_cast<std::uint32_t>(response_.iova() >> 32));
}

std::uint32_t RegisterAccess::read(std::uint32_t offset) {
    if (!readless_)
        return rte_read32(resources_->registers + offset);
    return read_through_memory(offset);
}

std::uint32_t RegisterAccess::read_through_memory(std::uint32_t offset) {
    std::lock_guard guard(read_lock_);
    auto* response = response_.as<volatile hw::ReadlessResponse>();
    const std::uint16_t id = ++sequence_;
    // A value that cannot be the answer to this request.
    response->request_id = static_cast<std::uint16_t>(id + 0xDEAD);
    write(hw::reg::kMmioRegRead,
          hw::mmio_reg_read::RequestId::make(id) | hw::mmio_reg_read::RegisterOffset::make(offset));

    const std::uint64_t start = now_ns(*resources_);
    const Deadline deadline(*resources_, std::uint64_t{read_timeout_us_} * 1000);
    while (response->request_id != id) {
        if (deadline.expired()) {
            ++read_failures_;
            log(g_log_driver, RTE_LOG_ERR,
                "%s: readless read of register 0x%x timed out after %u us (request id %u, response id %u)",
                resources_->name, offset, read_timeout_us_, id, response->request_id);
            return hw::kRegisterReadFailed;
        }
        sleep_us(*resources_, 1);
    }
    longest_wait_ns_ = std::max(longest_wait_ns_, now_ns(*resources_) - start);
    // The device writes the request id last: read the rest only after seeing it.
    rte_io_rmb();
    if (response->register_offset != offset) {
        ++read_failures_;
        log(g_log_driver, RTE_LOG_ERR, "%s: readless read of register 0x%x answered for register 0x%x",
            resources_->name, offset, response->register_offset);
        return hw::kRegisterReadFailed;
    }
    return response->value;
}

}  // namespace ena::ng
