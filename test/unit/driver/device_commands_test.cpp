// Device-control commands beyond bring-up, checked against the device model: statistics
// (basic, ENI, SRD, customer metrics), RSS, fragment bypass, reset reasons, and a readless
// register read that gets no answer.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include <array>
#include <cerrno>
#include <numeric>
#include <vector>

#include "control/ena_device.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

std::string with_sync(const std::string& args) { return std::string(kSyncArgs) + "," + args; }

TEST(DeviceCommands, StatisticsCommandsReturnTheDevicesCounters) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ng::EnaDevice& device = port->driver()->device();

    ng::BasicStats basic;
    ASSERT_EQ(device.get_basic_stats(basic), 0);
    EXPECT_EQ(basic.rx_packets, port->device->stats().rx_packets);

    hw::EniStats eni{};
    ASSERT_EQ(device.get_eni_stats(eni), 0);
    EXPECT_EQ(eni.pps_allowance_exceeded, port->device->stats().pps_allowance_exceeded);

    hw::EnaSrdInfo srd{};
    ASSERT_EQ(device.get_srd_info(srd), 0);
    EXPECT_EQ(srd.flags, 0u);  // ENA Express is off unless srd= says otherwise

    std::array<std::uint64_t, 6> metrics{};
    std::uint64_t reported = 0;
    ASSERT_EQ(device.get_customer_metrics(metrics, reported), 0);
    // Without a conntrack limit the device cannot say how much room is left: not reported.
    EXPECT_EQ(reported, hw::kCustomerMetricsMinimum);
    EXPECT_EQ(metrics[static_cast<unsigned>(hw::CustomerMetric::kConntrackAllowanceAvailable)], 0u);
    EXPECT_EQ(metrics[static_cast<unsigned>(hw::CustomerMetric::kBwInAllowanceExceeded)], 0u);
}

TEST(DeviceCommands, RssKeyAndTableRoundTripAndHashLikeToeplitz) {
    auto port = SimPort::create(with_sync("queues=4"));
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(port->configure_and_start(4, 4), 0);
    ng::Port& driver = *port->driver();
    ng::EnaDevice& device = driver.device();

    std::array<std::uint8_t, hw::kRssKeySize> key;
    std::iota(key.begin(), key.end(), std::uint8_t{0x11});
    ASSERT_EQ(device.set_rss_hash_function(hw::HashFunction::kToeplitz, key, 0), 0);
    std::array<std::uint8_t, hw::kRssKeySize> read_back{};
    hw::HashFunction function{};
    ASSERT_EQ(device.get_rss_hash_function(function, read_back), 0);
    EXPECT_EQ(function, hw::HashFunction::kToeplitz);
    EXPECT_EQ(read_back, key);

    const std::size_t entries = std::size_t{1} << device.features().rss_table_log_size;
    std::vector<std::uint16_t> table(entries);
    for (std::size_t i = 0; i < entries; ++i)
        table[i] = driver.rx_queue(static_cast<std::uint16_t>(i % 4))->io.cq_index;
    ASSERT_EQ(device.set_rss_indirection_table(table), 0);
    std::vector<std::uint16_t> table_back(entries);
    ASSERT_EQ(device.get_rss_indirection_table(table_back), 0);
    EXPECT_EQ(table_back, table);
    EXPECT_EQ(device.set_rss_indirection_table(std::span(table).first(entries / 2)), -EINVAL);

    // The device hashes an IPv4/TCP frame the way Toeplitz with our key (conventional order) does.
    std::vector<std::uint8_t> frame(64, 0);
    frame[12] = 0x08;
    frame[14] = 0x45;
    frame[16] = 0;
    frame[17] = 40;
    frame[22] = 64;
    frame[23] = 6;  // TCP
    const std::uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 0, 2};
    std::memcpy(&frame[26], src, 4);
    std::memcpy(&frame[30], dst, 4);
    frame[34] = 0x30;
    frame[35] = 0x39;  // 12345
    frame[36] = 0x00;
    frame[37] = 0x50;  // 80
    frame[46] = 0x50;
    rte_ipv4_tuple tuple{};
    tuple.src_addr = RTE_IPV4(198, 18, 0, 1);
    tuple.dst_addr = RTE_IPV4(198, 18, 0, 2);
    tuple.sport = 12345;
    tuple.dport = 80;
    const std::uint32_t expected =
        rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, key.data());
    EXPECT_EQ(port->device->rss_hash(frame), expected);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(DeviceCommands, FragmentBypassIsSetAtStartWhenAsked) {
    auto with = SimPort::create(with_sync("enable_frag_bypass=1"));
    auto without = SimPort::create(kSyncArgs);
    ASSERT_NE(with, nullptr);
    ASSERT_NE(without, nullptr);
    EXPECT_FALSE(with->device->frag_bypass());
    ASSERT_EQ(with->configure_and_start(), 0);
    ASSERT_EQ(without->configure_and_start(), 0);
    EXPECT_TRUE(with->device->frag_bypass());
    EXPECT_FALSE(without->device->frag_bypass());
    rte_eth_dev_stop(with->id);
    rte_eth_dev_stop(without->id);
}

TEST(DeviceCommands, ResetCarriesExtendedReasons) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    EXPECT_EQ(port->device->last_reset_reason(), static_cast<std::uint32_t>(hw::ResetReason::kNormal));
    ng::EnaDevice& device = port->driver()->device();
    ASSERT_NE(device.features().attributes.capabilities & hw::capability_bit(hw::Capability::kExtendedResetReasons), 0u);
    ASSERT_EQ(device.reset(hw::ResetReason::kRxDescriptorMalformed), 0);
    EXPECT_EQ(port->device->last_reset_reason(), 16u);
    ASSERT_EQ(device.reset(hw::ResetReason::kMissingTxCompletion), 0);
    EXPECT_EQ(port->device->last_reset_reason(), 3u);
    // The device forgot its admin queue: the application recovers the port with a reset.
    ASSERT_EQ(rte_eth_dev_reset(port->id), 0);
    ASSERT_EQ(port->configure_and_start(), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(DeviceCommands, UnansweredRegisterReadIsAnErrorWithOneLine) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    // Two reads go unanswered: the reset that tears the old state down, then the bring-up's.
    port->device->inject_fault(sim::Fault::kReadlessNoAnswer, 2);
    {
        LogCapture log;
        EXPECT_NE(rte_eth_dev_reset(port->id), 0);
        const std::string text = log.text();
        const std::string line = "readless read of register 0x58 timed out";
        const std::size_t first = text.find(line);
        ASSERT_NE(first, std::string::npos) << text;
        const std::size_t second = text.find(line, first + 1);
        ASSERT_NE(second, std::string::npos) << text;
        EXPECT_EQ(text.find(line, second + 1), std::string::npos) << text;
    }
    EXPECT_NE(port->configure(1, 1), 0);  // no device behind the port until a reset works
    ASSERT_EQ(rte_eth_dev_reset(port->id), 0);
    ASSERT_EQ(port->configure_and_start(), 0);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
}

TEST(DeviceCommands, KeepAliveUpdatesTheEventCounters) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ng::EnaDevice& device = port->driver()->device();
    const std::uint64_t before = device.event_counters().keep_alives;
    port->device->advance_time(3'000'000'000);
    device.process_events();
    const ng::EventCounters after = device.event_counters();
    EXPECT_EQ(after.keep_alives - before, 3u);
    EXPECT_EQ(after.last_keep_alive_ns, port->device->now_ns());
}

}  // namespace
}  // namespace ena::test
