// The vector Rx paths: four completions checked at once (phase, first, last, must-be-zero
// bits, request ids in range and distinct, length and offset), their fields shuffled into the
// mbufs with 16-byte stores (SSE4.1) or 32-byte ones (AVX2). Anything else -- a packet over
// several buffers, an empty or suspicious completion, fewer than four written, the end of the
// ring's lap, the last few of a burst -- goes one packet at a time through the scalar path
// (rx_common.hpp), which also counts and reports what is wrong.
//
// Included by rx_vector_sse41.cpp (-msse4.1) and rx_vector_avx2.cpp (-mavx2), with kAvx2
// telling them apart; internal linkage throughout.
#pragma once

#include <immintrin.h>

#include "datapath/rx_common.hpp"

namespace ena::ng::datapath {
namespace {

// Packet types by the byte lanes of a status: byte 0 holds the L3 protocol, byte 1 the L4
// protocol and the fragment bit (rx_completion in hw/io.hpp). A byte shuffle looks up 16
// entries; an index with bit 7 set gives 0.
static_assert(rxc::L3ProtoIdx::kShift == 0 && rxc::L4ProtoIdx::kShift == 8 && rxc::Ipv4Fragment::kShift == 15);
static_assert(RTE_PTYPE_L3_IPV4 < 0x100 && RTE_PTYPE_L3_IPV6 < 0x100 && (RTE_PTYPE_L4_TCP & 0xFF) == 0 &&
              (RTE_PTYPE_L4_UDP & 0xFF) == 0 && (RTE_PTYPE_L4_FRAG & 0xFF) == 0);

inline __m128i l3_ptype_table() {
    alignas(16) std::uint8_t t[16] = {};
    t[static_cast<unsigned>(hw::L3Proto::kIpv4)] = RTE_PTYPE_L3_IPV4;
    t[static_cast<unsigned>(hw::L3Proto::kIpv6)] = RTE_PTYPE_L3_IPV6;
    return _mm_load_si128(reinterpret_cast<const __m128i*>(t));
}
inline __m128i l4_ptype_table() {
    alignas(16) std::uint8_t t[16] = {};
    t[static_cast<unsigned>(hw::L4Proto::kTcp)] = RTE_PTYPE_L4_TCP >> 8;
    t[static_cast<unsigned>(hw::L4Proto::kUdp)] = RTE_PTYPE_L4_UDP >> 8;
    return _mm_load_si128(reinterpret_cast<const __m128i*>(t));
}
static_assert(static_cast<unsigned>(hw::L3Proto::kIpv6) < 16 && static_cast<unsigned>(hw::L4Proto::kUdp) < 16);

// A value the compiler must keep (in a register, or spilled and reloaded) rather than build
// again from immediates wherever it is used: constants of the loop below.
[[gnu::always_inline]] inline __m128i kept(__m128i v) {
    asm("" : "+x"(v));
    return v;
}

// The packet types of four statuses (one per 32-bit lane), as ptype_with_class() gives them
// without its class bits.
struct PtypeLookup {
    __m128i l3_table = kept(l3_ptype_table());
    __m128i l4_table = kept(l4_ptype_table());
    __m128i l3_bits = kept(_mm_set1_epi32(0x1F));
    __m128i l4_bits = kept(_mm_set1_epi32(0x1F00));
    // Protocols of 16 or more are none the tables know: a saturating add of 0x70 sets bit 7,
    // which makes the shuffle give 0; below 16 it keeps the low four bits as the index. The
    // other bytes get bit 7 too.
    __m128i l3_index_bias = kept(_mm_set1_epi32(static_cast<int>(0x80808070u)));
    __m128i l4_index_bias = kept(_mm_set1_epi32(static_cast<int>(0x80807080u)));
    __m128i fragment_bit = kept(_mm_set1_epi32(0x8000));  // bit 7 of byte 1
    __m128i fragment = kept(_mm_set1_epi32(RTE_PTYPE_L4_FRAG));
    __m128i ether = kept(_mm_set1_epi32(RTE_PTYPE_L2_ETHER));

    [[gnu::always_inline]] __m128i operator()(__m128i status) const {
        const __m128i l3 = _mm_shuffle_epi8(l3_table, _mm_adds_epu8(_mm_and_si128(status, l3_bits), l3_index_bias));
        const __m128i l4 = _mm_shuffle_epi8(l4_table, _mm_adds_epu8(_mm_and_si128(status, l4_bits), l4_index_bias));
        // A fragment is a fragment whatever its L4 protocol.
        const __m128i l4_or_fragment = _mm_blendv_epi8(l4, fragment, _mm_and_si128(status, fragment_bit));
        return _mm_or_si128(_mm_or_si128(l3, l4_or_fragment), ether);
    }
};

// The loop's constants, built once and kept in registers.
struct GroupConstants {
    __m128i check_mask;
    __m128i whole;  // the four statuses masked, when they are whole, written packets of the lap
    __m128i last_req_id;
    __m128i buffer_size;
    // Completion byte 14 (the offset into the buffer) -> the low byte of data_off.
    __m128i to_offset = kept(_mm_setr_epi8(14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    __m128i rearm;
    // The four request ids (high halves of the 32-bit lanes) packed into 8 bytes.
    __m128i pack_req_ids = kept(_mm_setr_epi8(2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1));
    __m128i low16 = kept(_mm_set1_epi32(0xFFFF));
    __m128i low8 = kept(_mm_set1_epi32(0xFF));
    __m128i type_mask = kept(_mm_set1_epi32(RTE_PTYPE_ALL_MASK));
    PtypeLookup ptypes;

    GroupConstants(const RxRing& r, std::uint32_t phase)
        : check_mask(kept(_mm_set1_epi32(static_cast<int>(rxc::Phase::kMask | kSingle | r.mbz)))),
          whole(kept(_mm_set1_epi32(static_cast<int>(rxc::Phase::make(phase) | kSingle)))),
          last_req_id(kept(_mm_set1_epi32(r.depth - 1))), buffer_size(kept(_mm_set1_epi32(r.buffer_size))),
          rearm(kept(_mm_set_epi64x(0, static_cast<long long>(r.rearm)))) {}
};

// Up to `groups` groups of four completions from `c` on (all in one lap of the ring), into
// `out`. Stops at the first group that is not four whole, written, acceptable one-buffer
// packets. Returns the groups taken; their ids are back on the free stack (r.free_ids moved).
// Not inlined: the loop gets the registers to itself.
template <bool kAvx2, bool kChecksum, bool kHash>
[[gnu::noinline]] unsigned take_groups(RxRing& r, const RxCompletion* c, unsigned groups, std::uint32_t phase,
                                       rte_mbuf** out, std::uint64_t& bytes, RxFlagCounts& counts) {
    constexpr bool kFlags = kChecksum || kHash;
    const GroupConstants k(r, phase);
    rte_mbuf** const posted = r.mbufs;
    std::uint16_t* top = r.free_req_ids + r.free_ids;
    std::uint64_t sum = 0;
    unsigned g = 0;
    for (; g < groups; ++g, c += 4, out += 4) {
        // Nothing of a body is read before its phase bit says the device wrote it: the four
        // statuses first, then, after a compiler barrier, the bodies (x86 keeps loads in
        // order). The barrier before makes them fresh reads of memory the device writes.
        // Acquire loads, as the scalar path's (RxRing::load_status).
        rte_compiler_barrier();
        const __m128i status =
            _mm_setr_epi32(static_cast<int>(RxRing::load_status(c[0])), static_cast<int>(RxRing::load_status(c[1])),
                           static_cast<int>(RxRing::load_status(c[2])), static_cast<int>(RxRing::load_status(c[3])));
        if (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(status, k.check_mask), k.whole))) != 0xF)
            break;
        rte_io_rmb();  // the bodies after the phase bits
        const auto* v = reinterpret_cast<const __m128i*>(c);
        const __m128i c0 = _mm_load_si128(v), c1 = _mm_load_si128(v + 1), c2 = _mm_load_si128(v + 2),
                      c3 = _mm_load_si128(v + 3);
        // Per lane: length | req_id << 16; hash; sub_qid | offset << 16 | reserved << 24.
        const __m128i hi01 = _mm_unpackhi_epi32(c0, c1), hi23 = _mm_unpackhi_epi32(c2, c3);
        const __m128i len_req = _mm_unpackhi_epi64(_mm_unpacklo_epi32(c0, c1), _mm_unpacklo_epi32(c2, c3));
        const __m128i hash = _mm_unpacklo_epi64(hi01, hi23);
        const __m128i tail = _mm_unpackhi_epi64(hi01, hi23);
        const __m128i length = _mm_and_si128(len_req, k.low16);
        const __m128i ids = _mm_srli_epi32(len_req, 16);
        const __m128i end = _mm_add_epi32(length, _mm_and_si128(_mm_srli_epi32(tail, 16), k.low8));
        // Never trust the device: ids beyond the ring or named twice, buffers overfilled and
        // empty completions are for the scalar path to count, stop at or recycle.
        const __m128i twice = _mm_or_si128(_mm_cmpeq_epi32(ids, _mm_shuffle_epi32(ids, _MM_SHUFFLE(0, 3, 2, 1))),
                                           _mm_cmpeq_epi32(ids, _mm_shuffle_epi32(ids, _MM_SHUFFLE(1, 0, 3, 2))));
        const __m128i refused =
            _mm_or_si128(_mm_or_si128(_mm_cmpgt_epi32(ids, k.last_req_id), _mm_cmpgt_epi32(end, k.buffer_size)),
                         _mm_or_si128(_mm_cmpeq_epi32(length, _mm_setzero_si128()), twice));
        if (!_mm_testz_si128(refused, refused))
            break;
        const unsigned id0 = static_cast<unsigned>(_mm_extract_epi16(len_req, 1));
        const unsigned id1 = static_cast<unsigned>(_mm_extract_epi16(len_req, 3));
        const unsigned id2 = static_cast<unsigned>(_mm_extract_epi16(len_req, 5));
        const unsigned id3 = static_cast<unsigned>(_mm_extract_epi16(len_req, 7));
        rte_mbuf* const m0 = posted[id0];
        rte_mbuf* const m1 = posted[id1];
        rte_mbuf* const m2 = posted[id2];
        rte_mbuf* const m3 = posted[id3];
        if (m0 == nullptr || m1 == nullptr || m2 == nullptr || m3 == nullptr)
            break;  // an id whose buffer is not posted (stale)
        posted[id0] = nullptr;
        posted[id1] = nullptr;
        posted[id2] = nullptr;
        posted[id3] = nullptr;

        // The packet fields of the four, transposed out of the lanes: packet_type, pkt_len,
        // data_len (with vlan_tci 0), hash.rss.
        alignas(16) std::uint32_t statuses[4];
        alignas(16) std::uint32_t types_with_class[4];
        __m128i types;
        if constexpr (kFlags) {
            _mm_store_si128(reinterpret_cast<__m128i*>(statuses), status);
            for (unsigned i = 0; i < 4; ++i)
                types_with_class[i] = ptype_with_class(statuses[i]);
            types = _mm_and_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(types_with_class)), k.type_mask);
        } else {
            types = k.ptypes(status);
        }
        const __m128i type_len01 = _mm_unpacklo_epi32(types, length);
        const __m128i type_len23 = _mm_unpackhi_epi32(types, length);
        const __m128i len_hash01 = _mm_unpacklo_epi32(length, hash);
        const __m128i len_hash23 = _mm_unpackhi_epi32(length, hash);
        const __m128i fields[4] = {_mm_unpacklo_epi64(type_len01, len_hash01), _mm_unpackhi_epi64(type_len01, len_hash01),
                                   _mm_unpacklo_epi64(type_len23, len_hash23), _mm_unpackhi_epi64(type_len23, len_hash23)};
        const __m128i bodies[4] = {c0, c1, c2, c3};
        rte_mbuf* const mbufs[4] = {m0, m1, m2, m3};
#pragma GCC unroll 4
        for (unsigned i = 0; i < 4; ++i) {
            __m128i rearm_flags = _mm_add_epi16(k.rearm, _mm_shuffle_epi8(bodies[i], k.to_offset));
            if constexpr (kFlags)
                rearm_flags = _mm_insert_epi64(
                    rearm_flags, static_cast<long long>(rx_flags<kChecksum, kHash>(statuses[i], types_with_class[i], counts)),
                    1);
            auto* base = reinterpret_cast<std::uint8_t*>(mbufs[i]);
            if constexpr (kAvx2) {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(base + kRearmOffset), _mm256_set_m128i(fields[i], rearm_flags));
            } else {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(base + kRearmOffset), rearm_flags);
                _mm_storeu_si128(reinterpret_cast<__m128i*>(base + kFieldsOffset), fields[i]);
            }
            out[i] = mbufs[i];
        }
        // The ids back on the free stack in one 8-byte store; their lengths summed.
        _mm_storel_epi64(reinterpret_cast<__m128i*>(top), _mm_shuffle_epi8(len_req, k.pack_req_ids));
        top += 4;
        const __m128i pair = _mm_add_epi32(length, _mm_shuffle_epi32(length, _MM_SHUFFLE(1, 0, 3, 2)));
        sum += static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_add_epi32(pair, _mm_shuffle_epi32(pair, 1))));
    }
    r.free_ids = static_cast<std::uint16_t>(top - r.free_req_ids);
    bytes += sum;
    return g;
}

template <bool kAvx2, bool kChecksum, bool kHash>
std::uint16_t rx_burst_vector(RxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    RxRing r(q);
    RxFlagCounts counts;
    std::uint16_t received = 0;
    std::uint64_t bytes = 0;
    while (received < count) {
        // Groups of four within the burst and within one lap of the ring (one phase).
        const std::uint16_t slot = r.head & r.mask;
        const unsigned groups = std::min<unsigned>(count - received, r.depth - slot) / 4;
        if (groups != 0) {
            const unsigned taken = take_groups<kAvx2, kChecksum, kHash>(r, r.completions + slot, groups, r.phase(r.head),
                                                                         pkts + received, bytes, counts);
            r.head = static_cast<std::uint16_t>(r.head + 4 * taken);
            received = static_cast<std::uint16_t>(received + 4 * taken);
            if (taken == groups)
                continue;
        }
        // One packet the scalar way: over several buffers, at the ring's end, empty, refused,
        // fewer than four written, the last few of the burst -- or none written, which ends it.
        if (!take_one<kChecksum, kHash>(q, r, pkts, received, bytes, counts))
            break;
    }
    r.store(q);
    finish_burst(q, received, bytes, counts);
    return received;
}

}  // namespace
}  // namespace ena::ng::datapath
