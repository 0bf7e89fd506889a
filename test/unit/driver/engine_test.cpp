// The inline engine through ethdev: the device works in the threads that call the bursts, in
// real time, with the control path (the EAL alarm thread and a statistics reader) on other
// threads. Frames cross from one thread's port to the other thread's Rx ring byte for byte, a
// capture is replayed at Rx polls, and every mbuf comes back.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <atomic>
#include <chrono>
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

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

constexpr const char* kMacA = "02:00:00:00:e0:0a";
constexpr const char* kMacB = "02:00:00:00:e0:0b";

rte_mempool* send_pool() {
    static rte_mempool* pool =
        rte_pktmbuf_pool_create("engine_test_tx", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    return pool;
}

rte_ether_addr mac_of(std::uint16_t port) {
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port, &mac);
    return mac;
}

// Frame `i` from `src` to `dst`: its size and payload follow from i.
Bytes frame(const rte_ether_addr& src, const rte_ether_addr& dst, unsigned i) {
    FrameSpec spec;
    spec.size = 60 + (i * 37) % 1440;
    spec.seed = static_cast<std::uint8_t>(i);
    spec.src_port = static_cast<std::uint16_t>(i);
    Bytes f = make_frame(spec);
    std::memcpy(f.data(), dst.addr_bytes, 6);
    std::memcpy(f.data() + 6, src.addr_bytes, 6);
    return f;
}

rte_mbuf* mbuf_of(const Bytes& bytes) {
    rte_mbuf* m = rte_pktmbuf_alloc(send_pool());
    if (m == nullptr)
        return nullptr;
    char* data = rte_pktmbuf_append(m, static_cast<std::uint16_t>(bytes.size()));
    std::memcpy(data, bytes.data(), bytes.size());
    return m;
}

std::unique_ptr<SimPort> inline_port(const std::string& wire, const char* mac) {
    auto port = SimPort::create("engine=inline,wire=" + wire + ",mac=" + mac);
    if (port != nullptr && port->configure_and_start() != 0)
        return nullptr;
    return port;
}

// Acceptance: several threads and ports, the control path elsewhere. Each thread owns one port,
// sends to the other port's MAC, and receives what the other thread sent -- 20000 frames each
// way of sizes 60 to 1499, each compared byte for byte and in order. A third thread reads
// statistics and xstats all along; the ports' control-path alarm runs on the EAL thread.
TEST(InlineEngine, TwoThreadsSendToEachOthersPortsByteExact) {
    const unsigned rx_pool_before = rte_mempool_avail_count(test_pool());
    const unsigned tx_pool_before = rte_mempool_avail_count(send_pool());
    auto a = inline_port("vpc:engine_two_threads", kMacA);
    auto b = inline_port("vpc:engine_two_threads", kMacB);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(a->device->mode(), sim::EngineMode::kInline);

    constexpr unsigned kFrames = 20000;
    struct Side {
        std::atomic<unsigned> received{0};
        unsigned wrong = 0;
        unsigned sent = 0;
    };
    std::atomic<bool> stop{false};
    std::thread control([&] {
        std::vector<rte_eth_xstat> xstats(512);
        while (!stop.load()) {
            for (std::uint16_t port : {a->id, b->id}) {
                rte_eth_stats stats;
                rte_eth_stats_get(port, &stats);
                rte_eth_xstats_get(port, xstats.data(), static_cast<unsigned>(xstats.size()));
                rte_eth_link link;
                EXPECT_EQ(rte_eth_link_get_nowait(port, &link), 0);
            }
            std::this_thread::sleep_for(1ms);
        }
    });
    auto run = [&](std::uint16_t self, std::uint16_t peer, Side& me, const Side& other) {
        const rte_ether_addr mine = mac_of(self), theirs = mac_of(peer);
        const auto give_up = Clock::now() + 60s;
        while ((me.sent < kFrames || me.received.load() < kFrames) && Clock::now() < give_up) {
            // At most 256 in flight: the other port's 512 Rx buffers never run out.
            rte_mbuf* burst[32];
            std::uint16_t n = 0;
            while (n < 32 && me.sent + n < kFrames && me.sent + n - other.received.load() < 256) {
                burst[n] = mbuf_of(frame(mine, theirs, me.sent + n));
                if (burst[n] == nullptr)
                    break;
                ++n;
            }
            const std::uint16_t taken = rte_eth_tx_burst(self, 0, burst, n);
            rte_pktmbuf_free_bulk(burst + taken, n - taken);
            me.sent += taken;
            rte_mbuf* got[32];
            const std::uint16_t r = rte_eth_rx_burst(self, 0, got, 32);
            for (std::uint16_t i = 0; i < r; ++i) {
                me.wrong += packet_bytes(got[i]) != frame(theirs, mine, me.received.load());
                ++me.received;
            }
            rte_pktmbuf_free_bulk(got, r);
        }
    };
    Side sa, sb;
    std::thread ta([&] { run(a->id, b->id, sa, sb); });
    std::thread tb([&] { run(b->id, a->id, sb, sa); });
    ta.join();
    tb.join();
    stop = true;
    control.join();
    EXPECT_EQ(sa.received.load(), kFrames);
    EXPECT_EQ(sb.received.load(), kFrames);
    EXPECT_EQ(sa.wrong + sb.wrong, 0u);
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(b->id, &stats), 0);
    EXPECT_EQ(stats.imissed, 0u);
    ASSERT_EQ(rte_eth_dev_stop(a->id), 0);
    ASSERT_EQ(rte_eth_dev_stop(b->id), 0);
    EXPECT_EQ(rte_mempool_avail_count(test_pool()), rx_pool_before) << "every Rx mbuf came back";
    EXPECT_EQ(rte_mempool_avail_count(send_pool()), tx_pool_before) << "every Tx mbuf came back";
}

// A capture replayed into an inline port comes in at its Rx polls: no thread of the simulator
// is needed for a wire that polls.
TEST(InlineEngine, ACaptureIsReplayedAtRxPolls) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(testing::TempDir()) / ("ena_engine_test_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const fs::path capture = dir / "in.pcap";
    constexpr unsigned kFrames = 3000;  // several times the Rx ring
    std::vector<Bytes> frames;
    {
        std::string out;
        auto le32 = [&](std::uint32_t v) {
            for (int i = 0; i < 4; ++i)
                out.push_back(static_cast<char>(v >> (8 * i)));
        };
        le32(0xa1b2c3d4);
        le32(2 | (4u << 16));
        le32(0);
        le32(0);
        le32(65535);
        le32(1);
        rte_ether_addr src{{0x02, 0, 0, 0, 0xe0, 0x01}}, dst{{0x02, 0, 0, 0, 0xe0, 0x0c}};
        for (unsigned i = 0; i < kFrames; ++i) {
            frames.push_back(frame(src, dst, i));
            le32(1700000000 + i);
            le32(0);
            le32(static_cast<std::uint32_t>(frames.back().size()));
            le32(static_cast<std::uint32_t>(frames.back().size()));
            out.append(frames.back().begin(), frames.back().end());
        }
        std::ofstream(capture, std::ios::binary) << out;
    }
    auto port = inline_port("[pcap:rx=" + capture.string() + "]", "02:00:00:00:e0:0c");
    ASSERT_NE(port, nullptr);
    unsigned received = 0, wrong = 0;
    const auto give_up = Clock::now() + 30s;
    while (received < kFrames && Clock::now() < give_up) {
        rte_mbuf* got[32];
        const std::uint16_t n = rte_eth_rx_burst(port->id, 0, got, 32);
        for (std::uint16_t i = 0; i < n; ++i, ++received)
            wrong += packet_bytes(got[i]) != frames[received];
        rte_pktmbuf_free_bulk(got, n);
    }
    EXPECT_EQ(received, kFrames);
    EXPECT_EQ(wrong, 0u);
    port.reset();
    fs::remove_all(dir);
}

}  // namespace
}  // namespace ena::test
