// Resilience: for each fault the simulated device can show, the watchdog (run pass by pass in
// virtual time) or the datapath detects it within its timeout, the matching counter moves, the
// application gets RTE_ETH_EVENT_INTR_RESET once, the device sees the right reset reason, and
// rte_eth_dev_reset() + rte_eth_dev_start() bring traffic back with every mbuf back in its pool.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using ena::sim::Fault;
using ResetReason = ena::hw::ResetReason;

constexpr std::uint64_t kMs = 1'000'000;
constexpr unsigned kPassMs = 100;  // the watchdog pass these tests run by hand

int count_reset_event(std::uint16_t, rte_eth_event_type, void* arg, void*) {
    ++*static_cast<std::atomic<unsigned>*>(arg);
    return 0;
}

// A started port on a loopback wire (synchronous device, no alarm: the test runs the watchdog
// and moves the device's clock).
class Recovery : public testing::Test {
protected:
    void SetUp() override { open(""); }
    void TearDown() override {
        if (port_ != nullptr)
            rte_eth_dev_callback_unregister(port_->id, RTE_ETH_EVENT_INTR_RESET, count_reset_event, &events_);
    }

    void open(const std::string& extra, std::uint16_t queues = 1, const rte_eth_conf& conf = {}) {
        if (port_ != nullptr)
            rte_eth_dev_callback_unregister(port_->id, RTE_ETH_EVENT_INTR_RESET, count_reset_event, &events_);
        port_ = SimPort::create(std::string(kSyncArgs) + ",wire=loopback" + extra);
        ASSERT_NE(port_, nullptr);
        ASSERT_EQ(port_->configure_and_start(queues, queues, conf), 0);
        ASSERT_EQ(rte_eth_dev_callback_register(port_->id, RTE_ETH_EVENT_INTR_RESET, count_reset_event, &events_), 0);
        ASSERT_EQ(round_trip(8), 8u);
        pool_baseline_ = rte_mempool_avail_count(test_pool());
    }

    sim::Device& device() { return *port_->device; }
    void pass() { port_->driver()->watchdog_tick(); }
    // Moves the device's clock in watchdog passes until the reset event arrives or `limit_ms`
    // have gone by; returns the virtual milliseconds it took (limit_ms + 1: never).
    unsigned run_until_event(unsigned limit_ms) {
        for (unsigned ms = 0; ms <= limit_ms; ms += kPassMs) {
            pass();
            if (events_.load() != 0)
                return ms;
            device().advance_time(kPassMs * kMs);
        }
        return limit_ms + 1;
    }

    // Sends `count` frames on Tx queue `queue` (all must be taken); none is received.
    void send_only(std::uint16_t queue, unsigned count) {
        for (unsigned i = 0; i < count; ++i) {
            FrameSpec spec;
            spec.size = 128;
            rte_mbuf* m = make_chain(test_pool(), make_frame(spec), 1);
            ASSERT_EQ(rte_eth_tx_burst(port_->id, queue, &m, 1), 1) << i;
        }
    }

    unsigned round_trip(unsigned count, unsigned frame = 128) {
        std::vector<rte_mbuf*> burst;
        for (unsigned i = 0; i < count; ++i) {
            FrameSpec spec;
            spec.size = frame;
            spec.src_port = static_cast<std::uint16_t>(3000 + i);
            burst.push_back(make_chain(test_pool(), make_frame(spec), 1));
        }
        unsigned sent = 0;
        while (sent < count) {
            const std::uint16_t n = rte_eth_tx_burst(port_->id, 0, burst.data() + sent,
                                                     static_cast<std::uint16_t>(std::min(32u, count - sent)));
            if (n == 0)
                break;
            sent += n;
        }
        for (unsigned i = sent; i < count; ++i)
            rte_pktmbuf_free(burst[i]);
        unsigned received = 0;
        rte_mbuf* got[64];
        for (std::uint16_t n; (n = rte_eth_rx_burst(port_->id, 0, got, 64)) != 0;) {
            received += n;
            rte_pktmbuf_free_bulk(got, n);
        }
        return received;
    }

    // The event came once, the device saw `reason`, and reset + start bring traffic back within
    // 2 s with the pool whole again.
    void expect_recovery(ResetReason reason) {
        for (int i = 0; i < 5; ++i)
            pass();
        EXPECT_EQ(events_.load(), 1u) << "the reset event must reach the application once";
        EXPECT_EQ(xstat(port_->id, std::string("reset_") + hw::reset_reason_name(reason)), 1u);
        EXPECT_EQ(xstat(port_->id, "reset_total"), 1u);
        const auto event_at = std::chrono::steady_clock::now();
        ASSERT_EQ(rte_eth_dev_reset(port_->id), 0);
        const std::vector<std::uint32_t> reasons = device().reset_reasons();
        ASSERT_GE(reasons.size(), 2u);
        EXPECT_EQ(reasons[reasons.size() - 2], static_cast<std::uint32_t>(reason))
            << "the reset the driver started after the event must carry its reason";
        EXPECT_EQ(reasons.back(), 0u);  // then NORMAL for the bring-up, as every ENA driver does
        ASSERT_EQ(rte_eth_dev_start(port_->id), 0);
        EXPECT_EQ(round_trip(32), 32u) << "no traffic after the reset";
        EXPECT_LT(std::chrono::steady_clock::now() - event_at, std::chrono::seconds(2));
        EXPECT_EQ(rte_mempool_avail_count(test_pool()), pool_baseline_) << "mbufs not back in the pool";
        // Nothing more to report: no further event.
        for (int i = 0; i < 5; ++i)
            pass();
        EXPECT_EQ(events_.load(), 1u);
    }

    std::unique_ptr<SimPort> port_;
    std::atomic<unsigned> events_{0};
    unsigned pool_baseline_ = 0;
};

TEST_F(Recovery, KeepAliveStopsIsFoundAfterItsTimeout) {
    device().inject_fault(Fault::kKeepAliveStop, sim::kFaultForever);
    const unsigned found_ms = run_until_event(6000);
    EXPECT_GE(found_ms, 2000u) << "found before the 3 s timeout could have passed";
    EXPECT_LE(found_ms, 3000u + 1000u + 2 * kPassMs) << "keep-alives every second, timeout 3 s";
    EXPECT_EQ(xstat(port_->id, "wd_expired"), 1u);
    device().inject_fault(Fault::kKeepAliveStop, 0);  // the device is healthy again after its reset
    expect_recovery(ResetReason::kKeepAliveTimeout);
    EXPECT_EQ(xstat(port_->id, "wd_expired"), 1u);  // counters carry over the reset
}

TEST_F(Recovery, MissingTxCompletionsAreCountedOnceEachAndResetAboveTheThreshold) {
    device().inject_fault(Fault::kMissingTxCompletion, 300);
    round_trip(300);  // delivered, but the device writes none of their completions
    const unsigned found_ms = run_until_event(8000);
    EXPECT_GT(found_ms, 5000u - kPassMs) << "miss_txc_to is 5 s";
    EXPECT_LE(found_ms, 5000u + 2 * kPassMs);
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 300u);
    expect_recovery(ResetReason::kMissingTxCompletion);
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 300u);
}

TEST_F(Recovery, AFewMissingTxCompletionsAreCountedWithoutAReset) {
    device().inject_fault(Fault::kMissingTxCompletion, 3);
    round_trip(20);
    EXPECT_EQ(run_until_event(7000), 7001u);
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 3u);
    EXPECT_EQ(events_.load(), 0u);
}

TEST_F(Recovery, TrafficThatKeepsFlowingIsNeverMissing) {
    // Packets leave between every two passes, and the last ones' completions are left unread
    // (an application that stops sending reads none): none counts as missing.
    for (unsigned ms = 0; ms < 8000; ms += kPassMs) {
        ASSERT_EQ(round_trip(64), 64u);
        pass();
        device().advance_time(kPassMs * kMs);
    }
    for (int i = 0; i < 80; ++i) {
        pass();
        device().advance_time(kPassMs * kMs);
    }
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 0u);
    EXPECT_EQ(events_.load(), 0u);
}

TEST_F(Recovery, MissTxcToZeroTurnsTheCheckOff) {
    open(",miss_txc_to=0");
    device().inject_fault(Fault::kMissingTxCompletion, 300);
    round_trip(300);
    EXPECT_EQ(run_until_event(8000), 8001u);
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 0u);
}

TEST_F(Recovery, ATxCompletionWithAnOutOfRangeRequestIdResetsAtOnce) {
    device().inject_fault(Fault::kBadTxReqId, 1);
    round_trip(1);
    rte_eth_tx_done_cleanup(port_->id, 0, 0);  // the driver reads the completion
    EXPECT_EQ(run_until_event(1000), 0u);
    EXPECT_EQ(xstat(port_->id, "tx_q0_bad_req_id"), 1u);
    expect_recovery(ResetReason::kInvalidTxReqId);
}

TEST_F(Recovery, AnAdminCommandWithoutCompletionResets) {
    device().inject_fault(Fault::kAdminNoCompletion, 1);
    EXPECT_NE(rte_eth_dev_set_mtu(port_->id, 1600), 0);  // SET_FEATURE MTU, which never completes
    EXPECT_EQ(run_until_event(1000), 0u);
    expect_recovery(ResetReason::kAdminTimeout);
}

TEST_F(Recovery, ARegisterReadWithoutAnswerResets) {
    device().inject_fault(Fault::kReadlessNoAnswer, 1);
    EXPECT_EQ(run_until_event(1000), 0u);  // the watchdog's own DEV_STS read
    expect_recovery(ResetReason::kGeneric);
}

TEST_F(Recovery, AnRxFrameOverMoreDescriptorsThanAllowedResets) {
    device().inject_fault(Fault::kTooManyRxDescs, 1);
    round_trip(1, 1000);
    EXPECT_EQ(run_until_event(1000), 0u);
    EXPECT_EQ(xstat(port_->id, "rx_q0_bad_desc_num"), 1u);
    expect_recovery(ResetReason::kTooManyRxDescs);
}

TEST_F(Recovery, AutoRecoverBringsTrafficBackWithoutTheApplication) {
    open(",auto_recover=1");
    device().inject_fault(Fault::kBadTxReqId, 1);
    round_trip(1);
    rte_eth_tx_done_cleanup(port_->id, 0, 0);
    EXPECT_EQ(round_trip(4), 0u);  // halted: the bursts return 0 until the pass recovers
    const auto before = std::chrono::steady_clock::now();
    pass();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
    EXPECT_EQ(events_.load(), 0u) << "the driver recovered: no event for the application";
    EXPECT_EQ(xstat(port_->id, "reset_invalid_tx_req_id"), 1u);
    const std::vector<std::uint32_t> reasons = device().reset_reasons();
    ASSERT_GE(reasons.size(), 2u);
    EXPECT_EQ(reasons[reasons.size() - 2], static_cast<std::uint32_t>(ResetReason::kInvalidTxReqId));
    EXPECT_EQ(round_trip(32), 32u);  // still started, as ethdev sees it: traffic again
    EXPECT_EQ(rte_mempool_avail_count(test_pool()), pool_baseline_);
    EXPECT_FALSE(port_->driver()->device().reset_requested());
}

TEST_F(Recovery, StartIsRefusedWhileAResetIsPending) {
    device().inject_fault(Fault::kBadTxReqId, 1);
    round_trip(1);
    rte_eth_tx_done_cleanup(port_->id, 0, 0);
    ASSERT_EQ(run_until_event(1000), 0u);
    ASSERT_EQ(rte_eth_dev_stop(port_->id), 0);
    EXPECT_NE(rte_eth_dev_start(port_->id), 0);
    ASSERT_EQ(rte_eth_dev_reset(port_->id), 0);
    EXPECT_EQ(rte_eth_dev_start(port_->id), 0);
    EXPECT_EQ(round_trip(8), 8u);
}

// --- the faults the device model gained for this issue -------------------------------------------

TEST_F(Recovery, AnRxCompletionNamingABufferAlreadyConsumedResets) {
    device().inject_fault(Fault::kRxStaleReqId, 1);
    EXPECT_EQ(round_trip(1), 0u) << "the frame whose completion names a stale id yields no mbuf";
    EXPECT_EQ(run_until_event(1000), 0u);
    EXPECT_EQ(xstat(port_->id, "rx_q0_bad_req_id"), 1u);
    expect_recovery(ResetReason::kInvalidRxReqId);
}

TEST_F(Recovery, AFatalErrorResets) {
    device().inject_fault(Fault::kFatalError, 1);
    EXPECT_LE(run_until_event(1000), kPassMs) << "FATAL_ERROR event and DEV_STS: the next pass sees it";
    EXPECT_EQ(round_trip(4), 0u) << "a failed device moves nothing";
    expect_recovery(ResetReason::kGeneric);
}

TEST_F(Recovery, ADeviceResetRequestResets) {
    device().inject_fault(Fault::kDeviceResetRequest, 1);
    EXPECT_LE(run_until_event(1000), kPassMs) << "the DEVICE_REQUEST_RESET event is read at the next pass";
    expect_recovery(ResetReason::kDeviceRequest);
    EXPECT_EQ(device().pending_fault(Fault::kDeviceResetRequest), 0u);
}

TEST_F(Recovery, AStalledTxQueueIsFoundByItsMissingCompletionsAndResets) {
    open("", 2);
    device().inject_fault(Fault::kTxQueueStall, sim::kFaultUntilReset, 1);
    send_only(1, 300);  // into a queue whose doorbells the device ignores
    const unsigned found_ms = run_until_event(8000);
    EXPECT_GT(found_ms, 5000u - kPassMs) << "miss_txc_to is 5 s";
    EXPECT_LE(found_ms, 5000u + 2 * kPassMs);
    EXPECT_EQ(xstat(port_->id, "tx_q1_missed_tx"), 300u);
    EXPECT_EQ(xstat(port_->id, "tx_q0_missed_tx"), 0u);
    EXPECT_EQ(device().stats().tx_packets, 8u) << "only the first round trip's frames left the device";
    expect_recovery(ResetReason::kMissingTxCompletion);
    EXPECT_EQ(device().pending_fault(Fault::kTxQueueStall), 0u) << "the stall ends with the reset";
    send_only(1, 16);  // the queue works again: its frames come back on Rx queue 0
    rte_mbuf* got[32];
    EXPECT_EQ(rte_eth_rx_burst(port_->id, 0, got, 32), 16u);
    rte_pktmbuf_free_bulk(got, 16);
    EXPECT_EQ(xstat(port_->id, "tx_q1_missed_tx"), 300u);
}

std::vector<int> g_lsc_states;  // link status at each LSC event (the callback runs in the test's thread)
int record_lsc(std::uint16_t port, rte_eth_event_type, void*, void*) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) != 0)
        ADD_FAILURE() << "rte_eth_link_get_nowait(" << port << ") failed in the LSC callback";
    g_lsc_states.push_back(link.link_status);
    return 0;
}

TEST_F(Recovery, ALinkFlapIsTwoLinkEventsDownThenUpAndNoReset) {
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    open("", 1, conf);
    g_lsc_states.clear();
    ASSERT_EQ(rte_eth_dev_callback_register(port_->id, RTE_ETH_EVENT_INTR_LSC, record_lsc, nullptr), 0);
    device().inject_fault(Fault::kLinkFlap, 1);  // 100 ms down
    for (unsigned ms = 0; ms < 1000; ms += 20) {
        pass();
        device().advance_time(20 * kMs);
    }
    rte_eth_dev_callback_unregister(port_->id, RTE_ETH_EVENT_INTR_LSC, record_lsc, nullptr);
    EXPECT_EQ(g_lsc_states, (std::vector<int>{RTE_ETH_LINK_DOWN, RTE_ETH_LINK_UP}));
    EXPECT_EQ(events_.load(), 0u) << "a link flap needs no reset";
    EXPECT_EQ(xstat(port_->id, "reset_total"), 0u);
    EXPECT_EQ(round_trip(32), 32u) << "traffic flows after the flap";
    EXPECT_EQ(rte_mempool_avail_count(test_pool()), pool_baseline_);
}

TEST_F(Recovery, ALinkFlapShorterThanAPassStillReachesTheApplicationAsTwoEvents) {
    rte_eth_conf conf{};
    conf.intr_conf.lsc = 1;
    open("", 1, conf);
    g_lsc_states.clear();
    ASSERT_EQ(rte_eth_dev_callback_register(port_->id, RTE_ETH_EVENT_INTR_LSC, record_lsc, nullptr), 0);
    device().inject_fault(Fault::kLinkFlap, 1, 30);  // down and up between two passes
    for (unsigned ms = 0; ms < 1000; ms += kPassMs) {
        pass();
        device().advance_time(kPassMs * kMs);
    }
    rte_eth_dev_callback_unregister(port_->id, RTE_ETH_EVENT_INTR_LSC, record_lsc, nullptr);
    EXPECT_EQ(g_lsc_states, (std::vector<int>{RTE_ETH_LINK_DOWN, RTE_ETH_LINK_UP}));
    EXPECT_EQ(events_.load(), 0u);
}

TEST_F(Recovery, TheFaultsDevargStopsKeepAlivesOnTheVirtualClockUntilTheReset) {
    open(",faults=keepalive_stop@1000");
    ASSERT_TRUE(device().first_start_ns().has_value());
    const std::uint64_t start = *device().first_start_ns();
    run_until_event(6000);
    ASSERT_EQ(events_.load(), 1u);
    // The last keep-alive left at most 1 s after the start; the driver waits 3 s past it and
    // looks every pass.
    const std::uint64_t found_ms = (device().now_ns() - start) / kMs;
    EXPECT_GT(found_ms, 3000u);
    EXPECT_LE(found_ms, 4000u + kPassMs);
    EXPECT_EQ(xstat(port_->id, "wd_expired"), 1u);
    EXPECT_EQ(device().pending_fault(Fault::kKeepAliveStop), sim::kFaultUntilReset);
    const std::uint64_t sent = device().stats().keep_alives_sent;
    expect_recovery(ResetReason::kKeepAliveTimeout);  // nothing cleared by hand: the reset ends it
    EXPECT_EQ(device().pending_fault(Fault::kKeepAliveStop), 0u);
    for (int i = 0; i < 50; ++i) {
        pass();
        device().advance_time(kPassMs * kMs);
    }
    EXPECT_GE(device().stats().keep_alives_sent, sent + 4) << "keep-alives again after the reset";
    EXPECT_EQ(events_.load(), 1u);
}

TEST_F(Recovery, TheConfigurationSurvivesTheReset) {
    // Two queues, RSS over them, a jumbo MTU: all kept by rte_eth_dev_reset.
    port_.reset();
    port_ = SimPort::create(std::string(kSyncArgs) + ",wire=loopback");
    ASSERT_NE(port_, nullptr);
    rte_eth_conf conf{};
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
    conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;  // the jumbo frame below is a chain
    ASSERT_EQ(port_->configure(2, 2, conf), 0);
    ASSERT_EQ(rte_eth_dev_set_mtu(port_->id, 9000), 0);
    ASSERT_EQ(port_->setup_queues(2, 2), 0);
    ASSERT_EQ(rte_eth_dev_start(port_->id), 0);
    rte_eth_rss_reta_entry64 reta[2]{};
    reta[0].mask = reta[1].mask = ~0ull;
    for (unsigned i = 0; i < 64; ++i)
        reta[0].reta[i] = reta[1].reta[i] = 1;  // everything to queue 1
    ASSERT_EQ(rte_eth_dev_rss_reta_update(port_->id, reta, 128), 0);
    ASSERT_EQ(rte_eth_dev_stop(port_->id), 0);
    ASSERT_EQ(rte_eth_dev_reset(port_->id), 0);
    ASSERT_EQ(rte_eth_dev_start(port_->id), 0);
    EXPECT_EQ(device().mtu(), 9000u);
    rte_eth_rss_reta_entry64 back[2]{};
    back[0].mask = back[1].mask = ~0ull;
    ASSERT_EQ(rte_eth_dev_rss_reta_query(port_->id, back, 128), 0);
    for (unsigned i = 0; i < 64; ++i)
        EXPECT_EQ(back[0].reta[i], 1u);
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(port_->id, &info), 0);
    EXPECT_EQ(info.nb_rx_queues, 2u);
    // A 4000-byte frame to queue 1.
    FrameSpec spec;
    spec.size = 4000;
    rte_mbuf* m = make_chain(test_pool(), make_frame(spec), 2);
    ASSERT_EQ(rte_eth_tx_burst(port_->id, 0, &m, 1), 1);
    rte_mbuf* got[4];
    EXPECT_EQ(rte_eth_rx_burst(port_->id, 1, got, 4), 1);
    rte_pktmbuf_free(got[0]);
}

}  // namespace
}  // namespace ena::test
