// A fuzzer's input read front to back as a stream of small decisions: an operation code, then
// its operands. Past the end every read yields zeros, so every input is a complete program and a
// seed can be written by hand (or printed by a script) in the order the harness reads it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace ena::fuzz {

class FuzzInput {
public:
    FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    bool empty() const { return pos_ >= size_; }
    std::size_t remaining() const { return empty() ? 0 : size_ - pos_; }

    // sizeof(T) bytes, little-endian; missing bytes read as zero.
    template <typename T>
    T take() {
        static_assert(std::is_trivially_copyable_v<T>);
        T value{};
        bytes(&value, sizeof(T));
        return value;
    }
    std::uint8_t byte() { return take<std::uint8_t>(); }
    bool flag() { return (byte() & 1) != 0; }
    // One of `count` choices (count > 0).
    unsigned choose(unsigned count) { return byte() % count; }

    // Copies n bytes to dst, zero-filling what the input no longer has. Returns the bytes taken.
    std::size_t bytes(void* dst, std::size_t n) {
        const std::size_t got = std::min(n, remaining());
        if (got != 0)
            std::memcpy(dst, data_ + pos_, got);
        std::memset(static_cast<std::uint8_t*>(dst) + got, 0, n - got);
        pos_ += got;
        return got;
    }
    // A 16-bit length, then up to that many bytes (at most `max`), as a view into the input.
    std::span<const std::uint8_t> chunk(std::size_t max) {
        const std::size_t want = std::min<std::size_t>(take<std::uint16_t>(), max);
        const std::size_t got = std::min(want, remaining());
        std::span<const std::uint8_t> out(data_ + pos_, got);
        pos_ += got;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace ena::fuzz
