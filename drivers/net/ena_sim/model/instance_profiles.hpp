// EC2 instance types the simulated device can play (devarg instance=<type>): the ENA queue
// limits of the EC2 user guide's "ENA queues" tables where it has the type, the Nitro
// generation's LLQ offer, and realistic allowances.
//
// Which numbers are published and which are modelled (doc/guides/nics/ena_ng.rst says the
// same to users):
//   queues        published in the guide's "ENA queues" tables (queues_published), else
//                 modelled on the type's size;
//   bandwidth     the type's network bandwidth as AWS's instance-type pages list it; for
//                 "up to" types the baseline (the network I/O credit burst is not modelled);
//   pps, conntrack  modelled: AWS publishes neither;
//   LLQ           wide LLQ from Nitro v4 on (the guide), max_wide_llq_depth 1024 from Nitro v5
//                 on (drivers halve the normal depth when it is 0, as on Nitro v4); the Nitro
//                 generation of each type is the simulator's reading of AWS's pages.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "ena_sim_device.hpp"

namespace ena::sim {

struct InstanceProfile {
    std::string_view name;
    std::uint16_t default_queues;  // per interface: what the device offers
    std::uint16_t max_queues;      // per interface: the most queues= may ask for
    bool queues_published;         // the guide's ENA queue tables have this type
    std::uint8_t nitro_version;
    std::uint32_t bandwidth_mbps;  // each direction
    std::uint64_t pps;
    std::uint32_t conntrack_max;
};

inline constexpr std::array<InstanceProfile, 7> kInstanceProfiles = {{
    {"m5.large", 2, 2, false, 2, 750, 500'000, 130'000},
    {"m6i.large", 2, 2, true, 4, 781, 600'000, 130'000},
    {"m6i.32xlarge", 8, 32, true, 4, 50'000, 8'000'000, 2'000'000},
    {"c5n.18xlarge", 32, 32, false, 3, 100'000, 14'000'000, 2'000'000},
    {"c6in.32xlarge", 32, 32, true, 4, 200'000, 30'000'000, 2'000'000},
    {"c7gn.16xlarge", 32, 32, false, 5, 200'000, 30'000'000, 2'000'000},
    {"c8gn.48xlarge", 32, 128, true, 6, 600'000, 60'000'000, 4'000'000},
}};

// The profile called `name`, or nullptr.
constexpr const InstanceProfile* find_instance_profile(std::string_view name) {
    for (const InstanceProfile& p : kInstanceProfiles)
        if (p.name == name)
            return &p;
    return nullptr;
}

// Sets what the profile decides in `config`: queues, LLQ offer and depths, link speed, and the
// PPS, bandwidth and conntrack allowances (individual settings applied after override it).
[[gnu::visibility("default")]] void apply_instance_profile(const InstanceProfile& profile, DeviceConfig& config);

}  // namespace ena::sim
