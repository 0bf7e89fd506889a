// The SSE4.1 Rx path (16-byte mbuf stores): built with -msse4.1 (drivers/meson.build) and run only
// where datapath::simd_level() found SSE4.1 at queue setup.
#include "datapath/datapath.hpp"
#include "datapath/rx_vector.hpp"

#if !defined(__SSE4_1__)
#error "rx_vector_sse41.cpp must be built with -msse4.1"
#endif

namespace ena::ng::datapath {

namespace {

template <bool kChecksum, bool kHash>
std::uint16_t burst(void* queue, rte_mbuf** pkts, std::uint16_t count) {
    RxQueue& q = *static_cast<RxQueue*>(queue);
    if (unlikely(load_relaxed(q.halted)))
        return 0;
    q.notify_rx_poll();  // an inline simulated device delivers here
    return rx_burst_vector<false, kChecksum, kHash>(q, pkts, count);
}

}  // namespace

eth_rx_burst_t rx_burst_sse41(bool checksum, bool hash) {
    if (checksum)
        return hash ? burst<true, true> : burst<true, false>;
    return hash ? burst<false, true> : burst<false, false>;
}

}  // namespace ena::ng::datapath
