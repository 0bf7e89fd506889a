#include "bare_driver.hpp"

#include <atomic>
#include <cstdlib>

#include "property.hpp"

namespace ena::fuzz::model {

using namespace hw;

// --- GuestMemory ---------------------------------------------------------------------------------

std::uint64_t GuestMemory::add(std::size_t size) {
    if (regions_.size() == kMaxRegions || size == 0 || size >= kStride)
        std::abort();  // a harness bug, not a finding
    regions_.push_back(Region{std::make_unique<std::uint8_t[]>(size), size});
    return iova(regions_.size() - 1);
}

std::uint8_t* GuestMemory::at(std::uint64_t iova, std::size_t len) const {
    if (iova < kBase)
        return nullptr;
    const std::uint64_t index = (iova - kBase) / kStride;
    const std::uint64_t offset = (iova - kBase) % kStride;
    if (index >= regions_.size())
        return nullptr;
    const Region& r = regions_[index];
    if (offset >= r.size || len > r.size - offset)
        return nullptr;
    return r.bytes.get() + offset;
}

void* GuestMemory::translate(void* ctx, std::uint64_t iova, std::size_t len) {
    return static_cast<GuestMemory*>(ctx)->at(iova, len == 0 ? 1 : len);
}

// --- BareDriver ----------------------------------------------------------------------------------

BareDriver::BareDriver(const sim::DeviceConfig& config)
    : device_(std::make_unique<sim::Device>(config, memory_.translator(), sim::EngineMode::kSynchronous)) {}

void BareDriver::write(std::uint32_t offset, std::uint32_t value) {
    auto* reg = const_cast<std::uint32_t*>(reinterpret_cast<volatile std::uint32_t*>(device_->register_bar() + offset));
    std::atomic_ref<std::uint32_t>(*reg).store(value, std::memory_order_release);
    device_->on_register_write(offset);
}

std::uint32_t BareDriver::read_bar(std::uint32_t offset) const {
    auto* reg = const_cast<std::uint32_t*>(reinterpret_cast<volatile std::uint32_t*>(device_->register_bar() + offset));
    return std::atomic_ref<std::uint32_t>(*reg).load(std::memory_order_acquire);
}

bool BareDriver::bring_up(std::optional<LlqLayout> llq) {
    if (readless_ == 0)
        readless_ = memory_.add(sizeof(ReadlessResponse));
    write(reg::kDevCtl, dev_ctl_reset(ResetReason::kNormal, false));
    write(reg::kDevCtl, 0);
    write(reg::kMmioRespLow, static_cast<std::uint32_t>(readless_));
    write(reg::kMmioRespHigh, static_cast<std::uint32_t>(readless_ >> 32));

    aq_ = memory_.add(std::size_t{kAqDepth} * kAdminEntrySize);
    acq_ = memory_.add(std::size_t{kAqDepth} * kAdminEntrySize);
    aenq_ = memory_.add(std::size_t{kAenqDepth} * kAenqEntrySize);
    aq_tail_ = acq_head_ = aenq_head_ = 0;
    const std::uint32_t caps = queue_caps::Depth::make(kAqDepth) | queue_caps::EntrySize::make(kAdminEntrySize);
    write(reg::kAqBaseLow, static_cast<std::uint32_t>(aq_));
    write(reg::kAqBaseHigh, static_cast<std::uint32_t>(aq_ >> 32));
    write(reg::kAcqBaseLow, static_cast<std::uint32_t>(acq_));
    write(reg::kAcqBaseHigh, static_cast<std::uint32_t>(acq_ >> 32));
    write(reg::kAqCaps, caps);
    write(reg::kAcqCaps, caps);
    write(reg::kAenqBaseLow, static_cast<std::uint32_t>(aenq_));
    write(reg::kAenqBaseHigh, static_cast<std::uint32_t>(aenq_ >> 32));
    write(reg::kAenqCaps, queue_caps::Depth::make(kAenqDepth) | queue_caps::EntrySize::make(kAenqEntrySize));
    write(reg::kAenqHeadDoorbell, kAenqDepth);

    auto ok = [](const std::optional<AdminCompletion>& c) {
        return c && static_cast<AdminStatus>(c->common.status) == AdminStatus::kSuccess;
    };
    GetFeatureCommand get{};
    get.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetFeature);
    get.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kAenqConfig);
    const auto groups = admin(get);
    if (!ok(groups))
        return false;
    GetFeatureResponse response;
    std::memcpy(&response, &*groups, sizeof(response));
    SetFeatureCommand set{};
    set.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kSetFeature);
    set.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kAenqConfig);
    set.aenq.enabled_groups = response.aenq.supported_groups;
    if (!ok(admin(set)))
        return false;

    const std::uint64_t info = memory_.add(kHostInfoPageSize);
    auto* host = reinterpret_cast<HostInfo*>(memory_.at(info, sizeof(HostInfo)));
    host->os_type = static_cast<std::uint32_t>(OsType::kLinux);
    set = SetFeatureCommand{};
    set.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kSetFeature);
    set.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kHostAttrConfig);
    set.host_attributes.os_info_address.set(info);
    if (!ok(admin(set)))
        return false;

    llq_.reset();
    if (llq) {
        set = SetFeatureCommand{};
        set.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kSetFeature);
        set.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kLlq);
        set.llq.header_location_enabled = static_cast<std::uint16_t>(LlqHeaderLocation::kInline);
        set.llq.entry_size_enabled = static_cast<std::uint16_t>(llq->entry_size == 256 ? LlqEntrySize::k256
                                                                : llq->entry_size == 192 ? LlqEntrySize::k192
                                                                                         : LlqEntrySize::k128);
        set.llq.desc_num_before_header_enabled = llq->descs_before_header;
        set.llq.stride_enabled = static_cast<std::uint16_t>(llq->stride);
        if (!ok(admin(set)))
            return false;
        llq_ = llq;
    }
    return true;
}

std::optional<AdminCompletion> BareDriver::admin(AdminEntry entry, bool raw_phase) {
    if (aq_ == 0)
        return std::nullopt;
    auto* slot = reinterpret_cast<AdminEntry*>(memory_.at(aq_, std::size_t{kAqDepth} * kAdminEntrySize)) +
                 ring_slot(aq_tail_, kAqDepth);
    if (!raw_phase) {
        entry.common.command_id = static_cast<std::uint16_t>(aq_tail_ & admin_desc::CommandId::kMask);
        entry.common.flags =
            static_cast<std::uint8_t>(admin_desc::Phase::set(entry.common.flags, ring_phase(aq_tail_, kAqDepth)));
    }
    std::memcpy(slot, &entry, sizeof(entry));
    ++aq_tail_;
    write(reg::kAqDoorbell, aq_tail_);
    // Take every completion the device wrote; the last one answers this command.
    std::optional<AdminCompletion> last;
    auto* ring = reinterpret_cast<AdminCompletion*>(memory_.at(acq_, std::size_t{kAqDepth} * kAdminEntrySize));
    for (unsigned n = 0; n < kAqDepth; ++n) {
        const AdminCompletion& c = ring[ring_slot(acq_head_, kAqDepth)];
        if (admin_completion::Phase::get(c.common.flags) != ring_phase(acq_head_, kAqDepth))
            break;
        last = c;
        ++acq_head_;
    }
    return last;
}

void BareDriver::drain_aenq() {
    if (aenq_ == 0)
        return;
    auto* ring = reinterpret_cast<const AenqEntry*>(memory_.at(aenq_, std::size_t{kAenqDepth} * kAenqEntrySize));
    bool any = false;
    for (unsigned n = 0; n < kAenqDepth; ++n) {
        if (aenq_desc::Phase::get(ring[ring_slot(aenq_head_, kAenqDepth)].common.flags) != ring_phase(aenq_head_, kAenqDepth))
            break;
        ++aenq_head_;
        any = true;
    }
    if (any)
        write(reg::kAenqHeadDoorbell, static_cast<std::uint16_t>(aenq_head_ + kAenqDepth));
}

std::optional<BareQueue> BareDriver::create_queue(bool rx, bool llq, std::uint16_t depth) {
    BareQueue q;
    q.rx = rx;
    q.llq = llq && !rx && llq_.has_value();
    q.depth = depth;
    const std::uint8_t words = rx ? 4 : 2;
    q.cq_ring = memory_.add(std::size_t{depth} * words * 4);
    CreateCqCommand cq{};
    cq.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kCreateCq);
    cq.cq_caps_2 = static_cast<std::uint8_t>(cq_caps2::EntrySizeWords::make(words));
    cq.cq_depth = depth;
    cq.cq_base.set(q.cq_ring);
    const auto cq_done = admin(cq);
    if (!cq_done || cq_done->common.status != 0)
        return std::nullopt;
    CreateCqResponse cq_response;
    std::memcpy(&cq_response, &*cq_done, sizeof(cq_response));
    q.cq_index = cq_response.cq_index;

    CreateSqCommand sq{};
    sq.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kCreateSq);
    sq.sq_identity = static_cast<std::uint8_t>(
        sq_identity::Direction::make(static_cast<std::uint8_t>(rx ? SqDirection::kRx : SqDirection::kTx)));
    const PlacementPolicy placement = q.llq ? PlacementPolicy::kDevice : PlacementPolicy::kHost;
    sq.sq_caps_2 = static_cast<std::uint8_t>(sq_caps2::Placement::make(static_cast<std::uint8_t>(placement)) |
                                             sq_caps2::Completion::make(static_cast<std::uint8_t>(CompletionPolicy::kDesc)));
    sq.sq_caps_3 = static_cast<std::uint8_t>(sq_caps3::PhysicallyContiguous::kMask);
    sq.cq_index = q.cq_index;
    sq.sq_depth = depth;
    if (!q.llq) {
        q.sq_ring = memory_.add(std::size_t{depth} * (rx ? kRxDescSize : kTxDescSize));
        sq.sq_base.set(q.sq_ring);
    }
    const auto sq_done = admin(sq);
    if (!sq_done || sq_done->common.status != 0)
        return std::nullopt;
    CreateSqResponse sq_response;
    std::memcpy(&sq_response, &*sq_done, sizeof(sq_response));
    q.sq_index = sq_response.sq_index;
    q.doorbell = sq_response.sq_doorbell_offset;
    q.llq_offset = sq_response.llq_descriptors_offset;
    // What the device answers is where the targets write next: it must be inside the BARs.
    if (q.doorbell % 4 != 0 || q.doorbell + 4 > device_->register_bar_size())
        property_failed("CREATE_SQ answered doorbell offset 0x%x outside the %zu-byte BAR0", q.doorbell,
                 device_->register_bar_size());
    if (q.llq && std::size_t{q.llq_offset} + std::size_t{depth} * llq_->entry_size > device_->llq_bar_size())
        property_failed("CREATE_SQ placed %u LLQ entries of %u bytes at 0x%x, outside the %zu-byte BAR2", depth,
                 llq_->entry_size, q.llq_offset, device_->llq_bar_size());
    return q;
}

}  // namespace ena::fuzz::model
