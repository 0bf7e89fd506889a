#include "dpdk_iova.hpp"

#include <rte_eal.h>
#include <rte_fbarray.h>
#include <rte_memory.h>

#include <array>
#include <cstdint>
#include <shared_mutex>

namespace ena::sim::glue {

namespace {

struct ListRange {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    std::uint64_t page_size = 0;
    rte_memseg_list* list = nullptr;
};

// VA ranges of DPDK's memseg lists. Lists are reserved at EAL init (external memory may add
// more later), so a miss triggers one refresh before the address is declared unmapped.
class MemsegRanges {
public:
    // True when [va, va + len) lies in one memseg list and its first and last pages are backed.
    bool contains(std::uintptr_t va, std::size_t len) {
        {
            std::shared_lock guard(lock_);
            if (const int found = lookup(va, len); found >= 0)
                return found == 1;
        }
        std::unique_lock guard(lock_);
        refresh();
        return lookup(va, len) == 1;
    }

private:
    // 1: mapped; 0: inside a list but a page is not backed; -1: no list holds the range.
    int lookup(std::uintptr_t va, std::size_t len) const {
        const std::uintptr_t last = va + len - 1;
        if (last < va)
            return 0;
        for (unsigned i = 0; i < count_; ++i) {
            const ListRange& r = ranges_[i];
            if (va < r.begin || last >= r.end)
                continue;
            auto* array = &r.list->memseg_arr;
            const auto first_page = static_cast<unsigned>((va - r.begin) / r.page_size);
            const auto last_page = static_cast<unsigned>((last - r.begin) / r.page_size);
            return rte_fbarray_is_used(array, first_page) == 1 && rte_fbarray_is_used(array, last_page) == 1 ? 1 : 0;
        }
        return -1;
    }

    void refresh() {
        count_ = 0;
        rte_memseg_list_walk(
            [](const rte_memseg_list* list, void* arg) -> int {
                auto* self = static_cast<MemsegRanges*>(arg);
                if (self->count_ == self->ranges_.size() || list->base_va == nullptr || list->page_sz == 0)
                    return 0;
                const auto begin = reinterpret_cast<std::uintptr_t>(list->base_va);
                self->ranges_[self->count_++] =
                    ListRange{begin, begin + list->len, list->page_sz, const_cast<rte_memseg_list*>(list)};
                return 0;
            },
            this);
    }

    std::shared_mutex lock_;
    std::array<ListRange, RTE_MAX_MEMSEG_LISTS> ranges_{};
    unsigned count_ = 0;
};

MemsegRanges g_ranges;

void* translate(void*, std::uint64_t iova, std::size_t len) {
    if (len == 0)
        len = 1;
    if (rte_eal_iova_mode() == RTE_IOVA_VA) {
        const auto va = static_cast<std::uintptr_t>(iova);
        return g_ranges.contains(va, len) ? reinterpret_cast<void*>(va) : nullptr;
    }
    // IOVA-as-PA: the range must be IOVA-contiguous where it is VA-contiguous.
    void* va = rte_mem_iova2virt(iova);
    if (va == nullptr)
        return nullptr;
    if (len > 1 && rte_mem_virt2iova(static_cast<std::uint8_t*>(va) + len - 1) != iova + len - 1)
        return nullptr;
    return va;
}

}  // namespace

IovaTranslator dpdk_iova_translator() { return IovaTranslator{translate, nullptr}; }

}  // namespace ena::sim::glue
