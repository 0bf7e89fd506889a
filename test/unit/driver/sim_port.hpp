// Test helpers: EAL is initialised once for the whole binary (main.cpp); each test creates its
// own net_ena_sim vdevs (synchronous engine by default) and drives them through ethdev.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "ena_sim_api.hpp"
#include "ena_ng_port.hpp"
#include "port.hpp"

namespace ena::test {

// Synchronous device, device counters read at every statistics call, no watchdog (a test runs
// watchdog_tick() itself). The control path as configured by default: on the management
// interrupt (EAL's interrupt thread handles events as they come; poll_control_path() returns
// once they are handled), or polled when the suite runs in poll mode (below).
inline constexpr const char* kSyncArgs = "engine=sync,stats_interval=0,watchdog_interval=0";

// The suite runs in the driver's default control-path mode, or with every port polled when
// ENA_NG_TEST_CONTROL_PATH=poll (meson test --setup=poll): ports whose devargs do not say
// control_path_poll_interval then get control_path_poll_interval=500. SimPort::create and the
// fake PCI function apply it.
std::string with_test_control_path(const std::string& devargs);
bool control_path_polled_by_test_setup();

// A net_ena_sim vdev with its port; removed on destruction.
class SimPort {
public:
    // Probes a new vdev with `args`. Returns nullptr (and *probe_rc) when the probe fails.
    static std::unique_ptr<SimPort> create(const std::string& args, int* probe_rc = nullptr);
    ~SimPort();

    // Configures `rx`/`tx` queues and sets them up with `rx_desc`/`tx_desc` descriptors.
    int configure(std::uint16_t rx, std::uint16_t tx, const rte_eth_conf& conf = {});
    int setup_queues(std::uint16_t rx, std::uint16_t tx, std::uint16_t rx_desc = 512, std::uint16_t tx_desc = 512);
    int configure_and_start(std::uint16_t rx = 1, std::uint16_t tx = 1, const rte_eth_conf& conf = {});

    ena::ng::Port* driver() const { return ena::ng::find_port(id); }

    std::string name;
    std::uint16_t id = 0;
    ena::sim::Device* device = nullptr;
};

// The mbuf pool every test's Rx queues use.
rte_mempool* test_pool();

// The port's xstat `name`; a test failure (and ~0) when the port has none of that name.
std::uint64_t xstat(std::uint16_t port, const std::string& name);

// Whether done() becomes true within `timeout`, looking every 2 ms.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// Number of memzones that exist now, and bytes allocated from DPDK's heaps now (all sockets), for
// leak checks: counted with ethdev's port data reserved, which since DPDK 23.11 ethdev frees with
// the last port and reserves again at the next port lookup (dpdk_compat.hpp).
unsigned memzone_count();
std::uint64_t heap_allocated_bytes();

// Collects everything DPDK logs while it lives.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    std::string text();

private:
    char* buffer_ = nullptr;
    std::size_t size_ = 0;
    FILE* stream_ = nullptr;
};

}  // namespace ena::test
