// EnaDevice: bring-up, reset, feature negotiation and events.
#include "control/ena_device.hpp"

#include <rte_log.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "log.hpp"

namespace ena::ng {

namespace {

constexpr unsigned kMinDmaWidth = 32;
constexpr unsigned kMaxDmaWidth = 48;

// The AENQ groups this driver handles; the device may support fewer.
constexpr std::uint32_t kWantedAenqGroups =
    hw::aenq_group_bit(hw::AenqGroup::kLinkChange) | hw::aenq_group_bit(hw::AenqGroup::kFatalError) |
    hw::aenq_group_bit(hw::AenqGroup::kWarning) | hw::aenq_group_bit(hw::AenqGroup::kNotification) |
    hw::aenq_group_bit(hw::AenqGroup::kKeepAlive) | hw::aenq_group_bit(hw::AenqGroup::kConfNotifications) |
    hw::aenq_group_bit(hw::AenqGroup::kDeviceRequestReset);

// DPDK's ENA PMD waits this long for a keep-alive when the device gives no hint.
constexpr unsigned kDefaultKeepAliveTimeoutMs = 3000;

}  // namespace

int EnaDevice::init(std::uint16_t slot, const InitOptions& options) {
    shutdown();
    resources_ = ResourcesRef(slot);
    features_ = DeviceFeatures{};
    if (!options.keep_event_counts)
        tally_.clear();
    link_up_.store(true, std::memory_order_release);
    reset_request_.store(kNoResetRequest, std::memory_order_release);
    const int rc = bring_up(options);
    if (rc != 0) {
        shutdown();
        return rc;
    }
    initialised_ = true;
    return 0;
}

int EnaDevice::bring_up(const InitOptions& options) {
    const char* name = resources().name;
    if (resources().registers == nullptr || resources().registers_size < hw::reg::kFixedRegisterEnd) {
        log(g_log_init, RTE_LOG_ERR, "%s: register BAR missing or too small (%zu bytes)", name,
            resources().registers_size);
        return -ENXIO;
    }
    if (resources().now_ns == nullptr || resources().sleep_us == nullptr || resources().dma_alloc == nullptr ||
        resources().dma_free == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "%s: device resources lack a clock or a DMA allocator", name);
        return -EINVAL;
    }

    int rc = registers_.init(resources());
    if (rc != 0)
        return rc;
    registers_ready_ = true;

    rc = reset(hw::ResetReason::kNormal);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: device reset failed: %d", name, rc);
        return rc;
    }
    rc = check_versions();
    if (rc != 0)
        return rc;

    const std::uint32_t caps = registers_.read(hw::reg::kCaps);
    if (caps == hw::kRegisterReadFailed)
        return -ETIME;
    const unsigned width = hw::caps::DmaAddrWidth::get(caps);
    if (width < kMinDmaWidth || width > kMaxDmaWidth) {
        log(g_log_init, RTE_LOG_ERR, "%s: device reports a DMA address width of %u bits (accepted: %u-%u)", name,
            width, kMinDmaWidth, kMaxDmaWidth);
        return -EINVAL;
    }
    features_.dma_width = static_cast<std::uint8_t>(width);

    const std::uint32_t status = registers_.read(hw::reg::kDevSts);
    if (status == hw::kRegisterReadFailed)
        return -ETIME;
    if (!hw::dev_sts::Ready::get(status)) {
        log(g_log_init, RTE_LOG_ERR, "%s: device not ready after reset (DEV_STS 0x%x)", name, status);
        return -ENODEV;
    }
    rc = admin_.init(registers_, resources(), width);
    if (rc != 0)
        return rc;
    // Bring-up polls the admin queue: no admin interrupt while it does.
    use_polling();
    rc = events_.init(registers_, resources(), width);
    if (rc != 0)
        return rc;
    // The whole AENQ is the device's from admin initialisation on; writing the head doorbell
    // (every entry free) says we consume it. The initial link state arrives once the
    // link-change group is enabled and is picked up at the end of bring-up.
    events_.enable();

    // Host attributes go first so the device knows its driver before it answers queries.
    rc = set_host_attributes(options.host);
    if (rc == -ETIME || rc == -ENODEV)
        return rc;

    rc = get_device_features();
    if (rc != 0)
        return rc;

    const std::uint32_t groups = kWantedAenqGroups & features_.aenq_supported_groups;
    rc = set_aenq_groups(groups);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot enable AENQ groups 0x%x: %d", name, groups, rc);
        return rc;
    }

    rc = negotiate_llq(options.llq_policy);
    if (rc != 0)
        return rc;

    // Pick up what the device announced right away (e.g. the initial link state).
    process_events();
    return 0;
}

void EnaDevice::shutdown(hw::ResetReason reason) {
    if (registers_ready_) {
        // Stop the device from writing host memory (AENQ, completions) before it is freed.
        reset(reason);
        admin_.abort();
    }
    events_.release();
    admin_.release();
    host_info_.release();
    rss_key_.release();
    rss_input_.release();
    rss_table_.release();
    metrics_.release();
    if (registers_ready_)
        registers_.release();
    registers_ready_ = false;
    initialised_ = false;
}

void EnaDevice::request_reset(hw::ResetReason reason, const char* why) {
    std::uint32_t expected = kNoResetRequest;
    if (reset_request_.compare_exchange_strong(expected, static_cast<std::uint32_t>(reason), std::memory_order_acq_rel))
        log(g_log_driver, RTE_LOG_ERR, "%s: device reset needed, reason %s%s%s", resources().name,
            hw::reset_reason_name(reason), why != nullptr ? ": " : "", why != nullptr ? why : "");
}

unsigned EnaDevice::keep_alive_timeout_ms() const {
    if (!(features_.aenq_enabled_groups & hw::aenq_group_bit(hw::AenqGroup::kKeepAlive)))
        return 0;
    const std::uint16_t hint = features_.hints.driver_watchdog_timeout;
    if (hint == hw::kHwHintNoTimeout)
        return 0;
    return hint != 0 ? hint : kDefaultKeepAliveTimeoutMs;
}

bool EnaDevice::fatal_error_status() {
    const std::uint32_t status = registers_.read(hw::reg::kDevSts);
    return status != hw::kRegisterReadFailed && hw::dev_sts::FatalError::get(status) != 0;
}

int EnaDevice::wait_for_reset_state(std::uint32_t timeout_100ms, bool in_progress) {
    const Deadline deadline(resources(), std::uint64_t{timeout_100ms} * hw::caps::kTimeoutUnitMs * 1'000'000);
    unsigned delay_us = 10;
    while (true) {
        const std::uint32_t status = registers_.read(hw::reg::kDevSts);
        if (status == hw::kRegisterReadFailed)
            return -ETIME;
        if ((hw::dev_sts::ResetInProgress::get(status) != 0) == in_progress)
            return 0;
        if (deadline.expired())
            return -ETIME;
        sleep_us(resources(), delay_us);
        delay_us = std::min(delay_us * 2, 5000u);
    }
}

int EnaDevice::reset(hw::ResetReason reason) {
    const char* name = resources().name;
    const std::uint32_t status = registers_.read(hw::reg::kDevSts);
    const std::uint32_t caps = status != hw::kRegisterReadFailed ? registers_.read(hw::reg::kCaps) : status;
    if (status == hw::kRegisterReadFailed || caps == hw::kRegisterReadFailed) {
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot read device status before reset", name);
        return -ETIME;
    }
    if (!hw::dev_sts::Ready::get(status)) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device not ready (DEV_STS 0x%x), cannot reset it", name, status);
        return -EINVAL;
    }
    const std::uint32_t timeout = hw::caps::ResetTimeout::get(caps);
    if (timeout == 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device advertises a reset timeout of 0", name);
        return -EINVAL;
    }

    admin_.abort();
    registers_.write(hw::reg::kDevCtl,
                     hw::dev_ctl_reset(reason, features_.has(hw::Capability::kExtendedResetReasons)));
    // The reset forgot where readless answers go.
    registers_.write_response_address();

    int rc = wait_for_reset_state(timeout, true);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device did not start its reset within %u ms", name,
            timeout * hw::caps::kTimeoutUnitMs);
        return rc;
    }
    registers_.write(hw::reg::kDevCtl, 0);
    rc = wait_for_reset_state(timeout, false);
    if (rc != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: device did not finish its reset within %u ms", name,
            timeout * hw::caps::kTimeoutUnitMs);
        return rc;
    }
    const std::uint32_t admin_timeout = hw::caps::AdminCmdTimeout::get(caps);
    admin_.set_timeout_us(admin_timeout != 0 ? std::uint64_t{admin_timeout} * hw::caps::kTimeoutUnitMs * 1000
                                             : AdminQueue::kDefaultTimeoutUs);
    return 0;
}

int EnaDevice::check_versions() {
    const std::uint32_t version = registers_.read(hw::reg::kVersion);
    const std::uint32_t controller = registers_.read(hw::reg::kControllerVersion);
    if (version == hw::kRegisterReadFailed || controller == hw::kRegisterReadFailed) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot read the device version registers", resources().name);
        return -ETIME;
    }
    features_.spec_version = version;
    features_.controller_version = controller;
    log(g_log_init, RTE_LOG_INFO, "%s: ENA device version %u.%u, controller %u.%u.%u implementation %u",
        resources().name, hw::version::Major::get(version), hw::version::Minor::get(version),
        hw::controller_version::Major::get(controller), hw::controller_version::Minor::get(controller),
        hw::controller_version::Subminor::get(controller), hw::controller_version::ImplId::get(controller));
    const std::uint32_t without_impl = controller & ~hw::controller_version::ImplId::kMask;
    if (without_impl < hw::controller_version::kMinimum) {
        log(g_log_init, RTE_LOG_ERR, "%s: controller version 0x%x is older than the minimum 0.0.1", resources().name,
            without_impl);
        return -ENOTSUP;
    }
    return 0;
}

int EnaDevice::set_host_attributes(const HostDescription& host) {
    int rc = host_info_.allocate(resources(), "host_info", hw::kHostInfoPageSize, 4096, resources().numa_node);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_WARNING, "%s: cannot allocate the host info page: %d", resources().name, rc);
        return rc;
    }
    auto* info = host_info_.as<hw::HostInfo>();
    info->os_type = static_cast<std::uint32_t>(hw::OsType::kDpdk);
    std::snprintf(reinterpret_cast<char*>(info->os_dist_str), sizeof(info->os_dist_str), "%s",
                  host.os_version_string);
    std::snprintf(reinterpret_cast<char*>(info->kernel_ver_str), sizeof(info->kernel_ver_str), "%s",
                  host.os_version_string);
    info->os_dist = host.os_version;
    info->kernel_ver = host.os_version;
    info->driver_version = hw::host_driver_version::Major::make(kDriverVersionMajor) |
                           hw::host_driver_version::Minor::make(kDriverVersionMinor) |
                           hw::host_driver_version::SubMinor::make(kDriverVersionSubMinor);
    info->ena_spec_version = static_cast<std::uint16_t>((hw::kSpecVersionMajor << 8) | hw::kSpecVersionMinor);
    info->bdf = host.bdf;
    info->num_cpus = host.num_cpus;
    info->driver_supported_features = hw::host_features::RssConfigurableFunctionKey::make(1);

    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kHostAttrConfig);
    rc = set_dma_address(command.host_attributes.os_info_address, host_info_.iova(), features_.dma_width);
    if (rc == 0)
        rc = set_feature(command);
    if (rc != 0) {
        log(g_log_init, rc == -EOPNOTSUPP ? RTE_LOG_WARNING : RTE_LOG_ERR,
            "%s: cannot set host attributes: %d", resources().name, rc);
        host_info_.release();
    }
    return rc;
}

int EnaDevice::attach_control_buffer(hw::AdminCommonDesc& common, hw::ControlBuffer& field,
                                     const DmaBuffer& control) const {
    // Drivers mark every control buffer with the "indirect" flag; devices expect that.
    common.flags = hw::admin_desc::CtrlDataIndirect::make(1);
    field.length = static_cast<std::uint32_t>(control.size());
    return set_dma_address(field.address, control.iova(), features_.dma_width);
}

int EnaDevice::get_feature(hw::FeatureId id, hw::GetFeatureResponse& response, std::uint8_t version,
                           const DmaBuffer* control) {
    if (id != hw::FeatureId::kDeviceAttributes && !features_.supports(id))
        return -EOPNOTSUPP;
    hw::GetFeatureCommand command{};
    command.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kGetFeature);
    command.feature.feature_id = static_cast<std::uint8_t>(id);
    command.feature.feature_version = version;
    command.feature.flags = hw::feature_select::Select::make(hw::feature_select::kCurrent);
    if (control != nullptr) {
        if (const int rc = attach_control_buffer(command.common, command.control_buffer, *control); rc != 0)
            return rc;
    }
    response = hw::GetFeatureResponse{};
    return admin_.execute(command, response);
}

int EnaDevice::set_feature(hw::SetFeatureCommand& command, const DmaBuffer* control) {
    command.common.opcode = static_cast<std::uint8_t>(hw::AdminOpcode::kSetFeature);
    if (control != nullptr) {
        if (const int rc = attach_control_buffer(command.common, command.control_buffer, *control); rc != 0)
            return rc;
    }
    hw::SetFeatureResponse response{};
    return admin_.execute(command, response);
}

int EnaDevice::get_device_features() {
    const char* name = resources().name;
    hw::GetFeatureResponse response{};
    int rc = get_feature(hw::FeatureId::kDeviceAttributes, response);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot get device attributes: %d", name, rc);
        return rc;
    }
    features_.attributes = response.device_attributes;

    std::uint32_t max_tx_sq = 0, max_tx_cq = 0, max_rx = 0;
    std::uint32_t tx_sq_depth = 0, tx_cq_depth = 0, rx_depth = 0;
    if (features_.supports(hw::FeatureId::kMaxQueuesExt)) {
        rc = get_feature(hw::FeatureId::kMaxQueuesExt, response, hw::kMaxQueuesExtVersion);
        if (rc == 0 && response.max_queues_ext.version != hw::kMaxQueuesExtVersion) {
            log(g_log_init, RTE_LOG_ERR, "%s: MAX_QUEUES_EXT answered with version %u (expected %u)", name,
                response.max_queues_ext.version, hw::kMaxQueuesExtVersion);
            return -EINVAL;
        }
        if (rc != 0) {
            log(g_log_init, RTE_LOG_ERR, "%s: cannot get MAX_QUEUES_EXT: %d", name, rc);
            return rc;
        }
        const hw::MaxQueuesExt& q = response.max_queues_ext;
        max_tx_sq = q.max_tx_sq_num;
        max_tx_cq = q.max_tx_cq_num;
        max_rx = std::min(q.max_rx_sq_num, q.max_rx_cq_num);
        tx_sq_depth = q.max_tx_sq_depth;
        tx_cq_depth = q.max_tx_cq_depth;
        rx_depth = std::min(q.max_rx_sq_depth, q.max_rx_cq_depth);
        features_.max_tx_header_size = q.max_tx_header_size;
        features_.max_tx_sgl = std::min<std::uint16_t>(kMaxSglSize, q.max_per_packet_tx_descs);
        features_.max_rx_sgl = std::min<std::uint16_t>(kMaxSglSize, q.max_per_packet_rx_descs);
    } else {
        rc = get_feature(hw::FeatureId::kMaxQueuesNum, response);
        if (rc != 0) {
            log(g_log_init, RTE_LOG_ERR, "%s: cannot get MAX_QUEUES_NUM: %d", name, rc);
            return rc;
        }
        const hw::MaxQueues& q = response.max_queues;
        max_tx_sq = q.max_sq_num;
        max_tx_cq = q.max_cq_num;
        max_rx = std::min(q.max_sq_num, q.max_cq_num);
        tx_sq_depth = q.max_sq_depth;
        tx_cq_depth = q.max_cq_depth;
        rx_depth = std::min(q.max_sq_depth, q.max_cq_depth);
        features_.max_tx_header_size = q.max_header_size;
        features_.max_tx_sgl = std::min<std::uint16_t>(kMaxSglSize, q.max_packet_tx_descs);
        features_.max_rx_sgl = std::min<std::uint16_t>(kMaxSglSize, q.max_packet_rx_descs);
    }
    features_.max_io_queues = static_cast<std::uint16_t>(
        std::min<std::uint32_t>({kMaxIoQueues, max_rx, max_tx_sq, max_tx_cq}));
    // A Tx packet takes a meta descriptor and one for its data; an Rx packet one buffer at least.
    if (features_.max_tx_sgl < 2 || features_.max_rx_sgl < 1) {
        log(g_log_init, RTE_LOG_ERR, "%s: device allows %u descriptors per Tx packet and %u per Rx packet (needed: 2 and 1)",
            resources().name, features_.max_tx_sgl, features_.max_rx_sgl);
        return -EINVAL;
    }
    features_.max_rx_depth = std::bit_floor(rx_depth);
    // Placement may lower the Tx values below once LLQ is negotiated.
    features_.max_tx_depth = std::bit_floor(std::min(tx_sq_depth, tx_cq_depth));
    tx_cq_depth_ = tx_cq_depth;

    rc = get_feature(hw::FeatureId::kAenqConfig, response);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot get the AENQ configuration: %d", name, rc);
        return rc;
    }
    features_.aenq_supported_groups = response.aenq.supported_groups;

    rc = get_feature(hw::FeatureId::kStatelessOffloadConfig, response);
    if (rc == 0)
        features_.offloads = response.offload;
    else if (rc != -EOPNOTSUPP)
        return rc;

    rc = get_feature(hw::FeatureId::kHwHints, response);
    if (rc == 0) {
        features_.hints = response.hints;
        const hw::HwHints& hints = features_.hints;
        if (hints.mmio_read_timeout != 0 && hints.mmio_read_timeout != hw::kHwHintNoTimeout)
            registers_.set_read_timeout_us(std::uint32_t{hints.mmio_read_timeout} * 1000);
        if (hints.admin_completion_tx_timeout != 0 && hints.admin_completion_tx_timeout != hw::kHwHintNoTimeout)
            admin_.set_timeout_us(std::uint64_t{hints.admin_completion_tx_timeout} * 1000);
    } else if (rc != -EOPNOTSUPP) {
        return rc;
    }

    rc = get_feature(hw::FeatureId::kRssIndirectionTableConfig, response);
    if (rc == 0) {
        const hw::RssIndirectionTableFeature& table = response.indirection_table;
        std::uint16_t log_size = table.size;
        if (log_size < table.min_size || log_size > table.max_size)
            log_size = table.max_size;
        features_.rss_table_log_size = static_cast<std::uint8_t>(std::min<std::uint16_t>(log_size, 12));
    } else if (rc != -EOPNOTSUPP) {
        return rc;
    }
    rc = get_feature(hw::FeatureId::kRssHashFunction, response);
    if (rc == 0)
        features_.rss_hash_functions = response.hash_function.supported_func;
    else if (rc != -EOPNOTSUPP)
        return rc;
    features_.rss_hash_input = features_.supports(hw::FeatureId::kRssHashInput);

    rc = get_feature(hw::FeatureId::kInterruptModeration, response);
    if (rc == 0)
        features_.intr_delay_resolution_us = response.interrupt_moderation.intr_delay_resolution;
    else if (rc != -EOPNOTSUPP)
        return rc;

    rc = get_feature(hw::FeatureId::kLinkConfig, response);
    if (rc == 0) {
        features_.link = response.link;
        features_.link_feature = true;
    } else if (rc != -EOPNOTSUPP) {
        return rc;
    }

    // Which allowance metrics exist: a customer-metrics query without a buffer says.
    if (features_.has(hw::Capability::kCustomerMetrics)) {
        hw::GetStatsResponse stats{};
        rc = get_stats(hw::StatsType::kCustomerMetrics, stats, nullptr, hw::kCustomerMetricsAll);
        if (rc != 0) {
            log(g_log_init, RTE_LOG_ERR, "%s: cannot learn which customer metrics the device reports: %d", name, rc);
            return rc;
        }
        features_.reported_metrics = stats.reported_metrics & hw::kCustomerMetricsAll;
    } else if (features_.has(hw::Capability::kEniStats)) {
        features_.reported_metrics = hw::kCustomerMetricsMinimum;
    }
    return 0;
}

int EnaDevice::set_aenq_groups(std::uint32_t groups) {
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kAenqConfig);
    command.aenq.enabled_groups = groups;
    const int rc = set_feature(command);
    if (rc == 0)
        features_.aenq_enabled_groups = groups;
    return rc;
}

int EnaDevice::negotiate_llq(LlqPolicy policy) {
    const char* name = resources().name;
    hw::LlqFeature offer{};
    bool device_has_llq = false;
    if (policy != LlqPolicy::kOff && features_.supports(hw::FeatureId::kLlq)) {
        hw::GetFeatureResponse response{};
        const int rc = get_feature(hw::FeatureId::kLlq, response, hw::kLlqFeatureVersionRecommendsEntrySize);
        if (rc == 0) {
            offer = response.llq;
            device_has_llq = true;
        } else if (rc == -ETIME || rc == -ENODEV) {
            return rc;
        }
    }
    LlqChoice choice = choose_llq(offer, device_has_llq, resources().llq_memory != nullptr, policy);
    if (policy == LlqPolicy::kOff) {
        log(g_log_init, RTE_LOG_WARNING,
            "%s: LLQ disabled by the llq_policy/enable_llq devarg: Tx descriptors go through host memory, "
            "which costs performance on ENA",
            name);
    } else if (choice.placement == TxPlacement::kHost) {
        log(g_log_init, RTE_LOG_WARNING, "%s: %s; Tx falls back to host memory", name,
            choice.fallback_reason != nullptr ? choice.fallback_reason : "LLQ unavailable");
    } else {
        if (choice.fallback_reason != nullptr)
            log(g_log_init, RTE_LOG_WARNING, "%s: %s; using %u-byte entries", name, choice.fallback_reason,
                choice.layout.entry_size);
        const int rc = set_llq(choice);
        if (rc == -ETIME || rc == -ENODEV)
            return rc;
        if (rc != 0) {
            log(g_log_init, RTE_LOG_WARNING, "%s: the device refused the LLQ configuration (%d); Tx falls back to host memory",
                name, rc);
            choice = LlqChoice{};
        }
    }
    features_.llq = choice;
    if (choice.placement == TxPlacement::kLlq)
        features_.max_tx_depth = std::bit_floor(std::min(tx_cq_depth_, choice.max_depth));
    if (features_.max_tx_depth == 0 || features_.max_rx_depth == 0 || features_.max_io_queues == 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: device offers no usable IO queues (queues %u, Tx depth %u, Rx depth %u)",
            name, features_.max_io_queues, features_.max_tx_depth, features_.max_rx_depth);
        return -EINVAL;
    }
    if (choice.placement == TxPlacement::kLlq)
        log(g_log_init, RTE_LOG_INFO, "%s: Tx placement LLQ, %u-byte entries (%u-byte header room), Tx depth %u%s",
            name, choice.layout.entry_size, choice.layout.header_room(), features_.max_tx_depth,
            choice.disable_meta_caching ? ", accelerated" : "");
    else
        log(g_log_init, RTE_LOG_INFO, "%s: Tx placement host memory, Tx depth %u", name, features_.max_tx_depth);
    return 0;
}

int EnaDevice::set_llq(const LlqChoice& choice) {
    hw::SetFeatureCommand command{};
    command.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kLlq);
    command.llq.header_location_enabled = choice.header_location;
    command.llq.entry_size_enabled = choice.entry_size;
    command.llq.desc_num_before_header_enabled = choice.descs_before_header;
    command.llq.stride_enabled = choice.stride;
    command.llq.accel_mode.set.enabled_flags = choice.accel_flags;
    return set_feature(command);
}

// --- control path ---------------------------------------------------------------------------

void EnaDevice::use_management_interrupt(CompletionWaiter* waiter, void (*missed)(void*), void* arg) {
    admin_.set_waiter(waiter, missed, arg);
    registers_.write(hw::reg::kIntrMask, 0);
}

void EnaDevice::use_polling() {
    admin_.set_waiter(nullptr);
    registers_.write(hw::reg::kIntrMask, hw::kAdminIntrMask);
}

void EnaDevice::write_queue_register(volatile std::uint32_t* reg, std::uint32_t value) {
    const auto offset = static_cast<std::uint32_t>(reinterpret_cast<volatile std::uint8_t*>(reg) - resources().registers);
    registers_.write(offset, value);
}

// --- events ---------------------------------------------------------------------------------

EventSummary EnaDevice::process_events() {
    EventSummary summary;
    summary.processed = events_.process([&](const hw::AenqEntry& entry) { handle_event(entry, summary); });
    return summary;
}

void EnaDevice::EventTally::clear() {
    for (Counter* c : {&keep_alives, &last_keep_alive_ns, &rx_drops, &tx_drops, &rx_overruns, &link_changes,
                       &fatal_errors, &reset_requests, &warnings, &notifications, &unknown_events, &conf_codes_seen})
        c->set(0);
    for (Counter& c : conf_notifications)
        c.set(0);
}

EventCounters EnaDevice::event_counters() const {
    EventCounters out;
    out.keep_alives = tally_.keep_alives.get();
    out.last_keep_alive_ns = tally_.last_keep_alive_ns.get();
    out.rx_drops = tally_.rx_drops.get();
    out.tx_drops = tally_.tx_drops.get();
    out.rx_overruns = tally_.rx_overruns.get();
    out.link_changes = tally_.link_changes.get();
    out.fatal_errors = tally_.fatal_errors.get();
    out.reset_requests = tally_.reset_requests.get();
    out.warnings = tally_.warnings.get();
    out.notifications = tally_.notifications.get();
    out.unknown_events = tally_.unknown_events.get();
    for (unsigned i = 0; i < out.conf_notifications.size(); ++i)
        out.conf_notifications[i] = tally_.conf_notifications[i].get();
    return out;
}

ConfNotificationsSeen EnaDevice::conf_notifications_seen() const {
    ConfNotificationsSeen seen;
    seen.count = static_cast<unsigned>(std::min<std::uint64_t>(tally_.conf_codes_seen.get(), seen.codes.size()));
    std::atomic_thread_fence(std::memory_order_acquire);  // the codes were written before the count
    for (unsigned i = 0; i < seen.count; ++i)
        seen.codes[i] = tally_.conf_order[i].load(std::memory_order_relaxed);
    return seen;
}

namespace {

// The EC2 user guide's meaning of each sub-optimal configuration code and what to do about it.
const char* conf_notification_advice(unsigned code) {
    switch (code) {
        case 1:
            return "ENA Express with wide LLQ is not recommended: use 128-byte LLQ entries (llq_policy=2) on ENA "
                   "Express ports";
        case 2:
            return "ENA Express with a Tx queue shallower than the maximum is not recommended: set up every Tx "
                   "queue with the maximum ring size (rte_eth_dev_info tx_desc_lim.nb_max)";
        case 3:
            return "Tx headers exceed the 96 bytes 128-byte LLQ entries carry and the device drops such packets: "
                   "use wide LLQ (llq_policy=3, 224-byte headers)";
        default:
            return "a code this driver does not know";
    }
}

}  // namespace

void EnaDevice::handle_event(const hw::AenqEntry& entry, EventSummary& summary) {
    const char* name = resources().name;
    const auto group = static_cast<hw::AenqGroup>(entry.common.group);
    switch (group) {
        case hw::AenqGroup::kLinkChange: {
            hw::AenqLinkChange event;
            std::memcpy(&event, &entry, sizeof(event));
            const bool up = hw::aenq_link::Up::get(event.flags) != 0;
            link_up_.store(up, std::memory_order_release);
            ++tally_.link_changes;
            summary.link_changed = true;
            summary.link_went_down |= !up;
            log(g_log_driver, RTE_LOG_INFO, "%s: link %s", name, up ? "up" : "down");
            break;
        }
        case hw::AenqGroup::kKeepAlive: {
            hw::AenqKeepAlive event;
            std::memcpy(&event, &entry, sizeof(event));
            ++tally_.keep_alives;
            tally_.last_keep_alive_ns.set(now_ns(resources()));
            tally_.rx_drops.set(event.rx_drops.get());
            tally_.tx_drops.set(event.tx_drops.get());
            tally_.rx_overruns.set(event.rx_overruns.get());
            break;
        }
        case hw::AenqGroup::kConfNotifications: {
            hw::AenqConfNotifications event;
            std::memcpy(&event, &entry, sizeof(event));
            for (unsigned bit = 0; bit < 64; ++bit) {
                if (!(event.notifications_bitmap & (std::uint64_t{1} << bit)))
                    continue;
                const unsigned code = bit + 1;
                if (tally_.conf_notifications[bit].get() == 0) {
                    // First time: one line, in the wording the EC2 guide quotes, and its advice.
                    log(g_log_driver, RTE_LOG_WARNING,
                        "%s: Sub-optimal configuration notification code: %u. Refer to AWS ENA documentation "
                        "for additional details and mitigation options. (%s)",
                        name, code, conf_notification_advice(code));
                    const std::uint64_t n = tally_.conf_codes_seen.get();
                    tally_.conf_order[n].store(static_cast<std::uint8_t>(code), std::memory_order_relaxed);
                    std::atomic_thread_fence(std::memory_order_release);
                    tally_.conf_codes_seen.set(n + 1);
                }
                ++tally_.conf_notifications[bit];
            }
            break;
        }
        case hw::AenqGroup::kFatalError:
            ++tally_.fatal_errors;
            // The ENA interface names no reset reason for a device's own fatal error.
            request_reset(hw::ResetReason::kGeneric, "the device reported a fatal error (FATAL_ERROR event)");
            break;
        case hw::AenqGroup::kDeviceRequestReset:
            ++tally_.reset_requests;
            request_reset(hw::ResetReason::kDeviceRequest, "the device asked for it (DEVICE_REQUEST_RESET event)");
            break;
        case hw::AenqGroup::kWarning:
            ++tally_.warnings;
            log(g_log_driver, RTE_LOG_WARNING, "%s: device warning (syndrome 0x%x)", name, entry.common.syndrome);
            break;
        case hw::AenqGroup::kNotification:
            ++tally_.notifications;
            if (entry.common.syndrome == static_cast<std::uint16_t>(hw::AenqNotificationSyndrome::kUpdateHints))
                log(g_log_driver, RTE_LOG_INFO, "%s: device sent updated hints (not applied at run time)", name);
            else
                log(g_log_driver, RTE_LOG_NOTICE, "%s: device notification (syndrome 0x%x)", name,
                    entry.common.syndrome);
            break;
        default:
            // Whatever the device writes here is only counted and named: once loudly, then quietly.
            log(g_log_driver, tally_.unknown_events.get() == 0 ? RTE_LOG_WARNING : RTE_LOG_DEBUG,
                "%s: unexpected AENQ event group %u (syndrome 0x%x)", name, entry.common.group, entry.common.syndrome);
            ++tally_.unknown_events;
            break;
    }
}

}  // namespace ena::ng
