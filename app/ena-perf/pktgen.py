"""Pktgen-DPDK on two simulated ENIs on one vpc wire: each port sends to the other as fast as
pktgen can and the receive rate of each port is sampled once a second (run.py's pktgen phase).

Pktgen is not packaged by Debian: run.py uses the binary named by $PKTGEN or --pktgen. It needs a
terminal (it draws a screen), so it runs under script(1), and it is driven by a Lua script that
writes the rates to a file -- its screen is not parsed. Tx rings of 512 descriptors (--txd=512):
pktgen asks for 2048 by default, more than an ENA Tx ring with wide LLQ entries (512) holds.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02")

LUA = """
local out = io.open("{rates}", "w")
pktgen.set("all", "size", {size})
pktgen.set_mac("0", "dst", "{mac1}")
pktgen.set_mac("1", "dst", "{mac0}")
pktgen.start("all")
pktgen.delay({warmup_ms})
for i = 1, {samples} do
  pktgen.delay(1000)
  local st = pktgen.portStats("all", "rate")
  out:write(string.format("%d %d %d %d\\n", st[0].pkts_rx, st[0].pkts_tx, st[1].pkts_rx, st[1].pkts_tx))
  out:flush()
end
pktgen.stop("all")
out:close()
pktgen.quit()
"""


def run(pktgen, plugin_dir, engine, size, seconds, warmup_s=2):
    """One run; returns {"engine", "bytes", "port_rx_pps": [p0, p1], "samples": [...], "ok"}."""
    result = {"engine": engine, "bytes": size, "ok": False}
    if shutil.which("script") is None:
        result["error"] = "script(1) not found (Debian package bsdutils)"
        return result
    with tempfile.TemporaryDirectory(prefix="ena-perf-pktgen-") as tmp:
        rates, lua = Path(tmp) / "rates.txt", Path(tmp) / "run.lua"
        lua.write_text(LUA.format(rates=rates, size=size, mac0=MACS[0], mac1=MACS[1],
                                  warmup_ms=warmup_s * 1000, samples=seconds))
        vdevs = [f"--vdev=net_ena_sim{i},mac={mac},wire=vpc:ena-perf-pktgen,engine={engine}"
                 for i, mac in enumerate(MACS)]
        cmd = [str(pktgen), "-l", "0,1", "--no-huge", "-m", "4096", "--no-pci", "--no-shconf",
               f"--file-prefix=ena-perf-pktgen-{os.getpid()}", "-d", str(plugin_dir), *vdevs,
               "--", "-T", "-m", "[1].[0-1]", "--txd=512", "-f", str(lua)]
        try:
            done = subprocess.run(["script", "-qfec", " ".join(cmd), "/dev/null"], capture_output=True,
                                  text=True, errors="replace", timeout=seconds + warmup_s + 90)
            screen = done.stdout
        except subprocess.TimeoutExpired as e:
            screen = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        samples = [list(map(int, line.split())) for line in rates.read_text().splitlines()] \
            if rates.exists() else []
    # pktgen may abort on its way out after quit(); the samples written before that count.
    if len(samples) < seconds:
        panic = [line for line in screen.splitlines() if "PANIC" in line or "rror" in line]
        result["error"] = f"pktgen wrote {len(samples)} of {seconds} samples" + \
            (f": {panic[0].strip()[:200]}" if panic else "")
        return result
    result["samples"] = samples
    result["port_rx_pps"] = [sum(s[0] for s in samples) / len(samples), sum(s[2] for s in samples) / len(samples)]
    result["port_tx_pps"] = [sum(s[1] for s in samples) / len(samples), sum(s[3] for s in samples) / len(samples)]
    result["ok"] = True
    return result
