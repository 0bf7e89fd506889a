#include "pcap_wire.hpp"

#include <byteswap.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace ena::sim {

namespace {

// Classic libpcap file format.
constexpr std::uint32_t kMagicMicroseconds = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNanoseconds = 0xa1b23c4d;
constexpr std::uint32_t kLinkTypeEthernet = 1;
constexpr std::uint32_t kSnapLength = 65535;

struct FileHeader {
    std::uint32_t magic;
    std::uint16_t version_major;
    std::uint16_t version_minor;
    std::int32_t thiszone;
    std::uint32_t sigfigs;
    std::uint32_t snaplen;
    std::uint32_t linktype;
};
static_assert(sizeof(FileHeader) == 24);

struct RecordHeader {
    std::uint32_t ts_sec;
    std::uint32_t ts_fraction;  // microseconds or nanoseconds, per the file magic
    std::uint32_t caplen;
    std::uint32_t len;
};
static_assert(sizeof(RecordHeader) == 16);

}  // namespace

std::shared_ptr<PcapWire> PcapWire::open(const std::string& rx_path, const std::string& tx_path,
                                         std::string* error) {
    std::shared_ptr<PcapWire> wire(new PcapWire());
    if (!rx_path.empty()) {
        wire->rx_ = std::fopen(rx_path.c_str(), "rb");
        if (wire->rx_ == nullptr) {
            *error = rx_path + ": " + std::strerror(errno);
            return nullptr;
        }
        FileHeader header{};
        if (std::fread(&header, sizeof header, 1, wire->rx_) != 1) {
            *error = rx_path + ": not a pcap file (too short)";
            return nullptr;
        }
        std::uint32_t magic = header.magic;
        std::uint32_t linktype = header.linktype;
        if (magic == bswap_32(kMagicMicroseconds) || magic == bswap_32(kMagicNanoseconds)) {
            wire->rx_swapped_ = true;
            magic = bswap_32(magic);
            linktype = bswap_32(linktype);
        }
        if (magic != kMagicMicroseconds && magic != kMagicNanoseconds) {
            *error = rx_path + ": not a pcap file (pcapng is not supported; convert with editcap -F pcap)";
            return nullptr;
        }
        if (linktype != kLinkTypeEthernet) {
            *error = rx_path + ": link type " + std::to_string(linktype) + " is not Ethernet (1)";
            return nullptr;
        }
    }
    if (!tx_path.empty()) {
        wire->tx_ = std::fopen(tx_path.c_str(), "wb");
        if (wire->tx_ == nullptr) {
            *error = tx_path + ": " + std::strerror(errno);
            return nullptr;
        }
        const FileHeader header{kMagicMicroseconds, 2, 4, 0, 0, kSnapLength, kLinkTypeEthernet};
        std::fwrite(&header, sizeof header, 1, wire->tx_);
        std::fflush(wire->tx_);
    }
    return wire;
}

PcapWire::~PcapWire() {
    if (rx_ != nullptr)
        std::fclose(rx_);
    if (tx_ != nullptr)
        std::fclose(tx_);
}

void PcapWire::attach(Device& device) { device_ = &device; }

void PcapWire::detach(Device& device) {
    if (device_ == &device)
        device_ = nullptr;
}

void PcapWire::transmit(Device&, std::span<const std::uint8_t> frame) {
    if (tx_ == nullptr)
        return;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    const auto length = static_cast<std::uint32_t>(frame.size());
    const RecordHeader record{static_cast<std::uint32_t>(usec / 1000000), static_cast<std::uint32_t>(usec % 1000000),
                              length, length};
    std::fwrite(&record, sizeof record, 1, tx_);
    std::fwrite(frame.data(), 1, frame.size(), tx_);
    // Flush per frame: a reader (tshark in a test, a user's tail) must see whole records even
    // while the application keeps running.
    std::fflush(tx_);
    ++frames_written_;
}

bool PcapWire::read_next_frame() {
    RecordHeader record{};
    if (std::fread(&record, sizeof record, 1, rx_) == 1) {
        const std::uint32_t caplen = rx_swapped_ ? bswap_32(record.caplen) : record.caplen;
        if (caplen <= kSnapLength) {
            pending_.resize(caplen);
            if (std::fread(pending_.data(), 1, caplen, rx_) == caplen)
                return true;
        }
    }
    std::fclose(rx_);  // end of capture, or a record we cannot trust: stop replaying
    rx_ = nullptr;
    return false;
}

std::size_t PcapWire::poll() {
    if (device_ == nullptr)
        return 0;
    std::size_t delivered = 0;
    while (delivered < kFramesPerPoll) {
        if (!have_pending_) {
            if (rx_ == nullptr || !read_next_frame())
                break;
            have_pending_ = true;
        }
        // Replay waits for an Rx buffer instead of dropping: a capture is input, not traffic.
        if (!device_->try_receive_frame(pending_))
            break;
        have_pending_ = false;
        ++frames_replayed_;
        ++delivered;
    }
    return delivered;
}

}  // namespace ena::sim
