"""Issue 3, acceptance 4, in the real dpdk-testpmd: after 'stop' and 'port stop all' with traffic
in flight, every mbuf is back in testpmd's pool (its available count is restored), in every Tx
placement, for single-segment frames and for multi-segment jumbo frames (scattered on Rx too),
and again after 'port close all'.

"In flight" here: io forwarding between two ports on a vpc wire, stopped while the loop holds
more packets than the Tx rings take; 'port stop all' follows 'stop' at once, so the Tx rings
hold sent and unsent mbufs, the Rx rings hold received and posted ones, and the device may still
be working.
"""

import pytest

from testpmd_harness import fwd_stats, isolated_eal_args, mempools, run_testpmd, staged_plugins

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
POOL = "mb_pool_0"
TRAFFIC = ["start tx_first 16", "sleep 1", "stop", "port stop all", "dump_mempool"]
JUMBO = ["port config mtu 0 9000", "port config mtu 1 9000",
         # testpmd takes tx_offload per port only ('port config all tx_offload' is refused); the
         # chains below need it: without MULTI_SEGS the driver's Tx refuses them.
         "port config all rx_offload scatter on", "port config 0 tx_offload multi_segs on",
         "port config 1 tx_offload multi_segs on",
         "set txpkts 1000,1000,1000"]  # 3000-byte frames: 3 segments on Tx, 2 buffers on Rx


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


@pytest.mark.parametrize("placement", ["llq_policy=3", "llq_policy=2", "llq_policy=0"],
                         ids=["wide-llq", "llq", "host"])
def test_port_stop_with_traffic_in_flight_returns_every_mbuf(plugin_dir, placement):
    vdevs = [f"--vdev=net_ena_sim{i},mac={mac},queues=2,wire=vpc:leak,{placement}" for i, mac in enumerate(MACS)]
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *vdevs),
        ["port stop all", "dump_mempool",                       # 0: the baseline
         "port start all", "dump_mempool", "set fwd io",        # 1: Rx buffers posted
         *TRAFFIC,                                              # 2: 64-byte frames
         *JUMBO, "port start all", *TRAFFIC,                    # 3: 3000-byte frames
         "port start all", "start tx_first 4", "sleep 1", "stop", "port stop all",
         "port close all", "dump_mempool"],                     # 4: closed
        app_args=["--total-num-mbufs=16384", "--rxq=2", "--txq=2",
                  f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"], timeout=55)
    assert run.returncode == 0, run.output
    pools = [mempools(run.reply("dump_mempool", n))[POOL] for n in range(5)]
    baseline, started, after_small, after_jumbo, closed = pools
    assert baseline.in_use == 0, run.output
    assert started.in_use > 0, run.output  # the Rx rings took their buffers

    # The traffic ran (in both frame sizes) before it was cut off.
    for n in (0, 1):
        fwd = fwd_stats(run.reply("stop", n))
        assert min(fwd[p]["RX-packets"] for p in (0, 1)) > 1000, run.output

    for name, pool in (("64-byte", after_small), ("3000-byte", after_jumbo), ("closed", closed)):
        assert pool.available == baseline.available, \
            f"{placement}, {name}: {pool.in_use} mbufs missing from {POOL}\n{run.output}"
    print(f"{placement}: {baseline.available}/{baseline.size} available before, {started.in_use} posted "
          f"when started, {after_small.available} / {after_jumbo.available} / {closed.available} after "
          f"port stop (64 B, 3000 B) and close")
