// Rx datapath. Bring-up only: the burst function receives nothing and no buffers are posted
// yet; the datapath work fills this file in.
#include <cstdio>

#include "datapath.hpp"
#include "queues.hpp"

namespace ena::ng::datapath {

namespace {

uint16_t rx_burst_not_implemented(void*, rte_mbuf**, uint16_t) { return 0; }

}  // namespace

eth_rx_burst_t select_rx_burst(const Port&) { return rx_burst_not_implemented; }

int rx_queue_post_initial(RxQueue&) { return 0; }

void describe_rx_path(const RxQueue&, char* text, std::size_t size) {
    std::snprintf(text, size, "scalar, no Rx yet (bring-up)");
}

}  // namespace ena::ng::datapath
