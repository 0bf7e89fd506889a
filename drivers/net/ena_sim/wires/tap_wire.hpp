// A Linux TAP interface as the wire (`wire=tap:IFNAME`): frames the simulated device sends
// come out of the interface into the kernel, and frames the kernel sends out of the interface
// arrive at the device. The kernel's network stack is the peer -- in this network namespace,
// or in another one the interface was moved to after it was created.
//
// The interface exists while the wire does (it is not made persistent) and is created up.
// One device per wire. A frame the kernel sends while the device has no Rx buffer for it is
// dropped and counted by the device, as on a real link.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ena_sim_device.hpp"

namespace ena::sim {

class TapWire final : public Wire {
public:
    // Creates TAP interface `ifname` (a name with "%d" lets the kernel number it) and brings
    // it up. Returns nullptr and fills `error` (when not null) when that fails: no
    // /dev/net/tun, no CAP_NET_ADMIN, a bad name, or the name taken by another interface.
    static std::shared_ptr<TapWire> open(std::string_view ifname, std::string* error);
    ~TapWire() override;
    TapWire(const TapWire&) = delete;
    TapWire& operator=(const TapWire&) = delete;

    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    std::size_t poll() override;
    bool polls() const override { return true; }
    bool attach(Device& device, std::string* error) override;
    void detach(Device& device) override;

    // The interface's name (as the kernel chose it for a "%d" pattern).
    const std::string& ifname() const { return ifname_; }
    std::uint64_t frames_sent() const { return frames_sent_.load(std::memory_order_relaxed); }
    std::uint64_t frames_received() const { return frames_received_.load(std::memory_order_relaxed); }
    // Frames the kernel did not take (interface down, queue full).
    std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

private:
    TapWire(int fd, std::string ifname);

    static constexpr std::size_t kMaxFrame = 65536;    // anything the kernel can hand us
    static constexpr std::size_t kFramesPerPoll = 32;  // bound the time one poll takes

    const int fd_;
    const std::string ifname_;
    // Rx side, as in PcapWire: the mutex keeps the device attached during a poll; the flag
    // turns away a concurrent or re-entered poll.
    std::mutex rx_mutex_;
    std::atomic<bool> polling_{false};
    Device* device_ = nullptr;
    std::vector<std::uint8_t> buffer_;
    std::atomic<std::uint64_t> frames_sent_{0}, frames_received_{0}, write_errors_{0};
};

}  // namespace ena::sim
