// DeviceResources building blocks for DPDK hosts: DMA memory from IOVA-contiguous memzones and
// the TSC clock. PCI probe uses them; so does the simulated device's vdev glue.
#pragma once

#include <cstddef>
#include <cstdint>

#include "control/device_resources.hpp"

namespace ena::ng {

// DeviceResources::dma_alloc / dma_free over rte_memzone (ctx unused). Memzone names are made
// unique with a process-wide counter; `name` says what the memory is for.
[[gnu::visibility("default")]] int memzone_dma_alloc(void* ctx, const char* name, std::size_t size,
                                                     std::size_t align, int socket, DmaRegion* out);
[[gnu::visibility("default")]] void memzone_dma_free(void* ctx, DmaRegion* region);

// DeviceResources::now_ns / sleep_us in real time (ctx unused).
[[gnu::visibility("default")]] std::uint64_t tsc_now_ns(void* ctx);
[[gnu::visibility("default")]] void tsc_sleep_us(void* ctx, unsigned microseconds);

}  // namespace ena::ng
