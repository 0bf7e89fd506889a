#include "pcap_wire.hpp"

#include <byteswap.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace ena::sim {

namespace {

// Classic libpcap capture file: a file header, then per frame a record header and the bytes.
// Fields are in the byte order of the host that wrote the file; the magic tells which.
constexpr std::uint32_t kMagicMicroseconds = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNanoseconds = 0xa1b23c4d;
constexpr std::uint32_t kPcapngBlockType = 0x0a0d0d0a;  // section header block: the same both ways
constexpr std::uint32_t kLinkTypeEthernet = 1;
constexpr std::uint16_t kVersionMajor = 2, kVersionMinor = 4;

struct FileHeader {
    std::uint32_t magic;
    std::uint16_t version_major;
    std::uint16_t version_minor;
    std::int32_t utc_offset;
    std::uint32_t accuracy;
    std::uint32_t snapshot_length;
    std::uint32_t link_type;
};
static_assert(sizeof(FileHeader) == 24);

struct RecordHeader {
    std::uint32_t seconds;
    std::uint32_t fraction;  // microseconds or nanoseconds, per the file's magic
    std::uint32_t captured_length;
    std::uint32_t original_length;
};
static_assert(sizeof(RecordHeader) == 16);

void set_error(std::string* error, std::string text) {
    if (error != nullptr)
        *error = std::move(text);
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::shared_ptr<PcapWire> PcapWire::open(const std::string& rx_path, const std::string& tx_path,
                                         std::string* error, bool paced) {
    std::shared_ptr<PcapWire> wire(new PcapWire());
    wire->paced_ = paced;
    if (!rx_path.empty()) {
        const std::string what = "rx capture " + rx_path + ": ";
        wire->rx_ = std::fopen(rx_path.c_str(), "rb");
        if (wire->rx_ == nullptr) {
            set_error(error, what + errno_text(errno));
            return nullptr;
        }
        struct stat st {};
        if (::fstat(::fileno(wire->rx_), &st) != 0 || S_ISDIR(st.st_mode)) {
            set_error(error, what + errno_text(S_ISDIR(st.st_mode) ? EISDIR : errno));
            return nullptr;
        }
        FileHeader header{};
        if (std::fread(&header, sizeof header, 1, wire->rx_) != 1) {
            set_error(error, what + (std::ferror(wire->rx_) ? errno_text(errno) : "too short for a pcap file header"));
            return nullptr;
        }
        std::uint32_t magic = header.magic;
        std::uint32_t link_type = header.link_type;
        std::uint16_t major = header.version_major;
        if (magic == bswap_32(kMagicMicroseconds) || magic == bswap_32(kMagicNanoseconds)) {
            wire->rx_swapped_ = true;
            magic = bswap_32(magic);
            link_type = bswap_32(link_type);
            major = bswap_16(major);
        }
        if (magic == kPcapngBlockType) {
            set_error(error, what + "pcapng is not supported (convert it: editcap -F pcap IN OUT)");
            return nullptr;
        }
        if (magic != kMagicMicroseconds && magic != kMagicNanoseconds) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%08x", header.magic);
            set_error(error, what + "not a pcap file (magic " + hex + ")");
            return nullptr;
        }
        if (major != kVersionMajor) {
            set_error(error, what + "pcap version " + std::to_string(major) + " is not supported (2 is)");
            return nullptr;
        }
        // The low 16 bits are the link type; the upper ones may carry FCS information.
        if ((link_type & 0xffff) != kLinkTypeEthernet) {
            set_error(error, what + "link type " + std::to_string(link_type & 0xffff) + " is not Ethernet (1)");
            return nullptr;
        }
        wire->rx_nanoseconds_ = magic == kMagicNanoseconds;
        wire->rx_finished_ = false;
    }
    if (!tx_path.empty()) {
        const std::string what = "tx capture " + tx_path + ": ";
        // Opening the tx capture truncates it: never when it is the capture being replayed.
        struct stat rx_st {}, tx_st {};
        if (wire->rx_ != nullptr && ::fstat(::fileno(wire->rx_), &rx_st) == 0 &&
            ::stat(tx_path.c_str(), &tx_st) == 0 && rx_st.st_dev == tx_st.st_dev && rx_st.st_ino == tx_st.st_ino) {
            set_error(error, what + "is the rx capture (it would be overwritten)");
            return nullptr;
        }
        wire->tx_ = std::fopen(tx_path.c_str(), "wb");
        if (wire->tx_ == nullptr) {
            set_error(error, what + errno_text(errno));
            return nullptr;
        }
        const FileHeader header{kMagicMicroseconds, kVersionMajor, kVersionMinor, 0, 0, kMaxRecordLength,
                                kLinkTypeEthernet};
        if (std::fwrite(&header, sizeof header, 1, wire->tx_) != 1 || std::fflush(wire->tx_) != 0) {
            set_error(error, what + errno_text(errno));
            return nullptr;
        }
    }
    return wire;
}

std::shared_ptr<PcapWire> PcapWire::from_argument(std::string_view argument, std::string* error) {
    std::string rx, tx, pace;
    bool rx_given = false, tx_given = false, pace_given = false;
    std::string_view rest = argument;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const std::size_t eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
        bool* given = key == "rx" ? &rx_given : key == "tx" ? &tx_given : key == "pace" ? &pace_given : nullptr;
        if (given == nullptr) {
            set_error(error, "pcap: unknown key '" + std::string(key) + "' (accepted: rx=FILE, tx=FILE, pace=asap|capture)");
            return nullptr;
        }
        if (*given) {
            set_error(error, "pcap: " + std::string(key) + "= given twice");
            return nullptr;
        }
        if (value.empty()) {
            set_error(error, "pcap: " + std::string(key) + "= needs a file name");
            return nullptr;
        }
        *given = true;
        (key == "rx" ? rx : key == "tx" ? tx : pace) = std::string(value);
    }
    if (!rx_given && !tx_given) {
        set_error(error, "pcap needs rx=FILE, tx=FILE or both");
        return nullptr;
    }
    if (pace_given && pace != "asap" && pace != "capture") {
        set_error(error, "pcap: pace=" + pace + " (accepted: asap, capture)");
        return nullptr;
    }
    if (pace_given && !rx_given) {
        set_error(error, "pcap: pace= needs rx=FILE");
        return nullptr;
    }
    return open(rx, tx, error, pace == "capture");
}

PcapWire::~PcapWire() {
    if (rx_ != nullptr)
        std::fclose(rx_);
    if (tx_ != nullptr)
        std::fclose(tx_);
}

bool PcapWire::attach(Device& device, std::string*) {
    std::lock_guard lock(rx_mutex_);
    device_ = &device;
    return true;
}

void PcapWire::detach(Device& device) {
    std::lock_guard lock(rx_mutex_);
    if (device_ == &device)
        device_ = nullptr;
}

void PcapWire::transmit(Device&, std::span<const std::uint8_t> frame) {
    std::lock_guard lock(tx_mutex_);
    if (tx_ == nullptr)
        return;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    const auto length = static_cast<std::uint32_t>(frame.size());
    const RecordHeader record{static_cast<std::uint32_t>(usec / 1000000), static_cast<std::uint32_t>(usec % 1000000),
                              length, length};
    if (std::fwrite(&record, sizeof record, 1, tx_) != 1 ||
        std::fwrite(frame.data(), 1, frame.size(), tx_) != frame.size()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    tx_dirty_ = true;
    frames_written_.fetch_add(1, std::memory_order_relaxed);
}

void PcapWire::flush_tx() {
    std::lock_guard lock(tx_mutex_);
    if (!tx_dirty_)
        return;
    tx_dirty_ = false;
    if (std::fflush(tx_) != 0)
        write_errors_.fetch_add(1, std::memory_order_relaxed);
}

bool PcapWire::read_next_frame() {
    RecordHeader record{};
    if (std::fread(&record, sizeof record, 1, rx_) == 1) {
        const std::uint32_t length = rx_swapped_ ? bswap_32(record.captured_length) : record.captured_length;
        const std::uint32_t seconds = rx_swapped_ ? bswap_32(record.seconds) : record.seconds;
        const std::uint32_t fraction = rx_swapped_ ? bswap_32(record.fraction) : record.fraction;
        pending_ns_ = std::uint64_t{seconds} * 1'000'000'000 + (rx_nanoseconds_ ? fraction : std::uint64_t{fraction} * 1000);
        if (length <= kMaxRecordLength) {
            pending_.resize(length);
            if (std::fread(pending_.data(), 1, length, rx_) == length)
                return true;
        }
    }
    std::fclose(rx_);  // end of capture, or a record we cannot trust: the replay is over
    rx_ = nullptr;
    rx_finished_.store(true, std::memory_order_release);
    return false;
}

std::size_t PcapWire::poll() {
    flush_tx();
    if (rx_finished_.load(std::memory_order_acquire) || polling_.exchange(true, std::memory_order_acquire))
        return 0;
    std::size_t delivered = 0;
    {
        std::lock_guard lock(rx_mutex_);
        while (device_ != nullptr && delivered < kFramesPerPoll) {
            if (!have_pending_) {
                if (rx_ == nullptr || !read_next_frame())
                    break;
                have_pending_ = true;
            }
            // The clock only for pace=capture.
            const auto now = paced_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
            if (paced_ && pace_started_ && pending_ns_ > pace_first_ns_ &&
                now - pace_start_ < std::chrono::nanoseconds(pending_ns_ - pace_first_ns_))
                break;  // pace=capture: not its time yet
            if (!device_->try_receive_frame(pending_))
                break;  // no Rx buffer for it yet: it waits, nothing is lost
            if (paced_ && !pace_started_) {
                pace_started_ = true;
                pace_first_ns_ = pending_ns_;
                pace_start_ = now;
            }
            have_pending_ = false;
            frames_replayed_.fetch_add(1, std::memory_order_relaxed);
            ++delivered;
        }
    }
    polling_.store(false, std::memory_order_release);
    return delivered;
}

}  // namespace ena::sim
