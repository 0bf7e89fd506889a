#!/usr/bin/python3
"""Runs the ena-ng datapath benchmark and prints its figures (doc/guides/nics/ena_ng_perf.rst).

1. ena-perf natively: driver TSC cycles per packet and device ns per packet for Tx (LLQ 128 B,
   wide LLQ 256 B, host memory) and Rx with refill at 64 and 1500 bytes, and the simulated
   engine's frames/s on one core.
2. ena-perf under callgrind, twice (N and 2N packets), collecting exactly the timed driver calls:
   instructions per packet, checked for stability between the two counts; once more collecting the
   device's work instead; and a function- and line-level breakdown of selected cases.
3. dpdk-testpmd io forwarding between two simulated ports on one vpc wire (each engine mode), and
   the same harness on net_null, net_ring and a net_memif pair for reference: packets per second
   for each frame size.
4. With Pktgen-DPDK ($PKTGEN or --pktgen): two simulated ports sending to each other, 64 and
   1500-byte frames, receive packets per second per port.
5. PNG plots of the figures (plots.py, Debian's python3-matplotlib) beside the JSON.

Figures only: nothing here passes or fails on a number. Usually run through run.sh.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "test" / "integration"))

DEFAULT_PROFILES = ("tx-llq128-64", "rx-64")
DEFAULT_ENGINES = ("auto", "threaded", "sync")  # each engine mode an application runs (deferred needs a caller)
TARGETS = [  # (case, figure, limit, op): issue 9's driver and engine targets
    ("tx-llq128-64", "driver_cycles_per_packet", 20.0, "<="),
    ("tx-llq128-64", "driver_ir_per_packet", 100.0, "<="),
    ("rx-64", "driver_cycles_per_packet", 10.0, "<="),
    ("rx-64", "driver_ir_per_packet", 60.0, "<="),
    ("engine-64", "engine_mpps", 15.0, ">="),
    ("engine-1500", "engine_mpps", 5.0, ">="),
]
UNITS = {"driver_cycles_per_packet": "cycles/pkt", "driver_ir_per_packet": "Ir/pkt", "engine_mpps": "Mpps"}
TESTPMD_TARGET_MPPS = 5.0  # issue 9: io forwarding between two simulated ports, default engine


def log(msg):
    print(f"run.py: {msg}", file=sys.stderr, flush=True)


# --- ena-perf --------------------------------------------------------------------------------

def run_ena_perf(binary, args, valgrind_out=None, timeout=1800):
    cmd = [str(binary), "--json", *args]
    if valgrind_out is not None:
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={valgrind_out}", *cmd]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    return json.loads(proc.stdout)


def median_run(runs):
    """One report from several native runs: for each case, the run with the median figure
    (driver cycles per packet; frames/s for the engine), with the spread of all runs."""
    native = dict(runs[0])
    cases = []
    for i, first in enumerate(runs[0]["cases"]):
        same = [r["cases"][i] for r in runs if r["cases"][i]["ok"]]
        if not same:
            cases.append(first)
            continue
        key = "engine_mpps" if first["kind"] == "engine" else "driver_cycles_per_packet"
        same.sort(key=lambda c: c.get(key, 0))
        chosen = dict(same[len(same) // 2])
        chosen["spread"] = [same[0].get(key, 0), same[-1].get(key, 0)]
        cases.append(chosen)
    native["cases"] = cases
    return native


# --- callgrind output ------------------------------------------------------------------------

_NAME = re.compile(r"^(fn|fl|fi|fe|ob|cfn|cfi|cfl|cob)=\((\d+)\)(?: (.*))?$")


def read_callgrind(path):
    """Parses one callgrind dump (positions: line, events: Ir). Returns (trigger, total Ir,
    {function: self Ir}, {(file, line): self Ir}). Costs of call lines (inclusive costs of
    callees) are not counted as the caller's own."""
    names = defaultdict(dict)
    trigger, total = None, None
    fn, fl, cur_file = "?", "?", "?"
    line_no = 0
    after_calls = False
    by_fn = defaultdict(int)
    by_line = defaultdict(int)
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            s = raw.rstrip("\n")
            if not s:
                continue
            c = s[0]
            if c.isdigit() or c in "+-*":
                parts = s.split()
                pos = parts[0]
                if pos == "*":
                    pass
                elif pos[0] in "+-":
                    line_no += int(pos)
                else:
                    line_no = int(pos)
                cost = int(parts[1]) if len(parts) > 1 else 0
                if after_calls:
                    after_calls = False
                    continue
                by_fn[fn] += cost
                by_line[(cur_file, line_no)] += cost
                continue
            if s.startswith("calls="):
                after_calls = True
                continue
            m = _NAME.match(s)
            if m:
                kind, ident, name = m.groups()
                table = "fn" if kind in ("fn", "cfn") else "fl" if kind in ("fl", "fi", "fe", "cfi", "cfl") else "ob"
                if name is not None:
                    names[table][ident] = name
                name = names[table].get(ident, f"({ident})")
                if kind == "fn":
                    fn = name
                    cur_file = fl
                elif kind == "fl":
                    fl = name
                    cur_file = name
                elif kind in ("fi", "fe"):
                    cur_file = name
                continue
            if s.startswith("desc: Trigger: Client Request: "):
                trigger = s[len("desc: Trigger: Client Request: "):]
            elif s.startswith("totals:") or (s.startswith("summary:") and total is None):
                total = int(s.split()[1])
    return trigger, total or 0, dict(by_fn), dict(by_line)


def callgrind_dumps(out_file):
    """The per-case dumps ena-perf asked callgrind for: {case: (total, by_fn, by_line)}."""
    dumps = {}
    for p in sorted(Path(out_file).parent.glob(Path(out_file).name + ".*")):
        trigger, total, by_fn, by_line = read_callgrind(p)
        if trigger:
            dumps[trigger] = (total, by_fn, by_line)
    return dumps


def short_function(name):
    name = re.sub(r"\(anonymous namespace\)::", "", name)
    name = re.sub(r"^ena::ng::datapath::", "", name)
    name = re.sub(r"^ena::sim::detail::", "sim::", name)
    name = re.sub(r"^ena::sim::", "sim::", name)
    # Drop return types and parameter lists: "Verdict queue_packet<...>(TxQueue&, ...)" -> "queue_packet<...>"
    depth, cut = 0, len(name)
    for i, ch in enumerate(name):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0 and i > 0:
            cut = i
            break
    head = name[:cut]
    if " " in head and not head.startswith("operator"):
        # a return type in front (templates print it): keep the last word outside <>
        depth, last_space = 0, -1
        for i, ch in enumerate(head):
            if ch == "<":
                depth += 1
            elif ch == ">":
                depth -= 1
            elif ch == " " and depth == 0:
                last_space = i
        head = head[last_space + 1:]
    head = head.replace("(ena::ng::TxPlacement)0", "host").replace("(ena::ng::TxPlacement)1", "llq")
    return head


def short_file(path):
    path = str(path)
    i = path.find("/drivers/net/")
    if i >= 0:
        return path[i + 1:]
    for prefix in ("/usr/include/x86_64-linux-gnu/dpdk/", "/usr/include/dpdk/"):
        if path.startswith(prefix):
            return "dpdk/" + path[len(prefix):]
    return path.rsplit("/", 1)[-1]


def source_line(path, line):
    """The text of a source line, for the line-level breakdown."""
    candidates = [Path(path)]
    i = str(path).find("/drivers/net/")
    if i >= 0:
        candidates.append(REPO / str(path)[i + 1:])
    for p in candidates:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                for n, text in enumerate(f, 1):
                    if n == line:
                        return text.strip()
        except OSError:
            pass
    return ""


# --- testpmd ---------------------------------------------------------------------------------

def parse_port_stats(block):
    stats = {}
    for key in ("RX-packets", "RX-missed", "RX-errors", "RX-nombuf", "TX-packets", "TX-errors", "Rx-pps", "Tx-pps"):
        m = re.search(re.escape(key) + r":\s+(\d+)", block)
        if m:
            stats[key] = int(m.group(1))
    return stats


TESTPMD_INTERVAL = 2  # seconds between two "show port stats all" of the timed period


def run_testpmd_case(name, vdevs, drivers, seconds, tx_first, frame_bytes=64):
    """io forwarding on one lcore between the two ports of `vdevs`, frames of `frame_bytes`
    (testpmd's tx_first bursts; net_null makes its own, of its size= devarg). Port stats are shown every
    TESTPMD_INTERVAL seconds after a 2 s warm-up: testpmd's Rx-pps of each interval (it times them
    with the TSC) gives the rate, its spread over the intervals shows how steady it is."""
    from testpmd_harness import isolated_eal_args, run_testpmd, staged_plugins
    if shutil.which("dpdk-testpmd") is None:
        return {"name": name, "ok": False, "error": "dpdk-testpmd not on PATH (Debian package dpdk)"}
    intervals = max(1, round(seconds / TESTPMD_INTERVAL))
    other = OtherWork()
    with staged_plugins(drivers) as plugin_dir:
        eal = isolated_eal_args(plugin_dir, "-l", "0,1", *vdevs, mem_mb=1024)
        commands = ["set record-core-cycles on", "set record-burst-stats on", f"set txpkts {frame_bytes}",
                    f"start tx_first {tx_first}" if tx_first > 1 else "start tx_first", "sleep 2",
                    "show port stats all"]
        for _ in range(intervals):
            commands += [f"sleep {TESTPMD_INTERVAL}", "show port stats all"]
        commands.append("stop")
        run = run_testpmd(eal, commands,
                          # Each port addresses the other (a VPC delivers unicast to its owner only).
                          app_args=["--total-num-mbufs=8192", "--forward-mode=io", "--nb-cores=1",
                                    "--eth-peer=0,02:00:00:00:00:02", "--eth-peer=1,02:00:00:00:00:01"],
                          timeout=intervals * TESTPMD_INTERVAL + 60)
    out = run.output
    result = {"name": name, "bytes": frame_bytes, "vdevs": vdevs, "seconds": intervals * TESTPMD_INTERVAL, "tx_first_bursts": tx_first,
              "ok": run.returncode == 0 and not run.timed_out, "other_work_cpus": other.cpus()}
    # The first display only starts testpmd's clock; each later one holds the rates of its interval.
    shows = [part.split("testpmd>")[0] for part in out.split("show port stats all")[2:]]
    samples = []
    for show in shows:
        ports = [parse_port_stats(b) for b in re.split(r"#+ NIC statistics for port \d+\s+#+", show)[1:]]
        if ports:
            samples.append(ports)
    if len(samples) < intervals:
        result["ok"] = False
        result["error"] = f"testpmd showed port stats {len(samples)} times, expected {intervals}"
        result["tail"] = out[-2000:]
        return result
    per_interval = [sum(p.get("Rx-pps", 0) for p in ports) for ports in samples]
    result["interval_rx_pps"] = per_interval
    result["rx_pps_total"] = sum(per_interval) / len(per_interval)
    result["tx_pps_total"] = sum(sum(p.get("Tx-pps", 0) for p in ports) for ports in samples) / len(samples)
    result["port_rx_pps"] = [sum(ports[i].get("Rx-pps", 0) for ports in samples) / len(samples)
                             for i in range(len(samples[0]))]
    last = samples[-1]
    m = re.search(r"Accumulated forward statistics for all ports\+*\s+RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)"
                  r".*?TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)", out, re.S)
    if m:
        result["fwd_rx_packets"], result["fwd_rx_dropped"], result["fwd_tx_packets"], result["fwd_tx_dropped"] = \
            map(int, m.groups())
    # Packets per Tx burst the forwarding lcore achieved (testpmd's burst statistics).
    bursts = sum(int(x) for x in re.findall(r"TX-bursts\s*:\s*(\d+)", out))
    if bursts and result.get("fwd_tx_packets"):
        result["avg_tx_burst"] = result["fwd_tx_packets"] / bursts
    m = re.search(r"CPU cycles/packet=([\d.]+)", out.split("Accumulated forward statistics")[-1])
    if m:
        result["fwd_cycles_per_packet"] = float(m.group(1))
    m = re.search(r"runs the (\w+) engine", out)
    if m:
        result["engine"] = m.group(1)
    result["rx_missed"] = sum(p.get("RX-missed", 0) for p in last)
    result["errors"] = sum(p.get("RX-errors", 0) + p.get("TX-errors", 0) for p in last)
    if not result["ok"]:
        result["tail"] = out[-2000:]
    return result


def testpmd_harnesses(engines, size, out):
    """(name, vdevs) of each pair of ports testpmd forwards between: two simulated ENIs on one vpc
    wire per engine mode, and what a user testing without EC2 would pick instead."""
    macs = ("02:00:00:00:00:01", "02:00:00:00:00:02")
    harnesses = [(f"ena_sim/{engine}", [f"--vdev=net_ena_sim{i},mac={mac},wire=vpc:ena-perf-fwd,engine={engine}"
                                        for i, mac in enumerate(macs)]) for engine in engines]
    sock = out / "memif.sock"  # both ends of the memif pair live in the one testpmd
    harnesses += [("net_null", [f"--vdev=net_null0,size={size}", f"--vdev=net_null1,size={size}"]),
                  ("net_ring", ["--vdev=net_ring0", "--vdev=net_ring1"]),
                  ("net_memif", [f"--vdev=net_memif0,role=server,id=0,socket={sock}",
                                 f"--vdev=net_memif1,role=client,id=0,socket={sock}"])]
    return harnesses


# --- the machine ---------------------------------------------------------------------------

def cpu_description():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    info.setdefault(k.strip(), v.strip())
    except OSError:
        pass
    model = info.get("model name", platform.processor() or "unknown")
    fam, mod = info.get("cpu family"), info.get("model")
    extra = f" (family {fam}, model {mod})" if fam and mod else ""
    hyper = " under a hypervisor" if "hypervisor" in info.get("flags", "").split() else ""
    return f"{model}{extra}{hyper}, {os.cpu_count()} CPUs"


def cpus_busy(seconds=1.0):
    """How many CPUs' worth of work the machine did over `seconds` (us sleeping meanwhile): other
    work on the machine lowers the figures, testpmd's most (it needs both CPUs of a 2-CPU machine)."""
    def sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle
    try:
        t0, i0 = sample()
        time.sleep(seconds)
        t1, i1 = sample()
    except OSError:
        return None
    total = t1 - t0
    return (os.cpu_count() or 1) * (1 - (i1 - i0) / total) if total > 0 else None


class OtherWork:
    """CPU time the rest of the machine used while we ran: everything /proc/stat counts as busy,
    minus this process and the children it has reaped (testpmd, valgrind, ena-perf)."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def cpus(self):
        """Average number of CPUs other work kept busy since construction."""
        try:
            busy1, ours1, t1 = self._sample()
        except OSError:
            return None
        busy0, ours0, t0 = self.start
        return max(0.0, (busy1 - busy0) - (ours1 - ours0)) / (t1 - t0) if t1 > t0 else None


def check_quiet(report, phase):
    busy = cpus_busy()
    report.setdefault("cpus_busy_before", {})[phase] = busy
    if busy is not None and busy > 0.15:
        log(f"warning: other work kept {busy:.2f} CPUs busy just before the {phase} phase: figures may be low")
        report.setdefault("machine_warnings", []).append(
            f"other work kept {busy:.2f} of {os.cpu_count()} CPUs busy just before the {phase} phase")


def source_revision():
    """The commit measured (with -dirty when the tree has changes), or "unknown"."""
    try:
        return subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --- report ----------------------------------------------------------------------------------

def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def target_status(limit, op, value):
    met = value <= limit if op == "<=" else value >= limit
    return f"target {op} {limit:g}: {'met' if met else 'NOT met'}"


def print_report(report):
    native = report["native"]
    print(f"ena-perf {report['date']}, source {report['source']}: {report['cpu']}")
    print(f"build {native['build']}, {native['dpdk']}, burst {native['burst']}; "
          f"TSC {native['tsc_hz'] / 1e9:.3f} GHz (cycles below are TSC reference cycles)"
          + (f"; core clock measured ~{native['core_hz'] / 1e9:.2f} GHz, 1 TSC cycle ~ "
             f"{native['core_hz'] / native['tsc_hz']:.2f} core cycles" if native.get("core_hz") else ""))
    if native.get("memory"):
        print(f"memory: {native['memory']['description']} (ena-perf --huge / --no-huge)")
    print(f"timer overhead {native['timer_overhead_cycles']} cycles per timed call (subtracted); "
          f"{report['packets']} timed packets per case natively (median of {report['repeat']} runs)"
          + (f", {report['callgrind_packets'][0]} and {report['callgrind_packets'][1]} under callgrind"
             if report.get("callgrind_packets") else ""))
    print()
    hdr = f"{'mode':<24} {'bytes':>5} {'cycles/pkt':>10} {'(runs)':>11} {'p50 burst':>9} {'Ir/pkt':>7} " \
          f"{'Ir 2N':>7} {'device ns/pkt':>13} {'dev Ir/pkt':>10}  driver path"
    print(hdr)
    print("-" * len(hdr))
    for c in native["cases"]:
        if c["kind"] == "engine":
            continue
        if not c["ok"]:
            print(f"{c['mode']:<24} {c['bytes']:>5}  failed: {'; '.join(c['warnings'])}")
            continue
        spread = c.get("spread")
        runs = f"{spread[0]:.1f}-{spread[1]:.1f}" if spread else ""
        print(f"{c['mode']:<24} {c['bytes']:>5} {c['driver_cycles_per_packet']:>10.1f} {runs:>11} "
              f"{c['driver_cycles_per_packet_median']:>9.1f} {fmt(c.get('driver_ir_per_packet')):>7} "
              f"{fmt(c.get('driver_ir_per_packet_2n')):>7} {c['device_ns_per_packet']:>13.1f} "
              f"{fmt(c.get('device_ir_per_packet'), '.0f'):>10}  {c['path']}")
    print()
    for c in native["cases"]:
        if c["kind"] != "engine":
            continue
        if not c["ok"]:
            print(f"simulated engine {c['bytes']} B: failed: {'; '.join(c['warnings'])}")
            continue
        spread = c.get("spread")
        runs = f", runs {spread[0]:.2f}-{spread[1]:.2f}" if spread else ""
        shaped = ", all limiters on, a flow per frame" if c["name"].startswith("engine-shaped-flows-") else \
            ", all limiters on" if c["name"].startswith("engine-shaped-") else ""
        print(f"simulated engine, one core, Tx->loopback->Rx{shaped}, {c['bytes']:>4} B: {c['engine_mpps']:.2f} Mpps "
              f"({c['device_ns_per_packet']:.1f} ns/frame, {fmt(c.get('device_ir_per_packet'), '.0f')} Ir/frame{runs})")
    engine = {c["name"]: c for c in native["cases"] if c["kind"] == "engine" and c["ok"]}
    for size, shaped_name, what in ((64, "engine-shaped-64", ""), (1500, "engine-shaped-1500", ""),
                                    (64, "engine-shaped-flows-64", ", a flow per frame")):
        plain, shaped = engine.get(f"engine-{size}"), engine.get(shaped_name)
        if plain and shaped:
            print(f"shaping cost, {size:>4} B{what}: "
                  f"{(shaped['device_ns_per_packet'] / plain['device_ns_per_packet'] - 1) * 100:+.1f} % "
                  f"ns/frame with every limiter on ({plain['engine_mpps']:.2f} -> {shaped['engine_mpps']:.2f} Mpps)")
    for t in report.get("testpmd", []):
        if not t["ok"] or "rx_pps_total" not in t:
            print(f"testpmd io {t['name']} {t.get('bytes', 64)} B: failed: {t.get('error', 'see JSON tail')}")
            continue
        per_port = ", ".join(f"{v / 1e6:.2f}" for v in t["port_rx_pps"])
        lo, hi = min(t["interval_rx_pps"]), max(t["interval_rx_pps"])
        drops = ""
        if t["name"].startswith("ena_sim"):
            drops = f"; RX-missed {t['rx_missed']}, TX-dropped {t.get('fwd_tx_dropped', '?')}, errors {t['errors']}"
        cycles = f", {t['fwd_cycles_per_packet']:.0f} TSC cycles/pkt on the fwd lcore" \
            if t.get("fwd_cycles_per_packet") else ""
        if t.get("avg_tx_burst"):
            cycles += f", {t['avg_tx_burst']:.1f} pkts per Tx burst"
        if len(t.get("runs_rx_pps_total", [])) > 1:
            cycles += "; runs " + ", ".join(fmt(v and v / 1e6, ".2f") for v in t["runs_rx_pps_total"]) + " Mpps, median shown"
            others = t.get("runs_other_work_cpus", [])
            if any(others):
                cycles += " (other work during them: " + ", ".join(fmt(v, ".2f") for v in others) + " CPUs)"
        print(f"testpmd io fwd {t['name']:<17} {t.get('bytes', 64):>4} B {t['rx_pps_total'] / 1e6:8.2f} Mpps forwarded "
              f"({lo / 1e6:.2f}-{hi / 1e6:.2f} over {len(t['interval_rx_pps'])} intervals of {TESTPMD_INTERVAL} s; "
              f"Rx-pps per port {per_port} M{cycles}){drops}")
    for p in report.get("pktgen", []):
        if not p["ok"]:
            print(f"pktgen {p['engine']} {p['bytes']} B: failed: {p.get('error')}")
            continue
        print(f"pktgen, two simulated ports, {p['engine']} engine, {p['bytes']:>4} B: Rx "
              + ", ".join(f"{v / 1e6:.2f}" for v in p["port_rx_pps"]) + " Mpps per port (Tx "
              + ", ".join(f"{v / 1e6:.2f}" for v in p["port_tx_pps"]) + f") over {len(p['samples'])} s")
    for t in report.get("testpmd", []):
        if t["name"] == "ena_sim/auto" and t.get("bytes", 64) == 64 and t.get("rx_pps_total"):
            mpps = t["rx_pps_total"] / 1e6
            print(f"testpmd io, two simulated ports, default engine, 64 B: {mpps:.2f} Mpps "
                  f"({'meets' if mpps >= TESTPMD_TARGET_MPPS else 'misses'} the {TESTPMD_TARGET_MPPS:.0f} Mpps target)")
    print()
    by_name = {c["name"]: c for c in native["cases"]}
    for case, key, limit, op in TARGETS:
        c = by_name.get(case)
        if c and c["ok"] and c.get(key) is not None:
            print(f"{case}: {c[key]:.2f} {UNITS[key]} ({target_status(limit, op, c[key])})")
    for w in report.get("machine_warnings", []):
        print(f"warning: {w}: figures may be low")
    for c in native["cases"]:
        for w in c["warnings"]:
            print(f"warning: {c['name']}: {w}")
        if c["short_bursts"]:
            print(f"note: {c['name']}: {c['short_bursts']} of {c['bursts']} timed bursts moved fewer than "
                  f"{native['burst']} packets")
    outliers = sum(c.get("outlier_bursts", {}).get("driver", 0) + c.get("outlier_bursts", {}).get("device", 0)
                   for c in native["cases"])
    if outliers:
        print(f"note: {outliers} of {sum(c['bursts'] for c in native['cases'])} timed bursts took over 20x their "
              "case's median (preempted or interrupted) and were left out of the cycle figures")
    for c in native["cases"]:
        if c.get("ir_unstable"):
            print(f"warning: {c['name']}: Ir/pkt differs by {c['ir_unstable']:.1%} between the two packet counts")
    for name, prof in report.get("profiles", {}).items():
        print(f"\ncallgrind, {name}: driver Ir per packet by function (self cost, inlined code counted in its caller)")
        for fn, ir in prof["functions"]:
            print(f"  {ir:8.1f}  {fn}")
        print("  hottest source lines (Ir per packet):")
        for where, ir, text in prof["lines"]:
            print(f"  {ir:8.1f}  {where:<48} {text[:70]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=Path(os.environ.get("ENA_NG_BUILD", REPO / "build")),
                    help="meson build folder (default: build, or $ENA_NG_BUILD)")
    ap.add_argument("--packets", type=int, default=200000, help="timed packets per case, native run")
    ap.add_argument("--repeat", type=int, default=3,
                    help="native runs; each case reports the run with the median figure (default 3)")
    ap.add_argument("--callgrind-packets", type=int, default=20000,
                    help="timed packets per case under callgrind (run at N and 2N)")
    ap.add_argument("--testpmd-seconds", type=int, default=10)
    ap.add_argument("--testpmd-runs", type=int, default=3,
                    help="testpmd runs on the simulated ports; the median is reported (default 3)")
    ap.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=[64, 512, 1500],
                    help="frame sizes for the testpmd forwarding rates (default 64,512,1500)")
    ap.add_argument("--engines", type=lambda v: v.split(","), default=list(DEFAULT_ENGINES),
                    help=f"simulated engine modes to forward through (default {','.join(DEFAULT_ENGINES)})")
    ap.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    ap.add_argument("--pktgen", type=Path, default=os.environ.get("PKTGEN"),
                    help="Pktgen-DPDK binary for the pktgen phase (default: $PKTGEN; without one the phase is skipped)")
    ap.add_argument("--pktgen-seconds", type=int, default=5)
    ap.add_argument("--tx-first", type=int, default=1, help="bursts per port testpmd sends before forwarding")
    ap.add_argument("--profile", action="append", default=None, metavar="CASE",
                    help="print the callgrind breakdown of CASE (default: tx-llq128-64 and rx-64)")
    ap.add_argument("--case", action="append", default=None, metavar="CASE", help="only these ena-perf cases")
    ap.add_argument("--no-callgrind", action="store_true", help="skip instructions per packet")
    ap.add_argument("--no-testpmd", action="store_true", help="skip the testpmd forwarding rates")
    ap.add_argument("--out", type=Path, default=None, help="where to keep callgrind files and ena-perf.json "
                    "(default: BUILD/ena-perf-results)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    args = ap.parse_args()

    binary = args.build / "app" / "ena-perf" / "ena-perf"
    drivers = args.build / "drivers"
    if not binary.exists():
        sys.exit(f"run.py: {binary} not found: build first (ninja -C {args.build})")
    out = args.out or args.build / "ena-perf-results"
    out.mkdir(parents=True, exist_ok=True)
    case_args = ["--case", ",".join(args.case)] if args.case else []

    report = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "cpu": cpu_description(), "packets": args.packets, "source": source_revision()}
    check_quiet(report, "native")
    runs = []
    for i in range(args.repeat):
        log(f"native run {i + 1}/{args.repeat}, {args.packets} packets per case")
        runs.append(run_ena_perf(binary, ["--packets", str(args.packets), "--warmup",
                                          str(max(args.packets // 10, 1000))] + case_args))
    native = median_run(runs)
    report["native"] = native
    report["repeat"] = args.repeat
    by_name = {c["name"]: c for c in native["cases"]}

    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            log("valgrind not found (Debian package valgrind): no instructions per packet")
        else:
            n1 = args.callgrind_packets
            counts = (n1, 2 * n1)
            report["callgrind_packets"] = counts
            runs = {}
            for n, what in ((n1, "driver"), (2 * n1, "driver"), (n1, "device")):
                log(f"callgrind run, {n} packets per case, collecting the {what}'s work")
                cg_file = out / f"callgrind.{what}.{n}.out"
                for old in out.glob(cg_file.name + "*"):
                    old.unlink()
                js = run_ena_perf(binary, ["--packets", str(n), "--warmup", str(max(n // 4, 1000)),
                                           "--collect", what] + case_args, valgrind_out=cg_file)
                packets = {c["name"]: c["packets"] for c in js["cases"]}
                runs[(n, what)] = (packets, callgrind_dumps(cg_file))
            for name, c in by_name.items():
                def ir(n, what):
                    packets, dumps = runs[(n, what)]
                    if name not in dumps or not packets.get(name):
                        return None
                    return dumps[name][0] / packets[name]
                if c["kind"] != "engine":
                    a, b = ir(n1, "driver"), ir(2 * n1, "driver")
                    c["driver_ir_per_packet"] = a
                    c["driver_ir_per_packet_2n"] = b
                    if a and b:
                        c["ir_unstable"] = abs(a - b) / b if abs(a - b) / b > 0.02 else 0
                c["device_ir_per_packet"] = ir(n1, "device")
            profiles = {}
            for name in args.profile or DEFAULT_PROFILES:
                packets, dumps = runs[(2 * n1, "driver")]
                if by_name.get(name, {}).get("kind") == "engine":
                    packets, dumps = runs[(n1, "device")]
                if name not in dumps or not packets.get(name):
                    continue
                _total, by_fn, by_line = dumps[name]
                n = packets[name]
                fns = sorted(((short_function(f), v / n) for f, v in by_fn.items() if v), key=lambda x: -x[1])
                lines = sorted(((f"{short_file(f)}:{ln}", v / n, source_line(f, ln)) for (f, ln), v in by_line.items() if v),
                               key=lambda x: -x[1])
                profiles[name] = {"functions": fns[:12], "lines": lines[:15]}
            report["profiles"] = profiles

    if not args.no_testpmd:
        report["testpmd"] = []
        check_quiet(report, "testpmd")
        for size in args.sizes:
            for name, vdevs in testpmd_harnesses(args.engines, size, out):
                # The simulated ports' rate varies from run to run (see the guide): several runs, the median kept.
                runs = args.testpmd_runs if name.startswith("ena_sim") else 1
                results = []
                for i in range(runs):
                    log(f"dpdk-testpmd io forwarding on {name}, {size} B, {args.testpmd_seconds} s" +
                        (f" (run {i + 1}/{runs})" if runs > 1 else ""))
                    results.append(run_testpmd_case(name, vdevs, drivers, args.testpmd_seconds, args.tx_first, size))
                good = sorted((r for r in results if r["ok"] and "rx_pps_total" in r), key=lambda r: r["rx_pps_total"])
                chosen = dict(good[len(good) // 2]) if good else results[0]
                chosen["runs_rx_pps_total"] = [r.get("rx_pps_total") for r in results]
                chosen["runs_other_work_cpus"] = [r.get("other_work_cpus") for r in results]
                for i, r in enumerate(results):
                    if (r.get("other_work_cpus") or 0) > 0.1:
                        report.setdefault("machine_warnings", []).append(
                            f"other work kept {r['other_work_cpus']:.2f} CPUs busy during testpmd run {i + 1} on "
                            f"{name}, {size} B")
                report["testpmd"].append(chosen)

    if args.pktgen:
        import pktgen
        from testpmd_harness import staged_plugins
        report["pktgen"] = []
        check_quiet(report, "pktgen")
        with staged_plugins(drivers) as plugin_dir:
            for size in (64, 1500):
                for engine in args.engines:
                    log(f"pktgen, two simulated ports ({engine} engine), {size} B, {args.pktgen_seconds} s")
                    report["pktgen"].append(pktgen.run(args.pktgen, plugin_dir, engine, size, args.pktgen_seconds))
    elif not args.no_testpmd:
        log("no pktgen phase: set PKTGEN=/path/to/pktgen or --pktgen (doc/guides/nics/ena_ng_perf.rst says how to build it)")
    (out / "ena-perf.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_plots:
        import plots
        for line in plots.write(report, out):
            log(line)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
        log(f"JSON and callgrind files in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
