// Forwarding configuration (streams and their lcores, laid out as testpmd lays them out),
// start/stop, and the forward statistics that `stop` prints.
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>

#include "app.hpp"
#include "engines.hpp"

namespace ena::testpmd {

namespace {

struct FwdConfig {
    FwdMode mode = FwdMode::kIo;
    unsigned nb_ports = 0;
    unsigned nb_lcores = 0;
    unsigned nb_streams = 0;
    std::unique_ptr<FwdStream[]> streams;
    std::array<FwdLcore, RTE_MAX_LCORE> lcores;
};

FwdConfig g_config;
FwdContext g_context;

// Port topology "paired" (testpmd's default): 0<->1, 2<->3, ...; an odd last port pairs with itself.
unsigned paired_port(unsigned index, unsigned nb_ports) {
    if (index % 2 == 0)
        return index + 1 < nb_ports ? index + 1 : index;
    return index - 1;
}

// Streams over lcores: each gets the same number, the last lcores one more when they do not
// divide evenly.
void spread_streams_over_lcores() {
    FwdConfig& cfg = g_config;
    const unsigned fs = cfg.nb_streams, fc = cfg.nb_lcores;
    if (fc == 0)
        return;
    const unsigned per = fs <= fc ? 1 : fs / fc;
    const unsigned extra = fs <= fc ? 0 : fs % fc;
    unsigned next = 0;
    for (unsigned lc = 0; lc < fc; ++lc) {
        const unsigned count = lc < fc - extra ? per : per + 1;
        FwdLcore& lcore = cfg.lcores[lc];
        lcore.lcore_id = app().fwd_lcore_ids[lc];
        lcore.streams = &cfg.streams[next];
        lcore.nb_streams = next + count <= fs ? count : 0;
        lcore.ctx = &g_context;
        next += count;
    }
}

void allocate_streams(unsigned count) {
    g_config.nb_streams = count;
    g_config.streams = std::make_unique<FwdStream[]>(count > 0 ? count : 1);
}

// One stream per port on queue 0 (a single Rx or Tx queue).
void single_queue_config() {
    const auto& ports = app().fwd_ports;
    const unsigned nb_ports = static_cast<unsigned>(ports.size());
    allocate_streams(nb_ports);
    g_config.nb_lcores = std::min(app().settings.nb_fwd_lcores, nb_ports);
    for (unsigned i = 0; i < nb_ports; ++i) {
        FwdStream& s = g_config.streams[i];
        s.rx_port = ports[i];
        s.tx_port = ports[paired_port(i, nb_ports)];
        s.rx_queue = s.tx_queue = 0;
        s.peer = s.tx_port;
    }
}

// Queue q of every port, then queue q + 1 of every port, ...: each Rx queue's packets go out
// on the same queue number of the paired port.
void multi_queue_config() {
    const Settings& set = app().settings;
    const auto& ports = app().fwd_ports;
    const unsigned nb_ports = static_cast<unsigned>(ports.size());
    const unsigned nb_q = std::min(set.nb_rxq, set.nb_txq);
    allocate_streams(nb_q * nb_ports);
    g_config.nb_lcores = std::min(set.nb_fwd_lcores, g_config.nb_streams);
    for (unsigned sm = 0; sm < g_config.nb_streams; ++sm) {
        const unsigned rxp = sm % nb_ports, q = sm / nb_ports;
        FwdStream& s = g_config.streams[sm];
        s.rx_port = ports[rxp];
        s.tx_port = ports[paired_port(rxp, nb_ports)];
        s.rx_queue = s.tx_queue = static_cast<std::uint16_t>(q);
        s.peer = s.tx_port;
    }
}

// icmpecho answers on the port it received on: every Rx queue of every port, in port order.
void echo_config() {
    const Settings& set = app().settings;
    const auto& ports = app().fwd_ports;
    const unsigned nb_ports = static_cast<unsigned>(ports.size());
    allocate_streams(set.nb_rxq * nb_ports);
    g_config.nb_lcores = std::min({set.nb_fwd_lcores, static_cast<unsigned>(set.nb_txq) * nb_ports, g_config.nb_streams});
    for (unsigned sm = 0; sm < g_config.nb_streams; ++sm) {
        FwdStream& s = g_config.streams[sm];
        s.rx_port = s.tx_port = ports[sm / set.nb_rxq];
        s.rx_queue = static_cast<std::uint16_t>(sm % set.nb_rxq);
        s.tx_queue = static_cast<std::uint16_t>(s.rx_queue % std::max<unsigned>(set.nb_txq, 1));
        s.peer = s.tx_port;
    }
}

lcore_function_t* loop_for(FwdMode mode) {
    switch (mode) {
    case FwdMode::kIo: return &forward_loop<IoEngine>;
    case FwdMode::kMac: return &forward_loop<MacEngine>;
    case FwdMode::kMacSwap: return &forward_loop<MacSwapEngine>;
    case FwdMode::kTxOnly: return &forward_loop<TxOnlyEngine>;
    case FwdMode::kRxOnly: return &forward_loop<RxOnlyEngine>;
    case FwdMode::kIcmpEcho: return &forward_loop<IcmpEchoEngine>;
    }
    return &forward_loop<IoEngine>;
}

std::uint16_t ipv4_header_checksum(const rte_ipv4_hdr& ip) { return rte_ipv4_cksum(&ip); }

void build_tx_headers() {
    FwdContext& ctx = g_context;
    for (std::uint16_t port : app().fwd_ports) {
        std::array<std::uint8_t, kTxHeaderSize>& bytes = ctx.tx_header[port];
        rte_ether_hdr eth{};
        rte_ether_addr_copy(&ctx.peer_mac[port], &eth.dst_addr);
        rte_ether_addr_copy(&ctx.port_mac[port], &eth.src_addr);
        eth.ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
        rte_ipv4_hdr ip{};
        ip.version_ihl = RTE_IPV4_VHL_DEF;
        ip.total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(ctx.tx_packet_length - sizeof(rte_ether_hdr)));
        ip.time_to_live = 64;
        ip.next_proto_id = IPPROTO_UDP;
        ip.src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 1));
        ip.dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 2));
        ip.hdr_checksum = ipv4_header_checksum(ip);
        rte_udp_hdr udp{};
        udp.src_port = RTE_BE16(9);
        udp.dst_port = RTE_BE16(9);
        udp.dgram_len = rte_cpu_to_be_16(
            static_cast<std::uint16_t>(ctx.tx_packet_length - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr)));
        std::memcpy(bytes.data(), &eth, sizeof(eth));
        std::memcpy(bytes.data() + sizeof(eth), &ip, sizeof(ip));
        std::memcpy(bytes.data() + sizeof(eth) + sizeof(ip), &udp, sizeof(udp));
    }
}

void build_context() {
    const Settings& set = app().settings;
    FwdContext& ctx = g_context;
    ctx.burst = set.burst;
    ctx.peer_mac = set.peer;
    for (std::uint16_t port : app().fwd_ports) {
        ctx.port_mac[port] = app().ports[port].mac;
        ctx.tx_pool[port] = pool_for(port);
    }
    ctx.nb_tx_segments = static_cast<std::uint16_t>(set.tx_segments.size());
    ctx.tx_packet_length = 0;
    for (std::size_t k = 0; k < set.tx_segments.size(); ++k) {
        ctx.tx_segments[k] = set.tx_segments[k];
        ctx.tx_packet_length += set.tx_segments[k];
    }
    build_tx_headers();
}

// Frames that arrived before `start` would otherwise count as forwarded (testpmd drains them).
void flush_rx_queues() {
    rte_mbuf* pkts[kMaxBurst];
    const std::uint64_t limit = rte_get_timer_hz();  // at most 1 s per queue
    for (int pass = 0; pass < 2; ++pass) {
        for (std::uint16_t port : app().fwd_ports) {
            for (std::uint16_t q = 0; q < app().settings.nb_rxq; ++q) {
                const std::uint64_t begin = rte_get_timer_cycles();
                std::uint16_t n;
                do {
                    n = rte_eth_rx_burst(port, q, pkts, kMaxBurst);
                    if (n != 0)
                        rte_pktmbuf_free_bulk(pkts, n);
                } while (n > 0 && rte_get_timer_cycles() - begin < limit);
            }
        }
        rte_delay_ms(10);
    }
}

void reset_fwd_counters() {
    for (std::uint16_t port : app().fwd_ports)
        if (rte_eth_stats_get(port, &app().ports[port].fwd_base) != 0)
            std::fprintf(stderr, "Failed to read the statistics of port %u\n", port);
    for (unsigned i = 0; i < g_config.nb_streams; ++i) {
        FwdStream& s = g_config.streams[i];
        s.rx_packets.reset();
        s.tx_packets.reset();
        s.fwd_dropped.reset();
    }
}

void launch(lcore_function_t* fn) {
    for (unsigned lc = 0; lc < g_config.nb_lcores; ++lc) {
        FwdLcore& lcore = g_config.lcores[lc];
        lcore.stop.store(false, std::memory_order_relaxed);
        const int rc = rte_eal_remote_launch(fn, &lcore, lcore.lcore_id);
        if (rc != 0)
            std::fprintf(stderr, "launch lcore %u failed - diag=%d\n", lcore.lcore_id, rc);
    }
}

void wait_lcores() {
    for (unsigned lc = 0; lc < g_config.nb_lcores; ++lc)
        rte_eal_wait_lcore(g_config.lcores[lc].lcore_id);
}

void show_stream_stats(const FwdStream& s) {
    if (s.rx_packets.get() == 0 && s.tx_packets.get() == 0 && s.fwd_dropped.get() == 0)
        return;
    std::printf("\n  ------- Forward Stats for RX Port=%2u/Queue=%2u -> TX Port=%2u/Queue=%2u -------\n", s.rx_port,
                s.rx_queue, s.tx_port, s.tx_queue);
    std::printf("  RX-packets: %-14" PRIu64 " TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64 "\n",
                s.rx_packets.get(), s.tx_packets.get(), s.fwd_dropped.get());
}

}  // namespace

const char* fwd_mode_name(FwdMode mode) {
    switch (mode) {
    case FwdMode::kIo: return "io";
    case FwdMode::kMac: return "mac";
    case FwdMode::kMacSwap: return "macswap";
    case FwdMode::kTxOnly: return "txonly";
    case FwdMode::kRxOnly: return "rxonly";
    case FwdMode::kIcmpEcho: return "icmpecho";
    }
    return "?";
}

std::optional<FwdMode> parse_fwd_mode(std::string_view name) {
    for (FwdMode mode : kFwdModes)
        if (name == fwd_mode_name(mode))
            return mode;
    return std::nullopt;
}

void setup_fwd_config() {
    if (app().forwarding)
        return;  // the running configuration stays until `stop`
    const Settings& set = app().settings;
    g_config.mode = set.mode;
    g_config.nb_ports = static_cast<unsigned>(app().fwd_ports.size());
    if (set.mode == FwdMode::kIcmpEcho)
        echo_config();
    else if (set.nb_rxq > 1 && set.nb_txq > 1)
        multi_queue_config();
    else
        single_queue_config();
    spread_streams_over_lcores();
}

void show_fwd_config() {
    const FwdConfig& cfg = g_config;
    std::printf("%s packet forwarding - ports=%u - cores=%u - streams=%u - NUMA support enabled, MP allocation mode: native\n",
                fwd_mode_name(cfg.mode), cfg.nb_ports, cfg.nb_lcores, cfg.nb_streams);
    for (unsigned lc = 0; lc < cfg.nb_lcores; ++lc) {
        const FwdLcore& lcore = cfg.lcores[lc];
        std::printf("Logical Core %u (socket %u) forwards packets on %u streams:", lcore.lcore_id,
                    rte_lcore_to_socket_id(lcore.lcore_id), lcore.nb_streams);
        for (unsigned i = 0; i < lcore.nb_streams; ++i) {
            const FwdStream& s = lcore.streams[i];
            std::printf("\n  RX P=%u/Q=%u (socket %u) -> TX P=%u/Q=%u (socket %u) peer=%s", s.rx_port, s.rx_queue,
                        app().ports[s.rx_port].socket, s.tx_port, s.tx_queue, app().ports[s.tx_port].socket,
                        format_mac(app().settings.peer[s.peer]).c_str());
        }
        std::printf("\n");
    }
    std::printf("\n");
}

bool port_is_forwarding(std::uint16_t port) {
    if (!app().forwarding)
        return false;
    for (unsigned i = 0; i < g_config.nb_streams; ++i)
        if (g_config.streams[i].rx_port == port || g_config.streams[i].tx_port == port)
            return true;
    return false;
}

void start_forwarding(unsigned tx_first_bursts) {
    const Settings& set = app().settings;
    if (set.mode == FwdMode::kRxOnly && set.nb_rxq == 0) {
        std::fprintf(stderr, "rxq are 0, cannot use rxonly fwd mode\n");
        return;
    }
    if (set.mode == FwdMode::kTxOnly && set.nb_txq == 0) {
        std::fprintf(stderr, "txq are 0, cannot use txonly fwd mode\n");
        return;
    }
    if (set.mode != FwdMode::kRxOnly && set.mode != FwdMode::kTxOnly && (set.nb_rxq == 0 || set.nb_txq == 0)) {
        std::fprintf(stderr, "Either rxq or txq are 0, cannot use %s fwd mode\n", fwd_mode_name(set.mode));
        return;
    }
    if (!all_ports_started()) {
        std::fprintf(stderr, "Not all ports were started\n");
        return;
    }
    if (app().forwarding) {
        std::fprintf(stderr, "Packet forwarding already started\n");
        return;
    }
    if (tx_first_bursts > 0 && set.nb_txq == 0) {
        std::fprintf(stderr, "txq are 0, cannot send a first burst\n");
        return;
    }
    setup_fwd_config();
    show_fwd_config();
    build_context();
    if (set.flush_rx)
        flush_rx_queues();
    show_rxtx_config();
    reset_fwd_counters();
    for (unsigned n = 0; n < tx_first_bursts; ++n) {
        launch(&forward_once<TxOnlyEngine>);
        wait_lcores();
    }
    launch(loop_for(g_config.mode));
    app().forwarding = true;
}

void stop_forwarding() {
    if (!app().forwarding) {
        std::fprintf(stderr, "Packet forwarding not started\n");
        return;
    }
    std::printf("Telling cores to stop...");
    for (unsigned lc = 0; lc < g_config.nb_lcores; ++lc)
        g_config.lcores[lc].stop.store(true, std::memory_order_relaxed);
    std::printf("\nWaiting for lcores to finish...\n");
    std::fflush(stdout);
    wait_lcores();
    show_fwd_stats();
    std::printf("\nDone.\n");
    app().forwarding = false;
}

void show_fwd_stats() {
    struct PortTotals {
        std::uint64_t fwd_dropped = 0;
    };
    std::array<PortTotals, RTE_MAX_ETHPORTS> per_port{};
    const bool per_stream = g_config.nb_streams > g_config.nb_ports;
    for (unsigned i = 0; i < g_config.nb_streams; ++i) {
        const FwdStream& s = g_config.streams[i];
        if (per_stream)
            show_stream_stats(s);
        per_port[s.tx_port].fwd_dropped += s.fwd_dropped.get();
    }

    std::uint64_t rx = 0, rx_dropped = 0, tx = 0, tx_dropped = 0, rx_nombuf = 0;
    for (unsigned i = 0; i < g_config.nb_ports && i < app().fwd_ports.size(); ++i) {
        const std::uint16_t port = app().fwd_ports[i];
        rte_eth_stats now{};
        const int rc = rte_eth_stats_get(port, &now);
        if (rc != 0) {
            std::fprintf(stderr, "Failed to read the statistics of port %u: %d\n", port, rc);
            continue;
        }
        const rte_eth_stats& base = app().ports[port].fwd_base;
        const std::uint64_t ipackets = now.ipackets - base.ipackets, imissed = now.imissed - base.imissed;
        const std::uint64_t opackets = now.opackets - base.opackets, oerrors = now.oerrors - base.oerrors;
        const std::uint64_t nombuf = now.rx_nombuf - base.rx_nombuf;
        const std::uint64_t dropped = per_port[port].fwd_dropped + oerrors;
        rx += ipackets;
        rx_dropped += imissed;
        tx += opackets;
        tx_dropped += dropped;
        rx_nombuf += nombuf;

        std::printf("\n  ---------------------- Forward statistics for port %-2u ----------------------\n", port);
        std::printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64 "RX-total: %-" PRIu64 "\n", ipackets, imissed,
                    ipackets + imissed);
        if (now.ierrors + nombuf > 0) {
            std::printf("  RX-error: %-" PRIu64 "\n", now.ierrors);
            std::printf("  RX-nombufs: %-14" PRIu64 "\n", nombuf);
        }
        std::printf("  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64 "TX-total: %-" PRIu64 "\n", opackets, dropped,
                    opackets + dropped);
        std::printf("  ----------------------------------------------------------------------------\n");
    }
    std::printf("\n  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++\n");
    std::printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64 "RX-total: %-" PRIu64 "\n", rx, rx_dropped,
                rx + rx_dropped);
    std::printf("  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64 "TX-total: %-" PRIu64 "\n", tx, tx_dropped,
                tx + tx_dropped);
    if (rx_nombuf > 0)
        std::printf("  RX-nombufs: %-14" PRIu64 "\n", rx_nombuf);
    std::printf("  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\n");
}

void clear_fwd_stats() { reset_fwd_counters(); }

void set_fwd_mode(std::string_view name) {
    const std::optional<FwdMode> mode = parse_fwd_mode(name);
    if (!mode) {
        std::fprintf(stderr, "Invalid %.*s packet forwarding mode\n", static_cast<int>(name.size()), name.data());
        return;
    }
    app().settings.mode = *mode;
    std::printf("Set %s packet forwarding mode\n", fwd_mode_name(*mode));
    setup_fwd_config();
}

void set_burst(unsigned burst) {
    if (burst > kMaxBurst) {
        std::fprintf(stderr, "nb pkt per burst: %u > %u (maximum packet per burst)  ignored\n", burst, kMaxBurst);
        return;
    }
    if (burst == 0) {
        std::fprintf(stderr, "nb pkt per burst: 0 is not a burst - ignored\n");
        return;
    }
    if (app().forwarding) {
        std::fprintf(stderr, "Please stop forwarding first\n");
        return;
    }
    app().settings.burst = static_cast<std::uint16_t>(burst);
    std::printf("Number of packets per burst set to %u\n", burst);
}

void set_nb_fwd_lcores(unsigned count) {
    if (app().forwarding) {
        std::fprintf(stderr, "Please stop forwarding first\n");
        return;
    }
    const unsigned available = static_cast<unsigned>(app().fwd_lcore_ids.size());
    if (count > available) {
        std::fprintf(stderr, "nb fwd cores %u > %u (max. number of configured lcores) - ignored\n", count, available);
        return;
    }
    if (count == 0) {
        std::fprintf(stderr, "Number of forwarding cores must be > 0 - ignored\n");
        return;
    }
    app().settings.nb_fwd_lcores = count;
    std::printf("Number of forwarding cores set to %u\n", count);
    setup_fwd_config();
}

void set_tx_segments(const std::vector<unsigned>& lengths) {
    if (lengths.size() > kMaxTxSegments) {
        std::fprintf(stderr, "Tx segment size(%zu) is bigger than max number of segment(%u)\n", lengths.size(),
                     kMaxTxSegments);
        return;
    }
    const unsigned data_room = RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM;
    unsigned total = 0;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        if (lengths[i] > data_room || lengths[i] == 0) {
            std::fprintf(stderr, "length[%zu]=%u > mbuf_data_size=%u - give up\n", i, lengths[i], data_room);
            return;
        }
        total += lengths[i];
    }
    if (total < kTxHeaderSize) {
        std::fprintf(stderr, "total packet length=%u < %zu - give up\n", total, kTxHeaderSize);
        return;
    }
    if (total > 0xFFFF) {
        std::fprintf(stderr, "total packet length=%u > 65535 - give up\n", total);
        return;
    }
    if (app().forwarding) {
        std::fprintf(stderr, "Please stop forwarding first\n");
        return;
    }
    app().settings.tx_segments.assign(lengths.begin(), lengths.end());
}

void print_periodic_stats() {
    static const char clear_screen[] = {27, '[', '2', 'J', '\0'};
    static const char top_left[] = {27, '[', '1', ';', '1', 'H', '\0'};
    std::printf("%s%s", clear_screen, top_left);
    std::printf("\nPort statistics ====================================");
    for (std::uint16_t port : app().fwd_ports)
        show_port_stats(port);
    std::fflush(stdout);
}

}  // namespace ena::testpmd
