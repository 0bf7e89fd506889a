// IO queues as the device keeps them: flat structs in fixed arrays indexed by the queue index
// the device hands out. An SQ gets the index of the CQ it is bound to (each CQ serves one SQ),
// so "CQ index of the Rx queue" in the RSS table and the Rx SQ index are the same number.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "guest_memory.hpp"

namespace ena::sim::detail {

// Offload context of a Tx meta descriptor (cached per queue when meta_store allows it).
struct TxOffloadContext {
    bool valid = false;
    std::uint8_t l3_offset = 0;
    std::uint8_t l3_length = 0;
    std::uint8_t l4_length_words = 0;
    std::uint16_t mss = 0;
};

struct CompletionQueue {
    bool exists = false;
    bool bound = false;  // an SQ uses it
    bool interrupt_mode = false;
    std::uint8_t entry_size = 0;  // bytes: 8, 16 or 32
    std::uint16_t depth = 0;
    std::uint32_t msix_vector = 0;
    std::uint64_t base = 0;
    std::uint8_t* ring = nullptr;  // host memory, mapped once at creation
    std::uint32_t produced = 0;    // completions written, free-running
    bool rx = false;               // the SQ bound to it receives (its unmask register's Rx delay applies)
    // Set when the driver writes Unmask to the CQ's unmask register; cleared when it fires or
    // when the driver writes the register without Unmask.
    std::atomic<bool> armed{false};
    // Interrupt moderation: the delay from the first completion after an unmask to the
    // interrupt (the unmask register's delay field times the device's resolution), and when a
    // delayed interrupt is due (0: none).
    std::atomic<std::uint64_t> delay_ns{0};
    std::atomic<std::uint64_t> fire_at_ns{0};
    // The CQ head the driver last wrote to the head doorbell (completions it consumed), once it
    // has written one: an unmask then fires at once for completions beyond it.
    std::uint16_t driver_head = 0;
    bool head_reported = false;

    std::uint8_t* next_entry() const { return ring + hw::ring_slot(produced, depth) * entry_size; }
    std::uint32_t phase() const { return hw::ring_phase(produced, depth); }

    void clear() {
        exists = bound = interrupt_mode = false;
        entry_size = 0;
        depth = 0;
        msix_vector = 0;
        base = 0;
        ring = nullptr;
        produced = 0;
        rx = false;
        armed.store(false, std::memory_order_relaxed);
        delay_ns.store(0, std::memory_order_relaxed);
        fire_at_ns.store(0, std::memory_order_relaxed);
        driver_head = 0;
        head_reported = false;
    }
};

struct SubmissionQueue {
    bool exists = false;
    bool rx = false;
    bool llq = false;  // Tx descriptors in device memory (BAR2)
    std::uint16_t depth = 0;
    std::uint16_t cq = 0;
    std::uint16_t llq_slot = 0;
    std::uint32_t llq_offset = 0;
    std::uint64_t base = 0;
    const std::uint8_t* ring = nullptr;  // host ring (mapped once) or the queue's LLQ region
    std::uint16_t head = 0;       // descriptors (host) or entries (LLQ) consumed, free-running
    std::uint16_t last_doorbell = 0;
    TxOffloadContext cached_meta;
    // Rx: what the host reads of this queue's completions (RxCompletionUse).
    bool report_checksums = true;
    bool report_hash = true;
    std::uint32_t tx_rank = 0;  // Tx: its number among the Tx SQs, in index order (queues_changed)
    // Tx queue stall (Fault::kTxQueueStall): the doorbell the device last ignored.
    bool stalled = false;
    std::uint16_t ignored_doorbell = 0;
    // Rx: the request ids of the last buffers completed, newest at (completed_count - 1) % size
    // (Fault::kRxStaleReqId names one of them).
    std::array<std::uint16_t, 8> completed_ids{};
    std::uint32_t completed_count = 0;

    void clear() { *this = SubmissionQueue{}; }
};

class QueueTable {
public:
    explicit QueueTable(std::uint16_t max_io_queues)
        : max_io_queues_(max_io_queues),
          capacity_(static_cast<std::uint16_t>(2 * max_io_queues)),
          cqs_(new CompletionQueue[capacity_]),
          sqs_(new SubmissionQueue[capacity_]),
          llq_slots_(new bool[max_io_queues]()) {}

    std::uint16_t capacity() const { return capacity_; }  // queue indices: Tx + Rx
    std::uint16_t max_io_queues() const { return max_io_queues_; }

    CompletionQueue& cq(std::uint16_t i) { return cqs_[i]; }
    const CompletionQueue& cq(std::uint16_t i) const { return cqs_[i]; }
    SubmissionQueue& sq(std::uint16_t i) { return sqs_[i]; }
    const SubmissionQueue& sq(std::uint16_t i) const { return sqs_[i]; }

    std::optional<std::uint16_t> free_cq() const {
        for (std::uint16_t i = 0; i < capacity_; ++i)
            if (!cqs_[i].exists)
                return i;
        return std::nullopt;
    }
    unsigned sq_count(bool rx) const {
        unsigned n = 0;
        for (std::uint16_t i = 0; i < capacity_; ++i)
            n += sqs_[i].exists && sqs_[i].rx == rx;
        return n;
    }
    bool any_llq_sq() const {
        for (std::uint16_t i = 0; i < capacity_; ++i)
            if (sqs_[i].exists && sqs_[i].llq)
                return true;
        return false;
    }
    std::optional<std::uint16_t> take_llq_slot() {
        for (std::uint16_t i = 0; i < max_io_queues_; ++i)
            if (!llq_slots_[i]) {
                llq_slots_[i] = true;
                return i;
            }
        return std::nullopt;
    }
    void release_llq_slot(std::uint16_t slot) { llq_slots_[slot] = false; }

    void clear() {
        for (std::uint16_t i = 0; i < capacity_; ++i) {
            cqs_[i].clear();
            sqs_[i].clear();
        }
        for (std::uint16_t i = 0; i < max_io_queues_; ++i)
            llq_slots_[i] = false;
    }

private:
    std::uint16_t max_io_queues_;
    std::uint16_t capacity_;
    std::unique_ptr<CompletionQueue[]> cqs_;
    std::unique_ptr<SubmissionQueue[]> sqs_;
    std::unique_ptr<bool[]> llq_slots_;
};

}  // namespace ena::sim::detail
