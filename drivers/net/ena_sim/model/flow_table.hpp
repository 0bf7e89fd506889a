// Flows as the Nitro card keeps them: a 5-tuple key that is the same for both directions, and a
// table of flows sized once -- open addressing over a fixed slot array, entries from a fixed
// pool, no allocation per packet -- with exact idle expiry: every entry is on the LRU list of
// its timeout class, so the oldest entry of each class is the next to expire, and an entry
// found idle past its timeout is gone before anyone sees it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "packet.hpp"

namespace ena::sim::detail {

namespace ip_proto {
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kIcmpv6 = 58;
}  // namespace ip_proto

// Both endpoints of a flow in one order whichever way the packet goes, so both directions find
// one key. Addresses and ports are kept as they lie in the frame; IPv4 addresses sit in the low
// 32 bits of *_lo with *_hi zero (family tells them apart).
// No member initializers: classify_flow() fills every field on the per-packet path (value-
// initialize, `FlowKey k{}`, for a zero key).
struct FlowKey {
    std::uint64_t a_hi, a_lo, b_hi, b_lo;
    std::uint16_t port_a, port_b;  // TCP/UDP ports; ICMP: the echo id in both; other: 0
    std::uint8_t proto;
    std::uint8_t family;  // 4 or 6
    std::uint16_t reserved;
    bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
};
static_assert(sizeof(FlowKey) == 40);

// What the card reads from one packet for its flow tables.
struct FlowPacket {
    FlowKey key;
    std::uint64_t hash;
    bool from_a;            // the packet's source is endpoint a of the key
    std::uint8_t tcp_flags;  // TCP only
};

// The flow of an IP packet; false for what has no flow the card tracks (not IP, a fragment
// after the first: no ports, a header cut short).
bool classify_flow(std::span<const std::uint8_t> frame, const PacketInfo& info, FlowPacket& out);

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flag

class FlowTable {
public:
    static constexpr std::uint32_t kNone = 0xFFFFFFFF;
    static constexpr unsigned kMaxClasses = 8;

    struct Entry {
        FlowKey key;
        std::uint64_t hash;
        std::uint64_t last_seen;  // ns
        std::uint32_t prev, next;  // LRU list of the class (free list: next)
        std::uint8_t cls;
        bool in_use;
        // The owner's per-flow state (conntrack: TCP flags seen, UDP exchanges).
        std::uint8_t origin_a;  // the first packet came from endpoint a
        std::uint8_t state;
        std::uint16_t counter;
        std::uint8_t last_from_a;
    };

    FlowTable() = default;
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // Room for `max_entries` flows; class c expires after timeouts_ns[c] without packets.
    // Memory is reserved once and touched as flows come (a large table costs what it holds).
    void configure(std::uint32_t max_entries, std::span<const std::uint64_t> timeouts_ns);
    bool enabled() const { return max_ != 0; }
    std::uint32_t capacity() const { return max_; }
    std::uint32_t size() const { return size_; }

    // The flow's entry, or kNone (an entry idle past its timeout is removed and not found).
    std::uint32_t find(const FlowPacket& p, std::uint64_t now);
    // A new entry for a flow that find() did not find, in class `cls`; kNone when the table is
    // full even after expiring what is due.
    std::uint32_t insert(const FlowPacket& p, std::uint8_t cls, std::uint64_t now);
    // A packet of the flow was seen: it moves to the end of (possibly another) class's list.
    void touch(std::uint32_t index, std::uint8_t cls, std::uint64_t now) {
        Entry& e = entries_[index];
        if (now > e.last_seen)
            e.last_seen = now;
        if (e.cls != cls || lists_[cls].tail != index)
            move(index, cls);
    }
    void erase(std::uint32_t index);
    // Removes every flow idle past its timeout.
    void expire(std::uint64_t now);

    Entry& entry(std::uint32_t index) { return entries_[index]; }
    // Entry indices stay valid until an entry is erased: this counts erasures, so a cached index
    // taken at the same epoch still names the same flow.
    std::uint64_t epoch() const { return erasures_; }
    // Idle for its class's timeout (then find() would erase it).
    bool expired(std::uint32_t index, std::uint64_t now) const { return expired(entries_[index], now); }

private:
    struct FreeDeleter {
        void operator()(void* p) const { std::free(p); }
    };
    struct List {
        std::uint32_t head = kNone, tail = kNone;
    };

    // Idle for the class's timeout. (Another thread may have stamped a time later than `now`.)
    bool expired(const Entry& e, std::uint64_t now) const { return now >= e.last_seen + timeouts_[e.cls]; }
    void move(std::uint32_t index, std::uint8_t cls);  // to the tail of class cls's list
    void link(std::uint32_t index);    // at the tail of its class's list
    void unlink(std::uint32_t index);
    std::uint32_t home(std::uint64_t hash) const { return static_cast<std::uint32_t>(hash >> 32) & mask_; }

    std::uint32_t max_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t mask_ = 0;              // slots - 1
    std::uint32_t fresh_ = 0;             // entries never used start here
    std::uint32_t free_ = kNone;          // entries released
    std::uint64_t erasures_ = 0;
    // Slot i holds entry index + 1, 0 when empty (calloc: untouched pages cost nothing).
    std::unique_ptr<std::uint32_t, FreeDeleter> slots_;
    std::unique_ptr<Entry, FreeDeleter> entries_storage_;
    Entry* entries_ = nullptr;
    std::array<std::uint64_t, kMaxClasses> timeouts_{};
    std::array<List, kMaxClasses> lists_{};
};

}  // namespace ena::sim::detail
