#include "control/event_queue.hpp"

#include <cinttypes>

#include "log.hpp"

namespace ena::ng {

int EventQueue::init(RegisterAccess& registers, const DeviceResources& resources, unsigned dma_width) {
    std::lock_guard guard(lock_);
    registers_ = &registers;
    const std::size_t bytes = std::size_t{depth_} * hw::kAenqEntrySize;
    int rc = ring_.allocate(resources, "aenq", bytes, 4096, resources.numa_node);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot allocate the AENQ ring (%zu bytes): %d", resources.name, bytes, rc);
        return rc;
    }
    hw::DmaAddress check{};
    if (set_dma_address(check, ring_.iova(), dma_width) != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: AENQ memory at IOVA 0x%" PRIx64 " is beyond the device's %u-bit DMA width",
            resources.name, ring_.iova(), dma_width);
        ring_.release();
        return -EFAULT;
    }
    consumed_ = 0;
    enabled_ = false;
    registers.write(hw::reg::kAenqBaseLow, static_cast<std::uint32_t>(ring_.iova()));
    registers.write(hw::reg::kAenqBaseHigh, static_cast<std::uint32_t>(ring_.iova() >> 32));
    registers.write(hw::reg::kAenqCaps,
                    hw::queue_caps::Depth::make(depth_) | hw::queue_caps::EntrySize::make(hw::kAenqEntrySize));
    return 0;
}

void EventQueue::enable() {
    std::lock_guard guard(lock_);
    if (!ring_)
        return;
    enabled_ = true;
    registers_->write(hw::reg::kAenqHeadDoorbell, head());
}

void EventQueue::release() {
    std::lock_guard guard(lock_);
    enabled_ = false;
    ring_.release();
}

}  // namespace ena::ng
