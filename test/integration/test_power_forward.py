"""examples/power_forward on two simulated ports: its lcores sleep while the ports are idle and
wake for the traffic that comes after.

Port 0 replays a capture at its own pace (wire=[pcap:...,pace=capture]): one frame at once, then
nothing for 13 s, then a burst. Port 1 writes what it sends to a capture. The test reads each
lcore thread's CPU time from /proc/PID/task/TID/stat over 10 s of the idle period (acceptance:
below 5 % of one core), then checks that every frame of the burst left by port 1.
"""

import os
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from test_examples import EXAMPLES
from testpmd_harness import isolated_eal_args, staged_plugins

BURST = 500
IDLE_S = 13.0  # from the first frame to the burst
MEASURE_FROM_S, MEASURE_S = 1.5, 10.0
MAX_CORE_SHARE = 0.05
CLK_TCK = os.sysconf("SC_CLK_TCK")


def power_forward_binary():
    binary = EXAMPLES / "power_forward" / "power_forward"
    if not binary.exists():
        raise FileNotFoundError(f"{binary} not built: ninja -C build")
    return str(binary)


def udp_frame(i):
    payload = bytes([i % 256]) * 18
    udp = struct.pack("!HHHH", 1000 + i % 50000, 2000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i % 65536, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    return bytes.fromhex("020000000001") + bytes.fromhex("0200000000aa") + b"\x08\x00" + ip + udp


def write_capture(path, frames_at):
    """frames_at: [(seconds after the first frame, frame bytes)], as a classic microsecond pcap."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for at, frame in frames_at:
            sec, usec = 1_700_000_000 + int(at), int(round((at - int(at)) * 1e6))
            out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def capture_frames(path):
    data = Path(path).read_bytes()
    count, at = 0, 24
    while at + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, at + 8)[0]
        if at + 16 + caplen > len(data):
            break
        at += 16 + caplen
        count += 1
    return count


def cpu_ticks(pid, tid):
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def thread_named(pid, name):
    for task in Path(f"/proc/{pid}/task").iterdir():
        if (task / "comm").read_text().strip() == name:
            return int(task.name)
    return None


def test_lcores_sleep_while_idle_and_forward_the_whole_burst_after(tmp_path):
    rx_capture, tx_capture = tmp_path / "burst.pcap", tmp_path / "out.pcap"
    write_capture(rx_capture, [(0.0, udp_frame(0))] + [(IDLE_S, udp_frame(1 + i)) for i in range(BURST)])
    with staged_plugins() as plugin_dir:
        eal = isolated_eal_args(plugin_dir, "-l", "0,1",
                                f"--vdev=net_ena_sim0,mac=02:00:00:00:00:01,wire=[pcap:rx={rx_capture},pace=capture]",
                                f"--vdev=net_ena_sim1,mac=02:00:00:00:00:02,wire=[pcap:tx={tx_capture}]",
                                mem_mb=256)
        proc = subprocess.Popen([power_forward_binary(), *eal, "--", "--idle-polls", "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines, lcore_tids = [], {}
        try:
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("lcore ") and ": thread " in line:
                    lcore, tid = line.split(":")[0].split()[1], line.split("thread ")[1].split(",")[0]
                    lcore_tids[int(lcore)] = int(tid)
                if len(lcore_tids) == 2:
                    break
            assert len(lcore_tids) == 2, "".join(lines)
            started = time.monotonic()
            # The simulator's own thread: the engine thread (engine=threaded) or the time thread
            # (engine=inline, the default where every CPU is an lcore). Not an lcore: reported only.
            sim_thread = next(((n, t) for n in ("ena-sim-engine", "ena-sim-time") if (t := thread_named(proc.pid, n))),
                              (None, None))
            engine = sim_thread[1]

            time.sleep(MEASURE_FROM_S)
            before = {t: cpu_ticks(proc.pid, t) for t in [*lcore_tids.values(), engine] if t}
            t0 = time.monotonic()
            time.sleep(MEASURE_S)
            after = {t: cpu_ticks(proc.pid, t) for t in before}
            window = time.monotonic() - t0
            assert time.monotonic() - started < IDLE_S - 0.5, "the window reached the burst: the machine is too slow"
            share = {lcore: (after[tid] - before[tid]) / CLK_TCK / window for lcore, tid in lcore_tids.items()}
            engine_share = (after[engine] - before[engine]) / CLK_TCK / window if engine else None
            print(f"idle {window:.1f} s: lcore CPU " + ", ".join(f"lcore {l} {s * 100:.2f} %" for l, s in share.items())
                  + (f"; simulator thread {sim_thread[0]} {engine_share * 100:.1f} %" if engine else ""))
            for lcore, s in share.items():
                assert s < MAX_CORE_SHARE, f"lcore {lcore} used {s * 100:.1f} % of a core while idle"

            # The burst comes IDLE_S after the first frame: all of it leaves by port 1.
            deadline = time.monotonic() + 20
            while capture_frames(tx_capture) < BURST + 1 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                out, _ = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            lines.append(out)
    output = "".join(lines)
    assert proc.returncode == 0, output
    assert capture_frames(tx_capture) == BURST + 1, output
    assert f"power_forward: forwarded {BURST + 1}" in output, output
    wakeups = sum(int(l.split("wakeups ")[1]) for l in output.splitlines() if " wakeups " in l)
    assert wakeups >= 1, f"no lcore was woken by a packet\n{output}"
