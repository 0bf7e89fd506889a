// Port: ethdev-facing state and the eth_dev_ops implementations.
#include "port.hpp"

#include <rte_alarm.h>
#include <rte_interrupts.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <new>

#include "datapath/datapath.hpp"
#include "dpdk_compat.hpp"
#include "log.hpp"
#include "memzone_dma.hpp"
#include "socket_alloc.hpp"

namespace ena::ng {

extern const eth_dev_ops kEthDevOps;  // ethdev_ops.cpp

namespace {

constexpr std::uint16_t kRefillThresholdDivider = 8;
constexpr std::uint16_t kRefillThresholdMax = 256;

std::uint64_t rx_offload_capabilities(const DeviceFeatures& features) {
    const std::uint32_t rx = features.offloads.rx_supported;
    std::uint64_t capa = RTE_ETH_RX_OFFLOAD_SCATTER;  // the device always may split frames over buffers
    if (hw::offload_rx::L3CsumIpv4::get(rx))
        capa |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    if (hw::offload_rx::L4Ipv4Csum::get(rx) || hw::offload_rx::L4Ipv6Csum::get(rx))
        capa |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    if (hw::offload_rx::Hash::get(rx))
        capa |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
    return capa;
}

std::uint64_t tx_offload_capabilities(const DeviceFeatures& features) {
    const std::uint32_t tx = features.offloads.tx;
    std::uint64_t capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    if (hw::offload_tx::TsoIpv4::get(tx))
        capa |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
    if (hw::offload_tx::L3CsumIpv4::get(tx))
        capa |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    if (hw::offload_tx::L4Ipv4CsumPartial::get(tx) || hw::offload_tx::L4Ipv4CsumFull::get(tx) ||
        hw::offload_tx::L4Ipv6CsumPartial::get(tx) || hw::offload_tx::L4Ipv6CsumFull::get(tx))
        capa |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    return capa;
}

// What a queue setup asks for, checked: queue index, ring size, no deferred start. One error
// line naming the bad value.
int check_queue_request(const char* name, const char* kind, std::uint16_t queue, std::uint16_t descriptors,
                        std::uint16_t max_queues, std::uint32_t max_depth, const char* depth_note,
                        bool deferred_start) {
    if (queue >= max_queues) {
        log(g_log_driver, RTE_LOG_ERR, "%s: %s queue %u does not exist (accepted: 0-%u)", name, kind, queue,
            max_queues - 1);
        return -EINVAL;
    }
    if (!std::has_single_bit(descriptors) || descriptors < kMinRingSize || descriptors > max_depth) {
        log(g_log_driver, RTE_LOG_ERR, "%s: %s queue %u: %u descriptors (accepted: a power of 2 from %u to %u%s)", name,
            kind, queue, descriptors, kMinRingSize, max_depth, depth_note);
        return -EINVAL;
    }
    if (deferred_start) {
        log(g_log_driver, RTE_LOG_ERR, "%s: %s queue %u: deferred start is not supported", name, kind, queue);
        return -EINVAL;
    }
    return 0;
}

// The queue in ethdev's slot `queue`, or nullptr.
template <typename Queue>
Queue* queue_in(void** slots, std::uint16_t count, std::uint16_t queue) {
    return slots != nullptr && queue < count ? static_cast<Queue*>(slots[queue]) : nullptr;
}

// Builds the queue on its socket with its rings and hands it to ethdev.
template <typename Queue, typename Config>
int install_queue(EnaDevice& device, const Config& config, void*& slot) {
    auto* queue = create_on_socket<Queue>(config.socket, device, config);
    if (queue == nullptr)
        return -ENOMEM;
    const int rc = queue->allocate();
    if (rc != 0) {
        destroy_on_socket(queue);
        return rc;
    }
    slot = queue;
    return 0;
}

const char* mq_mode_name(unsigned mode) {
    switch (mode) {
        case RTE_ETH_MQ_RX_NONE:
            return "none";
        case RTE_ETH_MQ_RX_RSS:
            return "RSS";
        default:
            return "DCB/VMDq";
    }
}

// The baseline that keeps counters going after a device reset: values read `fresh - baseline`,
// so the new baseline is fresh minus what was counted before (word by word, modulo 2^64).
DeviceCounters carried_baseline(const DeviceCounters& fresh, const DeviceCounters& before,
                                const DeviceCounters& old_baseline) {
    constexpr std::size_t kWords = sizeof(DeviceCounters) / 8;
    static_assert(sizeof(DeviceCounters) % 8 == 0);
    auto f = std::bit_cast<std::array<std::uint64_t, kWords>>(fresh);
    const auto b = std::bit_cast<std::array<std::uint64_t, kWords>>(before);
    const auto o = std::bit_cast<std::array<std::uint64_t, kWords>>(old_baseline);
    for (std::size_t i = 0; i < kWords; ++i)
        f[i] -= b[i] - o[i];
    return std::bit_cast<DeviceCounters>(f);
}

}  // namespace

Port::Port(rte_eth_dev* eth_dev, const DeviceResources& resources, const DriverArgs& args)
    : data_(eth_dev->data), args_(args) {
    std::snprintf(name_, sizeof(name_), "%s", resources.name != nullptr ? resources.name : "ena_ng");
    attach_process(resources);
}

void Port::attach_datapath() {
    rte_eth_dev* dev = eth_dev();
    const bool reachable = resources().registers != nullptr;
    dev->rx_pkt_burst = datapath::secondary_rx_burst(reachable);
    dev->tx_pkt_burst = datapath::secondary_tx_burst(reachable);
    dev->tx_pkt_prepare = datapath::select_tx_prepare(*this);
    dev->rx_descriptor_status = datapath::rx_descriptor_status;
    dev->tx_descriptor_status = datapath::tx_descriptor_status;
    if (!reachable)
        log(g_log_init, RTE_LOG_NOTICE,
            "%s: this process cannot reach the device (it lives in the primary process): statistics and port "
            "information only, no Rx/Tx here",
            name_);
}

void Port::attach_process(const DeviceResources& resources) {
    DeviceResources& mine = process_resources(data_->port_id);
    mine = resources;
    mine.name = name_;  // in the shared port, so every process names the device alike
    mine.slot = data_->port_id;
}

Port::~Port() { tear_down(); }

int Port::create(rte_eth_dev* eth_dev, const DeviceResources& resources, const DriverArgs& args) {
    auto* port = new (eth_dev->data->dev_private) Port(eth_dev, resources, args);
    eth_dev->dev_ops = &kEthDevOps;
    eth_dev->rx_descriptor_status = datapath::rx_descriptor_status;
    eth_dev->tx_descriptor_status = datapath::tx_descriptor_status;
    const int rc = port->bring_up();
    if (rc != 0) {
        port->~Port();
        eth_dev->dev_ops = nullptr;
        return rc;
    }
    return 0;
}

int Port::bring_up() {
    rte_eth_dev_data* data = data_;
    int rc = init_device(false);
    if (rc != 0)
        return rc;
    start_control_path();
    update_link(false);
    start_alarm();

    const DeviceFeatures& features = device_.features();
    char version[64];
    fw_version_get(version, sizeof(version));
    log(g_log_init, RTE_LOG_INFO, "%s: port %u up: MAC " RTE_ETHER_ADDR_PRT_FMT ", %u queue pairs, %s, firmware %s",
        resources().name, data->port_id, RTE_ETHER_ADDR_BYTES(&data->mac_addrs[0]), features.max_io_queues,
        features.llq.placement == TxPlacement::kLlq ? "LLQ" : "host-memory Tx", version);
    return 0;
}

int Port::init_device(bool again) {
    rte_eth_dev_data* data = data_;
    InitOptions options;
    options.llq_policy = args_.llq_policy;
    options.host.os_version_string = rte_version();
    options.host.os_version = compat::kDpdkVersion;
    options.host.num_cpus = static_cast<std::uint16_t>(rte_lcore_count());
    options.host.bdf = resources().pci_bdf;
    options.keep_event_counts = again;
    int rc = device_.init(data_->port_id, options);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: device bring-up failed: %d", resources().name, rc);
        return rc;
    }
    const DeviceFeatures& features = device_.features();

    if (data->mac_addrs == nullptr) {
        data->mac_addrs = static_cast<rte_ether_addr*>(rte_zmalloc("ena_ng_mac", RTE_ETHER_ADDR_LEN, 0));
        if (data->mac_addrs == nullptr) {
            device_.shutdown();
            return -ENOMEM;
        }
    }
    std::memcpy(data->mac_addrs[0].addr_bytes, features.attributes.mac_addr, RTE_ETHER_ADDR_LEN);
    if (!rte_is_valid_assigned_ether_addr(&data->mac_addrs[0]))
        log(g_log_init, RTE_LOG_WARNING, "%s: device reports MAC " RTE_ETHER_ADDR_PRT_FMT ", which is not a unicast address",
            resources().name, RTE_ETHER_ADDR_BYTES(&data->mac_addrs[0]));

    data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
    if (features.aenq_enabled_groups & hw::aenq_group_bit(hw::AenqGroup::kLinkChange))
        data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
    else
        data->dev_flags &= ~RTE_ETH_DEV_INTR_LSC;
    // No multicast filter exists: every multicast frame the VPC delivers reaches the port.
    data->all_multicast = 1;
    device_mtu_ = 0;  // the device forgot it: the next start sets it again
    keep_alive_epoch_ns_ = now_ns(resources());
    reset_event_raised_.store(false, std::memory_order_release);
    if (!again) {
        init_rss_state();
        device_counters_.store(DeviceCounters{});
        device_baseline_.store(DeviceCounters{});
    }
    return 0;
}

void Port::tear_down() {
    stop_alarm();
    rte_eal_alarm_cancel(&Port::on_polling_needed, this);
    interrupt_driven_.store(false, std::memory_order_release);
    release_queues();
    teardown_rx_interrupts();
    management_.detach();
    device_.shutdown();
}

void Port::release_queues() {
    const rte_eth_dev_data* data = data_;
    for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q)
        rx_queue_release(q);
    for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q)
        tx_queue_release(q);
}

TxQueue* Port::tx_queue(std::uint16_t queue) const {
    const rte_eth_dev_data* data = data_;
    return queue < data->nb_tx_queues ? static_cast<TxQueue*>(data->tx_queues[queue]) : nullptr;
}

RxQueue* Port::rx_queue(std::uint16_t queue) const {
    const rte_eth_dev_data* data = data_;
    return queue < data->nb_rx_queues ? static_cast<RxQueue*>(data->rx_queues[queue]) : nullptr;
}

// --- control path ---------------------------------------------------------------------------

unsigned Port::alarm_period_ms() const {
    unsigned period = 0;
    for (const unsigned ms : {poll_interval_ms(), args_.stats_interval_ms, args_.watchdog_interval_ms})
        if (ms != 0)
            period = period == 0 ? ms : std::min(period, ms);
    return period;  // 0: no alarm
}

void Port::start_alarm() {
    const unsigned period = alarm_period_ms();
    if (period == 0)
        return;
    next_poll_ns_ = next_watchdog_ns_ = 0;
    // The snapshot is read at start: the first periodic read comes one interval later.
    next_refresh_ns_ = tsc_now_ns(nullptr) + std::uint64_t{args_.stats_interval_ms} * 1'000'000;
    alarm_generation_.fetch_add(1, std::memory_order_acq_rel);
    alarm_running_.store(true, std::memory_order_release);
    const int rc = rte_eal_alarm_set(std::uint64_t{period} * 1000, &Port::on_alarm, this);
    if (rc != 0) {
        alarm_running_.store(false, std::memory_order_release);
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot arm the control-path alarm (%u ms): %d", resources().name, period,
            rc);
    }
}

void Port::stop_alarm() {
    if (!alarm_running_.exchange(false, std::memory_order_acq_rel))
        return;
    // Waits for a callback that is running right now (unless this is that callback: a reset
    // from the reset event's handler); it sees alarm_running_ false and stops.
    rte_eal_alarm_cancel(&Port::on_alarm, this);
}

// The control path's tick: device events every poll interval, the statistics snapshot every
// stats interval, the watchdog every watchdog interval (whichever is shortest sets the period).
void Port::on_alarm(void* arg) {
    auto* port = static_cast<Port*>(arg);
    const std::uint32_t generation = port->alarm_generation_.load(std::memory_order_acquire);
    if (!port->alarm_running_.load(std::memory_order_acquire))
        return;
    const std::uint64_t now = tsc_now_ns(nullptr);
    constexpr std::uint64_t kSlackNs = 500'000;  // a tick a little early still counts as due
    const auto due = [now](std::uint64_t& next, unsigned interval_ms) {
        if (interval_ms == 0 || now + kSlackNs < next)
            return false;
        next = now + std::uint64_t{interval_ms} * 1'000'000;
        return true;
    };
    // The watchdog first: a device that stopped answering must not hold it up behind a read.
    if (due(port->next_watchdog_ns_, port->args_.watchdog_interval_ms))
        port->watchdog_tick();  // may reset the port (auto_recover, or the event's handler)
    if (due(port->next_poll_ns_, port->poll_interval_ms()))
        port->poll_control_path();
    if (due(port->next_refresh_ns_, port->args_.stats_interval_ms))
        port->refresh_device_counters();
    // A reset re-armed a new alarm (another generation): this one ends here.
    if (port->alarm_running_.load(std::memory_order_acquire) &&
        port->alarm_generation_.load(std::memory_order_acquire) == generation &&
        rte_eal_alarm_set(std::uint64_t{port->alarm_period_ms()} * 1000, &Port::on_alarm, port) != 0)
        log(g_log_driver, RTE_LOG_ERR,
            "%s: cannot re-arm the control-path alarm; device events, counters and the watchdog stop",
            port->resources().name);
}

void Port::poll_control_path() {
    // The management interrupt, the alarm and the application's calls may all get here: the
    // first handles the events, the others wait until it has told the application.
    std::lock_guard guard(events_lock_);
    if (!device_.initialised())
        return;
    const EventSummary summary = device_.process_events();
    // A link that went down and came back since the last poll is reported down first: an
    // application must learn of the flap, not only of the state it ended in.
    if (summary.link_went_down && device_.link_up())
        report_link(false, true);
    if (summary.link_changed)
        update_link(true);
}

void Port::update_link(bool raise_event) { report_link(device_.link_up(), raise_event); }

void Port::report_link(bool up, bool raise_event) {
    rte_eth_link link{};
    link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    // ENA reports no negotiated speed; use the device's LINK_CONFIG speed when it has one.
    link.link_speed = device_.features().link.speed != 0 ? device_.features().link.speed : RTE_ETH_SPEED_NUM_NONE;
    link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    link.link_autoneg = RTE_ETH_LINK_FIXED;
    rte_eth_linkstatus_set(eth_dev(), &link);
    if (raise_event && data_->dev_conf.intr_conf.lsc != 0)
        rte_eth_dev_callback_process(eth_dev(), RTE_ETH_EVENT_INTR_LSC, nullptr);
}

std::uint16_t Port::rss_table_size() const {
    const unsigned log_size = device_.features().rss_table_log_size;
    return log_size == 0 ? 0 : static_cast<std::uint16_t>(std::min(1u << log_size, kMaxRssTableSize));
}

// --- eth_dev_ops ----------------------------------------------------------------------------

int Port::configure() {
    std::lock_guard guard(control_lock_);
    if (!device_.initialised())
        return -EIO;
    rte_eth_dev_data* data = data_;
    rte_eth_conf& conf = data->dev_conf;
    const DeviceFeatures& features = device_.features();
    const char* name = resources().name;

    if (data->nb_rx_queues > features.max_io_queues || data->nb_tx_queues > features.max_io_queues) {
        log(g_log_driver, RTE_LOG_ERR, "%s: %u Rx / %u Tx queues requested (accepted: up to %u each)", name,
            data->nb_rx_queues, data->nb_tx_queues, features.max_io_queues);
        return -EINVAL;
    }
    const unsigned rx_mq = conf.rxmode.mq_mode;
    if (rx_mq != RTE_ETH_MQ_RX_NONE && rx_mq != RTE_ETH_MQ_RX_RSS) {
        log(g_log_driver, RTE_LOG_ERR, "%s: Rx multi-queue mode %u (%s) not supported (accepted: none, RSS)", name,
            rx_mq, mq_mode_name(rx_mq));
        return -EINVAL;
    }
    if (conf.txmode.mq_mode != RTE_ETH_MQ_TX_NONE) {
        log(g_log_driver, RTE_LOG_ERR, "%s: Tx multi-queue mode %u not supported (accepted: none)", name,
            conf.txmode.mq_mode);
        return -EINVAL;
    }
    if (rx_mq == RTE_ETH_MQ_RX_RSS) {
        if (rss_table_size() == 0 && data->nb_rx_queues > 1) {
            log(g_log_driver, RTE_LOG_ERR, "%s: RSS requested over %u Rx queues but the device has no RSS table", name,
                data->nb_rx_queues);
            return -EINVAL;
        }
        const std::uint64_t unsupported = conf.rx_adv_conf.rss_conf.rss_hf & ~kRssHashTypes;
        if (unsupported != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: RSS hash types 0x%" PRIx64 " not supported (accepted: 0x%" PRIx64 ")",
                name, unsupported, kRssHashTypes);
            return -EINVAL;
        }
        if (rx_offload_capabilities(features) & RTE_ETH_RX_OFFLOAD_RSS_HASH)
            conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
    }
    const std::uint64_t rx_unsupported = conf.rxmode.offloads & ~rx_offload_capabilities(features);
    const std::uint64_t tx_unsupported = conf.txmode.offloads & ~tx_offload_capabilities(features);
    if (rx_unsupported != 0 || tx_unsupported != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: offloads not supported: Rx 0x%" PRIx64 ", Tx 0x%" PRIx64, name,
            rx_unsupported, tx_unsupported);
        return -EINVAL;
    }
    if (conf.intr_conf.rxq != 0) {
        rte_intr_handle* handle = eth_dev()->intr_handle;
        if (resources().set_queue_vectors == nullptr || handle == nullptr || !rte_intr_cap_multiple(handle)) {
            log(g_log_driver, RTE_LOG_ERR,
                "%s: Rx queue interrupts (intr_conf.rxq=1) need an MSI-X vector per queue, which this device does "
                "not give this process (on PCI: bind it to vfio-pci)",
                name);
            return -ENOTSUP;
        }
        if (data->nb_rx_queues > RTE_MAX_RXTX_INTR_VEC_ID) {
            log(g_log_driver, RTE_LOG_ERR, "%s: Rx queue interrupts for %u queues (accepted: up to %d)", name,
                data->nb_rx_queues, RTE_MAX_RXTX_INTR_VEC_ID);
            return -EINVAL;
        }
        const unsigned resolution = features.intr_delay_resolution_us;
        const unsigned delay = args_.rx_intr_delay_us;
        if (delay != 0 && resolution == 0)
            log(g_log_driver, RTE_LOG_WARNING,
                "%s: rx_intr_delay=%u but the device offers no interrupt moderation: Rx interrupts come with the first "
                "packet",
                name, delay);
        rx_intr_delay_units_ = resolution == 0 || delay == 0
                                   ? 0
                                   : static_cast<std::uint16_t>(std::clamp(delay / resolution, 1u, 0x7FFFu));
    }
    if (conf.intr_conf.lsc != 0 && !(data->dev_flags & RTE_ETH_DEV_INTR_LSC)) {
        log(g_log_driver, RTE_LOG_ERR, "%s: intr_conf.lsc=1 but the device sends no link events", name);
        return -ENOTSUP;
    }
    // The device may always spread a frame over several buffers.
    data->scattered_rx = 1;
    return configure_rss();
}

int Port::infos_get(rte_eth_dev_info* info) {
    const DeviceFeatures& features = device_.features();
    info->speed_capa = RTE_ETH_LINK_SPEED_1G | RTE_ETH_LINK_SPEED_2_5G | RTE_ETH_LINK_SPEED_5G |
                       RTE_ETH_LINK_SPEED_10G | RTE_ETH_LINK_SPEED_25G | RTE_ETH_LINK_SPEED_40G |
                       RTE_ETH_LINK_SPEED_50G | RTE_ETH_LINK_SPEED_100G | RTE_ETH_LINK_SPEED_200G;
    info->rx_offload_capa = rx_offload_capabilities(features);
    info->tx_offload_capa = tx_offload_capabilities(features);
    info->rx_queue_offload_capa = 0;
    info->tx_queue_offload_capa = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

    info->reta_size = rss_table_size();
    info->hash_key_size = info->reta_size != 0 ? hw::kRssKeySize : 0;
    info->flow_type_rss_offloads = info->reta_size != 0 ? kRssHashTypes : 0;

    info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
    info->max_rx_pktlen = features.attributes.max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    info->min_mtu = kMinMtu;
    info->max_mtu = static_cast<std::uint16_t>(std::min<std::uint32_t>(features.attributes.max_mtu, UINT16_MAX));
    info->max_mac_addrs = 1;
    info->max_rx_queues = features.max_io_queues;
    info->max_tx_queues = features.max_io_queues;

    info->rx_desc_lim.nb_max = static_cast<std::uint16_t>(std::min<std::uint32_t>(features.max_rx_depth, 32768));
    info->rx_desc_lim.nb_min = kMinRingSize;
    info->rx_desc_lim.nb_align = kMinRingSize;
    info->rx_desc_lim.nb_seg_max = features.max_rx_sgl;
    info->rx_desc_lim.nb_mtu_seg_max = features.max_rx_sgl;
    info->tx_desc_lim.nb_max = static_cast<std::uint16_t>(std::min<std::uint32_t>(features.max_tx_depth, 32768));
    info->tx_desc_lim.nb_min = kMinRingSize;
    info->tx_desc_lim.nb_align = kMinRingSize;
    info->tx_desc_lim.nb_seg_max = features.max_tx_sgl;
    info->tx_desc_lim.nb_mtu_seg_max = features.max_tx_sgl;

    // Thresholds of 0 let the driver pick them from the ring size at queue setup.
    info->default_rxconf.rx_free_thresh = 0;
    info->default_rxconf.offloads = 0;
    info->default_txconf.tx_free_thresh = 0;
    info->default_txconf.offloads = 0;
    info->default_rxportconf.ring_size = std::min<std::uint16_t>(kDefaultRingSize, info->rx_desc_lim.nb_max);
    info->default_txportconf.ring_size = std::min<std::uint16_t>(kDefaultRingSize, info->tx_desc_lim.nb_max);
    info->default_rxportconf.nb_queues = 1;
    info->default_txportconf.nb_queues = 1;
    info->err_handle_mode = RTE_ETH_ERROR_HANDLE_MODE_PASSIVE;
    return 0;
}

int Port::rx_queue_setup(std::uint16_t queue, std::uint16_t descriptors, unsigned socket, const rte_eth_rxconf* conf,
                         rte_mempool* pool) {
    std::lock_guard guard(control_lock_);
    const DeviceFeatures& features = device_.features();
    const char* name = resources().name;
    if (!device_.initialised())
        return -EIO;
    if (const int rc = check_queue_request(name, "Rx", queue, descriptors, features.max_io_queues,
                                           features.max_rx_depth, "", conf != nullptr && conf->rx_deferred_start);
        rc != 0)
        return rc;
    if (pool == nullptr) {
        log(g_log_driver, RTE_LOG_ERR, "%s: Rx queue %u: no mempool", name, queue);
        return -EINVAL;
    }
    const std::uint32_t room = rte_pktmbuf_data_room_size(pool);
    if (room < RTE_PKTMBUF_HEADROOM + kMinRxBufferSize) {
        log(g_log_driver, RTE_LOG_ERR,
            "%s: Rx queue %u: mempool %s has %u-byte data rooms (need at least %u: %u headroom + %u data)", name, queue,
            pool->name, room, RTE_PKTMBUF_HEADROOM + kMinRxBufferSize, RTE_PKTMBUF_HEADROOM, kMinRxBufferSize);
        return -EINVAL;
    }
    RxQueueConfig config;
    config.index = queue;
    config.depth = descriptors;
    config.socket = queue_socket(socket);
    config.pool = pool;
    config.buffer_size = static_cast<std::uint16_t>(std::min<std::uint32_t>(room - RTE_PKTMBUF_HEADROOM, UINT16_MAX));
    config.max_sgl = features.max_rx_sgl;
    config.port_id = data_->port_id;
    config.check_mbz = features.has(hw::Capability::kCdescMbz);
    const char* why_not = nullptr;
    config.path = datapath::choose_rx_path(args_.rx_path, &why_not);
    if (!rx_path_said_) {
        rx_path_said_ = true;
        if (why_not != nullptr)
            log(g_log_driver, RTE_LOG_WARNING, "%s: rx_path asks for a vector path %s: Rx runs the %s path", name,
                why_not, datapath::simd_level_name(config.path));
        else
            log(g_log_driver, RTE_LOG_INFO, "%s: Rx runs the %s path", name, datapath::simd_level_name(config.path));
    }
    if (conf != nullptr)
        config.conf = *conf;
    config.free_threshold = config.conf.rx_free_thresh != 0
                                ? config.conf.rx_free_thresh
                                : std::min<std::uint16_t>(descriptors / kRefillThresholdDivider, kRefillThresholdMax);
    config.conf.rx_free_thresh = config.free_threshold;
    config.offloads = config.conf.offloads | data_->dev_conf.rxmode.offloads;

    return install_queue<RxQueue>(device_, config, data_->rx_queues[queue]);
}

int Port::queue_socket(unsigned socket) const {
    return socket == static_cast<unsigned>(SOCKET_ID_ANY) ? data_->numa_node : static_cast<int>(socket);
}

int Port::tx_queue_setup(std::uint16_t queue, std::uint16_t descriptors, unsigned socket, const rte_eth_txconf* conf) {
    std::lock_guard guard(control_lock_);
    const DeviceFeatures& features = device_.features();
    const char* name = resources().name;
    if (!device_.initialised())
        return -EIO;
    if (const int rc = check_queue_request(name, "Tx", queue, descriptors, features.max_io_queues,
                                           features.max_tx_depth,
                                           features.llq.placement == TxPlacement::kLlq ? ", the LLQ limit" : "",
                                           conf != nullptr && conf->tx_deferred_start);
        rc != 0)
        return rc;
    TxQueueConfig config;
    config.index = queue;
    config.depth = descriptors;
    config.socket = queue_socket(socket);
    config.placement = features.llq.placement;
    config.llq_layout = features.llq.layout;
    config.disable_meta_caching = features.llq.placement == TxPlacement::kLlq && features.llq.disable_meta_caching;
    config.max_entries_per_burst = features.llq.placement == TxPlacement::kLlq ? features.llq.max_entries_per_burst : 0;
    config.max_header_size = features.llq.placement == TxPlacement::kLlq
                                 ? features.llq.layout.header_room()
                                 : static_cast<std::uint16_t>(std::min<std::uint32_t>(features.max_tx_header_size, 255));
    config.max_sgl = features.max_tx_sgl;
    // Partial L4 checksums (the packet carries the pseudo-header sum, as tx_prepare leaves it)
    // whenever the device takes them; otherwise the device computes the whole sum.
    config.l4_csum_partial = hw::offload_tx::L4Ipv4CsumPartial::get(features.offloads.tx) != 0;
    config.tso_ipv6 = hw::offload_tx::TsoIpv6::get(features.offloads.tx) != 0;
    config.llq_store_width = datapath::tx_store_width();
    if (conf != nullptr)
        config.conf = *conf;
    config.free_threshold =
        config.conf.tx_free_thresh != 0
            ? config.conf.tx_free_thresh
            : static_cast<std::uint16_t>(std::max<int>(descriptors - descriptors / kRefillThresholdDivider,
                                                       descriptors - kRefillThresholdMax));
    config.conf.tx_free_thresh = config.free_threshold;
    config.offloads = config.conf.offloads | data_->dev_conf.txmode.offloads;

    return install_queue<TxQueue>(device_, config, data_->tx_queues[queue]);
}

void Port::rx_queue_release(std::uint16_t queue) {
    std::lock_guard guard(control_lock_);
    if (RxQueue* rx = queue_in<RxQueue>(data_->rx_queues, data_->nb_rx_queues, queue)) {
        retire_rx_queue(*rx);  // the port's totals keep what it counted
        destroy_on_socket(rx);
        data_->rx_queues[queue] = nullptr;
    }
}

void Port::tx_queue_release(std::uint16_t queue) {
    std::lock_guard guard(control_lock_);
    if (TxQueue* tx = queue_in<TxQueue>(data_->tx_queues, data_->nb_tx_queues, queue)) {
        retire_tx_queue(*tx);
        destroy_on_socket(tx);
        data_->tx_queues[queue] = nullptr;
    }
}

// Fragment proxy mode (enable_frag_bypass=1): without it the ENI passes 1024 egress IP
// fragments per second. A device without the feature still carries traffic, so the port starts
// and says once why fragments stay limited.
void Port::enable_frag_bypass() {
    const char* name = resources().name;
    const int rc = device_.set_frag_bypass(true);
    if (rc == 0) {
        if (!frag_bypass_said_)
            log(g_log_driver, RTE_LOG_INFO, "%s: fragment bypass on: egress IP fragments count only against the PPS allowance", name);
    } else if (!frag_bypass_said_) {
        log(g_log_driver, RTE_LOG_WARNING,
            "%s: enable_frag_bypass=1 but %s: egress IP fragments stay limited to 1024 per second on this ENI "
            "(dropped ones count in pps_allowance_exceeded)",
            name, rc == -EOPNOTSUPP ? "this device has no fragment bypass (FRAG_BYPASS feature)" : "the device refused fragment bypass");
        if (rc != -EOPNOTSUPP)
            log(g_log_driver, RTE_LOG_WARNING, "%s: the device answered SET_FEATURE FRAG_BYPASS with %d", name, rc);
    }
    frag_bypass_said_ = true;
}

// LLQ puts every Tx descriptor and header through BAR2: uncached, each write is a separate PCIe
// transaction. Said once, at the first start, with the placement the port really uses; nothing
// when Tx goes through host memory (the bring-up said why).
void Port::report_llq_mapping() {
    llq_mapping_said_ = true;
    const LlqChoice& llq = device_.features().llq;
    const DeviceResources& res = resources();
    if (llq.placement != TxPlacement::kLlq || res.llq_mapping == LlqMapping::kMemory)
        return;
    const unsigned entry = llq.layout.entry_size;
    switch (res.llq_mapping) {
        case LlqMapping::kWriteCombined:
            log(g_log_driver, RTE_LOG_INFO, "%s: Tx uses LLQ (%u-byte entries) through BAR2 mapped write-combined: %s",
                res.name, entry, res.llq_mapping_note);
            break;
        case LlqMapping::kUncached:
            log(g_log_driver, RTE_LOG_WARNING,
                "%s: Tx uses LLQ (%u-byte entries) but BAR2 is mapped uncached, so every LLQ write is a separate "
                "slow store and Tx throughput drops: %s",
                res.name, entry, res.llq_mapping_note);
            break;
        default:
            log(g_log_driver, RTE_LOG_WARNING,
                "%s: Tx uses LLQ (%u-byte entries); whether BAR2 is mapped write-combined cannot be seen here: %s",
                res.name, entry, res.llq_mapping_note);
            break;
    }
}

// After a device reset the queues the application set up are kept, if the device still takes
// them as they are (it is the same device: it does).
bool Port::tx_queues_fit_device() const {
    const DeviceFeatures& f = device_.features();
    for (std::uint16_t q = 0; q < data_->nb_tx_queues; ++q) {
        const TxQueue* tx = tx_queue(q);
        if (tx == nullptr)
            continue;
        const TxQueueConfig& c = tx->config;
        const bool llq = f.llq.placement == TxPlacement::kLlq;
        if (c.placement != f.llq.placement || c.depth > f.max_tx_depth || c.max_sgl != f.max_tx_sgl ||
            (llq && (c.llq_layout.entry_size != f.llq.layout.entry_size ||
                     c.llq_layout.descs_before_header != f.llq.layout.descs_before_header ||
                     c.disable_meta_caching != f.llq.disable_meta_caching ||
                     c.max_entries_per_burst != f.llq.max_entries_per_burst))) {
            log(g_log_driver, RTE_LOG_WARNING,
                "%s: after the reset the device offers another Tx placement or limits: the queues are released; set "
                "them up again (rte_eth_dev_configure and the queue setups)",
                resources().name);
            return false;
        }
    }
    for (std::uint16_t q = 0; q < data_->nb_rx_queues; ++q)
        if (const RxQueue* rx = rx_queue(q); rx != nullptr && rx->config.depth > f.max_rx_depth)
            return false;
    return true;
}

int Port::start_queues() {
    rte_eth_dev_data* data = data_;
    const char* name = resources().name;
    int rc = 0;
    if (data->mtu != device_mtu_) {
        rc = device_.set_mtu(data->mtu);
        if (rc != 0 && rc != -EOPNOTSUPP) {
            log(g_log_driver, RTE_LOG_ERR, "%s: device refused MTU %u: %d", name, data->mtu, rc);
            return rc;
        }
        rc = 0;
        device_mtu_ = data->mtu;
    }
    if (args_.enable_frag_bypass)
        enable_frag_bypass();

    rc = setup_rx_interrupts();
    if (rc != 0)
        return rc;
    std::uint16_t rx_started = 0, tx_started = 0;
    for (; rx_started < data->nb_rx_queues; ++rx_started) {
        RxQueue* rx = rx_queue(rx_started);
        rc = rx == nullptr ? -EINVAL : rx->start();
        if (rc != 0) {
            if (rx == nullptr)
                log(g_log_driver, RTE_LOG_ERR, "%s: Rx queue %u was not set up", name, rx_started);
            break;
        }
    }
    for (; rc == 0 && tx_started < data->nb_tx_queues; ++tx_started) {
        TxQueue* tx = tx_queue(tx_started);
        rc = tx == nullptr ? -EINVAL : tx->start();
        if (rc != 0) {
            if (tx == nullptr)
                log(g_log_driver, RTE_LOG_ERR, "%s: Tx queue %u was not set up", name, tx_started);
            break;
        }
    }
    if (rc == 0)
        rc = apply_rss();
    if (rc == 0)
        mark_watchdog_pass(now_ns(resources()));  // the queues' first stamps
    if (rc != 0) {
        while (tx_started > 0)
            tx_queue(--tx_started)->stop();
        while (rx_started > 0)
            rx_queue(--rx_started)->stop();
        teardown_rx_interrupts();
    }
    return rc;
}

void Port::stop_queues() {
    const rte_eth_dev_data* data = data_;
    for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q)
        if (TxQueue* tx = tx_queue(q))
            tx->stop();
    for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q)
        if (RxQueue* rx = rx_queue(q))
            rx->stop();
    teardown_rx_interrupts();
}

int Port::start() {
    std::lock_guard guard(control_lock_);
    rte_eth_dev_data* data = data_;
    if (!device_.initialised()) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device is not initialised (a reset failed?); cannot start", resources().name);
        return -EIO;
    }
    if (device_.reset_requested()) {
        log(g_log_driver, RTE_LOG_ERR, "%s: a reset is pending (reason %s): call rte_eth_dev_reset() first",
            resources().name, hw::reset_reason_name(device_.requested_reset_reason()));
        return -EIO;
    }
    if (const int rc = start_queues(); rc != 0)
        return rc;

    rte_eth_dev* dev = eth_dev();
    dev->rx_pkt_burst = datapath::select_rx_burst(*this);
    dev->tx_pkt_burst = datapath::select_tx_burst(*this);
    dev->tx_pkt_prepare = datapath::select_tx_prepare(*this);
    for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q)
        data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q)
        data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    keep_alive_epoch_ns_ = now_ns(resources());
    poll_control_path();
    update_link(false);
    ++counters_.dev_start;
    refresh_now_if_periodic();
    if (!llq_mapping_said_)
        report_llq_mapping();
    return 0;
}

int Port::stop() {
    std::lock_guard guard(control_lock_);
    rte_eth_dev_data* data = data_;
    stop_queues();
    for (std::uint16_t q = 0; q < data->nb_tx_queues; ++q)
        data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q)
        data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    data->dev_started = 0;
    ++counters_.dev_stop;
    refresh_now_if_periodic();  // what the device counted up to the stop, for the reads that follow
    return 0;
}

int Port::close() {
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return 0;
    this->~Port();
    return 0;
}

// rte_eth_dev_reset() (ethdev stopped the port first): the device is reset with the reason
// that was latched (NORMAL when none was) and brought up again; the port keeps what the
// application configured -- queue counts, sizes and offloads, MTU, RSS key and table, fragment
// bypass -- so rte_eth_dev_start() alone brings traffic back (reconfiguring works as well).
// Every mbuf the queues held went back to its pool at the stop.
int Port::reset() {
    std::lock_guard guard(control_lock_);
    return reset_device();
}

int Port::reset_device() {
    const char* name = resources().name;
    const hw::ResetReason reason =
        device_.reset_requested() ? device_.requested_reset_reason() : hw::ResetReason::kNormal;
    stop_alarm();
    stop_queues();
    // The device's counters may restart from zero: what the port counted so far carries over.
    const DeviceCounters before = device_counters_.load();
    const DeviceCounters baseline = device_baseline_.load();
    const std::uint64_t started_ns = tsc_now_ns(nullptr);
    // The management interrupt leaves the device alone until it is up again.
    interrupt_driven_.store(false, std::memory_order_release);
    device_.shutdown(reason);
    const int rc = init_device(true);
    if (rc == 0 && use_interrupts_.load(std::memory_order_acquire))
        enter_interrupt_mode();
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: re-initialisation after reset failed: %d; the port is unusable until the "
            "next successful reset", name, rc);
        return rc;
    }
    if (!tx_queues_fit_device())
        release_queues();
    if (refresh_device_counters() == 0)
        device_baseline_.store(carried_baseline(device_counters_.load(), before, baseline));
    update_link(false);
    start_alarm();
    log(g_log_driver, RTE_LOG_NOTICE, "%s: device reset (reason %s) and brought up again in %" PRIu64 " ms", name,
        hw::reset_reason_name(reason), (tsc_now_ns(nullptr) - started_ns) / 1'000'000);
    return 0;
}

int Port::link_update(int) {
    poll_control_path();
    rte_eth_link link{};
    link.link_status = device_.link_up() ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    link.link_speed = device_.features().link.speed != 0 ? device_.features().link.speed : RTE_ETH_SPEED_NUM_NONE;
    link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    link.link_autoneg = RTE_ETH_LINK_FIXED;
    return rte_eth_linkstatus_set(eth_dev(), &link);
}

int Port::mtu_set(std::uint16_t mtu) {
    const std::uint32_t max_mtu = device_.features().attributes.max_mtu;
    if (mtu < kMinMtu || mtu > max_mtu) {
        log(g_log_driver, RTE_LOG_ERR, "%s: MTU %u out of range (accepted: %u-%u)", resources().name, mtu, kMinMtu,
            max_mtu);
        return -EINVAL;
    }
    if (!device_.initialised())
        return -EIO;
    const int rc = device_.set_mtu(mtu);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device refused MTU %u: %d", resources().name, mtu, rc);
        return rc;
    }
    device_mtu_ = mtu;
    return 0;
}

void Port::rxq_info_get(std::uint16_t queue, rte_eth_rxq_info* info) {
    const RxQueue* rx = rx_queue(queue);
    if (rx == nullptr)
        return;
    info->mp = rx->config.pool;
    info->conf = rx->config.conf;
    info->conf.offloads = rx->config.offloads;
    info->scattered_rx = 1;
    info->nb_desc = rx->config.depth;
    info->rx_buf_size = rx->config.buffer_size;
}

void Port::txq_info_get(std::uint16_t queue, rte_eth_txq_info* info) {
    const TxQueue* tx = tx_queue(queue);
    if (tx == nullptr)
        return;
    info->conf = tx->config.conf;
    info->conf.offloads = tx->config.offloads;
    info->nb_desc = tx->config.depth;
}

int Port::rx_burst_mode_get(std::uint16_t queue, rte_eth_burst_mode* mode) {
    const RxQueue* rx = rx_queue(queue);
    if (rx == nullptr)
        return -EINVAL;
    mode->flags = 0;
    datapath::describe_rx_path(*rx, mode->info, sizeof(mode->info));
    return 0;
}

int Port::tx_burst_mode_get(std::uint16_t queue, rte_eth_burst_mode* mode) {
    const TxQueue* tx = tx_queue(queue);
    if (tx == nullptr)
        return -EINVAL;
    mode->flags = 0;
    datapath::describe_tx_path(*tx, mode->info, sizeof(mode->info));
    return 0;
}

int Port::fw_version_get(char* text, std::size_t size) {
    const DeviceFeatures& features = device_.features();
    const std::uint32_t dev = features.spec_version;
    const std::uint32_t ctrl = features.controller_version;
    const int length = std::snprintf(text, size, "dev %u.%u ctrl %u.%u.%u impl %u", hw::version::Major::get(dev),
                                     hw::version::Minor::get(dev), hw::controller_version::Major::get(ctrl),
                                     hw::controller_version::Minor::get(ctrl),
                                     hw::controller_version::Subminor::get(ctrl),
                                     hw::controller_version::ImplId::get(ctrl));
    if (length < 0)
        return -EINVAL;
    const std::size_t needed = static_cast<std::size_t>(length) + 1;
    return size < needed ? static_cast<int>(needed) : 0;
}

}  // namespace ena::ng
