// BAR0 as memory the driver reads and writes directly. The device never gets a callback for a
// write: it compares registers against what it last consumed (process()), so the same code
// serves the synchronous, deferred and threaded engines.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "guest_memory.hpp"

namespace ena::sim::detail {

// Where the registers whose offsets CREATE_SQ / CREATE_CQ return live: one 16-byte block per
// queue index above the fixed registers.
namespace queue_regs {
inline constexpr std::uint32_t kBase = 0x400;
inline constexpr std::uint32_t kStride = 16;
constexpr std::uint32_t block(std::uint16_t index) { return kBase + std::uint32_t{index} * kStride; }
constexpr std::uint32_t sq_doorbell(std::uint16_t index) { return block(index) + 0; }
constexpr std::uint32_t cq_unmask(std::uint16_t index) { return block(index) + 4; }
constexpr std::uint32_t cq_numa(std::uint16_t index) { return block(index) + 8; }
constexpr std::uint32_t cq_head(std::uint16_t index) { return block(index) + 12; }
static_assert(kBase >= hw::reg::kFixedRegisterEnd);
}  // namespace queue_regs

// What the device writes back into a register whose writes it takes (MMIO_REG_READ,
// RSS_IND_ENTRY_UPDATE, MMIO_RESP_LO/HI, a CQ's unmask and head doorbell), so that the same value
// written again is seen as a new write. No driver writes it: as MMIO_REG_READ its offset 0xFFFF
// names no register; as an address half it is unaligned (low word) or beyond 48 bits (high
// word); a CQ head is 16 bits; an unmask value would ask for the longest delays and say not to
// apply them.
inline constexpr std::uint32_t kRegisterTaken = 0xFFFFFFFF;

class RegisterFile {
public:
    explicit RegisterFile(std::size_t size) : size_(size), words_(new std::uint32_t[size / 4]()) {}

    volatile std::uint8_t* bar() { return reinterpret_cast<volatile std::uint8_t*>(words_.get()); }
    std::size_t size() const { return size_; }
    bool valid(std::uint32_t offset) const { return offset % 4 == 0 && offset < size_; }

    std::uint32_t load(std::uint32_t offset) const { return load_acquire(word(offset)); }
    void store(std::uint32_t offset, std::uint32_t value) { store_release(word(offset), value); }
    // Replace `expected` by `desired` unless the driver wrote something else meanwhile.
    bool exchange_if(std::uint32_t offset, std::uint32_t expected, std::uint32_t desired) {
        return std::atomic_ref<std::uint32_t>(*word(offset))
            .compare_exchange_strong(expected, desired, std::memory_order_acq_rel);
    }
    std::uint64_t load_address(std::uint32_t low_offset, std::uint32_t high_offset) const {
        return (std::uint64_t{load(high_offset)} << 32) | load(low_offset);
    }

    void clear() {
        for (std::size_t i = 0; i < size_ / 4; ++i)
            store_release(&words_[i], 0u);
    }

private:
    std::uint32_t* word(std::uint32_t offset) const { return &words_[offset / 4]; }

    std::size_t size_;
    std::unique_ptr<std::uint32_t[]> words_;
};

// BAR0 size for `queue_indices` queue indices: a power of two, at least 8 KiB.
constexpr std::size_t register_bar_size(std::uint32_t queue_indices) {
    std::size_t need = queue_regs::block(static_cast<std::uint16_t>(queue_indices));
    std::size_t size = 8192;
    while (size < need)
        size *= 2;
    return size;
}

}  // namespace ena::sim::detail
