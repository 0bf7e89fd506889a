// Security-group connection tracking of one ENI: every flow the ENI sends or receives takes
// an entry (both directions share it) until it has been idle for its state's timeout; when
// the table is full, packets of new flows are dropped (conntrack_allowance_exceeded) while
// known flows go on. TCP flows closed by FIN from both sides or by RST leave sooner.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "ena_sim_device.hpp"
#include "flow_table.hpp"

namespace ena::sim::detail {

// The recent TCP/UDP flows of one direction, as the card's flow cache keeps them ("When a Nitro
// card performs the initial evaluation for a new flow, it saves information that's the same for
// all packets in the flow"): a packet whose addresses, ports and protocol are in it skips the
// classification and the table lookup. Direct-mapped on the raw tuple; an entry is valid while
// the table has erased nothing since it was filled (FlowTable::epoch), so it never names a flow
// that is gone.
struct FlowCache {
    static constexpr unsigned kSlots = 64;
    struct Slot {
        std::array<std::uint64_t, 5> tuple{};  // addresses, ports, protocol, as read from the frame
        FlowPacket flow{};
        std::uint32_t entry = FlowTable::kNone;
        std::uint64_t epoch = ~std::uint64_t{0};  // FlowTable::epoch() when `entry` was found
    };
    static unsigned slot_of(const std::array<std::uint64_t, 5>& t) {
        return static_cast<unsigned>(((t[0] ^ t[1] ^ t[2] ^ t[3] ^ t[4]) * 0x9E3779B97F4A7C15ull) >> 58);
    }
    std::array<Slot, kSlots> slots;
};
static_assert(FlowCache::kSlots == 64, "slot_of() takes the top 6 bits");

class Conntrack {
public:
    // Timeout classes (FlowTable classes).
    enum Class : std::uint8_t {
        kTcpEstablished,
        kTcpTransitory,
        kTcpClosed,
        kUdp,
        kUdpStream,
        kIcmp,
        kOther,
        kClassCount,
    };

    void configure(std::uint32_t max_entries, const ConntrackTimeouts& timeouts);
    bool enabled() const { return table_.enabled(); }
    std::uint32_t capacity() const { return table_.capacity(); }

    // A packet of this flow crosses the card: true when it may pass (its flow is known or got
    // an entry), false when it opens a new flow the full table cannot take.
    bool admit(const FlowPacket& p, std::uint64_t now) { return admit(p, now, nullptr); }
    // The same for a frame, through one direction's flow cache. What has no flow the card tracks
    // (not IP, later fragments) passes. Link-local traffic is the caller's to leave out.
    bool admit(std::span<const std::uint8_t> frame, const PacketInfo& info, FlowCache& cache, std::uint64_t now) {
        if (!info.l4_parsed || info.fragment || (info.l4_proto != ip_proto::kTcp && info.l4_proto != ip_proto::kUdp))
            return admit_uncached(frame, info, now);  // ICMP, other protocols, fragments, not IP
        const std::uint8_t* ip = frame.data() + info.l3_offset;
        const std::uint8_t* l4 = frame.data() + info.l4_offset;
        std::array<std::uint64_t, 5> tuple;
        if (info.l3 == L3Kind::kIpv4) {
            std::memcpy(&tuple[0], ip + 12, 8);  // source and destination
            tuple[1] = tuple[2] = tuple[3] = 0;
        } else {
            std::memcpy(tuple.data(), ip + 8, 32);
        }
        std::uint32_t ports;
        std::memcpy(&ports, l4, sizeof(ports));
        tuple[4] = std::uint64_t{ports} | std::uint64_t{info.l4_proto} << 32 |
                   std::uint64_t{static_cast<std::uint8_t>(info.l3)} << 40;
        FlowCache::Slot& slot = cache.slots[FlowCache::slot_of(tuple)];
        if (tuple == slot.tuple && slot.epoch == table_.epoch() && slot.entry != FlowTable::kNone &&
            !table_.expired(slot.entry, now)) {
            slot.flow.tcp_flags = info.l4_proto == ip_proto::kTcp ? l4[13] : 0;
            seen(slot.entry, slot.flow, now);
            return true;
        }
        return admit_and_cache(frame, info, slot, tuple, now);
    }
    // Flows tracked now (idle ones expired first).
    std::uint32_t entries(std::uint64_t now) {
        table_.expire(now);
        return table_.size();
    }

private:
    // Per-flow state bits (FlowTable::Entry::state).
    static constexpr std::uint8_t kSeenA = 1, kSeenB = 2, kFinA = 4, kFinB = 8, kRst = 16;
    static std::uint8_t tcp_class(std::uint8_t state);
    // The flow's state after this packet, and the class (timeout) that follows from it.
    static std::uint8_t update(FlowTable::Entry& e, const FlowPacket& p);
    // The entry index admitted (kNone when untracked RST), into *index when given.
    bool admit(const FlowPacket& p, std::uint64_t now, std::uint32_t* index);
    bool admit_uncached(std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint64_t now);
    bool admit_and_cache(std::span<const std::uint8_t> frame, const PacketInfo& info, FlowCache::Slot& slot,
                         const std::array<std::uint64_t, 5>& tuple, std::uint64_t now);
    void seen(std::uint32_t index, const FlowPacket& p, std::uint64_t now) {
        table_.touch(index, update(table_.entry(index), p), now);
    }

    FlowTable table_;
};

// Per packet, inline.

inline std::uint8_t Conntrack::tcp_class(std::uint8_t state) {
    if ((state & kRst) || (state & (kFinA | kFinB)) == (kFinA | kFinB))
        return kTcpClosed;
    if (state & (kFinA | kFinB))
        return kTcpTransitory;
    if ((state & (kSeenA | kSeenB)) == (kSeenA | kSeenB))
        return kTcpEstablished;
    return kTcpTransitory;  // one side only so far: the handshake
}

inline std::uint8_t Conntrack::update(FlowTable::Entry& e, const FlowPacket& p) {
    const bool from_a = p.from_a;
    std::uint8_t cls;
    switch (p.key.proto) {
        case ip_proto::kTcp: {
            // A new SYN on a closed connection starts it again (the same ports reused).
            if ((p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) == tcp_flag::kSyn && tcp_class(e.state) == kTcpClosed)
                e.state = 0;
            e.state |= from_a ? kSeenA : kSeenB;
            if (p.tcp_flags & tcp_flag::kFin)
                e.state |= from_a ? kFinA : kFinB;
            if (p.tcp_flags & tcp_flag::kRst)
                e.state |= kRst;
            cls = tcp_class(e.state);
            break;
        }
        case ip_proto::kUdp:
            // A transaction: the originator's packet(s), then the other side's. A stream has
            // seen more than one.
            if (from_a != e.last_from_a && from_a != static_cast<bool>(e.origin_a) && e.counter < 0xFFFF)
                ++e.counter;
            cls = e.counter >= 2 ? kUdpStream : kUdp;
            break;
        case ip_proto::kIcmp:
        case ip_proto::kIcmpv6:
            cls = kIcmp;
            break;
        default:
            cls = kOther;
            break;
    }
    e.last_from_a = from_a;
    return cls;
}

}  // namespace ena::sim::detail
