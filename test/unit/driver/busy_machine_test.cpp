// The threaded engine on a machine whose every CPU is busy: the control path never waits for
// the engine thread, so ports come up however starved it is.
#include <gtest/gtest.h>
#include <pthread.h>
#include <rte_ethdev.h>
#include <sched.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sim_port.hpp"

namespace ena::test {
namespace {

// One thread spinning on each CPU of the process, for as long as it lives.
class Spinners {
public:
    Spinners() {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        sched_getaffinity(0, sizeof(allowed), &allowed);
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
        rte_eth_link_get_nowait(a->id, &link_a);
        rte_eth_link_get_nowait(b->id, &link_b);
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

}  // namespace
}  // namespace ena::test
