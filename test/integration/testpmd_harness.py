"""Run the real dpdk-testpmd with the ena-ng plugins: for integration tests and devtools/demo.sh.

EAL refuses a -d plugin whose folder or any parent folder is world-writable, and the project may
be cloned anywhere (/tmp included), so plugins are first copied to a private folder.

    with staged_plugins() as plugin_dir:
        run = run_testpmd(isolated_eal_args(plugin_dir, "--vdev=net_ena_sim0"),
                          ["show port info 0", "start", "sleep 1", "stop", "show port stats 0"])
        assert run.returncode == 0, run.output
        assert port_info(run.reply("show port info 0"))["Link status"] == "up"
        assert nic_stats(run.reply("show port stats 0"))[0]["RX-errors"] == 0

As a command (used by devtools/demo.sh; prints testpmd's session as it goes, exits with its status):
    testpmd_harness.py [--drivers DIR] [--eal ARG]... [--app ARG]... [--timeout S] COMMAND...
"""

import argparse
import itertools
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

REPO = Path(__file__).resolve().parents[2]
PROMPT = "testpmd> "
# The prompt as it may reach us: the command line writes it one character at a time, and what
# another thread prints meanwhile (a driver log line, an event line, which a line-buffered
# stdout may write in two pieces) can land inside it, always ending with a newline.
_INTERLEAVED = r"(?:[^\n]*\n){0,3}"
PROMPT_PATTERN = re.compile(_INTERLEAVED.join(re.escape(c) for c in PROMPT))
# testpmd's default mbuf pool is sized for RTE_MAX_ETHPORTS and does not fit in -m 512.
DEFAULT_APP_ARGS = ("--total-num-mbufs=8192",)
_prefix_counter = itertools.count()


def drivers_dir():
    """build/drivers, or ENA_NG_DRIVERS_DIR (set by meson test)."""
    return Path(os.environ.get("ENA_NG_DRIVERS_DIR", REPO / "build" / "drivers"))


def dpdk_tool(name):
    """Path of a program of the DPDK the plugins were built against (dpdk-testpmd, dpdk-proc-info,
    dpdk-pmdinfo.py, dpdk-telemetry.py), or None: in ENA_NG_DPDK_BINDIR, which meson test sets to
    that DPDK's bin/ (a testpmd of another release would load plugins built for another ABI);
    without it (a run by hand, devtools/demo.sh), the one on PATH. A folder in ENA_NG_DPDK_TOOLS
    comes first: wrappers of those programs (e.g. with a sanitizer runtime preloaded)."""
    wrappers = os.environ.get("ENA_NG_DPDK_TOOLS")
    if wrappers and (Path(wrappers) / name).is_file():
        return str(Path(wrappers) / name)
    bindir = os.environ.get("ENA_NG_DPDK_BINDIR")
    if not bindir:
        return shutil.which(name)
    path = Path(bindir) / name
    return str(path) if path.is_file() else None


def dpdk_tools_place():
    """Where dpdk_tool() looks, for messages."""
    bindir = os.environ.get("ENA_NG_DPDK_BINDIR")
    if bindir:
        return f"in {bindir}, the bin/ of DPDK {os.environ.get('ENA_NG_DPDK_VERSION', '?')} that ena-ng was built against"
    return "on PATH (Debian packages dpdk, dpdk-dev)"


def require_dpdk_tool(name):
    """dpdk_tool(name), or FileNotFoundError saying where it was looked for."""
    path = dpdk_tool(name)
    if path is None:
        raise FileNotFoundError(f"{name} not found {dpdk_tools_place()}")
    return path


def world_writable_parent(path):
    """The first of path and its parents that is world-writable (EAL would refuse it), or None."""
    for p in [path, *path.parents]:
        if p.exists() and p.stat().st_mode & stat.S_IWOTH:
            return p
    return None


def _private_base():
    candidates = []
    if os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(os.environ["XDG_RUNTIME_DIR"]) / "ena-ng")
    candidates += [Path.home() / ".cache" / "ena-ng", Path("/run/ena-ng")]
    for base in candidates:
        base = base.resolve()
        if world_writable_parent(base) is None:
            try:
                base.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError:
                continue
            base.chmod(0o700)
            return base
    raise RuntimeError("no private folder for plugins: every candidate has a world-writable parent: "
                       + ", ".join(map(str, candidates)))


@contextmanager
def staged_plugins(src=None):
    """Copy the built plugins (*.so of src, default drivers_dir()) into a fresh private folder
    (mode 0700, no world-writable parent) and yield it: pass it to EAL as -d. Removed afterwards."""
    src = Path(src) if src else drivers_dir()
    libs = sorted(src.glob("*.so"))
    if not libs:
        raise FileNotFoundError(f"no plugin *.so in {src}: build first (ninja -C build)")
    stage = Path(tempfile.mkdtemp(prefix="plugins-", dir=_private_base()))
    try:
        for lib in libs:
            shutil.copy2(lib, stage / lib.name)
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def with_test_control_path(eal_args):
    """The EAL arguments with every simulated port polled (control_path_poll_interval=500) when
    ENA_NG_TEST_CONTROL_PATH=poll (meson test --setup=poll), unless its devargs say otherwise;
    unchanged in the default mode (the management interrupt)."""
    if os.environ.get("ENA_NG_TEST_CONTROL_PATH") != "poll":
        return list(eal_args)
    out = []
    for arg in eal_args:
        vdev = arg.startswith("--vdev=net_ena_sim") or (out and out[-1] == "--vdev" and arg.startswith("net_ena_sim"))
        if vdev and "control_path_poll_interval=" not in arg:
            arg += ",control_path_poll_interval=500"
        out.append(arg)
    return out


def isolated_eal_args(plugin_dir, *extra, mem_mb=512):
    """EAL arguments for a testpmd that needs no hugepages, no PCI device and shares nothing with
    other DPDK processes (so tests can run in parallel), loading the plugins of plugin_dir; the
    simulated ports polled under meson test --setup=poll (with_test_control_path)."""
    prefix = f"ena-ng-{os.getpid()}-{next(_prefix_counter)}"
    return with_test_control_path(["--no-huge", "-m", str(mem_mb), "--no-pci", "--no-shconf", f"--file-prefix={prefix}",
                                   "-d", str(plugin_dir), *extra])


@dataclass
class TestpmdRun:
    returncode: int  # testpmd's exit status; -N if killed by signal N; None if it timed out
    output: str      # everything it printed, with our commands echoed after each prompt
    timed_out: bool = False
    # (command, what testpmd printed in reply up to its next prompt), in the order typed;
    # the first entry is ("", start-up output), the last one is ("quit", shutdown output).
    replies: list = field(default_factory=list)
    results: list = field(default_factory=list)  # what the callable commands returned, in order

    def reply(self, command, nth=0):
        """What testpmd printed in reply to the nth (0-based; -1: last) time command was typed."""
        matches = [text for cmd, text in self.replies if cmd == command]
        if not matches or not -len(matches) <= nth < len(matches):
            raise KeyError(f"command {command!r} typed {len(matches)} time(s), no reply #{nth}\n"
                           + self.output)
        return matches[nth]


def _plain(text):
    return text.replace("\r\n", "\n").replace("\r", "")


class _Log:
    """pexpect log sink: keeps testpmd's output and copies it live to `echo` if given.
    A prompt that ends what was echoed so far is held back until more output comes, so that a
    caption (note) lands before the prompt rather than between the prompt and the next command."""

    def __init__(self, echo):
        self.parts = []
        self.echo = echo
        self.held = ""

    def write(self, text):
        self.parts.append(text)
        if self.echo:
            text = self.held + _plain(text)
            # Hold a prompt, or the start of one (it may come in pieces), that begins a line.
            self.held = ""
            for k in range(len(PROMPT), 0, -1):
                start = len(text) - k
                if text.endswith(PROMPT[:k]) and (start == 0 or text[start - 1] == "\n"):
                    text, self.held = text[:start], text[start:]
                    break
            self.echo.write(text)

    def note(self, text):
        if self.echo:
            self.echo.write(f"\n{text}\n")
            self.echo.flush()

    def close(self):
        if self.echo:
            self.echo.write(self.held)
            self.held = ""
            self.echo.flush()

    def flush(self):
        if self.echo:
            self.echo.flush()

    def text(self):
        return _plain("".join(self.parts))


def _runtime_dirs(eal_args):
    base = Path("/var/run/dpdk") if os.geteuid() == 0 else \
        Path(os.environ.get("XDG_RUNTIME_DIR", "/tmp")) / "dpdk"
    for arg in eal_args:
        m = re.fullmatch(r"--file-prefix=(.+)", arg)
        if m:
            yield base / m.group(1)


def run_testpmd(eal_args, commands, app_args=DEFAULT_APP_ARGS, timeout=60, echo=None, binary=None):
    """Start dpdk-testpmd (or binary, a program with the same prompt) interactively, type each
    command at its prompt, then quit.

    Some commands are ours, not testpmd's: "sleep N" waits N seconds (e.g. between start and
    stop); "# text" prints "# text" to echo (a caption for a demo) and sends nothing; a Python
    callable is called (with testpmd waiting at its prompt), e.g. to run another program against
    it, and what it returns is kept in run.results.
    timeout bounds the whole run; on expiry testpmd is killed. echo: a stream to copy output to.
    Returns a TestpmdRun; run.reply(command) is testpmd's answer to one command.
    """
    binary = binary or require_dpdk_tool("dpdk-testpmd")
    argv = [*eal_args, "--", "-i", *app_args]
    deadline = time.monotonic() + timeout
    log = _Log(echo)
    child = pexpect.spawn(binary, argv, encoding="utf-8", codec_errors="replace",
                          dimensions=(60, 250), echo=False)
    child.logfile_read = log
    timed_out = False
    replies = []
    results = []

    def left():
        return max(0.1, deadline - time.monotonic())

    def wait_prompt(cmd):
        at_prompt = child.expect([PROMPT_PATTERN, pexpect.EOF], timeout=left()) == 0
        replies.append((cmd, _plain(child.before)))
        return at_prompt

    try:
        at_prompt = wait_prompt("")
        for cmd in [*commands, "quit"]:
            if not at_prompt:
                break
            if callable(cmd):
                results.append(cmd())
                continue
            pause = re.fullmatch(r"sleep\s+(\d+(?:\.\d*)?)", cmd.strip())
            if pause:
                time.sleep(min(float(pause.group(1)), left()))
                continue
            if cmd.startswith("#"):
                log.note(cmd)
                continue
            child.sendline(cmd)
            if cmd == "quit":
                break
            at_prompt = wait_prompt(cmd)
        child.expect_exact(pexpect.EOF, timeout=left())
        replies.append(("quit", _plain(child.before)))
    except pexpect.TIMEOUT:
        timed_out = True
    finally:
        child.close(force=True)
        log.close()
        for d in _runtime_dirs(eal_args):
            shutil.rmtree(d, ignore_errors=True)
    if timed_out:
        returncode = None
    elif child.signalstatus is not None:
        returncode = -child.signalstatus
    else:
        returncode = child.exitstatus
    output = log.text()
    if timed_out:
        output += f"\n[testpmd_harness: timed out after {timeout} s, testpmd killed]\n"
    return TestpmdRun(returncode, output, timed_out, replies, results)


# Parsers for what testpmd 22.11 prints. Each takes the text of one reply (run.reply(...)).

def port_info(text):
    """'show port info N' -> {"MAC address": "02:...", "Link status": "up", ...}."""
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and not line.startswith(" "):
            info.setdefault(key.strip(), value.strip())
    return info


def queue_info(text):
    """'show rxq|txq info P Q' -> {"Burst mode": "...", "Number of RXDs": "1024", ...}."""
    return port_info(text)


def _counter_blocks(text, header):
    """{port: {counter: int}} from blocks that start with a line matching header (group 1 is
    the port) and hold 'Name: 123' pairs."""
    blocks, current = {}, None
    for line in text.splitlines():
        m = re.search(header, line)
        if m:
            current = blocks.setdefault(int(m.group(1)), {})
            continue
        if current is not None:
            for name, value in re.findall(r"([A-Za-z][\w-]*):\s+(\d+)\b", line):
                current.setdefault(name, int(value))
    return blocks


def nic_stats(text):
    """'show port stats N|all' -> {port: {"RX-packets", "RX-missed", "RX-bytes", "RX-errors",
    "RX-nombuf", "TX-packets", "TX-errors", "TX-bytes", "Rx-pps", ...: int}}."""
    return _counter_blocks(text, r"NIC statistics for port (\d+)\s")


def xstats(text):
    """'show port xstats N|all' -> {port: {xstat name: int}}."""
    return _counter_blocks(text, r"NIC extended statistics for port (\d+)\b")


def fwd_stats(text):
    """The 'Forward statistics' that 'stop' (or 'show fwd stats all') prints ->
    {port: {"RX-packets", "RX-dropped", "RX-total", "TX-packets", "TX-dropped", "TX-total": int}}.
    RX-packets/RX-dropped there are the port's ipackets/imissed since start; TX-dropped counts
    the packets the forwarding engine could not hand to tx_burst and freed."""
    return _counter_blocks(text, r"Forward statistics for port (\d+)\s")


@dataclass
class Mempool:
    size: int       # objects the pool holds in all
    available: int  # in the common pool plus in the per-lcore caches
    in_use: int     # size - available: held by the application or a driver


def mempools(text):
    """'dump_mempool' -> {name: Mempool}; testpmd's mbuf pool for socket 0 is "mb_pool_0"."""
    pools = {}
    for block in re.split(r"^(?=mempool <)", text, flags=re.M):
        name = re.match(r"mempool <([^>]+)>", block)
        if not name:
            continue
        fields = dict(re.findall(r"^\s*(\w+)=(\d+)\s*$", block, flags=re.M))
        size = int(fields["populated_size"])
        available = int(fields["common_pool_count"]) + int(fields.get("total_cache_count", 0))
        pools[name.group(1)] = Mempool(size, available, size - available)
    return pools


def main():
    parser = argparse.ArgumentParser(
        description="Run dpdk-testpmd with the ena-ng plugins on a private copy of them, type "
                    "COMMANDs at its prompt ('sleep N' waits), quit, and exit with its status.")
    parser.add_argument("--drivers", type=Path, default=None,
                        help="folder of the built plugins (default: build/drivers)")
    parser.add_argument("--eal", action="append", default=[], metavar="ARG",
                        help="extra EAL argument, e.g. --eal=--vdev=net_ena_sim0 (repeatable)")
    parser.add_argument("--app", action="append", default=[], metavar="ARG",
                        help="extra testpmd argument, e.g. --app=--rxq=2 (repeatable)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("commands", nargs="*", metavar="COMMAND")
    args = parser.parse_args()
    with staged_plugins(args.drivers) as plugin_dir:
        run = run_testpmd(isolated_eal_args(plugin_dir, *args.eal), args.commands,
                          app_args=[*DEFAULT_APP_ARGS, *args.app], timeout=args.timeout,
                          echo=sys.stdout)
    sys.stdout.flush()
    if run.timed_out:
        print(f"testpmd_harness: testpmd did not finish within {args.timeout:g} s", file=sys.stderr)
        return 124
    return run.returncode if run.returncode >= 0 else 128 - run.returncode


if __name__ == "__main__":
    sys.exit(main())
