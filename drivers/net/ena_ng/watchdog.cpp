// The watchdog: runs by itself on the control-path alarm every watchdog_interval ms (primary
// process) -- unlike DPDK's ENA PMD, whose watchdog runs only when the application calls
// rte_timer_manage(). Each pass processes the device's events, then, while the port is started
// and no reset is pending, checks:
//   keep-alive        no KEEP_ALIVE event for the device's timeout (hint, else 3 s): wd_expired,
//                     reset KEEP_ALIVE_TO
//   admin queue       a command got no completion (the queue stopped running): ADMIN_TO
//   device status     DEV_STS FATAL_ERROR, or a register read the device never answered: GENERIC
//   Tx completions    packets handed to the device more than miss_txc_to seconds ago and not
//                     completed (each stamped with the last pass before it left, so a packet
//                     counts only once it has surely waited that long, and is found within two
//                     passes after), counted once each in tx_qN_missed_tx; more than the threshold
//                     (the device's hint, else min(depth / 2, 256)) on a queue: MISS_TX_CMPL
// Whatever latched a reason -- these checks, the datapath (bad request ids, malformed
// completions), the device's own events (fatal error, reset request) -- the pass then counts
// it (reset_total, reset_<reason>) and raises RTE_ETH_EVENT_INTR_RESET once; with
// auto_recover=1 it resets and restarts the port itself.
#include <rte_ethdev.h>
#include <rte_io.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "log.hpp"
#include "memzone_dma.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

constexpr unsigned kDefaultMissingTxThreshold = 256;  // DPDK's ENA PMD: min(ring / 2, 256)

std::uint16_t next_tick(std::uint16_t tick) {
    ++tick;
    return tick == TxQueue::kNotInFlight ? 0 : tick;
}

}  // namespace

void Port::watchdog_tick() {
    if (!device_.initialised())
        return;
    poll_control_path();  // keep-alives and the device's own requests first
    {
        std::unique_lock guard(control_lock_, std::try_to_lock);
        // A control call (start, stop, reset) holds the lock: the queues are changing; next pass.
        if (guard.owns_lock() && data_->dev_started && !device_.reset_requested()) {
            check_keep_alive(now_ns(resources()));
            if (!device_.reset_requested() && !device_.admin().running())
                device_.request_reset(hw::ResetReason::kAdminTimeout, "an admin command got no completion");
            if (!device_.reset_requested()) {
                const std::uint32_t status = device_.registers().read(hw::reg::kDevSts);
                if (status == hw::kRegisterReadFailed)
                    device_.request_reset(hw::ResetReason::kGeneric, "the device did not answer a register read");
                else if (hw::dev_sts::FatalError::get(status))
                    device_.request_reset(hw::ResetReason::kGeneric, "DEV_STS shows a fatal error");
            }
            const std::uint64_t now = now_ns(resources());
            for (std::uint16_t q = 0; q < data_->nb_tx_queues && !device_.reset_requested(); ++q)
                if (TxQueue* tx = tx_queue(q); tx != nullptr && tx->started())
                    check_tx_completions(*tx, now);
            mark_watchdog_pass(now);
        }
    }
    if (device_.reset_requested() && !reset_event_raised_.load(std::memory_order_acquire))
        raise_reset_event();
}

void Port::check_keep_alive(std::uint64_t now) {
    const unsigned timeout_ms = device_.keep_alive_timeout_ms();
    if (timeout_ms == 0)
        return;
    const std::uint64_t last = std::max(device_.event_counters().last_keep_alive_ns, keep_alive_epoch_ns_);
    if (now <= last || now - last <= std::uint64_t{timeout_ms} * 1'000'000)
        return;
    ++counters_.watchdog_expired;
    char why[96];
    std::snprintf(why, sizeof(why), "no keep-alive from the device for %" PRIu64 " ms (timeout %u ms)",
                  (now - last) / 1'000'000, timeout_ms);
    device_.request_reset(hw::ResetReason::kKeepAliveTimeout, why);
}

// A packet carries the number of the last watchdog pass before it left (TxQueue::requests),
// so it left after that pass and before the next one: it has been outstanding for at least
// now minus the next pass's time. Past the ring of pass times, at least now minus the oldest.
std::uint64_t Port::outstanding_at_least_ns(std::uint16_t stamp, std::uint64_t now) const {
    const auto passes = static_cast<std::uint16_t>(pass_ - stamp);
    if (passes == 0)
        return 0;  // left after the last pass
    const auto next = static_cast<std::uint16_t>(stamp + 1);
    const std::uint64_t then = passes <= kPassTimes ? pass_ns_[next % kPassTimes]
                                                    : pass_ns_[static_cast<std::uint16_t>(pass_ + 1) % kPassTimes];
    return now > then ? now - then : 0;
}

void Port::mark_watchdog_pass(std::uint64_t now) {
    pass_ = next_tick(pass_);
    pass_ns_[pass_ % kPassTimes] = now;
    for (std::uint16_t q = 0; q < data_->nb_tx_queues; ++q)
        if (TxQueue* tx = tx_queue(q))
            store_relaxed(tx->watch_tick, pass_);
}

void Port::check_tx_completions(TxQueue& q, std::uint64_t now) {
    const unsigned timeout_s = args_.missing_tx_completion_timeout_s;
    if (timeout_s == 0)
        return;
    const std::uint64_t timeout_ns = std::uint64_t{timeout_s} * 1'000'000'000;
    const std::uint16_t depth = q.config.depth;
    // Completions the device wrote that the datapath has not read yet (an application that
    // stopped sending reads none) are not missing: peek at them past the datapath's head.
    const auto* ring = q.cq_ring.as<hw::TxCompletion>();
    std::uint16_t head = load_relaxed(q.cq_head);
    for (std::uint16_t k = 0; k < depth; ++k, ++head) {
        const volatile hw::TxCompletion& c = ring[head & q.mask];
        if (hw::tx_completion::Phase::get(c.flags) != hw::ring_phase(head, depth))
            break;
        rte_io_rmb();
        if (const std::uint16_t id = c.req_id; id < depth)
            q.completed_mark[id] = pass_;
    }
    unsigned overdue = 0, newly = 0;
    for (std::uint16_t id = 0; id < depth; ++id) {
        const std::uint16_t stamp = TxQueue::request_tick(load_relaxed(q.requests[id].word));
        if (stamp == TxQueue::kNotInFlight || q.completed_mark[id] == pass_ ||
            outstanding_at_least_ns(stamp, now) <= timeout_ns)
            continue;
        ++overdue;
        const auto mark = static_cast<std::uint16_t>(stamp + 1);
        if (q.missed_tick[id] != mark) {
            q.missed_tick[id] = mark;
            ++newly;
        }
    }
    if (newly == 0)
        return;
    q.stats.missed_completions += newly;  // its one writer: the watchdog
    if (!q.missed_reported) {
        q.missed_reported = true;
        log(g_log_driver, RTE_LOG_WARNING, "%s: Tx queue %u: %u packets without a completion for over %u s", name_,
            q.config.index, overdue, timeout_s);
    }
    const std::uint16_t hint = device_.features().hints.missed_tx_completion_count_threshold_to_reset;
    const unsigned threshold = hint != 0 && hint != hw::kHwHintNoTimeout
                                   ? hint
                                   : std::min<unsigned>(depth / 2, kDefaultMissingTxThreshold);
    if (overdue > threshold) {
        char why[112];
        std::snprintf(why, sizeof(why), "Tx queue %u has %u packets without a completion for over %u s (threshold %u)",
                      q.config.index, overdue, timeout_s, threshold);
        device_.request_reset(hw::ResetReason::kMissingTxCompletion, why);
    }
}

// auto_recover=1: the application keeps polling the port, so it stays started as far as
// ethdev knows (its bursts must not meet ethdev's "port not started" path). The queues halt --
// bursts return 0 from now on -- and after a pause for bursts already under way the device is
// reset, brought up and its queues started again. Runs in the alarm's thread.
void Port::recover_by_itself() {
    constexpr unsigned kQuiesceMs = 20;  // a burst under way finishes in microseconds
    const hw::ResetReason reason = device_.requested_reset_reason();
    std::unique_lock guard(control_lock_, std::try_to_lock);
    if (!guard.owns_lock()) {
        reset_event_raised_.store(false, std::memory_order_release);  // the application is busy: next pass
        return;
    }
    log(g_log_driver, RTE_LOG_WARNING, "%s: auto_recover: resetting port %u (reason %s)", name_, data_->port_id,
        hw::reset_reason_name(reason));
    const std::uint64_t started_ns = tsc_now_ns(nullptr);
    const bool was_started = data_->dev_started != 0;
    for (std::uint16_t q = 0; q < data_->nb_rx_queues; ++q)
        if (RxQueue* rx = rx_queue(q))
            store_relaxed(rx->halted, true);
    for (std::uint16_t q = 0; q < data_->nb_tx_queues; ++q)
        if (TxQueue* tx = tx_queue(q))
            store_relaxed(tx->halted, true);
    tsc_sleep_us(nullptr, kQuiesceMs * 1000);
    int rc = reset_device();
    if (rc == 0 && was_started) {
        rc = start_queues();
        keep_alive_epoch_ns_ = now_ns(resources());
    }
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: auto_recover: port %u did not come back (%d); the application must reset it",
            name_, data_->port_id, rc);
        rte_eth_dev_callback_process(eth_dev(), RTE_ETH_EVENT_INTR_RESET, nullptr);
        return;
    }
    log(g_log_driver, RTE_LOG_NOTICE, "%s: auto_recover: port %u carries traffic again after %" PRIu64 " ms", name_,
        data_->port_id, (tsc_now_ns(nullptr) - started_ns) / 1'000'000);
}

void Port::raise_reset_event() {
    reset_event_raised_.store(true, std::memory_order_release);
    const hw::ResetReason reason = device_.requested_reset_reason();
    const auto index = static_cast<unsigned>(reason);
    if (index < hw::kResetReasonCount) {
        if (resets_.by_reason[index].get() == 0) {
            const std::uint64_t n = resets_.seen.get();
            resets_.order[n].store(static_cast<std::uint8_t>(index), std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_release);
            resets_.seen.set(n + 1);
        }
        ++resets_.by_reason[index];
    }
    ++resets_.total;
    if (args_.auto_recover) {
        recover_by_itself();
        return;
    }
    log(g_log_driver, RTE_LOG_ERR,
        "%s: port %u needs a reset (reason %s): raising RTE_ETH_EVENT_INTR_RESET; the application stops the port's "
        "traffic, calls rte_eth_dev_reset() and starts it again (testpmd: stop, port stop, port reset, port start, "
        "start)",
        name_, data_->port_id, hw::reset_reason_name(reason));
    rte_eth_dev_callback_process(eth_dev(), RTE_ETH_EVENT_INTR_RESET, nullptr);
}

}  // namespace ena::ng
