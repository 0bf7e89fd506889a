// Tx datapath: packets to the device and completions back.
//
// LLQ placement writes each packet's descriptors and leading bytes straight into device memory
// (BAR2, write-combined on EC2) in fixed-size entries, each entry written whole
// (llq_entry_writer.hpp); host placement writes descriptors into a ring in host memory and the
// device fetches everything by DMA. One burst function per (placement, LLQ entry size, store
// width, offloads, multi-segment), chosen at dev_start, so the per-packet path has no branch on
// configuration. One doorbell per burst (plus those the accelerated-LLQ budget forces).
//
// Without RTE_ETH_TX_OFFLOAD_MULTI_SEGS a queue takes single-segment mbufs only, as DPDK
// defines that offload: a chain is refused (freed, counted as a Tx error, said once), so that
// completion processing never has to look at an mbuf to know what it frees.
#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_io.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_net.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "datapath/datapath.hpp"
#include "datapath/simd_support.hpp"
#include "datapath/tx_llq_fast.hpp"
#include "log.hpp"
#include "port.hpp"
#include "datapath/queues.hpp"

namespace ena::ng::datapath {

namespace {

constexpr std::uint64_t kChecksumFlags = kTxChecksumFlags;
constexpr std::uint64_t kOffloadCapaMask = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
                                           RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO;
// Tunnel and outer-header offloads, SCTP and UDP segmentation: nothing the device does.
constexpr std::uint64_t kUnsupportedFlags = RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IP_CKSUM |
                                            RTE_MBUF_F_TX_OUTER_UDP_CKSUM | RTE_MBUF_F_TX_UDP_SEG |
                                            RTE_MBUF_F_TX_SEC_OFFLOAD | RTE_MBUF_F_TX_MACSEC |
                                            RTE_MBUF_F_TX_QINQ | RTE_MBUF_F_TX_VLAN;
constexpr std::uint16_t kFreeBatch = 64;  // mbufs handed back to their pool per bulk call
constexpr unsigned kMaxDescsPerPacket = 32;  // upper bound of any device's scatter-gather limit

bool multi_seg_requested(std::uint64_t offloads) { return (offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0; }

}  // namespace

namespace tx_hooks {

void ring_doorbell(TxQueue& q) {
    // Descriptors, and with LLQ the write-combined entries, must reach the device before it
    // reads the new tail: a store fence, not just a compiler barrier.
    rte_wmb();
    rte_write32_relaxed(q.sq_tail, q.io.sq_doorbell);
    q.notify_doorbell();
    q.entries_since_doorbell = 0;
    ++q.stats.doorbells;
}

// --- completions ----------------------------------------------------------------------------

// Hands a batch of completed mbufs back. FAST_FREE promises one pool and refcnt 1: straight
// back to that pool, unread.
[[gnu::noinline]] void free_batch(rte_mbuf** batch, unsigned count, rte_mempool* fast_free_pool) {
    if (fast_free_pool != nullptr)
        rte_mempool_put_bulk(fast_free_pool, reinterpret_cast<void**>(batch), count);
    else
        rte_pktmbuf_free_bulk(batch, count);
}

// Where a chunk of `count` completed mbufs is collected: with FAST_FREE, straight in this
// lcore's cache of their pool when it has the room (no copy of the pointers: what
// rte_mempool_put_bulk does then, DPDK 22.11 having no zero-copy put), else `batch`.
struct FreeTarget {
    rte_mbuf** slots;
    rte_mempool_cache* cache;  // nullptr: slots is the batch
};
inline FreeTarget free_target(rte_mempool* pool, rte_mbuf** batch, unsigned count) {
    if (pool != nullptr) {
        rte_mempool_cache* cache = rte_mempool_default_cache(pool, rte_lcore_id());
        if (cache != nullptr && cache->len + count < cache->flushthresh)
            return {reinterpret_cast<rte_mbuf**>(cache->objs + cache->len), cache};
    }
    return {batch, nullptr};
}
inline void free_collected(const FreeTarget& t, unsigned count, rte_mempool* fast_free_pool) {
    if (count == 0)
        return;
    if (t.cache != nullptr) {
        t.cache->len += count;
        RTE_MEMPOOL_CACHE_STAT_ADD(t.cache, put_bulk, 1);
        RTE_MEMPOOL_CACHE_STAT_ADD(t.cache, put_objs, count);
    } else {
        free_batch(t.slots, count, fast_free_pool);
    }
}

// Frees up to `budget` completed packets; returns how many. Ring positions live in locals for
// the loop (the uint16_t stores into the request-id list could otherwise alias them), taken one
// lap of the ring (one phase) at a time. No mbuf is read: with FAST_FREE they go back unread,
// and a chain (multi-segment queues only) was marked in requests[] when it was sent.
template <bool kMultiSeg>
std::uint32_t process_completions(TxQueue& q, std::uint32_t budget) {
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    const auto* ring = q.cq_ring.as<hw::TxCompletion>();
    TxRequest* const requests = q.requests;
    const std::uint16_t mask = q.mask;
    const std::uint16_t depth = q.config.depth;
    // FAST_FREE: the pool every mbuf of the queue comes from (the burst notes it).
    rte_mempool* const fast_free_pool =
        (q.config.offloads & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0 ? q.fast_free_pool : nullptr;
    std::uint16_t head = q.cq_head;
    std::uint32_t free_ids = q.free_ids;
    rte_mbuf* batch[kFreeBatch];
    std::uint32_t done = 0;
    std::uint32_t released = 0;
    // The phase bit of a completion read as one little-endian word (the flags byte is byte 3).
    static_assert(sizeof(hw::TxCompletion) == 8 && offsetof(hw::TxCompletion, flags) == 3);
    constexpr unsigned kPhaseShift = 24 + hw::tx_completion::Phase::kShift;
    ++q.stats.polls;
    bool bad = false;
    while (done < budget && !bad) {
        // A chunk of completions within one lap of the ring (one phase), at most a batch.
        const std::uint32_t slot = head & mask;
        const std::uint32_t chunk = std::min({budget - done, depth - slot, std::uint32_t{kFreeBatch}});
        const std::uint64_t phase_bit = std::uint64_t{hw::ring_phase(head, depth)} << kPhaseShift;
        const auto* c = reinterpret_cast<const std::uint64_t*>(ring + slot);
        std::uint32_t i = 0;
        unsigned kept = 0;  // mbufs collected in `to` (all but chains freed on their own)
        const FreeTarget to = free_target(fast_free_pool, batch, chunk);
        TxRequest* push = requests + free_ids;  // the free-id stack's top
        for (; i < chunk; ++i, ++push) {
            // One 8-byte load takes the phase and the body together (an aligned 8-byte read is
            // atomic): nothing of the entry is read before its phase says the device wrote it.
            const std::uint64_t word = load_relaxed(c[i]);
            if ((word & (std::uint64_t{1} << kPhaseShift)) != phase_bit)
                break;
            const auto req_id = static_cast<std::uint16_t>(word);
            // Never trust the device: an id outside the ring or one with no packet in flight is
            // counted, and the queue stops using the device's answers until it is reset.
            TxRequest* r = requests + req_id;
            rte_mbuf* m = req_id < depth ? r->mbuf : nullptr;
            if (unlikely(m == nullptr)) {
                ++q.stats.bad_req_id;
                store_relaxed(q.halted, true);
                q.device->request_reset(hw::ResetReason::kInvalidTxReqId);
                bad = true;
                break;
            }
            r->mbuf = nullptr;
            const std::uint32_t request = r->word;
            store_relaxed(r->word, TxQueue::kIdle);
            released += TxQueue::request_units(request);
            push->free_id = req_id;
            if constexpr (kMultiSeg) {
                if (fast_free_pool != nullptr && TxQueue::request_chain(request)) {
                    rte_pktmbuf_free(m);  // FAST_FREE puts raw mbufs back: only single segments qualify
                    continue;
                }
                to.slots[kept++] = m;
            } else {
                to.slots[i] = m;  // no chains here
            }
        }
        if constexpr (!kMultiSeg)
            kept = i;
        free_collected(to, kept, fast_free_pool);
        free_ids += i;
        head = static_cast<std::uint16_t>(head + i);
        done += i;
        if (i < chunk)
            break;
    }
    store_relaxed(q.cq_head, head);  // the watchdog peeks past it
    q.free_ids = static_cast<std::uint16_t>(free_ids);
    store_relaxed(q.sq_released, static_cast<std::uint16_t>(q.sq_released + released));  // free_units() elsewhere
    return done;
}
template std::uint32_t process_completions<false>(TxQueue&, std::uint32_t);
template std::uint32_t process_completions<true>(TxQueue&, std::uint32_t);

}  // namespace tx_hooks

namespace {

using tx_hooks::process_completions;
using tx_hooks::ring_doorbell;

std::uint32_t process_completions_of(TxQueue& q, std::uint32_t budget) {
    return multi_seg_requested(q.config.offloads) ? process_completions<true>(q, budget)
                                                  : process_completions<false>(q, budget);
}

// --- descriptors ----------------------------------------------------------------------------

struct Piece {
    rte_iova_t iova;
    std::uint16_t length;
};

// The buffer pieces of `m` after its first `skip` bytes (pushed inline with LLQ). Returns the
// number of pieces, at least one (a zero-length piece when everything was pushed), or
// kMaxDescsPerPacket + 1 when there are more than `limit`.
unsigned collect_pieces(const rte_mbuf* m, std::uint32_t skip, Piece* pieces, unsigned limit) {
    unsigned n = 0;
    for (const rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        std::uint32_t len = seg->data_len;
        std::uint32_t offset = 0;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        offset = skip;
        skip = 0;
        if (n == limit)
            return kMaxDescsPerPacket + 1;
        pieces[n++] = {rte_mbuf_data_iova(seg) + offset, static_cast<std::uint16_t>(len - offset)};
    }
    if (n == 0)
        pieces[n++] = {rte_mbuf_data_iova(m), 0};
    return n;
}

// Copies the first `length` bytes of the packet (possibly spread over segments) to `dst`. The
// next segment (the mbuf's second cache line) is looked up only when more bytes are wanted.
void copy_leading_bytes(const rte_mbuf* m, std::uint8_t* dst, std::uint32_t length) {
    for (const rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        const std::uint32_t n = std::min<std::uint32_t>(seg->data_len, length);
        rte_memcpy(dst, rte_pktmbuf_mtod(seg, const void*), n);
        dst += n;
        length -= n;
        if (length == 0)
            break;
    }
}

// Copies a chain that has more segments than the device takes into a chain of full mbufs
// from the same pool. Returns nullptr when the pool is empty or it would still be too long.
rte_mbuf* linearize(rte_mbuf* m, unsigned max_segments) {
    const std::uint32_t room = rte_pktmbuf_data_room_size(m->pool) - RTE_PKTMBUF_HEADROOM;
    if (room == 0 || (m->pkt_len + room - 1) / room > max_segments)
        return nullptr;
    rte_mbuf* head = rte_pktmbuf_alloc(m->pool);
    if (head == nullptr)
        return nullptr;
    rte_mbuf* tail = head;
    std::uint32_t offset = 0;
    while (offset < m->pkt_len) {
        if (tail->data_len == room) {
            rte_mbuf* next = rte_pktmbuf_alloc(m->pool);
            if (next == nullptr || rte_pktmbuf_chain(head, next) != 0) {
                rte_pktmbuf_free(next);
                rte_pktmbuf_free(head);
                return nullptr;
            }
            tail = next;
        }
        const std::uint32_t n = std::min(room - tail->data_len, m->pkt_len - offset);
        rte_pktmbuf_read(m, offset, n, rte_pktmbuf_mtod_offset(tail, void*, tail->data_len));
        tail->data_len = static_cast<std::uint16_t>(tail->data_len + n);
        head->pkt_len += n;
        offset += n;
    }
    // The copy carries the original's offload request.
    head->ol_flags = m->ol_flags;
    head->tx_offload = m->tx_offload;
    return head;
}

enum class Verdict { kQueued, kNoRoom, kDropped };

// A packet whose declared headers exceed the LLQ header room: counted, and said once per queue,
// since the user can fix it (wide LLQ) and would otherwise only see a counter move.
[[gnu::cold]] void report_header_overflow(TxQueue& q, std::uint32_t header_length) {
    ++q.stats.header_overflow;
    ++q.stats.errors;
    if (q.header_overflow_reported)
        return;
    q.header_overflow_reported = true;
    log(g_log_tx, RTE_LOG_WARNING,
        "%s: Tx queue %u: a packet declares %u bytes of headers, more than the %u-byte LLQ header room; the device "
        "would drop it, so the driver does (tx_q%u_header_overflow). 256-byte entries (llq_policy=3) give 224 bytes",
        q.device->resources().name, q.config.index, header_length, q.config.max_header_size, q.config.index);
}

// A chain on a queue configured without RTE_ETH_TX_OFFLOAD_MULTI_SEGS: freed and counted as a
// Tx error, and said once per queue.
[[gnu::cold]] void refuse_chain(TxQueue& q, rte_mbuf* m) {
    ++q.stats.errors;
    if (!q.multi_seg_refusal_reported) {
        q.multi_seg_refusal_reported = true;
        log(g_log_tx, RTE_LOG_WARNING,
            "%s: Tx queue %u: a packet of %u segments, but the port was configured without "
            "RTE_ETH_TX_OFFLOAD_MULTI_SEGS: dropped (counted in oerrors); enable that offload to send chains",
            q.device->resources().name, q.config.index, m->nb_segs);
    }
    rte_pktmbuf_free(m);
}

// Writes a packet's descriptors (and with LLQ its leading bytes) at ring unit `start`.
template <TxPlacement kPlacement>
void write_descriptors(const TxQueue& q, std::uint16_t start, const hw::TxDesc* descs, unsigned count,
                       const rte_mbuf* m, std::uint32_t pushed) {
    if constexpr (kPlacement == TxPlacement::kHost) {
        auto* ring = static_cast<std::uint8_t*>(q.sq_ring.va());
        for (unsigned i = 0; i < count; ++i) {
            const auto unit = static_cast<std::uint16_t>(start + i);
            hw::TxDesc d = descs[i];
            d.len_ctrl |= hw::tx_desc::Phase::make(hw::ring_phase(unit, q.config.depth));
            std::memcpy(ring + static_cast<std::size_t>(unit & q.mask) * hw::kTxDescSize, &d, sizeof(d));  // one 16-byte store
        }
    } else {
        using Writer = LlqEntryWriter<Sse2Ops>;
        const hw::LlqLayout& layout = q.config.llq_layout;
        // The leading bytes straight from the first segment when whole stores may read them;
        // else gathered (from several segments) into a buffer with that room.
        alignas(16) std::uint8_t gathered[256];
        const std::uint8_t* header = rte_pktmbuf_mtod(m, const std::uint8_t*);
        if (m->data_len < pushed || std::uint32_t{m->data_off} + Writer::read_extent(pushed) > m->buf_len) {
            copy_leading_bytes(m, gathered, pushed);
            std::memset(gathered + pushed, 0, Writer::read_extent(pushed) - pushed);
            header = gathered;
        }
        hw::TxDesc phased[kMaxDescsPerPacket + 1];
        const unsigned entries = layout.entries_for(count);
        for (unsigned i = 0; i < count; ++i) {
            phased[i] = descs[i];
            const auto unit = static_cast<std::uint16_t>(start + layout.descriptor_position(i).entry);
            phased[i].len_ctrl |= hw::tx_desc::Phase::make(hw::ring_phase(unit, q.config.depth));
        }
        unsigned next = 0;
        for (unsigned e = 0; e < entries; ++e) {
            std::uint8_t* entry = q.io.llq_descriptors + static_cast<std::size_t>((start + e) & q.mask) * layout.entry_size;
            const unsigned room = e == 0 ? layout.descs_before_header : layout.descs_per_continuation_entry();
            const unsigned n = std::min(room, count - next);
            if (e == 0)
                Writer::first_entry(entry, layout, phased, n, header, pushed);
            else
                Writer::continuation_entry(entry, layout, phased + next, n);
            next += n;
        }
    }
}

// Puts one packet on the ring. kNoRoom leaves it with the caller (in `slot`: a linearized copy
// replaces the original there); kDropped has freed it.
template <TxPlacement kPlacement, bool kOffloads, bool kMultiSeg>
Verdict queue_packet(TxQueue& q, rte_mbuf*& slot) {
    rte_mbuf* m = slot;
    constexpr bool kLlq = kPlacement == TxPlacement::kLlq;
    const TxQueueConfig& cfg = q.config;
    if constexpr (!kMultiSeg) {
        if (unlikely(m->nb_segs != 1)) {
            refuse_chain(q, m);
            return Verdict::kDropped;
        }
    }
    const bool asks_offload = kOffloads && (m->ol_flags & kChecksumFlags) != 0;

    std::uint32_t pushed = 0;
    if constexpr (kLlq) {
        // The device parses headers only from the pushed bytes: a packet whose declared headers
        // exceed the entry's room would be dropped there without a trace, so count it here.
        if (asks_offload && unlikely(declared_header_length(m) > cfg.max_header_size)) {
            report_header_overflow(q, declared_header_length(m));
            rte_pktmbuf_free(m);
            return Verdict::kDropped;
        }
        pushed = std::min<std::uint32_t>(m->pkt_len, cfg.max_header_size);
    }
    const bool meta = (kLlq && cfg.disable_meta_caching) || asks_offload;
    const unsigned max_pieces = cfg.max_sgl - (meta ? 1u : 0u);

    Piece pieces[kMaxDescsPerPacket];
    unsigned piece_count;
    if (likely(m->nb_segs == 1)) {
        pieces[0] = {rte_mbuf_data_iova(m) + pushed, static_cast<std::uint16_t>(m->data_len - pushed)};
        piece_count = 1;
    } else {
        piece_count = collect_pieces(m, pushed, pieces, std::min(max_pieces, kMaxDescsPerPacket));
        if (unlikely(piece_count > kMaxDescsPerPacket)) {
            rte_mbuf* copy = linearize(m, max_pieces);
            if (copy == nullptr) {
                ++q.stats.linearize_failed;
                ++q.stats.errors;
                rte_pktmbuf_free(m);
                return Verdict::kDropped;
            }
            ++q.stats.linearize;
            rte_pktmbuf_free(m);
            m = copy;
            slot = copy;
            piece_count = collect_pieces(m, pushed, pieces, max_pieces);
        }
    }

    const unsigned descs = piece_count + (meta ? 1u : 0u);
    const std::uint16_t units =
        kLlq ? static_cast<std::uint16_t>(cfg.llq_layout.entries_for(descs)) : static_cast<std::uint16_t>(descs);
    if (unlikely(units > q.free_units()))
        return Verdict::kNoRoom;
    if constexpr (kLlq) {
        if (cfg.max_entries_per_burst != 0 && q.entries_since_doorbell + units > cfg.max_entries_per_burst &&
            q.entries_since_doorbell != 0)
            ring_doorbell(q);
    }

    const std::uint16_t req_id = q.requests[--q.free_ids].free_id;
    q.requests[req_id].mbuf = m;
    store_relaxed(q.requests[req_id].word, TxQueue::request_word(units, m->nb_segs > 1, load_relaxed(q.watch_tick)));

    hw::TxDesc d[kMaxDescsPerPacket + 1];
    unsigned index = 0;
    if (meta) {
        const hw::TxMetaDesc md = meta_descriptor(m, asks_offload);
        d[index++] = {md.len_ctrl, md.word1, md.word2, md.reserved};
    }
    using namespace hw::tx_desc;
    const std::uint32_t offloads = kOffloads ? offload_bits(m, q.config.l4_csum_partial) : 0;
    for (unsigned i = 0; i < piece_count; ++i) {
        std::uint32_t len_ctrl = Length::make(pieces[i].length);
        std::uint32_t word1 = 0;
        std::uint32_t word3 = AddrHigh::make(pieces[i].iova >> 32);
        if (i == 0) {
            // The first buffer descriptor names the packet: request id, completion request,
            // offloads and the bytes pushed inline.
            len_ctrl |= ReqIdHigh::make(req_id >> 10) | CompReq::make(1) | First::make(!meta);
            word1 = ReqIdLow::make(req_id) | offloads;
            word3 |= HeaderLength::make(pushed);
        }
        if (i == piece_count - 1)
            len_ctrl |= Last::make(1);
        d[index++] = {len_ctrl, word1, static_cast<std::uint32_t>(pieces[i].iova), word3};
    }
    const std::uint16_t start = q.sq_tail;
    write_descriptors<kPlacement>(q, start, d, index, m, pushed);

    store_relaxed(q.sq_tail, static_cast<std::uint16_t>(start + units));  // free_units() elsewhere
    q.entries_since_doorbell = static_cast<std::uint16_t>(q.entries_since_doorbell + units);
    ++q.stats.packets;
    q.stats.bytes += m->pkt_len;
    return Verdict::kQueued;
}

// Takes the packet through queue_packet, making room once from posted completions when the
// ring is full. Returns false when the packet must stay with the application.
template <TxPlacement kPlacement, bool kOffloads, bool kMultiSeg>
bool queue_or_make_room(TxQueue& q, rte_mbuf*& slot) {
    if (queue_packet<kPlacement, kOffloads, kMultiSeg>(q, slot) != Verdict::kNoRoom)
        return true;
    return process_completions<kMultiSeg>(q, q.config.depth) != 0 &&
           queue_packet<kPlacement, kOffloads, kMultiSeg>(q, slot) != Verdict::kNoRoom;
}

}  // namespace

namespace tx_hooks {

template <bool kOffloads, bool kMultiSeg>
bool llq_general(TxQueue& q, rte_mbuf*& slot) {
    return queue_or_make_room<TxPlacement::kLlq, kOffloads, kMultiSeg>(q, slot);
}
template bool llq_general<false, false>(TxQueue&, rte_mbuf*&);
template bool llq_general<false, true>(TxQueue&, rte_mbuf*&);
template bool llq_general<true, false>(TxQueue&, rte_mbuf*&);
template bool llq_general<true, true>(TxQueue&, rte_mbuf*&);

}  // namespace tx_hooks

namespace {

// LLQ packets: the fast path for the common layouts (kEntrySize 128 or 256), with 16- or
// 32-byte stores; every packet through the general path for any other layout (0).
template <unsigned kStoreWidth, unsigned kEntrySize, bool kOffloads, bool kMultiSeg>
std::uint16_t llq_fill(TxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    if constexpr (kEntrySize == 0) {
        std::uint16_t sent = 0;
        while (sent < count && tx_hooks::llq_general<kOffloads, kMultiSeg>(q, pkts[sent]))
            ++sent;
        return sent;
    } else if constexpr (kStoreWidth == 32) {
        return tx_hooks::llq_burst_avx2<kEntrySize, kOffloads, kMultiSeg>(q, pkts, count);
    } else {
        return llq_burst<Sse2Ops, kEntrySize, kOffloads, kMultiSeg>(q, pkts, count);
    }
}

template <TxPlacement kPlacement, unsigned kStoreWidth, unsigned kEntrySize, bool kOffloads, bool kMultiSeg>
std::uint16_t tx_burst(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    TxQueue& q = *static_cast<TxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    if (count != 0)
        q.fast_free_pool = pkts[0]->pool;  // with FAST_FREE, every mbuf's (completions free them unread)
    if (q.free_units() < q.config.free_threshold)
        process_completions<kMultiSeg>(q, q.config.depth);

    std::uint16_t sent = 0;
    if constexpr (kPlacement == TxPlacement::kLlq) {
        sent = llq_fill<kStoreWidth, kEntrySize, kOffloads, kMultiSeg>(q, pkts, count);
    } else {
        while (sent < count && queue_or_make_room<kPlacement, kOffloads, kMultiSeg>(q, pkts[sent]))
            ++sent;
    }
    if (q.entries_since_doorbell != 0)
        ring_doorbell(q);
    return sent;
}

// Checks what the device would drop or mis-handle; prepares the pseudo-header checksums the
// device finishes. Stops at the first bad packet with rte_errno set.
std::uint16_t tx_prepare(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    TxQueue& q = *static_cast<TxQueue*>(queue);
    const TxQueueConfig& cfg = q.config;
    for (std::uint16_t i = 0; i < count; ++i) {
        rte_mbuf* m = pkts[i];
        const std::uint64_t flags = m->ol_flags;
        int error = 0;
        const bool meta = cfg.disable_meta_caching || (flags & kChecksumFlags) != 0;
        if (m->nb_segs > cfg.max_sgl - (meta ? 1 : 0))
            error = EINVAL;  // too many segments for one packet
        else if (m->nb_segs > 1 && !multi_seg_requested(cfg.offloads))
            error = EINVAL;  // chains need RTE_ETH_TX_OFFLOAD_MULTI_SEGS
        else if (cfg.placement == TxPlacement::kLlq && declared_header_length(m) > cfg.max_header_size)
            error = EMSGSIZE;  // the device would drop it: headers beyond the LLQ header room
        else if ((flags & kUnsupportedFlags) != 0 ||
                 ((flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_SCTP_CKSUM) ||
                 ((flags & RTE_MBUF_F_TX_TCP_SEG) && (flags & RTE_MBUF_F_TX_IPV6) && !cfg.tso_ipv6) ||
                 ((flags & kChecksumFlags) != 0 && (cfg.offloads & kOffloadCapaMask) == 0))
            error = ENOTSUP;
        else if ((flags & RTE_MBUF_F_TX_TCP_SEG) &&
                 (m->tso_segsz == 0 || m->l4_len < 20 || m->l2_len == 0 || m->l3_len == 0))
            error = EINVAL;  // TSO needs the header lengths and an MSS
        else if (int rc = rte_validate_tx_offload(m); rc != 0)
            error = -rc;
        else if ((flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)) != 0 && cfg.l4_csum_partial) {
            // The device completes a checksum field that holds the pseudo-header sum. The headers
            // must sit in the first segment for that (ENOTSUP otherwise).
            if (int rc = rte_net_intel_cksum_flags_prepare(m, flags & ~RTE_MBUF_F_TX_IP_CKSUM); rc != 0)
                error = -rc;
        }
        if (error != 0) {
            ++q.stats.prepare_ctx_errors;
            rte_errno = error;
            return i;
        }
    }
    return count;
}

// What a queue's configuration asks of its burst function.
struct TxVariant {
    TxPlacement placement;
    unsigned store_width;  // LLQ entry stores: 16 or 32 bytes
    unsigned entry_size;   // LLQ entries of the fast path's layout (128, 256), else 0
    bool offloads;
    bool multi_seg;

    explicit TxVariant(const TxQueueConfig& c)
        : placement(c.placement), store_width(c.llq_store_width), entry_size(fast_entry_size(c.llq_layout)),
          offloads((c.offloads & kOffloadCapaMask) != 0), multi_seg(multi_seg_requested(c.offloads)) {}

    static unsigned fast_entry_size(const hw::LlqLayout& layout) {
        const bool common = layout.descs_before_header == 2 && (layout.entry_size == 128 || layout.entry_size == 256);
        return common ? layout.entry_size : 0;
    }
};

template <TxPlacement kPlacement, unsigned kStoreWidth, unsigned kEntrySize, bool kOffloads>
eth_tx_burst_t pick_segments(bool multi_seg) {
    return multi_seg ? tx_burst<kPlacement, kStoreWidth, kEntrySize, kOffloads, true>
                     : tx_burst<kPlacement, kStoreWidth, kEntrySize, kOffloads, false>;
}

template <TxPlacement kPlacement, unsigned kStoreWidth, unsigned kEntrySize>
eth_tx_burst_t pick_offloads(const TxVariant& v) {
    return v.offloads ? pick_segments<kPlacement, kStoreWidth, kEntrySize, true>(v.multi_seg)
                      : pick_segments<kPlacement, kStoreWidth, kEntrySize, false>(v.multi_seg);
}

template <unsigned kStoreWidth>
eth_tx_burst_t pick_entry(const TxVariant& v) {
    if (v.entry_size == 128)
        return pick_offloads<TxPlacement::kLlq, kStoreWidth, 128>(v);
    if (v.entry_size == 256)
        return pick_offloads<TxPlacement::kLlq, kStoreWidth, 256>(v);
    return pick_offloads<TxPlacement::kLlq, 16, 0>(v);
}

eth_tx_burst_t pick(const TxVariant& v) {
    if (v.placement == TxPlacement::kHost)
        return pick_offloads<TxPlacement::kHost, 16, 0>(v);
    return v.store_width == 32 ? pick_entry<32>(v) : pick_entry<16>(v);
}

}  // namespace

unsigned tx_store_width() {
    // 32-byte stores where the CPU has AVX2 and EAL allows 256-bit vectors; the x86-64
    // baseline's 16-byte stores otherwise (also below 128 bits: no narrower whole-line store).
    return simd_level() == SimdLevel::kAvx2 ? 32 : 16;
}

eth_tx_burst_t select_tx_burst(const Port& port) {
    // One function for the port: what any of its queues needs (an offload, chains) and what
    // all of them may use (the store width).
    const rte_eth_dev_data* data = port.data();
    TxQueueConfig wanted;
    wanted.placement = port.device().features().llq.placement;
    wanted.llq_layout = port.device().features().llq.layout;
    wanted.offloads = data->dev_conf.txmode.offloads;
    wanted.llq_store_width = 32;
    for (std::uint16_t i = 0; i < data->nb_tx_queues; ++i)
        if (const TxQueue* q = port.tx_queue(i)) {
            wanted.offloads |= q->config.offloads;
            wanted.llq_store_width = std::min(wanted.llq_store_width, q->config.llq_store_width);
        }
    return pick(TxVariant(wanted));
}

eth_tx_prep_t select_tx_prepare(const Port&) { return tx_prepare; }

namespace {

std::uint16_t tx_burst_by_queue_config(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    return pick(TxVariant(static_cast<const TxQueue*>(queue)->config))(queue, pkts, count);
}

std::uint16_t tx_burst_unreachable(void*, rte_mbuf**, std::uint16_t) { return 0; }

}  // namespace

eth_tx_burst_t secondary_tx_burst(bool device_reachable) {
    return device_reachable ? tx_burst_by_queue_config : tx_burst_unreachable;
}

int tx_done_cleanup(void* queue, std::uint32_t free_count) {
    TxQueue& q = *static_cast<TxQueue*>(queue);
    if (!q.started())
        return 0;
    return static_cast<int>(process_completions_of(q, free_count == 0 ? q.config.depth : free_count));
}

int tx_descriptor_status(void* queue, std::uint16_t offset) {
    const TxQueue& q = *static_cast<const TxQueue*>(queue);
    if (offset >= q.config.depth)
        return -EINVAL;
    // Ring units free now, then those the completions the device posted (not yet processed)
    // give back, in order: the unit `offset` past the tail is done once that many are.
    std::uint32_t done = q.free_units();
    const auto* ring = q.cq_ring.as<const hw::TxCompletion>();
    for (std::uint16_t head = q.cq_head; done <= offset && !load_relaxed(q.halted); ++head) {
        const volatile hw::TxCompletion& c = ring[head & q.mask];
        if (hw::tx_completion::Phase::get(c.flags) != hw::ring_phase(head, q.config.depth))
            break;
        rte_io_rmb();
        const std::uint16_t req_id = c.req_id;
        if (req_id >= q.config.depth || q.requests[req_id].mbuf == nullptr)
            break;  // the burst path will see it and stop the queue
        done += TxQueue::request_units(q.requests[req_id].word);
    }
    return done > offset ? RTE_ETH_TX_DESC_DONE : RTE_ETH_TX_DESC_FULL;
}

void describe_tx_path(const TxQueue& queue, char* text, std::size_t size) {
    const TxQueueConfig& cfg = queue.config;
    const char* offloads = (cfg.offloads & kOffloadCapaMask) != 0 ? ", offloads" : "";
    const char* segments = multi_seg_requested(cfg.offloads) ? ", multi-segment" : ", single-segment";
    if (cfg.placement == TxPlacement::kLlq)
        std::snprintf(text, size, "LLQ %uB (%uB header)%s%s%s, %u-byte stores", cfg.llq_layout.entry_size,
                      cfg.llq_layout.header_room(), cfg.disable_meta_caching ? ", accelerated" : "", offloads, segments,
                      cfg.llq_store_width);
    else
        std::snprintf(text, size, "host memory%s%s", offloads, segments);
}

}  // namespace ena::ng::datapath
