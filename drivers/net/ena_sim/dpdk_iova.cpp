// The simulated device's IOMMU over DPDK's memory.
//
// A table of DPDK's memory, runs of pages contiguous in both VA and IOVA sorted by IOVA, answers
// every DMA access with a lookup of a few loads: the same cost whether EAL runs IOVA-as-VA or
// IOVA-as-PA (rte_mem_iova2virt walks every memseg under a lock, and with hugepages as root --
// where EAL picks IOVA-as-PA -- cost the device more than the packet did).
//
// Readers take no lock: a sequence counter, odd while the table is rewritten, tells a reader
// that it read a table in the middle of a change, and it reads again. The table lives in static
// storage, so nothing a reader holds is ever freed. It is rebuilt
//   - when memory is hotplugged: DPDK calls rte_mem_event_callback_register's callback after
//     pages come and before they go (the pages going away are left out);
//   - when an address misses and the memseg lists changed since the last build (memory that
//     brought no event: with legacy memory or --no-huge DPDK announces none; the lists are
//     compared first, so a stream of bad addresses from a broken driver costs a walk of the list
//     headers each, not a rebuild). External memory can then also go without a word, so a hit
//     in it is confirmed against the memseg lists.
#include "dpdk_iova.hpp"

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_fbarray.h>
#include <rte_memory.h>
#include <rte_pause.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

// [iova, iova + length) is DPDK memory at va.
struct RunValue {
    std::uint64_t iova;
    std::uint64_t end;  // iova + length
    std::uintptr_t va;
    bool recheck = false;  // see Run::recheck
};

// What a memseg list looked like at the last build: a change means the table may be stale.
struct ListShape {
    std::uintptr_t base = 0;
    std::size_t len = 0;
    unsigned used = 0;
    bool operator==(const ListShape&) const = default;
};

class IovaTable {
public:
    // Runs kept; memory more fragmented than this falls back to DPDK's own lookup.
    static constexpr std::uint32_t kMaxRuns = 1u << 16;

    void* translate(std::uint64_t iova, std::size_t len) {
        if (len == 0)
            len = 1;
        const std::uint64_t last = iova + len - 1;
        if (last < iova)
            return nullptr;
        if (const Hit hit = lookup(iova, last); hit.va != nullptr && !(hit.recheck && gone(hit.va)))
            return hit.va;
        // A miss: memory DPDK announced no event for, or an address that is not DPDK's.
        if (!refresh_if_changed())
            return overflowed_.load(std::memory_order_relaxed) ? dpdk_lookup(iova, len) : nullptr;
        return lookup(iova, last).va;
    }

    // Memory hotplug (the memory subsystem is write-locked by our caller).
    void on_event(rte_mem_event event, const void* addr, std::size_t len) {
        std::lock_guard guard(writer_);
        const auto begin = reinterpret_cast<std::uintptr_t>(addr);
        rebuild(event == RTE_MEM_EVENT_FREE ? begin : 0, event == RTE_MEM_EVENT_FREE ? begin + len : 0);
    }

    // First build (from the glue, at probe); `announced`: DPDK calls on_event.
    void build(bool announced) {
        events_ = announced;
        rte_mcfg_mem_read_lock();
        {
            std::lock_guard guard(writer_);
            rebuild(0, 0);
        }
        rte_mcfg_mem_read_unlock();
    }

    std::uint32_t runs() const { return count_.load(std::memory_order_relaxed); }

    // The run holding `iova` and the table's generation it belongs to; false when none, or
    // when its hits must be confirmed each time (recheck).
    bool lookup_run(std::uint64_t iova, IovaRun& out) {
        while (true) {
            const std::uint64_t before = seq_.load(std::memory_order_acquire);
            if (before & 1u) {
                rte_pause();
                continue;
            }
            const std::uint32_t n = std::min(count_.load(std::memory_order_relaxed), kMaxRuns);
            const std::uint32_t at = search(n, iova, iova);
            bool found = false;
            if (at < n && !runs_[at].recheck.load(std::memory_order_relaxed)) {
                out.iova = runs_[at].iova.load(std::memory_order_relaxed);
                out.end = runs_[at].end.load(std::memory_order_relaxed);
                out.va = static_cast<std::uintptr_t>(runs_[at].va.load(std::memory_order_relaxed));
                out.generation = before;
                found = true;
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq_.load(std::memory_order_relaxed) == before)
                return found;
        }
    }
    const std::atomic<std::uint64_t>* generation() const { return &seq_; }

private:
    struct Run {
        std::atomic<std::uint64_t> iova{0}, end{0}, va{0};
        // External memory where DPDK announces no hotplug events (legacy memory, --no-huge): it
        // can be removed without a word, so a hit is confirmed against the memseg lists.
        std::atomic<bool> recheck{false};
    };

    struct Hit {
        void* va = nullptr;
        bool recheck = false;  // in a recheck run
    };

    // Whether a hit lies in memory removed since the build.
    static bool gone(void* va) { return rte_mem_virt2memseg_list(va) == nullptr; }

    Hit lookup(std::uint64_t iova, std::uint64_t last) {
        while (true) {
            const std::uint64_t before = seq_.load(std::memory_order_acquire);
            if (before & 1u) {
                rte_pause();
                continue;
            }
            const std::uint32_t n = std::min(count_.load(std::memory_order_relaxed), kMaxRuns);
            std::uint32_t at = hint_.load(std::memory_order_relaxed);
            if (at >= n || !holds(at, iova, last))
                at = search(n, iova, last);
            Hit result;
            if (at < n)
                result = Hit{reinterpret_cast<void*>(runs_[at].va.load(std::memory_order_relaxed) +
                                                     (iova - runs_[at].iova.load(std::memory_order_relaxed))),
                             runs_[at].recheck.load(std::memory_order_relaxed)};
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq_.load(std::memory_order_relaxed) != before)
                continue;  // the table changed while we read it
            if (result.va != nullptr && hint_.load(std::memory_order_relaxed) != at)
                hint_.store(at, std::memory_order_relaxed);
            return result;
        }
    }

    bool holds(std::uint32_t at, std::uint64_t iova, std::uint64_t last) const {
        return runs_[at].iova.load(std::memory_order_relaxed) <= iova && last < runs_[at].end.load(std::memory_order_relaxed);
    }

    // The run holding [iova, last], or n.
    std::uint32_t search(std::uint32_t n, std::uint64_t iova, std::uint64_t last) const {
        std::uint32_t lo = 0, hi = n;  // first run starting after iova
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            if (runs_[mid].iova.load(std::memory_order_relaxed) <= iova)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo > 0 && holds(lo - 1, iova, last) ? lo - 1 : n;
    }

    // The memseg lists now (memory lock held).
    static std::vector<ListShape> shapes() {
        std::vector<ListShape> out;
        rte_memseg_list_walk_thread_unsafe(
            [](const rte_memseg_list* list, void* arg) -> int {
                static_cast<std::vector<ListShape>*>(arg)->push_back(
                    ListShape{reinterpret_cast<std::uintptr_t>(list->base_va), list->len, list->memseg_arr.count});
                return 0;
            },
            &out);
        return out;
    }

    bool refresh_if_changed() {
        rte_mcfg_mem_read_lock();
        bool rebuilt = false;
        {
            std::lock_guard guard(writer_);
            if (shapes() != shapes_) {
                rebuild(0, 0);
                rebuilt = true;
            }
        }
        rte_mcfg_mem_read_unlock();
        return rebuilt;
    }

    // Writer: memory lock and writer_ held. Pages in [gone_begin, gone_end) are about to be
    // freed and are left out.
    void rebuild(std::uintptr_t gone_begin, std::uintptr_t gone_end) {
        struct Walk {
            std::vector<RunValue> runs;
            bool va_mode;
            bool announced;
        } walk{{}, rte_eal_iova_mode() == RTE_IOVA_VA, events_};
        rte_memseg_list_walk_thread_unsafe(
            [](const rte_memseg_list* list, void* arg) -> int {
                auto& w = *static_cast<Walk*>(arg);
                if (list->base_va == nullptr || list->page_sz == 0)
                    return 0;
                auto* array = const_cast<rte_fbarray*>(&list->memseg_arr);
                const auto base = reinterpret_cast<std::uintptr_t>(list->base_va);
                for (int i = rte_fbarray_find_next_used(array, 0); i >= 0;) {
                    const int n = rte_fbarray_find_contig_used(array, static_cast<unsigned>(i));
                    if (n <= 0)
                        break;
                    if (w.va_mode && !list->external) {
                        // IOVA-as-VA: DPDK's IOVA of its own memory is its address (external
                        // memory keeps the IOVAs it was added with, as rte_malloc_virt2iova says).
                        const std::uintptr_t va = base + static_cast<std::uintptr_t>(i) * list->page_sz;
                        w.runs.push_back(RunValue{va, va + static_cast<std::uint64_t>(n) * list->page_sz, va});
                    } else {
                        const bool recheck = list->external && !w.announced;
                        for (int j = i; j < i + n; ++j) {
                            const auto* seg = static_cast<const rte_memseg*>(rte_fbarray_get(array, static_cast<unsigned>(j)));
                            if (seg == nullptr || seg->iova == RTE_BAD_IOVA || seg->len == 0)
                                continue;
                            const auto va = reinterpret_cast<std::uintptr_t>(seg->addr);
                            w.runs.push_back(RunValue{seg->iova, seg->iova + seg->len, va, recheck});
                        }
                    }
                    const int next = i + n;
                    i = next < static_cast<int>(array->len) ? rte_fbarray_find_next_used(array, static_cast<unsigned>(next)) : -1;
                }
                return 0;
            },
            &walk);

        std::vector<RunValue>& runs = walk.runs;
        if (gone_end > gone_begin) {
            std::vector<RunValue> kept;
            for (const RunValue& r : runs) {
                const std::uintptr_t va_end = r.va + (r.end - r.iova);
                if (va_end <= gone_begin || r.va >= gone_end) {
                    kept.push_back(r);
                    continue;
                }
                if (r.va < gone_begin)
                    kept.push_back(RunValue{r.iova, r.iova + (gone_begin - r.va), r.va, r.recheck});
                if (va_end > gone_end)
                    kept.push_back(RunValue{r.iova + (gone_end - r.va), r.end, gone_end, r.recheck});
            }
            runs.swap(kept);
        }
        std::sort(runs.begin(), runs.end(), [](const RunValue& a, const RunValue& b) { return a.iova < b.iova; });
        // Pages contiguous in both address spaces make one run.
        std::vector<RunValue> merged;
        for (const RunValue& r : runs) {
            if (!merged.empty() && merged.back().end == r.iova &&
                merged.back().va + (merged.back().end - merged.back().iova) == r.va && merged.back().recheck == r.recheck)
                merged.back().end = r.end;
            else
                merged.push_back(r);
        }
        const bool overflow = merged.size() > kMaxRuns;
        if (overflow && !overflowed_.load(std::memory_order_relaxed))
            sim_log(RTE_LOG_WARNING, "DPDK memory is in %zu pieces, more than the simulated device's IOVA table "
                    "holds (%u): the rest is looked up through DPDK, slowly", merged.size(), kMaxRuns);
        const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(merged.size(), kMaxRuns));

        seq_.fetch_add(1, std::memory_order_relaxed);  // odd: readers wait
        std::atomic_thread_fence(std::memory_order_release);
        for (std::uint32_t i = 0; i < n; ++i) {
            runs_[i].iova.store(merged[i].iova, std::memory_order_relaxed);
            runs_[i].end.store(merged[i].end, std::memory_order_relaxed);
            runs_[i].va.store(merged[i].va, std::memory_order_relaxed);
            runs_[i].recheck.store(merged[i].recheck, std::memory_order_relaxed);
        }
        count_.store(n, std::memory_order_relaxed);
        overflowed_.store(overflow, std::memory_order_relaxed);
        seq_.fetch_add(1, std::memory_order_release);  // even again: the table is whole
        shapes_ = shapes();
    }

    // What DPDK answers itself (only when the table cannot hold all of the memory): the range
    // must be as contiguous in VA as it is in IOVA.
    static void* dpdk_lookup(std::uint64_t iova, std::size_t len) {
        auto* va = static_cast<std::uint8_t*>(rte_mem_iova2virt(iova));
        if (va == nullptr || (len > 1 && rte_mem_iova2virt(iova + len - 1) != va + len - 1))
            return nullptr;
        return va;
    }

    std::atomic<std::uint64_t> seq_{0};
    std::atomic<std::uint32_t> count_{0};
    std::atomic<std::uint32_t> hint_{0};  // the run the last hit was in
    std::atomic<bool> overflowed_{false};
    bool events_ = false;               // DPDK announces hotplug to us (set before the first build)
    std::array<Run, kMaxRuns> runs_{};  // static storage: never freed under a reader
    std::mutex writer_;                 // taken after the memory lock, never before it
    std::vector<ListShape> shapes_;     // writer_
};

IovaTable g_table;
std::once_flag g_setup;

void on_mem_event(rte_mem_event event, const void* addr, std::size_t len, void*) { g_table.on_event(event, addr, len); }

void* translate(void*, std::uint64_t iova, std::size_t len) { return g_table.translate(iova, len); }
bool lookup_run(void*, std::uint64_t iova, IovaRun* run) { return g_table.lookup_run(iova, *run); }

}  // namespace

IovaTranslator dpdk_iova_translator() {
    std::call_once(g_setup, [] {
        // Not supported with --legacy-mem / --no-huge, whose own memory never changes; external
        // memory is then found when first addressed and its runs are rechecked at each access.
        const bool announced = rte_mem_event_callback_register("ena_sim_iova", on_mem_event, nullptr) == 0;
        if (!announced && rte_errno != ENOTSUP)
            sim_log(RTE_LOG_WARNING, "cannot follow DPDK memory hotplug (%d): memory added later is found when "
                    "first addressed", rte_errno);
        g_table.build(announced);
    });
    return IovaTranslator{translate, nullptr, lookup_run, g_table.generation()};
}

std::uint32_t dpdk_iova_table_runs() { return g_table.runs(); }

}  // namespace ena::sim::glue
