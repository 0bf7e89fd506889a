// Writes LLQ entries whole.
//
// On EC2 the LLQ memory (BAR2) is write-combined: a 64-byte line the CPU fills completely leaves
// as one PCIe write, a line with a hole as several partial writes. So every byte of every entry
// is written -- descriptor slots a packet does not use and header bytes past its pushed length
// as zeros -- with vector stores that tile the entry from its first byte to its last.
//
// The store width is a template parameter (Sse2Ops: 16 bytes, the x86-64 baseline; Avx2Ops: 32
// bytes, in translation units built with -mavx2). Everything here has internal linkage, so a
// translation unit built for AVX2 never lends its copies to one that is not.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "hw/io.hpp"
#include "hw/llq.hpp"

namespace ena::ng::datapath {
namespace {

// kHeaderIndex[j] = j + 1: byte j of a header region is pushed data when j + 1 <= pushed, which
// an unsigned byte minimum tells for a whole vector at once.
struct HeaderIndex {
    alignas(64) std::uint8_t value[256];
};
constexpr HeaderIndex make_header_index() {
    HeaderIndex t{};
    for (unsigned j = 0; j < 255; ++j)
        t.value[j] = static_cast<std::uint8_t>(j + 1);
    return t;
}
constexpr HeaderIndex kHeaderIndex = make_header_index();
// Header rooms are below 256 bytes (at least one descriptor precedes the header).
static_assert(hw::kLlqWide.header_room() < 255);

struct Sse2Ops {
    using Vector = __m128i;
    static constexpr unsigned kWidth = 16;
    [[gnu::always_inline]] static Vector load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
    [[gnu::always_inline]] static void store(void* p, Vector v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
    [[gnu::always_inline]] static Vector zero() { return _mm_setzero_si128(); }
    [[gnu::always_inline]] static Vector splat(std::uint8_t b) { return _mm_set1_epi8(static_cast<char>(b)); }
    // The bytes of `data` whose `index` is at most `limit`, zeros elsewhere.
    [[gnu::always_inline]] static Vector keep_up_to(Vector data, Vector index, Vector limit) {
        return _mm_and_si128(data, _mm_cmpeq_epi8(_mm_min_epu8(index, limit), index));
    }
};

#if defined(__AVX2__)
struct Avx2Ops {
    using Vector = __m256i;
    static constexpr unsigned kWidth = 32;
    [[gnu::always_inline]] static Vector load(const void* p) {
        return _mm256_loadu_si256(static_cast<const __m256i*>(p));
    }
    [[gnu::always_inline]] static void store(void* p, Vector v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
    [[gnu::always_inline]] static Vector zero() { return _mm256_setzero_si256(); }
    [[gnu::always_inline]] static Vector splat(std::uint8_t b) { return _mm256_set1_epi8(static_cast<char>(b)); }
    [[gnu::always_inline]] static Vector keep_up_to(Vector data, Vector index, Vector limit) {
        return _mm256_and_si256(data, _mm256_cmpeq_epi8(_mm256_min_epu8(index, limit), index));
    }
};
#endif

template <class Ops>
struct LlqEntryWriter {
    static constexpr unsigned kWidth = Ops::kWidth;

    // How far past its first byte a header source is read: `pushed` rounded up to the store
    // width (the caller checks that the buffer has these bytes).
    static constexpr std::uint32_t read_extent(std::uint32_t pushed) { return (pushed + kWidth - 1) & ~(kWidth - 1); }

    // The header region of an entry, `room` bytes (a multiple of 16) at `dst`: the first
    // `pushed` bytes from `src` in whole chunks, the chunk where they end masked, zeros after.
    // Source bytes are read up to read_extent(pushed), never past the chunk where the packet
    // ends (beyond it the buffer may be cold), and nothing past `pushed` is written but zeros.
    // With a constant room (the fast path) the loop unrolls to one branch per chunk.
    [[gnu::always_inline]] static void header(std::uint8_t* dst, const std::uint8_t* src, std::uint32_t room,
                                              std::uint32_t pushed) {
        std::uint32_t j = 0;
#pragma GCC unroll 16
        for (; j + kWidth <= room; j += kWidth) {
            typename Ops::Vector v;
            if (j + kWidth <= pushed)
                v = Ops::load(src + j);
            else if (j < pushed)
                v = Ops::keep_up_to(Ops::load(src + j), Ops::load(kHeaderIndex.value + j),
                                    Ops::splat(static_cast<std::uint8_t>(pushed)));
            else
                v = Ops::zero();
            Ops::store(dst + j, v);
        }
        if constexpr (kWidth > 16) {
            // A room that is not a multiple of the width ends in a 16-byte chunk.
            if (j < room)
                LlqEntryWriter<Sse2Ops>::header(dst + j, src + j, room - j, pushed > j ? pushed - j : 0);
        }
    }

    // `count` 16-byte descriptors at `dst`, then zeros up to `slots` descriptor places.
    [[gnu::always_inline]] static void descriptors(std::uint8_t* dst, const hw::TxDesc* descs, unsigned count,
                                                   unsigned slots) {
        unsigned i = 0;
        for (; i < count; ++i)
            Sse2Ops::store(dst + i * hw::kTxDescSize, Sse2Ops::load(&descs[i]));
        for (; i < slots; ++i)
            Sse2Ops::store(dst + i * hw::kTxDescSize, Sse2Ops::zero());
    }

    // A packet's first entry: up to descs_before_header descriptors, then the header region.
    static void first_entry(std::uint8_t* entry, const hw::LlqLayout& layout, const hw::TxDesc* descs, unsigned count,
                            const std::uint8_t* leading, std::uint32_t pushed) {
        descriptors(entry, descs, count, layout.descs_before_header);
        header(entry + layout.header_offset(), leading, layout.header_room(), pushed);
    }

    // An entry that continues a packet: descriptors only (one or a full entry of them, by the
    // layout's stride), zeros after.
    static void continuation_entry(std::uint8_t* entry, const hw::LlqLayout& layout, const hw::TxDesc* descs,
                                   unsigned count) {
        descriptors(entry, descs, count, layout.entry_size / hw::kTxDescSize);
    }
};

}  // namespace
}  // namespace ena::ng::datapath
