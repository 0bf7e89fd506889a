// The AVX2 Rx path (32-byte mbuf stores): built with -mavx2 (drivers/meson.build) and run only
// where datapath::simd_level() found AVX2 at queue setup.
#include "datapath/datapath.hpp"
#include "datapath/rx_vector.hpp"

#if !defined(__AVX2__)
#error "rx_vector_avx2.cpp must be built with -mavx2"
#endif

namespace ena::ng::datapath {

namespace {

struct VectorPath {
    template <bool kChecksum, bool kHash>
    static std::uint16_t burst(RxQueue& q, rte_mbuf** pkts, std::uint16_t count) {
        return rx_burst_vector<true, kChecksum, kHash>(q, pkts, count);
    }
};

}  // namespace

eth_rx_burst_t rx_burst_avx2(bool checksum, bool hash) { return rx_entry_for<VectorPath>(checksum, hash); }

}  // namespace ena::ng::datapath
