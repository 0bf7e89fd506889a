// Faults: the kinds that are device events (fatal error, reset request, link flap), the ones that
// bend one operation (stale Rx request id, Tx queue stall), faults armed until the next device
// reset, and faults scheduled from the driver's first start, on the virtual clock and in real
// time with the engine thread.
#include <chrono>
#include <thread>

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

constexpr std::uint64_t kMs = 1'000'000;

std::uint64_t timestamp(const AenqEntry& e) {
    return (std::uint64_t{e.common.timestamp_high} << 32) | e.common.timestamp_low;
}

std::vector<AenqEntry> of_group(const std::vector<AenqEntry>& events, AenqGroup group) {
    std::vector<AenqEntry> out;
    for (const AenqEntry& e : events)
        if (e.common.group == static_cast<std::uint16_t>(group))
            out.push_back(e);
    return out;
}

bool link_flag(const AenqEntry& e) {
    AenqLinkChange lc;
    std::memcpy(&lc, &e, sizeof(lc));
    return aenq_link::Up::get(lc.flags) != 0;
}

TEST(FaultNames, EveryKindHasANameThatFindsIt) {
    for (unsigned i = 0; i < kFaultCount; ++i) {
        const auto f = static_cast<Fault>(i);
        EXPECT_EQ(fault_by_name(fault_name(f)), f) << fault_name(f);
    }
    EXPECT_EQ(fault_by_name("keepalive_stop"), Fault::kKeepAliveStop);
    EXPECT_EQ(fault_by_name("missing_tx_cmpl"), Fault::kMissingTxCompletion);
    EXPECT_EQ(fault_by_name("no_such_fault"), std::nullopt);
    // States last until the next reset unless counted; events happen once.
    EXPECT_EQ(default_fault_count(Fault::kKeepAliveStop), kFaultUntilReset);
    EXPECT_EQ(default_fault_count(Fault::kTxQueueStall), kFaultUntilReset);
    EXPECT_EQ(default_fault_count(Fault::kLinkFlap), 1u);
    EXPECT_EQ(default_fault_count(Fault::kMissingTxCompletion), 1u);
    EXPECT_EQ(default_fault_param(Fault::kLinkFlap), 100u);
}

class Faults : public ::testing::Test {
protected:
    void SetUp() override { bring_up(); }
    // Bring-up with every event group the device offers, as a driver does after each reset.
    void bring_up() {
        drv.bring_up();
        ASSERT_EQ(drv.set_aenq_groups(all_groups).status, AdminStatus::kSuccess);
        drv.poll_aenq();  // the initial link state
    }
    // The device's next pass (as the engine thread or any register write would run it).
    void pass() { drv.device().process(); }
    bool fatal() { return (drv.read_direct(reg::kDevSts) & dev_sts::FatalError::kMask) != 0; }

    static constexpr std::uint32_t all_groups =
        aenq_group_bit(AenqGroup::kLinkChange) | aenq_group_bit(AenqGroup::kFatalError) |
        aenq_group_bit(AenqGroup::kKeepAlive) | aenq_group_bit(AenqGroup::kDeviceRequestReset);
    TestDriver drv;
};

// --- Until the next reset -----------------------------------------------------------------------

TEST_F(Faults, KeepAliveStopArmedUntilResetEndsWithTheResetCountedFaultsCarryOn) {
    drv.device().inject_fault(Fault::kKeepAliveStop, kFaultUntilReset);
    drv.device().inject_fault(Fault::kMissingTxCompletion, 3);
    drv.device().inject_fault(Fault::kBadTxReqId, kFaultForever);
    drv.device().advance_time(5000 * kMs);
    EXPECT_TRUE(drv.poll_aenq().empty()) << "no keep-alive while the fault lasts";
    EXPECT_EQ(drv.device().pending_fault(Fault::kKeepAliveStop), kFaultUntilReset);
    ASSERT_NO_FATAL_FAILURE(bring_up());  // resets the device
    EXPECT_EQ(drv.device().pending_fault(Fault::kKeepAliveStop), 0u);
    EXPECT_EQ(drv.device().pending_fault(Fault::kMissingTxCompletion), 3u);
    EXPECT_EQ(drv.device().pending_fault(Fault::kBadTxReqId), kFaultForever);
    drv.device().advance_time(1000 * kMs);
    EXPECT_EQ(of_group(drv.poll_aenq(), AenqGroup::kKeepAlive).size(), 1u) << "keep-alives again after the reset";
}

// --- Stale Rx request id ------------------------------------------------------------------------

TEST_F(Faults, RxStaleReqIdNamesABufferCompletedBeforeInsteadOfThePostedOne) {
    RxRing rx = drv.create_rx(256, 2048);
    drv.post_rx(rx, 255);
    for (int i = 0; i < 4; ++i)
        drv.device().receive_frame(build_frame({}));
    ASSERT_EQ(drv.poll_rx(rx).size(), 4u);  // request ids 0..3, not posted again
    drv.device().inject_fault(Fault::kRxStaleReqId, 1);
    drv.device().receive_frame(build_frame({}));
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].completions.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 3) << "the newest id completed before, not posted buffer 4";
    EXPECT_EQ(drv.device().sq_state(rx.sq).head, 5) << "the device took buffer 4 all the same";
    EXPECT_EQ(drv.device().pending_fault(Fault::kRxStaleReqId), 0u);
    drv.device().receive_frame(build_frame({}));
    got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 5) << "one occurrence only";
}

TEST_F(Faults, RxStaleReqIdWaitsForAnIdThatWasCompletedAndIsNotPostedAgain) {
    RxRing rx = drv.create_rx(16, 2048);
    drv.device().inject_fault(Fault::kRxStaleReqId, 1);
    drv.post_rx(rx, 4);
    drv.device().receive_frame(build_frame({}));
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 0) << "nothing completed before: nothing stale to name";
    EXPECT_EQ(drv.device().pending_fault(Fault::kRxStaleReqId), 1u);
    drv.device().receive_frame(build_frame({}));
    got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 0) << "id 0 is stale now";

    for (int i = 0; i < 2; ++i)
        drv.device().receive_frame(build_frame({}));
    ASSERT_EQ(drv.poll_rx(rx).size(), 2u);  // ids 2 and 3: the ring has consumed slots 0..3
    drv.post_rx(rx, 16);  // ids 4..15 and 0..3: every id completed so far is posted again
    drv.device().inject_fault(Fault::kRxStaleReqId, 1);
    drv.device().receive_frame(build_frame({}));
    got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 4);
    EXPECT_EQ(drv.device().pending_fault(Fault::kRxStaleReqId), 1u);
    drv.device().receive_frame(build_frame({}));  // now 4 is completed and not posted
    got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].completions[0].req_id, 4);
    EXPECT_EQ(drv.device().pending_fault(Fault::kRxStaleReqId), 0u);
}

// --- Fatal error ------------------------------------------------------------------------------

TEST_F(Faults, FatalErrorHitsAStartedDeviceOncePerResetWithItsEvent) {
    drv.device().inject_fault(Fault::kFatalError, 2);
    drv.device().advance_time(100 * kMs);
    EXPECT_FALSE(fatal()) << "no IO queue yet: the driver has not started the device";
    TxRing tx = drv.create_tx(64);
    pass();
    EXPECT_TRUE(fatal());
    EXPECT_NE(drv.read_direct(reg::kDevSts) & dev_sts::Ready::kMask, 0u) << "READY stays: the driver can reset";
    auto events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].common.group, static_cast<std::uint16_t>(AenqGroup::kFatalError));
    EXPECT_EQ(drv.device().pending_fault(Fault::kFatalError), 1u);
    // A failed device does nothing more: a packet is neither sent nor completed.
    TxPacket p;
    p.frame = build_frame({});
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_tx(tx).empty());

    ASSERT_NO_FATAL_FAILURE(bring_up());
    EXPECT_FALSE(fatal());
    drv.device().advance_time(100 * kMs);
    EXPECT_FALSE(fatal()) << "the second occurrence waits for the driver to start the device again";
    tx = drv.create_tx(64);
    pass();
    EXPECT_TRUE(fatal());
    EXPECT_EQ(drv.device().pending_fault(Fault::kFatalError), 0u);
    ASSERT_NO_FATAL_FAILURE(bring_up());
    tx = drv.create_tx(64);
    pass();
    EXPECT_FALSE(fatal());
    drv.send(tx, p);
    EXPECT_EQ(drv.poll_tx(tx).size(), 1u);
}

// --- Device reset request ----------------------------------------------------------------------

TEST_F(Faults, DeviceResetRequestIsOneEventPerResetOnceStartedAndTheGroupEnabled) {
    drv.device().inject_fault(Fault::kDeviceResetRequest, 2);
    pass();
    EXPECT_TRUE(drv.poll_aenq().empty()) << "not started yet";
    ASSERT_EQ(drv.set_aenq_groups(all_groups & ~aenq_group_bit(AenqGroup::kDeviceRequestReset)).status,
              AdminStatus::kSuccess);
    drv.create_tx(64);
    drv.device().advance_time(100 * kMs);
    EXPECT_TRUE(of_group(drv.poll_aenq(), AenqGroup::kDeviceRequestReset).empty()) << "the group is off";
    EXPECT_EQ(drv.device().pending_fault(Fault::kDeviceResetRequest), 2u);
    ASSERT_EQ(drv.set_aenq_groups(all_groups).status, AdminStatus::kSuccess);
    pass();
    auto events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].common.group, static_cast<std::uint16_t>(AenqGroup::kDeviceRequestReset));
    drv.device().advance_time(500 * kMs);
    EXPECT_TRUE(of_group(drv.poll_aenq(), AenqGroup::kDeviceRequestReset).empty()) << "asked once: it waits";
    EXPECT_EQ(drv.device().pending_fault(Fault::kDeviceResetRequest), 1u);

    ASSERT_NO_FATAL_FAILURE(bring_up());
    drv.create_tx(64);
    pass();
    EXPECT_EQ(of_group(drv.poll_aenq(), AenqGroup::kDeviceRequestReset).size(), 1u);
    EXPECT_EQ(drv.device().pending_fault(Fault::kDeviceResetRequest), 0u);
    EXPECT_EQ(drv.device().stats().resets, 2u);  // what it asked for is up to the driver
}

// --- Link flap ---------------------------------------------------------------------------------

TEST_F(Faults, LinkFlapGoesDownAndComesBackAfterItsTimeThenFlapsAgainAsLongLater) {
    drv.create_tx(64);
    drv.device().inject_fault(Fault::kLinkFlap, 2, 250);
    EXPECT_EQ(drv.device().fault_param(Fault::kLinkFlap), 250u);
    const std::uint64_t start = drv.device().now_ns();
    pass();
    EXPECT_FALSE(drv.device().link_up());
    drv.device().advance_time(249 * kMs);
    EXPECT_FALSE(drv.device().link_up());
    drv.device().advance_time(1 * kMs);
    EXPECT_TRUE(drv.device().link_up());
    drv.device().advance_time(2000 * kMs);  // the second flap, 250 ms after the first ended
    const auto events = of_group(drv.poll_aenq(), AenqGroup::kLinkChange);
    ASSERT_EQ(events.size(), 4u);
    const bool expected_up[] = {false, true, false, true};
    const std::uint64_t expected_at[] = {0, 250, 500, 750};
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(link_flag(events[i]), expected_up[i]) << i;
        EXPECT_EQ(timestamp(events[i]), start + expected_at[i] * kMs) << i;
    }
    EXPECT_TRUE(drv.device().link_up());
    EXPECT_EQ(drv.device().pending_fault(Fault::kLinkFlap), 0u);
}

TEST_F(Faults, LinkFlapDefaultsTo100MsAndWaitsForALinkThatIsUp) {
    drv.create_tx(64);
    drv.device().set_link(false);
    drv.device().inject_fault(Fault::kLinkFlap, 1);
    drv.device().advance_time(1000 * kMs);
    EXPECT_FALSE(drv.device().link_up());
    EXPECT_EQ(drv.device().pending_fault(Fault::kLinkFlap), 1u) << "a link that is down cannot flap";
    drv.device().set_link(true);
    drv.poll_aenq();
    pass();
    EXPECT_FALSE(drv.device().link_up());
    drv.device().advance_time(99 * kMs);
    EXPECT_FALSE(drv.device().link_up());
    drv.device().advance_time(1 * kMs);
    EXPECT_TRUE(drv.device().link_up());
    EXPECT_EQ(of_group(drv.poll_aenq(), AenqGroup::kLinkChange).size(), 2u);
}

// --- Tx queue stall ----------------------------------------------------------------------------

class TxStall : public Faults {
protected:
    void SetUp() override {
        Faults::SetUp();
        drv.device().attach_wire(make_wire("loopback"));
        rx = drv.create_rx(1024, 2048);
        drv.post_rx(rx, 1023);
        tx0 = drv.create_tx(64);
        tx1 = drv.create_tx(64);
        packet.frame = build_frame({});
    }
    RxRing rx;
    TxRing tx0, tx1;
    TxPacket packet;
};

TEST_F(TxStall, TheQueueIgnoresItsDoorbellsUntilTheNextReset) {
    drv.device().inject_fault(Fault::kTxQueueStall, kFaultUntilReset, 1);
    for (std::uint16_t i = 0; i < 5; ++i) {
        packet.req_id = i;
        drv.send(tx1, packet);
    }
    drv.device().advance_time(10'000 * kMs);
    EXPECT_TRUE(drv.poll_tx(tx1).empty()) << "nothing completed";
    EXPECT_TRUE(drv.poll_rx(rx).empty()) << "nothing sent";
    EXPECT_EQ(drv.device().sq_state(tx1.sq).head, 0);
    drv.send(tx0, packet);  // the other queue works
    EXPECT_EQ(drv.poll_tx(tx0).size(), 1u);
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
    EXPECT_EQ(drv.device().pending_fault(Fault::kTxQueueStall), kFaultUntilReset);

    ASSERT_NO_FATAL_FAILURE(bring_up());
    EXPECT_EQ(drv.device().pending_fault(Fault::kTxQueueStall), 0u);
    drv.device().attach_wire(make_wire("loopback"));
    rx = drv.create_rx(1024, 2048);
    drv.post_rx(rx, 1023);
    tx0 = drv.create_tx(64);
    tx1 = drv.create_tx(64);
    drv.send(tx1, packet);
    EXPECT_EQ(drv.poll_tx(tx1).size(), 1u);
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
}

TEST_F(TxStall, ACountedStallIgnoresThatManyDoorbellsThenServesEverythingAtTheNext) {
    drv.device().inject_fault(Fault::kTxQueueStall, 2);  // queue 0 by default
    EXPECT_EQ(drv.device().fault_param(Fault::kTxQueueStall), 0u);
    for (std::uint16_t i = 0; i < 2; ++i) {
        packet.req_id = i;
        drv.send(tx0, packet);
        drv.device().advance_time(100 * kMs);
        EXPECT_TRUE(drv.poll_tx(tx0).empty()) << i;
    }
    EXPECT_EQ(drv.device().pending_fault(Fault::kTxQueueStall), 0u);
    EXPECT_TRUE(drv.poll_tx(tx0).empty()) << "still: no new doorbell";
    packet.req_id = 2;
    drv.send(tx0, packet);
    const auto completions = drv.poll_tx(tx0);
    ASSERT_EQ(completions.size(), 3u);
    for (std::uint16_t i = 0; i < 3; ++i)
        EXPECT_EQ(completions[i].req_id, i);
    EXPECT_EQ(drv.poll_rx(rx).size(), 3u);
}

// --- Scheduled faults ---------------------------------------------------------------------------

TEST_F(Faults, ScheduledDelaysCountFromTheFirstCreateSqOnTheVirtualClock) {
    drv.device().schedule_fault(Fault::kMissingTxCompletion, 2000, 3);
    drv.device().advance_time(5000 * kMs);
    EXPECT_EQ(drv.device().first_start_ns(), std::nullopt);
    EXPECT_EQ(drv.device().pending_fault(Fault::kMissingTxCompletion), 0u) << "not started: the clock has not begun";
    EXPECT_EQ(drv.device().scheduled_faults(), 1u);
    const std::uint64_t start = drv.device().now_ns();
    drv.create_tx(64);
    EXPECT_EQ(drv.device().first_start_ns(), start);
    drv.device().advance_time(1999 * kMs);
    EXPECT_EQ(drv.device().pending_fault(Fault::kMissingTxCompletion), 0u);
    drv.device().advance_time(1 * kMs);
    EXPECT_EQ(drv.device().pending_fault(Fault::kMissingTxCompletion), 3u);
    EXPECT_EQ(drv.device().scheduled_faults(), 0u);
    // The reference point stays the first start: a reset and a new start do not move it.
    ASSERT_NO_FATAL_FAILURE(bring_up());
    drv.create_tx(64);
    EXPECT_EQ(drv.device().first_start_ns(), start);
    drv.device().schedule_fault(Fault::kBadTxReqId, 1000);  // long past: armed at the next pass
    pass();
    EXPECT_EQ(drv.device().pending_fault(Fault::kBadTxReqId), 1u);
}

TEST_F(Faults, ScheduledFaultsTakeEffectAtTheirExactTimeInsideOneLongAdvance) {
    // Keep-alives at 1, 2, 3 ... s; the stop at 1.5 s lets the first one out and no other, even
    // when the clock jumps 5 s at once. Then a flap scheduled at 2 s with 300 ms down.
    drv.device().schedule_fault(Fault::kKeepAliveStop, 1500, kFaultUntilReset);
    drv.device().schedule_fault(Fault::kLinkFlap, 2000, 1, 300);
    const std::uint64_t start = drv.device().now_ns();
    drv.create_tx(64);
    ASSERT_EQ(drv.set_aenq_groups(all_groups).status, AdminStatus::kSuccess);  // keep-alive timer from now
    drv.device().advance_time(5000 * kMs);
    const auto events = drv.poll_aenq();
    const auto keep_alives = of_group(events, AenqGroup::kKeepAlive);
    ASSERT_EQ(keep_alives.size(), 1u);
    EXPECT_EQ(timestamp(keep_alives[0]), start + 1000 * kMs);
    const auto links = of_group(events, AenqGroup::kLinkChange);
    ASSERT_EQ(links.size(), 2u);
    EXPECT_FALSE(link_flag(links[0]));
    EXPECT_EQ(timestamp(links[0]), start + 2000 * kMs);
    EXPECT_TRUE(link_flag(links[1]));
    EXPECT_EQ(timestamp(links[1]), start + 2300 * kMs);
}

TEST(ScheduledFaults, TheEngineThreadArmsThemInRealTime) {
    Engine engine;
    std::thread loop([&] { engine.run(); });
    TestDriver drv({}, EngineMode::kThreaded);
    engine.add(drv.device());
    drv.bring_up();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kLinkChange)).status, AdminStatus::kSuccess);
    drv.device().schedule_fault(Fault::kLinkFlap, 50, 1, 100);
    drv.create_tx(64);
    const auto started = std::chrono::steady_clock::now();
    bool went_down = false;
    while (std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
        went_down |= !drv.device().link_up();
        if (went_down && drv.device().link_up())
            break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto took = std::chrono::steady_clock::now() - started;
    engine.stop();
    loop.join();
    engine.remove(drv.device());
    EXPECT_TRUE(went_down);
    EXPECT_TRUE(drv.device().link_up());
    EXPECT_GE(took, std::chrono::milliseconds(140)) << "down at 50 ms, up 100 ms later";
    EXPECT_EQ(drv.device().scheduled_faults(), 0u);
}

}  // namespace
}  // namespace ena::sim::test
