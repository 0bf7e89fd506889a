// What tests and tools use of the simulated device's vdev glue: the device model behind a port,
// to advance its virtual clock, flip its link, inject faults and inspect its queues.
#pragma once

#include <cstdint>

#include "ena_sim_device.hpp"

namespace ena::sim {

// The simulated device behind ethdev port `port_id`, or nullptr when it is not a net_ena_sim
// port. Valid until the vdev is removed.
[[gnu::visibility("default")]] Device* find_device(std::uint16_t port_id);
// Same, by vdev name ("net_ena_sim0"); works after the port was closed, until the vdev is removed.
[[gnu::visibility("default")]] Device* find_device(const char* vdev_name);

}  // namespace ena::sim
