// The LLQ Tx fast path: packets that take one entry of the common layout (128 or 256 bytes,
// two descriptor places ahead of the header), written whole with the store width of `Ops`
// (llq_entry_writer.hpp). tx_datapath.cpp instantiates it with 16-byte stores and
// tx_llq_avx2.cpp (built with -mavx2) with 32-byte stores; both hand every other packet to the
// general path in tx_datapath.cpp through the hooks declared below.
#pragma once

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>

#include "datapath/llq_entry_writer.hpp"
#include "datapath/queues.hpp"

namespace ena::ng::datapath {

// Defined in tx_datapath.cpp, for both translation units.
namespace tx_hooks {
void ring_doorbell(TxQueue& q);
// Frees up to `budget` completed packets; returns how many.
template <bool kMultiSeg>
std::uint32_t process_completions(TxQueue& q, std::uint32_t budget);
// Puts one packet on the ring the general way (several entries, offload context, headers
// gathered from segments, refused chains). False: no room, the packet stays with the caller.
template <bool kOffloads, bool kMultiSeg>
bool llq_general(TxQueue& q, rte_mbuf*& slot);
// tx_llq_avx2.cpp: llq_burst with 32-byte stores.
template <unsigned kEntrySize, bool kOffloads, bool kMultiSeg>
std::uint16_t llq_burst_avx2(TxQueue& q, rte_mbuf** pkts, std::uint16_t count);
}  // namespace tx_hooks

namespace {

inline constexpr std::uint64_t kTxChecksumFlags = RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG;

// Offload bits of the descriptor that carries the request id, from the mbuf's request.
inline std::uint32_t offload_bits(const rte_mbuf* m, bool l4_csum_partial) {
    const std::uint64_t flags = m->ol_flags;
    if ((flags & kTxChecksumFlags) == 0)
        return 0;
    using namespace hw::tx_desc;
    std::uint32_t bits = 0;
    if (flags & RTE_MBUF_F_TX_IPV4)
        bits |= L3ProtoIdx::make(static_cast<unsigned>(hw::L3Proto::kIpv4));
    else if (flags & RTE_MBUF_F_TX_IPV6)
        bits |= L3ProtoIdx::make(static_cast<unsigned>(hw::L3Proto::kIpv6)) | Df::make(1);
    if (flags & RTE_MBUF_F_TX_IP_CKSUM)
        bits |= L3CsumEnable::make(1);
    const std::uint32_t partial = L4CsumPartial::make(l4_csum_partial);
    if (flags & RTE_MBUF_F_TX_TCP_SEG) {
        bits |= TsoEnable::make(1) | L4ProtoIdx::make(static_cast<unsigned>(hw::L4Proto::kTcp)) |
                L4CsumEnable::make(1) | partial;
    } else if ((flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
        bits |= L4ProtoIdx::make(static_cast<unsigned>(hw::L4Proto::kTcp)) | L4CsumEnable::make(1) | partial;
    } else if ((flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
        bits |= L4ProtoIdx::make(static_cast<unsigned>(hw::L4Proto::kUdp)) | L4CsumEnable::make(1) | partial;
    }
    return bits;
}

// Meta descriptor: header offsets and MSS for the device's offload engine. With no offload
// requested it is all zero but for its flags (accelerated LLQ wants one with every packet).
// The context is read (from the mbuf's second cache line) only when an offload is requested.
inline hw::TxMetaDesc meta_descriptor(const rte_mbuf* m, bool with_context) {
    using namespace hw::tx_meta;
    hw::TxMetaDesc d{};
    d.len_ctrl = MetaDesc::make(1) | ExtValid::make(1) | EthMetaType::make(1) | MetaStore::make(1) | First::make(1);
    if (with_context && (m->ol_flags & kTxChecksumFlags) != 0) {
        const std::uint32_t mss = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) ? m->tso_segsz : 0;
        d.len_ctrl |= MssHigh::make(mss >> kMssLowBits);
        d.word2 = L3HeaderLength::make(m->l3_len) | L3HeaderOffset::make(m->l2_len) |
                  L4HeaderLengthWords::make(m->l4_len / 4) | MssLow::make(mss);
    }
    return d;
}

// Headers the application declared for this packet. Only meaningful, and only read, when it
// asks for an offload (DPDK defines l2_len and the others for offloads).
inline std::uint32_t declared_header_length(const rte_mbuf* m) {
    return static_cast<std::uint32_t>(m->l2_len + m->l3_len + m->l4_len + m->outer_l2_len + m->outer_l3_len);
}

// 16 bytes of a descriptor as two little-endian words.
[[gnu::always_inline]] inline __m128i descriptor_vector(std::uint64_t low, std::uint64_t high) {
    return _mm_set_epi64x(static_cast<long long>(high), static_cast<long long>(low));
}

// What the fast path needs from the queue, in locals for the burst.
struct LlqRing {
    std::uint8_t* base;
    TxRequest* requests;
    std::uint16_t tick;
    std::uint16_t mask;
    std::uint16_t depth;
    std::uint16_t budget;  // entries per doorbell; 0: no limit
    bool meta_always;
    bool l4_csum_partial;

    explicit LlqRing(const TxQueue& q)
        : base(q.io.llq_descriptors), requests(q.requests), tick(load_relaxed(q.watch_tick)), mask(q.mask), depth(q.config.depth),
          budget(q.config.max_entries_per_burst), meta_always(q.config.disable_meta_caching),
          l4_csum_partial(q.config.l4_csum_partial) {}
};

// The ring state a burst advances, kept in locals: every store into an LLQ entry may alias the
// queue's fields, which the compiler would otherwise reload after each one. store() hands it
// back before anything else uses the queue.
struct TxCursor {
    std::uint16_t tail;
    std::uint16_t free_ids;
    std::uint16_t free;
    std::uint16_t since_doorbell;
    std::uint64_t bytes = 0;

    explicit TxCursor(const TxQueue& q)
        : tail(q.sq_tail), free_ids(q.free_ids), free(q.free_units()), since_doorbell(q.entries_since_doorbell) {}
    void store(TxQueue& q, std::uint16_t packets) {
        store_relaxed(q.sq_tail, tail);  // free_units() elsewhere (xstats available_desc)
        q.free_ids = free_ids;
        q.entries_since_doorbell = since_doorbell;
        q.stats.packets += packets;
        q.stats.bytes += bytes;
        bytes = 0;
    }
};

// Meta descriptor without offload context, with the phase of the lap.
inline __m128i plain_meta(std::uint32_t phase) {
    hw::TxMetaDesc md = meta_descriptor(nullptr, false);
    md.len_ctrl |= hw::tx_meta::Phase::make(phase);
    return descriptor_vector(md.len_ctrl | (std::uint64_t{md.word1} << 32), md.word2 | (std::uint64_t{md.reserved} << 32));
}

// Writes up to `run` packets that take one entry each, from entry `entry` on, all in the lap of
// `phase`. Stops at the first packet that needs the general path. Returns how many it wrote.
// The layout is the common one: two descriptor places ahead of the header (kEntrySize - 32
// header bytes); kMeta: every packet brings a meta descriptor (accelerated LLQ). Not inlined:
// the loop gets the registers to itself (the burst's other state lives across it), with the
// phase of the lap a constant of it, and kShortRing: request ids below 1024 (a ring of at most
// 1024 entries), whose high bits are 0.
template <class Ops, unsigned kEntrySize, bool kOffloads, bool kMeta, std::uint32_t kPhase, bool kShortRing>
[[gnu::noinline]] unsigned llq_fast_run(const LlqRing& ring, rte_mbuf** pkts, unsigned run, std::uint8_t* entry,
                                        std::uint16_t& free_ids, std::uint64_t& bytes) {
    using namespace hw::tx_desc;
    constexpr unsigned kHeaderOffset = 2 * hw::kTxDescSize;
    constexpr unsigned kRoom = kEntrySize - kHeaderOffset;
    constexpr std::uint64_t ctrl = CompReq::make(1) | Last::make(1) | Phase::make(kPhase);
    const __m128i meta_plain = plain_meta(kPhase);
    const std::uint32_t sent = TxQueue::request_word(1, false, ring.tick);  // one entry, one mbuf
    // The table in a local: the stores into the entry may alias anything in memory.
    TxRequest* const requests = ring.requests;
    std::uint32_t top = free_ids;
    std::uint64_t sum = 0;
    rte_mbuf** p = pkts;
    rte_mbuf** const end = pkts + run;
    for (; p != end; ++p, entry += kEntrySize) {
        rte_mbuf* m = *p;
        // Everything read from the mbuf (its first cache line; the second only for an offload
        // request) before the first store into device memory.
        const std::uint32_t data_len = m->data_len;
        const std::uint32_t data_off = m->data_off;
        const std::uint32_t pushed = std::min<std::uint32_t>(data_len, kRoom);
        if (unlikely(m->nb_segs != 1 || data_off + kRoom > m->buf_len))
            break;  // a chain, or a buffer too short for whole-chunk reads
        bool meta = kMeta;
        std::uint64_t low = ctrl | First::make(!kMeta);
        std::uint32_t offloads = 0;
        if constexpr (kOffloads) {
            if (m->ol_flags & kTxChecksumFlags) {
                if (declared_header_length(m) > kRoom)
                    break;  // the general path counts a header overflow
                meta = true;
                low = ctrl;
                offloads = offload_bits(m, ring.l4_csum_partial);
            }
        }
        const std::uint8_t* src = static_cast<const std::uint8_t*>(m->buf_addr) + data_off;
        const rte_iova_t iova = m->buf_iova + data_off + pushed;
        sum += data_len;  // one segment: its pkt_len

        const std::uint16_t req_id = requests[--top].free_id;  // a unit free: an id free
        requests[req_id].mbuf = m;
        store_relaxed(requests[req_id].word, sent);

        const std::uint64_t id_bits = kShortRing ? std::uint64_t{req_id} << 54 : hw::tx_desc::request_id_bits(req_id);
        low |= (data_len - pushed) | id_bits | (std::uint64_t{offloads} << 32);  // length: 16 bits, as data_len
        // Not masked to 48 bits: an IOVA beyond them would set reserved bits the device rejects
        // rather than send from a truncated address.
        const std::uint64_t high = iova | (std::uint64_t{pushed} << 56);
        const __m128i desc = descriptor_vector(low, high);
        if (meta) {
            __m128i md = meta_plain;
            if constexpr (kOffloads) {
                if (m->ol_flags & kTxChecksumFlags) {
                    hw::TxMetaDesc d = meta_descriptor(m, true);
                    d.len_ctrl |= hw::tx_meta::Phase::make(kPhase);
                    md = descriptor_vector(d.len_ctrl | (std::uint64_t{d.word1} << 32),
                                           d.word2 | (std::uint64_t{d.reserved} << 32));
                }
            }
            Sse2Ops::store(entry, md);
            Sse2Ops::store(entry + hw::kTxDescSize, desc);
        } else {
            Sse2Ops::store(entry, desc);
            Sse2Ops::store(entry + hw::kTxDescSize, _mm_setzero_si128());
        }
        LlqEntryWriter<Ops>::header(entry + kHeaderOffset, src, kRoom, pushed);
    }
    free_ids = static_cast<std::uint16_t>(top);
    bytes += sum;
    return static_cast<unsigned>(p - pkts);
}

// Sends what it can of `pkts` (one doorbell at the end is the caller's). Packets that fit one
// entry -- one segment, their first bytes readable for whole stores, headers within the room --
// are written here; the others go through tx_hooks::llq_general.
template <class Ops, unsigned kEntrySize, bool kOffloads, bool kMultiSeg>
std::uint16_t llq_burst(TxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    const LlqRing ring(q);
    TxCursor c(q);
    std::uint16_t sent = 0;
    std::uint16_t accounted = 0;  // packets of `sent` already added to the queue's counters
    while (sent < count) {
        // A run of entries in one lap of the ring (one phase), within the free space and the
        // doorbell budget.
        unsigned run = std::min<unsigned>(count - sent, c.free);
        run = std::min<unsigned>(run, ring.depth - (c.tail & ring.mask));
        if (ring.budget != 0)
            run = std::min<unsigned>(run, ring.budget > c.since_doorbell ? ring.budget - c.since_doorbell : 0);
        if (unlikely(run == 0)) {
            c.store(q, static_cast<std::uint16_t>(sent - accounted));
            accounted = sent;
            if (ring.budget != 0 && c.since_doorbell >= ring.budget)
                tx_hooks::ring_doorbell(q);
            if (q.free_units() == 0 && tx_hooks::process_completions<kMultiSeg>(q, ring.depth) == 0)
                break;
            c = TxCursor(q);
            continue;
        }
        std::uint8_t* entry = ring.base + static_cast<std::size_t>(c.tail & ring.mask) * kEntrySize;
        using Run = unsigned (*)(const LlqRing&, rte_mbuf**, unsigned, std::uint8_t*, std::uint16_t&, std::uint64_t&);
        static constexpr Run kRuns[2][2][2] = {
            {{llq_fast_run<Ops, kEntrySize, kOffloads, false, 0, false>, llq_fast_run<Ops, kEntrySize, kOffloads, false, 0, true>},
             {llq_fast_run<Ops, kEntrySize, kOffloads, false, 1, false>, llq_fast_run<Ops, kEntrySize, kOffloads, false, 1, true>}},
            {{llq_fast_run<Ops, kEntrySize, kOffloads, true, 0, false>, llq_fast_run<Ops, kEntrySize, kOffloads, true, 0, true>},
             {llq_fast_run<Ops, kEntrySize, kOffloads, true, 1, false>, llq_fast_run<Ops, kEntrySize, kOffloads, true, 1, true>}}};
        static_assert(hw::tx_desc::ReqIdLow::kWidth == 10);
        const unsigned k = kRuns[ring.meta_always][hw::ring_phase(c.tail, ring.depth)][ring.depth <= 1024](
            ring, pkts + sent, run, entry, c.free_ids, c.bytes);
        c.tail = static_cast<std::uint16_t>(c.tail + k);
        c.free = static_cast<std::uint16_t>(c.free - k);
        c.since_doorbell = static_cast<std::uint16_t>(c.since_doorbell + k);
        sent = static_cast<std::uint16_t>(sent + k);
        if (k == run)
            continue;
        // This packet needs the general path.
        c.store(q, static_cast<std::uint16_t>(sent - accounted));
        if (!tx_hooks::llq_general<kOffloads, kMultiSeg>(q, pkts[sent]))
            break;
        ++sent;
        accounted = sent;  // the general path counts its own packets
        c = TxCursor(q);
    }
    c.store(q, static_cast<std::uint16_t>(sent - accounted));
    return sent;
}

}  // namespace
}  // namespace ena::ng::datapath
