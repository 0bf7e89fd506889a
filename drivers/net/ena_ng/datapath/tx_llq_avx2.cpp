// The LLQ Tx fast path with 32-byte stores: built with -mavx2 (drivers/net/ena_ng/meson.build)
// and run only where datapath::tx_store_width() found AVX2 at queue setup.
#include "datapath/tx_llq_fast.hpp"

#if !defined(__AVX2__)
#error "tx_llq_avx2.cpp must be built with -mavx2"
#endif

namespace ena::ng::datapath::tx_hooks {

template <unsigned kEntrySize, bool kOffloads, bool kMultiSeg>
std::uint16_t llq_burst_avx2(TxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
    return llq_burst<Avx2Ops, kEntrySize, kOffloads, kMultiSeg>(q, pkts, count);
}
template std::uint16_t llq_burst_avx2<128, false, false>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<128, false, true>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<128, true, false>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<128, true, true>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<256, false, false>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<256, false, true>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<256, true, false>(TxQueue&, rte_mbuf**, std::uint16_t);
template std::uint16_t llq_burst_avx2<256, true, true>(TxQueue&, rte_mbuf**, std::uint16_t);

}  // namespace ena::ng::datapath::tx_hooks
