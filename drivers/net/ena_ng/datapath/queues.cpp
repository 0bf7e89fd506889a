#include "datapath/queues.hpp"

#include <rte_log.h>

#include <cerrno>

#include "datapath/datapath.hpp"
#include "log.hpp"
#include "socket_alloc.hpp"

namespace ena::ng {

namespace {

constexpr std::size_t kRingAlign = 4096;  // the device wants page-aligned rings

DoorbellNotify doorbell_notify(const DeviceResources& resources, volatile std::uint32_t* doorbell) {
    DoorbellNotify notify;
    notify.function = resources.after_register_write;
    notify.ctx = resources.ctx;
    notify.offset = static_cast<std::uint32_t>(reinterpret_cast<volatile std::uint8_t*>(doorbell) - resources.registers);
    return notify;
}

}  // namespace

// --- Tx ---------------------------------------------------------------------------------------

TxQueue::~TxQueue() {
    stop();
    rte_free(mbufs);
    rte_free(units);
    rte_free(free_req_ids);
}

int TxQueue::allocate() {
    const DeviceResources& resources = device->resources();
    const std::uint16_t depth = config.depth;
    ena_qid = hw::tx_queue_id(config.index);
    mask = static_cast<std::uint16_t>(depth - 1);
    char name[24];
    int rc = 0;
    if (config.placement == TxPlacement::kHost) {
        std::snprintf(name, sizeof(name), "txq%u_sq", config.index);
        rc = sq_ring.allocate(resources, name, std::size_t{depth} * sizeof(hw::TxDesc), kRingAlign, config.socket);
    }
    if (rc == 0) {
        std::snprintf(name, sizeof(name), "txq%u_cq", config.index);
        rc = cq_ring.allocate(resources, name, std::size_t{depth} * sizeof(hw::TxCompletion), kRingAlign,
                              config.socket);
    }
    if (rc == 0) {
        mbufs = array_on_socket<rte_mbuf*>(depth, config.socket);
        units = array_on_socket<std::uint16_t>(depth, config.socket);
        free_req_ids = array_on_socket<std::uint16_t>(depth, config.socket);
        if (mbufs == nullptr || units == nullptr || free_req_ids == nullptr)
            rc = -ENOMEM;
    }
    if (rc != 0)
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot allocate Tx queue %u (%u descriptors): %d", resources.name,
            config.index, depth, rc);
    return rc;
}

int TxQueue::start() {
    if (started_)
        return 0;
    sq_ring.zero();
    // Stale completions from the previous run would look valid to a fresh phase.
    cq_ring.zero();
    sq_tail = 0;
    sq_released = 0;
    cq_head = 0;
    next_to_use = 0;
    next_to_clean = 0;
    entries_since_doorbell = 0;
    halted = false;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        free_req_ids[i] = i;
        mbufs[i] = nullptr;
        units[i] = 0;
    }
    IoQueueSpec spec;
    spec.direction = hw::SqDirection::kTx;
    spec.depth = config.depth;
    spec.placement = config.placement;
    spec.sq_ring_iova = sq_ring.iova();
    spec.cq_ring_iova = cq_ring.iova();
    spec.cq_entry_words = sizeof(hw::TxCompletion) / 4;
    spec.numa_node = config.socket;
    const int rc = device->create_io_queue(spec, io);
    if (rc != 0)
        return rc;
    notify = doorbell_notify(device->resources(), io.sq_doorbell);
    started_ = true;
    return 0;
}

void TxQueue::stop() {
    if (!started_)
        return;
    device->destroy_io_queue(io, hw::SqDirection::kTx);
    io = IoQueueHandles{};
    started_ = false;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        rte_pktmbuf_free(mbufs[i]);
        mbufs[i] = nullptr;
    }
}

// --- Rx ---------------------------------------------------------------------------------------

RxQueue::~RxQueue() {
    stop();
    rte_free(mbufs);
    rte_free(free_req_ids);
    rte_free(refill_scratch);
}

int RxQueue::allocate() {
    const DeviceResources& resources = device->resources();
    const std::uint16_t depth = config.depth;
    ena_qid = hw::rx_queue_id(config.index);
    mask = static_cast<std::uint16_t>(depth - 1);
    char name[24];
    std::snprintf(name, sizeof(name), "rxq%u_sq", config.index);
    int rc = sq_ring.allocate(resources, name, std::size_t{depth} * sizeof(hw::RxDesc), kRingAlign, config.socket);
    if (rc == 0) {
        std::snprintf(name, sizeof(name), "rxq%u_cq", config.index);
        rc = cq_ring.allocate(resources, name, std::size_t{depth} * sizeof(hw::RxCompletion), kRingAlign,
                              config.socket);
    }
    if (rc == 0) {
        mbufs = array_on_socket<rte_mbuf*>(depth, config.socket);
        free_req_ids = array_on_socket<std::uint16_t>(depth, config.socket);
        refill_scratch = array_on_socket<rte_mbuf*>(depth, config.socket);
        if (mbufs == nullptr || free_req_ids == nullptr || refill_scratch == nullptr)
            rc = -ENOMEM;
    }
    if (rc != 0)
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot allocate Rx queue %u (%u descriptors): %d", resources.name,
            config.index, depth, rc);
    return rc;
}

int RxQueue::start() {
    if (started_)
        return 0;
    sq_ring.zero();
    cq_ring.zero();
    sq_tail = 0;
    cq_head = 0;
    next_to_use = 0;
    next_to_clean = 0;
    halted = false;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        free_req_ids[i] = i;
        mbufs[i] = nullptr;
    }
    IoQueueSpec spec;
    spec.direction = hw::SqDirection::kRx;
    spec.depth = config.depth;
    spec.placement = TxPlacement::kHost;
    spec.sq_ring_iova = sq_ring.iova();
    spec.cq_ring_iova = cq_ring.iova();
    spec.cq_entry_words = sizeof(hw::RxCompletion) / 4;
    spec.numa_node = config.socket;
    int rc = device->create_io_queue(spec, io);
    if (rc != 0)
        return rc;
    notify = doorbell_notify(device->resources(), io.sq_doorbell);
    started_ = true;
    rc = datapath::rx_queue_post_initial(*this);
    if (rc != 0) {
        log(g_log_rx, RTE_LOG_ERR, "%s: cannot post the first buffers of Rx queue %u: %d", device->resources().name,
            config.index, rc);
        stop();
    }
    return rc;
}

void RxQueue::stop() {
    if (!started_)
        return;
    device->destroy_io_queue(io, hw::SqDirection::kRx);
    io = IoQueueHandles{};
    started_ = false;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        rte_pktmbuf_free(mbufs[i]);
        mbufs[i] = nullptr;
    }
}

}  // namespace ena::ng
