// Statistics through ethdev: every xstats id by id and by name against the full listing, values
// that agree with the traffic, resets that spare the gauges, and statistics read from another
// thread while the datapath runs -- consistent, and without a single admin command.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

constexpr std::uint16_t kRxQueues = 3, kTxQueues = 2;

rte_eth_conf rss_conf() {
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
    return conf;
}

// A started port on a loopback wire with several queues, RSS spreading UDP flows over Rx.
std::unique_ptr<SimPort> multi_queue_port(const std::string& args) {
    auto port = SimPort::create(args + ",wire=loopback");
    if (port == nullptr || port->configure_and_start(kRxQueues, kTxQueues, rss_conf()) != 0)
        return nullptr;
    return port;
}

// Sends `count` UDP frames (flows by source port) on Tx queue `queue`, then drains every Rx
// queue. Returns how many arrived.
unsigned send_and_drain(const SimPort& port, std::uint16_t queue, unsigned count, unsigned first_flow = 0) {
    std::vector<rte_mbuf*> burst;
    for (unsigned i = 0; i < count; ++i) {
        FrameSpec spec;
        spec.size = 100 + i % 64;
        spec.src_port = static_cast<std::uint16_t>(1000 + first_flow + i);
        burst.push_back(make_chain(test_pool(), make_frame(spec), 1));
    }
    unsigned sent = 0;
    while (sent < burst.size()) {
        const std::uint16_t n = rte_eth_tx_burst(port.id, queue, burst.data() + sent,
                                                 static_cast<std::uint16_t>(std::min<std::size_t>(32, burst.size() - sent)));
        if (n == 0)
            break;
        sent += n;
    }
    for (unsigned i = sent; i < burst.size(); ++i)
        rte_pktmbuf_free(burst[i]);
    unsigned received = 0;
    rte_mbuf* got[64];
    for (std::uint16_t q = 0; q < kRxQueues; ++q)
        for (std::uint16_t n; (n = rte_eth_rx_burst(port.id, q, got, 64)) != 0;) {
            received += n;
            rte_pktmbuf_free_bulk(got, n);
        }
    return received;
}

struct Listing {
    std::vector<std::string> names;
    std::vector<std::uint64_t> values;
    std::map<std::string, std::uint64_t> by_name;
};

Listing listing(std::uint16_t port) {
    Listing out;
    const int count = rte_eth_xstats_get_names(port, nullptr, 0);
    EXPECT_GT(count, 0);
    std::vector<rte_eth_xstat_name> names(count);
    std::vector<rte_eth_xstat> values(count);
    EXPECT_EQ(rte_eth_xstats_get_names(port, names.data(), count), count);
    EXPECT_EQ(rte_eth_xstats_get(port, values.data(), count), count);
    for (int i = 0; i < count; ++i) {
        EXPECT_EQ(values[i].id, static_cast<std::uint64_t>(i));
        out.names.emplace_back(names[i].name);
        out.values.push_back(values[i].value);
        out.by_name.emplace(names[i].name, values[i].value);  // a repeated name: its first id
    }
    return out;
}

std::uint64_t sum_of(const std::map<std::string, std::uint64_t>& xstats, const char* prefix, unsigned queues,
                     const char* suffix) {
    std::uint64_t sum = 0;
    for (unsigned q = 0; q < queues; ++q)
        sum += xstats.at(prefix + std::to_string(q) + suffix);
    return sum;
}

TEST(Xstats, EveryIdByIdAndByNameMatchesTheFullListing) {
    auto port = multi_queue_port(kSyncArgs);
    ASSERT_NE(port, nullptr);
    const unsigned on_q0 = send_and_drain(*port, 0, 300);
    const unsigned on_q1 = send_and_drain(*port, 1, 170, 300);
    ASSERT_EQ(on_q0, 300u);
    ASSERT_EQ(on_q1, 170u);

    const Listing all = listing(port->id);
    const auto& x = all.by_name;
    const auto at = [&](const std::string& name) {  // the last of a repeated name: the driver's
        return all.names.rend() - std::find(all.names.rbegin(), all.names.rend(), name) - 1;
    };
    // The values agree with the traffic, per queue and in total.
    EXPECT_EQ(x.at("tx_q0_cnt"), 300u);
    EXPECT_EQ(x.at("tx_q1_cnt"), 170u);
    EXPECT_EQ(x.at("tx_good_packets"), 470u);
    EXPECT_EQ(sum_of(x, "rx_q", kRxQueues, "_cnt"), 470u);
    EXPECT_EQ(x.at("rx_good_packets"), 470u);
    for (unsigned q = 0; q < kRxQueues; ++q) {
        const std::string rx = "rx_q" + std::to_string(q);
        EXPECT_GT(x.at(rx + "_cnt"), 0u) << "RSS left " << rx << " empty";
        EXPECT_EQ(x.at(rx + "_cnt"), x.at(rx + "_packets"));
        EXPECT_EQ(x.at(rx + "_bad_csum"), 0u);
    }
    EXPECT_EQ(sum_of(x, "rx_q", kRxQueues, "_bytes"), x.at("rx_good_bytes"));
    EXPECT_EQ(x.at("dev_start"), 1u);
    // Per-queue blocks are stat-major (upstream's order), ours after upstream's.
    EXPECT_EQ(at("rx_q1_cnt"), at("rx_q0_cnt") + 1);
    EXPECT_EQ(at("rx_q2_cnt"), at("rx_q0_cnt") + 2);
    EXPECT_EQ(at("rx_q0_bytes"), at("rx_q0_cnt") + kRxQueues);
    EXPECT_EQ(at("rx_q2_bad_csum") + 1, at("tx_q0_cnt"));
    // Then ours at the end: the control path's interrupts, the resets in total (and per reason
    // once one is seen).
    EXPECT_EQ(at("tx_q1_header_overflow") + 1, at("control_path_intr_missed"));
    EXPECT_EQ(at("control_path_intr_missed") + 1, at("reset_total"));
    EXPECT_EQ(at("reset_total") + 1, static_cast<long>(all.names.size()));

    // ethdev's rx_qN_bytes and the driver's (upstream's name) are one counter: equal.
    for (unsigned q = 0; q < kRxQueues; ++q) {
        const std::string bytes = "rx_q" + std::to_string(q) + "_bytes";
        ASSERT_EQ(std::count(all.names.begin(), all.names.end(), bytes), 2);
        EXPECT_EQ(all.values[at(bytes)], x.at(bytes));
    }

    // One id at a time: its name, its id by that name (the first of a repeated name), its value.
    for (std::uint64_t id = 0; id < all.names.size(); ++id) {
        rte_eth_xstat_name name{};
        ASSERT_EQ(rte_eth_xstats_get_names_by_id(port->id, &name, 1, &id), 1) << id;
        EXPECT_EQ(all.names[id], name.name) << "id " << id;
        std::uint64_t by_name = ~0ull;
        ASSERT_EQ(rte_eth_xstats_get_id_by_name(port->id, all.names[id].c_str(), &by_name), 0) << all.names[id];
        EXPECT_EQ(by_name, static_cast<std::uint64_t>(std::find(all.names.begin(), all.names.end(), all.names[id]) -
                                                      all.names.begin()))
            << all.names[id];
        std::uint64_t value = ~0ull;
        ASSERT_EQ(rte_eth_xstats_get_by_id(port->id, &id, &value, 1), 1) << id;
        EXPECT_EQ(value, all.values[id]) << all.names[id];
    }
    // All ids at once, in reverse: the same names and values.
    std::vector<std::uint64_t> ids(all.names.size());
    std::iota(ids.rbegin(), ids.rend(), 0);
    std::vector<std::uint64_t> values(ids.size());
    std::vector<rte_eth_xstat_name> names(ids.size());
    ASSERT_EQ(rte_eth_xstats_get_by_id(port->id, ids.data(), values.data(), ids.size()), static_cast<int>(ids.size()));
    ASSERT_EQ(rte_eth_xstats_get_names_by_id(port->id, names.data(), names.size(), ids.data()),
              static_cast<int>(ids.size()));
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(all.names[ids[i]], names[i].name);
        EXPECT_EQ(all.values[ids[i]], values[i]) << names[i].name;
    }
    // An id past the listing is refused, by value and by name.
    std::uint64_t past = all.names.size(), value = 0;
    rte_eth_xstat_name name{};
    EXPECT_LT(rte_eth_xstats_get_by_id(port->id, &past, &value, 1), 0);
    EXPECT_LT(rte_eth_xstats_get_names_by_id(port->id, &name, 1, &past), 0);
}

TEST(Xstats, ResetZeroesCountersAndSparesGauges) {
    auto port = multi_queue_port(kSyncArgs);
    ASSERT_NE(port, nullptr);
    ASSERT_EQ(send_and_drain(*port, 0, 100), 100u);
    // Leave Tx descriptors in use so tx_q0_available_desc is a gauge below the ring size.
    const Listing before = listing(port->id);
    ASSERT_EQ(rte_eth_xstats_reset(port->id), 0);
    const Listing after = listing(port->id);
    ASSERT_EQ(after.names, before.names);
    const auto gauge = [](const std::string& n) {
        return n == "conntrack_allowance_available" || n == "ena_srd_mode" || n == "ena_srd_resource_utilization" ||
               n.ends_with("_available_desc");
    };
    for (std::size_t i = 0; i < after.names.size(); ++i) {
        if (gauge(after.names[i]))
            EXPECT_EQ(after.values[i], before.values[i]) << after.names[i] << " is a gauge";
        else
            EXPECT_EQ(after.values[i], 0u) << after.names[i];
    }
    EXPECT_GT(before.by_name.at("tx_q0_available_desc"), 0u);
    // Counting restarts from the reset, although the device's own counters are cumulative.
    ASSERT_EQ(send_and_drain(*port, 1, 40), 40u);
    const Listing later = listing(port->id);
    EXPECT_EQ(later.by_name.at("tx_q1_cnt"), 40u);
    EXPECT_EQ(later.by_name.at("tx_q0_cnt"), 0u);
    EXPECT_EQ(later.by_name.at("rx_good_packets"), 40u);
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.ipackets, 40u);
    EXPECT_EQ(stats.opackets, 40u);
}

// The datapath forwards in this thread while another thread reads every kind of statistics as
// fast as it can. Driver-side counters are read as they stand and device-side ones from the
// snapshot (refreshed every stats_interval ms, here longer than the test): no admin command.
TEST(Xstats, ReadingFromAnotherThreadDuringForwardingIsConsistentAndIssuesNoAdminCommand) {
    auto port = multi_queue_port("engine=sync,stats_interval=60000,watchdog_interval=0");
    ASSERT_NE(port, nullptr);
    const std::uint64_t admin_before = port->driver()->device().admin().stats().submitted;

    std::atomic<bool> forwarding{true};
    std::atomic<unsigned> reads{0}, inconsistent{0}, backwards{0};
    std::string first_problem;
    std::thread reader([&] {
        const int count = rte_eth_xstats_get_names(port->id, nullptr, 0);
        std::vector<rte_eth_xstat_name> names(count);
        rte_eth_xstats_get_names(port->id, names.data(), count);
        std::vector<rte_eth_xstat> values(count);
        std::uint64_t last_rx = 0, last_tx = 0;
        while (forwarding.load(std::memory_order_relaxed)) {
            rte_eth_stats stats{};
            if (rte_eth_stats_get(port->id, &stats) != 0 ||
                rte_eth_xstats_get(port->id, values.data(), count) != count) {
                ++inconsistent;
                continue;
            }
            std::map<std::string, std::uint64_t> x;
            for (int i = 0; i < count; ++i)
                x[names[i].name] = values[i].value;
            std::uint64_t q_ipackets = 0;
            for (unsigned q = 0; q < kRxQueues; ++q)
                q_ipackets += stats.q_ipackets[q];
            // Within one call the port-level and per-queue counters are of one moment: ethdev's
            // rx_qN_packets and the driver's rx_qN_cnt (read first) are equal.
            bool ok = q_ipackets == stats.ipackets && x.at("rx_good_packets") == sum_of(x, "rx_q", kRxQueues, "_packets") &&
                      x.at("tx_good_packets") == sum_of(x, "tx_q", kTxQueues, "_packets");
            for (unsigned q = 0; q < kRxQueues; ++q) {
                const std::string rx = "rx_q" + std::to_string(q);
                ok = ok && x.at(rx + "_cnt") == x.at(rx + "_packets");
            }
            for (unsigned q = 0; q < kTxQueues; ++q) {
                const std::string tx = "tx_q" + std::to_string(q);
                ok = ok && x.at(tx + "_cnt") == x.at(tx + "_packets");
            }
            if (!ok) {
                if (inconsistent++ == 0)
                    first_problem = "ipackets " + std::to_string(stats.ipackets) + " per queue " +
                                    std::to_string(q_ipackets);
            }
            if (stats.ipackets < last_rx || stats.opackets < last_tx)
                ++backwards;
            last_rx = stats.ipackets;
            last_tx = stats.opackets;
            std::uint64_t id = 0, value = 0;
            rte_eth_xstats_get_by_id(port->id, &id, &value, 1);
            ++reads;
        }
    });
    unsigned sent = 0, received = 0;
    for (unsigned round = 0; round < 5000; ++round) {
        received += send_and_drain(*port, static_cast<std::uint16_t>(round % kTxQueues), 32, round * 32);
        sent += 32;
    }
    forwarding = false;
    reader.join();

    EXPECT_EQ(received, sent);
    EXPECT_GT(reads.load(), 100u) << "the reader hardly ran";
    EXPECT_EQ(inconsistent.load(), 0u) << first_problem;
    EXPECT_EQ(backwards.load(), 0u);
    EXPECT_EQ(port->driver()->device().admin().stats().submitted, admin_before)
        << "statistics calls issued admin commands";
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_EQ(stats.ipackets, received);
    EXPECT_EQ(stats.opackets, sent);
}

// stats_interval=0: the device's counters are read at every call -- the cost the user chose.
TEST(Xstats, StatsIntervalZeroReadsTheDeviceAtEveryCall) {
    auto port = multi_queue_port(kSyncArgs);
    ASSERT_NE(port, nullptr);
    const std::uint64_t before = port->driver()->device().admin().stats().submitted;
    rte_eth_stats stats{};
    ASSERT_EQ(rte_eth_stats_get(port->id, &stats), 0);
    EXPECT_GT(port->driver()->device().admin().stats().submitted, before);
}

}  // namespace
}  // namespace ena::test
