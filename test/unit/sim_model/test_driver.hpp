// A bare-metal test driver: talks to the simulated device only through its BARs and host
// memory, the way a real driver does (readless reads, reset, admin queue, AENQ, IO rings,
// LLQ entries), with nothing hidden from the test. Synchronous mode unless a test says
// otherwise; every register write is followed by on_register_write(), as the vdev glue does.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "ena_hw.hpp"
#include "ena_sim_device.hpp"
#include "host_memory.hpp"

namespace ena::sim::test {

using Bytes = std::vector<std::uint8_t>;

struct AdminResult {
    hw::AdminStatus status = hw::AdminStatus::kUnknownError;
    hw::AdminCompletion completion{};
    template <typename T>
    T as() const {
        T t;
        std::memcpy(&t, &completion, sizeof(T));
        return t;
    }
};

struct RxRing {
    std::uint16_t sq = 0, cq = 0, depth = 0;
    std::uint32_t doorbell = 0;
    std::uint64_t ring = 0, cq_ring = 0;
    std::uint8_t cq_entry = 16;
    std::uint16_t tail = 0;     // descriptors posted
    std::uint32_t cq_head = 0;  // completions consumed
    std::uint32_t buffer_size = 0;
    std::vector<std::uint64_t> buffers;  // by req_id (= slot)
};

struct RxPacket {
    Bytes data;
    std::vector<hw::RxCompletion> completions;
    std::uint32_t status() const { return completions.back().status; }
};

struct TxRing {
    std::uint16_t sq = 0, cq = 0, depth = 0;
    std::uint32_t doorbell = 0;
    bool llq = false;
    std::uint32_t llq_offset = 0;
    hw::LlqLayout layout{};
    std::uint64_t ring = 0, cq_ring = 0;
    std::uint8_t cq_entry = 8;
    std::uint16_t tail = 0;  // descriptors (host) or entries (LLQ) written
    std::uint32_t cq_head = 0;
};

// How to send one packet.
struct TxPacket {
    Bytes frame;
    std::vector<std::size_t> split;  // buffer sizes after the pushed bytes (the last takes the rest)
    std::uint16_t req_id = 0;
    bool comp_req = true;
    int push = -1;  // LLQ: header bytes pushed; -1: min(frame, header room)
    // Offloads (first buffer descriptor) and meta descriptor.
    bool meta = false;
    bool meta_store = true;
    std::uint8_t l3_offset = 14, l3_length = 20, l4_length_words = 5;
    std::uint16_t mss = 0;
    hw::L3Proto l3 = hw::L3Proto::kUnknown;
    hw::L4Proto l4 = hw::L4Proto::kUnknown;
    bool l3_csum = false, l4_csum = false, l4_partial = false, tso = false;
    std::uint64_t buffer_address_override = 0;  // nonzero: use as the first buffer's address
};

class TestDriver {
public:
    explicit TestDriver(DeviceConfig config = {}, EngineMode mode = EngineMode::kSynchronous);

    Device& device() { return *device_; }
    HostMemory& memory() { return memory_; }
    // Whether write() tells the device (Device::on_register_write), as our driver's resources do.
    // Other drivers never do: with false the device sees writes only when it polls its BARs.
    void set_notify_writes(bool notify) { notify_writes_ = notify; }

    // Registers.
    std::uint32_t read_direct(std::uint32_t offset) const;
    void write(std::uint32_t offset, std::uint32_t value);
    void setup_readless();
    std::optional<std::uint32_t> readless(std::uint32_t offset);  // nullopt: no answer
    hw::ReadlessResponse& readless_response() { return *memory_.at<hw::ReadlessResponse>(readless_iova_); }
    bool reset(hw::ResetReason reason = hw::ResetReason::kNormal);

    // Bring-up: readless, reset, admin queue, AENQ (all groups the device supports), host info.
    // With write_aenq_head the AENQ head doorbell is written (every entry free), as DPDK's
    // driver does at the end of its bring-up; Linux and FreeBSD write it later.
    void init_admin(std::uint16_t aq_depth = hw::kAdminQueueDepth, std::uint16_t aenq_depth = hw::kAenqDepth,
                    bool write_aenq_head = true);
    // init_admin without the readless set-up and reset before it: the rings alone.
    void init_admin_rings(std::uint16_t aq_depth, std::uint16_t aenq_depth, bool write_aenq_head);
    void bring_up();  // init_admin + AENQ config + MTU

    // Admin queue.
    // Writes the entry and rings the doorbell; stale_phase writes last lap's phase bit.
    void post_admin(hw::AdminEntry entry, bool stale_phase = false);
    std::optional<hw::AdminCompletion> poll_admin();
    AdminResult admin(const hw::AdminEntry& entry);
    template <typename Command>
    AdminResult admin(const Command& cmd) {
        hw::AdminEntry e{};
        std::memcpy(&e, &cmd, sizeof(cmd));
        return admin(e);
    }
    AdminResult get_feature(hw::FeatureId id, std::uint64_t control = 0, std::uint32_t control_len = 0,
                            std::uint8_t version = 0);
    AdminResult set_feature(hw::SetFeatureCommand cmd);
    // SET_FEATURE RSS indirection table of 2^log_size entries, cqs repeated over it; true on success.
    bool set_rss_table(std::uint16_t log_size, const std::vector<std::uint16_t>& cqs);
    AdminResult set_mtu(std::uint32_t mtu);
    AdminResult set_aenq_groups(std::uint32_t groups);
    AdminResult set_llq(hw::LlqLayout layout, std::uint16_t accel_flags = 3);
    AdminResult create_cq(std::uint16_t depth, std::uint8_t words, std::uint64_t base, bool interrupts = false,
                          std::uint32_t vector = 0);
    AdminResult create_sq(hw::SqDirection dir, hw::PlacementPolicy placement, std::uint16_t cq, std::uint16_t depth,
                          std::uint64_t base);
    AdminResult destroy_sq(std::uint16_t index, hw::SqDirection dir);
    AdminResult destroy_cq(std::uint16_t index);
    AdminResult get_stats(hw::StatsType type, std::uint64_t control = 0, std::uint32_t len = 0,
                          std::uint64_t requested = 0);
    hw::BasicStats basic_stats();

    // AENQ: entries the device wrote since the last call; the head doorbell is written back.
    std::vector<hw::AenqEntry> poll_aenq(bool release = true);

    // IO queues.
    RxRing create_rx(std::uint16_t depth, std::uint32_t buffer_size = 2048, std::uint8_t cq_words = 4);
    void post_rx(RxRing& ring, std::uint16_t count);
    std::vector<RxPacket> poll_rx(RxRing& ring);
    TxRing create_tx(std::uint16_t depth, bool llq = false, std::uint8_t cq_words = 2);
    void send(TxRing& ring, const TxPacket& packet, bool doorbell = true);
    void ring_doorbell(TxRing& ring);
    std::vector<hw::TxCompletion> poll_tx(TxRing& ring);

private:
    std::vector<hw::TxDesc> tx_descriptors(const TxRing& ring, const TxPacket& p, std::size_t pushed);
    void write_llq(TxRing& ring, const std::vector<hw::TxDesc>& descs, const std::uint8_t* header, std::size_t pushed);

    HostMemory memory_;
    std::unique_ptr<Device> device_;
    bool notify_writes_ = true;
    std::uint64_t readless_iova_ = 0;
    std::uint16_t readless_seq_ = 0;
    hw::LlqLayout llq_layout_{};
    // Admin queue.
    std::uint16_t aq_depth_ = 0;
    std::uint64_t aq_ = 0, acq_ = 0;
    std::uint16_t aq_tail_ = 0;
    std::uint32_t acq_head_ = 0;
    std::uint16_t command_id_ = 0;
    // AENQ.
    std::uint16_t aenq_depth_ = 0;
    std::uint64_t aenq_ = 0;
    std::uint32_t aenq_head_ = 0;
};

// Phase helpers (same rule as the device: start at 1, flip each wrap).
constexpr std::uint32_t phase_of(std::uint32_t counter, std::uint32_t depth) { return ((counter / depth) & 1u) ^ 1u; }

}  // namespace ena::sim::test
