// Capture files as the wire: frames from an rx capture are replayed into the device (as fast as
// the device has Rx buffers for them, none dropped), and frames the device sends are appended
// to a tx capture that tcpdump/tshark can read. Either side may be absent.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "ena_sim_device.hpp"

namespace ena::sim {

class PcapWire final : public Wire {
public:
    // Opens the captures (empty path = that side unused). Returns nullptr and fills `error`
    // when a file cannot be opened or the rx file is not an Ethernet capture.
    static std::shared_ptr<PcapWire> open(const std::string& rx_path, const std::string& tx_path,
                                          std::string* error);
    ~PcapWire() override;

    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    std::size_t poll() override;
    void attach(Device& device) override;
    void detach(Device& device) override;

    std::uint64_t frames_replayed() const { return frames_replayed_; }
    std::uint64_t frames_written() const { return frames_written_; }
    bool rx_finished() const { return rx_ == nullptr; }

private:
    PcapWire() = default;
    bool read_next_frame();  // fills pending_; closes rx_ at end of file or on a bad record

    static constexpr std::size_t kFramesPerPoll = 32;

    std::FILE* rx_ = nullptr;
    std::FILE* tx_ = nullptr;
    bool rx_swapped_ = false;      // capture written on a host of the other byte order
    std::vector<std::uint8_t> pending_;  // next frame to replay, waiting for an Rx buffer
    bool have_pending_ = false;
    Device* device_ = nullptr;
    std::uint64_t frames_replayed_ = 0;
    std::uint64_t frames_written_ = 0;
};

}  // namespace ena::sim
