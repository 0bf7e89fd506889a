/* allowance_monitor: the ENI allowance counters of every ENA port, every second, as the change
 * since the last line, with the one that is rising named: what `watch ethtool -S` shows on Linux.
 *
 * Beside a running primary (testpmd, your application), as a secondary process (hugepages):
 *   allowance_monitor --proc-type=secondary --file-prefix=<the primary's> -d <plugin dir> --
 * With ports of its own (--send: each port transmits 64-byte frames to the next port, as fast
 * as it can, so that the simulated card's limits are hit):
 *   allowance_monitor --no-huge -m 512 --no-pci -d <plugin dir> \
 *       --vdev=net_ena_sim0,mac=02:00:00:00:00:01,wire=vpc:m,pps=20000 \
 *       --vdev=net_ena_sim1,mac=02:00:00:00:00:02,wire=vpc:m -- --send
 * Options after "--": --interval-ms N (1000), --count N (lines per port, 0: until Ctrl-C),
 * --send.
 *
 * Only public DPDK API: the counters are xstats by name (rte_eth_xstats_get_id_by_name /
 * rte_eth_xstats_get_by_id), which the driver answers from its device snapshot without waiting:
 * they are as fresh as the port's stats_interval devarg (1000 ms by default), so a line every
 * second may now and then show one interval's change twice or none.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define ALLOWANCES 6
static const char *const allowance_names[ALLOWANCES] = {
	"bw_in_allowance_exceeded",     "bw_out_allowance_exceeded",
	"pps_allowance_exceeded",       "conntrack_allowance_exceeded",
	"linklocal_allowance_exceeded", "conntrack_allowance_available",
};
/* What each counter means when it rises (the EC2 user guide, "Metrics for the ENA driver"). */
static const char *const allowance_meaning[ALLOWANCES] = {
	"inbound bandwidth above the instance's allowance",
	"outbound bandwidth above the instance's allowance",
	"packets per second (both directions) above the instance's allowance",
	"more connections than the instance can track",
	"traffic to link-local services (DNS, metadata, time) above 1024 packets per second",
	"",
};
#define GAUGE 5 /* conntrack_allowance_available: room left, not a count */

struct watched_port {
	uint16_t id;
	uint64_t ids[ALLOWANCES];
	bool reported[ALLOWANCES];
	uint64_t last[ALLOWANCES];
	struct rte_ether_addr mac;
};

static volatile bool stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = true; }

static bool is_ena(uint16_t port)
{
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) != 0)
		return false;
	return strcmp(info.driver_name, "net_ena_ng") == 0 || strcmp(info.driver_name, "net_ena_sim") == 0;
}

static int read_counters(const struct watched_port *p, uint64_t *values)
{
	for (int i = 0; i < ALLOWANCES; i++) {
		values[i] = 0;
		if (p->reported[i] && rte_eth_xstats_get_by_id(p->id, &p->ids[i], &values[i], 1) != 1)
			return -1;
	}
	return 0;
}

static int start_own_port(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL) != 0)
		return -1;
	return rte_eth_dev_start(port);
}

/* One burst of 64-byte frames from `from` to `to`, and whatever arrived is dropped. */
static void send_burst(const struct watched_port *from, const struct watched_port *to, struct rte_mempool *pool)
{
	struct rte_mbuf *pkts[32];
	unsigned int n = 0;
	for (; n < 32; n++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			break;
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, 64);
		memset(eth, 0, 64);
		eth->dst_addr = to->mac;
		eth->src_addr = from->mac;
		eth->ether_type = rte_cpu_to_be_16(0x88b5); /* local experimental EtherType */
		pkts[n] = m;
	}
	uint16_t sent = rte_eth_tx_burst(from->id, 0, pkts, (uint16_t)n);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	struct rte_mbuf *got[32];
	uint16_t got_n = rte_eth_rx_burst(from->id, 0, got, 32);
	rte_pktmbuf_free_bulk(got, got_n);
}

int main(int argc, char **argv)
{
	int consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		fprintf(stderr, "allowance_monitor: EAL initialisation failed\n");
		return 1;
	}
	argc -= consumed;
	argv += consumed;
	unsigned int interval_ms = 1000, count = 0;
	bool send = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--interval-ms") == 0 && i + 1 < argc)
			interval_ms = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--send") == 0)
			send = true;
		else {
			fprintf(stderr, "usage: allowance_monitor <EAL args> -- [--interval-ms N] [--count N] [--send]\n");
			return 2;
		}
	}
	const bool secondary = rte_eal_process_type() != RTE_PROC_PRIMARY;
	if (secondary && send) {
		fprintf(stderr, "allowance_monitor: --send needs ports of its own (a primary process)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	struct watched_port ports[RTE_MAX_ETHPORTS];
	unsigned int nb = 0;
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port) {
		if (!is_ena(port))
			continue;
		struct watched_port *p = &ports[nb++];
		memset(p, 0, sizeof(*p));
		p->id = port;
		rte_eth_macaddr_get(port, &p->mac);
	}
	if (nb == 0) {
		fprintf(stderr, "allowance_monitor: no ENA port (net_ena_ng or net_ena_sim) here\n");
		return 1;
	}
	struct rte_mempool *pool = NULL;
	if (!secondary) {
		pool = rte_pktmbuf_pool_create("monitor_pool", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
		for (unsigned int i = 0; pool != NULL && i < nb; i++)
			if (start_own_port(ports[i].id, pool) != 0) {
				fprintf(stderr, "allowance_monitor: port %u did not start\n", ports[i].id);
				return 1;
			}
	}
	/* Which counters each port's device reports (the others are left out of its xstats). */
	for (unsigned int i = 0; i < nb; i++) {
		struct watched_port *p = &ports[i];
		for (int k = 0; k < ALLOWANCES; k++)
			p->reported[k] = rte_eth_xstats_get_id_by_name(p->id, allowance_names[k], &p->ids[k]) == 0;
		read_counters(p, p->last);
	}

	printf("%8s %4s %12s %12s %12s %12s %12s %14s\n", "time", "port", "bw_in", "bw_out", "pps", "conntrack",
	       "linklocal", "conntrack_room");
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t start = rte_get_tsc_cycles();
	uint64_t next = start + hz * interval_ms / 1000;
	for (unsigned int line = 0; !stop_requested && (count == 0 || line < count);) {
		if (send && nb > 1)
			for (unsigned int i = 0; i < nb; i++)
				send_burst(&ports[i], &ports[(i + 1) % nb], pool);
		else if (send)
			send_burst(&ports[0], &ports[0], pool);
		else
			rte_delay_us_sleep(1000);
		const uint64_t now = rte_get_tsc_cycles();
		if (now < next)
			continue;
		next += hz * interval_ms / 1000;
		line++;
		for (unsigned int i = 0; i < nb; i++) {
			struct watched_port *p = &ports[i];
			uint64_t now_values[ALLOWANCES];
			if (read_counters(p, now_values) != 0) {
				printf("%8.1f %4u cannot read its counters\n", (double)(now - start) / hz, p->id);
				continue;
			}
			char cells[ALLOWANCES][24];
			int rising = -1;
			uint64_t most = 0;
			for (int k = 0; k < ALLOWANCES; k++) {
				if (!p->reported[k]) {
					snprintf(cells[k], sizeof(cells[k]), "-");
					continue;
				}
				if (k == GAUGE) {
					snprintf(cells[k], sizeof(cells[k]), "%" PRIu64, now_values[k]);
					continue;
				}
				const uint64_t delta = now_values[k] - p->last[k];
				snprintf(cells[k], sizeof(cells[k]), "+%" PRIu64, delta);
				if (delta > most) {
					most = delta;
					rising = k;
				}
			}
			memcpy(p->last, now_values, sizeof(now_values));
			printf("%8.1f %4u %12s %12s %12s %12s %12s %14s", (double)(now - start) / hz, p->id, cells[0],
			       cells[1], cells[2], cells[3], cells[4], cells[5]);
			if (rising >= 0)
				printf("  << %s rising: %s", allowance_names[rising], allowance_meaning[rising]);
			printf("\n");
		}
		fflush(stdout);
	}
	if (!secondary)
		for (unsigned int i = 0; i < nb; i++) {
			rte_eth_dev_stop(ports[i].id);
			rte_eth_dev_close(ports[i].id);
		}
	rte_eal_cleanup();
	return 0;
}
