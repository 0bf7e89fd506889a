// LLQ entries are written whole: every byte of every entry a packet uses, so that each 64-byte
// line of EC2's write-combined LLQ memory leaves as one full write. Checked by poisoning the
// entry memory first: once on the entry writer itself for every layout (entry sizes, header
// rooms), once through the driver and the simulated device for the layouts the driver runs, in
// both store widths, with and without offloads and chains.
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

extern "C" {
#include <rte_vect.h>
}

#include <cstring>
#include <string>
#include <vector>

#include "datapath/llq_entry_writer.hpp"
#include "datapath/queues.hpp"
#include "datapath/simd_support.hpp"
#include "frames.hpp"
#include "sim_port.hpp"

namespace ena::test {
namespace {

constexpr std::uint8_t kPoisonA = 0xA5;
constexpr std::uint8_t kPoisonB = 0x5A;

// --- the writer, every layout -------------------------------------------------------------

std::vector<hw::TxDesc> some_descriptors(unsigned n) {
    std::vector<hw::TxDesc> d(n);
    for (unsigned i = 0; i < n; ++i)
        d[i] = {0x11111111u * (i + 1), 0x01020304u + i, 0xA0B0C0D0u - i, 0x0F0E0D0Cu ^ i};
    return d;
}

TEST(LlqEntryWriter, EveryByteOfTheFirstEntryIsWrittenForEveryLayoutAndLength) {
    using Writer = ng::datapath::LlqEntryWriter<ng::datapath::Sse2Ops>;
    std::vector<std::uint8_t> source(512);
    for (unsigned i = 0; i < source.size(); ++i)
        source[i] = static_cast<std::uint8_t>(i * 7 + 3);
    for (const std::uint16_t entry_size : {128, 256})
        for (const std::uint16_t before : {1, 2, 4}) {
            const hw::LlqLayout layout{entry_size, before, hw::LlqStride::kMultipleDescsPerEntry};
            const unsigned room = layout.header_room();
            for (unsigned descs = 1; descs <= before; ++descs)
                for (unsigned pushed = 0; pushed <= room; ++pushed) {
                    const auto d = some_descriptors(descs);
                    alignas(64) std::uint8_t entry[256 + 64];  // room to see a write past the entry
                    alignas(64) std::uint8_t again[256 + 64];
                    std::memset(entry, kPoisonA, sizeof(entry));
                    std::memset(again, kPoisonB, sizeof(again));
                    Writer::first_entry(entry, layout, d.data(), descs, source.data(), pushed);
                    Writer::first_entry(again, layout, d.data(), descs, source.data(), pushed);
                    const std::string where = "entry " + std::to_string(entry_size) + ", " + std::to_string(before) +
                                              " before the header, " + std::to_string(descs) + " descriptors, " +
                                              std::to_string(pushed) + " bytes";
                    // Written whole (the two poisons differ wherever a byte is not written)...
                    ASSERT_EQ(std::memcmp(entry, again, entry_size), 0) << where;
                    // ...nothing past the entry...
                    EXPECT_EQ(entry[entry_size], kPoisonA) << where;
                    // ...and with the right bytes: descriptors, empty places, header, zeros.
                    EXPECT_EQ(std::memcmp(entry, d.data(), descs * hw::kTxDescSize), 0) << where;
                    for (unsigned i = descs * hw::kTxDescSize; i < layout.header_offset(); ++i)
                        ASSERT_EQ(entry[i], 0) << where << ", byte " << i;
                    EXPECT_EQ(std::memcmp(entry + layout.header_offset(), source.data(), pushed), 0) << where;
                    for (unsigned i = layout.header_offset() + pushed; i < entry_size; ++i)
                        ASSERT_EQ(entry[i], 0) << where << ", byte " << i;
                }
        }
}

TEST(LlqEntryWriter, ContinuationEntriesAreWrittenWhole) {
    using Writer = ng::datapath::LlqEntryWriter<ng::datapath::Sse2Ops>;
    for (const std::uint16_t entry_size : {128, 256})
        for (const auto stride : {hw::LlqStride::kMultipleDescsPerEntry, hw::LlqStride::kSingleDescPerEntry}) {
            const hw::LlqLayout layout{entry_size, 2, stride};
            for (unsigned descs = 1; descs <= layout.descs_per_continuation_entry(); ++descs) {
                const auto d = some_descriptors(descs);
                alignas(64) std::uint8_t entry[256];
                std::memset(entry, kPoisonA, sizeof(entry));
                Writer::continuation_entry(entry, layout, d.data(), descs);
                EXPECT_EQ(std::memcmp(entry, d.data(), descs * hw::kTxDescSize), 0);
                for (unsigned i = descs * hw::kTxDescSize; i < entry_size; ++i)
                    ASSERT_EQ(entry[i], 0) << "entry " << entry_size << ", " << descs << " descriptors, byte " << i;
            }
        }
}

// --- through the driver -------------------------------------------------------------------

rte_mempool* entries_pool() {
    static rte_mempool* pool = rte_pktmbuf_pool_create("llq_entries_pool", 2047, 0, 0,
                                                       RTE_PKTMBUF_HEADROOM + 4096, SOCKET_ID_ANY);
    return pool;
}

// Sets EAL's SIMD limit while it lives (the Tx store width is chosen from it at queue setup).
class SimdLimit {
public:
    explicit SimdLimit(std::uint16_t bits) : saved_(rte_vect_get_max_simd_bitwidth()) {
        ok_ = rte_vect_set_max_simd_bitwidth(bits) == 0;
    }
    ~SimdLimit() { rte_vect_set_max_simd_bitwidth(saved_); }
    bool ok() const { return ok_; }

private:
    std::uint16_t saved_;
    bool ok_ = false;
};

struct EntryCase {
    int llq_policy;         // 2: 128-byte entries, 3: 256-byte entries
    unsigned store_width;   // 16 or 32 (AVX2)
    bool offloads;          // checksum offload requested on every other packet
    bool chains;            // MULTI_SEGS, packets of up to three segments
};

std::string case_name(const testing::TestParamInfo<EntryCase>& info) {
    const EntryCase& c = info.param;
    return std::string(c.llq_policy == 2 ? "Llq128" : "Llq256") + "_Stores" + std::to_string(c.store_width) +
           (c.offloads ? "_Offloads" : "") + (c.chains ? "_Chains" : "");
}

class LlqEntriesOnTheWire : public testing::TestWithParam<EntryCase> {};

// A burst of packets of many sizes, written into poisoned LLQ memory twice (the port restarted
// in between, so the same packets land in the same entries with the same request ids): the
// entries the packets used must be equal, which they are only if every byte was written.
TEST_P(LlqEntriesOnTheWire, EveryByteOfEveryEntryIsWritten) {
    const EntryCase& c = GetParam();
    if (c.store_width == 32 && ng::datapath::simd_level() != ng::datapath::SimdLevel::kAvx2)
        GTEST_SKIP() << "no AVX2 here";
    SimdLimit limit(c.store_width == 32 ? RTE_VECT_SIMD_256 : RTE_VECT_SIMD_128);
    ASSERT_TRUE(limit.ok());

    auto port = SimPort::create("engine=deferred,control_path_poll_interval=0,stats_interval=0,watchdog_interval=0,"
                                "wire=loopback,llq_policy=" +
                                std::to_string(c.llq_policy));
    ASSERT_NE(port, nullptr);
    rte_eth_conf conf{};
    if (c.chains)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    if (c.offloads)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    ASSERT_EQ(port->configure(1, 1, conf), 0);
    ASSERT_EQ(rte_eth_dev_set_mtu(port->id, 3000), 0);
    ASSERT_EQ(port->setup_queues(1, 1, 512, 256), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    rte_eth_burst_mode mode{};
    ASSERT_EQ(rte_eth_tx_burst_mode_get(port->id, 0, &mode), 0);
    EXPECT_NE(std::strstr(mode.info, (std::to_string(c.store_width) + "-byte stores").c_str()), nullptr) << mode.info;

    std::vector<rte_mbuf*> packets;
    unsigned n = 0;
    for (const std::size_t size : {60, 64, 65, 95, 96, 97, 127, 128, 160, 200, 223, 224, 225, 256, 1500, 2500})
        for (const unsigned segments : {1u, 2u, 3u}) {
            if (segments > 1 && !c.chains)
                continue;
            FrameSpec spec;
            spec.kind = n % 3 == 0 ? FrameKind::kTcp4 : n % 3 == 1 ? FrameKind::kUdp4 : FrameKind::kRaw;
            spec.size = size;
            spec.seed = static_cast<std::uint8_t>(n);
            const HeaderLengths h = header_lengths(spec);
            rte_mbuf* m = make_chain(entries_pool(), make_frame(spec), segments, h.l2 + h.l3 + h.l4);
            ASSERT_NE(m, nullptr);
            if (c.offloads && spec.kind != FrameKind::kRaw && n % 2 == 0) {
                m->l2_len = h.l2;
                m->l3_len = h.l3;
                m->l4_len = h.l4;
                m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
                              (spec.kind == FrameKind::kTcp4 ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
                ASSERT_EQ(rte_eth_tx_prepare(port->id, 0, &m, 1), 1);
            }
            packets.push_back(m);
            ++n;
        }

    auto write_entries = [&](std::uint8_t poison) {
        ng::TxQueue& tx = *port->driver()->tx_queue(0);
        const std::size_t entry_size = tx.config.llq_layout.entry_size;
        std::memset(tx.io.llq_descriptors, poison, entry_size * tx.config.depth);
        const std::uint16_t first = tx.sq_tail;
        for (rte_mbuf* m : packets)
            for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next)
                rte_mbuf_refcnt_update(seg, 1);  // every segment outlives the queue's completions
        std::vector<rte_mbuf*> burst = packets;
        EXPECT_EQ(rte_eth_tx_burst(port->id, 0, burst.data(), static_cast<std::uint16_t>(burst.size())), burst.size());
        const std::uint16_t used = static_cast<std::uint16_t>(tx.sq_tail - first);
        EXPECT_GE(used, packets.size());
        std::vector<std::uint8_t> written;
        for (std::uint16_t e = 0; e < used; ++e) {
            const std::uint8_t* entry = tx.io.llq_descriptors + ((first + e) & tx.mask) * entry_size;
            written.insert(written.end(), entry, entry + entry_size);
        }
        port->device->process();  // the device sends them; the completions come back
        return written;
    };
    const auto first = write_entries(kPoisonA);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    ASSERT_EQ(rte_eth_dev_start(port->id), 0);
    const auto second = write_entries(kPoisonB);
    ASSERT_EQ(first.size(), second.size());
    const std::size_t entry_size = c.llq_policy == 2 ? 128 : 256;
    for (std::size_t i = 0; i < first.size(); ++i)
        ASSERT_EQ(first[i], second[i]) << "entry " << i / entry_size << ", byte " << i % entry_size << " not written";
    EXPECT_EQ(port->device->stats().malformed_tx, 0u);
    EXPECT_EQ(port->device->stats().tx_drops, 0u);
    ASSERT_EQ(rte_eth_dev_stop(port->id), 0);
    for (rte_mbuf* m : packets)
        rte_pktmbuf_free(m);
}

INSTANTIATE_TEST_SUITE_P(Layouts, LlqEntriesOnTheWire,
                         testing::Values(EntryCase{2, 16, false, false}, EntryCase{2, 32, false, false},
                                         EntryCase{3, 16, false, false}, EntryCase{3, 32, false, false},
                                         EntryCase{2, 32, true, true}, EntryCase{3, 32, true, true},
                                         EntryCase{2, 16, true, true}, EntryCase{3, 16, false, true}),
                         case_name);

}  // namespace
}  // namespace ena::test
