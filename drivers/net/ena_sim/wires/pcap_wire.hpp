// Capture files as the wire (`wire=[pcap:rx=FILE,tx=FILE,pace=capture]`): frames of an rx
// capture are replayed into the device in file order, each as soon as the device has Rx buffers
// for it (Device::try_receive_frame: a replay never loses a frame for want of a buffer), and
// frames the device sends are appended to a tx capture that tcpdump and tshark read. Either side
// may be absent. Timestamps are ignored unless pace=capture: then each frame also waits until
// as much real time has passed since the first one was replayed as the capture says passed
// between them (a traffic pattern with pauses, e.g. a burst after an idle period). Classic
// pcap format only (not pcapng), Ethernet.
//
// One device per wire. The tx capture is flushed at the end of every poll (every engine pass
// in threaded mode, every process() otherwise) and when the wire is destroyed, so a reader
// sees whole records while the application runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ena_sim_device.hpp"

namespace ena::sim {

class PcapWire final : public Wire {
public:
    // Opens the captures (empty path = that side unused). Returns nullptr and fills `error`
    // (when not null) when a file cannot be opened or created, or the rx file is not a classic
    // pcap capture of Ethernet frames.
    static std::shared_ptr<PcapWire> open(const std::string& rx_path, const std::string& tx_path,
                                          std::string* error, bool paced = false);
    // The argument of the wire spec: "rx=FILE,tx=FILE,pace=asap|capture", either file key
    // optional, at least one; pace (default asap) only with rx.
    static std::shared_ptr<PcapWire> from_argument(std::string_view argument, std::string* error);
    ~PcapWire() override;
    PcapWire(const PcapWire&) = delete;
    PcapWire& operator=(const PcapWire&) = delete;

    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    std::size_t poll() override;
    bool polls() const override { return true; }
    bool attach(Device& device, std::string* error) override;
    void detach(Device& device) override;

    std::uint64_t frames_replayed() const { return frames_replayed_.load(std::memory_order_relaxed); }
    std::uint64_t frames_written() const { return frames_written_.load(std::memory_order_relaxed); }
    std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
    // The whole rx capture was replayed (or there is none). A record that cannot be read (a
    // truncated file) ends the replay too.
    bool rx_finished() const { return rx_finished_.load(std::memory_order_acquire); }

    // Largest record accepted from an rx capture (libpcap's own limit); longer ones end the
    // replay. Frames above the device's MTU are replayed and dropped by the device as oversize.
    static constexpr std::uint32_t kMaxRecordLength = 262144;

private:
    PcapWire() = default;
    bool read_next_frame();  // fills pending_; false (and the replay ends) at end of file or on a bad record
    void flush_tx();

    static constexpr std::size_t kFramesPerPoll = 32;  // bound the time one poll takes

    // Rx side: rx_mutex_ guards it; attach/detach take it so no poll is delivering to a device
    // that goes away. polling_ turns away a second poll (another thread, or this one re-entering
    // from an interrupt handler) instead of waiting: the poll in flight does the work.
    std::mutex rx_mutex_;
    std::atomic<bool> polling_{false};
    std::FILE* rx_ = nullptr;
    bool rx_swapped_ = false;  // capture written on a host of the other byte order
    std::vector<std::uint8_t> pending_;  // next frame to replay, waiting for an Rx buffer
    bool have_pending_ = false;
    std::uint64_t pending_ns_ = 0;  // the pending frame's capture timestamp
    // pace=capture: the first frame's timestamp and when (steady clock) it was replayed.
    bool paced_ = false;
    bool pace_started_ = false;
    std::uint64_t pace_first_ns_ = 0;
    std::chrono::steady_clock::time_point pace_start_{};
    bool rx_nanoseconds_ = false;
    Device* device_ = nullptr;
    std::atomic<bool> rx_finished_{true};

    // Tx side (a leaf lock: transmit runs under the device's process lock).
    std::mutex tx_mutex_;
    std::FILE* tx_ = nullptr;
    bool tx_dirty_ = false;

    std::atomic<std::uint64_t> frames_replayed_{0};
    std::atomic<std::uint64_t> frames_written_{0};
    std::atomic<std::uint64_t> write_errors_{0};
};

}  // namespace ena::sim
