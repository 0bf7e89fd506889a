// PCI glue of net_ena_ng: registration (ids, kernel modules, devargs, PMD info) and probe/remove.
// Probe turns the PCI device into DeviceResources (BAR0 registers, BAR2 LLQ memory, readless
// support from the PCI revision, memzone DMA, TSC clock) and makes the port with create_port(),
// as the simulated device's vdev glue does.
#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "devargs.hpp"
#include "ena_ng_port.hpp"
#include "hw/registers.hpp"
#include "log.hpp"
#include "memzone_dma.hpp"

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

// DPDK maps a prefetchable BAR write-combined only through UIO drivers and only when the kernel
// exposes resourceN_wc; vfio-pci maps it uncached.
bool llq_bar_write_combined(const rte_pci_device& pci) {
    if (pci.kdrv != RTE_PCI_KDRV_IGB_UIO && pci.kdrv != RTE_PCI_KDRV_UIO_GENERIC)
        return false;
    char path[128];
    std::snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%u_wc", pci.name, hw::kLlqBar);
    return access(path, F_OK) == 0;
}

void copy_pci_info(rte_eth_dev* eth_dev, void* pci) { rte_eth_copy_pci_info(eth_dev, static_cast<rte_pci_device*>(pci)); }

int pci_probe(rte_pci_driver*, rte_pci_device* pci) {
    const char* name = pci->device.name;
    PortRequest request;
    DeviceResources& resources = request.resources;
    resources.registers = bar_address(*pci, hw::kRegisterBar);
    resources.registers_size = pci->mem_resource[hw::kRegisterBar].len;
    if (resources.registers == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "%s: register BAR%u is not mapped", name, hw::kRegisterBar);
        return -ENXIO;
    }
    resources.llq_memory = bar_address(*pci, hw::kLlqBar);
    resources.llq_memory_size = pci->mem_resource[hw::kLlqBar].len;
    if (resources.llq_memory == nullptr) {
        log(g_log_init, RTE_LOG_WARNING, "%s: LLQ memory BAR%u is not mapped: Tx uses host memory (slower on ENA)",
            name, hw::kLlqBar);
    } else {
        if (!llq_bar_write_combined(*pci))
            log(g_log_init, RTE_LOG_WARNING,
                "%s: LLQ memory BAR%u is not mapped write-combined (kernel driver %s): LLQ writes will be slow; bind "
                "igb_uio with wc_activate=1 or a write-combining vfio-pci",
                name, hw::kLlqBar, pci->kdrv == RTE_PCI_KDRV_VFIO ? "vfio-pci" : "without resource_wc");
    }
    std::uint8_t revision = 0;
    if (rte_pci_read_config(pci, &revision, sizeof(revision), kPciRevisionOffset) == sizeof(revision))
        resources.readless_mmio = !(revision & hw::kPciRevisionNoReadlessMmio);
    resources.numa_node = pci->device.numa_node;
    resources.pci_bdf = static_cast<std::uint16_t>(hw::host_bdf::Bus::make(pci->addr.bus) |
                                                   hw::host_bdf::Device::make(pci->addr.devid) |
                                                   hw::host_bdf::Function::make(pci->addr.function));
    resources.name = name;
    resources.dma_alloc = memzone_dma_alloc;
    resources.dma_free = memzone_dma_free;
    resources.now_ns = tsc_now_ns;
    resources.sleep_us = tsc_sleep_us;

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
