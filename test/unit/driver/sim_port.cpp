#include "sim_port.hpp"

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

namespace ena::test {

namespace {
std::atomic<unsigned> g_serial{0};
}

bool control_path_polled_by_test_setup() {
    const char* mode = std::getenv("ENA_NG_TEST_CONTROL_PATH");
    return mode != nullptr && std::string(mode) == "poll";
}

std::string with_test_control_path(const std::string& devargs) {
    if (!control_path_polled_by_test_setup() || devargs.find("control_path_poll_interval=") != std::string::npos)
        return devargs;
    return devargs.empty() ? "control_path_poll_interval=500" : devargs + ",control_path_poll_interval=500";
}

std::unique_ptr<SimPort> SimPort::create(const std::string& args, int* probe_rc) {
    auto port = std::unique_ptr<SimPort>(new SimPort);
    port->name = "net_ena_sim_t" + std::to_string(g_serial.fetch_add(1));
    const int rc = rte_vdev_init(port->name.c_str(), with_test_control_path(args).c_str());
    if (probe_rc != nullptr)
        *probe_rc = rc;
    if (rc != 0) {
        port->name.clear();
        return nullptr;
    }
    if (rte_eth_dev_get_port_by_name(port->name.c_str(), &port->id) != 0)
        return nullptr;
    port->device = ena::sim::find_device(port->id);
    return port;
}

SimPort::~SimPort() {
    if (!name.empty())
        rte_vdev_uninit(name.c_str());
}

int SimPort::configure(std::uint16_t rx, std::uint16_t tx, const rte_eth_conf& conf) {
    return rte_eth_dev_configure(id, rx, tx, &conf);
}

int SimPort::setup_queues(std::uint16_t rx, std::uint16_t tx, std::uint16_t rx_desc, std::uint16_t tx_desc) {
    for (std::uint16_t q = 0; q < rx; ++q) {
        const int rc = rte_eth_rx_queue_setup(id, q, rx_desc, SOCKET_ID_ANY, nullptr, test_pool());
        if (rc != 0)
            return rc;
    }
    for (std::uint16_t q = 0; q < tx; ++q) {
        const int rc = rte_eth_tx_queue_setup(id, q, tx_desc, SOCKET_ID_ANY, nullptr);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int SimPort::configure_and_start(std::uint16_t rx, std::uint16_t tx, const rte_eth_conf& conf) {
    int rc = configure(rx, tx, conf);
    if (rc == 0)
        rc = setup_queues(rx, tx);
    if (rc == 0)
        rc = rte_eth_dev_start(id);
    return rc;
}

rte_mempool* test_pool() {
    static rte_mempool* pool =
        rte_pktmbuf_pool_create("driver_test_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    return pool;
}

std::uint64_t xstat(std::uint16_t port, const std::string& name) {
    std::uint64_t id = 0, value = ~0ull;
    if (rte_eth_xstats_get_id_by_name(port, name.c_str(), &id) != 0 || rte_eth_xstats_get_by_id(port, &id, &value, 1) != 1)
        ADD_FAILURE() << "port " << port << " has no xstat " << name;
    return value;
}

namespace {
// ethdev's port data comes and goes since DPDK 23.11 (compat::kEthdevFreesPortDataWithLastPort):
// reserve it before counting, so that it is there at every count and out of every difference. Any
// memzone or heap block of anyone else still counts. rte_eth_dev_allocated() reserves it in
// every release; no port has an empty name.
void reserve_ethdev_port_data() { (void)rte_eth_dev_allocated(""); }
}  // namespace

unsigned memzone_count() {
    reserve_ethdev_port_data();
    unsigned count = 0;
    rte_memzone_walk([](const rte_memzone*, void* arg) { ++*static_cast<unsigned*>(arg); }, &count);
    return count;
}

std::uint64_t heap_allocated_bytes() {
    reserve_ethdev_port_data();
    std::uint64_t total = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
        rte_malloc_socket_stats stats{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &stats) == 0)
            total += stats.heap_allocsz_bytes;
    }
    return total;
}

LogCapture::LogCapture() {
    stream_ = open_memstream(&buffer_, &size_);
    rte_openlog_stream(stream_);
}

LogCapture::~LogCapture() {
    rte_openlog_stream(nullptr);
    if (stream_ != nullptr)
        std::fclose(stream_);
    std::free(buffer_);
}

std::string LogCapture::text() {
    std::fflush(stream_);
    return std::string(buffer_ != nullptr ? buffer_ : "", size_);
}

}  // namespace ena::test
