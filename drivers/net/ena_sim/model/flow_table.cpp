#include "flow_table.hpp"

#include <bit>
#include <cstring>
#include <new>

namespace ena::sim::detail {

namespace {

// Keys hold addresses and ports as they lie in the frame (native-endian loads): only equality
// and one consistent order of the two endpoints matter, not numeric value.
template <typename T>
T load(const std::uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

std::uint64_t hash_key(const FlowKey& k) {
    const std::uint64_t rest = std::uint64_t{k.port_a} | std::uint64_t{k.port_b} << 16 | std::uint64_t{k.proto} << 32 |
                               std::uint64_t{k.family} << 40;
    std::uint64_t h = (k.a_lo * 0x9E3779B97F4A7C15ull) ^ (k.b_lo * 0xC2B2AE3D27D4EB4Full) ^
                      ((k.a_hi ^ (k.b_hi << 1)) * 0x165667B19E3779F9ull) ^ (rest * 0xD6E8FEB86659FD93ull);
    return h ^ (h >> 29);
}

}  // namespace

bool classify_flow(std::span<const std::uint8_t> frame, const PacketInfo& info, FlowPacket& out) {
    if (info.l3 == L3Kind::kNone || (info.fragment && !info.first_fragment))
        return false;
    const std::uint8_t* ip = frame.data() + info.l3_offset;
    std::uint64_t s_hi = 0, s_lo, d_hi = 0, d_lo;
    FlowKey& k = out.key;
    if (info.l3 == L3Kind::kIpv4) {
        s_lo = load<std::uint32_t>(ip + 12);
        d_lo = load<std::uint32_t>(ip + 16);
        k.family = 4;
    } else {
        s_hi = load<std::uint64_t>(ip + 8);
        s_lo = load<std::uint64_t>(ip + 16);
        d_hi = load<std::uint64_t>(ip + 24);
        d_lo = load<std::uint64_t>(ip + 32);
        k.family = 6;
    }
    std::uint16_t s_port = 0, d_port = 0;
    out.tcp_flags = 0;
    const std::uint8_t proto = info.l4_proto;
    const std::uint8_t* l4 = frame.data() + info.l4_offset;
    if (proto == ip_proto::kTcp || proto == ip_proto::kUdp) {
        if (!info.l4_parsed)
            return false;
        s_port = load<std::uint16_t>(l4);
        d_port = load<std::uint16_t>(l4 + 2);
        if (proto == ip_proto::kTcp)
            out.tcp_flags = l4[13];
    } else if (proto == ip_proto::kIcmp || proto == ip_proto::kIcmpv6) {
        if (std::size_t{info.l4_offset} + 8 > info.l3_end)
            return false;
        const std::uint8_t type = l4[0];
        const bool echo = proto == ip_proto::kIcmp ? (type == 0 || type == 8) : (type == 128 || type == 129);
        s_port = d_port = echo ? load<std::uint16_t>(l4 + 4) : 0;
    }
    k.proto = proto;
    k.reserved = 0;
    // One endpoint order for both directions.
    const bool src_first = s_hi != d_hi ? s_hi < d_hi : s_lo != d_lo ? s_lo < d_lo : s_port <= d_port;
    if (src_first) {
        k.a_hi = s_hi, k.a_lo = s_lo, k.b_hi = d_hi, k.b_lo = d_lo, k.port_a = s_port, k.port_b = d_port;
    } else {
        k.a_hi = d_hi, k.a_lo = d_lo, k.b_hi = s_hi, k.b_lo = s_lo, k.port_a = d_port, k.port_b = s_port;
    }
    out.from_a = src_first;
    out.hash = hash_key(k);
    return true;
}

void FlowTable::configure(std::uint32_t max_entries, std::span<const std::uint64_t> timeouts_ns) {
    max_ = max_entries;
    size_ = 0;
    fresh_ = 0;
    free_ = kNone;
    lists_ = {};
    timeouts_ = {};
    for (std::size_t c = 0; c < timeouts_ns.size() && c < kMaxClasses; ++c)
        timeouts_[c] = timeouts_ns[c];
    slots_.reset();
    entries_storage_.reset();
    entries_ = nullptr;
    if (max_entries == 0)
        return;
    // At most half the slots in use: short probe sequences.
    const std::uint32_t slots = std::bit_ceil(std::max<std::uint32_t>(max_entries, 8) * 2u);
    mask_ = slots - 1;
    slots_.reset(static_cast<std::uint32_t*>(std::calloc(slots, sizeof(std::uint32_t))));
    entries_storage_.reset(static_cast<Entry*>(std::malloc(std::size_t{max_entries} * sizeof(Entry))));
    if (!slots_ || !entries_storage_)
        throw std::bad_alloc();
    entries_ = entries_storage_.get();
}

std::uint32_t FlowTable::find(const FlowPacket& p, std::uint64_t now) {
    for (std::uint32_t i = home(p.hash);; i = (i + 1) & mask_) {
        const std::uint32_t slot = slots_.get()[i];
        if (slot == 0)
            return kNone;
        Entry& e = entries_[slot - 1];
        if (e.hash == p.hash && e.key == p.key) {
            if (!expired(e, now))
                return slot - 1;
            erase(slot - 1);
            return kNone;
        }
    }
}

std::uint32_t FlowTable::insert(const FlowPacket& p, std::uint8_t cls, std::uint64_t now) {
    if (size_ == max_) {
        expire(now);
        if (size_ == max_)
            return kNone;
    }
    std::uint32_t index;
    if (free_ != kNone) {
        index = free_;
        free_ = entries_[index].next;
    } else {
        index = fresh_++;
    }
    Entry& e = entries_[index];
    e.key = p.key;
    e.hash = p.hash;
    e.last_seen = now;
    e.cls = cls;
    e.in_use = true;
    e.origin_a = p.from_a;
    e.state = 0;
    e.counter = 0;
    e.last_from_a = p.from_a;
    link(index);
    std::uint32_t i = home(p.hash);
    while (slots_.get()[i] != 0)
        i = (i + 1) & mask_;
    slots_.get()[i] = index + 1;
    ++size_;
    return index;
}

void FlowTable::move(std::uint32_t index, std::uint8_t cls) {
    unlink(index);
    entries_[index].cls = cls;
    link(index);
}

void FlowTable::link(std::uint32_t index) {
    Entry& e = entries_[index];
    List& l = lists_[e.cls];
    e.prev = l.tail;
    e.next = kNone;
    if (l.tail != kNone)
        entries_[l.tail].next = index;
    else
        l.head = index;
    l.tail = index;
}

void FlowTable::unlink(std::uint32_t index) {
    Entry& e = entries_[index];
    List& l = lists_[e.cls];
    if (e.prev != kNone)
        entries_[e.prev].next = e.next;
    else
        l.head = e.next;
    if (e.next != kNone)
        entries_[e.next].prev = e.prev;
    else
        l.tail = e.prev;
}

// Linear probing with backward-shift deletion: the entries after the hole that may move into
// it do, so no tombstones slow later lookups down.
void FlowTable::erase(std::uint32_t index) {
    Entry& e = entries_[index];
    std::uint32_t* slots = slots_.get();
    std::uint32_t hole = home(e.hash);
    while (slots[hole] != index + 1)
        hole = (hole + 1) & mask_;
    for (std::uint32_t j = (hole + 1) & mask_; slots[j] != 0; j = (j + 1) & mask_) {
        const std::uint32_t k = home(entries_[slots[j] - 1].hash);
        // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
        const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
        if (!stays) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole] = 0;
    unlink(index);
    e.in_use = false;
    e.next = free_;
    free_ = index;
    --size_;
    ++erasures_;
}

void FlowTable::expire(std::uint64_t now) {
    for (unsigned c = 0; c < kMaxClasses; ++c)
        while (lists_[c].head != kNone && expired(entries_[lists_[c].head], now))
            erase(lists_[c].head);
}

}  // namespace ena::sim::detail
