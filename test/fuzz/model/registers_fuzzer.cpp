// Device model, register handling: the fuzzer is a driver with no rules. From a fresh device the
// input is a program of BAR0 writes (any register, any value -- resets, ring bases and sizes,
// doorbells, readless requests, RSS entry updates, queue doorbells), writes of host memory (four
// scratch regions at fixed IOVAs the fuzzer can point the device at, and the rings a bring-up
// made), BAR2 (LLQ) writes, frames arriving from the wire and time passing; two shortcuts make
// deep states cheap to reach: a whole bring-up by the bare driver, and IO queue creation.
//
// Properties: the model never crashes, never runs into UB, never leaks, and touches host memory
// only inside the regions the IOVA translation handed out (every region is an exact-size heap
// allocation, so AddressSanitizer sees anything past one).
#include "bare_driver.hpp"
#include "fuzz_input.hpp"

using namespace ena;
using namespace ena::fuzz;
using namespace ena::fuzz::model;

namespace {

constexpr std::uint32_t kNamedRegisters[] = {
    hw::reg::kAqBaseLow,       hw::reg::kAqBaseHigh,  hw::reg::kAqCaps,          hw::reg::kAcqBaseLow,
    hw::reg::kAcqBaseHigh,     hw::reg::kAcqCaps,     hw::reg::kAqDoorbell,      hw::reg::kAenqCaps,
    hw::reg::kAenqBaseLow,     hw::reg::kAenqBaseHigh, hw::reg::kAenqHeadDoorbell, hw::reg::kIntrMask,
    hw::reg::kDevCtl,          hw::reg::kMmioRegRead, hw::reg::kMmioRespLow,     hw::reg::kMmioRespHigh,
    hw::reg::kRssIndEntryUpdate, hw::reg::kPhcDoorbell,
};
constexpr std::size_t kScratchBytes = 64 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    sim::DeviceConfig config;
    const std::uint8_t knobs = in.byte();
    config.llq = (knobs & 3) == 0 ? sim::LlqOffer::kNone : (knobs & 3) == 1 ? sim::LlqOffer::kNormal : sim::LlqOffer::kWide;
    config.readless_mmio = (knobs & 4) == 0;
    config.max_io_queues = static_cast<std::uint16_t>(1 + ((knobs >> 3) & 7));
    config.dma_addr_width = (knobs & 0x40) ? 40 : 48;

    BareDriver driver(config);
    sim::Device& device = driver.device();
    GuestMemory& memory = driver.memory();
    for (int i = 0; i < 4; ++i)
        memory.add(kScratchBytes);
    const std::uint32_t bar0 = static_cast<std::uint32_t>(device.register_bar_size());

    while (!in.empty()) {
        switch (in.choose(9)) {
            case 0:
                driver.write(kNamedRegisters[in.choose(std::size(kNamedRegisters))], in.take<std::uint32_t>());
                break;
            case 1: {  // any register, including the queues' doorbell blocks
                const std::uint32_t offset = (in.take<std::uint16_t>() * 4u) % bar0;
                driver.write(offset, in.take<std::uint32_t>());
                break;
            }
            case 2: {  // host memory, e.g. an admin entry or a descriptor
                const std::size_t region = in.choose(static_cast<unsigned>(memory.regions()));
                const std::size_t offset = in.take<std::uint16_t>() % memory.size(region);
                const auto bytes = in.chunk(memory.size(region) - offset);
                std::memcpy(memory.at(memory.iova(region) + offset, 1), bytes.data(), bytes.size());
                break;
            }
            case 3:
                if (device.llq_bar() != nullptr) {
                    const std::size_t offset = in.take<std::uint32_t>() % device.llq_bar_size();
                    const auto bytes = in.chunk(device.llq_bar_size() - offset);
                    std::memcpy(device.llq_bar() + offset, bytes.data(), bytes.size());
                }
                break;
            case 4:
                device.advance_time(std::uint64_t{in.take<std::uint16_t>()} * 1000);
                break;
            case 5:
                device.receive_frame(in.chunk(9216 + 64));
                break;
            case 6:
                if (memory.regions() < GuestMemory::kMaxRegions - 8)
                    driver.bring_up(in.flag() ? std::optional<hw::LlqLayout>(hw::LlqLayout{}) : std::nullopt);
                break;
            case 7:
                if (driver.brought_up() && memory.regions() < GuestMemory::kMaxRegions - 2)
                    driver.create_queue(in.flag(), in.flag(), static_cast<std::uint16_t>(16u << in.choose(4)));
                break;
            case 8:
                device.process();
                driver.drain_aenq();
                break;
        }
    }
    // Introspection reads what the fuzzer left.
    device.stats();
    for (std::uint16_t i = 0; i < 2 * config.max_io_queues; ++i) {
        device.sq_state(i);
        device.cq_state(i);
    }
    return 0;
}
