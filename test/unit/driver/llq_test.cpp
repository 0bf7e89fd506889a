// LLQ negotiation: the policy devargs against what the device offers, as the datapath will see
// it (queue limits, burst mode, the device's negotiated layout), and the pure choice function.
#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include "control/llq_negotiation.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

using ena::ng::LlqPolicy;
using ena::ng::TxPlacement;

struct TxPath {
    std::string mode;
    std::uint16_t max_depth = 0;
    std::uint16_t entry_size = 0;  // 0: host memory
};

TxPath tx_path(const std::string& args, std::string* log_text = nullptr) {
    LogCapture log;
    auto port = SimPort::create(std::string(kSyncArgs) + "," + args);
    if (log_text != nullptr)
        *log_text = log.text();
    EXPECT_NE(port, nullptr) << args;
    if (port == nullptr)
        return {};
    TxPath path;
    rte_eth_dev_info info{};
    EXPECT_EQ(rte_eth_dev_info_get(port->id, &info), 0);
    path.max_depth = info.tx_desc_lim.nb_max;
    EXPECT_EQ(port->configure_and_start(), 0);
    rte_eth_burst_mode mode{};
    rte_eth_tx_burst_mode_get(port->id, 0, &mode);
    path.mode = mode.info;
    if (const auto layout = port->device->llq_layout(); layout && port->driver()->tx_queue(0)->config.placement ==
                                                                       TxPlacement::kLlq)
        path.entry_size = layout->entry_size;
    rte_eth_dev_stop(port->id);
    return path;
}

TEST(Llq, DeviceRecommendationOnAWideDeviceGivesWideEntriesAndHalfDepth) {
    const TxPath path = tx_path("llq=wide");
    EXPECT_EQ(path.entry_size, 256);
    EXPECT_NE(path.mode.find("LLQ 256B (224B header)"), std::string::npos) << path.mode;
    EXPECT_EQ(path.max_depth, 512);  // the device reports no wide depth: half of 1024
}

TEST(Llq, NormalPolicyForcesSmallEntriesAndFullDepth) {
    const TxPath path = tx_path("llq=wide,llq_policy=2");
    EXPECT_EQ(path.entry_size, 128);
    EXPECT_NE(path.mode.find("LLQ 128B (96B header)"), std::string::npos) << path.mode;
    EXPECT_EQ(path.max_depth, 1024);
    EXPECT_EQ(tx_path("llq=wide,normal_llq_hdr=1").entry_size, 128);
}

TEST(Llq, WidePolicyOnANormalDeviceFallsBackWithAWarning) {
    std::string log;
    const TxPath path = tx_path("llq=normal,llq_policy=3", &log);
    EXPECT_EQ(path.entry_size, 128);
    EXPECT_NE(log.find("asks for 256-byte LLQ entries but the device does not offer them"), std::string::npos) << log;
    EXPECT_EQ(tx_path("llq=normal,large_llq_hdr=1").entry_size, 128);
}

TEST(Llq, LargeLlqHdrSelectsWideEntries) { EXPECT_EQ(tx_path("llq=wide,large_llq_hdr=1").entry_size, 256); }

TEST(Llq, DeviceWithoutLlqRunsHostMemoryTxWithOneWarning) {
    std::string log;
    const TxPath path = tx_path("llq=none", &log);
    EXPECT_EQ(path.entry_size, 0);
    EXPECT_NE(path.mode.find("host memory"), std::string::npos) << path.mode;
    EXPECT_NE(log.find("Tx falls back to host memory"), std::string::npos) << log;
    EXPECT_EQ(path.max_depth, 1024);
}

TEST(Llq, PolicyOffRunsHostMemoryTx) {
    std::string log;
    const TxPath path = tx_path("llq=wide,llq_policy=0", &log);
    EXPECT_NE(path.mode.find("host memory"), std::string::npos) << path.mode;
    EXPECT_NE(log.find("LLQ disabled"), std::string::npos) << log;
    EXPECT_NE(tx_path("enable_llq=0").mode.find("host memory"), std::string::npos);
}

// --- choose_llq alone -------------------------------------------------------------------------

hw::LlqFeature offer(std::uint16_t sizes, std::uint8_t recommended = 0) {
    hw::LlqFeature f{};
    f.max_llq_num = 8;
    f.max_llq_depth = 1024;
    f.header_location_supported = static_cast<std::uint16_t>(hw::LlqHeaderLocation::kInline);
    f.entry_size_supported = sizes;
    f.desc_num_before_header_supported = 1 | 2 | 4 | 8;
    f.stride_supported = static_cast<std::uint16_t>(hw::LlqStride::kMultipleDescsPerEntry) |
                         static_cast<std::uint16_t>(hw::LlqStride::kSingleDescPerEntry);
    f.feature_version = recommended != 0 ? 1 : 0;
    f.entry_size_recommended = recommended;
    return f;
}

constexpr std::uint16_t k128 = static_cast<std::uint16_t>(hw::LlqEntrySize::k128);
constexpr std::uint16_t k256 = static_cast<std::uint16_t>(hw::LlqEntrySize::k256);

TEST(LlqChoice, RecommendationIsFollowedOnlyWhenTheDeviceGivesOne) {
    auto choice = ena::ng::choose_llq(offer(k128 | k256, k256), true, true, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(choice.placement, TxPlacement::kLlq);
    EXPECT_EQ(choice.layout.entry_size, 256);
    EXPECT_EQ(choice.layout.header_room(), 224);
    EXPECT_EQ(choice.max_depth, 512u);
    choice = ena::ng::choose_llq(offer(k128 | k256), true, true, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(choice.layout.entry_size, 128);
    EXPECT_EQ(choice.max_depth, 1024u);
    EXPECT_EQ(choice.fallback_reason, nullptr);
}

TEST(LlqChoice, WideDepthComesFromTheDeviceWhenReported) {
    hw::LlqFeature f = offer(k128 | k256, k256);
    f.max_wide_llq_depth = 1024;
    EXPECT_EQ(ena::ng::choose_llq(f, true, true, LlqPolicy::kWide).max_depth, 1024u);
}

TEST(LlqChoice, TwoDescriptorsBeforeHeaderAndMultipleDescriptorStride) {
    const auto choice = ena::ng::choose_llq(offer(k128), true, true, LlqPolicy::kNormal);
    EXPECT_EQ(choice.descs_before_header, 2);
    EXPECT_EQ(choice.layout.stride, hw::LlqStride::kMultipleDescsPerEntry);
    EXPECT_EQ(choice.header_location, static_cast<std::uint16_t>(hw::LlqHeaderLocation::kInline));
    EXPECT_EQ(choice.layout.header_room(), 96);
}

TEST(LlqChoice, AcceleratedModeBudgetUsesTheNegotiatedEntrySize) {
    hw::LlqFeature f = offer(k128 | k256, k256);
    f.accel_mode.get.supported_flags = 0x3;
    f.accel_mode.get.max_tx_burst_size = 4096;
    auto choice = ena::ng::choose_llq(f, true, true, LlqPolicy::kDeviceRecommendation);
    EXPECT_TRUE(choice.disable_meta_caching);
    EXPECT_EQ(choice.max_entries_per_burst, 16);
    EXPECT_EQ(choice.accel_flags, 0x3);
    choice = ena::ng::choose_llq(f, true, true, LlqPolicy::kNormal);
    EXPECT_EQ(choice.max_entries_per_burst, 32);
}

TEST(LlqChoice, NoBarOrNoFeatureMeansHostMemoryWithAReason) {
    auto choice = ena::ng::choose_llq(offer(k128), true, false, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(choice.placement, TxPlacement::kHost);
    ASSERT_NE(choice.fallback_reason, nullptr);
    EXPECT_NE(std::string(choice.fallback_reason).find("BAR"), std::string::npos);
    choice = ena::ng::choose_llq(offer(k128), false, true, LlqPolicy::kDeviceRecommendation);
    EXPECT_EQ(choice.placement, TxPlacement::kHost);
    EXPECT_NE(choice.fallback_reason, nullptr);
    choice = ena::ng::choose_llq(offer(k128), true, true, LlqPolicy::kOff);
    EXPECT_EQ(choice.placement, TxPlacement::kHost);
    EXPECT_EQ(choice.fallback_reason, nullptr);
}

}  // namespace
}  // namespace ena::test
