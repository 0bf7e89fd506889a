// The device held to the ENA interface, not to our driver: bring-up in the orders the public
// drivers use (read from their sources for facts). Each must come up and learn the link state.
//
//   Linux (amzn-drivers ena_netdev.c) and FreeBSD (ena.c), the same order: readless address,
//   reset, versions, DMA width, admin queue and AENQ rings (no head doorbell yet), polling mode
//   (INTR_MASK), host info, GET features, SET AENQ_CONFIG -- the device announces the link now,
//   into a queue whose head doorbell was never written --, SET LLQ; later the management
//   interrupt is set up, INTR_MASK cleared and the AENQ head doorbell written.
//   DPDK 22.11 (drivers/net/ena): the same up to GET features, then SET LLQ, RSS set-up,
//   INTR_MASK cleared, the AENQ head doorbell written; AENQ_CONFIG only at dev_configure.
// Neither tells the device about a register write: in threaded mode the device must find every
// write by polling its BARs.
#include <array>
#include <atomic>
#include <thread>

#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

constexpr std::uint32_t kLinuxGroups =
    aenq_group_bit(AenqGroup::kLinkChange) | aenq_group_bit(AenqGroup::kFatalError) |
    aenq_group_bit(AenqGroup::kWarning) | aenq_group_bit(AenqGroup::kNotification) |
    aenq_group_bit(AenqGroup::kKeepAlive) | aenq_group_bit(AenqGroup::kConfNotifications);
constexpr std::uint32_t kDpdk2211Groups = aenq_group_bit(AenqGroup::kLinkChange) |
                                          aenq_group_bit(AenqGroup::kNotification) |
                                          aenq_group_bit(AenqGroup::kKeepAlive) |
                                          aenq_group_bit(AenqGroup::kFatalError) | aenq_group_bit(AenqGroup::kWarning);

// The shared first half: readless address, reset (address written again right after DEV_RESET),
// versions, CAPS, admin queue and AENQ rings without the head doorbell, polling mode, host info,
// and the feature queries both drivers make.
void common_first_half(TestDriver& d) {
    d.setup_readless();
    ASSERT_TRUE(d.reset());  // DEV_CTL, readless address again, wait, release, wait
    ASSERT_TRUE(d.readless(reg::kVersion).has_value());
    ASSERT_TRUE(d.readless(reg::kControllerVersion).has_value());
    const auto caps = d.readless(reg::kCaps);
    ASSERT_TRUE(caps.has_value());
    EXPECT_EQ(caps::DmaAddrWidth::get(*caps), 48u);
    ASSERT_EQ(d.readless(reg::kDevSts).value_or(0) & dev_sts::Ready::kMask, dev_sts::Ready::kMask);
    d.init_admin_rings(kAdminQueueDepth, kAenqDepth, /*write_aenq_head=*/false);
    d.write(reg::kIntrMask, 1);  // admin in polling mode
    const std::uint64_t info = d.memory().alloc(kHostInfoPageSize, 4096);
    SetFeatureCommand host{};
    host.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kHostAttrConfig);
    host.host_attributes.os_info_address.set(info);
    ASSERT_EQ(d.set_feature(host).status, AdminStatus::kSuccess);
    for (const FeatureId id : {FeatureId::kDeviceAttributes, FeatureId::kMaxQueuesExt, FeatureId::kAenqConfig,
                               FeatureId::kStatelessOffloadConfig, FeatureId::kHwHints, FeatureId::kLlq})
        ASSERT_EQ(d.get_feature(id, 0, 0, id == FeatureId::kMaxQueuesExt ? kMaxQueuesExtVersion : 0).status,
                  AdminStatus::kSuccess)
            << "feature " << static_cast<int>(id);
}

bool link_up_announced(const std::vector<AenqEntry>& events) {
    for (const AenqEntry& e : events) {
        if (e.common.group != static_cast<std::uint16_t>(AenqGroup::kLinkChange))
            continue;
        AenqLinkChange link;
        std::memcpy(&link, &e, sizeof(link));
        return aenq_link::Up::get(link.flags) != 0;
    }
    return false;
}

void linux_order(TestDriver& d) {
    ASSERT_NO_FATAL_FAILURE(common_first_half(d));
    ASSERT_EQ(d.set_aenq_groups(kLinuxGroups).status, AdminStatus::kSuccess);
    ASSERT_EQ(d.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    // Management interrupt set up: interrupts on, then the head doorbell (every entry free).
    d.write(reg::kIntrMask, 0);
    d.write(reg::kAenqHeadDoorbell, kAenqDepth);
}

void dpdk_2211_order(TestDriver& d) {
    ASSERT_NO_FATAL_FAILURE(common_first_half(d));
    ASSERT_EQ(d.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
    ASSERT_EQ(d.get_feature(FeatureId::kRssIndirectionTableConfig).status, AdminStatus::kSuccess);
    d.write(reg::kIntrMask, 0);
    d.write(reg::kAenqHeadDoorbell, kAenqDepth);
    // dev_configure.
    ASSERT_EQ(d.set_aenq_groups(kDpdk2211Groups).status, AdminStatus::kSuccess);
}

// Polls the AENQ a while (threaded engines answer in their own time).
std::vector<AenqEntry> collect_events(TestDriver& d) {
    std::vector<AenqEntry> all;
    for (int i = 0; i < 2000 && !link_up_announced(all); ++i) {
        auto some = d.poll_aenq();
        all.insert(all.end(), some.begin(), some.end());
        if (d.device().mode() != EngineMode::kThreaded)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return all;
}

TEST(DriverOrders, LinuxAndFreeBsdEnableLinkEventsBeforeTheHeadDoorbellAndSeeLinkUp) {
    TestDriver d;
    ASSERT_NO_FATAL_FAILURE(linux_order(d));
    EXPECT_TRUE(link_up_announced(collect_events(d)));
    EXPECT_EQ(d.device().stats().aenq_events_dropped, 0u);
    EXPECT_EQ(d.device().enabled_aenq_groups(), kLinuxGroups);
}

TEST(DriverOrders, Dpdk2211WritesTheHeadDoorbellFirstAndSeesLinkUp) {
    TestDriver d;
    ASSERT_NO_FATAL_FAILURE(dpdk_2211_order(d));
    EXPECT_TRUE(link_up_announced(collect_events(d)));
    EXPECT_EQ(d.device().stats().aenq_events_dropped, 0u);
}

// Threaded engine, writes never notified: the device polls BAR0 and must still see them in the
// order that matters (the readless address rewritten after DEV_RESET survives that reset).
class PolledDevice : public ::testing::Test {
protected:
    PolledDevice() : d({}, EngineMode::kThreaded) {
        d.set_notify_writes(false);
        engine.add(d.device());
        thread = std::thread([this] { engine.run(); });
    }
    ~PolledDevice() override {
        engine.stop();
        thread.join();
        engine.remove(d.device());
    }
    TestDriver d;
    Engine engine;
    std::thread thread;
};

TEST_F(PolledDevice, LinuxOrderComesUpWithLinkUp) {
    ASSERT_NO_FATAL_FAILURE(linux_order(d));
    EXPECT_TRUE(link_up_announced(collect_events(d)));
}

TEST_F(PolledDevice, Dpdk2211OrderComesUpWithLinkUp) {
    ASSERT_NO_FATAL_FAILURE(dpdk_2211_order(d));
    EXPECT_TRUE(link_up_announced(collect_events(d)));
}

// --- what a reset makes the device forget ----------------------------------------------------

TEST(ResetForgets, TheReadlessAddressUntilTheDriverWritesItAgain) {
    TestDriver d;
    d.setup_readless();
    ASSERT_TRUE(d.readless(reg::kVersion).has_value());
    // A driver that forgets to write the address again after DEV_RESET gets no answers, as on EC2.
    d.write(reg::kDevCtl, dev_ctl::DevReset::kMask);
    EXPECT_EQ(d.readless(reg::kDevSts), std::nullopt);
    EXPECT_EQ(d.device().stats().dma_errors, 1u);
    d.setup_readless();
    EXPECT_EQ(d.readless(reg::kDevSts), dev_sts::ResetInProgress::kMask);
    d.write(reg::kDevCtl, 0);
    EXPECT_EQ(d.readless(reg::kDevSts), dev_sts::Ready::kMask);  // kept once written during the reset
}

TEST(ResetForgets, TheAdminQueueAndEventQueueRings) {
    TestDriver d;
    d.bring_up();
    ASSERT_TRUE(d.reset());
    for (const std::uint32_t r : {reg::kAqBaseLow, reg::kAqCaps, reg::kAcqBaseLow, reg::kAcqCaps, reg::kAenqBaseLow,
                                  reg::kAenqCaps, reg::kAenqHeadDoorbell})
        EXPECT_EQ(d.read_direct(r), 0u) << "register 0x" << std::hex << r;
    // An admin command on the forgotten ring is never completed.
    d.post_admin(AdminEntry{});
    EXPECT_EQ(d.poll_admin(), std::nullopt);
}

// --- CAPS timeouts ------------------------------------------------------------------------------

TEST(CapsTimeouts, FitTheirFieldsAndAgreeWithTheHardwareHints) {
    TestDriver d;
    d.bring_up();
    const DeviceConfig& c = d.device().config();
    const std::uint32_t caps = *d.readless(reg::kCaps);
    EXPECT_EQ(caps::ResetTimeout::get(caps), c.reset_timeout_100ms);
    EXPECT_EQ(caps::AdminCmdTimeout::get(caps), c.admin_timeout_100ms);
    const AdminResult hints = d.get_feature(FeatureId::kHwHints);
    ASSERT_EQ(hints.status, AdminStatus::kSuccess);
    EXPECT_EQ(hints.as<GetFeatureResponse>().hints.admin_completion_tx_timeout,
              caps::AdminCmdTimeout::get(caps) * caps::kTimeoutUnitMs);
}

TEST(CapsTimeouts, ValuesThatDoNotFitAreRefusedWithAClearMessage) {
    DeviceConfig reset;
    reset.reset_timeout_100ms = 50;
    EXPECT_NE(validate_config(reset).find("reset_timeout_100ms 50 does not fit CAPS (1..31"), std::string::npos)
        << validate_config(reset);
    DeviceConfig admin;
    admin.admin_timeout_100ms = 30;
    EXPECT_NE(validate_config(admin).find("admin_timeout_100ms 30 does not fit CAPS (0..15"), std::string::npos)
        << validate_config(admin);
    EXPECT_THROW(Device(admin, {}, EngineMode::kSynchronous), std::invalid_argument);
    EXPECT_EQ(validate_config(DeviceConfig{}), "");
}

// --- interrupts -----------------------------------------------------------------------------

// Admin completions raise vector 0 from the engine thread while the test replaces the handler
// over and over: once set_interrupt_handler returns, the old handler never runs again.
TEST_F(PolledDevice, ReplacingTheInterruptHandlerWhileInterruptsFireIsSafe) {
    ASSERT_NO_FATAL_FAILURE(linux_order(d));
    std::atomic<bool> stop{false};
    std::thread commands([&] {
        while (!stop.load())
            d.get_feature(FeatureId::kDeviceAttributes);
    });
    std::array<std::atomic<std::uint64_t>, 2> calls{};
    std::uint64_t late_calls = 0;
    for (int round = 0; round < 200; ++round) {
        const unsigned mine = round % 2;
        d.device().set_interrupt_handler([&calls, mine](std::uint32_t) { calls[mine].fetch_add(1); });
        // The other handler was replaced: its count must not move from now on.
        const std::uint64_t other_before = calls[mine ^ 1].load();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        late_calls += calls[mine ^ 1].load() - other_before;
    }
    d.device().set_interrupt_handler(nullptr);
    stop = true;
    commands.join();
    EXPECT_EQ(late_calls, 0u);
    EXPECT_GT(calls[0].load() + calls[1].load(), 0u) << "no admin interrupt was raised";
}

}  // namespace
}  // namespace ena::sim::test
