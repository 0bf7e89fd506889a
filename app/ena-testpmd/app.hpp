// ena-testpmd: the state every part of the application shares, and the entry points each part
// offers the others. One App lives for the whole process (app()).
//
// Threads: the main lcore runs the command line, the --stats-period loop and whatever changes
// ports or forwarding (an --auto-reset too: the event only marks the port, the main lcore's loop
// recovers it); forwarding runs on worker lcores and touches only the forwarding context
// (engines.hpp); ethdev events are printed on the EAL interrupt thread.
#pragma once

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "allowance.hpp"

namespace ena::testpmd {

// testpmd's names for "all ports" and its burst ceiling, so that the same numbers mean the same.
inline constexpr std::uint16_t kAllPorts = 0xFFFF;
inline constexpr unsigned kMaxBurst = 512;
inline constexpr unsigned kDefaultBurst = 32;
inline constexpr unsigned kMaxTxSegments = 64;
inline constexpr unsigned kMbufCacheSize = 250;
inline constexpr const char* kPrompt = "testpmd> ";

enum class FwdMode : std::uint8_t { kIo, kMac, kMacSwap, kTxOnly, kRxOnly, kIcmpEcho };
inline constexpr std::array kFwdModes = {FwdMode::kIo,     FwdMode::kMac,    FwdMode::kMacSwap,
                                         FwdMode::kTxOnly, FwdMode::kRxOnly, FwdMode::kIcmpEcho};
const char* fwd_mode_name(FwdMode mode);
std::optional<FwdMode> parse_fwd_mode(std::string_view name);

// What the user chose with options, `set ...` and `port config all ...`.
struct Settings {
    bool interactive = false;
    bool auto_start = false;
    bool tx_first = false;  // non-interactive only, as in testpmd
    bool auto_reset = false;
    bool flush_rx = true;
    bool lsc_interrupt = true;
    bool link_check = true;
    bool device_start = true;
    std::string cmdline_file;
    unsigned stats_period = 0;  // seconds; 0 = no periodic statistics

    std::uint16_t nb_rxq = 1, nb_txq = 1;
    std::uint16_t nb_rxd = 0, nb_txd = 0;  // 0: the driver's default ring size
    std::uint64_t rss_hf = RTE_ETH_RSS_IP;
    std::uint16_t burst = kDefaultBurst;
    std::vector<std::uint16_t> tx_segments{64};  // txonly packet: segment lengths
    unsigned nb_fwd_lcores = 1;
    FwdMode mode = FwdMode::kIo;
    unsigned total_num_mbufs = 0;  // 0: sized from the ports and queues
    std::array<rte_ether_addr, RTE_MAX_ETHPORTS> peer{};
};

enum class PortStatus : std::uint8_t { kStopped, kStarted, kClosed };

struct PortState {
    PortStatus status = PortStatus::kStopped;
    bool need_reconfig = true;
    bool need_reconfig_queues = true;
    unsigned socket = 0;
    rte_eth_dev_info info{};
    rte_eth_conf conf{};
    rte_ether_addr mac{};
    // Counters when forwarding started (or the port's stats were cleared): forward statistics
    // are counted from here.
    rte_eth_stats fwd_base{};
    // `show port stats` throughput since the previous show.
    std::uint64_t shown_ns = 0, shown_ipackets = 0, shown_opackets = 0, shown_ibytes = 0, shown_obytes = 0;
    // `show port allowance`: the previous sample (taken at port start too).
    AllowanceSample allowance;
    bool allowance_sampled_at_start = true;
};

struct App {
    Settings settings;
    std::array<PortState, RTE_MAX_ETHPORTS> ports;
    std::vector<std::uint16_t> fwd_ports;  // ports forwarding uses, in order (all probed ports)
    std::array<rte_mempool*, RTE_MAX_NUMA_NODES> pools{};
    std::vector<unsigned> fwd_lcore_ids;  // worker lcores available for forwarding, in order
    bool forwarding = false;
    std::atomic<bool> quit{false};  // SIGINT/SIGTERM
};

App& app();

// --- options.cpp
// Parses the application's own options (after EAL's and "--"). Exits with a message on error.
void parse_options(int argc, char** argv);
std::vector<unsigned> parse_number_list(const char* text, const char* item_name);

// --- ports.cpp
bool port_id_invalid(std::uint16_t port, bool warn);  // kAllPorts is valid
void print_valid_ports();
void init_ports();  // dev info and configuration of every probed port, mbuf pools
void register_event_callbacks();
int start_port(std::uint16_t port);
void stop_port(std::uint16_t port);
void close_port(std::uint16_t port);
void reset_port(std::uint16_t port);
void set_port_mtu(std::uint16_t port, std::uint16_t mtu);
void config_all_queues(std::string_view what, std::uint16_t value);  // rxq|txq|rxd|txd
bool queue_setting_ok(std::string_view what, unsigned value);        // against every port's limits
bool all_ports_started();
bool all_ports_stopped();
void reconfigure_all_queues();  // after `port config all ...`
void service_auto_resets();     // main lcore: recover the ports that raised a reset event
rte_mempool* pool_for(std::uint16_t port);

// --- display.cpp (testpmd's views)
void show_port_info(std::uint16_t port);
void show_port_summary_header();
void show_port_summary(std::uint16_t port);
void show_port_stats(std::uint16_t port);
void show_port_xstats(std::uint16_t port);
void clear_port_stats(std::uint16_t port);
void clear_port_xstats(std::uint16_t port);
void show_rxtx_config();
void show_fwd_lcores();
void show_tx_segments();

// --- forwarding.cpp
void setup_fwd_config();
void show_fwd_config();
void start_forwarding(unsigned tx_first_bursts);
void stop_forwarding();
void show_fwd_stats();
void clear_fwd_stats();
bool port_is_forwarding(std::uint16_t port);
void set_fwd_mode(std::string_view name);
void set_burst(unsigned burst);
void set_nb_fwd_lcores(unsigned count);
void set_tx_segments(const std::vector<unsigned>& lengths);
void print_periodic_stats();

// --- ena_views.cpp (ENA's own commands)
void sample_allowances(std::uint16_t port);  // at port start: the baseline of the first show
void show_port_allowance(std::uint16_t port);
void show_port_llq(std::uint16_t port);

// --- commands.cpp
int run_cmdline_file(const std::string& path);  // 0, or -1 when the file cannot be opened
void run_prompt();
void stop_prompt();  // from a signal handler
bool quit_requested();

// Text helpers.
std::string format_mac(const rte_ether_addr& mac);
std::uint64_t now_ns();

}  // namespace ena::testpmd
