// Device model, IO: after a bring-up by the bare driver with a Tx queue (host-memory descriptors,
// or LLQ with 128- or 256-byte entries) and an Rx queue, on a loopback wire (what the device
// sends comes back to it), the input is a program of what a driver writes: Tx descriptors in
// host memory, LLQ entries in BAR2, Rx descriptors, and the doorbells of both queues (the tail
// written so far, or any value); plus packet bytes in host memory, frames arriving from the wire
// and time passing. Descriptors are raw 16-byte values; flags in the program can give them the
// ring's phase and point their buffer into the packet or Rx buffer region, so that the device
// accepts enough of them to reach its packet parsing, offloads, Nitro shaping and connection
// tracking (turned on by the configuration byte) and Rx placement.
//
// Properties: the model never crashes, never runs into UB, never leaks, and touches host memory
// only inside the regions the IOVA translation handed out (a buffer address or length that runs
// past a region must be a DMA error).
#include "bare_driver.hpp"
#include "fuzz_input.hpp"

using namespace ena;
using namespace ena::fuzz;
using namespace ena::fuzz::model;

namespace {

constexpr std::size_t kPacketBytes = 64 * 1024;
constexpr std::size_t kRxBufferBytes = 64 * 1024;

void set_address(hw::TxDesc& d, std::uint64_t iova) {
    d.buff_addr_low = static_cast<std::uint32_t>(iova);
    d.buff_addr_high_hdr_len = hw::tx_desc::AddrHigh::set(d.buff_addr_high_hdr_len, iova >> 32);
}

// Reads a Tx descriptor from the input; `how` bit 0 gives it `phase`, bit 1 a buffer in the packet region.
hw::TxDesc tx_descriptor(FuzzInput& in, std::uint8_t how, std::uint32_t phase, std::uint64_t packets) {
    hw::TxDesc d;
    in.bytes(&d, sizeof(d));
    if (how & 1)
        d.len_ctrl = hw::tx_desc::Phase::set(d.len_ctrl, phase);
    if (how & 2)
        set_address(d, packets + in.take<std::uint16_t>() % kPacketBytes);
    return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    sim::DeviceConfig config;
    const std::uint8_t knobs = in.byte();
    const unsigned placement = knobs % 3;  // host, LLQ 128, LLQ 256
    config.llq = placement == 0 ? sim::LlqOffer::kNone : sim::LlqOffer::kWide;
    if (knobs & 0x04) {
        config.nitro.pps = 2000;
        config.nitro.bw_out_mbps = 10;
        config.nitro.bw_in_mbps = 10;
        config.nitro.shaping_queue = 8;
    }
    if (knobs & 0x08)
        config.nitro.conntrack_max = 8;
    if (knobs & 0x10)
        config.nitro.srd = sim::SrdMode::kOnUdp;
    if (knobs & 0x20)
        config.max_mtu = 1500;
    if (knobs & 0x40)
        config.max_rx_descs_per_packet = 2;
    static constexpr std::uint16_t kDepths[] = {16, 64, 256};
    const std::uint16_t depth = kDepths[in.choose(3)];

    BareDriver driver(config);
    sim::Device& device = driver.device();
    GuestMemory& memory = driver.memory();
    device.attach_wire(std::make_shared<sim::LoopbackWire>());
    std::optional<hw::LlqLayout> layout;
    if (placement != 0) {
        layout = hw::LlqLayout{};
        layout->entry_size = placement == 1 ? 128 : 256;
    }
    if (!driver.bring_up(layout))
        std::abort();  // the model refused its own conversation
    const std::uint64_t packets = memory.add(kPacketBytes);
    const std::uint64_t rx_buffers = memory.add(kRxBufferBytes);
    auto tx = driver.create_queue(false, placement != 0, depth);
    auto rx = driver.create_queue(true, false, depth);
    if (!tx || !rx)
        std::abort();

    while (!in.empty()) {
        switch (in.choose(9)) {
            case 0: {  // Tx descriptors in host memory (with LLQ the ring is not the device's: skipped)
                const std::uint8_t how = in.byte();
                const unsigned count = 1 + (how >> 4);
                for (unsigned i = 0; i < count && !tx->llq; ++i) {
                    const hw::TxDesc d = tx_descriptor(in, how, hw::ring_phase(tx->tail, depth), packets);
                    std::memcpy(memory.at(tx->sq_ring + std::size_t{hw::ring_slot(tx->tail, depth)} * sizeof(d), sizeof(d)), &d,
                                sizeof(d));
                    ++tx->tail;
                }
                break;
            }
            case 1: {  // an LLQ entry: descriptors (first entry: before the header), then header bytes
                if (!tx->llq)
                    break;
                const std::uint8_t how = in.byte();
                const hw::LlqLayout& l = *driver.llq_layout();
                std::uint8_t entry[256];
                const bool continuation = (how & 4) != 0;
                const unsigned descs = continuation ? l.descs_per_continuation_entry() : l.descs_before_header;
                for (unsigned s = 0; s < descs; ++s) {
                    const hw::TxDesc d = tx_descriptor(in, how, hw::ring_phase(tx->tail, depth), packets);
                    std::memcpy(entry + s * sizeof(d), &d, sizeof(d));
                }
                const std::size_t used = descs * sizeof(hw::TxDesc);
                in.bytes(entry + used, l.entry_size - used);
                std::memcpy(device.llq_bar() + tx->llq_offset + std::size_t{hw::ring_slot(tx->tail, depth)} * l.entry_size,
                            entry, l.entry_size);
                ++tx->tail;
                break;
            }
            case 2: {  // Rx descriptors
                const std::uint8_t how = in.byte();
                const unsigned count = 1 + (how >> 4);
                for (unsigned i = 0; i < count; ++i) {
                    hw::RxDesc d;
                    in.bytes(&d, sizeof(d));
                    if (how & 1)
                        d.ctrl = static_cast<std::uint8_t>(hw::rx_desc::Phase::set(d.ctrl, hw::ring_phase(rx->tail, depth)));
                    if (how & 2) {
                        const std::uint64_t a = rx_buffers + in.take<std::uint16_t>() % kRxBufferBytes;
                        d.buff_addr_low = static_cast<std::uint32_t>(a);
                        d.buff_addr_high = static_cast<std::uint16_t>(a >> 32);
                    }
                    std::memcpy(memory.at(rx->sq_ring + std::size_t{hw::ring_slot(rx->tail, depth)} * sizeof(d), sizeof(d)), &d,
                                sizeof(d));
                    ++rx->tail;
                }
                break;
            }
            case 3:
                driver.write(tx->doorbell, in.flag() ? in.take<std::uint16_t>() : tx->tail);
                break;
            case 4:
                driver.write(rx->doorbell, in.flag() ? in.take<std::uint16_t>() : rx->tail);
                break;
            case 5: {
                const std::size_t offset = in.take<std::uint16_t>() % kPacketBytes;
                const auto bytes = in.chunk(kPacketBytes - offset);
                std::memcpy(memory.at(packets + offset, 1), bytes.data(), bytes.size());
                break;
            }
            case 6:
                device.receive_frame(in.chunk(9216 + 64), in.flag());
                break;
            case 7:
                device.advance_time(std::uint64_t{in.take<std::uint16_t>()} * 10'000);
                break;
            case 8:
                device.process();
                driver.drain_aenq();
                break;
        }
    }
    device.stats();
    device.sq_state(tx->sq_index);
    device.cq_state(rx->cq_index);
    return 0;
}
