// Tx completions: the fuzzer is the device's Tx completion writer. A Tx queue of the driver is
// started on the simulated device in one of its placements (host memory, LLQ with 128- or
// 256-byte entries); the model transmits what the driver posts but is told never to complete
// (Fault::kMissingTxCompletion), so every completion the driver reads is the fuzzer's. The input
// is a program of driver calls -- tx burst of 1-32 packets of 1-3 segments, tx_done_cleanup,
// descriptor status, queue restart (with a device reset and bring-up between stop and start, as
// rte_eth_dev_reset does, or without) -- and device writes into the completion ring: well-formed
// completions of a packet in flight (in order or any of them), raw 8-byte entries at the
// device's position or at any slot.
//
// Properties: no crash, no out-of-bounds access, no UB; the driver holds exactly the mbufs of
// the packets it accepted and not completed (no mbuf lost or freed twice), and after the queue
// stops every mbuf is back in the pool; a restarted queue is not halted. The queue may halt and
// ask for a reset.
#include <algorithm>
#include <vector>

#include "datapath/datapath.hpp"
#include "fuzz_input.hpp"
#include "harness.hpp"
#include "hw/ena_hw.hpp"

using namespace ena;
using namespace ena::fuzz;

namespace {

void write_completion(ng::TxQueue& q, std::uint16_t slot, const hw::TxCompletion& c) {
    auto* ring = q.cq_ring.as<hw::TxCompletion>();
    std::memcpy(&ring[slot & q.mask], &c, sizeof(c));
}

unsigned held_segments(const ng::TxQueue& q) {
    unsigned n = 0;
    for (unsigned i = 0; i < q.config.depth; ++i)
        if (q.requests[i].mbuf != nullptr)
            n += q.requests[i].mbuf->nb_segs;
    return n;
}

bool holds(const ng::TxQueue& q, std::uint16_t id) { return q.requests[id].mbuf != nullptr; }

// A packet of `segments` mbufs holding `length` bytes in all (at least 14 per segment).
rte_mbuf* make_packet(rte_mempool* pool, unsigned segments, unsigned length, std::uint8_t fill) {
    rte_mbuf* head = nullptr;
    for (unsigned s = 0; s < segments; ++s) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (m == nullptr)
            break;
        const unsigned part = std::max(14u, length / segments);
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(part));
        std::memset(p, fill + s, part);
        if (head == nullptr)
            head = m;
        else if (rte_pktmbuf_chain(head, m) != 0)
            rte_pktmbuf_free(m);
    }
    return head;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    init_dpdk();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    static constexpr ng::LlqPolicy kPolicies[] = {ng::LlqPolicy::kOff, ng::LlqPolicy::kNormal, ng::LlqPolicy::kWide};
    static constexpr std::uint16_t kDepths[] = {128, 256, 512};
    const ng::LlqPolicy policy = kPolicies[in.choose(3)];
    const std::uint16_t depth = kDepths[in.choose(3)];
    const std::uint64_t offloads = in.flag() ? RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE : 0;

    rte_mempool* pool = mbuf_pool();
    {
        DeviceUnderTest dut;
        if (dut.bring_up(policy) != 0)
            property_failed("bring-up on the simulated device failed");
        dut.model().inject_fault(sim::Fault::kMissingTxCompletion, sim::kFaultForever);
        ng::TxQueue q(dut.device(), tx_config(dut.device().features(), depth, offloads));
        if (q.allocate() != 0 || q.start() != 0)
            property_failed("Tx queue set-up failed");
        const eth_tx_burst_t burst = ng::datapath::secondary_tx_burst(true);
        std::vector<std::uint16_t> in_flight;  // request ids the device has, in the order sent
        std::uint16_t cq_written = 0;

        while (!in.empty()) {
            switch (in.choose(7)) {
                case 0: {  // the application sends
                    rte_mbuf* pkts[32];
                    const unsigned count = 1 + in.choose(32);
                    const unsigned segments = (offloads != 0) ? 1 : 1 + in.choose(3);
                    const unsigned length = 60 + in.take<std::uint16_t>() % 1455;
                    unsigned made = 0;
                    while (made < count && (pkts[made] = make_packet(pool, segments, length, in.byte())) != nullptr)
                        ++made;
                    const std::uint16_t before = q.free_ids;
                    const std::uint16_t sent = burst(&q, pkts, static_cast<std::uint16_t>(made));
                    // Completions the burst took give their ids back; the ids it handed out were
                    // popped from the top of the free-id stack, where they still are unless a
                    // completion pushed over them: in sending order from there, then the rest.
                    std::erase_if(in_flight, [&](std::uint16_t id) { return !holds(q, id); });
                    const auto known = [&](std::uint16_t id) {
                        return std::find(in_flight.begin(), in_flight.end(), id) != in_flight.end();
                    };
                    for (std::uint16_t k = before; k > q.free_ids && k > 0; --k)
                        if (const std::uint16_t id = q.requests[k - 1].free_id; id < depth && holds(q, id) && !known(id))
                            in_flight.push_back(id);
                    for (std::uint16_t id = 0; id < depth; ++id)
                        if (holds(q, id) && !known(id))
                            in_flight.push_back(id);
                    for (unsigned i = sent; i < made; ++i)
                        rte_pktmbuf_free(pkts[i]);
                    break;
                }
                case 1:  // the oldest packet completes
                case 2: {  // any packet in flight completes
                    if (in_flight.empty())
                        break;
                    const std::size_t k = in.take<std::uint16_t>() % in_flight.size();
                    const std::size_t pick = in.choose(2) == 0 ? 0 : k;
                    hw::TxCompletion c{};
                    c.req_id = in_flight[pick];
                    c.flags = static_cast<std::uint8_t>(hw::tx_completion::Phase::make(hw::ring_phase(cq_written, depth)));
                    c.status = in.byte();
                    in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(pick));
                    write_completion(q, cq_written++, c);
                    break;
                }
                case 3: {  // any 8 bytes at the device's position, or at any slot
                    const bool anywhere = in.flag();
                    const auto slot = anywhere ? in.take<std::uint16_t>() : cq_written++;
                    hw::TxCompletion c;
                    in.bytes(&c, sizeof(c));
                    write_completion(q, slot, c);
                    break;
                }
                case 4:
                    ng::datapath::tx_done_cleanup(&q, in.byte());
                    break;
                case 5:
                    ng::datapath::tx_descriptor_status(&q, in.take<std::uint16_t>());
                    break;
                case 6:  // port stop / start, with rte_eth_dev_reset between them or not
                    q.stop();
                    check_pool_full(pool, "Tx queue stopped");
                    // rte_eth_dev_start is refused while a reset is pending (Port::start).
                    if (in.flag() || dut.device().reset_requested()) {
                        if (dut.reset_and_bring_up(policy) != 0)
                            property_failed("bring-up after a reset on the simulated device failed");
                        // A fault without a count lasts until the device's reset.
                        dut.model().inject_fault(sim::Fault::kMissingTxCompletion, sim::kFaultForever);
                    }
                    if (q.start() != 0)
                        property_failed("Tx queue restart failed");
                    if (q.halted)
                        property_failed("Tx queue still halted after a restart");
                    in_flight.clear();
                    cq_written = 0;
                    break;
            }
            const unsigned held = held_segments(q);
            if (held + rte_mempool_avail_count(pool) != pool->size)
                property_failed("the driver holds %u mbufs and the pool has %u of %u", held, rte_mempool_avail_count(pool),
                     pool->size);
        }
        q.stop();
    }
    check_pool_full(pool, "Tx queue and device gone");
    return 0;
}
