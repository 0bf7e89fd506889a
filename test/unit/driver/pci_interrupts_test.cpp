// MSI-X on the PCI path (fake_pci.hpp: a function bound to vfio-pci, whose vector table the
// test binary programs as VFIO would), where the device answers on its own thread as hardware
// does: admin commands sleep until the management interrupt and read their completion after
// it, control_path_poll_interval polls instead, a missing interrupt turns the port to polling,
// Rx queue interrupts use the eventfds EAL makes, and kernel drivers without MSI-X poll.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "fake_pci.hpp"
#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int start(std::uint16_t port, std::uint16_t queues, const rte_eth_conf& conf = {}) {
    int rc = rte_eth_dev_configure(port, queues, queues, &conf);
    for (std::uint16_t q = 0; rc == 0 && q < queues; ++q)
        rc = rte_eth_rx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr, test_pool());
    for (std::uint16_t q = 0; rc == 0 && q < queues; ++q)
        rc = rte_eth_tx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr);
    return rc == 0 ? rte_eth_dev_start(port) : rc;
}

// No alarm: nothing but the interrupt (or the commands' own polling) moves the control path.
// Interrupt mode asked for where a test is about it (so also in the suite's poll mode).
constexpr const char* kInterrupts = ",control_path_poll_interval=0";
FakePciOptions quiet(const std::string& more = "") {
    FakePciOptions o;
    o.devargs = "watchdog_interval=0,stats_interval=0" + more;
    return o;
}

// Acceptance: admin commands complete through the management interrupt in the default
// configuration -- each sleeps until it comes, none polls -- and by polling with
// control_path_poll_interval set.
TEST(PciInterrupts, TheDefaultIsTheManagementInterrupt) {
    if (control_path_polled_by_test_setup())
        GTEST_SKIP() << "the suite runs with every port polled (--setup=poll)";
    FakePciFunction function({});
    ASSERT_EQ(function.probe(), 0);
    EXPECT_TRUE(ng::find_port(function.port_id())->interrupt_driven());
}

TEST(PciInterrupts, AdminCommandsCompleteThroughTheManagementInterrupt) {
    FakePciFunction function(quiet(kInterrupts));
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    ng::Port& driver = *ng::find_port(port);
    ASSERT_TRUE(driver.interrupt_driven());
    ASSERT_EQ(start(port, 2), 0);
    const ng::AdminQueueStats before = driver.device().admin().stats();
    const std::uint64_t raised = function.delivered(0);
    constexpr unsigned kReads = 50;
    for (unsigned i = 0; i < kReads; ++i) {
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);  // basic stats, customer metrics, SRD: admin commands
    }
    const ng::AdminQueueStats after = driver.device().admin().stats();
    const std::uint64_t commands = after.completed - before.completed;
    const std::uint64_t by_interrupt = after.by_interrupt - before.by_interrupt;
    std::printf("interrupt mode: %lu admin commands, %lu completions read after their interrupt, %lu poll sleeps, "
                "%lu vector-0 interrupts\n",
                static_cast<unsigned long>(commands), static_cast<unsigned long>(by_interrupt),
                static_cast<unsigned long>(after.poll_sleeps - before.poll_sleeps),
                static_cast<unsigned long>(function.delivered(0) - raised));
    EXPECT_GE(commands, kReads);
    EXPECT_EQ(after.poll_sleeps, before.poll_sleeps) << "an admin command polled the completion queue";
    // The device answers on its own thread: a command almost never finds its completion at
    // the doorbell; every other one was read after the interrupt woke it.
    EXPECT_GE(by_interrupt, commands * 9 / 10);
    EXPECT_EQ(after.missed_interrupts, 0u);
    EXPECT_GE(function.delivered(0) - raised, by_interrupt);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
}

TEST(PciInterrupts, PollIntervalMakesCommandsPoll) {
    FakePciFunction function(quiet(",control_path_poll_interval=500"));
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    ng::Port& driver = *ng::find_port(port);
    EXPECT_FALSE(driver.interrupt_driven());
    ASSERT_EQ(start(port, 1), 0);
    const ng::AdminQueueStats before = driver.device().admin().stats();
    for (unsigned i = 0; i < 20; ++i) {
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);
    }
    const ng::AdminQueueStats after = driver.device().admin().stats();
    std::printf("control_path_poll_interval=500: %lu admin commands, %lu poll sleeps, %lu read after an interrupt\n",
                static_cast<unsigned long>(after.completed - before.completed),
                static_cast<unsigned long>(after.poll_sleeps - before.poll_sleeps),
                static_cast<unsigned long>(after.by_interrupt - before.by_interrupt));
    EXPECT_GT(after.poll_sleeps, before.poll_sleeps);
    EXPECT_EQ(after.by_interrupt, before.by_interrupt);
    EXPECT_EQ(driver.counters().management_interrupts.get(), 0u);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
}

TEST(PciInterrupts, CommandsOnTheAlarmWaitOnTheVectorToo) {
    // The statistics snapshot every 50 ms: admin commands from EAL's interrupt thread, which
    // cannot be woken by a callback it would run itself.
    FakePciOptions options;
    options.devargs = std::string("watchdog_interval=0,stats_interval=50") + kInterrupts;
    FakePciFunction function(options);
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    ng::Port& driver = *ng::find_port(port);
    ASSERT_EQ(start(port, 1), 0);
    const ng::AdminQueueStats before = driver.device().admin().stats();
    std::this_thread::sleep_for(600ms);
    const ng::AdminQueueStats after = driver.device().admin().stats();
    EXPECT_GE(after.completed - before.completed, 10u) << "the snapshot was not refreshed";
    EXPECT_EQ(after.poll_sleeps, before.poll_sleeps);
    EXPECT_GT(after.by_interrupt, before.by_interrupt);
    EXPECT_EQ(after.missed_interrupts, 0u);
    // What those waits took from the vector went back to it: the port's callback ran too.
    EXPECT_GT(driver.counters().management_interrupts.get(), 0u);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
}

TEST(PciInterrupts, AMissingManagementInterruptTurnsThePortToPollingByItself) {
    FakePciFunction function(quiet(kInterrupts));
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    ng::Port& driver = *ng::find_port(port);
    ASSERT_TRUE(driver.interrupt_driven());
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(start(port, 1, conf), 0);
    function.drop_vector(0, true);

    LogCapture log;
    const Clock::time_point started = Clock::now();
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port, &stats), 0) << "the command completes all the same";
    const auto took = Clock::now() - started;
    std::printf("missed management interrupt: the first command took %.0f ms, then the port polls\n",
                std::chrono::duration<double, std::milli>(took).count());
    EXPECT_LT(took, 1s);
    EXPECT_GT(function.dropped(), 0u);
    EXPECT_FALSE(driver.interrupt_driven());
    EXPECT_EQ(driver.poll_interval_ms(), 1000u);
    EXPECT_EQ(xstat(port, "control_path_intr_missed"), 1u);
    EXPECT_NE(log.text().find("management interrupt (MSI-X vector 0) never came"), std::string::npos) << log.text();
    // Polling now: no waiting for the interrupt first, nothing more counted.
    const Clock::time_point again = Clock::now();
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);
    EXPECT_LT(Clock::now() - again, 100ms);
    EXPECT_EQ(xstat(port, "control_path_intr_missed"), 1u);
    // Events come through the alarm now (there was no alarm: no watchdog, no snapshot).
    function.device().set_link(false);
    rte_eth_link link{};
    const auto deadline = Clock::now() + 3s;
    do {
        std::this_thread::sleep_for(20ms);
        ASSERT_EQ(rte_eth_link_get_nowait(port, &link), 0);
    } while (link.link_status == RTE_ETH_LINK_UP && Clock::now() < deadline);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
}

TEST(PciInterrupts, RxQueueInterruptsUseTheEventfdsEalMakes) {
    FakePciFunction function(quiet());
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    rte_eth_conf conf{};
    conf.intr_conf.rxq = 1;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    ASSERT_EQ(start(port, 2, conf), 0);
    rte_intr_handle* handle = rte_eth_devices[port].intr_handle;
    ASSERT_EQ(rte_intr_nb_efd_get(handle), 2);
    EXPECT_TRUE(rte_intr_allow_others(handle)) << "vector 0 stays with the control path";
    for (std::uint16_t q = 0; q < 2; ++q) {
        ASSERT_EQ(rte_eth_dev_rx_intr_ctl_q(port, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
                                            reinterpret_cast<void*>(static_cast<std::uintptr_t>(q + 1))),
                  0);
        ASSERT_EQ(rte_eth_dev_rx_intr_enable(port, q), 0);
    }
    // The loopback brings the frame back to the queue RSS picks; the vectors are in place once
    // the device's engine took the unmask writes.
    std::this_thread::sleep_for(20ms);
    FrameSpec spec;
    rte_mbuf* m = make_chain(test_pool(), make_frame(spec), 1);
    ASSERT_EQ(rte_eth_tx_burst(port, 0, &m, 1), 1);
    rte_epoll_event events[2];
    const int n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, events, 2, 2000);
    ASSERT_EQ(n, 1);
    const auto queue = static_cast<std::uint16_t>(reinterpret_cast<std::uintptr_t>(events[0].epdata.data) - 1);
    rte_mbuf* got[4];
    ASSERT_EQ(rte_eth_rx_burst(port, queue, got, 4), 1) << "the vector that fired is the queue's";
    rte_pktmbuf_free(got[0]);
    EXPECT_GT(function.delivered(1u + queue), 0u);
    for (std::uint16_t q = 0; q < 2; ++q)
        rte_eth_dev_rx_intr_ctl_q(port, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_DEL, nullptr);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
    EXPECT_EQ(rte_intr_nb_efd_get(handle), 0) << "EAL's eventfds given back at stop";
    // The management vector is still on: commands still wait for it.
    if (ng::find_port(port)->interrupt_driven()) {
        rte_eth_stats stats{};
        const ng::AdminQueueStats before = ng::find_port(port)->device().admin().stats();
        ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);
        EXPECT_EQ(ng::find_port(port)->device().admin().stats().poll_sleeps, before.poll_sleeps);
    }
}

TEST(PciInterrupts, UioPciGenericPollsAndRefusesRxInterrupts) {
    FakePciOptions options = quiet(kInterrupts);  // asked for: said that it cannot be
    options.kdrv = RTE_PCI_KDRV_UIO_GENERIC;
    FakePciFunction function(options);
    LogCapture log;
    ASSERT_EQ(function.probe(), 0);
    const std::uint16_t port = function.port_id();
    EXPECT_FALSE(ng::find_port(port)->interrupt_driven());
    EXPECT_EQ(ng::find_port(port)->poll_interval_ms(), 1000u);
    EXPECT_NE(log.text().find("management interrupt does not reach this process (on PCI it needs vfio-pci or igb_uio): "
                              "the control path is polled every 1000 ms"),
              std::string::npos)
        << log.text();
    rte_eth_conf conf{};
    conf.intr_conf.rxq = 1;
    EXPECT_EQ(rte_eth_dev_configure(port, 1, 1, &conf), -ENOTSUP);
    EXPECT_EQ(start(port, 1), 0);
    ASSERT_EQ(rte_eth_dev_stop(port), 0);
}

}  // namespace
}  // namespace ena::test
