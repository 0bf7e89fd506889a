// What every Rx path shares: the packet type and flags tables, the mbuf set-up, the refill,
// and the scalar handling of one completion (the whole scalar path, and the vector paths'
// fallback for packets over several buffers and for anything they do not take four at a
// time). rx_datapath.cpp builds it for the baseline, rx_vector_*.cpp for SSE4.1 and AVX2;
// everything here has internal linkage, so no translation unit lends its copies to another.
//
// Buffers are posted with request ids taken from a free list, and a completion names the buffer
// by that id, so the device may complete them in any order. Every id is checked before use: an
// id outside the ring, or one whose buffer is not currently posted (a stale or repeated id),
// never yields an mbuf; the queue stops and asks for a device reset.
#pragma once

#include <rte_branch_prediction.h>
#include <rte_io.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <emmintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "datapath/queues.hpp"

namespace ena::ng::datapath {
namespace {

using hw::RxCompletion;
namespace rxc = hw::rx_completion;

// data_off, refcnt, nb_segs and port sit together, then ol_flags: one 16-byte store makes an
// mbuf from the pool ready for a new packet. packet_type, pkt_len, data_len, vlan_tci and
// hash.rss follow: a second one fills in the packet.
constexpr std::size_t kRearmOffset = offsetof(rte_mbuf, data_off);
static_assert(offsetof(rte_mbuf, refcnt) == kRearmOffset + 2);
static_assert(offsetof(rte_mbuf, nb_segs) == kRearmOffset + 4);
static_assert(offsetof(rte_mbuf, port) == kRearmOffset + 6);
static_assert(offsetof(rte_mbuf, ol_flags) == kRearmOffset + 8);
constexpr std::size_t kFieldsOffset = offsetof(rte_mbuf, packet_type);
static_assert(kFieldsOffset == kRearmOffset + 16);
static_assert(offsetof(rte_mbuf, pkt_len) == kFieldsOffset + 4);
static_assert(offsetof(rte_mbuf, data_len) == kFieldsOffset + 8);
static_assert(offsetof(rte_mbuf, vlan_tci) == kFieldsOffset + 10);
static_assert(offsetof(rte_mbuf, hash) == kFieldsOffset + 12);
// Both within the mbuf's first cache line.
static_assert(kFieldsOffset + 16 <= RTE_CACHE_LINE_MIN_SIZE);

inline std::uint64_t rearm_value(std::uint16_t port_id) {
    rte_mbuf model{};
    model.data_off = RTE_PKTMBUF_HEADROOM;
    rte_mbuf_refcnt_set(&model, 1);
    model.nb_segs = 1;
    model.port = port_id;
    std::uint64_t value;
    std::memcpy(&value, reinterpret_cast<const std::uint8_t*>(&model) + kRearmOffset, sizeof(value));
    return value;
}

// --- packet type and flags, from a completion's status ---------------------------------------

// Class bits beside the packet type (above RTE_PTYPE_ALL_MASK) for the flags table.
constexpr std::uint32_t kIsIpv4 = 1u << 28;
constexpr std::uint32_t kL4Known = 1u << 29;  // TCP or UDP, not a fragment: checksum and hash apply
static_assert((RTE_PTYPE_ALL_MASK & (kIsIpv4 | kL4Known)) == 0);

// By the completion's 5-bit L3 protocol.
constexpr std::array<std::uint32_t, 32> kL3Ptype = [] {
    std::array<std::uint32_t, 32> t{};
    t[static_cast<unsigned>(hw::L3Proto::kIpv4)] = RTE_PTYPE_L3_IPV4 | kIsIpv4;
    t[static_cast<unsigned>(hw::L3Proto::kIpv6)] = RTE_PTYPE_L3_IPV6;
    return t;
}();
// By the 5-bit L4 protocol, plus 32 when the packet is an IPv4 fragment (then L4 says nothing).
constexpr std::array<std::uint32_t, 64> kL4Ptype = [] {
    std::array<std::uint32_t, 64> t{};
    t[static_cast<unsigned>(hw::L4Proto::kTcp)] = RTE_PTYPE_L4_TCP | kL4Known;
    t[static_cast<unsigned>(hw::L4Proto::kUdp)] = RTE_PTYPE_L4_UDP | kL4Known;
    for (unsigned i = 32; i < 64; ++i)
        t[i] = RTE_PTYPE_L4_FRAG;
    return t;
}();

// The packet type of a completion, with the class bits.
inline std::uint32_t ptype_with_class(std::uint32_t status) {
    const std::uint32_t l4 = rxc::L4ProtoIdx::get(status) | (rxc::Ipv4Fragment::get(status) << 5);
    return RTE_PTYPE_L2_ETHER | kL3Ptype[rxc::L3ProtoIdx::get(status)] | kL4Ptype[l4];
}

// Checksum flags by (IPv4, L4 known, L3 error, L4 error, L4 checked): what the device checked
// and found, as DPDK names it (unknown where it could not check).
constexpr unsigned kCsumKeys = 32;
constexpr std::array<std::uint16_t, kCsumKeys> kCsumFlags = [] {
    std::array<std::uint16_t, kCsumKeys> t{};
    for (unsigned key = 0; key < kCsumKeys; ++key) {
        const bool ipv4 = key & 1, l4_known = key & 2, l3_error = key & 4, l4_error = key & 8, checked = key & 16;
        std::uint64_t flags = 0;
        if (ipv4)
            flags |= l3_error ? RTE_MBUF_F_RX_IP_CKSUM_BAD : RTE_MBUF_F_RX_IP_CKSUM_GOOD;
        if (l4_known && checked)
            flags |= l4_error ? RTE_MBUF_F_RX_L4_CKSUM_BAD : RTE_MBUF_F_RX_L4_CKSUM_GOOD;
        t[key] = static_cast<std::uint16_t>(flags);
    }
    return t;
}();
static_assert(((RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK | RTE_MBUF_F_RX_RSS_HASH) >> 16) == 0);

// Counters that follow from the flags of a burst's packets, kept in registers.
struct RxFlagCounts {
    std::uint32_t l3_bad = 0, l4_bad = 0, l4_good = 0, errors = 0;

    void count(std::uint64_t flags) {
        l3_bad += (flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) != 0;
        l4_bad += (flags & RTE_MBUF_F_RX_L4_CKSUM_BAD) != 0;
        l4_good += (flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) != 0;
        // A packet with a bad checksum is an Rx error (ierrors), once, as in the built-in PMD.
        errors += (flags & (RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD)) != 0;
    }
    void add_to(RxQueueStats& s) const {
        if ((l3_bad | l4_bad | l4_good | errors) == 0)
            return;
        s.l3_csum_bad += l3_bad;
        s.l4_csum_bad += l4_bad;
        s.l4_csum_good += l4_good;
        s.errors += errors;
    }
};

// The mbuf flags of a packet whose last completion has `status` (its type with class bits in
// `ptype`). As the built-in PMD does, the hash is handed on for TCP and UDP flows only.
template <bool kChecksum, bool kHash>
inline std::uint64_t rx_flags(std::uint32_t status, std::uint32_t ptype, RxFlagCounts& counts) {
    std::uint64_t flags = 0;
    if constexpr (kChecksum) {
        const unsigned key = ((ptype & kIsIpv4) >> 28) | ((ptype & kL4Known) >> 28) |
                             (rxc::L3CsumError::get(status) << 2) | (rxc::L4CsumError::get(status) << 3) |
                             (rxc::L4CsumChecked::get(status) << 4);
        flags = kCsumFlags[key];
        counts.count(flags);
    }
    if constexpr (kHash) {
        static_assert(RTE_MBUF_F_RX_RSS_HASH == (kL4Known >> 28));
        flags |= (ptype & kL4Known) >> 28;
    }
    return flags;
}

// The two 16-byte stores that make an mbuf of the pool a received one-buffer packet.
inline void fill_mbuf(rte_mbuf* m, std::uint64_t rearm, std::uint64_t flags, std::uint32_t ptype,
                      std::uint32_t length, std::uint32_t hash) {
    auto* base = reinterpret_cast<std::uint8_t*>(m);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(base + kRearmOffset),
                     _mm_set_epi64x(static_cast<long long>(flags), static_cast<long long>(rearm)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(base + kFieldsOffset),
                     _mm_set_epi32(static_cast<int>(hash), static_cast<int>(length),
                                   static_cast<int>(length), static_cast<int>(ptype & RTE_PTYPE_ALL_MASK)));
}

// --- the queue's state, in locals for a burst --------------------------------------------------

// The ring state a burst reads and advances, kept in locals: the stores into mbufs and the
// request-id list may alias the queue's fields, which the compiler would otherwise reload after
// each one. store() hands the positions back before anything else uses the queue.
struct RxRing {
    const RxCompletion* completions;
    rte_mbuf** mbufs;
    std::uint16_t* free_req_ids;
    std::uint16_t mask;
    std::uint16_t depth;
    std::uint16_t buffer_size;
    std::uint16_t max_sgl;
    std::uint32_t mbz;  // must-be-zero status bits the device promises, else 0
    std::uint64_t rearm;
    std::uint16_t head;      // next completion
    std::uint16_t free_ids;  // top of the free-id stack

    explicit RxRing(const RxQueue& q)
        : completions(q.cq_ring.as<RxCompletion>()), mbufs(q.mbufs), free_req_ids(q.free_req_ids), mask(q.mask),
          depth(q.config.depth), buffer_size(q.config.buffer_size), max_sgl(q.config.max_sgl),
          mbz(q.config.check_mbz ? rxc::kMbzMask : 0), rearm(q.mbuf_rearm), head(q.cq_head), free_ids(q.free_ids) {}
    void store(RxQueue& q) const {
        q.cq_head = head;
        q.free_ids = free_ids;
    }
    std::uint32_t status(std::uint16_t at) const { return load_status(completions[at & mask]); }
    // An acquire load: on x86 a plain load that later loads stay behind (what a volatile read
    // and rte_io_rmb give), and to ThreadSanitizer the hand-over the device's release store
    // makes -- a volatile read reaches it before the load, which races with that store.
    static std::uint32_t load_status(const RxCompletion& c) { return __atomic_load_n(&c.status, __ATOMIC_ACQUIRE); }
    std::uint32_t phase(std::uint16_t at) const { return hw::ring_phase(at, depth); }
    // Takes the buffer the device names; nullptr when the id cannot be trusted.
    rte_mbuf* take(std::uint16_t req_id) {
        if (unlikely(req_id >= depth))
            return nullptr;
        rte_mbuf* m = mbufs[req_id];
        if (unlikely(m == nullptr))
            return nullptr;  // not posted: stale or repeated id
        mbufs[req_id] = nullptr;
        free_req_ids[free_ids++] = req_id;
        return m;
    }
    // The device may fill no more than the buffer it was given (posted at its full data room).
    bool fits_buffer(const RxCompletion& c) const { return std::uint32_t{c.offset} + c.length <= buffer_size; }
};

// The device wrote a completion the driver cannot use: counted as an Rx error, and the queue
// waits for a reset.
[[gnu::cold]] inline void halt(RxQueue& q, hw::ResetReason reason) {
    ++q.stats.errors;
    store_relaxed(q.halted, true);
    q.device->request_reset(reason);
}

constexpr std::uint32_t kSingle = rxc::First::kMask | rxc::Last::kMask;

// What one packet came to.
enum class RxStep { kPacket, kEmpty, kNotReady, kHalted };

// A packet spread over several completions, from r.head on. kPacket with the chain in `out`,
// kNotReady when the device has not written all of it yet (nothing consumed), kHalted when the
// completions cannot be trusted.
[[gnu::noinline]] inline RxStep receive_chain(RxQueue& q, RxRing& r, rte_mbuf*& out, std::uint32_t& last_status,
                                              std::uint32_t& last_hash) {
    unsigned count = 0;
    std::uint16_t pos = r.head;
    while (true) {
        const std::uint32_t status = r.status(pos);
        if (rxc::Phase::get(status) != r.phase(pos))
            return RxStep::kNotReady;
        ++count;
        const bool first = rxc::First::get(status) != 0;
        if ((count == 1) != first || (status & r.mbz) != 0) {
            ++q.stats.bad_desc;
            halt(q, hw::ResetReason::kRxDescriptorMalformed);
            return RxStep::kHalted;
        }
        if (rxc::Last::get(status))
            break;
        if (count >= r.max_sgl) {
            ++q.stats.bad_desc_num;
            halt(q, hw::ResetReason::kTooManyRxDescs);
            return RxStep::kHalted;
        }
        ++pos;
    }
    rte_io_rmb();  // bodies after the phase bits

    rte_mbuf* head = nullptr;
    rte_mbuf* tail = nullptr;
    for (unsigned i = 0; i < count; ++i) {
        const RxCompletion& c = r.completions[r.head & r.mask];
        rte_mbuf* m = r.fits_buffer(c) ? r.take(c.req_id) : nullptr;
        if (unlikely(m == nullptr)) {
            if (r.fits_buffer(c))
                ++q.stats.bad_req_id;
            else
                ++q.stats.bad_desc;
            if (head != nullptr)
                rte_pktmbuf_free(head);
            halt(q, r.fits_buffer(c) ? hw::ResetReason::kInvalidRxReqId : hw::ResetReason::kRxDescriptorMalformed);
            return RxStep::kHalted;
        }
        std::memcpy(reinterpret_cast<std::uint8_t*>(m) + kRearmOffset, &r.rearm, sizeof(r.rearm));
        m->data_len = c.length;
        if (head == nullptr) {
            m->data_off = static_cast<std::uint16_t>(m->data_off + c.offset);
            m->pkt_len = c.length;
            head = m;
        } else {
            tail->next = m;
            head->pkt_len += c.length;
            ++head->nb_segs;
        }
        tail = m;
        last_status = c.status;
        last_hash = c.hash;
        ++r.head;
    }
    out = head;
    return RxStep::kPacket;
}

// One packet from completion r.head, whatever its shape: the scalar path. kPacket with the
// mbuf in `out`; kEmpty when the device returned an unused buffer (recycled here).
template <bool kChecksum, bool kHash>
[[gnu::always_inline]] inline RxStep receive_one(RxQueue& q, RxRing& r, rte_mbuf*& out, RxFlagCounts& counts) {
    const RxCompletion& c = r.completions[r.head & r.mask];
    std::uint32_t status = r.status(r.head);
    if (rxc::Phase::get(status) != r.phase(r.head))
        return RxStep::kNotReady;
    rte_mbuf* m;
    std::uint32_t hash;
    if (likely((status & (kSingle | r.mbz)) == kSingle)) {
        rte_io_rmb();  // the body after the phase bit
        const std::uint32_t length = c.length;
        if (unlikely(!r.fits_buffer(c))) {
            ++q.stats.bad_desc;
            halt(q, hw::ResetReason::kRxDescriptorMalformed);
            return RxStep::kHalted;
        }
        m = r.take(c.req_id);
        if (unlikely(m == nullptr)) {
            ++q.stats.bad_req_id;
            halt(q, hw::ResetReason::kInvalidRxReqId);
            return RxStep::kHalted;
        }
        hash = c.hash;
        ++r.head;
        const std::uint32_t ptype = ptype_with_class(status);
        const std::uint64_t flags = rx_flags<kChecksum, kHash>(status, ptype, counts);
        fill_mbuf(m, r.rearm + c.offset, flags, ptype, length, hash);  // data_off is the rearm word's low 16 bits
        if (unlikely(length == 0)) {
            // The device returns buffers it could not use as empty completions: recycle them.
            rte_pktmbuf_free(m);
            return RxStep::kEmpty;
        }
    } else {
        const RxStep step = receive_chain(q, r, m, status, hash);
        if (step != RxStep::kPacket)
            return step;
        const std::uint32_t ptype = ptype_with_class(status);
        m->ol_flags = rx_flags<kChecksum, kHash>(status, ptype, counts);
        m->packet_type = ptype & RTE_PTYPE_ALL_MASK;
        m->hash.rss = hash;
        if (unlikely(m->pkt_len == 0)) {
            rte_pktmbuf_free(m);
            return RxStep::kEmpty;
        }
    }
    out = m;
    return RxStep::kPacket;
}

// --- refill -----------------------------------------------------------------------------------

inline void ring_rx_doorbell(RxQueue& q) {
    // The descriptors must be visible before the device sees the new tail.
    rte_wmb();
    rte_write32_relaxed(q.sq_tail, q.io.sq_doorbell);
    q.notify_doorbell();
}

// `count` mbufs of the pool for a refill: straight from this lcore's mempool cache when it
// holds them (the mbufs freed last, still in cache; no copy of their pointers), else through
// rte_mempool_get_bulk into the queue's scratch array, or as many as the pool has. Returns
// where they are and how many (0 when the pool is empty).
struct FreshMbufs {
    rte_mbuf* const* mbufs;
    std::uint16_t count;
};
inline FreshMbufs take_mbufs(RxQueue& q, std::uint16_t count) {
    rte_mempool* pool = q.config.pool;
    // DPDK 22.11 has no zero-copy get: this is what rte_mempool_get_bulk does when the cache
    // has enough, without copying the pointers out.
    if (rte_mempool_cache* cache = rte_mempool_default_cache(pool, rte_lcore_id());
        likely(cache != nullptr && cache->len >= count)) {
        cache->len -= count;
        RTE_MEMPOOL_CACHE_STAT_ADD(cache, get_success_bulk, 1);
        RTE_MEMPOOL_CACHE_STAT_ADD(cache, get_success_objs, count);
        return {reinterpret_cast<rte_mbuf* const*>(cache->objs + cache->len), count};
    }
    rte_mbuf** const scratch = q.refill_scratch;
    std::uint16_t got = count;
    if (unlikely(rte_mempool_get_bulk(pool, reinterpret_cast<void**>(scratch), got) != 0)) {
        // Short of mbufs: take what the pool has now; the rest is retried on the next burst.
        ++q.stats.mbuf_alloc_failures;
        got = static_cast<std::uint16_t>(std::min<unsigned>(count, rte_mempool_avail_count(pool)));
        if (got == 0 || rte_mempool_get_bulk(pool, reinterpret_cast<void**>(scratch), got) != 0)
            got = 0;
    }
    return {scratch, got};
}

// Posts up to `count` new buffers. Returns how many were posted.
inline std::uint16_t refill(RxQueue& q, std::uint16_t count) {
    if (count == 0)
        return 0;
    const FreshMbufs fresh = take_mbufs(q, count);
    const std::uint16_t got = fresh.count;
    if (got == 0)
        return 0;
    if (got < count)
        ++q.stats.refill_partial;

    auto* const ring = q.sq_ring.as<std::uint64_t>();
    rte_mbuf** const mbufs = q.mbufs;
    const std::uint16_t* const free_req_ids = q.free_req_ids;
    const std::uint16_t mask = q.mask;
    const std::uint16_t depth = q.config.depth;
    std::uint16_t tail = q.sq_tail;
    std::uint32_t top = q.free_ids;  // at least `got`: free_slots() is one less
    // The descriptor as two 8-byte words written straight to the ring. Word 0: length (16),
    // reserved (8), ctrl (8), req_id (16); word 1: address (48).
    static_assert(offsetof(hw::RxDesc, ctrl) == 3 && offsetof(hw::RxDesc, req_id) == 4);
    constexpr std::uint64_t kFlags = hw::rx_desc::First::kMask | hw::rx_desc::Last::kMask | hw::rx_desc::CompReq::kMask;
    const std::uint64_t length = q.config.buffer_size;
    rte_mbuf* const* from = fresh.mbufs;
    rte_mbuf* const* const end = from + got;
    while (from != end) {
        // A lap of the ring at a time: one phase.
        const std::size_t run = std::min<std::size_t>(static_cast<std::size_t>(end - from), depth - (tail & mask));
        const std::uint64_t word0 = length | ((kFlags | hw::rx_desc::Phase::make(hw::ring_phase(tail, depth))) << 24);
        std::uint64_t* slot = ring + 2 * static_cast<std::size_t>(tail & mask);
        rte_mbuf* const* const lap_end = from + run;
#pragma GCC unroll 4
        for (; from != lap_end; ++from, slot += 2) {
            rte_mbuf* m = *from;
            const std::uint64_t req_id = free_req_ids[--top];
            mbufs[req_id] = m;
            slot[0] = word0 | (req_id << 32);
            slot[1] = m->buf_iova + RTE_PKTMBUF_HEADROOM;
        }
        tail = static_cast<std::uint16_t>(tail + run);
    }
    q.sq_tail = tail;
    q.free_ids = static_cast<std::uint16_t>(top);
    ring_rx_doorbell(q);
    return got;
}

// The end of every burst: counters, then a refill once enough slots are free.
inline void finish_burst(RxQueue& q, std::uint16_t received, std::uint64_t bytes, const RxFlagCounts& counts) {
    q.stats.packets += received;
    q.stats.bytes += bytes;
    counts.add_to(q.stats);
    if (q.free_slots() >= q.config.free_threshold && !load_relaxed(q.halted))
        refill(q, q.free_slots());
}

// One packet the scalar way into pkts[received]; false when the burst ends here (nothing
// written, or the queue halted). An unused buffer the device returned is no packet.
template <bool kChecksum, bool kHash>
[[gnu::always_inline]] inline bool take_one(RxQueue& q, RxRing& r, rte_mbuf** pkts, std::uint16_t& received,
                                            std::uint64_t& bytes, RxFlagCounts& counts) {
    rte_mbuf* m;
    const RxStep step = receive_one<kChecksum, kHash>(q, r, m, counts);
    if (step == RxStep::kPacket) {
        bytes += m->pkt_len;
        pkts[received++] = m;
    }
    return step == RxStep::kPacket || step == RxStep::kEmpty;
}

// The scalar burst: one completion at a time.
template <bool kChecksum, bool kHash>
std::uint16_t rx_burst_scalar(RxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    RxRing r(q);
    RxFlagCounts counts;
    std::uint16_t received = 0;
    std::uint64_t bytes = 0;
    while (received < count && take_one<kChecksum, kHash>(q, r, pkts, received, bytes, counts)) {
    }
    r.store(q);
    finish_burst(q, received, bytes, counts);
    return received;
}

// The ethdev burst function of an Rx path, one per offload combination (picked at queue
// setup): a halted queue gives nothing, an inline simulated device delivers first, then
// Path::burst<kChecksum, kHash> runs.
template <typename Path, bool kChecksum, bool kHash>
std::uint16_t rx_entry(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    RxQueue& q = *static_cast<RxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    q.notify_rx_poll();
    return Path::template burst<kChecksum, kHash>(q, pkts, count);
}

template <typename Path>
eth_rx_burst_t rx_entry_for(bool checksum, bool hash) {
    if (checksum)
        return hash ? rx_entry<Path, true, true> : rx_entry<Path, true, false>;
    return hash ? rx_entry<Path, false, true> : rx_entry<Path, false, false>;
}

}  // namespace
}  // namespace ena::ng::datapath
