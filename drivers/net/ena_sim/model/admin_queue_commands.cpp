// Admin commands that create and destroy IO queues, and GET_STATS.
#include <bit>
#include <cstring>

#include "admin_commands.hpp"

namespace ena::sim::detail {

using namespace hw;

namespace {
constexpr bool valid_cq_entry_size(std::uint8_t words) { return words == 2 || words == 4 || words == 8; }
constexpr std::uint64_t metric_bit(CustomerMetric m) { return std::uint64_t{1} << static_cast<unsigned>(m); }
// ena_srd_mode as the EC2 user guide lists it: 0 off, 1 on, 3 on with UDP (2, UDP kept from an
// earlier setting with ENA Express off, is not a setting of ours).
constexpr std::uint64_t srd_flags_of(SrdMode mode) {
    switch (mode) {
        case SrdMode::kOff:
            return 0;
        case SrdMode::kOn:
            return srd_flags::Enabled::kMask;
        case SrdMode::kOnUdp:
            return srd_flags::Enabled::kMask | srd_flags::UdpEnabled::kMask;
    }
    return 0;
}
// Tx completions are 8 bytes (16 with timestamps), Rx completions 16 (32).
constexpr bool cq_fits_direction(std::uint8_t entry_size, bool rx) {
    return rx ? (entry_size == 16 || entry_size == 32) : (entry_size == 8 || entry_size == 16);
}
}  // namespace

AdminStatus AdminCommands::create_cq(const CreateCqCommand& cmd, CreateCqResponse& resp) {
    const std::uint8_t words = cq_caps2::EntrySizeWords::get(cmd.cq_caps_2);
    if (!valid_cq_entry_size(words) || !valid_ring_depth(cmd.cq_depth))
        return AdminStatus::kMalformedRequest;
    if (cmd.cq_depth > std::max(core_.config.max_tx_depth, core_.config.max_rx_depth))
        return AdminStatus::kIllegalParameter;
    const std::uint64_t base = cmd.cq_base.get();
    const std::size_t bytes = std::size_t{cmd.cq_depth} * words * 4;
    if (cmd.cq_base.reserved_mbz != 0 || base % kRingAlignment != 0)
        return AdminStatus::kMalformedRequest;
    std::uint8_t* ring = core_.memory.map(base, bytes);
    if (ring == nullptr) {
        ++core_.stats.dma_errors;
        return AdminStatus::kMalformedRequest;
    }
    const auto index = core_.queues.free_cq();
    if (!index)
        return AdminStatus::kResourceAllocationFailure;

    std::lock_guard rx(core_.rx_mutex);
    CompletionQueue& cq = core_.queues.cq(*index);
    cq.clear();
    cq.exists = true;
    cq.interrupt_mode = cq_caps1::InterruptMode::get(cmd.cq_caps_1);
    cq.entry_size = static_cast<std::uint8_t>(words * 4);
    cq.depth = cmd.cq_depth;
    cq.msix_vector = cmd.msix_vector;
    cq.base = base;
    cq.ring = ring;
    core_.registers.store(queue_regs::cq_unmask(*index), kRegisterTaken);
    core_.registers.store(queue_regs::cq_head(*index), kRegisterTaken);
    core_.registers.store(queue_regs::cq_numa(*index), 0);
    core_.queues_changed();

    resp.cq_index = *index;
    resp.cq_actual_depth = cmd.cq_depth;
    resp.numa_node_register_offset = queue_regs::cq_numa(*index);
    // Optional for the driver: it tells the device how far it consumed (see handle_cq_unmask).
    resp.cq_head_db_register_offset = queue_regs::cq_head(*index);
    resp.cq_interrupt_unmask_register_offset = queue_regs::cq_unmask(*index);
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::destroy_cq(const DestroyCqCommand& cmd) {
    if (cmd.cq_index >= core_.queues.capacity() || !core_.queues.cq(cmd.cq_index).exists)
        return AdminStatus::kIllegalParameter;
    if (core_.queues.cq(cmd.cq_index).bound)
        return AdminStatus::kResourceBusy;  // destroy the SQ first
    std::lock_guard rx(core_.rx_mutex);
    core_.queues.cq(cmd.cq_index).clear();
    core_.queues_changed();
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::create_sq(const CreateSqCommand& cmd, CreateSqResponse& resp) {
    const auto direction = static_cast<SqDirection>(sq_identity::Direction::get(cmd.sq_identity));
    const auto placement = static_cast<PlacementPolicy>(sq_caps2::Placement::get(cmd.sq_caps_2));
    const auto policy = static_cast<CompletionPolicy>(sq_caps2::Completion::get(cmd.sq_caps_2));
    if (direction != SqDirection::kTx && direction != SqDirection::kRx)
        return AdminStatus::kMalformedRequest;
    if (placement != PlacementPolicy::kHost && placement != PlacementPolicy::kDevice)
        return AdminStatus::kMalformedRequest;
    if (!valid_ring_depth(cmd.sq_depth))
        return AdminStatus::kMalformedRequest;
    const bool rx = direction == SqDirection::kRx;
    const bool llq = placement == PlacementPolicy::kDevice;
    // Only per-descriptor completions are implemented (what drivers use).
    if (policy != CompletionPolicy::kDesc)
        return AdminStatus::kIllegalParameter;
    // LLQ: Tx only, and only after SET_FEATURE LLQ.
    if (llq && (rx || !core_.llq_layout || core_.llq_bar == nullptr))
        return AdminStatus::kIllegalParameter;

    std::uint32_t max_depth = rx ? core_.config.max_rx_depth : core_.config.max_tx_depth;
    if (llq && core_.llq_layout->entry_size > 128)
        max_depth = core_.config.max_wide_llq_depth != 0 ? core_.config.max_wide_llq_depth : max_depth / 2;
    if (cmd.sq_depth > max_depth)
        return AdminStatus::kIllegalParameter;

    if (cmd.cq_index >= core_.queues.capacity() || !core_.queues.cq(cmd.cq_index).exists)
        return AdminStatus::kIllegalParameter;
    CompletionQueue& cq = core_.queues.cq(cmd.cq_index);
    if (cq.bound)
        return AdminStatus::kResourceBusy;
    if (!cq_fits_direction(cq.entry_size, rx))
        return AdminStatus::kMalformedRequest;
    if (cq.depth < cmd.sq_depth)
        return AdminStatus::kIllegalParameter;  // completions could overrun the CQ

    const std::uint8_t* ring = nullptr;
    std::uint64_t base = 0;
    if (!llq) {
        base = cmd.sq_base.get();
        if (cmd.sq_base.reserved_mbz != 0 || base % kRingAlignment != 0)
            return AdminStatus::kMalformedRequest;
        ring = core_.memory.map(base, std::size_t{cmd.sq_depth} * kTxDescSize);
        if (ring == nullptr) {
            ++core_.stats.dma_errors;
            return AdminStatus::kMalformedRequest;
        }
    }
    if (core_.queues.sq_count(rx) >= core_.config.max_io_queues)
        return AdminStatus::kResourceAllocationFailure;
    std::uint16_t llq_slot = 0;
    if (llq) {
        const auto slot = core_.queues.take_llq_slot();
        if (!slot)
            return AdminStatus::kResourceAllocationFailure;
        llq_slot = *slot;
    }

    RxCompletionUse use;
    if (rx && core_.rx_completion_use)
        use = core_.rx_completion_use();

    std::lock_guard rx_lock(core_.rx_mutex);
    const std::uint16_t index = cmd.cq_index;  // see queues.hpp
    SubmissionQueue& sq = core_.queues.sq(index);
    sq.clear();
    sq.exists = true;
    sq.rx = rx;
    sq.llq = llq;
    sq.depth = cmd.sq_depth;
    sq.cq = cmd.cq_index;
    sq.base = base;
    if (llq) {
        sq.llq_slot = llq_slot;
        sq.llq_offset = llq_slot * core_.llq_queue_stride;
        ring = core_.llq_bar.get() + sq.llq_offset;
    }
    sq.ring = ring;
    sq.report_checksums = use.checksums;
    sq.report_hash = use.hash;
    cq.bound = true;
    cq.rx = rx;
    core_.queues_changed();
    core_.registers.store(queue_regs::sq_doorbell(index), 0);
    ++core_.live_sqs;
    core_.faults.mark_started(core_.clock.now_ns());  // scheduled faults count from the first one

    resp.sq_index = index;
    resp.sq_doorbell_offset = queue_regs::sq_doorbell(index);
    resp.llq_descriptors_offset = llq ? sq.llq_offset : 0;
    resp.llq_headers_offset = 0;  // headers travel inline in the entries

    // ENA Express wants normal LLQ entries and Tx queues as deep as the device allows.
    if (!rx && core_.nitro.srd_enabled()) {
        if (llq && core_.llq_layout->entry_size > 128)
            aenq_.post_conf_notification(ConfNotification::kEnaExpressWithWideLlq);
        if (cmd.sq_depth < max_depth)
            aenq_.post_conf_notification(ConfNotification::kEnaExpressShallowTxQueue);
    }
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::destroy_sq(const DestroySqCommand& cmd) {
    const auto direction = static_cast<SqDirection>(sq_identity::Direction::get(cmd.sq_identity));
    if (direction != SqDirection::kTx && direction != SqDirection::kRx)
        return AdminStatus::kMalformedRequest;
    if (cmd.sq_index >= core_.queues.capacity())
        return AdminStatus::kIllegalParameter;
    SubmissionQueue& sq = core_.queues.sq(cmd.sq_index);
    if (!sq.exists || sq.rx != (direction == SqDirection::kRx))
        return AdminStatus::kIllegalParameter;
    std::lock_guard rx(core_.rx_mutex);
    core_.queues.cq(sq.cq).bound = false;
    if (sq.llq)
        core_.queues.release_llq_slot(sq.llq_slot);
    core_.registers.store(queue_regs::sq_doorbell(cmd.sq_index), 0);
    sq.clear();
    core_.queues_changed();
    --core_.live_sqs;
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::get_stats(const GetStatsCommand& cmd, GetStatsResponse& resp) {
    // Scope, queue and device id are not checked: drivers send zeros and mean "this device".
    const std::uint32_t caps = core_.config.capabilities;
    Nitro& nitro = core_.nitro;
    RxCounters rx;
    IngressCounters in;
    {
        std::lock_guard lock(core_.rx_mutex);
        rx = core_.rx_counters;
        in = nitro.ingress_counters;
    }
    const DeviceStats& s = core_.stats;
    const EgressCounters& out = nitro.egress_counters;
    const std::uint64_t now = core_.clock.now_ns();
    switch (static_cast<StatsType>(cmd.type)) {
    case StatsType::kBasic:
        resp.basic.tx_bytes.set(s.tx_bytes);
        resp.basic.tx_pkts.set(s.tx_packets);
        resp.basic.rx_bytes.set(rx.bytes);
        resp.basic.rx_pkts.set(rx.packets);
        resp.basic.rx_drops.set(rx.drops);
        resp.basic.tx_drops.set(s.tx_drops);
        resp.basic.rx_overruns.set(rx.overruns);
        return AdminStatus::kSuccess;
    case StatsType::kEni:
        if (!(caps & capability_bit(Capability::kEniStats)))
            break;
        resp.eni.bw_in_allowance_exceeded = in.bw_in_exceeded;
        resp.eni.bw_out_allowance_exceeded = out.bw_out_exceeded;
        resp.eni.pps_allowance_exceeded = out.pps_exceeded + in.pps_exceeded;
        resp.eni.conntrack_allowance_exceeded = out.conntrack_exceeded + in.conntrack_exceeded;
        resp.eni.linklocal_allowance_exceeded = out.linklocal_exceeded;
        return AdminStatus::kSuccess;
    case StatsType::kEnaSrd:
        if (!(caps & capability_bit(Capability::kEnaSrdInfo)))
            break;
        resp.srd.flags = srd_flags_of(nitro.config().srd);
        resp.srd.tx_pkts = out.srd_tx;
        resp.srd.eligible_tx_pkts = out.srd_eligible;
        resp.srd.rx_pkts = in.srd_rx;
        resp.srd.resource_utilization = nitro.srd_utilization(now);
        return AdminStatus::kSuccess;
    case StatsType::kCustomerMetrics: {
        if (!(caps & capability_bit(Capability::kCustomerMetrics)))
            break;
        // A device that tracks no connection limit cannot say how much room is left.
        const std::uint64_t reported =
            kCustomerMetricsMinimum |
            (nitro.conntrack_enabled() ? metric_bit(CustomerMetric::kConntrackAllowanceAvailable) : 0);
        // Without a control buffer the driver only learns which metrics exist.
        resp.reported_metrics = reported;
        const std::uint64_t wanted = cmd.requested_metrics & reported;
        if (cmd.control_buffer.length == 0 || wanted == 0)
            return AdminStatus::kSuccess;
        const std::size_t bytes = std::size_t(std::popcount(wanted)) * sizeof(std::uint64_t);
        std::uint8_t* buffer = control_buffer(cmd.control_buffer, bytes);
        if (buffer == nullptr)
            return AdminStatus::kMalformedRequest;
        const std::uint64_t available =
            nitro.conntrack_enabled() ? nitro.conntrack_max() - nitro.conntrack_entries(now) : 0;
        const std::uint64_t values[] = {in.bw_in_exceeded,
                                        out.bw_out_exceeded,
                                        out.pps_exceeded + in.pps_exceeded,
                                        out.conntrack_exceeded + in.conntrack_exceeded,
                                        out.linklocal_exceeded,
                                        available};
        static_assert(std::size(values) == 6 && kCustomerMetricsAll == 0x3F);
        for (unsigned bit = 0; bit < std::size(values); ++bit) {
            if (wanted & (std::uint64_t{1} << bit)) {
                std::memcpy(buffer, &values[bit], sizeof(std::uint64_t));
                buffer += sizeof(std::uint64_t);
            }
        }
        return AdminStatus::kSuccess;
    }
    case StatsType::kExtended:
        break;
    }
    return AdminStatus::kUnsupportedOpcode;
}

}  // namespace ena::sim::detail
