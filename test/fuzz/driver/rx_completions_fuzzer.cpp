// Rx completions: the fuzzer is the device's Rx engine. An Rx queue of the driver is started on
// the simulated device (the model never completes Rx: no frame arrives); then the input is a
// program of device writes into the queue's completion ring -- well-formed packets naming the
// buffers the driver posted (in the order the device took them from the submission ring) with
// fuzzer-chosen lengths, offsets and status bits, raw 16-byte entries at the device's position
// or at any slot -- and driver calls: rx burst, descriptor status, queue restart (with a device
// reset and bring-up between stop and start, as rte_eth_dev_reset does, or without).
//
// Properties: no crash, no out-of-bounds access (the ring and the driver's tables are heap
// memory here), no UB; every packet the burst returns is a sound mbuf chain inside its buffers
// (check_received); the driver holds exactly the mbufs it posted and not received, and after the
// queue stops every mbuf is back in the pool; a restarted queue is not halted. The queue may
// halt and ask for a reset.
#include <deque>

#include "datapath/datapath.hpp"
#include "fuzz_input.hpp"
#include "harness.hpp"
#include "hw/ena_hw.hpp"

using namespace ena;
using namespace ena::fuzz;
namespace rxc = hw::rx_completion;

namespace {

// The device side of one Rx queue, as the harness plays it.
struct DeviceView {
    std::deque<std::uint16_t> posted;  // request ids of descriptors taken, oldest first
    std::uint16_t sq_seen = 0;         // descriptors read from the submission ring
    std::uint16_t cq_written = 0;      // completions written (free-running)

    // Takes the descriptors the driver made available by its last doorbell.
    void take_descriptors(const ng::RxQueue& q, std::uint16_t doorbell) {
        const auto* ring = q.sq_ring.as<const hw::RxDesc>();
        for (; sq_seen != doorbell; ++sq_seen)
            posted.push_back(ring[sq_seen & q.mask].req_id);
    }
};

void write_completion(ng::RxQueue& q, std::uint16_t slot, const hw::RxCompletion& c) {
    auto* ring = q.cq_ring.as<hw::RxCompletion>();
    std::memcpy(&ring[slot & q.mask], &c, sizeof(c));
}

unsigned posted_count(const ng::RxQueue& q) {
    unsigned n = 0;
    for (unsigned i = 0; i < q.config.depth; ++i)
        n += q.mbufs[i] != nullptr;
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    init_dpdk();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    static constexpr std::uint16_t kDepths[] = {128, 256, 1024};
    static constexpr std::uint16_t kSgl[] = {16, 4, 1};
    const std::uint16_t depth = kDepths[in.choose(3)];
    sim::DeviceConfig config;
    config.max_rx_descs_per_packet = kSgl[in.choose(3)];
    const std::uint8_t knobs = in.byte();
    if (knobs & 1)
        config.capabilities &= ~hw::capability_bit(hw::Capability::kCdescMbz);
    std::uint64_t offloads = 0;
    if (knobs & 2)
        offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    if (knobs & 4)
        offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;

    rte_mempool* pool = mbuf_pool();
    {
        DeviceUnderTest dut(config);
        if (dut.bring_up() != 0)
            property_failed("bring-up on the simulated device failed");
        ng::RxQueue q(dut.device(), rx_config(dut.device().features(), depth, offloads));
        if (q.allocate() != 0 || q.start() != 0)
            property_failed("Rx queue set-up failed");
        const eth_rx_burst_t burst = ng::datapath::secondary_rx_burst(true);
        DeviceView dev;
        dev.take_descriptors(q, static_cast<std::uint16_t>(dut.register_value(q.doorbell_offset)));
        const std::uint16_t buffer_size = q.config.buffer_size;

        while (!in.empty()) {
            switch (in.choose(6)) {
                case 0: {  // a well-formed packet over 1..n buffers (n may exceed what a packet may span)
                    const unsigned segments = 1 + in.choose(q.config.max_sgl + 1);
                    const std::uint32_t status_bits = in.take<std::uint32_t>() &
                        ~(rxc::Phase::kMask | rxc::First::kMask | rxc::Last::kMask);
                    for (unsigned s = 0; s < segments && !dev.posted.empty(); ++s) {
                        hw::RxCompletion c{};
                        const bool last = s + 1 == segments || dev.posted.size() == 1;
                        c.status = status_bits | rxc::Phase::make(hw::ring_phase(dev.cq_written, depth)) |
                                   rxc::First::make(s == 0) | rxc::Last::make(last);
                        c.offset = s == 0 ? in.byte() : 0;
                        c.length = static_cast<std::uint16_t>(in.take<std::uint16_t>() % (buffer_size - c.offset + 1));
                        c.req_id = dev.posted.front();
                        dev.posted.pop_front();
                        c.hash = in.take<std::uint32_t>();
                        write_completion(q, dev.cq_written++, c);
                        if (last)
                            break;
                    }
                    break;
                }
                case 1: {  // any 16 bytes at the device's position
                    hw::RxCompletion c;
                    in.bytes(&c, sizeof(c));
                    if (!dev.posted.empty() && c.req_id == dev.posted.front())
                        dev.posted.pop_front();
                    write_completion(q, dev.cq_written++, c);
                    break;
                }
                case 2: {  // any 16 bytes at any slot
                    const auto slot = in.take<std::uint16_t>();
                    hw::RxCompletion c;
                    in.bytes(&c, sizeof(c));
                    write_completion(q, slot, c);
                    break;
                }
                case 3: {  // the application polls
                    rte_mbuf* pkts[64];
                    const std::uint16_t n = burst(&q, pkts, static_cast<std::uint16_t>(1 + in.choose(64)));
                    for (std::uint16_t i = 0; i < n; ++i) {
                        check_received(pkts[i], pool);
                        rte_pktmbuf_free(pkts[i]);
                    }
                    dev.take_descriptors(q, static_cast<std::uint16_t>(dut.register_value(q.doorbell_offset)));
                    const unsigned held = posted_count(q);
                    if (held + rte_mempool_avail_count(pool) != pool->size)
                        property_failed("the driver holds %u mbufs and the pool has %u of %u", held, rte_mempool_avail_count(pool),
                             pool->size);
                    break;
                }
                case 4:
                    ng::datapath::rx_descriptor_status(&q, in.take<std::uint16_t>());
                    break;
                case 5:  // port stop / start, with rte_eth_dev_reset between them or not
                    q.stop();
                    check_pool_full(pool, "Rx queue stopped");
                    // rte_eth_dev_start is refused while a reset is pending (Port::start).
                    if ((in.flag() || dut.device().reset_requested()) && dut.reset_and_bring_up() != 0)
                        property_failed("bring-up after a reset on the simulated device failed");
                    if (q.start() != 0)
                        property_failed("Rx queue restart failed");
                    if (q.halted)
                        property_failed("Rx queue still halted after a restart");
                    dev = DeviceView{};
                    dev.take_descriptors(q, static_cast<std::uint16_t>(dut.register_value(q.doorbell_offset)));
                    break;
            }
        }
        q.stop();
    }
    check_pool_full(pool, "Rx queue and device gone");
    return 0;
}
