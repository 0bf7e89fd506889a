// One TxQueue / RxQueue per ethdev queue: created at queue setup with its host rings, bound to
// an IO queue on the device between dev_start and dev_stop.
//
// The burst functions (tx_datapath.cpp, rx_datapath.cpp) work directly on the public members
// below: ring memory, doorbells from the device, ring positions and phases, per-request buffer
// tables and counters. Everything the datapath needs from negotiation (placement, LLQ layout,
// accelerated-LLQ limits, header room, descriptor limits) is copied into the queue at setup so
// the hot path never looks elsewhere.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dma_buffer.hpp"
#include "ena_device.hpp"
#include "hw/ena_hw.hpp"

namespace ena::ng {

struct TxQueueStats {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t errors = 0;
    std::uint64_t prepare_ctx_errors = 0;
    std::uint64_t polls = 0;
    std::uint64_t doorbells = 0;
    std::uint64_t bad_req_id = 0;
    std::uint64_t missed_completions = 0;
};

struct RxQueueStats {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t errors = 0;  // bad descriptors / request ids
    std::uint64_t refill_partial = 0;
    std::uint64_t l3_csum_bad = 0;
    std::uint64_t l4_csum_bad = 0;
    std::uint64_t l4_csum_good = 0;
    std::uint64_t mbuf_alloc_failures = 0;
    std::uint64_t bad_desc_num = 0;
    std::uint64_t bad_req_id = 0;
    std::uint64_t bad_desc = 0;
    std::uint64_t unknown_error = 0;
};

struct TxQueueConfig {
    std::uint16_t index = 0;
    std::uint16_t depth = 0;
    int socket = SOCKET_ID_ANY;
    TxPlacement placement = TxPlacement::kHost;
    hw::LlqLayout llq_layout{};
    bool disable_meta_caching = false;
    std::uint16_t max_entries_per_burst = 0;  // 0: no doorbell budget
    std::uint16_t max_header_size = 0;        // bytes pushed with LLQ (layout header room)
    std::uint16_t max_sgl = 0;                // descriptors per packet, meta included
    std::uint16_t free_threshold = 0;
    std::uint64_t offloads = 0;  // RTE_ETH_TX_OFFLOAD_* of port and queue
    rte_eth_txconf conf{};
};

class TxQueue {
public:
    TxQueue(EnaDevice& device, const TxQueueConfig& config) : device(&device), config(config) {}
    ~TxQueue();
    TxQueue(const TxQueue&) = delete;
    TxQueue& operator=(const TxQueue&) = delete;

    // Allocates the host rings and buffer tables. Returns 0 or -errno.
    int allocate();
    // Creates the IO queue on the device and resets the ring state.
    int start();
    // Destroys the IO queue and frees the mbufs still in flight.
    void stop();
    bool started() const { return started_; }

    // --- datapath state --------------------------------------------------------------------
    EnaDevice* device;
    TxQueueConfig config;
    std::uint16_t ena_qid = 0;  // 2 * index
    std::uint16_t mask = 0;     // depth - 1
    DmaBuffer sq_ring;          // host placement: depth hw::TxDesc
    DmaBuffer cq_ring;          // depth hw::TxCompletion
    std::uint8_t* llq_bounce = nullptr;  // LLQ: one entry built in host memory, then copied to BAR2
    IoQueueHandles io;                   // doorbell, LLQ descriptor memory (BAR2), CQ registers
    std::uint16_t sq_tail = 0;           // free-running; LLQ: entries
    std::uint8_t sq_phase = 1;
    std::uint16_t cq_head = 0;
    std::uint8_t cq_phase = 1;
    std::uint16_t next_to_use = 0;    // request ids handed out
    std::uint16_t next_to_clean = 0;  // request ids returned
    rte_mbuf** mbufs = nullptr;       // depth entries, indexed by request id
    std::uint16_t* free_req_ids = nullptr;  // depth entries
    TxQueueStats stats;

private:
    bool started_ = false;
};

struct RxQueueConfig {
    std::uint16_t index = 0;
    std::uint16_t depth = 0;
    int socket = SOCKET_ID_ANY;
    rte_mempool* pool = nullptr;
    std::uint16_t buffer_size = 0;  // data room after headroom
    std::uint16_t max_sgl = 0;      // descriptors per packet
    std::uint16_t free_threshold = 0;
    std::uint64_t offloads = 0;  // RTE_ETH_RX_OFFLOAD_* of port and queue
    rte_eth_rxconf conf{};
};

class RxQueue {
public:
    RxQueue(EnaDevice& device, const RxQueueConfig& config) : device(&device), config(config) {}
    ~RxQueue();
    RxQueue(const RxQueue&) = delete;
    RxQueue& operator=(const RxQueue&) = delete;

    int allocate();
    // Creates the IO queue on the device, resets the ring state and posts buffers.
    int start();
    // Destroys the IO queue and frees the posted mbufs.
    void stop();
    bool started() const { return started_; }

    // --- datapath state --------------------------------------------------------------------
    EnaDevice* device;
    RxQueueConfig config;
    std::uint16_t ena_qid = 0;  // 2 * index + 1
    std::uint16_t mask = 0;
    DmaBuffer sq_ring;  // depth hw::RxDesc
    DmaBuffer cq_ring;  // depth hw::RxCompletion
    IoQueueHandles io;
    std::uint16_t sq_tail = 0;
    std::uint8_t sq_phase = 1;
    std::uint16_t cq_head = 0;
    std::uint8_t cq_phase = 1;
    std::uint16_t next_to_use = 0;
    std::uint16_t next_to_clean = 0;
    rte_mbuf** mbufs = nullptr;             // depth entries, indexed by request id
    std::uint16_t* free_req_ids = nullptr;  // depth entries
    RxQueueStats stats;

private:
    bool started_ = false;
};

}  // namespace ena::ng
