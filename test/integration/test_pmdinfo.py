"""dpdk-pmdinfo.py (Debian's dpdk package) reports the drivers, ids and devargs of our plugins."""

import json
import shutil
import subprocess

from testpmd_harness import drivers_dir

ENA_PCI_DEVICES = {"ec20", "ec21", "0ec2", "1ec2", "0051"}


def pmdinfo(lib):
    tool = shutil.which("dpdk-pmdinfo.py")
    assert tool, "dpdk-pmdinfo.py not on PATH (Debian package dpdk-dev)"
    # Run by Debian's python3, which has pyelftools, whatever python3 is first on PATH.
    out = subprocess.run(["/usr/bin/python3", tool, str(drivers_dir() / lib)],
                         capture_output=True, text=True, check=True).stdout
    return {d["name"]: d for d in json.loads(out)}


def test_ena_ng_lists_the_ena_pci_devices_and_kernel_modules():
    info = pmdinfo("librte_net_ena_ng.so")["net_ena_ng"]
    assert {(i["vendor"], i["device"]) for i in info["pci_ids"]} == {("1d0f", d) for d in ENA_PCI_DEVICES}
    assert "vfio-pci" in info["kmod"]
    assert info["params"]


def test_ena_sim_is_a_driver_without_pci_ids():
    drivers = pmdinfo("librte_net_ena_sim.so")
    info = drivers["net_ena_sim"]
    assert "pci_ids" not in info
    assert "wire=" in info["params"]
