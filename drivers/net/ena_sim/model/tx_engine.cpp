#include "tx_engine.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

namespace ena::sim::detail {

using namespace hw;

namespace {

constexpr bool is_meta(const TxDesc& d) { return tx_desc::MetaDesc::get(d.len_ctrl); }

TxOffloadContext meta_context(const TxDesc& d) {
    TxMetaDesc m;
    std::memcpy(&m, &d, sizeof(m));
    TxOffloadContext ctx;
    ctx.valid = true;
    ctx.l3_length = static_cast<std::uint8_t>(tx_meta::L3HeaderLength::get(m.word2));
    ctx.l3_offset = static_cast<std::uint8_t>(tx_meta::L3HeaderOffset::get(m.word2));
    ctx.l4_length_words = static_cast<std::uint8_t>(tx_meta::L4HeaderLengthWords::get(m.word2));
    ctx.mss = static_cast<std::uint16_t>(tx_meta::MssLow::get(m.word2) |
                                         (tx_meta::MssHigh::get(m.len_ctrl) << tx_meta::kMssLowBits));
    return ctx;
}

// The offload context describes the same headers the device finds in the frame. Zero fields
// mean "not given" (drivers send an all-zero meta descriptor when they request no offload).
bool context_matches(const TxOffloadContext& ctx, const PacketInfo& info) {
    if (ctx.l3_length != 0 && (ctx.l3_offset != info.l3_offset || ctx.l3_length != info.l3_length))
        return false;
    if (ctx.l4_length_words != 0 && std::uint32_t{ctx.l4_length_words} * 4 != info.l4_length)
        return false;
    return true;
}

}  // namespace

TxEngine::TxEngine(DeviceCore& core, Aenq& aenq)
    : core_(core),
      aenq_(aenq),
      frame_(kMaxGather),
      segment_(std::size_t{core.config.max_mtu} + 512),
      batch_bytes_(new std::uint8_t[kBatchBytes]) {
    descs_.reserve(core.config.max_tx_descs_per_packet + 1u);
}

std::uint8_t* TxEngine::reserve(std::size_t len) {
    if (batch_count_ == kBatchFrames || batch_used_ + len > kBatchBytes)
        flush();
    return len <= kBatchBytes ? batch_bytes_.get() + batch_used_ : nullptr;
}

void TxEngine::flush() {
    if (batch_count_ != 0 && core_.wire)
        core_.wire->transmit_burst(core_.self, FrameBurst{std::span(batch_.data(), batch_count_), batch_info_.data(),
                                                          batch_split_ ? batch_tail_.data() : nullptr});
    batch_count_ = 0;
    batch_used_ = 0;
    batch_split_ = false;
    write_completions();
    pending_count_ = 0;
}

bool TxEngine::service() {
    bool did = false;
    for (const std::uint16_t i : core_.tx_sq_indices)
        did |= service_one(i);
    return did;
}

bool TxEngine::service_one(std::uint16_t index) {
    SubmissionQueue& sq = core_.queues.sq(index);
    if (!sq.exists || sq.rx)
        return false;
    // Acquire: the descriptors the doorbell covers are visible after this load.
    const auto tail = static_cast<std::uint16_t>(core_.registers.load(queue_regs::sq_doorbell(index)));
    if (tail == sq.head || stalled(sq, tail))
        return false;
    return service_queue(index, sq, tail);
}

// Fault::kTxQueueStall: a doorbell of the stalled queue is ignored (one occurrence each); the
// queue stays still until a doorbell after the stall ends.
bool TxEngine::stalled(SubmissionQueue& sq, std::uint16_t tail) {
    if (sq.stalled && tail == sq.ignored_doorbell)
        return true;
    if (core_.faults.pending(Fault::kTxQueueStall) == 0 || core_.faults.param(Fault::kTxQueueStall) != sq.tx_rank ||
        !core_.faults.fire(Fault::kTxQueueStall)) {
        sq.stalled = false;
        return false;
    }
    sq.stalled = true;
    sq.ignored_doorbell = tail;
    return true;
}

bool TxEngine::service_queue(std::uint16_t, SubmissionQueue& sq, std::uint16_t tail) {
    // A doorbell claiming more entries than the ring holds is a driver bug: nothing it covers
    // can be trusted. Count it once and wait for a sane doorbell (or a reset).
    if (static_cast<std::uint16_t>(tail - sq.head) > sq.depth) {
        if (tail != sq.last_doorbell)
            ++core_.stats.malformed_tx;
        sq.last_doorbell = tail;
        return false;
    }
    // The LLQ burst limit can only be checked where every doorbell write is seen.
    if (sq.llq && (core_.mode == EngineMode::kSynchronous || core_.mode == EngineMode::kInline) &&
        (core_.llq_accel_flags & (1u << static_cast<unsigned>(LlqAccelFlag::kLimitTxBurst))) &&
        std::uint32_t(static_cast<std::uint16_t>(tail - sq.last_doorbell)) * core_.llq_layout->entry_size >
            core_.config.llq_max_tx_burst_bytes)
        ++core_.stats.llq_burst_exceeded;
    sq.last_doorbell = tail;

    now_ = core_.clock.now_ns();
    in_pass_ = true;
    bool did = false;
    while (sq.head != tail) {
        if (sq.llq && run_simple_llq(sq, tail)) {
            did = true;
            continue;
        }
        Packet pkt;
        const bool complete = sq.llq ? read_llq(sq, tail, pkt) : read_host(sq, tail, pkt);
        if (!complete)
            break;  // the rest of the packet is not there yet
        sq.head = static_cast<std::uint16_t>(sq.head + pkt.units);
        run_packet(sq, pkt);
        did = true;
    }
    flush();
    in_pass_ = false;
    return did;
}

bool TxEngine::run_simple_llq(SubmissionQueue& sq, std::uint16_t tail) {
    const LlqLayout& layout = *core_.llq_layout;
    if (layout.descs_before_header < 2)
        return false;
    // What the run needs of the layout, the wire and the card, which nothing changes while the
    // pass holds process_mutex.
    const std::uint16_t entry_size = layout.entry_size;
    const std::uint16_t room = layout.header_room();
    const std::uint16_t header_offset = layout.header_offset();
    const bool meta_required = core_.llq_meta_required();
    Nitro& nitro = core_.nitro;
    // emit() puts the frame in the batch (no ENA Express decision to ask the wire for).
    const bool to_batch = core_.wire && !nitro.srd_enabled();
    const bool split_wire = to_batch && core_.wire->accepts_split_frames();
    const std::uint32_t max_untagged = core_.max_frame(0);
    // The packet's flags tested a word at a time: a meta descriptor that starts it and a buffer
    // descriptor that ends it, both of this lap; no offload asked; no context for the queue to
    // cache (the general path keeps it) unless the device wants a meta descriptor per packet.
    using namespace tx_desc;
    const std::uint32_t meta_mask =
        MetaDesc::kMask | First::kMask | Phase::kMask | (meta_required ? 0u : tx_meta::MetaStore::kMask);
    constexpr std::uint32_t kBufMask = MetaDesc::kMask | Last::kMask | Phase::kMask;
    constexpr std::uint32_t kOffloads = L3CsumEnable::kMask | L4CsumEnable::kMask | TsoEnable::kMask;
    static_assert(tx_meta::MetaDesc::kMask == MetaDesc::kMask && tx_meta::First::kMask == First::kMask &&
                  tx_meta::Phase::kMask == Phase::kMask);
    bool did = false;
    while (sq.head != tail) {
        const std::uint8_t* entry = sq.ring + std::size_t{ring_slot(sq.head, sq.depth)} * entry_size;
        TxDesc meta, buf;
        std::memcpy(&meta, entry, sizeof(meta));
        std::memcpy(&buf, entry + kTxDescSize, sizeof(buf));
        const std::uint32_t phase = ring_phase(sq.head, sq.depth) != 0 ? Phase::kMask : 0u;
        if ((meta.len_ctrl & meta_mask) != (MetaDesc::kMask | First::kMask | phase) ||
            (buf.len_ctrl & kBufMask) != (Last::kMask | phase) || (buf.meta_ctrl & kOffloads) != 0)
            break;
        const std::uint32_t header_len = tx_desc::HeaderLength::get(buf.buff_addr_high_hdr_len);
        const std::uint32_t blen = tx_desc::Length::get(buf.len_ctrl);
        const std::size_t len = std::size_t{header_len} + blen;
        if (header_len > room || len == 0 || len > kMaxGather)
            break;

        sq.head = static_cast<std::uint16_t>(sq.head + 1);
        did = true;
        // Frames the shaper held back and whose time has come leave first (send() would send
        // them into the batch where this one is gathered).
        if (!nitro.egress_queue().empty())
            drain_shaped();
        // The entry's whole header room is copied (a fixed size: a few wide stores), the
        // buffer's bytes then land after the pushed header.
        std::uint8_t* dst = reserve(std::max<std::size_t>(len, room));
        const std::uint8_t* pushed = entry + header_offset;
        if (room == kLlqNormal.header_room())
            std::memcpy(dst, pushed, kLlqNormal.header_room());
        else if (room == kLlqWide.header_room())
            std::memcpy(dst, pushed, kLlqWide.header_room());
        else
            std::memcpy(dst, pushed, header_len);
        const std::uint8_t* src = nullptr;
        if (blen != 0) {
            const std::uint64_t addr =
                buf.buff_addr_low | (std::uint64_t{tx_desc::AddrHigh::get(buf.buff_addr_high_hdr_len)} << 32);
            src = buffers_.map(core_.memory, addr, blen);
            if (src == nullptr) {
                ++core_.stats.dma_errors;
                ++core_.stats.tx_drops;
            }
        }
        if (blen == 0 || src != nullptr) {
            // A large buffer on a wire that takes split frames stays where it is: the head holds
            // the pushed headers and kSplitHead bytes more, enough to parse the frame exactly.
            const bool may_split = split_wire && blen >= kSplitHead + kSplitMin && len <= 0xFFFF;
            const std::size_t copied = may_split ? kSplitHead : blen;
            if (copied != 0)
                std::memcpy(dst + header_len, src, copied);
            // Parsed where the batch keeps it (reserve() left a free slot).
            PacketInfo& info = batch_info_[batch_count_];
            std::span<const std::uint8_t> frame(dst, header_len + copied);
            std::span<const std::uint8_t> rest;
            if (may_split && parse_head(frame, len, info) && !nitro.egress_applies(frame, info)) {
                rest = std::span<const std::uint8_t>(src + copied, blen - copied);
            } else {
                if (copied != blen)
                    std::memcpy(dst + header_len + copied, src + copied, blen - copied);
                frame = std::span<const std::uint8_t>(dst, len);
                info = parse_packet(frame);
            }
            if (info.header_length() > header_len) {
                // EC2 drops a packet whose headers do not fit in what the driver pushed.
                ++core_.stats.llq_header_overflow_drops;
                ++core_.stats.tx_drops;
                if (entry_size == 128)
                    aenq_.post_conf_notification(ConfNotification::kLlqHeaderTooLarge);
            } else if (to_batch && len <= max_untagged + 4u * info.vlan_count &&
                       core_.link_up.load(std::memory_order_relaxed) && nitro.egress_queue().empty() &&
                       !nitro.egress_applies(frame, info)) {
                // send() and emit() for a frame no check stops: it is where the batch wants it.
                ++core_.stats.tx_packets;
                core_.stats.tx_bytes += len;
                batch_[batch_count_] = frame;
                batch_tail_[batch_count_] = rest;
                batch_split_ |= !rest.empty();
                ++batch_count_;
                batch_used_ = std::min(kBatchBytes, batch_used_ + ((frame.size() + 63) & ~std::size_t{63}));
            } else {
                const PacketInfo parsed = info;  // the slot is the batch's: send() may fill it
                send(frame, parsed, rest);
            }
        }
        if (tx_desc::CompReq::get(buf.len_ctrl))
            complete(sq, static_cast<std::uint16_t>(tx_desc::ReqIdLow::get(buf.meta_ctrl) |
                                                    (tx_desc::ReqIdHigh::get(buf.len_ctrl) << 10)));
    }
    return did;
}

// Keeps a descriptor of the current packet; false when the packet ends with it.
bool TxEngine::keep_desc(Packet& pkt, const TxDesc& d, std::uint32_t expected_phase) {
    ++pkt.descs;
    if (tx_desc::Phase::get(d.len_ctrl) != expected_phase) {
        pkt.bad_phase = true;  // not written for this lap of the ring: stop here
        return false;
    }
    if (descs_.size() < descs_.capacity())
        descs_.push_back(d);
    if (tx_desc::Last::get(d.len_ctrl)) {
        pkt.last_found = true;
        return false;
    }
    return true;
}

bool TxEngine::read_host(const SubmissionQueue& sq, std::uint16_t tail, Packet& pkt) {
    descs_.clear();
    std::uint16_t idx = sq.head;
    while (idx != tail && pkt.units < sq.depth) {
        TxDesc d;
        std::memcpy(&d, sq.ring + std::size_t{ring_slot(idx, sq.depth)} * kTxDescSize, sizeof(d));
        const std::uint32_t phase = ring_phase(idx, sq.depth);
        ++idx;
        ++pkt.units;
        if (!keep_desc(pkt, d, phase))
            return true;
    }
    // No last descriptor before the doorbell: wait for the rest unless it can never be valid.
    return pkt.descs > core_.config.max_tx_descs_per_packet || pkt.units == sq.depth;
}

bool TxEngine::read_llq(const SubmissionQueue& sq, std::uint16_t tail, Packet& pkt) {
    descs_.clear();
    const LlqLayout layout = *core_.llq_layout;
    for (std::uint32_t index = 0;; ++index) {
        const LlqLayout::Position at = layout.descriptor_position(index);
        if (at.entry == pkt.units) {
            // The packet goes on in its next entry: it must be there, and inside the ring.
            if (static_cast<std::uint16_t>(sq.head + pkt.units) == tail || pkt.units == sq.depth)
                return pkt.descs > core_.config.max_tx_descs_per_packet || pkt.units == sq.depth;
            ++pkt.units;
        }
        const auto entry = static_cast<std::uint16_t>(sq.head + at.entry);
        const std::uint8_t* e = sq.ring + std::size_t{ring_slot(entry, sq.depth)} * layout.entry_size;
        if (index == 0)
            pkt.llq_entry = e;
        TxDesc d;
        std::memcpy(&d, e + at.offset, sizeof(d));
        if (!keep_desc(pkt, d, ring_phase(entry, sq.depth)))
            return true;
    }
}

void TxEngine::run_packet(SubmissionQueue& sq, const Packet& pkt) {
    // Find the first buffer descriptor: it carries the request id and completion request.
    const bool has_meta = !descs_.empty() && is_meta(descs_[0]);
    const std::uint32_t first_buffer = has_meta ? 1 : 0;
    const bool have_buffer = first_buffer < descs_.size() && !is_meta(descs_[first_buffer]);
    bool ok = !pkt.bad_phase && pkt.last_found && have_buffer && !descs_.empty() &&
              tx_desc::First::get(descs_[0].len_ctrl) && pkt.descs <= core_.config.max_tx_descs_per_packet;
    for (std::uint32_t i = first_buffer + 1; ok && i < descs_.size(); ++i)
        ok = !is_meta(descs_[i]);  // a meta descriptor only opens a packet

    if (ok)
        ok = transmit_packet(sq, pkt, first_buffer);
    else
        drop_malformed();

    // The device consumed the descriptors: complete the packet even when it was dropped.
    if (have_buffer && tx_desc::CompReq::get(descs_[first_buffer].len_ctrl)) {
        const TxDesc& d = descs_[first_buffer];
        complete(sq, static_cast<std::uint16_t>(tx_desc::ReqIdLow::get(d.meta_ctrl) |
                                                (tx_desc::ReqIdHigh::get(d.len_ctrl) << 10)));
    }
}

bool TxEngine::transmit_packet(SubmissionQueue& sq, const Packet& pkt, std::uint32_t first_buffer) {
    const TxDesc& lead = descs_[first_buffer];
    const bool has_meta = first_buffer == 1;

    // Offload context: this packet's meta descriptor, or the one the queue cached.
    TxOffloadContext ctx;
    if (has_meta) {
        ctx = meta_context(descs_[0]);
        const bool may_cache = !(sq.llq && core_.llq_meta_required());
        TxMetaDesc m;
        std::memcpy(&m, &descs_[0], sizeof(m));
        if (may_cache && tx_meta::MetaStore::get(m.len_ctrl))
            sq.cached_meta = ctx;
    } else if (sq.llq && core_.llq_meta_required()) {
        drop_malformed();  // accelerated LLQ: every packet must bring its meta descriptor
        return false;
    } else {
        ctx = sq.cached_meta;
    }

    // Gather: pushed header bytes (LLQ), then the buffers.
    const std::uint32_t header_len = tx_desc::HeaderLength::get(lead.buff_addr_high_hdr_len);
    std::size_t len = 0;
    if (sq.llq) {
        if (header_len > core_.llq_layout->header_room()) {
            drop_malformed();
            return false;
        }
        std::memcpy(frame_.data(), pkt.llq_entry + core_.llq_layout->header_offset(), header_len);
        len = header_len;
    } else if (header_len != 0) {
        drop_malformed();  // nothing is pushed in host placement
        return false;
    }
    for (std::uint32_t i = first_buffer; i < descs_.size(); ++i) {
        const TxDesc& d = descs_[i];
        const std::uint32_t blen = tx_desc::Length::get(d.len_ctrl);
        if (blen == 0)
            continue;  // e.g. LLQ packets pushed whole
        if (len + blen > frame_.size()) {
            drop_malformed();
            return false;
        }
        const std::uint64_t addr = d.buff_addr_low | (std::uint64_t{tx_desc::AddrHigh::get(d.buff_addr_high_hdr_len)} << 32);
        const std::uint8_t* src = buffers_.map(core_.memory, addr, blen);
        if (src == nullptr) {
            ++core_.stats.dma_errors;
            ++core_.stats.tx_drops;
            return false;
        }
        std::memcpy(frame_.data() + len, src, blen);
        len += blen;
    }
    if (len == 0) {
        drop_malformed();
        return false;
    }

    std::span<std::uint8_t> frame(frame_.data(), len);
    const PacketInfo info = parse_packet(frame);

    // EC2 drops a packet whose headers do not fit in what the driver pushed into the entry.
    if (sq.llq && info.header_length() > header_len) {
        ++core_.stats.llq_header_overflow_drops;
        ++core_.stats.tx_drops;
        if (core_.llq_layout->entry_size == 128)
            aenq_.post_conf_notification(ConfNotification::kLlqHeaderTooLarge);
        return false;
    }

    TxOffloadRequest req;
    req.l3_checksum = tx_desc::L3CsumEnable::get(lead.meta_ctrl);
    req.l4_checksum = tx_desc::L4CsumEnable::get(lead.meta_ctrl);
    req.l4_partial = tx_desc::L4CsumPartial::get(lead.meta_ctrl);
    req.tso = tx_desc::TsoEnable::get(lead.meta_ctrl);
    req.mss = ctx.valid ? ctx.mss : 0;
    const bool offloads = req.l3_checksum || req.l4_checksum || req.tso;
    if (offloads) {
        // The descriptor's protocol fields and the context must describe this frame.
        const auto l3 = static_cast<L3Proto>(tx_desc::L3ProtoIdx::get(lead.meta_ctrl));
        const auto l4 = static_cast<L4Proto>(tx_desc::L4ProtoIdx::get(lead.meta_ctrl));
        const bool l3_ok = (l3 == L3Proto::kIpv4 && info.l3 == L3Kind::kIpv4) ||
                           (l3 == L3Proto::kIpv6 && info.l3 == L3Kind::kIpv6);
        const bool l4_ok = !(req.l4_checksum || req.tso) || (l4 == L4Proto::kTcp && info.is_tcp()) ||
                           (l4 == L4Proto::kUdp && info.is_udp() && !req.tso);
        if (!l3_ok || !l4_ok || (ctx.valid && !context_matches(ctx, info))) {
            drop_malformed();
            return false;
        }
    }

    // Each frame that leaves (every TSO segment) goes through the Nitro stage in send(), with
    // its own parse (ENA Express and the receiver need the segment's lengths).
    if (req.tso) {
        TsoSegmenter segmenter(segment_);
        const bool segmented = segmenter.run(frame, info, req.mss, [&](std::span<const std::uint8_t> seg) {
            send(seg, parse_packet(seg));  // its own lengths, for ENA Express and the receiver
        });
        if (!segmented) {
            drop_malformed();
            return false;
        }
        return true;
    }
    if (!apply_checksums(frame.data(), info, req)) {
        drop_malformed();
        return false;
    }
    send(frame, info);
    return true;
}

namespace {

// The sender's side of an ENA Express decision, asked by the wire once it knows the receiver.
class SrdChoice final : public SrdOffer {
public:
    SrdChoice(Nitro& nitro, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint64_t now)
        : nitro_(nitro), frame_(frame), info_(info), now_(now) {}
    bool use_srd(SrdMode receiver) override { return nitro_.srd_decide(receiver, frame_, info_, now_); }

private:
    Nitro& nitro_;
    std::span<const std::uint8_t> frame_;
    const PacketInfo& info_;
    std::uint64_t now_;
};

}  // namespace

[[gnu::always_inline]] inline void TxEngine::emit(std::span<const std::uint8_t> frame, const PacketInfo& info,
                                                  std::span<const std::uint8_t> tail) {
    ++core_.stats.tx_packets;
    core_.stats.tx_bytes += frame.size() + tail.size();
    if (!core_.wire)
        return;
    if (core_.nitro.srd_enabled()) {
        // ENA Express decides per frame once the wire knows the receiver: one at a time.
        flush();
        SrdChoice choice(core_.nitro, frame, info, now_);
        core_.wire->transmit_srd(core_.self, frame, choice);
        return;
    }
    // Gathered in place at the batch's end (run_simple_llq), or copied there.
    std::uint8_t* at = batch_bytes_.get() + batch_used_;
    if (frame.data() != at) {
        at = reserve(frame.size());
        if (at == nullptr)
            return;  // larger than a batch: cannot be (kMaxGather < kBatchBytes)
        std::memcpy(at, frame.data(), frame.size());
    }
    batch_[batch_count_] = std::span<const std::uint8_t>(at, frame.size());
    batch_info_[batch_count_] = info;
    batch_tail_[batch_count_] = tail;
    batch_split_ |= !tail.empty();
    ++batch_count_;
    batch_used_ = std::min(kBatchBytes, batch_used_ + ((frame.size() + 63) & ~std::size_t{63}));
}

void TxEngine::send(std::span<const std::uint8_t> frame, const PacketInfo& info, std::span<const std::uint8_t> tail) {
    if (frame.size() + tail.size() > core_.max_frame(info.vlan_count)) {
        ++core_.stats.tx_oversize_drops;
        ++core_.stats.tx_drops;
        return;
    }
    if (!core_.link_up.load(std::memory_order_relaxed)) {
        ++core_.stats.tx_drops;
        return;
    }
    Nitro& nitro = core_.nitro;
    // Frames whose time has come leave before this one (in threaded mode the engine may not
    // have drained them yet): the queue stays in order.
    if (!nitro.egress_queue().empty())
        drain_shaped();
    if (nitro.egress_applies(frame, info) &&
        nitro.egress(frame, info, core_.frag_bypass, now_) != Nitro::Verdict::kPass)
        return;  // waiting in the shaping queue, or dropped and counted (never a split frame)
    emit(frame, info, tail);
}

bool TxEngine::drain_shaped() {
    ShapingQueue& queue = core_.nitro.egress_queue();
    if (queue.empty())
        return false;
    // Within a pass (from send(); the batch goes at the pass's end), or on its own.
    const bool in_pass = in_pass_;
    if (!in_pass)
        now_ = core_.clock.now_ns();
    const std::uint64_t now = now_;
    bool did = false;
    ShapingQueue::Front front;
    while (queue.due(now, front)) {
        if (core_.link_up.load(std::memory_order_relaxed))
            emit(front.frame, parse_packet(front.frame));
        else
            ++core_.stats.tx_drops;
        queue.pop();
        did = true;
    }
    if (!in_pass)
        flush();
    return did;
}

void TxEngine::complete(SubmissionQueue& sq, std::uint16_t req_id) {
    if (pending_count_ == kPendingCompletions)
        flush();
    pending_[pending_count_++] = Pending{&sq, req_id, sq.head};
}

// The held completions, a run of one queue's at a time: its CQ looked up once and signalled once
// after the run (the interrupt, if armed, fires after the last entry, as it would after the
// first). The completion faults are looked at once per flush; one armed meanwhile takes effect
// at the next.
void TxEngine::write_completions() {
    FaultPlan& faults = core_.faults;
    const bool faulty = faults.pending(Fault::kMissingTxCompletion) != 0 || faults.pending(Fault::kBadTxReqId) != 0;
    // Composed in registers; the timestamp word first, then the entry's first 8 bytes (the
    // phase among them) in one store with release (as in RxEngine::write_completion).
    static_assert(std::endian::native == std::endian::little, "completion words are composed little-endian");
    static_assert(offsetof(TxCompletion, flags) == 3 && offsetof(TxCompletion, sq_head_index) == 6 &&
                  offsetof(TxCompletionExt, timestamp_low) == 8);
    std::size_t i = 0;
    while (i < pending_count_) {
        SubmissionQueue& sq = *pending_[i].sq;
        CompletionQueue& cq = core_.queues.cq(sq.cq);
        const bool ext = cq.entry_size == sizeof(TxCompletionExt);
        std::uint32_t produced = cq.produced;
        const std::uint32_t written = produced;
        for (; i < pending_count_ && pending_[i].sq == &sq; ++i) {
            std::uint16_t req_id = pending_[i].req_id;
            if (faulty) {
                if (faults.fire(Fault::kMissingTxCompletion))
                    continue;
                if (faults.fire(Fault::kBadTxReqId))
                    req_id = sq.depth;  // first id outside the ring
            }
            auto* words = reinterpret_cast<std::uint64_t*>(cq.ring + ring_slot(produced, cq.depth) * cq.entry_size);
            if (ext)
                words[1] = now_;
            const auto head = static_cast<std::uint16_t>(ring_slot(pending_[i].head, sq.depth));
            const std::uint64_t first =
                std::uint64_t{req_id} |
                std::uint64_t{tx_completion::Phase::make(static_cast<std::uint8_t>(ring_phase(produced, cq.depth)))}
                    << 24 |
                std::uint64_t{head} << 48;
            store_release(&words[0], first);
            ++produced;
        }
        cq.produced = produced;
        if (produced != written)
            core_.signal_cq(cq, core_.irq_process);
    }
}

}  // namespace ena::sim::detail
