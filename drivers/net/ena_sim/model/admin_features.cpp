// GET_FEATURE and SET_FEATURE.
#include <bit>
#include <cstring>
#include <vector>

#include "admin_commands.hpp"

namespace ena::sim::detail {

using namespace hw;

namespace {

constexpr std::uint16_t kDescsBeforeHeaderSupported = 1 | 2 | 4 | 8;
constexpr std::uint16_t kStridesSupported =
    static_cast<std::uint16_t>(LlqStride::kSingleDescPerEntry) | static_cast<std::uint16_t>(LlqStride::kMultipleDescsPerEntry);

std::uint16_t entry_size_bits(LlqOffer offer) {
    std::uint16_t bits = static_cast<std::uint16_t>(LlqEntrySize::k128);
    if (offer == LlqOffer::kWide)
        bits |= static_cast<std::uint16_t>(LlqEntrySize::k256);
    return bits;
}

std::uint16_t accel_flags_supported(const DeviceConfig& c) {
    std::uint16_t flags = 0;
    if (c.llq_disable_meta_caching)
        flags |= 1u << static_cast<unsigned>(LlqAccelFlag::kDisableMetaCaching);
    if (c.llq_max_tx_burst_bytes != 0)
        flags |= 1u << static_cast<unsigned>(LlqAccelFlag::kLimitTxBurst);
    return flags;
}

// LINK_CONFIG "supported" bit for a speed in Mbps (ENA link type order).
std::uint32_t link_speed_bit(std::uint32_t mbps) {
    constexpr std::uint32_t speeds[] = {1000, 2500, 5000, 10000, 25000, 40000, 50000, 100000, 200000, 400000};
    for (unsigned i = 0; i < std::size(speeds); ++i)
        if (speeds[i] == mbps)
            return 1u << i;
    return 0;
}

}  // namespace

std::uint32_t AdminCommands::supported_features() const {
    std::uint32_t f = feature_bit(FeatureId::kDeviceAttributes) | feature_bit(FeatureId::kMaxQueuesNum) |
                      feature_bit(FeatureId::kHwHints) | feature_bit(FeatureId::kMaxQueuesExt) |
                      feature_bit(FeatureId::kFragBypass) | feature_bit(FeatureId::kRssHashFunction) |
                      feature_bit(FeatureId::kStatelessOffloadConfig) |
                      feature_bit(FeatureId::kRssIndirectionTableConfig) | feature_bit(FeatureId::kMtu) |
                      feature_bit(FeatureId::kRssHashInput) | feature_bit(FeatureId::kAenqConfig) |
                      feature_bit(FeatureId::kLinkConfig) | feature_bit(FeatureId::kHostAttrConfig);
    if (core_.config.llq != LlqOffer::kNone)
        f |= feature_bit(FeatureId::kLlq);
    if (core_.config.intr_delay_resolution_us != 0)
        f |= feature_bit(FeatureId::kInterruptModeration);
    return f;
}

void AdminCommands::fill_llq(LlqFeature& llq) const {
    const DeviceConfig& c = core_.config;
    const LlqLayout current = core_.llq_layout.value_or(kLlqNormal);
    llq.max_llq_num = c.max_io_queues;
    llq.max_llq_depth = c.max_tx_depth;
    llq.header_location_supported = static_cast<std::uint16_t>(LlqHeaderLocation::kInline);
    llq.header_location_enabled = static_cast<std::uint16_t>(LlqHeaderLocation::kInline);
    llq.entry_size_supported = entry_size_bits(c.llq);
    llq.entry_size_enabled = static_cast<std::uint16_t>(current.entry_size == 256 ? LlqEntrySize::k256 : LlqEntrySize::k128);
    llq.desc_num_before_header_supported = kDescsBeforeHeaderSupported;
    llq.desc_num_before_header_enabled = current.descs_before_header;
    llq.stride_supported = kStridesSupported;
    llq.stride_enabled = static_cast<std::uint16_t>(current.stride);
    llq.feature_version = kLlqFeatureVersionRecommendsEntrySize;
    llq.entry_size_recommended =
        static_cast<std::uint8_t>(c.llq == LlqOffer::kWide ? LlqEntrySize::k256 : LlqEntrySize::k128);
    llq.max_wide_llq_depth = c.max_wide_llq_depth;
    llq.accel_mode.get.supported_flags = accel_flags_supported(c);
    llq.accel_mode.get.max_tx_burst_size = c.llq_max_tx_burst_bytes;
}

AdminStatus AdminCommands::get_feature(const GetFeatureCommand& cmd, GetFeatureResponse& resp) {
    const auto id = static_cast<FeatureId>(cmd.feature.feature_id);
    if (cmd.feature.feature_id >= kFeatureIdLimit || !(supported_features() & feature_bit(id)))
        return AdminStatus::kUnsupportedOpcode;
    const DeviceConfig& c = core_.config;
    switch (id) {
    case FeatureId::kDeviceAttributes: {
        DeviceAttributes& a = resp.device_attributes;
        a.impl_id = 0;
        a.device_version = core_.registers.load(reg::kControllerVersion);
        a.supported_features = supported_features();
        a.capabilities = c.capabilities;
        a.phys_addr_width = c.dma_addr_width;
        a.virt_addr_width = 48;
        std::memcpy(a.mac_addr, c.mac.data(), sizeof(a.mac_addr));
        a.max_mtu = c.max_mtu;
        return AdminStatus::kSuccess;
    }
    case FeatureId::kMaxQueuesExt: {
        MaxQueuesExt& q = resp.max_queues_ext;
        q.version = kMaxQueuesExtVersion;
        q.max_tx_sq_num = q.max_tx_cq_num = q.max_rx_sq_num = q.max_rx_cq_num = c.max_io_queues;
        q.max_tx_sq_depth = q.max_tx_cq_depth = c.max_tx_depth;
        q.max_rx_sq_depth = q.max_rx_cq_depth = c.max_rx_depth;
        q.max_tx_header_size = c.max_tx_header_size;
        q.max_per_packet_tx_descs = c.max_tx_descs_per_packet;
        q.max_per_packet_rx_descs = c.max_rx_descs_per_packet;
        return AdminStatus::kSuccess;
    }
    case FeatureId::kMaxQueuesNum: {
        MaxQueues& q = resp.max_queues;
        q.max_sq_num = q.max_cq_num = c.max_io_queues;
        q.max_sq_depth = q.max_cq_depth = std::min(c.max_tx_depth, c.max_rx_depth);
        q.max_legacy_llq_num = c.llq != LlqOffer::kNone ? c.max_io_queues : 0;
        q.max_legacy_llq_depth = c.llq != LlqOffer::kNone ? c.max_tx_depth : 0;
        q.max_header_size = c.max_tx_header_size;
        q.max_packet_tx_descs = c.max_tx_descs_per_packet;
        q.max_packet_rx_descs = c.max_rx_descs_per_packet;
        return AdminStatus::kSuccess;
    }
    case FeatureId::kLlq:
        fill_llq(resp.llq);
        return AdminStatus::kSuccess;
    case FeatureId::kStatelessOffloadConfig: {
        StatelessOffloadFeature& o = resp.offload;
        o.tx = offload_tx::L3CsumIpv4::kMask | offload_tx::L4Ipv4CsumPartial::kMask |
               offload_tx::L4Ipv4CsumFull::kMask | offload_tx::L4Ipv6CsumPartial::kMask |
               offload_tx::L4Ipv6CsumFull::kMask | offload_tx::TsoIpv4::kMask | offload_tx::TsoIpv6::kMask;
        o.rx_supported = offload_rx::L3CsumIpv4::kMask | offload_rx::L4Ipv4Csum::kMask |
                         offload_rx::L4Ipv6Csum::kMask | offload_rx::Hash::kMask;
        o.rx_enabled = o.rx_supported;
        return AdminStatus::kSuccess;
    }
    case FeatureId::kHwHints: {
        HwHints& h = resp.hints;
        h.driver_watchdog_timeout = static_cast<std::uint16_t>(std::min<std::uint32_t>(3 * c.keep_alive_interval_ms, 0xFFFE));
        h.admin_completion_tx_timeout = static_cast<std::uint16_t>(c.admin_timeout_100ms * 100);
        h.max_tx_sgl_size = c.max_tx_descs_per_packet;
        h.max_rx_sgl_size = c.max_rx_descs_per_packet;
        return AdminStatus::kSuccess;
    }
    case FeatureId::kAenqConfig:
        resp.aenq.supported_groups = Aenq::kSupportedGroups;
        resp.aenq.enabled_groups = aenq_.enabled_groups();
        return AdminStatus::kSuccess;
    case FeatureId::kLinkConfig:
        resp.link.speed = c.link_speed_mbps;
        resp.link.supported = link_speed_bit(c.link_speed_mbps);
        resp.link.flags = 1u << 1;  // full duplex
        return AdminStatus::kSuccess;
    case FeatureId::kMtu:
        resp.mtu.mtu = core_.mtu != 0 ? core_.mtu : c.max_mtu;
        return AdminStatus::kSuccess;
    case FeatureId::kInterruptModeration:
        resp.interrupt_moderation.intr_delay_resolution = c.intr_delay_resolution_us;
        return AdminStatus::kSuccess;
    case FeatureId::kFragBypass:
        resp.frag_bypass.enable = core_.frag_bypass;
        return AdminStatus::kSuccess;
    case FeatureId::kRssHashFunction:
        return get_hash_function(cmd.control_buffer, resp.hash_function);
    case FeatureId::kRssHashInput:
        return get_hash_input(cmd.control_buffer, resp.hash_input);
    case FeatureId::kRssIndirectionTableConfig:
        return get_indirection(cmd.control_buffer, resp.indirection_table);
    default:
        break;  // HOST_ATTR_CONFIG can only be set
    }
    return AdminStatus::kUnsupportedOpcode;
}

AdminStatus AdminCommands::set_feature(const SetFeatureCommand& cmd) {
    const auto id = static_cast<FeatureId>(cmd.feature.feature_id);
    if (cmd.feature.feature_id >= kFeatureIdLimit || !(supported_features() & feature_bit(id)))
        return AdminStatus::kUnsupportedOpcode;
    switch (id) {
    case FeatureId::kMtu:
        if (cmd.mtu.mtu < kMinMtu || cmd.mtu.mtu > core_.config.max_mtu)
            return AdminStatus::kIllegalParameter;
        {
            std::lock_guard rx(core_.rx_mutex);
            core_.mtu = cmd.mtu.mtu;
        }
        return AdminStatus::kSuccess;
    case FeatureId::kHostAttrConfig:
        return set_host_attributes(cmd.host_attributes);
    case FeatureId::kAenqConfig:
        if (cmd.aenq.enabled_groups & ~Aenq::kSupportedGroups)
            return AdminStatus::kIllegalParameter;
        aenq_.set_enabled_groups(cmd.aenq.enabled_groups);
        return AdminStatus::kSuccess;
    case FeatureId::kLlq:
        return set_llq(cmd.llq);
    case FeatureId::kFragBypass:
        if (cmd.frag_bypass.enable > 1)
            return AdminStatus::kIllegalParameter;
        core_.frag_bypass = cmd.frag_bypass.enable == 1;
        return AdminStatus::kSuccess;
    case FeatureId::kRssHashFunction:
        return set_hash_function(cmd.control_buffer, cmd.hash_function);
    case FeatureId::kRssHashInput:
        return set_hash_input(cmd.control_buffer, cmd.hash_input);
    case FeatureId::kRssIndirectionTableConfig:
        return set_indirection(cmd.control_buffer, cmd.indirection_table);
    default:
        break;  // read-only features
    }
    return AdminStatus::kUnsupportedOpcode;
}

AdminStatus AdminCommands::set_llq(const LlqFeature& llq) {
    const DeviceConfig& c = core_.config;
    if (llq.header_location_enabled != static_cast<std::uint16_t>(LlqHeaderLocation::kInline))
        return AdminStatus::kIllegalParameter;
    const std::uint16_t size_bit = llq.entry_size_enabled;
    if (!std::has_single_bit(size_bit) || !(size_bit & entry_size_bits(c.llq)))
        return AdminStatus::kIllegalParameter;
    const std::uint16_t descs = llq.desc_num_before_header_enabled;
    if (!std::has_single_bit(descs) || !(descs & kDescsBeforeHeaderSupported))
        return AdminStatus::kIllegalParameter;
    if (llq.stride_enabled != static_cast<std::uint16_t>(LlqStride::kSingleDescPerEntry) &&
        llq.stride_enabled != static_cast<std::uint16_t>(LlqStride::kMultipleDescsPerEntry))
        return AdminStatus::kIllegalParameter;
    LlqLayout layout;
    layout.entry_size = llq_entry_size_bytes(static_cast<LlqEntrySize>(size_bit));
    layout.descs_before_header = descs;
    layout.stride = static_cast<LlqStride>(llq.stride_enabled);
    if (layout.header_offset() >= layout.entry_size)
        return AdminStatus::kIllegalParameter;  // no room left for the header
    if (core_.queues.any_llq_sq())
        return AdminStatus::kResourceBusy;
    core_.llq_layout = layout;
    // Drivers enable every accel flag they know; only the offered ones take effect.
    core_.llq_accel_flags = llq.accel_mode.set.enabled_flags & accel_flags_supported(c);
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::set_host_attributes(const HostAttributes& attr) {
    HostInfo info;
    if (!core_.memory.read(attr.os_info_address.get(), &info, sizeof(info))) {
        ++core_.stats.dma_errors;
        return AdminStatus::kMalformedRequest;
    }
    if (attr.debug_area_size != 0 && core_.memory.map(attr.debug_address.get(), attr.debug_area_size) == nullptr) {
        ++core_.stats.dma_errors;
        return AdminStatus::kMalformedRequest;
    }
    core_.host_info = info;
    core_.host_info_address = attr.os_info_address.get();
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::get_hash_function(const ControlBuffer& buf, RssHashFunctionFeature& out) {
    out.supported_func = RssState::kSupportedFunctions;
    out.selected_func = core_.rss.selected_function();
    out.init_val = core_.rss.init_value();
    if (buf.length == 0)
        return AdminStatus::kSuccess;
    std::uint8_t* dst = control_buffer(buf, sizeof(RssHashKey));
    if (dst == nullptr)
        return AdminStatus::kMalformedRequest;
    RssHashKey key{};
    key.set(core_.rss.key());
    std::memcpy(dst, &key, sizeof(key));
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::set_hash_function(const ControlBuffer& buf, const RssHashFunctionFeature& in) {
    if (in.selected_func != RssState::kSupportedFunctions)
        return AdminStatus::kIllegalParameter;  // Toeplitz only
    std::array<std::uint8_t, kRssKeySize> key = core_.rss.key();
    if (buf.length != 0) {
        const std::uint8_t* src = control_buffer(buf, sizeof(RssHashKey));
        if (src == nullptr)
            return AdminStatus::kMalformedRequest;
        RssHashKey given;
        std::memcpy(&given, src, sizeof(given));
        if (given.key_parts != kRssKeyWords)
            return AdminStatus::kIllegalParameter;
        given.get(key);
    }
    std::lock_guard rx(core_.rx_mutex);
    core_.rss.set_function(in.selected_func, in.init_val);
    core_.rss.set_key(key);
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::get_hash_input(const ControlBuffer& buf, RssHashInputFeature& out) {
    out.supported_input_sort = RssState::kSortFlags;
    out.enabled_input_sort = core_.rss.sort_flags();
    if (buf.length == 0)
        return AdminStatus::kSuccess;
    std::uint8_t* dst = control_buffer(buf, sizeof(RssHashControl));
    if (dst == nullptr)
        return AdminStatus::kMalformedRequest;
    RssHashControl ctl{};
    for (unsigned p = 0; p < kRssProtoCount; ++p) {
        ctl.supported[p].fields = RssState::supported_fields(p);
        ctl.selected[p].fields = core_.rss.fields(p);
    }
    std::memcpy(dst, &ctl, sizeof(ctl));
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::set_hash_input(const ControlBuffer& buf, const RssHashInputFeature& in) {
    const std::uint8_t* src = control_buffer(buf, sizeof(RssHashControl));
    if (src == nullptr)
        return AdminStatus::kMalformedRequest;
    RssHashControl ctl;
    std::memcpy(&ctl, src, sizeof(ctl));
    if (in.enabled_input_sort & ~RssState::kSortFlags)
        return AdminStatus::kIllegalParameter;
    for (unsigned p = 0; p < kRssProtoCount; ++p)
        if (ctl.selected[p].fields & ~RssState::supported_fields(p))
            return AdminStatus::kIllegalParameter;
    std::lock_guard rx(core_.rx_mutex);
    for (unsigned p = 0; p < kRssProtoCount; ++p)
        core_.rss.set_fields(p, ctl.selected[p].fields);
    core_.rss.set_sort_flags(in.enabled_input_sort);
    return AdminStatus::kSuccess;
}

AdminStatus AdminCommands::get_indirection(const ControlBuffer& buf, RssIndirectionTableFeature& out) {
    const RssState& rss = core_.rss;
    out.min_size = RssState::kMinTableLog;
    out.max_size = rss.max_table_log();
    out.size = rss.table_log();
    out.flags = 1;  // one entry can be updated (inline or RSS_IND_ENTRY_UPDATE)
    out.inline_index = kRssInlineIndexNone;
    if (buf.length == 0)
        return AdminStatus::kSuccess;
    const std::uint32_t entries = 1u << rss.table_log();
    std::uint8_t* dst = control_buffer(buf, entries * sizeof(RssIndirectionEntry));
    if (dst == nullptr)
        return AdminStatus::kMalformedRequest;
    for (std::uint32_t i = 0; i < entries; ++i) {
        const RssIndirectionEntry e{rss.table_entry(i), 0};
        std::memcpy(dst + i * sizeof(e), &e, sizeof(e));
    }
    return AdminStatus::kSuccess;
}

// Entries may name any CQ index the device can hand out, existing or not yet: drivers set the
// table around queue (re)creation. Frames that land on an index without an Rx queue are
// dropped and counted as Rx drops.
AdminStatus AdminCommands::set_indirection(const ControlBuffer& buf, const RssIndirectionTableFeature& in) {
    RssState& rss = core_.rss;
    const std::uint16_t capacity = core_.queues.capacity();
    if (in.inline_index != kRssInlineIndexNone) {
        if (in.inline_index >= (1u << rss.table_log()) || in.inline_entry.cq_index >= capacity)
            return AdminStatus::kIllegalParameter;
        std::lock_guard rx(core_.rx_mutex);
        rss.set_table_entry(in.inline_index, in.inline_entry.cq_index);
        return AdminStatus::kSuccess;
    }
    if (in.size > rss.max_table_log())
        return AdminStatus::kIllegalParameter;
    const std::uint32_t entries = 1u << in.size;
    const std::uint8_t* src = control_buffer(buf, entries * sizeof(RssIndirectionEntry));
    if (src == nullptr)
        return AdminStatus::kMalformedRequest;
    // One copy, then validate and apply that copy (the driver may still be writing its buffer).
    std::vector<RssIndirectionEntry> table(entries);
    std::memcpy(table.data(), src, entries * sizeof(RssIndirectionEntry));
    for (const RssIndirectionEntry& e : table)
        if (e.cq_index >= capacity)
            return AdminStatus::kIllegalParameter;
    std::lock_guard rx(core_.rx_mutex);
    rss.set_table_size(static_cast<std::uint8_t>(in.size));
    for (std::uint32_t i = 0; i < entries; ++i)
        rss.set_table_entry(i, table[i].cq_index);
    return AdminStatus::kSuccess;
}

}  // namespace ena::sim::detail
