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

Nitro::Nitro(const NitroConfig& c, std::size_t max_frame) : config_(c) {
    EgressCounters& e = egress_counters;
    egress_.pps_exceeded = &e.pps_exceeded;
    egress_.bw_exceeded = &e.bw_out_exceeded;
    egress_.conntrack_exceeded = &e.conntrack_exceeded;
    egress_.queued = &e.queued;
    egress_.shaping_drops = &e.shaping_drops;
    IngressCounters& i = ingress_counters;
    ingress_.pps_exceeded = &i.pps_exceeded;
    ingress_.bw_exceeded = &i.bw_in_exceeded;
    ingress_.conntrack_exceeded = &i.conntrack_exceeded;
    ingress_.queued = &i.queued;
    ingress_.shaping_drops = &i.shaping_drops;
    const std::uint64_t tolerance = std::uint64_t{c.burst_ms} * kNsPerMs;
    if (c.linklocal_pps != 0)
        linklocal_.configure(c.linklocal_pps, tolerance);
    if (c.fragment_pps != 0)
        fragment_.configure(c.fragment_pps, tolerance);
    if (c.pps != 0)
        pps_.configure(c.pps, tolerance);
    if (c.bw_out_mbps != 0)
        egress_.bw.configure(std::uint64_t{c.bw_out_mbps} * kBytesPerSecondPerMbps, tolerance);
    if (c.bw_in_mbps != 0)
        ingress_.bw.configure(std::uint64_t{c.bw_in_mbps} * kBytesPerSecondPerMbps, tolerance);
    if (c.conntrack_max != 0)
        conntrack_.configure(c.conntrack_max, c.conntrack_timeouts);
    egress_shaped_ = pps_.enabled() || egress_.bw.enabled() || conntrack_.enabled();
    ingress_shaped_ = pps_.enabled() || ingress_.bw.enabled() || conntrack_.enabled();
    const std::size_t queue_bytes = std::max(std::size_t{c.shaping_queue} * kQueueBytesPerPacket, 4 * max_frame);
    if (c.shaping_queue != 0 && (pps_.enabled() || egress_.bw.enabled()))
        egress_.queue.configure(c.shaping_queue, queue_bytes);
    if (c.shaping_queue != 0 && (pps_.enabled() || ingress_.bw.enabled()))
        ingress_.queue.configure(c.shaping_queue, queue_bytes);
    if (c.srd != SrdMode::kOff && c.srd_flows != 0) {
        const std::uint64_t idle = std::uint64_t{c.srd_flow_idle_ms} * kNsPerMs;
        srd_flows_.configure(c.srd_flows, std::span<const std::uint64_t>(&idle, 1));
    }
}

// The frame leaves when both shapers allow it and after every frame queued before it; it counts
// against each allowance whose meter it finds exceeded. The shared lock is held when PPS is on.
Nitro::Verdict Nitro::schedule(Side& side, std::span<const std::uint8_t> frame, std::uint64_t now,
                               std::uint8_t flags) {
    const std::uint64_t cost = frame.size();
    std::uint64_t departure = now;
    bool bw_late = false, bw_over = false, pps_late = false, pps_over = false;
    ShapedAllowance::Wide bw_t = 0, pps_t = 0;
    if (side.bw.enabled()) {
        bw_t = side.bw.scaled(now);
        departure = side.bw.earliest(now, bw_t);
        bw_late = departure > now;
        bw_over = side.bw.exceeded(bw_t);
    }
    if (!side.queue.empty())
        departure = std::max(departure, side.queue.last_departure());
    if (pps_.enabled()) {
        pps_t = pps_.scaled(now);
        const std::uint64_t e = pps_.earliest(now, pps_t);
        pps_late = e > now;
        pps_over = pps_.exceeded(pps_t);
        departure = std::max(departure, e);
    }
    // Behind frames still waiting it waits too, whatever the buckets say: the queue stays in
    // order (the callers drain what is due first).
    const bool now_ok = departure == now && side.queue.empty();
    if (!now_ok && !side.queue.has_room(frame.size())) {
        // Dropped because an allowance held it back: counted there even if its meter had room.
        if (!pps_over && !bw_over) {
            pps_over = pps_late || (!bw_late && pps_.enabled());
            bw_over = !pps_over;
        }
        *side.pps_exceeded += pps_over;
        *side.bw_exceeded += bw_over;
        ++*side.shaping_drops;
        return Verdict::kDropped;
    }
    if (pps_.enabled())
        pps_.take(now, pps_t, departure, 1, pps_over);
    if (side.bw.enabled())
        side.bw.take(now, bw_t, departure, cost, bw_over);
    *side.pps_exceeded += pps_over;
    *side.bw_exceeded += bw_over;
    if (now_ok)
        return Verdict::kPass;
    side.queue.push(departure, frame, flags);
    ++*side.queued;
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
