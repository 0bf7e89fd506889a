// What the model-side fuzz targets share: host memory the device reaches at fixed IOVAs, and a
// bare driver that brings the device up through its BARs (the targets then write whatever they
// like). No DPDK: the model is fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "ena_hw.hpp"
#include "ena_sim_device.hpp"

namespace ena::fuzz::model {

// Host memory as the device sees it. Region i sits at IOVA kBase + i * kStride whatever the
// allocator does, so an input replays exactly; each region is its own heap allocation of exactly
// its size, so AddressSanitizer reports any device access past a region's end. Anything outside
// the regions does not translate (the device must treat it as a DMA error).
class GuestMemory {
public:
    static constexpr std::uint64_t kBase = 0x12'3400'0000;  // above 4 GiB: the high address words matter
    static constexpr std::uint64_t kStride = 0x100'0000;     // 16 MiB, more than any region
    static constexpr std::size_t kMaxRegions = 64;

    // A new zeroed region of `size` bytes (< kStride); returns its IOVA.
    std::uint64_t add(std::size_t size);
    // [iova, iova + len) inside one region, or nullptr.
    std::uint8_t* at(std::uint64_t iova, std::size_t len) const;
    std::size_t regions() const { return regions_.size(); }
    std::uint64_t iova(std::size_t region) const { return kBase + region * kStride; }
    std::size_t size(std::size_t region) const { return regions_[region].size; }
    sim::IovaTranslator translator() { return {translate, this}; }

private:
    static void* translate(void* ctx, std::uint64_t iova, std::size_t len);
    struct Region {
        std::unique_ptr<std::uint8_t[]> bytes;
        std::size_t size;
    };
    std::vector<Region> regions_;
};

// An IO queue the bare driver created.
struct BareQueue {
    bool rx = false;
    bool llq = false;
    std::uint16_t depth = 0;
    std::uint16_t sq_index = 0, cq_index = 0;
    std::uint32_t doorbell = 0;    // BAR0 offset
    std::uint32_t llq_offset = 0;  // BAR2 offset of the descriptors (LLQ)
    std::uint64_t sq_ring = 0;     // IOVA (host placement)
    std::uint64_t cq_ring = 0;
    std::uint16_t tail = 0;  // ring entries written (the targets keep it)
};

class BareDriver {
public:
    explicit BareDriver(const sim::DeviceConfig& config);

    sim::Device& device() { return *device_; }
    GuestMemory& memory() { return memory_; }

    // A 32-bit store to BAR0 at `offset`, then the device is told (synchronous mode: it runs).
    void write(std::uint32_t offset, std::uint32_t value);
    std::uint32_t read_bar(std::uint32_t offset) const;

    // Readless set-up, device reset, admin queue (32 entries) and AENQ (16) with every group the
    // device supports, host attributes; and the LLQ layout when asked. False when a step failed.
    bool bring_up(std::optional<hw::LlqLayout> llq = std::nullopt);
    bool brought_up() const { return aq_ != 0; }
    const std::optional<hw::LlqLayout>& llq_layout() const { return llq_; }

    // Writes `entry` in the next admin slot (command id and, unless raw_phase, the phase filled
    // in), rings the doorbell, and returns the completion the device wrote (nullopt: none).
    std::optional<hw::AdminCompletion> admin(hw::AdminEntry entry, bool raw_phase = false);
    template <typename Command>
    std::optional<hw::AdminCompletion> admin(const Command& command) {
        hw::AdminEntry e{};
        std::memcpy(&e, &command, sizeof(command));
        return admin(e);
    }
    std::uint16_t admin_tail() const { return aq_tail_; }
    // Releases the AENQ entries the device wrote (head doorbell).
    void drain_aenq();

    // CQ and SQ of an IO queue with rings in new regions. nullopt when the device refused.
    std::optional<BareQueue> create_queue(bool rx, bool llq, std::uint16_t depth);

private:
    GuestMemory memory_;
    std::unique_ptr<sim::Device> device_;
    std::optional<hw::LlqLayout> llq_;
    std::uint64_t readless_ = 0, aq_ = 0, acq_ = 0, aenq_ = 0;
    std::uint16_t aq_tail_ = 0, acq_head_ = 0, aenq_head_ = 0;
};

inline constexpr std::uint16_t kAqDepth = 32;
inline constexpr std::uint16_t kAenqDepth = 16;

}  // namespace ena::fuzz::model
