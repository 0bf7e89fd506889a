// Commands that drive the simulated ENA behind a net_ena_sim port, through the simulator's C++
// API (ena_sim_api.hpp). Everything ena-testpmd knows about the simulator is in this file, so
// that new simulator controls (e.g. setting a simulated limit) are added here and nowhere else.
//
//   sim link <port> up|down              flip the simulated link (the device sends an AENQ
//                                        link-change event; the driver raises LSC)
//   sim fault <port> <kind>[:<param>] [count]
//                                        make the next <count> occurrences misbehave
//                                        (default 1, a state until_reset; "forever";
//                                        "until_reset"; 0 clears)
//   sim stats <port>                     the device's own counters
#include <rte_ethdev.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "cmdline_support.hpp"
#include "ena_sim_api.hpp"

namespace ena::testpmd {

namespace {

// ena-testpmd's names of the fault kinds (the first ones predate the simulator's own names,
// kFaultNames, which the faults= devarg uses; both are accepted).
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
    {ena::sim::Fault::kRxStaleReqId, "rx_stale_req_id"},
    {ena::sim::Fault::kFatalError, "fatal_error"},
    {ena::sim::Fault::kDeviceResetRequest, "device_reset_request"},
    {ena::sim::Fault::kLinkFlap, "link_flap"},
    {ena::sim::Fault::kTxQueueStall, "tx_queue_stall"},
};
static_assert(std::size(kFaults) == ena::sim::kFaultCount, "a fault kind has no command name");
consteval bool faults_in_order() {
    for (unsigned i = 0; i < std::size(kFaults); ++i)
        if (static_cast<unsigned>(kFaults[i].fault) != i)
            return false;
    return true;
}
static_assert(faults_in_order(), "kFaults follows ena::sim::Fault");

constexpr const char* kFaultKinds =
    "missing_tx_completion, bad_tx_req_id, admin_no_completion, readless_no_answer, keep_alive_stop, "
    "too_many_rx_descs, rx_stale_req_id, fatal_error, device_reset_request, link_flap[:<ms down>], "
    "tx_queue_stall[:<queue>] (or the faults= devarg's names)";

const FaultName* find_fault(std::string_view name) {
    for (const FaultName& f : kFaults)
        if (name == f.name)
            return &f;
    if (const auto fault = ena::sim::fault_by_name(name))
        return &kFaults[static_cast<unsigned>(*fault)];
    return nullptr;
}

// What a kind's parameter means, for the replies.
std::string param_text(ena::sim::Fault fault, std::uint32_t param) {
    switch (fault) {
        case ena::sim::Fault::kLinkFlap:
            return " (link down for " + std::to_string(param) + " ms)";
        case ena::sim::Fault::kTxQueueStall:
            return " (Tx queue " + std::to_string(param) + ")";
        default:
            return {};
    }
}

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
    // <kind>[:<param>]
    const std::string_view word = r.kind;
    const std::size_t colon = word.find(':');
    const std::string_view kind = word.substr(0, colon);
    const FaultName* fault = find_fault(kind);
    if (fault == nullptr) {
        std::fprintf(stderr, "Unknown fault kind %.*s (accepted: %s)\n", static_cast<int>(kind.size()), kind.data(),
                     kFaultKinds);
        return;
    }
    std::uint32_t param = ena::sim::kFaultDefaultParam;
    if (colon != std::string_view::npos) {
        const std::string text(word.substr(colon + 1));
        char* end = nullptr;
        const unsigned long n = std::strtoul(text.c_str(), &end, 10);
        if (!ena::sim::fault_takes_param(fault->fault) || text.empty() || *end != '\0' || n > 60'000) {
            std::fprintf(stderr,
                         "Bad fault parameter %s: only link_flap:<ms down, 0-60000> and tx_queue_stall:<queue> take one\n",
                         r.kind);
            return;
        }
        param = static_cast<std::uint32_t>(n);
    }
    std::uint32_t count = ena::sim::default_fault_count(fault->fault);
    const std::string_view text = r.count;
    if (text == "forever") {
        count = ena::sim::kFaultForever;
    } else if (text == "until_reset") {
        count = ena::sim::kFaultUntilReset;
    } else if (!text.empty()) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(r.count, &end, 10);
        if (*end != '\0' || n >= ena::sim::kFaultUntilReset) {
            std::fprintf(stderr, "Bad fault count %s: a number of occurrences (0 clears), forever or until_reset\n",
                         r.count);
            return;
        }
        count = static_cast<std::uint32_t>(n);
    }
    device->inject_fault(fault->fault, count, param);
    const std::string what = param_text(fault->fault, device->fault_param(fault->fault));
    if (count == 0)
        std::printf("Port %u: fault %s cleared\n", r.port_id, fault->name);
    else if (count == ena::sim::kFaultForever)
        std::printf("Port %u: fault %s%s armed until cleared\n", r.port_id, fault->name, what.c_str());
    else if (count == ena::sim::kFaultUntilReset)
        std::printf("Port %u: fault %s%s armed until the next device reset\n", r.port_id, fault->name, what.c_str());
    else
        std::printf("Port %u: fault %s%s armed for the next %u occurrence(s)\n", r.port_id, fault->name, what.c_str(),
                    count);
}
void on_sim_fault(const SimFault& r) { inject(r); }
void on_sim_fault_once(const SimFault& r) {
    SimFault once = r;
    once.count[0] = '\0';
    inject(once);
}
cmdline_parse_token_string_t t_sf_sim = TOKEN_STRING_INITIALIZER(SimFault, sim, "sim");
cmdline_parse_token_string_t t_sf_fault = TOKEN_STRING_INITIALIZER(SimFault, fault, "fault");
cmdline_parse_token_num_t t_sf_port = TOKEN_NUM_INITIALIZER(SimFault, port_id, RTE_UINT16);
cmdline_parse_token_string_t t_sf_kind = TOKEN_STRING_INITIALIZER(SimFault, kind, nullptr);  // <kind>[:<param>]
cmdline_parse_token_string_t t_sf_count = TOKEN_STRING_INITIALIZER(SimFault, count, nullptr);
auto c_sim_fault = make_command<SimFault, on_sim_fault>(
    "sim fault <port_id> <kind>[:<param>] <count|forever|until_reset>: inject a simulated device fault (count 0 "
    "clears it); kinds: missing_tx_completion, bad_tx_req_id, admin_no_completion, readless_no_answer, "
    "keep_alive_stop, too_many_rx_descs, rx_stale_req_id, fatal_error, device_reset_request, link_flap[:<ms down>], "
    "tx_queue_stall[:<queue>]",
    t_sf_sim, t_sf_fault, t_sf_port, t_sf_kind, t_sf_count);
auto c_sim_fault_once = make_command<SimFault, on_sim_fault_once>(
    "sim fault <port_id> <kind>[:<param>]: inject one occurrence of a simulated device fault (a state, "
    "keep_alive_stop or tx_queue_stall, until the next device reset)", t_sf_sim, t_sf_fault, t_sf_port,
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
        const std::string what = param_text(f.fault, device->fault_param(f.fault));
        if (pending == ena::sim::kFaultForever)
            std::printf("  fault %-24s pending until cleared%s\n", f.name, what.c_str());
        else if (pending == ena::sim::kFaultUntilReset)
            std::printf("  fault %-24s pending until the next device reset%s\n", f.name, what.c_str());
        else if (pending != 0)
            std::printf("  fault %-24s %u pending%s\n", f.name, pending, what.c_str());
    }
    if (const std::size_t scheduled = device->scheduled_faults(); scheduled != 0)
        std::printf("  faults scheduled               %zu\n", scheduled);
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
