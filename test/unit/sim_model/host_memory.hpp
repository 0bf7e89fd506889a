// Host memory for the bare-metal test driver: one aligned arena, IOVA = virtual address
// (identity translation), and a bump allocator. Anything outside the arena does not translate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <sys/mman.h>

#include "ena_sim_device.hpp"

namespace ena::sim::test {

class HostMemory {
public:
    // Anonymous memory: page aligned and zeroed lazily, so a big arena costs nothing up front.
    explicit HostMemory(std::size_t size = 64u << 20) : size_(size) {
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        base_ = static_cast<std::uint8_t*>(p);
    }
    ~HostMemory() { munmap(base_, size_); }
    HostMemory(const HostMemory&) = delete;
    HostMemory& operator=(const HostMemory&) = delete;

    // Zeroed memory; returns its IOVA.
    std::uint64_t alloc(std::size_t bytes, std::size_t align = 64) {
        used_ = (used_ + align - 1) & ~(align - 1);
        if (used_ + bytes > size_)
            throw std::runtime_error("test arena exhausted");
        const std::uint64_t iova = reinterpret_cast<std::uint64_t>(base_ + used_);
        std::memset(base_ + used_, 0, bytes);
        used_ += bytes;
        return iova;
    }
    template <typename T = std::uint8_t>
    T* at(std::uint64_t iova) const {
        return reinterpret_cast<T*>(static_cast<std::uintptr_t>(iova));
    }
    bool contains(std::uint64_t iova, std::size_t len) const {
        const auto b = reinterpret_cast<std::uint64_t>(base_);
        return iova >= b && len <= size_ && iova - b <= size_ - len;
    }
    // An address the device cannot reach.
    std::uint64_t unmapped() const { return reinterpret_cast<std::uint64_t>(base_) + size_ + (1u << 20); }

    IovaTranslator translator() {
        IovaTranslator t;
        t.ctx = this;
        t.translate = [](void* ctx, std::uint64_t iova, std::size_t len) -> void* {
            auto* self = static_cast<HostMemory*>(ctx);
            return self->contains(iova, len) ? reinterpret_cast<void*>(static_cast<std::uintptr_t>(iova)) : nullptr;
        };
        return t;
    }

private:
    std::size_t size_;
    std::size_t used_ = 0;
    std::uint8_t* base_ = nullptr;
};

}  // namespace ena::sim::test
