// `show port allowance` and `show port llq` as a user reads them: the rates and the diagnosis
// from two samples of the ENI counters, and what the Tx burst-mode text says.
#include <gtest/gtest.h>

#include "allowance.hpp"
#include "tx_placement.hpp"

namespace ena::testpmd {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

AllowanceSample sample(std::uint64_t ns, std::uint64_t pps, std::uint64_t bw_out, std::uint64_t available) {
    AllowanceSample s;
    s.record("bw_in_allowance_exceeded", 0);
    s.record("bw_out_allowance_exceeded", bw_out);
    s.record("pps_allowance_exceeded", pps);
    s.record("conntrack_allowance_exceeded", 0);
    s.record("linklocal_allowance_exceeded", 0);
    s.record("conntrack_allowance_available", available);
    s.record("rx_good_packets", 12345);  // not an allowance counter: ignored
    s.ns = ns;
    return s;
}

const AllowanceRow& row(const AllowanceReport& r, std::string_view name) {
    for (const AllowanceRow& x : r.rows)
        if (name == x.info->name)
            return x;
    ADD_FAILURE() << "no row " << name;
    return r.rows[0];
}

TEST(AllowanceReport, CountersThatDoNotMoveSayTrafficIsWithinTheLimits) {
    const AllowanceReport r =
        build_allowance_report(sample(kSecond, 7, 3, 1000), sample(3 * kSecond, 7, 3, 1000), "since port start");
    EXPECT_DOUBLE_EQ(r.elapsed_s, 2.0);
    EXPECT_EQ(row(r, "pps_allowance_exceeded").total, 7u);
    EXPECT_DOUBLE_EQ(row(r, "pps_allowance_exceeded").per_second, 0.0);
    EXPECT_EQ(r.diagnosis, "no allowance exceeded since port start: traffic is within the instance's limits");
    EXPECT_FALSE(r.any_missing);
}

TEST(AllowanceReport, APpsCounterThatMovesIsNamedWithItsRateAndTheGuidesAdvice) {
    const AllowanceReport r =
        build_allowance_report(sample(kSecond, 100, 0, 1000), sample(3 * kSecond, 2100, 0, 1000), "since previous show");
    EXPECT_DOUBLE_EQ(row(r, "pps_allowance_exceeded").per_second, 1000.0);
    EXPECT_NE(r.diagnosis.find("packets per second allowance exceeded (pps_allowance_exceeded, 1000 packets/s)"),
              std::string::npos)
        << r.diagnosis;
    EXPECT_NE(r.diagnosis.find("fragment proxy mode"), std::string::npos) << r.diagnosis;
    EXPECT_EQ(r.diagnosis.find("bandwidth"), std::string::npos) << r.diagnosis;  // bw_out did not move
}

TEST(AllowanceReport, TwoLimitsHitAreBothNamedOnOneLine) {
    const AllowanceReport r = build_allowance_report(sample(kSecond, 0, 0, 1000), sample(2 * kSecond, 10, 50, 1000), "x");
    EXPECT_NE(r.diagnosis.find("outbound bandwidth allowance exceeded (bw_out_allowance_exceeded, 50 packets/s)"),
              std::string::npos)
        << r.diagnosis;
    EXPECT_NE(r.diagnosis.find("packets per second allowance exceeded"), std::string::npos) << r.diagnosis;
    EXPECT_EQ(r.diagnosis.find('\n'), std::string::npos);
}

TEST(AllowanceReport, TheGaugeRateIsItsChangeAndZeroRoomLeftIsAHit) {
    const AllowanceReport falling = build_allowance_report(sample(kSecond, 0, 0, 1000), sample(2 * kSecond, 0, 0, 400), "x");
    EXPECT_DOUBLE_EQ(row(falling, "conntrack_allowance_available").per_second, -600.0);
    EXPECT_NE(falling.diagnosis.find("no allowance exceeded"), std::string::npos) << falling.diagnosis;

    const AllowanceReport full = build_allowance_report(sample(kSecond, 0, 0, 10), sample(2 * kSecond, 0, 0, 0), "x");
    EXPECT_NE(full.diagnosis.find("connections tracked allowance exhausted (conntrack_allowance_available is 0)"),
              std::string::npos)
        << full.diagnosis;
}

TEST(AllowanceReport, ACounterThatWentBackIsCountedFromZero) {
    const AllowanceReport r = build_allowance_report(sample(kSecond, 5000, 0, 1), sample(2 * kSecond, 30, 0, 1), "x");
    EXPECT_TRUE(r.counter_went_back);
    EXPECT_DOUBLE_EQ(row(r, "pps_allowance_exceeded").per_second, 30.0);
}

TEST(AllowanceReport, NamesTheDeviceDoesNotReportAreMissingAndTheRestStillCounts) {
    AllowanceSample before, now;
    before.record("pps_allowance_exceeded", 0);
    before.ns = kSecond;
    now.record("pps_allowance_exceeded", 0);
    now.ns = 2 * kSecond;
    const AllowanceReport r = build_allowance_report(before, now, "since port start");
    EXPECT_TRUE(r.any_missing);
    EXPECT_FALSE(row(r, "bw_in_allowance_exceeded").present);
    EXPECT_TRUE(row(r, "pps_allowance_exceeded").present);
    EXPECT_NE(r.diagnosis.find("(for the counters this device reports)"), std::string::npos) << r.diagnosis;
}

TEST(AllowanceReport, WithoutAnEarlierSampleThereIsNoRate) {
    const AllowanceReport r = build_allowance_report(AllowanceSample{}, sample(kSecond, 10, 10, 1), "since port start");
    EXPECT_FALSE(r.have_before);
    EXPECT_DOUBLE_EQ(row(r, "pps_allowance_exceeded").per_second, 0.0);
    EXPECT_NE(r.diagnosis.find("no earlier sample"), std::string::npos) << r.diagnosis;
}

TEST(TxPlacement, TheDriversBurstModeTextsGiveThePlacementEntryAndHeaderRoom) {
    const TxPlacement normal = parse_tx_placement("LLQ 128B (96B header), accelerated");
    EXPECT_TRUE(normal.known && normal.llq && normal.accelerated);
    EXPECT_EQ(normal.entry_size, 128u);
    EXPECT_EQ(normal.header_room, 96u);

    const TxPlacement wide = parse_tx_placement("LLQ 256B (224B header), offloads");
    EXPECT_TRUE(wide.known && wide.llq);
    EXPECT_FALSE(wide.accelerated);
    EXPECT_EQ(wide.entry_size, 256u);
    EXPECT_EQ(wide.header_room, 224u);

    const TxPlacement host = parse_tx_placement("host memory, offloads");
    EXPECT_TRUE(host.known);
    EXPECT_FALSE(host.llq);

    EXPECT_FALSE(parse_tx_placement("Vector AVX2").known);
    EXPECT_FALSE(parse_tx_placement("LLQ fast").known);
}

TEST(TxPlacement, TheBurstBudgetIsKnownOnlyWhenTheTextStatesIt) {
    EXPECT_EQ(parse_burst_budget("LLQ 128B (96B header), accelerated"), std::nullopt);
    EXPECT_EQ(parse_burst_budget("LLQ 128B (96B header), accelerated, burst 2048B"), 2048u);
    EXPECT_EQ(parse_burst_budget("LLQ 256B (224B header), burst budget: 4096 bytes"), 4096u);
    EXPECT_EQ(parse_burst_budget("burst mode unknown"), std::nullopt);
}

}  // namespace
}  // namespace ena::testpmd
