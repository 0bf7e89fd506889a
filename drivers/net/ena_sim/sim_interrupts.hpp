// The simulated device's MSI-X vectors as event fds in an EAL interrupt handle, the way DPDK's
// software devices hand theirs to EAL (a handle of type VDEV): vector 0 -- admin completions and
// AENQ events -- is the handle's fd, vector n (RTE_INTR_VEC_RXTX_OFFSET + n - 1) its event fd
// n - 1, the layout VFIO gives an MSI-X PCI function. So rte_intr_callback_register on vector 0,
// rte_eth_dev_rx_intr_ctl_q and rte_epoll_wait work on a simulated port as on a PCI one.
//
// Every vector's eventfd exists from the start (one per IO queue the device offers), so the
// device's interrupt handler -- called from any thread, outside the device's locks -- writes to
// a fixed fd and never races with the driver turning queue vectors on and off.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

struct rte_intr_handle;

namespace ena::sim::glue {

class SimInterrupts {
public:
    // A handle with vector 0 and `queue_vectors` more. Returns nullptr after one error line.
    static std::unique_ptr<SimInterrupts> create(const char* name, unsigned queue_vectors);
    ~SimInterrupts();
    SimInterrupts(const SimInterrupts&) = delete;
    SimInterrupts& operator=(const SimInterrupts&) = delete;

    rte_intr_handle* handle() const { return handle_; }
    // The device raised `vector` (its interrupt handler).
    void raise(std::uint32_t vector);
    // DeviceResources::set_queue_vectors for this handle.
    static int set_queue_vectors(void* ctx, rte_intr_handle* handle, unsigned count);

private:
    SimInterrupts() = default;
    static void consume_vector0(void* arg);

    const char* name_ = "";
    rte_intr_handle* handle_ = nullptr;
    std::vector<int> fds_;  // by vector
    // Vector 0's fd for consume_vector0 on EAL's interrupt thread, published before the callback
    // is registered: EAL's hand-off to that thread is not visible to ThreadSanitizer.
    std::atomic<int> vector0_fd_{-1};
    bool callback_registered_ = false;
};

}  // namespace ena::sim::glue
