// PCI glue of net_ena_ng: registration (ids, kernel modules, devargs, PMD info) and probe/remove.
// Probe turns the PCI device into DeviceResources (BAR0 registers, BAR2 LLQ memory and how it
// is really mapped, readless support from config space, memzone DMA, TSC clock) and makes the
// port with create_port(), as the simulated device's vdev glue does; in a secondary process
// create_port() attaches to the primary's port.
#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_eal.h>
#include <rte_interrupts.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "devargs.hpp"
#include "ena_ng_port.hpp"
#include "hw/registers.hpp"
#include "log.hpp"
#include "memzone_dma.hpp"
#include "pci_bar_mapping.hpp"

namespace ena::ng {
namespace {

constexpr off_t kPciRevisionOffset = 0x08;

// BAR virtual address, corrected for a BAR whose physical address is not page aligned (64 KiB
// pages).
std::uint8_t* bar_address(const rte_pci_device& pci, unsigned bar) {
    const rte_mem_resource& resource = pci.mem_resource[bar];
    if (resource.addr == nullptr)
        return nullptr;
    const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    const std::size_t offset = resource.phys_addr % page;
    return static_cast<std::uint8_t*>(resource.addr) + offset;
}

const char* kernel_driver(rte_pci_kernel_driver kdrv) {
    switch (kdrv) {
        case RTE_PCI_KDRV_VFIO: return "vfio-pci";
        case RTE_PCI_KDRV_IGB_UIO: return "igb_uio";
        case RTE_PCI_KDRV_UIO_GENERIC: return "uio_pci_generic";
        case RTE_PCI_KDRV_NIC_UIO: return "nic_uio";
        case RTE_PCI_KDRV_NONE: return "no kernel driver";
        default: return "an unknown kernel driver";
    }
}

// What the user can do about a BAR2 that is not (or not visibly) write-combined, by the
// kernel driver the function is bound to (see "Running on EC2" in the guide).
const char* write_combining_advice(rte_pci_kernel_driver kdrv, LlqMapping mapping) {
    switch (kdrv) {
        case RTE_PCI_KDRV_VFIO:
            return mapping == LlqMapping::kUnknown
                       ? "a stock vfio-pci maps BARs uncached, the one amzn-drivers' "
                         "userspace/dpdk/enav2-vfio-patch/get-vfio-with-wc.sh builds maps them write-combined"
                       : "install the write-combining vfio-pci (amzn-drivers userspace/dpdk/enav2-vfio-patch/"
                         "get-vfio-with-wc.sh) or bind igb_uio loaded with wc_activate=1";
        case RTE_PCI_KDRV_IGB_UIO:
            return "reload igb_uio with wc_activate=1 and bind the device again";
        case RTE_PCI_KDRV_UIO_GENERIC:
            // EAL maps resource2_wc under any UIO driver when sysfs has one; it had none usable here.
            return "EAL found no usable resource2_wc (sysfs offers one for a prefetchable BAR with PAT): bind "
                   "igb_uio loaded with wc_activate=1 or a write-combining vfio-pci";
        default:
            return "bind igb_uio loaded with wc_activate=1 or a write-combining vfio-pci";
    }
}

// How EAL really mapped BAR2 into this process, with what was seen and, when it is not
// write-combined, what to do; the port says it at its first start if Tx uses LLQ.
void describe_llq_mapping(const rte_pci_device& pci, DeviceResources& resources) {
    const rte_mem_resource& bar = pci.mem_resource[hw::kLlqBar];
    const BarMappingFinding finding = find_bar_mapping(bar.addr, bar.phys_addr, bar.len, hw::kLlqBar);
    resources.llq_mapping = finding.mapping;
    if (finding.mapping == LlqMapping::kWriteCombined)
        std::snprintf(resources.llq_mapping_note, sizeof(resources.llq_mapping_note), "%s (%s)",
                      finding.evidence.c_str(), kernel_driver(pci.kdrv));
    else
        std::snprintf(resources.llq_mapping_note, sizeof(resources.llq_mapping_note), "bound to %s, %s; %s",
                      kernel_driver(pci.kdrv), finding.evidence.c_str(), write_combining_advice(pci.kdrv, finding.mapping));
}

// Whether the device answers register reads through host memory (readless). The Linux driver
// reads it from bit 0 of the PCI revision, DPDK's from bit 0 of the class code; a plain read
// always works, so readless is used only when neither says no. A config space that cannot be
// read is an error: guessing "readless" would make a device without it fail after timeouts.
int read_readless_support(const rte_pci_device& pci, bool& readless) {
    std::uint8_t revision = 0;
    const int n = rte_pci_read_config(&pci, &revision, sizeof(revision), kPciRevisionOffset);
    if (n != static_cast<int>(sizeof(revision))) {
        log(g_log_init, RTE_LOG_ERR,
            "%s: cannot read the PCI revision from config space (%d) through %s, so whether the device answers "
            "readless register reads is unknown; port not created",
            pci.device.name, n, kernel_driver(pci.kdrv));
        return n < 0 ? n : -EIO;
    }
    readless = !(revision & hw::kPciRevisionNoReadlessMmio) && !(pci.id.class_id & hw::kPciRevisionNoReadlessMmio);
    log(g_log_init, RTE_LOG_DEBUG, "%s: PCI revision 0x%02x, class 0x%06x: readless register reads %s",
        pci.device.name, revision, pci.id.class_id, readless ? "on" : "off");
    return 0;
}

void copy_pci_info(rte_eth_dev* eth_dev, void* pci) { rte_eth_copy_pci_info(eth_dev, static_cast<rte_pci_device*>(pci)); }

// MSI-X through VFIO, as DPDK's PCI drivers set it up: EAL makes an eventfd per queue vector
// (rte_intr_efd_enable) and programs the whole vector table again when the handle is enabled,
// so the vectors go off, change, and come back on; vector 0 stays with the control path.
int vfio_set_queue_vectors(void* ctx, rte_intr_handle* handle, unsigned count) {
    const char* name = static_cast<const rte_pci_device*>(ctx)->device.name;
    rte_intr_disable(handle);
    rte_intr_efd_disable(handle);
    int rc = 0;
    if (count > 0) {
        rc = rte_intr_efd_enable(handle, count);
        if (rc == 0 && (rte_intr_nb_efd_get(handle) < static_cast<int>(count) || !rte_intr_allow_others(handle)))
            rc = -ENOSPC;
        if (rc != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: VFIO gives no %u MSI-X vectors for Rx queues besides the management one: %d",
                name, count, rc);
            rte_intr_efd_disable(handle);
        }
    }
    if (rte_intr_enable(handle) != 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: VFIO refused to enable the device's MSI-X vectors", name);
        if (rc == 0)
            rc = -EIO;
    }
    return rc;
}

// Whether MSI-X vector 0 reaches the process: vfio-pci (MSI-X, or MSI with one vector) and
// igb_uio. uio_pci_generic offers legacy INTx, which ENA does not raise.
bool management_interrupt_reachable(const rte_pci_device& pci) {
    if (pci.intr_handle == nullptr || rte_intr_fd_get(pci.intr_handle) < 0)
        return false;
    switch (rte_intr_type_get(pci.intr_handle)) {
        case RTE_INTR_HANDLE_VFIO_MSIX:
        case RTE_INTR_HANDLE_VFIO_MSI:
        case RTE_INTR_HANDLE_UIO:
            return true;
        default:
            return false;
    }
}

int pci_probe(rte_pci_driver*, rte_pci_device* pci) {
    const char* name = pci->device.name;
    const bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
    PortRequest request;
    DeviceResources& resources = request.resources;
    resources.registers = bar_address(*pci, hw::kRegisterBar);
    resources.registers_size = pci->mem_resource[hw::kRegisterBar].len;
    if (resources.registers == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "%s: register BAR%u is not mapped", name, hw::kRegisterBar);
        return -ENXIO;
    }
    // Without BAR2 the LLQ negotiation says once that Tx falls back to host memory.
    resources.llq_memory = bar_address(*pci, hw::kLlqBar);
    resources.llq_memory_size = pci->mem_resource[hw::kLlqBar].len;
    if (primary) {  // a secondary neither reads registers nor starts the port
        if (const int rc = read_readless_support(*pci, resources.readless_mmio); rc != 0)
            return rc;
        if (resources.llq_memory != nullptr)
            describe_llq_mapping(*pci, resources);
    }
    resources.numa_node = pci->device.numa_node;
    resources.pci_bdf = static_cast<std::uint16_t>(hw::host_bdf::Bus::make(pci->addr.bus) |
                                                   hw::host_bdf::Device::make(pci->addr.devid) |
                                                   hw::host_bdf::Function::make(pci->addr.function));
    resources.name = name;
    resources.dma_alloc = memzone_dma_alloc;
    resources.dma_free = memzone_dma_free;
    resources.now_ns = tsc_now_ns;
    resources.sleep_us = tsc_sleep_us;
    if (primary) {  // a secondary process gets no interrupts: the primary owns the device
        resources.management_interrupt = management_interrupt_reachable(*pci);
        if (pci->intr_handle != nullptr && rte_intr_type_get(pci->intr_handle) == RTE_INTR_HANDLE_VFIO_MSIX) {
            resources.set_queue_vectors = vfio_set_queue_vectors;
            resources.interrupt_ctx = pci;
        }
    }

    request.device = &pci->device;
    request.name = name;
    request.devargs = pci->device.devargs != nullptr ? pci->device.devargs->args : nullptr;
    request.fill_ethdev = copy_pci_info;
    request.fill_ctx = pci;
    std::uint16_t port_id = 0;
    return create_port(request, &port_id);
}

int pci_remove(rte_pci_device* pci) { return destroy_port(pci->device.name); }

}  // namespace
}  // namespace ena::ng

static const rte_pci_id ena_ng_pci_ids[] = {
    {RTE_PCI_DEVICE(ena::hw::kPciVendorAmazon, ena::hw::kPciDeviceVf)},
    {RTE_PCI_DEVICE(ena::hw::kPciVendorAmazon, ena::hw::kPciDeviceVfLlq)},
    {RTE_PCI_DEVICE(ena::hw::kPciVendorAmazon, ena::hw::kPciDevicePf)},
    {RTE_PCI_DEVICE(ena::hw::kPciVendorAmazon, ena::hw::kPciDevicePfLlq)},
    {RTE_PCI_DEVICE(ena::hw::kPciVendorAmazon, ena::hw::kPciDeviceReserved0)},
    {.vendor_id = 0},
};

static rte_pci_driver ena_ng_pci_driver = {
    .probe = ena::ng::pci_probe,
    .remove = ena::ng::pci_remove,
    .id_table = ena_ng_pci_ids,
    .drv_flags = RTE_PCI_DRV_NEED_MAPPING | RTE_PCI_DRV_INTR_LSC | RTE_PCI_DRV_WC_ACTIVATE,
};

RTE_PMD_REGISTER_PCI(net_ena_ng, ena_ng_pci_driver);
RTE_PMD_REGISTER_PCI_TABLE(net_ena_ng, ena_ng_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_ena_ng, "* igb_uio | uio_pci_generic | vfio-pci");
// What RTE_PMD_REGISTER_PARAM_STRING would embed, built from the devarg table the parser uses.
[[gnu::used]] static constexpr auto __net_ena_ng_param_string_export = ena::ng::param_string<ena::ng::kDriverDevargs>();
