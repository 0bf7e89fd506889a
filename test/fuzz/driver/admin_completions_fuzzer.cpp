// Admin completions: the fuzzer edits what the device writes back to the control path. The
// simulated device answers the driver's bring-up and admin commands as usual; right after it has
// written an answer, the input decides whether to change it:
//   - a readless register read answer (the 8-byte response the device DMAs): XOR 8 input bytes;
//   - an admin completion (64 bytes in the ACQ): XOR 64 input bytes; and/or write one more raw
//     64-byte entry in the next slot (an answer nobody asked for, a stale or repeated one);
//   - the control buffer the command pointed at (RSS key, hash input, indirection table, customer
//     metrics: what the device DMAs there): XOR up to 128 input bytes.
// XOR keeps an all-zero input the device's own conversation, so the fuzzer starts from a bring-up
// that succeeds and reaches every value a device could write. After bring-up the input drives the
// admin commands a port issues (IO queue create/destroy, statistics, RSS, MTU, a second bring-up).
//
// Properties: no crash, no out-of-bounds access, no UB, no leak; what bring-up accepts is what
// the rest of the driver relies on (features below), and every register or LLQ address an IO
// queue's creation yields lies inside the BAR it belongs to. Commands may fail; the admin queue
// may stop.
#include <bit>
#include <vector>

#include "fuzz_input.hpp"
#include "harness.hpp"
#include "hw/ena_hw.hpp"

using namespace ena;
using namespace ena::fuzz;

namespace {

void xor_into(std::uint8_t* dst, std::size_t n, FuzzInput& in) {
    for (std::size_t i = 0; i < n; ++i)
        dst[i] ^= in.byte();
}

// Device writes, edited by the input as they happen.
class Editor {
public:
    Editor(DeviceUnderTest& dut, FuzzInput& in) : dut_(dut), in_(in) {}

    void after_write(std::uint32_t offset) {
        if (offset == hw::reg::kAcqBaseLow)
            tail_seen_ = 0;  // the admin queue starts over (bring-up, reset)
        else if (offset == hw::reg::kMmioRegRead)
            edit_readless();
        else if (offset == hw::reg::kAqDoorbell)
            edit_admin();
    }

private:
    void edit_readless() {
        const DeviceUnderTest::Region* response = dut_.dma("mmio_resp");
        if (response != nullptr && (in_.byte() & 1))
            xor_into(response->va, sizeof(hw::ReadlessResponse), in_);
    }

    void edit_admin() {
        const DeviceUnderTest::Region* aq = dut_.dma("aq");
        const DeviceUnderTest::Region* acq = dut_.dma("acq");
        if (aq == nullptr || acq == nullptr)
            return;
        const std::uint16_t depth = static_cast<std::uint16_t>(acq->size / hw::kAdminEntrySize);
        auto* commands = reinterpret_cast<const hw::AdminEntry*>(aq->va);
        auto* completions = reinterpret_cast<hw::AdminCompletion*>(acq->va);
        const auto tail = static_cast<std::uint16_t>(dut_.register_value(hw::reg::kAqDoorbell));
        // The device answered every entry up to the doorbell, one completion each, in order.
        for (; tail_seen_ != tail; ++tail_seen_) {
            const std::uint8_t how = in_.byte();
            const hw::AdminEntry& command = commands[hw::ring_slot(tail_seen_, depth)];
            if ((how & 4) && (command.common.flags & hw::admin_desc::CtrlDataIndirect::kMask)) {
                const DeviceUnderTest::Region* control = region_at(command.control_buffer.address.get());
                if (control != nullptr)
                    xor_into(control->va, std::min<std::size_t>(control->size, 128), in_);
            }
            if (how & 1)
                xor_into(reinterpret_cast<std::uint8_t*>(&completions[hw::ring_slot(tail_seen_, depth)]),
                         hw::kAdminEntrySize, in_);
            if (how & 2)
                in_.bytes(&completions[hw::ring_slot(tail_seen_ + 1, depth)], hw::kAdminEntrySize);
        }
    }

    const DeviceUnderTest::Region* region_at(std::uint64_t iova) const {
        for (const char* name : {"rss_key", "rss_input", "rss_table", "metrics"}) {
            const DeviceUnderTest::Region* r = dut_.dma(name);
            if (r != nullptr && reinterpret_cast<std::uint64_t>(r->va) == iova)
                return r;
        }
        return nullptr;
    }

    DeviceUnderTest& dut_;
    FuzzInput& in_;
    std::uint16_t tail_seen_ = 0;
};

// What the datapath and the port take from bring-up without checking again.
void check_features(const ng::DeviceFeatures& f) {
    if (f.max_io_queues == 0 || f.max_io_queues > ng::kMaxIoQueues)
        property_failed("bring-up accepted %u IO queues", f.max_io_queues);
    if (!std::has_single_bit(f.max_tx_depth) || !std::has_single_bit(f.max_rx_depth))
        property_failed("bring-up accepted ring depths Tx %u Rx %u", f.max_tx_depth, f.max_rx_depth);
    if (f.max_tx_sgl > ng::kMaxSglSize || f.max_rx_sgl > ng::kMaxSglSize)
        property_failed("bring-up accepted %u/%u descriptors per packet", f.max_tx_sgl, f.max_rx_sgl);
    if (f.rss_table_log_size > 12)
        property_failed("bring-up accepted an RSS table of 2^%u entries", f.rss_table_log_size);
    if (f.llq.placement == ng::TxPlacement::kLlq) {
        const hw::LlqLayout& l = f.llq.layout;
        if ((l.entry_size != 128 && l.entry_size != 192 && l.entry_size != 256) || l.header_offset() >= l.entry_size ||
            f.llq.max_depth == 0)
            property_failed("bring-up accepted LLQ entries of %u bytes with %u descriptors before the header, depth %u",
                 l.entry_size, l.descs_before_header, f.llq.max_depth);
    }
}

void check_register(const ng::DeviceResources& r, volatile std::uint32_t* reg, const char* what) {
    if (reg == nullptr)
        return;
    const auto offset = reinterpret_cast<volatile std::uint8_t*>(reg) - r.registers;
    if (offset < 0 || static_cast<std::size_t>(offset) + 4 > r.registers_size || offset % 4 != 0)
        property_failed("%s at BAR0 offset %td, outside the %zu-byte BAR", what, offset, r.registers_size);
}

struct IoQueuePair {
    hw::SqDirection direction;
    std::unique_ptr<ng::DmaBuffer> sq, cq;
    ng::IoQueueHandles handles;
};

void create_queue(DeviceUnderTest& dut, FuzzInput& in, std::vector<IoQueuePair>& queues) {
    ng::EnaDevice& device = dut.device();
    const ng::DeviceFeatures& f = device.features();
    IoQueuePair pair;
    pair.direction = in.flag() ? hw::SqDirection::kRx : hw::SqDirection::kTx;
    const bool tx = pair.direction == hw::SqDirection::kTx;
    const std::uint32_t max_depth = std::min<std::uint32_t>(tx ? f.max_tx_depth : f.max_rx_depth, 1024);
    ng::IoQueueSpec spec;
    spec.direction = pair.direction;
    spec.depth = static_cast<std::uint16_t>(std::max<std::uint32_t>(max_depth >> in.choose(4), 1));
    spec.placement = tx ? f.llq.placement : ng::TxPlacement::kHost;
    spec.cq_entry_words = tx ? 2 : 4;
    pair.cq = std::make_unique<ng::DmaBuffer>();
    if (pair.cq->allocate(dut.resources(), "io_cq", std::size_t{spec.depth} * spec.cq_entry_words * 4, 4096, -1) != 0)
        return;
    spec.cq_ring_iova = pair.cq->iova();
    if (spec.placement == ng::TxPlacement::kHost) {
        pair.sq = std::make_unique<ng::DmaBuffer>();
        if (pair.sq->allocate(dut.resources(), "io_sq", std::size_t{spec.depth} * 16, 4096, -1) != 0)
            return;
        spec.sq_ring_iova = pair.sq->iova();
    }
    if (device.create_io_queue(spec, pair.handles) != 0)
        return;
    const ng::DeviceResources& r = dut.resources();
    check_register(r, pair.handles.sq_doorbell, "SQ doorbell");
    check_register(r, pair.handles.cq_head_doorbell, "CQ head doorbell");
    check_register(r, pair.handles.cq_unmask, "CQ unmask register");
    check_register(r, pair.handles.numa_node_register, "CQ NUMA register");
    if (spec.placement == ng::TxPlacement::kLlq) {
        const std::size_t bytes = std::size_t{spec.depth} * f.llq.layout.entry_size;
        const auto begin = pair.handles.llq_descriptors - r.llq_memory;
        if (pair.handles.llq_descriptors == nullptr || begin < 0 || static_cast<std::size_t>(begin) + bytes > r.llq_memory_size)
            property_failed("LLQ descriptors at BAR2 offset %td (+%zu bytes), outside the %zu-byte BAR", begin, bytes,
                 r.llq_memory_size);
        const auto headers = pair.handles.llq_headers - r.llq_memory;
        if (headers < 0 || static_cast<std::size_t>(headers) > r.llq_memory_size)
            property_failed("LLQ headers at BAR2 offset %td, outside the %zu-byte BAR", headers, r.llq_memory_size);
    }
    queues.push_back(std::move(pair));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    init_dpdk();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput in(data, size);
    static constexpr sim::LlqOffer kOffers[] = {sim::LlqOffer::kWide, sim::LlqOffer::kNormal, sim::LlqOffer::kNone};
    sim::DeviceConfig config;
    config.llq = kOffers[in.choose(3)];
    DeviceUnderTest dut(config);
    Editor editor(dut, in);
    dut.after_model = [&](std::uint32_t offset) { editor.after_write(offset); };

    if (dut.bring_up() != 0)
        return 0;
    ng::EnaDevice& device = dut.device();
    check_features(device.features());

    std::vector<IoQueuePair> queues;
    while (!in.empty()) {
        switch (in.choose(10)) {
            case 0:
                create_queue(dut, in, queues);
                break;
            case 1:
                if (!queues.empty()) {
                    IoQueuePair& q = queues.back();
                    device.destroy_io_queue(q.handles, q.direction);
                    queues.pop_back();
                }
                break;
            case 2: {
                ng::BasicStats stats;
                device.get_basic_stats(stats);
                break;
            }
            case 3: {
                hw::EniStats eni;
                device.get_eni_stats(eni);
                hw::EnaSrdInfo srd;
                device.get_srd_info(srd);
                break;
            }
            case 4: {
                std::array<std::uint64_t, 6> values{};
                std::uint64_t reported = 0;
                if (device.get_customer_metrics(values, reported) == 0 && (reported & ~device.features().reported_metrics))
                    property_failed("customer metrics reported 0x%llx beyond the 0x%llx asked for",
                         static_cast<unsigned long long>(reported),
                         static_cast<unsigned long long>(device.features().reported_metrics));
                break;
            }
            case 5: {
                std::array<std::uint8_t, hw::kRssKeySize> key{};
                hw::HashFunction function;
                device.get_rss_hash_function(function, key);
                hw::RssHashControl control;
                device.get_rss_hash_input(control);
                std::vector<std::uint16_t> table(std::size_t{1} << device.features().rss_table_log_size);
                device.get_rss_indirection_table(table);
                break;
            }
            case 6: {
                std::array<std::uint8_t, hw::kRssKeySize> key{};
                in.bytes(key.data(), key.size());
                device.set_rss_hash_function(in.flag() ? hw::HashFunction::kToeplitz : hw::HashFunction::kCrc32, key,
                                             in.take<std::uint32_t>());
                std::vector<std::uint16_t> table(std::size_t{1} << device.features().rss_table_log_size);
                for (auto& entry : table)
                    entry = in.byte();
                device.set_rss_indirection_table(table);
                break;
            }
            case 7:
                device.set_mtu(in.take<std::uint16_t>());
                device.set_frag_bypass(in.flag());
                break;
            case 8:
                device.process_events();
                break;
            case 9:  // what rte_eth_dev_reset does: a reset with the latched reason, bring-up again
                queues.clear();
                if (dut.reset_and_bring_up() != 0)
                    return 0;
                check_features(device.features());
                break;
        }
    }
    for (; !queues.empty(); queues.pop_back())
        device.destroy_io_queue(queues.back().handles, queues.back().direction);
    return 0;
}
