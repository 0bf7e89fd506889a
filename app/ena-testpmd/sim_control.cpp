// Commands that drive the simulated ENA behind a net_ena_sim port, through the simulator's C++
// API (ena_sim_api.hpp). Everything ena-testpmd knows about the simulator is in this file, so
// that new simulator controls (e.g. setting a simulated limit) are added here and nowhere else.
//
//   sim link <port> up|down              flip the simulated link (the device sends an AENQ
//                                        link-change event; the driver raises LSC)
//   sim fault <port> <kind> [count]      make the next <count> occurrences misbehave
//                                        (default 1; "forever"; 0 clears)
//   sim stats <port>                     the device's own counters
#include <rte_ethdev.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "cmdline_support.hpp"
#include "ena_sim_api.hpp"

namespace ena::testpmd {

namespace {

struct FaultName {
    ena::sim::Fault fault;
    const char* name;
};

constexpr FaultName kFaults[] = {
    {ena::sim::Fault::kMissingTxCompletion, "missing_tx_completion"},
    {ena::sim::Fault::kBadTxReqId, "bad_tx_req_id"},
    {ena::sim::Fault::kAdminNoCompletion, "admin_no_completion"},
    {ena::sim::Fault::kReadlessNoAnswer, "readless_no_answer"},
    {ena::sim::Fault::kKeepAliveStop, "keep_alive_stop"},
    {ena::sim::Fault::kTooManyRxDescs, "too_many_rx_descs"},
};
static_assert(std::size(kFaults) == ena::sim::kFaultCount, "a fault kind has no command name");

// The simulated device of a port, or nullptr with a message saying why not.
ena::sim::Device* device_of(std::uint16_t port) {
    if (port_id_invalid(port, true) || port == kAllPorts) {
        print_valid_ports();
        return nullptr;
    }
    ena::sim::Device* device = ena::sim::find_device(port);
    if (device != nullptr)
        return device;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) == 0 && std::strcmp(info.driver_name, "net_ena_sim") == 0)
        // A second copy of the library (-d to another folder) probed this port: its devices are
        // not the ones the copy linked into ena-testpmd knows.
        std::fprintf(stderr,
                     "Port %u is a net_ena_sim port of another copy of librte_net_ena_sim.so (loaded with -d?): "
                     "ena-testpmd links the simulator already; run it without -d, or with -d to its own build/drivers\n",
                     port);
    else
        std::fprintf(stderr, "Port %u is not a simulated ENA port (net_ena_sim): no simulator to drive\n", port);
    return nullptr;
}

struct SimLink {
    cmdline_fixed_string_t sim, link;
    std::uint16_t port_id;
    cmdline_fixed_string_t state;
};
void on_sim_link(const SimLink& r) {
    ena::sim::Device* device = device_of(r.port_id);
    if (device == nullptr)
        return;
    const bool up = std::string_view(r.state) == "up";
    device->set_link(up);
    std::printf("Port %u: simulated link set %s\n", r.port_id, up ? "up" : "down");
}
cmdline_parse_token_string_t t_sl_sim = TOKEN_STRING_INITIALIZER(SimLink, sim, "sim");
cmdline_parse_token_string_t t_sl_link = TOKEN_STRING_INITIALIZER(SimLink, link, "link");
cmdline_parse_token_num_t t_sl_port = TOKEN_NUM_INITIALIZER(SimLink, port_id, RTE_UINT16);
cmdline_parse_token_string_t t_sl_state = TOKEN_STRING_INITIALIZER(SimLink, state, "up#down");
auto c_sim_link = make_command<SimLink, on_sim_link>("sim link <port_id> up|down: set the simulated link state",
                                                     t_sl_sim, t_sl_link, t_sl_port, t_sl_state);

struct SimFault {
    cmdline_fixed_string_t sim, fault;
    std::uint16_t port_id;
    cmdline_fixed_string_t kind;
    cmdline_fixed_string_t count;  // empty when not given
};

void inject(const SimFault& r) {
    ena::sim::Device* device = device_of(r.port_id);
    if (device == nullptr)
        return;
    const std::string_view kind = r.kind;
    const FaultName* fault = nullptr;
    for (const FaultName& f : kFaults)
        if (kind == f.name)
            fault = &f;
    if (fault == nullptr) {
        std::fprintf(stderr, "Unknown fault kind %s\n", r.kind);
        return;
    }
    std::uint32_t count = 1;
    const std::string_view text = r.count;
    if (text == "forever") {
        count = ena::sim::kFaultForever;
    } else if (!text.empty()) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(r.count, &end, 10);
        if (*end != '\0' || n >= ena::sim::kFaultForever) {
            std::fprintf(stderr, "Bad fault count %s: a number of occurrences (0 clears) or forever\n", r.count);
            return;
        }
        count = static_cast<std::uint32_t>(n);
    }
    device->inject_fault(fault->fault, count);
    if (count == 0)
        std::printf("Port %u: fault %s cleared\n", r.port_id, fault->name);
    else if (count == ena::sim::kFaultForever)
        std::printf("Port %u: fault %s armed until cleared\n", r.port_id, fault->name);
    else
        std::printf("Port %u: fault %s armed for the next %u occurrence(s)\n", r.port_id, fault->name, count);
}
void on_sim_fault(const SimFault& r) { inject(r); }
void on_sim_fault_once(const SimFault& r) {
    SimFault once = r;
    once.count[0] = '\0';
    inject(once);
}
constexpr const char* kFaultKinds =
    "missing_tx_completion#bad_tx_req_id#admin_no_completion#readless_no_answer#keep_alive_stop#too_many_rx_descs";
cmdline_parse_token_string_t t_sf_sim = TOKEN_STRING_INITIALIZER(SimFault, sim, "sim");
cmdline_parse_token_string_t t_sf_fault = TOKEN_STRING_INITIALIZER(SimFault, fault, "fault");
cmdline_parse_token_num_t t_sf_port = TOKEN_NUM_INITIALIZER(SimFault, port_id, RTE_UINT16);
cmdline_parse_token_string_t t_sf_kind = TOKEN_STRING_INITIALIZER(SimFault, kind, kFaultKinds);
cmdline_parse_token_string_t t_sf_count = TOKEN_STRING_INITIALIZER(SimFault, count, nullptr);
auto c_sim_fault = make_command<SimFault, on_sim_fault>(
    "sim fault <port_id> missing_tx_completion|bad_tx_req_id|admin_no_completion|readless_no_answer|keep_alive_stop|"
    "too_many_rx_descs <count|forever>: inject a simulated device fault (count 0 clears it)",
    t_sf_sim, t_sf_fault, t_sf_port, t_sf_kind, t_sf_count);
auto c_sim_fault_once = make_command<SimFault, on_sim_fault_once>(
    "sim fault <port_id> <kind>: inject one occurrence of a simulated device fault", t_sf_sim, t_sf_fault, t_sf_port,
    t_sf_kind);

struct SimStats {
    cmdline_fixed_string_t sim, stats;
    std::uint16_t port_id;
};
void on_sim_stats(const SimStats& r) {
    ena::sim::Device* device = device_of(r.port_id);
    if (device == nullptr)
        return;
    const ena::sim::DeviceStats s = device->stats();
    const char* border = "########################";
    std::printf("\n  %s Simulated device of port %-2u %s\n", border, r.port_id, border);
    std::printf("  link: %s\n", device->link_up() ? "up" : "down");
    const struct {
        const char* name;
        std::uint64_t value;
    } rows[] = {
        {"tx_packets", s.tx_packets},
        {"tx_bytes", s.tx_bytes},
        {"tx_drops", s.tx_drops},
        {"rx_packets", s.rx_packets},
        {"rx_bytes", s.rx_bytes},
        {"rx_drops", s.rx_drops},
        {"rx_overruns", s.rx_overruns},
        {"llq_header_overflow_drops", s.llq_header_overflow_drops},
        {"malformed_tx", s.malformed_tx},
        {"malformed_rx", s.malformed_rx},
        {"tx_oversize_drops", s.tx_oversize_drops},
        {"rx_oversize_drops", s.rx_oversize_drops},
        {"dma_errors", s.dma_errors},
        {"admin_commands", s.admin_commands},
        {"admin_errors", s.admin_errors},
        {"admin_commands_unanswered", s.admin_commands_unanswered},
        {"resets", s.resets},
        {"keep_alives_sent", s.keep_alives_sent},
        {"aenq_events_dropped", s.aenq_events_dropped},
        {"conf_notifications_sent", s.conf_notifications_sent},
        {"llq_burst_exceeded", s.llq_burst_exceeded},
        {"bw_in_allowance_exceeded", s.bw_in_allowance_exceeded},
        {"bw_out_allowance_exceeded", s.bw_out_allowance_exceeded},
        {"pps_allowance_exceeded", s.pps_allowance_exceeded},
        {"conntrack_allowance_exceeded", s.conntrack_allowance_exceeded},
        {"linklocal_allowance_exceeded", s.linklocal_allowance_exceeded},
        {"conntrack_entries", s.conntrack_entries},
        {"ena_srd_tx_pkts", s.ena_srd_tx_pkts},
        {"ena_srd_eligible_tx_pkts", s.ena_srd_eligible_tx_pkts},
        {"ena_srd_rx_pkts", s.ena_srd_rx_pkts},
        {"ena_srd_resource_utilization", s.ena_srd_resource_utilization},
    };
    for (const auto& row : rows)
        std::printf("  %-30s %" PRIu64 "\n", row.name, row.value);
    for (const FaultName& f : kFaults) {
        const std::uint32_t pending = device->pending_fault(f.fault);
        if (pending == ena::sim::kFaultForever)
            std::printf("  fault %-24s pending until cleared\n", f.name);
        else if (pending != 0)
            std::printf("  fault %-24s %u pending\n", f.name, pending);
    }
    std::printf("  %s##############################%s\n", border, border);
}
cmdline_parse_token_string_t t_ss_sim = TOKEN_STRING_INITIALIZER(SimStats, sim, "sim");
cmdline_parse_token_string_t t_ss_stats = TOKEN_STRING_INITIALIZER(SimStats, stats, "stats");
cmdline_parse_token_num_t t_ss_port = TOKEN_NUM_INITIALIZER(SimStats, port_id, RTE_UINT16);
auto c_sim_stats = make_command<SimStats, on_sim_stats>("sim stats <port_id>: the simulated device's counters",
                                                        t_ss_sim, t_ss_stats, t_ss_port);

}  // namespace

std::vector<cmdline_parse_inst_t*> sim_commands() {
    return {c_sim_link.inst(), c_sim_fault.inst(), c_sim_fault_once.inst(), c_sim_stats.inst()};
}

}  // namespace ena::testpmd
