// Datapath tests: packets through the driver and the simulated device (synchronous engine,
// loopback wire), checked byte for byte, with offloads, errors and mbuf accounting. Every test
// runs on each Rx path (rx_path devarg: scalar, SSE4.1, AVX2).
#include <gtest/gtest.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "datapath/simd_support.hpp"
#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

constexpr std::uint16_t kJumboMtu = 9000;
constexpr unsigned kMaxTxSegments = 16;  // device limit 17 descriptors, one is the meta descriptor

// Tx mbufs big enough for a 9000-byte frame in one segment.
rte_mempool* tx_pool() {
    static rte_mempool* pool = rte_pktmbuf_pool_create("datapath_tx_pool", 4095, 0, 0,
                                                       RTE_PKTMBUF_HEADROOM + 9216, SOCKET_ID_ANY);
    return pool;
}

// The Rx paths every test runs on; the test's own, set by its fixture.
const char* const kRxPaths[] = {"scalar", "sse4.1", "avx2"};
std::string g_rx_path = "scalar";

// Devargs of a synchronous port on a loopback wire running the test's Rx path.
std::string loop_args(const std::string& extra_args = "") {
    return std::string(kSyncArgs) + ",wire=loopback,rx_path=" + g_rx_path + extra_args;
}

// Every datapath test is one of these: it runs once per Rx path.
template <typename Extra = void>
class OnEachRxPath;
template <>
class OnEachRxPath<void> : public testing::TestWithParam<const char*> {
protected:
    void SetUp() override { g_rx_path = GetParam(); }
};
template <typename Extra>
class OnEachRxPath : public testing::TestWithParam<std::tuple<Extra, const char*>> {
protected:
    void SetUp() override { g_rx_path = std::get<1>(this->GetParam()); }
    const Extra& extra() const { return std::get<0>(this->GetParam()); }
};

std::string rx_path_name(const char* path) { return std::string(path) == "sse4.1" ? "sse41" : path; }
std::string rx_path_test_name(const testing::TestParamInfo<const char*>& info) { return rx_path_name(info.param); }

#define ENA_RX_PATHS(Suite) INSTANTIATE_TEST_SUITE_P(RxPath, Suite, testing::ValuesIn(kRxPaths), rx_path_test_name)

// A started port on a loopback wire: what it sends comes back to its own Rx queues.
std::unique_ptr<SimPort> loop_port(const std::string& extra_args, rte_eth_conf conf = {}, std::uint16_t rx = 1,
                                   std::uint16_t tx = 1, std::uint16_t mtu = kJumboMtu) {
    auto port = SimPort::create(loop_args(extra_args));
    if (port == nullptr || port->configure(rx, tx, conf) != 0 || rte_eth_dev_set_mtu(port->id, mtu) != 0 ||
        port->setup_queues(rx, tx) != 0 || rte_eth_dev_start(port->id) != 0)
        return nullptr;
    return port;
}

// Sends one packet and returns what arrives (empty when nothing does).
std::vector<rte_mbuf*> send_and_receive(const SimPort& port, rte_mbuf* m, std::uint16_t queue = 0) {
    EXPECT_EQ(rte_eth_tx_burst(port.id, 0, &m, 1), 1);
    std::vector<rte_mbuf*> got(64);
    const std::uint16_t n = rte_eth_rx_burst(port.id, queue, got.data(), static_cast<std::uint16_t>(got.size()));
    got.resize(n);
    return got;
}

void free_all(std::vector<rte_mbuf*>& mbufs) {
    for (rte_mbuf* m : mbufs)
        rte_pktmbuf_free(m);
    mbufs.clear();
}

// Tx that takes chains (RTE_ETH_TX_OFFLOAD_MULTI_SEGS), with `tx_offloads` on top.
rte_eth_conf chains_conf(std::uint64_t tx_offloads = 0) {
    rte_eth_conf conf{};
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | tx_offloads;
    return conf;
}

// llq_policy: 0 host memory, 2 LLQ 128-byte entries, 3 LLQ 256-byte entries.
class TxModes : public OnEachRxPath<int> {
protected:
    int placement() const { return extra(); }
    std::string args() const { return ",llq_policy=" + std::to_string(placement()); }
};

TEST_P(TxModes, BurstModeNamesThePlacement) {
    auto port = loop_port(args());
    ASSERT_NE(port, nullptr);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
    const char* expected[] = {"host memory", "", "LLQ 128B (96B header)", "LLQ 256B (224B header)"};
    EXPECT_NE(std::strstr(mode.info, expected[placement()]), nullptr) << mode.info;
}

TEST_P(TxModes, FramesArriveByteExactForEverySizeAndSegmentation) {
    auto port = loop_port(args(), chains_conf());
    ASSERT_NE(port, nullptr);
    const std::size_t sizes[] = {60, 64, 95, 96, 97, 128, 200, 224, 225, 1500, 2049, 4000, 9000};
    const unsigned segment_counts[] = {1, 2, 3, 7, kMaxTxSegments};
    const FrameKind kinds[] = {FrameKind::kRaw, FrameKind::kUdp4, FrameKind::kTcp6};
    unsigned sent = 0;
    for (const FrameKind kind : kinds)
        for (const std::size_t size : sizes)
            for (const unsigned segments : segment_counts) {
                FrameSpec spec;
                spec.kind = kind;
                spec.size = size;
                spec.seed = static_cast<std::uint8_t>(sent);
                const auto frame = make_frame(spec);
                rte_mbuf* m = make_chain(tx_pool(), frame, segments);
                ASSERT_NE(m, nullptr);
                auto got = send_and_receive(*port, m);
                ASSERT_EQ(got.size(), 1u) << "size " << size << " segments " << segments;
                EXPECT_EQ(packet_bytes(got[0]), frame) << "size " << size << " segments " << segments;
                free_all(got);
                ++sent;
            }
    EXPECT_EQ(xstat(port->id, "tx_q0_cnt"), sent);
    EXPECT_EQ(xstat(port->id, "rx_q0_cnt"), sent);
    EXPECT_EQ(xstat(port->id, "tx_q0_linearize"), 0u);
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.opackets, sent);
    EXPECT_EQ(stats.ipackets, sent);
    EXPECT_EQ(stats.oerrors, 0u);
    EXPECT_EQ(stats.ierrors, 0u);
}

TEST_P(TxModes, ChainLongerThanTheDeviceTakesIsLinearized) {
    auto port = loop_port(args(), chains_conf());
    ASSERT_NE(port, nullptr);
    FrameSpec spec;
    spec.size = 3000;
    const auto frame = make_frame(spec);
    rte_mbuf* m = make_chain(tx_pool(), frame, 24);
    ASSERT_NE(m, nullptr);
    // tx_prepare says no: too many segments.
    EXPECT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 0);
    EXPECT_EQ(rte_errno, EINVAL);
    // The burst copies it into fewer segments instead of writing a malformed packet.
    auto got = send_and_receive(*port, m);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(packet_bytes(got[0]), frame);
    EXPECT_EQ(xstat(port->id, "tx_q0_linearize"), 1u);
    EXPECT_EQ(xstat(port->id, "tx_q0_prepare_ctx_err"), 1u);
    free_all(got);
}

TEST_P(TxModes, ChecksumOffloadProducesFramesWhoseChecksumsVerify) {
    rte_eth_conf conf =
        chains_conf(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
    conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
    auto port = loop_port(args(), conf);
    ASSERT_NE(port, nullptr);
    const FrameKind kinds[] = {FrameKind::kUdp4, FrameKind::kTcp4, FrameKind::kTcp6, FrameKind::kUdp6};
    unsigned good = 0;
    for (const FrameKind kind : kinds)
        for (const std::size_t size : {100, 1500, 5000})
            for (const unsigned segments : {1u, 3u}) {
                FrameSpec spec;
                spec.kind = kind;
                spec.size = size;
                auto frame = make_frame(spec);
                const auto reference = frame;
                clear_checksums(frame, spec);
                ASSERT_FALSE(checksums_valid(frame));
                const HeaderLengths h = header_lengths(spec);
                // Checksum offload wants the headers in the first segment.
                rte_mbuf* m = make_chain(tx_pool(), frame, segments, h.l2 + h.l3 + h.l4);
                ASSERT_NE(m, nullptr);
                m->l2_len = h.l2;
                m->l3_len = h.l3;
                m->l4_len = h.l4;
                const bool v4 = kind == FrameKind::kUdp4 || kind == FrameKind::kTcp4;
                const bool tcp = kind == FrameKind::kTcp4 || kind == FrameKind::kTcp6;
                m->ol_flags = (v4 ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM : RTE_MBUF_F_TX_IPV6) |
                              (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
                ASSERT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 1)
                    << rte_strerror(rte_errno) << " kind " << int(kind) << " size " << size << " segments " << segments;
                auto got = send_and_receive(*port, m);
                ASSERT_EQ(got.size(), 1u);
                const auto bytes = packet_bytes(got[0]);
                EXPECT_TRUE(checksums_valid(bytes)) << "kind " << int(kind) << " size " << size;
                EXPECT_EQ(bytes, reference);
                EXPECT_EQ(got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
                if (v4) {
                    EXPECT_EQ(got[0]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
                }
                EXPECT_EQ(got[0]->packet_type & RTE_PTYPE_L4_MASK, tcp ? RTE_PTYPE_L4_TCP : RTE_PTYPE_L4_UDP);
                EXPECT_EQ(got[0]->packet_type & RTE_PTYPE_L3_MASK, v4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6);
                free_all(got);
                ++good;
            }
    EXPECT_EQ(xstat(port->id, "rx_q0_l4_csum_good"), good);
    EXPECT_EQ(xstat(port->id, "rx_q0_l4_csum_bad"), 0u);

    // Headers split over segments cannot be prepared: refused, not sent wrong.
    FrameSpec spec;
    spec.kind = FrameKind::kTcp4;
    rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 4);
    m->l2_len = 14;
    m->l3_len = 20;
    m->l4_len = 20;
    m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
    EXPECT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 0);
    EXPECT_EQ(rte_errno, ENOTSUP);
    rte_pktmbuf_free(m);
}

TEST_P(TxModes, TsoSegmentsAreValidAndCarryTheWholePayload) {
    rte_eth_conf conf =
        chains_conf(RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
    auto port = loop_port(args(), conf, 1, 1, 1500);
    ASSERT_NE(port, nullptr);
    for (const bool v6 : {false, true}) {
        FrameSpec spec;
        spec.kind = v6 ? FrameKind::kTcp6 : FrameKind::kTcp4;
        const std::size_t headers = v6 ? 14 + 40 + 20 : 14 + 20 + 20;
        spec.size = headers + 7000;
        spec.seed = 3;
        const auto frame = make_frame(spec);
        rte_mbuf* m = make_chain(tx_pool(), frame, 3, headers);
        ASSERT_NE(m, nullptr);
        m->l2_len = 14;
        m->l3_len = v6 ? 40 : 20;
        m->l4_len = 20;
        m->tso_segsz = 1400;
        m->ol_flags = v6 ? RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_SEG
                         : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
        ASSERT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 1) << rte_strerror(rte_errno);
        auto got = send_and_receive(*port, m);
        ASSERT_EQ(got.size(), 5u) << (v6 ? "IPv6" : "IPv4");  // 7000 bytes in 1400-byte segments
        std::vector<std::uint8_t> payload;
        std::uint32_t expected_seq = 1000u * spec.seed;
        for (std::size_t i = 0; i < got.size(); ++i) {
            const auto bytes = packet_bytes(got[i]);
            EXPECT_TRUE(checksums_valid(bytes)) << "segment " << i;
            ASSERT_EQ(bytes.size(), headers + 1400);
            if (v6) {
                const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(bytes.data() + 14);
                EXPECT_EQ(rte_be_to_cpu_16(ip->payload_len), 20u + 1400);
            } else {
                const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(bytes.data() + 14);
                EXPECT_EQ(rte_be_to_cpu_16(ip->total_length), 20u + 20 + 1400);
            }
            const auto* tcp = reinterpret_cast<const rte_tcp_hdr*>(bytes.data() + headers - 20);
            EXPECT_EQ(rte_be_to_cpu_32(tcp->sent_seq), expected_seq);
            // PSH only on the last segment.
            EXPECT_EQ((tcp->tcp_flags & RTE_TCP_PSH_FLAG) != 0, i + 1 == got.size());
            expected_seq += 1400;
            payload.insert(payload.end(), bytes.begin() + static_cast<std::ptrdiff_t>(headers), bytes.end());
        }
        EXPECT_EQ(payload, std::vector<std::uint8_t>(frame.begin() + static_cast<std::ptrdiff_t>(headers), frame.end()));
        free_all(got);
    }
}

TEST_P(TxModes, NoMbufIsLeakedAfterStopWithTrafficInFlight) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    const unsigned rx_before = rte_mempool_avail_count(test_pool());
    {
        auto port = loop_port(args(), chains_conf());
        ASSERT_NE(port, nullptr);
        std::vector<rte_mbuf*> burst;
        FrameSpec spec;
        spec.size = 1000;
        for (int i = 0; i < 200; ++i)
            burst.push_back(make_chain(tx_pool(), make_frame(spec), 1 + i % 3));
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), 100), 100);
        std::vector<rte_mbuf*> got(40);
        got.resize(rte_eth_rx_burst(port->id, 0, got.data(), 40));
        free_all(got);
        // Completions of the second burst are still unprocessed and frames wait in the Rx ring.
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data() + 100, 100), 100);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        // Restart and stop again: the rings are refilled and drained once more.
        ASSERT_EQ(rte_eth_dev_start(port->id), 0);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
    EXPECT_EQ(rte_mempool_avail_count(test_pool()), rx_before);
}

// Without RTE_ETH_TX_OFFLOAD_MULTI_SEGS the single-segment path runs: every one-segment frame
// arrives as sent; a chain is refused as DPDK defines the offload -- consumed, counted as an
// error, said once -- never sent half or leaked.
TEST_P(TxModes, ASingleSegmentQueueSendsOneSegmentFramesAndRefusesChains) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    {
        auto port = loop_port(args());
        ASSERT_NE(port, nullptr);
        rte_eth_burst_mode mode{};
        ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
        EXPECT_NE(std::strstr(mode.info, "single-segment"), nullptr) << mode.info;
        unsigned sent = 0;
        for (const FrameKind kind : {FrameKind::kRaw, FrameKind::kUdp4, FrameKind::kTcp6})
            for (const std::size_t size : {60, 64, 95, 96, 97, 128, 200, 224, 225, 1500, 4000, 9000}) {
                FrameSpec spec;
                spec.kind = kind;
                spec.size = size;
                spec.seed = static_cast<std::uint8_t>(sent++);
                const auto frame = make_frame(spec);
                auto got = send_and_receive(*port, make_chain(tx_pool(), frame, 1));
                ASSERT_EQ(got.size(), 1u) << "size " << size;
                EXPECT_EQ(packet_bytes(got[0]), frame) << "size " << size;
                free_all(got);
            }
        FrameSpec spec;
        spec.size = 3000;
        rte_mbuf* chain = make_chain(tx_pool(), make_frame(spec), 3);
        ASSERT_NE(chain, nullptr);
        EXPECT_EQ(rte_eth_tx_prepare(port->id, 0, &chain, 1), 0);
        EXPECT_EQ(rte_errno, EINVAL);
        LogCapture log;
        for (int i = 0; i < 2; ++i) {
            rte_mbuf* again = i == 0 ? chain : make_chain(tx_pool(), make_frame(spec), 2);
            EXPECT_TRUE(send_and_receive(*port, again).empty());  // consumed, not sent
        }
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
        EXPECT_EQ(stats.oerrors, 2u);
        EXPECT_EQ(stats.opackets, sent);
        const std::string text = log.text();
        const std::string line = "configured without RTE_ETH_TX_OFFLOAD_MULTI_SEGS";
        EXPECT_NE(text.find(line), std::string::npos) << text;
        EXPECT_EQ(text.find(line), text.rfind(line)) << text;
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
}

INSTANTIATE_TEST_SUITE_P(Placement, TxModes, testing::Combine(testing::Values(0, 2, 3), testing::ValuesIn(kRxPaths)),
                         [](const auto& info) {
                             const int placement = std::get<0>(info.param);
                             return std::string(placement == 0 ? "Host" : placement == 2 ? "Llq128" : "Llq256") + "_" +
                                    rx_path_name(std::get<1>(info.param));
                         });

// --- Accelerated LLQ burst budget -----------------------------------------------------------

class LlqBurstBudget : public OnEachRxPath<> {};
ENA_RX_PATHS(LlqBurstBudget);

TEST_P(LlqBurstBudget, ExtraDoorbellsKeepEachBurstWithinTheDeviceLimit) {
    // 2048 bytes per doorbell: 16 entries of 128 bytes, 8 of 256 bytes.
    for (const auto& [policy, doorbells] : {std::pair{2, 2u}, std::pair{3, 4u}}) {
        auto port = loop_port(",llq_tx_burst=2048,llq_policy=" + std::to_string(policy));
        ASSERT_NE(port, nullptr);
        std::vector<rte_mbuf*> burst;
        FrameSpec spec;
        for (int i = 0; i < 32; ++i)
            burst.push_back(make_chain(tx_pool(), make_frame(spec), 1));
        const std::uint64_t before = xstat(port->id, "tx_q0_doorbells");
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), 32), 32);
        EXPECT_EQ(xstat(port->id, "tx_q0_doorbells") - before, doorbells) << "llq_policy=" << policy;
        EXPECT_EQ(port->device->stats().llq_burst_exceeded, 0u);
        EXPECT_EQ(port->device->stats().tx_packets, 32u);
        rte_mbuf* got[64];
        std::uint16_t n;
        while ((n = rte_eth_rx_burst(port->id, 0, got, 64)) != 0)
            rte_pktmbuf_free_bulk(got, n);
    }
}

// --- LLQ header room ----------------------------------------------------------------------------

FrameSpec long_header_frame() {
    FrameSpec spec;
    spec.kind = FrameKind::kTcp6;
    spec.size = 400;
    spec.tcp_options = 40;  // 14 + 40 + 60 = 114 header bytes: more than 96, less than 224
    return spec;
}

// Header lengths are declared with an offload request (DPDK defines l2_len and the others for
// offloads; without one the burst does not read them, and the device itself drops a frame
// whose headers do not fit, below).
class LlqHeaderRoom : public OnEachRxPath<> {};
ENA_RX_PATHS(LlqHeaderRoom);

TEST_P(LlqHeaderRoom, DeclaredHeadersBeyondTheRoomAreCountedNotLostSilently) {
    rte_eth_conf conf{};
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    auto port = loop_port(",llq_policy=2", conf);
    ASSERT_NE(port, nullptr);
    const FrameSpec spec = long_header_frame();
    rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
    const HeaderLengths h = header_lengths(spec);
    m->l2_len = h.l2;
    m->l3_len = h.l3;
    m->l4_len = h.l4;
    m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
    EXPECT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 0);
    EXPECT_EQ(rte_errno, EMSGSIZE);
    rte_mbuf* again = rte_pktmbuf_clone(m, tx_pool());
    ASSERT_NE(again, nullptr);
    LogCapture log;
    EXPECT_TRUE(send_and_receive(*port, m).empty());
    EXPECT_TRUE(send_and_receive(*port, again).empty());
    EXPECT_EQ(xstat(port->id, "tx_q0_header_overflow"), 2u);
    EXPECT_EQ(port->device->stats().llq_header_overflow_drops, 0u);  // never reached the device
    // Said once, with what to do about it.
    const std::string text = log.text();
    const std::string line = "declares 114 bytes of headers, more than the 96-byte LLQ header room";
    EXPECT_NE(text.find(line), std::string::npos) << text;
    EXPECT_EQ(text.find(line), text.rfind(line)) << text;
    EXPECT_NE(text.find("llq_policy=3"), std::string::npos) << text;
}

TEST_P(LlqHeaderRoom, UndeclaredLongHeadersAreDroppedByTheDeviceWhichNotifies) {
    auto port = loop_port(",llq_policy=2");
    ASSERT_NE(port, nullptr);
    rte_mbuf* m = make_chain(tx_pool(), make_frame(long_header_frame()), 1);
    auto got = send_and_receive(*port, m);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(port->device->stats().llq_header_overflow_drops, 1u);
    port->driver()->poll_control_path();
    EXPECT_EQ(port->driver()->device().event_counters().conf_notifications[2], 1u);  // code 3
}

TEST_P(LlqHeaderRoom, WideEntriesCarryTheSameFrame) {
    auto port = loop_port(",llq_policy=3");
    ASSERT_NE(port, nullptr);
    const FrameSpec spec = long_header_frame();
    const auto frame = make_frame(spec);
    rte_mbuf* m = make_chain(tx_pool(), frame, 1);
    const HeaderLengths h = header_lengths(spec);
    m->l2_len = h.l2;
    m->l3_len = h.l3;
    m->l4_len = h.l4;
    EXPECT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 1);
    auto got = send_and_receive(*port, m);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(packet_bytes(got[0]), frame);
    free_all(got);
}

// --- Rx -----------------------------------------------------------------------------------------

class RxChecksum : public OnEachRxPath<> {};
ENA_RX_PATHS(RxChecksum);

TEST_P(RxChecksum, BadChecksumsAreFlaggedAndCounted) {
    rte_eth_conf conf{};
    conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    auto port = loop_port("", conf);
    ASSERT_NE(port, nullptr);
    FrameSpec spec;
    spec.kind = FrameKind::kTcp4;
    spec.size = 200;
    auto frame = make_frame(spec);
    frame[14 + 10] ^= 0x55;  // IPv4 header checksum
    frame[34 + 16] ^= 0x55;  // TCP checksum
    auto got = send_and_receive(*port, make_chain(tx_pool(), frame, 1));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_BAD);
    EXPECT_EQ(got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_BAD);
    EXPECT_EQ(xstat(port->id, "rx_q0_l3_csum_bad"), 1u);
    EXPECT_EQ(xstat(port->id, "rx_q0_l4_csum_bad"), 1u);
    EXPECT_EQ(xstat(port->id, "rx_q0_bad_csum"), 2u);  // the guide's name: both checksums
    // The packet is delivered (flagged) and is one Rx error where applications look.
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.ierrors, 1u);
    EXPECT_EQ(stats.q_errors[0], 1u);
    EXPECT_EQ(stats.ipackets, 1u);
    EXPECT_EQ(xstat(port->id, "rx_errors"), 1u);
    free_all(got);
    // A good one is not.
    FrameSpec good = spec;
    good.seed = 7;
    got = send_and_receive(*port, make_chain(tx_pool(), make_frame(good), 1));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
    free_all(got);
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.ierrors, 1u);
    EXPECT_EQ(stats.ipackets, 2u);
}

// The device computes checksum results and hashes only for a port that reads them: what the
// port's Rx offloads say at every start.
TEST(RxDeviceWork, TheDeviceVerifiesOnlyForAPortThatAsksForChecksums) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    auto rx_sq = [&] {
        for (std::uint16_t i = 0; i < 2 * port->device->config().max_io_queues; ++i)
            if (const sim::QueueState s = port->device->sq_state(i); s.exists && s.rx)
                return s;
        return sim::QueueState{};
    };
    ASSERT_EQ(port->configure_and_start(), 0);
    EXPECT_TRUE(rx_sq().exists);
    EXPECT_FALSE(rx_sq().rx_checksums);
    EXPECT_FALSE(rx_sq().rx_hash);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);
    EXPECT_TRUE(rx_sq().rx_checksums);
    EXPECT_TRUE(rx_sq().rx_hash);
}

class RxRefill : public OnEachRxPath<> {};
ENA_RX_PATHS(RxRefill);

TEST_P(RxRefill, AQueueStartsEvenWithAnEmptyPoolAndFillsAsMbufsComeBack) {
    rte_mempool* pool = rte_pktmbuf_pool_create("datapath_empty_pool", 600, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    std::vector<rte_mbuf*> taken(600);
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(pool, taken.data(), 600), 0);
    {
        auto port = SimPort::create(loop_args());
        ASSERT_NE(port, nullptr);
        ASSERT_EQ(port->configure(1, 1), 0);
        ASSERT_EQ(rte_eth_rx_queue_setup(port->id, 0, 512, SOCKET_ID_ANY, nullptr, pool), 0);
        ASSERT_EQ(rte_eth_tx_queue_setup(port->id, 0, 512, SOCKET_ID_ANY, nullptr), 0);
        {
            LogCapture log;
            ASSERT_EQ(rte_eth_dev_start(port->id), 0);  // as a partial fill would: the bursts retry
            EXPECT_NE(log.text().find("Rx queue 0 started with 0 of 511 buffers"), std::string::npos) << log.text();
        }
        free_all(taken);
        rte_mbuf* none[1];
        EXPECT_EQ(rte_eth_rx_burst(port->id, 0, none, 1), 0);  // this burst posts the buffers
        EXPECT_EQ(port->driver()->rx_queue(0)->free_slots(), 0);
        rte_mbuf* m = make_chain(tx_pool(), make_frame(FrameSpec{}), 1);
        auto got = send_and_receive(*port, m);
        EXPECT_EQ(got.size(), 1u);
        free_all(got);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(pool), 600u);
    rte_mempool_free(pool);
}

TEST_P(RxRefill, MempoolShortageIsCountedAndRetried) {
    rte_mempool* small = rte_pktmbuf_pool_create("datapath_small_pool", 600, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                 SOCKET_ID_ANY);
    ASSERT_NE(small, nullptr);
    {
        auto port = SimPort::create(loop_args());
        ASSERT_NE(port, nullptr);
        ASSERT_EQ(port->configure(1, 1), 0);
        ASSERT_EQ(rte_eth_rx_queue_setup(port->id, 0, 512, SOCKET_ID_ANY, nullptr, small), 0);
        ASSERT_EQ(rte_eth_tx_queue_setup(port->id, 0, 512, SOCKET_ID_ANY, nullptr), 0);
        ASSERT_EQ(rte_eth_dev_start(port->id), 0);
        EXPECT_EQ(rte_mempool_avail_count(small), 600u - 511);

        FrameSpec spec;
        std::vector<rte_mbuf*> held;
        auto pump = [&](unsigned frames) {
            for (unsigned i = 0; i < frames; ++i) {
                rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
                ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
            }
            rte_mbuf* got[32];
            std::uint16_t n;
            while ((n = rte_eth_rx_burst(port->id, 0, got, 32)) != 0)
                held.insert(held.end(), got, got + n);
        };
        // The application keeps what it receives: the pool runs dry while refilling.
        pump(300);
        EXPECT_EQ(held.size(), 300u);
        EXPECT_GE(xstat(port->id, "rx_q0_refill_partial"), 1u);
        EXPECT_GE(xstat(port->id, "rx_q0_mbuf_alloc_fail"), 1u);
        EXPECT_EQ(rte_mempool_avail_count(small), 0u);
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
        EXPECT_GE(stats.rx_nombuf, 1u);
        // Once the application gives mbufs back, the next bursts post buffers again and traffic
        // keeps flowing.
        free_all(held);
        rte_mbuf* none[1];
        EXPECT_EQ(rte_eth_rx_burst(port->id, 0, none, 1), 0);  // the burst refills the ring
        EXPECT_EQ(port->driver()->rx_queue(0)->free_slots(), 0);
        pump(400);
        EXPECT_EQ(held.size(), 400u);
        free_all(held);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(small), 600u);
    rte_mempool_free(small);
}

// The request id of the buffer the device fills `ahead` completions from now: the device takes
// the posted descriptors in order, one per completion.
std::uint16_t next_buffer(const ng::RxQueue& rx, std::uint16_t ahead = 0) {
    return rx.sq_ring.as<const hw::RxDesc>()[(rx.cq_head + ahead) & rx.mask].req_id;
}

// Forges an Rx completion at the queue's next position: what a misbehaving device could write.
void forge_rx_completion(ng::RxQueue& rx, std::uint16_t req_id) {
    auto* ring = rx.cq_ring.as<hw::RxCompletion>();
    hw::RxCompletion c{};
    c.length = 64;
    c.req_id = req_id;
    c.status = hw::rx_completion::First::make(1) | hw::rx_completion::Last::make(1) |
               hw::rx_completion::Phase::make(hw::ring_phase(rx.cq_head, rx.config.depth));
    ring[rx.cq_head & rx.mask] = c;
}

class RxErrors : public OnEachRxPath<> {};
ENA_RX_PATHS(RxErrors);

TEST_P(RxErrors, StaleOrOutOfRangeRequestIdsNeverYieldAnMbuf) {
    for (const bool stale : {true, false}) {
        auto port = loop_port("");
        ASSERT_NE(port, nullptr);
        FrameSpec spec;
        auto got = send_and_receive(*port, make_chain(tx_pool(), make_frame(spec), 1));
        ASSERT_EQ(got.size(), 1u);
        free_all(got);
        ng::RxQueue& rx = *port->driver()->rx_queue(0);
        // A stale id: the buffer just delivered (its id is back in the free list, not posted).
        const std::uint16_t req_id = stale ? rx.free_req_ids[rx.free_ids - 1] : rx.config.depth + 7;
        ASSERT_EQ(rx.mbufs[req_id & rx.mask] == nullptr, stale);
        forge_rx_completion(rx, req_id);
        rte_mbuf* out[8];
        EXPECT_EQ(rte_eth_rx_burst(port->id, 0, out, 8), 0);
        EXPECT_EQ(xstat(port->id, "rx_q0_bad_req_id"), 1u);
        EXPECT_TRUE(port->driver()->device().reset_requested());
        EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kInvalidRxReqId);
        // The halted queue stays quiet until the port is reset.
        EXPECT_EQ(rte_eth_rx_burst(port->id, 0, out, 8), 0);
        EXPECT_EQ(xstat(port->id, "rx_q0_bad_req_id"), 1u);
    }
}

// Two completions of one group of four naming the same posted buffer: the first delivers it,
// the second is a stale id, on every path (the vector paths take four at a time).
TEST_P(RxErrors, AnIdNamedTwiceInOneGroupYieldsItsMbufOnce) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    ng::RxQueue& rx = *port->driver()->rx_queue(0);
    ASSERT_EQ(rx.cq_head % 4, 0);
    auto* ring = rx.cq_ring.as<hw::RxCompletion>();
    for (std::uint16_t k = 0; k < 8; ++k) {
        hw::RxCompletion c{};
        c.length = 64;
        c.req_id = next_buffer(rx, k == 2 ? 1 : k);
        c.status = hw::rx_completion::First::make(1) | hw::rx_completion::Last::make(1) |
                   hw::rx_completion::Phase::make(hw::ring_phase(rx.cq_head + k, rx.config.depth));
        ring[(rx.cq_head + k) & rx.mask] = c;
    }
    rte_mbuf* out[8];
    const std::uint16_t n = rte_eth_rx_burst(port->id, 0, out, 8);
    ASSERT_EQ(n, 2);
    EXPECT_NE(out[0], out[1]);
    rte_pktmbuf_free_bulk(out, n);
    EXPECT_EQ(xstat(port->id, "rx_q0_bad_req_id"), 1u);
    EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kInvalidRxReqId);
}

// Each value of an Rx completion the device writes, out of bounds: never an mbuf that lies,
// always the matching counter and reset reason, the queue halted.
struct RxForgery {
    const char* label;
    std::function<void(hw::RxCompletion&, const ng::RxQueue&)> forge;
    const char* counter;
    hw::ResetReason reason;
};

class RxCompletionBounds : public OnEachRxPath<RxForgery> {};

TEST_P(RxCompletionBounds, AnOutOfBoundsValueIsCaughtBeforeUse) {
    const RxForgery& f = extra();
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    ng::RxQueue& rx = *port->driver()->rx_queue(0);
    // A valid completion for a posted buffer, then the forgery on top.
    auto* ring = rx.cq_ring.as<hw::RxCompletion>();
    hw::RxCompletion c{};
    c.length = 64;
    c.req_id = next_buffer(rx);
    ASSERT_NE(rx.mbufs[c.req_id], nullptr);
    c.status = hw::rx_completion::First::make(1) | hw::rx_completion::Last::make(1) |
               hw::rx_completion::Phase::make(hw::ring_phase(rx.cq_head, rx.config.depth));
    f.forge(c, rx);
    ring[rx.cq_head & rx.mask] = c;
    rte_mbuf* out[8];
    EXPECT_EQ(rte_eth_rx_burst(port->id, 0, out, 8), 0);
    EXPECT_EQ(xstat(port->id, f.counter), 1u);
    EXPECT_EQ(port->driver()->device().requested_reset_reason(), f.reason);
    EXPECT_EQ(rte_eth_rx_burst(port->id, 0, out, 8), 0);  // halted until the reset
}

INSTANTIATE_TEST_SUITE_P(
    DeviceWritten, RxCompletionBounds,
    testing::Combine(testing::Values(
        RxForgery{"length_beyond_the_buffer",
                  [](hw::RxCompletion& c, const ng::RxQueue& q) { c.length = static_cast<std::uint16_t>(q.config.buffer_size + 1); },
                  "rx_q0_bad_desc", hw::ResetReason::kRxDescriptorMalformed},
        RxForgery{"largest_length", [](hw::RxCompletion& c, const ng::RxQueue&) { c.length = 0xFFFF; }, "rx_q0_bad_desc",
                  hw::ResetReason::kRxDescriptorMalformed},
        RxForgery{"offset_pushes_past_the_buffer",
                  [](hw::RxCompletion& c, const ng::RxQueue& q) {
                      c.offset = 255;
                      c.length = static_cast<std::uint16_t>(q.config.buffer_size - 100);
                  },
                  "rx_q0_bad_desc", hw::ResetReason::kRxDescriptorMalformed},
        RxForgery{"request_id_beyond_the_ring",
                  [](hw::RxCompletion& c, const ng::RxQueue& q) { c.req_id = q.config.depth; }, "rx_q0_bad_req_id",
                  hw::ResetReason::kInvalidRxReqId},
        RxForgery{"largest_request_id", [](hw::RxCompletion& c, const ng::RxQueue&) { c.req_id = 0xFFFF; },
                  "rx_q0_bad_req_id", hw::ResetReason::kInvalidRxReqId},
        RxForgery{"middle_of_a_packet_first",
                  [](hw::RxCompletion& c, const ng::RxQueue&) { c.status &= ~hw::rx_completion::First::make(1); },
                  "rx_q0_bad_desc", hw::ResetReason::kRxDescriptorMalformed}),
                     testing::ValuesIn(kRxPaths)),
    [](const auto& info) {
        return std::string(std::get<0>(info.param).label) + "_" + rx_path_name(std::get<1>(info.param));
    });

// --- the Rx paths --------------------------------------------------------------------------

class RxPaths : public OnEachRxPath<> {};
ENA_RX_PATHS(RxPaths);

TEST_P(RxPaths, TheBurstModeNamesThePathThatRuns) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_rx_burst_mode_get(port->id, 0, &mode), 0);
    const ng::datapath::SimdLevel machine = ng::datapath::simd_level();
    const std::string wanted = g_rx_path;
    std::string expected = wanted == "scalar" ? "scalar" : wanted == "sse4.1" ? "SSE4.1" : "AVX2";
    if ((wanted == "avx2" && machine != ng::datapath::SimdLevel::kAvx2) ||
        (wanted == "sse4.1" && machine == ng::datapath::SimdLevel::kScalar))
        expected = ng::datapath::simd_level_name(machine);  // the widest the machine has
    EXPECT_EQ(std::string(mode.info).rfind(expected, 0), 0u) << mode.info;
}

// What a completion's status means for the mbuf, written out plainly: the reference each path's
// tables and shuffles are held to.
struct ExpectedInfo {
    std::uint32_t ptype;
    std::uint64_t flags;
};
ExpectedInfo expected_info(unsigned l3, unsigned l4, bool fragment, bool l3_error, bool l4_error, bool checked) {
    ExpectedInfo e{RTE_PTYPE_L2_ETHER, 0};
    if (l3 == 8)
        e.ptype |= RTE_PTYPE_L3_IPV4;
    else if (l3 == 11)
        e.ptype |= RTE_PTYPE_L3_IPV6;
    const bool l4_known = !fragment && (l4 == 12 || l4 == 13);
    e.ptype |= fragment ? RTE_PTYPE_L4_FRAG : l4 == 12 ? RTE_PTYPE_L4_TCP : l4 == 13 ? RTE_PTYPE_L4_UDP : 0;
    if (l3 == 8)
        e.flags |= l3_error ? RTE_MBUF_F_RX_IP_CKSUM_BAD : RTE_MBUF_F_RX_IP_CKSUM_GOOD;
    if (l4_known && checked)
        e.flags |= l4_error ? RTE_MBUF_F_RX_L4_CKSUM_BAD : RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    if (l4_known)
        e.flags |= RTE_MBUF_F_RX_RSS_HASH;
    return e;
}

// Completions forged for posted buffers with every combination of the status bits the packet
// type and flags come from (protocols known and unknown, fragments, checksum results), in
// bursts the vector paths take four at a time: each mbuf as the rules say, on every path, with
// and without the checksum and hash offloads.
TEST_P(RxPaths, EveryStatusGivesThePacketTypeAndFlagsTheRulesSay) {
    for (const bool offloads : {false, true}) {
        rte_eth_conf conf{};
        if (offloads) {
            conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
                                   RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH;
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
        }
        auto port = loop_port("", conf);
        ASSERT_NE(port, nullptr);
        ng::RxQueue& rx = *port->driver()->rx_queue(0);
        struct Combo {
            unsigned l3, l4;
            bool fragment, l3_error, l4_error, checked;
        };
        std::vector<Combo> combos;
        for (const unsigned l3 : {0u, 8u, 11u, 3u, 21u, 24u, 31u})
            for (const unsigned l4 : {0u, 12u, 13u, 5u, 23u, 28u})
                for (unsigned bits = 0; bits < 16; ++bits)
                    combos.push_back({l3, l4, (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0});
        std::uint64_t bad_l3 = 0, bad_l4 = 0, good_l4 = 0, errors = 0;
        for (std::size_t done = 0; done < combos.size();) {
            const std::size_t n = std::min<std::size_t>(32, combos.size() - done);
            ASSERT_GE(rx.posted(), n);
            auto* ring = rx.cq_ring.as<hw::RxCompletion>();
            std::vector<rte_mbuf*> posted;
            for (std::size_t k = 0; k < n; ++k) {
                const Combo& c = combos[done + k];
                const auto at = static_cast<std::uint16_t>(rx.cq_head + k);
                hw::RxCompletion e{};
                e.length = static_cast<std::uint16_t>(60 + k);
                e.req_id = next_buffer(rx, static_cast<std::uint16_t>(k));
                e.hash = 0x9E3779B9u * static_cast<std::uint32_t>(done + k + 1);
                e.offset = static_cast<std::uint8_t>((done + k) % 3 * 2);
                namespace rxc = hw::rx_completion;
                e.status = rxc::L3ProtoIdx::make(c.l3) | rxc::L4ProtoIdx::make(c.l4) |
                           rxc::Ipv4Fragment::make(c.fragment) | rxc::L3CsumError::make(c.l3_error) |
                           rxc::L4CsumError::make(c.l4_error) | rxc::L4CsumChecked::make(c.checked) |
                           rxc::First::make(1) | rxc::Last::make(1) | rxc::Phase::make(hw::ring_phase(at, rx.config.depth));
                posted.push_back(rx.mbufs[e.req_id]);
                ring[at & rx.mask] = e;
            }
            rte_mbuf* got[32];
            ASSERT_EQ(rte_eth_rx_burst(port->id, 0, got, 32), n);
            for (std::size_t k = 0; k < n; ++k) {
                const Combo& c = combos[done + k];
                const ExpectedInfo e = expected_info(c.l3, c.l4, c.fragment, c.l3_error, c.l4_error, c.checked);
                rte_mbuf* m = got[k];
                const std::string what = "l3 " + std::to_string(c.l3) + " l4 " + std::to_string(c.l4) + " frag " +
                                         std::to_string(c.fragment) + " l3err " + std::to_string(c.l3_error) +
                                         " l4err " + std::to_string(c.l4_error) + " checked " +
                                         std::to_string(c.checked);
                ASSERT_EQ(m, posted[k]) << what;
                EXPECT_EQ(m->packet_type, e.ptype) << what;
                EXPECT_EQ(m->ol_flags, offloads ? e.flags : 0u) << what;
                if (offloads && (e.flags & RTE_MBUF_F_RX_RSS_HASH)) {
                    EXPECT_EQ(m->hash.rss, 0x9E3779B9u * static_cast<std::uint32_t>(done + k + 1)) << what;
                }
                EXPECT_EQ(m->pkt_len, 60 + k);
                EXPECT_EQ(m->data_len, 60 + k);
                EXPECT_EQ(m->data_off, RTE_PKTMBUF_HEADROOM + (done + k) % 3 * 2);
                EXPECT_EQ(m->nb_segs, 1);
                EXPECT_EQ(m->next, nullptr);
                EXPECT_EQ(m->port, port->id);
                EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
                if (offloads) {
                    bad_l3 += (e.flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) != 0;
                    bad_l4 += (e.flags & RTE_MBUF_F_RX_L4_CKSUM_BAD) != 0;
                    good_l4 += (e.flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD) != 0;
                    errors += (e.flags & (RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD)) != 0;
                }
            }
            rte_pktmbuf_free_bulk(got, static_cast<unsigned>(n));
            done += n;
        }
        EXPECT_EQ(xstat(port->id, "rx_q0_cnt"), combos.size());
        EXPECT_EQ(xstat(port->id, "rx_q0_l3_csum_bad"), bad_l3);
        EXPECT_EQ(xstat(port->id, "rx_q0_l4_csum_bad"), bad_l4);
        EXPECT_EQ(xstat(port->id, "rx_q0_l4_csum_good"), good_l4);
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
        EXPECT_EQ(stats.ierrors, errors);
    }
}

class TxErrors : public OnEachRxPath<> {};
ENA_RX_PATHS(TxErrors);

TEST_P(TxErrors, ACompletionForARequestIdNotInFlightIsCaught) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    ng::TxQueue& tx = *port->driver()->tx_queue(0);
    // In the ring, but no packet was ever sent with it: a duplicate or invented completion.
    auto* ring = tx.cq_ring.as<hw::TxCompletion>();
    hw::TxCompletion c{};
    c.req_id = static_cast<std::uint16_t>(tx.config.depth - 1);
    ASSERT_EQ(tx.requests[c.req_id].mbuf, nullptr);
    c.flags = static_cast<std::uint8_t>(hw::tx_completion::Phase::make(hw::ring_phase(tx.cq_head, tx.config.depth)));
    ring[tx.cq_head & tx.mask] = c;
    EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 0), 0);
    EXPECT_EQ(xstat(port->id, "tx_q0_bad_req_id"), 1u);
    EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kInvalidTxReqId);
}

TEST_P(RxErrors, TooManyDescriptorsForOnePacketIsCountedAndRequestsReset) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    port->device->inject_fault(sim::Fault::kTooManyRxDescs);
    FrameSpec spec;
    spec.size = 200;
    auto got = send_and_receive(*port, make_chain(tx_pool(), make_frame(spec), 1));
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(xstat(port->id, "rx_q0_bad_desc_num"), 1u);
    EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kTooManyRxDescs);
}

// --- Tx completions -------------------------------------------------------------------------

TEST_P(TxErrors, BadCompletionRequestIdIsCountedRequestsResetAndLeaksNothing) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    {
        auto port = loop_port("");
        ASSERT_NE(port, nullptr);
        port->device->inject_fault(sim::Fault::kBadTxReqId);
        FrameSpec spec;
        auto got = send_and_receive(*port, make_chain(tx_pool(), make_frame(spec), 1));
        free_all(got);
        EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 0), 0);
        EXPECT_EQ(xstat(port->id, "tx_q0_bad_req_id"), 1u);
        EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kInvalidTxReqId);
        rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
        EXPECT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 0);  // halted until reset
        rte_pktmbuf_free(m);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
}

class TxCompletions : public OnEachRxPath<> {};
ENA_RX_PATHS(TxCompletions);

TEST_P(TxCompletions, DoneCleanupFreesWhatTheDeviceCompleted) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    FrameSpec spec;
    std::vector<rte_mbuf*> burst;
    for (int i = 0; i < 20; ++i)
        burst.push_back(make_chain(tx_pool(), make_frame(spec), 1));
    ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), 20), 20);
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before - 20);
    EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 5), 5);
    EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 0), 15);
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
}

TEST_P(TxCompletions, FastFreeReturnsMbufsToTheirPool) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    rte_eth_conf conf{};
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    auto port = loop_port("", conf);
    ASSERT_NE(port, nullptr);
    FrameSpec spec;
    for (int round = 0; round < 40; ++round) {
        std::vector<rte_mbuf*> burst;
        for (int i = 0; i < 32; ++i)
            burst.push_back(make_chain(tx_pool(), make_frame(spec), 1));
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), 32), 32);
        rte_mbuf* got[64];
        std::uint16_t n;
        while ((n = rte_eth_rx_burst(port->id, 0, got, 64)) != 0)
            rte_pktmbuf_free_bulk(got, n);
    }
    EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 0) >= 0, true);
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
}

TEST_P(TxCompletions, FastFreeOnAMultiSegmentQueueFreesEverySegmentOfAChain) {
    const unsigned tx_before = rte_mempool_avail_count(tx_pool());
    {
        auto port = loop_port("", chains_conf(RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE));
        ASSERT_NE(port, nullptr);
        FrameSpec spec;
        spec.size = 3000;
        for (int round = 0; round < 40; ++round) {
            std::vector<rte_mbuf*> burst;
            for (int i = 0; i < 32; ++i)
                burst.push_back(make_chain(tx_pool(), make_frame(spec), 1 + i % 4));
            ASSERT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), 32), 32);
            rte_mbuf* got[64];
            std::uint16_t n;
            while ((n = rte_eth_rx_burst(port->id, 0, got, 64)) != 0)
                rte_pktmbuf_free_bulk(got, n);
        }
        EXPECT_GE(rte_eth_tx_done_cleanup(port->id, 0, 0), 0);
        EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    }
    EXPECT_EQ(rte_mempool_avail_count(tx_pool()), tx_before);
}

// --- RSS ----------------------------------------------------------------------------------------

std::uint32_t toeplitz(const FrameSpec& spec, const std::uint8_t* key) {
    rte_ipv4_tuple tuple{};
    tuple.src_addr = spec.src_ip4;
    tuple.dst_addr = spec.dst_ip4;
    tuple.sport = spec.src_port;
    tuple.dport = spec.dst_port;
    return rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, key);
}

class Rss : public OnEachRxPath<> {};
ENA_RX_PATHS(Rss);

TEST_P(Rss, FlowsLandOnTheQueueTheTableNamesWithTheirHash) {
    constexpr std::uint16_t kQueues = 4;
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
    auto port = loop_port("", conf, kQueues, 1);
    ASSERT_NE(port, nullptr);

    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(port->id, &info), 0);
    ASSERT_EQ(info.reta_size, 128);
    std::uint8_t key[40];
    rte_eth_rss_conf rss{};
    rss.rss_key = key;
    rss.rss_key_len = sizeof(key);
    ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port->id, &rss), 0);
    // The documented default key: the same flows reach the same queues on every start.
    const std::uint8_t default_key[] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2};
    EXPECT_EQ(std::memcmp(key, default_key, sizeof(default_key)), 0);

    rte_eth_rss_reta_entry64 reta[2]{};
    reta[0].mask = reta[1].mask = ~0ull;
    ASSERT_EQ(rte_eth_dev_rss_reta_query(port->id, reta, 128), 0);

    auto deliver = [&](const FrameSpec& spec) -> std::pair<int, std::uint32_t> {
        rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
        EXPECT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
        for (std::uint16_t q = 0; q < kQueues; ++q) {
            rte_mbuf* got = nullptr;
            if (rte_eth_rx_burst(port->id, q, &got, 1) == 1) {
                const std::uint32_t hash = (got->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ? got->hash.rss : 0;
                rte_pktmbuf_free(got);
                return {q, hash};
            }
        }
        return {-1, 0};
    };
    std::map<int, unsigned> per_queue;
    for (std::uint16_t flow = 0; flow < 64; ++flow) {
        FrameSpec spec;
        spec.kind = flow % 2 ? FrameKind::kTcp4 : FrameKind::kUdp4;
        spec.src_port = static_cast<std::uint16_t>(1000 + flow * 17);
        const std::uint32_t hash = toeplitz(spec, key);
        const auto [queue, reported] = deliver(spec);
        const unsigned entry = hash % 128;
        EXPECT_EQ(queue, reta[entry / 64].reta[entry % 64]) << "flow " << flow;
        EXPECT_EQ(reported, hash);
        ++per_queue[queue];
    }
    EXPECT_EQ(per_queue.size(), kQueues);  // 64 flows spread over every queue

    // Steer everything to queue 3, then change the key.
    for (auto& group : reta)
        for (auto& entry : group.reta)
            entry = 3;
    ASSERT_EQ(rte_eth_dev_rss_reta_update(port->id, reta, 128), 0);
    std::uint8_t new_key[40];
    for (unsigned i = 0; i < sizeof(new_key); ++i)
        new_key[i] = static_cast<std::uint8_t>(i * 13 + 1);
    rte_eth_rss_conf update{};
    update.rss_key = new_key;
    update.rss_key_len = sizeof(new_key);
    update.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
    ASSERT_EQ(rte_eth_dev_rss_hash_update(port->id, &update), 0);
    ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port->id, &rss), 0);
    EXPECT_EQ(std::memcmp(key, new_key, sizeof(key)), 0);
    rte_eth_rss_reta_entry64 back[2]{};
    back[0].mask = back[1].mask = ~0ull;
    ASSERT_EQ(rte_eth_dev_rss_reta_query(port->id, back, 128), 0);
    EXPECT_EQ(back[1].reta[63], 3);
    FrameSpec spec;
    spec.kind = FrameKind::kTcp4;
    const auto [queue, reported] = deliver(spec);
    EXPECT_EQ(queue, 3);
    EXPECT_EQ(reported, toeplitz(spec, new_key));

    // A table entry naming a queue that does not exist is refused.
    reta[0].reta[0] = kQueues;
    EXPECT_EQ(rte_eth_dev_rss_reta_update(port->id, reta, 128), -EINVAL);
}

// testpmd --rxq=4 asks for RTE_ETH_RSS_IP masked by what the port offers: the device hashes the
// IP addresses of every IPv4 and IPv6 packet, TCP and UDP ones included, so flows spread.
TEST_P(Rss, TestpmdsDefaultIpHashingSpreadsFlowsByAddress) {
    constexpr std::uint16_t kQueues = 4;
    auto probe = SimPort::create(kSyncArgs);
    ASSERT_NE(probe, nullptr);
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(probe->id, &info), 0);
    const std::uint64_t ip_types = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    EXPECT_EQ(ip_types & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6), RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6);
    probe.reset();

    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = ip_types;
    auto port = loop_port("", conf, kQueues, 1);
    ASSERT_NE(port, nullptr);
    std::uint8_t key[40];
    rte_eth_rss_conf rss{};
    rss.rss_key = key;
    rss.rss_key_len = sizeof(key);
    ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(port->id, &rss), 0);
    EXPECT_EQ(rss.rss_hf, ip_types);
    std::map<std::uint16_t, unsigned> per_queue;
    for (std::uint16_t flow = 0; flow < 64; ++flow) {
        FrameSpec spec;
        spec.kind = flow % 2 ? FrameKind::kTcp4 : FrameKind::kUdp4;
        spec.src_ip4 = 0xC6120100u + flow;  // 198.18.1.x
        rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
        // Addresses only: the hash of the L3 pair (rte_softrss over 8 bytes).
        rte_ipv4_tuple tuple{};
        tuple.src_addr = spec.src_ip4;
        tuple.dst_addr = spec.dst_ip4;
        const std::uint32_t hash = rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L3_LEN, key);
        bool found = false;
        for (std::uint16_t q = 0; q < kQueues && !found; ++q) {
            rte_mbuf* got = nullptr;
            if (rte_eth_rx_burst(port->id, q, &got, 1) == 1) {
                found = true;
                ++per_queue[q];
                EXPECT_EQ(q, hash % 128 % kQueues) << "flow " << flow;  // round-robin table
                rte_pktmbuf_free(got);
            }
        }
        EXPECT_TRUE(found) << "flow " << flow;
    }
    EXPECT_EQ(per_queue.size(), kQueues);
}

TEST_P(Rss, RssOverSeveralQueuesWithNoHashTypeIsSaidOnce) {
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = 0;  // what testpmd's mask leaves of a type the port lacks
    LogCapture log;
    auto port = loop_port("", conf, 4, 1);
    ASSERT_NE(port, nullptr);
    rte_eth_rss_conf update{};
    ASSERT_EQ(rte_eth_dev_rss_hash_update(port->id, &update), 0);
    const std::string text = log.text();
    const std::string line = "RSS over 4 Rx queues with no hash type";
    EXPECT_NE(text.find(line), std::string::npos) << text;
    EXPECT_EQ(text.find(line), text.rfind(line)) << text;
}

// --- descriptor status ------------------------------------------------------------------------

class DescriptorStatus : public OnEachRxPath<> {};
ENA_RX_PATHS(DescriptorStatus);

TEST_P(DescriptorStatus, RxSaysWhatIsReceivedPostedAndHeld) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    constexpr std::uint16_t kDepth = 512;  // setup_queues' ring size; one slot stays empty
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, 0), RTE_ETH_RX_DESC_AVAIL);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, kDepth - 2), RTE_ETH_RX_DESC_AVAIL);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, kDepth - 1), RTE_ETH_RX_DESC_UNAVAIL);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, kDepth), -EINVAL);
    for (int i = 0; i < 3; ++i) {
        rte_mbuf* m = make_chain(tx_pool(), make_frame(FrameSpec{}), 1);
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
    }
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, 0), RTE_ETH_RX_DESC_DONE);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, 2), RTE_ETH_RX_DESC_DONE);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, 3), RTE_ETH_RX_DESC_AVAIL);
    rte_mbuf* got[8];
    ASSERT_EQ(rte_eth_rx_burst(port->id, 0, got, 8), 3);
    rte_pktmbuf_free_bulk(got, 3);
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, 0), RTE_ETH_RX_DESC_AVAIL);
    // Below the refill threshold the three buffers stay with the driver.
    EXPECT_EQ(rte_eth_rx_descriptor_status(port->id, 0, kDepth - 4), RTE_ETH_RX_DESC_UNAVAIL);
}

TEST_P(DescriptorStatus, TxSaysWhatTheDeviceHasDone) {
    auto port = SimPort::create("engine=deferred,control_path_poll_interval=0,watchdog_interval=0,wire=loopback,rx_path=" +
                                g_rx_path);
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(), 0);
    constexpr std::uint16_t kDepth = 512;
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth - 1), RTE_ETH_TX_DESC_DONE);
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth), -EINVAL);
    for (int i = 0; i < 3; ++i) {
        rte_mbuf* m = make_chain(tx_pool(), make_frame(FrameSpec{}), 1);
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
    }
    // Three LLQ entries in flight: the last three places before the tail come round again.
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth - 4), RTE_ETH_TX_DESC_DONE);
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth - 3), RTE_ETH_TX_DESC_FULL);
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth - 1), RTE_ETH_TX_DESC_FULL);
    port->device->process();  // the device sends them and posts their completions
    EXPECT_EQ(rte_eth_tx_descriptor_status(port->id, 0, kDepth - 1), RTE_ETH_TX_DESC_DONE);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

}  // namespace
}  // namespace ena::test
