// The simulated device's IOMMU: turns a guest (DPDK) IOVA range into a pointer, or nullptr when
// any part of it is not DPDK memory, so a bad address from the driver is a device error rather
// than a crash.
#pragma once

#include <cstdint>

#include "ena_sim_device.hpp"

namespace ena::sim::glue {

// Translation over a table of DPDK's memory segments, the same few loads per access in
// IOVA-as-VA and IOVA-as-PA mode, kept current on memory hotplug (see dpdk_iova.cpp). Call
// after rte_eal_init (the first call builds the table).
IovaTranslator dpdk_iova_translator();
// Runs of VA- and IOVA-contiguous memory the table holds now (for tests).
std::uint32_t dpdk_iova_table_runs();

}  // namespace ena::sim::glue
