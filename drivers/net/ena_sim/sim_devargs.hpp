// Devargs of net_ena_sim: what the simulated device offers (mac, queues, llq, mtu, link), where
// its frames go (wire), how it runs (engine, engine_cpu), and the Nitro card's shaping of the
// ENI (instance profiles, allowances, connection tracking, ENA Express). Any other key must be
// one of the driver's (llq_policy, ...), which the driver parses itself. kSimDevargs is the one
// table: the parser, the PMD info string and (through a test) the user guide all follow it.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devargs.hpp"
#include "ena_sim_device.hpp"
#include "instance_profiles.hpp"

namespace ena::sim::glue {

enum class SimDevarg : std::uint8_t {
    kMac,
    kQueues,
    kLlq,
    kMtu,
    kLink,
    kWire,
    kEngine,
    kEngineCpu,
    kLlqTxBurst,
    kIntrDelayResolution,
    kInstance,
    kPps,
    kBwOutMbps,
    kBwInMbps,
    kShapingBurstMs,
    kShapingQueue,
    kConntrackMax,
    kConntrackTcpEstablishedTimeout,
    kConntrackTcpTransitoryTimeout,
    kConntrackTcpClosedTimeout,
    kConntrackUdpTimeout,
    kConntrackUdpStreamTimeout,
    kConntrackIcmpTimeout,
    kConntrackOtherTimeout,
    kLinklocalPps,
    kSrd,
    kSrdFlows,
    kFaults,
    kCount,
};

inline constexpr std::array<ng::DevargSpec, static_cast<std::size_t>(SimDevarg::kCount)> kSimDevargs = {{
    {"mac", "<xx:xx:xx:xx:xx:xx>", "a unicast MAC address xx:xx:xx:xx:xx:xx"},
    {"queues", "<1-128>", "1-128 queue pairs"},
    {"llq", "<none|normal|wide>", "none, normal, wide"},
    {"mtu", "<128-9216>", "128-9216 (the device's maximum MTU)"},
    {"link", "<up|down>", "up, down"},
    {"wire", "<loopback|vpc:NAME|tap:IFNAME|[pcap:rx=FILE,tx=FILE]>",
     "loopback, vpc:NAME, tap:IFNAME, [pcap:rx=FILE,tx=FILE]"},
    {"engine", "<auto|inline|threaded|sync|deferred>", "auto, inline, threaded, sync, deferred"},
    {"engine_cpu", "<cpu>", "a CPU this process may run on"},
    {"llq_tx_burst", "<0-65535>", "0 (no limit) to 65535 bytes of LLQ entries per doorbell"},
    {"intr_delay_resolution", "<0-1000>",
     "0 (no interrupt moderation) to 1000 microseconds per unit of an interrupt delay"},
    {"instance", "<m5.large|m6i.large|m6i.32xlarge|c5n.18xlarge|c6in.32xlarge|c7gn.16xlarge|c8gn.48xlarge>",
     "m5.large, m6i.large, m6i.32xlarge, c5n.18xlarge, c6in.32xlarge, c7gn.16xlarge, c8gn.48xlarge"},
    {"pps", "<0-1000000000>", "0 (no limit) to 1000000000 packets per second"},
    {"bw_out_mbps", "<0-1000000>", "0 (no limit) to 1000000 Mbit/s"},
    {"bw_in_mbps", "<0-1000000>", "0 (no limit) to 1000000 Mbit/s"},
    {"shaping_burst_ms", "<1-1000>", "1-1000 ms of each rate"},
    {"shaping_queue", "<0-65536>", "0 (drop at once) to 65536 packets"},
    {"conntrack_max", "<0-4194304>", "0 (not tracked) to 4194304 connections"},
    {"conntrack_tcp_established_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_tcp_transitory_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_tcp_closed_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_udp_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_udp_stream_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_icmp_timeout", "<1-432000>", "1-432000 seconds"},
    {"conntrack_other_timeout", "<1-432000>", "1-432000 seconds"},
    {"linklocal_pps", "<0-1000000>", "0 (no limit) to 1000000 packets per second"},
    {"srd", "<off|on|on_udp>", "off, on, on_udp"},
    {"srd_flows", "<1-1048576>", "1-1048576 concurrent SRD flows"},
    {"faults", "<KIND[:ARG]@MS[xCOUNT]|[KIND[:ARG]@MS[xCOUNT],...]>",
     "KIND[:ARG]@MS[xCOUNT] or [ITEM,...]; KIND: keepalive_stop, missing_tx_cmpl, bad_tx_req_id, admin_no_cmpl, "
     "readless_no_answer, rx_too_many_descs, rx_stale_req_id, fatal_error, device_reset_request, "
     "link_flap[:MS_DOWN 1-60000], tx_queue_stall[:QUEUE]; MS 0-86400000 after the first start; COUNT "
     "1-4294967293 (default: until reset for keepalive_stop, tx_queue_stall; else 1)"},
}};
constexpr const ng::DevargSpec& spec(SimDevarg d) { return kSimDevargs[static_cast<std::size_t>(d)]; }
static_assert(spec(SimDevarg::kFaults).key == "faults", "kSimDevargs follows SimDevarg");

// The faults devarg's accepted text names every fault kind the model has.
consteval bool faults_accepted_names_every_kind() {
    const std::string_view accepted = spec(SimDevarg::kFaults).accepted;
    for (const std::string_view name : kFaultNames)
        if (accepted.find(name) == std::string_view::npos)
            return false;
    return true;
}
static_assert(faults_accepted_names_every_kind(), "the faults devarg lists every ena::sim::Fault name");

inline constexpr std::uint64_t kMaxFaultDelayMs = 86'400'000;  // a day
inline constexpr std::uint32_t kMaxLinkFlapMs = 60'000;

// One item of the faults devarg: arm `fault` (count, param) `delay_ms` after the first start.
struct ScheduledFault {
    Fault fault;
    std::uint64_t delay_ms;
    std::uint32_t count;
    std::uint32_t param;
};

// The instance devarg lists exactly the profiles there are, in their order.
consteval bool instance_values_match_profiles() {
    std::string_view values = spec(SimDevarg::kInstance).values;
    if (values.size() < 2 || values.front() != '<' || values.back() != '>')
        return false;
    values = values.substr(1, values.size() - 2);
    for (std::size_t i = 0; i < kInstanceProfiles.size(); ++i) {
        const std::string_view name = kInstanceProfiles[i].name;
        if (values.substr(0, name.size()) != name)
            return false;
        values.remove_prefix(name.size());
        if (i + 1 < kInstanceProfiles.size()) {
            if (values.empty() || values.front() != '|')
                return false;
            values.remove_prefix(1);
        }
    }
    return values.empty();
}
static_assert(instance_values_match_profiles(), "the instance devarg names every profile of kInstanceProfiles");

struct SimArgs {
    DeviceConfig config;
    bool mac_given = false;
    std::string wire = "loopback";
    std::optional<EngineMode> mode;  // none: chosen by the machine (engine=auto, default_engine())
    int engine_cpu = -1;             // -1: DPDK's control-thread CPUs
    const InstanceProfile* instance = nullptr;  // instance=, applied before every other devarg
    std::vector<ScheduledFault> faults;         // faults=, scheduled on the device at probe
    // The devargs without the wire devarg, for the driver's own parser (see parse_sim_args).
    std::string driver_args;
};

// Returns 0, or -EINVAL after one error line naming the key and the accepted values.
// rte_kvargs ends a key at every '=', even inside brackets, so the wire devarg -- whose
// bracketed value may hold key=value pairs, wire=[pcap:rx=a.pcap,tx=b.pcap] -- is taken out
// of the string before rte_kvargs sees the rest; out.driver_args is that rest.
int parse_sim_args(const char* device_name, const char* args, SimArgs& out);

}  // namespace ena::sim::glue
