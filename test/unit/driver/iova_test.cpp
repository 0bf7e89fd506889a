// The simulated device's view of host memory: DPDK memory translates, anything else does not.
#include <gtest/gtest.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include <vector>

#include "dpdk_iova.hpp"

namespace ena::test {
namespace {

void* translate(std::uint64_t iova, std::size_t len) {
    const sim::IovaTranslator translator = sim::glue::dpdk_iova_translator();
    return translator.translate(translator.ctx, iova, len);
}

TEST(Iova, DpdkMemoryTranslatesToItsAddress) {
    const rte_memzone* zone = rte_memzone_reserve_aligned("iova_test", 8192, SOCKET_ID_ANY, RTE_MEMZONE_IOVA_CONTIG, 4096);
    ASSERT_NE(zone, nullptr);
    EXPECT_EQ(translate(zone->iova, zone->len), zone->addr);
    EXPECT_EQ(translate(zone->iova + 100, 8), static_cast<std::uint8_t*>(zone->addr) + 100);
    void* buffer = rte_malloc("iova_test", 256, 64);
    ASSERT_NE(buffer, nullptr);
    EXPECT_EQ(translate(rte_malloc_virt2iova(buffer), 256), buffer);
    rte_free(buffer);
    rte_memzone_free(zone);
}

TEST(Iova, OtherAddressesAreUnmapped) {
    std::vector<std::uint8_t> heap(4096);
    int on_stack = 0;
    EXPECT_EQ(translate(0, 64), nullptr);
    EXPECT_EQ(translate(0x1000, 64), nullptr);
    EXPECT_EQ(translate(reinterpret_cast<std::uintptr_t>(heap.data()), heap.size()), nullptr);
    EXPECT_EQ(translate(reinterpret_cast<std::uintptr_t>(&on_stack), sizeof(on_stack)), nullptr);
    EXPECT_EQ(translate(~std::uint64_t{0} - 8, 64), nullptr);  // wraps around
}

}  // namespace
}  // namespace ena::test
