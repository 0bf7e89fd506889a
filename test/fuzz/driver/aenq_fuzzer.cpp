// AENQ: the fuzzer is the device's event writer. After a normal bring-up on the simulated
// device, the input is a program of 64-byte event entries written into the AENQ ring -- at the
// slot the driver reads next with the phase it expects (any group, syndrome and body), or raw at
// any slot -- interleaved with EnaDevice::process_events, the model's own events (link changes,
// keep-alives as virtual time passes, a fatal error), the watchdog's questions (keep-alive
// timeout, DEV_STS), reads of what the events counted, and the reset rte_eth_dev_reset does.
//
// Properties: no crash, no out-of-bounds access, no UB; one process_events call never takes more
// than a ring of entries; the configuration notification codes recorded are 1-64, each once;
// the events' counts carry on across a reset (none goes down; the drop figures are the
// device's own). Events may request a reset.
#include "fuzz_input.hpp"
#include "harness.hpp"
#include "hw/ena_hw.hpp"

using namespace ena;
using namespace ena::fuzz;

namespace {

void check_notifications(const ng::EnaDevice& device) {
    const ng::ConfNotificationsSeen seen = device.conf_notifications_seen();
    std::uint64_t codes = 0;
    for (unsigned i = 0; i < seen.count; ++i) {
        const unsigned code = seen.codes[i];
        if (code < 1 || code > 64 || (codes >> (code - 1)) & 1)
            property_failed("configuration notification #%u has code %u (seen before: %d)", i, code,
                 code >= 1 && code <= 64 ? static_cast<int>((codes >> (code - 1)) & 1) : -1);
        codes |= std::uint64_t{1} << (code - 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    init_dpdk();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    DeviceUnderTest dut;
    if (dut.bring_up() != 0)
        property_failed("bring-up on the simulated device failed");
    ng::EnaDevice& device = dut.device();
    hw::AenqEntry* ring = nullptr;
    std::uint16_t depth = 0;
    // The ring is allocated again at each bring-up.
    auto find_ring = [&] {
        const DeviceUnderTest::Region* ring_region = dut.dma("aenq");
        if (ring_region == nullptr)
            property_failed("no AENQ ring");
        ring = reinterpret_cast<hw::AenqEntry*>(ring_region->va);
        depth = static_cast<std::uint16_t>(ring_region->size / hw::kAenqEntrySize);
    };
    find_ring();
    // The driver's next entry: the head it last wrote, less the ring it hands back with it.
    auto next_to_read = [&] {
        return static_cast<std::uint16_t>(dut.register_value(hw::reg::kAenqHeadDoorbell) - depth);
    };
    std::uint16_t written = next_to_read();

    while (!in.empty()) {
        switch (in.choose(7)) {
            case 0: {  // an event in the slot the driver reads next, with its phase
                hw::AenqEntry e;
                in.bytes(&e, sizeof(e));
                e.common.flags = static_cast<std::uint8_t>(
                    hw::aenq_desc::Phase::set(e.common.flags, hw::ring_phase(written, depth)));
                ring[hw::ring_slot(written++, depth)] = e;
                break;
            }
            case 1: {  // any 64 bytes at any slot
                const std::uint16_t slot = in.take<std::uint16_t>();
                in.bytes(&ring[hw::ring_slot(slot, depth)], sizeof(hw::AenqEntry));
                break;
            }
            case 2: {
                const std::uint16_t before = next_to_read();
                const ng::EventSummary summary = device.process_events();
                if (summary.processed > depth)
                    property_failed("one process_events took %u entries of a %u-entry ring", summary.processed, depth);
                if (static_cast<std::uint16_t>(next_to_read() - before) != summary.processed)
                    property_failed("process_events took %u entries but moved the head by %u", summary.processed,
                         static_cast<std::uint16_t>(next_to_read() - before));
                written = next_to_read();
                break;
            }
            case 3:  // time passes: the model's keep-alives
                dut.model().advance_time(std::uint64_t{in.take<std::uint16_t>()} * 1'000'000);
                break;
            case 4:
                if (in.flag())
                    dut.model().set_link(in.flag());
                else
                    dut.model().raise_fatal_error();
                break;
            case 5: {  // the watchdog's questions
                check_notifications(device);
                const ng::EventCounters counters = device.event_counters();
                (void)counters;
                device.keep_alive_timeout_ms();
                device.fatal_error_status();
                break;
            }
            case 6: {  // rte_eth_dev_reset
                const ng::EventCounters before = device.event_counters();
                if (dut.reset_and_bring_up() != 0)
                    property_failed("bring-up after a reset on the simulated device failed");
                find_ring();
                written = next_to_read();
                const ng::EventCounters after = device.event_counters();
                if (after.keep_alives < before.keep_alives || after.link_changes < before.link_changes ||
                    after.fatal_errors < before.fatal_errors || after.reset_requests < before.reset_requests ||
                    after.warnings < before.warnings || after.notifications < before.notifications ||
                    after.unknown_events < before.unknown_events)
                    property_failed("event counters went down across a reset");
                break;
            }
        }
    }
    device.process_events();
    check_notifications(device);
    return 0;
}
