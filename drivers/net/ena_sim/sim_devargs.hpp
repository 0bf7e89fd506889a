// Devargs of net_ena_sim: what the simulated device offers (mac, queues, llq, mtu, link), where
// its frames go (wire) and how it runs (engine, engine_cpu). Any other key must be one of the
// driver's (llq_policy, ...), which the driver parses itself. kSimDevargs is the one table: the
// parser, the PMD info string and (through a test) the user guide all follow it.
#pragma once

#include <array>
#include <span>
#include <string>

#include "devargs.hpp"
#include "ena_sim_device.hpp"

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
    {"engine", "<threaded|sync|deferred>", "threaded, sync, deferred"},
    {"engine_cpu", "<cpu>", "a CPU this process may run on"},
    {"llq_tx_burst", "<0-65535>", "0 (no limit) to 65535 bytes of LLQ entries per doorbell"},
}};
constexpr const ng::DevargSpec& spec(SimDevarg d) { return kSimDevargs[static_cast<std::size_t>(d)]; }
static_assert(spec(SimDevarg::kLlqTxBurst).key == "llq_tx_burst", "kSimDevargs follows SimDevarg");

struct SimArgs {
    DeviceConfig config;
    bool mac_given = false;
    std::string wire = "loopback";
    EngineMode mode = EngineMode::kThreaded;
    int engine_cpu = -1;  // -1: the main lcore's CPUs
    // The devargs without the wire devarg, for the driver's own parser (see parse_sim_args).
    std::string driver_args;
};

// Returns 0, or -EINVAL after one error line naming the key and the accepted values.
// rte_kvargs ends a key at every '=', even inside brackets, so the wire devarg -- whose
// bracketed value may hold key=value pairs, wire=[pcap:rx=a.pcap,tx=b.pcap] -- is taken out
// of the string before rte_kvargs sees the rest; out.driver_args is that rest.
int parse_sim_args(const char* device_name, const char* args, SimArgs& out);

}  // namespace ena::sim::glue
