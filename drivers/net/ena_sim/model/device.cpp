// ena::sim::Device: the public face of the simulated device; the Engine and Timekeeper that
// run devices on their own threads.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

#include "device_impl.hpp"

namespace ena::sim {

std::string validate_config(const DeviceConfig& c) {
    if (c.max_io_queues == 0 || c.max_io_queues > 1024)
        return "max_io_queues must be 1..1024";
    if (!hw::valid_ring_depth(c.max_tx_depth) || !hw::valid_ring_depth(c.max_rx_depth))
        return "queue depths must be powers of two up to 32768";
    if (c.max_wide_llq_depth != 0 && !hw::valid_ring_depth(c.max_wide_llq_depth))
        return "max_wide_llq_depth must be 0 or a power of two";
    if (c.max_tx_descs_per_packet < 2 || c.max_rx_descs_per_packet < 1)
        return "per-packet descriptor limits too small";
    if (c.rss_table_log_size > 16)
        return "rss_table_log_size must be at most 16";
    if (c.max_mtu < 128 || c.max_mtu > 65535 - 64)
        return "max_mtu out of range";
    if (c.dma_addr_width < 32 || c.dma_addr_width > 64)
        return "dma_addr_width must be 32..64";
    constexpr unsigned kMaxReset = hw::caps::ResetTimeout::kMask >> hw::caps::ResetTimeout::kShift;
    constexpr unsigned kMaxAdmin = hw::caps::AdminCmdTimeout::kMask >> hw::caps::AdminCmdTimeout::kShift;
    if (c.reset_timeout_100ms == 0 || c.reset_timeout_100ms > kMaxReset)
        return "reset_timeout_100ms " + std::to_string(c.reset_timeout_100ms) + " does not fit CAPS (1.." +
               std::to_string(kMaxReset) + " x 100 ms)";
    if (c.admin_timeout_100ms > kMaxAdmin)
        return "admin_timeout_100ms " + std::to_string(c.admin_timeout_100ms) + " does not fit CAPS (0.." +
               std::to_string(kMaxAdmin) + " x 100 ms; 0: the driver's default)";
    const NitroConfig& n = c.nitro;
    if (n.burst_ms == 0 || n.burst_ms > 1000)
        return "nitro.burst_ms must be 1..1000";
    if (n.shaping_queue > 65536)
        return "nitro.shaping_queue must be at most 65536";
    if (n.conntrack_max > 4194304)
        return "nitro.conntrack_max must be at most 4194304";
    const ConntrackTimeouts& t = n.conntrack_timeouts;
    for (std::uint32_t s : {t.tcp_established, t.udp, t.udp_stream, t.tcp_transitory, t.tcp_closed, t.icmp, t.other})
        if (s == 0 || s > 432000)
            return "conntrack timeouts must be 1..432000 s";
    if (n.srd_flows > 1048576 || n.srd_flow_idle_ms == 0)
        return "nitro.srd_flows must be at most 1048576 and srd_flow_idle_ms at least 1";
    return {};
}

namespace detail {

namespace {

std::size_t llq_stride(const DeviceConfig& c) {
    if (c.llq == LlqOffer::kNone)
        return 0;
    std::size_t bytes = std::size_t{c.max_tx_depth} * 128;
    if (c.llq == LlqOffer::kWide) {
        const std::size_t wide_depth = c.max_wide_llq_depth != 0 ? c.max_wide_llq_depth : c.max_tx_depth / 2;
        bytes = std::max(bytes, wide_depth * 256);
    }
    return (bytes + 4095) & ~std::size_t{4095};
}

const DeviceConfig& checked(const DeviceConfig& c) {
    if (const std::string error = validate_config(c); !error.empty())
        throw std::invalid_argument(c.name + ": " + error);
    return c;
}

}  // namespace

DeviceCore::DeviceCore(Device& device, const DeviceConfig& cfg, IovaTranslator iova, EngineMode m)
    : self(device),
      config(checked(cfg)),
      mode(m),
      clock(m == EngineMode::kThreaded || m == EngineMode::kInline),
      memory(iova, cfg.dma_addr_width),
      registers(register_bar_size(2u * cfg.max_io_queues)),
      queues(cfg.max_io_queues),
      rss(cfg.rss_table_log_size),
      link_up(cfg.link_up),
      nitro(cfg.nitro, std::size_t{cfg.max_mtu} + 14 + 8) {
    tx_sq = std::make_unique<std::atomic<bool>[]>(queues.capacity());
    tx_sq_indices.reserve(queues.capacity());
    cq_indices.reserve(queues.capacity());
    llq_queue_stride = static_cast<std::uint32_t>(llq_stride(config));
    if (llq_queue_stride != 0) {
        llq_bar_size = std::size_t{llq_queue_stride} * config.max_io_queues;
        llq_bar = BarMemory(llq_bar_size);
    }
}

}  // namespace detail

Device::Impl::Impl(Device& self, const DeviceConfig& config, IovaTranslator iova, EngineMode mode)
    : core(self, config, iova, mode), aenq(core), commands(core, aenq), admin(core, commands), tx(core, aenq), rx(core) {
    power_on_registers();
}

bool Device::Impl::process_control_locked() {
    // A register read request is the last thing a driver writes before it waits: load it first,
    // so that whatever was written before it (DEV_CTL, the response address) is seen in this
    // pass too -- a device sees posted writes in order -- and a request written after this
    // load waits for the next pass. A driver writes the readless address again right after it
    // starts a reset: take those writes before looking at DEV_CTL, and apply them after, so
    // that a rewrite seen in this pass is never undone by the reset seen with it.
    const std::uint32_t read_request = core.registers.load(hw::reg::kMmioRegRead);
    const AddressWrites address = take_readless_address_writes();
    bool did = handle_dev_ctl();
    did |= apply_readless_address_writes(address);
    did |= answer_readless(read_request);
    if (in_reset || core.fatal_error.load())
        return did;  // only reset and register reads work now
    aenq.observe_head();
    did |= admin.service();
    did |= handle_rss_entry_update();
    did |= handle_cq_unmask();
    did |= fire_moderated_interrupts();
    return did;
}

bool Device::Impl::process_locked() {
    bool did = process_control_locked();
    if (!in_reset && !core.fatal_error.load()) {
        did |= tx.service();
        did |= tx.drain_shaped();
        did |= aenq.run_timers();
    }
    did |= run_faults();  // after the timers, as advance_time() orders them
    return did;
}

namespace {

// Interrupt vectors taken out from under a lock and delivered after it is released. The
// buffer is borrowed from a per-thread spare so that steady-state delivery does not allocate;
// a handler that re-enters a device (same thread) simply gets a fresh buffer.
thread_local std::vector<std::uint32_t> t_spare_vectors;

class IrqBatch {
public:
    IrqBatch() { vectors_.swap(t_spare_vectors); }
    ~IrqBatch() {
        vectors_.clear();
        if (t_spare_vectors.capacity() < vectors_.capacity())
            t_spare_vectors.swap(vectors_);
    }
    void take(detail::PendingInterrupts& pending) { pending.take(vectors_); }
    void fire(const detail::InterruptLine& line) {
        if (!vectors_.empty())
            line.deliver(vectors_);
    }

private:
    std::vector<std::uint32_t> vectors_;
};

// Handlers currently running on this thread: set() must not wait for itself.
thread_local unsigned t_handler_depth = 0;

}  // namespace

namespace detail {

void InterruptLine::set(InterruptHandler handler) {
    std::shared_ptr<const InterruptHandler> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(handler_, handler ? std::make_shared<const InterruptHandler>(std::move(handler)) : nullptr);
    }
    // Every delivery holds a copy of the pointer while it calls the handler.
    while (t_handler_depth == 0 && old && old.use_count() > 1)
        std::this_thread::yield();
}

void InterruptLine::deliver(const std::vector<std::uint32_t>& vectors) const {
    std::shared_ptr<const InterruptHandler> handler;
    {
        std::lock_guard lock(mutex_);
        handler = handler_;
    }
    if (!handler)
        return;
    ++t_handler_depth;
    for (std::uint32_t v : vectors)
        (*handler)(v);
    --t_handler_depth;
}

}  // namespace detail

Device::Device(const DeviceConfig& config, IovaTranslator iova, EngineMode mode)
    : impl_(std::make_unique<Impl>(*this, config, iova, mode)) {}

Device::~Device() {
    std::shared_ptr<Wire> wire;
    {
        std::lock_guard lock(impl_->core.process_mutex);
        wire = std::move(impl_->core.wire);
    }
    if (wire)
        wire->detach(*this);
}

const DeviceConfig& Device::config() const { return impl_->core.config; }
EngineMode Device::mode() const { return impl_->core.mode; }

volatile std::uint8_t* Device::register_bar() { return impl_->core.registers.bar(); }
std::size_t Device::register_bar_size() const { return impl_->core.registers.size(); }
std::uint8_t* Device::llq_bar() { return impl_->core.llq_bar.get(); }
std::size_t Device::llq_bar_size() const { return impl_->core.llq_bar_size; }

void Device::on_register_write(std::uint32_t offset) {
    detail::DeviceCore& c = impl_->core;
    if (!c.host_notifies.load(std::memory_order_relaxed))
        c.host_notifies.store(true, std::memory_order_relaxed);
    switch (c.mode) {
        case EngineMode::kSynchronous:
            process();
            break;
        case EngineMode::kThreaded:
            // The engine thread polls everything; a control register the driver wrote is
            // answered here and now, so a busy or starved engine never delays the control path.
            if (offset == hw::reg::kMmioRegRead)
                impl_->answer_readless();
            else if (offset < hw::reg::kFixedRegisterEnd)
                process_control();
            else
                c.wake_sleeper(0);  // an IO doorbell: work for the engine if it sleeps
            break;
        case EngineMode::kInline:
            if (offset == hw::reg::kMmioRegRead) {
                impl_->answer_readless();
            } else if (offset < hw::reg::kFixedRegisterEnd) {
                process_control();
            } else {
                const std::uint32_t rel = offset - detail::queue_regs::kBase;
                const std::uint32_t index = rel / detail::queue_regs::kStride;
                if (rel % detail::queue_regs::kStride != 0)
                    process_control();  // CQ unmask
                else if (index < c.queues.capacity() && c.tx_sq[index].load(std::memory_order_acquire))
                    impl_->serve_tx(static_cast<std::uint16_t>(index));
                // An Rx doorbell needs nothing now: frames find the buffers when they come.
            }
            break;
        case EngineMode::kDeferred:
            break;  // the caller runs process()
    }
}

void Device::process_control() {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    bool did;
    {
        std::lock_guard lock(c.process_mutex);
        did = impl_->process_control_locked();
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupts);
    // A command may have started a timer (keep-alive, faults counted from the first start).
    if (did)
        c.wake_sleeper(0);
}

// Inline mode: the Tx SQ's doorbell was written; the caller's thread does the device's work.
void Device::Impl::serve_tx(std::uint16_t index) {
    IrqBatch irq;
    std::uint64_t shaped = kNoDeadline;
    {
        std::lock_guard lock(core.process_mutex);
        if (in_reset || core.fatal_error.load(std::memory_order_relaxed))
            return;
        tx.service_one(index);
        irq.take(core.irq_process);
        shaped = core.nitro.egress_queue().front_departure();
    }
    irq.fire(core.interrupts);
    if (shaped != kNoDeadline)
        core.wake_sleeper(shaped);  // frames held back leave at their time, sent or not
}

void Device::on_rx_poll() {
    detail::DeviceCore& c = impl_->core;
    if (c.mode != EngineMode::kInline)
        return;
    if (c.nitro.ingress_applies())
        impl_->drain_ingress();
    if (c.wire_polls.load(std::memory_order_relaxed)) {
        std::shared_ptr<Wire> wire;
        {
            std::lock_guard lock(c.process_mutex);
            wire = c.wire;
        }
        if (wire)
            wire->poll();
    }
}

bool Device::Impl::fault_event_waiting() const {
    const detail::FaultPlan& plan = core.faults;
    return plan.pending(Fault::kFatalError) != 0 || plan.pending(Fault::kDeviceResetRequest) != 0 ||
           plan.pending(Fault::kLinkFlap) != 0;
}

std::uint64_t Device::next_deadline_ns() const {
    detail::DeviceCore& c = impl_->core;
    std::uint64_t next;
    {
        std::lock_guard lock(c.process_mutex);
        next = impl_->next_fault_deadline();
        if (!impl_->in_reset && !c.fatal_error.load()) {
            next = std::min(next, impl_->aenq.next_timer_ns());
            next = std::min(next, impl_->next_interrupt_deadline());
            next = std::min(next, c.nitro.egress_queue().front_departure());
        }
        // A fault event armed now waits for a state (IO queues, an enabled group, the link up)
        // that the driver's commands bring: look again soon.
        if (impl_->fault_event_waiting())
            next = std::min(next, c.clock.now_ns() + Impl::kFaultEventPollNs);
    }
    std::lock_guard lock(c.rx_mutex);
    return std::min(next, c.nitro.ingress_queue().front_departure());
}

bool Device::run_timers() {
    detail::DeviceCore& c = impl_->core;
    bool did = false;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        if (!impl_->in_reset && !c.fatal_error.load()) {
            did |= impl_->tx.drain_shaped();
            did |= impl_->aenq.run_timers();
            did |= impl_->fire_moderated_interrupts();
        }
        did |= impl_->run_faults();
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupts);
    did |= impl_->drain_ingress();
    return did;
}

bool Device::wire_polls() const { return impl_->core.wire_polls.load(std::memory_order_relaxed); }
bool Device::host_notifies() const { return impl_->core.host_notifies.load(std::memory_order_relaxed); }

void Device::set_sleeper(Sleeper* sleeper) { impl_->core.sleeper.store(sleeper, std::memory_order_release); }

// Frames of the ingress shaping queue whose time has come go to their Rx rings (the Rx side's
// own lock; its interrupts fire after it is released).
bool Device::Impl::drain_ingress() {
    if (!core.nitro.ingress_applies())
        return false;
    bool did;
    IrqBatch irq;
    {
        std::lock_guard lock(core.rx_mutex);
        rx.begin_pass();
        did = rx.drain_shaped();
        irq.take(core.irq_rx);
    }
    irq.fire(core.interrupts);
    return did;
}

bool Device::process() {
    detail::DeviceCore& c = impl_->core;
    bool did;
    std::shared_ptr<Wire> wire;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        did = impl_->process_locked();
        irq.take(c.irq_process);
        if (c.mode != EngineMode::kThreaded)
            wire = c.wire;
    }
    irq.fire(c.interrupts);
    did |= impl_->drain_ingress();
    // Without an Engine nothing else polls the wire. Outside the locks: the wire delivers
    // through receive_frame, whose interrupts must not fire under process_mutex.
    if (wire)
        did |= wire->poll() > 0;
    return did;
}

std::uint64_t Device::now_ns() const { return impl_->core.clock.now_ns(); }

void Device::advance_time(std::uint64_t ns) {
    detail::DeviceCore& c = impl_->core;
    if (c.mode == EngineMode::kThreaded)
        return;  // real time
    std::shared_ptr<Wire> wire;
    std::optional<std::uint64_t> target;
    for (bool done = false; !done;) {
        IrqBatch irq;
        {
            std::lock_guard lock(c.process_mutex);
            if (!target)
                target = c.clock.now_ns() + ns;
            // Step to each deadline on the way (a scheduled fault, a flapped link's return, a
            // moderated interrupt): what was due up to it happens first, then it, at its exact
            // time; interrupts raised on the way are delivered before time moves on.
            for (std::uint64_t now = c.clock.now_ns();; now = c.clock.now_ns()) {
                const std::uint64_t deadline = std::min(impl_->next_fault_deadline(), impl_->next_interrupt_deadline());
                const std::uint64_t step_to = deadline > now && deadline < *target ? deadline : *target;
                c.clock.advance(step_to - now);
                if (!impl_->in_reset && !c.fatal_error.load()) {
                    impl_->tx.drain_shaped();  // frames whose time has come leave
                    impl_->aenq.run_timers();
                    impl_->fire_moderated_interrupts();
                }
                impl_->run_faults();
                if (step_to == *target) {
                    done = true;
                    break;
                }
                if (c.irq_process.pending())
                    break;
            }
            irq.take(c.irq_process);
            wire = c.wire;
        }
        irq.fire(c.interrupts);
    }
    impl_->drain_ingress();
    if (wire)
        wire->poll();  // as process() does
}

bool Device::attach_wire(std::shared_ptr<Wire> wire, std::string* error) {
    if (wire && !wire->attach(*this, error))
        return false;
    std::shared_ptr<Wire> old;
    {
        std::lock_guard lock(impl_->core.process_mutex);
        impl_->core.wire_polls.store(wire && wire->polls(), std::memory_order_relaxed);
        old = std::exchange(impl_->core.wire, wire);
    }
    if (old && old != wire)
        old->detach(*this);
    return true;
}

Wire* Device::wire() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.wire.get();
}

void Device::receive_frame(std::span<const std::uint8_t> frame, bool via_srd) {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    std::uint64_t shaped;
    {
        std::lock_guard lock(c.rx_mutex);
        impl_->rx.begin_pass();
        impl_->rx.deliver(frame, via_srd);
        irq.take(c.irq_rx);
        shaped = c.nitro.ingress_queue().front_departure();
    }
    irq.fire(c.interrupts);
    if (shaped != kNoDeadline)
        c.wake_sleeper(shaped);
}

void Device::receive_burst(const FrameBurst& burst) {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    std::uint64_t shaped;
    {
        std::lock_guard lock(c.rx_mutex);
        impl_->rx.begin_pass();
        if (burst.parsed != nullptr) {
            impl_->rx.deliver_burst(burst);
        } else {
            for (const std::span<const std::uint8_t>& f : burst.frames)
                impl_->rx.deliver(f, false);
        }
        irq.take(c.irq_rx);
        shaped = c.nitro.ingress_queue().front_departure();
    }
    irq.fire(c.interrupts);
    if (shaped != kNoDeadline)
        c.wake_sleeper(shaped);  // held-back frames are delivered at their time
}

bool Device::try_receive_frame(std::span<const std::uint8_t> frame) {
    detail::DeviceCore& c = impl_->core;
    bool taken;
    IrqBatch irq;
    {
        std::lock_guard lock(c.rx_mutex);
        impl_->rx.begin_pass();
        taken = impl_->rx.deliver(frame, false, detail::RxEngine::NoRoom::kRefuse);
        irq.take(c.irq_rx);
    }
    irq.fire(c.interrupts);
    return taken;
}

void Device::set_link(bool up) {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        impl_->set_link_locked(up);
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupts);
}

bool Device::link_up() const { return impl_->core.link_up.load(); }

void Device::raise_fatal_error() {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        impl_->fail_locked();
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupts);
}

DeviceStats Device::stats() const {
    detail::DeviceCore& c = impl_->core;
    std::lock_guard lock(c.process_mutex);
    std::lock_guard rx_lock(c.rx_mutex);
    DeviceStats s = c.stats;
    const detail::RxCounters& r = c.rx_counters;
    s.rx_packets = r.packets;
    s.rx_bytes = r.bytes;
    s.rx_drops = r.drops;
    s.rx_overruns = r.overruns;
    s.rx_oversize_drops = r.oversize_drops;
    s.malformed_rx = r.malformed;
    s.dma_errors += r.dma_errors + c.readless_dma_errors.load();
    impl_->nitro_stats(s);
    return s;
}

// The Nitro stage's counters and levels (process_mutex and rx_mutex held).
void Device::Impl::nitro_stats(DeviceStats& s) {
    detail::Nitro& n = core.nitro;
    const detail::EgressCounters& e = n.egress_counters;
    const detail::IngressCounters& i = n.ingress_counters;
    const std::uint64_t now = core.clock.now_ns();
    s.bw_in_allowance_exceeded = i.bw_in_exceeded;
    s.bw_out_allowance_exceeded = e.bw_out_exceeded;
    s.pps_allowance_exceeded = e.pps_exceeded + i.pps_exceeded;
    s.conntrack_allowance_exceeded = e.conntrack_exceeded + i.conntrack_exceeded;
    s.linklocal_allowance_exceeded = e.linklocal_exceeded;
    s.conntrack_entries = n.conntrack_entries(now);
    s.ena_srd_tx_pkts = e.srd_tx;
    s.ena_srd_eligible_tx_pkts = e.srd_eligible;
    s.ena_srd_rx_pkts = i.srd_rx;
    s.ena_srd_resource_utilization = n.srd_utilization(now);
    s.tx_shaping_queued = e.queued;
    s.tx_shaping_drops = e.shaping_drops;
    s.rx_shaping_queued = i.queued;
    s.rx_shaping_drops = i.shaping_drops;
    s.tx_shaping_waiting = n.egress_queue().size();
    s.rx_shaping_waiting = n.ingress_queue().size();
}

QueueState Device::sq_state(std::uint16_t index) const {
    detail::DeviceCore& c = impl_->core;
    std::lock_guard lock(c.process_mutex);
    std::lock_guard rx_lock(c.rx_mutex);
    QueueState s;
    if (index >= c.queues.capacity() || !c.queues.sq(index).exists)
        return s;
    const detail::SubmissionQueue& q = c.queues.sq(index);
    s.exists = true;
    s.depth = q.depth;
    s.llq = q.llq;
    s.base = q.base;
    s.doorbell_offset = detail::queue_regs::sq_doorbell(index);
    s.cq_index = q.cq;
    s.head = q.head;
    s.rx = q.rx;
    s.rx_checksums = q.rx && q.report_checksums;
    s.rx_hash = q.rx && q.report_hash;
    return s;
}

QueueState Device::cq_state(std::uint16_t index) const {
    detail::DeviceCore& c = impl_->core;
    std::lock_guard lock(c.process_mutex);
    std::lock_guard rx_lock(c.rx_mutex);
    QueueState s;
    if (index >= c.queues.capacity() || !c.queues.cq(index).exists)
        return s;
    const detail::CompletionQueue& q = c.queues.cq(index);
    s.exists = true;
    s.depth = q.depth;
    s.base = q.base;
    s.cq_index = index;
    s.head = static_cast<std::uint16_t>(q.produced);
    s.entry_size = q.entry_size;
    s.interrupt_mode = q.interrupt_mode;
    return s;
}

std::uint32_t Device::enabled_aenq_groups() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->aenq.enabled_groups();
}

std::uint32_t Device::mtu() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.mtu;
}

std::uint32_t Device::last_reset_reason() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.last_reset_reason;
}

std::vector<std::uint32_t> Device::reset_reasons() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.reset_reasons;
}

std::optional<hw::HostInfo> Device::host_info() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.host_info;
}

std::optional<hw::LlqLayout> Device::llq_layout() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.llq_layout;
}

bool Device::frag_bypass() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.frag_bypass;
}

std::uint32_t Device::rss_hash(std::span<const std::uint8_t> frame) const {
    std::lock_guard lock(impl_->core.rx_mutex);
    return impl_->core.rss.hash(frame, detail::parse_packet(frame));
}

void Device::inject_fault(Fault fault, std::uint32_t occurrences) { inject_fault(fault, occurrences, kFaultDefaultParam); }
void Device::inject_fault(Fault fault, std::uint32_t occurrences, std::uint32_t param) {
    impl_->core.faults.set(fault, occurrences, param);
    impl_->core.wake_sleeper(0);  // a fault event may be due now
}
std::uint32_t Device::pending_fault(Fault fault) const { return impl_->core.faults.pending(fault); }
std::uint32_t Device::fault_param(Fault fault) const { return impl_->core.faults.param(fault); }

void Device::schedule_fault(Fault fault, std::uint64_t delay_ms, std::uint32_t count, std::uint32_t param) {
    constexpr std::uint64_t kMaxDelayMs = std::uint64_t{1} << 40;  // 34 years: no overflow in ns
    impl_->core.faults.schedule(fault, std::min(delay_ms, kMaxDelayMs) * 1'000'000, count, param);
    impl_->core.wake_sleeper(0);
}
std::size_t Device::scheduled_faults() const { return impl_->core.faults.scheduled(); }
std::optional<std::uint64_t> Device::first_start_ns() const { return impl_->core.faults.started_ns(); }

void Device::set_interrupt_handler(InterruptHandler handler) {
    detail::DeviceCore& c = impl_->core;
    const bool on = static_cast<bool>(handler);
    {
        // No new vectors are queued once the handler is gone; a queued one finds it gone.
        std::lock_guard lock(c.process_mutex);
        std::lock_guard rx_lock(c.rx_mutex);
        c.irq_process.set_enabled(on);
        c.irq_rx.set_enabled(on);
    }
    c.interrupts.set(std::move(handler));
}

void Device::set_rx_completion_use(RxCompletionUseQuery query) {
    std::lock_guard lock(impl_->core.process_mutex);
    impl_->core.rx_completion_use = std::move(query);
}

// --- Sleeper, Engine, Timekeeper ----------------------------------------------------------

std::uint64_t real_time_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

namespace {

inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace

// The handshake with a waker: the sleeper announces its deadline, then looks for work once more
// (work_came); a waker changes the state, then looks at the announcement. With a full fence
// between each side's store and load, at least one of them sees the other: either the sleeper
// finds the work, or the waker finds it asleep and wakes it.
void Sleeper::wake_by(std::uint64_t deadline_ns) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint64_t until = until_.load(std::memory_order_relaxed);
    if (until == 0 || deadline_ns + slack_ns_ >= until)
        return;  // awake, or asleep until then anyway
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_one();
}

void Sleeper::doze(std::uint64_t deadline_ns, bool (*work_came)(void*), void* ctx) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        woken_ = false;
    }
    constexpr std::uint64_t kLongest = 1'000'000'000;  // also keeps the deadline in range
    deadline_ns = std::clamp<std::uint64_t>(deadline_ns, 1, real_time_ns() + kLongest);
    until_.store(deadline_ns, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (work_came == nullptr || !work_came(ctx)) {
        std::unique_lock lock(mutex_);
        const std::chrono::steady_clock::time_point when{std::chrono::nanoseconds(deadline_ns)};
        cv_.wait_until(lock, when, [this] { return woken_ || stopping_; });
    }
    until_.store(0, std::memory_order_relaxed);
}

void Sleeper::stop_sleeping() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
}

void Engine::add(Device& device) {
    std::lock_guard lock(mutex_);
    devices_.push_back(&device);
    device.set_sleeper(this);
}

void Engine::remove(Device& device) {
    std::lock_guard lock(mutex_);
    device.set_sleeper(nullptr);
    std::erase(devices_, &device);
}

bool Engine::run_once() {
    std::lock_guard lock(mutex_);
    bool did = false;
    wires_.clear();
    for (Device* d : devices_) {
        did |= d->process();
        Wire* w = d->wire();
        if (w != nullptr && std::find(wires_.begin(), wires_.end(), w) == wires_.end())
            wires_.push_back(w);
    }
    for (Wire* w : wires_)
        did |= w->poll() > 0;
    return did;
}

std::uint64_t Engine::next_deadline() {
    std::lock_guard lock(mutex_);
    const std::uint64_t now = real_time_ns();
    std::uint64_t next = now + kMaxSleepNs;
    for (Device* d : devices_) {
        next = std::min(next, d->next_deadline_ns());
        if (d->wire_polls())
            next = std::min(next, now + kWirePollNs);
        if (!d->host_notifies())
            next = std::min(next, now + kUnnotifiedPollNs);
    }
    return next;
}

void Engine::run() {
    std::uint64_t idle_since = 0;
    while (!stop_.load(std::memory_order_acquire)) {
        if (run_once()) {
            idle_since = 0;
            continue;
        }
        // Out of work: the next doorbell usually follows within microseconds, so spin a little
        // before sleeping; a doorbell wakes a sleeping engine.
        const std::uint64_t now = real_time_ns();
        if (idle_since == 0)
            idle_since = now;
        if (now - idle_since < kIdleSpinNs) {
            cpu_pause();
            continue;
        }
        doze(next_deadline(), [](void* engine) { return static_cast<Engine*>(engine)->run_once(); }, this);
        idle_since = 0;
    }
}

void Engine::stop() {
    stop_.store(true, std::memory_order_release);
    stop_sleeping();
}

void Timekeeper::add(Device& device) {
    {
        std::lock_guard lock(mutex_);
        devices_.push_back(&device);
        device.set_sleeper(this);
    }
    wake_by(0);
}

void Timekeeper::remove(Device& device) {
    std::lock_guard lock(mutex_);
    device.set_sleeper(nullptr);
    std::erase(devices_, &device);
}

std::uint64_t Timekeeper::run_once() {
    std::lock_guard lock(mutex_);
    const std::uint64_t now = real_time_ns();
    const bool poll_wires = now >= next_wire_poll_ns_;
    wires_.clear();
    for (Device* d : devices_) {
        d->run_timers();  // cheap when nothing is due; a wake-up may be for a state, not a time
        Wire* w = poll_wires && d->wire_polls() ? d->wire() : nullptr;
        if (w != nullptr && std::find(wires_.begin(), wires_.end(), w) == wires_.end())
            wires_.push_back(w);
    }
    for (Wire* w : wires_)
        w->poll();
    if (poll_wires)
        next_wire_poll_ns_ = now + kWirePollNs;
    return next_deadline();
}

// mutex_ held.
std::uint64_t Timekeeper::next_deadline() {
    const std::uint64_t now = real_time_ns();
    std::uint64_t next = now + kMaxSleepNs;
    for (Device* d : devices_) {
        next = std::min(next, d->next_deadline_ns());
        if (d->wire_polls())
            next = std::min(next, next_wire_poll_ns_);
    }
    return std::max(next, now + kResolutionNs);
}

void Timekeeper::run() {
    struct Wait {
        Timekeeper* self;
        std::uint64_t deadline;
    };
    while (!stop_.load(std::memory_order_acquire)) {
        Wait wait{this, run_once()};
        doze(
            wait.deadline,
            [](void* arg) {
                auto* w = static_cast<Wait*>(arg);
                std::lock_guard lock(w->self->mutex_);
                return w->self->next_deadline() < w->deadline;
            },
            &wait);
    }
}

void Timekeeper::stop() {
    stop_.store(true, std::memory_order_release);
    stop_sleeping();
}

}  // namespace ena::sim
