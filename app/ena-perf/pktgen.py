#!/usr/bin/python3
"""Pktgen-DPDK on two simulated ports (doc/guides/nics/ena_ng_perf.rst, "Pktgen").

Two net_ena_sim ports on one vpc wire, each sending to the other's MAC at full rate, one
forwarding lcore for both (-l 0,1: lcore 0 is pktgen's main lcore, which spins, lcore 1 moves
the packets), the default engine unless --engine says otherwise. A Lua script sets the MACs and
the size, starts both ports, waits, reads each port's counters twice SECONDS apart and writes
them to a file; the rates printed are the counters' differences over that time.

    app/ena-perf/pktgen.py --pktgen PATH [--size 64] [--seconds 10] [--runs 3] [--engine E]

Pktgen needs a terminal: it runs under script(1). Figures only: nothing passes or fails here.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "test" / "integration"))

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")

LUA = """
local out = io.open("{result}", "w")
pktgen.set_mac("0", "dst", "{mac1}")
pktgen.set_mac("1", "dst", "{mac0}")
pktgen.set("all", "size", {size})
pktgen.set("all", "rate", 100)
pktgen.start("all")
pktgen.delay({warmup_ms})
local a = pktgen.portStats("all", "port")
pktgen.delay({ms})
local b = pktgen.portStats("all", "port")
pktgen.stop("all")
for p = 0, 1 do
    out:write(string.format("port %d rx %d tx %d imissed %d ierrors %d oerrors %d\\n", p,
        b[p].ipackets - a[p].ipackets, b[p].opackets - a[p].opackets, b[p].imissed - a[p].imissed,
        b[p].ierrors - a[p].ierrors, b[p].oerrors - a[p].oerrors))
end
out:close()
pktgen.quit()
"""


def run_once(pktgen, drivers, size, seconds, engine, txd, log_path, args_memory_mb):
    from testpmd_harness import staged_plugins
    with staged_plugins(drivers) as plugin_dir, tempfile.TemporaryDirectory(dir=plugin_dir.parent) as work:
        result = Path(work) / "result.txt"
        script = Path(work) / "bench.lua"
        script.write_text(LUA.format(result=result, mac0=MACS[0], mac1=MACS[1], size=size, warmup_ms=3000,
                                     ms=seconds * 1000))
        engine_arg = f",engine={engine}" if engine else ""
        vdevs = [f"--vdev=net_ena_sim{i},mac={MACS[i]},wire=vpc:pktgen-bench{engine_arg}" for i in range(2)]
        cmd = [*os.environ.get("PKTGEN_WRAP", "").split(), pktgen, "-l", "0,1", "-n", "1", "--no-huge", "-m", str(args_memory_mb), "--no-pci", "--no-shconf",
               f"--file-prefix=ena-pktgen-{os.getpid()}", "-d", str(plugin_dir), *vdevs, "--",
               f"--txd={txd}", "-m", "1.[0-1]", "-f", str(script)]
        quoted = " ".join(f"'{c}'" for c in cmd)
        start = time.monotonic()
        proc = subprocess.run(["script", "-qfec", quoted, str(log_path)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 120)
        took = time.monotonic() - start
        if not result.exists():
            return {"ok": False, "error": f"pktgen exited {proc.returncode} after {took:.0f} s without results "
                                          f"(its terminal output is in {log_path})"}
        ports = {}
        for line in result.read_text().splitlines():
            f = line.split()
            ports[int(f[1])] = {f[i]: int(f[i + 1]) for i in range(2, len(f), 2)}
        engine_line = ""
        for line in Path(log_path).read_text(errors="replace").splitlines():
            if "runs the" in line and "engine" in line:
                engine_line = line.strip()
                break
        return {"ok": True, "ports": ports, "seconds": seconds, "engine_line": engine_line}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pktgen", required=True, help="the pktgen binary (shared/tools/build-pktgen builds it)")
    ap.add_argument("--build", type=Path, default=Path(os.environ.get("ENA_NG_BUILD", REPO / "build")))
    ap.add_argument("--size", type=int, action="append", help="frame size (repeatable; default 64 and 1500)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--engine", default="", help="engine devarg (default: none, the machine chooses)")
    ap.add_argument("--txd", type=int, default=512, help="Tx descriptors per port (at most 512 here)")
    ap.add_argument("--memory", type=int, default=4096, help="EAL memory in MB (-m; pktgen's pools are large)")
    args = ap.parse_args()
    if shutil.which("script") is None:
        sys.exit("pktgen.py: script(1) (package bsdutils) is needed: pktgen wants a terminal")
    drivers = args.build / "drivers"
    for size in args.size or [64, 1500]:
        rates = []
        for run in range(args.runs):
            log_path = args.build / f"pktgen-{size}-{run}.log"
            r = run_once(args.pktgen, drivers, size, args.seconds, args.engine, args.txd, log_path, args.memory)
            if not r["ok"]:
                print(f"{size} B run {run + 1}: failed: {r['error']}")
                continue
            per_port = [r["ports"][p]["rx"] / r["seconds"] / 1e6 for p in (0, 1)]
            tx = [r["ports"][p]["tx"] / r["seconds"] / 1e6 for p in (0, 1)]
            missed = sum(r["ports"][p]["imissed"] for p in (0, 1))
            rates.append(min(per_port))
            print(f"{size} B run {run + 1}: Rx {per_port[0]:.2f} / {per_port[1]:.2f} Mpps per port, "
                  f"Tx {tx[0]:.2f} / {tx[1]:.2f} Mpps, imissed {missed}; {r['engine_line']}", flush=True)
        if rates:
            rates.sort()
            print(f"{size} B: {rates[len(rates) // 2]:.2f} Mpps per port (slower port, median of {len(rates)}; "
                  f"runs {', '.join(f'{x:.2f}' for x in rates)})")


if __name__ == "__main__":
    main()
