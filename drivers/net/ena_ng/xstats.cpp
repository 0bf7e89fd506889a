// Extended statistics with the upstream ENA PMD's names and order, so dashboards and scripts
// written for net_ena keep working: global, ENI allowance metrics, ENA Express (SRD), then the
// per-queue blocks, stat-major (rx_q0_cnt, rx_q1_cnt, ..., rx_q0_bytes, ...). Counters the
// upstream PMD lacks come after its own in each block.
#include <cerrno>
#include <cstdio>

#include "log.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

constexpr const char* kGlobalNames[] = {"wd_expired", "dev_start", "dev_stop", "tx_drops"};
constexpr const char* kMetricNames[] = {"bw_in_allowance_exceeded",     "bw_out_allowance_exceeded",
                                        "pps_allowance_exceeded",       "conntrack_allowance_exceeded",
                                        "linklocal_allowance_exceeded", "conntrack_allowance_available"};
constexpr unsigned kEniMetricCount = 5;  // devices without customer metrics lack the last one
constexpr unsigned kAvailableMetric = 5;  // a gauge, not a counter: never baselined
constexpr const char* kSrdNames[] = {"ena_srd_mode", "ena_srd_tx_pkts", "ena_srd_eligible_tx_pkts", "ena_srd_rx_pkts",
                                     "ena_srd_resource_utilization"};

struct RxStat {
    const char* name;
    std::uint64_t RxQueueStats::*field;
};
constexpr RxStat kRxStats[] = {
    {"cnt", &RxQueueStats::packets},
    {"bytes", &RxQueueStats::bytes},
    {"refill_partial", &RxQueueStats::refill_partial},
    {"l3_csum_bad", &RxQueueStats::l3_csum_bad},
    {"l4_csum_bad", &RxQueueStats::l4_csum_bad},
    {"l4_csum_good", &RxQueueStats::l4_csum_good},
    {"mbuf_alloc_fail", &RxQueueStats::mbuf_alloc_failures},
    {"bad_desc_num", &RxQueueStats::bad_desc_num},
    {"bad_req_id", &RxQueueStats::bad_req_id},
    {"bad_desc", &RxQueueStats::bad_desc},
    {"unknown_error", &RxQueueStats::unknown_error},
};

// available_desc is a gauge read from the ring; every other Tx entry is a counter.
struct TxStat {
    const char* name;
    std::uint64_t TxQueueStats::*field;  // nullptr: available_desc
};
constexpr TxStat kTxStats[] = {
    {"cnt", &TxQueueStats::packets},
    {"bytes", &TxQueueStats::bytes},
    {"prepare_ctx_err", &TxQueueStats::prepare_ctx_errors},
    {"tx_poll", &TxQueueStats::polls},
    {"doorbells", &TxQueueStats::doorbells},
    {"bad_req_id", &TxQueueStats::bad_req_id},
    {"available_desc", nullptr},
    {"missed_tx", &TxQueueStats::missed_completions},
    {"linearize", &TxQueueStats::linearize},
    {"linearize_failed", &TxQueueStats::linearize_failed},
    {"header_overflow", &TxQueueStats::header_overflow},
};

constexpr unsigned kSrdCount = std::size(kSrdNames);
constexpr unsigned kGlobalCount = std::size(kGlobalNames);

}  // namespace

unsigned Port::metric_count() const {
    const DeviceFeatures& features = device_.features();
    if (features.has(hw::Capability::kCustomerMetrics))
        return std::size(kMetricNames);
    return features.has(hw::Capability::kEniStats) ? kEniMetricCount : 0;
}

unsigned Port::xstats_count() const {
    const rte_eth_dev_data* data = data_;
    return kGlobalCount + metric_count() + kSrdCount + std::size(kRxStats) * data->nb_rx_queues +
           std::size(kTxStats) * data->nb_tx_queues;
}

int Port::xstats_get_names(rte_eth_xstat_name* names, unsigned size) {
    const unsigned count = xstats_count();
    if (names == nullptr || size < count)
        return static_cast<int>(count);
    unsigned i = 0;
    auto put = [&](const char* format, auto... args) {
        std::snprintf(names[i++].name, RTE_ETH_XSTATS_NAME_SIZE, format, args...);
    };
    for (const char* name : kGlobalNames)
        put("%s", name);
    for (unsigned m = 0; m < metric_count(); ++m)
        put("%s", kMetricNames[m]);
    for (const char* name : kSrdNames)
        put("%s", name);
    const rte_eth_dev_data* data = data_;
    for (const RxStat& stat : kRxStats)
        for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q)
            put("rx_q%u_%s", q, stat.name);
    for (const TxStat& stat : kTxStats)
        for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q)
            put("tx_q%u_%s", q, stat.name);
    return static_cast<int>(count);
}

// Device-side counters: ENI metrics and SRD information through the admin queue.
int Port::read_device_xstats(DeviceXstats& out) {
    const DeviceFeatures& features = device_.features();
    int rc = 0;
    if (features.has(hw::Capability::kCustomerMetrics)) {
        std::uint64_t reported = 0;
        rc = device_.get_customer_metrics(out.metrics, reported);
    } else if (features.has(hw::Capability::kEniStats)) {
        hw::EniStats eni{};
        rc = device_.get_eni_stats(eni);
        out.metrics = {eni.bw_in_allowance_exceeded, eni.bw_out_allowance_exceeded, eni.pps_allowance_exceeded,
                       eni.conntrack_allowance_exceeded, eni.linklocal_allowance_exceeded, 0};
    }
    if (rc == 0 && features.has(hw::Capability::kEnaSrdInfo)) {
        hw::EnaSrdInfo srd{};
        rc = device_.get_srd_info(srd);
        out.srd = {srd.flags, srd.tx_pkts, srd.eligible_tx_pkts, srd.rx_pkts, srd.resource_utilization};
    }
    out.tx_drops = device_.event_counters().tx_drops;
    return rc;
}

int Port::xstats_get(rte_eth_xstat* stats, unsigned count) {
    const unsigned needed = xstats_count();
    if (stats == nullptr || count < needed)
        return static_cast<int>(needed);
    poll_control_path();
    DeviceXstats device{};
    if (device_.initialised()) {
        const int rc = read_device_xstats(device);
        if (rc != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: cannot read device metrics for xstats: %d", resources().name, rc);
            return rc;
        }
    }
    unsigned i = 0;
    auto put = [&](std::uint64_t value) {
        stats[i].id = i;
        stats[i].value = value;
        ++i;
    };
    put(counters_.watchdog_expired);
    put(counters_.dev_start);
    put(counters_.dev_stop);
    put(device.tx_drops - xstats_baseline_.tx_drops);
    for (unsigned m = 0; m < metric_count(); ++m)
        put(m == kAvailableMetric ? device.metrics[m] : device.metrics[m] - xstats_baseline_.metrics[m]);
    // ena_srd_mode and resource utilization are states; the packet counts are counters.
    put(device.srd[0]);
    for (unsigned s = 1; s < kSrdCount - 1; ++s)
        put(device.srd[s] - xstats_baseline_.srd[s]);
    put(device.srd[kSrdCount - 1]);
    const rte_eth_dev_data* data = data_;
    for (const RxStat& stat : kRxStats)
        for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q) {
            const RxQueue* rx = rx_queue(q);
            put(rx != nullptr ? rx->stats.*stat.field : 0);
        }
    for (const TxStat& stat : kTxStats)
        for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q) {
            const TxQueue* tx = tx_queue(q);
            if (tx == nullptr)
                put(0);
            else if (stat.field == nullptr)
                put(tx->started() ? tx->free_units() : tx->config.depth);
            else
                put(tx->stats.*stat.field);
        }
    return static_cast<int>(i);
}

int Port::xstats_reset() {
    int rc = stats_reset();
    if (rc != 0)
        return rc;
    // Device counters cannot be cleared: remember where they stand.
    DeviceXstats device{};
    rc = read_device_xstats(device);
    if (rc == 0)
        xstats_baseline_ = device;
    return rc;
}

}  // namespace ena::ng
