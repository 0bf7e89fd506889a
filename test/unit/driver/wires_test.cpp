// The pcap and TAP wires behind net_ena_sim, through ethdev with the synchronous engine (the
// device polls its own wire on every register write and process()): a capture replayed into a
// port arrives byte-exact, in order and whole even when it is many times the Rx ring; what the
// port sends lands in the tx capture; a TAP interface carries frames both ways; a wire that
// cannot be built fails the probe with one line naming the devarg and the reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// A private folder for this test's captures, removed afterwards.
class TempDir {
public:
    TempDir() : path_(fs::path(testing::TempDir()) / ("ena_wires_test_" + std::to_string(getpid()))) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    fs::path operator/(const std::string& name) const { return path_ / name; }
    std::string str() const { return path_.string(); }

private:
    fs::path path_;
};

void append_le32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>(v >> (8 * i)));
}

// A classic pcap capture (little-endian, microseconds, Ethernet) of `frames`.
void write_capture(const fs::path& path, const std::vector<Bytes>& frames) {
    std::string out;
    append_le32(out, 0xa1b2c3d4);
    append_le32(out, 2 | (4u << 16));  // version 2.4
    append_le32(out, 0);
    append_le32(out, 0);
    append_le32(out, 65535);
    append_le32(out, 1);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        append_le32(out, 1700000000 + static_cast<std::uint32_t>(i));
        append_le32(out, 0);
        append_le32(out, static_cast<std::uint32_t>(frames[i].size()));
        append_le32(out, static_cast<std::uint32_t>(frames[i].size()));
        out.append(frames[i].begin(), frames[i].end());
    }
    std::ofstream(path, std::ios::binary) << out;
}

// The frames of a classic little-endian pcap capture.
std::vector<Bytes> read_capture(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<Bytes> frames;
    auto u32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, s.data() + at, 4);
        return v;
    };
    for (std::size_t at = 24; at + 16 <= s.size();) {
        const std::uint32_t length = u32(at + 8);
        at += 16;
        if (at + length > s.size())
            break;
        frames.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(at),
                            s.begin() + static_cast<std::ptrdiff_t>(at + length));
        at += length;
    }
    return frames;
}

// Frames of every kind and many sizes (42..1514 bytes), each one different.
std::vector<Bytes> varied_frames(std::size_t count) {
    const FrameKind kinds[] = {FrameKind::kUdp4, FrameKind::kTcp4, FrameKind::kRaw, FrameKind::kUdp6, FrameKind::kTcp6};
    std::vector<Bytes> frames;
    for (std::size_t i = 0; i < count; ++i) {
        FrameSpec s;
        s.kind = kinds[i % 5];
        s.size = 42 + (i * 131) % (1514 - 42 + 1);
        s.src_port = static_cast<std::uint16_t>(i);
        s.seed = static_cast<std::uint8_t>(i);
        frames.push_back(make_frame(s));
    }
    return frames;
}

std::uint64_t imissed(std::uint16_t port) {
    rte_eth_stats stats{};
    rte_eth_stats_get(port, &stats);
    return stats.imissed;
}

TEST(PcapWire, ACaptureLongerThanTheRxRingArrivesWholeByteExactAndGoesOutToTheTxCapture) {
    TempDir dir;
    const std::vector<Bytes> frames = varied_frames(3000);  // ~6 rings of 512
    write_capture(dir / "in.pcap", frames);
    auto port = SimPort::create(std::string(kSyncArgs) + ",wire=[pcap:rx=" + (dir / "in.pcap").string() +
                                ",tx=" + (dir / "out.pcap").string() + "]");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(), 0);

    std::size_t received = 0, mismatches = 0, sent = 0;
    for (int round = 0; round < 10000 && received < frames.size(); ++round) {
        rte_mbuf* burst[32];
        const std::uint16_t n = rte_eth_rx_burst(port->id, 0, burst, 32);
        for (std::uint16_t i = 0; i < n; ++i) {
            if (received < frames.size() && packet_bytes(burst[i]) != frames[received])
                ++mismatches;
            ++received;
        }
        const std::uint16_t accepted = rte_eth_tx_burst(port->id, 0, burst, n);  // the tx capture gets them back
        sent += accepted;
        for (std::uint16_t i = accepted; i < n; ++i)
            rte_pktmbuf_free(burst[i]);
        if (n == 0)
            port->device->process();  // no refill this round: let the device fetch the next frames
    }
    EXPECT_EQ(received, frames.size());
    EXPECT_EQ(mismatches, 0u);
    EXPECT_EQ(sent, received) << "the Tx ring keeps up in synchronous mode";
    EXPECT_EQ(imissed(port->id), 0u) << "a replay waits for buffers, it never drops";
    EXPECT_EQ(port->device->stats().rx_drops, 0u);
    port->device->process();  // the tx capture is flushed by every poll of the wire
    EXPECT_EQ(read_capture(dir / "out.pcap"), frames);
    EXPECT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(PcapWire, OtherDevargsAroundABracketedWireReachTheirParsers) {
    TempDir dir;
    auto port = SimPort::create(std::string(kSyncArgs) + ",mac=02:00:00:c6:12:09,wire=[pcap:tx=" +
                                (dir / "out.pcap").string() + "],llq_policy=0");
    ASSERT_NE(port, nullptr);
    rte_ether_addr mac{};
    ASSERT_EQ(rte_eth_macaddr_get(port->id, &mac), 0);
    EXPECT_EQ(mac.addr_bytes[5], 0x09);
    ASSERT_EQ(port->configure_and_start(), 0);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
    EXPECT_NE(std::strstr(mode.info, "host memory"), nullptr) << mode.info;
    EXPECT_EQ(rte_eth_dev_stop(port->id), 0);

    LogCapture log;
    int rc = 0;
    EXPECT_EQ(SimPort::create(std::string(kSyncArgs) + ",wire=loopback,wire=[pcap:tx=" + (dir / "o.pcap").string() + "]",
                              &rc),
              nullptr);
    EXPECT_EQ(rc, -EINVAL);
    EXPECT_NE(log.text().find("devarg wire given more than once"), std::string::npos) << log.text();
}

struct BadWire {
    const char* name;
    std::string devarg;
    std::string expected;  // in the probe's error line
};

class BadWireDevarg : public testing::TestWithParam<BadWire> {};

TEST_P(BadWireDevarg, FailsTheProbeWithOneLineNamingTheDevargAndTheReason) {
    TempDir dir;
    std::ofstream(dir / "new.pcapng", std::ios::binary)
        << std::string("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a", 12) << std::string(16, '\0');
    auto with_dir = [&](std::string text) {  // DIR stands for the test's folder
        for (std::size_t at; (at = text.find("DIR")) != std::string::npos;)
            text.replace(at, 3, dir.str());
        return text;
    };
    LogCapture log;
    int rc = 0;
    auto port = SimPort::create(std::string(kSyncArgs) + "," + with_dir(GetParam().devarg), &rc);
    EXPECT_EQ(port, nullptr);
    EXPECT_EQ(rc, -EINVAL);
    const std::string text = log.text();
    const std::string expected = with_dir(GetParam().expected);
    EXPECT_NE(text.find("for devarg wire: " + expected), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Wires, BadWireDevarg,
    testing::Values(
        BadWire{"missing_capture", "wire=[pcap:rx=DIR/missing.pcap]",
                "rx capture DIR/missing.pcap: No such file or directory"},
        BadWire{"pcapng", "wire=[pcap:rx=DIR/new.pcapng,tx=DIR/out.pcap]",
                "rx capture DIR/new.pcapng: pcapng is not supported (convert it: editcap -F pcap IN OUT)"},
        BadWire{"tx_folder_missing", "wire=[pcap:tx=DIR/no/out.pcap]",
                "tx capture DIR/no/out.pcap: No such file or directory"},
        BadWire{"pcap_without_files", "wire=pcap", "pcap needs rx=FILE, tx=FILE or both"},
        BadWire{"pcap_unknown_key", "wire=[pcap:in=a.pcap]", "pcap: unknown key 'in' (accepted: rx=FILE, tx=FILE, pace=asap|capture)"},
        BadWire{"tap_without_name", "wire=tap", "tap: the interface name must have 1 to 15 characters"},
        BadWire{"tap_name_too_long", "wire=tap:a-very-long-ifname",
                "tap: the interface name must have 1 to 15 characters (tap:IFNAME), not 'a-very-long-ifname'"}),
    [](const auto& info) { return std::string(info.param.name); });

// --- TAP -------------------------------------------------------------------------------------

// A raw socket on the interface: what it sends goes out of the interface into the TAP (and so
// to the device); what the device sends comes in through it.
class PacketSocket {
public:
    explicit PacketSocket(const std::string& ifname) {
        fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
        sockaddr_ll addr{};
        addr.sll_family = AF_PACKET;
        addr.sll_protocol = htons(ETH_P_ALL);
        addr.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
        ifindex_ = addr.sll_ifindex;
        if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            close(fd_);
            fd_ = -1;
        }
    }
    ~PacketSocket() {
        if (fd_ >= 0)
            close(fd_);
    }
    bool ok() const { return fd_ >= 0 && ifindex_ != 0; }
    bool send(const Bytes& frame) { return ::send(fd_, frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size()); }
    // Waits up to 1 s for a frame equal to `want` (the kernel may send its own, e.g. IPv6 ND).
    bool receive(const Bytes& want) {
        Bytes buffer(2048);
        for (int i = 0; i < 100; ++i) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 10) <= 0)
                continue;
            const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
            if (n > 0 && Bytes(buffer.begin(), buffer.begin() + n) == want)
                return true;
        }
        return false;
    }

private:
    int fd_ = -1;
    int ifindex_ = 0;
};

// Runs in a thread of its own inside a network namespace of its own (unshare applies to the
// calling thread): the TAP interface and the socket live there, and the namespace goes away
// with them.
void tap_carries_frames_both_ways() {
    const std::string ifname = "enawt0";
    auto port = SimPort::create(std::string(kSyncArgs) + ",wire=tap:" + ifname);
    ASSERT_NE(port, nullptr);
    ASSERT_NE(if_nametoindex(ifname.c_str()), 0u) << "the interface exists while the port does";
    ASSERT_EQ(port->configure_and_start(), 0);
    PacketSocket socket(ifname);
    ASSERT_TRUE(socket.ok()) << std::strerror(errno);

    FrameSpec spec;
    spec.kind = FrameKind::kRaw;  // an EtherType nobody in the kernel answers
    spec.size = 200;
    const Bytes out = make_frame(spec);
    rte_mbuf* m = make_chain(test_pool(), out, 1);
    ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
    EXPECT_TRUE(socket.receive(out)) << "the port's frame came out of the interface";

    spec.seed = 77;
    spec.size = 1514;
    const Bytes in = make_frame(spec);
    ASSERT_TRUE(socket.send(in));
    bool arrived = false;
    for (int i = 0; i < 200 && !arrived; ++i) {
        port->device->process();
        rte_mbuf* burst[32];
        const std::uint16_t n = rte_eth_rx_burst(port->id, 0, burst, 32);
        for (std::uint16_t k = 0; k < n; ++k) {
            arrived |= packet_bytes(burst[k]) == in;
            rte_pktmbuf_free(burst[k]);
        }
        if (!arrived)
            usleep(1000);
    }
    EXPECT_TRUE(arrived) << "the kernel's frame reached the port";
    EXPECT_EQ(rte_eth_dev_stop(port->id), 0);
    port.reset();
    EXPECT_EQ(if_nametoindex(ifname.c_str()), 0u) << "the interface went away with the port";
}

TEST(TapWire, CarriesFramesBothWaysAndTheInterfaceLivesAsLongAsThePort) {
    if (geteuid() != 0)
        GTEST_SKIP() << "creating a TAP interface and a network namespace needs root";
    if (access("/dev/net/tun", F_OK) != 0)
        GTEST_SKIP() << "no /dev/net/tun";
    std::thread([] {
        if (unshare(CLONE_NEWNET) != 0) {
            ADD_FAILURE() << "cannot create a network namespace: " << std::strerror(errno);
            return;
        }
        tap_carries_frames_both_ways();
    }).join();
}

// A VPC addresses interfaces by MAC: a second port with a MAC the segment has would never
// receive anything, so it is refused, and the first keeps working.
TEST(VpcWire, ASecondPortWithTheSameMacIsRefusedWithAClearLine) {
    auto first = SimPort::create(std::string(kSyncArgs) + ",wire=vpc:same_mac,mac=02:00:00:00:99:01");
    ASSERT_NE(first, nullptr);
    LogCapture log;
    int rc = 0;
    auto second = SimPort::create(std::string(kSyncArgs) + ",wire=vpc:same_mac,mac=02:00:00:00:99:01", &rc);
    EXPECT_EQ(second, nullptr);
    EXPECT_EQ(rc, -EADDRINUSE);
    EXPECT_NE(log.text().find("cannot join wire vpc:same_mac: MAC 02:00:00:00:99:01 is taken on vpc segment "
                              "'same_mac' by " + first->name),
              std::string::npos)
        << log.text();
    auto other = SimPort::create(std::string(kSyncArgs) + ",wire=vpc:same_mac,mac=02:00:00:00:99:02");
    EXPECT_NE(other, nullptr);
}

}  // namespace
}  // namespace ena::test
