// Admin queue: every command, good and malformed, with the exact status the device returns.
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

class Admin : public ::testing::Test {
protected:
    void SetUp() override { drv.bring_up(); }
    TestDriver drv;
};

TEST_F(Admin, UnknownOpcodeIsBadOpcode) {
    AdminEntry e{};
    e.common.opcode = 42;
    EXPECT_EQ(drv.admin(e).status, AdminStatus::kBadOpcode);
    EXPECT_EQ(drv.device().stats().admin_errors, 1u);
}

TEST_F(Admin, PhaseWrapsOverManyCommands) {
    // 32-entry AQ/ACQ: 3 laps and a bit, every completion found with the right phase and id.
    for (int i = 0; i < 3 * kAdminQueueDepth + 5; ++i)
        ASSERT_EQ(drv.get_feature(FeatureId::kDeviceAttributes).status, AdminStatus::kSuccess) << i;
    EXPECT_GE(drv.device().stats().admin_commands, 3u * kAdminQueueDepth + 5);
}

TEST_F(Admin, SeveralCommandsPerDoorbellInDeferredMode) {
    TestDriver d({}, EngineMode::kDeferred);
    // Bring-up in deferred mode: the helper runs process() while it waits.
    d.bring_up();
    AdminEntry e{};
    GetFeatureCommand g{};
    g.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetFeature);
    g.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kMtu);
    std::memcpy(&e, &g, sizeof(g));
    for (int i = 0; i < 5; ++i)
        d.post_admin(e);
    EXPECT_FALSE(d.poll_admin().has_value());
    d.device().process();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(d.poll_admin().has_value()) << i;
    EXPECT_FALSE(d.poll_admin().has_value());
}

TEST_F(Admin, DeviceAttributes) {
    AdminResult r = drv.get_feature(FeatureId::kDeviceAttributes);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const DeviceAttributes a = r.as<GetFeatureResponse>().device_attributes;
    const DeviceConfig& c = drv.device().config();
    EXPECT_EQ(0, std::memcmp(a.mac_addr, c.mac.data(), 6));
    EXPECT_EQ(a.max_mtu, c.max_mtu);
    EXPECT_EQ(a.capabilities, c.capabilities);
    EXPECT_EQ(a.phys_addr_width, c.dma_addr_width);
    for (FeatureId f : {FeatureId::kDeviceAttributes, FeatureId::kMaxQueuesExt, FeatureId::kLlq, FeatureId::kMtu,
                        FeatureId::kRssHashFunction, FeatureId::kRssHashInput, FeatureId::kRssIndirectionTableConfig,
                        FeatureId::kStatelessOffloadConfig, FeatureId::kAenqConfig, FeatureId::kHostAttrConfig,
                        FeatureId::kHwHints, FeatureId::kLinkConfig, FeatureId::kFragBypass})
        EXPECT_TRUE(a.supported_features & feature_bit(f)) << int(f);
    EXPECT_FALSE(a.supported_features & feature_bit(FeatureId::kPhcConfig));
}

TEST_F(Admin, MaxQueues) {
    AdminResult r = drv.get_feature(FeatureId::kMaxQueuesExt, 0, 0, kMaxQueuesExtVersion);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const MaxQueuesExt q = r.as<GetFeatureResponse>().max_queues_ext;
    const DeviceConfig& c = drv.device().config();
    EXPECT_EQ(q.version, kMaxQueuesExtVersion);
    EXPECT_EQ(q.max_tx_sq_num, c.max_io_queues);
    EXPECT_EQ(q.max_rx_cq_num, c.max_io_queues);
    EXPECT_EQ(q.max_tx_sq_depth, c.max_tx_depth);
    EXPECT_EQ(q.max_rx_sq_depth, c.max_rx_depth);
    EXPECT_EQ(q.max_tx_header_size, c.max_tx_header_size);
    EXPECT_EQ(q.max_per_packet_tx_descs, c.max_tx_descs_per_packet);
    EXPECT_EQ(q.max_per_packet_rx_descs, c.max_rx_descs_per_packet);
    AdminResult legacy = drv.get_feature(FeatureId::kMaxQueuesNum);
    ASSERT_EQ(legacy.status, AdminStatus::kSuccess);
    EXPECT_EQ(legacy.as<GetFeatureResponse>().max_queues.max_sq_num, c.max_io_queues);
}

TEST_F(Admin, LlqOfferWide) {
    AdminResult r = drv.get_feature(FeatureId::kLlq, 0, 0, 1);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const LlqFeature l = r.as<GetFeatureResponse>().llq;
    EXPECT_EQ(l.header_location_supported, static_cast<std::uint16_t>(LlqHeaderLocation::kInline));
    EXPECT_EQ(l.entry_size_supported, static_cast<std::uint16_t>(LlqEntrySize::k128) | static_cast<std::uint16_t>(LlqEntrySize::k256));
    EXPECT_EQ(l.entry_size_recommended, static_cast<std::uint8_t>(LlqEntrySize::k256));
    EXPECT_EQ(l.desc_num_before_header_supported, 1 | 2 | 4 | 8);
    EXPECT_EQ(l.stride_supported, 3);
    EXPECT_EQ(l.feature_version, 1);
    EXPECT_EQ(l.max_llq_depth, drv.device().config().max_tx_depth);
    EXPECT_EQ(l.accel_mode.get.supported_flags, 1u << static_cast<unsigned>(LlqAccelFlag::kDisableMetaCaching));
}

TEST(AdminLlq, AbsentWithoutOffer) {
    DeviceConfig cfg;
    cfg.llq = LlqOffer::kNone;
    TestDriver drv(cfg);
    drv.bring_up();
    EXPECT_EQ(drv.get_feature(FeatureId::kLlq).status, AdminStatus::kUnsupportedOpcode);
    const auto a = drv.get_feature(FeatureId::kDeviceAttributes).as<GetFeatureResponse>().device_attributes;
    EXPECT_FALSE(a.supported_features & feature_bit(FeatureId::kLlq));
}

TEST(AdminLlq, NormalOfferAndBurstLimit) {
    DeviceConfig cfg;
    cfg.llq = LlqOffer::kNormal;
    cfg.llq_max_tx_burst_bytes = 4096;
    TestDriver drv(cfg);
    drv.bring_up();
    const auto l = drv.get_feature(FeatureId::kLlq).as<GetFeatureResponse>().llq;
    EXPECT_EQ(l.entry_size_supported, static_cast<std::uint16_t>(LlqEntrySize::k128));
    EXPECT_EQ(l.entry_size_recommended, static_cast<std::uint8_t>(LlqEntrySize::k128));
    EXPECT_EQ(l.accel_mode.get.supported_flags, 3);
    EXPECT_EQ(l.accel_mode.get.max_tx_burst_size, 4096);
    EXPECT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kIllegalParameter);  // 256 not offered
    EXPECT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
}

TEST_F(Admin, SetLlqValidatesEveryOption) {
    EXPECT_EQ(drv.set_llq(LlqLayout{192, 2, LlqStride::kMultipleDescsPerEntry}).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.set_llq(LlqLayout{128, 3, LlqStride::kMultipleDescsPerEntry}).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.set_llq(LlqLayout{128, 8, LlqStride::kMultipleDescsPerEntry}).status, AdminStatus::kIllegalParameter)
        << "8 descriptors leave no header room in a 128-byte entry";
    EXPECT_EQ(drv.set_llq(LlqLayout{128, 2, static_cast<LlqStride>(3)}).status, AdminStatus::kIllegalParameter);
    SetFeatureCommand header_ring{};
    header_ring.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kLlq);
    header_ring.llq.header_location_enabled = static_cast<std::uint16_t>(LlqHeaderLocation::kHeaderRing);
    header_ring.llq.entry_size_enabled = static_cast<std::uint16_t>(LlqEntrySize::k128);
    header_ring.llq.desc_num_before_header_enabled = 2;
    header_ring.llq.stride_enabled = static_cast<std::uint16_t>(LlqStride::kMultipleDescsPerEntry);
    EXPECT_EQ(drv.set_feature(header_ring).status, AdminStatus::kIllegalParameter);
    EXPECT_FALSE(drv.device().llq_layout().has_value());

    ASSERT_EQ(drv.set_llq(LlqLayout{256, 4, LlqStride::kSingleDescPerEntry}).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.device().llq_layout()->entry_size, 256);
    EXPECT_EQ(drv.device().llq_layout()->descs_before_header, 4);
    EXPECT_EQ(drv.device().llq_layout()->stride, LlqStride::kSingleDescPerEntry);
    // Changing the layout under a live LLQ queue is refused.
    TxRing t = drv.create_tx(64, true);
    EXPECT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kResourceBusy);
    ASSERT_EQ(drv.destroy_sq(t.sq, SqDirection::kTx).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
}

TEST_F(Admin, CreateCqGoodAndMalformed) {
    const std::uint64_t ring = drv.memory().alloc(1024 * 16, 4096);
    AdminResult r = drv.create_cq(1024, 4, ring, true, 5);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const auto resp = r.as<CreateCqResponse>();
    EXPECT_EQ(resp.cq_actual_depth, 1024);
    EXPECT_GE(resp.cq_interrupt_unmask_register_offset, reg::kFixedRegisterEnd);
    EXPECT_GE(resp.numa_node_register_offset, reg::kFixedRegisterEnd);
    EXPECT_LT(resp.cq_interrupt_unmask_register_offset, drv.device().register_bar_size());
    EXPECT_GE(resp.cq_head_db_register_offset, reg::kFixedRegisterEnd);
    EXPECT_LT(resp.cq_head_db_register_offset, drv.device().register_bar_size());
    const QueueState s = drv.device().cq_state(resp.cq_index);
    EXPECT_TRUE(s.exists);
    EXPECT_EQ(s.depth, 1024);
    EXPECT_EQ(s.entry_size, 16);
    EXPECT_TRUE(s.interrupt_mode);

    EXPECT_EQ(drv.create_cq(1000, 4, ring).status, AdminStatus::kMalformedRequest);   // not a power of 2
    EXPECT_EQ(drv.create_cq(0, 4, ring).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.create_cq(64, 3, ring).status, AdminStatus::kMalformedRequest);     // entry size
    EXPECT_EQ(drv.create_cq(64, 4, ring + 8).status, AdminStatus::kMalformedRequest); // unaligned
    EXPECT_EQ(drv.create_cq(64, 4, drv.memory().unmapped()).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.create_cq(32768, 4, ring).status, AdminStatus::kIllegalParameter);  // over the limit
    EXPECT_EQ(drv.device().stats().dma_errors, 1u);
}

TEST_F(Admin, CqIndicesRunOut) {
    const std::uint16_t n = static_cast<std::uint16_t>(2 * drv.device().config().max_io_queues);
    for (std::uint16_t i = 0; i < n; ++i)
        ASSERT_EQ(drv.create_cq(64, 4, drv.memory().alloc(64 * 16, 4096)).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.create_cq(64, 4, drv.memory().alloc(64 * 16, 4096)).status, AdminStatus::kResourceAllocationFailure);
}

TEST_F(Admin, CreateSqGoodAndMalformed) {
    const std::uint64_t cqr = drv.memory().alloc(256 * 16, 4096);
    const std::uint16_t cq = drv.create_cq(256, 4, cqr).as<CreateCqResponse>().cq_index;
    const std::uint64_t ring = drv.memory().alloc(256 * 16, 4096);
    // Malformed and illegal first: none may bind the CQ.
    CreateSqCommand bad_dir{};
    bad_dir.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kCreateSq);
    bad_dir.sq_identity = static_cast<std::uint8_t>(sq_identity::Direction::make(3));
    bad_dir.sq_caps_2 = static_cast<std::uint8_t>(sq_caps2::Placement::make(1));
    bad_dir.cq_index = cq;
    bad_dir.sq_depth = 256;
    bad_dir.sq_base.set(ring);
    EXPECT_EQ(drv.admin(bad_dir).status, AdminStatus::kMalformedRequest);
    CreateSqCommand bad_place = bad_dir;
    bad_place.sq_identity = static_cast<std::uint8_t>(sq_identity::Direction::make(2));
    bad_place.sq_caps_2 = static_cast<std::uint8_t>(sq_caps2::Placement::make(2));
    EXPECT_EQ(drv.admin(bad_place).status, AdminStatus::kMalformedRequest);
    CreateSqCommand bad_policy = bad_place;
    bad_policy.sq_caps_2 = static_cast<std::uint8_t>(sq_caps2::Placement::make(1) | sq_caps2::Completion::make(3));
    EXPECT_EQ(drv.admin(bad_policy).status, AdminStatus::kIllegalParameter);

    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 100, ring).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 512, ring).status, AdminStatus::kIllegalParameter)
        << "deeper than its CQ";
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, 77, 256, ring).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq + 1, 256, ring).status,
              AdminStatus::kIllegalParameter)
        << "CQ missing";
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 256, ring + 16).status,
              AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 256, drv.memory().unmapped()).status,
              AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kDevice, cq, 256, 0).status, AdminStatus::kIllegalParameter)
        << "LLQ is Tx only";
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kDevice, cq, 256, 0).status, AdminStatus::kIllegalParameter)
        << "LLQ not configured";

    AdminResult ok = drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 256, ring);
    ASSERT_EQ(ok.status, AdminStatus::kSuccess);
    const auto resp = ok.as<CreateSqResponse>();
    EXPECT_EQ(resp.sq_index, cq);
    EXPECT_GE(resp.sq_doorbell_offset, reg::kFixedRegisterEnd);
    EXPECT_LT(resp.sq_doorbell_offset, drv.device().register_bar_size());
    const QueueState s = drv.device().sq_state(resp.sq_index);
    EXPECT_TRUE(s.exists);
    EXPECT_TRUE(s.rx);
    EXPECT_EQ(s.cq_index, cq);
    EXPECT_EQ(s.doorbell_offset, resp.sq_doorbell_offset);
    // The CQ serves one SQ.
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, cq, 256, ring).status, AdminStatus::kResourceBusy);
}

TEST_F(Admin, CqEntrySizeMustFitTheSqDirection) {
    const std::uint16_t tx_cq = drv.create_cq(64, 2, drv.memory().alloc(64 * 8, 4096)).as<CreateCqResponse>().cq_index;
    EXPECT_EQ(drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, tx_cq, 64, drv.memory().alloc(64 * 16, 4096)).status,
              AdminStatus::kMalformedRequest);
    const std::uint16_t big = drv.create_cq(64, 8, drv.memory().alloc(64 * 32, 4096)).as<CreateCqResponse>().cq_index;
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kHost, big, 64, drv.memory().alloc(64 * 16, 4096)).status,
              AdminStatus::kMalformedRequest);
}

TEST_F(Admin, SqDepthLimits) {
    const DeviceConfig& c = drv.device().config();
    auto cq_for = [&](std::uint16_t depth) {
        return drv.create_cq(depth, 2, drv.memory().alloc(std::size_t{depth} * 8, 4096)).as<CreateCqResponse>().cq_index;
    };
    const std::uint16_t tx_over = static_cast<std::uint16_t>(c.max_tx_depth * 2);
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kHost, cq_for(tx_over), tx_over,
                            drv.memory().alloc(std::size_t{tx_over} * 16, 4096))
                  .status,
              AdminStatus::kIllegalParameter);
    // Wide LLQ without max_wide_llq_depth: half the normal depth.
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    const std::uint16_t full = static_cast<std::uint16_t>(c.max_tx_depth);
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kDevice, cq_for(full), full, 0).status,
              AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kDevice, cq_for(full / 2), full / 2, 0).status,
              AdminStatus::kSuccess);
}

TEST(AdminWideLlq, ReportedWideDepthIsTheLimit) {
    DeviceConfig cfg;
    cfg.max_wide_llq_depth = 1024;
    TestDriver drv(cfg);
    drv.bring_up();
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    const std::uint16_t cq = drv.create_cq(1024, 2, drv.memory().alloc(1024 * 8, 4096)).as<CreateCqResponse>().cq_index;
    AdminResult r = drv.create_sq(SqDirection::kTx, PlacementPolicy::kDevice, cq, 1024, 0);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const auto resp = r.as<CreateSqResponse>();
    EXPECT_LE(resp.llq_descriptors_offset + 1024u * 256, drv.device().llq_bar_size());
}

TEST_F(Admin, TxAndRxQueueCountsAreLimited) {
    const unsigned n = drv.device().config().max_io_queues;
    for (unsigned i = 0; i < n; ++i)
        drv.create_tx(64);
    const std::uint16_t cq = drv.create_cq(64, 2, drv.memory().alloc(64 * 8, 4096)).as<CreateCqResponse>().cq_index;
    EXPECT_EQ(drv.create_sq(SqDirection::kTx, PlacementPolicy::kHost, cq, 64, drv.memory().alloc(64 * 16, 4096)).status,
              AdminStatus::kResourceAllocationFailure);
}

TEST_F(Admin, DestroyOrderAndValidation) {
    RxRing rx = drv.create_rx(128);
    EXPECT_EQ(drv.destroy_cq(rx.cq).status, AdminStatus::kResourceBusy);  // SQ still uses it
    EXPECT_EQ(drv.destroy_sq(rx.sq, SqDirection::kTx).status, AdminStatus::kIllegalParameter);  // wrong direction
    DestroySqCommand bad{};
    bad.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kDestroySq);
    bad.sq_index = rx.sq;
    bad.sq_identity = static_cast<std::uint8_t>(sq_identity::Direction::make(0));
    EXPECT_EQ(drv.admin(bad).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.destroy_sq(999, SqDirection::kRx).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.destroy_sq(rx.sq, SqDirection::kRx).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.destroy_sq(rx.sq, SqDirection::kRx).status, AdminStatus::kIllegalParameter);  // gone
    EXPECT_EQ(drv.destroy_cq(rx.cq).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.destroy_cq(rx.cq).status, AdminStatus::kIllegalParameter);
    EXPECT_FALSE(drv.device().cq_state(rx.cq).exists);
}

TEST_F(Admin, MtuRange) {
    EXPECT_EQ(drv.set_mtu(1500).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.device().mtu(), 1500u);
    EXPECT_EQ(drv.get_feature(FeatureId::kMtu).as<GetFeatureResponse>().mtu.mtu, 1500u);
    EXPECT_EQ(drv.set_mtu(9002).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.set_mtu(64).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.device().mtu(), 1500u);
}

TEST_F(Admin, HostInfoIsKept) {
    const auto info = drv.device().host_info();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->os_type, static_cast<std::uint32_t>(OsType::kDpdk));
    EXPECT_EQ(host_driver_version::Major::get(info->driver_version), 1u);
    EXPECT_EQ(host_driver_version::Minor::get(info->driver_version), 2u);
    SetFeatureCommand bad{};
    bad.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kHostAttrConfig);
    bad.host_attributes.os_info_address.set(drv.memory().unmapped());
    EXPECT_EQ(drv.set_feature(bad).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.get_feature(FeatureId::kHostAttrConfig).status, AdminStatus::kUnsupportedOpcode);
}

TEST_F(Admin, UnsupportedFeaturesAndDirections) {
    EXPECT_EQ(drv.get_feature(FeatureId::kPhcConfig).status, AdminStatus::kUnsupportedOpcode);
    EXPECT_EQ(drv.get_feature(FeatureId::kHwTimestamp).status, AdminStatus::kUnsupportedOpcode);
    EXPECT_EQ(drv.get_feature(static_cast<FeatureId>(40)).status, AdminStatus::kUnsupportedOpcode);
    SetFeatureCommand set_attr{};
    set_attr.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kDeviceAttributes);
    EXPECT_EQ(drv.set_feature(set_attr).status, AdminStatus::kUnsupportedOpcode);
    SetFeatureCommand set_offload{};
    set_offload.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kStatelessOffloadConfig);
    EXPECT_EQ(drv.set_feature(set_offload).status, AdminStatus::kUnsupportedOpcode);
}

TEST_F(Admin, OffloadsHintsLinkFragBypass) {
    const auto o = drv.get_feature(FeatureId::kStatelessOffloadConfig).as<GetFeatureResponse>().offload;
    EXPECT_TRUE(o.tx & offload_tx::L3CsumIpv4::kMask);
    EXPECT_TRUE(o.tx & offload_tx::L4Ipv4CsumPartial::kMask);
    EXPECT_TRUE(o.tx & offload_tx::L4Ipv6CsumFull::kMask);
    EXPECT_TRUE(o.tx & offload_tx::TsoIpv4::kMask);
    EXPECT_TRUE(o.rx_supported & offload_rx::L4Ipv4Csum::kMask);
    EXPECT_TRUE(o.rx_supported & offload_rx::Hash::kMask);
    const auto h = drv.get_feature(FeatureId::kHwHints).as<GetFeatureResponse>().hints;
    EXPECT_EQ(h.driver_watchdog_timeout, 3000);
    EXPECT_EQ(h.max_tx_sgl_size, drv.device().config().max_tx_descs_per_packet);
    const auto link = drv.get_feature(FeatureId::kLinkConfig).as<GetFeatureResponse>().link;
    EXPECT_EQ(link.speed, drv.device().config().link_speed_mbps);

    SetFeatureCommand fb{};
    fb.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kFragBypass);
    fb.frag_bypass.enable = 1;
    EXPECT_EQ(drv.set_feature(fb).status, AdminStatus::kSuccess);
    EXPECT_TRUE(drv.device().frag_bypass());
    EXPECT_EQ(drv.get_feature(FeatureId::kFragBypass).as<GetFeatureResponse>().frag_bypass.enable, 1);
    fb.frag_bypass.enable = 2;
    EXPECT_EQ(drv.set_feature(fb).status, AdminStatus::kIllegalParameter);
}

TEST_F(Admin, AenqConfigOnlySupportedGroups) {
    const auto g = drv.get_feature(FeatureId::kAenqConfig).as<GetFeatureResponse>().aenq;
    EXPECT_TRUE(g.supported_groups & aenq_group_bit(AenqGroup::kKeepAlive));
    EXPECT_TRUE(g.supported_groups & aenq_group_bit(AenqGroup::kConfNotifications));
    EXPECT_FALSE(g.supported_groups & aenq_group_bit(AenqGroup::kRefreshCapabilities));
    EXPECT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kRefreshCapabilities)).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.set_aenq_groups(1u << 20).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.device().enabled_aenq_groups(), 0u);
    ASSERT_EQ(drv.set_aenq_groups(g.supported_groups).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.device().enabled_aenq_groups(), g.supported_groups);
    EXPECT_EQ(drv.get_feature(FeatureId::kAenqConfig).as<GetFeatureResponse>().aenq.enabled_groups, g.supported_groups);
}

TEST_F(Admin, StatsTypes) {
    EXPECT_EQ(drv.get_stats(StatsType::kBasic).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.get_stats(StatsType::kEni).status, AdminStatus::kSuccess);
    EXPECT_EQ(drv.get_stats(StatsType::kExtended).status, AdminStatus::kUnsupportedOpcode);
    EXPECT_EQ(drv.get_stats(static_cast<StatsType>(9)).status, AdminStatus::kUnsupportedOpcode);
    const auto eni = drv.get_stats(StatsType::kEni).as<GetStatsResponse>().eni;
    EXPECT_EQ(eni.bw_in_allowance_exceeded, 0u);
    EXPECT_EQ(eni.linklocal_allowance_exceeded, 0u);
}

TEST(AdminStats, CapabilitiesGateStatsTypes) {
    DeviceConfig cfg;
    cfg.capabilities = 0;
    TestDriver drv(cfg);
    drv.bring_up();
    EXPECT_EQ(drv.get_stats(StatsType::kEni).status, AdminStatus::kUnsupportedOpcode);
    EXPECT_EQ(drv.get_stats(StatsType::kEnaSrd).status, AdminStatus::kUnsupportedOpcode);
    EXPECT_EQ(drv.get_stats(StatsType::kCustomerMetrics).status, AdminStatus::kUnsupportedOpcode);
}

TEST(AdminStats, EnaSrdFlags) {
    DeviceConfig cfg;
    for (auto [mode, flags] : {std::pair{SrdMode::kOff, std::uint64_t{0}}, std::pair{SrdMode::kOn, std::uint64_t{1}},
                               std::pair{SrdMode::kOnUdp, std::uint64_t{3}}}) {  // ena_srd_mode 0, 1, 3
        cfg.nitro.srd = mode;
        TestDriver drv(cfg);
        drv.bring_up();
        AdminResult r = drv.get_stats(StatsType::kEnaSrd);
        ASSERT_EQ(r.status, AdminStatus::kSuccess);
        EXPECT_EQ(r.as<GetStatsResponse>().srd.flags, flags);
        EXPECT_EQ(flags & srd_flags::Enabled::kMask, mode != SrdMode::kOff ? srd_flags::Enabled::kMask : 0u);
    }
}

TEST(AdminStats, CustomerMetrics) {
    DeviceConfig cfg;
    {
        // No conntrack limit: nothing to say about room left; the other five are reported.
        TestDriver plain(cfg);
        plain.bring_up();
        AdminResult probe = plain.get_stats(StatsType::kCustomerMetrics, 0, 0, kCustomerMetricsAll);
        ASSERT_EQ(probe.status, AdminStatus::kSuccess);
        EXPECT_EQ(probe.as<GetStatsResponse>().reported_metrics, kCustomerMetricsMinimum);
        const std::uint64_t buf = plain.memory().alloc(512);
        auto* values = plain.memory().at<std::uint64_t>(buf);
        values[0] = values[1] = 0xAAAA;
        const std::uint64_t wanted = (1u << 2) | (1u << 5);  // pps exceeded, conntrack available
        ASSERT_EQ(plain.get_stats(StatsType::kCustomerMetrics, buf, 512, wanted).status, AdminStatus::kSuccess);
        EXPECT_EQ(values[0], 0u);       // pps exceeded
        EXPECT_EQ(values[1], 0xAAAAu);  // nothing written for the unreported metric
    }
    cfg.nitro.conntrack_max = 5000;
    TestDriver drv(cfg);
    drv.bring_up();
    // First the driver learns which metrics exist.
    AdminResult probe = drv.get_stats(StatsType::kCustomerMetrics, 0, 0, kCustomerMetricsAll);
    ASSERT_EQ(probe.status, AdminStatus::kSuccess);
    EXPECT_EQ(probe.as<GetStatsResponse>().reported_metrics, kCustomerMetricsAll);
    // Then it reads two of them: values in bit order.
    const std::uint64_t buf = drv.memory().alloc(512);
    auto* values = drv.memory().at<std::uint64_t>(buf);
    values[0] = values[1] = 0xAAAA;
    const std::uint64_t wanted = (1u << 2) | (1u << 5);  // pps exceeded, conntrack available
    AdminResult r = drv.get_stats(StatsType::kCustomerMetrics, buf, 512, wanted);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    EXPECT_EQ(values[0], 0u);
    EXPECT_EQ(values[1], 5000u);
    EXPECT_EQ(drv.get_stats(StatsType::kCustomerMetrics, buf, 8, wanted).status, AdminStatus::kMalformedRequest);
    EXPECT_EQ(drv.get_stats(StatsType::kCustomerMetrics, drv.memory().unmapped(), 512, wanted).status,
              AdminStatus::kMalformedRequest);
}

TEST_F(Admin, StaleEntryPhaseIsMalformed) {
    // An entry whose phase bit was not flipped for this lap: the device answers, it does not run it.
    AdminEntry e{};
    GetFeatureCommand g{};
    g.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetFeature);
    g.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kMtu);
    std::memcpy(&e, &g, sizeof(g));
    drv.post_admin(e, /*stale_phase=*/true);
    auto c = drv.poll_admin();
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->common.status, static_cast<std::uint8_t>(AdminStatus::kMalformedRequest));
    EXPECT_EQ(drv.get_feature(FeatureId::kMtu).status, AdminStatus::kSuccess);
}

TEST_F(Admin, AdminQueueNotSetUpIsIgnoredSafely) {
    TestDriver d;
    d.setup_readless();
    d.write(reg::kAqDoorbell, 3);  // no AQ programmed
    EXPECT_EQ(d.device().stats().admin_commands, 0u);
    EXPECT_EQ(d.read_direct(reg::kDevSts), dev_sts::Ready::kMask);
}

TEST_F(Admin, NeverCompletedCommandFault) {
    drv.device().inject_fault(Fault::kAdminNoCompletion, 1);
    AdminEntry e{};
    GetFeatureCommand g{};
    g.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetFeature);
    g.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kMtu);
    std::memcpy(&e, &g, sizeof(g));
    drv.post_admin(e);
    EXPECT_FALSE(drv.poll_admin().has_value());
    EXPECT_EQ(drv.device().stats().admin_commands_unanswered, 1u);
    // The next command completes (with its own id) in the next ACQ slot.
    EXPECT_EQ(drv.get_feature(FeatureId::kMtu).status, AdminStatus::kSuccess);
}

}  // namespace
}  // namespace ena::sim::test
