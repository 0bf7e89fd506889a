// PLACEHOLDER from the build frame: registers the net_ena_ng PCI driver with its ids, kernel
// modules and devargs so that building, PMD info and plugin loading can be exercised.
// The driver engineers replace this file; probe only declines the device.
#include <cerrno>

#include <bus_pci_driver.h>
#include <rte_log.h>

RTE_LOG_REGISTER(ena_ng_placeholder_logtype, pmd.net.ena_ng.init, NOTICE);

namespace {

int placeholder_probe(rte_pci_driver *, rte_pci_device *)
{
	rte_log(RTE_LOG_NOTICE, ena_ng_placeholder_logtype,
		"net_ena_ng: placeholder driver, device not probed\n");
	return -ENOTSUP;
}

int placeholder_remove(rte_pci_device *) { return 0; }

}  // namespace

static const rte_pci_id ena_ng_pci_ids[] = {
	{RTE_PCI_DEVICE(0x1d0f, 0xec20)},
	{RTE_PCI_DEVICE(0x1d0f, 0xec21)},
	{RTE_PCI_DEVICE(0x1d0f, 0x0ec2)},
	{RTE_PCI_DEVICE(0x1d0f, 0x1ec2)},
	{RTE_PCI_DEVICE(0x1d0f, 0x0051)},
	{.vendor_id = 0},
};

static rte_pci_driver ena_ng_pci_driver = {
	.probe = placeholder_probe,
	.remove = placeholder_remove,
	.id_table = ena_ng_pci_ids,
	.drv_flags = RTE_PCI_DRV_NEED_MAPPING,
};

RTE_PMD_REGISTER_PCI(net_ena_ng, ena_ng_pci_driver);
RTE_PMD_REGISTER_PCI_TABLE(net_ena_ng, ena_ng_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_ena_ng, "* igb_uio | uio_pci_generic | vfio-pci");
RTE_PMD_REGISTER_PARAM_STRING(net_ena_ng,
	"llq_policy=<0|1|2|3> "
	"miss_txc_to=<uint> "
	"control_path_poll_interval=<0|500-1000> "
	"enable_frag_bypass=<0|1> "
	"large_llq_hdr=<0|1> "
	"normal_llq_hdr=<0|1> "
	"enable_llq=<0|1>");
