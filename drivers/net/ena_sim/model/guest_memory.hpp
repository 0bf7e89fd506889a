// Host (guest) memory as the device reaches it: through the caller's IOVA translation, like DMA
// through an IOMMU. Also the ordering helpers for memory shared with a concurrently running
// driver: read a doorbell with acquire before the descriptors it covers; publish the word that
// holds a phase bit with release after the rest of the entry.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ena_sim_device.hpp"

namespace ena::sim::detail {

template <typename T>
inline T load_acquire(const T* p) {
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_acquire);
}

template <typename T>
inline void store_release(T* p, T value) {
    std::atomic_ref<T>(*p).store(value, std::memory_order_release);
}

class GuestMemory {
public:
    GuestMemory(IovaTranslator translator, unsigned dma_addr_width)
        : translator_(translator),
          limit_(dma_addr_width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << dma_addr_width) - 1) {}

    // Pointer to [iova, iova + len), or nullptr when any byte of it is unreachable. len > 0.
    std::uint8_t* map(std::uint64_t iova, std::size_t len) const {
        if (len == 0 || iova > limit_ || len - 1 > limit_ - iova || translator_.translate == nullptr)
            return nullptr;
        return static_cast<std::uint8_t*>(translator_.translate(translator_.ctx, iova, len));
    }

    // The run around `iova` the translator vouches for (cut at the DMA width), or false.
    bool lookup_run(std::uint64_t iova, IovaRun& run) const {
        if (translator_.lookup_run == nullptr || translator_.generation == nullptr ||
            !translator_.lookup_run(translator_.ctx, iova, &run) || run.iova > limit_)
            return false;
        run.end = std::min(run.end, limit_ + 1 == 0 ? run.end : limit_ + 1);
        return run.end > iova;
    }
    std::uint64_t generation() const { return translator_.generation->load(std::memory_order_acquire); }

    bool read(std::uint64_t iova, void* dst, std::size_t len) const {
        const std::uint8_t* src = map(iova, len);
        if (src == nullptr)
            return false;
        std::memcpy(dst, src, len);
        return true;
    }

    bool write(std::uint64_t iova, const void* src, std::size_t len) const {
        std::uint8_t* dst = map(iova, len);
        if (dst == nullptr)
            return false;
        std::memcpy(dst, src, len);
        return true;
    }

private:
    IovaTranslator translator_;
    std::uint64_t limit_;  // highest address the device's DMA width reaches
};

// The last run one datapath mapped in (GuestMemory::lookup_run): the buffers of a burst nearly
// always lie in one mempool, so most maps are a compare and an add. One per user (Tx under
// process_mutex, Rx under rx_mutex): not shared between threads.
class IovaCache {
public:
    // In the run: 0 < len and [iova, iova + len) within [run.iova, run.iova + size_), as two
    // unsigned compares (an address below the run wraps to a large offset, len 0 to a large
    // len - 1).
    [[gnu::always_inline]] std::uint8_t* map(const GuestMemory& memory, std::uint64_t iova, std::size_t len) {
        const std::uint64_t off = iova - run_.iova;
        if (off < size_ && len - 1 < size_ - off && memory.generation() == run_.generation)
            return reinterpret_cast<std::uint8_t*>(run_.va + off);
        return miss(memory, iova, len);
    }

    // map() for a hint: nullptr when [iova, iova + len) is not in the run, without asking the
    // translator.
    [[gnu::always_inline]] const std::uint8_t* peek(const GuestMemory& memory, std::uint64_t iova, std::size_t len) const {
        const std::uint64_t off = iova - run_.iova;
        if (off < size_ && len - 1 < size_ - off && memory.generation() == run_.generation)
            return reinterpret_cast<const std::uint8_t*>(run_.va + off);
        return nullptr;
    }

private:
    [[gnu::noinline]] std::uint8_t* miss(const GuestMemory& memory, std::uint64_t iova, std::size_t len) {
        std::uint8_t* p = memory.map(iova, len);
        const bool valid = p != nullptr && memory.lookup_run(iova, run_) && iova + len <= run_.end &&
                           reinterpret_cast<std::uint8_t*>(run_.va + (iova - run_.iova)) == p;
        size_ = valid ? run_.end - run_.iova : 0;  // 0: nothing is in the run
        return p;
    }

    IovaRun run_;
    std::uint64_t size_ = 0;
};

}  // namespace ena::sim::detail
