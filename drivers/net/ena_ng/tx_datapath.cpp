// Tx datapath. Bring-up only: the burst function sends nothing yet; the datapath work fills
// this file in.
#include <cstdio>

#include "datapath.hpp"
#include "queues.hpp"

namespace ena::ng::datapath {

namespace {

uint16_t tx_burst_not_implemented(void*, rte_mbuf**, uint16_t) { return 0; }

}  // namespace

eth_tx_burst_t select_tx_burst(const Port&) { return tx_burst_not_implemented; }

eth_tx_prep_t select_tx_prepare(const Port&) { return nullptr; }

void describe_tx_path(const TxQueue& queue, char* text, std::size_t size) {
    if (queue.config.placement == TxPlacement::kLlq)
        std::snprintf(text, size, "LLQ %uB (%uB header)%s, no Tx yet (bring-up)", queue.config.llq_layout.entry_size,
                      queue.config.llq_layout.header_room(), queue.config.disable_meta_caching ? ", accelerated" : "");
    else
        std::snprintf(text, size, "host memory, no Tx yet (bring-up)");
}

}  // namespace ena::ng::datapath
