// The Rx half of the IO engine: a frame from the wire is steered by RSS to an Rx queue,
// written across the buffers the driver posted (up to the Rx SQ doorbell) and announced with
// one Rx completion per buffer, checksums verified when the host reads them. Runs under the
// device's rx_mutex only; each locked stretch starts with begin_pass(), which reads the clock
// once for the frames it delivers.
#pragma once

#include <vector>

#include "device_core.hpp"

namespace ena::sim::detail {

class RxEngine {
public:
    explicit RxEngine(DeviceCore& core);

    // rx_mutex was taken: the time for what follows.
    void begin_pass() { now_ = core_.clock.now_ns(); }

    // What to do with a frame that finds no room (no Rx queue for it, too few buffers posted,
    // link down or fatal error): drop and count it, or leave it with the caller.
    enum class NoRoom { kDrop, kRefuse };
    // False only when `no_room` is kRefuse and the frame was refused (nothing counted).
    // via_srd: the frame came through ENA Express. `parsed`: the frame's parse, when the sender
    // made one.
    bool deliver(std::span<const std::uint8_t> frame, bool via_srd = false, NoRoom no_room = NoRoom::kDrop,
                 const PacketInfo* parsed = nullptr);
    // Every frame of a burst from this process (kDrop, not via SRD), which the sender parsed: a
    // frame for a queue chosen without a table walk, with no fault armed, passes the ingress
    // stage (when a limiter is on) and, when it fits the next posted buffer, is placed in one
    // go; anything else goes through deliver_parsed(). A split frame's rest (FrameBurst::tails)
    // is copied straight from the sender's buffer; what cannot be placed in one go is joined in
    // scratch first.
    void deliver_burst(const FrameBurst& burst);
    // Places the frames of the ingress shaping queue whose time has come; true when any left it.
    bool drain_shaped();

private:
    // deliver() for a frame of a burst, its tail joined to it first.
    void deliver_parsed(std::span<const std::uint8_t> frame, const PacketInfo& info, std::span<const std::uint8_t> tail);

    struct Buffer {
        std::uint64_t address;
        std::uint8_t* data;
        std::uint32_t length;  // bytes of the frame written to it
        std::uint16_t req_id;
    };

    // Rx SQ index for a frame, or -1 when its queue does not exist; `hash` is its RSS hash when
    // steering needs it or the queue reports it, else 0.
    int steer(std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t& hash) const;
    // The frame goes into Rx queue `index` (taking its buffers); false when refused.
    bool place(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash,
               NoRoom no_room);
    // Prefetches the buffer of the Rx descriptor at `desc` for a frame of `length` bytes.
    static constexpr std::size_t kPrefetchMin = 512, kPrefetchBytes = 1024;
    [[gnu::always_inline]] inline void prefetch_buffer(const std::uint8_t* desc, std::size_t length);
    // place() for a frame deliver_burst() could not place in one go (`tail` joined to it first).
    void place_joined(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash,
                      std::span<const std::uint8_t> tail);
    // Writes the frame across the buffers take_buffers() took, with its completions.
    void write(int index, std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint32_t hash);
    enum class Take { kTaken, kTooFewPosted, kDropped };
    // Reads the buffers the frame needs from the Rx SQ. kDropped: the frame cannot be received
    // (counted here); kTooFewPosted: the ring holds fewer buffers than it needs (not counted).
    Take take_buffers(std::uint16_t index, const SubmissionQueue& sq, std::size_t frame_len);
    void name_a_stale_buffer(int index, const SubmissionQueue& sq);
    void write_completion(CompletionQueue& cq, std::uint64_t address, std::uint32_t length, std::uint16_t req_id,
                          std::uint32_t status, std::uint32_t hash);
    // Completion status bits; checksums verified only when `verify`.
    static std::uint32_t frame_status(const PacketInfo& info, std::span<const std::uint8_t> frame, bool verify);

    DeviceCore& core_;
    std::vector<Buffer> buffers_;
    IovaCache iova_;  // where the last Rx buffer was
    std::vector<std::uint8_t> joined_;  // a split frame made whole for the general path
    std::uint64_t now_ = 0;
};

}  // namespace ena::sim::detail
