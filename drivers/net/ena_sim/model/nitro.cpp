#include "nitro.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

namespace ena::sim::detail {

namespace {

constexpr std::uint64_t kNsPerMs = 1'000'000;
constexpr std::uint64_t kBytesPerSecondPerMbps = 1'000'000 / 8;

}  // namespace

// The Amazon DNS server, instance metadata and time sync: 169.254.169.253/.254/.123 and
// fd00:ec2::253/254/123.
bool is_linklocal_service(std::span<const std::uint8_t> frame, const PacketInfo& info, bool destination) {
    if (info.l3 == L3Kind::kIpv4) {
        const std::uint8_t* d = frame.data() + info.l3_offset + (destination ? 16 : 12);
        return d[0] == 169 && d[1] == 254 && d[2] == 169 && (d[3] == 253 || d[3] == 254 || d[3] == 123);
    }
    if (info.l3 == L3Kind::kIpv6) {
        static constexpr std::array<std::uint8_t, 14> kPrefix{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        const std::uint8_t* d = frame.data() + info.l3_offset + (destination ? 24 : 8);
        if (std::memcmp(d, kPrefix.data(), kPrefix.size()) != 0)
            return false;
        const std::uint16_t low = load_be16(d + 14);
        return low == 0x0253 || low == 0x0254 || low == 0x0123;
    }
    return false;
}

Nitro::Nitro(const NitroConfig& c, std::size_t max_frame) : config_(c) {
    const std::uint64_t tolerance = std::uint64_t{c.burst_ms} * kNsPerMs;
    if (c.linklocal_pps != 0)
        linklocal_.configure(c.linklocal_pps, tolerance);
    if (c.fragment_pps != 0)
        fragment_.configure(c.fragment_pps, tolerance);
    if (c.pps != 0)
        pps_.configure(c.pps, tolerance);
    if (c.bw_out_mbps != 0)
        bw_out_.configure(std::uint64_t{c.bw_out_mbps} * kBytesPerSecondPerMbps, tolerance);
    if (c.bw_in_mbps != 0)
        bw_in_.configure(std::uint64_t{c.bw_in_mbps} * kBytesPerSecondPerMbps, tolerance);
    if (c.conntrack_max != 0)
        conntrack_.configure(c.conntrack_max, c.conntrack_timeouts);
    egress_shaped_ = pps_.enabled() || bw_out_.enabled() || conntrack_.enabled();
    ingress_shaped_ = pps_.enabled() || bw_in_.enabled() || conntrack_.enabled();
    const std::size_t queue_bytes = std::max(std::size_t{c.shaping_queue} * kQueueBytesPerPacket, 4 * max_frame);
    if (c.shaping_queue != 0 && (pps_.enabled() || bw_out_.enabled()))
        egress_queue_.configure(c.shaping_queue, queue_bytes);
    if (c.shaping_queue != 0 && (pps_.enabled() || bw_in_.enabled()))
        ingress_queue_.configure(c.shaping_queue, queue_bytes);
    if (c.srd != SrdMode::kOff && c.srd_flows != 0) {
        const std::uint64_t idle = std::uint64_t{c.srd_flow_idle_ms} * kNsPerMs;
        srd_flows_.configure(c.srd_flows, std::span<const std::uint64_t>(&idle, 1));
    }
}

Nitro::Verdict Nitro::egress(std::span<const std::uint8_t> frame, const PacketInfo& info, bool frag_bypass,
                             std::uint64_t now) {
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
    FlowPacket flow;
    if (track)
        track = classify_flow(frame, info, flow);
    return shape(Direction{bw_out_, egress_queue_, n.pps_exceeded, n.bw_out_exceeded, n.conntrack_exceeded, n.queued,
                           n.shaping_drops},
                 track ? &flow : nullptr, frame, now, 0);
}

Nitro::Verdict Nitro::ingress(std::span<const std::uint8_t> frame, const PacketInfo& info, bool via_srd,
                              std::uint64_t now) {
    IngressCounters& n = ingress_counters;
    FlowPacket flow;
    // Replies from link-local services are not tracked (their requests were not).
    const bool track = conntrack_.enabled() && !is_linklocal_service(frame, info, /*destination=*/false) &&
                       classify_flow(frame, info, flow);
    return shape(Direction{bw_in_, ingress_queue_, n.pps_exceeded, n.bw_in_exceeded, n.conntrack_exceeded, n.queued,
                           n.shaping_drops},
                 track ? &flow : nullptr, frame, now, via_srd ? kQueuedViaSrd : 0);
}

// Connection tracking, then the PPS allowance (shared with the other direction: under the
// shared lock) and this direction's bandwidth allowance. The frame leaves when both shapers
// allow it and after every frame queued before it; it counts against each allowance whose
// meter it finds exceeded.
Nitro::Verdict Nitro::shape(const Direction& d, const FlowPacket* flow, std::span<const std::uint8_t> frame,
                            std::uint64_t now, std::uint8_t flags) {
    const std::uint64_t cost = frame.size();
    std::uint64_t departure = now;
    bool bw_late = false, bw_over = false, pps_late = false, pps_over = false;
    if (d.bw.enabled()) {
        departure = d.bw.shaper.earliest(now);
        bw_late = departure > now;
        bw_over = !d.bw.meter.conforms(now);
    }
    departure = std::max(departure, d.queue.last_departure());
    bool room;
    {
        std::lock_guard lock(shared_lock_);
        if (flow != nullptr && !conntrack_.admit(*flow, now)) {
            ++d.conntrack_exceeded;
            return Verdict::kDropped;
        }
        if (pps_.enabled()) {
            const std::uint64_t e = pps_.shaper.earliest(now);
            pps_late = e > now;
            pps_over = !pps_.meter.conforms(now);
            departure = std::max(departure, e);
        }
        room = departure == now || d.queue.has_room(frame.size());
        if (room && pps_.enabled()) {
            pps_.shaper.take(departure, 1);
            if (!pps_over)
                pps_.meter.take(now, 1);
        }
    }
    if (!room) {
        // Dropped because an allowance held it back: counted there even if its meter had room.
        if (!pps_over && !bw_over) {
            pps_over = pps_late || (!bw_late && pps_.enabled());
            bw_over = !pps_over;
        }
        d.pps_exceeded += pps_over;
        d.bw_exceeded += bw_over;
        ++d.shaping_drops;
        return Verdict::kDropped;
    }
    if (d.bw.enabled()) {
        d.bw.shaper.take(departure, cost);
        if (!bw_over)
            d.bw.meter.take(now, cost);
    }
    d.pps_exceeded += pps_over;
    d.bw_exceeded += bw_over;
    if (departure == now)
        return Verdict::kPass;
    d.queue.push(departure, frame, flags);
    ++d.queued;
    return Verdict::kQueued;
}

bool Nitro::srd_decide(SrdMode receiver, std::span<const std::uint8_t> frame, const PacketInfo& info,
                       std::uint64_t now) {
    if (config_.srd == SrdMode::kOff || receiver == SrdMode::kOff || info.fragment)
        return false;
    // TCP when both ends have ENA Express on; UDP only when both have UDP on too.
    const bool eligible =
        info.is_tcp() || (info.is_udp() && config_.srd == SrdMode::kOnUdp && receiver == SrdMode::kOnUdp);
    if (!eligible)
        return false;
    ++egress_counters.srd_eligible;
    // Still eligible, but standard transmission: too big for SRD, or no SRD capacity left.
    if (std::uint32_t{info.l3_end} - info.l3_offset > kSrdMaxIpBytes || !srd_flows_.enabled())
        return false;
    FlowPacket flow;
    if (!classify_flow(frame, info, flow))
        return false;
    std::uint32_t index = srd_flows_.find(flow, now);
    if (index == FlowTable::kNone) {
        index = srd_flows_.insert(flow, 0, now);
        if (index == FlowTable::kNone)
            return false;
    } else {
        srd_flows_.touch(index, 0, now);
    }
    ++egress_counters.srd_tx;
    return true;
}

std::uint64_t Nitro::srd_utilization(std::uint64_t now) {
    if (!srd_flows_.enabled())
        return 0;
    srd_flows_.expire(now);
    return std::uint64_t{srd_flows_.size()} * 100 / srd_flows_.capacity();
}

std::uint32_t Nitro::conntrack_entries(std::uint64_t now) {
    if (!conntrack_.enabled())
        return 0;
    std::lock_guard lock(shared_lock_);
    return conntrack_.entries(now);
}

}  // namespace ena::sim::detail
