"""Running ena-testpmd in tests, and comparing its output with dpdk-testpmd's section by section.

ena-testpmd links the driver and the simulator, so it is run without -d; the interactive runs
go through testpmd_harness.run_testpmd(binary=...), which it shares with dpdk-testpmd.

    run = run_ena_testpmd(eal_args("--vdev=net_ena_sim0"), ["show port info 0"])
    assert port_info(run.reply("show port info 0"))["Link status"] == "up"

shape(text) is what must be equal between the two programs: every line of a reply with the
values (numbers, MAC and hex values) replaced by placeholders and runs of spaces collapsed, log
lines left out; sections(text) splits a reply at testpmd's section headers.
"""

import os
import re
import selectors
import shutil
import subprocess
import time
from pathlib import Path

from testpmd_harness import DEFAULT_APP_ARGS, _runtime_dirs, drivers_dir, isolated_eal_args, run_testpmd


def ena_testpmd_binary():
    """build/app/ena-testpmd/ena-testpmd of the build whose drivers the tests use."""
    binary = Path(os.environ.get("ENA_TESTPMD", drivers_dir().parent / "app" / "ena-testpmd" / "ena-testpmd"))
    if not binary.exists():
        raise FileNotFoundError(f"{binary} not built: ninja -C build")
    return str(binary)


def eal_args(*extra, mem_mb=512):
    """The harness's isolated EAL arguments without -d (ena-testpmd has the plugins linked in)."""
    args = isolated_eal_args(Path("/nonexistent"), *extra, mem_mb=mem_mb)
    at = args.index("-d")
    return args[:at] + args[at + 2:]


def run_ena_testpmd(eal, commands, app_args=DEFAULT_APP_ARGS, timeout=60, echo=None):
    """ena-testpmd -i at the prompt, as run_testpmd runs dpdk-testpmd."""
    return run_testpmd(eal, commands, app_args=app_args, timeout=timeout, echo=echo, binary=ena_testpmd_binary())


def run_batch(eal, app_args, timeout=60, until=None, stop_signal=None, stdin=subprocess.DEVNULL):
    """ena-testpmd without -i, output collected as it comes. When until(output) is given, once it
    returns true the process gets stop_signal (if any); the run ends when the process exits or
    timeout passes (then it is killed). Returns (returncode or None, output)."""
    proc = subprocess.Popen([ena_testpmd_binary(), *eal, "--", *app_args], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    chunks, signalled, eof = [], False, False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while not eof and time.monotonic() < deadline:
            if sel.select(timeout=0.2):
                data = os.read(proc.stdout.fileno(), 65536)
                eof = not data
                chunks.append(data)
            if until and not signalled and until(b"".join(chunks).decode(errors="replace")):
                signalled = True
                if stop_signal is not None:
                    proc.send_signal(stop_signal)
        try:
            rc = proc.wait(timeout=max(1, deadline - time.monotonic())) if eof else None
        except subprocess.TimeoutExpired:
            rc = None
    finally:
        sel.close()
        proc.stdout.close()
        if proc.stdin is not None:
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for d in _runtime_dirs(eal):
            shutil.rmtree(d, ignore_errors=True)
    return rc, b"".join(chunks).decode(errors="replace")


# Lines that are logs or belong to one program only, not to the shape of a reply: EAL and
# library logs, each program's own log prefix, testpmd's NUMA hint and its multi-process notice.
_NOT_SHAPE = re.compile(r"^(EAL|TELEMETRY|testpmd|ena-testpmd|ENA_NG|ENA_SIM|PMD|USER1): |^Warning: NUMA |^Primary: ")
_MAC = re.compile(r"\b[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}\b")
_HEX = re.compile(r"\b0x[0-9A-Fa-f]+\b")
_NUMBER = re.compile(r"\d+")
# The forwarding mode is a value too: `show config fwd` names the mode that `start` will use in
# ena-testpmd, the mode of the last start in dpdk-testpmd (which sets its configuration up again
# only at start and a few other commands).
_MODE = re.compile(r"^(\s*)\w+ packet forwarding")


def shape(text):
    """The lines of a reply with values replaced by placeholders, spacing collapsed."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if _NOT_SHAPE.search(line):
            continue
        if not line.strip() and lines and not lines[-1]:
            continue  # one blank line where a dropped line left two
        line = _MODE.sub(r"\1<mode> packet forwarding", line)
        line = _MAC.sub("<mac>", line)
        line = _HEX.sub("<hex>", line)
        line = _NUMBER.sub("<n>", line)
        lines.append(re.sub(r"\s+", " ", line).rstrip())
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


# testpmd's section headers (port info, NIC and extended statistics, forward statistics).
_SECTION = re.compile(r"Infos for port|NIC statistics for port|NIC extended statistics for port|"
                      r"Forward statistics for port|Forward Stats for RX Port|Accumulated forward statistics|"
                      r"packet forwarding - ports=|Logical Core \S+ \(socket|^\s*port <n>: RX queue number")


def sections(lines):
    """[(header, [lines])] of shaped lines: a new section at each header line."""
    out = [("(start)", [])]
    for line in lines:
        if _SECTION.search(line):
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return out


def compare_shapes(ours, theirs, what):
    """None when the two replies have the same sections with the same lines, else a message that
    names the first difference."""
    a, b = sections(shape(ours)), sections(shape(theirs))
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b):
            extra = (b if i >= len(a) else a)[i][0]
            side = "dpdk-testpmd" if i >= len(a) else "ena-testpmd"
            return f"{what}: only {side} has section {extra!r}"
        (ha, la), (hb, lb) = a[i], b[i]
        if ha != hb:
            return f"{what}: section #{i} is {ha!r} in ena-testpmd but {hb!r} in dpdk-testpmd"
        for k in range(max(len(la), len(lb))):
            x = la[k] if k < len(la) else "(nothing)"
            y = lb[k] if k < len(lb) else "(nothing)"
            if x != y:
                return f"{what}: section {ha!r}, line {k}: ena-testpmd {x!r} != dpdk-testpmd {y!r}"
    return None

