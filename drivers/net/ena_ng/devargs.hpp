// The driver's devargs, with the upstream ENA PMD's names and meanings: the newest set
// (llq_policy, miss_txc_to, control_path_poll_interval, enable_frag_bypass) and the DPDK 22.11-era
// LLQ switches (large_llq_hdr, normal_llq_hdr, enable_llq), which map onto llq_policy.
#pragma once

#include <cstdint>
#include <span>

#include "control/llq_negotiation.hpp"

namespace ena::ng {

struct DriverArgs {
    LlqPolicy llq_policy = LlqPolicy::kDeviceRecommendation;
    // Seconds before an uncompleted Tx packet counts as missing; 0 disables the check.
    std::uint32_t missing_tx_completion_timeout_s = 5;
    // Milliseconds between control-path polls (AENQ). -1: not given (poll every
    // kDefaultControlPathPollMs when the device has no interrupt); 0: interrupt mode.
    int control_path_poll_interval_ms = -1;
    bool enable_frag_bypass = false;
    // RSS key when the application gives none: the documented default key (flows land on the
    // same queues on every start, which hash-steering deployments rely on) or a random one.
    bool random_rss_key = false;
};

inline constexpr int kDefaultControlPathPollMs = 1000;

// The devargs as dpdk-pmdinfo.py shows them. A macro because PMD registration needs a string
// literal, and net_ena_sim lists them after its own.
#define ENA_NG_DRIVER_PARAMS                                                                      \
    "llq_policy=<0|1|2|3> miss_txc_to=<0-60> control_path_poll_interval=<0|500-1000> "          \
    "enable_frag_bypass=<0|1> rss_key=<default|random> large_llq_hdr=<0|1> normal_llq_hdr=<0|1> " \
    "enable_llq=<0|1>"

// Parses "key=value,key=value". Keys listed in `other_keys` belong to someone else (the
// simulated device's own devargs) and are skipped. Returns 0, or -EINVAL after one error line
// that names the key and the accepted values.
int parse_driver_args(const char* args, std::span<const char* const> other_keys, DriverArgs& out);

// The keys parse_driver_args() accepts.
std::span<const char* const> driver_arg_keys();

}  // namespace ena::ng
