// Tx datapath: packets to the device and completions back.
//
// LLQ placement writes each packet's descriptors and leading bytes straight into device memory
// (BAR2, write-combined on EC2) in fixed-size entries; host placement writes descriptors into a
// ring in host memory and the device fetches everything by DMA. One burst function per
// (placement, offloads) pair, chosen at dev_start, so the per-packet path has no branch on
// configuration. One doorbell per burst (plus those the accelerated-LLQ budget forces).
#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_io.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_net.h>
#include <rte_vect.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "datapath/datapath.hpp"
#include "log.hpp"
#include "port.hpp"
#include "datapath/queues.hpp"

namespace ena::ng::datapath {

namespace {

constexpr std::uint64_t kChecksumFlags = RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG;
constexpr std::uint64_t kOffloadCapaMask = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
                                           RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO;
// Tunnel and outer-header offloads, SCTP and UDP segmentation: nothing the device does.
constexpr std::uint64_t kUnsupportedFlags = RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IP_CKSUM |
                                            RTE_MBUF_F_TX_OUTER_UDP_CKSUM | RTE_MBUF_F_TX_UDP_SEG |
                                            RTE_MBUF_F_TX_SEC_OFFLOAD | RTE_MBUF_F_TX_MACSEC |
                                            RTE_MBUF_F_TX_QINQ | RTE_MBUF_F_TX_VLAN;
constexpr std::uint16_t kFreeBatch = 64;  // mbufs handed back to their pool per bulk call
constexpr unsigned kMaxDescsPerPacket = 32;  // upper bound of any device's scatter-gather limit

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

// FAST_FREE promises one pool and refcnt 1, so the mbufs go straight back; otherwise
// rte_pktmbuf_free_bulk checks each one and still returns them to their pools in bulk.
inline void free_batch(rte_mbuf** batch, unsigned count, bool fast_free) {
    if (count == 0)
        return;
    if (fast_free)
        rte_mempool_put_bulk(batch[0]->pool, reinterpret_cast<void**>(batch), count);
    else
        rte_pktmbuf_free_bulk(batch, count);
}

// Frees up to `budget` completed packets; returns how many. Ring positions live in locals for
// the loop (the uint16_t stores into the request-id list could otherwise alias them).
std::uint32_t process_completions(TxQueue& q, std::uint32_t budget) {
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    const auto* ring = q.cq_ring.as<hw::TxCompletion>();
    rte_mbuf** const mbufs = q.mbufs;
    const std::uint16_t* const units = q.units;
    std::uint16_t* const sent_tick = q.sent_tick;
    std::uint16_t* const free_req_ids = q.free_req_ids;
    const std::uint16_t mask = q.mask;
    const std::uint16_t depth = q.config.depth;
    const bool fast_free = (q.config.offloads & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) != 0;
    std::uint16_t head = q.cq_head;
    std::uint16_t next_to_clean = q.next_to_clean;
    rte_mbuf* batch[kFreeBatch];
    unsigned batched = 0;
    std::uint32_t done = 0;
    std::uint16_t released = 0;
    ++q.stats.polls;
    while (done < budget) {
        const volatile hw::TxCompletion& c = ring[head & mask];
        if (hw::tx_completion::Phase::get(c.flags) != hw::ring_phase(head, depth))
            break;
        // The phase says the device finished this entry; read its body only after that.
        rte_io_rmb();
        const std::uint16_t req_id = c.req_id;
        // Never trust the device: an id outside the ring or one with no packet in flight is
        // counted, and the queue stops using the device's answers until it is reset.
        if (unlikely(req_id >= depth || mbufs[req_id] == nullptr)) {
            ++q.stats.bad_req_id;
            store_relaxed(q.halted, true);
            q.device->request_reset(hw::ResetReason::kInvalidTxReqId);
            break;
        }
        rte_mbuf* m = mbufs[req_id];
        mbufs[req_id] = nullptr;
        store_relaxed(sent_tick[req_id], TxQueue::kNotInFlight);
        released = static_cast<std::uint16_t>(released + units[req_id]);
        free_req_ids[next_to_clean & mask] = req_id;
        ++next_to_clean;
        ++head;
        ++done;
        if (fast_free && m->nb_segs != 1) {
            rte_pktmbuf_free(m);  // FAST_FREE puts raw mbufs back: only single segments qualify
            continue;
        }
        batch[batched++] = m;
        if (batched == kFreeBatch) {
            free_batch(batch, batched, fast_free);
            batched = 0;
        }
    }
    store_relaxed(q.cq_head, head);  // the watchdog peeks past it
    q.next_to_clean = next_to_clean;
    store_relaxed(q.sq_released, static_cast<std::uint16_t>(q.sq_released + released));  // free_units() elsewhere
    free_batch(batch, batched, fast_free);
    return done;
}

// --- descriptors ----------------------------------------------------------------------------

// Offload bits of the descriptor that carries the request id, from the mbuf's request.
std::uint32_t offload_bits(const rte_mbuf* m, bool l4_csum_partial) {
    const std::uint64_t flags = m->ol_flags;
    if ((flags & kChecksumFlags) == 0)
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
inline hw::TxMetaDesc meta_descriptor(const rte_mbuf* m, bool with_context) {
    using namespace hw::tx_meta;
    hw::TxMetaDesc d{};
    d.len_ctrl = MetaDesc::make(1) | ExtValid::make(1) | EthMetaType::make(1) | MetaStore::make(1) | First::make(1);
    if (with_context && (m->ol_flags & kChecksumFlags) != 0) {
        const std::uint32_t mss = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) ? m->tso_segsz : 0;
        d.len_ctrl |= MssHigh::make(mss >> kMssLowBits);
        d.word2 = L3HeaderLength::make(m->l3_len) | L3HeaderOffset::make(m->l2_len) |
                  L4HeaderLengthWords::make(m->l4_len / 4) | MssLow::make(mss);
    }
    return d;
}

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

// Copies the first `length` bytes of the packet (possibly spread over segments) to `dst`.
void copy_leading_bytes(const rte_mbuf* m, std::uint8_t* dst, std::uint32_t length) {
    if (likely(m->data_len >= length)) {
        rte_memcpy(dst, rte_pktmbuf_mtod(m, const void*), length);
        return;
    }
    for (const rte_mbuf* seg = m; seg != nullptr && length != 0; seg = seg->next) {
        const std::uint32_t n = std::min<std::uint32_t>(seg->data_len, length);
        rte_memcpy(dst, rte_pktmbuf_mtod(seg, const void*), n);
        dst += n;
        length -= n;
    }
}

// Headers the application declared for this packet (0 when it declared none).
std::uint32_t declared_header_length(const rte_mbuf* m) {
    return static_cast<std::uint32_t>(m->l2_len + m->l3_len + m->l4_len + m->outer_l2_len + m->outer_l3_len);
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

// Where descriptor number `index` of a packet that starts at ring unit `start` goes, and with
// which phase bit.
struct Slot {
    std::uint8_t* address;
    std::uint32_t phase;
};

template <TxPlacement kPlacement>
Slot descriptor_slot(const TxQueue& q, std::uint16_t start, unsigned index) {
    // Host placement: one descriptor per ring unit. LLQ: the layout says which entry and where.
    hw::LlqLayout::Position at{index, 0};
    if constexpr (kPlacement == TxPlacement::kLlq)
        at = q.config.llq_layout.descriptor_position(index);
    const auto unit = static_cast<std::uint16_t>(start + at.entry);
    const std::size_t slot = unit & q.mask;
    std::uint8_t* base;
    if constexpr (kPlacement == TxPlacement::kLlq)
        base = q.io.llq_descriptors + slot * q.config.llq_layout.entry_size;
    else
        base = static_cast<std::uint8_t*>(q.sq_ring.va()) + slot * hw::kTxDescSize;
    return {base + at.offset, hw::ring_phase(unit, q.config.depth)};
}

inline void write_descriptor(const Slot& slot, std::uint32_t len_ctrl, std::uint32_t word1, std::uint32_t word2,
                             std::uint32_t word3) {
    const hw::TxDesc d{len_ctrl | hw::tx_desc::Phase::make(slot.phase), word1, word2, word3};
    std::memcpy(slot.address, &d, sizeof(d));  // one 16-byte store to device or ring memory
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

// Copies the first `length` bytes of a one-segment packet into an LLQ entry in 16-byte chunks.
// The last chunk may copy up to 15 bytes past the header: the device reads only header_length
// bytes, the entry has room (the header room is a multiple of 16), and the mbuf is checked to
// have them.
inline void push_header(const rte_mbuf* m, std::uint8_t* dst, std::uint32_t length) {
    const auto* src = rte_pktmbuf_mtod(m, const std::uint8_t*);
    const std::uint32_t rounded = (length + 15) & ~15u;
    if (unlikely(std::uint32_t{m->data_off} + rounded > m->buf_len)) {
        std::memcpy(dst, src, length);
        return;
    }
    auto copy16 = [&](std::uint32_t offset) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + offset),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + offset)));
    };
    // Minimum-size frames are the common case worth straight-line code.
    std::uint32_t offset = 0;
    if (rounded >= 64) {
        copy16(0);
        copy16(16);
        copy16(32);
        copy16(48);
        offset = 64;
    }
    for (; offset < rounded; offset += 16)
        copy16(offset);
}

// What the LLQ fast path needs from the queue, copied into locals for the burst.
struct LlqRing {
    std::uint8_t* base;
    rte_mbuf** mbufs;
    std::uint16_t* units;
    std::uint16_t* sent_tick;
    std::uint16_t tick;
    const std::uint16_t* free_req_ids;
    std::uint16_t mask;
    std::uint16_t depth;
    std::uint16_t entry_size;
    std::uint16_t header_offset;
    std::uint16_t header_room;
    std::uint16_t budget;  // entries per doorbell; 0: no limit
    bool meta_always;
    bool l4_csum_partial;
    unsigned descs_before_header;

    explicit LlqRing(const TxQueue& q)
        : base(q.io.llq_descriptors), mbufs(q.mbufs), units(q.units), sent_tick(q.sent_tick),
          tick(load_relaxed(q.watch_tick)), free_req_ids(q.free_req_ids), mask(q.mask),
          depth(q.config.depth), entry_size(q.config.llq_layout.entry_size), header_offset(q.config.llq_layout.header_offset()),
          header_room(q.config.max_header_size), budget(q.config.max_entries_per_burst),
          meta_always(q.config.disable_meta_caching), l4_csum_partial(q.config.l4_csum_partial),
          descs_before_header(q.config.llq_layout.descs_before_header) {}
};

// The ring state a burst advances, kept in locals: every store into an LLQ entry goes through a
// byte pointer, which may alias anything, and would otherwise make the compiler reload the
// queue's fields after each one. store() hands it back before anything else uses the queue.
struct TxCursor {
    std::uint16_t tail;
    std::uint16_t next_to_use;
    std::uint16_t free;
    std::uint16_t since_doorbell;
    std::uint16_t packets = 0;
    std::uint64_t bytes = 0;

    explicit TxCursor(const TxQueue& q)
        : tail(q.sq_tail), next_to_use(q.next_to_use), free(q.free_units()), since_doorbell(q.entries_since_doorbell) {}
    void store(TxQueue& q) {
        store_relaxed(q.sq_tail, tail);  // free_units() elsewhere
        q.next_to_use = next_to_use;
        q.entries_since_doorbell = since_doorbell;
        q.stats.packets += packets;
        q.stats.bytes += bytes;
        packets = 0;
        bytes = 0;
    }
};

// Whether the packet fits one LLQ entry: one segment, its descriptors before the header, and no
// declared header beyond the room (those take the general path, which counts them).
template <bool kOffloads>
inline bool fits_one_entry(const LlqRing& ring, const rte_mbuf* m, bool& meta) {
    meta = ring.meta_always || (kOffloads && (m->ol_flags & kChecksumFlags) != 0);
    return m->nb_segs == 1 && 1u + meta <= ring.descs_before_header &&
           (m->tx_offload == 0 || declared_header_length(m) <= ring.header_room);
}

template <bool kOffloads>
[[gnu::always_inline]] inline void write_one_entry(const LlqRing& ring, TxCursor& c, rte_mbuf* m, bool meta) {
    // Everything read from the mbuf before the first store into device memory.
    const std::uint32_t data_len = m->data_len;
    const std::uint32_t pushed = std::min<std::uint32_t>(data_len, ring.header_room);
    const rte_iova_t iova = rte_mbuf_data_iova(m) + pushed;
    const std::uint32_t pkt_len = m->pkt_len;
    std::uint32_t offloads = 0;
    hw::TxMetaDesc md{};
    if (meta) {
        md = meta_descriptor(m, kOffloads);
        md.len_ctrl |= hw::tx_meta::Phase::make(hw::ring_phase(c.tail, ring.depth));
    }
    if constexpr (kOffloads)
        offloads = offload_bits(m, ring.l4_csum_partial);

    const std::uint16_t req_id = ring.free_req_ids[c.next_to_use & ring.mask];
    ++c.next_to_use;
    ring.mbufs[req_id] = m;
    ring.units[req_id] = 1;
    store_relaxed(ring.sent_tick[req_id], ring.tick);

    using namespace hw::tx_desc;
    std::uint8_t* entry = ring.base + static_cast<std::size_t>(c.tail & ring.mask) * ring.entry_size;
    std::uint8_t* desc = entry;
    if (meta) {
        std::memcpy(desc, &md, sizeof(md));
        desc += hw::kTxDescSize;
    }
    const hw::TxDesc d{Length::make(data_len - pushed) | ReqIdHigh::make(req_id >> 10) | CompReq::make(1) |
                           First::make(!meta) | Last::make(1) | Phase::make(hw::ring_phase(c.tail, ring.depth)),
                       ReqIdLow::make(req_id) | offloads, static_cast<std::uint32_t>(iova),
                       AddrHigh::make(iova >> 32) | HeaderLength::make(pushed)};
    std::memcpy(desc, &d, sizeof(d));
    push_header(m, entry + ring.header_offset, pushed);

    ++c.tail;
    --c.free;
    ++c.since_doorbell;
    ++c.packets;
    c.bytes += pkt_len;
}

// Puts one packet on the ring. kNoRoom leaves it with the caller (in `slot`: a linearized copy
// replaces the original there); kDropped has freed it.
template <TxPlacement kPlacement, bool kOffloads>
[[gnu::always_inline]] inline Verdict queue_packet(TxQueue& q, rte_mbuf*& slot) {
    rte_mbuf* m = slot;
    constexpr bool kLlq = kPlacement == TxPlacement::kLlq;
    const TxQueueConfig& cfg = q.config;

    std::uint32_t pushed = 0;
    if constexpr (kLlq) {
        // The device parses headers only from the pushed bytes: a packet whose declared headers
        // exceed the entry's room would be dropped there without a trace, so count it here.
        if (unlikely(declared_header_length(m) > cfg.max_header_size)) {
            report_header_overflow(q, declared_header_length(m));
            rte_pktmbuf_free(m);
            return Verdict::kDropped;
        }
        pushed = std::min<std::uint32_t>(m->pkt_len, cfg.max_header_size);
    }
    const bool meta = (kLlq && cfg.disable_meta_caching) || (kOffloads && (m->ol_flags & kChecksumFlags) != 0);
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

    const std::uint16_t req_id = q.free_req_ids[q.next_to_use & q.mask];
    ++q.next_to_use;
    q.mbufs[req_id] = m;
    q.units[req_id] = units;
    store_relaxed(q.sent_tick[req_id], load_relaxed(q.watch_tick));

    const std::uint16_t start = q.sq_tail;
    unsigned index = 0;
    if (meta) {
        const hw::TxMetaDesc md = meta_descriptor(m, kOffloads);
        write_descriptor(descriptor_slot<kPlacement>(q, start, index++), md.len_ctrl, md.word1, md.word2, md.reserved);
    }
    if constexpr (kLlq) {
        std::uint8_t* entry = q.io.llq_descriptors + static_cast<std::size_t>(start & q.mask) * cfg.llq_layout.entry_size;
        copy_leading_bytes(m, entry + cfg.llq_layout.header_offset(), pushed);
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
        write_descriptor(descriptor_slot<kPlacement>(q, start, index++), len_ctrl, word1,
                         static_cast<std::uint32_t>(pieces[i].iova), word3);
    }

    store_relaxed(q.sq_tail, static_cast<std::uint16_t>(start + units));  // free_units() elsewhere
    q.entries_since_doorbell = static_cast<std::uint16_t>(q.entries_since_doorbell + units);
    ++q.stats.packets;
    q.stats.bytes += m->pkt_len;
    return Verdict::kQueued;
}

// Takes the packet through queue_packet, making room once from posted completions when the
// ring is full. Returns false when the packet must stay with the application.
template <TxPlacement kPlacement, bool kOffloads>
bool queue_or_make_room(TxQueue& q, rte_mbuf*& slot) {
    if (queue_packet<kPlacement, kOffloads>(q, slot) != Verdict::kNoRoom)
        return true;
    return process_completions(q, q.config.depth) != 0 &&
           queue_packet<kPlacement, kOffloads>(q, slot) != Verdict::kNoRoom;
}

template <bool kOffloads>
std::uint16_t llq_burst(TxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    const LlqRing ring(q);
    TxCursor c(q);
    std::uint16_t sent = 0;
    for (; sent < count; ++sent) {
        rte_mbuf* m = pkts[sent];
        bool meta;
        if (likely(fits_one_entry<kOffloads>(ring, m, meta))) {
            if (unlikely(c.free == 0 || (ring.budget != 0 && c.since_doorbell >= ring.budget))) {
                c.store(q);
                if (c.since_doorbell >= ring.budget && ring.budget != 0)
                    ring_doorbell(q);
                if (q.free_units() == 0 && process_completions(q, q.config.depth) == 0)
                    break;
                c = TxCursor(q);
            }
            write_one_entry<kOffloads>(ring, c, m, meta);
            continue;
        }
        c.store(q);
        if (!queue_or_make_room<TxPlacement::kLlq, kOffloads>(q, pkts[sent]))
            break;
        c = TxCursor(q);
    }
    c.store(q);
    return sent;
}

template <TxPlacement kPlacement, bool kOffloads>
std::uint16_t tx_burst(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    TxQueue& q = *static_cast<TxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    if (q.free_units() < q.config.free_threshold)
        process_completions(q, q.config.depth);

    std::uint16_t sent = 0;
    if constexpr (kPlacement == TxPlacement::kLlq) {
        sent = llq_burst<kOffloads>(q, pkts, count);
    } else {
        while (sent < count && queue_or_make_room<kPlacement, kOffloads>(q, pkts[sent]))
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

template <TxPlacement kPlacement>
eth_tx_burst_t pick(bool offloads) {
    return offloads ? tx_burst<kPlacement, true> : tx_burst<kPlacement, false>;
}

}  // namespace

eth_tx_burst_t select_tx_burst(const Port& port) {
    const auto& features = port.device().features();
    const std::uint64_t offloads = port.data()->dev_conf.txmode.offloads & kOffloadCapaMask;
    bool queue_offloads = offloads != 0;
    for (std::uint16_t i = 0; i < port.data()->nb_tx_queues; ++i)
        if (const TxQueue* q = port.tx_queue(i))
            queue_offloads |= (q->config.offloads & kOffloadCapaMask) != 0;
    return features.llq.placement == TxPlacement::kLlq ? pick<TxPlacement::kLlq>(queue_offloads)
                                                       : pick<TxPlacement::kHost>(queue_offloads);
}

eth_tx_prep_t select_tx_prepare(const Port&) { return tx_prepare; }

namespace {

std::uint16_t tx_burst_by_queue_config(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    const TxQueueConfig& config = static_cast<const TxQueue*>(queue)->config;
    const bool offloads = (config.offloads & kOffloadCapaMask) != 0;
    return config.placement == TxPlacement::kLlq ? pick<TxPlacement::kLlq>(offloads)(queue, pkts, count)
                                                 : pick<TxPlacement::kHost>(offloads)(queue, pkts, count);
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
    return static_cast<int>(process_completions(q, free_count == 0 ? q.config.depth : free_count));
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
        if (req_id >= q.config.depth || q.mbufs[req_id] == nullptr)
            break;  // the burst path will see it and stop the queue
        done += q.units[req_id];
    }
    return done > offset ? RTE_ETH_TX_DESC_DONE : RTE_ETH_TX_DESC_FULL;
}

void describe_tx_path(const TxQueue& queue, char* text, std::size_t size) {
    const TxQueueConfig& cfg = queue.config;
    const char* offloads = (cfg.offloads & kOffloadCapaMask) != 0 ? ", offloads" : "";
    if (cfg.placement == TxPlacement::kLlq)
        std::snprintf(text, size, "LLQ %uB (%uB header)%s%s", cfg.llq_layout.entry_size, cfg.llq_layout.header_room(),
                      cfg.disable_meta_caching ? ", accelerated" : "", offloads);
    else
        std::snprintf(text, size, "host memory%s", offloads);
}

}  // namespace ena::ng::datapath
