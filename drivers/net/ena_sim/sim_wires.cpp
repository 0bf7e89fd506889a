// The wires that reach outside the process, added to the device model's wire factory when the
// plugin is loaded: `tap:IFNAME` and `pcap:rx=FILE,tx=FILE` (as a devarg `wire=[pcap:...]`,
// bracketed because of the comma). make_wire() then builds them from the wire devarg the same
// way as loopback and vpc, and a wire that cannot be built fails the probe with its reason.
#include <rte_common.h>

#include "pcap_wire.hpp"
#include "sim_log.hpp"
#include "tap_wire.hpp"

namespace ena::sim::glue {
namespace {

void register_external_wires() {
    const bool tap = register_wire_type("tap", [](std::string_view ifname, std::string* error) -> std::shared_ptr<Wire> {
        return TapWire::open(ifname, error);
    });
    const bool pcap = register_wire_type("pcap", [](std::string_view argument, std::string* error) -> std::shared_ptr<Wire> {
        return PcapWire::from_argument(argument, error);
    });
    if (!tap || !pcap)
        sim_log(RTE_LOG_WARNING, "wire scheme%s%s already registered; keeping the earlier one", tap ? "" : " tap",
                pcap ? "" : " pcap");
}

}  // namespace
}  // namespace ena::sim::glue

RTE_INIT(ena_sim_wires_init) { ena::sim::glue::register_external_wires(); }
