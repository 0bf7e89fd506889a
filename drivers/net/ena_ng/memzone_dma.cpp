#include "memzone_dma.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>

#include "log.hpp"

namespace ena::ng {

namespace {
std::atomic<std::uint32_t> g_memzone_serial{0};
// Delays shorter than this busy-wait; longer ones sleep and give the CPU away.
constexpr unsigned kSleepThresholdUs = 100;
}  // namespace

int memzone_dma_alloc(void*, const char* name, std::size_t size, std::size_t align, int socket, DmaRegion* out) {
    char zone_name[RTE_MEMZONE_NAMESIZE];
    std::snprintf(zone_name, sizeof(zone_name), "ena_ng%u_%s",
                  g_memzone_serial.fetch_add(1, std::memory_order_relaxed), name);
    if (align < RTE_CACHE_LINE_SIZE)
        align = RTE_CACHE_LINE_SIZE;
    align = std::bit_ceil(align);
    rte_errno = 0;
    const rte_memzone* zone = rte_memzone_reserve_aligned(zone_name, size, socket, RTE_MEMZONE_IOVA_CONTIG,
                                                          static_cast<unsigned>(align));
    if (zone == nullptr && socket != SOCKET_ID_ANY)
        zone = rte_memzone_reserve_aligned(zone_name, size, SOCKET_ID_ANY, RTE_MEMZONE_IOVA_CONTIG,
                                           static_cast<unsigned>(align));
    if (zone == nullptr) {
        const int rc = rte_errno != 0 ? -rte_errno : -ENOMEM;
        log(g_log_driver, RTE_LOG_ERR, "cannot reserve %zu bytes of DMA memory for %s: %d", size, name, rc);
        return rc;
    }
    out->va = zone->addr;
    out->iova = zone->iova;
    out->size = size;
    out->handle = zone;
    return 0;
}

void memzone_dma_free(void*, DmaRegion* region) {
    if (region->handle != nullptr)
        rte_memzone_free(static_cast<const rte_memzone*>(region->handle));
    *region = DmaRegion{};
}

std::uint64_t tsc_now_ns(void*) {
    const std::uint64_t cycles = rte_get_tsc_cycles();
    const std::uint64_t hz = rte_get_tsc_hz();
    return cycles / hz * 1'000'000'000ULL + cycles % hz * 1'000'000'000ULL / hz;
}

void tsc_sleep_us(void*, unsigned microseconds) {
    if (microseconds < kSleepThresholdUs)
        rte_delay_us_block(microseconds);
    else
        rte_delay_us_sleep(microseconds);
}

}  // namespace ena::ng
