// Datapath tests: packets through the driver and the simulated device (synchronous engine,
// loopback wire), checked byte for byte, with offloads, errors and mbuf accounting.
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
#include <vector>

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

// A started port on a loopback wire: what it sends comes back to its own Rx queues.
std::unique_ptr<SimPort> loop_port(const std::string& extra_args, rte_eth_conf conf = {}, std::uint16_t rx = 1,
                                   std::uint16_t tx = 1, std::uint16_t mtu = kJumboMtu) {
    auto port = SimPort::create(std::string(kSyncArgs) + ",wire=loopback" + extra_args);
    if (port == nullptr || port->configure(rx, tx, conf) != 0 || rte_eth_dev_set_mtu(port->id, mtu) != 0 ||
        port->setup_queues(rx, tx) != 0 || rte_eth_dev_start(port->id) != 0)
        return nullptr;
    return port;
}

std::uint64_t xstat(std::uint16_t port, const char* name) {
    std::uint64_t id = 0, value = ~0ull;
    if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0)
        return ~0ull;
    rte_eth_xstats_get_by_id(port, &id, &value, 1);
    return value;
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

// llq_policy: 0 host memory, 2 LLQ 128-byte entries, 3 LLQ 256-byte entries.
class TxModes : public testing::TestWithParam<int> {
protected:
    std::string args() const { return ",llq_policy=" + std::to_string(GetParam()); }
};

TEST_P(TxModes, BurstModeNamesThePlacement) {
    auto port = loop_port(args());
    ASSERT_NE(port, nullptr);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
    const char* expected[] = {"host memory", "", "LLQ 128B (96B header)", "LLQ 256B (224B header)"};
    EXPECT_NE(std::strstr(mode.info, expected[GetParam()]), nullptr) << mode.info;
}

TEST_P(TxModes, FramesArriveByteExactForEverySizeAndSegmentation) {
    auto port = loop_port(args());
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
    auto port = loop_port(args());
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
    rte_eth_conf conf{};
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
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
    rte_eth_conf conf{};
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
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
        auto port = loop_port(args());
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

INSTANTIATE_TEST_SUITE_P(Placement, TxModes, testing::Values(0, 2, 3), [](const auto& info) {
    return info.param == 0 ? std::string("Host") : info.param == 2 ? std::string("Llq128") : std::string("Llq256");
});

// --- Accelerated LLQ burst budget -----------------------------------------------------------

TEST(LlqBurstBudget, ExtraDoorbellsKeepEachBurstWithinTheDeviceLimit) {
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

TEST(LlqHeaderRoom, DeclaredHeadersBeyondTheRoomAreCountedNotLostSilently) {
    auto port = loop_port(",llq_policy=2");
    ASSERT_NE(port, nullptr);
    const FrameSpec spec = long_header_frame();
    rte_mbuf* m = make_chain(tx_pool(), make_frame(spec), 1);
    const HeaderLengths h = header_lengths(spec);
    m->l2_len = h.l2;
    m->l3_len = h.l3;
    m->l4_len = h.l4;
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

TEST(LlqHeaderRoom, UndeclaredLongHeadersAreDroppedByTheDeviceWhichNotifies) {
    auto port = loop_port(",llq_policy=2");
    ASSERT_NE(port, nullptr);
    rte_mbuf* m = make_chain(tx_pool(), make_frame(long_header_frame()), 1);
    auto got = send_and_receive(*port, m);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(port->device->stats().llq_header_overflow_drops, 1u);
    port->driver()->poll_control_path();
    EXPECT_EQ(port->driver()->device().event_counters().conf_notifications[2], 1u);  // code 3
}

TEST(LlqHeaderRoom, WideEntriesCarryTheSameFrame) {
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

TEST(RxChecksum, BadChecksumsAreFlaggedAndCounted) {
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
TEST(RxChecksum, TheDeviceVerifiesOnlyForAPortThatAsksForChecksums) {
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

TEST(RxRefill, AQueueStartsEvenWithAnEmptyPoolAndFillsAsMbufsComeBack) {
    rte_mempool* pool = rte_pktmbuf_pool_create("datapath_empty_pool", 600, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    std::vector<rte_mbuf*> taken(600);
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(pool, taken.data(), 600), 0);
    {
        auto port = SimPort::create(std::string(kSyncArgs) + ",wire=loopback");
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

TEST(RxRefill, MempoolShortageIsCountedAndRetried) {
    rte_mempool* small = rte_pktmbuf_pool_create("datapath_small_pool", 600, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                 SOCKET_ID_ANY);
    ASSERT_NE(small, nullptr);
    {
        auto port = SimPort::create(std::string(kSyncArgs) + ",wire=loopback");
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

TEST(RxErrors, StaleOrOutOfRangeRequestIdsNeverYieldAnMbuf) {
    for (const bool stale : {true, false}) {
        auto port = loop_port("");
        ASSERT_NE(port, nullptr);
        FrameSpec spec;
        auto got = send_and_receive(*port, make_chain(tx_pool(), make_frame(spec), 1));
        ASSERT_EQ(got.size(), 1u);
        free_all(got);
        ng::RxQueue& rx = *port->driver()->rx_queue(0);
        // A stale id: the buffer just delivered (its id is back in the free list, not posted).
        const std::uint16_t req_id = stale ? rx.free_req_ids[(rx.next_to_clean - 1) & rx.mask] : rx.config.depth + 7;
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

// Each value of an Rx completion the device writes, out of bounds: never an mbuf that lies,
// always the matching counter and reset reason, the queue halted.
struct RxForgery {
    const char* label;
    std::function<void(hw::RxCompletion&, const ng::RxQueue&)> forge;
    const char* counter;
    hw::ResetReason reason;
};

class RxCompletionBounds : public testing::TestWithParam<RxForgery> {};

TEST_P(RxCompletionBounds, AnOutOfBoundsValueIsCaughtBeforeUse) {
    const RxForgery& f = GetParam();
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    ng::RxQueue& rx = *port->driver()->rx_queue(0);
    // A valid completion for a posted buffer, then the forgery on top.
    auto* ring = rx.cq_ring.as<hw::RxCompletion>();
    hw::RxCompletion c{};
    c.length = 64;
    c.req_id = rx.free_req_ids[rx.next_to_clean & rx.mask];  // the next buffer the device would fill
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
    testing::Values(
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
    [](const testing::TestParamInfo<RxForgery>& info) { return std::string(info.param.label); });

TEST(TxErrors, ACompletionForARequestIdNotInFlightIsCaught) {
    auto port = loop_port("");
    ASSERT_NE(port, nullptr);
    ng::TxQueue& tx = *port->driver()->tx_queue(0);
    // In the ring, but no packet was ever sent with it: a duplicate or invented completion.
    auto* ring = tx.cq_ring.as<hw::TxCompletion>();
    hw::TxCompletion c{};
    c.req_id = static_cast<std::uint16_t>(tx.config.depth - 1);
    ASSERT_EQ(tx.mbufs[c.req_id], nullptr);
    c.flags = static_cast<std::uint8_t>(hw::tx_completion::Phase::make(hw::ring_phase(tx.cq_head, tx.config.depth)));
    ring[tx.cq_head & tx.mask] = c;
    EXPECT_EQ(rte_eth_tx_done_cleanup(port->id, 0, 0), 0);
    EXPECT_EQ(xstat(port->id, "tx_q0_bad_req_id"), 1u);
    EXPECT_EQ(port->driver()->device().requested_reset_reason(), hw::ResetReason::kInvalidTxReqId);
}

TEST(RxErrors, TooManyDescriptorsForOnePacketIsCountedAndRequestsReset) {
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

TEST(TxErrors, BadCompletionRequestIdIsCountedRequestsResetAndLeaksNothing) {
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

TEST(TxCompletions, DoneCleanupFreesWhatTheDeviceCompleted) {
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

TEST(TxCompletions, FastFreeReturnsMbufsToTheirPool) {
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

// --- RSS ----------------------------------------------------------------------------------------

std::uint32_t toeplitz(const FrameSpec& spec, const std::uint8_t* key) {
    rte_ipv4_tuple tuple{};
    tuple.src_addr = spec.src_ip4;
    tuple.dst_addr = spec.dst_ip4;
    tuple.sport = spec.src_port;
    tuple.dport = spec.dst_port;
    return rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, key);
}

TEST(Rss, FlowsLandOnTheQueueTheTableNamesWithTheirHash) {
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
TEST(Rss, TestpmdsDefaultIpHashingSpreadsFlowsByAddress) {
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

TEST(Rss, RssOverSeveralQueuesWithNoHashTypeIsSaidOnce) {
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

TEST(DescriptorStatus, RxSaysWhatIsReceivedPostedAndHeld) {
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

TEST(DescriptorStatus, TxSaysWhatTheDeviceHasDone) {
    auto port = SimPort::create("engine=deferred,control_path_poll_interval=0,watchdog_interval=0,wire=loopback");
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
