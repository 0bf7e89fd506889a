// Where the datapath plugs into the control path. The control path calls these; the datapath
// (tx_datapath.cpp, rx_datapath.cpp) implements them.
#pragma once

#include <ethdev_driver.h>

#include <cstddef>
#include <cstdint>

#include "datapath/simd_support.hpp"

namespace ena::ng {

class Port;
class TxQueue;
class RxQueue;

namespace datapath {

// Chosen once per dev_start from the port's configuration (placement, offloads): one function
// per configuration, no per-packet branching on it.
eth_rx_burst_t select_rx_burst(const Port& port);
eth_tx_burst_t select_tx_burst(const Port& port);
eth_tx_prep_t select_tx_prepare(const Port& port);  // nullptr: no prepare step

// Chosen at queue setup from the CPU and EAL's SIMD bitwidth limit: bytes per store into LLQ
// entries (16 or 32), and the Rx path (what the rx_path devarg asks for, where the machine has
// it; otherwise the widest it has, and *why_not says why).
unsigned tx_store_width();
SimdLevel choose_rx_path(RxPathRequest request, const char** why_not);

// A secondary process does not see the primary's dev_start: its bursts pick each queue's variant
// from the queue's configuration at every call. Where the process cannot reach the device at all
// (the simulated device lives in the primary) they move nothing.
eth_rx_burst_t secondary_rx_burst(bool device_reachable);
eth_tx_burst_t secondary_tx_burst(bool device_reachable);

// eth_dev_ops::tx_done_cleanup: frees up to `free_count` completed packets (0: all).
int tx_done_cleanup(void* queue, std::uint32_t free_count);

// rte_eth_rx/tx_descriptor_status: where the descriptor `offset` places after the next one stands.
int rx_descriptor_status(void* queue, std::uint16_t offset);
int tx_descriptor_status(void* queue, std::uint16_t offset);

// RxQueue::start(), after the IO queue exists: post the initial buffers, as many as the pool has.
void rx_queue_post_initial(RxQueue& queue);

// What runs, for rx/tx_burst_mode_get (testpmd "show rxq info", "show port info").
void describe_rx_path(const RxQueue& queue, char* text, std::size_t size);
void describe_tx_path(const TxQueue& queue, char* text, std::size_t size);

}  // namespace datapath
}  // namespace ena::ng
