// MTU, link state and LSC events, statistics, and an admin command that never completes.
#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "sim_port.hpp"

namespace ena::test {
namespace {

std::string with_sync(const std::string& args) { return std::string(kSyncArgs) + "," + args; }

TEST(Mtu, DeviceSeesTheMtuAndBadValuesAreRefused) {
    auto port = SimPort::create(with_sync("mtu=9001"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure(1, 1), 0);
    ASSERT_EQ(rte_eth_dev_set_mtu(port->id, 9000), 0);
    EXPECT_EQ(port->device->mtu(), 9000u);
    ASSERT_EQ(rte_eth_dev_set_mtu(port->id, 1500), 0);
    EXPECT_EQ(port->device->mtu(), 1500u);

    EXPECT_EQ(rte_eth_dev_set_mtu(port->id, 127), -EINVAL);
    EXPECT_EQ(rte_eth_dev_set_mtu(port->id, 9002), -EINVAL);
    {
        // The driver's own check, for callers that reach the op without ethdev's validation.
        LogCapture log;
        EXPECT_EQ(port->driver()->mtu_set(9500), -EINVAL);
        EXPECT_NE(log.text().find("MTU 9500 out of range (accepted: 128-9001)"), std::string::npos) << log.text();
    }
    EXPECT_EQ(port->device->mtu(), 1500u);

    // Still usable.
    ASSERT_EQ(port->setup_queues(1, 1), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    ASSERT_EQ(rte_eth_dev_set_mtu(port->id, 4000), 0);
    EXPECT_EQ(port->device->mtu(), 4000u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Mtu, ConfiguredMtuReachesTheDeviceAtStart) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    rte_eth_conf conf{};
    conf.rxmode.mtu = 2000;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);
    EXPECT_EQ(port->device->mtu(), 2000u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

int count_event(std::uint16_t, rte_eth_event_type, void* counter, void*) {
    static_cast<std::atomic<int>*>(counter)->fetch_add(1);
    return 0;
}

TEST(Link, DeviceLinkChangeShowsInLinkStateAndRaisesLscOnce) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    std::atomic<int> events{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events), 0);
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);

    rte_eth_link link{};
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
    EXPECT_EQ(link.link_duplex, RTE_ETH_LINK_FULL_DUPLEX);
    EXPECT_EQ(events.load(), 0);

    // With LSC on, ethdev reads the link the driver last published; the control-path tick (the
    // alarm's work, run here by hand since the synchronous tests have no alarm) publishes it.
    port->device->set_link(false);
    port->driver()->poll_control_path();
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
    EXPECT_EQ(events.load(), 1);
    // Polling again changes nothing and raises nothing.
    port->driver()->poll_control_path();
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(events.load(), 1);

    port->device->set_link(true);
    port->driver()->poll_control_path();
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
    EXPECT_EQ(events.load(), 2);

    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events);
}

TEST(Link, LinkDownAtProbeIsReported) {
    auto port = SimPort::create(with_sync("link=down"));
    ASSERT_NE(port, nullptr);
    rte_eth_link link{};
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
}

// Without LSC, reading the link processes pending device events first, so the answer is current.
TEST(Link, NoLscCallbackWithoutIntrConfLsc) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    std::atomic<int> events{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events), 0);
    ASSERT_EQ(port->configure_and_start(), 0);
    port->device->set_link(false);
    rte_eth_link link{};
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
    EXPECT_EQ(events.load(), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events);
}

TEST(Link, ControlPathAlarmDeliversLscWithoutBeingAsked) {
    // Threaded engine and the default poll interval (1 s): nobody polls by hand here.
    auto port = SimPort::create("engine=threaded");
    ASSERT_NE(port, nullptr);
    std::atomic<int> events{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events), 0);
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);
    port->device->set_link(false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (events.load() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(events.load(), 1);
    rte_eth_link link{};
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &events);
}

TEST(Stats, MissedPacketsComeFromKeepAliveAndResetToZero) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(), 0);
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.imissed, 0u);
    EXPECT_EQ(stats.ipackets, 0u);

    // The application does not receive: once the 511 posted buffers are full, the device drops
    // what arrives and reports it in keep-alives.
    std::vector<std::uint8_t> frame(64, 0);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port->id, &mac);
    std::memcpy(frame.data(), mac.addr_bytes, 6);
    frame[12] = 0x08;
    for (int i = 0; i < 511 + 3; ++i)
        port->device->receive_frame(frame);
    port->device->advance_time(1'100'000'000);
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.imissed, 3u);

    ASSERT_EQ(rte_eth_stats_reset(port->id), 0);
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.imissed, 0u);
    port->device->receive_frame(frame);
    port->device->advance_time(1'000'000'000);
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.imissed, 1u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(AdminQueue, CommandWithoutCompletionIsAnErrorNotAHang) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure(1, 1), 0);
    port->device->inject_fault(sim::Fault::kAdminNoCompletion, 1);
    const auto started = std::chrono::steady_clock::now();
    {
        LogCapture log;
        EXPECT_EQ(rte_eth_dev_set_mtu(port->id, 2000), -ETIME);
        // The device's CAPS admin timeout, in 100 ms units (1.5 s by default: not a whole second).
        const std::string timeout = std::to_string(port->device->config().admin_timeout_100ms * 100) + " ms";
        EXPECT_NE(log.text().find("got no completion within " + timeout), std::string::npos) << log.text();
    }
    // Virtual time: the timeout passes without waiting for it.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
    // The admin queue stays down until the device is reset: later commands fail at once; the
    // statistics still answer from the driver's counters.
    EXPECT_EQ(rte_eth_dev_set_mtu(port->id, 2100), -ENODEV);
    EXPECT_FALSE(port->driver()->device().admin().running());
    rte_eth_stats stats{};
    EXPECT_EQ(rte_eth_stats_get(port->id, &stats), 0);

    ASSERT_EQ(rte_eth_dev_reset(port->id), 0);
    ASSERT_EQ(port->configure_and_start(), 0);
    EXPECT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    ASSERT_EQ(rte_eth_dev_set_mtu(port->id, 2000), 0);
    EXPECT_EQ(port->device->mtu(), 2000u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(AdminQueue, ProbeFailsCleanlyWhenTheDeviceStopsAnswering) {
    // A device whose first admin command never completes: the probe fails, nothing leaks.
    SimPort::create(kSyncArgs);
    const unsigned zones_before = memzone_count();
    // Injected through a port that is about to be reset: the fault survives device resets.
    auto victim = SimPort::create(kSyncArgs);
    ASSERT_NE(victim, nullptr);
    victim->device->inject_fault(sim::Fault::kAdminNoCompletion, 1);
    LogCapture log;
    EXPECT_NE(rte_eth_dev_reset(victim->id), 0);
    EXPECT_NE(log.text().find("got no completion"), std::string::npos) << log.text();
    EXPECT_NE(victim->configure_and_start(), 0);  // no device behind the port until it is reset again
    // A second reset, with the device answering again, recovers the port.
    ASSERT_EQ(rte_eth_dev_reset(victim->id), 0);
    ASSERT_EQ(victim->configure_and_start(), 0);
    ASSERT_EQ(rte_eth_dev_stop(victim->id), 0);
    victim.reset();
    EXPECT_EQ(memzone_count(), zones_before);
}

}  // namespace
}  // namespace ena::test
