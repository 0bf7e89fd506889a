// DMA memory owned by the driver, obtained from the device resources and given back on
// destruction, plus the clock helpers every wait in the device-control layer uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "control/device_resources.hpp"
#include "hw/bits.hpp"

namespace ena::ng {

class DmaBuffer {
public:
    DmaBuffer() = default;
    ~DmaBuffer() { release(); }
    DmaBuffer(const DmaBuffer&) = delete;
    DmaBuffer& operator=(const DmaBuffer&) = delete;
    DmaBuffer(DmaBuffer&& other) noexcept { *this = std::move(other); }
    DmaBuffer& operator=(DmaBuffer&& other) noexcept {
        if (this != &other) {
            release();
            resources_ = other.resources_;
            region_ = std::exchange(other.region_, DmaRegion{});
        }
        return *this;
    }

    // Zero-filled memory of `size` bytes aligned to `align`. Returns 0 or -errno.
    int allocate(const DeviceResources& resources, const char* name, std::size_t size, std::size_t align,
                 int socket);
    void release();

    explicit operator bool() const { return region_.va != nullptr; }
    void* va() const { return region_.va; }
    std::uint64_t iova() const { return region_.iova; }
    std::size_t size() const { return region_.size; }
    template <typename T>
    T* as() const {
        return static_cast<T*>(region_.va);
    }
    void zero() {
        if (region_.va != nullptr)
            std::memset(region_.va, 0, region_.size);
    }

private:
    ResourcesRef resources_;  // who frees it
    DmaRegion region_{};
};

// The device only takes addresses that fit its DMA width (at most 48 bits). Returns 0 or
// -EFAULT when `iova` does not fit.
int set_dma_address(hw::DmaAddress& field, std::uint64_t iova, unsigned dma_width_bits);

inline std::uint64_t now_ns(const DeviceResources& resources) { return resources.now_ns(resources.ctx); }
inline void sleep_us(const DeviceResources& resources, unsigned microseconds) {
    resources.sleep_us(resources.ctx, microseconds);
}

// A point in the resources' time after which a wait gives up.
class Deadline {
public:
    Deadline(const DeviceResources& resources, std::uint64_t timeout_ns)
        : resources_(&resources), end_ns_(now_ns(resources) + timeout_ns) {}
    bool expired() const { return now_ns(*resources_) >= end_ns_; }

private:
    const DeviceResources* resources_;
    std::uint64_t end_ns_;
};

}  // namespace ena::ng
