// Devargs: every bad value of the driver's and the simulator's keys fails the probe with a
// message naming the key and the accepted values, and a good port created afterwards works.
#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include <array>

#include "devargs.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

struct BadDevarg {
    const char* args;
    const char* message;  // expected in the log
};

std::ostream& operator<<(std::ostream& os, const BadDevarg& bad) { return os << bad.args; }

class InvalidDevarg : public testing::TestWithParam<BadDevarg> {};

TEST_P(InvalidDevarg, FailsProbeWithAClearMessageAndLeavesNothingBehind) {
    const BadDevarg& bad = GetParam();
    SimPort::create(kSyncArgs);  // warm-up: ethdev's shared data exists before counting
    const unsigned zones_before = memzone_count();
    const std::uint16_t ports_before = rte_eth_dev_count_avail();
    {
        LogCapture log;
        int rc = 0;
        // The synchronous defaults, minus a key the case itself gives.
        std::string args = bad.args;
        if (args.find("engine=") == std::string::npos)
            args += ",engine=sync";
        if (args.find("control_path_poll_interval=") == std::string::npos)
            args += ",control_path_poll_interval=0";
        auto port = SimPort::create(args, &rc);
        EXPECT_EQ(port, nullptr);
        EXPECT_NE(rc, 0);
        EXPECT_NE(log.text().find(bad.message), std::string::npos) << "log was:\n" << log.text();
    }
    EXPECT_EQ(rte_eth_dev_count_avail(), ports_before);
    EXPECT_EQ(memzone_count(), zones_before);

    auto good = SimPort::create(kSyncArgs);
    ASSERT_NE(good, nullptr);
    EXPECT_EQ(good->configure_and_start(), 0);
    EXPECT_EQ(rte_eth_dev_stop(good->id), 0);
}

constexpr std::array kBadDevargs = {
    // driver keys
    BadDevarg{"llq_policy=4", "invalid value '4' for devarg llq_policy (accepted: 0 = LLQ off, 1 = device "
                              "recommendation, 2 = 128-byte entries, 3 = 256-byte entries)"},
    BadDevarg{"llq_policy=one", "invalid value 'one' for devarg llq_policy"},
    BadDevarg{"llq_policy=-1", "invalid value '-1' for devarg llq_policy"},
    BadDevarg{"miss_txc_to=61", "invalid value '61' for devarg miss_txc_to (accepted: 0 (check disabled) to 60 seconds)"},
    BadDevarg{"miss_txc_to=5s", "invalid value '5s' for devarg miss_txc_to"},
    BadDevarg{"control_path_poll_interval=100",
              "invalid value '100' for devarg control_path_poll_interval (accepted: 0 (interrupt mode) or 500-1000 "
              "milliseconds)"},
    BadDevarg{"control_path_poll_interval=1001", "invalid value '1001' for devarg control_path_poll_interval"},
    BadDevarg{"rx_intr_delay=10001",
              "invalid value '10001' for devarg rx_intr_delay (accepted: 0 (an Rx interrupt comes with the first packet) "
              "to 10000 microseconds of interrupt moderation)"},
    BadDevarg{"intr_delay_resolution=1001", "invalid value '1001' for devarg intr_delay_resolution"},
    BadDevarg{"enable_frag_bypass=2", "invalid value '2' for devarg enable_frag_bypass (accepted: 0 or 1)"},
    BadDevarg{"large_llq_hdr=yes", "invalid value 'yes' for devarg large_llq_hdr (accepted: 0 or 1)"},
    BadDevarg{"normal_llq_hdr=2", "invalid value '2' for devarg normal_llq_hdr (accepted: 0 or 1)"},
    BadDevarg{"enable_llq=true", "invalid value 'true' for devarg enable_llq (accepted: 0 or 1)"},
    BadDevarg{"large_llq_hdr=1,normal_llq_hdr=1", "devarg normal_llq_hdr=1 contradicts large_llq_hdr=1"},
    BadDevarg{"enable_llq=0,large_llq_hdr=1", "devarg large_llq_hdr=1 contradicts enable_llq=0"},
    BadDevarg{"llq_policy=2,large_llq_hdr=1", "devarg large_llq_hdr=1 contradicts llq_policy=2"},
    BadDevarg{"llq_policy=0,enable_llq=1", "devarg enable_llq=1 contradicts llq_policy=0"},
    BadDevarg{"llq_policy=3,normal_llq_hdr=1", "devarg normal_llq_hdr=1 contradicts llq_policy=3"},
    BadDevarg{"llq_policy=1,llq_policy=2", "devarg llq_policy given more than once"},
    // simulated device keys
    BadDevarg{"mac=zz:00:00:00:00:01",
              "invalid value 'zz:00:00:00:00:01' for devarg mac (accepted: a unicast MAC address xx:xx:xx:xx:xx:xx)"},
    BadDevarg{"mac=01:00:5e:00:00:01", "invalid value '01:00:5e:00:00:01' for devarg mac"},
    BadDevarg{"queues=0", "invalid value '0' for devarg queues (accepted: 1-128 queue pairs)"},
    BadDevarg{"queues=129", "invalid value '129' for devarg queues"},
    BadDevarg{"llq=huge", "invalid value 'huge' for devarg llq (accepted: none, normal, wide)"},
    BadDevarg{"mtu=127", "invalid value '127' for devarg mtu (accepted: 128-9216"},
    BadDevarg{"mtu=9217", "invalid value '9217' for devarg mtu"},
    BadDevarg{"link=sideways", "invalid value 'sideways' for devarg link (accepted: up, down)"},
    BadDevarg{"engine=turbo", "invalid value 'turbo' for devarg engine (accepted: auto, inline, threaded, sync, deferred)"},
    BadDevarg{"engine_cpu=first", "invalid value 'first' for devarg engine_cpu (accepted: a CPU this process may run on)"},
    BadDevarg{"engine_cpu=99", "invalid value '99' for devarg engine_cpu: no such CPU for this process"},
    BadDevarg{"wire=nowhere", "invalid value 'nowhere' for devarg wire"},
    BadDevarg{"llq_tx_burst=70000", "invalid value '70000' for devarg llq_tx_burst (accepted: 0 (no limit) to 65535 bytes of LLQ entries per doorbell)"},
    // faults: an unknown kind, a bad time, a bad count, a bad argument: one line naming the key
    // and the accepted kinds
    BadDevarg{"faults=reboot@1000",
              "invalid value 'reboot@1000' for devarg faults: unknown fault kind 'reboot' (accepted: "
              "KIND[:ARG]@MS[xCOUNT] or [ITEM,...]; KIND: keepalive_stop, missing_tx_cmpl, bad_tx_req_id, "
              "admin_no_cmpl, readless_no_answer, rx_too_many_descs, rx_stale_req_id, fatal_error, "
              "device_reset_request, link_flap[:MS_DOWN 1-60000], tx_queue_stall[:QUEUE]; MS 0-86400000 after the "
              "first start; COUNT 1-4294967293 (default: until reset for keepalive_stop, tx_queue_stall; else 1))"},
    BadDevarg{"faults=keepalive_stop@soon",
              "invalid value 'keepalive_stop@soon' for devarg faults: bad time 'soon' in 'keepalive_stop@soon'"},
    BadDevarg{"faults=keepalive_stop@86400001", "for devarg faults: bad time '86400001'"},
    BadDevarg{"faults=keepalive_stop", "for devarg faults: 'keepalive_stop' has no @MS"},
    BadDevarg{"faults=[missing_tx_cmpl@2000x0,link_flap@5000]",
              "invalid value '[missing_tx_cmpl@2000x0,link_flap@5000]' for devarg faults: bad count '0' in "
              "'missing_tx_cmpl@2000x0'"},
    BadDevarg{"faults=[missing_tx_cmpl@2000x300,link_flap@5000xmany]", "for devarg faults: bad count 'many'"},
    BadDevarg{"faults=[]", "for devarg faults: no fault given"},
    BadDevarg{"faults=fatal_error:1@10", "for devarg faults: fatal_error takes no :ARG"},
    BadDevarg{"faults=link_flap:0@10", "for devarg faults: bad :ARG '0' for link_flap (1-60000 ms down)"},
    BadDevarg{"faults=tx_queue_stall:8@10", "for devarg faults: Tx queue 8 is past the device's 8 queues"},
    BadDevarg{"bogus=1", "unknown devarg 'bogus' (accepted: mac, queues, llq, mtu, link, wire, engine, engine_cpu, llq_tx_burst, "
                         "intr_delay_resolution, instance, pps, bw_out_mbps, bw_in_mbps, shaping_burst_ms, shaping_queue, conntrack_max, "
                         "conntrack_tcp_established_timeout, conntrack_tcp_transitory_timeout, "
                         "conntrack_tcp_closed_timeout, conntrack_udp_timeout, conntrack_udp_stream_timeout, "
                         "conntrack_icmp_timeout, conntrack_other_timeout, linklocal_pps, srd, srd_flows, faults; "
                         "driver keys: llq_policy"},
};

INSTANTIATE_TEST_SUITE_P(Devargs, InvalidDevarg, testing::ValuesIn(kBadDevargs));

// --- faults= -----------------------------------------------------------------------------------

TEST(SimDevargs, TheIssuesFaultExamplesProbeAndAreScheduledUntilTheFirstStart) {
    auto one = SimPort::create(std::string(kSyncArgs) + ",faults=keepalive_stop@1000");
    ASSERT_NE(one, nullptr);
    EXPECT_EQ(one->device->scheduled_faults(), 1u);
    auto list = SimPort::create(std::string(kSyncArgs) + ",faults=[missing_tx_cmpl@2000x300,link_flap@5000]");
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->device->scheduled_faults(), 2u);
    auto args = SimPort::create(std::string(kSyncArgs) + ",queues=2,faults=[tx_queue_stall:1@0,link_flap:250@10x3]");
    ASSERT_NE(args, nullptr);
    // Nothing is armed before the driver starts the device; the delays count from there.
    EXPECT_EQ(args->device->first_start_ns(), std::nullopt);
    ASSERT_EQ(args->configure_and_start(2, 2), 0);
    ASSERT_TRUE(args->device->first_start_ns().has_value());
    args->device->advance_time(0);
    EXPECT_EQ(args->device->pending_fault(ena::sim::Fault::kTxQueueStall), ena::sim::kFaultUntilReset);
    EXPECT_EQ(args->device->fault_param(ena::sim::Fault::kTxQueueStall), 1u);
    EXPECT_EQ(args->device->pending_fault(ena::sim::Fault::kLinkFlap), 0u);
    args->device->advance_time(10'000'000);
    EXPECT_EQ(args->device->pending_fault(ena::sim::Fault::kLinkFlap), 2u) << "armed x3, the first flap under way";
    EXPECT_EQ(args->device->fault_param(ena::sim::Fault::kLinkFlap), 250u);
    EXPECT_FALSE(args->device->link_up());
}

// --- the driver's parser alone ----------------------------------------------------------------

ena::ng::DriverArgs parse(const char* text) {
    ena::ng::DriverArgs args;
    EXPECT_EQ(ena::ng::parse_driver_args(text, {}, args), 0) << text;
    return args;
}

TEST(DriverDevargs, DefaultsFollowUpstream) {
    const ena::ng::DriverArgs args = parse("");
    EXPECT_EQ(args.llq_policy, ena::ng::LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(args.missing_tx_completion_timeout_s, 5u);
    EXPECT_EQ(args.control_path_poll_interval_ms, -1);
    EXPECT_FALSE(args.enable_frag_bypass);
}

TEST(DriverDevargs, OldLlqSwitchesMapOntoThePolicy) {
    using ena::ng::LlqPolicy;
    EXPECT_EQ(parse("large_llq_hdr=1").llq_policy, LlqPolicy::kWide);
    EXPECT_EQ(parse("normal_llq_hdr=1").llq_policy, LlqPolicy::kNormal);
    EXPECT_EQ(parse("enable_llq=0").llq_policy, LlqPolicy::kOff);
    EXPECT_EQ(parse("enable_llq=1").llq_policy, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(parse("large_llq_hdr=0").llq_policy, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(parse("enable_llq=1,large_llq_hdr=1").llq_policy, LlqPolicy::kWide);
    EXPECT_EQ(parse("large_llq_hdr=0,normal_llq_hdr=0,enable_llq=0").llq_policy, LlqPolicy::kOff);
    EXPECT_EQ(parse("llq_policy=3,large_llq_hdr=1,enable_llq=1").llq_policy, LlqPolicy::kWide);
    EXPECT_EQ(parse("llq_policy=2,large_llq_hdr=0").llq_policy, LlqPolicy::kNormal);
}

TEST(DriverDevargs, ValuesAreKept) {
    const ena::ng::DriverArgs args = parse("miss_txc_to=0,control_path_poll_interval=500,enable_frag_bypass=1");
    EXPECT_EQ(args.missing_tx_completion_timeout_s, 0u);
    EXPECT_EQ(args.control_path_poll_interval_ms, 500);
    EXPECT_TRUE(args.enable_frag_bypass);
    EXPECT_EQ(parse("control_path_poll_interval=0").control_path_poll_interval_ms, 0);
    EXPECT_EQ(parse("miss_txc_to=60").missing_tx_completion_timeout_s, 60u);
    EXPECT_EQ(parse("").rx_intr_delay_us, 0u);
    EXPECT_EQ(parse("rx_intr_delay=250").rx_intr_delay_us, 250u);
}

TEST(DriverDevargs, ForeignKeysAreSkipped) {
    const ena::ng::DevargSpec foreign[] = {{"mac", "<mac>", "a MAC"}, {"queues", "<n>", "a number"}};
    ena::ng::DriverArgs args;
    EXPECT_EQ(ena::ng::parse_driver_args("mac=02:00:00:00:00:09,queues=3,llq_policy=2", foreign, args), 0);
    EXPECT_EQ(args.llq_policy, ena::ng::LlqPolicy::kNormal);
    EXPECT_EQ(ena::ng::parse_driver_args("mac=02:00:00:00:00:09", {}, args), -EINVAL);
}

}  // namespace
}  // namespace ena::test
