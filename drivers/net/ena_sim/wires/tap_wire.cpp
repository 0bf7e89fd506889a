#include "tap_wire.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ena::sim {

namespace {

void set_error(std::string* error, std::string text) {
    if (error != nullptr)
        *error = std::move(text);
}

// Why opening the TAP failed, in terms a user can act on.
std::string hint(int err) {
    switch (err) {
        case EPERM:
        case EACCES:
            return " (creating a TAP interface needs root or CAP_NET_ADMIN)";
        case ENOENT:
        case ENODEV:
        case ENXIO:
            return " (no TUN/TAP support: load the tun module)";
        case EBUSY:
            return " (another process has it open)";
        case EINVAL:
            return " (not a valid interface name, or an interface that is not a TAP has it)";
        default:
            return "";
    }
}

// Not fatal: whoever moves the interface to another namespace brings it up there.
void bring_up(const char* ifname) {
    const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return;
    ifreq request{};
    std::memcpy(request.ifr_name, ifname, std::min(std::strlen(ifname), std::size_t{IFNAMSIZ - 1}));
    if (::ioctl(sock, SIOCGIFFLAGS, &request) == 0) {
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        ::ioctl(sock, SIOCSIFFLAGS, &request);
    }
    ::close(sock);
}

}  // namespace

std::shared_ptr<TapWire> TapWire::open(std::string_view ifname, std::string* error) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
        set_error(error, "tap: the interface name must have 1 to " + std::to_string(IFNAMSIZ - 1) +
                             " characters (tap:IFNAME), not '" + std::string(ifname) + "'");
        return nullptr;
    }
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        set_error(error, "tap: cannot open /dev/net/tun: " + std::string(std::strerror(err)) + hint(err));
        return nullptr;
    }
    ifreq request{};
    request.ifr_flags = IFF_TAP | IFF_NO_PI;  // plain Ethernet frames, no packet-info prefix
    std::memcpy(request.ifr_name, ifname.data(), ifname.size());
    if (::ioctl(fd, TUNSETIFF, &request) != 0) {
        const int err = errno;
        set_error(error, "tap: cannot create TAP interface " + std::string(ifname) + ": " + std::strerror(err) +
                             hint(err));
        ::close(fd);
        return nullptr;
    }
    request.ifr_name[IFNAMSIZ - 1] = '\0';
    bring_up(request.ifr_name);
    return std::shared_ptr<TapWire>(new TapWire(fd, request.ifr_name));
}

TapWire::TapWire(int fd, std::string ifname) : fd_(fd), ifname_(std::move(ifname)), buffer_(kMaxFrame) {}

TapWire::~TapWire() { ::close(fd_); }  // the interface goes away with its last file descriptor

bool TapWire::attach(Device& device, std::string*) {
    std::lock_guard lock(rx_mutex_);
    device_ = &device;
    return true;
}

void TapWire::detach(Device& device) {
    std::lock_guard lock(rx_mutex_);
    if (device_ == &device)
        device_ = nullptr;
}

void TapWire::transmit(Device&, std::span<const std::uint8_t> frame) {
    // The kernel takes a whole frame or nothing. A frame it does not take is lost, as on a
    // congested link; write() on a TAP does not block, and is safe from several threads.
    if (::write(fd_, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()))
        frames_sent_.fetch_add(1, std::memory_order_relaxed);
    else
        write_errors_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t TapWire::poll() {
    if (polling_.exchange(true, std::memory_order_acquire))
        return 0;
    std::size_t delivered = 0;
    {
        std::lock_guard lock(rx_mutex_);
        // Without a device, frames stay queued in the kernel (which drops what overflows).
        while (device_ != nullptr && delivered < kFramesPerPoll) {
            const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
            if (n <= 0)
                break;  // EAGAIN: nothing more now
            device_->receive_frame(std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)));
            ++delivered;
        }
    }
    frames_received_.fetch_add(delivered, std::memory_order_relaxed);
    polling_.store(false, std::memory_order_release);
    return delivered;
}

}  // namespace ena::sim
