// What the driver-side fuzz targets share: the driver's device control (EnaDevice) and queues
// built over a DeviceResources whose device is the simulated ENA in synchronous mode, as the
// net_ena_sim glue builds it, except that
//   - DMA memory is plain heap memory, each region its own allocation, so that AddressSanitizer
//     sees any access past the end of a ring the driver reads (DPDK's memzones are invisible to
//     it); IOVA = VA;
//   - after the model has handled a register write, the target gets a turn (after_model) to
//     write device memory itself: completions, events, register read answers;
//   - a sleep advances the virtual clock by at least 100 us, so that a wait for an answer that
//     the fuzzer spoiled ends after a few thousand polls rather than hundreds of thousands.
// No ethdev port: the targets call the device-control layer and the burst functions directly.
//
// The queues' own tables come from rte_zmalloc; the targets are linked with
// -Wl,--wrap=rte_zmalloc_socket,--wrap=rte_zmalloc,--wrap=rte_free so that those come from the
// heap too (wrappers in harness.cpp). Nothing else the targets run frees DPDK memory through
// rte_free, and DPDK's own libraries keep their allocator (--wrap only binds the objects linked
// into the target).
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "control/ena_device.hpp"
#include "datapath/queues.hpp"
#include "ena_sim_device.hpp"
#include "property.hpp"

namespace ena::fuzz {

// EAL (no hugepages, no PCI, one lcore) once per process; DPDK's log goes to /dev/null unless
// ENA_FUZZ_LOG is set, so every log line is still formatted.
void init_dpdk();

// The mbuf pool the Rx queues post from and Tx packets come from (created by init_dpdk).
rte_mempool* mbuf_pool();
inline constexpr unsigned kPoolSize = 4095;

// A simulated ENA, synchronous, and the driver's EnaDevice over it.
class DeviceUnderTest {
public:
    explicit DeviceUnderTest(const sim::DeviceConfig& config = {});
    ~DeviceUnderTest();
    DeviceUnderTest(const DeviceUnderTest&) = delete;
    DeviceUnderTest& operator=(const DeviceUnderTest&) = delete;

    // EnaDevice::init with `policy`; 0 or -errno.
    int bring_up(ng::LlqPolicy policy = ng::LlqPolicy::kDeviceRecommendation);
    // What rte_eth_dev_reset does to the device (Port::reset_device): a reset with the reason
    // the driver latched (NORMAL when none), then bring-up again keeping what the events counted.
    int reset_and_bring_up(ng::LlqPolicy policy = ng::LlqPolicy::kDeviceRecommendation);

    ng::EnaDevice& device() { return device_; }
    sim::Device& model() { return *model_; }
    ng::DeviceResources& resources();

    // A DMA region the driver allocated whose name starts with `name` ("acq", "aenq",
    // "mmio_resp", "rxq0_cq", ...), or nullptr.
    struct Region {
        std::string name;
        std::uint8_t* va = nullptr;
        std::size_t size = 0;
    };
    const Region* dma(std::string_view name) const;

    // Called after the model has handled each register write with the register's offset.
    std::function<void(std::uint32_t offset)> after_model;

    // The last value the driver wrote to a register.
    std::uint32_t register_value(std::uint32_t offset) const;

private:
    static int dma_alloc(void* ctx, const char* name, std::size_t size, std::size_t align, int socket,
                         ng::DmaRegion* out);
    static void dma_free(void* ctx, ng::DmaRegion* region);
    static void* translate(void* ctx, std::uint64_t iova, std::size_t len);
    static void register_written(void* ctx, std::uint32_t offset);
    static std::uint64_t now_ns(void* ctx);
    static void sleep_us(void* ctx, unsigned microseconds);

    std::map<std::uintptr_t, Region> regions_;  // by start address
    std::unique_ptr<sim::Device> model_;
    ng::EnaDevice device_;  // last: destroyed first, while the model and the memory exist
};

// Queue configurations as a port would make them from the negotiated features; the fuzz
// targets vary the knobs a port's user can (depth, offloads, thresholds).
ng::RxQueueConfig rx_config(const ng::DeviceFeatures& features, std::uint16_t depth, std::uint64_t offloads);
ng::TxQueueConfig tx_config(const ng::DeviceFeatures& features, std::uint16_t depth, std::uint64_t offloads);

// What an application may assume of an mbuf (chain) a burst function hands it: it belongs to
// the pool, every segment's data lies inside its buffer, the segment count and the packet length
// add up. Reads every byte of the data, as an application would. Aborts with a message when not.
void check_received(const rte_mbuf* m, rte_mempool* pool);

// Every mbuf of the pool is back (the queues released everything). Aborts when not.
void check_pool_full(rte_mempool* pool, const char* when);

}  // namespace ena::fuzz
