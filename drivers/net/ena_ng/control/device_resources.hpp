// The driver's whole view of a device: what PCI probe or the simulated device hands to it.
// Device control and the datapath touch the device only through this value, so nothing in the
// driver asks whether the device is real or simulated.
//
// Everything in it is the process's own: BAR mappings, function pointers, the simulated
// device's address. State that processes share (ethdev's dev_private, queues in DPDK memory)
// therefore never holds a DeviceResources or a pointer to one; it names the device by its slot
// (the ethdev port id) and looks the resources up in the process at hand (ResourcesRef), as
// DPDK's virtio keeps its per-process ops.
#pragma once

#include <cstddef>
#include <cstdint>

struct rte_intr_handle;

namespace ena::ng {

// Memory the device can reach by DMA.
struct DmaRegion {
    void* va = nullptr;
    std::uint64_t iova = 0;
    std::size_t size = 0;
    const void* handle = nullptr;  // owner's bookkeeping (e.g. the rte_memzone)
};

// How BAR2 (LLQ memory) is mapped into this process.
enum class LlqMapping : std::uint8_t {
    kMemory,         // plain memory, not a device BAR (the simulated device): nothing to say
    kWriteCombined,  // LLQ writes combine into full PCIe bursts
    kUncached,       // every LLQ write is its own uncached store: slow Tx
    kUnknown,        // the kernel showed nothing either way
};

struct DeviceResources {
    // BAR0: 32-bit registers.
    volatile std::uint8_t* registers = nullptr;
    std::size_t registers_size = 0;
    // BAR2: LLQ device memory; nullptr when the device has none (host-memory Tx only).
    std::uint8_t* llq_memory = nullptr;
    std::size_t llq_memory_size = 0;

    // How BAR2 is mapped, as the bus glue found it, with what it saw and (when not
    // write-combined) what the user can do; said once, at the first start, when Tx uses LLQ.
    LlqMapping llq_mapping = LlqMapping::kMemory;
    char llq_mapping_note[512] = {};

    bool readless_mmio = true;    // device answers register reads through host memory
    int numa_node = -1;           // SOCKET_ID_ANY when unknown
    std::uint16_t pci_bdf = 0;    // reported to the device in host info
    const char* name = "";        // device name for logs and memzone names (in shared memory)
    std::uint16_t slot = 0;       // where this process keeps these resources (see ResourcesRef)

    // DMA memory. Returns 0 or -errno.
    int (*dma_alloc)(void* ctx, const char* name, std::size_t size, std::size_t align, int socket,
                     DmaRegion* out) = nullptr;
    void (*dma_free)(void* ctx, DmaRegion* region) = nullptr;

    // Called after every register write with the register's BAR0 offset. Null on PCI; the
    // simulated device's synchronous mode runs the device here.
    void (*after_register_write)(void* ctx, std::uint32_t offset) = nullptr;
    // Called as every Rx burst starts polling a queue, with the queue's SQ doorbell offset. Null
    // on PCI; the simulated device's inline engine delivers what waits for the host here.
    void (*before_rx_poll)(void* ctx, std::uint32_t doorbell_offset) = nullptr;

    // Time for timeouts and polling delays. Real time on PCI; a virtual clock that sleep_us
    // advances in the simulator's synchronous mode, so timeouts are deterministic there.
    std::uint64_t (*now_ns)(void* ctx) = nullptr;
    void (*sleep_us)(void* ctx, unsigned microseconds) = nullptr;

    void* ctx = nullptr;  // passed to every callback above

    // MSI-X. The device's vectors reach this process through the ethdev's interrupt handle
    // (rte_eth_dev::intr_handle), laid out as VFIO lays out MSI-X: the handle's fd is vector 0
    // (admin completions and AENQ events), event fd n is vector RTE_INTR_VEC_RXTX_OFFSET + n
    // (IO queues). A callback the driver registers on vector 0 finds the vector already
    // consumed: EAL reads VFIO and UIO fds before it calls callbacks, and whoever fills a handle
    // of another kind registers its own reading callback first.
    // Whether vector 0 reaches this process (false: uio_pci_generic, no kernel driver, a
    // secondary process): the control path can then run on the management interrupt.
    bool management_interrupt = false;
    // Gives vectors 1..count event fds in `handle` and turns them on (count > 0), or takes them
    // back (count 0), vector 0 staying on. Returns 0 or -errno with one line naming what failed.
    // Null: no IO queue interrupts (intr_conf.rxq is refused).
    int (*set_queue_vectors)(void* ctx, rte_intr_handle* handle, unsigned count) = nullptr;
    void* interrupt_ctx = nullptr;  // passed to set_queue_vectors
};

inline constexpr std::uint16_t kMaxDeviceSlots = 256;

// This process's resources for `slot` (< kMaxDeviceSlots); empty until set.
DeviceResources& process_resources(std::uint16_t slot);

// Names a device's resources in a way every process can store and use.
class ResourcesRef {
public:
    ResourcesRef() = default;
    explicit ResourcesRef(std::uint16_t slot) : slot_(slot) {}
    const DeviceResources& operator*() const { return process_resources(slot_); }
    const DeviceResources* operator->() const { return &process_resources(slot_); }
    std::uint16_t slot() const { return slot_; }

private:
    std::uint16_t slot_ = 0;
};

}  // namespace ena::ng
