#include "ena_ng_port.hpp"

#include <ethdev_driver.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include <cerrno>

#include "devargs.hpp"
#include "log.hpp"
#include "multi_process.hpp"
#include "port.hpp"

namespace ena::ng {

extern const eth_dev_ops kEthDevOps;  // ethdev_ops.cpp

namespace {

// A secondary process: the primary made the port; this process attaches to it with its own view
// of the device (its mappings, its callbacks).
int attach_port(const PortRequest& request, std::uint16_t* port_id) {
    rte_eth_dev* eth_dev = rte_eth_dev_attach_secondary(request.name);
    if (eth_dev == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "%s: the primary process has no such port", request.name);
        return -ENODEV;
    }
    eth_dev->device = request.device;
    if (request.fill_ethdev != nullptr)
        request.fill_ethdev(eth_dev, request.fill_ctx);
    eth_dev->dev_ops = &kEthDevOps;
    Port& port = Port::of(eth_dev);
    port.attach_process(request.resources);
    port.attach_datapath();
    rte_eth_dev_probing_finish(eth_dev);
    *port_id = eth_dev->data->port_id;
    return 0;
}

}  // namespace

int create_port(const PortRequest& request, std::uint16_t* port_id) {
    const char* name = request.name;
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return attach_port(request, port_id);
    mp_serve_secondaries();
    DriverArgs args;
    int rc = parse_driver_args(request.devargs, request.foreign_keys, args);
    if (rc != 0) {
        log(g_log_init, RTE_LOG_ERR, "%s: bad devargs, port not created", name);
        return rc;
    }
    rte_eth_dev* eth_dev = rte_eth_dev_allocate(name);
    if (eth_dev == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "%s: cannot allocate an ethdev port (name in use or no free port)", name);
        return -ENOMEM;
    }
    const int socket = request.resources.numa_node;
    eth_dev->device = request.device;
    eth_dev->data->numa_node = socket;
    eth_dev->data->dev_private = rte_zmalloc_socket(name, sizeof(Port), RTE_CACHE_LINE_SIZE, socket);
    if (eth_dev->data->dev_private == nullptr) {
        rte_eth_dev_release_port(eth_dev);
        return -ENOMEM;
    }
    if (request.fill_ethdev != nullptr)
        request.fill_ethdev(eth_dev, request.fill_ctx);
    rc = Port::create(eth_dev, request.resources, args);
    if (rc != 0) {
        rte_eth_dev_release_port(eth_dev);
        return rc;
    }
    rte_eth_dev_probing_finish(eth_dev);
    *port_id = eth_dev->data->port_id;
    return 0;
}

int destroy_port(const char* name) {
    rte_eth_dev* eth_dev = rte_eth_dev_allocated(name);
    if (eth_dev == nullptr)
        return 0;
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return rte_eth_dev_release_port(eth_dev);  // the port is the primary's: only let go of it
    const std::uint16_t port_id = eth_dev->data->port_id;
    if (eth_dev->data->dev_started)
        rte_eth_dev_stop(port_id);
    return rte_eth_dev_close(port_id);
}

Port* find_port(std::uint16_t port_id) {
    if (!rte_eth_dev_is_valid_port(port_id) || rte_eth_devices[port_id].dev_ops != &kEthDevOps)
        return nullptr;
    return &Port::of(&rte_eth_devices[port_id]);
}

}  // namespace ena::ng
