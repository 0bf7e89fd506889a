// Port: one ethdev port of the driver, living in the ethdev's dev_private. It owns the device
// control (EnaDevice), the queues, and the ethdev-facing state (link, statistics baseline,
// control-path alarm), and implements eth_dev_ops (ethdev_ops.cpp forwards to it).
#pragma once

#include <ethdev_driver.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "control/counter.hpp"
#include "control/ena_device.hpp"
#include "devargs.hpp"
#include "datapath/queues.hpp"
#include "management_interrupt.hpp"

namespace ena::ng {

inline constexpr std::uint16_t kMinRingSize = 128;
inline constexpr std::uint16_t kDefaultRingSize = 1024;
inline constexpr std::uint32_t kMinMtu = 128;
inline constexpr std::uint32_t kMinRxBufferSize = 1400;
inline constexpr std::uint32_t kMaxRssTableSize = RTE_ETH_RSS_RETA_SIZE_512;
// RSS hash types: every packet class the device tells apart (hashing L3 addresses, with L4 ports
// for TCP and UDP), and the source/destination-only modifiers.
inline constexpr std::uint64_t kRssDefaultHashTypes =
    RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
    RTE_ETH_RSS_NONFRAG_IPV4_OTHER | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |
    RTE_ETH_RSS_NONFRAG_IPV6_OTHER | RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX;
inline constexpr std::uint64_t kRssHashTypes = kRssDefaultHashTypes | RTE_ETH_RSS_L2_PAYLOAD | RTE_ETH_RSS_L3_SRC_ONLY |
                                               RTE_ETH_RSS_L3_DST_ONLY | RTE_ETH_RSS_L4_SRC_ONLY |
                                               RTE_ETH_RSS_L4_DST_ONLY;
// The default RSS key (conventional byte order): the key of Microsoft's RSS verification suite,
// which most NICs and tools use, so a flow's queue can be computed offline (rte_softrss).
inline constexpr std::array<std::uint8_t, hw::kRssKeySize> kDefaultRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

// Port-level counters the driver keeps (the global xstats block).
struct PortCounters {
    Counter dev_start;
    Counter dev_stop;
    Counter watchdog_expired;
    Counter management_interrupts;  // the management interrupt's callback runs (not an xstat: it moves while idle)
    Counter missed_interrupts;      // admin completions whose management interrupt never came
};

// Device-side counters as the control path last read them (GET_STATS basic, allowance metrics,
// ENA Express). Statistics calls read this snapshot, so they never wait for the device.
struct DeviceCounters {
    BasicStats basic{};
    std::array<std::uint64_t, 6> metrics{};  // customer-metric order (hw::CustomerMetric)
    std::array<std::uint64_t, 5> srd{};      // mode flags, tx, eligible tx, rx, utilization
    std::uint64_t refreshed_ns = 0;          // TSC time of the read
    std::uint64_t refreshes = 0;
};

// What one statistics call reads besides the queues, taken once so that the values agree.
struct StatisticsSnapshot {
    DeviceCounters device;
    DeviceCounters device_baseline;
    std::array<std::uint64_t, 3> globals{};  // wd_expired, dev_start, dev_stop, since the last reset
    std::array<std::uint64_t, 64> conf_notifications{};  // by code - 1, since the last reset
    std::array<std::uint64_t, 1> control_path{};  // control_path_intr_missed
};

// The queues' packet, byte and error counts read once (stats_get's figures, and the driver's
// rx_qN_cnt / bytes in the same listing).
struct QueueCounts {
    std::uint64_t packets = 0, bytes = 0, errors = 0;
};
struct BasicCounts {
    rte_eth_stats stats{};            // per queue only up to RTE_ETHDEV_QUEUE_STAT_CNTRS
    std::vector<QueueCounts> rx, tx;  // every queue
};

// Resets the port asked for, by reason (xstats reset_total and reset_<reason>), with the
// reasons in the order first seen. One writer: the control path.
struct ResetCounters {
    std::array<Counter, hw::kResetReasonCount> by_reason;
    Counter total;
    std::array<std::atomic<std::uint8_t>, hw::kResetReasonCount> order{};
    Counter seen;  // how many entries of order are valid
};

// What released queues had counted, so that port-level totals never go back.
struct RetiredQueueTotals {
    Counter rx_packets, rx_bytes, rx_errors, rx_nombuf, tx_packets, tx_bytes, tx_errors;
};

class Port {
public:
    // Takes over `eth_dev` (allocated by the caller with dev_private room for a Port): builds the
    // Port in dev_private, brings the device up, fills the ethdev data. On failure the Port is
    // gone again and the caller releases the ethdev.
    static int create(rte_eth_dev* eth_dev, const DeviceResources& resources, const DriverArgs& args);
    static Port& of(const rte_eth_dev* eth_dev) { return *static_cast<Port*>(eth_dev->data->dev_private); }

    Port(rte_eth_dev* eth_dev, const DeviceResources& resources, const DriverArgs& args);
    ~Port();
    Port(const Port&) = delete;
    Port& operator=(const Port&) = delete;

    // --- eth_dev_ops ---
    int configure();
    int infos_get(rte_eth_dev_info* info);
    int rx_queue_setup(std::uint16_t queue, std::uint16_t descriptors, unsigned socket, const rte_eth_rxconf* conf,
                       rte_mempool* pool);
    int tx_queue_setup(std::uint16_t queue, std::uint16_t descriptors, unsigned socket, const rte_eth_txconf* conf);
    void rx_queue_release(std::uint16_t queue);
    void tx_queue_release(std::uint16_t queue);
    int start();
    int stop();
    // Releases everything and destroys the Port (ethdev frees dev_private right after).
    int close();
    int reset();
    int link_update(int wait_to_complete);
    int mtu_set(std::uint16_t mtu);
    void rxq_info_get(std::uint16_t queue, rte_eth_rxq_info* info);
    void txq_info_get(std::uint16_t queue, rte_eth_txq_info* info);
    int rx_burst_mode_get(std::uint16_t queue, rte_eth_burst_mode* mode);
    int tx_burst_mode_get(std::uint16_t queue, rte_eth_burst_mode* mode);
    int fw_version_get(char* text, std::size_t size);
    // RSS (rss.cpp).
    int reta_update(const rte_eth_rss_reta_entry64* conf, std::uint16_t size);
    int reta_query(rte_eth_rss_reta_entry64* conf, std::uint16_t size);
    int rss_hash_update(const rte_eth_rss_conf* conf);
    int rss_hash_conf_get(rte_eth_rss_conf* conf);
    // Rx interrupts (interrupts.cpp), intr_conf.rxq=1: the queue's next packet interrupts once.
    int rx_queue_intr_enable(std::uint16_t queue);
    int rx_queue_intr_disable(std::uint16_t queue);
    // Statistics (statistics.cpp). Safe from any thread while the datapath runs, and from a
    // secondary process; with a stats_interval the device-side values come from the snapshot
    // and no call waits for the device.
    int stats_get(rte_eth_stats* stats);
    int stats_reset();
    int xstats_get_names(rte_eth_xstat_name* names, unsigned size);
    int xstats_get(rte_eth_xstat* stats, unsigned count);
    int xstats_get_by_id(const std::uint64_t* ids, std::uint64_t* values, unsigned count);
    int xstats_get_names_by_id(const std::uint64_t* ids, rte_eth_xstat_name* names, unsigned size);
    int xstats_reset();
    // Reads the device-side counters now (primary process: admin commands). Returns 0 or -errno.
    int refresh_device_counters();

    // --- for the datapath and tools ---
    EnaDevice& device() { return device_; }
    const EnaDevice& device() const { return device_; }
    const DriverArgs& args() const { return args_; }
    // This process's ethdev of the port (ethdev keeps one array per process) and the data all
    // processes share.
    rte_eth_dev* eth_dev() const { return &rte_eth_devices[data_->port_id]; }
    rte_eth_dev_data* data() const { return data_; }
    // This process's resources of the device.
    const DeviceResources& resources() const { return process_resources(data_->port_id); }
    // Registers this process's resources of the port (a secondary process attaching does too).
    void attach_process(const DeviceResources& resources);
    // A secondary process: its burst and descriptor-status functions.
    void attach_datapath();
    TxQueue* tx_queue(std::uint16_t queue) const;
    RxQueue* rx_queue(std::uint16_t queue) const;
    const PortCounters& counters() const { return counters_; }
    // Processes pending device events now (the management interrupt or the alarm does this by
    // itself). When it returns, every event the device had posted before the call is handled,
    // its ethdev callbacks included, whichever thread handled it.
    void poll_control_path();
    // Whether the control path runs on the management interrupt now (else the alarm polls).
    bool interrupt_driven() const { return interrupt_driven_.load(std::memory_order_acquire); }
    unsigned poll_interval_ms() const { return poll_interval_ms_.load(std::memory_order_acquire); }
    const ManagementInterrupt& management_interrupt() const { return management_; }
    // One watchdog pass (watchdog.cpp): the alarm runs it every watchdog_interval ms; tests
    // with watchdog_interval=0 call it themselves. Primary process only.
    void watchdog_tick();
    const ResetCounters& reset_counters() const { return resets_; }
    const std::array<Counter, hw::kResetReasonCount>& reset_baseline() const { return reset_baseline_; }
    const Counter& reset_total_baseline() const { return reset_total_baseline_; }

private:
    int bring_up();
    void tear_down();
    void release_queues();
    unsigned alarm_period_ms() const;
    void start_alarm();
    void stop_alarm();
    // The control path (interrupts.cpp): on the management interrupt after bring-up unless
    // control_path_poll_interval asks for polling or the interrupt cannot reach the process.
    void start_control_path();
    void enter_interrupt_mode();
    static void on_management_interrupt(void* arg);
    // An admin completion's interrupt never came: back to polling, counted.
    static void on_missed_interrupt(void* arg);
    static void on_polling_needed(void* arg);
    // Rx queue vectors between start and stop (intr_conf.rxq=1).
    int setup_rx_interrupts();
    void teardown_rx_interrupts();
    RxQueue* interrupt_rx_queue(std::uint16_t queue) const;
    void refresh_now_if_periodic() {
        if (args_.stats_interval_ms != 0)
            refresh_device_counters();
    }
    static void on_alarm(void* arg);
    // Watchdog parts (watchdog.cpp).
    void check_keep_alive(std::uint64_t now_ns);
    void check_tx_completions(TxQueue& q, std::uint64_t now_ns);
    // Records a pass's time and stamps it into every Tx queue (packets leaving from now on).
    void mark_watchdog_pass(std::uint64_t now_ns);
    std::uint64_t outstanding_at_least_ns(std::uint16_t stamp, std::uint64_t now_ns) const;
    void raise_reset_event();
    // The application never handles the reset event (auto_recover=1): reset and restart here.
    void recover_by_itself();
    // Device bring-up and the port state that follows from it; `again` keeps what the
    // application configured (RSS, queues) and what the counters have counted.
    int init_device(bool again);
    // MTU, fragment bypass, the queues' IO queues on the device, RSS; undone on failure.
    int start_queues();
    void stop_queues();
    // The device reset with the latched reason and brought up again, the configuration kept.
    int reset_device();
    bool tx_queues_fit_device() const;
    void update_link(bool raise_event);
    void report_link(bool up, bool raise_event);
    std::uint16_t rss_table_size() const;
    int queue_socket(unsigned socket) const;  // SOCKET_ID_ANY: the port's NUMA node
    // RSS state kept by the driver (the device forgets it on reset) and pushed at start.
    void init_rss_state();
    int configure_rss();
    int apply_rss();
    int apply_rss_table();
    // One warning per port when RSS spreads over several queues but hashes nothing.
    void warn_if_rss_hashes_nothing(std::uint64_t rss_hf);
    // What a statistics call reads besides the queues; the device-side part fresh when the
    // application asked for reads at every call (stats_interval=0), which then fail with the
    // device read's error.
    int statistics_snapshot(StatisticsSnapshot& out);
    void enable_frag_bypass();
    void report_llq_mapping();
    // ethdev's basic statistics from the queues as they stand and the snapshot's imissed.
    void basic_counts(const StatisticsSnapshot& snapshot, BasicCounts& out) const;
    // Adds a released queue's counts to the port's totals (ethdev releases queues on reconfigure).
    void retire_rx_queue(const RxQueue& queue);
    void retire_tx_queue(const TxQueue& queue);

    rte_eth_dev_data* data_;                // shared by every process
    char name_[RTE_ETH_NAME_MAX_LEN] = {};  // every process's DeviceResources::name points here
    DriverArgs args_;
    EnaDevice device_;
    PortCounters counters_;
    std::atomic<unsigned> poll_interval_ms_{0};  // 0: no polling (interrupt mode, or none asked)
    ManagementInterrupt management_;
    std::atomic<bool> use_interrupts_{false};    // chosen at bring-up, dropped when one is missed
    std::atomic<bool> interrupt_driven_{false};  // ... and the device is up to raise them
    std::recursive_mutex events_lock_;  // one poll_control_path at a time, callbacks included
    bool rx_vectors_ = false;           // queue vectors handed out (start to stop)
    std::uint16_t rx_intr_delay_units_ = 0;  // unmask register delay field (device resolution)
    std::atomic<bool> alarm_running_{false};
    std::atomic<std::uint32_t> alarm_generation_{0};  // a re-armed alarm leaves older callbacks unarmed
    std::uint64_t next_poll_ns_ = 0;
    std::uint64_t next_watchdog_ns_ = 0;
    // Watchdog and reset state. control_lock_ keeps the watchdog off the queues while the
    // application's control calls (start, stop, queue setup and release, reset) change them.
    std::recursive_mutex control_lock_;
    std::uint64_t keep_alive_epoch_ns_ = 0;  // resources clock: the last start or reset
    static constexpr unsigned kPassTimes = 1024;  // watchdog pass times kept (resources clock)
    std::array<std::uint64_t, kPassTimes> pass_ns_{};
    std::uint16_t pass_ = 0;  // the last pass's number (never TxQueue::kNotInFlight)
    std::atomic<bool> reset_event_raised_{false};
    ResetCounters resets_;
    std::array<Counter, hw::kResetReasonCount> reset_baseline_;
    Counter reset_total_baseline_;
    std::uint32_t device_mtu_ = 0;  // last MTU the device accepted (0: never set)
    bool frag_bypass_said_ = false;
    bool rx_path_said_ = false;  // which Rx path runs, said at the first queue setup
    bool llq_mapping_said_ = false;
    // Statistics: the device-side snapshot and the baselines of the last reset (device counters
    // cannot be cleared; nor, from another thread, can the datapath's).
    SeqlockBox<DeviceCounters> device_counters_;
    SeqlockBox<DeviceCounters> device_baseline_;
    PortCounters counters_baseline_;
    std::array<Counter, 64> conf_baseline_;
    RetiredQueueTotals retired_;
    std::mutex refresh_lock_;  // one device read at a time (primary only)
    std::uint64_t next_refresh_ns_ = 0;
    std::array<std::uint8_t, hw::kRssKeySize> rss_key_{};
    std::uint64_t rss_hf_ = 0;
    bool rss_nothing_warned_ = false;
    std::array<std::uint16_t, kMaxRssTableSize> reta_{};  // Rx queue of each table entry
};

}  // namespace ena::ng
