// BAR0: fixed registers, readless register reads, device reset.
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

TEST(Registers, PowerOnValues) {
    DeviceConfig cfg;
    cfg.reset_timeout_100ms = 17;
    cfg.admin_timeout_100ms = 9;
    cfg.dma_addr_width = 46;
    TestDriver drv(cfg);
    EXPECT_EQ(version::Major::get(drv.read_direct(reg::kVersion)), kSpecVersionMajor);
    EXPECT_EQ(version::Minor::get(drv.read_direct(reg::kVersion)), kSpecVersionMinor);
    EXPECT_GE(drv.read_direct(reg::kControllerVersion) & 0xFFFFFF, controller_version::kMinimum);
    const std::uint32_t caps = drv.read_direct(reg::kCaps);
    EXPECT_EQ(caps::ResetTimeout::get(caps), 17u);
    EXPECT_EQ(caps::AdminCmdTimeout::get(caps), 9u);
    EXPECT_EQ(caps::DmaAddrWidth::get(caps), 46u);
    EXPECT_EQ(drv.read_direct(reg::kDevSts), dev_sts::Ready::kMask);
    EXPECT_GE(drv.device().register_bar_size(), 8192u);
    EXPECT_EQ(drv.device().llq_bar() != nullptr, cfg.llq != LlqOffer::kNone);
}

TEST(Registers, NoLlqBarWithoutLlqOffer) {
    DeviceConfig cfg;
    cfg.llq = LlqOffer::kNone;
    TestDriver drv(cfg);
    EXPECT_EQ(drv.device().llq_bar(), nullptr);
    EXPECT_EQ(drv.device().llq_bar_size(), 0u);
}

TEST(Readless, AnswersKnownRegisters) {
    TestDriver drv;
    drv.setup_readless();
    EXPECT_EQ(drv.readless(reg::kVersion), drv.read_direct(reg::kVersion));
    EXPECT_EQ(drv.readless(reg::kCaps), drv.read_direct(reg::kCaps));
    EXPECT_EQ(drv.readless(reg::kDevSts), dev_sts::Ready::kMask);
    EXPECT_EQ(drv.readless(reg::kControllerVersion), drv.read_direct(reg::kControllerVersion));
}

TEST(Readless, BadOffsetAnswersAllOnesWithTheOffsetEchoed) {
    TestDriver drv;
    drv.setup_readless();
    EXPECT_EQ(drv.readless(0x5), kRegisterReadFailed);  // unaligned
    EXPECT_EQ(drv.readless(0xFFF0), kRegisterReadFailed);  // past BAR0
    EXPECT_EQ(drv.readless_response().register_offset, 0xFFF0);
}

TEST(Readless, RepeatedIdenticalRequestIsAnsweredAgain) {
    TestDriver drv;
    drv.setup_readless();
    auto& resp = drv.readless_response();
    const std::uint32_t req = mmio_reg_read::RegisterOffset::make(reg::kCaps) | mmio_reg_read::RequestId::make(7);
    for (int i = 0; i < 3; ++i) {
        resp.request_id = 0xDEAD;
        drv.write(reg::kMmioRegRead, req);
        EXPECT_EQ(resp.request_id, 7);
        EXPECT_EQ(resp.value, drv.read_direct(reg::kCaps));
    }
}

TEST(Readless, RequestIdIsWrittenAfterTheValue) {
    // Deferred mode: the request sits until process(); then id, offset and value all match.
    TestDriver drv({}, EngineMode::kDeferred);
    drv.setup_readless();
    drv.device().process();
    auto& resp = drv.readless_response();
    resp = ReadlessResponse{0xBEEF, 0, 0};
    drv.write(reg::kMmioRegRead, mmio_reg_read::RegisterOffset::make(reg::kDevSts) | mmio_reg_read::RequestId::make(3));
    EXPECT_EQ(resp.request_id, 0xBEEF);  // nothing before the device runs
    drv.device().process();
    EXPECT_EQ(resp.request_id, 3);
    EXPECT_EQ(resp.register_offset, reg::kDevSts);
    EXPECT_EQ(resp.value, dev_sts::Ready::kMask);
}

TEST(Readless, UnansweredWhenFaultInjectedOrUnmapped) {
    TestDriver drv;
    drv.setup_readless();
    drv.device().inject_fault(Fault::kReadlessNoAnswer, 1);
    EXPECT_EQ(drv.readless(reg::kVersion), std::nullopt);
    EXPECT_EQ(drv.device().pending_fault(Fault::kReadlessNoAnswer), 0u);
    EXPECT_TRUE(drv.readless(reg::kVersion).has_value());
    // A response address the device cannot reach: no answer, a DMA error, no crash.
    const std::uint64_t bad = drv.memory().unmapped();
    drv.write(reg::kMmioRespLow, static_cast<std::uint32_t>(bad));
    drv.write(reg::kMmioRespHigh, static_cast<std::uint32_t>(bad >> 32));
    drv.write(reg::kMmioRegRead, mmio_reg_read::RegisterOffset::make(reg::kVersion) | mmio_reg_read::RequestId::make(9));
    EXPECT_EQ(drv.device().stats().dma_errors, 1u);
}

TEST(Readless, DeviceWithoutReadlessIgnoresRequests) {
    DeviceConfig cfg;
    cfg.readless_mmio = false;
    TestDriver drv(cfg);
    drv.setup_readless();
    EXPECT_EQ(drv.readless(reg::kVersion), std::nullopt);
}

TEST(Reset, InProgressWhileHeldThenReadyAndReasonRecorded) {
    TestDriver drv({}, EngineMode::kDeferred);
    drv.setup_readless();
    drv.device().process();
    drv.write(reg::kDevCtl, dev_ctl::DevReset::kMask | dev_ctl::ResetReason::make(3));
    EXPECT_EQ(drv.read_direct(reg::kDevSts), dev_sts::Ready::kMask);  // not processed yet
    drv.device().process();
    EXPECT_EQ(drv.read_direct(reg::kDevSts), dev_sts::ResetInProgress::kMask);
    drv.setup_readless();    // the reset forgot the response address
    drv.device().process();  // still held
    EXPECT_EQ(drv.readless(reg::kDevSts), dev_sts::ResetInProgress::kMask);
    drv.write(reg::kDevCtl, 0);
    drv.device().process();
    EXPECT_EQ(drv.read_direct(reg::kDevSts), dev_sts::Ready::kMask);
    EXPECT_EQ(drv.device().last_reset_reason(), 3u);
    EXPECT_EQ(drv.device().stats().resets, 1u);
}

TEST(Reset, ExtendedReasonIsRecorded) {
    TestDriver drv;
    drv.setup_readless();
    ASSERT_TRUE(drv.reset(ResetReason::kMissingAdminInterrupt));
    EXPECT_EQ(drv.device().last_reset_reason(), static_cast<std::uint32_t>(ResetReason::kMissingAdminInterrupt));
}

TEST(Reset, WipesQueuesAndNegotiatedState) {
    TestDriver drv;
    drv.bring_up();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    RxRing rx = drv.create_rx(256);
    TxRing tx = drv.create_tx(256, true);
    ASSERT_TRUE(drv.device().sq_state(tx.sq).exists);
    ASSERT_EQ(drv.device().mtu(), 9001u);
    ASSERT_TRUE(drv.device().host_info().has_value());

    ASSERT_TRUE(drv.reset(ResetReason::kKeepAliveTimeout));
    Device& d = drv.device();
    EXPECT_FALSE(d.sq_state(tx.sq).exists);
    EXPECT_FALSE(d.sq_state(rx.sq).exists);
    EXPECT_FALSE(d.cq_state(tx.cq).exists);
    EXPECT_EQ(d.enabled_aenq_groups(), 0u);
    EXPECT_EQ(d.mtu(), 0u);
    EXPECT_FALSE(d.llq_layout().has_value());
    EXPECT_FALSE(d.host_info().has_value());
    EXPECT_EQ(d.last_reset_reason(), static_cast<std::uint32_t>(ResetReason::kKeepAliveTimeout));
    EXPECT_EQ(drv.read_direct(reg::kAqDoorbell), 0u);
    EXPECT_EQ(drv.read_direct(reg::kAenqHeadDoorbell), 0u);
    // The admin queue works again after re-initialisation.
    drv.init_admin();
    EXPECT_EQ(drv.get_feature(FeatureId::kDeviceAttributes).status, AdminStatus::kSuccess);
}

TEST(Reset, FatalErrorVisibleUntilReset) {
    TestDriver drv;
    drv.bring_up();
    drv.device().raise_fatal_error();
    EXPECT_TRUE(drv.readless(reg::kDevSts).value() & dev_sts::FatalError::kMask);
    EXPECT_TRUE(drv.readless(reg::kDevSts).value() & dev_sts::Ready::kMask);  // so the driver can reset it
    ASSERT_TRUE(drv.reset());
    EXPECT_EQ(drv.readless(reg::kDevSts), dev_sts::Ready::kMask);
}

}  // namespace
}  // namespace ena::sim::test
