#include "tap_wire.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ena::sim {

namespace {

bool set_interface_up(const char* ifname, std::string* error) {
    const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    ifreq request{};
    std::strncpy(request.ifr_name, ifname, IFNAMSIZ - 1);
    bool ok = ::ioctl(sock, SIOCGIFFLAGS, &request) == 0;
    if (ok) {
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        ok = ::ioctl(sock, SIOCSIFFLAGS, &request) == 0;
    }
    if (!ok)
        *error = std::string("cannot bring ") + ifname + " up: " + std::strerror(errno);
    ::close(sock);
    return ok;
}

}  // namespace

std::shared_ptr<TapWire> TapWire::open(std::string_view ifname, std::string* error) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
        *error = "TAP interface name must have 1 to " + std::to_string(IFNAMSIZ - 1) + " characters";
        return nullptr;
    }
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *error = std::string("/dev/net/tun: ") + std::strerror(errno);
        return nullptr;
    }
    ifreq request{};
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(request.ifr_name, ifname.data(), ifname.size());
    if (::ioctl(fd, TUNSETIFF, &request) != 0) {
        *error = "TUNSETIFF " + std::string(ifname) + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    // The interface may already sit in another namespace's hands; failing to raise it here
    // is not fatal (whoever moved it brings it up there).
    std::string ignored;
    set_interface_up(request.ifr_name, &ignored);
    return std::shared_ptr<TapWire>(new TapWire(fd, request.ifr_name));
}

TapWire::~TapWire() { ::close(fd_); }

void TapWire::attach(Device& device) { device_ = &device; }

void TapWire::detach(Device& device) {
    if (device_ == &device)
        device_ = nullptr;
}

void TapWire::transmit(Device&, std::span<const std::uint8_t> frame) {
    // The kernel takes whole frames or nothing; a full queue (EAGAIN) loses the frame like a
    // congested link would.
    if (::write(fd_, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size()))
        ++write_errors_;
}

std::size_t TapWire::poll() {
    if (device_ == nullptr)
        return 0;
    std::size_t delivered = 0;
    while (delivered < kFramesPerPoll) {
        const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
        if (n <= 0)
            break;
        device_->receive_frame(std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)));
        ++delivered;
    }
    return delivered;
}

}  // namespace ena::sim
