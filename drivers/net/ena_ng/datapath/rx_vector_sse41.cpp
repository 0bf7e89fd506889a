// The SSE4.1 Rx path (16-byte mbuf stores): built with -msse4.1 (drivers/meson.build) and run only
// where datapath::simd_level() found SSE4.1 at queue setup.
#include "datapath/datapath.hpp"
#include "datapath/rx_vector.hpp"

#if !defined(__SSE4_1__)
#error "rx_vector_sse41.cpp must be built with -msse4.1"
#endif

namespace ena::ng::datapath {

namespace {

struct VectorPath {
    template <bool kChecksum, bool kHash>
    static std::uint16_t burst(RxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
        return rx_burst_vector<false, kChecksum, kHash>(q, pkts, count);
    }
};

}  // namespace

eth_rx_burst_t rx_burst_sse41(bool checksum, bool hash) { return rx_entry_for<VectorPath>(checksum, hash); }

}  // namespace ena::ng::datapath
