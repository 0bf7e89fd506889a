// The simulated device's view of host memory: DPDK memory translates, anything else does not.
#include <gtest/gtest.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <sys/mman.h>

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

// Memory DPDK gains after the device was built (an external heap here, which under --no-huge
// brings no hotplug event) translates once it is there, and not after it is gone.
TEST(Iova, MemoryAddedLaterTranslates) {
    (void)translate(0, 1);  // the table is built
    constexpr std::size_t kPage = 4096, kPages = 4;
    void* area = mmap(nullptr, kPage * kPages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(area, MAP_FAILED);
    // Pages in reverse IOVA order: under IOVA-as-PA each is its own run.
    std::vector<rte_iova_t> iovas;
    for (std::size_t i = 0; i < kPages; ++i)
        iovas.push_back(0x7f0000000000ull + (kPages - 1 - i) * kPage);
    ASSERT_EQ(rte_malloc_heap_create("iova_test_ext"), 0);
    const std::uint32_t runs_before = sim::glue::dpdk_iova_table_runs();
    ASSERT_EQ(rte_malloc_heap_memory_add("iova_test_ext", area, kPage * kPages, iovas.data(), kPages, kPage), 0);
    const int socket = rte_malloc_heap_get_socket("iova_test_ext");
    void* buffer = rte_malloc_socket("iova_test_ext", 512, 64, socket);
    ASSERT_NE(buffer, nullptr);
    const rte_iova_t iova = rte_malloc_virt2iova(buffer);
    ASSERT_NE(iova, RTE_BAD_IOVA);
    EXPECT_EQ(translate(iova, 512), buffer);
    EXPECT_GT(sim::glue::dpdk_iova_table_runs(), runs_before);
    rte_free(buffer);
    ASSERT_EQ(rte_malloc_heap_memory_remove("iova_test_ext", area, kPage * kPages), 0);
    ASSERT_EQ(rte_malloc_heap_destroy("iova_test_ext"), 0);
    EXPECT_EQ(translate(iova, 512), nullptr);
    munmap(area, kPage * kPages);
}

}  // namespace
}  // namespace ena::test
