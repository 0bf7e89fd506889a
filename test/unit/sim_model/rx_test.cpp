// Rx: scatter, drops by cause, checksum verification flags, completions, faults.
#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

class Rx : public ::testing::Test {
protected:
    void SetUp() override {
        drv.bring_up();
        rx = drv.create_rx(256, 2048);
    }
    void deliver(const Frame& f) { drv.device().receive_frame(f); }
    TestDriver drv;
    RxRing rx;
};

TEST_F(Rx, JumboFrameScattersOverBuffers) {
    drv.post_rx(rx, 255);
    FrameSpec s;
    s.payload = 9000 - 54;
    const Frame f = build_frame(s);
    ASSERT_EQ(f.size(), 9000u);
    deliver(f);
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, f);
    const auto& c = got[0].completions;
    ASSERT_EQ(c.size(), 5u);
    for (std::size_t i = 0; i < c.size(); ++i) {
        EXPECT_EQ(rx_completion::First::get(c[i].status), i == 0);
        EXPECT_EQ(rx_completion::Last::get(c[i].status), i + 1 == c.size());
        EXPECT_EQ(c[i].length, i < 4 ? 2048 : 9000 - 4 * 2048);
        EXPECT_EQ(c[i].req_id, i) << "buffers are used in posting order";
        EXPECT_EQ(c[i].offset, 0);
        EXPECT_EQ(c[i].status & rx_completion::kMbzMask, 0u);
    }
    EXPECT_EQ(drv.device().sq_state(rx.sq).head, 5);
}

TEST_F(Rx, NoBufferMeansDropCountedInStats) {
    deliver(build_frame({}));
    drv.post_rx(rx, 1);
    deliver(build_frame({}));
    deliver(build_frame({}));
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
    EXPECT_EQ(drv.device().stats().rx_drops, 2u);
    EXPECT_EQ(drv.basic_stats().rx_drops.get(), 2u);
    // A frame that needs more buffers than are posted is dropped whole, consuming nothing.
    drv.post_rx(rx, 2);
    deliver(build_frame({.payload = 5000}));
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().rx_drops, 3u);
    deliver(build_frame({}));
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
}

// A source that can wait (capture replay) gets frames back instead of losing them.
TEST_F(Rx, TryReceiveHandsBackFramesThatFindNoRoomAndCountsNothing) {
    Device& dev = drv.device();
    const Frame small = build_frame({});
    EXPECT_FALSE(dev.try_receive_frame(small)) << "no buffer posted";
    drv.post_rx(rx, 2);
    const Frame jumbo = build_frame({.payload = 5000});  // needs 3 buffers of 2048
    EXPECT_FALSE(dev.try_receive_frame(jumbo)) << "2 of the 3 buffers it needs";
    EXPECT_EQ(dev.sq_state(rx.sq).head, 0) << "nothing consumed";
    drv.post_rx(rx, 1);
    EXPECT_TRUE(dev.try_receive_frame(jumbo));
    dev.set_link(false);
    drv.post_rx(rx, 4);
    EXPECT_FALSE(dev.try_receive_frame(small)) << "link down";
    dev.set_link(true);
    EXPECT_TRUE(dev.try_receive_frame(small));
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].data, jumbo);
    EXPECT_EQ(got[1].data, small);
    DeviceStats s = dev.stats();
    EXPECT_EQ(s.rx_drops, 0u);
    EXPECT_EQ(s.rx_packets, 2u);

    // What waiting cannot cure is taken and counted as receive_frame would.
    ASSERT_EQ(drv.set_mtu(1500).status, AdminStatus::kSuccess);
    EXPECT_TRUE(dev.try_receive_frame(build_frame({.payload = 1500 - 40 + 1})));
    EXPECT_EQ(dev.stats().rx_oversize_drops, 1u);
    EXPECT_TRUE(drv.poll_rx(rx).empty());

    // No Rx queue at all: handed back.
    drv.destroy_sq(rx.sq, SqDirection::kRx);
    EXPECT_FALSE(dev.try_receive_frame(small));
    s = dev.stats();
    EXPECT_EQ(s.rx_drops, 1u);  // the oversize frame above, nothing more
    EXPECT_EQ(s.rx_packets, 2u);
}

TEST_F(Rx, TryReceiveDropsAFrameThatAFullRingCannotHold) {
    RxRing small = drv.create_rx(4, 512);  // a full ring holds 3 buffers: 1536 bytes
    drv.destroy_sq(rx.sq, SqDirection::kRx);
    drv.post_rx(small, 2);
    const Frame big = build_frame({.payload = 1400});
    EXPECT_FALSE(drv.device().try_receive_frame(big)) << "a third buffer could still come";
    drv.post_rx(small, 1);
    EXPECT_TRUE(drv.device().try_receive_frame(big));
    auto got = drv.poll_rx(small);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, big);
    drv.post_rx(small, 3);
    const Frame bigger = build_frame({.payload = 1600});
    EXPECT_TRUE(drv.device().try_receive_frame(bigger)) << "4 buffers never fit: dropped, not kept waiting";
    EXPECT_EQ(drv.device().stats().rx_drops, 1u);
    EXPECT_TRUE(drv.poll_rx(small).empty());
}

TEST_F(Rx, FramesLongerThanTheMtuAreDropped) {
    ASSERT_EQ(drv.set_mtu(1500).status, AdminStatus::kSuccess);
    drv.post_rx(rx, 16);
    deliver(build_frame({.payload = 1500 - 40 + 1}));  // 1515 bytes
    deliver(build_frame({.payload = 1500 - 40}));      // 1514: fits
    deliver(build_frame({.vlans = 2, .payload = 1500 - 40}));  // 1522: fits with two tags
    EXPECT_EQ(drv.poll_rx(rx).size(), 2u);
    EXPECT_EQ(drv.device().stats().rx_oversize_drops, 1u);
    // Reported with the other Rx drops: GET_STATS basic (and the keep-alive), the driver's imissed.
    EXPECT_EQ(drv.device().stats().rx_drops, 1u);
    EXPECT_EQ(drv.basic_stats().rx_drops.get(), 1u);
}

TEST_F(Rx, FrameNeedingTooManyBuffersIsDropped) {
    RxRing small = drv.create_rx(64, 512);
    drv.destroy_sq(rx.sq, SqDirection::kRx);  // leave the small-buffer queue as the only one
    drv.post_rx(small, 63);
    deliver(build_frame({.payload = 9000 - 54}));  // 18 buffers of 512 > 16
    EXPECT_TRUE(drv.poll_rx(small).empty());
    EXPECT_EQ(drv.device().stats().rx_drops, 1u);
    deliver(build_frame({.payload = 8 * 512 - 54}));  // 8 buffers: fine
    auto got = drv.poll_rx(small);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions.size(), 8u);
}

TEST_F(Rx, TooManyDescriptorsFault) {
    drv.post_rx(rx, 255);
    drv.device().inject_fault(Fault::kTooManyRxDescs, 1);
    const Frame f = build_frame({.payload = 1000});
    deliver(f);
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions.size(), drv.device().config().max_rx_descs_per_packet + 1u);
    EXPECT_EQ(got[0].data, f);
    deliver(f);
    got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions.size(), 1u);
}

TEST_F(Rx, RingWrapsWithReposting) {
    for (int i = 0; i < 1000; ++i) {
        drv.post_rx(rx, 1);
        FrameSpec s;
        s.payload = static_cast<std::size_t>(i % 500);
        const Frame f = build_frame(s);
        deliver(f);
        auto got = drv.poll_rx(rx);
        ASSERT_EQ(got.size(), 1u) << i;
        ASSERT_EQ(got[0].data, f) << i;
    }
    EXPECT_EQ(drv.device().stats().rx_packets, 1000u);
}

TEST_F(Rx, UnmappedBufferComesBackEmpty) {
    // Post one descriptor whose buffer the device cannot reach.
    rx.buffers[0] = drv.memory().unmapped();
    drv.post_rx(rx, 2);
    deliver(build_frame({}));
    auto* c = drv.memory().at<RxCompletion>(rx.cq_ring);
    EXPECT_EQ(rx_completion::Phase::get(c->status), 1u);
    EXPECT_EQ(c->length, 0);
    EXPECT_EQ(c->req_id, 0);
    EXPECT_TRUE(rx_completion::Last::get(c->status));
    rx.cq_head = 1;
    EXPECT_EQ(drv.device().stats().dma_errors, 1u);
    EXPECT_EQ(drv.device().stats().rx_drops, 1u);
    deliver(build_frame({}));  // the next buffer is fine
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
}

TEST_F(Rx, WideCompletionsCarryAddressAndTimestamp) {
    RxRing wide = drv.create_rx(64, 2048, /*cq_words=*/8);
    drv.destroy_sq(rx.sq, SqDirection::kRx);
    drv.post_rx(wide, 8);
    drv.device().advance_time(777);
    deliver(build_frame({}));
    RxCompletionExt c;
    std::memcpy(&c, drv.memory().at(wide.cq_ring), sizeof(c));
    EXPECT_EQ(rx_completion::Phase::get(c.base.status), 1u);
    EXPECT_EQ(c.buff_addr_low | (std::uint64_t{c.buff_addr_high} << 32), wide.buffers[0]);
    EXPECT_EQ(c.timestamp_low, drv.device().now_ns());
}

struct ChecksumCase {
    const char* name;
    FrameSpec spec;
    int corrupt;  // 0 none, 1 IPv4 header checksum, 2 L4 checksum
    std::uint32_t l3, l4;
    bool checked, l3_error, l4_error, fragment;
};

FrameSpec spec_with(bool ipv6, std::uint8_t proto) {
    FrameSpec s;
    s.ipv6 = ipv6;
    s.proto = proto;
    return s;
}

FrameSpec fragment_spec() {
    FrameSpec s;
    s.more_fragments = true;
    return s;
}

FrameSpec udp_no_checksum() {
    FrameSpec s;
    s.proto = 17;
    s.checksums = false;
    return s;
}

class RxChecksums : public Rx, public ::testing::WithParamInterface<ChecksumCase> {};

TEST_P(RxChecksums, CompletionReportsWhatTheDeviceVerified) {
    const ChecksumCase c = GetParam();
    drv.post_rx(rx, 4);
    Frame f = build_frame(c.spec);
    const Layout l = layout_of(c.spec);
    if (c.corrupt == 1)
        f[l.l3 + 10] ^= 0x01;
    if (c.corrupt == 2)
        f[l.l4 + (c.spec.proto == 6 ? 16 : 6)] ^= 0x01;
    if (!c.spec.checksums && !c.spec.ipv6)  // valid IPv4 header, UDP checksum 0 = none
        put16(f, l.l3 + 10, static_cast<std::uint16_t>(~fold(sum16(f, l.l3, l.l4))));
    deliver(f);
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    const std::uint32_t st = got[0].status();
    EXPECT_EQ(rx_completion::L3ProtoIdx::get(st), c.l3);
    EXPECT_EQ(rx_completion::L4ProtoIdx::get(st), c.l4);
    EXPECT_EQ(rx_completion::L4CsumChecked::get(st), c.checked);
    EXPECT_EQ(rx_completion::L3CsumError::get(st), c.l3_error);
    EXPECT_EQ(rx_completion::L4CsumError::get(st), c.l4_error);
    EXPECT_EQ(rx_completion::Ipv4Fragment::get(st), c.fragment);
}

constexpr std::uint32_t kV4 = static_cast<std::uint32_t>(L3Proto::kIpv4);
constexpr std::uint32_t kV6 = static_cast<std::uint32_t>(L3Proto::kIpv6);
constexpr std::uint32_t kTcp = static_cast<std::uint32_t>(L4Proto::kTcp);
constexpr std::uint32_t kUdp = static_cast<std::uint32_t>(L4Proto::kUdp);

INSTANTIATE_TEST_SUITE_P(
    All, RxChecksums,
    ::testing::Values(ChecksumCase{"v4_tcp", spec_with(false, 6), 0, kV4, kTcp, true, false, false, false},
                      ChecksumCase{"v4_udp", spec_with(false, 17), 0, kV4, kUdp, true, false, false, false},
                      ChecksumCase{"v6_tcp", spec_with(true, 6), 0, kV6, kTcp, true, false, false, false},
                      ChecksumCase{"v6_udp", spec_with(true, 17), 0, kV6, kUdp, true, false, false, false},
                      ChecksumCase{"v4_bad_header", spec_with(false, 6), 1, kV4, kTcp, true, true, false, false},
                      ChecksumCase{"v4_bad_tcp", spec_with(false, 6), 2, kV4, kTcp, true, false, true, false},
                      ChecksumCase{"v6_bad_udp", spec_with(true, 17), 2, kV6, kUdp, true, false, true, false},
                      ChecksumCase{"v4_first_fragment", fragment_spec(), 0, kV4, kTcp, false, false, false, true},
                      ChecksumCase{"v4_udp_without_checksum", udp_no_checksum(), 0, kV4, kUdp, true, false, false, false},
                      ChecksumCase{"v4_icmp", spec_with(false, 1), 0, kV4, 0, false, false, false, false}),
    [](const auto& info) { return std::string(info.param.name); });

// A host that reads neither checksum results nor hashes (RxCompletionUse) gets the protocol
// fields still, and no verdict: a corrupted L4 checksum is "not checked", the hash 0. Queues
// created before the query changed keep what they were created with.
TEST_F(Rx, CompletionsLeaveOutWhatTheHostDoesNotRead) {
    FrameSpec s = spec_with(false, 17);
    Frame bad = build_frame(s);
    const Layout l = layout_of(s);
    bad[l.l4 + 6] ^= 0x01;
    bad[l.l3 + 10] ^= 0x01;
    drv.post_rx(rx, 4);
    deliver(bad);
    auto verified = drv.poll_rx(rx);
    ASSERT_EQ(verified.size(), 1u);
    EXPECT_TRUE(rx_completion::L4CsumChecked::get(verified[0].status()));
    EXPECT_TRUE(rx_completion::L4CsumError::get(verified[0].status()));
    EXPECT_TRUE(rx_completion::L3CsumError::get(verified[0].status()));
    EXPECT_NE(verified[0].completions[0].hash, 0u);
    EXPECT_EQ(verified[0].completions[0].hash, drv.device().rss_hash(bad));

    unsigned asked = 0;
    drv.device().set_rx_completion_use([&] {
        ++asked;
        return RxCompletionUse{false, false};
    });
    RxRing plain = drv.create_rx(256, 2048);
    EXPECT_EQ(asked, 1u);
    // The new queue is the second Rx queue: a table that sends everything to it.
    ASSERT_TRUE(drv.set_rss_table(0, {plain.cq}));
    drv.post_rx(plain, 4);
    deliver(bad);
    auto plain_got = drv.poll_rx(plain);
    ASSERT_EQ(plain_got.size(), 1u);
    EXPECT_EQ(plain_got[0].data, bad);
    const std::uint32_t st = plain_got[0].status();
    EXPECT_EQ(rx_completion::L3ProtoIdx::get(st), kV4);
    EXPECT_EQ(rx_completion::L4ProtoIdx::get(st), kUdp);
    EXPECT_FALSE(rx_completion::L4CsumChecked::get(st));
    EXPECT_FALSE(rx_completion::L4CsumError::get(st));
    EXPECT_FALSE(rx_completion::L3CsumError::get(st));
    EXPECT_EQ(plain_got[0].completions[0].hash, 0u);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
}

// Steering over several queues needs the hash whatever the host reads: frames still spread by
// it, and the completions carry it.
TEST_F(Rx, SteeringHashesWhenTheHostReadsNoHash) {
    drv.device().set_rx_completion_use([] { return RxCompletionUse{false, false}; });
    std::vector<RxRing> rings{drv.create_rx(256, 2048), drv.create_rx(256, 2048)};
    for (RxRing& r : rings)
        drv.post_rx(r, 64);
    ASSERT_TRUE(drv.set_rss_table(7, {rings[0].cq, rings[1].cq}));
    unsigned per_queue[2] = {0, 0};
    for (std::uint16_t port = 2000; port < 2032; ++port) {
        FrameSpec s;
        s.sport = port;
        const Frame f = build_frame(s);
        const std::uint32_t hash = drv.device().rss_hash(f);
        deliver(f);
        const std::size_t expected = (hash & 127) % 2;
        auto got = drv.poll_rx(rings[expected]);
        ASSERT_EQ(got.size(), 1u) << "port " << port;
        EXPECT_EQ(got[0].completions[0].hash, hash);
        ++per_queue[expected];
    }
    EXPECT_GT(per_queue[0], 0u);
    EXPECT_GT(per_queue[1], 0u);
}

TEST_F(Rx, NonIpAndVlanTaggedFrames) {
    drv.post_rx(rx, 4);
    deliver(build_frame({.ip = false}));
    deliver(build_frame({.vlans = 2}));
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(rx_completion::L3ProtoIdx::get(got[0].status()), 0u);
    EXPECT_EQ(rx_completion::SrcVlanCount::get(got[1].status()), 2u);
    EXPECT_EQ(rx_completion::L4ProtoIdx::get(got[1].status()), kTcp);
}

TEST_F(Rx, BadDescriptorPhaseIsMalformed) {
    drv.post_rx(rx, 1);
    auto* d = drv.memory().at<RxDesc>(rx.ring);
    d->ctrl = static_cast<std::uint8_t>(d->ctrl ^ rx_desc::Phase::kMask);
    deliver(build_frame({}));
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_rx, 1u);
}

TEST_F(Rx, DoorbellBeyondTheRingIsRejected) {
    drv.write(rx.doorbell, 300);  // a 256-entry ring cannot hold 300 buffers
    deliver(build_frame({}));
    EXPECT_EQ(drv.device().stats().malformed_rx, 1u);
    EXPECT_EQ(drv.device().stats().rx_packets, 0u);
}

TEST_F(Rx, InterruptWhenUnmaskedThenMaskedUntilUnmaskedAgain) {
    std::vector<std::uint32_t> fired;
    drv.device().set_interrupt_handler([&](std::uint32_t v) { fired.push_back(v); });
    drv.write(reg::kIntrMask, 1);  // admin interrupts off for this test
    const std::uint64_t cq_ring = drv.memory().alloc(64 * 16, 4096);
    AdminResult cq = drv.create_cq(64, 4, cq_ring, /*interrupts=*/true, /*vector=*/7);
    ASSERT_EQ(cq.status, AdminStatus::kSuccess);
    const auto resp = cq.as<CreateCqResponse>();
    drv.destroy_sq(rx.sq, SqDirection::kRx);
    RxRing r;
    r.depth = 64;
    r.cq = resp.cq_index;
    r.cq_ring = cq_ring;
    r.buffer_size = 2048;
    r.ring = drv.memory().alloc(64 * 16, 4096);
    AdminResult sq = drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, r.cq, 64, r.ring);
    ASSERT_EQ(sq.status, AdminStatus::kSuccess);
    r.sq = sq.as<CreateSqResponse>().sq_index;
    r.doorbell = sq.as<CreateSqResponse>().sq_doorbell_offset;
    r.buffers.resize(64);
    for (auto& b : r.buffers)
        b = drv.memory().alloc(2048);
    drv.post_rx(r, 8);

    deliver(build_frame({}));
    EXPECT_TRUE(fired.empty()) << "masked after creation";
    drv.write(resp.cq_interrupt_unmask_register_offset, cq_unmask::Unmask::kMask);
    deliver(build_frame({}));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0], 7u);
    deliver(build_frame({}));
    EXPECT_EQ(fired.size(), 1u) << "auto-masked";
    drv.write(resp.cq_interrupt_unmask_register_offset, cq_unmask::Unmask::kMask);
    deliver(build_frame({}));
    EXPECT_EQ(fired.size(), 2u);
    EXPECT_EQ(drv.poll_rx(r).size(), 4u);
}

TEST_F(Rx, AdminInterruptsOnVectorZeroUnlessMasked) {
    std::vector<std::uint32_t> fired;
    drv.device().set_interrupt_handler([&](std::uint32_t v) { fired.push_back(v); });
    EXPECT_EQ(drv.get_feature(FeatureId::kMtu).status, AdminStatus::kSuccess);
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0], 0u);
    drv.write(reg::kIntrMask, 1);
    EXPECT_EQ(drv.get_feature(FeatureId::kMtu).status, AdminStatus::kSuccess);
    EXPECT_EQ(fired.size(), 1u);
}

}  // namespace
}  // namespace ena::sim::test
