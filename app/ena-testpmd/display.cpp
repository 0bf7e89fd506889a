// testpmd's views of a port: `show port info|summary|stats|xstats`, `clear port stats|xstats`,
// `show config rxtx|cores|txpkts`. The layout (headers, field names, widths, order) is that of
// the dpdk-testpmd of the DPDK release built against (22.11's, plus the lines later releases
// added), so that what users read and what their scripts parse stays the same.
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_lcore.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app.hpp"
#include "dpdk_compat.hpp"

namespace ena::testpmd {

namespace {

constexpr unsigned kRssNamesPerLine = 64;

struct RssTypeName {
    std::uint64_t bit;
    const char* name;
};

// The names testpmd gives each RSS hash type bit.
constexpr RssTypeName kRssTypeNames[] = {
    {RTE_ETH_RSS_IPV4, "ipv4"},
    {RTE_ETH_RSS_FRAG_IPV4, "ipv4-frag"},
    {RTE_ETH_RSS_NONFRAG_IPV4_TCP, "ipv4-tcp"},
    {RTE_ETH_RSS_NONFRAG_IPV4_UDP, "ipv4-udp"},
    {RTE_ETH_RSS_NONFRAG_IPV4_SCTP, "ipv4-sctp"},
    {RTE_ETH_RSS_NONFRAG_IPV4_OTHER, "ipv4-other"},
    {RTE_ETH_RSS_IPV6, "ipv6"},
    {RTE_ETH_RSS_FRAG_IPV6, "ipv6-frag"},
    {RTE_ETH_RSS_NONFRAG_IPV6_TCP, "ipv6-tcp"},
    {RTE_ETH_RSS_NONFRAG_IPV6_UDP, "ipv6-udp"},
    {RTE_ETH_RSS_NONFRAG_IPV6_SCTP, "ipv6-sctp"},
    {RTE_ETH_RSS_NONFRAG_IPV6_OTHER, "ipv6-other"},
    {RTE_ETH_RSS_L2_PAYLOAD, "l2-payload"},
    {RTE_ETH_RSS_IPV6_EX, "ipv6-ex"},
    {RTE_ETH_RSS_IPV6_TCP_EX, "ipv6-tcp-ex"},
    {RTE_ETH_RSS_IPV6_UDP_EX, "ipv6-udp-ex"},
    {RTE_ETH_RSS_PORT, "port"},
    {RTE_ETH_RSS_VXLAN, "vxlan"},
    {RTE_ETH_RSS_GENEVE, "geneve"},
    {RTE_ETH_RSS_NVGRE, "nvgre"},
    {RTE_ETH_RSS_GTPU, "gtpu"},
    {RTE_ETH_RSS_ETH, "eth"},
    {RTE_ETH_RSS_S_VLAN, "s-vlan"},
    {RTE_ETH_RSS_C_VLAN, "c-vlan"},
    {RTE_ETH_RSS_ESP, "esp"},
    {RTE_ETH_RSS_AH, "ah"},
    {RTE_ETH_RSS_L2TPV3, "l2tpv3"},
    {RTE_ETH_RSS_PFCP, "pfcp"},
    {RTE_ETH_RSS_PPPOE, "pppoe"},
    {RTE_ETH_RSS_ECPRI, "ecpri"},
    {RTE_ETH_RSS_MPLS, "mpls"},
    {RTE_ETH_RSS_IPV4_CHKSUM, "ipv4-chksum"},
    {RTE_ETH_RSS_L4_CHKSUM, "l4-chksum"},
    {RTE_ETH_RSS_L2TPV2, "l2tpv2"},
    {RTE_ETH_RSS_L3_PRE96, "l3-pre96"},
    {RTE_ETH_RSS_L3_PRE64, "l3-pre64"},
    {RTE_ETH_RSS_L3_PRE56, "l3-pre56"},
    {RTE_ETH_RSS_L3_PRE48, "l3-pre48"},
    {RTE_ETH_RSS_L3_PRE40, "l3-pre40"},
    {RTE_ETH_RSS_L3_PRE32, "l3-pre32"},
    {RTE_ETH_RSS_L2_DST_ONLY, "l2-dst-only"},
    {RTE_ETH_RSS_L2_SRC_ONLY, "l2-src-only"},
    {RTE_ETH_RSS_L4_DST_ONLY, "l4-dst-only"},
    {RTE_ETH_RSS_L4_SRC_ONLY, "l4-src-only"},
    {RTE_ETH_RSS_L3_DST_ONLY, "l3-dst-only"},
    {RTE_ETH_RSS_L3_SRC_ONLY, "l3-src-only"},
};

const char* rss_type_name(std::uint64_t bit) {
    for (const RssTypeName& t : kRssTypeNames)
        if (t.bit == bit)
            return t.name;
    return nullptr;
}

// Names two spaces apart, wrapped before a line would reach kRssNamesPerLine characters.
void show_rss_types(std::uint64_t types) {
    unsigned line = 0;
    for (unsigned i = 0; i < 64; ++i) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        if ((types & bit) == 0)
            continue;
        const char* name = rss_type_name(bit);
        const std::string text = name != nullptr ? name : "user-defined-" + std::to_string(i);
        const unsigned width = static_cast<unsigned>(text.size()) + 2;
        if (line + width >= kRssNamesPerLine) {
            line = 0;
            std::printf("\n");
        }
        std::printf("  %s", text.c_str());
        line += width;
    }
    std::printf("\n");
}

void show_capabilities(std::uint64_t capa) {
    for (unsigned i = 0; i < 64; ++i) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (capa & bit)
            std::printf(" %s", rte_eth_dev_capability_name(bit));
    }
}

const char* error_handle_mode_name(rte_eth_err_handle_mode mode) {
    switch (mode) {
    case RTE_ETH_ERROR_HANDLE_MODE_NONE: return "none";
    case RTE_ETH_ERROR_HANDLE_MODE_PASSIVE: return "passive";
    case RTE_ETH_ERROR_HANDLE_MODE_PROACTIVE: return "proactive";
    default: return "unknown";
    }
}

bool read_link(std::uint16_t port, rte_eth_link& link) {
    const int rc = rte_eth_link_get_nowait(port, &link);
    if (rc < 0) {
        std::fprintf(stderr, "Failed to get link status (port %u): %s\n", port, rte_strerror(-rc));
        return false;
    }
    return true;
}

bool read_info(std::uint16_t port, rte_eth_dev_info& info) {
    const int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) {
        std::fprintf(stderr, "Error during getting device (port %u) info: %s\n", port, rte_strerror(-rc));
        return false;
    }
    return true;
}

bool read_mac(std::uint16_t port, rte_ether_addr& mac) {
    const int rc = rte_eth_macaddr_get(port, &mac);
    if (rc != 0) {
        std::fprintf(stderr, "Error getting device (port %u) mac address: %s\n", port, rte_strerror(-rc));
        return false;
    }
    return true;
}

bool port_ok(std::uint16_t port) {
    if (port_id_invalid(port, true)) {
        print_valid_ports();
        return false;
    }
    return true;
}

std::uint64_t rate(std::uint64_t now, std::uint64_t before, std::uint64_t ns) {
    if (ns == 0 || now <= before)
        return 0;
    return static_cast<std::uint64_t>(static_cast<double>(now - before) / static_cast<double>(ns) * 1e9);
}

}  // namespace

void show_port_info(std::uint16_t port) {
    if (!port_ok(port))
        return;
    rte_eth_link link{};
    rte_eth_dev_info info{};
    if (!read_link(port, link) || !read_info(port, info))
        return;
    const PortState& state = app().ports[port];
    const char* border = "*********************";
    std::printf("\n%s Infos for port %-2u %s\n", border, port, border);
    rte_ether_addr mac{};
    if (read_mac(port, mac))
        std::printf("MAC address: %s", format_mac(mac).c_str());
    char name[RTE_ETH_NAME_MAX_LEN] = "";
    rte_eth_dev_get_name_by_port(port, name);
    std::printf("\nDevice name: %s", name);
    std::printf("\nDriver name: %s", info.driver_name);
    char firmware[256];
    if (rte_eth_dev_fw_version_get(port, firmware, sizeof(firmware)) == 0)
        std::printf("\nFirmware-version: %s", firmware);
    else
        std::printf("\nFirmware-version: %s", "not available");
    const rte_devargs* devargs = rte_dev_devargs(info.device);
    if (devargs != nullptr && devargs->args != nullptr)
        std::printf("\nDevargs: %s", devargs->args);
    std::printf("\nConnect to socket: %u", state.socket);
    std::printf("\nmemory allocation on the socket: %u", state.socket);
    std::printf("\nLink status: %s\n", link.link_status ? "up" : "down");
    std::printf("Link speed: %s\n", rte_eth_link_speed_to_str(link.link_speed));
    if (std::uint32_t lanes = 0; compat::speed_lanes_get(port, &lanes) == 0)
        std::printf("Active Lanes: %u\n", lanes);
    std::printf("Link duplex: %s\n", link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full-duplex" : "half-duplex");
    std::printf("Autoneg status: %s\n", link.link_autoneg == RTE_ETH_LINK_AUTONEG ? "On" : "Off");
    std::uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(port, &mtu) == 0)
        std::printf("MTU: %u\n", mtu);
    std::printf("Promiscuous mode: %s\n", rte_eth_promiscuous_get(port) == 1 ? "enabled" : "disabled");
    std::printf("Allmulticast mode: %s\n", rte_eth_allmulticast_get(port) == 1 ? "enabled" : "disabled");
    std::printf("Maximum number of MAC addresses: %u\n", info.max_mac_addrs);
    std::printf("Maximum number of MAC addresses of hash filtering: %u\n", info.max_hash_mac_addrs);

    const int vlan = rte_eth_dev_get_vlan_offload(port);
    if (vlan >= 0) {
        std::printf("VLAN offload: \n");
        std::printf("  strip %s, ", (vlan & RTE_ETH_VLAN_STRIP_OFFLOAD) ? "on" : "off");
        std::printf("filter %s, ", (vlan & RTE_ETH_VLAN_FILTER_OFFLOAD) ? "on" : "off");
        std::printf("extend %s, ", (vlan & RTE_ETH_VLAN_EXTEND_OFFLOAD) ? "on" : "off");
        std::printf("qinq strip %s\n", (vlan & RTE_ETH_QINQ_STRIP_OFFLOAD) ? "on" : "off");
    }
    if (info.hash_key_size > 0)
        std::printf("Hash key size in bytes: %u\n", info.hash_key_size);
    if (info.reta_size > 0)
        std::printf("Redirection table size: %u\n", info.reta_size);
    if (info.flow_type_rss_offloads == 0) {
        std::printf("No RSS offload flow type is supported.\n");
    } else {
        std::printf("Supported RSS offload flow types:\n");
        show_rss_types(info.flow_type_rss_offloads);
    }
    std::printf("Minimum size of RX buffer: %u\n", info.min_rx_bufsize);
    if (const std::uint32_t max = compat::max_rx_bufsize(info); max != 0)
        std::printf("Maximum size of RX buffer: %u\n", max);
    std::printf("Maximum configurable length of RX packet: %u\n", info.max_rx_pktlen);
    std::printf("Maximum configurable size of LRO aggregated packet: %u\n", info.max_lro_pkt_size);
    if (info.max_vfs)
        std::printf("Maximum number of VFs: %u\n", info.max_vfs);
    if (info.max_vmdq_pools)
        std::printf("Maximum number of VMDq pools: %u\n", info.max_vmdq_pools);
    std::printf("Current number of RX queues: %u\n", info.nb_rx_queues);
    std::printf("Max possible RX queues: %u\n", info.max_rx_queues);
    std::printf("Max possible number of RXDs per queue: %u\n", info.rx_desc_lim.nb_max);
    std::printf("Min possible number of RXDs per queue: %u\n", info.rx_desc_lim.nb_min);
    std::printf("RXDs number alignment: %u\n", info.rx_desc_lim.nb_align);
    std::printf("Current number of TX queues: %u\n", info.nb_tx_queues);
    std::printf("Max possible TX queues: %u\n", info.max_tx_queues);
    std::printf("Max possible number of TXDs per queue: %u\n", info.tx_desc_lim.nb_max);
    std::printf("Min possible number of TXDs per queue: %u\n", info.tx_desc_lim.nb_min);
    std::printf("TXDs number alignment: %u\n", info.tx_desc_lim.nb_align);
    std::printf("Max segment number per packet: %u\n", info.tx_desc_lim.nb_seg_max);
    std::printf("Max segment number per MTU/TSO: %u\n", info.tx_desc_lim.nb_mtu_seg_max);
    std::printf("Device capabilities: 0x%" PRIx64 "(", info.dev_capa);
    show_capabilities(info.dev_capa);
    std::printf(" )\n");
    if (info.switch_info.domain_id != RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID) {
        if (info.switch_info.name != nullptr)
            std::printf("Switch name: %s\n", info.switch_info.name);
        std::printf("Switch domain Id: %u\n", info.switch_info.domain_id);
        std::printf("Switch Port Id: %u\n", info.switch_info.port_id);
        if (info.dev_capa & RTE_ETH_DEV_CAPA_RXQ_SHARE)
            std::printf("Switch Rx domain: %u\n", info.switch_info.rx_domain);
    }
    std::printf("Device error handling mode: %s\n", error_handle_mode_name(info.err_handle_mode));
    if (compat::kTestpmdShowsPrivateInfo) {
        std::printf("Device private info:\n");
        const int rc = rte_eth_dev_priv_dump(port, stdout);
        if (rc == -ENOTSUP)
            std::printf("  none\n");
        else if (rc < 0)
            std::fprintf(stderr, "  cannot read the private info of port %u: %s\n", port, std::strerror(-rc));
    }
}

void show_port_summary_header() {
    std::printf("Number of available ports: %i\n", rte_eth_dev_count_avail());
    std::printf("%-4s %-17s %-12s %-14s %-8s %s\n", "Port", "MAC Address", "Name", "Driver", "Status", "Link");
}

void show_port_summary(std::uint16_t port) {
    if (!port_ok(port))
        return;
    rte_eth_link link{};
    rte_eth_dev_info info{};
    rte_ether_addr mac{};
    if (!read_link(port, link) || !read_info(port, info) || !read_mac(port, mac))
        return;
    char name[RTE_ETH_NAME_MAX_LEN] = "";
    rte_eth_dev_get_name_by_port(port, name);
    std::printf("%-4u %s %-12s %-14s %-8s %s\n", port, format_mac(mac).c_str(), name, info.driver_name,
                link.link_status ? "up" : "down", rte_eth_link_speed_to_str(link.link_speed));
}

void show_port_stats(std::uint16_t port) {
    if (!port_ok(port))
        return;
    rte_eth_stats stats{};
    const int rc = rte_eth_stats_get(port, &stats);
    if (rc != 0) {
        std::fprintf(stderr, "Failed to get the statistics of port %u: %d\n", port, rc);
        return;
    }
    const char* border = "########################";
    std::printf("\n  %s NIC statistics for port %-2u %s\n", border, port, border);
    std::printf("  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64 " RX-bytes:  %-" PRIu64 "\n", stats.ipackets,
                stats.imissed, stats.ibytes);
    std::printf("  RX-errors: %-" PRIu64 "\n", stats.ierrors);
    std::printf("  RX-nombuf:  %-10" PRIu64 "\n", stats.rx_nombuf);
    std::printf("  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64 " TX-bytes:  %-" PRIu64 "\n", stats.opackets,
                stats.oerrors, stats.obytes);

    PortState& state = app().ports[port];
    const std::uint64_t now = now_ns();
    const std::uint64_t elapsed = state.shown_ns != 0 ? now - state.shown_ns : 0;
    const std::uint64_t rx_pps = rate(stats.ipackets, state.shown_ipackets, elapsed);
    const std::uint64_t tx_pps = rate(stats.opackets, state.shown_opackets, elapsed);
    const std::uint64_t rx_bps = rate(stats.ibytes, state.shown_ibytes, elapsed) * 8;
    const std::uint64_t tx_bps = rate(stats.obytes, state.shown_obytes, elapsed) * 8;
    state.shown_ns = now;
    state.shown_ipackets = stats.ipackets;
    state.shown_opackets = stats.opackets;
    state.shown_ibytes = stats.ibytes;
    state.shown_obytes = stats.obytes;
    std::printf("\n  Throughput (since last show)\n");
    std::printf("  Rx-pps: %12" PRIu64 "          Rx-bps: %12" PRIu64 "\n", rx_pps, rx_bps);
    std::printf("  Tx-pps: %12" PRIu64 "          Tx-bps: %12" PRIu64 "\n", tx_pps, tx_bps);
    std::printf("  %s############################%s\n", border, border);
}

void show_port_xstats(std::uint16_t port) {
    if (!port_ok(port))
        return;
    std::printf("###### NIC extended statistics for port %-2u\n", port);
    const int count = rte_eth_xstats_get_names(port, nullptr, 0);
    if (count < 0) {
        std::fprintf(stderr, "Error: Cannot get count of xstats\n");
        return;
    }
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(count));
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(count));
    if (rte_eth_xstats_get_names(port, names.data(), count) != count) {
        std::fprintf(stderr, "Error: Cannot get xstats lookup\n");
        return;
    }
    if (rte_eth_xstats_get(port, values.data(), count) != count) {
        std::fprintf(stderr, "Error: Unable to get xstats\n");
        return;
    }
    for (int i = 0; i < count; ++i) {
        const std::uint64_t id = values[i].id;
        std::printf("%s: %" PRIu64 "\n", id < names.size() ? names[id].name : "?", values[i].value);
    }
}

void clear_port_stats(std::uint16_t port) {
    if (!port_ok(port))
        return;
    int rc = rte_eth_stats_reset(port);
    if (rc != 0) {
        std::fprintf(stderr, "Failed to reset the statistics of port %u: %s\n", port, rte_strerror(-rc));
        return;
    }
    rc = rte_eth_stats_get(port, &app().ports[port].fwd_base);
    if (rc != 0) {
        std::fprintf(stderr, "Failed to read the statistics of port %u: %s\n", port, rte_strerror(-rc));
        return;
    }
    std::printf("\n  NIC statistics for port %u cleared\n", port);
}

void clear_port_xstats(std::uint16_t port) {
    if (!port_ok(port))
        return;
    int rc = rte_eth_xstats_reset(port);
    if (rc != 0) {
        std::fprintf(stderr, "Failed to reset the extended statistics of port %u: %s\n", port, rte_strerror(-rc));
        return;
    }
    rc = rte_eth_stats_get(port, &app().ports[port].fwd_base);
    if (rc != 0)
        std::fprintf(stderr, "Failed to read the statistics of port %u: %s\n", port, rte_strerror(-rc));
}

void show_rxtx_config() {
    const Settings& set = app().settings;
    std::printf("  %s packet forwarding packets/burst=%u\n", fwd_mode_name(set.mode), set.burst);
    if (set.mode == FwdMode::kTxOnly) {
        unsigned length = 0;
        for (std::uint16_t seg : set.tx_segments)
            length += seg;
        std::printf("  packet len=%u - nb packet segments=%zu\n", length, set.tx_segments.size());
    }
    std::printf("  nb forwarding cores=%u - nb forwarding ports=%zu\n", set.nb_fwd_lcores, app().fwd_ports.size());
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        const PortState& state = app().ports[port];
        std::printf("  port %u: RX queue number: %u Tx queue number: %u\n", port, set.nb_rxq, set.nb_txq);
        std::printf("    Rx offloads=0x%" PRIx64 " Tx offloads=0x%" PRIx64 "\n", state.conf.rxmode.offloads,
                    state.conf.txmode.offloads);
        // The first queue of each kind only, as testpmd does, to stay short.
        rte_eth_rxq_info rxq{};
        if (rte_eth_rx_queue_info_get(port, 0, &rxq) != 0) {
            rxq.nb_desc = set.nb_rxd;
            rxq.conf = state.info.default_rxconf;
        }
        std::printf("    RX queue: 0\n");
        std::printf("      RX desc=%u - RX free threshold=%u\n", rxq.nb_desc, rxq.conf.rx_free_thresh);
        std::printf("      RX threshold registers: pthresh=%u hthresh=%u  wthresh=%u\n", rxq.conf.rx_thresh.pthresh,
                    rxq.conf.rx_thresh.hthresh, rxq.conf.rx_thresh.wthresh);
        std::printf("      RX Offloads=0x%" PRIx64 "\n", rxq.conf.offloads);
        rte_eth_txq_info txq{};
        if (rte_eth_tx_queue_info_get(port, 0, &txq) != 0) {
            txq.nb_desc = set.nb_txd;
            txq.conf = state.info.default_txconf;
        }
        std::printf("    TX queue: 0\n");
        std::printf("      TX desc=%u - TX free threshold=%u\n", txq.nb_desc, txq.conf.tx_free_thresh);
        std::printf("      TX threshold registers: pthresh=%u hthresh=%u  wthresh=%u\n", txq.conf.tx_thresh.pthresh,
                    txq.conf.tx_thresh.hthresh, txq.conf.tx_thresh.wthresh);
        std::printf("      TX offloads=0x%" PRIx64 " - TX RS bit threshold=%u\n", txq.conf.offloads,
                    txq.conf.tx_rs_thresh);
    }
}

void show_fwd_lcores() {
    std::printf("List of forwarding lcores:");
    for (unsigned lcore : app().fwd_lcore_ids)
        std::printf(" %2u", lcore);
    std::printf("\n");
}

void show_tx_segments() {
    const auto& segs = app().settings.tx_segments;
    std::printf("Number of segments: %zu\n", segs.size());
    std::printf("Segment sizes: ");
    for (std::size_t i = 0; i < segs.size(); ++i)
        std::printf(i + 1 < segs.size() ? "%u," : "%u\n", segs[i]);
    std::printf("Split packet: off\n");
}

std::string format_mac(const rte_ether_addr& mac) {
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(text, sizeof(text), &mac);
    return text;
}

}  // namespace ena::testpmd
