// One TxQueue / RxQueue per ethdev queue: created at queue setup with its host rings, bound to
// an IO queue on the device between dev_start and dev_stop.
//
// The burst functions (tx_datapath.cpp, rx_datapath.cpp) work directly on the public members
// below: ring memory, doorbells from the device, ring positions (phases follow from them, hw/rings.hpp), per-request buffer
// tables and counters. Everything the datapath needs from negotiation (placement, LLQ layout,
// accelerated-LLQ limits, header room, descriptor limits) is copied into the queue at setup so
// the hot path never looks elsewhere.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "control/counter.hpp"
#include "control/dma_buffer.hpp"
#include "control/ena_device.hpp"
#include "datapath/simd_support.hpp"
#include "hw/ena_hw.hpp"

namespace ena::ng {

// Per-queue counters: the queue's lcore writes them, any thread or process reads them. The
// statistics calls report each as its value minus the baseline taken at the last reset.
struct TxQueueStats {
    Counter packets;
    Counter bytes;
    Counter errors;              // packets dropped by the driver (all causes below)
    Counter prepare_ctx_errors;  // offload request the device cannot carry out
    Counter polls;               // completion-processing passes
    Counter doorbells;
    Counter bad_req_id;
    Counter missed_completions;
    Counter linearize;        // chains copied into fewer segments
    Counter linearize_failed;
    Counter header_overflow;  // declared headers larger than the LLQ header room
};

struct RxQueueStats {
    Counter packets;
    Counter bytes;
    Counter errors;  // packets with a bad checksum or a completion the driver could not use
    Counter refill_partial;
    Counter l3_csum_bad;
    Counter l4_csum_bad;
    Counter l4_csum_good;
    Counter mbuf_alloc_failures;
    Counter bad_desc_num;
    Counter bad_req_id;
    Counter bad_desc;
    Counter unknown_error;
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
    unsigned llq_store_width = 16;  // bytes per store into LLQ entries (datapath::tx_store_width)
    bool l4_csum_partial = true;  // device finishes a pseudo-header sum (else computes it whole)
    bool tso_ipv6 = false;        // device segments TCP over IPv6
    rte_eth_txconf conf{};
};

// What every IO queue has: rings in host memory and the IO queue on the device. TxQueue and
// RxQueue add their own state: the buffer of each request id in flight and the free ids.
class IoQueue {
public:
    IoQueue(EnaDevice& device, hw::SqDirection direction) : device(&device), direction_(direction) {}
    ~IoQueue();
    IoQueue(const IoQueue&) = delete;
    IoQueue& operator=(const IoQueue&) = delete;

    bool started() const { return started_; }

    // After a doorbell write: the simulated device's engine runs here in some modes; nothing on
    // PCI (no callback).
    void notify_doorbell() const {
        const DeviceResources& r = *resources;
        if (r.after_register_write != nullptr)
            r.after_register_write(r.ctx, doorbell_offset);
    }

    // Before an Rx burst reads the completions: the simulated device's inline engine delivers
    // here what waits for the host; nothing on PCI (no callback).
    void notify_rx_poll() const {
        const DeviceResources& r = *resources;
        if (r.before_rx_poll != nullptr)
            r.before_rx_poll(r.ctx, doorbell_offset);
    }

    // --- datapath state --------------------------------------------------------------------
    EnaDevice* device;
    std::uint16_t ena_qid = 0;  // Tx: 2 * index, Rx: 2 * index + 1
    std::uint16_t mask = 0;     // depth - 1
    DmaBuffer sq_ring;          // host-memory descriptors (none for LLQ Tx)
    DmaBuffer cq_ring;          // completions
    IoQueueHandles io;          // doorbell, LLQ descriptor memory (BAR2), CQ registers
    ResourcesRef resources;     // this process's view of the device
    std::uint32_t doorbell_offset = 0;  // the SQ doorbell in BAR0

protected:
    // Host rings (sq_bytes 0: none). Returns 0 or -errno, with one line naming the queue.
    int allocate(std::uint16_t index, std::uint16_t depth, int socket, std::size_t sq_bytes, std::size_t cq_bytes);
    // Fresh rings, then the IO queue on the device.
    int create(const IoQueueSpec& spec);
    // Destroys the IO queue. Returns whether there was one (its buffers are the caller's to free).
    bool destroy();

private:
    hw::SqDirection direction_;
    bool started_ = false;
};

// What the Tx datapath keeps per request id, in one table so that a packet's bookkeeping is
// one cache line and one base register away.
struct TxRequest {
    rte_mbuf* mbuf;  // the packet holding the id; nullptr when none
    // One word the datapath writes whole and the watchdog reads from its own thread: the ring
    // units the packet holds (bits 0-14), whether it is a chain of mbufs (bit 15: completion
    // frees it whole without reading it), and the watchdog tick it was handed over at (bits
    // 16-31; TxQueue::kNotInFlight when no packet holds the id).
    std::uint32_t word;
    // Entry k of the free-id stack (TxQueue::free_ids), not this id's: the stack shares the
    // table's lines and base address.
    std::uint16_t free_id;
    std::uint16_t reserved;
};
static_assert(sizeof(TxRequest) == 16);

class TxQueue : public IoQueue {
public:
    TxQueue(EnaDevice& device, const TxQueueConfig& config) : IoQueue(device, hw::SqDirection::kTx), config(config) {}
    ~TxQueue();

    // Allocates the host rings and buffer tables. Returns 0 or -errno.
    int allocate();
    // Creates the IO queue on the device and resets the ring state.
    int start();
    // Destroys the IO queue and frees the mbufs still in flight.
    void stop();

    // --- datapath state --------------------------------------------------------------------
    TxQueueConfig config;
    std::uint16_t sq_tail = 0;           // free-running ring units written: LLQ entries or descriptors
    std::uint16_t sq_released = 0;       // free-running ring units the device has completed
    std::uint16_t cq_head = 0;
    // Free request ids: requests[0, free_ids).free_id, a stack (the id freed last is used next,
    // its table entry still in cache).
    std::uint16_t free_ids = 0;
    std::uint16_t entries_since_doorbell = 0;  // accelerated LLQ burst budget
    bool halted = false;              // the device sent a completion we cannot trust: wait for reset
    bool header_overflow_reported = false;
    bool multi_seg_refusal_reported = false;
    rte_mempool* fast_free_pool = nullptr;  // with FAST_FREE: the pool of every mbuf sent
    // Per request id (depth entries). Missing-completion watch (watchdog.cpp): the datapath
    // stamps each request id with the watchdog's tick when it hands the packet over and clears
    // the stamp at its completion; the watchdog, the only other party, finds the packets
    // outstanding longer than miss_txc_to.
    TxRequest* requests = nullptr;
    static constexpr std::uint16_t kNotInFlight = 0xFFFF;  // a tick never takes this value
    static constexpr std::uint32_t kIdle = std::uint32_t{kNotInFlight} << 16;  // no packet holds the id
    static constexpr std::uint32_t request_word(std::uint32_t units, bool chain, std::uint16_t tick) {
        return units | (chain ? 0x8000u : 0u) | (std::uint32_t{tick} << 16);
    }
    static constexpr std::uint16_t request_units(std::uint32_t word) { return static_cast<std::uint16_t>(word & 0x7FFF); }
    static constexpr bool request_chain(std::uint32_t word) { return (word & 0x8000) != 0; }
    static constexpr std::uint16_t request_tick(std::uint32_t word) { return static_cast<std::uint16_t>(word >> 16); }
    std::uint16_t watch_tick = 0;          // the watchdog writes it; read once per burst
    std::uint16_t* missed_tick = nullptr;  // the watchdog's: stamp + 1 of a packet counted missing
    std::uint16_t* completed_mark = nullptr;  // the watchdog's: pass in which it saw the completion
    bool missed_reported = false;          // the watchdog said so once for this start
    TxQueueStats stats;
    TxQueueStats baseline;  // the counters at the last statistics reset (control path)

    // Also read from other threads (xstats available_desc): the datapath stores sq_tail and
    // sq_released relaxed.
    std::uint16_t free_units() const {
        return static_cast<std::uint16_t>(config.depth - (load_relaxed(sq_tail) - load_relaxed(sq_released)));
    }
};

struct RxQueueConfig {
    std::uint16_t index = 0;
    std::uint16_t port_id = 0;
    std::uint16_t depth = 0;
    int socket = SOCKET_ID_ANY;
    rte_mempool* pool = nullptr;
    std::uint16_t buffer_size = 0;  // data room after headroom
    std::uint16_t max_sgl = 0;      // descriptors per packet
    std::uint16_t free_threshold = 0;
    std::uint64_t offloads = 0;  // RTE_ETH_RX_OFFLOAD_* of port and queue
    bool check_mbz = false;      // the device promises must-be-zero completion bits
    datapath::SimdLevel path = datapath::SimdLevel::kScalar;  // vector width of the burst function
    rte_eth_rxconf conf{};
};

class RxQueue : public IoQueue {
public:
    RxQueue(EnaDevice& device, const RxQueueConfig& config) : IoQueue(device, hw::SqDirection::kRx), config(config) {}
    ~RxQueue();

    int allocate();
    // Creates the IO queue on the device, resets the ring state and posts buffers.
    int start();
    // Destroys the IO queue and frees the posted mbufs.
    void stop();

    // --- datapath state --------------------------------------------------------------------
    RxQueueConfig config;
    std::uint16_t sq_tail = 0;
    std::uint16_t cq_head = 0;
    // Request ids not posted: free_req_ids[0, free_ids), a stack (the id completed last is
    // posted next).
    std::uint16_t free_ids = 0;
    bool halted = false;              // the device sent a completion we cannot trust: wait for reset
    rte_mbuf** mbufs = nullptr;             // depth entries, indexed by request id
    std::uint16_t* free_req_ids = nullptr;  // depth entries
    std::uint64_t mbuf_rearm = 0;     // data_off, refcnt, nb_segs, port of a fresh Rx mbuf
    rte_mbuf** refill_scratch = nullptr;  // depth entries: a bulk allocation lands here
    // The CQ's MSI-X vector from the next start on (the port sets it with intr_conf.rxq).
    std::uint32_t msix_vector = kNoMsixVector;
    RxQueueStats stats;
    RxQueueStats baseline;  // the counters at the last statistics reset (control path)

    // Buffers the driver may still post (one slot stays empty, as on every ENA driver).
    std::uint16_t free_slots() const {
        return static_cast<std::uint16_t>(free_ids - 1);
    }
    // Buffers posted, waiting for the device.
    std::uint16_t posted() const { return static_cast<std::uint16_t>(config.depth - free_ids);
    }
};

}  // namespace ena::ng
