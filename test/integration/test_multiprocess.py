"""Issue 7, acceptance 7: a secondary process -- dpdk-proc-info --stats / --xstats -- and
dpdk-telemetry.py read the same counters testpmd shows, from a running testpmd that is the
primary. A secondary attaches through hugepage memory, so this needs hugepages (set up by
devtools/setup.sh as root); without them the test is skipped (meson reports SKIP)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from testpmd_harness import (dpdk_tool, dpdk_tools_place, nic_stats, require_dpdk_tool, run_testpmd, staged_plugins,
                             with_test_control_path, xstats)

HUGEPAGES = Path("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")
MACS = ("02:00:00:00:71:01", "02:00:00:00:71:02")


def _skip_reason():
    if os.geteuid() != 0:
        return "needs root (hugepages)"
    if not HUGEPAGES.exists() or int(HUGEPAGES.read_text()) < 160:
        return "needs 160 free 2 MiB hugepages (devtools/setup.sh reserves them)"
    if not re.search(r" hugetlbfs ", Path("/proc/mounts").read_text()):
        return "needs a mounted hugetlbfs"
    for tool in ("dpdk-proc-info", "dpdk-telemetry.py"):
        if dpdk_tool(tool) is None:
            return f"{tool} not found {dpdk_tools_place()}"
    return None


@pytest.fixture
def plugin_dir():
    with staged_plugins() as d:
        yield d


def primary_eal(plugin_dir, prefix):
    # pps= holds each ENI to fewer packets than testpmd forwards, so the ENI counters move.
    ports = [f"--vdev=net_ena_sim{i},mac={mac},wire=vpc:{prefix},stats_interval=100,pps=20000,conntrack_max=1000"
             for i, mac in enumerate(MACS)]
    return with_test_control_path(["-l", "0,1", "-m", "320", "--no-pci", f"--file-prefix={prefix}", "-d", str(plugin_dir),
                                   *ports])


# EAL's message when a secondary cannot map the primary's memory at the same addresses (this
# process's ASLR layout, or ASan's shadow in the asan stage, holds them): placement luck.
SECONDARY_VA_CLASH = "Cannot get a virtual area at requested address"


def run_secondary(argv, **kwargs):
    """subprocess.run(argv) with its output captured as text, started again (three times in all)
    while EAL cannot map the primary's memory (SECONDARY_VA_CLASH)."""
    for _ in range(3):
        done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
        if SECONDARY_VA_CLASH not in done.stdout + done.stderr:
            break
    return done


def proc_info(plugin_dir, prefix, what):
    out = run_secondary([require_dpdk_tool("dpdk-proc-info"), "--no-pci", f"--file-prefix={prefix}", "-d",
                         str(plugin_dir), "--", what], timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def telemetry(prefix, *commands):
    # dpdk-telemetry.py reads commands from stdin and prints one JSON answer per command.
    out = subprocess.run(["/usr/bin/python3", require_dpdk_tool("dpdk-telemetry.py"), "-f", prefix],
                         input="\n".join(commands) + "\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    answers = []
    for line in out.stdout.splitlines():
        line = line.split("--> ")[-1].strip()
        if line.startswith("{"):
            answers.append(json.loads(line))
    return answers


def proc_info_xstats(text):
    """dpdk-proc-info --xstats: '###### NIC extended statistics for port N ...' then 'name: value'."""
    blocks, current = {}, None
    for line in text.splitlines():
        m = re.search(r"NIC extended statistics for port (\d+)", line)
        if m:
            current = blocks.setdefault(int(m.group(1)), {})
            continue
        m = re.match(r"\s*([A-Za-z]\w*):\s+(\d+)\s*$", line)
        if current is not None and m:
            current[m.group(1)] = int(m.group(2))
    return blocks


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_proc_info_and_telemetry_show_the_counters_testpmd_shows(plugin_dir):
    prefix = f"ena-ng-mp-{os.getpid()}"
    seen = {}

    def secondaries():
        seen["stats"] = proc_info(plugin_dir, prefix, "--stats")
        seen["xstats"] = proc_info_xstats(proc_info(plugin_dir, prefix, "--xstats"))
        seen["telemetry"] = telemetry(prefix, "/ethdev/xstats,0", "/ethdev/stats,0", "/ethdev/xstats,1")

    run = run_testpmd(primary_eal(plugin_dir, prefix),
                      ["start tx_first 4", "sleep 2", "stop", "sleep 0.5",  # a snapshot refresh after the traffic
                       "show port xstats all", "show port stats all", secondaries,
                       "show port xstats all"],
                      app_args=["--total-num-mbufs=8192", f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"],
                      timeout=120)
    assert run.returncode == 0, run.output
    before = xstats(run.reply("show port xstats all", 0))
    after = xstats(run.reply("show port xstats all", 1))
    assert before == after, "counters moved while the secondaries read them"
    assert before[0]["rx_q0_cnt"] > 1000 and before[1]["rx_q0_cnt"] > 1000, before
    assert before[0]["pps_allowance_exceeded"] > 0 and before[1]["pps_allowance_exceeded"] > 0, before
    assert before[0]["conntrack_allowance_available"] < 1000, before  # the forwarded flows are tracked

    # dpdk-proc-info, a secondary process: every counter testpmd lists, with the same value.
    for port in (0, 1):
        secondary = seen["xstats"][port]
        for name in ("bw_in_allowance_exceeded", "bw_out_allowance_exceeded", "pps_allowance_exceeded",
                     "conntrack_allowance_exceeded", "linklocal_allowance_exceeded", "conntrack_allowance_available",
                     "rx_q0_cnt", "tx_q0_cnt",
                     "rx_good_packets", "tx_good_packets", "dev_start"):
            assert name in secondary, f"port {port}: {name} missing from proc-info\n{seen['xstats']}"
        assert secondary == before[port], f"port {port}: proc-info {secondary}\ntestpmd {before[port]}"
    stats = nic_stats(run.reply("show port stats all"))
    assert re.search(rf"RX-packets:\s+{stats[1]['RX-packets']}\b", seen["stats"]), seen["stats"]

    # dpdk-telemetry.py, answered by the primary's telemetry thread: the same values.
    xstats0, stats0, xstats1 = seen["telemetry"]
    assert xstats0["/ethdev/xstats"] == before[0], xstats0
    assert xstats1["/ethdev/xstats"] == before[1], xstats1
    assert stats0["/ethdev/stats"]["ipackets"] == stats[0]["RX-packets"], stats0
    print({p: {k: before[p][k] for k in ("pps_allowance_exceeded", "conntrack_allowance_available", "rx_q0_cnt")}
           for p in (0, 1)}, "equal in proc-info and telemetry")
