// Interrupts of a simulated port through EAL, as an application uses them: Rx queue interrupts
// (intr_conf.rxq=1, rte_eth_dev_rx_intr_ctl_q, rte_epoll_wait), interrupt moderation
// (rx_intr_delay), and the control path on the management interrupt -- admin commands that
// sleep until it comes, events it delivers, control_path_poll_interval for polling instead, and
// the fall-back to polling when it never comes.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

rte_eth_conf rx_interrupt_conf(std::uint16_t queues) {
    rte_eth_conf conf{};
    conf.intr_conf.rxq = 1;
    if (queues > 1) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP;
    }
    return conf;
}

// Every RSS table entry to `queue`: the next frame lands there.
void steer_all_to(std::uint16_t port, std::uint16_t queue) {
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(port, &info), 0);
    std::vector<rte_eth_rss_reta_entry64> reta(info.reta_size / RTE_ETH_RETA_GROUP_SIZE);
    for (auto& group : reta) {
        group.mask = ~0ull;
        std::fill(std::begin(group.reta), std::end(group.reta), queue);
    }
    ASSERT_EQ(rte_eth_dev_rss_reta_update(port, reta.data(), info.reta_size), 0);
}

std::vector<std::uint8_t> frame_for(std::uint16_t port, std::uint16_t src_port) {
    FrameSpec spec;
    spec.src_port = src_port;
    std::vector<std::uint8_t> frame = make_frame(spec);
    rte_ether_addr mac{};
    EXPECT_EQ(rte_eth_macaddr_get(port, &mac), 0);
    std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), frame.begin());
    return frame;
}

unsigned drain(std::uint16_t port, std::uint16_t queue) {
    unsigned n = 0;
    rte_mbuf* got[32];
    for (std::uint16_t k; (k = rte_eth_rx_burst(port, queue, got, 32)) != 0; n += k)
        rte_pktmbuf_free_bulk(got, k);
    return n;
}

// A thread that sleeps the way a power-aware lcore does: arms the Rx interrupts of its queues,
// blocks in rte_epoll_wait, and records every wake-up (when, which queues) before it drains them.
class Sleeper {
public:
    struct Wake {
        Clock::time_point at;
        std::vector<std::uint16_t> queues;
        unsigned packets = 0;
    };

    Sleeper(std::uint16_t port, std::uint16_t queues) : port_(port), queues_(queues) {
        thread_ = std::thread([this] { run(); });
        std::unique_lock guard(lock_);
        changed_.wait(guard, [&] { return ready_; });
    }
    ~Sleeper() {
        stop_.store(true);
        thread_.join();
    }
    int setup_error() const { return setup_rc_; }
    // Waits until `n` wake-ups were seen (or `timeout`), returns them all.
    std::vector<Wake> wakes(std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock guard(lock_);
        changed_.wait_for(guard, timeout, [&] { return wakes_.size() >= n; });
        return wakes_;
    }
    // Waits until the thread is back in rte_epoll_wait with its interrupts armed.
    void wait_until_armed() {
        std::unique_lock guard(lock_);
        changed_.wait(guard, [&] { return armed_; });
    }

private:
    void run() {
        for (std::uint16_t q = 0; q < queues_ && setup_rc_ == 0; ++q)
            setup_rc_ = rte_eth_dev_rx_intr_ctl_q(port_, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
                                                  reinterpret_cast<void*>(static_cast<std::uintptr_t>(q)));
        {
            std::lock_guard guard(lock_);
            ready_ = true;
        }
        changed_.notify_all();
        while (setup_rc_ == 0 && !stop_.load()) {
            for (std::uint16_t q = 0; q < queues_; ++q)
                rte_eth_dev_rx_intr_enable(port_, q);
            {
                std::lock_guard guard(lock_);
                armed_ = true;
            }
            changed_.notify_all();
            rte_epoll_event events[8];
            const int n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, events, 8, 100);
            const Clock::time_point at = Clock::now();
            if (n <= 0)
                continue;  // the 100 ms timeout: to look at stop_
            Wake wake;
            wake.at = at;
            for (int i = 0; i < n; ++i)
                wake.queues.push_back(static_cast<std::uint16_t>(reinterpret_cast<std::uintptr_t>(events[i].epdata.data)));
            std::lock_guard guard(lock_);
            armed_ = false;
            for (std::uint16_t q = 0; q < queues_; ++q) {
                rte_eth_dev_rx_intr_disable(port_, q);
                wake.packets += drain(port_, q);
            }
            wakes_.push_back(wake);
            changed_.notify_all();
        }
        for (std::uint16_t q = 0; q < queues_; ++q)
            rte_eth_dev_rx_intr_ctl_q(port_, q, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_DEL, nullptr);
    }

    std::uint16_t port_, queues_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    int setup_rc_ = 0;
    std::mutex lock_;
    std::condition_variable changed_;
    bool ready_ = false;
    bool armed_ = false;
    std::vector<Wake> wakes_;
};

class RxInterrupts : public ::testing::TestWithParam<const char*> {};

// Acceptance: two Rx queues with interrupts; the thread sleeps in rte_epoll_wait, wakes within
// 10 ms of a packet arriving on either queue and knows which, and does not wake at all during a
// second without packets.
TEST_P(RxInterrupts, TwoQueuesWakeTheSleeperForTheirPacketsAndOnlyThen) {
    auto port = SimPort::create(std::string(GetParam()) + ",wire=loopback");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(2, 1, rx_interrupt_conf(2)), 0);
    Sleeper sleeper(port->id, 2);
    ASSERT_EQ(sleeper.setup_error(), 0);
    sleeper.wait_until_armed();

    std::this_thread::sleep_for(1s);
    EXPECT_EQ(sleeper.wakes(0, 0ms).size(), 0u) << "woke up with no packet";

    constexpr unsigned kRounds = 10;
    std::vector<double> latency_ms;
    for (unsigned i = 0; i < kRounds; ++i) {
        const std::uint16_t queue = i % 2 == 0 ? 1 : 0;
        steer_all_to(port->id, queue);
        sleeper.wait_until_armed();
        // Sent on the port's own loopback wire: with the threaded engine the frame crosses the
        // device's engine thread (Tx, wire, Rx) as it would cross hardware.
        rte_mbuf* m = make_chain(test_pool(), frame_for(port->id, static_cast<std::uint16_t>(4000 + i)), 1);
        const Clock::time_point sent = Clock::now();
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
        const auto wakes = sleeper.wakes(i + 1, 2s);
        ASSERT_EQ(wakes.size(), i + 1) << "no wake-up for a packet on queue " << queue;
        const auto& wake = wakes.back();
        ASSERT_EQ(wake.queues, std::vector<std::uint16_t>{queue});
        EXPECT_EQ(wake.packets, 1u);
        latency_ms.push_back(std::chrono::duration<double, std::milli>(wake.at - sent).count());
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    std::printf("%s: wake-up after a packet is sent: median %.3f ms, max %.3f ms over %u packets\n", GetParam(),
                latency_ms[kRounds / 2], latency_ms.back(), kRounds);
    EXPECT_LT(latency_ms.back(), 10.0);

    std::this_thread::sleep_for(1s);
    EXPECT_EQ(sleeper.wakes(0, 0ms).size(), kRounds) << "woke up with no packet";
}

INSTANTIATE_TEST_SUITE_P(Engines, RxInterrupts, ::testing::Values("engine=sync", "engine=threaded", "engine=inline"),
                         [](const auto& info) { return std::string(info.param).substr(7); });

TEST(RxInterrupt, APacketThatCameBeforeTheEnableInterruptsAtOnce) {
    auto port = SimPort::create("engine=sync,wire=loopback");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(1, 1, rx_interrupt_conf(1)), 0);
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->id, 0);
    ASSERT_GE(fd, 0);
    port->device->receive_frame(frame_for(port->id, 1));  // after the last burst, before arming
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), 0);
    std::uint64_t count = 0;
    EXPECT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)))
        << "the armed queue held a packet: its vector must have fired";
    EXPECT_EQ(drain(port->id, 0), 1u);
    // Drained and armed again: nothing until the next packet.
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), 0);
    EXPECT_LT(read(fd, &count, sizeof(count)), 0);
    port->device->receive_frame(frame_for(port->id, 2));
    EXPECT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)));
    EXPECT_EQ(drain(port->id, 0), 1u);
}

TEST(RxInterrupt, DisableMasksTheQueue) {
    auto port = SimPort::create("engine=sync,wire=loopback");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(1, 1, rx_interrupt_conf(1)), 0);
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->id, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), 0);
    ASSERT_EQ(rte_eth_dev_rx_intr_disable(port->id, 0), 0);
    port->device->receive_frame(frame_for(port->id, 1));
    std::uint64_t count = 0;
    EXPECT_LT(read(fd, &count, sizeof(count)), 0) << "a masked queue interrupted";
    EXPECT_EQ(drain(port->id, 0), 1u);
}

TEST(RxInterrupt, VectorsFollowRestartsAndReconfiguration) {
    auto port = SimPort::create("engine=sync,wire=loopback");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(2, 1, rx_interrupt_conf(2)), 0);
    rte_intr_handle* handle = rte_eth_devices[port->id].intr_handle;
    ASSERT_NE(handle, nullptr);
    EXPECT_EQ(rte_intr_nb_efd_get(handle), 2);
    EXPECT_EQ(port->device->cq_state(port->driver()->rx_queue(1)->io.cq_index).interrupt_mode, true);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    EXPECT_EQ(rte_intr_nb_efd_get(handle), 0) << "vectors given back at stop";
    // Four queues now, then none with interrupts.
    ASSERT_EQ(port->configure(4, 1, rx_interrupt_conf(4)), 0);
    ASSERT_EQ(port->setup_queues(4, 1), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    EXPECT_EQ(rte_intr_nb_efd_get(handle), 4);
    for (std::uint16_t q = 0; q < 4; ++q)
        EXPECT_EQ(rte_intr_vec_list_index_get(handle, q), RTE_INTR_VEC_RXTX_OFFSET + q);
    steer_all_to(port->id, 3);
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->id, 3);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 3), 0);
    port->device->receive_frame(frame_for(port->id, 1));
    std::uint64_t count = 0;
    EXPECT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)));
    EXPECT_EQ(drain(port->id, 3), 1u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    ASSERT_EQ(port->configure_and_start(1, 1), 0);
    EXPECT_EQ(rte_intr_nb_efd_get(handle), 0);
    EXPECT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), -EINVAL) << "no Rx interrupts configured";
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(RxInterrupt, RefusedWhereTheDeviceGivesNoVectors) {
    // The deferred engine (benchmarks) offers no interrupts.
    auto port = SimPort::create("engine=deferred,wire=loopback,watchdog_interval=0,stats_interval=0");
    ASSERT_NE(port, nullptr);
    LogCapture log;
    EXPECT_EQ(port->configure(1, 1, rx_interrupt_conf(1)), -ENOTSUP);
    EXPECT_NE(log.text().find("Rx queue interrupts (intr_conf.rxq=1) need an MSI-X vector per queue"), std::string::npos)
        << log.text();
}

TEST(RxInterrupt, ModerationDelaysTheInterruptInVirtualTime) {
    auto port = SimPort::create("engine=sync,wire=loopback,rx_intr_delay=300");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(1, 1, rx_interrupt_conf(1)), 0);
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->id, 0);
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), 0);
    port->device->receive_frame(frame_for(port->id, 1));
    std::uint64_t count = 0;
    EXPECT_LT(read(fd, &count, sizeof(count)), 0) << "moderated: not at the packet";
    port->device->advance_time(299'000);
    EXPECT_LT(read(fd, &count, sizeof(count)), 0);
    port->device->advance_time(1'000);
    EXPECT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count))) << "300 us after the packet";
    EXPECT_EQ(drain(port->id, 0), 1u);
}

// The engines on the real clock: the Engine thread, or the Timekeeper for the inline engine,
// fires a moderated interrupt at its time.
class RealTimeModeration : public ::testing::TestWithParam<const char*> {};

TEST_P(RealTimeModeration, HoldsTheInterruptForTheDelay) {
    constexpr auto kDelay = 5ms;
    auto port = SimPort::create(std::string(GetParam()) + ",wire=loopback,rx_intr_delay=5000");
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(1, 1, rx_interrupt_conf(1)), 0);
    Sleeper sleeper(port->id, 1);
    ASSERT_EQ(sleeper.setup_error(), 0);
    sleeper.wait_until_armed();
    std::this_thread::sleep_for(20ms);  // the engine thread takes the unmask
    const Clock::time_point sent = Clock::now();
    port->device->receive_frame(frame_for(port->id, 1));
    const auto wakes = sleeper.wakes(1, 2s);
    ASSERT_EQ(wakes.size(), 1u);
    const auto waited = wakes[0].at - sent;
    std::printf("%s rx_intr_delay=5000: woke %.3f ms after the packet\n", GetParam(),
                std::chrono::duration<double, std::milli>(waited).count());
    EXPECT_GE(waited, kDelay);
    EXPECT_LT(waited, kDelay + 500ms);
}

INSTANTIATE_TEST_SUITE_P(Engines, RealTimeModeration, ::testing::Values("engine=threaded", "engine=inline"),
                         [](const auto& info) { return std::string(info.param).substr(7); });

TEST(RxInterrupt, DelayWithoutModerationOnTheDeviceIsSaidAndIgnored) {
    auto port = SimPort::create("engine=sync,wire=loopback,intr_delay_resolution=0,rx_intr_delay=300");
    ASSERT_NE(port, nullptr);
    LogCapture log;
    ASSERT_EQ(port->configure_and_start(1, 1, rx_interrupt_conf(1)), 0);
    EXPECT_NE(log.text().find("rx_intr_delay=300 but the device offers no interrupt moderation"), std::string::npos)
        << log.text();
    const int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port->id, 0);
    ASSERT_EQ(rte_eth_dev_rx_intr_enable(port->id, 0), 0);
    port->device->receive_frame(frame_for(port->id, 1));
    std::uint64_t count = 0;
    EXPECT_EQ(read(fd, &count, sizeof(count)), static_cast<ssize_t>(sizeof(count)));
}

// --- the control path -------------------------------------------------------------------------

int count_event(std::uint16_t, rte_eth_event_type, void* counter, void*) {
    static_cast<std::atomic<int>*>(counter)->fetch_add(1);
    return 0;
}

// Interrupt mode (asked for, so also in the suite's poll mode) and no alarm (no watchdog,
// statistics read at each call): only the interrupt can deliver events.
constexpr const char* kInterruptOnly =
    "wire=loopback,watchdog_interval=0,stats_interval=0,control_path_poll_interval=0";

// The default configuration: the control path on the management interrupt. The simulated
// device answers an admin doorbell in the writer's thread (its engine answers control registers
// at once), so a command finds its completion at its first look and never polls; the interrupt
// its completion raises is handled in EAL's thread, and events arrive by it alone. (Commands
// that wait for it: the PCI path, pci_probe_test.cpp, whose device answers on its own.)
TEST(ControlPath, TheDefaultIsTheManagementInterrupt) {
    if (control_path_polled_by_test_setup())
        GTEST_SKIP() << "the suite runs with every port polled (--setup=poll)";
    auto port = SimPort::create("engine=threaded,wire=loopback");
    ASSERT_NE(port, nullptr);
    EXPECT_TRUE(port->driver()->interrupt_driven());
    EXPECT_EQ(port->driver()->poll_interval_ms(), 0u);
}

class ManagementInterrupt : public ::testing::TestWithParam<const char*> {};

// With the engine thread and with the inline engine (the device answering in the caller's
// threads, its time-driven work on the Timekeeper).
TEST_P(ManagementInterrupt, DrivesTheControlPath) {
    auto port = SimPort::create(std::string(GetParam()) + "," + kInterruptOnly);
    ASSERT_NE(port, nullptr);
    ng::Port& driver = *port->driver();
    ASSERT_TRUE(driver.interrupt_driven());
    EXPECT_EQ(driver.poll_interval_ms(), 0u);
    EXPECT_TRUE(driver.device().admin().interrupt_mode());
    std::atomic<int> lsc{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc), 0);
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(port->configure_and_start(2, 2, conf), 0);

    const ng::AdminQueueStats before = driver.device().admin().stats();
    const std::uint64_t interrupts_before = driver.counters().management_interrupts.get();
    for (unsigned i = 0; i < 20; ++i) {
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);  // GET_STATS and the metrics: admin commands
    }
    const ng::AdminQueueStats after = driver.device().admin().stats();
    EXPECT_GE(after.completed - before.completed, 20u);
    EXPECT_EQ(after.poll_sleeps, before.poll_sleeps) << "an admin command polled the completion queue";
    EXPECT_EQ(after.missed_interrupts, 0u);
    EXPECT_TRUE(eventually([&] { return driver.counters().management_interrupts.get() > interrupts_before; }, 2000ms))
        << "the completions raised no management interrupt";

    // Events: nobody polls, nobody calls in; the interrupt brings the link change.
    port->device->set_link(false);
    ASSERT_TRUE(eventually([&] { return lsc.load() == 1; }, 2000ms)) << "no LSC event";
    EXPECT_EQ(xstat(port->id, "control_path_intr_missed"), 0u);
    // And after a device reset, still.
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    ASSERT_EQ(rte_eth_dev_reset(port->id), 0);
    EXPECT_TRUE(driver.interrupt_driven());
    ASSERT_EQ(port->configure_and_start(2, 2, conf), 0);
    port->device->set_link(true);
    ASSERT_TRUE(eventually([&] { return lsc.load() == 2; }, 2000ms)) << "no LSC event after the reset";
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc);
}

INSTANTIATE_TEST_SUITE_P(Engines, ManagementInterrupt, ::testing::Values("engine=threaded", "engine=inline"),
                         [](const auto& info) { return std::string(info.param).substr(7); });

TEST(ControlPath, TheAlarmsCommandsDoNotPollEither) {
    // The statistics snapshot is read every 50 ms on the alarm, in EAL's interrupt thread.
    auto port = SimPort::create("engine=threaded,wire=loopback,watchdog_interval=0,stats_interval=50,"
                                "control_path_poll_interval=0");
    ASSERT_NE(port, nullptr);
    ng::Port& driver = *port->driver();
    ASSERT_TRUE(driver.interrupt_driven());
    ASSERT_EQ(port->configure_and_start(1, 1), 0);
    const ng::AdminQueueStats before = driver.device().admin().stats();
    std::this_thread::sleep_for(500ms);
    const ng::AdminQueueStats after = driver.device().admin().stats();
    EXPECT_GE(after.completed - before.completed, 5u) << "the snapshot was not refreshed";
    EXPECT_EQ(after.poll_sleeps, before.poll_sleeps);
    EXPECT_EQ(after.missed_interrupts, 0u);
    // Events still come.
    std::atomic<int> lsc{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);
    port->device->set_link(false);
    EXPECT_TRUE(eventually([&] { return lsc.load() == 1; }, 2000ms));
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc);
}

TEST(ControlPath, PollIntervalPollsInstead) {
    auto port = SimPort::create("engine=threaded,wire=loopback,watchdog_interval=0,stats_interval=0,"
                                "control_path_poll_interval=500");
    ASSERT_NE(port, nullptr);
    ng::Port& driver = *port->driver();
    EXPECT_FALSE(driver.interrupt_driven());
    EXPECT_EQ(driver.poll_interval_ms(), 500u);
    EXPECT_FALSE(driver.device().admin().interrupt_mode());
    std::atomic<int> lsc{0};
    ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc), 0);
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    ASSERT_EQ(port->configure_and_start(1, 1, conf), 0);
    const ng::AdminQueueStats before = driver.device().admin().stats();
    for (unsigned i = 0; i < 10; ++i) {
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    }
    const ng::AdminQueueStats after = driver.device().admin().stats();
    EXPECT_EQ(after.by_interrupt, before.by_interrupt);
    EXPECT_EQ(after.interrupt_wakeups, before.interrupt_wakeups);
    EXPECT_EQ(driver.counters().management_interrupts.get(), 0u) << "INTR_MASK set: the device raises no admin interrupt";
    // The alarm finds the link change within a poll interval or two.
    const Clock::time_point changed = Clock::now();
    port->device->set_link(false);
    ASSERT_TRUE(eventually([&] { return lsc.load() == 1; }, 3000ms));
    std::printf("control_path_poll_interval=500: link change reported after %.0f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - changed).count());
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_LSC, count_event, &lsc);
}

TEST(ControlPath, WatchdogAndStatisticsWorkInBothModes) {
    // Interrupt mode asked for, so that the suite's poll mode does not make it a second poll run.
    for (const char* mode : {",control_path_poll_interval=0", ",control_path_poll_interval=500"}) {
        SCOPED_TRACE(mode);
        // The keep-alive stops: the watchdog finds it in either mode.
        auto port = SimPort::create(std::string("engine=threaded,wire=loopback,watchdog_interval=100,stats_interval=100") +
                                    mode);
        ASSERT_NE(port, nullptr);
        std::atomic<int> resets{0};
        ASSERT_EQ(rte_eth_dev_callback_register(port->id, RTE_ETH_EVENT_INTR_RESET, count_event, &resets), 0);
        ASSERT_EQ(port->configure_and_start(1, 1), 0);
        // Statistics: a frame sent shows in the device's counters read on the alarm.
        rte_mbuf* m = make_chain(test_pool(), frame_for(port->id, 1), 1);
        ASSERT_EQ(rte_eth_tx_burst(port->id, 0, &m, 1), 1);
        EXPECT_TRUE(eventually([&] { return drain(port->id, 0) == 1; }, 2000ms));
        EXPECT_TRUE(eventually([&] { return port->driver()->refresh_device_counters() == 0 &&
                                            xstat(port->id, "rx_good_packets") == 1; }, 2000ms));
        port->device->inject_fault(sim::Fault::kKeepAliveStop, sim::kFaultUntilReset);
        EXPECT_TRUE(eventually([&] { return resets.load() == 1; }, 8000ms)) << "keep-alive stop not found";
        EXPECT_EQ(xstat(port->id, "wd_expired"), 1u);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        rte_eth_dev_callback_unregister(port->id, RTE_ETH_EVENT_INTR_RESET, count_event, &resets);
    }
}

}  // namespace
}  // namespace ena::test
