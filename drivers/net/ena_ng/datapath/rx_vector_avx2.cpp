// The AVX2 Rx path (32-byte mbuf stores): built with -mavx2 (drivers/meson.build) and run only
// where datapath::simd_level() found AVX2 at queue setup.
#include "datapath/datapath.hpp"
#include "datapath/rx_vector.hpp"

#if !defined(__AVX2__)
#error "rx_vector_avx2.cpp must be built with -mavx2"
#endif

namespace ena::ng::datapath {

namespace {

template <bool kChecksum, bool kHash>
std::uint16_t burst(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    RxQueue& q = *static_cast<RxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    q.notify_rx_poll();  // an inline simulated device delivers here
    return rx_burst_vector<true, kChecksum, kHash>(q, pkts, count);
}

}  // namespace

eth_rx_burst_t rx_burst_avx2(bool checksum, bool hash) {
    if (checksum)
        return hash ? burst<true, true> : burst<true, false>;
    return hash ? burst<false, true> : burst<false, false>;
}

}  // namespace ena::ng::datapath
