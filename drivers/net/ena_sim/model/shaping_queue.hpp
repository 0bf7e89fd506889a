// The frames one direction of an ENI holds back while its buckets refill: a FIFO of frames,
// each with the time it may leave, in memory sized once (a ring of slots and a ring of frame
// bytes). Departure times never go backwards (the shaper keeps its queue in order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ena::sim::detail {

class ShapingQueue {
public:
    // Room for `slots` frames and `bytes` bytes of them; 0 slots: a queue that takes nothing.
    void configure(std::uint32_t slots, std::size_t bytes);

    bool empty() const { return count_ == 0; }
    std::uint32_t size() const { return count_; }
    // Whether a frame of `length` bytes fits now.
    bool has_room(std::size_t length) const;
    // The departure time of the last frame queued (0 when empty): a new frame leaves no earlier.
    std::uint64_t last_departure() const { return count_ == 0 ? 0 : last_departure_; }

    // Queues a copy of `frame` (has_room() must have said yes). `flags` is the caller's to keep.
    void push(std::uint64_t departure, std::span<const std::uint8_t> frame, std::uint8_t flags);

    struct Front {
        std::uint64_t departure;
        std::span<const std::uint8_t> frame;
        std::uint8_t flags;
    };
    // When the oldest frame may leave (~0 when empty).
    std::uint64_t front_departure() const;
    // The oldest frame if it may leave by `now`.
    bool due(std::uint64_t now, Front& out) const;
    void pop();
    void clear();

private:
    struct Slot {
        std::uint64_t departure;
        std::uint32_t offset;  // in bytes_
        std::uint32_t length;
        std::uint8_t flags;
    };
    // Where a frame of `length` bytes would go, or -1.
    std::int64_t place(std::size_t length) const;

    std::unique_ptr<Slot[]> slots_;
    std::unique_ptr<std::uint8_t[]> bytes_;
    std::uint32_t capacity_ = 0;
    std::size_t byte_capacity_ = 0;
    std::uint32_t head_ = 0;   // oldest slot
    std::uint32_t count_ = 0;
    std::size_t write_ = 0;    // where the next frame's bytes start (wrapping to 0 when needed)
    std::uint64_t last_departure_ = 0;
};

}  // namespace ena::sim::detail
