// Interrupts of a port: the control path on the management interrupt (MSI-X vector 0) and the
// Rx queues' vectors (intr_conf.rxq=1), through the ethdev's interrupt handle as the bus glue
// filled it (DeviceResources says what it can do).
//
// Control path. After bring-up (which polls) the port registers its callback on vector 0 and
// unmasks admin interrupts (INTR_MASK): admin commands sleep until the interrupt, AENQ events
// (link, keep-alive, notifications) are handled when it comes, and the alarm keeps only the
// watchdog and the statistics snapshot. control_path_poll_interval=N polls instead, every N ms,
// as it does when the interrupt cannot reach the process. An admin completion found without its
// interrupt (AdminQueue) turns the port to polling by itself, counted in
// control_path_intr_missed.
//
// Rx queues. With intr_conf.rxq=1 every Rx queue's CQ is created with its own vector (queue q:
// RTE_INTR_VEC_RXTX_OFFSET + q, event fd q of the handle) and starts masked; enabling writes the
// CQ head doorbell (how far the queue consumed, so a packet that came since the last burst
// interrupts at once) and the unmask register, which the device honours for one interrupt.
#include <rte_alarm.h>
#include <rte_interrupts.h>

#include <algorithm>
#include <cerrno>

#include "log.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

constexpr unsigned kBusyRetryUs = 10'000;

}  // namespace

void Port::start_control_path() {
    const char* name = resources().name;
    const int asked = args_.control_path_poll_interval_ms;
    if (asked > 0) {
        poll_interval_ms_.store(static_cast<unsigned>(asked), std::memory_order_release);
        log(g_log_init, RTE_LOG_INFO, "%s: control path polled every %d ms (control_path_poll_interval)", name, asked);
        return;
    }
    rte_intr_handle* handle = eth_dev()->intr_handle;
    const char* why = nullptr;
    if (!resources().management_interrupt || handle == nullptr)
        why = "the device's management interrupt does not reach this process (on PCI it needs vfio-pci or igb_uio)";
    else if (const int rc = management_.attach(handle, &Port::on_management_interrupt, this); rc != 0)
        why = "EAL could not turn on the device's management interrupt";
    if (why != nullptr) {
        poll_interval_ms_.store(kDefaultControlPathPollMs, std::memory_order_release);
        log(g_log_init, asked == 0 ? RTE_LOG_WARNING : RTE_LOG_INFO, "%s: %s: the control path is polled every %d ms",
            name, why, kDefaultControlPathPollMs);
        return;
    }
    poll_interval_ms_.store(0, std::memory_order_release);
    use_interrupts_.store(true, std::memory_order_release);
    enter_interrupt_mode();
    log(g_log_init, RTE_LOG_INFO, "%s: control path on the management interrupt", name);
}

void Port::enter_interrupt_mode() {
    device_.use_management_interrupt(&management_, &Port::on_missed_interrupt, this);
    interrupt_driven_.store(true, std::memory_order_release);
    // What the device posted while nobody listened.
    poll_control_path();
}

// EAL's interrupt thread, vector 0 consumed: admin waiters were woken (ManagementInterrupt);
// the events are handled here.
void Port::on_management_interrupt(void* arg) {
    auto* port = static_cast<Port*>(arg);
    ++port->counters_.management_interrupts;
    if (port->interrupt_driven_.load(std::memory_order_acquire))
        port->poll_control_path();
}

// In the thread of the admin command that found it, with the admin queue's lock held: no admin
// command and no wait here.
void Port::on_missed_interrupt(void* arg) {
    auto* port = static_cast<Port*>(arg);
    ++port->counters_.missed_interrupts;
    if (!port->use_interrupts_.exchange(false, std::memory_order_acq_rel))
        return;
    port->interrupt_driven_.store(false, std::memory_order_release);
    port->device_.use_polling();
    port->poll_interval_ms_.store(kDefaultControlPathPollMs, std::memory_order_release);
    log(g_log_driver, RTE_LOG_WARNING,
        "%s: the device completed an admin command but its management interrupt (MSI-X vector 0) never came: the "
        "control path is polled every %d ms from now on (control_path_intr_missed)",
        port->resources().name, kDefaultControlPathPollMs);
    // The alarm picks up the poll interval when it re-arms; without one running, one starts.
    rte_eal_alarm_set(1, &Port::on_polling_needed, port);
}

void Port::on_polling_needed(void* arg) {
    auto* port = static_cast<Port*>(arg);
    std::unique_lock guard(port->control_lock_, std::try_to_lock);
    if (!guard.owns_lock()) {
        rte_eal_alarm_set(kBusyRetryUs, &Port::on_polling_needed, port);  // start/stop/reset under way
        return;
    }
    if (!port->alarm_running_.load(std::memory_order_acquire) && port->device_.initialised())
        port->start_alarm();
}

// Every queue's msix_vector is kNoMsixVector here: queues start so, and teardown sets it back.
int Port::setup_rx_interrupts() {
    rte_eth_dev_data* data = data_;
    if (data->dev_conf.intr_conf.rxq == 0)
        return 0;
    const DeviceResources& res = resources();
    rte_intr_handle* handle = eth_dev()->intr_handle;
    const std::uint16_t count = data->nb_rx_queues;
    if (res.set_queue_vectors == nullptr || handle == nullptr)
        return -ENOTSUP;  // configure() said why
    int rc = res.set_queue_vectors(res.interrupt_ctx, handle, count);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot get %u Rx queue interrupt vectors: %d", res.name, count, rc);
        return rc;
    }
    rx_vectors_ = true;
    rte_intr_vec_list_free(handle);
    rc = rte_intr_vec_list_alloc(handle, "ena_ng_rx_vectors", count);
    for (std::uint16_t q = 0; rc == 0 && q < count; ++q) {
        const int vector = RTE_INTR_VEC_RXTX_OFFSET + q;
        rc = rte_intr_vec_list_index_set(handle, q, vector);
        if (RxQueue* rx = rx_queue(q))
            rx->msix_vector = static_cast<std::uint32_t>(vector);
    }
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot map %u Rx queues to interrupt vectors: %d", res.name, count, rc);
        teardown_rx_interrupts();
    }
    return rc;
}

void Port::teardown_rx_interrupts() {
    if (!rx_vectors_)
        return;
    rx_vectors_ = false;
    const DeviceResources& res = resources();
    rte_intr_handle* handle = eth_dev()->intr_handle;
    rte_intr_vec_list_free(handle);
    res.set_queue_vectors(res.interrupt_ctx, handle, 0);
    for (std::uint16_t q = 0; q < data_->nb_rx_queues; ++q)
        if (RxQueue* rx = rx_queue(q))
            rx->msix_vector = kNoMsixVector;
}

// The started queue whose CQ has a vector and an unmask register; nullptr otherwise.
RxQueue* Port::interrupt_rx_queue(std::uint16_t queue) const {
    RxQueue* rx = rx_queue(queue);
    if (rx == nullptr || !rx->started() || rx->msix_vector == kNoMsixVector || rx->io.cq_unmask == nullptr)
        return nullptr;
    return rx;
}

// Called by the queue's own lcore, between its bursts.
int Port::rx_queue_intr_enable(std::uint16_t queue) {
    RxQueue* rx = interrupt_rx_queue(queue);
    if (rx == nullptr)
        return -EINVAL;
    // How far the queue got first: the device fires at once for a packet completed since.
    if (rx->io.cq_head_doorbell != nullptr)
        device_.write_queue_register(rx->io.cq_head_doorbell, rx->cq_head);
    device_.write_queue_register(rx->io.cq_unmask,
                                 hw::cq_unmask::Unmask::make(1) | hw::cq_unmask::RxDelay::make(rx_intr_delay_units_));
    return 0;
}

int Port::rx_queue_intr_disable(std::uint16_t queue) {
    RxQueue* rx = interrupt_rx_queue(queue);
    if (rx == nullptr)
        return -EINVAL;
    // Unmask clear: masked again (the delay field is written again at the next enable).
    device_.write_queue_register(rx->io.cq_unmask, 0);
    return 0;
}

}  // namespace ena::ng
