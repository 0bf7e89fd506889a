"""Issue 2, acceptance 2: a simulated ENA port in the real dpdk-testpmd (Debian's).

    dpdk-testpmd -d <plugins> --no-huge -m 512 --no-pci \\
        --vdev=net_ena_sim0,mac=02:00:00:00:00:01,queues=4 -- -i --total-num-mbufs=8192

(--total-num-mbufs: testpmd's default pool is sized for 32 ports and does not fit in -m 512.)
"""

import re

import pytest

from testpmd_harness import isolated_eal_args, port_info, queue_info, run_testpmd, staged_plugins

MAC = "02:00:00:00:00:01"
# What testpmd prints when a port command goes wrong (testpmd.c / config.c of 22.11).
FAILURE = re.compile(r"^(Fail|Failed|Error|Invalid port|Please stop)", re.I | re.M)


@pytest.fixture(scope="module")
def plugin_dir():
    with staged_plugins() as d:
        yield d


def test_port_info_shows_the_mac_link_up_and_4_queues_then_stop_start_close_succeed(plugin_dir):
    run = run_testpmd(isolated_eal_args(plugin_dir, f"--vdev=net_ena_sim0,mac={MAC},queues=4"),
                      ["show port info 0",
                       "port stop 0", "port start 0", "show port info 0",
                       "port stop 0", "port close 0", "show port info 0"], timeout=50)
    assert run.returncode == 0, run.output
    assert "Bye..." in run.reply("quit"), run.output

    for nth in (0, 1):  # at start-up, and again after port stop + port start
        info = port_info(run.reply("show port info 0", nth))
        assert info["MAC address"] == MAC, run.output
        assert info["Device name"] == "net_ena_sim0", run.output
        assert info["Link status"] == "up", run.output
        assert info["Max possible RX queues"] == "4", run.output
        assert info["Max possible TX queues"] == "4", run.output

    for cmd, nth in (("port stop 0", 0), ("port start 0", 0), ("port stop 0", 1), ("port close 0", 0)):
        reply = run.reply(cmd, nth)
        assert not FAILURE.search(reply), f"{cmd}:\n{reply}"
        assert "Done" in reply, f"{cmd}:\n{reply}"
    assert f"Port 0: {MAC}" in run.reply("port start 0"), run.output  # printed once started
    assert "Port 0 is closed" in run.reply("port close 0"), run.output
    assert "Invalid port 0" in run.reply("show port info 0", 2), run.output  # it is gone


# (net_ena_sim devargs, what the Tx burst mode must name). The device offers 128- and 256-byte
# LLQ entries and recommends 256 unless llq= says otherwise; llq_policy / the 22.11 switches choose.
TX_PLACEMENTS = [
    ("", r"LLQ 256B"),
    ("llq_policy=3", r"LLQ 256B"),
    ("llq_policy=2", r"LLQ 128B"),
    ("normal_llq_hdr=1", r"LLQ 128B"),
    ("llq=normal", r"LLQ 128B"),
    ("llq_policy=0", r"host memory"),
    ("enable_llq=0", r"host memory"),
    ("llq=none", r"host memory"),
]


def test_rxq_and_txq_info_burst_modes_say_what_runs(plugin_dir):
    """One testpmd, one port per Tx placement: 'show txq info' names the placement that was
    negotiated, 'show rxq info' the Rx refill threshold that was configured (--rxfreet)."""
    vdevs = [f"--vdev=net_ena_sim{i},queues=2" + (f",{args}" if args else "")
             for i, (args, _) in enumerate(TX_PLACEMENTS)]
    ports = range(len(TX_PLACEMENTS))
    commands = [c for p in ports for c in (f"show rxq info {p} 0", f"show txq info {p} 0")]
    run = run_testpmd(isolated_eal_args(plugin_dir, *vdevs), commands,
                      app_args=["--total-num-mbufs=16384", "--rxfreet=64"], timeout=50)
    assert run.returncode == 0, run.output
    for p, (args, tx_mode) in zip(ports, TX_PLACEMENTS):
        rxq = queue_info(run.reply(f"show rxq info {p} 0"))
        txq = queue_info(run.reply(f"show txq info {p} 0"))
        assert rxq.get("Rx queue state") == "started" and txq.get("Tx queue state") == "started", run.output
        assert rxq["RX free threshold"] == "64", run.output
        assert re.search(r"refill\D+64\b", rxq["Burst mode"]), f"port {p}: {rxq['Burst mode']}"
        assert re.search(tx_mode, txq["Burst mode"], re.I), \
            f"port {p} ({args or 'defaults'}): Tx burst mode {txq['Burst mode']!r}, expected {tx_mode}"


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


@pytest.mark.parametrize("bits", [64, 128, 256])
def test_eal_simd_bitwidth_chooses_the_vector_paths(plugin_dir, bits):
    """EAL's --force-max-simd-bitwidth limits the vector width the datapath uses, as
    rte_vect_get_max_simd_bitwidth() tells it at queue setup: 64 runs the scalar Rx path,
    128 the SSE4.1 one, 256 AVX2 where the CPU has it; LLQ entries are written in 16-byte
    stores below 256 bits, 32-byte ones with AVX2."""
    avx2 = "avx2" in cpu_flags()
    expected_rx = {64: "scalar", 128: "SSE4.1", 256: "AVX2" if avx2 else "SSE4.1"}[bits]
    expected_stores = "32-byte stores" if bits == 256 and avx2 else "16-byte stores"
    run = run_testpmd(isolated_eal_args(plugin_dir, f"--force-max-simd-bitwidth={bits}",
                                        f"--vdev=net_ena_sim0,mac={MAC},llq_policy=2"),
                      ["show rxq info 0 0", "show txq info 0 0"], app_args=["--total-num-mbufs=8192"], timeout=50)
    assert run.returncode == 0, run.output
    rxq = queue_info(run.reply("show rxq info 0 0"))
    txq = queue_info(run.reply("show txq info 0 0"))
    assert rxq["Burst mode"].startswith(expected_rx), f"{bits} bits: Rx burst mode {rxq['Burst mode']!r}"
    assert expected_stores in txq["Burst mode"], f"{bits} bits: Tx burst mode {txq['Burst mode']!r}"
