/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * power_forward: a power-aware forwarder in the spirit of DPDK's l3fwd-power, on the public
 * DPDK API only.
 *
 * Ports are paired (0 <-> 1, 2 <-> 3, ...): what one receives, its peer sends. Every lcore owns
 * one Rx and one Tx queue on each port. An lcore polls its Rx queues while traffic flows; after
 * --idle-polls rounds that found nothing it arms the Rx interrupts of its queues
 * (rte_eth_dev_rx_intr_enable) and sleeps in rte_epoll_wait until a packet arrives, then polls
 * again. While the ports are idle the lcores take no CPU time.
 *
 *   power_forward [EAL options] -- [--idle-polls N] [--seconds S]
 *
 * --idle-polls N  empty polling rounds before an lcore sleeps (default 300)
 * --seconds S     stop after S seconds (default: run until SIGINT or SIGTERM)
 *
 * At start every lcore prints its thread id (to watch it in /proc/PID/task/TID/stat); at the end
 * each prints what it forwarded, how often it slept and how often a packet woke it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#define BURST 32
#define RX_DESC 512
#define TX_DESC 512
#define MAX_QUEUES_PER_LCORE 16
#define MAX_EVENTS (MAX_QUEUES_PER_LCORE + 1)
#define QUIT_MARK ((void *)(uintptr_t)UINT32_MAX)

struct rx_queue_ref {
	uint16_t port;
	uint16_t queue;
	uint16_t peer; /* the port its packets leave by, on the same queue number */
};

struct lcore_state {
	struct rx_queue_ref queues[MAX_QUEUES_PER_LCORE];
	unsigned int nb_queues;
	uint64_t rx, tx, dropped;
	uint64_t sleeps;  /* times it armed its interrupts and slept */
	uint64_t wakeups; /* sleeps a packet ended */
	struct rte_epoll_event quit_event;
} __rte_cache_aligned;

static struct lcore_state lcores[RTE_MAX_LCORE];
static unsigned int idle_polls = 300;
static unsigned int run_seconds;
static volatile bool quit;
static int quit_fd = -1;
static volatile bool setup_failed; /* an lcore could not start: the program stops and fails */

/* Sets the flag and writes the eventfd every sleeping lcore watches: async-signal-safe. */
static void
request_quit(void)
{
	const uint64_t one = 1;

	quit = true;
	if (write(quit_fd, &one, sizeof(one)) < 0) {
		/* nothing to do: the flag is set */
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	request_quit();
}

static void
sleep_until_traffic(struct lcore_state *s)
{
	struct rte_epoll_event events[MAX_EVENTS];
	bool waiting = false;
	unsigned int i;
	int n;

	for (i = 0; i < s->nb_queues; i++)
		rte_eth_dev_rx_intr_enable(s->queues[i].port, s->queues[i].queue);
	/* A packet that arrived between the last poll and the arming may raise no interrupt on
	 * some devices: look once more before sleeping. */
	for (i = 0; i < s->nb_queues; i++)
		if (rte_eth_rx_descriptor_status(s->queues[i].port, s->queues[i].queue, 0) ==
		    RTE_ETH_RX_DESC_DONE)
			waiting = true;
	if (!waiting && !quit) {
		s->sleeps++;
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, events, MAX_EVENTS, -1);
		for (i = 0; i < (unsigned int)RTE_MAX(n, 0); i++)
			if (events[i].epdata.data != QUIT_MARK) {
				s->wakeups++;
				break;
			}
	}
	for (i = 0; i < s->nb_queues; i++)
		rte_eth_dev_rx_intr_disable(s->queues[i].port, s->queues[i].queue);
}

static int
lcore_main(void *arg)
{
	struct lcore_state *s = &lcores[rte_lcore_id()];
	struct rte_mbuf *pkts[BURST];
	unsigned int idle = 0, i;

	(void)arg;
	s->quit_event.epdata.event = EPOLLIN;
	s->quit_event.epdata.data = QUIT_MARK;
	if (rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_ADD, quit_fd, &s->quit_event) != 0) {
		printf("lcore %u: cannot watch the quit eventfd\n", rte_lcore_id());
		setup_failed = true;
		request_quit();
		return -1;
	}
	for (i = 0; i < s->nb_queues; i++) {
		const struct rx_queue_ref *q = &s->queues[i];

		if (rte_eth_dev_rx_intr_ctl_q(q->port, q->queue, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
					      (void *)(uintptr_t)i) != 0) {
			printf("lcore %u: port %u queue %u has no Rx interrupt\n", rte_lcore_id(), q->port,
			       q->queue);
			setup_failed = true;
			request_quit();
			return -1;
		}
	}
	printf("lcore %u: thread %d, %u Rx queues\n", rte_lcore_id(), rte_sys_gettid(), s->nb_queues);
	fflush(stdout);

	while (!quit) {
		uint64_t got = 0;

		for (i = 0; i < s->nb_queues; i++) {
			const struct rx_queue_ref *q = &s->queues[i];
			const uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, BURST);
			uint16_t sent;

			if (n == 0)
				continue;
			got += n;
			sent = rte_eth_tx_burst(q->peer, q->queue, pkts, n);
			if (sent < n)
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
			s->tx += sent;
			s->dropped += n - sent;
		}
		s->rx += got;
		if (got != 0) {
			idle = 0;
			continue;
		}
		if (++idle < idle_polls) {
			rte_pause();
			continue;
		}
		sleep_until_traffic(s);
		idle = 0;
	}
	return 0;
}

static int
port_init(uint16_t port, uint16_t queues, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	if (queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port, queues, queues, &conf);
	for (q = 0; rc == 0 && q < queues; q++)
		rc = rte_eth_rx_queue_setup(port, q, RX_DESC, rte_eth_dev_socket_id(port), NULL, pool);
	for (q = 0; rc == 0 && q < queues; q++)
		rc = rte_eth_tx_queue_setup(port, q, TX_DESC, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{"idle-polls", required_argument, NULL, 'i'},
		{"seconds", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	char *end;
	unsigned long v;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt != 'i' && opt != 's')
			return -1;
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || v > UINT32_MAX || (opt == 'i' && v == 0))
			return -1;
		if (opt == 'i')
			idle_polls = (unsigned int)v;
		else
			run_seconds = (unsigned int)v;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *pool;
	uint16_t nb_ports, port, queues = 0;
	unsigned int lcore, nb_lcores;
	uint64_t forwarded = 0;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "EAL initialisation failed\n");
	if (parse_args(argc - rc, argv + rc) != 0)
		rte_exit(EXIT_FAILURE, "usage: %s [EAL options] -- [--idle-polls N (>0)] [--seconds S]\n", argv[0]);

	nb_ports = rte_eth_dev_count_avail();
	if (nb_ports < 2 || nb_ports % 2 != 0)
		rte_exit(EXIT_FAILURE, "need an even number of ports (pairs forward to each other), have %u\n", nb_ports);
	nb_lcores = rte_lcore_count();
	/* Every lcore serves one queue of every port. */
	if (nb_ports > MAX_QUEUES_PER_LCORE)
		rte_exit(EXIT_FAILURE, "too many ports (at most %u)\n", MAX_QUEUES_PER_LCORE);
	pool = rte_pktmbuf_pool_create("power_forward", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the mbuf pool: %s\n", rte_strerror(rte_errno));

	/* Queue n of every port belongs to the nth lcore. */
	RTE_LCORE_FOREACH(lcore) {
		RTE_ETH_FOREACH_DEV(port) {
			struct lcore_state *s = &lcores[lcore];

			s->queues[s->nb_queues].port = port;
			s->queues[s->nb_queues].queue = queues;
			s->queues[s->nb_queues].peer = port ^ 1;
			s->nb_queues++;
		}
		queues++;
	}
	RTE_ETH_FOREACH_DEV(port) {
		rc = port_init(port, queues, pool);
		if (rc != 0)
			rte_exit(EXIT_FAILURE, "port %u: cannot start it with %u queues and Rx interrupts: %s\n", port,
				 queues, rte_strerror(-rc));
	}

	quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (quit_fd < 0)
		rte_exit(EXIT_FAILURE, "cannot create an eventfd: %s\n", strerror(errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	if (run_seconds != 0)
		alarm(run_seconds);
	printf("power_forward: %u ports, %u lcores, sleeping after %u empty polls\n", nb_ports, nb_lcores, idle_polls);
	fflush(stdout);

	rte_eal_mp_remote_launch(lcore_main, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();

	RTE_LCORE_FOREACH(lcore) {
		const struct lcore_state *s = &lcores[lcore];

		printf("lcore %u: rx %" PRIu64 " tx %" PRIu64 " dropped %" PRIu64 " sleeps %" PRIu64
		       " wakeups %" PRIu64 "\n",
		       lcore, s->rx, s->tx, s->dropped, s->sleeps, s->wakeups);
		forwarded += s->tx;
	}
	printf("power_forward: forwarded %" PRIu64 "\n", forwarded);
	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	return setup_failed ? EXIT_FAILURE : 0;
}
