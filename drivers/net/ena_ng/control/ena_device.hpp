// Device control for one ENA device: bring-up (readless set-up, reset, version checks, admin
// queue and AENQ, feature negotiation), the admin commands the driver uses, and the state the
// device reports through events. No ethdev types here: the ethdev glue (Port) owns an EnaDevice.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>

#include "control/admin_queue.hpp"
#include "control/counter.hpp"
#include "control/device_resources.hpp"
#include "control/dma_buffer.hpp"
#include "control/event_queue.hpp"
#include "hw/ena_hw.hpp"
#include "control/llq_negotiation.hpp"
#include "control/register_access.hpp"

namespace ena::ng {

// Version this driver reports to the device in host info.
inline constexpr std::uint8_t kDriverVersionMajor = 0;
inline constexpr std::uint8_t kDriverVersionMinor = 1;
inline constexpr std::uint8_t kDriverVersionSubMinor = 0;

inline constexpr std::uint16_t kMaxIoQueues = 128;  // queue pairs the driver handles
inline constexpr std::uint16_t kMaxSglSize = 17;    // descriptors per packet the driver uses

// What the host tells the device about itself (HOST_ATTR_CONFIG).
struct HostDescription {
    const char* os_version_string = "";  // e.g. rte_version()
    std::uint32_t os_version = 0;        // e.g. the DPDK release's version code
    std::uint16_t num_cpus = 1;
    std::uint16_t bdf = 0;
};

struct InitOptions {
    LlqPolicy llq_policy = LlqPolicy::kDeviceRecommendation;
    HostDescription host;
    bool keep_event_counts = false;  // bring-up after a reset: what the events counted carries on
};

// Everything bring-up learned and decided.
struct DeviceFeatures {
    std::uint32_t spec_version = 0;        // VERSION register
    std::uint32_t controller_version = 0;  // CONTROLLER_VERSION register
    std::uint8_t dma_width = 48;
    hw::DeviceAttributes attributes{};  // MAC, max MTU, supported features, capabilities
    std::uint16_t max_io_queues = 0;
    std::uint32_t max_tx_depth = 0;  // ring entries, power of 2, placement-aware
    std::uint32_t max_rx_depth = 0;
    std::uint16_t max_tx_sgl = 0;
    std::uint16_t max_rx_sgl = 0;
    std::uint32_t max_tx_header_size = 0;
    hw::StatelessOffloadFeature offloads{};
    hw::HwHints hints{};
    std::uint32_t aenq_supported_groups = 0;
    std::uint32_t aenq_enabled_groups = 0;
    LlqChoice llq;  // placement, layout, accelerated-mode settings
    // RSS.
    std::uint8_t rss_table_log_size = 0;  // 0: no indirection table
    std::uint32_t rss_hash_functions = 0;  // bitmap of 1 << hw::HashFunction
    bool rss_hash_input = false;
    hw::LinkFeature link{};  // speed as the device reports it (0 when not reported)
    bool link_feature = false;
    // The allowance metrics the device reports (bitmap of hw::CustomerMetric): the customer
    // metrics' reported_metrics, the five ENI counters on an older device, or none.
    std::uint64_t reported_metrics = 0;
    // Interrupt moderation (INTERRUPT_MODERATION): microseconds per unit of a CQ unmask
    // register's delay fields; 0 when the device offers none.
    std::uint16_t intr_delay_resolution_us = 0;

    bool supports(hw::FeatureId id) const { return (attributes.supported_features & hw::feature_bit(id)) != 0; }
    bool has(hw::Capability c) const { return (attributes.capabilities & hw::capability_bit(c)) != 0; }
};

// Device memory and registers of one created IO queue (CQ + SQ).
struct IoQueueHandles {
    std::uint16_t sq_index = 0;
    std::uint16_t cq_index = 0;
    volatile std::uint32_t* sq_doorbell = nullptr;
    volatile std::uint32_t* cq_head_doorbell = nullptr;  // null: the device needs none
    volatile std::uint32_t* cq_unmask = nullptr;
    volatile std::uint32_t* numa_node_register = nullptr;  // null: not supported
    std::uint8_t* llq_descriptors = nullptr;               // BAR2; LLQ Tx only
    std::uint8_t* llq_headers = nullptr;
};

inline constexpr std::uint32_t kNoMsixVector = 0xFFFFFFFF;

struct IoQueueSpec {
    hw::SqDirection direction = hw::SqDirection::kTx;
    // The CQ's MSI-X vector: its completions can interrupt once the driver unmasks it.
    std::uint32_t msix_vector = kNoMsixVector;
    std::uint16_t depth = 0;  // SQ and CQ entries
    TxPlacement placement = TxPlacement::kHost;
    std::uint64_t sq_ring_iova = 0;  // host placement only
    std::uint64_t cq_ring_iova = 0;
    std::uint8_t cq_entry_words = 0;  // completion size in 32-bit words
    int numa_node = -1;
};

// What the device told us through events (latest values), as event_counters() copies it.
struct EventCounters {
    std::uint64_t keep_alives = 0;
    std::uint64_t last_keep_alive_ns = 0;  // resources clock
    std::uint64_t rx_drops = 0;
    std::uint64_t tx_drops = 0;
    std::uint64_t rx_overruns = 0;
    std::uint64_t link_changes = 0;
    std::uint64_t fatal_errors = 0;
    std::uint64_t reset_requests = 0;  // DEVICE_REQUEST_RESET events
    std::uint64_t warnings = 0;
    std::uint64_t notifications = 0;
    std::uint64_t unknown_events = 0;
    std::array<std::uint64_t, 64> conf_notifications{};  // index = code - 1
};

// Sub-optimal configuration notification codes (1-64) in the order they were first seen.
struct ConfNotificationsSeen {
    unsigned count = 0;
    std::array<std::uint8_t, 64> codes{};
};

// What a call to process_events() saw, for the caller to act on (e.g. raise LSC).
struct EventSummary {
    unsigned processed = 0;
    bool link_changed = false;
    bool link_went_down = false;  // a link-change event said down (the link may be up again)
};

struct BasicStats {
    std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
    std::uint64_t rx_drops = 0, tx_drops = 0, rx_overruns = 0;
};

class EnaDevice {
public:
    EnaDevice() = default;
    ~EnaDevice() { shutdown(); }
    EnaDevice(const EnaDevice&) = delete;
    EnaDevice& operator=(const EnaDevice&) = delete;

    // Full bring-up of the device whose resources this process keeps in `slot`
    // (process_resources). On failure everything allocated is released again.
    int init(std::uint16_t slot, const InitOptions& options);
    // Stops the device from writing host memory (a reset with `reason`, which tells the device
    // why), then frees every DMA buffer. Safe to call twice and after a failed init.
    void shutdown(hw::ResetReason reason = hw::ResetReason::kNormal);
    bool initialised() const { return initialised_; }

    // Device reset through DEV_CTL, waiting for the device with its advertised timeout. Leaves
    // the admin queue to be initialised again (init() does the whole sequence).
    int reset(hw::ResetReason reason);

    const DeviceFeatures& features() const { return features_; }
    const DeviceResources& resources() const { return *resources_; }
    RegisterAccess& registers() { return registers_; }
    AdminQueue& admin() { return admin_; }

    // Something needs the device reset: the datapath met a device it cannot trust (a bad
    // request id, a malformed completion), the watchdog found it silent, or the device asked.
    // Latches the first reason and logs it once, with `why`; the port raises the reset event.
    // Safe from any thread.
    void request_reset(hw::ResetReason reason, const char* why = nullptr);
    bool reset_requested() const { return reset_request_.load(std::memory_order_acquire) != kNoResetRequest; }
    hw::ResetReason requested_reset_reason() const {
        return static_cast<hw::ResetReason>(reset_request_.load(std::memory_order_acquire));
    }

    // --- health (the watchdog's questions) ---
    // Milliseconds without a keep-alive after which the device counts as gone: the device's
    // hint, else 3000 as in DPDK's ENA PMD; 0 when the device sends none (no KEEP_ALIVE group,
    // or its hint says "no timeout").
    unsigned keep_alive_timeout_ms() const;
    // DEV_STS says the device hit a fatal error (false also when the register cannot be read).
    bool fatal_error_status();

    // --- control path ---
    // Admin commands wait for the management interrupt (MSI-X vector 0, which the owner routes
    // to `waiter`) and the device raises it for admin completions and AENQ events; `missed` is
    // told when an interrupt never came (see AdminQueue::set_waiter). use_polling() goes back:
    // INTR_MASK set, commands poll. Bring-up always polls; init() leaves the device polling.
    void use_management_interrupt(CompletionWaiter* waiter, void (*missed)(void*), void* arg);
    void use_polling();

    // An IO queue's CQ registers: the head doorbell (how far the driver consumed) when the
    // device has one, then the unmask register.
    void write_queue_register(volatile std::uint32_t* reg, std::uint32_t value);

    // --- events ---
    EventSummary process_events();
    bool link_up() const { return link_up_.load(std::memory_order_acquire); }
    // Safe from any thread and any process (the counters have one writer, the event handler).
    EventCounters event_counters() const;
    ConfNotificationsSeen conf_notifications_seen() const;

    // --- admin commands ---
    int get_feature(hw::FeatureId id, hw::GetFeatureResponse& response, std::uint8_t version = 0,
                    const DmaBuffer* control = nullptr);
    int set_feature(hw::SetFeatureCommand& command, const DmaBuffer* control = nullptr);
    int set_mtu(std::uint32_t mtu);
    int set_frag_bypass(bool enable);
    int set_aenq_groups(std::uint32_t groups);

    int create_io_queue(const IoQueueSpec& spec, IoQueueHandles& handles);
    int destroy_io_queue(const IoQueueHandles& handles, hw::SqDirection direction);

    int get_basic_stats(BasicStats& stats);
    int get_eni_stats(hw::EniStats& stats);
    int get_srd_info(hw::EnaSrdInfo& info);
    // Values land in `values` in metric-id order; `reported` is the device's bitmap of the
    // metrics it filled in. Asks for the metrics the device reports (features().reported_metrics).
    int get_customer_metrics(std::array<std::uint64_t, 6>& values, std::uint64_t& reported);

    // RSS. Keys are in conventional (Microsoft RSS) byte order; the conversion to the device's
    // order happens here.
    int set_rss_hash_function(hw::HashFunction function, std::span<const std::uint8_t> key, std::uint32_t init_value);
    int get_rss_hash_function(hw::HashFunction& function, std::span<std::uint8_t> key);
    int set_rss_hash_input(const hw::RssHashControl& control);
    int get_rss_hash_input(hw::RssHashControl& control);
    // One device CQ index per table entry; the table size is 1 << features().rss_table_log_size.
    int set_rss_indirection_table(std::span<const std::uint16_t> cq_indices);
    int get_rss_indirection_table(std::span<std::uint16_t> cq_indices);

private:
    int bring_up(const InitOptions& options);
    int check_versions();
    int set_host_attributes(const HostDescription& host);
    int get_device_features();
    int negotiate_llq(LlqPolicy policy);
    int set_llq(const LlqChoice& choice);
    void handle_event(const hw::AenqEntry& entry, EventSummary& summary);
    int get_stats(hw::StatsType type, hw::GetStatsResponse& response, const DmaBuffer* control = nullptr,
                  std::uint64_t requested_metrics = 0);
    // Points an admin command at a control buffer in DMA memory.
    int attach_control_buffer(hw::AdminCommonDesc& common, hw::ControlBuffer& field, const DmaBuffer& control) const;
    int wait_for_reset_state(std::uint32_t timeout_100ms, bool in_progress);
    int ensure_rss_buffers();

    ResourcesRef resources_;
    RegisterAccess registers_;
    AdminQueue admin_;
    EventQueue events_;
    DmaBuffer host_info_;
    DmaBuffer rss_key_;
    DmaBuffer rss_input_;
    DmaBuffer rss_table_;
    DmaBuffer metrics_;
    DeviceFeatures features_;
    bool initialised_ = false;
    bool registers_ready_ = false;
    std::uint32_t tx_cq_depth_ = 0;  // device Tx CQ depth limit, before placement

    static constexpr std::uint32_t kNoResetRequest = 0xFFFFFFFF;
    std::atomic<std::uint32_t> reset_request_{kNoResetRequest};
    std::atomic<bool> link_up_{false};
    // Written only by the event handler (process_events is serialized), read by anyone.
    struct EventTally {
        Counter keep_alives, last_keep_alive_ns, rx_drops, tx_drops, rx_overruns, link_changes, fatal_errors,
            reset_requests, warnings, notifications, unknown_events;
        std::array<Counter, 64> conf_notifications;  // index = code - 1
        Counter conf_codes_seen;                     // how many of conf_order are valid
        std::array<std::atomic<std::uint8_t>, 64> conf_order{};
        void clear();
    };
    EventTally tally_;
};

}  // namespace ena::ng
