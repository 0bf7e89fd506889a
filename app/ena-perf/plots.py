"""PNG plots of one ena-perf report (run.py writes them beside ena-perf.json):

- throughput.png: packets per second testpmd io forwarding moves between two ports, against the
  frame size, one line per harness (each simulated engine mode, net_null, net_ring, net_memif);
- driver-cycles.png: the driver's TSC cycles and instructions per packet for each Tx placement and
  Rx with refill, per frame size.

Also usable alone: /usr/bin/python3 app/ena-perf/plots.py build/ena-perf-results/ena-perf.json
"""

import json
import sys
from collections import defaultdict
from pathlib import Path


def write(report, out):
    """Writes the plots the report has data for into out; returns one line per file (or why none)."""
    try:
        import matplotlib
    except ImportError:
        return ["no plots: matplotlib is missing (Debian package python3-matplotlib; devtools/setup.sh installs it)"]
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    done = []
    title = f"{report.get('source', '?')}, {report.get('cpu', '')}"[:110]

    rates = defaultdict(dict)
    for t in report.get("testpmd", []):
        if t.get("ok") and "rx_pps_total" in t:
            rates[t["name"]][t.get("bytes", 64)] = t["rx_pps_total"] / 1e6
    if rates:
        fig, ax = plt.subplots(figsize=(8, 5))
        for name, by_size in rates.items():
            sizes = sorted(by_size)
            ax.plot(sizes, [by_size[s] for s in sizes], marker="o", label=name)
        ax.set_xlabel("frame size (bytes)")
        ax.set_ylabel("Mpps forwarded (both ports)")
        ax.set_yscale("log")
        ax.set_title("testpmd io forwarding between two ports\n" + title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        path = Path(out) / "throughput.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        done.append(f"plot: {path}")

    cases = [c for c in report.get("native", {}).get("cases", []) if c.get("kind") != "engine" and c.get("ok")]
    if cases:
        labels = [f"{c['mode']}\n{c['bytes']} B" for c in cases]
        cycles = [c["driver_cycles_per_packet"] for c in cases]
        irs = [c.get("driver_ir_per_packet") or 0 for c in cases]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, len(cases) * 0.9), 7), sharex=True)
        top.bar(range(len(cases)), cycles, color="tab:blue")
        top.set_ylabel("TSC cycles / packet")
        top.set_title("driver cost per packet, burst 32\n" + title, fontsize=9)
        bottom.bar(range(len(cases)), irs, color="tab:orange")
        bottom.set_ylabel("instructions / packet\n(callgrind)")
        bottom.set_xticks(range(len(cases)))
        bottom.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
        for ax in (top, bottom):
            ax.grid(True, axis="y", alpha=0.3)
        path = Path(out) / "driver-cycles.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        done.append(f"plot: {path}")
    return done or ["no plots: the report has no figures to draw"]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plots.py ena-perf.json (the plots are written beside it)")
    json_path = Path(sys.argv[1])
    for line in write(json.loads(json_path.read_text()), json_path.parent):
        print(line)
