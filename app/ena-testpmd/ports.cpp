// Ports: configuration from the settings, start/stop/close/reset with testpmd's messages, MTU
// and queue settings, mbuf pools, and ethdev events (printed as testpmd prints them; with
// --auto-reset a port that raises RTE_ETH_EVENT_INTR_RESET is recovered without the user).
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app.hpp"

namespace ena::testpmd {

namespace {

// Ports that raised a reset event with --auto-reset on, for the main lcore to recover.
std::array<std::atomic<bool>, RTE_MAX_ETHPORTS> g_reset_pending;

const char* event_name(rte_eth_event_type type) {
    switch (type) {
    case RTE_ETH_EVENT_UNKNOWN: return "unknown";
    case RTE_ETH_EVENT_INTR_LSC: return "link state change";
    case RTE_ETH_EVENT_QUEUE_STATE: return "queue state";
    case RTE_ETH_EVENT_INTR_RESET: return "reset";
    case RTE_ETH_EVENT_VF_MBOX: return "VF mbox";
    case RTE_ETH_EVENT_IPSEC: return "IPsec";
    case RTE_ETH_EVENT_MACSEC: return "MACsec";
    case RTE_ETH_EVENT_INTR_RMV: return "device removal";
    case RTE_ETH_EVENT_NEW: return "device probed";
    case RTE_ETH_EVENT_DESTROY: return "device released";
    case RTE_ETH_EVENT_FLOW_AGED: return "flow aged";
    case RTE_ETH_EVENT_RX_AVAIL_THRESH: return "RxQ available descriptors threshold reached";
    case RTE_ETH_EVENT_ERR_RECOVERING: return "error recovering";
    case RTE_ETH_EVENT_RECOVERY_SUCCESS: return "error recovery successful";
    case RTE_ETH_EVENT_RECOVERY_FAILED: return "error recovery failed";
    default: return nullptr;
    }
}

// testpmd's default: every event is printed but VF mailbox, probe, release and Rx threshold.
bool event_printed(rte_eth_event_type type) {
    return type != RTE_ETH_EVENT_VF_MBOX && type != RTE_ETH_EVENT_NEW && type != RTE_ETH_EVENT_DESTROY &&
           type != RTE_ETH_EVENT_RX_AVAIL_THRESH;
}

// --auto-reset: what a user would type after a reset event, done for them.
void recover_port(std::uint16_t port) {
    if (port_id_invalid(port, false))
        return;
    std::printf("\nPort %u: auto-reset: stopping, resetting (rte_eth_dev_reset), reconfiguring and restarting the port\n",
                port);
    const bool was_forwarding = app().forwarding;
    if (was_forwarding)
        stop_forwarding();
    stop_port(port);
    reset_port(port);
    const int rc = start_port(port);
    const bool started = rc == 0 && app().ports[port].status == PortStatus::kStarted;
    if (started && was_forwarding && all_ports_started())
        start_forwarding(0);
    if (started)
        std::printf("Port %u: auto-reset done%s\n", port, was_forwarding ? ", forwarding restarted" : "");
    else
        std::fprintf(stderr, "Port %u: auto-reset failed: the port is not started\n", port);
    std::fflush(stdout);
    std::fflush(stderr);
}

int on_event(std::uint16_t port, rte_eth_event_type type, void*, void*) {
    const char* name = event_name(type);
    if (name == nullptr) {
        std::fprintf(stderr, "\nPort %u: %s called upon invalid event %d\n", port, __func__, static_cast<int>(type));
        std::fflush(stderr);
    } else if (event_printed(type)) {
        std::printf("\nPort %u: %s event\n", port, name);
        std::fflush(stdout);
    }
    if (type == RTE_ETH_EVENT_DESTROY && port < RTE_MAX_ETHPORTS) {
        app().ports[port].status = PortStatus::kClosed;
        std::printf("Port %u is closed\n", port);
    } else if (type == RTE_ETH_EVENT_INTR_RESET && app().settings.auto_reset && port < RTE_MAX_ETHPORTS) {
        // Not from this callback: the driver raising the event may hold its own locks, and
        // ports and forwarding belong to the main lcore.
        g_reset_pending[port].store(true);
    }
    return 0;
}

bool matches(std::uint16_t port, std::uint16_t wanted) { return wanted == kAllPorts || wanted == port; }

// The settings that go into rte_eth_conf: RSS when there are several Rx queues (with the hash
// types the device supports), link state interrupts when the device has them.
void apply_settings(std::uint16_t port) {
    PortState& st = app().ports[port];
    const Settings& set = app().settings;
    rte_eth_conf& conf = st.conf;
    conf.rx_adv_conf.rss_conf.rss_key = nullptr;
    conf.rx_adv_conf.rss_conf.rss_hf = set.nb_rxq > 1 ? set.rss_hf & st.info.flow_type_rss_offloads : 0;
    conf.rxmode.mq_mode = conf.rx_adv_conf.rss_conf.rss_hf != 0 ? RTE_ETH_MQ_RX_RSS : RTE_ETH_MQ_RX_NONE;
    if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_NONE)
        conf.rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
    conf.intr_conf.lsc = set.lsc_interrupt && st.info.dev_flags != nullptr && (*st.info.dev_flags & RTE_ETH_DEV_INTR_LSC);
}

// testpmd: one look at the links when link state interrupts report changes; otherwise wait up
// to 9 s for every link and print them.
void check_link_status() {
    std::printf("Checking link statuses...\n");
    std::fflush(stdout);
    const bool wait = !app().settings.lsc_interrupt;
    for (unsigned attempt = 0; attempt <= 90; ++attempt) {
        bool all_up = true;
        std::uint16_t port;
        RTE_ETH_FOREACH_DEV(port) {
            rte_eth_link link{};
            if (rte_eth_link_get_nowait(port, &link) < 0 || link.link_status == RTE_ETH_LINK_DOWN) {
                all_up = false;
                break;
            }
        }
        if (!wait)
            return;
        if (all_up || attempt == 89)
            break;
        rte_delay_ms(100);
    }
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        rte_eth_link link{};
        const int rc = rte_eth_link_get_nowait(port, &link);
        if (rc < 0) {
            std::fprintf(stderr, "Port %u link get failed: %s\n", port, rte_strerror(-rc));
            continue;
        }
        char text[RTE_ETH_LINK_MAX_STR_LEN];
        rte_eth_link_to_str(text, sizeof(text), &link);
        std::printf("Port %u %s\n", port, text);
    }
}

void refresh_fwd_ports() {
    app().fwd_ports.clear();
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port)
    app().fwd_ports.push_back(port);
}

unsigned default_pool_size() {
    const Settings& set = app().settings;
    const unsigned rings = (std::max<unsigned>(set.nb_rxq, 1) + std::max<unsigned>(set.nb_txq, 1)) * 2048;
    const unsigned per_port = rings + kMaxBurst;
    const unsigned lcores = static_cast<unsigned>(app().fwd_lcore_ids.size()) + 1;
    return std::max<unsigned>(per_port * static_cast<unsigned>(app().fwd_ports.size()) + lcores * kMbufCacheSize, 8192);
}

void create_pools() {
    const unsigned n = app().settings.total_num_mbufs != 0 ? app().settings.total_num_mbufs : default_pool_size();
    for (std::uint16_t port : app().fwd_ports) {
        const unsigned socket = app().ports[port].socket;
        if (app().pools[socket] != nullptr)
            continue;
        char name[RTE_MEMPOOL_NAMESIZE];
        std::snprintf(name, sizeof(name), "mb_pool_%u", socket);
        std::printf("ena-testpmd: create a new mbuf pool <%s>: n=%u, size=%u, socket=%u\n", name, n,
                    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
        rte_mempool* pool = rte_pktmbuf_pool_create(name, n, kMbufCacheSize, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                    static_cast<int>(socket));
        if (pool == nullptr)
            rte_exit(EXIT_FAILURE, "Creation of mbuf pool for socket %u failed: %s (try --total-num-mbufs=N)\n", socket,
                     rte_strerror(rte_errno));
        app().pools[socket] = pool;
    }
}

struct QueueLimit {
    unsigned value;
    std::uint16_t port;
};

// The smallest maximum (or largest minimum) over all ports, and the port that sets it.
template <class Get>
QueueLimit limit_over_ports(Get get, bool smallest) {
    QueueLimit limit{smallest ? 0xFFFFu : 0u, 0};
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(port, &info) != 0)
            continue;
        const unsigned v = get(info);
        if (smallest ? v < limit.value : v > limit.value)
            limit = {v, port};
    }
    return limit;
}

bool queue_count_ok(const char* what, unsigned value) {
    const bool rx = std::strcmp(what, "rxq") == 0;
    const QueueLimit max = limit_over_ports(
        [rx](const rte_eth_dev_info& i) { return unsigned{rx ? i.max_rx_queues : i.max_tx_queues}; }, true);
    if (value > max.value) {
        std::fprintf(stderr, "Fail: input %s (%u) can't be greater than max_%s_queues (%u) of port %u\n", what, value,
                     rx ? "rx" : "tx", max.value, max.port);
        return false;
    }
    return true;
}

bool ring_size_ok(const char* what, unsigned value) {
    const bool rx = std::strcmp(what, "rxd") == 0;
    const QueueLimit max = limit_over_ports(
        [rx](const rte_eth_dev_info& i) { return unsigned{rx ? i.rx_desc_lim.nb_max : i.tx_desc_lim.nb_max}; }, true);
    if (value > max.value) {
        std::fprintf(stderr, "Fail: input %s (%u) can't be greater than max_%ss (%u) of port %u\n", what, value, what,
                     max.value, max.port);
        return false;
    }
    const QueueLimit min = limit_over_ports(
        [rx](const rte_eth_dev_info& i) { return unsigned{rx ? i.rx_desc_lim.nb_min : i.tx_desc_lim.nb_min}; }, false);
    if (value < min.value) {
        std::fprintf(stderr, "Fail: input %s (%u) can't be less than min_%ss (%u) of port %u\n", what, value, what,
                     min.value, min.port);
        return false;
    }
    return true;
}

int configure_port(std::uint16_t port) {
    PortState& st = app().ports[port];
    const Settings& set = app().settings;
    std::printf("Configuring Port %u (socket %u)\n", port, st.socket);
    if (rte_eth_dev_info_get(port, &st.info) != 0) {
        std::fprintf(stderr, "Fail to configure port %u\n", port);
        return -1;
    }
    apply_settings(port);
    int rc = rte_eth_dev_configure(port, set.nb_rxq, set.nb_txq, &st.conf);
    if (rc != 0) {
        std::fprintf(stderr, "Fail to configure port %u\n", port);
        return -1;
    }
    // The driver may add offloads of its own: what it configured is what queues get.
    rte_eth_conf applied{};
    if (rte_eth_dev_conf_get(port, &applied) == 0) {
        st.conf.rxmode.offloads |= applied.rxmode.offloads;
        st.conf.txmode.offloads |= applied.txmode.offloads;
    }
    st.need_reconfig = false;
    return 0;
}

int setup_queues(std::uint16_t port) {
    PortState& st = app().ports[port];
    const Settings& set = app().settings;
    for (std::uint16_t q = 0; q < set.nb_txq; ++q) {
        rte_eth_txconf txconf = st.info.default_txconf;
        txconf.offloads = st.conf.txmode.offloads;
        if (rte_eth_tx_queue_setup(port, q, set.nb_txd, st.socket, &txconf) != 0) {
            std::fprintf(stderr, "Fail to configure port %u tx queues\n", port);
            return -1;
        }
    }
    for (std::uint16_t q = 0; q < set.nb_rxq; ++q) {
        rte_eth_rxconf rxconf = st.info.default_rxconf;
        rxconf.offloads = st.conf.rxmode.offloads;
        if (rte_eth_rx_queue_setup(port, q, set.nb_rxd, st.socket, &rxconf, pool_for(port)) != 0) {
            std::fprintf(stderr, "Fail to configure port %u rx queues\n", port);
            return -1;
        }
    }
    st.need_reconfig_queues = false;
    return 0;
}

}  // namespace

bool queue_setting_ok(std::string_view what, unsigned value) {
    if (what == "rxq" || what == "txq")
        return queue_count_ok(what == "rxq" ? "rxq" : "txq", value);
    if (what == "rxd" || what == "txd")
        return ring_size_ok(what == "rxd" ? "rxd" : "txd", value);
    return false;
}

void service_auto_resets() {
    for (std::uint16_t port = 0; port < RTE_MAX_ETHPORTS; ++port)
        if (g_reset_pending[port].load(std::memory_order_relaxed) && g_reset_pending[port].exchange(false))
            recover_port(port);
}

bool port_id_invalid(std::uint16_t port, bool warn) {
    if (port == kAllPorts)
        return false;
    if (port < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port(port) &&
        rte_eth_find_next_owned_by(port, RTE_ETH_DEV_NO_OWNER) == port)
        return false;
    if (warn)
        std::fprintf(stderr, "Invalid port %u\n", port);
    return true;
}

void print_valid_ports() {
    std::printf("The valid ports array is [");
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port)
    std::printf(" %u", port);
    std::printf(" ]\n");
}

rte_mempool* pool_for(std::uint16_t port) { return app().pools[app().ports[port].socket]; }

void init_ports() {
    refresh_fwd_ports();
    for (std::uint16_t port : app().fwd_ports) {
        PortState& st = app().ports[port];
        const int rc = rte_eth_dev_info_get(port, &st.info);
        if (rc != 0)
            rte_exit(EXIT_FAILURE, "rte_eth_dev_info_get() failed for port %u: %s\n", port, rte_strerror(-rc));
        const int socket = rte_eth_dev_socket_id(port);
        st.socket = socket >= 0 && socket < RTE_MAX_NUMA_NODES ? static_cast<unsigned>(socket) : 0;
        st.conf = rte_eth_conf{};
        if (st.info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
            st.conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
        rte_eth_macaddr_get(port, &st.mac);
    }
    create_pools();
}

void register_event_callbacks() {
    for (int type = RTE_ETH_EVENT_UNKNOWN; type < RTE_ETH_EVENT_MAX; ++type) {
        const auto event = static_cast<rte_eth_event_type>(type);
        if (rte_eth_dev_callback_register(RTE_ETH_ALL, event, &on_event, nullptr) != 0)
            rte_exit(EXIT_FAILURE, "Failed to register callback for %s event\n", event_name(event));
    }
}

int start_port(std::uint16_t wanted) {
    if (port_id_invalid(wanted, true))
        return 0;
    bool any_port = false, all_already_started = true, any_started = false;
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (!matches(port, wanted))
            continue;
        any_port = true;
        PortState& st = app().ports[port];
        if (st.status != PortStatus::kStopped) {
            std::fprintf(stderr, "Port %u is now not stopped\n", port);
            continue;
        }
        all_already_started = false;
        if (st.need_reconfig && configure_port(port) != 0)
            return -1;
        if (st.need_reconfig_queues && setup_queues(port) != 0)
            return -1;
        const int rc = rte_eth_dev_start(port);
        if (rc < 0) {
            std::fprintf(stderr, "Fail to start port %u: %s\n", port, rte_strerror(-rc));
            continue;
        }
        st.status = PortStatus::kStarted;
        if (rte_eth_macaddr_get(port, &st.mac) == 0)
            std::printf("Port %u: %s\n", port, format_mac(st.mac).c_str());
        sample_allowances(port);
        any_started = true;
    }
    if (any_started && app().settings.link_check)
        check_link_status();
    else if (any_port && all_already_started)
        std::fprintf(stderr, "Please stop the ports first\n");
    std::printf("Done\n");
    return 0;
}

void stop_port(std::uint16_t wanted) {
    if (port_id_invalid(wanted, true))
        return;
    std::printf("Stopping ports...\n");
    bool any_stopped = false;
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (!matches(port, wanted))
            continue;
        if (port_is_forwarding(port)) {
            std::fprintf(stderr, "Please remove port %u from forwarding configuration.\n", port);
            continue;
        }
        PortState& st = app().ports[port];
        if (st.status != PortStatus::kStarted)
            continue;
        if (rte_eth_dev_stop(port) != 0) {
            std::fprintf(stderr, "rte_eth_dev_stop failed for port %u\n", port);
            continue;
        }
        st.status = PortStatus::kStopped;
        any_stopped = true;
    }
    if (any_stopped && app().settings.link_check)
        check_link_status();
    std::printf("Done\n");
}

void close_port(std::uint16_t wanted) {
    if (port_id_invalid(wanted, true))
        return;
    std::printf("Closing ports...\n");
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (!matches(port, wanted))
            continue;
        if (port_is_forwarding(port)) {
            std::fprintf(stderr, "Please remove port %u from forwarding configuration.\n", port);
            continue;
        }
        PortState& st = app().ports[port];
        if (st.status == PortStatus::kClosed) {
            std::fprintf(stderr, "Port %u is already closed\n", port);
            continue;
        }
        const int rc = rte_eth_dev_close(port);
        if (rc != 0)
            std::fprintf(stderr, "Failed to close port %u: %s\n", port, rte_strerror(-rc));
    }
    refresh_fwd_ports();
    setup_fwd_config();
    std::printf("Done\n");
}

void reset_port(std::uint16_t wanted) {
    if (port_id_invalid(wanted, true))
        return;
    if ((wanted == kAllPorts && !all_ports_stopped()) ||
        (wanted != kAllPorts && app().ports[wanted].status != PortStatus::kStopped)) {
        std::fprintf(stderr, "Can not reset port(s), please stop port(s) first.\n");
        return;
    }
    std::printf("Resetting ports...\n");
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (!matches(port, wanted))
            continue;
        if (port_is_forwarding(port)) {
            std::fprintf(stderr, "Please remove port %u from forwarding configuration.\n", port);
            continue;
        }
        const int rc = rte_eth_dev_reset(port);
        if (rc == 0) {
            app().ports[port].need_reconfig = true;
            app().ports[port].need_reconfig_queues = true;
        } else {
            std::fprintf(stderr, "Failed to reset port %u. diag=%d\n", port, rc);
        }
    }
    std::printf("Done\n");
}

void set_port_mtu(std::uint16_t port, std::uint16_t mtu) {
    if (port_id_invalid(port, true) || port == kAllPorts)
        return;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0)
        return;
    if (mtu < info.min_mtu) {
        std::fprintf(stderr, "MTU (%u) < device min MTU (%u) for port_id %u\n", mtu, info.min_mtu, port);
        return;
    }
    if (mtu > info.max_mtu) {
        std::fprintf(stderr, "MTU (%u) > device max MTU (%u) for port_id %u\n", mtu, info.max_mtu, port);
        return;
    }
    const unsigned overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
                                  ? info.max_rx_pktlen - info.max_mtu
                                  : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    if (mtu + overhead > info.max_rx_pktlen) {
        std::fprintf(stderr, "Frame size (%u) > device max frame size (%u) for port_id %u\n", mtu + overhead,
                     info.max_rx_pktlen, port);
        return;
    }
    PortState& st = app().ports[port];
    if (!st.need_reconfig) {
        const int rc = rte_eth_dev_set_mtu(port, mtu);
        if (rc != 0) {
            std::fprintf(stderr, "Set MTU failed. diag=%d\n", rc);
            return;
        }
    }
    st.conf.rxmode.mtu = mtu;
}

void config_all_queues(std::string_view what, std::uint16_t value) {
    if (!all_ports_stopped()) {
        std::fprintf(stderr, "Please stop all ports first\n");
        return;
    }
    Settings& set = app().settings;
    if (what == "rxq" || what == "txq") {
        const bool rx = what == "rxq";
        if (value == 0 && (rx ? set.nb_txq : set.nb_rxq) == 0) {
            std::fprintf(stderr, "Warning: Either rx or tx queues should be non zero\n");
            return;
        }
        if (!queue_setting_ok(what, value))
            return;
        (rx ? set.nb_rxq : set.nb_txq) = value;
    } else if (what == "rxd" || what == "txd") {
        if (!queue_setting_ok(what, value))
            return;
        (what == "rxd" ? set.nb_rxd : set.nb_txd) = value;
    } else {
        std::fprintf(stderr, "Unknown parameter\n");
        return;
    }
    setup_fwd_config();
    reconfigure_all_queues();
}

void reconfigure_all_queues() {
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        app().ports[port].need_reconfig = true;
        app().ports[port].need_reconfig_queues = true;
    }
}

bool all_ports_started() {
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port)
    if (app().ports[port].status != PortStatus::kStarted) return false;
    return true;
}

bool all_ports_stopped() {
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port)
    if (app().ports[port].status != PortStatus::kStopped) return false;
    return true;
}

}  // namespace ena::testpmd
