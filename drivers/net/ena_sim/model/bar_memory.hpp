// Memory for a BAR the driver writes directly (BAR2, LLQ): whole pages of its own mapping, as a
// real BAR is, so the glue can map it the way an OS would (e.g. a test maps a file over it).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace ena::sim::detail {

class BarMemory {
public:
    BarMemory() = default;
    explicit BarMemory(std::size_t size) {
        const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        size_ = (size + page - 1) / page * page;
        void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            size_ = 0;
            return;
        }
        bytes_ = static_cast<std::uint8_t*>(p);
    }
    BarMemory(BarMemory&& other) noexcept { *this = std::move(other); }
    BarMemory& operator=(BarMemory&& other) noexcept {
        std::swap(bytes_, other.bytes_);
        std::swap(size_, other.size_);
        return *this;
    }
    ~BarMemory() {
        if (bytes_ != nullptr)
            munmap(bytes_, size_);
    }

    std::uint8_t* get() const { return bytes_; }
    bool operator==(std::nullptr_t) const { return bytes_ == nullptr; }

private:
    std::uint8_t* bytes_ = nullptr;
    std::size_t size_ = 0;  // whole pages
};

}  // namespace ena::sim::detail
