// EnaDevice: admin commands used after bring-up (IO queues, statistics, MTU, RSS, fragment
// bypass).
#include <rte_log.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "control/ena_device.hpp"
#include "log.hpp"

namespace ena::ng {

namespace {

constexpr std::size_t kCustomerMetricsBufferSize = 512;

bool register_offset_valid(const DeviceResources& resources, std::uint32_t offset) {
    return offset % 4 == 0 && offset >= hw::reg::kFixedRegisterEnd &&
           std::size_t{offset} + 4 <= resources.registers_size;
}

volatile std::uint32_t* register_at(const DeviceResources& resources, std::uint32_t offset) {
    return reinterpret_cast<volatile std::uint32_t*>(resources.registers + offset);
}

}  // namespace

// --- IO queues ------------------------------------------------------------------------------

int EnaDevice::create_io_queue(const IoQueueSpec& spec, IoQueueHandles& handles) {
    const char* name = resources().name;
    const char* direction = spec.direction == hw::SqDirection::kTx ? "Tx" : "Rx";
    handles = IoQueueHandles{};

    hw::CreateCqCommand cq{};
    cq.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kCreateCq);
    // Interrupt mode always, as ENA drivers create CQs; without a vector (no per-queue
    // interrupts) the CQ is never unmasked.
    cq.cq_caps_1 = hw::cq_caps1::InterruptMode::make(1);
    cq.cq_caps_2 = hw::cq_caps2::EntrySizeWords::make(spec.cq_entry_words);
    cq.cq_depth = spec.depth;
    cq.msix_vector = spec.msix_vector;
    int rc = set_dma_address(cq.cq_base, spec.cq_ring_iova, features_.dma_width);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: %s CQ ring at IOVA 0x%" PRIx64 " is beyond the device's %u-bit DMA width",
            name, direction, spec.cq_ring_iova, features_.dma_width);
        return rc;
    }
    hw::CreateCqResponse cq_response{};
    rc = admin_.execute(cq, cq_response);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot create %s CQ (depth %u): %d (%s)", name, direction, spec.depth, rc,
            rc == -ETIME || rc == -ENODEV ? "no answer" : admin_status_name(admin_.last_status()));
        return rc;
    }
    handles.cq_index = cq_response.cq_index;
    auto undo_cq = [&] {
        hw::DestroyCqCommand destroy{};
        destroy.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kDestroyCq);
        destroy.cq_index = handles.cq_index;
        hw::AdminCompletion ignored{};
        admin_.execute(destroy, ignored);
    };
    if (cq_response.cq_actual_depth != 0 && cq_response.cq_actual_depth != spec.depth)
        log(g_log_driver, RTE_LOG_WARNING, "%s: device created %s CQ %u with depth %u instead of %u", name, direction,
            handles.cq_index, cq_response.cq_actual_depth, spec.depth);
    // Never trust the device: every offset must land inside BAR0.
    const std::uint32_t unmask = cq_response.cq_interrupt_unmask_register_offset;
    const std::uint32_t head = cq_response.cq_head_db_register_offset;
    const std::uint32_t numa = cq_response.numa_node_register_offset;
    if ((unmask != 0 && !register_offset_valid(resources(), unmask)) ||
        (head != 0 && !register_offset_valid(resources(), head)) ||
        (numa != 0 && !register_offset_valid(resources(), numa))) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device returned invalid register offsets for %s CQ %u (0x%x 0x%x 0x%x)",
            name, direction, handles.cq_index, unmask, head, numa);
        undo_cq();
        return -EIO;
    }
    if (unmask != 0)
        handles.cq_unmask = register_at(resources(), unmask);
    if (head != 0)
        handles.cq_head_doorbell = register_at(resources(), head);
    if (numa != 0)
        handles.numa_node_register = register_at(resources(), numa);

    hw::CreateSqCommand sq{};
    sq.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kCreateSq);
    sq.sq_identity = hw::sq_identity::Direction::make(static_cast<std::uint8_t>(spec.direction));
    const auto placement = spec.placement == TxPlacement::kLlq ? hw::PlacementPolicy::kDevice : hw::PlacementPolicy::kHost;
    sq.sq_caps_2 = static_cast<std::uint8_t>(
        hw::sq_caps2::Placement::make(static_cast<std::uint8_t>(placement)) |
        hw::sq_caps2::Completion::make(static_cast<std::uint8_t>(hw::CompletionPolicy::kDesc)));
    sq.sq_caps_3 = hw::sq_caps3::PhysicallyContiguous::make(1);
    sq.cq_index = handles.cq_index;
    sq.sq_depth = spec.depth;
    if (placement == hw::PlacementPolicy::kHost) {
        rc = set_dma_address(sq.sq_base, spec.sq_ring_iova, features_.dma_width);
        if (rc != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: %s SQ ring at IOVA 0x%" PRIx64 " is beyond the device's DMA width", name,
                direction, spec.sq_ring_iova);
            undo_cq();
            return rc;
        }
    }
    hw::CreateSqResponse sq_response{};
    rc = admin_.execute(sq, sq_response);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot create %s SQ (depth %u, %s placement): %d (%s)", name, direction,
            spec.depth, placement == hw::PlacementPolicy::kDevice ? "LLQ" : "host", rc,
            rc == -ETIME || rc == -ENODEV ? "no answer" : admin_status_name(admin_.last_status()));
        if (rc != -ETIME && rc != -ENODEV)
            undo_cq();
        return rc;
    }
    handles.sq_index = sq_response.sq_index;
    auto undo_sq = [&] {
        hw::DestroySqCommand destroy{};
        destroy.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kDestroySq);
        destroy.sq_index = handles.sq_index;
        destroy.sq_identity = sq.sq_identity;
        hw::AdminCompletion ignored{};
        admin_.execute(destroy, ignored);
    };
    if (!register_offset_valid(resources(), sq_response.sq_doorbell_offset)) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device returned doorbell offset 0x%x for %s SQ %u, outside BAR0 (%zu bytes)",
            name, sq_response.sq_doorbell_offset, direction, handles.sq_index, resources().registers_size);
        undo_sq();
        undo_cq();
        return -EIO;
    }
    handles.sq_doorbell = register_at(resources(), sq_response.sq_doorbell_offset);
    if (placement == hw::PlacementPolicy::kDevice) {
        const std::size_t bytes = std::size_t{spec.depth} * features_.llq.layout.entry_size;
        const std::size_t offset = sq_response.llq_descriptors_offset;
        if (resources().llq_memory == nullptr || offset + bytes > resources().llq_memory_size ||
            std::size_t{sq_response.llq_headers_offset} > resources().llq_memory_size) {
            log(g_log_driver, RTE_LOG_ERR,
                "%s: device placed LLQ SQ %u at 0x%zx (+%zu bytes), outside the LLQ BAR (%zu bytes)", name,
                handles.sq_index, offset, bytes, resources().llq_memory_size);
            undo_sq();
            undo_cq();
            return -EIO;
        }
        handles.llq_descriptors = resources().llq_memory + offset;
        handles.llq_headers = resources().llq_memory + sq_response.llq_headers_offset;
    }
    if (handles.numa_node_register != nullptr && spec.numa_node >= 0)
        registers_.write(numa,
                         hw::numa_cfg::Node::make(static_cast<std::uint32_t>(spec.numa_node)) |
                             hw::numa_cfg::Enabled::make(1));
    return 0;
}

int EnaDevice::destroy_io_queue(const IoQueueHandles& handles, hw::SqDirection direction) {
    hw::DestroySqCommand sq{};
    sq.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kDestroySq);
    sq.sq_index = handles.sq_index;
    sq.sq_identity = hw::sq_identity::Direction::make(static_cast<std::uint8_t>(direction));
    hw::AdminCompletion completion{};
    const int sq_rc = admin_.execute(sq, completion);
    hw::DestroyCqCommand cq{};
    cq.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kDestroyCq);
    cq.cq_index = handles.cq_index;
    const int cq_rc = admin_.execute(cq, completion);
    if (sq_rc != 0 || cq_rc != 0) {
        // After a device failure the queues are gone with the next reset anyway.
        const bool quiet = sq_rc == -ENODEV && cq_rc == -ENODEV;
        log(g_log_driver, quiet ? RTE_LOG_DEBUG : RTE_LOG_ERR, "%s: cannot destroy %s queue SQ %u/CQ %u: %d/%d",
            resources().name, direction == hw::SqDirection::kTx ? "Tx" : "Rx", handles.sq_index, handles.cq_index,
            sq_rc, cq_rc);
    }
    return sq_rc != 0 ? sq_rc : cq_rc;
}

// --- MTU, fragment bypass -------------------------------------------------------------------

int EnaDevice::set_mtu(std::uint32_t mtu) {
    if (!features_.supports(hw::FeatureId::kMtu))
        return -EOPNOTSUPP;
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kMtu);
    command.mtu.mtu = mtu;
    return set_feature(command);
}

int EnaDevice::set_frag_bypass(bool enable) {
    if (!features_.supports(hw::FeatureId::kFragBypass))
        return -EOPNOTSUPP;
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kFragBypass);
    command.frag_bypass.enable = enable ? 1 : 0;
    return set_feature(command);
}

// --- statistics -----------------------------------------------------------------------------

int EnaDevice::get_stats(hw::StatsType type, hw::GetStatsResponse& response, const DmaBuffer* control,
                         std::uint64_t requested_metrics) {
    hw::GetStatsCommand command{};
    command.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kGetStats);
    command.type = static_cast<std::uint8_t>(type);
    command.scope = static_cast<std::uint8_t>(hw::StatsScope::kEthTraffic);
    command.device_id = hw::kStatsDeviceSelf;
    command.requested_metrics = requested_metrics;
    if (control != nullptr) {
        if (const int rc = attach_control_buffer(command.common, command.control_buffer, *control); rc != 0)
            return rc;
    }
    response = hw::GetStatsResponse{};
    return admin_.execute(command, response);
}

int EnaDevice::get_basic_stats(BasicStats& stats) {
    hw::GetStatsResponse response{};
    const int rc = get_stats(hw::StatsType::kBasic, response);
    if (rc != 0)
        return rc;
    const hw::BasicStats& basic = response.basic;
    stats.rx_packets = basic.rx_pkts.get();
    stats.rx_bytes = basic.rx_bytes.get();
    stats.tx_packets = basic.tx_pkts.get();
    stats.tx_bytes = basic.tx_bytes.get();
    stats.rx_drops = basic.rx_drops.get();
    stats.tx_drops = basic.tx_drops.get();
    stats.rx_overruns = basic.rx_overruns.get();
    return 0;
}

int EnaDevice::get_eni_stats(hw::EniStats& stats) {
    if (!features_.has(hw::Capability::kEniStats))
        return -EOPNOTSUPP;
    hw::GetStatsResponse response{};
    const int rc = get_stats(hw::StatsType::kEni, response);
    if (rc == 0)
        stats = response.eni;
    return rc;
}

int EnaDevice::get_srd_info(hw::EnaSrdInfo& info) {
    if (!features_.has(hw::Capability::kEnaSrdInfo))
        return -EOPNOTSUPP;
    hw::GetStatsResponse response{};
    const int rc = get_stats(hw::StatsType::kEnaSrd, response);
    if (rc == 0)
        info = response.srd;
    return rc;
}

int EnaDevice::get_customer_metrics(std::array<std::uint64_t, 6>& values, std::uint64_t& reported) {
    if (!features_.has(hw::Capability::kCustomerMetrics))
        return -EOPNOTSUPP;
    if (!metrics_) {
        const int rc =
            metrics_.allocate(resources(), "metrics", kCustomerMetricsBufferSize, 64, resources().numa_node);
        if (rc != 0)
            return rc;
    }
    metrics_.zero();
    hw::GetStatsResponse response{};
    // Ask for what the device said it reports (bring-up learned it): it writes one u64 per
    // requested metric, in metric-id order, with no gaps.
    const std::uint64_t requested = features_.reported_metrics;
    const int rc = get_stats(hw::StatsType::kCustomerMetrics, response, &metrics_, requested);
    if (rc != 0)
        return rc;
    reported = response.reported_metrics & requested;
    const auto* buffer = metrics_.as<const std::uint64_t>();
    unsigned next = 0;
    for (unsigned id = 0; id < values.size(); ++id)
        values[id] = (reported >> id) & 1 ? buffer[next++] : 0;
    return 0;
}

// --- RSS ------------------------------------------------------------------------------------

int EnaDevice::ensure_rss_buffers() {
    int rc = 0;
    if (!rss_key_)
        rc = rss_key_.allocate(resources(), "rss_key", sizeof(hw::RssHashKey), 64, resources().numa_node);
    if (rc == 0 && !rss_input_)
        rc = rss_input_.allocate(resources(), "rss_input", sizeof(hw::RssHashControl), 64, resources().numa_node);
    if (rc == 0 && !rss_table_ && features_.rss_table_log_size != 0)
        rc = rss_table_.allocate(resources(), "rss_table",
                                 sizeof(hw::RssIndirectionEntry) << features_.rss_table_log_size, 64,
                                 resources().numa_node);
    return rc;
}

int EnaDevice::set_rss_hash_function(hw::HashFunction function, std::span<const std::uint8_t> key,
                                     std::uint32_t init_value) {
    if (!features_.supports(hw::FeatureId::kRssHashFunction))
        return -EOPNOTSUPP;
    const std::uint32_t function_bit = std::uint32_t{1} << static_cast<unsigned>(function);
    if (!(features_.rss_hash_functions & function_bit)) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS hash function %u not supported (device offers 0x%x)",
            resources().name, static_cast<unsigned>(function), features_.rss_hash_functions);
        return -EOPNOTSUPP;
    }
    if (!key.empty() && key.size() != hw::kRssKeySize) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS key of %zu bytes (accepted: %u)", resources().name, key.size(),
            hw::kRssKeySize);
        return -EINVAL;
    }
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    if (!key.empty())
        rss_key_.as<hw::RssHashKey>()->set(key.first<hw::kRssKeySize>());
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kRssHashFunction);
    command.hash_function.selected_func = function_bit;
    command.hash_function.init_val = init_value;
    return set_feature(command, &rss_key_);
}

int EnaDevice::get_rss_hash_function(hw::HashFunction& function, std::span<std::uint8_t> key) {
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    hw::GetFeatureResponse response{};
    rc = get_feature(hw::FeatureId::kRssHashFunction, response, 0, &rss_key_);
    if (rc != 0)
        return rc;
    const std::uint32_t selected = response.hash_function.selected_func & 0xFF;
    function = static_cast<hw::HashFunction>(selected != 0 ? std::countr_zero(selected) : 0);
    if (key.size() >= hw::kRssKeySize)
        rss_key_.as<const hw::RssHashKey>()->get(key.first<hw::kRssKeySize>());
    return 0;
}

int EnaDevice::set_rss_hash_input(const hw::RssHashControl& control) {
    if (!features_.supports(hw::FeatureId::kRssHashInput))
        return -EOPNOTSUPP;
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    std::memcpy(rss_input_.va(), &control, sizeof(control));
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kRssHashInput);
    return set_feature(command, &rss_input_);
}

int EnaDevice::get_rss_hash_input(hw::RssHashControl& control) {
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    hw::GetFeatureResponse response{};
    rc = get_feature(hw::FeatureId::kRssHashInput, response, 0, &rss_input_);
    if (rc == 0)
        std::memcpy(&control, rss_input_.va(), sizeof(control));
    return rc;
}

int EnaDevice::set_rss_indirection_table(std::span<const std::uint16_t> cq_indices) {
    if (!features_.supports(hw::FeatureId::kRssIndirectionTableConfig) || features_.rss_table_log_size == 0)
        return -EOPNOTSUPP;
    const std::size_t entries = std::size_t{1} << features_.rss_table_log_size;
    if (cq_indices.size() != entries) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS indirection table of %zu entries (accepted: %zu)", resources().name,
            cq_indices.size(), entries);
        return -EINVAL;
    }
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    auto* table = rss_table_.as<hw::RssIndirectionEntry>();
    for (std::size_t i = 0; i < entries; ++i)
        table[i] = hw::RssIndirectionEntry{cq_indices[i], 0};
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kRssIndirectionTableConfig);
    command.indirection_table.size = features_.rss_table_log_size;
    command.indirection_table.inline_index = hw::kRssInlineIndexNone;
    return set_feature(command, &rss_table_);
}

int EnaDevice::get_rss_indirection_table(std::span<std::uint16_t> cq_indices) {
    if (features_.rss_table_log_size == 0)
        return -EOPNOTSUPP;
    int rc = ensure_rss_buffers();
    if (rc != 0)
        return rc;
    hw::GetFeatureResponse response{};
    rc = get_feature(hw::FeatureId::kRssIndirectionTableConfig, response, 0, &rss_table_);
    if (rc != 0)
        return rc;
    const auto* table = rss_table_.as<const hw::RssIndirectionEntry>();
    const std::size_t entries = std::min(cq_indices.size(), std::size_t{1} << features_.rss_table_log_size);
    for (std::size_t i = 0; i < entries; ++i)
        cq_indices[i] = table[i].cq_index;
    return 0;
}

}  // namespace ena::ng
