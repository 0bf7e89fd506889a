// The inline engine (the device works in the threads that drive it; a Timekeeper runs what only
// time makes due) and the threaded engine's sleep (it sleeps only without work; a doorbell
// wakes it).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <thread>

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

DeviceConfig config_for(const Mac& mac) {
    DeviceConfig c;
    c.mac = mac;
    return c;
}

std::string fresh_vpc() {
    static int serial = 0;
    return "vpc:engine-test-" + std::to_string(serial++);
}

Frame frame_from_to(const Mac& src, const Mac& dst, std::size_t payload = 64, std::uint16_t id = 0) {
    FrameSpec s;
    s.src = src;
    s.dst = dst;
    s.payload = payload;
    s.proto = 17;
    s.ip_id = id;
    return build_frame(s);
}

// A device with one Tx and one Rx queue; an inline device joins its Timekeeper (when given)
// before the bring-up, as the vdev glue does.
struct Port {
    Port(const DeviceConfig& cfg, EngineMode mode, Timekeeper* keeper = nullptr, Engine* engine = nullptr)
        : drv(cfg, mode), keeper_(keeper), engine_(engine) {
        if (keeper_)
            keeper_->add(drv.device());
        if (engine_)
            engine_->add(drv.device());
        drv.bring_up();
        rx = drv.create_rx(256);
        drv.post_rx(rx, 255);
        tx = drv.create_tx(256);
    }
    ~Port() {
        if (keeper_)
            keeper_->remove(drv.device());
        if (engine_)
            engine_->remove(drv.device());
    }
    void send(const Frame& f) {
        TxPacket p;
        p.frame = f;
        drv.send(tx, p);
        drv.poll_tx(tx);
    }
    std::vector<RxPacket> receive() {
        auto got = drv.poll_rx(rx);
        if (!got.empty())
            drv.post_rx(rx, static_cast<std::uint16_t>(got.size()));
        return got;
    }

    TestDriver drv;
    Timekeeper* keeper_;
    Engine* engine_;
    RxRing rx;
    TxRing tx;
};

// A thread running a Timekeeper or an Engine for the length of a scope.
template <typename Runner>
class Running {
public:
    Running() : thread_([this] { runner.run(); }) {}
    ~Running() {
        runner.stop();
        thread_.join();
    }
    Runner runner;

private:
    std::thread thread_;
};

// Waits up to `limit` for `done`; true when it came.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = 5000ms) {
    const auto give_up = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > give_up)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

TEST(InlineEngine, ATxDoorbellDeliversAtOnceInTheWritersThread) {
    Port a(config_for(kMacA), EngineMode::kInline);
    a.drv.device().attach_wire(make_wire("loopback"));
    const Frame f = frame_from_to(kMacA, kMacA, 300);
    TxPacket p;
    p.frame = f;
    a.drv.send(a.tx, p);
    // No engine, no timekeeper, no process(): the doorbell write did the work.
    EXPECT_EQ(a.drv.poll_tx(a.tx).size(), 1u);
    auto got = a.drv.poll_rx(a.rx);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, f);
    EXPECT_EQ(a.drv.device().stats().tx_packets, 1u);
}

TEST(InlineEngine, ControlRegistersAreAnsweredInTheWritersThread) {
    TestDriver drv({}, EngineMode::kInline);
    drv.bring_up();  // readless reads, a reset and admin commands, with nothing else running
    EXPECT_EQ(drv.readless(reg::kDevSts).value_or(0) & dev_sts::Ready::kMask, dev_sts::Ready::kMask);
    EXPECT_EQ(drv.set_mtu(1500).status, AdminStatus::kSuccess);
}

// Two application threads, each with its own port on one VPC segment, send to each other: every
// frame one sends arrives in the other's Rx ring, byte for byte, in order (each keeps at most 128
// frames in flight, so the peer's ring never runs out of buffers). A third thread uses the
// control registers and reads the counters meanwhile, as a control path does.
TEST(InlineEngine, FramesCrossFromOneThreadsPortToAnothers) {
    const std::string vpc = fresh_vpc();
    Port a(config_for(kMacA), EngineMode::kInline), b(config_for(kMacB), EngineMode::kInline);
    a.drv.device().attach_wire(make_wire(vpc));
    b.drv.device().attach_wire(make_wire(vpc));
    constexpr int kPackets = 5000;
    std::atomic<bool> stop{false};
    std::atomic<int> bad_reads{0};
    std::thread control([&] {
        while (!stop.load()) {
            if (a.drv.readless(reg::kDevSts).value_or(0) != dev_sts::Ready::kMask)
                ++bad_reads;
            (void)b.drv.device().stats();
        }
    });
    struct Side {
        std::atomic<int> received{0};
        int wrong = 0;
    };
    auto frame = [](const Mac& from, const Mac& to, int i) {
        return frame_from_to(from, to, 40 + i % 1400, static_cast<std::uint16_t>(i));
    };
    auto run = [&](Port& self, const Mac& from, const Mac& to, Side& me, const Side& peer) {
        int sent = 0;
        const auto give_up = Clock::now() + 30s;
        while ((sent < kPackets || me.received.load() < kPackets) && Clock::now() < give_up) {
            if (sent < kPackets && sent - peer.received.load() < 128) {
                TxPacket p;
                p.frame = frame(from, to, sent);
                p.req_id = static_cast<std::uint16_t>(self.tx.tail % self.tx.depth);
                self.drv.send(self.tx, p);
                ++sent;
            }
            self.drv.poll_tx(self.tx);
            for (const RxPacket& got : self.receive()) {
                me.wrong += got.data != frame(to, from, me.received.load());
                ++me.received;
            }
        }
    };
    Side sa, sb;
    std::thread ta([&] { run(a, kMacA, kMacB, sa, sb); });
    std::thread tb([&] { run(b, kMacB, kMacA, sb, sa); });
    ta.join();
    tb.join();
    stop = true;
    control.join();
    EXPECT_EQ(sa.received.load(), kPackets);
    EXPECT_EQ(sb.received.load(), kPackets);
    EXPECT_EQ(sa.wrong + sb.wrong, 0);
    EXPECT_EQ(a.drv.device().stats().rx_drops + b.drv.device().stats().rx_drops, 0u);
    EXPECT_EQ(bad_reads.load(), 0);
}

TEST(InlineEngine, KeepAlivesComeFromTheTimekeeperOnTheRealClock) {
    DeviceConfig cfg;
    cfg.keep_alive_interval_ms = 20;
    {
        // Nothing in the datapath sends them: without a Timekeeper, none come.
        TestDriver drv(cfg, EngineMode::kInline);
        drv.bring_up();
        ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
        std::this_thread::sleep_for(60ms);
        EXPECT_TRUE(drv.poll_aenq().empty());
    }
    Running<Timekeeper> keeper;
    TestDriver drv(cfg, EngineMode::kInline);
    keeper.runner.add(drv.device());
    drv.bring_up();
    ASSERT_EQ(drv.set_aenq_groups(aenq_group_bit(AenqGroup::kKeepAlive)).status, AdminStatus::kSuccess);
    const auto start = Clock::now();
    std::size_t events = 0;
    EXPECT_TRUE(eventually([&] { return (events += drv.poll_aenq().size()) >= 3; }, 2000ms));
    const auto took = Clock::now() - start;
    keeper.runner.remove(drv.device());
    EXPECT_GE(took, 55ms) << "three keep-alives 20 ms apart";
    std::printf("three keep-alives every 20 ms took %.1f ms\n",
                std::chrono::duration<double, std::milli>(took).count());
}

// Frames the PPS allowance holds back leave when their time comes, with no doorbell after
// them: the Timekeeper sends them.
TEST(InlineEngine, ShapedFramesLeaveWhenTheirTimeComes) {
    Running<Timekeeper> keeper;
    const std::string vpc = fresh_vpc();
    DeviceConfig cfg = config_for(kMacA);
    cfg.nitro.pps = 2000;  // 1 ms bucket: 2 packets at once, then one every 500 us
    cfg.nitro.shaping_queue = 64;
    Port a(cfg, EngineMode::kInline, &keeper.runner), b(config_for(kMacB), EngineMode::kInline);
    a.drv.device().attach_wire(make_wire(vpc));
    b.drv.device().attach_wire(make_wire(vpc));
    constexpr std::uint16_t kFrames = 20;
    for (std::uint16_t i = 0; i < kFrames; ++i) {
        TxPacket p;
        p.frame = frame_from_to(kMacA, kMacB, 64, i);
        p.req_id = i;
        a.drv.send(a.tx, p);
    }
    EXPECT_LT(b.drv.device().stats().rx_packets, kFrames) << "the allowance held some back";
    std::size_t received = 0;
    EXPECT_TRUE(eventually([&] { return (received += b.receive().size()) == kFrames; }))
        << received << " of " << kFrames;
    EXPECT_EQ(a.drv.device().stats().tx_shaping_drops, 0u);
    EXPECT_GT(a.drv.device().stats().pps_allowance_exceeded, 0u);
}

TEST(InlineEngine, ScheduledFaultsAreArmedOnTime) {
    Running<Timekeeper> keeper;
    TestDriver drv({}, EngineMode::kInline);
    keeper.runner.add(drv.device());
    drv.device().schedule_fault(Fault::kMissingTxCompletion, 30, 1);
    drv.bring_up();
    const auto before = Clock::now();  // the 30 ms start at the first CREATE_SQ, after this
    RxRing rx = drv.create_rx(64);
    EXPECT_EQ(drv.device().pending_fault(Fault::kMissingTxCompletion), 0u);
    EXPECT_TRUE(eventually([&] { return drv.device().pending_fault(Fault::kMissingTxCompletion) == 1; }));
    EXPECT_GE(Clock::now() - before, 29ms);
    keeper.runner.remove(drv.device());
    (void)rx;
}

// A fault event injected while the device has no IO queues happens once it has them.
TEST(InlineEngine, AFatalErrorWaitsForIoQueuesThenHappens) {
    Running<Timekeeper> keeper;
    TestDriver drv({}, EngineMode::kInline);
    keeper.runner.add(drv.device());
    drv.bring_up();
    drv.device().inject_fault(Fault::kFatalError);
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(drv.read_direct(reg::kDevSts) & dev_sts::FatalError::kMask, 0u);
    RxRing rx = drv.create_rx(64);
    EXPECT_TRUE(eventually([&] { return (drv.read_direct(reg::kDevSts) & dev_sts::FatalError::kMask) != 0; }));
    keeper.runner.remove(drv.device());
    (void)rx;
}

// A source outside the machine (a TAP, a capture): its frames come in when the host polls Rx.
class PolledSource final : public Wire {
public:
    void transmit(Device&, std::span<const std::uint8_t>) override {}
    std::size_t poll() override {
        std::lock_guard lock(mutex);
        ++poll_count;
        std::size_t n = 0;
        while (device != nullptr && !frames.empty() && device->try_receive_frame(frames.front())) {
            frames.pop_front();
            ++n;
        }
        return n;
    }
    bool polls() const override { return true; }
    bool attach(Device& d, std::string*) override {
        device = &d;
        return true;
    }
    void detach(Device&) override { device = nullptr; }

    std::mutex mutex;
    std::deque<Frame> frames;
    Device* device = nullptr;
    int poll_count = 0;
};

TEST(InlineEngine, AnRxPollBringsTheFramesOfAWireThatPolls) {
    Port a(config_for(kMacA), EngineMode::kInline);
    auto source = std::make_shared<PolledSource>();
    a.drv.device().attach_wire(source);
    {
        std::lock_guard lock(source->mutex);
        for (std::uint16_t i = 0; i < 3; ++i)
            source->frames.push_back(frame_from_to(kMacB, kMacA, 64, i));
    }
    EXPECT_EQ(a.drv.poll_rx(a.rx).size(), 3u);
    EXPECT_GE(source->poll_count, 1);
}

// The threaded engine sleeps once it has nothing to do, and a doorbell wakes it: a frame sent
// to a sleeping engine arrives long before the engine's longest sleep (100 ms) would end.
TEST(ThreadedEngine, ADoorbellWakesASleepingEngine) {
    Running<Engine> engine;
    Port a(config_for(kMacA), EngineMode::kThreaded, nullptr, &engine.runner);
    a.drv.device().attach_wire(make_wire("loopback"));
    std::vector<double> latency_ms;
    for (int round = 0; round < 5; ++round) {
        std::this_thread::sleep_for(20ms);  // well past the idle spin: the engine sleeps
        const auto sent = Clock::now();
        TxPacket p;
        p.frame = frame_from_to(kMacA, kMacA, 64, static_cast<std::uint16_t>(round));
        p.req_id = static_cast<std::uint16_t>(round);
        a.drv.send(a.tx, p);
        ASSERT_TRUE(eventually([&] { return !a.receive().empty(); }, 2000ms));
        latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        a.drv.poll_tx(a.tx);
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    EXPECT_LT(latency_ms[2], 50.0) << "median latency of a frame sent to a sleeping engine";
    std::printf("frame to a sleeping threaded engine: median %.3f ms, worst %.3f ms\n", latency_ms[2],
                latency_ms.back());
}

}  // namespace
}  // namespace ena::sim::test
