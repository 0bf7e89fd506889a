"""Issue 3, acceptance 1: two simulated ports on one vpc wire in the real dpdk-testpmd.

- txonly on port 0 for a fixed number of packets delivers exactly that many packets and bytes to
  port 1;
- io forwarding between the two ports for 10 s: no errors, no packet lost without being counted,
  no mbuf leaked.

As in a VPC, a unicast frame on the vpc wire reaches only the port that owns its destination
MAC, so each port's frames are addressed to the other port's MAC (--eth-peer).
"""

import re

import pytest

from testpmd_harness import (fwd_stats, isolated_eal_args, mempools, nic_stats, run_testpmd, staged_plugins,
                             xstats)

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
POOL = "mb_pool_0"  # testpmd's mbuf pool on socket 0
# xstats that count something going wrong: all must stay 0 (tx_q0_available_desc and the
# conntrack room left are levels, not errors).
ERROR_XSTAT = re.compile(r"error|bad|fail|drop|missed|overflow|exceeded|partial|expired|linearize")
# RX-missed is the device's Rx drop count from the snapshot the control path refreshes every
# stats_interval (1000 ms by default): wait for one refresh after the last frame before reading it.
KEEP_ALIVE_S = 1.5


def two_ports_on_a_vpc(wire):
    return [f"--vdev=net_ena_sim{i},mac={mac},queues=2,wire=vpc:{wire}" for i, mac in enumerate(MACS)]


def peers():
    return [f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"]


def error_xstats(per_port):
    return {(port, name): value for port, stats in per_port.items() for name, value in stats.items()
            if ERROR_XSTAT.search(name) and value != 0}


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


BURSTS = 8        # 'start tx_first 8': 8 bursts of 32 packets; they fit port 0's 512-entry Tx ring
FRAME_LEN = 300   # 'set txpkts 300': testpmd's txonly frame length (no FCS)


def test_txonly_on_port_0_delivers_exactly_its_packets_and_bytes_to_port_1(plugin_dir):
    """Only port 0 forwards (set portlist 0) in rxonly mode, so 'start tx_first N' sends N txonly
    bursts on port 0 and nothing else sends. Port 1's Rx ring (1023 buffers posted) holds them
    all; a second round forwards on port 1 alone and hands them to testpmd."""
    sent = BURSTS * 32
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *two_ports_on_a_vpc("txonly")),
        ["set portlist 0", "set fwd rxonly", f"set txpkts {FRAME_LEN}", "clear port stats all",
         f"start tx_first {BURSTS}", "sleep 1", "stop",
         "set portlist 1", "set flush_rx off", "start", f"sleep {KEEP_ALIVE_S}", "stop",
         "show port stats all", "show port xstats all"],
        app_args=["--total-num-mbufs=8192", *peers()], timeout=50)
    assert run.returncode == 0, run.output

    sending = fwd_stats(run.reply("stop", 0))
    assert set(sending) == {0}, run.output  # port 0 was the only forwarding port
    assert sending[0]["TX-packets"] == sent and sending[0]["TX-dropped"] == 0, run.output

    nic = nic_stats(run.reply("show port stats all"))
    assert (nic[0]["TX-packets"], nic[0]["TX-bytes"]) == (sent, sent * FRAME_LEN), run.output
    assert (nic[1]["RX-packets"], nic[1]["RX-bytes"]) == (sent, sent * FRAME_LEN), run.output
    assert nic[0]["RX-packets"] == 0 and nic[1]["TX-packets"] == 0, run.output  # nothing came back
    for port in (0, 1):
        for counter in ("RX-missed", "RX-errors", "RX-nombuf", "TX-errors"):
            assert nic[port][counter] == 0, f"port {port} {counter}\n{run.output}"

    xs = xstats(run.reply("show port xstats all"))
    # testpmd received them from port 1's queue 0 (the driver's software count)...
    assert (xs[1]["rx_q0_packets"], xs[1]["rx_q0_bytes"]) == (sent, sent * FRAME_LEN), run.output
    # ... and the device's and the generic counters agree.
    assert (xs[1]["rx_good_packets"], xs[1]["rx_good_bytes"]) == (sent, sent * FRAME_LEN), run.output
    assert (xs[0]["tx_good_packets"], xs[0]["tx_good_bytes"]) == (sent, sent * FRAME_LEN), run.output
    assert error_xstats(xs) == {}, run.output
    print(f"port 0 sent {nic[0]['TX-packets']} packets / {nic[0]['TX-bytes']} bytes; "
          f"port 1 received {nic[1]['RX-packets']} / {nic[1]['RX-bytes']}, "
          f"testpmd read {xs[1]['rx_q0_packets']} from its queue")


IO_SECONDS = 10
IO_BURSTS = 8  # per port: 2 x 8 x 32 = 512 packets circulate


def test_io_forwarding_10s_between_two_ports_loses_nothing_uncounted_and_leaks_no_mbuf(plugin_dir):
    """'start tx_first 8' puts 256 packets on each port, io forwarding sends each received packet
    out of the other port, for 10 s. Then rxonly drains what is still on its way.

    RX-missed must be 0 here, whatever the relative speed of forwarding core and engine: the
    loop holds 512 packets while each Rx ring has at least 1023 - 64 (the refill threshold)
    buffers posted, so the device can never find an Rx ring empty. Every packet a port sent must
    then be received by the other port: sent == received (+ missed, 0).

    Mbufs: with the ports started, the Rx rings hold their posted buffers; after traffic the Tx
    rings may also hold sent mbufs until their completions are next reaped (at most a ring's
    worth); after 'port stop all' every mbuf is back in the pool, and a restart posts exactly as
    many Rx buffers as the first start did."""
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *two_ports_on_a_vpc("io")),
        ["dump_mempool", "clear port stats all", "set fwd io",
         f"start tx_first {IO_BURSTS}", f"sleep {IO_SECONDS}", "stop",
         "set fwd rxonly", "set flush_rx off", "start", f"sleep {KEEP_ALIVE_S}", "stop",
         "show port stats all", "show port xstats all", "dump_mempool",
         "port stop all", "dump_mempool", "port start all", "dump_mempool"],
        app_args=["--total-num-mbufs=8192", "--rxfreet=64", *peers()], timeout=55)
    assert run.returncode == 0, run.output

    fwd = fwd_stats(run.reply("stop", 0))
    forwarded = sum(fwd[p]["TX-packets"] for p in (0, 1))
    assert forwarded > IO_SECONDS * 10_000, f"traffic did not flow: {forwarded} packets\n{run.output}"
    assert fwd[0]["TX-dropped"] == 0 and fwd[1]["TX-dropped"] == 0, run.output  # Tx never refused

    nic = nic_stats(run.reply("show port stats all"))
    for port in (0, 1):
        for counter in ("RX-missed", "RX-errors", "RX-nombuf", "TX-errors"):
            assert nic[port][counter] == 0, f"port {port} {counter}\n{run.output}"
    for src, dst in ((0, 1), (1, 0)):
        assert nic[src]["TX-packets"] == nic[dst]["RX-packets"] + nic[dst]["RX-missed"], run.output
        assert nic[src]["TX-bytes"] == nic[dst]["RX-bytes"], run.output

    xs = xstats(run.reply("show port xstats all"))
    assert error_xstats(xs) == {}, run.output
    for port in (0, 1):  # everything the device delivered was handed to testpmd
        assert xs[port]["rx_q0_packets"] == nic[port]["RX-packets"], run.output

    started = mempools(run.reply("dump_mempool", 0))[POOL]
    after_traffic = mempools(run.reply("dump_mempool", 1))[POOL]
    stopped = mempools(run.reply("dump_mempool", 2))[POOL]
    restarted = mempools(run.reply("dump_mempool", 3))[POOL]
    assert started.in_use > 0, run.output  # Rx buffers posted
    assert 0 <= after_traffic.in_use - started.in_use <= 2 * 512, run.output  # at most the Tx rings
    assert stopped.in_use == 0, f"{stopped.in_use} mbufs not returned after port stop all\n{run.output}"
    assert restarted.in_use == started.in_use, run.output
    print(f"io {IO_SECONDS} s: {forwarded} packets forwarded "
          f"({forwarded / IO_SECONDS / 1e6:.2f} Mpps both directions); port 0 -> 1: "
          f"{nic[0]['TX-packets']} sent, {nic[1]['RX-packets']} received, {nic[1]['RX-missed']} missed; "
          f"port 1 -> 0: {nic[1]['TX-packets']} sent, {nic[0]['RX-packets']} received; mbufs in use: "
          f"{started.in_use} started, {after_traffic.in_use} after traffic, {stopped.in_use} after port stop, "
          f"{restarted.in_use} restarted (pool {started.size})")
