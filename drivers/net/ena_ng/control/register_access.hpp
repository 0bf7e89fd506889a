// BAR0 register access. Writes are 32-bit MMIO stores followed by the resources'
// after-register-write notification. Reads go through the device's readless mechanism when it
// has one: the driver names a register in MMIO_REG_READ and the device answers by DMA into a
// small response buffer, which avoids slow non-posted PCI reads on the hypervisor path.
#pragma once

#include <cstdint>
#include <mutex>

#include "control/dma_buffer.hpp"

namespace ena::ng {

class RegisterAccess {
public:
    // Allocates the readless response buffer and tells the device where it is.
    int init(const DeviceResources& resources);
    // Clears the response address on the device and frees the buffer.
    void release();

    void set_readless(bool enabled) { readless_ = enabled; }
    bool readless() const { return readless_; }
    void set_read_timeout_us(std::uint32_t microseconds) { read_timeout_us_ = microseconds; }

    void write(std::uint32_t offset, std::uint32_t value);
    // Returns hw::kRegisterReadFailed when the device does not answer in time.
    std::uint32_t read(std::uint32_t offset);
    // A device reset forgets the response address: write it again after every reset.
    void write_response_address();

    // Address of a register (IO doorbells are written by the datapath without this class).
    volatile std::uint32_t* address(std::uint32_t offset) const {
        return reinterpret_cast<volatile std::uint32_t*>(resources_->registers + offset);
    }
    std::uint64_t read_failures() const { return read_failures_; }
    // The longest a readless read waited for its answer so far (resources clock).
    std::uint64_t longest_read_wait_ns() const { return longest_wait_ns_; }

private:
    std::uint32_t read_through_memory(std::uint32_t offset);

    ResourcesRef resources_;
    DmaBuffer response_;
    bool readless_ = true;
    std::uint16_t sequence_ = 0;
    std::uint32_t read_timeout_us_ = 200'000;
    std::uint64_t read_failures_ = 0;
    std::uint64_t longest_wait_ns_ = 0;
    std::mutex read_lock_;  // one readless request in flight at a time
};

}  // namespace ena::ng
