"""Issue 2, acceptance 3: dpdk-pmdinfo.py (Debian's dpdk package) on each library lists its
driver, the PCI IDs and the devargs the issues name. That the listed devargs, with their values,
are exactly the user guide's is test_doc_agreement.py's (suite docs)."""

import json
import subprocess

from testpmd_harness import REPO, drivers_dir, require_dpdk_tool

# Every device ID the Linux ENA driver matches (DPDK's built-in net_ena has only ec20/ec21).
ENA_PCI_IDS = [("1d0f", d) for d in ("ec20", "ec21", "0ec2", "1ec2", "0051")]
# Named by issue 2: the upstream PMD's newest devargs and the DPDK 22.11-era switches.
REQUIRED_DRIVER_ARGS = {"llq_policy", "miss_txc_to", "control_path_poll_interval", "enable_frag_bypass",
                        "large_llq_hdr", "normal_llq_hdr", "enable_llq"}
# Named by issues 2 and 3 for the simulated device.
REQUIRED_SIM_ARGS = {"mac", "queues", "llq", "mtu", "link", "wire"}
USER_GUIDE = REPO / "doc" / "guides" / "nics" / "ena_ng.rst"


def pmdinfo(lib):
    tool = require_dpdk_tool("dpdk-pmdinfo.py")
    # Run by Debian's python3, which has pyelftools, whatever python3 is first on PATH.
    out = subprocess.run(["/usr/bin/python3", tool, str(drivers_dir() / lib)],
                         capture_output=True, text=True, check=True).stdout
    return {d["name"]: d for d in json.loads(out)}


def params(info):
    """'key=<values> key=<values> ...' -> {key: '<values>'} (a value holds no space)."""
    pairs = [p.split("=", 1) for p in info["params"].split()]
    assert all(len(p) == 2 for p in pairs), info["params"]
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"a devarg is listed twice: {info['params']}"
    return dict(pairs)


def test_ena_ng_lists_its_driver_the_ena_pci_ids_and_kernel_modules():
    drivers = pmdinfo("librte_net_ena_ng.so")
    assert set(drivers) == {"net_ena_ng"}
    info = drivers["net_ena_ng"]
    ids = [(i["vendor"], i["device"]) for i in info["pci_ids"]]
    assert sorted(ids) == sorted(ENA_PCI_IDS), ids
    assert "vfio-pci" in info["kmod"]


def test_ena_ng_lists_the_driver_devargs():
    listed = params(pmdinfo("librte_net_ena_ng.so")["net_ena_ng"])
    assert REQUIRED_DRIVER_ARGS <= set(listed), listed


def test_ena_sim_lists_its_driver_without_pci_ids_and_its_devargs_and_the_drivers():
    drivers = pmdinfo("librte_net_ena_sim.so")  # also lists net_ena_ng: the library it needs
    info = drivers["net_ena_sim"]
    assert "pci_ids" not in info
    listed = params(info)
    assert REQUIRED_SIM_ARGS <= set(listed), listed
    # The vdev passes the driver's devargs on to net_ena_ng.
    assert params(drivers["net_ena_ng"]).items() <= listed.items(), listed
