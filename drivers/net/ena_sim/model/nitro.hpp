// The Nitro card's view of one ENI: what happens to a frame between the device's queues and
// the wire, in each direction (the EC2 user guide: "Monitor network performance for ENA
// settings", "Metrics for ENA Express", "Nitro system considerations").
//
// Egress, per frame the device sends (TSO segments one by one):
//   1. to a link-local service (169.254.169.253/.254/.123, fd00:ec2::253/254/123): at most
//      linklocal_pps, the excess dropped (linklocal_allowance_exceeded); not tracked;
//   2. an IP fragment, unless the driver enabled FRAG_BYPASS: at most fragment_pps (1024), the
//      excess dropped and counted in pps_allowance_exceeded (with FRAG_BYPASS fragments are
//      subject only to the PPS allowance);
//   3. connection tracking: a packet opening a flow the full table cannot take is dropped
//      (conntrack_allowance_exceeded);
//   4. the bidirectional PPS allowance and the outbound bandwidth allowance: a frame that does
//      not conform waits in the egress shaping queue until both allow it, or is dropped when
//      the queue is full; a frame beyond an allowance counts in its counter, waiting or dropped
//      ("packets queued or dropped"; see ShapedAllowance: the counter measures the excess);
//   5. ENA Express: on a wire that knows the receiver, an eligible frame goes via SRD.
// Ingress, per frame from the wire: connection tracking, then the PPS and inbound bandwidth
// buckets with the ingress shaping queue, then the Rx ring.
//
// Buckets are RateLimiters (GCRA) on the device clock: real time in threaded mode, virtual
// time in synchronous and deferred mode (exact to the nanosecond there).
//
// Locks (see device_core.hpp): the egress side is used under process_mutex, the ingress side
// under rx_mutex. What both directions share -- the PPS bucket and the connection-tracking
// table -- has its own leaf lock inside this class: nothing else is acquired while it is held.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <span>

#include "conntrack.hpp"
#include "ena_sim_device.hpp"
#include "flow_table.hpp"
#include "packet.hpp"
#include "rate_limiter.hpp"
#include "shaping_queue.hpp"

namespace ena::sim::detail {

// A leaf lock for a few dozen instructions: spinning beats sleeping, and an uncontended
// acquire is one atomic exchange.
class SpinLock {
public:
    void lock() {
        while (locked_.exchange(true, std::memory_order_acquire))
            while (locked_.load(std::memory_order_relaxed))
                relax();
    }
    void unlock() { locked_.store(false, std::memory_order_release); }

private:
    static void relax() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }
    std::atomic<bool> locked_{false};
};

// Counters of the egress side (process_mutex).
struct EgressCounters {
    std::uint64_t bw_out_exceeded = 0, pps_exceeded = 0, conntrack_exceeded = 0, linklocal_exceeded = 0;
    std::uint64_t queued = 0, shaping_drops = 0;
    std::uint64_t srd_eligible = 0, srd_tx = 0;
};
// Counters of the ingress side (rx_mutex).
struct IngressCounters {
    std::uint64_t bw_in_exceeded = 0, pps_exceeded = 0, conntrack_exceeded = 0;
    std::uint64_t queued = 0, shaping_drops = 0;
    std::uint64_t srd_rx = 0;
};

// Whether the frame's destination (or source) is a link-local service address: the Amazon
// DNS server, instance metadata and time sync, 169.254.169.253/.254/.123 and
// fd00:ec2::253/254/123. Two byte compares for most frames (on every frame's path).
inline bool is_linklocal_service(std::span<const std::uint8_t> frame, const PacketInfo& info,
                                 bool destination = true) {
    if (info.l3 == L3Kind::kIpv4) {
        const std::uint8_t* a = frame.data() + info.l3_offset + (destination ? 16 : 12);
        return a[0] == 169 && a[1] == 254 && a[2] == 169 && (a[3] == 253 || a[3] == 254 || a[3] == 123);
    }
    if (info.l3 == L3Kind::kIpv6) {
        const std::uint8_t* a = frame.data() + info.l3_offset + (destination ? 24 : 8);
        static constexpr std::uint8_t kPrefix[14] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        if (a[0] != 0xfd || std::memcmp(a, kPrefix, sizeof(kPrefix)) != 0)
            return false;
        const std::uint16_t low = load_be16(a + 14);
        return low == 0x0253 || low == 0x0254 || low == 0x0123;
    }
    return false;
}

class Nitro {
public:
    // ENA Express takes packets of up to this many IP bytes (an 8900-byte MTU).
    static constexpr std::uint32_t kSrdMaxIpBytes = 8900;
    // Shaping queues keep this much frame memory per packet of their length.
    static constexpr std::size_t kQueueBytesPerPacket = 2048;

    enum class Verdict : std::uint8_t { kPass, kQueued, kDropped };
    static constexpr std::uint8_t kQueuedViaSrd = 1;  // ShapingQueue flag (ingress)

    // max_frame: the longest frame the device handles (a queue holds at least a few of them).
    Nitro(const NitroConfig& config, std::size_t max_frame);
    const NitroConfig& config() const { return config_; }

    // --- egress (process_mutex) ---
    // Whether any egress stage can act on this frame; false on the default path for every
    // frame that is neither link-local nor a fragment (two comparisons).
    bool egress_applies(std::span<const std::uint8_t> frame, const PacketInfo& info) const {
        return egress_shaped_ || info.fragment || (linklocal_.enabled() && is_linklocal_service(frame, info));
    }
    // Pass: send it now. Queued: a copy waits in egress_queue(). Dropped: counted.
    Verdict egress(std::span<const std::uint8_t> frame, const PacketInfo& info, bool frag_bypass, std::uint64_t now);
    ShapingQueue& egress_queue() { return egress_.queue; }
    bool srd_enabled() const { return config_.srd != SrdMode::kOff; }
    // ENA Express: the frame goes to a port with `receiver`'s setting. Counts eligibility and
    // returns whether it goes via SRD (eligible, small enough, and a flow within capacity).
    bool srd_decide(SrdMode receiver, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint64_t now);
    // Percent of the SRD flow capacity in use (idle flows expired first).
    std::uint64_t srd_utilization(std::uint64_t now);
    EgressCounters egress_counters;

    // --- ingress (rx_mutex) ---
    bool ingress_applies() const { return ingress_shaped_; }
    Verdict ingress(std::span<const std::uint8_t> frame, const PacketInfo& info, bool via_srd, std::uint64_t now);
    ShapingQueue& ingress_queue() { return ingress_.queue; }
    IngressCounters ingress_counters;

    // --- either side (takes the shared lock) ---
    bool conntrack_enabled() const { return conntrack_.enabled(); }
    std::uint32_t conntrack_max() const { return conntrack_.capacity(); }
    std::uint32_t conntrack_entries(std::uint64_t now);

private:
    // One direction of the ENI: its bandwidth allowance, shaping queue, flow cache (its own
    // lock's), and where its counters go.
    struct Side {
        ShapedAllowance bw;
        ShapingQueue queue;
        FlowCache flows;  // used under the shared lock
        std::uint64_t* pps_exceeded;
        std::uint64_t* bw_exceeded;
        std::uint64_t* conntrack_exceeded;
        std::uint64_t* queued;
        std::uint64_t* shaping_drops;
    };
    // Connection tracking (when `track`), the PPS allowance and the side's bandwidth allowance.
    Verdict shape(Side& side, bool track, std::span<const std::uint8_t> frame, const PacketInfo& info,
                  std::uint64_t now, std::uint8_t flags);
    // The general case: when the frame may leave, or whether it waits or is dropped. With PPS on,
    // the shared lock is held.
    Verdict schedule(Side& side, std::span<const std::uint8_t> frame, std::uint64_t now, std::uint8_t flags);

    const NitroConfig config_;
    bool egress_shaped_ = false;   // conntrack, PPS or outbound bandwidth configured
    bool ingress_shaped_ = false;  // conntrack, PPS or inbound bandwidth configured

    // Egress side (process_mutex).
    RateLimiter linklocal_, fragment_;
    Side egress_;
    FlowTable srd_flows_;

    // Ingress side (rx_mutex).
    Side ingress_;

    // Shared (shared_lock_).
    SpinLock shared_lock_;
    ShapedAllowance pps_;
    Conntrack conntrack_;
};

// --- the per-frame path, inline (nitro.cpp has the rest) ----------------------------------

inline Nitro::Verdict Nitro::egress(std::span<const std::uint8_t> frame, const PacketInfo& info,
                                    bool frag_bypass, std::uint64_t now) {
    EgressCounters& n = egress_counters;
    bool track = conntrack_.enabled();
    if (linklocal_.enabled() && is_linklocal_service(frame, info)) {
        if (!linklocal_.admit(now, 1)) {
            ++n.linklocal_exceeded;
            return Verdict::kDropped;
        }
        track = false;  // link-local services are not behind the security group
    }
    if (info.fragment && !frag_bypass && fragment_.enabled() && !fragment_.admit(now, 1)) {
        ++n.pps_exceeded;
        return Verdict::kDropped;
    }
    if (!egress_shaped_)
        return Verdict::kPass;
    return shape(egress_, track, frame, info, now, 0);
}

inline Nitro::Verdict Nitro::ingress(std::span<const std::uint8_t> frame, const PacketInfo& info,
                                     bool via_srd, std::uint64_t now) {
    // Replies from link-local services are not tracked (their requests were not).
    const bool track = conntrack_.enabled() && !is_linklocal_service(frame, info, /*destination=*/false);
    return shape(ingress_, track, frame, info, now, via_srd ? kQueuedViaSrd : 0);
}

// The common case first: the frame conforms to both allowances and nothing waits before it, so
// it leaves now, taking each allowance's shaper and meter at once. Anything else is schedule()'s.
// The shared lock only when something shared is on (conntrack, PPS).
inline Nitro::Verdict Nitro::shape(Side& side, bool track, std::span<const std::uint8_t> frame,
                                   const PacketInfo& info, std::uint64_t now, std::uint8_t flags) {
    ShapedAllowance::Wide bw_t = 0;
    bool fast = side.queue.empty();
    if (side.bw.enabled()) {
        bw_t = side.bw.scaled(now);
        fast = fast && side.bw.conforms(bw_t);
    }
    if (track || pps_.enabled()) {
        std::lock_guard lock(shared_lock_);
        if (track && !conntrack_.admit(frame, info, side.flows, now)) {
            ++*side.conntrack_exceeded;
            return Verdict::kDropped;
        }
        ShapedAllowance::Wide pps_t = 0;
        if (pps_.enabled()) {
            pps_t = pps_.scaled(now);
            fast = fast && pps_.conforms(pps_t);
        }
        if (!fast)
            return schedule(side, frame, now, flags);
        if (pps_.enabled())
            pps_.take_now(pps_t, ShapedAllowance::kUnitCost);
    } else if (!fast) {
        return schedule(side, frame, now, flags);  // bandwidth alone: nothing shared
    }
    if (side.bw.enabled())
        side.bw.take_now(bw_t, ShapedAllowance::cost(frame.size()));
    return Verdict::kPass;
}

}  // namespace ena::sim::detail
