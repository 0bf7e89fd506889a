#include "shaping_queue.hpp"

#include <cstring>

namespace ena::sim::detail {

void ShapingQueue::configure(std::uint32_t slots, std::size_t bytes) {
    capacity_ = slots;
    byte_capacity_ = slots == 0 ? 0 : bytes;
    slots_.reset(slots == 0 ? nullptr : new Slot[slots]);
    bytes_.reset(byte_capacity_ == 0 ? nullptr : new std::uint8_t[byte_capacity_]);
    clear();
}

void ShapingQueue::clear() {
    head_ = 0;
    count_ = 0;
    write_ = 0;
    last_departure_ = 0;
}

// Frames are stored whole and in order in a byte ring; one that does not fit before the end
// starts again at 0 (the tail gap stays unused until the oldest frame passes it).
std::int64_t ShapingQueue::place(std::size_t length) const {
    if (count_ == capacity_ || length == 0)
        return -1;
    if (count_ == 0)
        return length <= byte_capacity_ ? 0 : -1;
    const std::size_t oldest = slots_[head_].offset;
    if (write_ > oldest) {  // newest after oldest: free at the end, then before the oldest
        if (write_ + length <= byte_capacity_)
            return static_cast<std::int64_t>(write_);
        return length <= oldest ? 0 : -1;
    }
    return write_ + length <= oldest ? static_cast<std::int64_t>(write_) : -1;  // wrapped
}

bool ShapingQueue::has_room(std::size_t length) const { return place(length) >= 0; }

void ShapingQueue::push(std::uint64_t departure, std::span<const std::uint8_t> frame, std::uint8_t flags) {
    const std::int64_t at = place(frame.size());
    if (at < 0)
        return;  // callers ask has_room() first
    std::memcpy(bytes_.get() + at, frame.data(), frame.size());
    std::uint32_t slot = head_ + count_;
    if (slot >= capacity_)
        slot -= capacity_;
    slots_[slot] = Slot{departure, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(frame.size()), flags};
    ++count_;
    write_ = static_cast<std::size_t>(at) + frame.size();
    last_departure_ = departure;
}

std::uint64_t ShapingQueue::front_departure() const { return count_ == 0 ? ~std::uint64_t{0} : slots_[head_].departure; }

bool ShapingQueue::due(std::uint64_t now, Front& out) const {
    if (count_ == 0)
        return false;
    const Slot& s = slots_[head_];
    if (s.departure > now)
        return false;
    out = Front{s.departure, std::span<const std::uint8_t>(bytes_.get() + s.offset, s.length), s.flags};
    return true;
}

void ShapingQueue::pop() {
    if (count_ == 0)
        return;
    if (++head_ == capacity_)
        head_ = 0;
    if (--count_ == 0)
        write_ = 0;
}

}  // namespace ena::sim::detail
