// The Tx half of the IO engine: reads packets from Tx SQs (host-memory rings or LLQ entries in
// BAR2) up to each doorbell, gathers their bytes, applies offloads, sends frames to the wire
// and writes Tx completions. Used under the device's process_mutex. No allocation per packet:
// the scratch buffers are sized once.
//
// The frames of one pass over a queue go to the wire together (Wire::transmit_burst), so a
// receiver takes its lock once per burst; the packet nearly every driver sends on accelerated
// LLQ -- one entry, a meta and a buffer descriptor, no offload -- is gathered straight into
// that batch (run_simple_llq), and on a wire that takes split frames only its headers are: the
// receiver reads the rest from the driver's buffer. So the pass's completions are written after
// its frames went out (the buffers are the driver's again only then). The clock is read once
// per pass.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "aenq.hpp"
#include "device_core.hpp"
#include "offloads.hpp"

namespace ena::sim::detail {

class TxEngine {
public:
    // Largest frame the device gathers: a 64 KiB TSO payload plus headers.
    static constexpr std::size_t kMaxGather = 65536 + 512;

    TxEngine(DeviceCore& core, Aenq& aenq);

    // Serves every Tx SQ whose doorbell moved; true when anything was consumed.
    bool service();
    // The same for the Tx SQ at `index` alone (inline mode: its doorbell was written).
    bool service_one(std::uint16_t index);
    // Sends the frames of the egress shaping queue whose time has come; true when any left.
    bool drain_shaped();

    // Frames gathered for the wire in one pass: room for this many, and bytes.
    static constexpr std::size_t kBatchFrames = 64;
    static constexpr std::size_t kBatchBytes = 256 * 1024;
    // Completions held until the frames before them went out.
    static constexpr std::size_t kPendingCompletions = 256;
    // Buffer bytes a split frame carries in its head (parse_head's slack), and the least a
    // buffer must hold beyond them to be worth splitting.
    static constexpr std::size_t kSplitHead = kParseSlack;
    static constexpr std::size_t kSplitMin = 256;

private:
    // The descriptors of one packet as read from the queue.
    struct Packet {
        std::uint32_t descs = 0;         // descriptors seen (may exceed what descs_ holds)
        std::uint16_t units = 0;         // ring slots (host) or LLQ entries consumed
        const std::uint8_t* llq_entry = nullptr;  // first LLQ entry (pushed header lives there)
        bool bad_phase = false;
        bool last_found = false;
    };

    bool stalled(SubmissionQueue& sq, std::uint16_t tail);
    bool service_queue(std::uint16_t index, SubmissionQueue& sq, std::uint16_t tail);
    // The common accelerated-LLQ packets from sq.head on (up to `tail`), each done whole, until
    // one that is not; false when none was (nothing consumed): the general path reads it.
    bool run_simple_llq(SubmissionQueue& sq, std::uint16_t tail);
    bool read_host(const SubmissionQueue& sq, std::uint16_t tail, Packet& pkt);
    bool read_llq(const SubmissionQueue& sq, std::uint16_t tail, Packet& pkt);
    bool keep_desc(Packet& pkt, const hw::TxDesc& d, std::uint32_t expected_phase);
    void run_packet(SubmissionQueue& sq, const Packet& pkt);
    // Builds the frame and sends it; returns false when the packet was dropped.
    bool transmit_packet(SubmissionQueue& sq, const Packet& pkt, std::uint32_t first_buffer);
    // One frame for the wire: size and link checks, the Nitro egress stage, then emit(). `tail`:
    // the rest of a split frame (only when no egress stage applies to it).
    void send(std::span<const std::uint8_t> frame, const PacketInfo& info, std::span<const std::uint8_t> tail = {});
    // The frame leaves the card (ENA Express decided on wires that know the receiver).
    void emit(std::span<const std::uint8_t> frame, const PacketInfo& info, std::span<const std::uint8_t> tail = {});
    // The packet's completion: written at the next flush(), after the frames before it.
    void complete(SubmissionQueue& sq, std::uint16_t req_id);
    void write_completions();
    // The batch: room for a frame of `len` bytes at its end (flushing first when full), and
    // sending what it holds to the wire.
    std::uint8_t* reserve(std::size_t len);
    void flush();
    void drop_malformed() {
        ++core_.stats.malformed_tx;
        ++core_.stats.tx_drops;
    }

    DeviceCore& core_;
    Aenq& aenq_;
    std::vector<hw::TxDesc> descs_;     // the current packet's descriptors
    std::vector<std::uint8_t> frame_;   // the current packet's bytes
    std::vector<std::uint8_t> segment_; // one TSO segment
    IovaCache buffers_;                 // where the last Tx buffer was
    std::uint64_t now_ = 0;             // the pass's time
    bool in_pass_ = false;              // serving a queue: the batch goes at the end
    std::unique_ptr<std::uint8_t[]> batch_bytes_;
    std::size_t batch_used_ = 0;
    std::size_t batch_count_ = 0;
    std::array<std::span<const std::uint8_t>, kBatchFrames> batch_;  // frames in batch_bytes_, in order
    std::array<PacketInfo, kBatchFrames> batch_info_;               // their parse
    std::array<std::span<const std::uint8_t>, kBatchFrames> batch_tail_;  // their tails (split frames)
    bool batch_split_ = false;  // a frame of the batch is split
    struct Pending {
        SubmissionQueue* sq;
        std::uint16_t req_id;
        std::uint16_t head;  // the SQ head when the packet was done (sq_head_index)
    };
    std::array<Pending, kPendingCompletions> pending_;
    std::size_t pending_count_ = 0;
};

}  // namespace ena::sim::detail
