// ENA hardware interface: IO queue descriptors and completions.
// Phase bits start at 1 and flip every time a ring wraps. Little-endian.
#pragma once

#include "bits.hpp"

namespace ena::hw {

// ENA queue ids: Tx queue q is 2q, Rx queue q is 2q + 1.
constexpr std::uint16_t tx_queue_id(std::uint16_t q) { return static_cast<std::uint16_t>(2 * q); }
constexpr std::uint16_t rx_queue_id(std::uint16_t q) { return static_cast<std::uint16_t>(2 * q + 1); }

enum class L3Proto : std::uint8_t { kUnknown = 0, kIpv4 = 8, kIpv6 = 11, kFcoe = 21, kRoce = 22 };
enum class L4Proto : std::uint8_t { kUnknown = 0, kTcp = 12, kUdp = 13, kRoutableRoce = 23 };

// --- Tx -------------------------------------------------------------------------------------
inline constexpr std::uint16_t kTxDescSize = 16;
inline constexpr std::uint32_t kTxMaxReqId = (1u << 16) - 1;  // 10 low + 6 high bits

// Buffer descriptor. The descriptor carrying comp_req also carries the packet's request id and
// offload flags; header_length is the number of header bytes pushed inline (LLQ only).
struct TxDesc {
    std::uint32_t len_ctrl;
    std::uint32_t meta_ctrl;
    std::uint32_t buff_addr_low;
    std::uint32_t buff_addr_high_hdr_len;
};
static_assert(sizeof(TxDesc) == kTxDescSize);
namespace tx_desc {
using Length = Field<std::uint32_t, 0, 16>;
using ReqIdHigh = Field<std::uint32_t, 16, 6>;
using MetaDesc = Flag<std::uint32_t, 23>;  // 0 for buffer descriptors
using Phase = Flag<std::uint32_t, 24>;
using First = Flag<std::uint32_t, 26>;
using Last = Flag<std::uint32_t, 27>;
using CompReq = Flag<std::uint32_t, 28>;
// meta_ctrl
using L3ProtoIdx = Field<std::uint32_t, 0, 4>;
using Df = Flag<std::uint32_t, 4>;
using TsoEnable = Flag<std::uint32_t, 7>;
using L4ProtoIdx = Field<std::uint32_t, 8, 5>;
using L3CsumEnable = Flag<std::uint32_t, 13>;
using L4CsumEnable = Flag<std::uint32_t, 14>;
using EthernetFcsDisable = Flag<std::uint32_t, 15>;
using L4CsumPartial = Flag<std::uint32_t, 17>;
using ReqIdLow = Field<std::uint32_t, 22, 10>;
// buff_addr_high_hdr_len
using AddrHigh = Field<std::uint32_t, 0, 16>;
using HeaderLength = Field<std::uint32_t, 24, 8>;

// A request id's bits in the descriptor's first 8 bytes read as one little-endian word
// (len_ctrl | meta_ctrl << 32): its low 10 bits at the top, the high 6 at bits 16-21.
constexpr std::uint64_t request_id_bits(std::uint16_t id) {
    return (std::uint64_t{id} << 54) | (std::uint64_t{id & 0xFC00u} << 6);
}
consteval bool request_id_bits_match_the_fields() {
    for (std::uint32_t id = 0; id <= 0xFFFF; id += 0x3F)
        if (request_id_bits(static_cast<std::uint16_t>(id)) !=
            ((std::uint64_t{ReqIdLow::make(id)} << 32) | ReqIdHigh::make(id >> 10)))
            return false;
    return true;
}
static_assert(request_id_bits_match_the_fields());
}  // namespace tx_desc

// Meta descriptor: offload context (header offsets and MSS) for the packet that follows. With
// meta_store the device remembers it for later packets unless the device asked for
// "disable meta caching" (accelerated LLQ), in which case every packet carries one.
struct TxMetaDesc {
    std::uint32_t len_ctrl;
    std::uint32_t word1;
    std::uint32_t word2;
    std::uint32_t reserved;
};
static_assert(sizeof(TxMetaDesc) == kTxDescSize);
namespace tx_meta {
using ReqIdLow = Field<std::uint32_t, 0, 10>;
using ExtValid = Flag<std::uint32_t, 14>;
using MssHigh = Field<std::uint32_t, 16, 4>;
using EthMetaType = Flag<std::uint32_t, 20>;
using MetaStore = Flag<std::uint32_t, 21>;
using MetaDesc = Flag<std::uint32_t, 23>;  // 1 for meta descriptors
using Phase = Flag<std::uint32_t, 24>;
using First = Flag<std::uint32_t, 26>;
using Last = Flag<std::uint32_t, 27>;
using CompReq = Flag<std::uint32_t, 28>;
// word1
using ReqIdHigh = Field<std::uint32_t, 0, 6>;
// word2
using L3HeaderLength = Field<std::uint32_t, 0, 8>;
using L3HeaderOffset = Field<std::uint32_t, 8, 8>;
using L4HeaderLengthWords = Field<std::uint32_t, 16, 6>;
using MssLow = Field<std::uint32_t, 22, 10>;
inline constexpr unsigned kMssLowBits = 10;
}  // namespace tx_meta

// Tx completion: one per packet whose descriptor carried comp_req.
struct TxCompletion {
    std::uint16_t req_id;
    std::uint8_t status;
    std::uint8_t flags;  // bit 0: phase; bits 7:6 must be zero
    std::uint16_t sub_qid;
    std::uint16_t sq_head_index;
};
static_assert(sizeof(TxCompletion) == 8);
namespace tx_completion {
using Phase = Flag<std::uint8_t, 0>;
using Mbz = Field<std::uint8_t, 6, 2>;
}  // namespace tx_completion

// --- Rx -------------------------------------------------------------------------------------
inline constexpr std::uint16_t kRxDescSize = 16;

struct RxDesc {
    std::uint16_t length;  // buffer size; 0 means 64 KiB
    std::uint8_t reserved2;
    std::uint8_t ctrl;
    std::uint16_t req_id;
    std::uint16_t reserved6;
    std::uint32_t buff_addr_low;
    std::uint16_t buff_addr_high;
    std::uint16_t reserved16;
};
static_assert(sizeof(RxDesc) == kRxDescSize);
static_assert(offsetof(RxDesc, req_id) == 4);
static_assert(offsetof(RxDesc, buff_addr_low) == 8);
namespace rx_desc {
using Phase = Flag<std::uint8_t, 0>;
using First = Flag<std::uint8_t, 2>;
using Last = Flag<std::uint8_t, 3>;
using CompReq = Flag<std::uint8_t, 4>;
}  // namespace rx_desc

// Rx completion, one per buffer used. A packet spans the completions from `first` to `last`.
struct RxCompletion {
    std::uint32_t status;
    std::uint16_t length;
    std::uint16_t req_id;
    std::uint32_t hash;
    std::uint16_t sub_qid;
    std::uint8_t offset;  // where packet data starts in the first buffer
    std::uint8_t reserved;
};
static_assert(sizeof(RxCompletion) == 16);
static_assert(offsetof(RxCompletion, req_id) == 6);
static_assert(offsetof(RxCompletion, hash) == 8);
static_assert(offsetof(RxCompletion, offset) == 14);
namespace rx_completion {
using L3ProtoIdx = Field<std::uint32_t, 0, 5>;
using SrcVlanCount = Field<std::uint32_t, 5, 2>;
using Mbz7 = Flag<std::uint32_t, 7>;
using L4ProtoIdx = Field<std::uint32_t, 8, 5>;
using L3CsumError = Flag<std::uint32_t, 13>;
using L4CsumError = Flag<std::uint32_t, 14>;
using Ipv4Fragment = Flag<std::uint32_t, 15>;
using L4CsumChecked = Flag<std::uint32_t, 16>;
using Mbz17 = Flag<std::uint32_t, 17>;
using Phase = Flag<std::uint32_t, 24>;
using L3Csum2 = Flag<std::uint32_t, 25>;
using First = Flag<std::uint32_t, 26>;
using Last = Flag<std::uint32_t, 27>;
using Buffer = Flag<std::uint32_t, 30>;
inline constexpr std::uint32_t kMbzMask = Mbz7::kMask | Mbz17::kMask;
}  // namespace rx_completion

// 32-byte Rx completion, used when the CQ is created with 8-word entries (Rx timestamps).
struct RxCompletionExt {
    RxCompletion base;
    std::uint32_t buff_addr_low;
    std::uint16_t buff_addr_high;
    std::uint16_t reserved16;
    std::uint32_t timestamp_low;
    std::uint32_t timestamp_high;
};
static_assert(sizeof(RxCompletionExt) == 32);

// 16-byte Tx completion carrying a timestamp (CQ created with 4-word entries).
struct TxCompletionExt {
    TxCompletion base;
    std::uint32_t timestamp_low;
    std::uint32_t timestamp_high;
};
static_assert(sizeof(TxCompletionExt) == 16);

}  // namespace ena::hw
