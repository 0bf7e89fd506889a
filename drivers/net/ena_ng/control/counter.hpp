// Counters and snapshots that one thread writes while other threads -- and other processes,
// when they live in DPDK's shared memory -- read them: statistics read from any thread while
// the datapath runs, device counters the control path refreshes.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <type_traits>

namespace ena::ng {

// A counter with one writer (a queue's lcore, or the control path) and any number of readers.
// Relaxed atomic loads and stores: plain moves on x86, yet no torn or data-raced read.
class Counter {
public:
    Counter& operator+=(std::uint64_t n) {
        ref().store(ref().load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        return *this;
    }
    Counter& operator++() { return *this += 1; }
    std::uint64_t get() const { return ref().load(std::memory_order_relaxed); }
    void set(std::uint64_t value) { ref().store(value, std::memory_order_relaxed); }

private:
    std::atomic_ref<std::uint64_t> ref() const { return std::atomic_ref<std::uint64_t>(value_); }
    alignas(std::atomic_ref<std::uint64_t>::required_alignment) mutable std::uint64_t value_ = 0;
};

// A plain field that one thread writes and another reads (e.g. the datapath's Tx stamps the
// watchdog scans): relaxed atomic access, plain moves on x86.
template <typename T>
inline T load_relaxed(const T& field) {
    return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_relaxed);
}
template <typename T>
inline void store_relaxed(T& field, T value) {
    std::atomic_ref<T>(field).store(value, std::memory_order_relaxed);
}

// A value of plain 64-bit words that one writer replaces whole while readers copy it: a
// sequence lock. Readers never block the writer; a read that overlaps a write is retried.
template <typename T>
class SeqlockBox {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 8 == 0);
    static constexpr std::size_t kWords = sizeof(T) / 8;

public:
    void store(const T& value) {
        const auto words = std::bit_cast<std::array<std::uint64_t, kWords>>(value);
        const std::uint32_t seq = seq_.load(std::memory_order_relaxed);
        seq_.store(seq + 1, std::memory_order_relaxed);  // odd: a write is under way
        std::atomic_thread_fence(std::memory_order_release);
        for (std::size_t i = 0; i < kWords; ++i)
            words_[i].store(words[i], std::memory_order_relaxed);
        seq_.store(seq + 2, std::memory_order_release);
    }
    T load() const {
        std::array<std::uint64_t, kWords> words;
        std::uint32_t before, after;
        do {
            before = seq_.load(std::memory_order_acquire);
            for (std::size_t i = 0; i < kWords; ++i)
                words[i] = words_[i].load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            after = seq_.load(std::memory_order_relaxed);
        } while ((before & 1) != 0 || before != after);
        return std::bit_cast<T>(words);
    }

private:
    std::atomic<std::uint32_t> seq_{0};
    std::array<std::atomic<std::uint64_t>, kWords> words_{};
};

}  // namespace ena::ng
