// The simulated device's IOMMU: turns a guest (DPDK) IOVA range into a pointer, or nullptr when
// any part of it is not DPDK memory, so a bad address from the driver is a device error rather
// than a crash.
#pragma once

#include "ena_sim_device.hpp"

namespace ena::sim::glue {

// Translation over DPDK's memory: IOVA-as-VA checks the range against the memseg lists (their
// VA ranges cached, refreshed when an address misses); IOVA-as-PA asks rte_mem_iova2virt.
IovaTranslator dpdk_iova_translator();

}  // namespace ena::sim::glue
