// The PCI path of net_ena_ng, which EC2 users run: probe through its rte_pci_driver on a fake
// PCI function backed by the simulated device (fake_pci.hpp), then queues, traffic, xstats,
// stop, close and remove -- matching the vdev path -- and what the port says about
// write-combining for each kernel driver, without BAR2, with LLQ off, with each readless
// variant, with a config space that cannot be read and with a bad devarg.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "fake_pci.hpp"
#include "frames.hpp"
#include "pci_bar_mapping.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using ng::bar_mapping_from_maps;
using ng::bar_mapping_from_pat;
using ng::LlqMapping;

constexpr const char* kWcPhrase = "Tx uses LLQ";  // how every write-combining line starts

unsigned count_of(const std::string& text, const std::string& phrase) {
    unsigned n = 0;
    for (std::size_t at = text.find(phrase); at != std::string::npos; at = text.find(phrase, at + 1))
        ++n;
    return n;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& phrase) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (line.find(phrase) != std::string::npos)
            out.push_back(line);
        start = end + 1;
    }
    return out;
}

int configure_and_start(std::uint16_t port, std::uint16_t queues = 2) {
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(port, queues, queues, &conf);
    for (std::uint16_t q = 0; rc == 0 && q < queues; ++q)
        rc = rte_eth_rx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr, test_pool());
    for (std::uint16_t q = 0; rc == 0 && q < queues; ++q)
        rc = rte_eth_tx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr);
    return rc == 0 ? rte_eth_dev_start(port) : rc;
}

// Sends `count` frames on queue 0 and collects what the loopback brings back (the engine is a
// thread: wait up to a second).
unsigned round_trip(std::uint16_t port, unsigned count) {
    std::vector<rte_mbuf*> burst;
    for (unsigned i = 0; i < count; ++i) {
        FrameSpec spec;
        spec.size = 128;
        spec.src_port = static_cast<std::uint16_t>(5000 + i);
        burst.push_back(make_chain(test_pool(), make_frame(spec), 1));
    }
    const std::uint16_t sent = rte_eth_tx_burst(port, 0, burst.data(), static_cast<std::uint16_t>(burst.size()));
    for (unsigned i = sent; i < burst.size(); ++i)
        rte_pktmbuf_free(burst[i]);
    unsigned received = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (received < sent && std::chrono::steady_clock::now() < deadline) {
        rte_mbuf* got[32];
        const std::uint16_t n = rte_eth_rx_burst(port, 0, got, 32);
        received += n;
        rte_pktmbuf_free_bulk(got, n);
    }
    return received;
}

std::vector<std::string> xstat_names(std::uint16_t port) {
    const int n = rte_eth_xstats_get_names(port, nullptr, 0);
    std::vector<rte_eth_xstat_name> names(n > 0 ? n : 0);
    rte_eth_xstats_get_names(port, names.data(), names.size());
    std::vector<std::string> out;
    for (const auto& name : names)
        out.emplace_back(name.name);
    return out;
}

std::string tx_burst_mode(std::uint16_t port) {
    rte_eth_burst_mode mode{};
    rte_eth_tx_burst_mode_get(port, 0, &mode);
    return mode.info;
}

struct Footprint {
    rte_mempool* pool = test_pool();  // made once, before anything is measured
    unsigned memzones = memzone_count();
    std::uint64_t heap = heap_allocated_bytes();
    std::uint16_t ports = rte_eth_dev_count_avail();
};

TEST(PciProbe, TheDriverRegistersWithThePciBusForEveryEnaId) {
    rte_pci_driver* driver = ena_ng_pci_driver();
    ASSERT_NE(driver, nullptr) << "net_ena_ng never called rte_pci_register";
    EXPECT_NE(driver->drv_flags & RTE_PCI_DRV_NEED_MAPPING, 0u);
    EXPECT_NE(driver->drv_flags & RTE_PCI_DRV_WC_ACTIVATE, 0u);
    bool vf = false;
    for (const rte_pci_id* id = driver->id_table; id->vendor_id != 0; ++id)
        vf = vf || (id->vendor_id == 0x1d0f && id->device_id == 0xec20);
    EXPECT_TRUE(vf);
}

// Probe, queues, traffic, xstats, stop, close and remove, as on EC2; the same port as the vdev
// path gives for the same device.
TEST(PciProbe, ThePortWorksLikeTheVdevPortAndRemoveLeavesNothingBehind) {
    // The vdev path on the same simulated device (defaults, threaded engine), made first: the
    // first port of the process also makes ethdev's shared data, which stays.
    auto vdev = SimPort::create("wire=loopback");
    ASSERT_NE(vdev, nullptr);
    ASSERT_EQ(configure_and_start(vdev->id), 0);

    const Footprint before;
    std::vector<std::string> pci_names;
    rte_eth_dev_info pci_info{};
    std::string pci_mode;
    {
        FakePciFunction function({});
        LogCapture log;
        ASSERT_EQ(function.probe(), 0) << log.text();
        const std::uint16_t port = function.port_id();
        ASSERT_LT(port, RTE_MAX_ETHPORTS);
        ASSERT_EQ(configure_and_start(port), 0) << log.text();
        EXPECT_EQ(round_trip(port, 64), 64u);
        rte_eth_stats stats{};
        ASSERT_EQ(rte_eth_stats_get(port, &stats), 0);
        EXPECT_EQ(stats.opackets, 64u);
        EXPECT_EQ(stats.ipackets, 64u);
        pci_names = xstat_names(port);
        ASSERT_EQ(rte_eth_dev_info_get(port, &pci_info), 0);
        // The PCI bus's part of the port (rte_eth_copy_pci_info): link-change interrupts offered.
        EXPECT_NE(*pci_info.dev_flags & RTE_ETH_DEV_INTR_LSC, 0u);
        pci_mode = tx_burst_mode(port);
        rte_eth_link link{};
        ASSERT_EQ(rte_eth_link_get_nowait(port, &link), 0);
        EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
        ASSERT_EQ(rte_eth_dev_stop(port), 0);
        ASSERT_EQ(rte_eth_dev_close(port), 0);
        EXPECT_EQ(function.remove(), 0);  // the port is closed already: remove still cleans up
    }
    const Footprint after;
    EXPECT_EQ(after.memzones, before.memzones);
    EXPECT_EQ(after.heap, before.heap);
    EXPECT_EQ(after.ports, before.ports);

    EXPECT_EQ(xstat_names(vdev->id), pci_names);
    rte_eth_dev_info vdev_info{};
    ASSERT_EQ(rte_eth_dev_info_get(vdev->id, &vdev_info), 0);
    EXPECT_EQ(pci_info.rx_offload_capa, vdev_info.rx_offload_capa);
    EXPECT_EQ(pci_info.tx_offload_capa, vdev_info.tx_offload_capa);
    EXPECT_EQ(pci_info.max_rx_queues, vdev_info.max_rx_queues);
    EXPECT_EQ(pci_info.reta_size, vdev_info.reta_size);
    EXPECT_EQ(pci_info.flow_type_rss_offloads, vdev_info.flow_type_rss_offloads);
    EXPECT_EQ(pci_mode, tx_burst_mode(vdev->id));
}

TEST(PciProbe, RemoveOfAStartedPortStopsAndReleasesIt) {
    const Footprint before;
    {
        FakePciFunction function({});
        ASSERT_EQ(function.probe(), 0);
        ASSERT_EQ(configure_and_start(function.port_id()), 0);
        EXPECT_EQ(round_trip(function.port_id(), 8), 8u);
        EXPECT_EQ(function.remove(), 0);
        EXPECT_GE(function.port_id(), RTE_MAX_ETHPORTS);
    }
    const Footprint after;
    EXPECT_EQ(after.memzones, before.memzones);
    EXPECT_EQ(after.heap, before.heap);
}

// --- write-combining ------------------------------------------------------------------------

struct WcCase {
    const char* label;
    rte_pci_kernel_driver kdrv;
    Bar2File file;
    const char* expect;  // the line the first start says, or "" for none
    const char* advice;  // part of it
};

class PciWriteCombining : public testing::TestWithParam<WcCase> {};

TEST_P(PciWriteCombining, TheFirstStartSaysOnceHowBar2IsReallyMapped) {
    const WcCase& c = GetParam();
    FakePciOptions options;
    options.kdrv = c.kdrv;
    options.bar2_file = c.file;
    FakePciFunction function(options);
    LogCapture log;
    ASSERT_EQ(function.probe(), 0) << log.text();
    EXPECT_EQ(count_of(log.text(), kWcPhrase), 0u) << "said at probe, before the placement is known:\n" << log.text();
    ASSERT_EQ(configure_and_start(function.port_id()), 0);
    const std::string first = log.text();
    const auto said = lines_with(first, kWcPhrase);
    ASSERT_EQ(said.size(), 1u) << first;
    EXPECT_NE(said[0].find(c.expect), std::string::npos) << said[0];
    EXPECT_NE(said[0].find(c.advice), std::string::npos) << said[0];
    EXPECT_NE(said[0].find("Tx uses LLQ (256-byte entries)"), std::string::npos) << said[0];
    // Once: not again at the next start.
    ASSERT_EQ(rte_eth_dev_stop(function.port_id()), 0);
    ASSERT_EQ(rte_eth_dev_start(function.port_id()), 0);
    EXPECT_EQ(lines_with(log.text(), kWcPhrase).size(), 1u) << log.text();
    EXPECT_EQ(round_trip(function.port_id(), 16), 16u);
}

INSTANTIATE_TEST_SUITE_P(
    KernelDrivers, PciWriteCombining,
    testing::Values(
        WcCase{"igb_uio_wc", RTE_PCI_KDRV_IGB_UIO, Bar2File::kResourceWc, "mapped write-combined: EAL mapped", "(igb_uio)"},
        WcCase{"igb_uio_uncached", RTE_PCI_KDRV_IGB_UIO, Bar2File::kResource, "BAR2 is mapped uncached",
               "bound to igb_uio, EAL mapped /tmp/"},
        WcCase{"igb_uio_uncached_fix", RTE_PCI_KDRV_IGB_UIO, Bar2File::kResource, "not resource2_wc",
               "reload igb_uio with wc_activate=1"},
        WcCase{"uio_pci_generic_wc", RTE_PCI_KDRV_UIO_GENERIC, Bar2File::kResourceWc, "mapped write-combined",
               "(uio_pci_generic)"},
        WcCase{"uio_pci_generic_uncached", RTE_PCI_KDRV_UIO_GENERIC, Bar2File::kResource, "BAR2 is mapped uncached",
               "bound to uio_pci_generic"},
        WcCase{"vfio_unverifiable", RTE_PCI_KDRV_VFIO, Bar2File::kNone,
               "whether BAR2 is mapped write-combined cannot be seen here", "bound to vfio-pci"},
        WcCase{"vfio_advice", RTE_PCI_KDRV_VFIO, Bar2File::kNone, "get-vfio-with-wc.sh", "mount debugfs"},
        WcCase{"unknown_kernel_driver", RTE_PCI_KDRV_UNKNOWN, Bar2File::kNone, "cannot be seen here",
               "bind igb_uio loaded with wc_activate=1 or a write-combining vfio-pci"}),
    [](const testing::TestParamInfo<WcCase>& info) { return std::string(info.param.label); });

TEST(PciWriteCombining, NothingIsSaidWhenLlqIsOff) {
    FakePciOptions options;
    options.kdrv = RTE_PCI_KDRV_IGB_UIO;
    options.bar2_file = Bar2File::kResource;  // uncached: a warning if LLQ were used
    options.devargs = "llq_policy=0";
    FakePciFunction function(options);
    LogCapture log;
    ASSERT_EQ(function.probe(), 0) << log.text();
    ASSERT_EQ(configure_and_start(function.port_id()), 0);
    EXPECT_NE(tx_burst_mode(function.port_id()).find("host memory"), std::string::npos);
    EXPECT_EQ(count_of(log.text(), kWcPhrase), 0u) << log.text();
    EXPECT_EQ(count_of(log.text(), "write-combin"), 0u) << log.text();
    EXPECT_EQ(count_of(log.text(), "wc_activate"), 0u) << log.text();
    EXPECT_EQ(round_trip(function.port_id(), 16), 16u);
}

TEST(PciWriteCombining, WithoutBar2OneLineSaysTxFallsBackToHostMemory) {
    FakePciOptions options;
    options.bar2 = false;
    FakePciFunction function(options);
    LogCapture log;
    ASSERT_EQ(function.probe(), 0) << log.text();
    ASSERT_EQ(configure_and_start(function.port_id()), 0);
    const std::string text = log.text();
    const auto fallback = lines_with(text, "Tx falls back to host memory");
    ASSERT_EQ(fallback.size(), 1u) << text;
    EXPECT_NE(fallback[0].find("LLQ memory BAR is not mapped"), std::string::npos) << fallback[0];
    EXPECT_EQ(lines_with(text, "BAR").size(), 1u) << text;
    EXPECT_EQ(count_of(text, kWcPhrase), 0u) << text;
    EXPECT_NE(tx_burst_mode(function.port_id()).find("host memory"), std::string::npos);
    EXPECT_EQ(round_trip(function.port_id(), 16), 16u);
}

// --- readless and config space --------------------------------------------------------------

struct ReadlessCase {
    const char* label;
    std::uint8_t revision;
    std::uint32_t class_id;
    bool device_readless;
};

class PciReadless : public testing::TestWithParam<ReadlessCase> {};

// The device's own register reads work either way; a device without readless support must be
// read directly, which bit 0 of the revision (Linux) or of the class code (DPDK) says.
TEST_P(PciReadless, ProbeReadsTheBitsAndComesUpQuickly) {
    const ReadlessCase& c = GetParam();
    FakePciOptions options;
    options.revision = c.revision;
    options.class_id = c.class_id;
    options.device.readless_mmio = c.device_readless;
    FakePciFunction function(options);
    LogCapture log;
    ASSERT_EQ(function.probe(), 0) << log.text();
    // A read that waits out its timeout logs one "timed out" line (RegisterAccess::read). The
    // log, not the wall clock, says so: a loaded machine or ThreadSanitizer takes the probe past
    // any bound short enough to catch one 200 ms timeout.
    EXPECT_EQ(count_of(log.text(), "timed out"), 0u) << log.text();
    ASSERT_EQ(configure_and_start(function.port_id()), 0);
    EXPECT_EQ(round_trip(function.port_id(), 8), 8u);
}

INSTANTIATE_TEST_SUITE_P(Variants, PciReadless,
                         testing::Values(ReadlessCase{"readless_device", 0x00, 0x020000, true},
                                         ReadlessCase{"revision_says_no_readless", 0x01, 0x020000, false},
                                         ReadlessCase{"class_says_no_readless", 0x00, 0x020001, false},
                                         ReadlessCase{"no_readless_on_a_readless_device", 0x01, 0x020000, true}),
                         [](const testing::TestParamInfo<ReadlessCase>& info) { return std::string(info.param.label); });

TEST(PciProbe, AConfigSpaceThatCannotBeReadFailsTheProbeWithOneLineAndLeavesNothing) {
    const Footprint before;
    {
        FakePciOptions options;
        options.config_readable = false;
        FakePciFunction function(options);
        LogCapture log;
        const auto start = std::chrono::steady_clock::now();
        EXPECT_LT(function.probe(), 0);
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
        const auto said = lines_with(log.text(), "config space");
        ASSERT_EQ(said.size(), 1u) << log.text();
        EXPECT_NE(said[0].find("readless"), std::string::npos) << said[0];
        EXPECT_NE(said[0].find("vfio-pci"), std::string::npos) << said[0];
        EXPECT_GE(function.port_id(), RTE_MAX_ETHPORTS);
    }
    const Footprint after;
    EXPECT_EQ(after.memzones, before.memzones);
    EXPECT_EQ(after.heap, before.heap);
    EXPECT_EQ(after.ports, before.ports);
}

TEST(PciProbe, ABadDevargFailsTheProbeNamingTheKeyAndLeavesNothing) {
    const Footprint before;
    {
        FakePciOptions options;
        options.devargs = "llq_policy=7";
        FakePciFunction function(options);
        LogCapture log;
        EXPECT_LT(function.probe(), 0);
        EXPECT_NE(log.text().find("llq_policy"), std::string::npos) << log.text();
        EXPECT_GE(function.port_id(), RTE_MAX_ETHPORTS);
    }
    const Footprint after;
    EXPECT_EQ(after.memzones, before.memzones);
    EXPECT_EQ(after.heap, before.heap);
    EXPECT_EQ(after.ports, before.ports);
}

// --- the evidence, from the kernel's own texts ----------------------------------------------

TEST(BarMapping, ProcMapsNamesTheSysfsFileEalMapped) {
    const std::string maps =
        "7f0000000000-7f0000010000 rw-s 00000000 00:15 1234 /sys/devices/pci0000:00/0000:00:06.0/resource2_wc\n"
        "7f0000010000-7f0000014000 rw-s 00000000 00:15 1235 /sys/devices/pci0000:00/0000:00:06.0/resource0\n"
        "7f0000020000-7f0000030000 rw-s 00000000 00:15 1236 /sys/devices/pci0000:00/0000:00:07.0/resource2\n"
        "7f0000040000-7f0000050000 rw-s 00000000 00:0e 99   anon_inode:[vfio-device]\n"
        "7f0000060000-7f0000070000 rw-p 00000000 00:00 0 \n";
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000000100, 2).mapping, LlqMapping::kWriteCombined);
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000020000, 2).mapping, LlqMapping::kUncached);
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000040000, 2).mapping, LlqMapping::kUnknown);
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000060000, 2).mapping, LlqMapping::kUnknown);
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000080000, 2).mapping, LlqMapping::kUnknown);
    // resource0 is not BAR2's file.
    EXPECT_EQ(bar_mapping_from_maps(maps, 0x7f0000010000, 2).mapping, LlqMapping::kUnknown);
    EXPECT_NE(bar_mapping_from_maps(maps, 0x7f0000020000, 2).evidence.find("0000:00:07.0/resource2"), std::string::npos);
}

TEST(BarMapping, PatMemtypeListGivesTheKernelsCacheType) {
    const std::string pat =
        "PAT memtype list:\n"
        "PAT: [mem 0x00000000fe800000-0x00000000fe804000] uncached-minus\n"
        "PAT: [mem 0x00000000fe900000-0x00000000fe910000] write-combining\n"
        "PAT: [mem 0x00000000fea00000-0x00000000fea10000] uncached-minus\n"
        "PAT: [mem 0x00000000fea00000-0x00000000fea10000] uncached-minus\n";
    EXPECT_EQ(bar_mapping_from_pat(pat, 0xfe900000, 0x10000).mapping, LlqMapping::kWriteCombined);  // patched vfio-pci
    EXPECT_EQ(bar_mapping_from_pat(pat, 0xfea00000, 0x10000).mapping, LlqMapping::kUncached);       // stock vfio-pci
    EXPECT_EQ(bar_mapping_from_pat(pat, 0xfeb00000, 0x10000).mapping, LlqMapping::kUnknown);
    EXPECT_EQ(bar_mapping_from_pat(pat, 0xfe804000, 0x1000).mapping, LlqMapping::kUnknown);  // ends are exclusive
    EXPECT_EQ(bar_mapping_from_pat("", 0xfe900000, 0x10000).mapping, LlqMapping::kUnknown);
}

}  // namespace
}  // namespace ena::test
