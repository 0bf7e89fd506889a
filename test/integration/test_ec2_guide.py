"""Issue 13, acceptance 3: the user guide's "Running on EC2" section matches the code -- the
devargs it recommends exist with the values it gives, the kernel drivers it binds are the ones
the PMD declares, and what it says the port tells the user (the write-combining advice, the
host-memory fallback) is what the driver really logs."""

import re

from test_pmdinfo import USER_GUIDE, params, pmdinfo
from testpmd_harness import drivers_dir


def ec2_section():
    text = USER_GUIDE.read_text()
    heading = re.search(r"^Running on EC2\n-+\n", text, re.M)
    assert heading, f"{USER_GUIDE}: no 'Running on EC2' section"
    body = text[heading.end():]
    following = re.search(r"^\S.*\n-+\n", body, re.M)
    return body[:following.start()] if following else body


def test_the_devargs_it_recommends_exist_with_those_values():
    listed = params(pmdinfo("librte_net_ena_ng.so")["net_ena_ng"])
    module_params = {"wc_activate"}  # igb_uio's, not ours
    recommended = [(k, v) for k, v in re.findall(r"``(\w+)=([\w.]*)``", ec2_section()) if k not in module_params]
    assert {k for k, _ in recommended} >= {"llq_policy", "enable_frag_bypass", "stats_interval"}, recommended
    for key, value in recommended:
        assert key in listed, f"the guide recommends {key}=, which the driver does not have"
        choices = listed[key].strip("<>")
        if value and "|" in choices and "-" not in choices:  # an enumeration such as <0|1|2|3>
            assert value in choices.split("|"), f"{key}={value}: the driver takes {listed[key]}"


def test_the_kernel_drivers_it_binds_are_the_ones_the_pmd_declares():
    kmods = pmdinfo("librte_net_ena_ng.so")["net_ena_ng"]["kmod"]
    for kmod in ("vfio-pci", "igb_uio"):
        assert kmod in ec2_section() and kmod in kmods, (kmod, kmods)


def test_what_it_says_the_port_logs_is_what_the_driver_logs():
    binary = (drivers_dir() / "librte_net_ena_ng.so").read_bytes()
    section = re.sub(r"\s+", " ", ec2_section())
    for phrase in ("wc_activate=1", "get-vfio-with-wc.sh", "/sys/kernel/debug/x86/pat_memtype_list",
                   "Tx falls back to host memory", "mount debugfs"):
        assert phrase.encode() in binary, f"the driver never says {phrase!r}"
        assert phrase in section, f"the guide's EC2 section does not mention {phrase!r}"
