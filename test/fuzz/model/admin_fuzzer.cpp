// Device model, admin submission queue: after a bring-up by the bare driver, the input is a
// program of 64-byte admin entries -- any opcode and body, with the right phase and command id
// or left raw, optionally pointing their control buffer into a scratch region -- rung with the
// right tail or any tail, plus writes into the scratch regions (what a control buffer carries:
// host info, RSS key and table), doorbells of the queues the commands created, AENQ releases,
// time passing and a second bring-up.
//
// Properties: the model never crashes, never runs into UB, never leaks, and touches host memory
// only inside the regions the IOVA translation handed out.
#include <cstdlib>
#include <vector>

#include "bare_driver.hpp"
#include "fuzz_input.hpp"
#include "property.hpp"

using namespace ena;
using namespace ena::fuzz;
using namespace ena::fuzz::model;

namespace {

constexpr std::size_t kScratchBytes = 16 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    sim::DeviceConfig config;
    const std::uint8_t knobs = in.byte();
    config.llq = (knobs & 1) ? sim::LlqOffer::kNormal : sim::LlqOffer::kWide;
    config.capabilities = (knobs & 2) ? 0 : config.capabilities;
    config.rss_table_log_size = static_cast<std::uint8_t>((knobs >> 2) & 7);
    BareDriver driver(config);
    GuestMemory& memory = driver.memory();
    const std::uint64_t scratch[2] = {memory.add(kScratchBytes), memory.add(kScratchBytes)};
    if (!driver.bring_up())
        std::abort();  // the model refused its own conversation: a model bug, not fuzzing
    std::vector<std::uint32_t> doorbells;  // of the SQs created so far

    while (!in.empty()) {
        switch (in.choose(7)) {
            case 0: {
                const std::uint8_t how = in.byte();
                hw::AdminEntry entry;
                in.bytes(&entry, sizeof(entry));
                if (how & 1) {  // a control buffer in a scratch region
                    const std::uint64_t base = scratch[(how >> 1) & 1];
                    entry.control_buffer.address.set(base + in.take<std::uint16_t>() % kScratchBytes);
                    entry.control_buffer.length = in.take<std::uint16_t>();
                }
                const auto done = driver.admin(entry, (how & 4) != 0);
                if (done && done->common.status == 0 &&
                    entry.common.opcode == static_cast<std::uint8_t>(hw::AdminOpcode::kCreateSq)) {
                    hw::CreateSqResponse response;
                    std::memcpy(&response, &*done, sizeof(response));
                    doorbells.push_back(response.sq_doorbell_offset);
                }
                break;
            }
            case 1: {
                const std::size_t offset = in.take<std::uint16_t>() % kScratchBytes;
                const auto bytes = in.chunk(kScratchBytes - offset);
                std::memcpy(memory.at(scratch[in.flag()] + offset, 1), bytes.data(), bytes.size());
                break;
            }
            case 2:  // a doorbell with any tail
                driver.write(hw::reg::kAqDoorbell, in.take<std::uint16_t>());
                break;
            case 3:
                if (!doorbells.empty()) {
                    const std::uint32_t offset = doorbells[in.choose(static_cast<unsigned>(doorbells.size()))];
                    if (offset % 4 != 0 || offset + 4 > driver.device().register_bar_size())
                        property_failed("CREATE_SQ answered doorbell offset 0x%x outside BAR0", offset);
                    driver.write(offset, in.take<std::uint16_t>());
                }
                break;
            case 4:
                driver.drain_aenq();
                break;
            case 5:
                driver.device().advance_time(std::uint64_t{in.take<std::uint16_t>()} * 1'000'000);
                break;
            case 6:
                if (memory.regions() < GuestMemory::kMaxRegions - 8) {
                    doorbells.clear();
                    driver.bring_up(in.flag() ? std::optional<hw::LlqLayout>(hw::LlqLayout{}) : std::nullopt);
                }
                break;
        }
    }
    driver.device().stats();
    return 0;
}
