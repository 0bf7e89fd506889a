// AENQ: keep-alive on the virtual clock, link change, no overwrite when full, phase wrap.
#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

constexpr std::uint64_t kMs = 1'000'000;

std::uint64_t timestamp(const AenqEntry& e) {
    return (std::uint64_t{e.common.timestamp_high} << 32) | e.common.timestamp_low;
}

class AenqTest : public ::testing::Test {
protected:
    void SetUp() override { drv.bring_up(); }
    TestDriver drv;
};

TEST_F(AenqTest, KeepAliveEverySecondOfDeviceTimeWithDropCounters) {
    // Make some drops first: Rx frames with no Rx queue to land on, a Tx packet whose buffer
    // the device cannot reach.
    for (int i = 0; i < 3; ++i)
        drv.device().receive_frame(build_frame({}));
    TxRing tx = drv.create_tx(64);
    TxPacket bad;
    bad.frame = build_frame({});
    bad.buffer_address_override = drv.memory().unmapped();
    drv.send(tx, bad);
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    const std::uint64_t start = drv.device().now_ns();
    drv.device().advance_time(3500 * kMs);
    const auto events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 3u);
    for (std::size_t i = 0; i < events.size(); ++i) {
        AenqKeepAlive ka;
        std::memcpy(&ka, &events[i], sizeof(ka));
        EXPECT_EQ(ka.common.group, static_cast<std::uint16_t>(AenqGroup::kKeepAlive));
        EXPECT_EQ(ka.rx_drops.get(), 3u);
        EXPECT_EQ(ka.tx_drops.get(), 1u);
        EXPECT_EQ(ka.rx_overruns.get(), 0u);
        EXPECT_EQ(timestamp(events[i]), start + (i + 1) * 1000 * kMs);
    }
    EXPECT_EQ(drv.device().stats().keep_alives_sent, 3u);
    drv.device().advance_time(400 * kMs);  // 3.9 s: nothing new
    EXPECT_TRUE(drv.poll_aenq().empty());
    drv.device().advance_time(100 * kMs);  // 4.0 s
    EXPECT_EQ(drv.poll_aenq().size(), 1u);
}

TEST_F(AenqTest, NoKeepAliveUnlessEnabled) {
    drv.device().advance_time(5000 * kMs);
    EXPECT_TRUE(drv.poll_aenq().empty());
    EXPECT_EQ(drv.device().stats().keep_alives_sent, 0u);
}

TEST_F(AenqTest, KeepAliveStopFault) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    drv.device().inject_fault(Fault::kKeepAliveStop, kFaultForever);
    drv.device().advance_time(5000 * kMs);
    EXPECT_TRUE(drv.poll_aenq().empty());
    drv.device().inject_fault(Fault::kKeepAliveStop, 0);
    drv.device().advance_time(1000 * kMs);
    EXPECT_EQ(drv.poll_aenq().size(), 1u);
}

TEST_F(AenqTest, LinkChangeOnlyWhenEnabledAndInitialStateAnnounced) {
    drv.device().set_link(false);
    EXPECT_TRUE(drv.poll_aenq().empty());
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kLinkChange)).status, AdminStatus::kSuccess);
    auto initial = drv.poll_aenq();
    ASSERT_EQ(initial.size(), 1u);
    AenqLinkChange lc;
    std::memcpy(&lc, &initial[0], sizeof(lc));
    EXPECT_EQ(lc.common.group, static_cast<std::uint16_t>(AenqGroup::kLinkChange));
    EXPECT_EQ(aenq_link::Up::get(lc.flags), 0u);

    drv.device().set_link(true);
    auto up = drv.poll_aenq();
    ASSERT_EQ(up.size(), 1u);
    std::memcpy(&lc, &up[0], sizeof(lc));
    EXPECT_EQ(aenq_link::Up::get(lc.flags), 1u);
    drv.device().set_link(true);  // no change, no event
    EXPECT_TRUE(drv.poll_aenq().empty());
    // Re-enabling the same groups does not announce again.
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kLinkChange)).status, AdminStatus::kSuccess);
    EXPECT_TRUE(drv.poll_aenq().empty());
    // Disabled: silent.
    ASSERT_EQ(drv.set_aenq_groups(0).status, AdminStatus::kSuccess);
    drv.device().set_link(false);
    EXPECT_TRUE(drv.poll_aenq().empty());
    EXPECT_FALSE(drv.device().link_up());
}

TEST_F(AenqTest, FullQueueIsNeverOverwritten) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    drv.device().advance_time(20 * 1000 * kMs);  // 20 keep-alives, 16 fit
    auto events = drv.poll_aenq(/*release=*/false);
    ASSERT_EQ(events.size(), kAenqDepth);
    EXPECT_EQ(drv.device().stats().aenq_events_dropped, 4u);
    EXPECT_EQ(timestamp(events.front()), 1000 * kMs);  // the oldest entry is intact
    EXPECT_EQ(timestamp(events.back()), 16 * 1000 * kMs);
    // Releasing makes room again; the next events land in the wrapped slots with phase 0.
    drv.write(reg::kAenqHeadDoorbell, 2 * kAenqDepth);
    drv.device().advance_time(3 * 1000 * kMs);
    events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(aenq_desc::Phase::get(events[0].common.flags), 0u);
    EXPECT_EQ(timestamp(events[0]), 21 * 1000 * kMs);
}

TEST_F(AenqTest, PhaseWrapsOverManyLaps) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    std::size_t seen = 0;
    for (int i = 0; i < 5 * kAenqDepth; ++i) {
        drv.device().advance_time(1000 * kMs);
        seen += drv.poll_aenq().size();
    }
    EXPECT_EQ(seen, 5u * kAenqDepth);
    EXPECT_EQ(drv.device().stats().aenq_events_dropped, 0u);
}

TEST(Aenq, TheWholeQueueIsFreeBeforeTheFirstHeadDoorbell) {
    TestDriver d;
    d.init_admin(kAdminQueueDepth, kAenqDepth, /*write_aenq_head=*/false);
    ASSERT_EQ(d.set_aenq_groups(aenq_group_bit(AenqGroup::kLinkChange) | aenq_group_bit(AenqGroup::kKeepAlive)).status,
              AdminStatus::kSuccess);
    // The initial link state, then keep-alives until the ring is full: depth events in all.
    d.device().advance_time(std::uint64_t{kAenqDepth - 1} * 1000 * kMs);
    EXPECT_EQ(d.device().stats().aenq_events_dropped, 0u);
    d.device().advance_time(1000 * kMs);  // one more: no room, the driver has released nothing
    EXPECT_EQ(d.device().stats().aenq_events_dropped, 1u);
    const auto events = d.poll_aenq();
    ASSERT_EQ(events.size(), kAenqDepth);
    EXPECT_EQ(events[0].common.group, static_cast<std::uint16_t>(AenqGroup::kLinkChange));
}

TEST_F(AenqTest, FatalErrorEvent) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kFatalError) | aenq_group_bit(AenqGroup::kKeepAlive)).status,
              AdminStatus::kSuccess);
    drv.device().raise_fatal_error();
    auto events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].common.group, static_cast<std::uint16_t>(AenqGroup::kFatalError));
    drv.device().advance_time(3000 * kMs);  // a dead device sends no keep-alive
    EXPECT_TRUE(drv.poll_aenq().empty());
}

}  // namespace
}  // namespace ena::sim::test
