// A machine whose every CPU is busy, as under pktgen (whose main lcore spins beside its
// forwarding lcores): the control path never waits for the engine thread, so ports come up
// however starved it is; and the default engine -- inline, since every CPU of this process is
// an lcore -- keeps forwarding, because its work runs in the forwarding thread itself.
#include <gtest/gtest.h>
#include <pthread.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

// One thread spinning on each CPU of the process -- the CPUs of its lcores, which in this
// binary are all of them -- for as long as it lives.
class Spinners {
public:
    Spinners() {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        unsigned lcore;
        RTE_LCORE_FOREACH(lcore) {
            const rte_cpuset_t cpus = rte_lcore_cpuset(lcore);
            CPU_OR(&allowed, &allowed, &cpus);
        }
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (!CPU_ISSET(cpu, &allowed))
                continue;
            threads_.emplace_back([this] {
                while (!stop_.load(std::memory_order_relaxed)) {
                }
            });
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pthread_setaffinity_np(threads_.back().native_handle(), sizeof(one), &one);
        }
    }
    ~Spinners() {
        stop_ = true;
        for (auto& t : threads_)
            t.join();
    }
    std::size_t count() const { return threads_.size(); }

private:
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
};

TEST(BusyMachine, TwoThreadedPortsComeUpFiftyTimesOutOfFifty) {
    Spinners spinners;
    ASSERT_GT(spinners.count(), 0u);
    unsigned up = 0;
    std::uint64_t longest_wait_ns = 0;
    for (int round = 0; round < 50; ++round) {
        auto a = SimPort::create("engine=threaded,wire=vpc:busy" + std::to_string(round));
        auto b = SimPort::create("engine=threaded,wire=vpc:busy" + std::to_string(round));
        if (a == nullptr || b == nullptr)
            continue;
        rte_eth_link link_a{}, link_b{};
        EXPECT_EQ(rte_eth_link_get_nowait(a->id, &link_a), 0);
        EXPECT_EQ(rte_eth_link_get_nowait(b->id, &link_b), 0);
        up += link_a.link_status == RTE_ETH_LINK_UP && link_b.link_status == RTE_ETH_LINK_UP;
        for (const SimPort* p : {a.get(), b.get()})
            longest_wait_ns = std::max(longest_wait_ns, p->driver()->device().registers().longest_read_wait_ns());
    }
    EXPECT_EQ(up, 50u);
    // Answered in the driver's own thread: microseconds, not the engine thread's time slice.
    EXPECT_LT(longest_wait_ns, 3'000'000u) << "a readless read waited " << longest_wait_ns << " ns";
    std::printf("longest readless wait over 50 rounds of two ports: %lu ns\n",
                static_cast<unsigned long>(longest_wait_ns));
}

TEST(BusyMachine, TheDefaultEngineForwardsWhileEveryCpuSpins) {
    auto a = SimPort::create("wire=vpc:busy_forward,mac=02:00:00:00:b0:0a");
    auto b = SimPort::create("wire=vpc:busy_forward,mac=02:00:00:00:b0:0b");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(a->configure_and_start(), 0);
    ASSERT_EQ(b->configure_and_start(), 0);
    EXPECT_EQ(a->device->mode(), sim::EngineMode::kInline) << "every CPU of this test is an lcore";
    rte_mempool* pool = rte_pktmbuf_pool_create("busy_forward", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    FrameSpec spec;
    std::vector<std::uint8_t> bytes = make_frame(spec);
    rte_ether_addr mac_b;
    rte_eth_macaddr_get(b->id, &mac_b);
    std::memcpy(bytes.data(), mac_b.addr_bytes, 6);

    Spinners spinners;
    ASSERT_GT(spinners.count(), 0u);
    // 64 frames circulate: port a sends them to b; what b receives it sends back to a's MAC
    // (b's Tx frames go to whoever owns their destination), and a sends again what it gets.
    constexpr std::uint64_t kFrames = 100000;
    rte_mbuf* burst[64];
    for (rte_mbuf*& m : burst) {
        m = rte_pktmbuf_alloc(pool);
        ASSERT_NE(m, nullptr);
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(bytes.size())), bytes.data(), bytes.size());
    }
    ASSERT_EQ(rte_eth_tx_burst(a->id, 0, burst, 64), 64);
    rte_ether_addr mac_a;
    rte_eth_macaddr_get(a->id, &mac_a);
    std::uint64_t forwarded = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto give_up = start + std::chrono::seconds(60);
    while (forwarded < kFrames && std::chrono::steady_clock::now() < give_up) {
        for (auto [from, to, dst] : {std::tuple{b->id, b->id, &mac_a}, std::tuple{a->id, a->id, &mac_b}}) {
            rte_mbuf* got[32];
            const std::uint16_t n = rte_eth_rx_burst(from, 0, got, 32);
            for (std::uint16_t i = 0; i < n; ++i)
                std::memcpy(rte_pktmbuf_mtod(got[i], void*), dst->addr_bytes, 6);
            const std::uint16_t sent = rte_eth_tx_burst(to, 0, got, n);
            rte_pktmbuf_free_bulk(got + sent, n - sent);
            forwarded += sent;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(forwarded, kFrames) << "forwarded in 60 s with a thread spinning on every CPU";
    std::printf("default (%s) engine, %zu spinning threads: %lu frames forwarded in %.2f s (%.0f kpps)\n",
                a->device->mode() == sim::EngineMode::kInline ? "inline" : "other", spinners.count(),
                static_cast<unsigned long>(forwarded), seconds, static_cast<double>(forwarded) / seconds / 1e3);
    ASSERT_EQ(rte_eth_dev_stop(a->id), 0);
    ASSERT_EQ(rte_eth_dev_stop(b->id), 0);
    a.reset();
    b.reset();
    EXPECT_EQ(rte_mempool_avail_count(pool), 1023u) << "every frame came back";
    rte_mempool_free(pool);
}

}  // namespace
}  // namespace ena::test
