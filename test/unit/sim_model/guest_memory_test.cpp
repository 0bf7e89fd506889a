// IovaCache: the device's memory of the last run it mapped in. A map inside that run needs no
// call to the translator; anything else -- below it, above it, across its end, after the
// translator's generation moved -- is asked again and gets the translator's answer.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "guest_memory.hpp"

namespace ena::sim::test {
namespace {

using detail::GuestMemory;
using detail::IovaCache;

// Two runs of host memory whose IOVAs are not their addresses (as under IOVA-as-PA).
struct TwoRuns {
    static constexpr std::uint64_t kIovaA = 0x10000, kIovaB = 0x20000, kSize = 4096;
    alignas(64) std::array<std::uint8_t, kSize> a{}, b{}, c{};
    std::uint8_t* a_now = a.data();  // where run A is (moves to c)
    std::atomic<std::uint64_t> generation{2};
    unsigned translations = 0;

    IovaTranslator translator() {
        IovaTranslator t;
        t.ctx = this;
        t.translate = [](void* ctx, std::uint64_t iova, std::size_t len) -> void* {
            auto* self = static_cast<TwoRuns*>(ctx);
            ++self->translations;
            IovaRun run;
            if (!self->find(iova, run) || len > run.end - iova)
                return nullptr;
            return reinterpret_cast<void*>(run.va + (iova - run.iova));
        };
        t.lookup_run = [](void* ctx, std::uint64_t iova, IovaRun* run) {
            return static_cast<TwoRuns*>(ctx)->find(iova, *run);
        };
        t.generation = &generation;
        return t;
    }
    bool find(std::uint64_t iova, IovaRun& run) const {
        for (auto [base, va] : {std::pair{kIovaA, a_now}, std::pair{kIovaB, const_cast<std::uint8_t*>(b.data())}})
            if (iova >= base && iova < base + kSize) {
                run = IovaRun{base, base + kSize, reinterpret_cast<std::uintptr_t>(va), generation.load()};
                return true;
            }
        return false;
    }
};

TEST(IovaCache, MapsInsideTheRunItRemembersAndAsksForEverythingElse) {
    TwoRuns runs;
    const GuestMemory memory(runs.translator(), 48);
    IovaCache cache;
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + 16, 64), runs.a.data() + 16);
    const unsigned asked = runs.translations;
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + 1000, 1500), runs.a.data() + 1000);
    EXPECT_EQ(runs.translations, asked) << "inside the remembered run: no call";
    // Above the remembered run, in the other one: its own address, not an extrapolation.
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaB + 16, 64), runs.b.data() + 16);
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + 16, 64), runs.a.data() + 16);
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA - 64, 32), nullptr) << "below it";
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + TwoRuns::kSize - 8, 16), nullptr) << "across its end";
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + TwoRuns::kSize + 8, 16), nullptr) << "past its end";
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA, 0), nullptr) << "nothing";
    // The memory moved: a new generation, and the cache follows it.
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + 16, 64), runs.a.data() + 16);
    runs.a_now = runs.c.data();
    runs.generation += 2;
    EXPECT_EQ(cache.map(memory, TwoRuns::kIovaA + 16, 64), runs.c.data() + 16);
}

// An address beyond the device's DMA width is never mapped, whatever the translator says.
TEST(IovaCache, TheDmaWidthBoundsTheRememberedRun) {
    TwoRuns runs;
    const GuestMemory narrow(runs.translator(), 32);
    IovaCache cache;
    EXPECT_EQ(cache.map(narrow, TwoRuns::kIovaB, 16), runs.b.data());
    EXPECT_EQ(cache.map(narrow, std::uint64_t{1} << 33, 16), nullptr);
}

}  // namespace
}  // namespace ena::sim::test
