"""The user guide (doc/guides/nics/ena_ng.rst) and the code agree: the devargs each PMD accepts
and the xstats a running port reports are the lists the guide documents, no more, no less (and
so are the PCI IDs net_ena_ng claims).

Both sides are read from what is built and what runs, never from a list kept here, so a devarg
or an xstat added to the code without its paragraph in the guide fails this test:
  devargs  the PMD info strings of librte_net_ena_ng.so and librte_net_ena_sim.so (what
           dpdk-pmdinfo.py shows, built from the same tables the devargs parsers use) against
           the guide's definition lists ``key=<values>``, each of which must give its default;
  xstats   `show port xstats 0` of Debian's dpdk-testpmd on a simulated port with two queues and
           every counter block on (ENA Express, connection tracking, a sub-optimal configuration
           notification, one reset), per-queue names generalised (rx_q1_cnt -> rx_qN_cnt), against
           the names in the guide's xstats tables;
  reasons  the reset reasons the driver's code can latch (request_reset/halt calls with a
           hw::ResetReason, named as hw/registers.hpp names them) against the guide's table of
           reset_<reason> counters.
"""

import json
import re
import subprocess

import pytest

from testpmd_harness import REPO, drivers_dir, isolated_eal_args, require_dpdk_tool, run_testpmd, staged_plugins

GUIDE = REPO / "doc" / "guides" / "nics" / "ena_ng.rst"
DRIVER_SOURCES = REPO / "drivers" / "net" / "ena_ng"
REGISTERS = DRIVER_SOURCES / "hw" / "registers.hpp"

# The first header cell of each kind of table in the guide (how the test finds them).
XSTATS_TABLE = "xstat"
REASONS_TABLE = "reset_<reason>"


# --- the guide ----------------------------------------------------------------------------

def section(title):
    """The body of the guide's section whose title starts with `title` (up to the next heading
    of any level)."""
    text = GUIDE.read_text()
    heading = re.search(rf"^{re.escape(title)}.*\n([-=~^])\1+\n", text, re.M)
    assert heading, f"{GUIDE}: no section {title!r}"
    body = text[heading.end():]
    following = re.search(r"^\S.*\n([-=~^])\1+\n", body, re.M)
    return body[:following.start()] if following else body


def documented_devargs(title):
    """{key: '<values>'} of the definition-list terms ``key=<values>`` of a section, after checking
    that each term's definition gives a default."""
    found = {}
    lines = section(title).splitlines()
    for i, line in enumerate(lines):
        terms = re.findall(r"``(\w+)=(<[^`]*>)``", line)
        if not terms or line.startswith(" "):
            continue
        definition = [line]  # "``key=<values>`` (default ...)" or the paragraph below
        for following in lines[i + 1:]:
            if following and not following.startswith(" "):
                break
            definition.append(following)
        text = " ".join(definition)
        keys = [k for k, _ in terms]
        assert re.search(r"\bdefault\b", text, re.I), f"{title}: {', '.join(keys)} documented without a default"
        for key, values in terms:
            assert key not in found, f"{title}: {key} documented twice"
            found[key] = values
    return found


def list_tables(text):
    """Each list-table of text as a list of rows, a row being the list of its cells' text."""
    tables = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        directive = re.match(r"( *)\.\. list-table::", lines[i])
        i += 1
        if not directive:
            continue
        indent = len(directive.group(1))
        rows = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            line = lines[i].strip()
            if line.startswith("* - "):
                rows.append([line[4:]])
            elif line.startswith("- ") and rows:
                rows[-1].append(line[2:])
            elif line and rows and not line.startswith(":"):
                rows[-1][-1] += " " + line
            i += 1
        tables.append(rows)
    return tables


def documented_names(header):
    """The ``literals`` of the first cell of each row of the guide's tables whose first header
    cell is ``header``, in order, each once."""
    names = []
    tables = [t for t in list_tables(GUIDE.read_text()) if t and re.sub(r"`", "", t[0][0]) == header]
    assert tables, f"{GUIDE}: no list-table whose first header cell is {header!r}"
    for table in tables:
        for row in table[1:]:
            assert len(row) >= 2 and all(cell.strip() for cell in row), f"{GUIDE}: {header} table row {row} has an empty cell"
            cell = re.findall(r"``([^`]+)``", row[0])
            assert cell, f"{GUIDE}: {header} table row without a ``name``: {row}"
            for name in cell:
                assert name not in names, f"{GUIDE}: {name} documented twice"
                names.append(name)
    return names


# --- the code -----------------------------------------------------------------------------

def pmd_info(lib, driver):
    """A PMD's info, as dpdk-pmdinfo.py (of the DPDK built against) reads it from the library."""
    tool = require_dpdk_tool("dpdk-pmdinfo.py")
    out = subprocess.run(["/usr/bin/python3", tool, str(drivers_dir() / lib)],
                         capture_output=True, text=True, check=True).stdout
    return {d["name"]: d for d in json.loads(out)}[driver]


def pmd_params(lib, driver):
    """{key: '<values>'} of a PMD's info string."""
    info = pmd_info(lib, driver)
    pairs = [p.split("=", 1) for p in info.get("params", "").split()]
    assert pairs and all(len(p) == 2 for p in pairs), info
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"{driver}: a devarg is listed twice: {info['params']}"
    return dict(pairs)


def reset_reason_names():
    """{enumerator: name} of hw::ResetReason, with the names kResetReasonNames gives them."""
    text = REGISTERS.read_text()
    enum = re.search(r"enum class ResetReason\b[^{]*\{(.*?)\};", text, re.S)
    names = re.search(r"kResetReasonNames\s*=\s*\{(.*?)\};", text, re.S)
    assert enum and names, f"{REGISTERS}: no ResetReason enum or kResetReasonNames"
    values = {k: int(v) for k, v in re.findall(r"(k\w+)\s*=\s*(\d+)", enum.group(1))}
    spelled = re.findall(r'"(\w+)"', names.group(1))
    assert values and sorted(values.values()) == list(range(len(spelled))), (values, spelled)
    return {k: spelled[v] for k, v in values.items()}


def latched_reset_reasons():
    """The names of the reset reasons the driver's code latches (request_reset or halt with a
    hw::ResetReason); each becomes an xstat reset_<name> the first time it happens."""
    names = reset_reason_names()
    latched = set()
    for source in sorted(DRIVER_SOURCES.rglob("*.[ch]pp")):  # the datapath's inline code is in headers
        text = source.read_text()
        for call in re.finditer(r"\b(?:request_reset|halt)\s*\(([^;]*?)\)\s*;", text, re.S):
            for enumerator in re.findall(r"ResetReason::(k\w+)", call.group(1)):
                latched.add(names[enumerator])
    assert latched, f"no request_reset/halt with a hw::ResetReason found under {DRIVER_SOURCES}"
    return latched


def generalised(names, reasons):
    """Per-queue names as rx_qN_/tx_qN_, notification codes as <code>, reset reasons as <reason>;
    each once, in the order first seen."""
    out = []
    for name in names:
        name = re.sub(r"^([rt]x)_q\d+_", r"\1_qN_", name)
        name = re.sub(r"^conf_notification_\d+$", "conf_notification_<code>", name)
        if name.startswith("reset_") and name[len("reset_"):] in reasons:
            name = "reset_<reason>"
        if name not in out:
            out.append(name)
    return out


# --- the tests ----------------------------------------------------------------------------

def test_the_pci_ids_are_the_documented_ones():
    ids = sorted((i["vendor"], i["device"]) for i in pmd_info("librte_net_ena_ng.so", "net_ena_ng")["pci_ids"])
    documented = sorted(re.findall(r"^``([0-9a-f]{4})``\s+``([0-9a-f]{4})``", section("Supported devices"), re.M))
    assert ids == documented


def test_the_driver_devargs_are_the_documented_ones():
    accepted = pmd_params("librte_net_ena_ng.so", "net_ena_ng")
    documented = documented_devargs("Driver devargs")
    assert sorted(set(accepted) - set(documented)) == [], "accepted by net_ena_ng, not in the guide"
    assert sorted(set(documented) - set(accepted)) == [], "in the guide, not accepted by net_ena_ng"
    assert accepted == documented, "the guide's values differ from the PMD info string's"


def test_the_simulated_device_devargs_are_the_documented_ones():
    accepted = pmd_params("librte_net_ena_sim.so", "net_ena_sim")
    own = documented_devargs("Simulated device devargs")
    # "Every driver devarg above is accepted as well": net_ena_sim passes them on to net_ena_ng.
    documented = {**own, **documented_devargs("Driver devargs")}
    assert sorted(set(accepted) - set(documented)) == [], "accepted by net_ena_sim, not in the guide"
    assert sorted(set(documented) - set(accepted)) == [], "in the guide, not accepted by net_ena_sim"
    assert accepted == documented, "the guide's values differ from the PMD info string's"


@pytest.fixture(scope="module")
def reported_xstats():
    """The names `show port xstats 0` lists for a port with two queue pairs and every block on:
    ENA Express (srd=on), connection tracking (conntrack_max, so conntrack_allowance_available
    is reported), a sub-optimal configuration notification (ENA Express with the device's
    recommended wide LLQ: code 1 at the first Tx queue) and one reset (the device asks for it)."""
    port = ("--vdev=net_ena_sim0,queues=2,srd=on,conntrack_max=1000,pps=100000,bw_out_mbps=1000,"
            "bw_in_mbps=1000,faults=device_reset_request@100")
    # The reset is counted at the watchdog pass after the request (500 ms): on a busy machine
    # later, so the listing is asked for again until it shows one.
    attempts = 10
    with staged_plugins() as plugin_dir:
        run = run_testpmd(isolated_eal_args(plugin_dir, port),
                          ["start", "sleep 1", "stop"] + ["show port xstats 0", "sleep 0.5"] * attempts,
                          app_args=["--total-num-mbufs=8192", "--rxq=2", "--txq=2"], timeout=90)
    assert run.returncode == 0, run.output
    listings = [re.findall(r"^(\w+): \d+$", run.reply("show port xstats 0", i), re.M) for i in range(attempts)]
    names = next((n for n in listings if "reset_device_request" in n), listings[-1])
    assert "rx_q1_cnt" in names and "reset_device_request" in names, run.output
    return names


def test_the_xstats_a_port_reports_are_the_documented_ones(reported_xstats):
    reasons = reset_reason_names().values()
    reported = generalised(reported_xstats, reasons)
    documented = documented_names(XSTATS_TABLE)
    assert [n for n in reported if n not in documented] == [], "reported by the port, not in the guide"
    assert [n for n in documented if n not in reported] == [], "in the guide, not reported by the port"


def test_every_reset_reason_the_driver_latches_is_documented(reported_xstats):
    latched = latched_reset_reasons()
    documented = set(documented_names(REASONS_TABLE))
    assert sorted(latched - documented) == [], "latched by the driver, not in the guide's reset_<reason> table"
    assert sorted(documented - latched) == [], "in the guide's reset_<reason> table, never latched by the driver"
    seen = {n[len("reset_"):] for n in reported_xstats if n.startswith("reset_") and n != "reset_total"}
    assert seen and seen <= documented, seen
