"""Faults scheduled with the faults= devarg, seen through Debian's dpdk-testpmd (threaded engine,
real time, the driver's own watchdog every 500 ms).

- faults=keepalive_stop@1000 on port 0: the device stops its keep-alives 1 s after the port's
  first start; 3 s later the watchdog counts wd_expired and testpmd prints "Port 0: reset event"
  (once, and never for the healthy port 1). stop, port stop 0, port reset 0, port start 0,
  start (tx_first: io forwarding needs packets to circulate) bring the traffic back: the
  counters grow again, keep-alives come again (the fault lasts until the reset), and no mbuf is
  left out of the pool.
- the issue's list, faults=[missing_tx_cmpl@2000x300,link_flap@5000]: 300 Tx completions go
  missing from 2 s on, the link flaps for 100 ms at 5 s. testpmd prints two link state change
  events (the flap is shorter than a watchdog pass), the 300 packets are counted missing and the
  port asks for a reset (MISS_TX_CMPL) about 5 s after they were sent.
"""

import re

import pytest

from testpmd_harness import isolated_eal_args, mempools, nic_stats, run_testpmd, staged_plugins, xstats

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")
POOL = "mb_pool_0"
BURSTS = 8  # start tx_first 8: 8 bursts of 32 packets per port circulate in io forwarding


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


def ports(wire, faults):
    """Port 0 with the faults, port 1 healthy, on one vpc segment."""
    return [f"--vdev=net_ena_sim0,mac={MACS[0]},wire=vpc:{wire},faults={faults}",
            f"--vdev=net_ena_sim1,mac={MACS[1]},wire=vpc:{wire}"]


def app_args():
    return ["--total-num-mbufs=8192", f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"]


def test_keepalive_stop_is_found_reset_by_the_application_and_traffic_comes_back(plugin_dir):
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *ports("ka", "keepalive_stop@1000")),
        ["set fwd io", f"start tx_first {BURSTS}", "sleep 6", "show port xstats 0",
         "stop", "port stop 0", "port reset 0", "port start 0",
         "show port stats all", f"start tx_first {BURSTS}", "sleep 2", "show port stats all", "sleep 3", "stop",
         "show port xstats 0", "port stop all", "dump_mempool"],
        app_args=app_args(), timeout=90)
    assert run.returncode == 0, run.output

    # Found: the port counted the silence and raised the reset event, once, for port 0 only.
    before = xstats(run.reply("show port xstats 0", 0))[0]
    assert before["wd_expired"] > 0, run.output
    assert before["reset_keep_alive_timeout"] == 1 and before["reset_total"] == 1, run.output
    assert run.output.count("Port 0: reset event") == 1, run.output
    assert "Port 1: reset event" not in run.output, run.output
    assert re.search(r"needs a reset \(reason keep_alive_timeout\)", run.output), run.output

    # Recovered: the reset and the start succeed, and io forwarding through port 0 runs again:
    # both of its directions carry packets.
    for cmd in ("port reset 0", "port start 0"):
        assert "Fail" not in run.reply(cmd) and "fail" not in run.reply(cmd), run.output
    a = nic_stats(run.reply("show port stats all", 0))
    b = nic_stats(run.reply("show port stats all", 1))
    grew = {(p, c): b[p][c] - a[p][c] for p in (0, 1) for c in ("RX-packets", "TX-packets")}
    assert all(n > 10_000 for n in grew.values()), f"traffic did not come back: {grew}\n{run.output}"
    for p in (0, 1):
        assert b[p]["RX-errors"] == 0 and b[p]["TX-errors"] == 0, run.output

    # The fault ended with the reset: 5 s later (past the 3 s timeout) no second expiry.
    after = xstats(run.reply("show port xstats 0", 1))[0]
    assert after["wd_expired"] == before["wd_expired"], run.output
    assert after["reset_total"] == 1, run.output
    assert run.output.count("Port 0: reset event") == 1, run.output

    pool = mempools(run.reply("dump_mempool"))[POOL]
    assert pool.in_use == 0, f"{pool.in_use} mbufs not back after port stop all\n{run.output}"
    print(f"keepalive_stop@1000: wd_expired {before['wd_expired']}, reset_keep_alive_timeout "
          f"{before['reset_keep_alive_timeout']}; after the reset port 0 sent {grew[(0, 'TX-packets')]} and "
          f"received {grew[(0, 'RX-packets')]} packets in 2 s")


def test_the_issues_fault_list_flaps_the_link_and_loses_300_tx_completions(plugin_dir):
    run = run_testpmd(
        isolated_eal_args(plugin_dir, *ports("list", "[missing_tx_cmpl@2000x300,link_flap@5000]")),
        ["set fwd txonly", "start", "sleep 10", "stop", "show port xstats 0", "show port info 0"],
        app_args=app_args(), timeout=60)
    assert run.returncode == 0, run.output
    xs = xstats(run.reply("show port xstats 0"))[0]
    assert xs["tx_q0_missed_tx"] == 300, run.output
    assert xs["reset_missing_tx_completion"] == 1 and xs["reset_total"] == 1, run.output
    assert run.output.count("Port 0: reset event") == 1, run.output
    # The 100 ms flap: down, then up, each a link state change event; the link is up at the end.
    assert run.output.count("Port 0: link state change event") == 2, run.output
    assert "Port 1: link state change event" not in run.output, run.output
    assert "Link status: up" in run.reply("show port info 0"), run.output
    print(f"[missing_tx_cmpl@2000x300,link_flap@5000]: tx_q0_missed_tx {xs['tx_q0_missed_tx']}, "
          f"reset_missing_tx_completion {xs['reset_missing_tx_completion']}, 2 link state change events")
