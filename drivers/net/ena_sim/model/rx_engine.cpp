#include "rx_engine.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <limits>

namespace ena::sim::detail {

using namespace hw;

RxEngine::RxEngine(DeviceCore& core) : core_(core), joined_(std::size_t{core.config.max_mtu} + 14 + 8) {
    buffers_.reserve(core.config.max_rx_descs_per_packet + 1u);
}

int RxEngine::steer(std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t& hash) const {
    const RssState& rss = core_.rss;
    const QueueTable& q = core_.queues;
    int cq;
    bool hashed = false;
    if (rss.steers()) {
        hash = rss.hash(frame, info);
        hashed = true;
        cq = rss.select_cq(hash);
    } else {
        // One queue takes everything: the table's only entry, or before a table the first Rx queue.
        cq = rss.steady_cq() >= 0 ? rss.steady_cq() : core_.first_rx_sq;
    }
    if (cq < 0)
        return -1;
    const SubmissionQueue& sq = q.sq(static_cast<std::uint16_t>(cq));
    if (!sq.exists || !sq.rx)
        return -1;
    if (!hashed)
        hash = sq.report_hash ? rss.hash(frame, info) : 0;
    return cq;
}

// Inlined into deliver(): the default path costs no more calls than it did before the Nitro stage.
[[gnu::always_inline]] inline bool RxEngine::place(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash,
                     NoRoom no_room) {
    SubmissionQueue& sq = core_.queues.sq(static_cast<std::uint16_t>(index));
    switch (take_buffers(static_cast<std::uint16_t>(index), sq, frame.size())) {
        case Take::kTaken:
            break;
        case Take::kTooFewPosted:
            if (no_room == NoRoom::kRefuse)
                return false;
            ++core_.rx_counters.drops;
            return true;
        case Take::kDropped:
            return true;
    }
    write(index, frame, info, hash);
    return true;
}

[[gnu::always_inline]] inline void RxEngine::write(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash) {
    RxCounters& n = core_.rx_counters;
    SubmissionQueue& sq = core_.queues.sq(static_cast<std::uint16_t>(index));
    CompletionQueue& cq = core_.queues.cq(sq.cq);
    if (core_.faults.pending(Fault::kRxStaleReqId) != 0)
        name_a_stale_buffer(index, sq);
    bool dma_fault = false;
    for (Buffer& b : buffers_) {
        b.data = iova_.map(core_.memory, b.address, b.length);
        dma_fault |= b.data == nullptr;
    }
    const std::uint32_t count = static_cast<std::uint32_t>(buffers_.size());
    if (dma_fault) {
        // The buffers are consumed: hand them back empty so the driver can reuse them.
        ++n.dma_errors;
        ++n.drops;
        for (std::uint32_t i = 0; i < count; ++i) {
            const Buffer& b = buffers_[i];
            write_completion(cq, b.address, 0, b.req_id,
                             rx_completion::First::make(i == 0) | rx_completion::Last::make(i + 1 == count), 0);
        }
    } else {
        const std::uint32_t status = frame_status(info, frame, sq.report_checksums);
        std::size_t off = 0;
        for (std::uint32_t i = 0; i < count; ++i) {
            const Buffer& b = buffers_[i];
            std::memcpy(b.data, frame.data() + off, b.length);
            off += b.length;
            write_completion(cq, b.address, b.length, b.req_id,
                             status | rx_completion::First::make(i == 0) | rx_completion::Last::make(i + 1 == count),
                             hash);
        }
        ++n.packets;
        n.bytes += frame.size();
    }
    for (const Buffer& b : buffers_)
        sq.completed_ids[sq.completed_count++ % sq.completed_ids.size()] = b.req_id;
    sq.head = static_cast<std::uint16_t>(sq.head + count);
    core_.signal_cq(cq, core_.irq_rx);
}

// Fault::kRxStaleReqId: the frame's first completion names a buffer completed earlier that the
// driver has not posted again (so it cannot be holding it), newest first, instead of the one
// taken; none such yet: the fault waits for a later frame.
void RxEngine::name_a_stale_buffer(int index, const SubmissionQueue& sq) {
    const auto tail = static_cast<std::uint16_t>(core_.registers.load(queue_regs::sq_doorbell(static_cast<std::uint16_t>(index))));
    const std::uint32_t kept = std::min<std::uint32_t>(sq.completed_count, sq.completed_ids.size());
    for (std::uint32_t k = 1; k <= kept; ++k) {
        const std::uint16_t id = sq.completed_ids[(sq.completed_count - k) % sq.completed_ids.size()];
        bool posted = false;
        for (std::uint16_t at = sq.head; at != tail && !posted; ++at) {
            RxDesc d;
            std::memcpy(&d, sq.ring + std::size_t{ring_slot(at, sq.depth)} * kRxDescSize, sizeof(d));
            posted = d.req_id == id;
        }
        if (!posted) {
            if (core_.faults.fire(Fault::kRxStaleReqId))
                buffers_.front().req_id = id;
            return;
        }
    }
}

bool RxEngine::deliver(std::span<const std::uint8_t> frame, bool via_srd, NoRoom no_room, const PacketInfo* parsed) {
    RxCounters& n = core_.rx_counters;
    Nitro& nitro = core_.nitro;
    // No room now: a frame that can wait is handed back uncounted.
    auto no_room_now = [&] {
        if (no_room == NoRoom::kRefuse)
            return false;
        ++n.drops;
        return true;
    };
    if (frame.empty())
        return true;
    if (nitro.ingress_applies())
        drain_shaped();  // frames that waited go first
    if (!core_.link_up.load(std::memory_order_relaxed) || core_.fatal_error.load(std::memory_order_relaxed))
        return no_room_now();
    const PacketInfo info = parsed != nullptr ? *parsed : parse_packet(frame);
    if (frame.size() > core_.max_frame(info.vlan_count)) {
        ++n.oversize_drops;
        ++n.drops;  // reported with the other Rx drops (GET_STATS, keep-alive): the driver's imissed
        return true;
    }
    if (via_srd)
        ++nitro.ingress_counters.srd_rx;
    std::uint32_t hash = 0;
    const int index = steer(frame, info, hash);
    if (index < 0)
        return no_room_now();
    if (!nitro.ingress_applies())
        return place(index, frame, info, hash, no_room);

    // The Nitro ingress stage. A frame that can wait must find its buffers before it pays the
    // buckets and the tracking table.
    if (no_room == NoRoom::kRefuse) {
        switch (take_buffers(static_cast<std::uint16_t>(index), core_.queues.sq(static_cast<std::uint16_t>(index)),
                             frame.size())) {
            case Take::kTaken:
                break;
            case Take::kTooFewPosted:
                return false;
            case Take::kDropped:
                return true;
        }
    }
    if (nitro.ingress(frame, info, via_srd, now_) != Nitro::Verdict::kPass)
        return true;  // waiting in the shaping queue, or dropped and counted
    if (no_room == NoRoom::kRefuse) {
        write(index, frame, info, hash);
        return true;
    }
    return place(index, frame, info, hash, no_room);
}

// A frame of a burst the fast loop of deliver_burst() does not take: deliver() (a split frame
// joined in scratch first).
void RxEngine::deliver_parsed(std::span<const std::uint8_t> frame, const PacketInfo& info,
                              std::span<const std::uint8_t> tail) {
    if (tail.empty()) {
        deliver(frame, false, NoRoom::kDrop, &info);
        return;
    }
    const std::size_t length = frame.size() + tail.size();
    if (length > joined_.size()) {  // longer than the MTU allows: dropped, as deliver() would
        ++core_.rx_counters.oversize_drops;
        ++core_.rx_counters.drops;
        return;
    }
    std::memcpy(joined_.data(), frame.data(), frame.size());
    std::memcpy(joined_.data() + frame.size(), tail.data(), tail.size());
    deliver(std::span<const std::uint8_t>(joined_.data(), length), false, NoRoom::kDrop, &info);
}

// The general placement of a frame the sender parsed (its ingress stage passed): a split frame
// joined in scratch first.
void RxEngine::place_joined(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash,
                            std::span<const std::uint8_t> tail) {
    if (tail.empty()) {
        place(index, frame, info, hash, NoRoom::kDrop);
        return;
    }
    const std::size_t length = frame.size() + tail.size();
    std::memcpy(joined_.data(), frame.data(), frame.size());
    std::memcpy(joined_.data() + frame.size(), tail.data(), tail.size());
    place(index, std::span<const std::uint8_t>(joined_.data(), length), info, hash, NoRoom::kDrop);
}

// The buffer of the Rx descriptor at `desc` is fetched for writing (its first kPrefetchBytes at
// most, the store stream's own prefetch does the rest) while the frame before it is copied: a
// driver's buffers come back to the device cold, and stores that miss wait for each line (1500
// bytes: 6.0 -> 7.9 Mpps; after frames below kPrefetchMin the hint costs more than it saves). A
// hint only: a buffer outside the Rx path's last IOVA run is left to the placement.
void RxEngine::prefetch_buffer(const std::uint8_t* desc, std::size_t length) {
    RxDesc d;
    std::memcpy(&d, desc, sizeof(d));
    const std::size_t bytes = std::min({length, std::size_t{d.length == 0 ? 65536u : d.length}, kPrefetchBytes});
    const std::uint64_t address = d.buff_addr_low | (std::uint64_t{d.buff_addr_high} << 32);
    if (bytes == 0)
        return;
    if (const std::uint8_t* p = iova_.peek(core_.memory, address, bytes)) {
#pragma GCC unroll 4
        for (std::size_t at = 0; at < bytes; at += 64)
            __builtin_prefetch(p + at, 1);
    }
}

// The frames of a burst, with what the general path looks up per frame looked up once per run
// of frames: the queue, the device's state, the faults, the Rx doorbell (a doorbell read once
// may be behind the driver: a frame that finds no buffer by it takes the general placement,
// which reads it again). A frame that fits the next posted buffer is placed in one go; anything
// else goes through deliver_parsed(). The CQ is signalled once after the run.
void RxEngine::deliver_burst(const FrameBurst& burst) {
    const std::size_t count = burst.frames.size();
    auto tail_of = [&](std::size_t i) {
        return burst.tails != nullptr ? burst.tails[i] : std::span<const std::uint8_t>();
    };
    const RssState& rss = core_.rss;
    Nitro& nitro = core_.nitro;
    RxCounters& n = core_.rx_counters;
    std::size_t i = 0;
    while (i < count) {
        const int index = rss.steers() ? -1 : rss.steady_cq() >= 0 ? rss.steady_cq() : core_.first_rx_sq;
        if (index < 0 || !core_.link_up.load(std::memory_order_relaxed) ||
            core_.fatal_error.load(std::memory_order_relaxed) || core_.faults.pending(Fault::kRxStaleReqId) != 0 ||
            core_.faults.pending(Fault::kTooManyRxDescs) != 0 || !core_.queues.sq(static_cast<std::uint16_t>(index)).exists ||
            !core_.queues.sq(static_cast<std::uint16_t>(index)).rx) {
            deliver_parsed(burst.frames[i], burst.parsed[i], tail_of(i));
            ++i;
            continue;
        }
        const auto q = static_cast<std::uint16_t>(index);
        SubmissionQueue& sq = core_.queues.sq(q);
        CompletionQueue& cq = core_.queues.cq(sq.cq);
        const bool shaped = nitro.ingress_applies();
        const std::uint32_t max_untagged = core_.max_frame(0);
        // Acquire: the descriptors the doorbell covers are visible after this load.
        const auto doorbell = static_cast<std::uint16_t>(core_.registers.load(queue_regs::sq_doorbell(q)));
        const std::uint32_t mask = sq.depth - 1u;
        std::uint64_t packets = 0, bytes = 0;
        bool general = false;  // frame i goes to deliver_parsed()
        for (; i < count; ++i) {
            const std::span<const std::uint8_t> frame = burst.frames[i];
            const PacketInfo& info = burst.parsed[i];
            const std::span<const std::uint8_t> tail = tail_of(i);
            const std::size_t length = frame.size() + tail.size();
            if (frame.empty() || length > max_untagged + 4u * info.vlan_count || (!tail.empty() && shaped)) {
                general = true;
                break;
            }
            const std::uint32_t hash = sq.report_hash ? rss.hash(frame, info) : 0;
            if (shaped) {
                drain_shaped();  // frames that waited go first, then this one pays the buckets
                if (nitro.ingress(frame, info, false, now_) != Nitro::Verdict::kPass)
                    continue;
            }
            const auto posted = static_cast<std::uint16_t>(doorbell - sq.head);
            // A slot the doorbell does not cover is the driver's, maybe being written: not read.
            const bool covered = posted != 0 && posted <= sq.depth;
            RxDesc d{};
            if (covered)
                std::memcpy(&d, sq.ring + std::size_t{sq.head & mask} * kRxDescSize, sizeof(d));
            const std::size_t capacity = d.length == 0 ? 65536 : d.length;
            const std::uint64_t address = d.buff_addr_low | (std::uint64_t{d.buff_addr_high} << 32);
            std::uint8_t* data = nullptr;
            if (!covered || rx_desc::Phase::get(d.ctrl) != ring_phase(sq.head, sq.depth) ||
                capacity < length || (data = iova_.map(core_.memory, address, length)) == nullptr) {
                place_joined(index, frame, info, hash, tail);
                ++i;
                break;  // the general placement may have moved the queue: look again
            }
            if (length >= kPrefetchMin && i + 1 < count && posted > 1)  // large frames: the next is likely too
                prefetch_buffer(sq.ring + std::size_t{(sq.head + 1u) & mask} * kRxDescSize,
                                burst.frames[i + 1].size() + tail_of(i + 1).size());
            std::memcpy(data, frame.data(), frame.size());
            if (!tail.empty())
                std::memcpy(data + frame.size(), tail.data(), tail.size());
            // Checksums, when verified, are read from the frame where it landed (it is whole there).
            write_completion(cq, address, static_cast<std::uint32_t>(length), d.req_id,
                             frame_status(info, std::span<const std::uint8_t>(data, length), sq.report_checksums) |
                                 rx_completion::First::make(1) | rx_completion::Last::make(1),
                             hash);
            ++packets;
            bytes += length;
            sq.completed_ids[sq.completed_count++ % sq.completed_ids.size()] = d.req_id;
            sq.head = static_cast<std::uint16_t>(sq.head + 1);
        }
        n.packets += packets;
        n.bytes += bytes;
        if (packets != 0)
            core_.signal_cq(cq, core_.irq_rx);
        if (general) {
            deliver_parsed(burst.frames[i], burst.parsed[i], tail_of(i));
            ++i;
        }
    }
}

bool RxEngine::drain_shaped() {
    ShapingQueue& queue = core_.nitro.ingress_queue();
    if (queue.empty())
        return false;
    bool did = false;
    ShapingQueue::Front front;
    while (queue.due(now_, front)) {
        if (!core_.link_up.load(std::memory_order_relaxed) || core_.fatal_error.load(std::memory_order_relaxed)) {
            ++core_.rx_counters.drops;
        } else {
            const PacketInfo info = parse_packet(front.frame);
            std::uint32_t hash = 0;
            const int index = steer(front.frame, info, hash);
            if (index < 0)
                ++core_.rx_counters.drops;
            else
                place(index, front.frame, info, hash, NoRoom::kDrop);
        }
        queue.pop();
        did = true;
    }
    return did;
}

RxEngine::Take RxEngine::take_buffers(std::uint16_t index, const SubmissionQueue& sq, std::size_t frame_len) {
    RxCounters& n = core_.rx_counters;
    buffers_.clear();
    // Acquire: the descriptors the doorbell covers are visible after this load.
    const auto tail = static_cast<std::uint16_t>(core_.registers.load(queue_regs::sq_doorbell(index)));
    const std::uint32_t posted = static_cast<std::uint16_t>(tail - sq.head);
    if (posted > sq.depth) {  // a doorbell past the ring: nothing it covers can be trusted
        ++n.malformed;
        ++n.drops;
        return Take::kDropped;
    }
    const std::uint32_t max = core_.config.max_rx_descs_per_packet;

    std::uint32_t limit = max;
    std::size_t chunk = std::numeric_limits<std::size_t>::max();
    const std::uint32_t spread = max + 1;
    if (core_.faults.pending(Fault::kTooManyRxDescs) != 0 && posted >= spread && frame_len >= spread &&
        core_.faults.fire(Fault::kTooManyRxDescs)) {
        chunk = frame_len / spread;  // rounded down: the frame needs at least `spread` buffers
        limit = posted;
    }

    std::size_t remaining = frame_len;
    std::uint16_t idx = sq.head;
    while (remaining > 0) {
        if (buffers_.size() == posted) {
            if (posted + 1u < sq.depth)
                return Take::kTooFewPosted;
            ++n.drops;  // a full ring (drivers keep one slot free) cannot hold it: waiting would not help
            return Take::kDropped;
        }
        if (buffers_.size() == limit) {
            ++n.drops;  // would span more buffers than a packet may
            return Take::kDropped;
        }
        RxDesc d;
        std::memcpy(&d, sq.ring + std::size_t{ring_slot(idx, sq.depth)} * kRxDescSize, sizeof(d));
        if (rx_desc::Phase::get(d.ctrl) != ring_phase(idx, sq.depth)) {
            ++n.malformed;
            ++n.drops;
            return Take::kDropped;
        }
        ++idx;
        const std::size_t capacity = d.length == 0 ? 65536 : d.length;
        const std::size_t take = std::min({capacity, remaining, chunk});
        buffers_.push_back(Buffer{d.buff_addr_low | (std::uint64_t{d.buff_addr_high} << 32), nullptr,
                                  static_cast<std::uint32_t>(take), d.req_id});
        remaining -= take;
    }
    return Take::kTaken;
}

[[gnu::always_inline]] inline std::uint32_t RxEngine::frame_status(const PacketInfo& info, std::span<const std::uint8_t> frame,
                                                                 bool verify) {
    using namespace rx_completion;
    std::uint32_t s = SrcVlanCount::make(info.vlan_count);
    if (info.l3 == L3Kind::kIpv4) {
        s |= L3ProtoIdx::make(static_cast<std::uint32_t>(L3Proto::kIpv4));
        s |= L3CsumError::make(verify && !ipv4_header_checksum_ok(frame.data(), info));
        s |= Ipv4Fragment::make(info.fragment);
    } else if (info.l3 == L3Kind::kIpv6) {
        s |= L3ProtoIdx::make(static_cast<std::uint32_t>(L3Proto::kIpv6));
    }
    if (info.l4_parsed && !(info.fragment && !info.first_fragment)) {
        s |= L4ProtoIdx::make(static_cast<std::uint32_t>(info.is_tcp() ? L4Proto::kTcp : L4Proto::kUdp));
        // A checksum can only be verified over a whole, untruncated datagram.
        if (verify && !info.fragment && !info.l3_truncated) {
            s |= L4CsumChecked::make(1);
            s |= L4CsumError::make(!l4_checksum_ok(frame.data(), info));
        }
    }
    return s;
}

// The entry is put together in registers and written as 8-byte words, the first word (status
// and phase, length, request id) last with release: building it in a struct on the stack and
// copying that made every completion wait for a failed store-to-load forward.
[[gnu::always_inline]] inline void RxEngine::write_completion(CompletionQueue& cq, std::uint64_t address,
                                                            std::uint32_t length, std::uint16_t req_id,
                                                            std::uint32_t status, std::uint32_t hash) {
    static_assert(std::endian::native == std::endian::little, "completion words are composed little-endian");
    static_assert(offsetof(RxCompletion, length) == 4 && offsetof(RxCompletion, req_id) == 6 &&
                  offsetof(RxCompletion, hash) == 8 && offsetof(RxCompletion, sub_qid) == 12);
    static_assert(offsetof(RxCompletionExt, buff_addr_low) == 16 && offsetof(RxCompletionExt, timestamp_low) == 24);
    auto* words = reinterpret_cast<std::uint64_t*>(cq.next_entry());
    words[1] = hash;  // sub_qid, offset: 0
    if (cq.entry_size == sizeof(RxCompletionExt)) {
        words[2] = (address & 0xFFFFFFFFFFFFull);  // buff_addr_low, buff_addr_high; reserved 0
        words[3] = now_;                            // timestamp_low, timestamp_high
    }
    const std::uint64_t first = (status | rx_completion::Phase::make(cq.phase())) |
                                std::uint64_t{static_cast<std::uint16_t>(length)} << 32 | std::uint64_t{req_id} << 48;
    store_release(&words[0], first);
    ++cq.produced;
}

}  // namespace ena::sim::detail
