// ena-soak: traffic through two simulated ports on one vpc wire while a random fault hits one of
// them every second, for as long as asked. The application side recovers each port the way a
// DPDK application should: on RTE_ETH_EVENT_INTR_RESET it stops that port's traffic and calls
// rte_eth_dev_stop(), rte_eth_dev_reset() and rte_eth_dev_start() (with --auto-recover the
// driver does it itself). Prints, per fault kind: faults injected, resets, time to detection and
// to traffic back (median, max), packets lost around each; then the mbufs leaked.
//
// Figures only: a benchmark and soak program never decides pass/fail (exit status 0 unless it
// could not run). doc/guides/nics/ena_ng.rst (Soak) has the command and a run's figures.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ena_sim_api.hpp"

namespace {

constexpr std::uint16_t kPorts = 2;
constexpr std::uint16_t kBurst = 32;
constexpr unsigned kPoolSize = 8191;
constexpr std::uint16_t kRing = 512;
constexpr double kGiveUpS = 20;  // an incident not back by then counts as not recovered

struct Options {
    unsigned seconds = 60;
    unsigned interval_ms = 1000;
    unsigned seed = 1;
    bool auto_recover = false;
    std::vector<unsigned> kinds;  // indexes into kKinds; empty: all
};

// The faults that must end in a reset, as the device model injects them (names as the faults=
// devarg spells them). A state (keep-alive stop, Tx queue stall) lasts until the device's reset.
struct FaultKind {
    ena::sim::Fault fault;
    std::uint32_t occurrences;
    const char* name() const { return ena::sim::kFaultNames[static_cast<unsigned>(fault)].data(); }
};
const std::array<FaultKind, 10> kKinds = {{
    {ena::sim::Fault::kKeepAliveStop, ena::sim::kFaultUntilReset},
    {ena::sim::Fault::kMissingTxCompletion, 300},
    {ena::sim::Fault::kBadTxReqId, 1},
    {ena::sim::Fault::kAdminNoCompletion, 1},
    {ena::sim::Fault::kReadlessNoAnswer, 1},
    {ena::sim::Fault::kTooManyRxDescs, 1},
    {ena::sim::Fault::kRxStaleReqId, 1},
    {ena::sim::Fault::kFatalError, 1},
    {ena::sim::Fault::kDeviceResetRequest, 1},
    {ena::sim::Fault::kTxQueueStall, ena::sim::kFaultUntilReset},
}};

struct Incident {
    unsigned kind = 0;
    std::uint64_t injected = 0, event = 0, back = 0;  // TSC
    std::uint64_t sent_at_injection = 0, received_at_injection = 0;
    std::uint64_t device_resets = 0;  // the device's reset count when the fault was injected
    std::uint64_t lost = 0;
    bool reset = false, recovered = false, gave_up = false;
};

struct PortState {
    std::uint16_t id = 0;
    std::atomic<bool> reset_event{false};
    bool in_incident = false;
    bool restarted = false;
    std::size_t incident = 0;  // index into the incident list
    std::uint64_t sent = 0, received = 0;
    rte_ether_addr mac{};
};

std::array<PortState, kPorts> g_ports;

int on_reset_event(std::uint16_t port, rte_eth_event_type, void*, void*) {
    for (PortState& p : g_ports)
        if (p.id == port) {
            p.reset_event.store(true, std::memory_order_release);
        }
    return 0;
}

int parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](unsigned& out) {
            if (i + 1 >= argc)
                return false;
            out = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
            return true;
        };
        if (a == "--seconds" && value(o.seconds)) {
        } else if (a == "--interval-ms" && value(o.interval_ms)) {
        } else if (a == "--seed" && value(o.seed)) {
        } else if (a == "--auto-recover") {
            o.auto_recover = true;
        } else if (a == "--kinds" && i + 1 < argc) {
            std::string list = argv[++i];
            for (std::size_t at = 0; at <= list.size();) {
                const std::size_t comma = std::min(list.find(',', at), list.size());
                const std::string name = list.substr(at, comma - at);
                const auto k = std::find_if(kKinds.begin(), kKinds.end(), [&](const FaultKind& f) { return name == f.name(); });
                if (k == kKinds.end()) {
                    std::fprintf(stderr, "ena-soak: unknown fault kind '%s'\n", name.c_str());
                    return 2;
                }
                o.kinds.push_back(static_cast<unsigned>(k - kKinds.begin()));
                at = comma + 1;
            }
        } else {
            std::fprintf(stderr,
                         "usage: ena-soak [--seconds N (60)] [--interval-ms N (1000)] [--seed N (1)] [--auto-recover] "
                         "[--kinds K,K,... of keepalive_stop, missing_tx_cmpl, bad_tx_req_id, admin_no_cmpl, "
                         "readless_no_answer, rx_too_many_descs, rx_stale_req_id, fatal_error, device_reset_request, "
                         "tx_queue_stall]\n");
            return a == "--help" ? 1 : 2;
        }
    }
    return o.interval_ms == 0 ? 2 : 0;
}

rte_mbuf* make_packet(rte_mempool* pool, const rte_ether_addr& src, const rte_ether_addr& dst, std::uint16_t flow) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr)
        return nullptr;
    constexpr std::uint16_t kLen = 64;
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, kLen));
    std::memset(eth, 0, kLen);
    eth->src_addr = src;
    eth->dst_addr = dst;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(kLen - sizeof(rte_ether_hdr));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(0xC6120001);  // 198.18.0.1
    ip->dst_addr = rte_cpu_to_be_32(0xC6120002);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = rte_cpu_to_be_16(static_cast<std::uint16_t>(1024 + flow));
    udp->dst_port = rte_cpu_to_be_16(9);
    udp->dgram_len = rte_cpu_to_be_16(kLen - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr));
    return m;
}

int start_port(PortState& p, rte_mempool* pool) {
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(p.id, 1, 1, &conf);
    if (rc == 0)
        rc = rte_eth_rx_queue_setup(p.id, 0, kRing, SOCKET_ID_ANY, nullptr, pool);
    if (rc == 0)
        rc = rte_eth_tx_queue_setup(p.id, 0, kRing, SOCKET_ID_ANY, nullptr);
    if (rc == 0)
        rc = rte_eth_dev_callback_register(p.id, RTE_ETH_EVENT_INTR_RESET, on_reset_event, nullptr);
    if (rc == 0)
        rc = rte_eth_dev_start(p.id);
    if (rc == 0)
        rc = rte_eth_macaddr_get(p.id, &p.mac);
    return rc;
}

struct Summary {
    std::vector<double> detect_ms, recover_ms;
    std::vector<std::uint64_t> lost;
    unsigned injected = 0, resets = 0, not_recovered = 0, open_at_end = 0;
};

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (int rc = parse(argc, argv, opt); rc != 0)
        return rc == 1 ? 0 : rc;
    rte_openlog_stream(stderr);
    const std::string wire = "wire=vpc:ena-soak-" + std::to_string(getpid());
    // miss_txc_to=1: a port that lost its Tx completions is found within a second or two, so
    // incidents stay apart at one fault per second.
    const std::string common = "," + wire + ",miss_txc_to=1" + (opt.auto_recover ? ",auto_recover=1" : "");
    std::vector<std::string> eal = {"ena-soak", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "--no-telemetry",
                                    "--file-prefix=ena-soak-" + std::to_string(getpid()), "--log-level=lib.eal:warning",
                                    "--log-level=pmd.net.ena_ng.*:warning",
                                    "--vdev=net_ena_sim0,mac=02:00:00:00:5a:01" + common,
                                    "--vdev=net_ena_sim1,mac=02:00:00:00:5a:02" + common};
    std::vector<char*> eal_argv;
    for (std::string& a : eal)
        eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "ena-soak: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    rte_mempool* pool = rte_pktmbuf_pool_create("ena_soak_pool", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pool == nullptr || rte_eth_dev_count_avail() < kPorts) {
        std::fprintf(stderr, "ena-soak: no pool or fewer than %u ports\n", kPorts);
        return 1;
    }
    std::array<ena::sim::Device*, kPorts> devices{};
    for (std::uint16_t i = 0; i < kPorts; ++i) {
        g_ports[i].id = i;
        devices[i] = ena::sim::find_device(i);
        if (devices[i] == nullptr || start_port(g_ports[i], pool) != 0) {
            std::fprintf(stderr, "ena-soak: port %u did not start\n", i);
            return 1;
        }
    }

    std::mt19937 random(opt.seed);
    std::vector<Incident> incidents;
    unsigned skipped = 0;
    const double hz = static_cast<double>(rte_get_tsc_hz());
    const auto ms = [hz](std::uint64_t cycles) { return static_cast<double>(cycles) * 1000.0 / hz; };
    const std::uint64_t start = rte_get_tsc_cycles();
    const std::uint64_t end = start + static_cast<std::uint64_t>(opt.seconds * hz);
    std::uint64_t next_fault = start + static_cast<std::uint64_t>(opt.interval_ms * hz / 1000);
    std::uint16_t flow = 0;
    const auto total_sent = [] { return g_ports[0].sent + g_ports[1].sent; };
    const auto total_received = [] { return g_ports[0].received + g_ports[1].received; };
    const ena::sim::Device* first = ena::sim::find_device(std::uint16_t{0});
    const ena::sim::EngineMode mode = first != nullptr ? first->mode() : ena::sim::EngineMode::kThreaded;
    std::printf("ena-soak: %u s, a fault every %u ms on one of %u simulated ports (%s engine), seed %u, %s\n",
                opt.seconds, opt.interval_ms, kPorts, mode == ena::sim::EngineMode::kInline ? "inline" : "threaded",
                opt.seed,
                opt.auto_recover ? "the driver recovers (auto_recover=1)" : "the application resets");
    std::fflush(stdout);

    for (std::uint64_t now = rte_get_tsc_cycles(); now < end; now = rte_get_tsc_cycles()) {
        // Traffic: each port sends a burst to the other, and reads what came.
        for (std::uint16_t i = 0; i < kPorts; ++i) {
            PortState& p = g_ports[i];
            if (p.reset_event.load(std::memory_order_acquire) && !opt.auto_recover) {
                // The application's part of a reset: stop the port's traffic, reset, start.
                p.reset_event.store(false, std::memory_order_release);
                if (p.in_incident)
                    incidents[p.incident].event = now;
                rte_eth_dev_stop(p.id);
                if (rte_eth_dev_reset(p.id) == 0 && rte_eth_dev_start(p.id) == 0 && p.in_incident) {
                    incidents[p.incident].reset = true;
                    p.restarted = true;
                }
                continue;
            }
            rte_mbuf* burst[kBurst];
            unsigned made = 0;
            for (; made < kBurst; ++made)
                if ((burst[made] = make_packet(pool, p.mac, g_ports[1 - i].mac, flow++)) == nullptr)
                    break;
            const std::uint16_t sent = rte_eth_tx_burst(p.id, 0, burst, static_cast<std::uint16_t>(made));
            p.sent += sent;
            if (sent < made)
                rte_pktmbuf_free_bulk(burst + sent, made - sent);
            rte_mbuf* got[kBurst];
            const std::uint16_t n = rte_eth_rx_burst(p.id, 0, got, kBurst);
            p.received += n;
            rte_pktmbuf_free_bulk(got, n);
            if (p.in_incident) {
                Incident& inc = incidents[p.incident];
                if (opt.auto_recover && !p.restarted && devices[i]->stats().resets > inc.device_resets) {
                    // The driver reset the device itself.
                    inc.event = now;
                    inc.reset = true;
                    p.restarted = true;
                }
                if (p.restarted && n > 0) {
                    inc.back = now;
                    inc.recovered = true;
                    p.in_incident = false;
                } else if (ms(now - inc.injected) > kGiveUpS * 1000) {
                    p.in_incident = false;
                    inc.gave_up = true;
                    devices[i]->inject_fault(kKinds[inc.kind].fault, 0);
                }
            }
        }
        if (now < next_fault)
            continue;
        next_fault = now + static_cast<std::uint64_t>(opt.interval_ms * hz / 1000);
        // A fault on a port that is not already recovering.
        std::vector<std::uint16_t> free_ports;
        for (std::uint16_t i = 0; i < kPorts; ++i)
            if (!g_ports[i].in_incident)
                free_ports.push_back(i);
        if (free_ports.empty()) {
            ++skipped;
            continue;
        }
        const std::uint16_t victim = free_ports[random() % free_ports.size()];
        Incident inc;
        inc.kind = opt.kinds.empty() ? static_cast<unsigned>(random() % kKinds.size())
                                     : opt.kinds[random() % opt.kinds.size()];
        inc.injected = now;
        inc.sent_at_injection = total_sent();
        inc.received_at_injection = total_received();
        inc.device_resets = devices[victim]->stats().resets;
        if (!incidents.empty())  // what the previous incident's window lost
            incidents.back().lost = (inc.sent_at_injection - incidents.back().sent_at_injection) -
                                    (inc.received_at_injection - incidents.back().received_at_injection);
        devices[victim]->inject_fault(kKinds[inc.kind].fault, kKinds[inc.kind].occurrences);
        incidents.push_back(inc);
        g_ports[victim].in_incident = true;
        g_ports[victim].restarted = false;
        g_ports[victim].incident = incidents.size() - 1;
    }
    if (!incidents.empty())
        incidents.back().lost = (total_sent() - incidents.back().sent_at_injection) -
                                (total_received() - incidents.back().received_at_injection);

    // The end: clear every fault, stop both ports (every mbuf they hold goes back), count.
    for (std::uint16_t i = 0; i < kPorts; ++i) {
        for (const FaultKind& k : kKinds)
            devices[i]->inject_fault(k.fault, 0);
        rte_eth_dev_stop(g_ports[i].id);
    }
    const unsigned available = rte_mempool_avail_count(pool);

    std::map<unsigned, Summary> by_kind;
    Summary all;
    for (const Incident& inc : incidents) {
        for (Summary* s : {&by_kind[inc.kind], &all}) {
            ++s->injected;
            s->resets += inc.reset;
            if (!inc.recovered) {
                ++(inc.gave_up ? s->not_recovered : s->open_at_end);
                continue;
            }
            if (inc.event != 0)
                s->detect_ms.push_back(ms(inc.event - inc.injected));
            s->recover_ms.push_back(ms(inc.back - inc.injected));
            s->lost.push_back(inc.lost);
        }
    }
    std::printf("\n%-20s %8s %7s %23s %23s %21s %13s %11s\n", "fault", "injected", "resets", "detected ms (med/max)",
                "traffic back ms (med/max)", "lost pkts (med/max)", "not recovered", "open at end");
    auto row = [&](const char* name, const Summary& s) {
        std::vector<double> lost(s.lost.begin(), s.lost.end());
        const double max_detect = s.detect_ms.empty() ? 0 : *std::max_element(s.detect_ms.begin(), s.detect_ms.end());
        const double max_back = s.recover_ms.empty() ? 0 : *std::max_element(s.recover_ms.begin(), s.recover_ms.end());
        const double max_lost = lost.empty() ? 0 : *std::max_element(lost.begin(), lost.end());
        std::printf("%-20s %8u %7u %11.0f / %-9.0f %11.0f / %-9.0f %9.0f / %-9.0f %13u %11u\n", name, s.injected,
                    s.resets, median(s.detect_ms), max_detect, median(s.recover_ms), max_back, median(lost), max_lost,
                    s.not_recovered, s.open_at_end);
    };
    for (const auto& [kind, s] : by_kind)
        row(kKinds[kind].name(), s);
    row("all", all);
    const double seconds = ms(rte_get_tsc_cycles() - start) / 1000.0;
    std::printf("\nfaults %u (%u seconds skipped: both ports recovering), resets %u, crashes 0\n", all.injected, skipped,
                all.resets);
    std::printf("traffic: %" PRIu64 " packets sent, %" PRIu64 " received (%.2f Mpps in all)\n", total_sent(),
                total_received(), static_cast<double>(total_received()) / seconds / 1e6);
    std::printf("mbufs: pool of %u, %u available after both ports stopped: %d leaked\n", kPoolSize, available,
                static_cast<int>(kPoolSize) - static_cast<int>(available));
    std::fflush(stdout);
    for (std::uint16_t i = 0; i < kPorts; ++i)
        rte_eth_dev_close(g_ports[i].id);
    rte_mempool_free(pool);
    rte_eal_cleanup();
    return 0;
}
