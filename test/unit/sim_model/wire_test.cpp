// Wires (loopback, VPC segment, the factory) and the engine modes.
#include <atomic>
#include <deque>
#include <thread>

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

// A device on a wire with one Tx and one Rx queue.
struct Port {
    // A threaded device joins a running engine before the bring-up needs it.
    explicit Port(const Mac& mac, EngineMode mode = EngineMode::kSynchronous, Engine* engine = nullptr)
        : drv(config(mac), mode), engine_(engine) {
        if (engine_)
            engine_->add(drv.device());
        drv.bring_up();
        rx = drv.create_rx(256);
        drv.post_rx(rx, 255);
        tx = drv.create_tx(256);
    }
    static DeviceConfig config(const Mac& mac) {
        DeviceConfig c;
        c.mac = mac;
        return c;
    }
    void send(const Frame& f) {
        TxPacket p;
        p.frame = f;
        drv.send(tx, p);
        drv.poll_tx(tx);
    }
    std::size_t received() { return drv.poll_rx(rx).size(); }
    ~Port() {
        if (engine_)
            engine_->remove(drv.device());
    }

    TestDriver drv;
    Engine* engine_;
    RxRing rx;
    TxRing tx;
};

Frame frame_from_to(const Mac& src, const Mac& dst) {
    FrameSpec s;
    s.src = src;
    s.dst = dst;
    return build_frame(s);
}

TEST(VpcWire, UnicastReachesOnlyItsOwnerAndGroupFramesReachEveryOtherPort) {
    Port a(kMacA), b(kMacB), c(kMacC);
    auto wire = make_wire("vpc:segment");
    ASSERT_NE(wire, nullptr);
    for (Port* p : {&a, &b, &c})
        p->drv.device().attach_wire(wire);
    EXPECT_EQ(static_cast<VpcWire*>(wire.get())->port_count(), 3u);

    a.send(frame_from_to(kMacA, kMacB));  // B's address: only B, from the first frame on
    EXPECT_EQ(a.received(), 0u);
    EXPECT_EQ(b.received(), 1u);
    EXPECT_EQ(c.received(), 0u);
    b.send(frame_from_to(kMacB, kMacA));
    EXPECT_EQ(a.received(), 1u);
    EXPECT_EQ(c.received(), 0u);
    const Mac nobody{0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
    a.send(frame_from_to(kMacA, nobody));  // no interface has it: not flooded, gone
    EXPECT_EQ(b.received(), 0u);
    EXPECT_EQ(c.received(), 0u);
    c.send(frame_from_to(kMacC, kBroadcast));
    EXPECT_EQ(a.received(), 1u);
    EXPECT_EQ(b.received(), 1u);
    EXPECT_EQ(c.received(), 0u);
    a.send(frame_from_to(kMacA, kMacA));  // to itself through the segment: not reflected
    EXPECT_EQ(a.received(), 0u);
    Mac multicast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    b.send(frame_from_to(kMacB, multicast));
    EXPECT_EQ(a.received(), 1u);
    EXPECT_EQ(c.received(), 1u);
}

TEST(VpcWire, SegmentsAreSharedByNameAndForgetDetachedPorts) {
    auto w1 = make_wire("vpc:shared");
    auto w2 = make_wire("vpc=shared");
    auto other = make_wire("vpc:other");
    EXPECT_EQ(w1, w2);
    EXPECT_NE(w1, other);
    {
        Port a(kMacA), b(kMacB);
        a.drv.device().attach_wire(w1);
        b.drv.device().attach_wire(w2);
        EXPECT_EQ(static_cast<VpcWire*>(w1.get())->port_count(), 2u);
        a.send(frame_from_to(kMacA, kMacB));
        EXPECT_EQ(b.received(), 1u);
    }  // devices destroyed: they detach
    EXPECT_EQ(static_cast<VpcWire*>(w1.get())->port_count(), 0u);
    Port c(kMacC);
    c.drv.device().attach_wire(w1);
    c.send(frame_from_to(kMacC, kMacA));  // A left the segment: no dangling delivery
    EXPECT_EQ(c.received(), 0u);
}

TEST(WireFactory, KnownUnknownAndPluggedSchemes) {
    EXPECT_NE(dynamic_cast<LoopbackWire*>(make_wire("loopback").get()), nullptr);
    std::string error;
    EXPECT_EQ(make_wire("carrier-pigeon", &error), nullptr);
    EXPECT_NE(error.find("loopback"), std::string::npos);
    EXPECT_NE(error.find("vpc"), std::string::npos);
    EXPECT_EQ(make_wire("vpc", &error), nullptr);
    EXPECT_EQ(make_wire("loopback:x", &error), nullptr);
    // Registrations are process-wide: a fresh scheme name for every run (--gtest_repeat).
    static int run = 0;
    const std::string scheme = "testwire" + std::to_string(run++);
    bool built = false;
    EXPECT_TRUE(register_wire_type(scheme, [&built](std::string_view arg, std::string*) -> std::shared_ptr<Wire> {
        built = arg == "eth9";
        return std::make_shared<LoopbackWire>();
    }));
    EXPECT_FALSE(register_wire_type(scheme, nullptr));
    EXPECT_NE(make_wire(scheme + ":eth9"), nullptr);
    EXPECT_TRUE(built);
}

TEST(Engines, DeferredModeWorksOnlyWhenProcessed) {
    TestDriver drv({}, EngineMode::kDeferred);
    drv.bring_up();  // the helpers run process() while they wait for answers
    drv.device().attach_wire(make_wire("loopback"));
    RxRing rx = drv.create_rx(64);
    drv.post_rx(rx, 63);
    TxRing tx = drv.create_tx(64);
    TxPacket p;
    p.frame = build_frame({});
    drv.send(tx, p);
    EXPECT_TRUE(drv.poll_tx(tx).empty());
    EXPECT_TRUE(drv.device().process());
    EXPECT_EQ(drv.poll_tx(tx).size(), 1u);
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
    EXPECT_FALSE(drv.device().process()) << "nothing left to do";
}

// Hands frames in the way a capture replay does: each waits until the device has room for it.
class WaitingSource final : public Wire {
public:
    void transmit(Device&, std::span<const std::uint8_t>) override {}
    std::size_t poll() override {
        ++polls;
        std::size_t n = 0;
        while (device != nullptr && !frames.empty() && device->try_receive_frame(frames.front())) {
            frames.pop_front();
            ++n;
        }
        return n;
    }
    bool attach(Device& d, std::string*) override {
        device = &d;
        return true;
    }
    void detach(Device&) override { device = nullptr; }

    std::deque<Frame> frames;
    Device* device = nullptr;
    int polls = 0;
};

TEST(Engines, SynchronousDeviceFetchesFromItsWireOnRegisterWritesAndTime) {
    TestDriver drv;
    drv.bring_up();
    auto source = std::make_shared<WaitingSource>();
    drv.device().attach_wire(source);
    RxRing rx = drv.create_rx(64);
    for (std::size_t i = 0; i < 3; ++i)
        source->frames.push_back(build_frame({.payload = 100 + i}));
    const Frame third = source->frames[2];

    drv.post_rx(rx, 2);  // the doorbell write runs the device, which polls: 2 frames fit
    EXPECT_EQ(drv.poll_rx(rx).size(), 2u);
    EXPECT_EQ(source->frames.size(), 1u);
    const int polls = source->polls;
    drv.device().advance_time(1000);
    EXPECT_EQ(source->polls, polls + 1) << "advance_time polls too";
    EXPECT_FALSE(drv.device().process()) << "still no buffer for the third";
    drv.post_rx(rx, 1);
    auto got = drv.poll_rx(rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, third);
    EXPECT_EQ(drv.device().stats().rx_drops, 0u);
}

TEST(Engines, DeferredDevicePollsItsWireInProcessOnly) {
    TestDriver drv({}, EngineMode::kDeferred);
    drv.bring_up();
    auto source = std::make_shared<WaitingSource>();
    drv.device().attach_wire(source);
    RxRing rx = drv.create_rx(64);
    drv.post_rx(rx, 8);
    source->frames.push_back(build_frame({}));
    const int polls = source->polls;
    drv.post_rx(rx, 1);  // a register write alone runs nothing
    EXPECT_EQ(source->polls, polls);
    EXPECT_TRUE(drv.device().process()) << "the poll delivered a frame";
    EXPECT_EQ(drv.poll_rx(rx).size(), 1u);
}

TEST(Engines, ThreadedDeviceLeavesWirePollingToTheEngine) {
    TestDriver drv({}, EngineMode::kThreaded);
    auto source = std::make_shared<WaitingSource>();
    drv.device().attach_wire(source);
    drv.device().process();
    drv.device().advance_time(1000);
    EXPECT_EQ(source->polls, 0);
    Engine engine;
    engine.add(drv.device());
    engine.run_once();
    engine.remove(drv.device());
    EXPECT_EQ(source->polls, 1);
}

TEST(Engines, ThreadedEngineServesSeveralDevicesOnOneWire) {
    Engine engine;
    std::thread loop([&] { engine.run(); });
    Port a(kMacA, EngineMode::kThreaded, &engine), b(kMacB, EngineMode::kThreaded, &engine);
    auto wire = make_wire("vpc:threaded");
    a.drv.device().attach_wire(wire);
    b.drv.device().attach_wire(wire);

    constexpr int kPackets = 2000;
    std::size_t got = 0;
    int sent = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        const DeviceStats sb = b.drv.device().stats();
        if (sent == kPackets && sb.rx_packets + sb.rx_drops == kPackets && got == sb.rx_packets)
            break;
        if (sent < kPackets && static_cast<std::uint16_t>(a.tx.tail - a.tx.cq_head) < 200) {
            TxPacket p;
            p.frame = frame_from_to(kMacA, kMacB);
            a.drv.send(a.tx, p);
            ++sent;
        }
        a.drv.poll_tx(a.tx);
        auto packets = b.drv.poll_rx(b.rx);
        got += packets.size();
        if (!packets.empty())
            b.drv.post_rx(b.rx, static_cast<std::uint16_t>(packets.size()));
    }
    engine.stop();
    loop.join();
    const DeviceStats sb = b.drv.device().stats();
    EXPECT_EQ(sb.rx_packets + sb.rx_drops, static_cast<std::uint64_t>(sent));
    EXPECT_GT(got, kPackets / 2u) << "most frames found a buffer";
}

TEST(Engines, ThreadedKeepAliveUsesTheRealClock) {
    DeviceConfig cfg;
    cfg.keep_alive_interval_ms = 20;
    TestDriver drv(cfg, EngineMode::kThreaded);
    Engine engine;
    engine.add(drv.device());
    std::thread loop([&] { engine.run(); });
    drv.bring_up();
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    const std::size_t n = drv.poll_aenq().size();
    // At most one per 20 ms of the time that really passed (a loaded machine oversleeps), plus one.
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    engine.stop();
    loop.join();
    engine.remove(drv.device());
    EXPECT_GE(n, 3u);
    EXPECT_LE(n, static_cast<std::size_t>(elapsed_ms / 20 + 1)) << elapsed_ms << " ms";
}

// Synchronous mode: the application thread rings Tx doorbells while another thread (the EAL
// alarm thread in a real application) does readless register reads on the same device.
TEST(Engines, RegisterWritesFromTwoThreadsAreSerialized) {
    Port a(kMacA);
    a.drv.device().attach_wire(make_wire("loopback"));
    std::atomic<bool> stop{false};
    std::atomic<int> bad_reads{0};
    std::thread reader([&] {
        while (!stop.load()) {
            const auto v = a.drv.readless(reg::kDevSts);
            if (v != dev_sts::Ready::kMask)
                ++bad_reads;
        }
    });
    std::size_t received = 0;
    for (int i = 0; i < 3000; ++i) {
        a.send(frame_from_to(kMacA, kMacB));
        auto got = a.drv.poll_rx(a.rx);
        received += got.size();
        if (!got.empty())
            a.drv.post_rx(a.rx, static_cast<std::uint16_t>(got.size()));
    }
    stop = true;
    reader.join();
    EXPECT_EQ(bad_reads.load(), 0);
    EXPECT_EQ(received, 3000u);
}

// Two devices send to each other at the same time from two threads (synchronous mode: each
// delivery runs inside the sender's doorbell write, holding the sender's lock).
TEST(Engines, CrossDeliveryFromTwoThreadsDoesNotDeadlock) {
    Port a(kMacA), b(kMacB);
    auto wire = make_wire("vpc:cross");
    a.drv.device().attach_wire(wire);
    b.drv.device().attach_wire(wire);
    a.send(frame_from_to(kMacA, kMacB));  // teach the switch both stations
    b.send(frame_from_to(kMacB, kMacA));
    a.received();
    b.received();
    constexpr int kPackets = 3000;
    std::atomic<std::size_t> received_a{0}, received_b{0};
    auto run = [](Port& self, const Mac& from, const Mac& to, std::atomic<std::size_t>& received) {
        for (int i = 0; i < kPackets; ++i) {
            TxPacket p;
            p.frame = frame_from_to(from, to);
            self.drv.send(self.tx, p);
            self.drv.poll_tx(self.tx);
            auto got = self.drv.poll_rx(self.rx);
            if (!got.empty())
                self.drv.post_rx(self.rx, static_cast<std::uint16_t>(got.size()));
            received += got.size();
        }
    };
    std::thread ta([&] { run(a, kMacA, kMacB, received_a); });
    std::thread tb([&] { run(b, kMacB, kMacA, received_b); });
    ta.join();
    tb.join();
    const DeviceStats sa = a.drv.device().stats(), sb = b.drv.device().stats();
    EXPECT_EQ(sb.rx_packets + sb.rx_drops, kPackets + 1u);
    EXPECT_EQ(sa.rx_packets + sa.rx_drops, kPackets + 1u);
    EXPECT_EQ(sa.tx_packets, kPackets + 1u);
}

}  // namespace
}  // namespace ena::sim::test
