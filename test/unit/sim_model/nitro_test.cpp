// The Nitro card's stage of the simulated device, in virtual time (synchronous mode), so every
// figure is exact: shaping queues then drops, PPS shared by both directions, bandwidth in both
// directions, connection tracking and its timeouts, link-local and fragment limits, ENA
// Express, the configuration notifications that go with it, and instance profiles.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "flow_table.hpp"
#include "instance_profiles.hpp"
#include "packets.hpp"
#include "rate_limiter.hpp"
#include "shaping_queue.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

constexpr std::uint64_t kUs = 1000;
constexpr std::uint64_t kMs = 1000 * kUs;
constexpr std::uint64_t kS = 1000 * kMs;

DeviceConfig config_for(const Mac& mac) {
    DeviceConfig c;
    c.mac = mac;
    return c;
}

// A wire name no other test uses (vpc segments are process-wide).
std::string fresh_vpc() {
    static int serial = 0;
    return "vpc:nitro-test-" + std::to_string(serial++);
}

// One simulated ENI with a Tx and an Rx queue, on a wire.
struct Eni {
    Eni(const DeviceConfig& cfg, const std::shared_ptr<Wire>& wire) : drv(cfg) {
        drv.bring_up();
        rx = drv.create_rx(1024, 2048);
        drv.post_rx(rx, 1023);
        tx = drv.create_tx(1024);
        EXPECT_TRUE(drv.device().attach_wire(wire));
    }
    // Queues the frame; with doorbell the device takes it at once (synchronous mode).
    void send(const Frame& f, bool doorbell = true) {
        TxPacket p;
        p.frame = f;
        drv.send(tx, p, doorbell);
        if (doorbell)
            drv.poll_tx(tx);
    }
    void flush() {
        drv.ring_doorbell(tx);
        drv.poll_tx(tx);
    }
    // Frames received since the last call (their buffers are posted again).
    std::vector<Frame> received() {
        std::vector<Frame> out;
        std::uint16_t buffers = 0;
        for (RxPacket& p : drv.poll_rx(rx)) {
            out.push_back(std::move(p.data));
            buffers = static_cast<std::uint16_t>(buffers + p.completions.size());
        }
        drv.post_rx(rx, buffers);
        return out;
    }
    DeviceStats stats() { return drv.device().stats(); }
    void advance(std::uint64_t ns) { drv.device().advance_time(ns); }

    // One customer metric through GET_STATS, or nullopt when the device does not report it.
    std::optional<std::uint64_t> metric(CustomerMetric m) {
        const std::uint64_t buffer = drv.memory().alloc(512);
        const std::uint64_t bit = std::uint64_t{1} << static_cast<unsigned>(m);
        AdminResult r = drv.get_stats(StatsType::kCustomerMetrics, buffer, 512, bit);
        EXPECT_EQ(r.status, AdminStatus::kSuccess);
        if (!(r.as<GetStatsResponse>().reported_metrics & bit))
            return std::nullopt;
        return *drv.memory().at<std::uint64_t>(buffer);
    }
    EniStats eni() { return drv.get_stats(StatsType::kEni).as<GetStatsResponse>().eni; }
    EnaSrdInfo srd() { return drv.get_stats(StatsType::kEnaSrd).as<GetStatsResponse>().srd; }

    TestDriver drv;
    RxRing rx;
    TxRing tx;
};

// A UDP frame from A to B tagged with `id` (IPv4 id), `bytes` long on the wire.
Frame udp(std::uint16_t id, std::uint16_t sport = 1000, std::size_t bytes = 64, const Mac& src = kMacA,
          const Mac& dst = kMacB) {
    FrameSpec s;
    s.src = src;
    s.dst = dst;
    s.proto = 17;
    s.sport = sport;
    s.dport = 2000;
    s.ip_id = id;
    s.payload = bytes - 14 - 20 - 8;
    return build_frame(s);
}

std::uint16_t id_of(const Frame& f) { return get16(f, 14 + 4); }

std::vector<std::uint16_t> ids(const std::vector<Frame>& frames) {
    std::vector<std::uint16_t> out;
    for (const Frame& f : frames)
        out.push_back(id_of(f));
    return out;
}

std::vector<std::uint16_t> range(std::uint16_t from, std::uint16_t to) {
    std::vector<std::uint16_t> out;
    for (std::uint16_t i = from; i < to; ++i)
        out.push_back(i);
    return out;
}

// --- the parts alone ------------------------------------------------------------------------

TEST(RateLimiter, ExactRateAndBurstAtARateThatIsNoWholeNumberOfNanoseconds) {
    detail::RateLimiter r;
    r.configure(1024, 1 * kMs);  // 976562.5 ns per unit
    // At t=0: 1 + 1 ms x 1024/s = 2 units at once.
    EXPECT_TRUE(r.admit(0, 1));
    EXPECT_TRUE(r.admit(0, 1));
    EXPECT_FALSE(r.admit(0, 1));
    // The third may go when TAT - tolerance = 2 x 976562.5 - 1e6 = 953125 ns.
    EXPECT_EQ(r.earliest(0), 953125u);
    EXPECT_FALSE(r.admit(953124, 1));
    EXPECT_TRUE(r.admit(953125, 1));
    // Over 10 s of arrivals every microsecond exactly 1024 per second more pass: no drift.
    std::uint64_t passed = 3;
    for (std::uint64_t t = 953126; t < 10 * kS; t += kUs)
        passed += r.admit(t, 1);
    // Unit n may pass once (n - 1) x 976562.5 ns - 1 ms <= t: by 10 s, 1 + 10 x 1024 + 1 (the
    // bucket's extra unit), exactly.
    EXPECT_EQ(passed, 10242u);
}

TEST(ShapingQueue, FramesWaitInOrderAndTheByteRingWraps) {
    detail::ShapingQueue q;
    q.configure(4, 300);
    const Frame a(100, 1), b(100, 2), c(100, 3), d(150, 4), e(100, 5);
    ASSERT_TRUE(q.has_room(a.size()));
    q.push(10, a, 0);
    q.push(20, b, 0);
    q.push(30, c, 7);
    EXPECT_FALSE(q.has_room(1)) << "300 bytes in use";
    detail::ShapingQueue::Front f;
    EXPECT_FALSE(q.due(9, f));
    ASSERT_TRUE(q.due(10, f));
    EXPECT_EQ(f.frame[0], 1);
    q.pop();
    EXPECT_FALSE(q.has_room(d.size())) << "100 bytes free before the oldest: not 150";
    ASSERT_TRUE(q.has_room(e.size()));
    q.push(40, e, 0);  // wraps to offset 0
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.last_departure(), 40u);
    std::vector<int> order;
    while (q.due(100, f)) {
        order.push_back(f.frame[0]);
        if (f.frame[0] == 3) {
            EXPECT_EQ(f.flags, 7);
        }
        q.pop();
    }
    EXPECT_EQ(order, (std::vector<int>{2, 3, 5}));
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(q.has_room(300));
}

TEST(FlowTable, MatchesAReferenceThroughInsertsExpiriesAndErasesWithCollisions) {
    detail::FlowTable t;
    const std::uint64_t timeouts[] = {100, 1000};
    t.configure(64, timeouts);
    std::mt19937 rng(7);
    std::map<std::uint32_t, std::pair<std::uint32_t, std::uint64_t>> live;  // id -> (entry, expiry)
    auto packet = [](std::uint32_t id) {
        detail::FlowPacket p{};
        p.key.a_lo = id;
        p.key.b_lo = 0xFFFFFFFF;
        p.key.proto = 17;
        p.key.family = 4;
        p.hash = (std::uint64_t{id % 5} << 32) | id;  // five home slots: long probe chains
        return p;
    };
    std::uint64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
        now += rng() % 7;
        for (auto it = live.begin(); it != live.end();)
            it = it->second.second <= now ? live.erase(it) : std::next(it);
        const std::uint32_t id = rng() % 200;
        const detail::FlowPacket p = packet(id);
        const std::uint32_t found = t.find(p, now);
        const auto ref = live.find(id);
        ASSERT_EQ(found != detail::FlowTable::kNone, ref != live.end()) << "step " << step;
        if (found != detail::FlowTable::kNone) {
            ASSERT_EQ(found, ref->second.first);
            if (rng() % 4 == 0) {
                t.erase(found);
                live.erase(ref);
            } else {
                const std::uint8_t cls = rng() % 2;
                t.touch(found, cls, now);
                ref->second.second = now + timeouts[cls];
            }
        } else {
            const std::uint8_t cls = rng() % 2;
            const std::uint32_t index = t.insert(p, cls, now);
            if (live.size() == 64) {
                ASSERT_EQ(index, detail::FlowTable::kNone) << "full of live flows";
            } else {
                ASSERT_NE(index, detail::FlowTable::kNone);
                live[id] = {index, now + timeouts[cls]};
            }
        }
        t.expire(now);
        ASSERT_EQ(t.size(), live.size()) << "step " << step;
    }
}

TEST(FlowKey, BothDirectionsOfAFlowShareOneKey) {
    const Frame out = udp(1, 1000);
    FrameSpec back;
    back.src = kMacB;
    back.dst = kMacA;
    back.src4 = {198, 18, 0, 2};
    back.dst4 = {198, 18, 0, 1};
    back.proto = 17;
    back.sport = 2000;
    back.dport = 1000;
    const Frame in = build_frame(back);
    detail::FlowPacket a, b;
    ASSERT_TRUE(detail::classify_flow(out, detail::parse_packet(out), a));
    ASSERT_TRUE(detail::classify_flow(in, detail::parse_packet(in), b));
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.hash, b.hash);
    EXPECT_NE(a.from_a, b.from_a);
    const Frame other = udp(1, 1001);
    detail::FlowPacket c;
    ASSERT_TRUE(detail::classify_flow(other, detail::parse_packet(other), c));
    EXPECT_FALSE(c.key == a.key);
    // A fragment after the first has no ports: not a flow the card can track.
    FrameSpec frag;
    frag.proto = 17;
    frag.fragment_offset = 100;
    const Frame f = build_frame(frag);
    EXPECT_FALSE(detail::classify_flow(f, detail::parse_packet(f), c));
}

// --- PPS and bandwidth: queued, then dropped ------------------------------------------------

// Acceptance 2 (the exact part): with pps=100000, a 1 ms bucket and a 50-packet queue, 200
// packets sent at once: 101 leave at once (1 + 1 ms x 100000/s), the next 50 wait and leave
// one every 10 us in order, the last 49 are dropped and never arrive. All 99 that did not
// leave at once count in pps_allowance_exceeded.
TEST(NitroShaping, ExcessPacketsAreQueuedThenDroppedAndQueuedOnesArriveLaterInOrder) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.pps = 100000;
    cfg.nitro.shaping_queue = 50;
    Eni sender(cfg, wire), receiver(config_for(kMacB), wire);
    for (std::uint16_t i = 0; i < 200; ++i)
        sender.send(udp(i), false);
    sender.flush();
    EXPECT_EQ(ids(receiver.received()), range(0, 101));
    DeviceStats s = sender.stats();
    EXPECT_EQ(s.tx_packets, 101u);
    EXPECT_EQ(s.tx_shaping_queued, 50u);
    EXPECT_EQ(s.tx_shaping_waiting, 50u);
    EXPECT_EQ(s.tx_shaping_drops, 49u);
    EXPECT_EQ(s.pps_allowance_exceeded, 99u);
    EXPECT_EQ(s.tx_drops, 0u) << "shaping drops are allowance drops, not device Tx drops";
    EXPECT_EQ(sender.eni().pps_allowance_exceeded, 99u);
    // Each waiting packet leaves exactly 10 us after the one before it.
    for (std::uint16_t k = 1; k <= 50; ++k) {
        sender.advance(10 * kUs - 1);
        ASSERT_TRUE(receiver.received().empty()) << "packet " << 100 + k << " left early";
        sender.advance(1);
        ASSERT_EQ(ids(receiver.received()), std::vector<std::uint16_t>{static_cast<std::uint16_t>(100 + k)});
    }
    sender.advance(1 * kS);
    EXPECT_TRUE(receiver.received().empty()) << "dropped packets never arrive";
    s = sender.stats();
    EXPECT_EQ(s.tx_packets, 151u);
    EXPECT_EQ(s.tx_shaping_waiting, 0u);
    EXPECT_EQ(s.pps_allowance_exceeded, 99u);
    EXPECT_EQ(receiver.stats().rx_packets, 151u);
}

// Sustained overload: the counter grows by the excess over the allowance (what the queue
// cannot absorb is dropped), not by every frame that waited. At 1.1 x the allowance frames
// wait first (latency grows, the counter moves) and are dropped only once the queue is full.
TEST(NitroShaping, UnderSustainedOverloadTheCounterGrowsByTheExcess) {
    for (const std::uint64_t interval : {std::uint64_t{5000}, std::uint64_t{9091}}) {  // 2 x and 1.1 x 100000/s
        auto wire = make_wire(fresh_vpc());
        DeviceConfig cfg = config_for(kMacA);
        cfg.nitro.pps = 100000;
        cfg.nitro.shaping_queue = 50;
        Eni sender(cfg, wire), receiver(config_for(kMacB), wire);
        std::uint64_t arrived = 0, delivered = 0, sent = 0;
        bool counted_before_any_drop = false;
        for (std::uint64_t t = 0; t < 100 * kMs; t += interval, ++sent) {
            sender.send(udp(static_cast<std::uint16_t>(sent)));
            const DeviceStats s = sender.stats();
            counted_before_any_drop |= s.pps_allowance_exceeded > 0 && s.tx_shaping_drops == 0;
            delivered += receiver.received().size();
            sender.advance(interval);
        }
        arrived = sent;
        delivered += receiver.received().size();
        const DeviceStats s = sender.stats();
        // The allowance over the run: 100 ms at 100000/s plus the 1 ms bucket.
        const double excess = static_cast<double>(arrived) - (100000.0 * 0.1 + 100);
        EXPECT_NEAR(static_cast<double>(s.pps_allowance_exceeded), excess, 3.0) << "interval " << interval;
        EXPECT_LT(s.tx_shaping_drops, s.pps_allowance_exceeded) << "the counter moved first, while frames waited";
        EXPECT_EQ(delivered + s.tx_shaping_drops + s.tx_shaping_waiting, arrived);
        EXPECT_TRUE(counted_before_any_drop) << "frames wait (and count) before any is dropped";
        std::printf("%.1f x the allowance for 100 ms: %lu arrived, %lu delivered, pps_allowance_exceeded %lu "
                    "(excess %.0f), %lu dropped, %lu waiting\n",
                    1e4 / static_cast<double>(interval), arrived, delivered, s.pps_allowance_exceeded, excess,
                    s.tx_shaping_drops, s.tx_shaping_waiting);
    }
}

TEST(NitroShaping, IngressPpsQueuesIntoTheRxRingLater) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacB);
    cfg.nitro.pps = 100000;
    cfg.nitro.shaping_queue = 50;
    Eni sender(config_for(kMacA), wire), receiver(cfg, wire);
    for (std::uint16_t i = 0; i < 200; ++i)
        sender.send(udp(i), false);
    sender.flush();
    EXPECT_EQ(ids(receiver.received()), range(0, 101));
    DeviceStats s = receiver.stats();
    EXPECT_EQ(s.rx_shaping_queued, 50u);
    EXPECT_EQ(s.rx_shaping_drops, 49u);
    EXPECT_EQ(s.pps_allowance_exceeded, 99u);
    EXPECT_EQ(s.rx_drops, 0u);
    receiver.advance(10 * kUs - 1);
    EXPECT_TRUE(receiver.received().empty());
    receiver.advance(1);
    EXPECT_EQ(ids(receiver.received()), std::vector<std::uint16_t>{101});
    receiver.advance(490 * kUs);
    EXPECT_EQ(ids(receiver.received()), range(102, 151));
    EXPECT_EQ(receiver.stats().rx_packets, 151u);
    EXPECT_EQ(sender.stats().pps_allowance_exceeded, 0u);
}

TEST(NitroShaping, PpsAllowanceIsSharedByTxAndRx) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.pps = 1000;         // 1 ms bucket: 2 packets at once
    cfg.nitro.shaping_queue = 0;  // no queue: excess dropped at once
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    a.send(udp(1));  // A's first packet: Tx
    EXPECT_EQ(b.received().size(), 1u);
    b.send(udp(2, 1000, 64, kMacB, kMacA));
    b.send(udp(3, 1000, 64, kMacB, kMacA));
    EXPECT_EQ(ids(a.received()), std::vector<std::uint16_t>{2}) << "one Tx and one Rx used A's two";
    EXPECT_EQ(a.stats().pps_allowance_exceeded, 1u);
    EXPECT_EQ(a.stats().rx_shaping_drops, 1u);
    // A millisecond later one more packet fits, whichever way it goes.
    a.advance(1 * kMs);
    b.send(udp(4, 1000, 64, kMacB, kMacA));
    EXPECT_EQ(a.received().size(), 1u);
    a.send(udp(5));
    EXPECT_TRUE(b.received().empty());
    EXPECT_EQ(a.stats().pps_allowance_exceeded, 2u);
}

TEST(NitroShaping, OutboundBandwidthCountsFrameBytes) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.bw_out_mbps = 100;  // 12.5 MB/s: a 1250-byte frame every 100 us; 12500 bytes of burst
    cfg.nitro.shaping_queue = 10;
    Eni sender(cfg, wire), receiver(config_for(kMacB), wire);
    for (std::uint16_t i = 0; i < 30; ++i)
        sender.send(udp(i, 1000, 1250), false);
    sender.flush();
    EXPECT_EQ(ids(receiver.received()), range(0, 11));
    DeviceStats s = sender.stats();
    EXPECT_EQ(s.bw_out_allowance_exceeded, 19u);
    EXPECT_EQ(s.pps_allowance_exceeded, 0u);
    EXPECT_EQ(s.tx_shaping_queued, 10u);
    sender.advance(100 * kUs - 1);
    EXPECT_TRUE(receiver.received().empty());
    sender.advance(1);
    EXPECT_EQ(ids(receiver.received()), std::vector<std::uint16_t>{11});
    sender.advance(900 * kUs);
    EXPECT_EQ(ids(receiver.received()), range(12, 21));
    // Small frames fit the same bandwidth more often: 125 bytes every 10 us.
    sender.advance(10 * kMs);
    for (std::uint16_t i = 100; i < 300; ++i)
        sender.send(udp(i, 1000, 125), false);
    sender.flush();
    EXPECT_EQ(receiver.received().size(), 101u);
    EXPECT_EQ(sender.eni().bw_out_allowance_exceeded, 19u + 99u);
}

TEST(NitroShaping, InboundBandwidth) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacB);
    cfg.nitro.bw_in_mbps = 100;
    cfg.nitro.shaping_queue = 10;
    Eni sender(config_for(kMacA), wire), receiver(cfg, wire);
    for (std::uint16_t i = 0; i < 30; ++i)
        sender.send(udp(i, 1000, 1250), false);
    sender.flush();
    EXPECT_EQ(ids(receiver.received()), range(0, 11));
    receiver.advance(1 * kMs);
    EXPECT_EQ(ids(receiver.received()), range(11, 21));
    EXPECT_EQ(receiver.eni().bw_in_allowance_exceeded, 19u);
    EXPECT_EQ(receiver.eni().bw_out_allowance_exceeded, 0u);
    EXPECT_EQ(receiver.stats().rx_shaping_drops, 9u);
}

TEST(NitroShaping, WithoutLimitsNothingIsShaped) {
    auto wire = make_wire(fresh_vpc());
    Eni sender(config_for(kMacA), wire), receiver(config_for(kMacB), wire);
    for (std::uint16_t i = 0; i < 1000; ++i)
        sender.send(udp(i, static_cast<std::uint16_t>(i)), false);
    sender.flush();
    EXPECT_EQ(receiver.received().size(), 1000u);
    const EniStats e = sender.eni();
    EXPECT_EQ(e.pps_allowance_exceeded + e.bw_out_allowance_exceeded + e.conntrack_allowance_exceeded, 0u);
}

// --- connection tracking (acceptance 3 in virtual time) -------------------------------------

TEST(NitroConntrack, NewFlowsPastTheMaximumAreDroppedUntilIdleFlowsTimeOut) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.conntrack_max = 10;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 10u);
    for (std::uint16_t flow = 0; flow < 15; ++flow)
        a.send(udp(flow, static_cast<std::uint16_t>(1000 + flow)));
    EXPECT_EQ(ids(b.received()), range(0, 10));
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, 5u);
    EXPECT_EQ(a.stats().conntrack_entries, 10u);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 0u);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceExceeded), 5u);
    // Known flows go on, in both directions (one entry for both); new ones, either way, do not.
    a.advance(1 * kS);
    a.send(udp(20, 1003));
    EXPECT_EQ(b.received().size(), 1u);
    FrameSpec reply;
    reply.src = kMacB;
    reply.dst = kMacA;
    reply.src4 = {198, 18, 0, 2};
    reply.dst4 = {198, 18, 0, 1};
    reply.proto = 17;
    reply.sport = 2000;
    reply.dport = 1004;
    b.send(build_frame(reply));
    EXPECT_EQ(a.received().size(), 1u);
    reply.dport = 3000;  // a flow B opens towards A
    b.send(build_frame(reply));
    EXPECT_TRUE(a.received().empty());
    EXPECT_EQ(a.eni().conntrack_allowance_exceeded, 6u);

    // UDP: 30 s idle. Flows 3 and 4 were used a second later than the others.
    a.advance(29 * kS - 1);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 0u);
    a.advance(1);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 8u);
    for (std::uint16_t flow = 10; flow < 15; ++flow)
        a.send(udp(flow, static_cast<std::uint16_t>(1000 + flow)));
    EXPECT_EQ(ids(b.received()), range(10, 15));
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 3u);
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, 6u);
}

// Many flows interleaved at random (more than the card's 64-slot flow cache, so slots collide
// and flows come and go from it): exactly the first conntrack_max flows get in, every packet
// of the others is dropped and counted, and after the timeout the others get in.
TEST(NitroConntrack, InterleavedFlowsThroughTheFlowCacheAreCountedExactly) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.conntrack_max = 100;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    std::mt19937 rng(11);
    std::set<std::uint16_t> admitted;
    std::uint64_t rejected_packets = 0, delivered = 0;
    for (int i = 0; i < 5000; ++i) {
        const auto port = static_cast<std::uint16_t>(3000 + rng() % 150);
        if (admitted.size() < 100)
            admitted.insert(port);
        if (!admitted.contains(port))
            ++rejected_packets;
        a.send(udp(1, port));
        delivered += b.received().size();
    }
    ASSERT_EQ(admitted.size(), 100u);
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, rejected_packets);
    EXPECT_EQ(delivered, 5000 - rejected_packets);
    EXPECT_EQ(a.stats().conntrack_entries, 100u);
    a.advance(30 * kS);
    EXPECT_EQ(a.stats().conntrack_entries, 0u);
    for (std::uint16_t port = 3000; port < 3150; ++port)
        if (!admitted.contains(port))
            a.send(udp(2, port));
    EXPECT_EQ(b.received().size(), 50u);
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, rejected_packets);
    // The first hundred timed out: what the flow cache remembers of them (entries now reused by
    // the new flows) must not let them in. Half of them fit the room left.
    std::size_t again = 0;
    for (std::uint16_t port : admitted) {
        a.send(udp(3, port));
        again += b.received().size();
    }
    EXPECT_EQ(again, 50u);
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, rejected_packets + 50);
}

TEST(NitroConntrack, UdpStreamsLastLongerThanSingleExchanges) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.conntrack_max = 4;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    FrameSpec reply;
    reply.src = kMacB, reply.dst = kMacA, reply.src4 = {198, 18, 0, 2}, reply.dst4 = {198, 18, 0, 1};
    reply.proto = 17, reply.sport = 2000;
    // Flow 1000: two request-response transactions (a stream). Flow 1001: one.
    for (int round = 0; round < 2; ++round) {
        a.send(udp(1, 1000));
        reply.dport = 1000;
        b.send(build_frame(reply));
    }
    a.send(udp(2, 1001));
    reply.dport = 1001;
    b.send(build_frame(reply));
    EXPECT_EQ(a.stats().conntrack_entries, 2u);
    a.advance(30 * kS);
    EXPECT_EQ(a.stats().conntrack_entries, 1u) << "the single exchange timed out after 30 s";
    a.advance(150 * kS - 1);
    EXPECT_EQ(a.stats().conntrack_entries, 1u);
    a.advance(1);
    EXPECT_EQ(a.stats().conntrack_entries, 0u) << "the stream after 180 s";
}

Frame tcp(std::uint16_t sport, std::uint8_t flags, bool from_a) {
    FrameSpec s;
    if (from_a) {
        s.src = kMacA, s.dst = kMacB, s.sport = sport, s.dport = 80;
    } else {
        s.src = kMacB, s.dst = kMacA, s.src4 = {198, 18, 0, 2}, s.dst4 = {198, 18, 0, 1}, s.sport = 80, s.dport = sport;
    }
    s.tcp_flags = flags;
    s.payload = 0;
    return build_frame(s);
}

TEST(NitroConntrack, TcpFlowsClosedByFinOrRstLeaveSooner) {
    using namespace detail::tcp_flag;
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.conntrack_max = 4;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    for (std::uint16_t port = 5000; port < 5004; ++port) {
        a.send(tcp(port, kSyn, true));
        b.send(tcp(port, kSyn | kAck, false));
        a.send(tcp(port, kAck, true));
    }
    EXPECT_EQ(b.received().size(), 8u);
    EXPECT_EQ(a.received().size(), 4u);
    a.send(tcp(5004, kSyn, true));
    EXPECT_TRUE(b.received().empty()) << "a fifth connection does not fit";
    EXPECT_EQ(a.stats().conntrack_allowance_exceeded, 1u);
    // 5000: closed by FIN both ways; 5001: reset; 5002: half closed; 5003 stays established.
    a.send(tcp(5000, kFin | kAck, true));
    b.send(tcp(5000, kFin | kAck, false));
    a.send(tcp(5000, kAck, true));
    b.send(tcp(5001, kRst, false));
    a.send(tcp(5002, kFin | kAck, true));
    a.advance(10 * kS);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 2u) << "closed: 10 s";
    a.advance(110 * kS);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 3u) << "half closed: 120 s";
    a.advance(5 * 24 * 3600 * kS - 120 * kS - 1);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 3u) << "established: 5 days";
    a.advance(1);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), 4u);
    // A RST for a flow nobody tracks opens nothing.
    b.send(tcp(6000, kRst, false));
    EXPECT_EQ(a.stats().conntrack_entries, 0u);
}

TEST(NitroConntrack, TimeoutsAreConfigurable) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.conntrack_max = 4;
    cfg.nitro.conntrack_timeouts.udp = 2;
    cfg.nitro.conntrack_timeouts.tcp_established = 60;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    a.send(udp(1, 1000));
    a.send(tcp(5000, detail::tcp_flag::kSyn, true));
    b.send(tcp(5000, detail::tcp_flag::kSyn | detail::tcp_flag::kAck, false));
    a.advance(2 * kS);
    EXPECT_EQ(a.stats().conntrack_entries, 1u);
    a.advance(58 * kS);
    EXPECT_EQ(a.stats().conntrack_entries, 0u);
}

TEST(NitroConntrack, WithoutALimitNothingIsTrackedOrReported) {
    auto wire = make_wire(fresh_vpc());
    Eni a(config_for(kMacA), wire), b(config_for(kMacB), wire);
    for (std::uint16_t flow = 0; flow < 100; ++flow)
        a.send(udp(flow, static_cast<std::uint16_t>(1000 + flow)));
    EXPECT_EQ(b.received().size(), 100u);
    EXPECT_EQ(a.stats().conntrack_entries, 0u);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceAvailable), std::nullopt);
    EXPECT_EQ(a.metric(CustomerMetric::kConntrackAllowanceExceeded), 0u);
}

// --- link-local services and fragments (acceptance 4 and 5 in virtual time) -----------------

Frame to_address(std::array<std::uint8_t, 4> dst, std::uint16_t id) {
    FrameSpec s;
    s.dst = kMacA;  // loopback: back to the sender
    s.dst4 = dst;
    s.proto = 17;
    s.ip_id = id;
    return build_frame(s);
}

TEST(NitroLinkLocal, TwoThousandPacketsPerSecondToMetadataLose976PerSecond) {
    Eni a(config_for(kMacA), make_wire("loopback"));
    std::uint64_t linklocal = 0, other = 0;
    std::vector<std::uint64_t> lost_per_second;
    std::uint64_t exceeded_before = 0;
    for (int second = 0; second < 5; ++second) {
        for (int i = 0; i < 2000; ++i) {  // one every 500 us, each way
            a.send(to_address({169, 254, 169, 254}, 1), false);
            a.send(to_address({198, 18, 0, 9}, 2), false);
            a.flush();
            for (const Frame& f : a.received())
                (id_of(f) == 1 ? linklocal : other) += 1;
            a.advance(500 * kUs);
        }
        const std::uint64_t exceeded = a.stats().linklocal_allowance_exceeded;
        lost_per_second.push_back(exceeded - exceeded_before);
        exceeded_before = exceeded;
    }
    for (int second = 1; second < 5; ++second)
        EXPECT_NEAR(static_cast<double>(lost_per_second[second]), 976.0, 1.0) << "second " << second;
    EXPECT_EQ(linklocal + a.stats().linklocal_allowance_exceeded, 10000u);
    EXPECT_EQ(other, 10000u) << "other destinations are not limited";
    EXPECT_EQ(a.eni().linklocal_allowance_exceeded, a.stats().linklocal_allowance_exceeded);
    EXPECT_EQ(a.stats().pps_allowance_exceeded, 0u);
    std::printf("link-local: lost per second %lu %lu %lu %lu %lu\n", lost_per_second[0], lost_per_second[1],
                lost_per_second[2], lost_per_second[3], lost_per_second[4]);
}

TEST(NitroLinkLocal, EveryServiceAddressV4AndV6IsLimitedAndTheLimitIsConfigurable) {
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.linklocal_pps = 10;  // 1 ms bucket: 1 packet at once
    Eni a(cfg, make_wire("loopback"));
    for (std::uint8_t last : {253, 254, 123}) {
        a.send(to_address({169, 254, 169, last}, 1));
        a.send(to_address({169, 254, 169, last}, 1));
        a.advance(100 * kMs);
    }
    a.send(to_address({169, 254, 169, 1}, 1));  // not a service address
    a.send(to_address({169, 254, 169, 1}, 1));
    for (std::uint16_t low : {0x0253, 0x0254, 0x0123}) {
        FrameSpec s;
        s.dst = kMacA;
        s.ipv6 = true;
        s.dst6 = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(low >> 8),
                  static_cast<std::uint8_t>(low)};
        s.proto = 17;
        a.send(build_frame(s));
        a.send(build_frame(s));
        a.advance(100 * kMs);
    }
    EXPECT_EQ(a.received().size(), 8u);
    EXPECT_EQ(a.stats().linklocal_allowance_exceeded, 6u);
}

Frame fragment(std::uint16_t id, bool ipv6 = false, std::uint16_t offset = 0) {
    FrameSpec s;
    s.dst = kMacB;
    s.proto = 17;
    s.ip_id = id;
    s.payload = 200;
    if (!ipv6) {
        s.more_fragments = true;
        s.fragment_offset = offset;
        return build_frame(s);
    }
    // IPv6: an 8-byte destination-options header rewritten into a fragment header.
    s.ipv6 = true;
    s.ipv6_ext = 8;
    Frame f = build_frame(s);
    f[14 + 6] = 44;
    f[14 + 41] = 0;
    put16(f, 14 + 42, static_cast<std::uint16_t>(offset << 3 | 1));  // M set
    put32(f, 14 + 44, id);
    return f;
}

struct FragmentRun {
    std::uint64_t received = 0, pps_exceeded = 0;
};

// `seconds` of 5000 fragments per second from A to B.
FragmentRun fragments_for(Eni& a, Eni& b, int seconds, bool ipv6 = false) {
    FragmentRun r;
    const std::uint64_t before = a.stats().pps_allowance_exceeded;
    for (int i = 0; i < 5000 * seconds; ++i) {
        a.send(fragment(static_cast<std::uint16_t>(i), ipv6, static_cast<std::uint16_t>(i % 2 ? 25 : 0)));
        r.received += b.received().size();
        a.advance(200 * kUs);
    }
    r.pps_exceeded = a.stats().pps_allowance_exceeded - before;
    return r;
}

TEST(NitroFragments, EgressFragmentsAreLimitedTo1024PerSecondUnlessFragBypass) {
    auto wire = make_wire(fresh_vpc());
    Eni a(config_for(kMacA), wire), b(config_for(kMacB), wire);
    const FragmentRun limited = fragments_for(a, b, 3);
    EXPECT_NEAR(static_cast<double>(limited.pps_exceeded) / 3, 3976.0, 2.0);
    EXPECT_EQ(limited.received + limited.pps_exceeded, 15000u);
    const FragmentRun v6 = fragments_for(a, b, 1, true);
    EXPECT_NEAR(static_cast<double>(v6.pps_exceeded), 3976.0, 2.0) << "IPv6 fragment headers too";
    // Whole packets are not limited.
    std::size_t whole = 0;
    for (int i = 0; i < 5000; ++i) {
        a.send(udp(static_cast<std::uint16_t>(i)));
        whole += b.received().size();
    }
    EXPECT_EQ(whole, 5000u);
    std::printf("fragments without bypass: %.1f dropped per second\n", static_cast<double>(limited.pps_exceeded) / 3);

    // FRAG_BYPASS (fragment proxy mode): only the normal PPS allowance applies.
    SetFeatureCommand bypass{};
    bypass.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kFragBypass);
    bypass.frag_bypass.enable = 1;
    ASSERT_EQ(a.drv.set_feature(bypass).status, AdminStatus::kSuccess);
    const FragmentRun free = fragments_for(a, b, 2);
    EXPECT_EQ(free.pps_exceeded, 0u);
    EXPECT_EQ(free.received, 10000u);
}

TEST(NitroFragments, WithFragBypassFragmentsCountWithinThePpsAllowance) {
    auto wire = make_wire(fresh_vpc());
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.pps = 6000;
    Eni a(cfg, wire), b(config_for(kMacB), wire);
    SetFeatureCommand bypass{};
    bypass.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kFragBypass);
    bypass.frag_bypass.enable = 1;
    ASSERT_EQ(a.drv.set_feature(bypass).status, AdminStatus::kSuccess);
    const FragmentRun under = fragments_for(a, b, 2);
    EXPECT_EQ(under.pps_exceeded, 0u) << "5000 fragments/s within a 6000 PPS allowance";
    EXPECT_EQ(under.received, 10000u);
}

// --- ENA Express ----------------------------------------------------------------------------

Frame tcp_to(const Mac& src, const Mac& dst, std::uint16_t sport, std::size_t payload = 64) {
    FrameSpec s;
    s.src = src;
    s.dst = dst;
    s.sport = sport;
    s.payload = payload;
    return build_frame(s);
}

struct SrdPair {
    SrdPair(SrdMode a_mode, SrdMode b_mode, std::uint32_t flows = 1024) : wire(make_wire(fresh_vpc())) {
        DeviceConfig ca = config_for(kMacA), cb = config_for(kMacB);
        ca.nitro.srd = a_mode;
        ca.nitro.srd_flows = flows;
        cb.nitro.srd = b_mode;
        a = std::make_unique<Eni>(ca, wire);
        b = std::make_unique<Eni>(cb, wire);
    }
    std::shared_ptr<Wire> wire;
    std::unique_ptr<Eni> a, b;
};

TEST(NitroSrd, TcpBetweenTwoPortsWithEnaExpressGoesViaSrdAndBothCount) {
    SrdPair p(SrdMode::kOn, SrdMode::kOn);
    for (std::uint16_t i = 0; i < 10; ++i)
        p.a->send(tcp_to(kMacA, kMacB, 4000));
    for (std::uint16_t i = 0; i < 7; ++i)
        p.a->send(udp(i));  // UDP needs on_udp at both ends
    for (std::uint16_t i = 0; i < 3; ++i)
        p.b->send(tcp_to(kMacB, kMacA, 4000));
    EXPECT_EQ(p.b->received().size(), 17u);
    EXPECT_EQ(p.a->received().size(), 3u);
    const EnaSrdInfo a = p.a->srd(), b = p.b->srd();
    EXPECT_EQ(a.flags, 1u);
    EXPECT_EQ(a.eligible_tx_pkts, 10u);
    EXPECT_EQ(a.tx_pkts, 10u);
    EXPECT_EQ(a.rx_pkts, 3u);
    EXPECT_EQ(b.eligible_tx_pkts, 3u);
    EXPECT_EQ(b.tx_pkts, 3u);
    EXPECT_EQ(b.rx_pkts, 10u) << "the receiver counts what came via SRD";
    EXPECT_EQ(a.resource_utilization, 0u) << "one flow of 1024 is under 1 %";
    EXPECT_EQ(p.a->stats().ena_srd_tx_pkts, 10u);
}

TEST(NitroSrd, UdpNeedsOnUdpAtBothEnds) {
    {
        SrdPair p(SrdMode::kOnUdp, SrdMode::kOnUdp);
        p.a->send(udp(1));
        EXPECT_EQ(p.a->srd().tx_pkts, 1u);
        EXPECT_EQ(p.b->srd().rx_pkts, 1u);
        EXPECT_EQ(p.a->srd().flags, 3u);
    }
    {
        SrdPair p(SrdMode::kOnUdp, SrdMode::kOn);
        p.a->send(udp(1));
        p.a->send(tcp_to(kMacA, kMacB, 4000));
        EXPECT_EQ(p.a->srd().eligible_tx_pkts, 1u) << "TCP only";
        EXPECT_EQ(p.b->srd().rx_pkts, 1u);
    }
    {
        SrdPair p(SrdMode::kOn, SrdMode::kOff);
        p.a->send(tcp_to(kMacA, kMacB, 4000));
        EXPECT_EQ(p.b->received().size(), 1u);
        EXPECT_EQ(p.a->srd().eligible_tx_pkts, 0u) << "the receiver has ENA Express off";
        EXPECT_EQ(p.b->srd().rx_pkts, 0u);
    }
}

TEST(NitroSrd, EligiblePacketsTooBigOrBeyondCapacityFallBackAndStayCountedEligible) {
    SrdPair p(SrdMode::kOn, SrdMode::kOn, 4);
    p.a->send(tcp_to(kMacA, kMacB, 4000, 8900 - 40));  // 8900 IP bytes: fits
    p.a->send(tcp_to(kMacA, kMacB, 4000, 8901 - 40));  // one more: standard transmission
    EXPECT_EQ(p.b->received().size(), 2u);
    EnaSrdInfo a = p.a->srd();
    EXPECT_EQ(a.eligible_tx_pkts, 2u);
    EXPECT_EQ(a.tx_pkts, 1u);
    EXPECT_EQ(p.b->srd().rx_pkts, 1u);
    EXPECT_EQ(a.resource_utilization, 25u) << "one flow of 4";
    for (std::uint16_t port = 4001; port < 4006; ++port)
        p.a->send(tcp_to(kMacA, kMacB, port));
    a = p.a->srd();
    EXPECT_EQ(a.resource_utilization, 100u);
    EXPECT_EQ(a.eligible_tx_pkts, 7u);
    EXPECT_EQ(a.tx_pkts, 4u) << "flows 4004 and 4005 found no SRD capacity";
    // Known flows keep SRD at 100 %; idle flows go after 1 s and make room.
    p.a->send(tcp_to(kMacA, kMacB, 4001));
    EXPECT_EQ(p.a->srd().tx_pkts, 5u);
    p.a->advance(1 * kS);
    EXPECT_EQ(p.a->srd().resource_utilization, 0u);
    p.a->send(tcp_to(kMacA, kMacB, 4005));
    EXPECT_EQ(p.a->srd().tx_pkts, 6u);
    EXPECT_EQ(p.b->srd().rx_pkts, 6u);
    EXPECT_EQ(p.a->srd().resource_utilization, 25u);
}

// --- configuration notifications ------------------------------------------------------------

std::vector<std::uint64_t> notifications(TestDriver& drv) {
    std::vector<std::uint64_t> out;
    for (const AenqEntry& e : drv.poll_aenq()) {
        if (e.common.group != static_cast<std::uint16_t>(AenqGroup::kConfNotifications))
            continue;
        AenqConfNotifications n;
        std::memcpy(&n, &e, sizeof(n));
        out.push_back(n.notifications_bitmap);
    }
    return out;
}

TEST(NitroNotifications, EnaExpressWithWideLlqIsCode1AndAShallowTxQueueCode2EachRateLimited) {
    DeviceConfig cfg;
    cfg.nitro.srd = SrdMode::kOn;
    TestDriver drv(cfg);
    drv.bring_up();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kConfNotifications)).status, AdminStatus::kSuccess);
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    drv.create_tx(512, true);  // the deepest a wide-LLQ queue may be here (1024 / 2)
    const std::uint64_t code1 = conf_notification_bit(ConfNotification::kEnaExpressWithWideLlq);
    const std::uint64_t code2 = conf_notification_bit(ConfNotification::kEnaExpressShallowTxQueue);
    EXPECT_EQ(code1, 1u);
    EXPECT_EQ(notifications(drv), std::vector<std::uint64_t>{code1});
    drv.create_tx(256, true);  // shallower: code 2 (code 1 again within the second: not sent)
    EXPECT_EQ(notifications(drv), std::vector<std::uint64_t>{code2});
    drv.create_tx(256, true);
    EXPECT_TRUE(notifications(drv).empty());
    drv.device().advance_time(1 * kS);
    drv.create_tx(256, true);
    EXPECT_EQ(notifications(drv), (std::vector<std::uint64_t>{code1, code2}));
    EXPECT_EQ(drv.device().stats().conf_notifications_sent, 4u);
}

TEST(NitroNotifications, NormalLlqAtFullDepthOrEnaExpressOffIsQuiet) {
    {
        DeviceConfig cfg;
        cfg.nitro.srd = SrdMode::kOn;
        TestDriver drv(cfg);
        drv.bring_up();
        ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kConfNotifications)).status, AdminStatus::kSuccess);
        ASSERT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
        drv.create_tx(1024, true);
        drv.create_rx(256);  // Rx queues are not concerned
        EXPECT_TRUE(notifications(drv).empty());
    }
    TestDriver drv;  // ENA Express off
    drv.bring_up();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kConfNotifications)).status, AdminStatus::kSuccess);
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    drv.create_tx(64, true);
    EXPECT_TRUE(notifications(drv).empty());
}

// --- threaded mode ----------------------------------------------------------------------------

// Real time, an engine thread serving both devices, a third thread reading counters: every
// frame is accounted for once (left, waited and left, or dropped at one stage), whichever
// thread shaped it. (Also a target for -Db_sanitize=thread.)
TEST(NitroThreaded, EveryFrameIsAccountedForOnceWithTheEngineAndReadersRunning) {
    Engine engine;
    std::thread loop([&] { engine.run(); });
    DeviceConfig ca = config_for(kMacA), cb = config_for(kMacB);
    ca.nitro.pps = 50000;
    ca.nitro.conntrack_max = 100;
    ca.nitro.shaping_queue = 64;
    cb.nitro.pps = 20000;
    cb.nitro.bw_in_mbps = 10;
    cb.nitro.shaping_queue = 64;
    TestDriver a(ca, EngineMode::kThreaded), b(cb, EngineMode::kThreaded);
    engine.add(a.device());
    engine.add(b.device());
    a.bring_up();
    b.bring_up();
    RxRing rx = b.create_rx(1024, 2048);
    b.post_rx(rx, 1023);
    TxRing tx = a.create_tx(1024);
    auto wire = make_wire(fresh_vpc());
    a.device().attach_wire(wire);
    b.device().attach_wire(wire);
    std::atomic<bool> reading{true};
    std::thread reader([&] {
        while (reading.load())
            (void)a.device().stats(), (void)b.device().stats();
    });

    constexpr int kPackets = 20000;
    std::mt19937 rng(3);
    for (int sent = 0; sent < kPackets;) {
        if (static_cast<std::uint16_t>(tx.tail - tx.cq_head) < 512) {
            TxPacket p;
            p.frame = udp(static_cast<std::uint16_t>(sent), static_cast<std::uint16_t>(5000 + rng() % 120), 200);
            a.send(tx, p);
            ++sent;
        }
        a.poll_tx(tx);
        std::uint16_t buffers = 0;
        for (const RxPacket& got : b.poll_rx(rx))
            buffers = static_cast<std::uint16_t>(buffers + got.completions.size());
        if (buffers != 0)
            b.post_rx(rx, buffers);
    }
    // Let the queues drain (64 frames at 50000/s: about a millisecond).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline &&
           (a.device().stats().tx_shaping_waiting != 0 || b.device().stats().rx_shaping_waiting != 0))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    reading = false;
    reader.join();
    engine.stop();
    loop.join();
    engine.remove(a.device());
    engine.remove(b.device());

    const DeviceStats sa = a.device().stats(), sb = b.device().stats();
    EXPECT_EQ(sa.tx_packets + sa.tx_shaping_drops + sa.conntrack_allowance_exceeded + sa.tx_shaping_waiting,
              std::uint64_t{kPackets});
    EXPECT_EQ(sb.rx_packets + sb.rx_drops + sb.rx_shaping_drops + sb.rx_shaping_waiting, sa.tx_packets);
    EXPECT_GT(sa.conntrack_allowance_exceeded, 0u) << "120 flows for 100 entries";
    EXPECT_EQ(sa.conntrack_entries, 100u);
    EXPECT_GT(sa.pps_allowance_exceeded, 0u);
    EXPECT_GT(sb.rx_shaping_drops, 0u) << "B admits less than A sends";
    std::printf("threaded: %d sent, %lu left A, %lu shaping drops, %lu conntrack drops; B: %lu received, %lu "
                "shaping drops, %lu Rx drops\n",
                kPackets, sa.tx_packets, sa.tx_shaping_drops, sa.conntrack_allowance_exceeded, sb.rx_packets,
                sb.rx_shaping_drops, sb.rx_drops);
}

// --- instance profiles ----------------------------------------------------------------------

TEST(InstanceProfiles, QueuesLlqAndAllowancesFollowTheType) {
    const InstanceProfile* c6in = find_instance_profile("c6in.32xlarge");
    ASSERT_NE(c6in, nullptr);
    EXPECT_EQ(c6in->default_queues, 32);  // the guide's ENA queues table
    EXPECT_TRUE(c6in->queues_published);
    EXPECT_EQ(find_instance_profile("m6i.large")->max_queues, 2);
    EXPECT_EQ(find_instance_profile("t2.nano"), nullptr);
    DeviceConfig cfg;
    apply_instance_profile(*find_instance_profile("c7gn.16xlarge"), cfg);
    EXPECT_EQ(cfg.llq, LlqOffer::kWide);
    EXPECT_EQ(cfg.max_wide_llq_depth, 1024) << "Nitro v5";
    EXPECT_EQ(cfg.nitro.bw_out_mbps, 200000u);
    TestDriver v5(cfg);
    v5.bring_up();
    EXPECT_EQ(v5.get_feature(FeatureId::kLlq).as<GetFeatureResponse>().llq.max_wide_llq_depth, 1024);
    apply_instance_profile(*find_instance_profile("m6i.large"), cfg);
    EXPECT_EQ(cfg.max_io_queues, 2);
    EXPECT_EQ(cfg.max_wide_llq_depth, 0) << "Nitro v4: drivers halve the depth";
    EXPECT_NE(cfg.nitro.pps, 0u);
    EXPECT_NE(cfg.nitro.conntrack_max, 0u);
    apply_instance_profile(*find_instance_profile("c5n.18xlarge"), cfg);
    EXPECT_EQ(cfg.llq, LlqOffer::kNormal) << "no wide LLQ before Nitro v4";
    EXPECT_EQ(validate_config(cfg), "");
}

}  // namespace
}  // namespace ena::sim::test
