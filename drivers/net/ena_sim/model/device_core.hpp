// State every part of the simulated device shares, and the rules for touching it.
//
// Locks:
//   process_mutex  serializes process(): register handling, admin commands, AENQ, Tx. Taken by
//                  every public entry point except receive_frame().
//   rx_mutex       guards the Rx side: Rx ring cursors, Rx counters, the ingress half of the
//                  Nitro stage. receive_frame() takes only this one (and the Nitro lock
//                  below), so a device's Tx can deliver to another device (or itself) while
//                  holding its own process_mutex without risking a lock-order cycle.
//   FaultPlan's schedule lock  a leaf for the list of scheduled faults (schedule_fault may be
//                  called from any thread); fault counts themselves are atomics.
//   Nitro's shared lock  a leaf (nitro.hpp) for what both directions of the ENI share: the
//                  PPS bucket and the connection-tracking table. Taken last, held briefly.
// Order: process_mutex, then rx_mutex, then the Nitro lock; never the other way round.
// State the Rx path reads but admin commands change (queue table, RSS, MTU) is modified with
// both locks held, so either lock is enough to read it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "bar_memory.hpp"
#include "ena_hw.hpp"
#include "ena_sim_device.hpp"
#include "guest_memory.hpp"
#include "nitro.hpp"
#include "queues.hpp"
#include "register_file.hpp"
#include "rss.hpp"

namespace ena::sim::detail {

// Device time: a virtual clock in synchronous/deferred mode (moved by advance_time only),
// real_time_ns() in threaded and inline mode (one time base for every device, so that
// deadlines of several devices compare).
class DeviceClock {
public:
    explicit DeviceClock(bool real) : real_(real) {}
    bool real() const { return real_; }
    std::uint64_t now_ns() const { return real_ ? real_time_ns() : virtual_ns_.load(std::memory_order_acquire); }
    void advance(std::uint64_t ns) { virtual_ns_.fetch_add(ns, std::memory_order_acq_rel); }

private:
    bool real_;
    std::atomic<std::uint64_t> virtual_ns_{0};
};

// What faults are armed (counts and parameters, lock-free: the places that commit them check
// on their hot paths) and which are scheduled for later.
class FaultPlan {
public:
    static constexpr std::uint64_t kNever = ~std::uint64_t{0};

    FaultPlan() {
        for (unsigned i = 0; i < kFaultCount; ++i)
            params_[i].store(default_fault_param(static_cast<Fault>(i)), std::memory_order_relaxed);
    }

    void set(Fault f, std::uint32_t n, std::uint32_t param = kFaultDefaultParam) {
        // The parameter first: whoever sees the count sees the parameter armed with it.
        params_[index(f)].store(param == kFaultDefaultParam ? default_fault_param(f) : param,
                                std::memory_order_relaxed);
        counts_[index(f)].store(n, std::memory_order_release);
    }
    std::uint32_t pending(Fault f) const { return counts_[index(f)].load(std::memory_order_acquire); }
    std::uint32_t param(Fault f) const { return params_[index(f)].load(std::memory_order_relaxed); }
    // True when this occurrence must misbehave (uses up one planned occurrence).
    bool fire(Fault f) {
        auto& c = counts_[index(f)];
        std::uint32_t n = c.load(std::memory_order_relaxed);
        while (n != 0) {
            if (n == kFaultForever || n == kFaultUntilReset)
                return true;
            if (c.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel))
                return true;
        }
        return false;
    }
    // The device is being reset: faults armed until then end.
    void device_reset() {
        for (auto& c : counts_) {
            std::uint32_t n = kFaultUntilReset;
            c.compare_exchange_strong(n, 0, std::memory_order_acq_rel);
        }
    }

    // Scheduled faults. Delays count from the driver's first start (mark_started).
    void schedule(Fault f, std::uint64_t delay_ns, std::uint32_t count, std::uint32_t param) {
        std::lock_guard lock(schedule_mutex_);
        schedule_.push_back(Scheduled{f, delay_ns, count, param});
        update_next_due();
    }
    // The driver started the device (its first CREATE_SQ): from now on scheduled faults fall due.
    void mark_started(std::uint64_t now_ns) {
        if (started_ns_.load(std::memory_order_relaxed) != kNever)
            return;
        std::lock_guard lock(schedule_mutex_);
        if (started_ns_.load(std::memory_order_relaxed) != kNever)
            return;
        started_ns_.store(now_ns, std::memory_order_release);
        update_next_due();
    }
    std::optional<std::uint64_t> started_ns() const {
        const std::uint64_t t = started_ns_.load(std::memory_order_acquire);
        return t == kNever ? std::nullopt : std::optional<std::uint64_t>(t);
    }
    // Arms the scheduled faults due by `now`, in the order they fall due; true when any was.
    bool arm_due(std::uint64_t now_ns) {
        if (now_ns < next_due_ns_.load(std::memory_order_acquire))
            return false;
        std::lock_guard lock(schedule_mutex_);
        const std::uint64_t start = started_ns_.load(std::memory_order_relaxed);
        bool armed = false;
        while (true) {
            auto due = schedule_.end();
            for (auto it = schedule_.begin(); it != schedule_.end(); ++it)
                if (start + it->delay_ns <= now_ns && (due == schedule_.end() || it->delay_ns < due->delay_ns))
                    due = it;
            if (due == schedule_.end())
                break;
            set(due->fault, due->count, due->param);
            schedule_.erase(due);
            armed = true;
        }
        update_next_due();
        return armed;
    }
    std::uint64_t next_due_ns() const { return next_due_ns_.load(std::memory_order_acquire); }
    std::size_t scheduled() const {
        std::lock_guard lock(schedule_mutex_);
        return schedule_.size();
    }

private:
    struct Scheduled {
        Fault fault;
        std::uint64_t delay_ns;
        std::uint32_t count, param;
    };
    static unsigned index(Fault f) { return static_cast<unsigned>(f); }
    void update_next_due() {  // schedule_mutex_ held
        std::uint64_t next = kNever;
        const std::uint64_t start = started_ns_.load(std::memory_order_relaxed);
        if (start != kNever)
            for (const Scheduled& s : schedule_)
                next = std::min(next, start + s.delay_ns);
        next_due_ns_.store(next, std::memory_order_release);
    }

    std::array<std::atomic<std::uint32_t>, kFaultCount> counts_{};
    std::array<std::atomic<std::uint32_t>, kFaultCount> params_{};
    mutable std::mutex schedule_mutex_;  // a leaf: nothing else is locked under it
    std::vector<Scheduled> schedule_;
    std::atomic<std::uint64_t> started_ns_{kNever};
    std::atomic<std::uint64_t> next_due_ns_{kNever};
};

// The interrupt handler the driver side installed. Deliveries copy it (outside the device's
// locks) and call the copy, so replacing it never races with a delivery in flight: set()
// returns once no delivery of the old handler is running (unless called from a handler).
class InterruptLine {
public:
    void set(InterruptHandler handler);
    // Calls the handler for each vector, in order.
    void deliver(const std::vector<std::uint32_t>& vectors) const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const InterruptHandler> handler_;
};

// Interrupt vectors raised while a lock is held, delivered after it is released.
class PendingInterrupts {
public:
    void raise(std::uint32_t vector) {
        if (enabled_)
            vectors_.push_back(vector);
    }
    void set_enabled(bool on) { enabled_ = on; }
    bool pending() const { return !vectors_.empty(); }
    // Moves the pending vectors into `out` (cleared first). Call with the owning lock held.
    void take(std::vector<std::uint32_t>& out) {
        out.clear();
        out.swap(vectors_);
    }

private:
    bool enabled_ = false;
    std::vector<std::uint32_t> vectors_;
};

// Counters the Rx path moves (under rx_mutex).
struct RxCounters {
    std::uint64_t packets = 0, bytes = 0, drops = 0, overruns = 0;
    std::uint64_t oversize_drops = 0, malformed = 0, dma_errors = 0;
};

struct DeviceCore {
    DeviceCore(Device& self, const DeviceConfig& config, IovaTranslator iova, EngineMode mode);

    Device& self;
    const DeviceConfig config;
    const EngineMode mode;
    DeviceClock clock;
    GuestMemory memory;
    RegisterFile registers;
    BarMemory llq_bar;
    std::size_t llq_bar_size = 0;
    std::uint32_t llq_queue_stride = 0;  // bytes of BAR2 per LLQ slot

    std::mutex process_mutex;
    std::mutex rx_mutex;

    QueueTable queues;
    int first_rx_sq = -1;  // lowest-index Rx SQ (-1: none), where frames go before an RSS table is set
    // By SQ index: a Tx SQ is there, so its doorbell is served at once in inline mode (read
    // without a lock by on_register_write; set by queues_changed()).
    std::unique_ptr<std::atomic<bool>[]> tx_sq;
    // The Tx SQs' indices in order (process_mutex; set by queues_changed()): a pass serves
    // them without looking at every queue index.
    std::vector<std::uint16_t> tx_sq_indices;
    std::vector<std::uint16_t> cq_indices;  // the same for the CQs that exist (their registers)
    RxCompletionUseQuery rx_completion_use;  // process_mutex; asked at every Rx CREATE_SQ
    std::uint32_t live_sqs = 0;  // IO SQs that exist (process_mutex): the driver started the device
    RssState rss;
    FaultPlan faults;
    std::shared_ptr<Wire> wire;
    std::atomic<bool> wire_polls{false};  // wire->polls(), for a look without process_mutex
    // The Engine or Timekeeper running the device (Device::set_sleeper).
    std::atomic<Sleeper*> sleeper{nullptr};
    // The host calls on_register_write (so an IO doorbell can wake a sleeping engine); a host
    // that never does (PCI-style polling) is polled by the engine as hardware would.
    std::atomic<bool> host_notifies{false};

    // Negotiated configuration (power-on values restored by a device reset).
    std::optional<hw::LlqLayout> llq_layout;
    std::uint16_t llq_accel_flags = 0;  // accel flags the driver enabled and the device offers
    std::uint32_t mtu = 0;
    std::optional<hw::HostInfo> host_info;
    std::uint64_t host_info_address = 0;
    bool frag_bypass = false;
    std::uint32_t last_reset_reason = 0;
    std::vector<std::uint32_t> reset_reasons;  // every DEV_RESET's reason, oldest first (the last 64)

    std::atomic<bool> link_up;
    std::atomic<bool> fatal_error{false};

    // Where readless answers go: latched from MMIO_RESP_LO/HI as the driver writes them and
    // forgotten when a reset starts (drivers write it again after every DEV_RESET). Read
    // without a lock so that a readless read is answered whatever else the device is doing.
    static constexpr std::uint64_t kNoReadlessAddress = ~std::uint64_t{0};
    std::atomic<std::uint64_t> readless_address{kNoReadlessAddress};
    std::atomic<std::uint64_t> readless_dma_errors{0};

    DeviceStats stats;     // everything but the Rx-side counters (process_mutex)
    RxCounters rx_counters;  // (rx_mutex)
    // The Nitro card's stage for this ENI: egress side under process_mutex, ingress side under
    // rx_mutex, shared state under its own leaf lock.
    Nitro nitro;

    InterruptLine interrupts;
    PendingInterrupts irq_process;  // raised under process_mutex
    PendingInterrupts irq_rx;       // raised under rx_mutex

    // After a queue came or went (both locks held).
    void queues_changed() {
        cq_indices.clear();
        for (std::uint16_t i = 0; i < queues.capacity(); ++i)
            if (queues.cq(i).exists)
                cq_indices.push_back(i);
        first_rx_sq = -1;
        tx_sq_indices.clear();
        std::uint32_t tx_rank = 0;
        for (std::uint16_t i = 0; i < queues.capacity(); ++i) {
            SubmissionQueue& sq = queues.sq(i);
            const bool tx = sq.exists && !sq.rx;
            if (sq.exists && sq.rx && first_rx_sq < 0)
                first_rx_sq = i;
            if (tx) {
                sq.tx_rank = tx_rank++;
                tx_sq_indices.push_back(i);
            }
            tx_sq[i].store(tx, std::memory_order_release);
        }
    }
    // Tells the Engine or Timekeeper running the device to be awake by `deadline_ns` (0: now).
    void wake_sleeper(std::uint64_t deadline_ns) const {
        if (Sleeper* s = sleeper.load(std::memory_order_acquire))
            s->wake_by(deadline_ns);
    }

    // Largest frame the MTU allows, L2 header (with `vlans` tags) included.
    std::uint32_t max_frame(unsigned vlans) const {
        return (mtu != 0 ? mtu : config.max_mtu) + 14 + 4 * vlans;
    }
    bool llq_meta_required() const {
        return llq_accel_flags & (1u << static_cast<unsigned>(hw::LlqAccelFlag::kDisableMetaCaching));
    }
    bool admin_interrupts_unmasked() const { return (registers.load(hw::reg::kIntrMask) & hw::kAdminIntrMask) == 0; }
    // A completion was written: the CQ fires its vector if it is in interrupt mode and armed
    // (and disarms) -- at once, or with a moderation delay once the delay from this first
    // completion has passed (fire_moderated_interrupts). Armed is looked at before any locked
    // instruction: drivers create every CQ in interrupt mode and most never arm it, and a locked
    // exchange per completion would wait for every store before it (the frame's bytes).
    // The test inline, the rest out of line: a call whose body may call on costs a frame's
    // worth of register saves even when it returns at once.
    [[gnu::always_inline]] void signal_cq(CompletionQueue& cq, PendingInterrupts& irq) {
        if (cq.interrupt_mode && cq.armed.load(std::memory_order_relaxed))
            signal_armed_cq(cq, irq);
    }
    [[gnu::noinline]] void signal_armed_cq(CompletionQueue& cq, PendingInterrupts& irq) {
        const std::uint64_t delay = cq.delay_ns.load(std::memory_order_relaxed);
        if (delay == 0) {
            if (cq.armed.exchange(false, std::memory_order_acq_rel))
                irq.raise(cq.msix_vector);
            return;
        }
        // Within the delay already (a deadline is set): no locked instruction per completion.
        if (cq.fire_at_ns.load(std::memory_order_relaxed) != 0)
            return;
        std::uint64_t none = 0;
        const std::uint64_t fire_at = clock.now_ns() + delay;
        if (cq.fire_at_ns.compare_exchange_strong(none, fire_at, std::memory_order_acq_rel)) {
            moderated_pending.store(true, std::memory_order_release);
            wake_sleeper(fire_at);  // an Engine or Timekeeper asleep past it fires it in time
        }
    }
    // Some CQ may have a delayed interrupt due (set after its deadline; cleared by the pass that
    // finds none), so that passes without moderation skip the scan.
    std::atomic<bool> moderated_pending{false};
};

}  // namespace ena::sim::detail
