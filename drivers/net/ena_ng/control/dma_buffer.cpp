#include "control/dma_buffer.hpp"

#include <cerrno>

namespace ena::ng {

int DmaBuffer::allocate(const DeviceResources& resources, const char* name, std::size_t size, std::size_t align,
                        int socket) {
    release();
    if (resources.dma_alloc == nullptr)
        return -ENOTSUP;
    DmaRegion region{};
    const int rc = resources.dma_alloc(resources.ctx, name, size, align, socket, &region);
    if (rc != 0)
        return rc;
    resources_ = ResourcesRef(resources.slot);
    region_ = region;
    std::memset(region_.va, 0, region_.size);
    return 0;
}

void DmaBuffer::release() {
    if (region_.va != nullptr && resources_->dma_free != nullptr)
        resources_->dma_free(resources_->ctx, &region_);
    region_ = DmaRegion{};
}

DeviceResources& process_resources(std::uint16_t slot) {
    // One table per process: the ports' own mappings and callbacks.
    static DeviceResources table[kMaxDeviceSlots];
    return table[slot < kMaxDeviceSlots ? slot : 0];
}

int set_dma_address(hw::DmaAddress& field, std::uint64_t iova, unsigned dma_width_bits) {
    const unsigned width = dma_width_bits == 0 || dma_width_bits > 48 ? 48 : dma_width_bits;
    if (width < 64 && (iova >> width) != 0)
        return -EFAULT;
    return field.set(iova) ? 0 : -EFAULT;
}

}  // namespace ena::ng
