/* forward: the least code an application needs to move packets with the ENA PMD. Every port is
 * paired with the next one (0 <-> 1, 2 <-> 3, ...) and what one receives the other sends, with
 * one queue per port on the main lcore. Nothing here is ENA-specific: the PMD is an ordinary
 * ethdev, loaded as a plugin with EAL's -d.
 *
 * On EC2, two ENIs bound to vfio-pci:
 *   forward -l 0 -a 0000:00:06.0 -a 0000:00:07.0 -d <plugin dir>
 * On any machine, two simulated ENIs, the first replaying a capture:
 *   forward --no-huge -m 512 --no-pci -d <plugin dir> \
 *       --vdev='net_ena_sim0,wire=[pcap:rx=in.pcap]' --vdev='net_ena_sim1,wire=[pcap:tx=out.pcap]'
 * Options after "--": --seconds N (stop after N seconds; default: run until Ctrl-C).
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
#include <rte_mbuf.h>

#define RING_SIZE 512 /* within ENA's Tx ring limit with wide LLQ entries (512) */
#define BURST 32

static volatile bool stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = true; }

static int start_port(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	const int socket = rte_eth_dev_socket_id(port);
	int rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, RING_SIZE, socket, NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, RING_SIZE, socket, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, "forward: port %u: %s\n", port, rte_strerror(-rc));
	return rc;
}

/* Moves one burst from rx_port to tx_port; frames the Tx ring has no room for are freed. */
static uint64_t forward_burst(uint16_t rx_port, uint16_t tx_port, uint64_t *dropped)
{
	struct rte_mbuf *pkts[BURST];
	const uint16_t n = rte_eth_rx_burst(rx_port, 0, pkts, BURST);
	if (n == 0)
		return 0;
	const uint16_t sent = rte_eth_tx_burst(tx_port, 0, pkts, n);
	if (sent < n) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		*dropped += n - sent;
	}
	return sent;
}

int main(int argc, char **argv)
{
	const int consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		fprintf(stderr, "forward: EAL initialisation failed\n");
		return 1;
	}
	argc -= consumed;
	argv += consumed;
	unsigned int seconds = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = (unsigned int)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: forward <EAL args> -- [--seconds N]\n");
			return 2;
		}
	}
	const uint16_t nb_ports = rte_eth_dev_count_avail();
	if (nb_ports < 2 || nb_ports % 2 != 0) {
		fprintf(stderr, "forward: needs an even number of ports, has %u\n", nb_ports);
		return 1;
	}
	struct rte_mempool *pool = rte_pktmbuf_pool_create("forward_pool", 2 * nb_ports * RING_SIZE + 1023, 256, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "forward: no mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port) {
		if (start_port(port, pool) != 0)
			return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("forward: %u ports, paired 0<->1%s\n", nb_ports, nb_ports > 2 ? ", 2<->3, ..." : "");
	fflush(stdout);

	const uint64_t end = seconds ? rte_get_tsc_cycles() + (uint64_t)seconds * rte_get_tsc_hz() : UINT64_MAX;
	uint64_t forwarded[RTE_MAX_ETHPORTS] = {0}, dropped = 0;
	while (!stop_requested && rte_get_tsc_cycles() < end) {
		RTE_ETH_FOREACH_DEV(port) {
			forwarded[port] += forward_burst(port, port ^ 1, &dropped);
		}
	}

	RTE_ETH_FOREACH_DEV(port) {
		printf("forward: port %u -> port %u: %" PRIu64 " packets\n", port, port ^ 1, forwarded[port]);
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	printf("forward: %" PRIu64 " dropped for want of Tx room\n", dropped);
	rte_eal_cleanup();
	return 0;
}
