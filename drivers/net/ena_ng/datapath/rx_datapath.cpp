// Rx datapath: completions from the device become mbufs; emptied ring slots are refilled in
// bulk with one doorbell per refill.
//
// Buffers are posted with request ids taken from a free list, and a completion names the buffer
// by that id, so the device may complete them in any order. Every id is checked before use: an
// id outside the ring, or one whose buffer is not currently posted (a stale or repeated id),
// never yields an mbuf; the queue stops and asks for a device reset.
#include <rte_branch_prediction.h>
#include <rte_io.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "datapath/datapath.hpp"
#include "log.hpp"
#include "port.hpp"
#include "datapath/queues.hpp"

namespace ena::ng::datapath {

namespace {

using hw::RxCompletion;
namespace rxc = hw::rx_completion;

constexpr std::uint64_t kChecksumOffloads =
    RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;

// data_off, refcnt, nb_segs and port sit together so that one 8-byte store makes an mbuf from
// the pool ready for a new packet.
constexpr std::size_t kRearmOffset = offsetof(rte_mbuf, data_off);
static_assert(offsetof(rte_mbuf, refcnt) == kRearmOffset + 2);
static_assert(offsetof(rte_mbuf, nb_segs) == kRearmOffset + 4);
static_assert(offsetof(rte_mbuf, port) == kRearmOffset + 6);

std::uint64_t rearm_value(std::uint16_t port_id) {
    rte_mbuf model{};
    model.data_off = RTE_PKTMBUF_HEADROOM;
    rte_mbuf_refcnt_set(&model, 1);
    model.nb_segs = 1;
    model.port = port_id;
    std::uint64_t value;
    std::memcpy(&value, reinterpret_cast<const std::uint8_t*>(&model) + kRearmOffset, sizeof(value));
    return value;
}

inline void rearm(rte_mbuf* m, std::uint64_t value) {
    std::memcpy(reinterpret_cast<std::uint8_t*>(m) + kRearmOffset, &value, sizeof(value));
}

void ring_doorbell(RxQueue& q) {
    // The descriptors must be visible before the device sees the new tail.
    rte_wmb();
    rte_write32_relaxed(q.sq_tail, q.io.sq_doorbell);
    q.notify_doorbell();
}

// Posts up to `count` new buffers. Returns how many were posted.
std::uint16_t refill(RxQueue& q, std::uint16_t count) {
    if (count == 0)
        return 0;
    rte_mempool* pool = q.config.pool;
    void** scratch = reinterpret_cast<void**>(q.refill_scratch);
    std::uint16_t got = count;
    if (unlikely(rte_mempool_get_bulk(pool, scratch, got) != 0)) {
        // Short of mbufs: take what the pool has now; the rest is retried on the next burst.
        ++q.stats.mbuf_alloc_failures;
        got = static_cast<std::uint16_t>(std::min<unsigned>(count, rte_mempool_avail_count(pool)));
        if (got == 0 || rte_mempool_get_bulk(pool, scratch, got) != 0)
            return 0;
    }
    if (got < count)
        ++q.stats.refill_partial;

    auto* ring = q.sq_ring.as<std::uint8_t>();
    // The descriptor as two 8-byte words written straight to the ring: a struct built on the
    // stack and copied costs a failed store-to-load forward per descriptor.
    const std::uint64_t length = q.config.buffer_size;
    constexpr std::uint64_t kFlags = hw::rx_desc::First::kMask | hw::rx_desc::Last::kMask | hw::rx_desc::CompReq::kMask;
    static_assert(offsetof(hw::RxDesc, ctrl) == 3 && offsetof(hw::RxDesc, req_id) == 4);
    for (std::uint16_t i = 0; i < got; ++i) {
        rte_mbuf* m = q.refill_scratch[i];
        const std::uint16_t req_id = q.free_req_ids[q.next_to_use & q.mask];
        ++q.next_to_use;
        q.mbufs[req_id] = m;
        const rte_iova_t iova = m->buf_iova + RTE_PKTMBUF_HEADROOM;
        // word 0: length (16), reserved (8), ctrl (8), req_id (16); word 1: address (48).
        const std::uint64_t word0 = length | ((kFlags | hw::rx_desc::Phase::make(hw::ring_phase(q.sq_tail, q.config.depth))) << 24) |
                                    (std::uint64_t{req_id} << 32);
        const std::uint64_t word1 = iova & hw::DmaAddress::kMax;
        auto* slot = reinterpret_cast<std::uint64_t*>(ring + static_cast<std::size_t>(q.sq_tail & q.mask) * hw::kRxDescSize);
        slot[0] = word0;
        slot[1] = word1;
        ++q.sq_tail;
    }
    ring_doorbell(q);
    return got;
}

// Takes the buffer the device names; nullptr when the id cannot be trusted.
inline rte_mbuf* take_buffer(RxQueue& q, std::uint16_t req_id) {
    if (unlikely(req_id >= q.config.depth))
        return nullptr;
    rte_mbuf* m = q.mbufs[req_id];
    if (unlikely(m == nullptr))
        return nullptr;  // not posted: stale or repeated id
    q.mbufs[req_id] = nullptr;
    q.free_req_ids[q.next_to_clean & q.mask] = req_id;
    ++q.next_to_clean;
    return m;
}

inline void advance_cq(RxQueue& q) { ++q.cq_head; }

// The device may fill no more than the buffer it was given (posted at its full data room).
inline bool fits_buffer(const RxQueue& q, const RxCompletion& c) {
    return std::uint32_t{c.offset} + c.length <= q.config.buffer_size;
}

// The device wrote a completion the driver cannot use: counted as an Rx error, and the queue
// waits for a reset.
void halt(RxQueue& q, hw::ResetReason reason) {
    ++q.stats.errors;
    store_relaxed(q.halted, true);
    q.device->request_reset(reason);
}

// Flags and packet type from the last completion of a packet.
template <bool kChecksum, bool kHash>
inline void set_packet_info(RxQueue& q, rte_mbuf* m, std::uint32_t status, std::uint32_t hash) {
    std::uint64_t flags = 0;
    std::uint32_t ptype = RTE_PTYPE_L2_ETHER;
    const auto l3 = static_cast<hw::L3Proto>(rxc::L3ProtoIdx::get(status));
    const auto l4 = static_cast<hw::L4Proto>(rxc::L4ProtoIdx::get(status));
    const bool fragment = rxc::Ipv4Fragment::get(status) != 0;
    if (l3 == hw::L3Proto::kIpv4) {
        ptype |= RTE_PTYPE_L3_IPV4;
        if constexpr (kChecksum) {
            if (rxc::L3CsumError::get(status)) {
                flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
                ++q.stats.l3_csum_bad;
            } else {
                flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
            }
        }
    } else if (l3 == hw::L3Proto::kIpv6) {
        ptype |= RTE_PTYPE_L3_IPV6;
    }
    const bool l4_known = !fragment && (l4 == hw::L4Proto::kTcp || l4 == hw::L4Proto::kUdp);
    if (fragment)
        ptype |= RTE_PTYPE_L4_FRAG;
    else if (l4 == hw::L4Proto::kTcp)
        ptype |= RTE_PTYPE_L4_TCP;
    else if (l4 == hw::L4Proto::kUdp)
        ptype |= RTE_PTYPE_L4_UDP;
    if constexpr (kChecksum) {
        if (l4_known && rxc::L4CsumChecked::get(status)) {
            if (rxc::L4CsumError::get(status)) {
                flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
                ++q.stats.l4_csum_bad;
            } else {
                flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
                ++q.stats.l4_csum_good;
            }
        } else {
            flags |= RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
        }
        // A packet with a bad checksum is an Rx error (ierrors), once, as in the built-in PMD.
        if (unlikely(flags & (RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD)))
            ++q.stats.errors;
    }
    // As the built-in PMD does, the hash is handed on for TCP and UDP flows only.
    if constexpr (kHash) {
        if (l4_known) {
            flags |= RTE_MBUF_F_RX_RSS_HASH;
            m->hash.rss = hash;
        }
    }
    m->ol_flags = flags;
    m->packet_type = ptype;
}

// A packet spread over several completions. Returns 1 with the chain in `out`, 0 when the
// device has not written all of it yet (nothing consumed), -1 when the completions cannot be
// trusted (the queue is halted).
int receive_chain(RxQueue& q, const RxCompletion* ring, std::uint32_t mbz, rte_mbuf*& out, std::uint32_t& last_status,
                  std::uint32_t& last_hash) {
    unsigned count = 0;
    std::uint16_t pos = q.cq_head;
    while (true) {
        const std::uint32_t status = static_cast<const volatile RxCompletion&>(ring[pos & q.mask]).status;
        if (rxc::Phase::get(status) != hw::ring_phase(pos, q.config.depth))
            return 0;
        ++count;
        const bool first = rxc::First::get(status) != 0;
        if ((count == 1) != first || (status & mbz) != 0) {
            ++q.stats.bad_desc;
            halt(q, hw::ResetReason::kRxDescriptorMalformed);
            return -1;
        }
        if (rxc::Last::get(status))
            break;
        if (count >= q.config.max_sgl) {
            ++q.stats.bad_desc_num;
            halt(q, hw::ResetReason::kTooManyRxDescs);
            return -1;
        }
        ++pos;
    }
    rte_io_rmb();  // bodies after the phase bits

    rte_mbuf* head = nullptr;
    rte_mbuf* tail = nullptr;
    for (unsigned i = 0; i < count; ++i) {
        const RxCompletion& c = ring[q.cq_head & q.mask];
        if (unlikely(!fits_buffer(q, c))) {
            ++q.stats.bad_desc;
            if (head != nullptr)
                rte_pktmbuf_free(head);
            halt(q, hw::ResetReason::kRxDescriptorMalformed);
            return -1;
        }
        rte_mbuf* m = take_buffer(q, c.req_id);
        if (unlikely(m == nullptr)) {
            ++q.stats.bad_req_id;
            if (head != nullptr)
                rte_pktmbuf_free(head);
            halt(q, hw::ResetReason::kInvalidRxReqId);
            return -1;
        }
        rearm(m, q.mbuf_rearm);
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
        advance_cq(q);
    }
    out = head;
    return 1;
}

template <bool kChecksum, bool kHash>
std::uint16_t rx_burst(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    RxQueue& q = *static_cast<RxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    q.notify_rx_poll();
    const auto* ring = q.cq_ring.as<RxCompletion>();
    const std::uint32_t mbz = q.config.check_mbz ? rxc::kMbzMask : 0;
    constexpr std::uint32_t kSingle = rxc::First::kMask | rxc::Last::kMask;
    std::uint16_t received = 0;
    std::uint64_t bytes = 0;
    while (received < count) {
        const RxCompletion& c = ring[q.cq_head & q.mask];
        std::uint32_t status = static_cast<const volatile RxCompletion&>(c).status;
        if (rxc::Phase::get(status) != hw::ring_phase(q.cq_head, q.config.depth))
            break;
        rte_mbuf* m;
        std::uint32_t hash;
        if (likely((status & (kSingle | mbz)) == kSingle)) {
            rte_io_rmb();  // the body after the phase bit
            if (unlikely(!fits_buffer(q, c))) {
                ++q.stats.bad_desc;
                halt(q, hw::ResetReason::kRxDescriptorMalformed);
                break;
            }
            m = take_buffer(q, c.req_id);
            if (unlikely(m == nullptr)) {
                ++q.stats.bad_req_id;
                halt(q, hw::ResetReason::kInvalidRxReqId);
                break;
            }
            rearm(m, q.mbuf_rearm);
            m->data_off = static_cast<std::uint16_t>(m->data_off + c.offset);
            m->data_len = c.length;
            m->pkt_len = c.length;
            hash = c.hash;
            advance_cq(q);
        } else {
            const int rc = receive_chain(q, ring, mbz, m, status, hash);
            if (rc <= 0)
                break;
        }
        if (unlikely(m->pkt_len == 0)) {
            // The device returns buffers it could not use as empty completions: recycle them.
            rte_pktmbuf_free(m);
            continue;
        }
        set_packet_info<kChecksum, kHash>(q, m, status, hash);
        bytes += m->pkt_len;
        pkts[received++] = m;
    }
    q.stats.packets += received;
    q.stats.bytes += bytes;
    if (q.free_slots() >= q.config.free_threshold && !load_relaxed(q.halted))
        refill(q, q.free_slots());
    return received;
}

}  // namespace

eth_rx_burst_t select_rx_burst(const Port& port) {
    const std::uint64_t offloads = port.data()->dev_conf.rxmode.offloads;
    const bool checksum = (offloads & kChecksumOffloads) != 0;
    const bool hash = (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0;
    if (checksum)
        return hash ? rx_burst<true, true> : rx_burst<true, false>;
    return hash ? rx_burst<false, true> : rx_burst<false, false>;
}

namespace {

std::uint16_t rx_burst_by_queue_config(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    const std::uint64_t offloads = static_cast<const RxQueue*>(queue)->config.offloads;
    const bool checksum = (offloads & kChecksumOffloads) != 0;
    const bool hash = (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0;
    if (checksum)
        return hash ? rx_burst<true, true>(queue, pkts, count) : rx_burst<true, false>(queue, pkts, count);
    return hash ? rx_burst<false, true>(queue, pkts, count) : rx_burst<false, false>(queue, pkts, count);
}

std::uint16_t rx_burst_unreachable(void*, rte_mbuf**, std::uint16_t) { return 0; }

}  // namespace

eth_rx_burst_t secondary_rx_burst(bool device_reachable) {
    return device_reachable ? rx_burst_by_queue_config : rx_burst_unreachable;
}

int rx_descriptor_status(void* queue, std::uint16_t offset) {
    const RxQueue& q = *static_cast<const RxQueue*>(queue);
    if (offset >= q.config.depth)
        return -EINVAL;
    const auto posted = static_cast<std::uint16_t>(q.next_to_use - q.next_to_clean);
    if (offset >= posted)
        return RTE_ETH_RX_DESC_UNAVAIL;  // not posted: the driver holds it
    // Completions arrive in the order buffers are used: the one `offset` ahead of the head.
    const auto position = static_cast<std::uint16_t>(q.cq_head + offset);
    const auto* ring = q.cq_ring.as<const hw::RxCompletion>();
    const std::uint32_t status = static_cast<const volatile hw::RxCompletion&>(ring[position & q.mask]).status;
    return rxc::Phase::get(status) == hw::ring_phase(position, q.config.depth) ? RTE_ETH_RX_DESC_DONE
                                                                              : RTE_ETH_RX_DESC_AVAIL;
}

void rx_queue_post_initial(RxQueue& queue) {
    queue.mbuf_rearm = rearm_value(queue.config.port_id);
    const std::uint16_t wanted = queue.free_slots();
    const std::uint16_t posted = refill(queue, wanted);
    // A short pool is what every burst handles too: the queue starts with what it got and the
    // rest is posted as mbufs come back.
    if (posted < wanted)
        log(g_log_rx, RTE_LOG_WARNING,
            "%s: Rx queue %u started with %u of %u buffers (mempool %s is short); the rest is posted on later bursts",
            queue.device->resources().name, queue.config.index, posted, wanted, queue.config.pool->name);
    // Flush this lcore's mempool cache so that other lcores see the pool as it really is.
    rte_mempool_cache_flush(rte_mempool_default_cache(queue.config.pool, rte_lcore_id()), queue.config.pool);
}

void describe_rx_path(const RxQueue& queue, char* text, std::size_t size) {
    const std::uint64_t offloads = queue.config.offloads;
    std::snprintf(text, size, "scalar, bulk refill at %u free%s%s", queue.config.free_threshold,
                  (offloads & kChecksumOffloads) ? ", checksum flags" : "",
                  (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) ? ", RSS hash" : "");
}

}  // namespace ena::ng::datapath
