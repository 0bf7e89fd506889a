// Tx: host rings and LLQ (128- and 256-byte entries) byte-exact through a loopback wire,
// multi-descriptor packets, offloads, TSO, the LLQ header limit, completions and faults.
#include "io_fixture.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

using TxHost = IoTest;

TEST_F(TxHost, ByteExactThroughLoopbackWithCompletion) {
    TxRing tx = drv.create_tx(256);
    TxPacket p;
    p.frame = build_frame({});
    p.req_id = 0x2A5;  // spans the low and high request-id fields
    auto got = roundtrip(tx, p);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, p.frame);
    auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_EQ(comps[0].req_id, 0x2A5);
    EXPECT_EQ(comps[0].status, 0);
    const DeviceStats s = drv.device().stats();
    EXPECT_EQ(s.tx_packets, 1u);
    EXPECT_EQ(s.tx_bytes, p.frame.size());
    EXPECT_EQ(s.rx_packets, 1u);
    const BasicStats b = drv.basic_stats();
    EXPECT_EQ(b.tx_pkts.get(), 1u);
    EXPECT_EQ(b.rx_bytes.get(), p.frame.size());
}

TEST_F(TxHost, MultiDescriptorPacketsAndRingWrap) {
    TxRing tx = drv.create_tx(64);
    for (int i = 0; i < 100; ++i) {  // 100 packets x 4 descriptors: the 64-entry ring wraps 6 times
        FrameSpec s;
        s.payload = 200 + static_cast<std::size_t>(i);
        TxPacket p;
        p.frame = build_frame(s);
        p.split = {10, 50, 100, 1000};
        p.req_id = static_cast<std::uint16_t>(i);
        auto got = roundtrip(tx, p);
        ASSERT_EQ(got.size(), 1u) << i;
        ASSERT_EQ(got[0].data, p.frame) << i;
        auto comps = drv.poll_tx(tx);
        ASSERT_EQ(comps.size(), 1u);
        EXPECT_EQ(comps[0].req_id, i);
    }
    EXPECT_EQ(drv.device().stats().malformed_tx, 0u);
}

TEST_F(TxHost, BurstOfPacketsOneDoorbell) {
    TxRing tx = drv.create_tx(256);
    std::vector<Frame> sent;
    for (int i = 0; i < 50; ++i) {
        FrameSpec s;
        s.sport = static_cast<std::uint16_t>(1000 + i);
        TxPacket p;
        p.frame = build_frame(s);
        p.req_id = static_cast<std::uint16_t>(i);
        sent.push_back(p.frame);
        drv.send(tx, p, /*doorbell=*/false);
    }
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    drv.ring_doorbell(tx);
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        EXPECT_EQ(got[i].data, sent[i]);
    EXPECT_EQ(drv.poll_tx(tx).size(), sent.size());
}

TEST_F(TxHost, OnlyPacketsWithCompReqAreCompleted) {
    TxRing tx = drv.create_tx(64);
    TxPacket p;
    p.frame = build_frame({});
    p.comp_req = false;
    drv.send(tx, p);
    p.comp_req = true;
    p.req_id = 7;
    drv.send(tx, p);
    auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_EQ(comps[0].req_id, 7);
    EXPECT_EQ(drv.poll_rx(rx).size(), 2u);
}

TEST_F(TxHost, WideCompletionsCarryATimestamp) {
    TxRing tx = drv.create_tx(64, false, /*cq_words=*/4);
    drv.device().advance_time(12345);
    TxPacket p;
    p.frame = build_frame({});
    p.req_id = 3;
    drv.send(tx, p);
    auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    TxCompletionExt ext;
    std::memcpy(&ext, drv.memory().at(tx.cq_ring), sizeof(ext));
    EXPECT_EQ(ext.timestamp_low, drv.device().now_ns());
}

TEST_F(TxHost, MalformedPacketsAreDroppedButCompleted) {
    TxRing tx = drv.create_tx(64);
    // Too many descriptors for one packet.
    TxPacket many;
    many.frame = build_frame({.payload = 400});
    many.split = std::vector<std::size_t>(drv.device().config().max_tx_descs_per_packet + 1, 20);
    many.req_id = 11;
    drv.send(tx, many);
    auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_EQ(comps[0].req_id, 11);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_tx, 1u);
    EXPECT_EQ(drv.device().stats().tx_drops, 1u);
    // The queue keeps working.
    TxPacket ok;
    ok.frame = build_frame({});
    EXPECT_EQ(roundtrip(tx, ok).size(), 1u);
}

TEST_F(TxHost, DoorbellBeyondTheRingIsRejected) {
    TxRing tx = drv.create_tx(64);
    drv.write(tx.doorbell, 65);  // more than 64 entries posted: impossible
    drv.write(tx.doorbell, 65);
    EXPECT_EQ(drv.device().stats().malformed_tx, 1u);
    EXPECT_EQ(drv.device().stats().tx_packets, 0u);
    EXPECT_TRUE(drv.poll_tx(tx).empty());
}

TEST_F(TxHost, UnmappedBufferIsADmaErrorNotACrash) {
    TxRing tx = drv.create_tx(64);
    TxPacket p;
    p.frame = build_frame({});
    p.buffer_address_override = drv.memory().unmapped();
    p.req_id = 5;
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    const auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_EQ(comps[0].req_id, 5);
    EXPECT_EQ(drv.device().stats().dma_errors, 1u);
    EXPECT_EQ(drv.device().stats().tx_drops, 1u);
}

TEST_F(TxHost, OversizeFrameIsDropped) {
    ASSERT_EQ(drv.set_mtu(1500).status, AdminStatus::kSuccess);
    TxRing tx = drv.create_tx(64);
    TxPacket p;
    p.frame = build_frame({.payload = 1500});
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().tx_oversize_drops, 1u);
    p.frame = build_frame({.vlans = 1, .payload = 1460});  // 1500 + 14 + 4: fits with its tag
    EXPECT_EQ(roundtrip(tx, p).size(), 1u);
}

TEST_F(TxHost, MissingAndBadCompletionFaults) {
    TxRing tx = drv.create_tx(64);
    TxPacket p;
    p.frame = build_frame({});
    drv.device().inject_fault(Fault::kMissingTxCompletion, 1);
    p.req_id = 1;
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_tx(tx).empty());
    drv.device().inject_fault(Fault::kBadTxReqId, 1);
    p.req_id = 2;
    drv.send(tx, p);
    auto comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_GE(comps[0].req_id, tx.depth);
    p.req_id = 3;
    drv.send(tx, p);
    comps = drv.poll_tx(tx);
    ASSERT_EQ(comps.size(), 1u);
    EXPECT_EQ(comps[0].req_id, 3);
    EXPECT_EQ(drv.poll_rx(rx).size(), 3u);  // the frames themselves went out
}

TEST_F(TxHost, LinkDownDropsTraffic) {
    TxRing tx = drv.create_tx(64);
    drv.device().set_link(false);
    TxPacket p;
    p.frame = build_frame({});
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.poll_tx(tx).size(), 1u);
    EXPECT_EQ(drv.device().stats().tx_drops, 1u);
}

// --- Offloads ---------------------------------------------------------------------------------

struct OffloadCase {
    const char* name;
    bool ipv6;
    std::uint8_t proto;
    bool l3, l4, partial;
};

class TxOffloads : public IoTest, public ::testing::WithParamInterface<OffloadCase> {};

TEST_P(TxOffloads, ChecksumsAreCorrectOnTheWire) {
    const OffloadCase c = GetParam();
    TxRing tx = drv.create_tx(64);
    FrameSpec s;
    s.ipv6 = c.ipv6;
    s.proto = c.proto;
    s.payload = 333;  // odd length
    s.ip_options = c.ipv6 ? 0 : 8;
    s.tcp_options = c.proto == 6 ? 12 : 0;
    Frame frame = without_checksums(build_frame(s), s);
    if (c.partial)
        frame = with_partial_checksum(frame, s);
    TxPacket p = offload_packet(frame, s);
    p.l3_csum = c.l3;
    p.l4_csum = c.l4;
    p.l4_partial = c.partial;
    auto got = roundtrip(tx, p);
    ASSERT_EQ(got.size(), 1u);
    const Frame& out = got[0].data;
    ASSERT_EQ(out.size(), frame.size());
    if (c.l3) {
        EXPECT_TRUE(ipv4_checksum_ok(out, s));
    }
    if (c.l4) {
        EXPECT_TRUE(l4_checksum_ok(out, s));
    }
    EXPECT_EQ(out, build_frame(s)) << "same bytes as a frame built with correct checksums";
    // The receiver verified them too.
    const std::uint32_t st = got[0].status();
    EXPECT_EQ(rx_completion::L3CsumError::get(st), 0u);
    EXPECT_EQ(rx_completion::L4CsumChecked::get(st), 1u);
    EXPECT_EQ(rx_completion::L4CsumError::get(st), 0u);
}

INSTANTIATE_TEST_SUITE_P(All, TxOffloads,
                         ::testing::Values(OffloadCase{"v4_tcp_full", false, 6, true, true, false},
                                           OffloadCase{"v4_udp_full", false, 17, true, true, false},
                                           OffloadCase{"v4_tcp_partial", false, 6, true, true, true},
                                           OffloadCase{"v4_udp_partial", false, 17, true, true, true},
                                           OffloadCase{"v6_tcp_full", true, 6, false, true, false},
                                           OffloadCase{"v6_udp_partial", true, 17, false, true, true},
                                           OffloadCase{"v6_tcp_partial", true, 6, false, true, true}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(TxHost, OnlyIpv4HeaderChecksum) {
    TxRing tx = drv.create_tx(64);
    FrameSpec s;
    Frame frame = build_frame(s);
    frame[layout_of(s).l3 + 10] ^= 0xFF;  // broken IPv4 checksum, L4 checksum right
    TxPacket p = offload_packet(frame, s);
    p.l3_csum = true;
    auto got = roundtrip(tx, p);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, build_frame(s));
}

TEST_F(TxHost, OffloadRequestThatDoesNotMatchTheFrameIsMalformed) {
    TxRing tx = drv.create_tx(64);
    FrameSpec s;  // IPv4/TCP
    TxPacket p = offload_packet(build_frame(s), s);
    p.l4 = L4Proto::kUdp;  // wrong protocol
    p.l4_csum = true;
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_tx, 1u);
    p = offload_packet(build_frame(s), s);
    p.l3_length = 24;  // meta context disagrees with the IPv4 header
    p.l3_csum = true;
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_tx, 2u);
    EXPECT_EQ(drv.poll_tx(tx).size(), 2u);
}

TEST_F(TxHost, CachedMetaDescriptorServesLaterPackets) {
    TxRing tx = drv.create_tx(64);
    FrameSpec s;
    s.payload = 3000;
    TxPacket first = offload_packet(without_checksums(build_frame(s), s), s);
    first.tso = first.l3_csum = first.l4_csum = true;
    first.mss = 1000;
    ASSERT_EQ(roundtrip(tx, first).size(), 3u);
    TxPacket second = first;
    second.meta = false;  // host rings may cache the context: same MSS applies
    ASSERT_EQ(roundtrip(tx, second).size(), 3u);
}

// --- TSO --------------------------------------------------------------------------------------

struct TsoCase {
    const char* name;
    bool ipv6;
    std::size_t payload;
    std::uint16_t mss;
};

class TxTso : public IoTest, public ::testing::WithParamInterface<TsoCase> {};

TEST_P(TxTso, SegmentsAreCorrect) {
    const TsoCase c = GetParam();
    TxRing tx = drv.create_tx(64);
    FrameSpec s;
    s.ipv6 = c.ipv6;
    s.payload = c.payload;
    s.tcp_options = 12;
    s.tcp_flags = 0x80 | 0x10 | 0x08 | 0x01;  // CWR ACK PSH FIN
    const Frame whole = build_frame(s);
    const Layout l = layout_of(s);
    TxPacket p = offload_packet(without_checksums(whole, s), s);
    p.tso = p.l4_csum = true;
    p.l3_csum = !c.ipv6;
    p.mss = c.mss;
    p.split = {100, 5000};  // buffer boundaries do not matter
    auto got = roundtrip(tx, p);
    const std::size_t expected = (c.payload + c.mss - 1) / c.mss;
    ASSERT_EQ(got.size(), expected);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const Frame& seg = got[i].data;
        const std::size_t len = std::min<std::size_t>(c.mss, c.payload - offset);
        ASSERT_EQ(seg.size(), l.l4 + l.l4_len + len) << i;
        // Payload bytes continue where the previous segment stopped.
        EXPECT_TRUE(std::equal(seg.begin() + static_cast<long>(l.l4 + l.l4_len), seg.end(),
                               whole.begin() + static_cast<long>(l.l4 + l.l4_len + offset)));
        if (c.ipv6) {
            EXPECT_EQ(get16(seg, l.l3 + 4), seg.size() - l.l3 - 40);
        } else {
            EXPECT_EQ(get16(seg, l.l3 + 2), seg.size() - l.l3);
            EXPECT_EQ(get16(seg, l.l3 + 4), static_cast<std::uint16_t>(s.ip_id + i));
            EXPECT_TRUE(ipv4_checksum_ok(seg, s));
        }
        EXPECT_EQ(get32(seg, l.l4 + 4), s.seq + offset);
        const std::uint8_t flags = seg[l.l4 + 13];
        EXPECT_EQ((flags & 0x80) != 0, i == 0) << "CWR on the first segment only";
        EXPECT_EQ((flags & 0x09) != 0, i + 1 == got.size()) << "FIN/PSH on the last segment only";
        EXPECT_TRUE(flags & 0x10);
        EXPECT_TRUE(l4_checksum_ok(seg, s)) << i;
        EXPECT_EQ(rx_completion::L4CsumError::get(got[i].status()), 0u);
        offset += len;
    }
    EXPECT_EQ(offset, c.payload);
    EXPECT_EQ(drv.device().stats().tx_packets, expected);
    EXPECT_EQ(drv.poll_tx(tx).size(), 1u) << "one completion for the whole TSO packet";
}

INSTANTIATE_TEST_SUITE_P(All, TxTso,
                         ::testing::Values(TsoCase{"v4_even", false, 4000, 1000}, TsoCase{"v4_tail", false, 9999, 1448},
                                           TsoCase{"v4_single", false, 500, 1448},
                                           TsoCase{"v6_tail", true, 7000, 1440}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(TxHost, TsoWithoutMssIsMalformed) {
    TxRing tx = drv.create_tx(64);
    FrameSpec s;
    s.payload = 3000;
    TxPacket p = offload_packet(build_frame(s), s);
    p.tso = true;
    p.mss = 0;
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_tx, 1u);
}

// --- LLQ --------------------------------------------------------------------------------------

struct LlqCase {
    const char* name;
    LlqLayout layout;
};

class TxLlq : public IoTest, public ::testing::WithParamInterface<LlqCase> {
protected:
    void SetUp() override {
        IoTest::SetUp();
        ASSERT_EQ(drv.set_llq(GetParam().layout).status, AdminStatus::kSuccess);
    }
};

TEST_P(TxLlq, ByteExactWithPushedHeaderAndContinuationEntries) {
    const LlqLayout layout = GetParam().layout;
    TxRing tx = drv.create_tx(128, /*llq=*/true);
    ASSERT_TRUE(drv.device().sq_state(tx.sq).llq);
    for (int i = 0; i < 300; ++i) {  // the 128-entry ring wraps several times
        FrameSpec s;
        s.payload = 30 + static_cast<std::size_t>(i * 37 % 1400);
        TxPacket p;
        p.frame = build_frame(s);
        p.meta = true;  // accelerated LLQ: every packet brings its meta descriptor
        const int bufs = 1 + i % 12;
        p.split = std::vector<std::size_t>(static_cast<std::size_t>(bufs), (s.payload + 54) / static_cast<std::size_t>(bufs) + 1);
        p.req_id = static_cast<std::uint16_t>(i % 128);
        const std::uint16_t before = tx.tail;
        auto got = roundtrip(tx, p);
        ASSERT_EQ(got.size(), 1u) << i;
        ASSERT_EQ(got[0].data, p.frame) << i;
        EXPECT_EQ(static_cast<std::uint16_t>(tx.tail - before), layout.entries_for(1 + static_cast<std::uint32_t>(bufs)));
        auto comps = drv.poll_tx(tx);
        ASSERT_EQ(comps.size(), 1u);
        EXPECT_EQ(comps[0].req_id, i % 128);
    }
    EXPECT_EQ(drv.device().stats().malformed_tx, 0u);
}

TEST_P(TxLlq, WholePacketPushed) {
    TxRing tx = drv.create_tx(64, true);
    FrameSpec s;
    s.payload = 10;  // 64 bytes: fits in any header room
    TxPacket p;
    p.frame = build_frame(s);
    p.meta = true;
    auto got = roundtrip(tx, p);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, p.frame);
}

TEST_P(TxLlq, PacketWithoutMetaIsMalformedInAcceleratedMode) {
    TxRing tx = drv.create_tx(64, true);
    TxPacket p;
    p.frame = build_frame({});
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().malformed_tx, 1u);
    EXPECT_EQ(drv.poll_tx(tx).size(), 1u);
}

// A large frame in one buffer crosses an in-process wire split: its headers copied, the rest
// read from the sender's buffer straight into the receiver's. Whatever the receiving side does
// with it -- one buffer, several, checksum verification -- it arrives whole and byte-exact.
TEST_P(TxLlq, LargeSingleBufferFramesArriveWholeWhateverTheRxSide) {
    TxRing tx = drv.create_tx(128, /*llq=*/true);
    RxRing small = drv.create_rx(256, 512);  // 512-byte buffers: a frame spans several
    ASSERT_TRUE(drv.set_rss_table(0, {rx.cq}));
    unsigned sent = 0;
    auto send = [&](const Frame& f) {
        TxPacket p;
        p.frame = f;
        p.meta = true;
        p.req_id = static_cast<std::uint16_t>(sent++ % 128);
        drv.send(tx, p);
        drv.poll_tx(tx);
    };
    for (std::size_t payload : {400u, 777u, 1400u, 1446u}) {
        for (std::uint8_t proto : {std::uint8_t{6}, std::uint8_t{17}}) {
            FrameSpec s;
            s.payload = payload;
            s.proto = proto;
            const Frame f = build_frame(s);
            send(f);
            auto got = drv.poll_rx(rx);
            ASSERT_EQ(got.size(), 1u) << payload;
            EXPECT_EQ(got[0].data, f) << payload;
            EXPECT_TRUE(rx_completion::L4CsumChecked::get(got[0].status()));
            EXPECT_FALSE(rx_completion::L4CsumError::get(got[0].status()));
            // A corrupted payload byte: the verification reads the frame where it landed.
            Frame bad = f;
            bad[bad.size() - 3] ^= 0x40;
            send(bad);
            got = drv.poll_rx(rx);
            ASSERT_EQ(got.size(), 1u);
            EXPECT_EQ(got[0].data, bad);
            EXPECT_TRUE(rx_completion::L4CsumError::get(got[0].status())) << payload;
        }
    }
    drv.post_rx(small, 255);
    ASSERT_TRUE(drv.set_rss_table(0, {small.cq}));
    for (std::size_t payload : {700u, 1446u}) {
        FrameSpec s;
        s.payload = payload;
        const Frame f = build_frame(s);
        send(f);
        auto got = drv.poll_rx(small);
        ASSERT_EQ(got.size(), 1u) << payload;
        EXPECT_EQ(got[0].data, f) << payload;
        EXPECT_GT(got[0].completions.size(), 1u) << "spread over 512-byte buffers";
    }
    EXPECT_EQ(drv.device().stats().rx_drops, 0u);
}

// Headers that reach past what the driver pushed are dropped as on EC2, also when the rest of
// the frame stays in the driver's buffer.
TEST_P(TxLlq, AFrameWhoseHeadersAreNotPushedIsDroppedEvenWhenLarge) {
    TxRing tx = drv.create_tx(64, true);
    FrameSpec s;
    s.payload = 1400;
    s.proto = 17;
    TxPacket p;
    p.frame = build_frame(s);
    p.meta = true;
    p.push = 34;  // Ethernet and IPv4, not the UDP header
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().llq_header_overflow_drops, 1u);
}

// Split frames to a receiver whose inbound limiter holds some of them back: those wait whole in
// its shaping queue (the sender's buffer is the driver's again once the doorbell returns) and
// arrive byte-exact when their time comes; a group frame reaches every other port whole too.
TEST(TxLlqSplit, HeldBackAndBroadcastFramesArriveWhole) {
    auto wire = make_wire("vpc:tx-split-test");
    DeviceConfig sender_cfg, shaped_cfg, other_cfg;
    sender_cfg.mac = kMacA;
    shaped_cfg.mac = kMacB;
    shaped_cfg.nitro.bw_in_mbps = 100;  // 12.5 MB/s: a 1500-byte frame every 120 us past the bucket
    shaped_cfg.nitro.shaping_queue = 64;
    other_cfg.mac = kMacC;
    TestDriver a(sender_cfg), b(shaped_cfg), c(other_cfg);
    for (TestDriver* d : {&a, &b, &c}) {
        d->bring_up();
        ASSERT_TRUE(d->device().attach_wire(wire));
    }
    ASSERT_EQ(a.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
    TxRing tx = a.create_tx(128, true);
    RxRing rb = b.create_rx(256, 2048), rc = c.create_rx(256, 2048);
    b.post_rx(rb, 255);
    c.post_rx(rc, 255);
    std::vector<Frame> sent;
    for (std::uint16_t i = 0; i < 40; ++i) {
        FrameSpec s;
        s.src = kMacA;
        s.dst = i == 7 ? kBroadcast : kMacB;
        s.payload = 1300 + i;
        s.ip_id = i;
        TxPacket p;
        p.frame = build_frame(s);
        p.meta = true;
        p.req_id = i;
        a.send(tx, p);
        a.poll_tx(tx);
        sent.push_back(p.frame);
    }
    EXPECT_GT(b.device().stats().bw_in_allowance_exceeded, 0u) << "some frames waited";
    std::vector<RxPacket> got;
    for (int step = 0; step < 200 && got.size() < sent.size(); ++step) {
        b.device().advance_time(100'000);
        for (RxPacket& r : b.poll_rx(rb))
            got.push_back(std::move(r));
    }
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        EXPECT_EQ(got[i].data, sent[i]) << i;
    auto at_c = c.poll_rx(rc);
    ASSERT_EQ(at_c.size(), 1u);
    EXPECT_EQ(at_c[0].data, sent[7]);
}

INSTANTIATE_TEST_SUITE_P(Layouts, TxLlq,
                         ::testing::Values(LlqCase{"normal", kLlqNormal}, LlqCase{"wide", kLlqWide},
                                           LlqCase{"one_desc_before_header", {128, 1, LlqStride::kMultipleDescsPerEntry}},
                                           LlqCase{"four_before_header_wide", {256, 4, LlqStride::kMultipleDescsPerEntry}},
                                           LlqCase{"single_stride", {128, 2, LlqStride::kSingleDescPerEntry}}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(TxHost, LlqWithoutMetaCachingRequirementAcceptsPacketsWithoutMeta) {
    ASSERT_EQ(drv.set_llq(kLlqNormal, /*accel_flags=*/0).status, AdminStatus::kSuccess);
    TxRing tx = drv.create_tx(64, true);
    TxPacket p;
    p.frame = build_frame({});
    EXPECT_EQ(roundtrip(tx, p).size(), 1u);
}

// Headers of 14 + 60 (IPv4, 40 bytes of options) + 60 (TCP, 40 bytes of options) = 134 bytes.
FrameSpec big_headers() {
    FrameSpec s;
    s.ip_options = 40;
    s.tcp_options = 40;
    s.payload = 500;
    return s;
}

TEST_F(TxHost, LlqHeaderOverflowDropsAndNotifiesOncePerSecond) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kConfNotifications)).status, AdminStatus::kSuccess);
    ASSERT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
    TxRing tx = drv.create_tx(64, true);
    TxPacket p;
    p.frame = build_frame(big_headers());
    p.meta = true;
    for (int i = 0; i < 3; ++i) {
        p.req_id = static_cast<std::uint16_t>(i);
        drv.send(tx, p);
    }
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.poll_tx(tx).size(), 3u) << "dropped packets still complete";
    DeviceStats st = drv.device().stats();
    EXPECT_EQ(st.llq_header_overflow_drops, 3u);
    EXPECT_EQ(st.tx_drops, 3u);
    auto events = drv.poll_aenq();
    ASSERT_EQ(events.size(), 1u);
    AenqConfNotifications n;
    std::memcpy(&n, &events[0], sizeof(n));
    EXPECT_EQ(n.common.group, static_cast<std::uint16_t>(AenqGroup::kConfNotifications));
    EXPECT_EQ(n.notifications_bitmap, conf_notification_bit(ConfNotification::kLlqHeaderTooLarge));
    EXPECT_EQ(n.notifications_bitmap, 1u << 2) << "code 3 is bit 2";
    // A second later the next overflow notifies again.
    drv.device().advance_time(1'000'000'000);
    drv.send(tx, p);
    EXPECT_EQ(drv.poll_aenq().size(), 1u);
    // Headers that fit go through.
    TxPacket small;
    small.frame = build_frame({});
    small.meta = true;
    EXPECT_EQ(roundtrip(tx, small).size(), 1u);
}

TEST_F(TxHost, WideLlqCarriesBigHeadersButStillHasALimit) {
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kConfNotifications)).status, AdminStatus::kSuccess);
    ASSERT_EQ(drv.set_llq(kLlqWide).status, AdminStatus::kSuccess);
    TxRing tx = drv.create_tx(64, true);
    TxPacket p;
    p.frame = build_frame(big_headers());
    p.meta = true;
    auto got = roundtrip(tx, p);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, p.frame);
    // IPv6 with 200 bytes of extension headers + 60 bytes of TCP: 314 > 224.
    FrameSpec huge;
    huge.ipv6 = true;
    huge.ipv6_ext = 200;
    huge.tcp_options = 40;
    p.frame = build_frame(huge);
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_rx(rx).empty());
    EXPECT_EQ(drv.device().stats().llq_header_overflow_drops, 1u);
    EXPECT_TRUE(drv.poll_aenq().empty()) << "the notification is about 128-byte entries";
}

TEST(TxLlqBurst, BurstLimitOverrunsAreCounted) {
    DeviceConfig cfg;
    cfg.llq_max_tx_burst_bytes = 4 * 128;
    TestDriver drv(cfg);
    drv.bring_up();
    drv.device().attach_wire(make_wire("loopback"));
    ASSERT_EQ(drv.set_llq(kLlqNormal).status, AdminStatus::kSuccess);
    TxRing tx = drv.create_tx(64, true);
    TxPacket p;
    p.frame = build_frame({});
    p.meta = true;
    for (int i = 0; i < 4; ++i)
        drv.send(tx, p, false);
    drv.ring_doorbell(tx);
    EXPECT_EQ(drv.device().stats().llq_burst_exceeded, 0u);
    for (int i = 0; i < 5; ++i)
        drv.send(tx, p, false);
    drv.ring_doorbell(tx);
    EXPECT_EQ(drv.device().stats().llq_burst_exceeded, 1u);
    EXPECT_EQ(drv.device().stats().tx_packets, 9u) << "counted, not dropped";
}

}  // namespace
}  // namespace ena::sim::test
