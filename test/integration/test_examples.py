"""The examples a user starts from (examples/): the minimal forwarder moves every frame of a
capture from one simulated port to the other, byte for byte; allowance_monitor shows the PPS
allowance counter rising, and names it, while a sender exceeds a simulated pps= allowance, and
every counter flat when nothing exceeds one -- with ports of its own and, beside a running
testpmd, as a secondary process (that part needs hugepages)."""

import os
import random
import re
from pathlib import Path

import pytest

from test_multiprocess import MACS, _skip_reason, primary_eal, run_secondary
from test_pcap_wire import frame, tshark_frames, write_pcap
from testpmd_harness import drivers_dir, isolated_eal_args, run_testpmd, staged_plugins

EXAMPLES = drivers_dir().parent / "examples"


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


# What DPDK 22.11's vdev bus leaks in every secondary process (the file says why); read only by
# an AddressSanitizer build (devtools/run-tests.sh asan), ignored otherwise.
SECONDARY_LSAN = Path(__file__).resolve().parents[1] / "sanitizers" / "lsan-dpdk-secondary.supp"


def run_example(name, eal_args, app_args, timeout=60):
    env = dict(os.environ)
    if "--proc-type=secondary" in eal_args:
        env["LSAN_OPTIONS"] = ":".join(filter(None, [f"suppressions={SECONDARY_LSAN}", "print_suppressions=0",
                                                     os.environ.get("LSAN_OPTIONS")]))
    # A secondary that cannot map the primary's memory is tried again.
    done = run_secondary([str(EXAMPLES / name), *eal_args, "--", *app_args], timeout=timeout, env=env)
    assert done.returncode == 0, f"{name} exited with {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def monitor_lines(text):
    """allowance_monitor's lines: [(port, {column: delta or gauge}, rising name or None)]."""
    columns = ("bw_in", "bw_out", "pps", "conntrack", "linklocal", "conntrack_room")
    lines = []
    for line in text.splitlines():
        m = re.match(r"\s*\d+\.\d\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+<< (\w+) rising)?", line)
        if m:
            values = {c: int(v.lstrip("+")) for c, v in zip(columns, m.groups()[1:7]) if v != "-"}
            lines.append((int(m.group(1)), values, m.group(8)))
    return lines


def test_forward_moves_every_frame_of_a_capture_to_the_other_port_byte_exact(plugin_dir, tmp_path):
    rng = random.Random(11)
    frames = [frame(i, rng.choice([60, 64, 128, 1000, 1514])) for i in range(2000)]
    rx_file, tx_file = tmp_path / "in.pcap", tmp_path / "out.pcap"
    write_pcap(rx_file, frames)
    out = run_example("forward", isolated_eal_args(
        plugin_dir, f"--vdev=net_ena_sim0,wire=[pcap:rx={rx_file}]", f"--vdev=net_ena_sim1,wire=[pcap:tx={tx_file}]"),
        ["--seconds", "3"])
    assert "port 0 -> port 1: 2000 packets" in out, out
    assert "port 1 -> port 0: 0 packets" in out, out
    assert tshark_frames(tx_file) == frames


def own_ports(plugin_dir, wire, limits=""):
    """Two simulated ports on one vpc wire, each with the Nitro devargs `limits`."""
    return isolated_eal_args(plugin_dir, *(f"--vdev=net_ena_sim{i},mac=02:00:00:00:72:0{i + 1},"
                                           f"wire=vpc:{wire}{os.getpid()}{limits}" for i in (0, 1)))


def test_allowance_monitor_flags_the_pps_allowance_a_sender_exceeds(plugin_dir):
    out = run_example("allowance_monitor", own_ports(plugin_dir, "pps", ",pps=20000,stats_interval=100"),
                      ["--send", "--interval-ms", "500", "--count", "4"])
    lines = monitor_lines(out)
    assert len(lines) == 8, lines  # four lines per port
    for port, values, rising in lines[2:]:  # from the second interval on, the sender is at full speed
        assert values["pps"] > 1000, lines
        assert rising == "pps_allowance_exceeded", lines
        assert values["bw_in"] == values["bw_out"] == values["conntrack"] == values["linklocal"] == 0, lines


def test_allowance_monitor_is_flat_when_no_allowance_is_exceeded(plugin_dir):
    lines = monitor_lines(run_example("allowance_monitor", own_ports(plugin_dir, "flat", ",stats_interval=100"),
                                      ["--send", "--interval-ms", "500", "--count", "3"]))
    assert len(lines) == 6, lines
    for port, values, rising in lines:
        assert rising is None, lines
        assert all(v == 0 for c, v in values.items() if c != "conntrack_room"), lines


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_allowance_monitor_as_a_secondary_beside_testpmd(plugin_dir):
    prefix = f"ena-ng-monitor-{os.getpid()}"
    seen = {}

    def monitor():
        seen["out"] = run_example("allowance_monitor",
                                  ["--proc-type=secondary", "--no-pci", f"--file-prefix={prefix}", "-d", str(plugin_dir)],
                                  ["--interval-ms", "500", "--count", "3"])

    # txonly sends open-loop, far above pps= whatever the machine's load: forwarding a few
    # bursts round the wire would settle at the allowance and exceed it only now and then.
    run = run_testpmd(primary_eal(plugin_dir, prefix), ["set fwd txonly", "start", "sleep 1", monitor, "stop"],
                      app_args=["--total-num-mbufs=8192", f"--eth-peer=0,{MACS[1]}", f"--eth-peer=1,{MACS[0]}"],
                      timeout=120)
    assert run.returncode == 0, run.output
    lines = monitor_lines(seen["out"])
    assert {port for port, _, _ in lines} == {0, 1}, seen["out"]
    for port, values, rising in lines:
        assert values["pps"] > 0 and rising == "pps_allowance_exceeded", seen["out"]
