#include "admin_queue.hpp"

#include <cstring>

namespace ena::sim::detail {

using namespace hw;

namespace {

// Ring geometry from a *_CAPS register and base registers; nullptr when unusable.
std::uint8_t* map_ring(DeviceCore& core, std::uint32_t caps_reg, std::uint32_t low, std::uint32_t high,
                       std::uint32_t& depth) {
    const std::uint32_t caps = core.registers.load(caps_reg);
    depth = queue_caps::Depth::get(caps);
    if (!valid_ring_depth(depth) || queue_caps::EntrySize::get(caps) != kAdminEntrySize)
        return nullptr;
    const std::uint64_t base = core.registers.load_address(low, high);
    if (base % AdminCommands::kRingAlignment != 0)
        return nullptr;
    return core.memory.map(base, std::size_t{depth} * kAdminEntrySize);
}

}  // namespace

bool AdminQueue::service() {
    const std::uint16_t tail = static_cast<std::uint16_t>(core_.registers.load(reg::kAqDoorbell));
    if (tail == head_)
        return false;
    std::uint32_t aq_depth = 0, acq_depth = 0;
    std::uint8_t* aq = map_ring(core_, reg::kAqCaps, reg::kAqBaseLow, reg::kAqBaseHigh, aq_depth);
    std::uint8_t* acq = map_ring(core_, reg::kAcqCaps, reg::kAcqBaseLow, reg::kAcqBaseHigh, acq_depth);
    if (aq == nullptr || acq == nullptr) {
        // A doorbell on an admin queue that is not set up: nothing can be read or answered.
        ++core_.stats.dma_errors;
        head_ = tail;
        return true;
    }
    while (head_ != tail) {
        const std::uint32_t slot = ring_slot(head_, aq_depth);
        const std::uint32_t phase = ring_phase(head_, aq_depth);
        AdminEntry entry;
        std::memcpy(&entry, aq + std::size_t{slot} * kAdminEntrySize, sizeof(entry));
        ++head_;
        ++core_.stats.admin_commands;
        if (core_.faults.fire(Fault::kAdminNoCompletion)) {
            ++core_.stats.admin_commands_unanswered;
            continue;
        }
        AdminCompletion completion{};
        AdminStatus status = AdminStatus::kMalformedRequest;  // an entry with a stale phase bit
        if (admin_desc::Phase::get(entry.common.flags) == phase)
            status = commands_.execute(entry, completion);
        if (status != AdminStatus::kSuccess)
            ++core_.stats.admin_errors;
        completion.common.command_id = admin_completion::CommandId::get(entry.common.command_id);
        completion.common.status = static_cast<std::uint8_t>(status);
        completion.common.extended_status = 0;
        completion.common.sq_head_index = head_;
        complete(acq, acq_depth, completion);
    }
    return true;
}

void AdminQueue::complete(std::uint8_t* acq, std::uint32_t acq_depth, const AdminCompletion& completion) {
    auto* dst = acq + std::size_t{ring_slot(completions_, acq_depth)} * kAdminEntrySize;
    constexpr std::size_t kFlags = offsetof(AdminCompletionCommon, flags);
    const auto* src = reinterpret_cast<const std::uint8_t*>(&completion);
    // Everything but the flags byte, then the flags byte (phase) with release.
    std::memcpy(dst, src, kFlags);
    std::memcpy(dst + kFlags + 1, src + kFlags + 1, kAdminEntrySize - kFlags - 1);
    store_release(dst + kFlags, static_cast<std::uint8_t>(admin_completion::Phase::make(ring_phase(completions_, acq_depth))));
    ++completions_;
    core_.registers.store(reg::kAcqTail, completions_ & 0xFFFF);
    if (core_.admin_interrupts_unmasked())
        core_.irq_process.raise(0);
}

namespace {

// Admin entries and completions are unions in hardware: copy out the typed view (no aliasing).
template <typename Command>
Command command_as(const AdminEntry& entry) {
    static_assert(sizeof(Command) <= sizeof(AdminEntry));
    Command c;
    std::memcpy(&c, &entry, sizeof(c));
    return c;
}

template <typename Response>
void respond(AdminCompletion& out, const Response& r) {
    static_assert(sizeof(Response) <= sizeof(AdminCompletion));
    std::memcpy(&out, &r, sizeof(r));
}

}  // namespace

hw::AdminStatus AdminCommands::execute(const AdminEntry& command, AdminCompletion& response) {
    AdminStatus status = AdminStatus::kBadOpcode;
    switch (static_cast<AdminOpcode>(command.common.opcode)) {
    case AdminOpcode::kCreateCq: {
        CreateCqResponse r{};
        status = create_cq(command_as<CreateCqCommand>(command), r);
        respond(response, r);
        break;
    }
    case AdminOpcode::kDestroyCq:
        status = destroy_cq(command_as<DestroyCqCommand>(command));
        break;
    case AdminOpcode::kCreateSq: {
        CreateSqResponse r{};
        status = create_sq(command_as<CreateSqCommand>(command), r);
        respond(response, r);
        break;
    }
    case AdminOpcode::kDestroySq:
        status = destroy_sq(command_as<DestroySqCommand>(command));
        break;
    case AdminOpcode::kGetFeature: {
        GetFeatureResponse r{};
        status = get_feature(command_as<GetFeatureCommand>(command), r);
        respond(response, r);
        break;
    }
    case AdminOpcode::kSetFeature:
        status = set_feature(command_as<SetFeatureCommand>(command));
        break;
    case AdminOpcode::kGetStats: {
        GetStatsResponse r{};
        status = get_stats(command_as<GetStatsCommand>(command), r);
        respond(response, r);
        break;
    }
    }
    return status;
}

std::uint8_t* AdminCommands::control_buffer(const ControlBuffer& buf, std::size_t need) {
    if (buf.length < need || need == 0)
        return nullptr;
    std::uint8_t* p = core_.memory.map(buf.address.get(), need);
    if (p == nullptr)
        ++core_.stats.dma_errors;
    return p;
}

}  // namespace ena::sim::detail
