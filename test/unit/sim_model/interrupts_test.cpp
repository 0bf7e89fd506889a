// MSI-X of IO queues: masking by an unmask write without Unmask, the CQ head doorbell (an unmask
// that finds completions beyond it fires at once), interrupt moderation (INTERRUPT_MODERATION
// feature, the unmask register's delay fields) in virtual and in real time.
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;
using namespace std::chrono_literals;

constexpr std::uint32_t kVector = 5;

// One Rx queue whose CQ is in interrupt mode on kVector; admin interrupts masked.
class IoInterrupts : public ::testing::Test {
protected:
    explicit IoInterrupts(DeviceConfig config = {}, EngineMode mode = EngineMode::kSynchronous)
        : drv(config, mode) {}

    void SetUp() override {
        drv.device().set_interrupt_handler([this](std::uint32_t v) {
            std::lock_guard guard(lock);
            fired.push_back({v, drv.device().now_ns()});
        });
        drv.bring_up();
        drv.write(reg::kIntrMask, 1);
        ring.depth = 64;
        ring.buffer_size = 2048;
        ring.cq_ring = drv.memory().alloc(64 * 16, 4096);
        const AdminResult cq = drv.create_cq(64, 4, ring.cq_ring, /*interrupts=*/true, kVector);
        ASSERT_EQ(cq.status, AdminStatus::kSuccess);
        const auto resp = cq.as<CreateCqResponse>();
        unmask_reg = resp.cq_interrupt_unmask_register_offset;
        head_reg = resp.cq_head_db_register_offset;
        ring.cq = resp.cq_index;
        ring.ring = drv.memory().alloc(64 * 16, 4096);
        const AdminResult sq = drv.create_sq(SqDirection::kRx, PlacementPolicy::kHost, ring.cq, 64, ring.ring);
        ASSERT_EQ(sq.status, AdminStatus::kSuccess);
        ring.sq = sq.as<CreateSqResponse>().sq_index;
        ring.doorbell = sq.as<CreateSqResponse>().sq_doorbell_offset;
        ring.buffers.resize(64);
        for (auto& b : ring.buffers)
            b = drv.memory().alloc(2048);
        drv.post_rx(ring, 32);
        std::lock_guard guard(lock);
        fired.clear();
    }

    void deliver() { drv.device().receive_frame(build_frame({})); }
    std::size_t fired_count() {
        std::lock_guard guard(lock);
        return fired.size();
    }

    struct Fired {
        std::uint32_t vector;
        std::uint64_t at_ns;
    };
    TestDriver drv;
    RxRing ring;
    std::uint32_t unmask_reg = 0;
    std::uint32_t head_reg = 0;
    std::mutex lock;
    std::vector<Fired> fired;
};

TEST_F(IoInterrupts, CreateCqGivesAHeadDoorbellInsideBar0) {
    EXPECT_GE(head_reg, reg::kFixedRegisterEnd);
    EXPECT_LT(head_reg, drv.device().register_bar_size());
    EXPECT_NE(head_reg, unmask_reg);
}

TEST_F(IoInterrupts, AnUnmaskWriteWithoutUnmaskMasksTheQueueAgain) {
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);
    drv.write(unmask_reg, 0);  // what a driver's rx_queue_intr_disable writes
    deliver();
    EXPECT_EQ(fired_count(), 0u);
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);
    deliver();
    ASSERT_EQ(fired_count(), 1u);
    EXPECT_EQ(fired[0].vector, kVector);
}

TEST_F(IoInterrupts, UnmaskFiresAtOnceForCompletionsBeyondTheReportedHead) {
    drv.write(head_reg, 0);
    deliver();  // masked: no interrupt, one completion waiting
    EXPECT_EQ(fired_count(), 0u);
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);  // the driver says it consumed nothing
    ASSERT_EQ(fired_count(), 1u);
    EXPECT_EQ(drv.poll_rx(ring).size(), 1u);
    // Consumed and said so: the next unmask waits for a new completion.
    drv.write(head_reg, ring.cq_head);
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);
    EXPECT_EQ(fired_count(), 1u);
    deliver();
    EXPECT_EQ(fired_count(), 2u);
}

TEST_F(IoInterrupts, WithoutAHeadReportTheUnmaskWaitsForTheNextCompletion) {
    deliver();
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);
    EXPECT_EQ(fired_count(), 0u) << "a driver that never writes the head doorbell gets no interrupt at the unmask";
    deliver();
    EXPECT_EQ(fired_count(), 1u);
}

TEST_F(IoInterrupts, TheDeviceOffersModerationWithItsResolution) {
    const AdminResult attrs = drv.get_feature(FeatureId::kDeviceAttributes);
    EXPECT_NE(attrs.as<GetFeatureResponse>().device_attributes.supported_features &
                  feature_bit(FeatureId::kInterruptModeration),
              0u);
    const AdminResult r = drv.get_feature(FeatureId::kInterruptModeration);
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    EXPECT_EQ(r.as<GetFeatureResponse>().interrupt_moderation.intr_delay_resolution, 1);
}

TEST_F(IoInterrupts, ModeratedInterruptComesTheDelayAfterTheFirstCompletionInVirtualTime) {
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(50) | cq_unmask::TxDelay::make(7));
    const std::uint64_t start = drv.device().now_ns();
    deliver();
    drv.device().advance_time(20'000);
    deliver();  // coalesced: the delay runs from the first completion
    EXPECT_EQ(fired_count(), 0u);
    drv.device().advance_time(29'000);
    EXPECT_EQ(fired_count(), 0u);
    drv.device().advance_time(10'000);  // one long step stops at the deadline on its way
    ASSERT_EQ(fired_count(), 1u);
    EXPECT_EQ(fired[0].vector, kVector);
    EXPECT_EQ(fired[0].at_ns - start, 50'000u) << "the Rx delay field (50 x 1 us), not the Tx one";
    deliver();
    drv.device().advance_time(1'000'000);
    EXPECT_EQ(fired_count(), 1u) << "masked again after it fired";
    EXPECT_EQ(drv.poll_rx(ring).size(), 3u);
}

TEST_F(IoInterrupts, NoModerationUpdateKeepsTheDelayAndZeroDelayFiresAtOnce) {
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(10));
    deliver();
    drv.device().advance_time(10'000);
    ASSERT_EQ(fired_count(), 1u);
    // Re-armed without touching the delay: still 10 us.
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::NoModerationUpdate::kMask);
    deliver();
    EXPECT_EQ(fired_count(), 1u);
    drv.device().advance_time(10'000);
    ASSERT_EQ(fired_count(), 2u);
    // Delay 0: at the completion.
    drv.write(unmask_reg, cq_unmask::Unmask::kMask);
    deliver();
    EXPECT_EQ(fired_count(), 3u);
}

TEST_F(IoInterrupts, MaskingCancelsADelayedInterrupt) {
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(100));
    deliver();
    drv.write(unmask_reg, 0);
    drv.device().advance_time(1'000'000);
    EXPECT_EQ(fired_count(), 0u);
}

DeviceConfig coarse_resolution() {
    DeviceConfig c;
    c.intr_delay_resolution_us = 4;
    return c;
}

class CoarseModeration : public IoInterrupts {
protected:
    CoarseModeration() : IoInterrupts(coarse_resolution()) {}
};

TEST_F(CoarseModeration, DelayFieldCountsInTheDevicesResolution) {
    EXPECT_EQ(drv.get_feature(FeatureId::kInterruptModeration).as<GetFeatureResponse>().interrupt_moderation.intr_delay_resolution,
              4);
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(5));
    deliver();
    drv.device().advance_time(19'999);
    EXPECT_EQ(fired_count(), 0u);
    drv.device().advance_time(1);
    EXPECT_EQ(fired_count(), 1u);
}

DeviceConfig no_moderation() {
    DeviceConfig c;
    c.intr_delay_resolution_us = 0;
    return c;
}

class NoModeration : public IoInterrupts {
protected:
    NoModeration() : IoInterrupts(no_moderation()) {}
};

TEST_F(NoModeration, TheFeatureIsAbsentAndDelaysAreIgnored) {
    EXPECT_EQ(drv.get_feature(FeatureId::kInterruptModeration).status, AdminStatus::kUnsupportedOpcode);
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(1000));
    deliver();
    EXPECT_EQ(fired_count(), 1u);
}

// Real time: a threaded device whose engine runs on its own thread honours the delay on the
// steady clock. The lower bound is exact; the upper one leaves room for a loaded machine.
class ThreadedModeration : public IoInterrupts {
protected:
    ThreadedModeration() : IoInterrupts({}, EngineMode::kThreaded) {}
    void SetUp() override {
        engine.add(drv.device());
        thread = std::thread([this] { engine.run(); });
        IoInterrupts::SetUp();
    }
    void TearDown() override {
        engine.stop();
        thread.join();
        engine.remove(drv.device());
    }
    Engine engine;
    std::thread thread;
};

TEST_F(ThreadedModeration, DelayHoldsInRealTime) {
    constexpr std::uint32_t kDelayUs = 20'000;
    drv.write(unmask_reg, cq_unmask::Unmask::kMask | cq_unmask::RxDelay::make(kDelayUs));
    std::this_thread::sleep_for(50ms);  // the engine thread takes the unmask
    const auto sent = std::chrono::steady_clock::now();
    const std::uint64_t sent_ns = drv.device().now_ns();
    deliver();
    while (fired_count() == 0 && std::chrono::steady_clock::now() - sent < 5s)
        std::this_thread::sleep_for(100us);
    ASSERT_EQ(fired_count(), 1u);
    const std::uint64_t waited = fired[0].at_ns - sent_ns;
    EXPECT_GE(waited, kDelayUs * 1000ull);
    EXPECT_LT(waited, kDelayUs * 1000ull + 500'000'000ull);
}

}  // namespace
}  // namespace ena::sim::test
