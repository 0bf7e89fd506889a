// The eth_dev_ops table: each op forwards to the Port in dev_private.
#include <ethdev_driver.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <cerrno>
#include <iterator>

#include "datapath/datapath.hpp"
#include "dpdk_compat.hpp"
#include "log.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

Port& port(rte_eth_dev* dev) { return Port::of(dev); }

// What only the primary process may do: it owns the device. A secondary reads the shared state
// (statistics, information) and asks the primary for the rest where ethdev lets it.
bool secondary(const rte_eth_dev* dev, const char* what) {
    if (rte_eal_process_type() == RTE_PROC_PRIMARY)
        return false;
    log(g_log_driver, RTE_LOG_ERR, "%s: %s is for the primary process, which owns the device", dev->data->name, what);
    return true;
}

int op_configure(rte_eth_dev* dev) { return secondary(dev, "configure") ? -E_RTE_SECONDARY : port(dev).configure(); }
int op_infos_get(rte_eth_dev* dev, rte_eth_dev_info* info) { return port(dev).infos_get(info); }
int op_start(rte_eth_dev* dev) { return secondary(dev, "start") ? -E_RTE_SECONDARY : port(dev).start(); }
int op_stop(rte_eth_dev* dev) { return secondary(dev, "stop") ? -E_RTE_SECONDARY : port(dev).stop(); }
int op_close(rte_eth_dev* dev) { return port(dev).close(); }
int op_reset(rte_eth_dev* dev) { return secondary(dev, "reset") ? -E_RTE_SECONDARY : port(dev).reset(); }
int op_link_update(rte_eth_dev* dev, int wait) {
    // A secondary sees the link state the primary keeps in the shared port data.
    return rte_eal_process_type() == RTE_PROC_PRIMARY ? port(dev).link_update(wait) : 0;
}
int op_mtu_set(rte_eth_dev* dev, uint16_t mtu) {
    return secondary(dev, "setting the MTU") ? -E_RTE_SECONDARY : port(dev).mtu_set(mtu);
}
int op_stats_get(rte_eth_dev* dev, rte_eth_stats* stats) { return port(dev).stats_get(stats); }
int op_stats_reset(rte_eth_dev* dev) { return port(dev).stats_reset(); }

int op_rx_queue_setup(rte_eth_dev* dev, uint16_t queue, uint16_t descriptors, unsigned socket,
                      const rte_eth_rxconf* conf, rte_mempool* pool) {
    return secondary(dev, "Rx queue setup") ? -E_RTE_SECONDARY
                                            : port(dev).rx_queue_setup(queue, descriptors, socket, conf, pool);
}
int op_tx_queue_setup(rte_eth_dev* dev, uint16_t queue, uint16_t descriptors, unsigned socket,
                      const rte_eth_txconf* conf) {
    return secondary(dev, "Tx queue setup") ? -E_RTE_SECONDARY
                                            : port(dev).tx_queue_setup(queue, descriptors, socket, conf);
}
void op_rx_queue_release(rte_eth_dev* dev, uint16_t queue) { port(dev).rx_queue_release(queue); }
void op_tx_queue_release(rte_eth_dev* dev, uint16_t queue) { port(dev).tx_queue_release(queue); }

void op_rxq_info_get(rte_eth_dev* dev, uint16_t queue, rte_eth_rxq_info* info) {
    port(dev).rxq_info_get(queue, info);
}
void op_txq_info_get(rte_eth_dev* dev, uint16_t queue, rte_eth_txq_info* info) {
    port(dev).txq_info_get(queue, info);
}
int op_rx_burst_mode_get(rte_eth_dev* dev, uint16_t queue, rte_eth_burst_mode* mode) {
    return port(dev).rx_burst_mode_get(queue, mode);
}
int op_tx_burst_mode_get(rte_eth_dev* dev, uint16_t queue, rte_eth_burst_mode* mode) {
    return port(dev).tx_burst_mode_get(queue, mode);
}
int op_reta_update(rte_eth_dev* dev, rte_eth_rss_reta_entry64* conf, uint16_t size) {
    return secondary(dev, "RSS table update") ? -E_RTE_SECONDARY : port(dev).reta_update(conf, size);
}
int op_reta_query(rte_eth_dev* dev, rte_eth_rss_reta_entry64* conf, uint16_t size) {
    return port(dev).reta_query(conf, size);
}
int op_rss_hash_update(rte_eth_dev* dev, rte_eth_rss_conf* conf) {
    return secondary(dev, "RSS hash update") ? -E_RTE_SECONDARY : port(dev).rss_hash_update(conf);
}
int op_rss_hash_conf_get(rte_eth_dev* dev, rte_eth_rss_conf* conf) { return port(dev).rss_hash_conf_get(conf); }
int op_xstats_get_names(rte_eth_dev* dev, rte_eth_xstat_name* names, unsigned size) {
    return port(dev).xstats_get_names(names, size);
}
int op_xstats_get(rte_eth_dev* dev, rte_eth_xstat* stats, unsigned count) { return port(dev).xstats_get(stats, count); }
int op_xstats_reset(rte_eth_dev* dev) { return port(dev).xstats_reset(); }
int op_xstats_get_by_id(rte_eth_dev* dev, const uint64_t* ids, uint64_t* values, unsigned count) {
    return port(dev).xstats_get_by_id(ids, values, count);
}
int op_xstats_get_names_by_id(rte_eth_dev* dev, const uint64_t* ids, rte_eth_xstat_name* names, unsigned size) {
    return port(dev).xstats_get_names_by_id(ids, names, size);
}
int op_fw_version_get(rte_eth_dev* dev, char* text, size_t size) { return port(dev).fw_version_get(text, size); }
int op_rx_queue_intr_enable(rte_eth_dev* dev, uint16_t queue) {
    return secondary(dev, "Rx queue interrupts") ? -E_RTE_SECONDARY : port(dev).rx_queue_intr_enable(queue);
}
int op_rx_queue_intr_disable(rte_eth_dev* dev, uint16_t queue) {
    return secondary(dev, "Rx queue interrupts") ? -E_RTE_SECONDARY : port(dev).rx_queue_intr_disable(queue);
}

const uint32_t* op_supported_ptypes_get(rte_eth_dev*, size_t* count) {
    // What the Rx completion's L3/L4 protocol fields can say.
    static const uint32_t kPtypes[] = {
        RTE_PTYPE_L2_ETHER, RTE_PTYPE_L3_IPV4, RTE_PTYPE_L3_IPV6, RTE_PTYPE_L4_TCP,
        RTE_PTYPE_L4_UDP,   RTE_PTYPE_L4_FRAG, RTE_PTYPE_UNKNOWN,
    };
    *count = std::size(kPtypes) - 1;  // without the terminator (read by ethdev before 24.03)
    return kPtypes;
}

// An ENA port receives what the VPC addresses to it: frames for other MACs never arrive, so
// promiscuous mode cannot be turned on, and there is no multicast filter to turn off.
int op_promiscuous_enable(rte_eth_dev*) { return -ENOTSUP; }
int op_promiscuous_disable(rte_eth_dev*) { return 0; }
int op_allmulticast_enable(rte_eth_dev*) { return 0; }
int op_allmulticast_disable(rte_eth_dev*) { return -ENOTSUP; }

eth_dev_ops make_ops() {
    eth_dev_ops ops{};
    ops.dev_configure = op_configure;
    ops.dev_start = op_start;
    ops.dev_stop = op_stop;
    ops.dev_close = op_close;
    ops.dev_reset = op_reset;
    ops.promiscuous_enable = op_promiscuous_enable;
    ops.promiscuous_disable = op_promiscuous_disable;
    ops.allmulticast_enable = op_allmulticast_enable;
    ops.allmulticast_disable = op_allmulticast_disable;
    ops.link_update = op_link_update;
    ops.stats_get = op_stats_get;
    ops.stats_reset = op_stats_reset;
    ops.dev_infos_get = op_infos_get;
    ops.rxq_info_get = op_rxq_info_get;
    ops.txq_info_get = op_txq_info_get;
    ops.rx_burst_mode_get = op_rx_burst_mode_get;
    ops.tx_burst_mode_get = op_tx_burst_mode_get;
    ops.fw_version_get = op_fw_version_get;
    ops.dev_supported_ptypes_get = compat::supported_ptypes_op<op_supported_ptypes_get>();
    ops.mtu_set = op_mtu_set;
    ops.rx_queue_setup = op_rx_queue_setup;
    ops.rx_queue_release = op_rx_queue_release;
    ops.tx_queue_setup = op_tx_queue_setup;
    ops.tx_queue_release = op_tx_queue_release;
    ops.tx_done_cleanup = datapath::tx_done_cleanup;
    ops.rx_queue_intr_enable = op_rx_queue_intr_enable;
    ops.rx_queue_intr_disable = op_rx_queue_intr_disable;
    ops.reta_update = op_reta_update;
    ops.reta_query = op_reta_query;
    ops.rss_hash_update = op_rss_hash_update;
    ops.rss_hash_conf_get = op_rss_hash_conf_get;
    ops.xstats_get_names = op_xstats_get_names;
    ops.xstats_get = op_xstats_get;
    ops.xstats_reset = op_xstats_reset;
    ops.xstats_get_by_id = op_xstats_get_by_id;
    ops.xstats_get_names_by_id = op_xstats_get_names_by_id;
    return ops;
}

}  // namespace

extern const eth_dev_ops kEthDevOps = make_ops();

}  // namespace ena::ng
