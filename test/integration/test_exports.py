"""Issue 6, acceptance 4: each plugin exports only its documented API. `nm -D --defined-only`
on librte_net_ena_ng.so lists the API a device's glue uses to make a port (ena_ng_port.hpp and
the helpers it names), on librte_net_ena_sim.so the simulated device's API
(model/ena_sim_device.hpp, ena_sim_api.hpp) -- nothing of the driver's or the model's inside,
nor the C++ library's templates. EAL needs no exported symbol: plugins register themselves."""

import re
import subprocess

from testpmd_harness import drivers_dir

DRIVER_API = {
    "ena::ng::create_port(ena::ng::PortRequest const&, unsigned short*)",
    "ena::ng::destroy_port(char const*)",
    "ena::ng::is_driver_devarg(std::basic_string_view<char, std::char_traits<char> >)",
    "ena::ng::memzone_dma_alloc(void*, char const*, unsigned long, unsigned long, int, ena::ng::DmaRegion*)",
    "ena::ng::memzone_dma_free(void*, ena::ng::DmaRegion*)",
    "ena::ng::tsc_now_ns(void*)",
    "ena::ng::tsc_sleep_us(void*, unsigned int)",
    "ena::ng::log_with_prefix(int, unsigned int, char const*, char const*, __va_list_tag*)",
}
# The simulator's documented names: its classes (members, vtables, typeinfo) and free functions.
SIM_CLASSES = ("Device", "Engine", "Wire", "LoopbackWire", "VpcWire")
SIM_FUNCTIONS = ("find_device", "make_wire", "register_wire_type", "validate_config")


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", str(drivers_dir() / lib)],
                         capture_output=True, text=True, check=True).stdout
    names = [line.split(maxsplit=2)[2] for line in out.splitlines() if len(line.split()) >= 3]
    demangled = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True,
                               check=True).stdout.splitlines()
    return set(demangled)


def test_ena_ng_exports_exactly_the_port_making_api():
    assert exported("librte_net_ena_ng.so") == DRIVER_API


def sim_documented(symbol):
    name = re.sub(r"^(typeinfo|vtable|typeinfo name) for ", "", symbol)
    if any(name == f"ena::sim::{c}" or name.startswith(f"ena::sim::{c}::") for c in SIM_CLASSES):
        return "::Impl::" not in name and "::detail::" not in name
    return any(name.startswith(f"ena::sim::{f}(") or name.startswith(f"ena::sim::{f}[") for f in SIM_FUNCTIONS)


def test_ena_sim_exports_only_the_simulator_api():
    symbols = exported("librte_net_ena_sim.so")
    stray = sorted(s for s in symbols if not sim_documented(s))
    assert not stray, "exported but not documented API:\n" + "\n".join(stray)
    # The API tools use is all there.
    for needed in ("ena::sim::find_device(unsigned short)", "ena::sim::Device::inject_fault(ena::sim::Fault, unsigned int)",
                   "ena::sim::Device::stats() const", "ena::sim::Device::set_link(bool)"):
        assert needed in symbols, needed
