// ena::sim::Device: the public face of the simulated device.
#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "device_impl.hpp"

namespace ena::sim {

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
    auto fail = [&](const char* what) { throw std::invalid_argument(c.name + ": " + what); };
    if (c.max_io_queues == 0 || c.max_io_queues > 1024)
        fail("max_io_queues must be 1..1024");
    if (!hw::valid_ring_depth(c.max_tx_depth) || !hw::valid_ring_depth(c.max_rx_depth))
        fail("queue depths must be powers of two up to 32768");
    if (c.max_wide_llq_depth != 0 && !hw::valid_ring_depth(c.max_wide_llq_depth))
        fail("max_wide_llq_depth must be 0 or a power of two");
    if (c.max_tx_descs_per_packet < 2 || c.max_rx_descs_per_packet < 1)
        fail("per-packet descriptor limits too small");
    if (c.rss_table_log_size > 16)
        fail("rss_table_log_size must be at most 16");
    if (c.max_mtu < 128 || c.max_mtu > 65535 - 64)
        fail("max_mtu out of range");
    if (c.dma_addr_width < 32 || c.dma_addr_width > 64)
        fail("dma_addr_width must be 32..64");
    return c;
}

}  // namespace

DeviceCore::DeviceCore(Device& device, const DeviceConfig& cfg, IovaTranslator iova, EngineMode m)
    : self(device),
      config(checked(cfg)),
      mode(m),
      clock(m == EngineMode::kThreaded),
      memory(iova, cfg.dma_addr_width),
      registers(register_bar_size(2u * cfg.max_io_queues)),
      queues(cfg.max_io_queues),
      rss(cfg.rss_table_log_size),
      link_up(cfg.link_up) {
    llq_queue_stride = static_cast<std::uint32_t>(llq_stride(config));
    if (llq_queue_stride != 0) {
        llq_bar_size = std::size_t{llq_queue_stride} * config.max_io_queues;
        llq_bar.reset(new std::uint8_t[llq_bar_size]());
    }
}

}  // namespace detail

Device::Impl::Impl(Device& self, const DeviceConfig& config, IovaTranslator iova, EngineMode mode)
    : core(self, config, iova, mode), aenq(core), commands(core, aenq), admin(core, commands), tx(core, aenq), rx(core) {
    power_on_registers();
}

bool Device::Impl::process_locked() {
    bool did = handle_dev_ctl();
    did |= answer_readless();
    if (in_reset || core.fatal_error.load())
        return did;  // only reset and register reads work now
    did |= admin.service();
    did |= handle_rss_entry_update();
    did |= handle_cq_unmask();
    did |= tx.service();
    did |= aenq.run_timers();
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
    void fire(const InterruptHandler& handler) {
        for (std::uint32_t v : vectors_)
            handler(v);
    }

private:
    std::vector<std::uint32_t> vectors_;
};

}  // namespace

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

void Device::on_register_write(std::uint32_t) {
    if (impl_->core.mode == EngineMode::kSynchronous)
        process();
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
    irq.fire(c.interrupt_handler);
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
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        c.clock.advance(ns);
        if (!impl_->in_reset)
            impl_->aenq.run_timers();
        irq.take(c.irq_process);
        wire = c.wire;
    }
    irq.fire(c.interrupt_handler);
    if (wire)
        wire->poll();  // as process() does
}

void Device::attach_wire(std::shared_ptr<Wire> wire) {
    std::shared_ptr<Wire> old;
    {
        std::lock_guard lock(impl_->core.process_mutex);
        old = std::exchange(impl_->core.wire, wire);
    }
    if (old)
        old->detach(*this);
    if (wire)
        wire->attach(*this);
}

Wire* Device::wire() const {
    std::lock_guard lock(impl_->core.process_mutex);
    return impl_->core.wire.get();
}

void Device::receive_frame(std::span<const std::uint8_t> frame) {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    {
        std::lock_guard lock(c.rx_mutex);
        impl_->rx.deliver(frame);
        irq.take(c.irq_rx);
    }
    irq.fire(c.interrupt_handler);
}

bool Device::try_receive_frame(std::span<const std::uint8_t> frame) {
    detail::DeviceCore& c = impl_->core;
    bool taken;
    IrqBatch irq;
    {
        std::lock_guard lock(c.rx_mutex);
        taken = impl_->rx.deliver(frame, detail::RxEngine::NoRoom::kRefuse);
        irq.take(c.irq_rx);
    }
    irq.fire(c.interrupt_handler);
    return taken;
}

void Device::set_link(bool up) {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        if (c.link_up.exchange(up) != up)
            impl_->aenq.post_link_change(up);
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupt_handler);
}

bool Device::link_up() const { return impl_->core.link_up.load(); }

void Device::raise_fatal_error() {
    detail::DeviceCore& c = impl_->core;
    IrqBatch irq;
    {
        std::lock_guard lock(c.process_mutex);
        impl_->aenq.post_fatal_error();
        c.fatal_error = true;
        c.registers.store(hw::reg::kDevSts, c.registers.load(hw::reg::kDevSts) | hw::dev_sts::FatalError::kMask);
        irq.take(c.irq_process);
    }
    irq.fire(c.interrupt_handler);
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
    s.dma_errors += r.dma_errors;
    return s;
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

void Device::inject_fault(Fault fault, std::uint32_t occurrences) { impl_->core.faults.set(fault, occurrences); }
std::uint32_t Device::pending_fault(Fault fault) const { return impl_->core.faults.pending(fault); }

void Device::set_interrupt_handler(InterruptHandler handler) {
    detail::DeviceCore& c = impl_->core;
    std::lock_guard lock(c.process_mutex);
    std::lock_guard rx_lock(c.rx_mutex);
    const bool on = static_cast<bool>(handler);
    c.interrupt_handler = std::move(handler);
    c.irq_process.set_enabled(on);
    c.irq_rx.set_enabled(on);
}

// --- Engine ----------------------------------------------------------------------------------

void Engine::add(Device& device) {
    std::lock_guard lock(mutex_);
    devices_.push_back(&device);
}

void Engine::remove(Device& device) {
    std::lock_guard lock(mutex_);
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

void Engine::run() {
    unsigned idle = 0;
    while (!stop_.load(std::memory_order_acquire)) {
        if (run_once()) {
            idle = 0;
        } else if (++idle < 1024) {
            std::this_thread::yield();
        } else {
            // Idle for a while: stop burning the CPU the driver may need.
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }
}

void Engine::stop() { stop_.store(true, std::memory_order_release); }

}  // namespace ena::sim
