#include "datapath/queues.hpp"

#include <rte_log.h>

#include <cerrno>

#include "datapath/datapath.hpp"
#include "log.hpp"
#include "socket_alloc.hpp"

namespace ena::ng {

namespace {

constexpr std::size_t kRingAlign = 4096;  // the device wants page-aligned rings


}  // namespace

IoQueue::~IoQueue() { destroy(); }

int IoQueue::allocate(std::uint16_t index, std::uint16_t depth, int socket, std::size_t sq_bytes, std::size_t cq_bytes) {
    const DeviceResources& resources = device->resources();
    const bool tx = direction_ == hw::SqDirection::kTx;
    const char* kind = tx ? "tx" : "rx";
    ena_qid = tx ? hw::tx_queue_id(index) : hw::rx_queue_id(index);
    mask = static_cast<std::uint16_t>(depth - 1);
    char name[24];
    int rc = 0;
    if (sq_bytes != 0) {
        std::snprintf(name, sizeof(name), "%sq%u_sq", kind, index);
        rc = sq_ring.allocate(resources, name, sq_bytes, kRingAlign, socket);
    }
    if (rc == 0) {
        std::snprintf(name, sizeof(name), "%sq%u_cq", kind, index);
        rc = cq_ring.allocate(resources, name, cq_bytes, kRingAlign, socket);
    }
    if (rc != 0)
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot allocate %s queue %u (%u descriptors): %d", resources.name,
            tx ? "Tx" : "Rx", index, depth, rc);
    return rc;
}

int IoQueue::create(const IoQueueSpec& spec) {
    sq_ring.zero();
    // Stale completions from the previous run would look valid to a fresh phase.
    cq_ring.zero();
    const int rc = device->create_io_queue(spec, io);
    if (rc != 0)
        return rc;
    const DeviceResources& r = device->resources();
    resources = ResourcesRef(r.slot);
    doorbell_offset = static_cast<std::uint32_t>(reinterpret_cast<volatile std::uint8_t*>(io.sq_doorbell) - r.registers);
    started_ = true;
    return 0;
}

bool IoQueue::destroy() {
    if (!started_)
        return false;
    // A device waiting for its reset loses every queue in that reset; asking it first (it may
    // have stopped answering) would only wait out the admin timeout.
    if (!device->reset_requested())
        device->destroy_io_queue(io, direction_);
    io = IoQueueHandles{};
    started_ = false;
    return true;
}

// --- Tx ---------------------------------------------------------------------------------------

TxQueue::~TxQueue() {
    stop();
    rte_free(requests);
    rte_free(missed_tick);
    rte_free(completed_mark);
}

int TxQueue::allocate() {
    const std::uint16_t depth = config.depth;
    const std::size_t sq_bytes = config.placement == TxPlacement::kHost ? std::size_t{depth} * sizeof(hw::TxDesc) : 0;
    int rc = IoQueue::allocate(config.index, depth, config.socket, sq_bytes, std::size_t{depth} * sizeof(hw::TxCompletion));
    if (rc == 0) {
        requests = array_on_socket<TxRequest>(depth, config.socket);
        missed_tick = array_on_socket<std::uint16_t>(depth, config.socket);
        completed_mark = array_on_socket<std::uint16_t>(depth, config.socket);
        if (requests == nullptr || missed_tick == nullptr || completed_mark == nullptr)
            rc = -ENOMEM;
    }
    return rc;
}

int TxQueue::start() {
    if (started())
        return 0;
    sq_tail = 0;
    sq_released = 0;
    cq_head = 0;
    free_ids = config.depth;
    entries_since_doorbell = 0;
    store_relaxed(halted, false);
    missed_reported = false;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        requests[i].mbuf = nullptr;
        store_relaxed(requests[i].word, kIdle);
        requests[i].free_id = static_cast<std::uint16_t>(config.depth - 1 - i);  // the stack hands out 0 first
        missed_tick[i] = 0;
        completed_mark[i] = kNotInFlight;
    }
    IoQueueSpec spec;
    spec.direction = hw::SqDirection::kTx;
    spec.depth = config.depth;
    spec.placement = config.placement;
    spec.sq_ring_iova = sq_ring.iova();
    spec.cq_ring_iova = cq_ring.iova();
    spec.cq_entry_words = sizeof(hw::TxCompletion) / 4;
    spec.numa_node = config.socket;
    return create(spec);
}

void TxQueue::stop() {
    if (!destroy())
        return;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        rte_pktmbuf_free(requests[i].mbuf);
        requests[i].mbuf = nullptr;
    }
}

// --- Rx ---------------------------------------------------------------------------------------

RxQueue::~RxQueue() {
    stop();
    rte_free(refill_scratch);
    rte_free(mbufs);
    rte_free(free_req_ids);
}

int RxQueue::allocate() {
    const std::uint16_t depth = config.depth;
    int rc = IoQueue::allocate(config.index, depth, config.socket, std::size_t{depth} * sizeof(hw::RxDesc),
                               std::size_t{depth} * sizeof(hw::RxCompletion));
    if (rc == 0) {
        refill_scratch = array_on_socket<rte_mbuf*>(depth, config.socket);
        mbufs = array_on_socket<rte_mbuf*>(depth, config.socket);
        free_req_ids = array_on_socket<std::uint16_t>(depth, config.socket);
        if (refill_scratch == nullptr || mbufs == nullptr || free_req_ids == nullptr)
            rc = -ENOMEM;
    }
    return rc;
}

int RxQueue::start() {
    if (started())
        return 0;
    sq_tail = 0;
    cq_head = 0;
    free_ids = config.depth;
    store_relaxed(halted, false);
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        free_req_ids[i] = static_cast<std::uint16_t>(config.depth - 1 - i);  // the stack hands out 0 first
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
    spec.msix_vector = msix_vector;
    const int rc = create(spec);
    if (rc != 0)
        return rc;
    datapath::rx_queue_post_initial(*this);
    return 0;
}

void RxQueue::stop() {
    if (!destroy())
        return;
    for (std::uint16_t i = 0; i < config.depth; ++i) {
        rte_pktmbuf_free(mbufs[i]);
        mbufs[i] = nullptr;
    }
}

}  // namespace ena::ng
