// Devargs of net_ena_sim: what the simulated device offers (mac, queues, llq, mtu, link), where
// its frames go (wire) and how it runs (engine, engine_cpu). Any other key must be one of the
// driver's (llq_policy, ...), which the driver parses itself.
#pragma once

#include <span>
#include <string>

#include "ena_sim_device.hpp"

namespace ena::sim::glue {

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

// The simulator's own keys (the driver skips them).
std::span<const char* const> sim_arg_keys();

}  // namespace ena::sim::glue
