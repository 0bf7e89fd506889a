// Execution of admin commands: validation first (the driver is never trusted), then the
// effect. Status choices:
//   BAD_OPCODE                   unknown opcode
//   UNSUPPORTED_OPCODE           feature or statistics type the device does not implement, or
//                                GET/SET of a feature that has no such direction
//   MALFORMED_REQUEST            the command cannot be a valid one: bad direction/placement
//                                code, entry size, depth 0 or not a power of two, unaligned or
//                                unmappable address, control buffer missing or too short
//   ILLEGAL_PARAMETER            well-formed but not acceptable: over a limit, unknown queue,
//                                option the device did not offer, value out of range
//   RESOURCE_ALLOCATION_FAILURE  no free queue index
//   RESOURCE_BUSY                CQ still used by an SQ, CQ already bound, LLQ reconfigured
//                                while LLQ queues exist
#pragma once

#include "aenq.hpp"
#include "device_core.hpp"

namespace ena::sim::detail {

class AdminCommands {
public:
    static constexpr std::uint32_t kMinMtu = 128;        // what ENA drivers accept
    static constexpr std::uint32_t kRingAlignment = 64;  // every ring base (drivers use cache-line alignment)

    AdminCommands(DeviceCore& core, Aenq& aenq) : core_(core), aenq_(aenq) {}

    // Runs one command and fills the response after the common descriptor.
    hw::AdminStatus execute(const hw::AdminEntry& command, hw::AdminCompletion& response);

    // FeatureId bits of what GET_FEATURE answers (DeviceAttributes::supported_features).
    std::uint32_t supported_features() const;

private:
    // admin_queue_commands.cpp
    hw::AdminStatus create_cq(const hw::CreateCqCommand& cmd, hw::CreateCqResponse& resp);
    hw::AdminStatus destroy_cq(const hw::DestroyCqCommand& cmd);
    hw::AdminStatus create_sq(const hw::CreateSqCommand& cmd, hw::CreateSqResponse& resp);
    hw::AdminStatus destroy_sq(const hw::DestroySqCommand& cmd);
    hw::AdminStatus get_stats(const hw::GetStatsCommand& cmd, hw::GetStatsResponse& resp);

    // admin_features.cpp
    hw::AdminStatus get_feature(const hw::GetFeatureCommand& cmd, hw::GetFeatureResponse& resp);
    hw::AdminStatus set_feature(const hw::SetFeatureCommand& cmd);
    void fill_llq(hw::LlqFeature& llq) const;
    hw::AdminStatus set_llq(const hw::LlqFeature& llq);
    hw::AdminStatus set_host_attributes(const hw::HostAttributes& attr);
    hw::AdminStatus get_hash_function(const hw::ControlBuffer& buf, hw::RssHashFunctionFeature& out);
    hw::AdminStatus set_hash_function(const hw::ControlBuffer& buf, const hw::RssHashFunctionFeature& in);
    hw::AdminStatus get_hash_input(const hw::ControlBuffer& buf, hw::RssHashInputFeature& out);
    hw::AdminStatus set_hash_input(const hw::ControlBuffer& buf, const hw::RssHashInputFeature& in);
    hw::AdminStatus get_indirection(const hw::ControlBuffer& buf, hw::RssIndirectionTableFeature& out);
    hw::AdminStatus set_indirection(const hw::ControlBuffer& buf, const hw::RssIndirectionTableFeature& in);

    // Maps a control buffer of at least `need` bytes; nullptr when absent, short or unmapped.
    std::uint8_t* control_buffer(const hw::ControlBuffer& buf, std::size_t need);

    DeviceCore& core_;
    Aenq& aenq_;
};

}  // namespace ena::sim::detail
