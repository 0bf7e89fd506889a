// Statistics: ethdev's basic stats and the extended statistics, with the upstream ENA PMD's
// xstats names and order so that dashboards and scripts written for net_ena keep working.
//
// Where each value comes from, and how fresh it is:
//   driver-side  the queues' and the port's own counters, read as they stand (no admin
//                command): packets, bytes, errors, per-queue xstats, dev_start, ...
//   device-side  what the device counts (Rx drops and overruns behind imissed, tx_drops, the
//                ENI allowance metrics, ENA Express): a snapshot the primary's control path
//                reads every stats_interval ms (devarg), or -- stats_interval=0 -- at every
//                statistics call (an admin command per statistics type; a secondary process
//                asks the primary, see multi_process.cpp).
// Resets take baselines: the device's counters cannot be cleared, nor can the datapath's from
// another thread. Gauges (conntrack_allowance_available, ena_srd_mode,
// ena_srd_resource_utilization, tx_qN_available_desc) are never reset.
#include <rte_cycles.h>
#include <rte_eal.h>

#include <cerrno>
#include <cstdio>

#include "log.hpp"
#include "memzone_dma.hpp"
#include "multi_process.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

constexpr const char* kGlobalNames[] = {"wd_expired", "dev_start", "dev_stop", "tx_drops"};
// Admin completions whose management interrupt never came (the first turned the control path to
// polling).
constexpr const char* kControlPathNames[] = {"control_path_intr_missed"};
// Indexed by hw::CustomerMetric; the ENI statistics of older devices are the first five.
constexpr const char* kMetricNames[] = {"bw_in_allowance_exceeded",     "bw_out_allowance_exceeded",
                                        "pps_allowance_exceeded",       "conntrack_allowance_exceeded",
                                        "linklocal_allowance_exceeded", "conntrack_allowance_available"};
constexpr unsigned kAvailableMetric = static_cast<unsigned>(hw::CustomerMetric::kConntrackAllowanceAvailable);
constexpr const char* kSrdNames[] = {"ena_srd_mode", "ena_srd_tx_pkts", "ena_srd_eligible_tx_pkts", "ena_srd_rx_pkts",
                                     "ena_srd_resource_utilization"};
constexpr unsigned kSrdMode = 0, kSrdUtilization = 4;  // gauges

// Per-queue counters: upstream's, in its order, then ours.
struct RxStat {
    const char* name;
    Counter RxQueueStats::*field;        // nullptr: bad_csum, the sum of the two checksum counters
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
    {"bad_csum", nullptr},  // the name the EC2 user guide's listing shows (older upstream)
};
struct TxStat {
    const char* name;
    Counter TxQueueStats::*field;  // nullptr: available_desc, a gauge read from the ring
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

std::uint64_t rx_value(const RxQueue& q, const RxStat& stat) {
    if (stat.field == nullptr)
        return (q.stats.l3_csum_bad.get() - q.baseline.l3_csum_bad.get()) +
               (q.stats.l4_csum_bad.get() - q.baseline.l4_csum_bad.get());
    return (q.stats.*stat.field).get() - (q.baseline.*stat.field).get();
}

std::uint64_t tx_value(const TxQueue& q, const TxStat& stat) {
    if (stat.field == nullptr)
        return q.started() ? q.free_units() : q.config.depth;
    return (q.stats.*stat.field).get() - (q.baseline.*stat.field).get();
}

void take_baseline(RxQueue& q) {
    for (const RxStat& stat : kRxStats)
        if (stat.field != nullptr)
            (q.baseline.*stat.field).set((q.stats.*stat.field).get());
}

void take_baseline(TxQueue& q) {
    for (const TxStat& stat : kTxStats)
        if (stat.field != nullptr)
            (q.baseline.*stat.field).set((q.stats.*stat.field).get());
}

bool primary() { return rte_eal_process_type() == RTE_PROC_PRIMARY; }

// rte_eth_xstats_get asks the driver for its block first and, in the same thread right after,
// for ethdev's basic block (stats_get; so in every LTS since 22.11). The driver's block keeps the
// queue counts it read for that stats_get, so one listing shows one moment: rx_q0_packets and
// rx_q0_cnt, rx_good_packets and the sum of the queues always agree.
struct KeptCounts {
    std::uint16_t port_id = RTE_MAX_ETHPORTS;  // RTE_MAX_ETHPORTS: nothing kept
    BasicCounts counts;
};
thread_local KeptCounts t_kept;

bool take_kept_counts(std::uint16_t port_id, rte_eth_stats& out) {
    if (t_kept.port_id != port_id)
        return false;
    t_kept.port_id = RTE_MAX_ETHPORTS;
    out = t_kept.counts.stats;
    return true;
}

// The xstats of a port at one moment, in id order: blocks whose length depends on the device
// (which metrics it reports, ENA Express), the queue counts and the notification codes seen.
class XstatLayout {
public:
    enum class Block { kGlobal, kMetric, kSrd, kRx, kTx, kConfNotification, kControlPath, kResetTotal, kReset };
    struct Entry {
        Block block;
        unsigned index;  // within the block (for metrics: the hw::CustomerMetric id)
        unsigned queue;
    };

    explicit XstatLayout(const Port& port) {
        const DeviceFeatures& features = port.device().features();
        for (unsigned id = 0; id < std::size(kMetricNames); ++id)
            if ((features.reported_metrics >> id) & 1)
                metric_ids_[metric_count_++] = id;
        srd_count_ = features.has(hw::Capability::kEnaSrdInfo) ? std::size(kSrdNames) : 0;
        rx_queues_ = port.data()->nb_rx_queues;
        tx_queues_ = port.data()->nb_tx_queues;
        conf_ = port.device().conf_notifications_seen();
        const ResetCounters& resets = port.reset_counters();
        reset_reasons_ = static_cast<unsigned>(std::min<std::uint64_t>(resets.seen.get(), hw::kResetReasonCount));
        std::atomic_thread_fence(std::memory_order_acquire);
        for (unsigned i = 0; i < reset_reasons_; ++i)
            reset_order_[i] = resets.order[i].load(std::memory_order_relaxed);
    }

    unsigned size() const {
        return std::size(kGlobalNames) + metric_count_ + srd_count_ + std::size(kRxStats) * rx_queues_ +
               std::size(kTxStats) * tx_queues_ + conf_.count + std::size(kControlPathNames) + 1 + reset_reasons_;
    }

    // The id's entry; false when the id is beyond the layout.
    bool at(unsigned id, Entry& out) const {
        if (id < std::size(kGlobalNames))
            return out = {Block::kGlobal, id, 0}, true;
        id -= std::size(kGlobalNames);
        if (id < metric_count_)
            return out = {Block::kMetric, metric_ids_[id], 0}, true;
        id -= metric_count_;
        if (id < srd_count_)
            return out = {Block::kSrd, id, 0}, true;
        id -= srd_count_;
        // Per-queue blocks are stat-major, as upstream: rx_q0_cnt, rx_q1_cnt, ..., rx_q0_bytes.
        if (rx_queues_ != 0 && id < std::size(kRxStats) * rx_queues_)
            return out = {Block::kRx, id / rx_queues_, id % rx_queues_}, true;
        id -= std::size(kRxStats) * rx_queues_;
        if (tx_queues_ != 0 && id < std::size(kTxStats) * tx_queues_)
            return out = {Block::kTx, id / tx_queues_, id % tx_queues_}, true;
        id -= std::size(kTxStats) * tx_queues_;
        if (id < conf_.count)
            return out = {Block::kConfNotification, conf_.codes[id], 0}, true;
        id -= conf_.count;
        // Ours: the control path's interrupts, then the resets the port asked for, in total and
        // per reason seen.
        if (id < std::size(kControlPathNames))
            return out = {Block::kControlPath, id, 0}, true;
        id -= std::size(kControlPathNames);
        if (id == 0)
            return out = {Block::kResetTotal, 0, 0}, true;
        if (id - 1 < reset_reasons_)
            return out = {Block::kReset, reset_order_[id - 1], 0}, true;
        return false;
    }

    static void name(const Entry& e, char* text) {
        switch (e.block) {
            case Block::kGlobal:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "%s", kGlobalNames[e.index]);
                break;
            case Block::kMetric:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "%s", kMetricNames[e.index]);
                break;
            case Block::kSrd:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "%s", kSrdNames[e.index]);
                break;
            case Block::kRx:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_%s", e.queue, kRxStats[e.index].name);
                break;
            case Block::kTx:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_%s", e.queue, kTxStats[e.index].name);
                break;
            case Block::kConfNotification:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "conf_notification_%u", e.index);
                break;
            case Block::kControlPath:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "%s", kControlPathNames[e.index]);
                break;
            case Block::kResetTotal:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "reset_total");
                break;
            case Block::kReset:
                std::snprintf(text, RTE_ETH_XSTATS_NAME_SIZE, "reset_%s",
                              hw::reset_reason_name(static_cast<hw::ResetReason>(e.index)));
                break;
        }
    }

private:
    std::array<unsigned, std::size(kMetricNames)> metric_ids_{};
    unsigned metric_count_ = 0;
    unsigned srd_count_ = 0;
    unsigned rx_queues_ = 0;
    unsigned tx_queues_ = 0;
    ConfNotificationsSeen conf_;
    unsigned reset_reasons_ = 0;
    std::array<std::uint8_t, hw::kResetReasonCount> reset_order_{};
};

std::uint64_t value_of(const Port& port, const XstatLayout::Entry& e, const StatisticsSnapshot& s,
                       const BasicCounts& counts) {
    const DeviceCounters& device = s.device;
    const DeviceCounters& baseline = s.device_baseline;
    switch (e.block) {
        case XstatLayout::Block::kGlobal:
            return e.index < s.globals.size() ? s.globals[e.index] : device.basic.tx_drops - baseline.basic.tx_drops;
        case XstatLayout::Block::kMetric:
            return e.index == kAvailableMetric ? device.metrics[e.index]
                                               : device.metrics[e.index] - baseline.metrics[e.index];
        case XstatLayout::Block::kSrd:
            return e.index == kSrdMode || e.index == kSrdUtilization ? device.srd[e.index]
                                                                     : device.srd[e.index] - baseline.srd[e.index];
        case XstatLayout::Block::kRx: {
            if (kRxStats[e.index].field == &RxQueueStats::packets)
                return counts.rx[e.queue].packets;
            if (kRxStats[e.index].field == &RxQueueStats::bytes)
                return counts.rx[e.queue].bytes;
            const RxQueue* q = port.rx_queue(static_cast<std::uint16_t>(e.queue));
            return q != nullptr ? rx_value(*q, kRxStats[e.index]) : 0;
        }
        case XstatLayout::Block::kTx: {
            if (kTxStats[e.index].field == &TxQueueStats::packets)
                return counts.tx[e.queue].packets;
            if (kTxStats[e.index].field == &TxQueueStats::bytes)
                return counts.tx[e.queue].bytes;
            const TxQueue* q = port.tx_queue(static_cast<std::uint16_t>(e.queue));
            return q != nullptr ? tx_value(*q, kTxStats[e.index]) : 0;
        }
        case XstatLayout::Block::kConfNotification:
            return s.conf_notifications[e.index - 1];
        case XstatLayout::Block::kControlPath:
            return s.control_path[e.index];
        case XstatLayout::Block::kResetTotal:
            return port.reset_counters().total.get() - port.reset_total_baseline().get();
        case XstatLayout::Block::kReset:
            return port.reset_counters().by_reason[e.index].get() - port.reset_baseline()[e.index].get();
    }
    return 0;
}

}  // namespace

// --- the device-side snapshot ---------------------------------------------------------------

int Port::refresh_device_counters() {
    if (!primary())
        return mp_refresh_device_counters(data_->port_id);
    std::lock_guard guard(refresh_lock_);
    // A device waiting for its reset may not answer: its counters stay as last read.
    if (!device_.initialised() || device_.reset_requested())
        return -EIO;
    poll_control_path();
    DeviceCounters counters = device_counters_.load();  // a part that cannot be read keeps its value
    const DeviceFeatures& features = device_.features();
    int rc = device_.get_basic_stats(counters.basic);
    if (rc == 0 && features.has(hw::Capability::kCustomerMetrics)) {
        std::uint64_t reported = 0;
        rc = device_.get_customer_metrics(counters.metrics, reported);
    } else if (rc == 0 && features.has(hw::Capability::kEniStats)) {
        hw::EniStats eni{};
        rc = device_.get_eni_stats(eni);
        if (rc == 0)
            counters.metrics = {eni.bw_in_allowance_exceeded, eni.bw_out_allowance_exceeded, eni.pps_allowance_exceeded,
                                eni.conntrack_allowance_exceeded, eni.linklocal_allowance_exceeded, 0};
    }
    if (rc == 0 && features.has(hw::Capability::kEnaSrdInfo)) {
        hw::EnaSrdInfo srd{};
        rc = device_.get_srd_info(srd);
        if (rc == 0)
            counters.srd = {srd.flags, srd.tx_pkts, srd.eligible_tx_pkts, srd.rx_pkts, srd.resource_utilization};
    }
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_DEBUG, "%s: cannot read the device's counters: %d", resources().name, rc);
        return rc;
    }
    counters.refreshed_ns = tsc_now_ns(nullptr);
    ++counters.refreshes;
    device_counters_.store(counters);
    return 0;
}

int Port::statistics_snapshot(StatisticsSnapshot& s) {
    // Asked for at every call (stats_interval=0): the application chose the cost. A device that
    // cannot answer (one waiting for its reset) leaves the device-side values as last read; the
    // driver's own counters are what the application needs then.
    if (args_.stats_interval_ms == 0)
        refresh_device_counters();
    s.device = device_counters_.load();
    s.device_baseline = device_baseline_.load();
    s.globals = {counters_.watchdog_expired.get() - counters_baseline_.watchdog_expired.get(),
                 counters_.dev_start.get() - counters_baseline_.dev_start.get(),
                 counters_.dev_stop.get() - counters_baseline_.dev_stop.get()};
    s.control_path = {counters_.missed_interrupts.get() - counters_baseline_.missed_interrupts.get()};
    const EventCounters events = device_.event_counters();
    for (unsigned i = 0; i < s.conf_notifications.size(); ++i)
        s.conf_notifications[i] = events.conf_notifications[i] - conf_baseline_[i].get();
    return 0;
}

// --- basic statistics -----------------------------------------------------------------------

void Port::basic_counts(const StatisticsSnapshot& snapshot, BasicCounts& out) const {
    const DeviceCounters& device = snapshot.device;
    const DeviceCounters& baseline = snapshot.device_baseline;
    // Packets and bytes are the queues' own counts -- what the application received and sent --
    // summed here, so they agree with the per-queue figures and are never stale. (The built-in
    // PMD reports the device's counts here, which also hold frames still in the Rx rings; those
    // the device could not place are imissed either way.) imissed is the device's Rx drops and
    // overruns, from the snapshot.
    rte_eth_stats& stats = out.stats;
    stats = {};
    stats.ipackets = retired_.rx_packets.get();
    stats.ibytes = retired_.rx_bytes.get();
    stats.ierrors = retired_.rx_errors.get();
    stats.rx_nombuf = retired_.rx_nombuf.get();
    stats.opackets = retired_.tx_packets.get();
    stats.obytes = retired_.tx_bytes.get();
    stats.oerrors = retired_.tx_errors.get();
    stats.imissed = (device.basic.rx_drops + device.basic.rx_overruns) -
                    (baseline.basic.rx_drops + baseline.basic.rx_overruns);
    out.rx.assign(data_->nb_rx_queues, QueueCounts{});
    out.tx.assign(data_->nb_tx_queues, QueueCounts{});
    for (std::uint16_t q = 0; q < data_->nb_rx_queues; ++q) {
        const RxQueue* rx = rx_queue(q);
        if (rx == nullptr)
            continue;
        QueueCounts& c = out.rx[q];
        c = {rx->stats.packets.get() - rx->baseline.packets.get(), rx->stats.bytes.get() - rx->baseline.bytes.get(),
             rx->stats.errors.get() - rx->baseline.errors.get()};
        stats.ipackets += c.packets;
        stats.ibytes += c.bytes;
        stats.ierrors += c.errors;
        stats.rx_nombuf += rx->stats.mbuf_alloc_failures.get() - rx->baseline.mbuf_alloc_failures.get();
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            stats.q_ipackets[q] = c.packets;
            stats.q_ibytes[q] = c.bytes;
            stats.q_errors[q] = c.errors;
        }
    }
    for (std::uint16_t q = 0; q < data_->nb_tx_queues; ++q) {
        const TxQueue* tx = tx_queue(q);
        if (tx == nullptr)
            continue;
        QueueCounts& c = out.tx[q];
        c = {tx->stats.packets.get() - tx->baseline.packets.get(), tx->stats.bytes.get() - tx->baseline.bytes.get(),
             tx->stats.errors.get() - tx->baseline.errors.get()};
        stats.opackets += c.packets;
        stats.obytes += c.bytes;
        stats.oerrors += c.errors;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            stats.q_opackets[q] = c.packets;
            stats.q_obytes[q] = c.bytes;
        }
    }
}

int Port::stats_get(rte_eth_stats* stats) {
    if (take_kept_counts(data_->port_id, *stats))
        return 0;
    StatisticsSnapshot snapshot;
    if (const int rc = statistics_snapshot(snapshot); rc != 0)
        return rc;
    thread_local BasicCounts counts;
    basic_counts(snapshot, counts);
    *stats = counts.stats;
    return 0;
}

int Port::stats_reset() {
    if (!primary())
        return mp_reset_statistics(data_->port_id);
    // Baselines of the device's counters as they are now.
    if (device_.initialised()) {
        if (const int rc = refresh_device_counters(); rc != 0)
            return rc;
    }
    device_baseline_.store(device_counters_.load());
    for (std::uint16_t q = 0; q < data_->nb_rx_queues; ++q)
        if (RxQueue* rx = rx_queue(q))
            take_baseline(*rx);
    for (std::uint16_t q = 0; q < data_->nb_tx_queues; ++q)
        if (TxQueue* tx = tx_queue(q))
            take_baseline(*tx);
    for (Counter* c : {&retired_.rx_packets, &retired_.rx_bytes, &retired_.rx_errors, &retired_.rx_nombuf,
                       &retired_.tx_packets, &retired_.tx_bytes, &retired_.tx_errors})
        c->set(0);
    counters_baseline_.dev_start.set(counters_.dev_start.get());
    counters_baseline_.dev_stop.set(counters_.dev_stop.get());
    counters_baseline_.watchdog_expired.set(counters_.watchdog_expired.get());
    counters_baseline_.missed_interrupts.set(counters_.missed_interrupts.get());
    const EventCounters events = device_.event_counters();
    for (unsigned i = 0; i < conf_baseline_.size(); ++i)
        conf_baseline_[i].set(events.conf_notifications[i]);
    for (unsigned i = 0; i < hw::kResetReasonCount; ++i)
        reset_baseline_[i].set(resets_.by_reason[i].get());
    reset_total_baseline_.set(resets_.total.get());
    return 0;
}

void Port::retire_rx_queue(const RxQueue& q) {
    retired_.rx_packets += q.stats.packets.get() - q.baseline.packets.get();
    retired_.rx_bytes += q.stats.bytes.get() - q.baseline.bytes.get();
    retired_.rx_errors += q.stats.errors.get() - q.baseline.errors.get();
    retired_.rx_nombuf += q.stats.mbuf_alloc_failures.get() - q.baseline.mbuf_alloc_failures.get();
}

void Port::retire_tx_queue(const TxQueue& q) {
    retired_.tx_packets += q.stats.packets.get() - q.baseline.packets.get();
    retired_.tx_bytes += q.stats.bytes.get() - q.baseline.bytes.get();
    retired_.tx_errors += q.stats.errors.get() - q.baseline.errors.get();
}

// --- extended statistics --------------------------------------------------------------------

int Port::xstats_get_names(rte_eth_xstat_name* names, unsigned size) {
    const XstatLayout layout(*this);
    const unsigned count = layout.size();
    if (names == nullptr || size < count)
        return static_cast<int>(count);
    XstatLayout::Entry entry{};
    for (unsigned id = 0; id < count && layout.at(id, entry); ++id)
        XstatLayout::name(entry, names[id].name);
    return static_cast<int>(count);
}

int Port::xstats_get(rte_eth_xstat* stats, unsigned count) {
    const XstatLayout layout(*this);
    const unsigned needed = layout.size();
    if (stats == nullptr || count < needed)
        return static_cast<int>(needed);
    StatisticsSnapshot snapshot;
    if (const int rc = statistics_snapshot(snapshot); rc != 0)
        return rc;
    basic_counts(snapshot, t_kept.counts);
    t_kept.port_id = data_->port_id;
    XstatLayout::Entry entry{};
    for (unsigned id = 0; id < needed && layout.at(id, entry); ++id) {
        stats[id].id = id;
        stats[id].value = value_of(*this, entry, snapshot, t_kept.counts);
    }
    return static_cast<int>(needed);
}

int Port::xstats_get_by_id(const std::uint64_t* ids, std::uint64_t* values, unsigned count) {
    const XstatLayout layout(*this);
    StatisticsSnapshot snapshot;
    if (const int rc = statistics_snapshot(snapshot); rc != 0)
        return rc;
    thread_local BasicCounts counts;
    basic_counts(snapshot, counts);
    XstatLayout::Entry entry{};
    for (unsigned i = 0; i < count; ++i) {
        if (ids[i] > UINT32_MAX || !layout.at(static_cast<unsigned>(ids[i]), entry)) {
            log(g_log_driver, RTE_LOG_ERR, "%s: no xstat with id %lu (there are %u)", resources().name,
                static_cast<unsigned long>(ids[i]), layout.size());
            return -EINVAL;
        }
        values[i] = value_of(*this, entry, snapshot, counts);
    }
    return static_cast<int>(count);
}

int Port::xstats_get_names_by_id(const std::uint64_t* ids, rte_eth_xstat_name* names, unsigned size) {
    const XstatLayout layout(*this);
    XstatLayout::Entry entry{};
    for (unsigned i = 0; i < size; ++i) {
        if (ids[i] > UINT32_MAX || !layout.at(static_cast<unsigned>(ids[i]), entry)) {
            log(g_log_driver, RTE_LOG_ERR, "%s: no xstat with id %lu (there are %u)", resources().name,
                static_cast<unsigned long>(ids[i]), layout.size());
            return -EINVAL;
        }
        XstatLayout::name(entry, names[i].name);
    }
    return static_cast<int>(size);
}

int Port::xstats_reset() { return stats_reset(); }

}  // namespace ena::ng
