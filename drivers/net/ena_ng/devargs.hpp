// The driver's devargs, with the upstream ENA PMD's names and meanings: the newest set
// (llq_policy, miss_txc_to, control_path_poll_interval, enable_frag_bypass) and the DPDK 22.11-era
// LLQ switches (large_llq_hdr, normal_llq_hdr, enable_llq), which map onto llq_policy.
//
// Each driver keeps its devargs in one table (kDriverDevargs here, the simulated device's in
// ena_sim/sim_devargs.hpp): the parser finds keys in it, the PMD info string dpdk-pmdinfo.py
// shows is built from it, and a test holds the user guide to it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "control/llq_negotiation.hpp"
#include "datapath/simd_support.hpp"

namespace ena::ng {

// A devarg as users see it: key, values as dpdk-pmdinfo.py shows them (key=<values>), and what
// an error line says is accepted.
struct DevargSpec {
    std::string_view key;
    std::string_view values;
    std::string_view accepted;
};

enum class DriverDevarg : std::uint8_t {
    kLlqPolicy,
    kMissTxcTo,
    kControlPathPollInterval,
    kEnableFragBypass,
    kRssKey,
    kStatsInterval,
    kWatchdogInterval,
    kAutoRecover,
    kRxIntrDelay,
    kRxPath,
    kLargeLlqHdr,
    kNormalLlqHdr,
    kEnableLlq,
    kCount,
};

inline constexpr std::array<DevargSpec, static_cast<std::size_t>(DriverDevarg::kCount)> kDriverDevargs = {{
    {"llq_policy", "<0|1|2|3>", "0 = LLQ off, 1 = device recommendation, 2 = 128-byte entries, 3 = 256-byte entries"},
    {"miss_txc_to", "<0-60>", "0 (check disabled) to 60 seconds"},
    {"control_path_poll_interval", "<0|500-1000>", "0 (interrupt mode) or 500-1000 milliseconds"},
    {"enable_frag_bypass", "<0|1>", "0 or 1"},
    {"rss_key", "<default|random>", "default (the documented fixed key), random"},
    {"stats_interval", "<0|10-60000>",
     "0 (read the device at every statistics call) or 10-60000 milliseconds between reads of its counters"},
    {"watchdog_interval", "<0|100-10000>",
     "0 (no watchdog: nothing notices a device that stopped answering) or 100-10000 milliseconds between checks"},
    {"auto_recover", "<0|1>", "0 (the application resets the port on RTE_ETH_EVENT_INTR_RESET) or 1 (the driver does)"},
    {"rx_intr_delay", "<0-10000>",
     "0 (an Rx interrupt comes with the first packet) to 10000 microseconds of interrupt moderation"},
    {"rx_path", "<auto|scalar|sse4.1|avx2>",
     "auto (the widest vector path the CPU and EAL allow), scalar, sse4.1, avx2"},
    {"large_llq_hdr", "<0|1>", "0 or 1"},
    {"normal_llq_hdr", "<0|1>", "0 or 1"},
    {"enable_llq", "<0|1>", "0 or 1"},
}};
constexpr const DevargSpec& spec(DriverDevarg d) { return kDriverDevargs[static_cast<std::size_t>(d)]; }
static_assert(spec(DriverDevarg::kEnableLlq).key == "enable_llq", "kDriverDevargs follows DriverDevarg");

// "key=<values> key=<values> ...", NUL-terminated, from devarg tables at compile time: the string
// RTE_PMD_REGISTER_PARAM_STRING would embed (it takes a literal; this takes the tables).
template <const auto&... Tables>
consteval std::size_t param_string_size() {
    std::size_t size = 0;
    auto add = [&](const auto& table) {
        for (const DevargSpec& d : table)
            size += d.key.size() + 1 + d.values.size() + 1;  // "key=values" and a space or the NUL
    };
    (add(Tables), ...);
    return size == 0 ? 1 : size;
}
template <const auto&... Tables>
consteval std::array<char, param_string_size<Tables...>()> param_string() {
    std::array<char, param_string_size<Tables...>()> text{};
    std::size_t at = 0;
    auto put = [&](std::string_view s) {
        for (char c : s)
            text[at++] = c;
    };
    auto add = [&](const auto& table) {
        for (const DevargSpec& d : table) {
            if (at != 0)
                put(" ");
            put(d.key);
            put("=");
            put(d.values);
        }
    };
    (add(Tables), ...);
    return text;
}

inline constexpr unsigned kDefaultStatsIntervalMs = 1000;
inline constexpr unsigned kDefaultWatchdogIntervalMs = 500;

struct DriverArgs {
    LlqPolicy llq_policy = LlqPolicy::kDeviceRecommendation;
    // Seconds before an uncompleted Tx packet counts as missing; 0 disables the check.
    std::uint32_t missing_tx_completion_timeout_s = 5;
    // Milliseconds between control-path polls (admin completions and AENQ events). -1: not
    // given, interrupt mode where the management interrupt reaches the process, else polling
    // every kDefaultControlPathPollMs; 0: interrupt mode (the same, and said when it cannot be).
    int control_path_poll_interval_ms = -1;
    bool enable_frag_bypass = false;
    // RSS key when the application gives none: the documented default key (flows land on the
    // same queues on every start, which hash-steering deployments rely on) or a random one.
    bool random_rss_key = false;
    // Milliseconds between reads of the device's counters (the statistics' device-side
    // snapshot); 0: read them at every statistics call instead.
    unsigned stats_interval_ms = kDefaultStatsIntervalMs;
    // Milliseconds between watchdog checks (keep-alive, admin queue, fatal error, missing Tx
    // completions, reset requests); 0: no watchdog.
    unsigned watchdog_interval_ms = kDefaultWatchdogIntervalMs;
    // On a reset request the driver resets and restarts the port itself, for applications that
    // never handle RTE_ETH_EVENT_INTR_RESET.
    bool auto_recover = false;
    // Rx interrupt moderation (intr_conf.rxq=1): microseconds from the first packet after
    // rte_eth_dev_rx_intr_enable to its interrupt, where the device offers moderation.
    unsigned rx_intr_delay_us = 0;
    // The Rx path of the port's queues (at most what the machine allows).
    datapath::RxPathRequest rx_path = datapath::RxPathRequest::kAuto;
};

inline constexpr int kDefaultControlPathPollMs = 1000;

// Parses "key=value,key=value". Keys in `other_keys` belong to someone else (the simulated
// device's own devargs) and are skipped. Returns 0, or -EINVAL after one error line that names
// the key and the accepted values.
int parse_driver_args(const char* args, std::span<const DevargSpec> other_keys, DriverArgs& out);

// Whether `key` is one of the driver's devargs.
[[gnu::visibility("default")]] bool is_driver_devarg(std::string_view key);

}  // namespace ena::ng
