// BAR0 behaviour: power-on values, device reset through DEV_CTL, readless register reads,
// CQ unmask and one-entry RSS updates. Everything is detected by comparing registers with what
// the device last consumed, so it works the same whoever runs process(). Readless answers need
// no lock: they are given whatever else the device is doing.
#include <algorithm>
#include <cstring>

#include "device_impl.hpp"

namespace ena::sim {

using namespace hw;
using detail::kRegisterTaken;
namespace queue_regs = detail::queue_regs;

namespace {
// Controller version 1.0.0 (the driver needs at least 0.0.1).
constexpr std::uint32_t kControllerVersion = controller_version::Major::make(1);
}  // namespace

void Device::Impl::power_on_registers() {
    detail::RegisterFile& r = core.registers;
    const DeviceConfig& c = core.config;
    r.clear();
    r.store(reg::kVersion, version::Major::make(kSpecVersionMajor) | version::Minor::make(kSpecVersionMinor));
    r.store(reg::kControllerVersion, kControllerVersion);
    // The configuration was checked to fit these fields (validate_config).
    r.store(reg::kCaps, caps::ResetTimeout::make(c.reset_timeout_100ms) | caps::DmaAddrWidth::make(c.dma_addr_width) |
                            caps::AdminCmdTimeout::make(c.admin_timeout_100ms));
    r.store(reg::kDevSts, dev_sts::Ready::kMask);
    r.store(reg::kMmioRegRead, kRegisterTaken);
    r.store(reg::kRssIndEntryUpdate, kRegisterTaken);
    r.store(reg::kMmioRespLow, kRegisterTaken);
    r.store(reg::kMmioRespHigh, kRegisterTaken);
    core.readless_address = detail::DeviceCore::kNoReadlessAddress;
}

// Registers the driver programs go back to their power-on value when a reset finishes. The
// readless response address is not among them: it was forgotten when the reset started, and
// what the driver wrote since (while the reset was held) stays.
void Device::Impl::clear_driver_registers() {
    detail::RegisterFile& r = core.registers;
    for (std::uint32_t off : {reg::kAqBaseLow, reg::kAqBaseHigh, reg::kAqCaps, reg::kAcqBaseLow, reg::kAcqBaseHigh,
                              reg::kAcqCaps, reg::kAqDoorbell, reg::kAcqTail, reg::kAenqCaps, reg::kAenqBaseLow,
                              reg::kAenqBaseHigh, reg::kAenqHeadDoorbell, reg::kAenqTail, reg::kIntrMask,
                              reg::kPhcDoorbell})
        r.store(off, 0);
    r.store(reg::kRssIndEntryUpdate, kRegisterTaken);
    for (std::uint32_t off = queue_regs::kBase; off < r.size(); off += 4)
        r.store(off, 0);
}

Device::Impl::AddressWrites Device::Impl::take_readless_address_writes() {
    AddressWrites w;
    detail::RegisterFile& r = core.registers;
    for (const std::uint32_t offset : {reg::kMmioRespLow, reg::kMmioRespHigh}) {
        const std::uint32_t v = r.load(offset);
        if (v != kRegisterTaken && r.exchange_if(offset, v, kRegisterTaken))
            (offset == reg::kMmioRespLow ? w.low : w.high) = v;
    }
    return w;
}

bool Device::Impl::apply_readless_address_writes(const AddressWrites& w) {
    if (!w.low && !w.high)
        return false;
    std::uint64_t address = core.readless_address.load();
    if (address == detail::DeviceCore::kNoReadlessAddress)
        address = 0;  // a half not written since the reset reads as zero
    if (w.low)
        address = (address & ~std::uint64_t{0xFFFFFFFF}) | *w.low;
    if (w.high)
        address = (address & 0xFFFFFFFF) | std::uint64_t{*w.high} << 32;
    core.readless_address = address;
    return true;
}

bool Device::Impl::handle_dev_ctl() {
    const std::uint32_t ctl = core.registers.load(reg::kDevCtl);
    const bool reset_held = dev_ctl::DevReset::get(ctl);
    if (reset_held == in_reset)
        return false;
    if (reset_held) {
        // Nothing runs while the reset is held; DEV_STS says so. The readless response address
        // is forgotten now: drivers write it again before they read DEV_STS.
        in_reset = true;
        core.readless_address = detail::DeviceCore::kNoReadlessAddress;
        core.last_reset_reason = reset_reason_code(ctl);
        if (core.reset_reasons.size() == 64)
            core.reset_reasons.erase(core.reset_reasons.begin());
        core.reset_reasons.push_back(core.last_reset_reason);
        core.registers.store(reg::kDevSts, dev_sts::ResetInProgress::kMask);
        core.faults.device_reset();  // a device stuck in a fault state recovers through the reset
    } else {
        complete_reset();
    }
    return true;
}

void Device::Impl::complete_reset() {
    {
        std::lock_guard rx_lock(core.rx_mutex);
        core.queues.clear();
        core.queues_changed();
        core.rss.reset();
        core.mtu = 0;
    }
    core.live_sqs = 0;
    reset_requested = false;
    aenq.reset();
    admin.reset();
    core.llq_layout.reset();
    core.llq_accel_flags = 0;
    core.host_info.reset();
    core.host_info_address = 0;
    core.frag_bypass = false;
    core.fatal_error = false;
    clear_driver_registers();
    ++core.stats.resets;
    in_reset = false;
    core.registers.store(reg::kDevSts, dev_sts::Ready::kMask);
}

// Unknown offsets: a 4-byte aligned offset inside BAR0 answers what a direct read would see;
// anything else answers kRegisterReadFailed (what a read of unbacked PCI space returns).
bool Device::Impl::answer_readless() { return answer_readless(core.registers.load(reg::kMmioRegRead)); }

bool Device::Impl::answer_readless(std::uint32_t request) {
    detail::RegisterFile& r = core.registers;
    if (request == kRegisterTaken)
        return false;
    if (!r.exchange_if(reg::kMmioRegRead, request, kRegisterTaken))
        return true;  // a newer request arrived meanwhile: next pass
    if (!core.config.readless_mmio || core.faults.fire(Fault::kReadlessNoAnswer))
        return true;
    const std::uint16_t offset = static_cast<std::uint16_t>(mmio_reg_read::RegisterOffset::get(request));
    const std::uint32_t value = r.valid(offset) ? r.load(offset) : kRegisterReadFailed;
    const std::uint64_t address = core.readless_address.load();
    std::uint8_t* p = address != detail::DeviceCore::kNoReadlessAddress && address % alignof(ReadlessResponse) == 0
                          ? core.memory.map(address, sizeof(ReadlessResponse))
                          : nullptr;
    if (p == nullptr) {
        ++core.readless_dma_errors;
        return true;
    }
    auto* resp = reinterpret_cast<ReadlessResponse*>(p);
    resp->register_offset = offset;
    resp->value = value;
    // The driver polls request_id: write it last.
    detail::store_release(&resp->request_id, static_cast<std::uint16_t>(mmio_reg_read::RequestId::get(request)));
    return true;
}

// A CQ's head doorbell and unmask register, taken like MMIO_REG_READ. The head says how far the
// driver consumed; Unmask arms the CQ's interrupt (and, when completions beyond that head are
// waiting, fires it as a new completion would); a write without Unmask masks it again. Unless
// NoModerationUpdate is set, the delay field of the CQ's direction sets its moderation delay.
bool Device::Impl::handle_cq_unmask() {
    bool did = false;
    detail::QueueTable& q = core.queues;
    detail::RegisterFile& r = core.registers;
    for (const std::uint16_t i : core.cq_indices) {
        detail::CompletionQueue& cq = q.cq(i);
        // The unmask first: the driver writes the head before it, so a head read after the
        // unmask is at least the one that unmask was written with.
        const std::uint32_t v = r.load(queue_regs::cq_unmask(i));
        const std::uint32_t head = r.load(queue_regs::cq_head(i));
        if (head == kRegisterTaken && v == kRegisterTaken)
            continue;
        did = true;
        // The Rx side writes completions and reads the arming under rx_mutex.
        std::lock_guard rx_lock(core.rx_mutex);
        if (head != kRegisterTaken && r.exchange_if(queue_regs::cq_head(i), head, kRegisterTaken)) {
            cq.driver_head = static_cast<std::uint16_t>(head);
            cq.head_reported = true;
        }
        if (v == kRegisterTaken || !r.exchange_if(queue_regs::cq_unmask(i), v, kRegisterTaken))
            continue;  // nothing, or a newer write: next pass
        if (!cq_unmask::NoModerationUpdate::get(v)) {
            const std::uint32_t units = cq.rx ? cq_unmask::RxDelay::get(v) : cq_unmask::TxDelay::get(v);
            cq.delay_ns.store(std::uint64_t{units} * core.config.intr_delay_resolution_us * 1000,
                              std::memory_order_relaxed);
        }
        if (!cq_unmask::Unmask::get(v)) {
            cq.armed.store(false, std::memory_order_release);
            cq.fire_at_ns.store(0, std::memory_order_relaxed);
            continue;
        }
        // A deadline left from before (set by a completion while the last interrupt fired)
        // is not this unmask's: its own delay starts with its first completion.
        cq.fire_at_ns.store(0, std::memory_order_relaxed);
        cq.armed.store(true, std::memory_order_release);
        if (cq.head_reported && static_cast<std::uint16_t>(cq.produced) != cq.driver_head)
            core.signal_cq(cq, core.irq_process);
    }
    return did;
}

bool Device::Impl::fire_moderated_interrupts() {
    // Cleared before the scan: a deadline set meanwhile sets it again. A plain load first: no
    // locked instruction on passes without moderation.
    if (!core.moderated_pending.load(std::memory_order_relaxed) ||
        !core.moderated_pending.exchange(false, std::memory_order_acq_rel))
        return false;
    const std::uint64_t now = core.clock.now_ns();
    bool did = false;
    bool waiting = false;
    detail::QueueTable& q = core.queues;
    for (std::uint16_t i = 0; i < q.capacity(); ++i) {
        detail::CompletionQueue& cq = q.cq(i);
        std::uint64_t at = cq.fire_at_ns.load(std::memory_order_acquire);
        if (at == 0)
            continue;
        if (at > now) {
            waiting = true;
            continue;
        }
        if (!cq.fire_at_ns.compare_exchange_strong(at, 0, std::memory_order_acq_rel))
            continue;
        if (cq.exists && cq.armed.exchange(false, std::memory_order_acq_rel))
            core.irq_process.raise(cq.msix_vector);
        did = true;
    }
    if (waiting)
        core.moderated_pending.store(true, std::memory_order_release);
    return did;
}

std::uint64_t Device::Impl::next_interrupt_deadline() const {
    if (!core.moderated_pending.load(std::memory_order_acquire))
        return detail::FaultPlan::kNever;
    std::uint64_t next = detail::FaultPlan::kNever;
    const detail::QueueTable& q = core.queues;
    for (std::uint16_t i = 0; i < q.capacity(); ++i)
        if (const std::uint64_t at = q.cq(i).fire_at_ns.load(std::memory_order_acquire); at != 0)
            next = std::min(next, at);
    return next;
}

bool Device::Impl::handle_rss_entry_update() {
    detail::RegisterFile& r = core.registers;
    const std::uint32_t v = r.load(reg::kRssIndEntryUpdate);
    if (v == kRegisterTaken)
        return false;
    if (!r.exchange_if(reg::kRssIndEntryUpdate, v, kRegisterTaken))
        return true;
    const std::uint32_t index = rss_ind_entry_update::Index::get(v);
    const std::uint32_t cq = rss_ind_entry_update::CqIndex::get(v);
    // Out-of-range updates are ignored (a register write has no status to report).
    if (index < (1u << core.rss.table_log()) && cq < core.queues.capacity()) {
        std::lock_guard rx_lock(core.rx_mutex);
        core.rss.set_table_entry(index, static_cast<std::uint16_t>(cq));
    }
    return true;
}

}  // namespace ena::sim
