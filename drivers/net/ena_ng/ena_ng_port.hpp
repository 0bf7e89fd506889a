// What other components use of the driver: creating a port over given device resources (the
// simulated device's vdev glue does this; PCI probe goes the same way), destroying it, and
// finding a port's driver state (tools and tests).
#pragma once

#include <cstdint>
#include <span>

#include "control/device_resources.hpp"

struct rte_device;

namespace ena::ng {

class Port;

// Creates ethdev port `name` for `device`, brings the ENA device behind `resources` up and
// finishes probing. `devargs` is the device's whole argument string: the driver's keys are
// parsed (a bad one fails with a message naming it), keys in `foreign_keys` are skipped.
// Returns 0 and sets *port_id, or -errno with nothing left behind.
[[gnu::visibility("default")]] int create_port(rte_device* device, const char* name, const DeviceResources& resources,
                                               const char* devargs, std::span<const char* const> foreign_keys,
                                               std::uint16_t* port_id);

// Stops, closes and releases the port `name` if it still exists (the application may have
// closed it already). Returns 0 or -errno.
[[gnu::visibility("default")]] int destroy_port(const char* name);

// The devarg keys the driver accepts (a device with its own keys passes them as foreign_keys).
[[gnu::visibility("default")]] std::span<const char* const> driver_arg_keys();

// The driver state of `port_id`, or nullptr when that port is not an ena_ng port.
[[gnu::visibility("default")]] Port* find_port(std::uint16_t port_id);

}  // namespace ena::ng
