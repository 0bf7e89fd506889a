// A Linux TAP interface as the wire: frames the simulated device sends appear on the
// interface, and frames the kernel sends out of it arrive at the device. The kernel's network
// stack (possibly in another network namespace) is the peer.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ena_sim_device.hpp"

namespace ena::sim {

class TapWire final : public Wire {
public:
    // Creates (or attaches to) TAP interface `ifname` and brings it up. Returns nullptr and
    // fills `error` when that fails (no /dev/net/tun, no CAP_NET_ADMIN, bad name).
    static std::shared_ptr<TapWire> open(std::string_view ifname, std::string* error);
    ~TapWire() override;

    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    std::size_t poll() override;
    void attach(Device& device) override;
    void detach(Device& device) override;

    const std::string& ifname() const { return ifname_; }
    std::uint64_t write_errors() const { return write_errors_; }

private:
    TapWire(int fd, std::string ifname) : fd_(fd), ifname_(std::move(ifname)) {}

    static constexpr std::size_t kMaxFrame = 9216 + 64;
    static constexpr std::size_t kFramesPerPoll = 32;  // bound the time one poll takes

    int fd_;
    std::string ifname_;
    Device* device_ = nullptr;
    std::uint64_t write_errors_ = 0;
    std::array<std::uint8_t, kMaxFrame> buffer_{};
};

}  // namespace ena::sim
