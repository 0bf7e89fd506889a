// PLACEHOLDER from the build frame: registers the net_ena_sim vdev driver and its devargs so
// that building, PMD info and plugin loading can be exercised. The simulator engineers replace
// this file; probe only logs and declines the device.
#include <cerrno>

#include <bus_vdev_driver.h>
#include <rte_log.h>

RTE_LOG_REGISTER(ena_sim_placeholder_logtype, pmd.net.ena_sim, NOTICE);

namespace {

int placeholder_probe(rte_vdev_device *dev)
{
	rte_log(RTE_LOG_ERR, ena_sim_placeholder_logtype,
		"net_ena_sim: %s: simulator not implemented yet (placeholder driver)\n",
		rte_vdev_device_name(dev));
	return -ENOTSUP;
}

int placeholder_remove(rte_vdev_device *) { return 0; }

}  // namespace

static rte_vdev_driver ena_sim_vdev_driver = {
	.probe = placeholder_probe,
	.remove = placeholder_remove,
};

RTE_PMD_REGISTER_VDEV(net_ena_sim, ena_sim_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_ena_sim,
	"mac=<xx:xx:xx:xx:xx:xx> "
	"queues=<1-128> "
	"llq=<none|normal|wide> "
	"mtu=<128-9216> "
	"link=<up|down> "
	"wire=<loopback|vpc:NAME|tap:IFNAME|pcap:rx=FILE,tx=FILE> "
	"engine=<threaded|sync>");
