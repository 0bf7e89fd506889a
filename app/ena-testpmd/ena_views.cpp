// ENA's own views, not testpmd's:
//   show port allowance <port>  the ENI allowance counters (read by xstat name) as totals and
//                               per-second rates since the previous call (or since the port
//                               started), and which limit is hit with what the EC2 ENA user
//                               guide recommends for it;
//   show port llq <port>        Tx placement, LLQ entry size and header room, ring sizes and
//                               limits, from public ethdev APIs.
#include <rte_ethdev.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"

namespace ena::testpmd {

namespace {

struct Allowance {
    const char* name;
    bool gauge;            // a level (room left), not a count of packets
    const char* limit;     // the limit it reports, for the diagnosis
    const char* guidance;  // the user guide's advice when it moves
};

// The ENI allowance metrics of the EC2 ENA user guide ("Metrics for the ENA driver"), in the
// order the guide lists them for `ethtool -S`.
constexpr Allowance kAllowances[] = {
    {"bw_in_allowance_exceeded", false, "inbound bandwidth",
     "the instance's aggregate inbound bandwidth maximum is reached: pace bursts (micro-bursts exceed "
     "the allowance even when the average does not), or move to an instance size with more bandwidth"},
    {"bw_out_allowance_exceeded", false, "outbound bandwidth",
     "the instance's aggregate outbound bandwidth maximum is reached: pace Tx bursts (e.g. with a "
     "scheduler such as Linux Traffic Control), or move to an instance size with more bandwidth"},
    {"pps_allowance_exceeded", false, "packets per second",
     "the instance's bidirectional PPS maximum is reached: use larger packets, spread the load over "
     "more flows (100 or more on 100 Gbps instances), use untracked connections; egress fragments "
     "are limited to 1024 PPS unless fragment proxy mode is enabled"},
    {"conntrack_allowance_exceeded", false, "connections tracked",
     "the security group connection-tracking maximum is reached and new connections are dropped: "
     "use untracked connections, shorten idle connection-tracking timeouts, or move to a larger "
     "instance size"},
    {"linklocal_allowance_exceeded", false, "link-local services PPS",
     "the per-ENI PPS maximum to the Amazon DNS service, the Instance Metadata Service and the Amazon "
     "Time Sync Service is reached: send fewer requests to them (cache answers; custom DNS resolvers "
     "are not subject to this limit)"},
    {"conntrack_allowance_available", true, "connections tracked",
     "no room is left for new tracked connections: the connection-tracking maximum is about to drop "
     "new connections"},
};
constexpr std::size_t kAllowanceCount = std::size(kAllowances);

struct Sample {
    std::vector<std::uint64_t> values = std::vector<std::uint64_t>(kAllowanceCount, 0);
    std::vector<bool> present = std::vector<bool>(kAllowanceCount, false);
};

// Reads the allowance xstats by name; names the device does not report stay absent.
bool read_allowances(std::uint16_t port, Sample& out) {
    const int count = rte_eth_xstats_get_names(port, nullptr, 0);
    if (count < 0)
        return false;
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(count));
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(count));
    if (count > 0 && (rte_eth_xstats_get_names(port, names.data(), count) != count ||
                      rte_eth_xstats_get(port, values.data(), count) != count))
        return false;
    for (const rte_eth_xstat& x : values) {
        if (x.id >= names.size())
            continue;
        for (std::size_t a = 0; a < kAllowanceCount; ++a) {
            if (std::strcmp(names[x.id].name, kAllowances[a].name) == 0) {
                out.values[a] = x.value;
                out.present[a] = true;
            }
        }
    }
    return true;
}

double per_second(std::uint64_t now, std::uint64_t before, std::uint64_t ns) {
    if (ns == 0)
        return 0;
    return (static_cast<double>(now) - static_cast<double>(before)) * 1e9 / static_cast<double>(ns);
}

// The burst budget (bytes of LLQ entries between doorbells), if the burst-mode text states it:
// "... burst 2048B ..." or "... burst budget 2048 ...".
std::string burst_budget(std::string_view mode) {
    const std::size_t at = mode.find("burst");
    if (at == std::string_view::npos)
        return "unknown";
    std::size_t i = at + 5;
    while (i < mode.size() && (mode[i] == ' ' || mode[i] == ':' || mode[i] == '='))
        ++i;
    if (mode.substr(i, 6) == "budget") {
        i += 6;
        while (i < mode.size() && (mode[i] == ' ' || mode[i] == ':' || mode[i] == '='))
            ++i;
    }
    std::size_t end = i;
    while (end < mode.size() && mode[end] >= '0' && mode[end] <= '9')
        ++end;
    if (end == i)
        return "unknown";
    return std::string(mode.substr(i, end - i)) + " bytes of LLQ entries per doorbell";
}

struct Placement {
    bool llq = false;
    unsigned entry_size = 0, header_room = 0;
    bool accelerated = false;
    bool known = false;
};

// Our driver's Tx burst mode text: "LLQ 128B (96B header), accelerated" or "host memory".
Placement parse_placement(std::string_view mode) {
    Placement p;
    if (mode.rfind("LLQ", 0) == 0) {
        p.llq = p.known = true;
        p.entry_size = static_cast<unsigned>(std::strtoul(std::string(mode.substr(3)).c_str(), nullptr, 10));
        const std::size_t open = mode.find('(');
        if (open != std::string_view::npos)
            p.header_room = static_cast<unsigned>(std::strtoul(std::string(mode.substr(open + 1)).c_str(), nullptr, 10));
        p.accelerated = mode.find("accelerated") != std::string_view::npos;
    } else if (mode.rfind("host memory", 0) == 0) {
        p.known = true;
    }
    return p;
}

bool valid_port(std::uint16_t port) {
    if (port == kAllPorts || port_id_invalid(port, true)) {
        if (port == kAllPorts)
            std::fprintf(stderr, "Invalid port %u\n", port);
        print_valid_ports();
        return false;
    }
    return true;
}

}  // namespace

void sample_allowances(std::uint16_t port) {
    Sample s;
    PortState& st = app().ports[port];
    if (!read_allowances(port, s))
        return;
    st.allowance_values = s.values;
    st.allowance_present = s.present;
    st.allowance_ns = now_ns();
    st.allowance_sampled_at_start = true;
}

void show_port_allowance(std::uint16_t port) {
    if (!valid_port(port))
        return;
    Sample now;
    if (!read_allowances(port, now)) {
        std::fprintf(stderr, "Port %u: cannot read extended statistics\n", port);
        return;
    }
    PortState& st = app().ports[port];
    const std::uint64_t t = now_ns();
    const bool have_before = st.allowance_values.size() == kAllowanceCount && st.allowance_ns != 0;
    const std::uint64_t elapsed = have_before ? t - st.allowance_ns : 0;
    const char* since = st.allowance_sampled_at_start ? "since port start" : "since previous show";

    const char* border = "########################";
    std::printf("\n  %s ENI allowances for port %-2u %s\n", border, port, border);
    std::printf("  %-32s %20s %16s  (%s, %.1f s)\n", "Counter", "Total", "Per second", since,
                static_cast<double>(elapsed) / 1e9);
    std::string hit;
    bool any_missing = false, any_reset = false;
    for (std::size_t a = 0; a < kAllowanceCount; ++a) {
        const Allowance& al = kAllowances[a];
        if (!now.present[a]) {
            std::printf("  %-32s not reported by this device\n", al.name);
            any_missing = true;
            continue;
        }
        const std::uint64_t value = now.values[a];
        const bool before_known = have_before && st.allowance_present[a];
        const std::uint64_t before = before_known ? st.allowance_values[a] : value;
        if (!al.gauge && value < before)
            any_reset = true;  // cleared (clear port xstats) or the device was reset
        const double rate = !al.gauge && value < before ? per_second(value, 0, elapsed) : per_second(value, before, elapsed);
        if (al.gauge) {
            std::printf("  %-32s %20" PRIu64 " %+16.0f  (room left; change per second)\n", al.name, value, rate);
            if (value == 0) {
                hit += hit.empty() ? "" : "; ";
                hit += std::string(al.limit) + " allowance exhausted (0 available): " + al.guidance;
            }
        } else {
            std::printf("  %-32s %20" PRIu64 " %16.0f\n", al.name, value, rate);
            if (rate > 0) {
                char head[128];
                std::snprintf(head, sizeof(head), "%s allowance exceeded (%s, %.0f packets/s): ", al.limit, al.name,
                              rate);
                hit += hit.empty() ? "" : "; ";
                hit += head;
                hit += al.guidance;
            }
        }
    }
    if (!hit.empty())
        std::printf("  Diagnosis: %s\n", hit.c_str());
    else if (!have_before)
        std::printf("  Diagnosis: no earlier sample to compare with; show again to get rates\n");
    else
        std::printf("  Diagnosis: no allowance exceeded %s: traffic is within the instance's limits%s\n", since,
                    any_missing ? " (for the counters this device reports)" : "");
    if (any_reset)
        std::printf("  Note: a counter went backwards (cleared or device reset): its rate is counted from 0\n");
    std::printf("  %s##############################%s\n", border, border);

    st.allowance_values = now.values;
    st.allowance_present = now.present;
    st.allowance_ns = t;
    st.allowance_sampled_at_start = false;
}

void show_port_llq(std::uint16_t port) {
    if (!valid_port(port))
        return;
    rte_eth_dev_info info{};
    const int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) {
        std::fprintf(stderr, "Error during getting device (port %u) info: %s\n", port, rte_strerror(-rc));
        return;
    }
    const char* border = "########################";
    std::printf("\n  %s LLQ and rings for port %-2u %s\n", border, port, border);

    rte_eth_burst_mode tx_mode{};
    const bool have_mode = info.nb_tx_queues > 0 && rte_eth_tx_burst_mode_get(port, 0, &tx_mode) == 0;
    const Placement placement = have_mode ? parse_placement(tx_mode.info) : Placement{};
    if (!have_mode)
        std::printf("  Tx placement: unknown (no Tx queue set up, or the driver does not report its burst mode)\n");
    else if (!placement.known)
        std::printf("  Tx placement: unknown (Tx burst mode \"%s\")\n", tx_mode.info);
    else if (placement.llq)
        std::printf("  Tx placement: LLQ (descriptors and headers written to device memory)%s\n",
                    placement.accelerated ? ", accelerated" : "");
    else
        std::printf("  Tx placement: host memory (the device reads descriptors and packets by DMA)\n");
    if (placement.llq) {
        std::printf("  LLQ entry size: %u bytes%s\n", placement.entry_size,
                    placement.entry_size >= 256 ? " (wide LLQ)" : "");
        std::printf("  LLQ header room: %u bytes (packets whose headers are longer are dropped by the device)\n",
                    placement.header_room);
    } else {
        std::printf("  LLQ entry size: none\n");
        std::printf("  LLQ header room: none\n");
    }
    std::printf("  Tx burst budget: %s\n", have_mode ? burst_budget(tx_mode.info).c_str() : "unknown");

    std::printf("  Tx queues: %u (max %u)\n", info.nb_tx_queues, info.max_tx_queues);
    std::printf("  Tx descriptors: min %u, max %u, align %u; segments per packet: max %u, per MTU/TSO %u\n",
                info.tx_desc_lim.nb_min, info.tx_desc_lim.nb_max, info.tx_desc_lim.nb_align,
                info.tx_desc_lim.nb_seg_max, info.tx_desc_lim.nb_mtu_seg_max);
    for (std::uint16_t q = 0; q < info.nb_tx_queues; ++q) {
        rte_eth_txq_info qi{};
        rte_eth_burst_mode mode{};
        if (rte_eth_tx_queue_info_get(port, q, &qi) != 0)
            continue;
        const bool m = rte_eth_tx_burst_mode_get(port, q, &mode) == 0;
        std::printf("    Tx queue %u: %u descriptors, free threshold %u, burst mode \"%s\"\n", q, qi.nb_desc,
                    qi.conf.tx_free_thresh, m ? mode.info : "unknown");
    }
    std::printf("  Rx queues: %u (max %u)\n", info.nb_rx_queues, info.max_rx_queues);
    std::printf("  Rx descriptors: min %u, max %u, align %u; segments per packet: max %u\n", info.rx_desc_lim.nb_min,
                info.rx_desc_lim.nb_max, info.rx_desc_lim.nb_align, info.rx_desc_lim.nb_seg_max);
    for (std::uint16_t q = 0; q < info.nb_rx_queues; ++q) {
        rte_eth_rxq_info qi{};
        rte_eth_burst_mode mode{};
        if (rte_eth_rx_queue_info_get(port, q, &qi) != 0)
            continue;
        const bool m = rte_eth_rx_burst_mode_get(port, q, &mode) == 0;
        std::printf("    Rx queue %u: %u descriptors, free threshold %u, buffers of %u bytes, burst mode \"%s\"\n", q,
                    qi.nb_desc, qi.conf.rx_free_thresh, qi.rx_buf_size, m ? mode.info : "unknown");
    }
    std::printf("  %s##############################%s\n", border, border);
}

}  // namespace ena::testpmd
