// What other components use of the driver: creating a port over given device resources (the
// simulated device's vdev glue does this; PCI probe goes the same way), destroying it, and
// finding a port's driver state (tools and tests).
#pragma once

#include <cstdint>
#include <span>

#include "control/device_resources.hpp"
#include "devargs.hpp"

struct rte_device;
struct rte_eth_dev;

namespace ena::ng {

class Port;

// What a device's glue (PCI probe, the simulated device's vdev probe) hands over to make a port.
struct PortRequest {
    rte_device* device = nullptr;
    const char* name = "";  // ethdev port name
    DeviceResources resources;
    // The device's whole argument string: the driver's keys are parsed (a bad one fails the
    // request with a message naming it); keys in foreign_keys belong to the caller.
    const char* devargs = nullptr;
    std::span<const DevargSpec> foreign_keys;
    // Bus-specific ethdev fields, filled right after the port is allocated (PCI: the
    // interrupt handle and flags rte_eth_copy_pci_info copies). Optional.
    void (*fill_ethdev)(rte_eth_dev* eth_dev, void* ctx) = nullptr;
    void* fill_ctx = nullptr;
};

// Creates the ethdev port, brings the ENA device behind the resources up and finishes
// probing. Returns 0 and sets *port_id, or -errno with nothing left behind. The one way every
// bus makes a port.
[[gnu::visibility("default")]] int create_port(const PortRequest& request, std::uint16_t* port_id);

// Stops, closes and releases the port `name` if it still exists (the application may have
// closed it already). Returns 0 or -errno.
[[gnu::visibility("default")]] int destroy_port(const char* name);

// The driver state of `port_id`, or nullptr when that port is not an ena_ng port.
Port* find_port(std::uint16_t port_id);

}  // namespace ena::ng
