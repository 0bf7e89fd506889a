"""Issue 3, acceptance 2: the Linux network stack pings a DPDK application through a simulated ENA.

The real dpdk-testpmd runs --forward-mode=icmpecho on a net_ena_sim port whose wire is a TAP
interface (wire=tap:IF). The test moves IF into a network namespace it creates, gives it
198.18.0.1/24 and pings 198.18.0.2 from there: testpmd's icmpecho answers the kernel's ARP
request with the port's MAC and every echo request with a reply, so all 50 pings come back and
the namespace's neighbour table holds 198.18.0.2 at the port's MAC.

Needs root and /dev/net/tun (skipped, with the reason, without them). The namespace is deleted
at the end whatever happens; the TAP interface goes away with testpmd (it is not persistent),
and is deleted explicitly as well should testpmd be killed.
"""

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

from testpmd_harness import fwd_stats, isolated_eal_args, require_dpdk_tool, staged_plugins

PORT_MAC = "02:00:00:c6:12:02"
LOCAL = "198.18.0.1/24"
REMOTE = "198.18.0.2"
PINGS = 50


def _skip_reason():
    if os.geteuid() != 0:
        return "needs root: creates a TAP interface and a network namespace"
    if not Path("/dev/net/tun").exists():
        return "no /dev/net/tun: the kernel's TUN/TAP driver is not available"
    return None


def _run(*argv, ns=None, check=True, timeout=30):
    """Run a command (in network namespace ns if given); returns the CompletedProcess."""
    full = ["ip", "netns", "exec", ns, *argv] if ns else list(argv)
    done = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(full)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def _runtime_dir(eal_args):
    """The folder EAL keeps for this process's --file-prefix (root: /var/run/dpdk/PREFIX)."""
    for arg in eal_args:
        if arg.startswith("--file-prefix="):
            return Path("/var/run/dpdk") / arg.split("=", 1)[1]
    return None


@pytest.fixture
def plugin_dir():
    with staged_plugins() as d:
        yield d


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_ping_from_a_namespace_through_testpmd_icmpecho_on_a_tap_wire(plugin_dir):
    token = secrets.token_hex(3)
    ns = f"ena-ng-tap-{os.getpid()}-{token}"
    ifname = f"enatap{token}"  # 12 characters: under the kernel's 15
    eal = isolated_eal_args(plugin_dir, f"--vdev=net_ena_sim0,mac={PORT_MAC},wire=tap:{ifname}")
    testpmd = require_dpdk_tool("dpdk-testpmd")

    _run("ip", "netns", "add", ns)
    child = None
    try:
        # Not interactive: testpmd starts forwarding at once and waits for Enter to stop.
        child = pexpect.spawn(testpmd, [*eal, "--", "--forward-mode=icmpecho", "--total-num-mbufs=8192"],
                              encoding="utf-8", codec_errors="replace", echo=False, timeout=60)
        child.logfile_read = log = _Log()
        index = child.expect_exact(["Press enter to exit", pexpect.EOF, pexpect.TIMEOUT])
        assert index == 0, f"testpmd did not start forwarding:\n{log.text}"
        assert re.search(rf"Port 0: {PORT_MAC}", log.text, re.I), log.text

        _run("ip", "link", "set", ifname, "netns", ns)  # testpmd created it here, in our namespace
        _run("ip", "addr", "add", LOCAL, "dev", ifname, ns=ns)
        _run("ip", "link", "set", ifname, "up", ns=ns)

        ping = _run("ping", "-c", str(PINGS), "-i", "0.02", "-W", "1", REMOTE, ns=ns, check=False, timeout=60)
        neigh = _run("ip", "neigh", "show", REMOTE, "dev", ifname, ns=ns).stdout

        child.sendline("")
        assert child.expect_exact([pexpect.EOF, pexpect.TIMEOUT], timeout=30) == 0, \
            f"testpmd did not stop:\n{log.text}"
        child.close()
        print(ping.stdout)
        print(f"neighbour table: {neigh.strip()}")

        counts = re.search(r"(\d+) packets transmitted, (\d+) received", ping.stdout)
        assert counts, f"no ping summary:\n{ping.stdout}{ping.stderr}\n{log.text}"
        assert (int(counts[1]), int(counts[2])) == (PINGS, PINGS), f"{ping.stdout}\n{log.text}"

        # ARP resolved 198.18.0.2 to the port's MAC (testpmd answered the kernel's request).
        entry = re.search(r"lladdr\s+(\S+)\s+(\w+)", neigh)
        assert entry, f"no resolved neighbour entry for {REMOTE}: {neigh!r}"
        assert entry[1].lower() == PORT_MAC and entry[2] not in ("FAILED", "INCOMPLETE"), neigh

        # testpmd forwarded the replies: 50 echo replies and at least one ARP reply went out.
        stats = fwd_stats(log.text)
        assert stats[0]["TX-packets"] >= PINGS + 1, log.text
        assert stats[0]["RX-packets"] >= PINGS + 1, log.text

        # The interface went away with testpmd.
        gone = _run("ip", "link", "show", ifname, ns=ns, check=False)
        assert gone.returncode != 0, f"{ifname} still exists after testpmd quit:\n{gone.stdout}"
    finally:
        if child is not None and child.isalive():
            child.close(force=True)
        for where in (ns, None):
            _run("ip", "link", "del", ifname, ns=where, check=False)
        _run("ip", "netns", "del", ns, check=False)
        runtime = _runtime_dir(eal)
        if runtime:
            shutil.rmtree(runtime, ignore_errors=True)
    assert not Path(f"/run/netns/{ns}").exists(), f"namespace {ns} was not deleted"


class _Log:
    """pexpect log sink keeping testpmd's output (with \\r\\n made \\n)."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    @property
    def text(self):
        return "".join(self.parts).replace("\r\n", "\n")
