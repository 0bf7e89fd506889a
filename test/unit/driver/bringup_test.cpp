// Bring-up: what a port looks like right after probe, and what the device learned about us.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <cstdio>
#include <cstring>

#include "control/ena_device.hpp"
#include "hw/ena_hw.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

std::string with_sync(const std::string& args) { return std::string(kSyncArgs) + "," + args; }

TEST(BringUp, PortShowsMacAndQueueCountFromDevargs) {
    auto port = SimPort::create(with_sync("mac=02:11:22:33:44:55,queues=4"));
    ASSERT_NE(port, nullptr);
    rte_ether_addr mac{};
    ASSERT_EQ(rte_eth_macaddr_get(port->id, &mac), 0);
    const rte_ether_addr expected{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
    EXPECT_TRUE(rte_is_same_ether_addr(&mac, &expected));

    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(port->id, &info), 0);
    EXPECT_EQ(info.max_rx_queues, 4);
    EXPECT_EQ(info.max_tx_queues, 4);
    EXPECT_STREQ(info.driver_name, "net_ena_sim");
    EXPECT_EQ(info.min_mtu, 128);
    EXPECT_EQ(info.max_mtu, port->device->config().max_mtu);
    EXPECT_EQ(info.rx_desc_lim.nb_min, 128);
    EXPECT_EQ(info.reta_size, 1u << port->device->config().rss_table_log_size);
    EXPECT_EQ(info.hash_key_size, 40);
    EXPECT_NE(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER, 0u);
    EXPECT_NE(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS, 0u);

    rte_eth_link link{};
    ASSERT_EQ(rte_eth_link_get_nowait(port->id, &link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
}

TEST(BringUp, FirmwareVersionNamesDeviceAndController) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    char version[64] = {};
    ASSERT_EQ(rte_eth_dev_fw_version_get(port->id, version, sizeof(version)), 0);
    unsigned v[6] = {};
    int consumed = 0;
    EXPECT_EQ(std::sscanf(version, "dev %u.%u ctrl %u.%u.%u impl %u%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                          &consumed),
              6)
        << version;
    EXPECT_EQ(static_cast<std::size_t>(consumed), std::strlen(version)) << version;
    // Too small a buffer: ethdev's contract is to return the size needed.
    char tiny[4];
    EXPECT_EQ(rte_eth_dev_fw_version_get(port->id, tiny, sizeof(tiny)), static_cast<int>(std::strlen(version) + 1));
}

TEST(BringUp, DeviceReceivedHostInfo) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    const auto info = port->device->host_info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->os_type, static_cast<std::uint32_t>(hw::OsType::kDpdk));
    EXPECT_EQ(hw::host_driver_version::Major::get(info->driver_version), ena::ng::kDriverVersionMajor);
    EXPECT_EQ(hw::host_driver_version::Minor::get(info->driver_version), ena::ng::kDriverVersionMinor);
    EXPECT_EQ(hw::host_driver_version::SubMinor::get(info->driver_version), ena::ng::kDriverVersionSubMinor);
    EXPECT_EQ(info->num_cpus, rte_lcore_count());
    EXPECT_EQ(info->ena_spec_version, (hw::kSpecVersionMajor << 8) | hw::kSpecVersionMinor);
    EXPECT_NE(hw::host_features::RssConfigurableFunctionKey::get(info->driver_supported_features), 0u);
    EXPECT_EQ(hw::host_features::RxOffset::get(info->driver_supported_features), 0u);
    EXPECT_NE(std::string(reinterpret_cast<const char*>(info->os_dist_str)).find("DPDK"), std::string::npos);
}

TEST(BringUp, DriverEnablesTheEventGroupsItHandles) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    const std::uint32_t groups = port->device->enabled_aenq_groups();
    EXPECT_NE(groups & hw::aenq_group_bit(hw::AenqGroup::kLinkChange), 0u);
    EXPECT_NE(groups & hw::aenq_group_bit(hw::AenqGroup::kKeepAlive), 0u);
    EXPECT_NE(groups & hw::aenq_group_bit(hw::AenqGroup::kFatalError), 0u);
    EXPECT_NE(groups & hw::aenq_group_bit(hw::AenqGroup::kConfNotifications), 0u);
}

TEST(BringUp, SecondPortGetsItsOwnDefaultMac) {
    auto a = SimPort::create(kSyncArgs);
    auto b = SimPort::create(kSyncArgs);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    rte_ether_addr mac_a{}, mac_b{};
    rte_eth_macaddr_get(a->id, &mac_a);
    rte_eth_macaddr_get(b->id, &mac_b);
    EXPECT_FALSE(rte_is_same_ether_addr(&mac_a, &mac_b));
    EXPECT_TRUE(rte_is_valid_assigned_ether_addr(&mac_a));
}

TEST(BringUp, PromiscuousIsReportedAsUnsupported) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    EXPECT_EQ(rte_eth_promiscuous_enable(port->id), -ENOTSUP);
    EXPECT_EQ(rte_eth_promiscuous_get(port->id), 0);
    // No multicast filter exists: all-multicast is simply in effect.
    EXPECT_EQ(rte_eth_allmulticast_get(port->id), 1);
    EXPECT_EQ(rte_eth_allmulticast_enable(port->id), 0);
}

TEST(BringUp, SupportedPtypesListL3AndL4) {
    auto port = SimPort::create(kSyncArgs);
    ASSERT_NE(port, nullptr);
    std::uint32_t ptypes[16];
    const int n = rte_eth_dev_get_supported_ptypes(port->id, RTE_PTYPE_ALL_MASK, ptypes, 16);
    ASSERT_GT(n, 0);
    bool ipv4 = false, tcp = false;
    for (int i = 0; i < n; ++i) {
        ipv4 = ipv4 || ptypes[i] == RTE_PTYPE_L3_IPV4;
        tcp = tcp || ptypes[i] == RTE_PTYPE_L4_TCP;
    }
    EXPECT_TRUE(ipv4);
    EXPECT_TRUE(tcp);
}

TEST(BringUp, ThreadedEnginePortComesUpToo) {
    auto port = SimPort::create("engine=threaded,queues=2");
    ASSERT_NE(port, nullptr);
    EXPECT_EQ(port->configure_and_start(2, 2), 0);
    EXPECT_EQ(rte_eth_dev_stop(port->id), 0);
}

}  // namespace
}  // namespace ena::test
