// A fake PCI function for the PCI path of net_ena_ng, as a new user on EC2 would reach it: the
// driver's rte_pci_driver is captured when it registers (this test binary interposes
// rte_pci_register), and probed on an rte_pci_device whose BARs are a simulated ENA's
// (mem_resource[0] its registers, mem_resource[2] its LLQ memory), run by a threaded engine as
// hardware would be. Config-space reads (rte_pci_read_config, also interposed) answer the
// function's revision. Bound to vfio-pci (the default), its MSI-X works as VFIO's: the interrupt
// handle has an eventfd for vector 0, EAL makes the queue vectors' eventfds, and what
// rte_intr_enable would program into the device (interposed, for this function's handle) is
// where the simulated device's vectors are written. Other kernel drivers give no interrupt.
// Everything here is test code: the driver sees only a PCI device.
#pragma once

#include <bus_pci_driver.h>
#include <rte_devargs.h>

#include <cstdint>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ena_sim_device.hpp"

namespace ena::test {

// How EAL mapped BAR2, as far as a driver can see: through a UIO driver it maps the sysfs file
// resource2_wc (write-combined) or falls back to resource2 (uncached); vfio-pci maps the
// device's region, which /proc/self/maps does not name by BAR.
enum class Bar2File { kNone, kResource, kResourceWc };

struct FakePciOptions {
    std::uint16_t device_id = 0xec20;  // ENA VF
    rte_pci_kernel_driver kdrv = RTE_PCI_KDRV_VFIO;
    bool bar2 = true;  // false: mem_resource[2] left unmapped
    Bar2File bar2_file = Bar2File::kNone;
    std::uint8_t revision = 0;          // config space offset 8
    std::uint32_t class_id = 0x020000;  // Ethernet controller
    bool config_readable = true;        // false: config-space reads fail
    std::string devargs;
    ena::sim::DeviceConfig device;      // the simulated ENA behind the BARs
};

class FakePciFunction {
public:
    // The device on a loopback wire with its own engine thread; not probed yet.
    explicit FakePciFunction(const FakePciOptions& options);
    ~FakePciFunction();
    FakePciFunction(const FakePciFunction&) = delete;
    FakePciFunction& operator=(const FakePciFunction&) = delete;

    // The captured driver's probe and remove, as the PCI bus calls them.
    int probe();
    int remove();

    const char* name() const { return pci_.name; }
    // The ethdev port of this function (after a successful probe).
    std::uint16_t port_id() const;
    ena::sim::Device& device() { return *device_; }

    // The config-space read the interposed rte_pci_read_config answers for `pci`; -1 when `pci`
    // is not a fake function.
    static int read_config(const rte_pci_device* pci, void* buf, std::size_t len, off_t offset);
    // What VFIO does at rte_intr_enable / rte_intr_disable of a fake function's handle: routes
    // MSI-X vector 0 to the handle's fd and vector n to its event fd n - 1, or nothing. False
    // when `handle` is not a fake function's.
    static bool program_msix(const rte_intr_handle* handle, bool enable);

    // A broken interrupt line: MSI-X `vector` raised by the device goes nowhere (counted).
    void drop_vector(std::uint32_t vector, bool drop);
    std::uint64_t dropped() const { return dropped_.load(); }
    // Times the device raised `vector` while it was routed.
    std::uint64_t delivered(std::uint32_t vector) const;

private:
    void map_bar2_file(Bar2File file);

    FakePciOptions options_;
    std::unique_ptr<ena::sim::Device> device_;
    ena::sim::Engine engine_;
    std::thread engine_thread_;
    rte_pci_device pci_{};
    rte_devargs devargs_{};
    std::string bar2_path_;
    bool probed_ = false;
    // MSI-X routing (VFIO's vector table): fds by vector, -1 for none.
    void raise(std::uint32_t vector);
    mutable std::mutex msix_lock_;
    std::vector<int> msix_fds_;
    std::vector<std::uint64_t> msix_delivered_;
    std::uint32_t dropped_vector_ = ~0u;
    std::atomic<std::uint64_t> dropped_{0};
    int vector0_fd_ = -1, vfio_dev_fd_ = -1;
};

// The driver net_ena_ng registered with the PCI bus (nullptr if it never did).
rte_pci_driver* ena_ng_pci_driver();

}  // namespace ena::test
