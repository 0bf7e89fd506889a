// Configure / queue setup / start / stop / close / reset, as the device sees them, and that
// repeating them leaks nothing.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_memzone.h>

#include <cerrno>

#include "datapath/simd_support.hpp"
#include "dpdk_compat.hpp"
#include "memzone_dma.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

std::string with_sync(const std::string& args) { return std::string(kSyncArgs) + "," + args; }

// The first port of the process creates ethdev's shared data (a memzone) and the test pool:
// get those out of the way before counting.
void warm_up() {
    test_pool();
    SimPort::create(kSyncArgs);
}

TEST(Lifecycle, StartCreatesIoQueuesAndStopDestroysThem) {
    auto port = SimPort::create(with_sync("queues=4"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure(2, 2), 0);
    ASSERT_EQ(port->setup_queues(2, 2, 1024, 256), 0);
    // Queue setup only prepares host memory: nothing exists on the device yet.
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);

    ena::ng::Port* driver = port->driver();
    ASSERT_NE(driver, nullptr);
    for (std::uint16_t q = 0; q < 2; ++q) {
        const ena::ng::TxQueue* tx = driver->tx_queue(q);
        const ena::ng::RxQueue* rx = driver->rx_queue(q);
        ASSERT_NE(tx, nullptr);
        ASSERT_NE(rx, nullptr);
        const sim::QueueState tx_sq = port->device->sq_state(tx->io.sq_index);
        const sim::QueueState rx_sq = port->device->sq_state(rx->io.sq_index);
        EXPECT_TRUE(tx_sq.exists);
        EXPECT_EQ(tx_sq.depth, 256);
        EXPECT_TRUE(tx_sq.llq);  // the default simulated device offers LLQ
        EXPECT_FALSE(tx_sq.rx);
        EXPECT_TRUE(rx_sq.exists);
        EXPECT_EQ(rx_sq.depth, 1024);
        EXPECT_TRUE(rx_sq.rx);
        EXPECT_EQ(rx_sq.base, rx->sq_ring.iova());
        EXPECT_TRUE(port->device->cq_state(tx->io.cq_index).exists);
        EXPECT_TRUE(port->device->cq_state(rx->io.cq_index).exists);
        EXPECT_EQ(port->device->cq_state(rx->io.cq_index).base, rx->cq_ring.iova());
        EXPECT_NE(tx->io.sq_doorbell, nullptr);
        EXPECT_NE(tx->io.llq_descriptors, nullptr);
        EXPECT_NE(rx->io.sq_doorbell, nullptr);
    }
    const std::uint16_t tx_sq = driver->tx_queue(0)->io.sq_index;
    const std::uint16_t tx_cq = driver->tx_queue(0)->io.cq_index;
    const std::uint16_t rx_sq = driver->rx_queue(1)->io.sq_index;
    const std::uint16_t rx_cq = driver->rx_queue(1)->io.cq_index;

    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    EXPECT_FALSE(port->device->sq_state(tx_sq).exists);
    EXPECT_FALSE(port->device->cq_state(tx_cq).exists);
    EXPECT_FALSE(port->device->sq_state(rx_sq).exists);
    EXPECT_FALSE(port->device->cq_state(rx_cq).exists);

    // And again: a restart creates them anew.
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    EXPECT_TRUE(port->device->sq_state(driver->tx_queue(0)->io.sq_index).exists);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Lifecycle, BurstModesSayWhatRuns) {
    auto port = SimPort::create(with_sync("llq=wide"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(), 0);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
    EXPECT_NE(std::string(mode.info).find("LLQ 256B (224B header)"), std::string::npos) << mode.info;
    ASSERT_EQ(rte_eth_rx_burst_mode_get(port->id, 0, &mode), 0);
    // rx_path=auto: the widest path this machine allows.
    EXPECT_EQ(std::string(mode.info).rfind(ng::datapath::simd_level_name(ng::datapath::simd_level()), 0), 0u)
        << mode.info;
    EXPECT_NE(std::string(mode.info).find("bulk refill at 64 free"), std::string::npos) << mode.info;

    rte_eth_rxq_info rxq{};
    ASSERT_EQ(rte_eth_rx_queue_info_get(port->id, 0, &rxq), 0);
    EXPECT_EQ(rxq.nb_desc, 512);
    EXPECT_EQ(rxq.mp, test_pool());
    EXPECT_EQ(rxq.conf.rx_free_thresh, 512 / 8);
    rte_eth_txq_info txq{};
    ASSERT_EQ(rte_eth_tx_queue_info_get(port->id, 0, &txq), 0);
    EXPECT_EQ(txq.nb_desc, 512);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Lifecycle, CloseReleasesThePortAndItsMemory) {
    warm_up();
    const unsigned zones_before = memzone_count();
    {
        auto port = SimPort::create(kSyncArgs);
        ASSERT_NE(port, nullptr);
        ASSERT_EQ(port->configure_and_start(1, 1), 0);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
        EXPECT_FALSE(rte_eth_dev_is_valid_port(port->id));
        EXPECT_EQ(memzone_count(), zones_before);
        // The vdev itself goes with the SimPort; its port is already gone.
    }
    EXPECT_EQ(memzone_count(), zones_before);
}

// The leak counts keep ethdev's port data out, which since DPDK 23.11 goes with the last port and
// comes back at the next port lookup, but not a leak: a DMA region a driver would forget, taken
// while the port data goes and comes back, shows in both counts.
TEST(Lifecycle, LeakCountsStillSeeALeakWhileEthdevPortDataGoesAndComesBack) {
    warm_up();
    ASSERT_EQ(rte_eth_dev_count_total(), 0u) << "a port of another test is left";
    const unsigned zones_before = memzone_count();
    const std::uint64_t heap_before = heap_allocated_bytes();
    ena::ng::DmaRegion leaked{};
    {
        auto port = SimPort::create(kSyncArgs);
        ASSERT_NE(port, nullptr);
        ASSERT_EQ(port->configure_and_start(1, 1), 0);
        ASSERT_EQ(ena::ng::memzone_dma_alloc(nullptr, "leak_probe", 8192, 4096, SOCKET_ID_ANY, &leaked), 0);
        ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
        // The last port is gone: since 23.11 its port data went with it.
        EXPECT_EQ(rte_memzone_lookup(compat::kEthdevPortDataMemzone) == nullptr,
                  compat::kEthdevFreesPortDataWithLastPort);
    }  // the vdev's removal looks its port up: the port data is back
    EXPECT_EQ(memzone_count(), zones_before + 1);
    EXPECT_GE(heap_allocated_bytes(), heap_before + 8192);
    ena::ng::memzone_dma_free(nullptr, &leaked);
    EXPECT_EQ(memzone_count(), zones_before);
    EXPECT_EQ(heap_allocated_bytes(), heap_before);
}

TEST(Lifecycle, HundredConfigureStartStopCyclesLeakNothing) {
    warm_up();
    const unsigned zones_before = memzone_count();
    const std::uint64_t heap_before = heap_allocated_bytes();
    {
        auto port = SimPort::create(with_sync("queues=4"));
        ASSERT_NE(port, nullptr);
        unsigned zones_after_first = 0;
        const std::uint64_t commands_before = port->device->stats().admin_commands;
        for (int cycle = 0; cycle < 100; ++cycle) {
            const std::uint16_t queues = static_cast<std::uint16_t>(1 + cycle % 4);
            ASSERT_EQ(port->configure(queues, queues), 0) << "cycle " << cycle;
            ASSERT_EQ(port->setup_queues(queues, queues, 256, 256), 0) << "cycle " << cycle;
            ASSERT_EQ(rte_eth_dev_start(port->id), 0) << "cycle " << cycle;
            ASSERT_EQ(rte_eth_dev_stop(port->id), 0) << "cycle " << cycle;
            if (cycle == 3)
                zones_after_first = memzone_count();  // all four queue counts seen once
            if (cycle > 3 && cycle % 4 == 3) {
                ASSERT_EQ(memzone_count(), zones_after_first) << "cycle " << cycle;
            }
        }
        // Every start created (CQ + SQ) and every stop destroyed them on the device.
        EXPECT_GE(port->device->stats().admin_commands - commands_before, 100u * 2 * 4);
        ASSERT_EQ(rte_eth_dev_close(port->id), 0);
    }
    EXPECT_EQ(memzone_count(), zones_before);
    EXPECT_EQ(heap_allocated_bytes(), heap_before);
}

TEST(Lifecycle, ResetBringsTheDeviceUpAgain) {
    auto port = SimPort::create(with_sync("queues=2"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(2, 2), 0);
    const std::uint64_t resets_before = port->device->stats().resets;
    ASSERT_EQ(rte_eth_dev_reset(port->id), 0);
    EXPECT_GT(port->device->stats().resets, resets_before);
    // After a reset the application configures the port again.
    ASSERT_EQ(port->configure_and_start(2, 2), 0);
    EXPECT_TRUE(port->device->sq_state(port->driver()->tx_queue(1)->io.sq_index).exists);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Lifecycle, ConfigureRejectsWhatTheDeviceCannotDo) {
    auto port = SimPort::create(with_sync("queues=2"));
    ASSERT_NE(port, nullptr);
    rte_eth_conf conf{};
    EXPECT_EQ(port->configure(3, 1, conf), -EINVAL);  // more queues than the device has
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_VMDQ_ONLY;
    {
        LogCapture log;
        EXPECT_EQ(port->configure(1, 1, conf), -EINVAL);
        EXPECT_NE(log.text().find("Rx multi-queue mode"), std::string::npos) << log.text();
    }
    conf = rte_eth_conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
    ASSERT_EQ(port->configure(2, 2, conf), 0);
    rte_eth_conf applied{};
    ASSERT_EQ(rte_eth_dev_conf_get(port->id, &applied), 0);
    // The driver adds no Tx offload the application did not ask for: without MULTI_SEGS the
    // queues take single-segment packets (a single-segment Tx path runs).
    EXPECT_EQ(applied.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS, 0u);
    // Still usable.
    ASSERT_EQ(port->setup_queues(2, 2), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Lifecycle, DescriptorCountMustBeAPowerOfTwoWithinTheDeviceLimit) {
    auto port = SimPort::create(with_sync("llq=wide"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure(1, 1), 0);
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(port->id, &info), 0);
    {
        LogCapture log;
        EXPECT_EQ(rte_eth_tx_queue_setup(port->id, 0, 384, SOCKET_ID_ANY, nullptr), -EINVAL);
        EXPECT_NE(log.text().find("Tx queue 0: 384 descriptors (accepted: a power of 2 from 128 to"), std::string::npos)
            << log.text();
    }
    {
        LogCapture log;
        EXPECT_EQ(rte_eth_rx_queue_setup(port->id, 0, 640, SOCKET_ID_ANY, nullptr, test_pool()), -EINVAL);
        EXPECT_NE(log.text().find("Rx queue 0: 640 descriptors"), std::string::npos) << log.text();
    }
    // Over the limit: ethdev's own check refuses it before the driver sees it...
    EXPECT_EQ(rte_eth_tx_queue_setup(port->id, 0, info.tx_desc_lim.nb_max * 2, SOCKET_ID_ANY, nullptr), -EINVAL);
    // ...and the driver refuses it too when asked directly.
    {
        LogCapture log;
        EXPECT_EQ(port->driver()->tx_queue_setup(0, static_cast<std::uint16_t>(info.tx_desc_lim.nb_max * 2),
                                                 SOCKET_ID_ANY, nullptr),
                  -EINVAL);
        EXPECT_NE(log.text().find("the LLQ limit"), std::string::npos) << log.text();
    }
    EXPECT_EQ(rte_eth_rx_queue_setup(port->id, 0, 64, SOCKET_ID_ANY, nullptr, test_pool()), -EINVAL);
    // Good values afterwards: the port starts.
    ASSERT_EQ(port->setup_queues(1, 1, 1024, info.tx_desc_lim.nb_max), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(Lifecycle, RxQueueNeedsBigEnoughBuffers) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure(1, 1), 0);
    rte_mempool* small = rte_pktmbuf_pool_create("driver_test_small", 511, 0, 0, 1024, SOCKET_ID_ANY);
    ASSERT_NE(small, nullptr);
    {
        LogCapture log;
        EXPECT_EQ(rte_eth_rx_queue_setup(port->id, 0, 256, SOCKET_ID_ANY, nullptr, small), -EINVAL);
        EXPECT_NE(log.text().find("data rooms"), std::string::npos) << log.text();
    }
    rte_mempool_free(small);
    ASSERT_EQ(port->setup_queues(1, 1), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

}  // namespace
}  // namespace ena::test
