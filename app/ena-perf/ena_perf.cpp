// ena-perf: datapath benchmark of net_ena_ng on the simulated device.
//
// Every port runs the simulated device with engine=deferred: the driver's register writes only
// record work, and the device does it when this program calls Device::process(). So the driver's
// burst calls and the device's work are timed apart, on one core, with nothing running
// concurrently:
//
//   tx-<mode>-<size>  rte_eth_tx_burst of pre-built single-segment mbufs (completion processing
//                     done inside later bursts included); the device then takes the packets
//                     (process(), timed apart) and hands them to a wire with no other port.
//   rx-<size>         the device receives frames (receive_frame() + process(), timed apart), then
//                     rte_eth_rx_burst (bulk refill and doorbell included); mbufs are freed
//                     outside the timed region.
//   engine-<size>     device work alone for Tx -> loopback wire -> Rx: frames/s through process().
//   engine-shaped-<size>  the same with every Nitro limiter of the simulated card on and not hit
//                     (PPS and bandwidth both ways, connection tracking, plus the link-local and
//                     fragment checks that are always on): the cost of shaping. The virtual clock
//                     moves 1 us per burst of 32 (outside the timed region) in both engine cases.
//
// EAL memory comes from hugepages when the kernel has enough free (--huge / --no-huge choose),
// see Memory below.
//
// Figures only: a benchmark never decides pass/fail. Under valgrind --tool=callgrind
// --collect-atstart=no the program collects exactly the timed driver calls (see run.py), so
// callgrind's total Ir divided by the packet count is instructions per packet.
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_udp.h>
#include <rte_version.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ena_sim_api.hpp"

#if ENA_PERF_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

#ifndef ENA_PERF_BUILDTYPE
#define ENA_PERF_BUILDTYPE "unknown"
#endif

namespace {

constexpr std::uint16_t kBurst = 32;
constexpr unsigned kPoolSize = 8191;
constexpr unsigned kPoolCache = 256;

// Where EAL takes its memory from. Hugepages, as DPDK applications run: with 4 KiB pages
// (--no-huge) nearly every mbuf sits on a page of its own, and the driver pays a TLB miss per
// mbuf it touches (on the KVM guest of ena_ng_perf.rst, +15 TSC cycles per packet on Tx and +6
// on Rx, more than the rest of the driver's work): the machine's page walker, not the driver.
enum class Memory { kAuto, kHuge, kSmall };

struct Options {
    bool json = false;
    bool list = false;
    std::uint64_t packets = 200000;  // timed packets per case
    std::uint64_t warmup = 20000;    // packets before timing starts
    std::vector<std::string> cases;  // empty: all
    std::vector<std::string> eal;    // extra EAL arguments
    bool collect_device = false;     // under callgrind: collect the device's work, not the driver's
    Memory memory = Memory::kAuto;
};

// --- what is measured -----------------------------------------------------------------------

enum class Kind { kTx, kRx, kEngine };

struct CaseSpec {
    std::string name;
    Kind kind;
    std::string mode;       // table label
    const char* llq_policy; // Tx placement asked of the driver
    std::uint16_t size;     // frame bytes (no FCS)
    bool rx_offloads;       // Rx checksum flags + RSS hash
    bool shaped = false;    // engine: every Nitro limiter on (kShapedDevargs)
    bool many_flows = false;  // engine: every mbuf a flow of its own (UDP source port)
};

// Every limiter of the simulated Nitro card on, none hit by 32 frames per microsecond of virtual
// time (64 M packets/s both ways, 384 Gbit/s of 1500-byte frames): the cost of shaping, not its
// effect. The link-local and fragment limits are on in every case.
constexpr const char* kShapedDevargs =
    ",pps=100000000,bw_out_mbps=1000000,bw_in_mbps=1000000,conntrack_max=1048576";
constexpr std::uint64_t kVirtualNsPerBurst = 1000;

std::vector<CaseSpec> all_cases() {
    std::vector<CaseSpec> cases;
    struct TxMode {
        const char* key;
        const char* label;
        const char* policy;
    };
    const TxMode tx_modes[] = {{"llq128", "Tx LLQ 128B", "2"}, {"llq256", "Tx wide LLQ 256B", "3"}, {"host", "Tx host memory", "0"}};
    for (const TxMode& m : tx_modes)
        for (std::uint16_t size : {64, 1500})
            cases.push_back({std::string("tx-") + m.key + "-" + std::to_string(size), Kind::kTx, m.label, m.policy, size, false});
    for (std::uint16_t size : {64, 1500})
        cases.push_back({"rx-" + std::to_string(size), Kind::kRx, "Rx + refill", "2", size, false});
    cases.push_back({"rx-offloads-64", Kind::kRx, "Rx + refill, cksum+hash", "2", 64, true});
    for (std::uint16_t size : {64, 1500})
        cases.push_back({"engine-" + std::to_string(size), Kind::kEngine, "Engine Tx>loop>Rx", "2", size, false});
    for (std::uint16_t size : {64, 1500})
        cases.push_back({"engine-shaped-" + std::to_string(size), Kind::kEngine, "Engine, all limiters on", "2", size,
                         false, true});
    // Consecutive frames of different flows: no help from the card's last-flow cache.
    cases.push_back({"engine-shaped-flows-64", Kind::kEngine, "Engine, all limiters on, flows", "2", 64, false, true,
                     true});
    return cases;
}

struct Result {
    CaseSpec spec;
    std::string path;              // the driver's burst mode description
    std::uint64_t packets = 0;     // timed packets (what callgrind counted)
    std::uint64_t bursts = 0;
    std::uint64_t driver_cycles = 0;  // TSC cycles in the timed driver calls (timer overhead removed)
    std::uint64_t driver_packets = 0;  // packets of the bursts in driver_cycles (outliers left out)
    double driver_p50 = 0;            // median burst, per packet
    std::uint64_t device_cycles = 0;  // TSC cycles in the device's work
    std::uint64_t device_packets = 0;
    std::uint64_t driver_outliers = 0, device_outliers = 0;  // bursts left out of the cycle sums
    std::uint64_t short_bursts = 0;   // bursts that moved fewer than kBurst packets
    std::vector<std::string> warnings;
    bool ok = false;
};

// --- timing -----------------------------------------------------------------------------------

inline std::uint64_t tsc() {
    rte_compiler_barrier();
    const std::uint64_t t = rte_rdtsc();
    rte_compiler_barrier();
    return t;
}

// Cycles two back-to-back reads of the TSC take: subtracted from every timed burst.
std::uint64_t timer_overhead() {
    std::vector<std::uint64_t> samples(10001);
    for (auto& s : samples) {
        const std::uint64_t a = tsc();
        const std::uint64_t b = tsc();
        s = b - a;
    }
    std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
    return samples[samples.size() / 2];
}

std::uint64_t g_timer_overhead = 0;

// The core's clock, from a chain of dependent additions (one core cycle each) timed with the
// TSC: TSC cycles are reference cycles, and the core may run faster or slower. 0 if unknown.
double core_clock_hz(double tsc_hz) {
#if defined(__x86_64__)
    constexpr std::uint64_t kAdds = 100000000;
    std::uint64_t n = kAdds;
    std::uint64_t x = 0;
    const std::uint64_t t0 = tsc();
    asm volatile("1:\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tsub $4, %1\n\tjnz 1b"
                 : "+r"(x), "+r"(n));
    const std::uint64_t t1 = tsc();
    return static_cast<double>(kAdds) / static_cast<double>(t1 - t0) * tsc_hz;
#else
    (void)tsc_hz;
    return 0;
#endif
}
double g_core_hz = 0;

// One timed region: cycles of [start, stop), minus the timer's own cost; under callgrind, when
// `collect` is given to start(), the instructions of it too (and nothing else).
template <bool kCallgrind>
struct Stopwatch {
    std::uint64_t t0 = 0;
    bool collect = false;
    void start(bool measured) {
        collect = measured;
        t0 = tsc();
        if constexpr (kCallgrind)
            if (collect)
                CALLGRIND_TOGGLE_COLLECT;
    }
    std::uint64_t stop() {
        if constexpr (kCallgrind)
            if (collect)
                CALLGRIND_TOGGLE_COLLECT;
        const std::uint64_t t1 = tsc();
        const std::uint64_t d = t1 - t0;
        return d > g_timer_overhead ? d - g_timer_overhead : 0;
    }
};

// --- frames -----------------------------------------------------------------------------------

// Ethernet + IPv4 + UDP, `size` bytes in all, checksums valid.
std::vector<std::uint8_t> make_frame(std::uint16_t size, const rte_ether_addr& dst, const rte_ether_addr& src) {
    std::vector<std::uint8_t> f(size, 0);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = dst;
    eth->src_addr = src;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    const std::uint16_t ip_len = static_cast<std::uint16_t>(size - sizeof(rte_ether_hdr));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(ip_len);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(0xC6120001);  // 198.18.0.1
    ip->dst_addr = rte_cpu_to_be_32(0xC6120002);  // 198.18.0.2
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = rte_cpu_to_be_16(1024);
    udp->dst_port = rte_cpu_to_be_16(1025);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(ip_len - sizeof(rte_ipv4_hdr)));
    for (std::size_t i = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr); i < f.size(); ++i)
        f[i] = static_cast<std::uint8_t>(i);
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    return f;
}

// Writes `frame` into every mbuf of the pool, so that a Tx burst sends mbufs that were built
// once: per burst only the lengths are set again (rte_pktmbuf_alloc resets them). many_flows:
// each mbuf's frame gets a UDP source port of its own (checksum fixed), a flow per mbuf.
bool prefill_pool(rte_mempool* pool, const std::vector<std::uint8_t>& frame, bool many_flows = false) {
    std::vector<rte_mbuf*> all(rte_mempool_avail_count(pool));
    if (rte_pktmbuf_alloc_bulk(pool, all.data(), static_cast<unsigned>(all.size())) != 0)
        return false;
    std::uint16_t port = 1024;
    for (rte_mbuf* m : all) {
        auto* bytes = rte_pktmbuf_mtod(m, std::uint8_t*);
        std::memcpy(bytes, frame.data(), frame.size());
        if (many_flows) {
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(bytes + sizeof(rte_ether_hdr));
            auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
            udp->src_port = rte_cpu_to_be_16(++port);
            udp->dgram_cksum = 0;
            udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
        }
    }
    rte_pktmbuf_free_bulk(all.data(), static_cast<unsigned>(all.size()));
    return true;
}

// --- ports ------------------------------------------------------------------------------------

// A net_ena_sim vdev with a started port (1 Rx and 1 Tx queue, driver default ring sizes).
class BenchPort {
public:
    ~BenchPort() {
        if (started_)
            rte_eth_dev_stop(id);
        if (!name_.empty()) {
            rte_eth_dev_close(id);
            rte_vdev_uninit(name_.c_str());
        }
    }

    // Returns an empty string or what went wrong.
    std::string open(const std::string& name, const std::string& args, rte_mempool* pool, std::uint64_t rx_offloads) {
        if (int rc = rte_vdev_init(name.c_str(), args.c_str()); rc != 0)
            return "rte_vdev_init(" + name + ", " + args + ") = " + std::to_string(rc);
        name_ = name;
        if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0)
            return "no port for " + name;
        device = ena::sim::find_device(id);
        if (device == nullptr || device->mode() != ena::sim::EngineMode::kDeferred)
            return name + " is not a deferred simulated device";
        rte_eth_dev_info info{};
        if (int rc = rte_eth_dev_info_get(id, &info); rc != 0)
            return "rte_eth_dev_info_get = " + std::to_string(rc);
        rte_eth_conf conf{};
        // FAST_FREE where offered, as testpmd does: one pool, refcount 1.
        conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
        conf.rxmode.offloads = rx_offloads & info.rx_offload_capa;
        if (rx_offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
            conf.rx_adv_conf.rss_conf.rss_hf &= info.flow_type_rss_offloads;
        }
        if (int rc = rte_eth_dev_configure(id, 1, 1, &conf); rc != 0)
            return "rte_eth_dev_configure = " + std::to_string(rc);
        // 0 descriptors: the driver's default ring sizes (what testpmd uses too).
        if (int rc = rte_eth_rx_queue_setup(id, 0, 0, rte_eth_dev_socket_id(id), nullptr, pool); rc != 0)
            return "rte_eth_rx_queue_setup = " + std::to_string(rc);
        if (int rc = rte_eth_tx_queue_setup(id, 0, 0, rte_eth_dev_socket_id(id), nullptr); rc != 0)
            return "rte_eth_tx_queue_setup = " + std::to_string(rc);
        if (int rc = rte_eth_dev_start(id); rc != 0)
            return "rte_eth_dev_start = " + std::to_string(rc);
        started_ = true;
        device->process();
        return "";
    }

    std::string tx_path() const {
        rte_eth_burst_mode mode{};
        return rte_eth_tx_burst_mode_get(id, 0, &mode) == 0 ? mode.info : "?";
    }
    std::string rx_path() const {
        rte_eth_burst_mode mode{};
        return rte_eth_rx_burst_mode_get(id, 0, &mode) == 0 ? mode.info : "?";
    }
    rte_ether_addr mac() const {
        rte_ether_addr a{};
        rte_eth_macaddr_get(id, &a);
        return a;
    }

    std::uint16_t id = 0;
    ena::sim::Device* device = nullptr;

private:
    std::string name_;
    bool started_ = false;
};

unsigned g_port_serial = 0;

std::string next_vdev_name() { return "net_ena_sim_perf" + std::to_string(g_port_serial++); }

// The timed bursts of one case. A burst that took more than kOutlierFactor times the median
// burst was preempted or interrupted (on a shared machine a 1 ms preemption adds 13 cycles per
// packet to 200000 packets): it is left out of the cycle sums, and counted. The periodic
// completion processing and refill bursts stay well under that bound.
constexpr std::uint64_t kOutlierFactor = 20;

class BurstLog {
public:
    explicit BurstLog(std::uint64_t expected) { bursts_.reserve(expected / kBurst + 1); }
    void add(std::uint16_t packets, std::uint64_t driver_cycles, std::uint64_t device_cycles) {
        bursts_.push_back({packets, driver_cycles, device_cycles});
    }
    void finish(Result& r) const {
        std::vector<std::uint64_t> driver, device;
        for (const Burst& b : bursts_) {
            driver.push_back(b.driver);
            device.push_back(b.device);
        }
        const std::uint64_t driver_median = median(driver);
        const std::uint64_t device_median = median(device);
        r.driver_p50 = static_cast<double>(driver_median) / kBurst;
        for (const Burst& b : bursts_) {
            r.packets += b.packets;
            ++r.bursts;
            if (b.packets < kBurst)
                ++r.short_bursts;
            if (driver_median != 0 && b.driver > kOutlierFactor * driver_median) {
                ++r.driver_outliers;
            } else {
                r.driver_cycles += b.driver;
                r.driver_packets += b.packets;
            }
            if (device_median != 0 && b.device > kOutlierFactor * device_median) {
                ++r.device_outliers;
            } else {
                r.device_cycles += b.device;
                r.device_packets += b.packets;
            }
        }
    }

private:
    struct Burst {
        std::uint16_t packets;
        std::uint64_t driver;
        std::uint64_t device;
    };
    static std::uint64_t median(std::vector<std::uint64_t>& v) {
        if (v.empty())
            return 0;
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
    }
    std::vector<Burst> bursts_;
};

void check_device(const ena::sim::DeviceStats& s, Result& r) {
    auto warn_if = [&](std::uint64_t value, const char* what) {
        if (value != 0)
            r.warnings.push_back(std::string("device ") + what + " = " + std::to_string(value));
    };
    warn_if(s.tx_drops, "tx_drops");
    warn_if(s.malformed_tx, "malformed_tx");
    warn_if(s.dma_errors, "dma_errors");
    warn_if(s.llq_header_overflow_drops, "llq_header_overflow_drops");
    warn_if(s.malformed_rx, "malformed_rx");
    warn_if(s.llq_burst_exceeded, "llq_burst_exceeded");
}

// --- Tx ---------------------------------------------------------------------------------------

template <bool kCallgrind>
void run_tx(const Options& opt, const CaseSpec& spec, rte_mempool* pool, Result& r) {
    BenchPort port;
    // A wire with no other port: the device takes the frames and sends them nowhere.
    const std::string name = next_vdev_name();
    const std::string args = "engine=deferred,wire=vpc:ena-perf-sink-" + std::to_string(getpid()) + "-" + name +
                             ",watchdog_interval=0,llq_policy=" + spec.llq_policy;
    if (std::string e = port.open(name, args, pool, 0); !e.empty()) {
        r.warnings.push_back(e);
        return;
    }
    r.path = port.tx_path();
    const rte_ether_addr dst = {{0x02, 0x00, 0x00, 0x00, 0xbe, 0xef}};
    if (!prefill_pool(pool, make_frame(spec.size, dst, port.mac()))) {
        r.warnings.push_back("mempool too small");
        return;
    }
    const unsigned before = rte_mempool_avail_count(pool);
    const ena::sim::DeviceStats start_stats = port.device->stats();

    BurstLog log(opt.packets);
    rte_mbuf* pkts[kBurst];
    const std::uint64_t total = opt.warmup + opt.packets;
    std::uint64_t sent_total = 0;
    std::uint64_t empty = 0;
    Stopwatch<kCallgrind> watch, device_watch;
    while (sent_total < total) {
        if (rte_pktmbuf_alloc_bulk(pool, pkts, kBurst) != 0) {
            r.warnings.push_back("mempool empty: Tx completions do not return mbufs");
            return;
        }
        for (rte_mbuf* m : pkts) {
            m->data_len = spec.size;
            m->pkt_len = spec.size;
        }
        const bool measured = sent_total >= opt.warmup;
        watch.start(measured && !opt.collect_device);
        const std::uint16_t sent = rte_eth_tx_burst(port.id, 0, pkts, kBurst);
        const std::uint64_t cycles = watch.stop();
        if (sent < kBurst)
            rte_pktmbuf_free_bulk(pkts + sent, kBurst - sent);
        sent_total += sent;
        device_watch.start(measured && opt.collect_device);
        port.device->process();
        const std::uint64_t device_cycles = device_watch.stop();
        if (measured)
            log.add(sent, cycles, device_cycles);
        if (sent == 0 && ++empty > 100) {
            r.warnings.push_back("Tx queue accepts nothing");
            return;
        }
    }
    log.finish(r);
    const ena::sim::DeviceStats end_stats = port.device->stats();
    if (end_stats.tx_packets - start_stats.tx_packets != sent_total)
        r.warnings.push_back("device sent " + std::to_string(end_stats.tx_packets - start_stats.tx_packets) +
                             " packets, driver " + std::to_string(sent_total));
    check_device(end_stats, r);
    rte_eth_tx_done_cleanup(port.id, 0, 0);
    if (rte_mempool_avail_count(pool) != before)
        r.warnings.push_back("after cleanup " + std::to_string(before - rte_mempool_avail_count(pool)) +
                             " mbufs still held by the Tx queue (freed at stop)");
    r.ok = true;
}

// --- Rx ---------------------------------------------------------------------------------------

template <bool kCallgrind>
void run_rx(const Options& opt, const CaseSpec& spec, rte_mempool* pool, Result& r) {
    BenchPort port;
    const std::string name = next_vdev_name();
    const std::uint64_t offloads = spec.rx_offloads ? (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
                                                       RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH)
                                                    : 0;
    if (std::string e = port.open(name, "engine=deferred,wire=loopback,watchdog_interval=0", pool, offloads);
        !e.empty()) {
        r.warnings.push_back(e);
        return;
    }
    r.path = port.rx_path();
    const rte_ether_addr src = {{0x02, 0x00, 0x00, 0x00, 0xbe, 0xef}};
    const std::vector<std::uint8_t> frame = make_frame(spec.size, port.mac(), src);
    const std::span<const std::uint8_t> bytes(frame);
    const ena::sim::DeviceStats start_stats = port.device->stats();

    BurstLog log(opt.packets);
    rte_mbuf* pkts[kBurst];
    const std::uint64_t total = opt.warmup + opt.packets;
    std::uint64_t received_total = 0;
    std::uint64_t empty = 0;
    Stopwatch<kCallgrind> watch, device_watch;
    while (received_total < total) {
        const bool measured = received_total >= opt.warmup;
        // Device: take the buffers the last refill posted, then receive one burst of frames.
        device_watch.start(measured && opt.collect_device);
        port.device->process();
        for (unsigned i = 0; i < kBurst; ++i)
            port.device->receive_frame(bytes);
        const std::uint64_t device_cycles = device_watch.stop();

        watch.start(measured && !opt.collect_device);
        const std::uint16_t got = rte_eth_rx_burst(port.id, 0, pkts, kBurst);
        const std::uint64_t cycles = watch.stop();
        rte_pktmbuf_free_bulk(pkts, got);
        received_total += got;
        if (measured)
            log.add(got, cycles, device_cycles);
        if (got == 0 && ++empty > 100) {
            r.warnings.push_back("Rx queue delivers nothing");
            return;
        }
    }
    log.finish(r);
    const ena::sim::DeviceStats end_stats = port.device->stats();
    if (end_stats.rx_drops != start_stats.rx_drops)
        r.warnings.push_back("device dropped " + std::to_string(end_stats.rx_drops - start_stats.rx_drops) +
                             " frames for want of posted buffers");
    check_device(end_stats, r);
    r.ok = true;
}

// --- engine -----------------------------------------------------------------------------------

template <bool kCallgrind>
void run_engine(const Options& opt, const CaseSpec& spec, rte_mempool* pool, Result& r) {
    BenchPort port;
    const std::string name = next_vdev_name();
    if (std::string e = port.open(name,
                                  std::string("engine=deferred,wire=loopback,watchdog_interval=0,llq_policy=") +
                                      spec.llq_policy + (spec.shaped ? kShapedDevargs : ""),
                                  pool, 0);
        !e.empty()) {
        r.warnings.push_back(e);
        return;
    }
    r.path = port.tx_path() + " / " + port.rx_path();
    if (!prefill_pool(pool, make_frame(spec.size, port.mac(), port.mac()), spec.many_flows)) {
        r.warnings.push_back("mempool too small");
        return;
    }
    const ena::sim::DeviceStats start_stats = port.device->stats();
    rte_mbuf* pkts[kBurst];
    const std::uint64_t total = opt.warmup + opt.packets;
    std::uint64_t looped = 0;
    std::uint64_t stalls = 0;
    BurstLog log(opt.packets);
    Stopwatch<kCallgrind> device_watch;
    while (looped < total) {
        if (rte_pktmbuf_alloc_bulk(pool, pkts, kBurst) != 0) {
            r.warnings.push_back("mempool empty");
            return;
        }
        for (rte_mbuf* m : pkts) {
            m->data_len = spec.size;
            m->pkt_len = spec.size;
        }
        const std::uint16_t sent = rte_eth_tx_burst(port.id, 0, pkts, kBurst);
        if (sent < kBurst)
            rte_pktmbuf_free_bulk(pkts + sent, kBurst - sent);
        const bool measured = looped >= opt.warmup;
        // Device: Tx of the burst, the loopback wire, Rx into the posted buffers, completions.
        device_watch.start(measured && opt.collect_device);
        port.device->process();
        const std::uint64_t device_cycles = device_watch.stop();
        const std::uint16_t got = rte_eth_rx_burst(port.id, 0, pkts, kBurst);
        rte_pktmbuf_free_bulk(pkts, got);
        port.device->advance_time(kVirtualNsPerBurst);  // the limiters' clock (not timed)
        looped += got;
        if (measured)
            log.add(got, 0, device_cycles);
        if (got == 0 && ++stalls > 100) {
            r.warnings.push_back("nothing comes back through the loopback wire");
            return;
        }
    }
    log.finish(r);
    const ena::sim::DeviceStats end_stats = port.device->stats();
    if (end_stats.rx_drops != start_stats.rx_drops)
        r.warnings.push_back("device dropped " + std::to_string(end_stats.rx_drops - start_stats.rx_drops) + " frames");
    check_device(end_stats, r);
    // The shaped case measures limiters that are on and never hit.
    const std::uint64_t hit = end_stats.pps_allowance_exceeded + end_stats.bw_out_allowance_exceeded +
                              end_stats.bw_in_allowance_exceeded + end_stats.conntrack_allowance_exceeded +
                              end_stats.linklocal_allowance_exceeded;
    if (hit != 0)
        r.warnings.push_back("a limiter was hit " + std::to_string(hit) + " times");
    r.ok = true;
}

// --- memory -----------------------------------------------------------------------------------

// Free hugepages of every size the kernel has, in bytes.
std::uint64_t free_hugepage_bytes() {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& dir : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
        // hugepages-<size>kB
        const std::string name = dir.path().filename().string();
        const std::uint64_t kib = std::strtoull(name.c_str() + std::strlen("hugepages-"), nullptr, 10);
        std::ifstream in(dir.path() / "free_hugepages");
        std::uint64_t pages = 0;
        if (in >> pages)
            total += pages * kib * 1024;
    }
    return total;
}
// The pool (8191 mbufs of 2 KiB data room), the rings and the simulated devices, with room.
constexpr std::uint64_t kHugeBytesWanted = 128ull << 20;

// The page size and IOVA mode the mbufs live in, for the reports.
struct MemoryInfo {
    std::uint64_t page_bytes = 0;
    const char* iova = "?";
};
MemoryInfo g_memory;

MemoryInfo memory_of(rte_mempool* pool) {
    MemoryInfo info;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m != nullptr) {
        if (const rte_memseg_list* msl = rte_mem_virt2memseg_list(m))
            info.page_bytes = msl->page_sz;
        rte_pktmbuf_free(m);
    }
    info.iova = rte_eal_iova_mode() == RTE_IOVA_PA ? "PA" : "VA";
    return info;
}

std::string memory_description() {
    const std::uint64_t kib = g_memory.page_bytes >> 10;
    const std::string pages = kib >= 1024 ? std::to_string(kib >> 10) + " MiB hugepages" : std::to_string(kib) + " KiB pages";
    return pages + ", IOVA as " + g_memory.iova;
}

// --- output -----------------------------------------------------------------------------------

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    return "unknown";
}

double per_packet(std::uint64_t cycles, std::uint64_t packets) {
    return packets == 0 ? 0.0 : static_cast<double>(cycles) / static_cast<double>(packets);
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
            continue;
        out += c;
    }
    return out;
}

void print_table(const std::vector<Result>& results, double tsc_hz) {
    const double ns_per_cycle = 1e9 / tsc_hz;
    std::printf("ena-perf: net_ena_ng on net_ena_sim (engine=deferred), burst %u, %s build, %s\n", kBurst,
                ENA_PERF_BUILDTYPE, rte_version());
    std::printf("CPU: %s; TSC %.3f GHz: cycles below are TSC reference cycles", cpu_model().c_str(), tsc_hz / 1e9);
    if (g_core_hz > 0)
        std::printf(" (core clock measured ~%.2f GHz: 1 TSC cycle ~ %.2f core cycles)", g_core_hz / 1e9, g_core_hz / tsc_hz);
    std::printf("\nmemory: %s; timer overhead %" PRIu64 " cycles per timed call, subtracted\n\n",
                memory_description().c_str(), g_timer_overhead);
    std::printf("%-24s %5s %12s %10s %12s  %s\n", "mode", "bytes", "cycles/pkt", "p50 burst", "device ns/pkt", "driver path");
    for (const Result& r : results) {
        if (r.spec.kind == Kind::kEngine)
            continue;
        if (!r.ok) {
            std::printf("%-24s %5u %12s %10s %12s  %s\n", r.spec.mode.c_str(), r.spec.size, "failed", "", "", "");
            continue;
        }
        std::printf("%-24s %5u %12.1f %10.1f %12.1f  %s\n", r.spec.mode.c_str(), r.spec.size,
                    per_packet(r.driver_cycles, r.driver_packets), r.driver_p50,
                    per_packet(r.device_cycles, r.device_packets) * ns_per_cycle, r.path.c_str());
    }
    std::printf("\n");
    for (const Result& r : results) {
        if (r.spec.kind != Kind::kEngine)
            continue;
        if (!r.ok) {
            std::printf("simulated engine, %u B: failed\n", r.spec.size);
            continue;
        }
        const double seconds = static_cast<double>(r.device_cycles) / tsc_hz;
        std::printf("simulated engine, one core, Tx->loopback->Rx%s, %4u B: %.2f Mpps (%.1f ns/frame through process())\n",
                    r.spec.many_flows ? ", all limiters on, a flow per frame" : r.spec.shaped ? ", all limiters on" : "",
                    r.spec.size,
                    static_cast<double>(r.device_packets) / seconds / 1e6,
                    per_packet(r.device_cycles, r.device_packets) * ns_per_cycle);
    }
    // The cost of shaping: the same work with every limiter on.
    for (const Result& shaped : results) {
        if (!shaped.spec.shaped || !shaped.ok)
            continue;
        for (const Result& plain : results)
            if (plain.spec.kind == Kind::kEngine && !plain.spec.shaped && plain.ok && plain.spec.size == shaped.spec.size)
                std::printf("shaping cost, %4u B%s: %+.1f %% ns/frame with every limiter on\n", shaped.spec.size,
                            shaped.spec.many_flows ? ", a flow per frame" : "",
                            (per_packet(shaped.device_cycles, shaped.device_packets) /
                                 per_packet(plain.device_cycles, plain.device_packets) -
                             1) * 100);
    }
    for (const Result& r : results) {
        for (const std::string& w : r.warnings)
            std::printf("warning: %s: %s\n", r.spec.name.c_str(), w.c_str());
        if (r.short_bursts != 0)
            std::printf("note: %s: %" PRIu64 " of %" PRIu64 " timed bursts moved fewer than %u packets\n",
                        r.spec.name.c_str(), r.short_bursts, r.bursts, kBurst);
    }
    std::uint64_t outliers = 0, bursts = 0;
    for (const Result& r : results) {
        outliers += r.driver_outliers + r.device_outliers;
        bursts += r.bursts;
    }
    if (outliers != 0)
        std::printf("note: %" PRIu64 " of %" PRIu64 " timed bursts took over %" PRIu64
                    "x their case's median (preempted or interrupted) and were left out of the cycle figures\n",
                    outliers, bursts, kOutlierFactor);
}

void print_json(const std::vector<Result>& results, double tsc_hz, bool callgrind) {
    const double ns_per_cycle = 1e9 / tsc_hz;
    std::printf("{\n  \"burst\": %u,\n  \"tsc_hz\": %.0f,\n  \"core_hz\": %.0f,\n  \"timer_overhead_cycles\": %" PRIu64
                ",\n  \"cpu\": \"%s\",\n  \"build\": \"%s\",\n  \"dpdk\": \"%s\",\n  \"under_valgrind\": %s,\n"
                "  \"memory\": {\"page_bytes\": %" PRIu64 ", \"iova\": \"%s\", \"description\": \"%s\"},\n  \"cases\": [\n",
                kBurst, tsc_hz, g_core_hz, g_timer_overhead, json_escape(cpu_model()).c_str(), ENA_PERF_BUILDTYPE, rte_version(),
                callgrind ? "true" : "false", g_memory.page_bytes, g_memory.iova, memory_description().c_str());
    for (std::size_t i = 0; i < results.size(); ++i) {
        const Result& r = results[i];
        const char* kind = r.spec.kind == Kind::kTx ? "tx" : r.spec.kind == Kind::kRx ? "rx" : "engine";
        std::printf("    {\"name\": \"%s\", \"kind\": \"%s\", \"mode\": \"%s\", \"bytes\": %u, \"ok\": %s, "
                    "\"path\": \"%s\", \"packets\": %" PRIu64 ", \"bursts\": %" PRIu64 ", \"short_bursts\": %" PRIu64 ", "
                    "\"driver_cycles_per_packet\": %.2f, \"driver_cycles_per_packet_median\": %.2f, "
                    "\"device_ns_per_packet\": %.2f, \"outlier_bursts\": {\"driver\": %" PRIu64 ", \"device\": %" PRIu64 "}",
                    r.spec.name.c_str(), kind, json_escape(r.spec.mode).c_str(), r.spec.size, r.ok ? "true" : "false",
                    json_escape(r.path).c_str(), r.packets, r.bursts, r.short_bursts,
                    per_packet(r.driver_cycles, r.driver_packets), r.driver_p50,
                    per_packet(r.device_cycles, r.device_packets) * ns_per_cycle, r.driver_outliers, r.device_outliers);
        if (r.spec.kind == Kind::kEngine && r.device_cycles != 0)
            std::printf(", \"engine_mpps\": %.3f",
                        static_cast<double>(r.device_packets) / (static_cast<double>(r.device_cycles) / tsc_hz) / 1e6);
        std::printf(", \"warnings\": [");
        for (std::size_t w = 0; w < r.warnings.size(); ++w)
            std::printf("%s\"%s\"", w ? ", " : "", json_escape(r.warnings[w]).c_str());
        std::printf("]}%s\n", i + 1 < results.size() ? "," : "");
    }
    std::printf("  ]\n}\n");
}

// --- main -------------------------------------------------------------------------------------

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: ena-perf [--json] [--packets N] [--warmup N] [--case NAME[,NAME...]]... [--list]\n"
                 "                [--collect driver|device] [--huge|--no-huge] [--eal ARG]...\n"
                 "  --packets N   timed packets per case (default 200000)\n"
                 "  --warmup N    packets sent before timing starts (default 20000)\n"
                 "  --case NAMES  run only these cases (see --list)\n"
                 "  --json        print the figures as JSON instead of a table\n"
                 "  --eal ARG     extra EAL argument (e.g. --eal=-l --eal=1)\n"
                 "  --huge        EAL memory from hugepages (default when the kernel has enough free)\n"
                 "  --no-huge     EAL memory from 4 KiB pages (default otherwise: no privileges needed)\n"
                 "  --collect W   under callgrind: collect the timed driver calls (driver, default) or the\n"
                 "                device's work (device)\n"
                 "Under valgrind --tool=callgrind --collect-atstart=no, only the timed calls are collected,\n"
                 "with one dump per case: app/ena-perf/run.py turns that into instructions per packet.\n");
}

bool parse_count(const char* text, std::uint64_t& out) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0')
        return false;
    out = v;
    return true;
}

int parse_options(int argc, char** argv, Options& opt) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        std::string value;
        const auto eq = a.find('=');
        if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else if ((a == "--packets" || a == "--warmup" || a == "--case" || a == "--eal" || a == "--collect") &&
                   i + 1 < argc) {
            value = argv[++i];
        }
        if (a == "--json") {
            opt.json = true;
        } else if (a == "--list") {
            opt.list = true;
        } else if (a == "--huge" || a == "--no-huge") {
            opt.memory = a == "--huge" ? Memory::kHuge : Memory::kSmall;
        } else if (a == "--collect") {
            if (value != "driver" && value != "device") {
                std::fprintf(stderr, "ena-perf: invalid value '%s' for --collect (accepted: driver, device)\n", value.c_str());
                return 2;
            }
            opt.collect_device = value == "device";
        } else if (a == "--packets" || a == "--warmup") {
            std::uint64_t n = 0;
            if (!parse_count(value.c_str(), n) || (a == "--packets" && n < kBurst)) {
                std::fprintf(stderr, "ena-perf: invalid value '%s' for %s (a packet count, at least %u)\n", value.c_str(),
                             a.c_str(), kBurst);
                return 2;
            }
            (a == "--packets" ? opt.packets : opt.warmup) = n;
        } else if (a == "--case") {
            std::size_t start = 0;
            while (start <= value.size()) {
                const auto comma = value.find(',', start);
                const std::string one = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!one.empty())
                    opt.cases.push_back(one);
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
        } else if (a == "--eal") {
            opt.eal.push_back(value);
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 1;
        } else {
            std::fprintf(stderr, "ena-perf: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return 0;
}

template <bool kCallgrind>
Result run_case(const Options& opt, const CaseSpec& spec, rte_mempool* pool) {
    Result r;
    r.spec = spec;
    if constexpr (kCallgrind)
        CALLGRIND_ZERO_STATS;
    switch (spec.kind) {
        case Kind::kTx:
            run_tx<kCallgrind>(opt, spec, pool, r);
            break;
        case Kind::kRx:
            run_rx<kCallgrind>(opt, spec, pool, r);
            break;
        case Kind::kEngine:
            run_engine<kCallgrind>(opt, spec, pool, r);
            break;
    }
    // One callgrind dump per case, named after it (run.py reads them).
    if constexpr (kCallgrind)
        CALLGRIND_DUMP_STATS_AT(spec.name.c_str());
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (int rc = parse_options(argc, argv, opt); rc != 0)
        return rc == 1 ? 0 : rc;

    std::vector<CaseSpec> cases;
    for (const CaseSpec& c : all_cases())
        if (opt.cases.empty() || std::find(opt.cases.begin(), opt.cases.end(), c.name) != opt.cases.end())
            cases.push_back(c);
    if (opt.list) {
        for (const CaseSpec& c : all_cases())
            std::printf("%s\n", c.name.c_str());
        return 0;
    }
    for (const std::string& name : opt.cases) {
        const auto all = all_cases();
        if (std::none_of(all.begin(), all.end(), [&](const CaseSpec& c) { return c.name == name; })) {
            std::fprintf(stderr, "ena-perf: unknown case '%s' (see --list)\n", name.c_str());
            return 2;
        }
    }

    // EAL logs go to stderr, so that stdout holds only the figures (and --json stays parseable).
    rte_openlog_stream(stderr);
    // Under valgrind EAL cannot reserve hugepage address space; instruction counts do not
    // depend on the page size.
    const bool huge = opt.memory == Memory::kHuge ||
                      (opt.memory == Memory::kAuto && RUNNING_ON_VALGRIND == 0 && free_hugepage_bytes() >= kHugeBytesWanted);
    // Hugepages: --in-memory leaves no files behind in hugetlbfs. 4 KiB pages: no privileges.
    std::vector<std::string> eal = {"ena-perf", "--no-pci", "--no-telemetry", "--file-prefix=ena-perf-" + std::to_string(getpid()),
                                    "--log-level=lib.eal:error"};
    if (huge)
        eal.insert(eal.begin() + 1, "--in-memory");
    else
        eal.insert(eal.begin() + 1, {"--no-huge", "-m", "1024", "--no-shconf"});
    for (const std::string& a : opt.eal)
        eal.push_back(a);
    std::vector<char*> eal_argv;
    for (std::string& a : eal)
        eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "ena-perf: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        if (huge && opt.memory == Memory::kAuto) {
            // EAL cannot be initialised twice in one process: run again on 4 KiB pages.
            std::fprintf(stderr, "ena-perf: running again with --no-huge\n");
            std::vector<char*> again(argv, argv + argc);
            again.push_back(const_cast<char*>("--no-huge"));
            again.push_back(nullptr);
            execv("/proc/self/exe", again.data());
        }
        return 1;
    }
    rte_mempool* pool =
        rte_pktmbuf_pool_create("ena_perf_pool", kPoolSize, kPoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == nullptr) {
        std::fprintf(stderr, "ena-perf: cannot create the mbuf pool: %s\n", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return 1;
    }

    g_memory = memory_of(pool);
    const bool callgrind = RUNNING_ON_VALGRIND != 0;
    const double tsc_hz = static_cast<double>(rte_get_tsc_hz());
    g_timer_overhead = callgrind ? 0 : timer_overhead();
    g_core_hz = callgrind ? 0 : core_clock_hz(tsc_hz);
    std::vector<Result> results;
    for (const CaseSpec& c : cases) {
        if (!opt.json)
            std::fprintf(stderr, "ena-perf: %s ...\n", c.name.c_str());
        results.push_back(callgrind ? run_case<true>(opt, c, pool) : run_case<false>(opt, c, pool));
    }
    if (opt.json)
        print_json(results, tsc_hz, callgrind);
    else
        print_table(results, tsc_hz);
    std::fflush(stdout);

    rte_mempool_free(pool);
    rte_eal_cleanup();
    const bool all_ok = std::all_of(results.begin(), results.end(), [](const Result& r) { return r.ok; });
    return all_ok ? 0 : 1;
}
