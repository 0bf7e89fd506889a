// Rx datapath: completions from the device become mbufs; emptied ring slots are refilled in
// bulk with one doorbell per refill.
//
// Three paths, one per vector width, chosen at queue setup (rx_path devarg, the CPU, EAL's
// SIMD limit): scalar (rx_common.hpp), SSE4.1 and AVX2 (rx_vector.hpp, four completions at a
// time). All of them deliver the same mbufs.
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include <cstdio>

#include "datapath/datapath.hpp"
#include "datapath/rx_common.hpp"
#include "log.hpp"
#include "port.hpp"

namespace ena::ng::datapath {

// rx_vector_sse41.cpp, rx_vector_avx2.cpp.
eth_rx_burst_t rx_burst_sse41(bool checksum, bool hash);
eth_rx_burst_t rx_burst_avx2(bool checksum, bool hash);

namespace {

constexpr std::uint64_t kChecksumOffloads =
    RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;

struct ScalarPath {
    template <bool kChecksum, bool kHash>
    static std::uint16_t burst(RxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
        return rx_burst_scalar<kChecksum, kHash>(q, pkts, count);
    }
};

eth_rx_burst_t pick(SimdLevel path, std::uint64_t offloads) {
    const bool checksum = (offloads & kChecksumOffloads) != 0;
    const bool hash = (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0;
    switch (path) {
        case SimdLevel::kAvx2:
            return rx_burst_avx2(checksum, hash);
        case SimdLevel::kSse41:
            return rx_burst_sse41(checksum, hash);
        case SimdLevel::kScalar:
            break;
    }
    return rx_entry_for<ScalarPath>(checksum, hash);
}

}  // namespace

SimdLevel choose_rx_path(RxPathRequest request, const char** why_not) {
    const SimdLevel available = simd_level();
    SimdLevel wanted = available;
    if (request == RxPathRequest::kScalar)
        wanted = SimdLevel::kScalar;
    else if (request == RxPathRequest::kSse41)
        wanted = SimdLevel::kSse41;
    else if (request == RxPathRequest::kAvx2)
        wanted = SimdLevel::kAvx2;
    *why_not = nullptr;
    if (wanted > available) {
        *why_not = "this CPU has not the instructions or EAL limits the vector width (--force-max-simd-bitwidth)";
        wanted = available;
    }
    return wanted;
}

eth_rx_burst_t select_rx_burst(const Port& port) {
    // One function for the port: the narrowest path any of its queues was set up for.
    const rte_eth_dev_data* data = port.data();
    SimdLevel path = SimdLevel::kAvx2;
    for (std::uint16_t i = 0; i < data->nb_rx_queues; ++i)
        if (const RxQueue* q = port.rx_queue(i))
            path = std::min(path, q->config.path);
    return pick(path, data->dev_conf.rxmode.offloads);
}

namespace {

std::uint16_t rx_burst_by_queue_config(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    const RxQueueConfig& config = static_cast<const RxQueue*>(queue)->config;
    return pick(config.path, config.offloads)(queue, pkts, count);
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
    if (offset >= q.posted())
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
    const char* path = queue.config.path == SimdLevel::kScalar ? "scalar" : simd_level_name(queue.config.path);
    std::snprintf(text, size, "%s%s, bulk refill at %u free%s%s", path,
                  queue.config.path == SimdLevel::kScalar ? "" : " (4 completions at a time)",
                  queue.config.free_threshold, (offloads & kChecksumOffloads) ? ", checksum flags" : "",
                  (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) ? ", RSS hash" : "");
}

}  // namespace ena::ng::datapath
