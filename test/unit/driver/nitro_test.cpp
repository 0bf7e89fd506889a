// The simulated Nitro card through the driver (synchronous engine, virtual time): its devargs
// (each bad value fails the probe with one line; instance profiles and the single devargs that
// override them), connection tracking as the driver reads it (GET_STATS customer metrics),
// ENA Express between two ports on a vpc wire and the configuration notifications that come
// with it, the egress fragment limit with and without enable_frag_bypass, and Rx frames over
// the MTU in the device's Rx drops. Device-side figures are read from the device (GET_STATS
// through the driver's EnaDevice), not from xstats.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <array>
#include <string>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint64_t kS = 1'000'000'000;

// --- devargs ----------------------------------------------------------------------------------

struct BadDevarg {
    const char* args;
    const char* message;
};
std::ostream& operator<<(std::ostream& os, const BadDevarg& bad) { return os << bad.args; }

class InvalidNitroDevarg : public testing::TestWithParam<BadDevarg> {};

TEST_P(InvalidNitroDevarg, FailsTheProbeWithOneLineNamingTheKeyAndTheAcceptedValues) {
    const BadDevarg& bad = GetParam();
    SimPort::create(kSyncArgs);  // ethdev's shared data exists before counting
    const unsigned zones_before = memzone_count();
    const std::uint16_t ports_before = rte_eth_dev_count_avail();
    {
        LogCapture log;
        int rc = 0;
        auto port = SimPort::create(std::string(bad.args) + "," + kSyncArgs, &rc);
        EXPECT_EQ(port, nullptr);
        EXPECT_EQ(rc, -EINVAL);
        const std::string text = log.text();
        EXPECT_NE(text.find(bad.message), std::string::npos) << "log was:\n" << text;
    }
    EXPECT_EQ(rte_eth_dev_count_avail(), ports_before);
    EXPECT_EQ(memzone_count(), zones_before);
}

constexpr std::array kBadNitroDevargs = {
    BadDevarg{"instance=t2.nano", "invalid value 't2.nano' for devarg instance (accepted: m5.large, m6i.large, "
                                  "m6i.32xlarge, c5n.18xlarge, c6in.32xlarge, c7gn.16xlarge, c8gn.48xlarge)"},
    BadDevarg{"instance=", "invalid value '' for devarg instance"},
    BadDevarg{"pps=1000000001",
              "invalid value '1000000001' for devarg pps (accepted: 0 (no limit) to 1000000000 packets per second)"},
    BadDevarg{"pps=-1", "invalid value '-1' for devarg pps"},
    BadDevarg{"pps=1e6", "invalid value '1e6' for devarg pps"},
    BadDevarg{"bw_out_mbps=1000001",
              "invalid value '1000001' for devarg bw_out_mbps (accepted: 0 (no limit) to 1000000 Mbit/s)"},
    BadDevarg{"bw_in_mbps=fast", "invalid value 'fast' for devarg bw_in_mbps (accepted: 0 (no limit) to 1000000 Mbit/s)"},
    BadDevarg{"shaping_burst_ms=0", "invalid value '0' for devarg shaping_burst_ms (accepted: 1-1000 ms of each rate)"},
    BadDevarg{"shaping_burst_ms=1001", "invalid value '1001' for devarg shaping_burst_ms"},
    BadDevarg{"shaping_queue=65537",
              "invalid value '65537' for devarg shaping_queue (accepted: 0 (drop at once) to 65536 packets)"},
    BadDevarg{"conntrack_max=4194305",
              "invalid value '4194305' for devarg conntrack_max (accepted: 0 (not tracked) to 4194304 connections)"},
    BadDevarg{"conntrack_tcp_established_timeout=0",
              "invalid value '0' for devarg conntrack_tcp_established_timeout (accepted: 1-432000 seconds)"},
    BadDevarg{"conntrack_tcp_transitory_timeout=432001",
              "invalid value '432001' for devarg conntrack_tcp_transitory_timeout (accepted: 1-432000 seconds)"},
    BadDevarg{"conntrack_tcp_closed_timeout=x", "invalid value 'x' for devarg conntrack_tcp_closed_timeout"},
    BadDevarg{"conntrack_udp_timeout=0", "invalid value '0' for devarg conntrack_udp_timeout"},
    BadDevarg{"conntrack_udp_stream_timeout=0", "invalid value '0' for devarg conntrack_udp_stream_timeout"},
    BadDevarg{"conntrack_icmp_timeout=0", "invalid value '0' for devarg conntrack_icmp_timeout"},
    BadDevarg{"conntrack_other_timeout=0", "invalid value '0' for devarg conntrack_other_timeout"},
    BadDevarg{"linklocal_pps=1000001",
              "invalid value '1000001' for devarg linklocal_pps (accepted: 0 (no limit) to 1000000 packets per second)"},
    BadDevarg{"srd=yes", "invalid value 'yes' for devarg srd (accepted: off, on, on_udp)"},
    BadDevarg{"srd_flows=0", "invalid value '0' for devarg srd_flows (accepted: 1-1048576 concurrent SRD flows)"},
    BadDevarg{"instance=m6i.large,queues=4",
              "invalid value '4' for devarg queues: m6i.large has at most 2 ENA queues per interface (accepted: 1-128"},
    BadDevarg{"queues=4,instance=m6i.large", "invalid value '4' for devarg queues: m6i.large has at most 2"},
    BadDevarg{"pps=1,pps=2", "devarg pps given more than once"},
};

INSTANTIATE_TEST_SUITE_P(Nitro, InvalidNitroDevarg, testing::ValuesIn(kBadNitroDevargs));

const sim::NitroConfig& nitro_of(const SimPort& port) { return port.device->config().nitro; }

TEST(NitroDevargs, LimitsAreOffByDefaultExceptLinkLocalAndFragments) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    const sim::NitroConfig& n = nitro_of(*port);
    EXPECT_EQ(n.pps, 0u);
    EXPECT_EQ(n.bw_out_mbps, 0u);
    EXPECT_EQ(n.bw_in_mbps, 0u);
    EXPECT_EQ(n.conntrack_max, 0u);
    EXPECT_EQ(n.linklocal_pps, 1024u);
    EXPECT_EQ(n.fragment_pps, 1024u);
    EXPECT_EQ(n.srd, sim::SrdMode::kOff);
}

TEST(NitroDevargs, AProfileSetsQueuesLlqAndAllowancesAndEverySingleDevargOverridesIt) {
    auto c6in = SimPort::create(std::string("instance=c6in.32xlarge,") + kSyncArgs);
    ASSERT_NE(c6in, nullptr);
    const sim::DeviceConfig& c = c6in->device->config();
    EXPECT_EQ(c.max_io_queues, 32);
    EXPECT_EQ(c.llq, sim::LlqOffer::kWide);
    EXPECT_EQ(c.max_wide_llq_depth, 0) << "Nitro v4";
    EXPECT_EQ(c.nitro.bw_out_mbps, 200000u);
    EXPECT_EQ(c.nitro.bw_in_mbps, 200000u);
    EXPECT_NE(c.nitro.pps, 0u);
    EXPECT_NE(c.nitro.conntrack_max, 0u);
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(c6in->id, &info), 0);
    EXPECT_EQ(info.max_tx_queues, 32);

    // Wherever they stand, single devargs win over the profile.
    auto tuned = SimPort::create(std::string("pps=5000,conntrack_max=0,instance=m6i.large,bw_in_mbps=0,queues=1,") +
                                 kSyncArgs);
    ASSERT_NE(tuned, nullptr);
    const sim::DeviceConfig& t = tuned->device->config();
    EXPECT_EQ(t.nitro.pps, 5000u);
    EXPECT_EQ(t.nitro.conntrack_max, 0u);
    EXPECT_EQ(t.nitro.bw_in_mbps, 0u);
    EXPECT_EQ(t.nitro.bw_out_mbps, 781u) << "the profile's";
    EXPECT_EQ(t.max_io_queues, 1);

    auto v5 = SimPort::create(std::string("instance=c7gn.16xlarge,") + kSyncArgs);
    ASSERT_NE(v5, nullptr);
    EXPECT_EQ(v5->device->config().max_wide_llq_depth, 1024) << "Nitro v5";
    auto big = SimPort::create(std::string("instance=c8gn.48xlarge,queues=64,") + kSyncArgs);
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->device->config().max_io_queues, 64) << "up to the type's maximum per interface";
}

TEST(NitroDevargs, EveryValueIsKept) {
    auto port = SimPort::create(
        std::string("pps=123,bw_out_mbps=456,bw_in_mbps=789,shaping_burst_ms=7,shaping_queue=0,conntrack_max=99,"
                    "conntrack_tcp_established_timeout=60,conntrack_tcp_transitory_timeout=61,"
                    "conntrack_tcp_closed_timeout=62,conntrack_udp_timeout=63,conntrack_udp_stream_timeout=64,"
                    "conntrack_icmp_timeout=65,conntrack_other_timeout=66,linklocal_pps=0,srd=on_udp,srd_flows=8,") +
        kSyncArgs);
    ASSERT_NE(port, nullptr);
    const sim::NitroConfig& n = nitro_of(*port);
    EXPECT_EQ(n.pps, 123u);
    EXPECT_EQ(n.bw_out_mbps, 456u);
    EXPECT_EQ(n.bw_in_mbps, 789u);
    EXPECT_EQ(n.burst_ms, 7u);
    EXPECT_EQ(n.shaping_queue, 0u);
    EXPECT_EQ(n.conntrack_max, 99u);
    const sim::ConntrackTimeouts& t = n.conntrack_timeouts;
    EXPECT_EQ((std::array{t.tcp_established, t.tcp_transitory, t.tcp_closed, t.udp, t.udp_stream, t.icmp, t.other}),
              (std::array<std::uint32_t, 7>{60, 61, 62, 63, 64, 65, 66}));
    EXPECT_EQ(n.linklocal_pps, 0u);
    EXPECT_EQ(n.srd, sim::SrdMode::kOnUdp);
    EXPECT_EQ(n.srd_flows, 8u);
    hw::EnaSrdInfo srd{};
    ASSERT_EQ(port->driver()->device().get_srd_info(srd), 0);
    EXPECT_EQ(srd.flags, 3u) << "ena_srd_mode 3: ENA Express on, UDP on";
}

// --- two ports on a vpc wire --------------------------------------------------------------------

rte_mempool* nitro_pool() {
    static rte_mempool* pool =
        rte_pktmbuf_pool_create("nitro_tx_pool", 4095, 0, 0, RTE_PKTMBUF_HEADROOM + 9216, SOCKET_ID_ANY);
    return pool;
}

constexpr const char* kMacA = "02:00:00:00:00:01";  // make_frame's source
constexpr const char* kMacB = "02:00:00:00:00:02";  // make_frame's destination

// A started port on vpc segment `segment`.
std::unique_ptr<SimPort> vpc_port(const std::string& segment, const char* mac, const std::string& extra,
                                  std::uint16_t tx_desc = 512, std::uint16_t mtu = 9000) {
    auto port = SimPort::create(std::string(kSyncArgs) + ",wire=vpc:" + segment + ",mac=" + mac + extra);
    if (port == nullptr || port->configure(1, 1) != 0 || rte_eth_dev_set_mtu(port->id, mtu) != 0 ||
        port->setup_queues(1, 1, 512, tx_desc) != 0 || rte_eth_dev_start(port->id) != 0)
        return nullptr;
    return port;
}

// make_frame's frame the other way round: from B to A, addresses and ports swapped.
Bytes reversed(FrameSpec spec) {
    std::swap(spec.src_ip4, spec.dst_ip4);
    std::swap(spec.src_port, spec.dst_port);
    Bytes f = make_frame(spec);
    for (int i = 0; i < 6; ++i)
        std::swap(f[i], f[6 + i]);
    return f;
}

void send(const SimPort& port, const Bytes& frame) {
    rte_mbuf* m = make_chain(nitro_pool(), frame, 1);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_eth_tx_burst(port.id, 0, &m, 1), 1);
}

// Frames waiting in the port's Rx queue, freed.
unsigned receive(const SimPort& port) {
    unsigned total = 0;
    std::array<rte_mbuf*, 64> got;
    for (std::uint16_t n; (n = rte_eth_rx_burst(port.id, 0, got.data(), got.size())) != 0;) {
        total += n;
        rte_pktmbuf_free_bulk(got.data(), n);
    }
    return total;
}

std::array<std::uint64_t, 6> customer_metrics(SimPort& port, std::uint64_t* reported = nullptr) {
    std::array<std::uint64_t, 6> values{};
    std::uint64_t bitmap = 0;
    EXPECT_EQ(port.driver()->device().get_customer_metrics(values, bitmap), 0);
    if (reported != nullptr)
        *reported = bitmap;
    return values;
}
constexpr unsigned kExceeded = static_cast<unsigned>(hw::CustomerMetric::kConntrackAllowanceExceeded);
constexpr unsigned kAvailable = static_cast<unsigned>(hw::CustomerMetric::kConntrackAllowanceAvailable);

// Acceptance 3 through the driver: more flows than conntrack_max raise
// conntrack_allowance_exceeded and drive conntrack_allowance_available to 0; it recovers after
// the idle timeout, and sooner for TCP flows closed by RST.
TEST(NitroThroughTheDriver, ConntrackAllowanceRunsOutAndComesBack) {
    auto a = vpc_port("nitro_ct", kMacA, ",conntrack_max=8");
    auto b = vpc_port("nitro_ct", kMacB, "");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    std::uint64_t reported = 0;
    EXPECT_EQ(customer_metrics(*a, &reported)[kAvailable], 8u);
    EXPECT_EQ(reported, hw::kCustomerMetricsAll) << "a port with a conntrack limit reports the room left";
    for (std::uint16_t flow = 0; flow < 12; ++flow) {
        FrameSpec spec;
        spec.src_port = static_cast<std::uint16_t>(1000 + flow);
        send(*a, make_frame(spec));
    }
    EXPECT_EQ(receive(*b), 8u);
    std::array<std::uint64_t, 6> m = customer_metrics(*a);
    EXPECT_EQ(m[kExceeded], 4u);
    EXPECT_EQ(m[kAvailable], 0u);
    hw::EniStats eni{};
    ASSERT_EQ(a->driver()->device().get_eni_stats(eni), 0);
    EXPECT_EQ(eni.conntrack_allowance_exceeded, 4u);

    // 30 s later (UDP's timeout) the room is back, and new flows get through.
    a->device->advance_time(30 * kS);
    EXPECT_EQ(customer_metrics(*a)[kAvailable], 8u);
    for (std::uint16_t flow = 0; flow < 4; ++flow) {
        FrameSpec spec;
        spec.kind = FrameKind::kTcp4;
        spec.src_port = static_cast<std::uint16_t>(2000 + flow);
        send(*a, make_frame(spec));  // PSH|ACK mid-stream: tracked as an opening connection
    }
    EXPECT_EQ(receive(*b), 4u);
    EXPECT_EQ(customer_metrics(*a)[kAvailable], 4u);
    // Two of them are reset by the peer: they leave after 10 s, the others stay.
    for (std::uint16_t flow = 0; flow < 2; ++flow) {
        FrameSpec spec;
        spec.kind = FrameKind::kTcp4;
        spec.src_port = static_cast<std::uint16_t>(2000 + flow);
        Bytes rst = reversed(spec);
        rst[14 + 20 + 13] = 0x04;  // RST (the checksum is not checked on the way)
        send(*b, rst);
    }
    EXPECT_EQ(receive(*a), 2u);
    a->device->advance_time(10 * kS);
    EXPECT_EQ(customer_metrics(*a)[kAvailable], 6u);
    EXPECT_EQ(customer_metrics(*a)[kExceeded], 4u);
}

// Acceptance 6: two ports with srd=on on one vpc wire: eligible, SRD Tx and SRD Rx counts
// agree with the traffic (TCP only: UDP needs on_udp at both ends).
TEST(NitroThroughTheDriver, EnaExpressCountsAgreeWithTheTraffic) {
    auto a = vpc_port("nitro_srd", kMacA, ",srd=on,llq_policy=2");
    auto b = vpc_port("nitro_srd", kMacB, ",srd=on,llq_policy=2");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    FrameSpec tcp;
    tcp.kind = FrameKind::kTcp4;
    tcp.size = 1000;
    FrameSpec udp;
    for (int i = 0; i < 20; ++i)
        send(*a, make_frame(tcp));
    for (int i = 0; i < 5; ++i)
        send(*a, make_frame(udp));
    for (int i = 0; i < 7; ++i)
        send(*b, reversed(tcp));
    EXPECT_EQ(receive(*b), 25u);
    EXPECT_EQ(receive(*a), 7u);
    hw::EnaSrdInfo sa{}, sb{};
    ASSERT_EQ(a->driver()->device().get_srd_info(sa), 0);
    ASSERT_EQ(b->driver()->device().get_srd_info(sb), 0);
    EXPECT_EQ(sa.flags, 1u) << "ena_srd_mode 1: ENA Express on, UDP off";
    EXPECT_EQ(sa.eligible_tx_pkts, 20u);
    EXPECT_EQ(sa.tx_pkts, 20u);
    EXPECT_EQ(sa.rx_pkts, 7u);
    EXPECT_EQ(sb.eligible_tx_pkts, 7u);
    EXPECT_EQ(sb.tx_pkts, 7u);
    EXPECT_EQ(sb.rx_pkts, 20u);
    std::printf("ENA Express: A eligible %lu, SRD tx %lu, SRD rx %lu; B eligible %lu, SRD tx %lu, SRD rx %lu\n",
                sa.eligible_tx_pkts, sa.tx_pkts, sa.rx_pkts, sb.eligible_tx_pkts, sb.tx_pkts, sb.rx_pkts);
}

// Acceptance 6: a wide-LLQ port with srd=on gets notification code 1, which the driver logs and
// counts; with 128-byte entries it gets none; a Tx queue shallower than the maximum gets code 2.
TEST(NitroThroughTheDriver, EnaExpressWithWideLlqIsNotifiedAsCode1) {
    {
        LogCapture log;
        auto wide = vpc_port("nitro_conf1", kMacA, ",srd=on");  // the device recommends 256-byte entries
        ASSERT_NE(wide, nullptr);
        ASSERT_EQ(wide->driver()->device().features().llq.layout.entry_size, 256);
        wide->driver()->poll_control_path();
        const ng::EventCounters events = wide->driver()->device().event_counters();
        EXPECT_EQ(events.conf_notifications[0], 1u);  // code 1
        EXPECT_EQ(events.conf_notifications[1], 0u);  // full-depth Tx queue: no code 2
        EXPECT_NE(log.text().find("Sub-optimal configuration notification code: 1."), std::string::npos) << log.text();
    }
    {
        auto normal = vpc_port("nitro_conf2", kMacA, ",srd=on,llq_policy=2");
        ASSERT_NE(normal, nullptr);
        normal->driver()->poll_control_path();
        EXPECT_EQ(normal->driver()->device().event_counters().conf_notifications[0], 0u);
    }
    {
        LogCapture log;
        auto shallow = vpc_port("nitro_conf3", kMacA, ",srd=on,llq_policy=2", 256);
        ASSERT_NE(shallow, nullptr);
        shallow->driver()->poll_control_path();
        EXPECT_EQ(shallow->driver()->device().event_counters().conf_notifications[1], 1u);  // code 2
        EXPECT_NE(log.text().find("Sub-optimal configuration notification code: 2."), std::string::npos) << log.text();
    }
    {
        auto off = vpc_port("nitro_conf4", kMacA, "", 256);  // ENA Express off: nothing to say
        ASSERT_NE(off, nullptr);
        off->driver()->poll_control_path();
        const ng::EventCounters events = off->driver()->device().event_counters();
        EXPECT_EQ(events.conf_notifications[0] + events.conf_notifications[1], 0u);
    }
}

// IPv4 fragments (MF set), `count` of them, 5 every millisecond of virtual time: 5000 per second.
void send_fragments(SimPort& from, SimPort& to, unsigned count) {
    FrameSpec spec;
    spec.size = 300;
    Bytes f = make_frame(spec);
    f[14 + 6] = 0x20;  // more fragments
    f[14 + 10] = f[14 + 11] = 0;
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += static_cast<std::uint32_t>(f[14 + i] << 8 | f[14 + i + 1]);
    while (sum > 0xFFFF)
        sum = (sum & 0xFFFF) + (sum >> 16);
    f[14 + 10] = static_cast<std::uint8_t>(~sum >> 8);
    f[14 + 11] = static_cast<std::uint8_t>(~sum);
    for (unsigned i = 0; i < count; ++i) {
        send(from, f);
        if (i % 5 == 4) {
            from.device->advance_time(1'000'000);
            receive(to);
        }
    }
    receive(to);
}

// Acceptance 5 through the driver: without enable_frag_bypass the device lets 1024 fragments a
// second out and counts the rest in pps_allowance_exceeded; with it (and a PPS allowance above
// 5000) none are dropped.
TEST(NitroThroughTheDriver, FragmentLimitUnlessTheDriverEnablesFragBypass) {
    auto a = vpc_port("nitro_frag", kMacA, "");
    auto b = vpc_port("nitro_frag", kMacB, "");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_FALSE(a->device->frag_bypass());
    const std::uint64_t received_before = b->device->stats().rx_packets;
    send_fragments(*a, *b, 10000);  // 2 s
    hw::EniStats eni{};
    ASSERT_EQ(a->driver()->device().get_eni_stats(eni), 0);
    EXPECT_NEAR(static_cast<double>(eni.pps_allowance_exceeded) / 2, 3976.0, 3.0);
    EXPECT_EQ(b->device->stats().rx_packets - received_before + eni.pps_allowance_exceeded, 10000u);
    std::printf("fragments at 5000/s without enable_frag_bypass: %.1f dropped per second\n",
                static_cast<double>(eni.pps_allowance_exceeded) / 2);

    auto c = vpc_port("nitro_frag", "02:00:00:00:00:03", ",enable_frag_bypass=1,pps=6000");
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->device->frag_bypass());
    const std::uint64_t before = b->device->stats().rx_packets;
    send_fragments(*c, *b, 10000);
    ASSERT_EQ(c->driver()->device().get_eni_stats(eni), 0);
    EXPECT_EQ(eni.pps_allowance_exceeded, 0u);
    EXPECT_EQ(b->device->stats().rx_packets - before, 10000u);
}

// A frame longer than the receiving port's MTU is dropped and counted with the Rx drops the
// device reports (GET_STATS basic and the keep-alive), which the driver turns into imissed.
TEST(NitroThroughTheDriver, RxFramesOverTheMtuAreRxDrops) {
    auto a = vpc_port("nitro_mtu", kMacA, "", 512, 9000);
    auto b = vpc_port("nitro_mtu", kMacB, "", 512, 1500);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    FrameSpec big;
    big.size = 3000;
    send(*a, make_frame(big));
    FrameSpec fits;
    fits.size = 1514;
    send(*a, make_frame(fits));
    EXPECT_EQ(receive(*b), 1u);
    ng::BasicStats basic;
    ASSERT_EQ(b->driver()->device().get_basic_stats(basic), 0);
    EXPECT_EQ(basic.rx_drops, 1u);
    EXPECT_EQ(b->device->stats().rx_oversize_drops, 1u);
    b->device->advance_time(1 * kS);  // a keep-alive carries it too
    b->driver()->poll_control_path();
    EXPECT_EQ(b->driver()->device().event_counters().rx_drops, 1u);
}

}  // namespace
}  // namespace ena::test
