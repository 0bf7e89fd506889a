// The pcap wire on a synchronous device: an rx capture is replayed whole, in order, byte for
// byte, as fast as Rx buffers are posted and never faster; sent frames land in the tx capture;
// files that are not classic Ethernet pcap captures are refused with the reason.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <filesystem>
#include <fstream>

#include "packets.hpp"
#include "pcap_wire.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

namespace fs = std::filesystem;

// A classic pcap file, written the way libpcap does on a host of either byte order.
struct CaptureOptions {
    bool swapped = false;      // fields big-endian (written on the other byte order)
    bool nanoseconds = false;  // magic 0xa1b23c4d
    std::uint32_t link_type = 1;
    std::vector<std::uint64_t> at_us;  // each frame's time after the first; empty: one a second
};

void put_u32(std::string& out, std::uint32_t v, bool swapped) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>(swapped ? v >> (24 - 8 * i) : v >> (8 * i)));
}
void put_u16(std::string& out, std::uint16_t v, bool swapped) {
    out.push_back(static_cast<char>(swapped ? v >> 8 : v));
    out.push_back(static_cast<char>(swapped ? v : v >> 8));
}

std::string capture_bytes(const std::vector<Frame>& frames, CaptureOptions o = {}) {
    std::string out;
    put_u32(out, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, o.swapped);
    put_u16(out, 2, o.swapped);
    put_u16(out, 4, o.swapped);
    put_u32(out, 0, o.swapped);
    put_u32(out, 0, o.swapped);
    put_u32(out, 65535, o.swapped);
    put_u32(out, o.link_type, o.swapped);
    std::uint32_t t = 1700000000;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        const std::uint64_t us = o.at_us.empty() ? std::uint64_t{i} * 1'000'000 + 123 : o.at_us[i];
        put_u32(out, static_cast<std::uint32_t>(t + us / 1'000'000), o.swapped);
        put_u32(out, static_cast<std::uint32_t>(o.nanoseconds ? us % 1'000'000 * 1000 : us % 1'000'000), o.swapped);
        put_u32(out, static_cast<std::uint32_t>(f.size()), o.swapped);
        put_u32(out, static_cast<std::uint32_t>(f.size()), o.swapped);
        out.append(f.begin(), f.end());
    }
    return out;
}

// Frames as written in a capture: {header fields, frames}.
struct ReadCapture {
    std::uint32_t magic = 0, snapshot = 0, link_type = 0;
    std::uint16_t major = 0, minor = 0;
    std::vector<Frame> frames;
    bool lengths_agree = true;  // captured length == original length everywhere
};

ReadCapture read_capture(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ReadCapture c;
    auto u32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, s.data() + at, 4);
        return v;
    };
    if (s.size() < 24)
        return c;
    c.magic = u32(0);
    std::memcpy(&c.major, s.data() + 4, 2);
    std::memcpy(&c.minor, s.data() + 6, 2);
    c.snapshot = u32(16);
    c.link_type = u32(20);
    std::size_t at = 24;
    while (at + 16 <= s.size()) {
        const std::uint32_t caplen = u32(at + 8), len = u32(at + 12);
        c.lengths_agree &= caplen == len;
        at += 16;
        if (at + caplen > s.size())
            break;
        c.frames.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + caplen));
        at += caplen;
    }
    return c;
}

class PcapWireTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::path(::testing::TempDir()) / ("pcap_wire_test_" + std::to_string(::getpid()));
        fs::create_directories(dir);
        drv.bring_up();
    }
    void TearDown() override { fs::remove_all(dir); }

    fs::path write_file(const std::string& name, const std::string& bytes) {
        const fs::path p = dir / name;
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    std::shared_ptr<PcapWire> open(const std::string& argument, std::string* error = nullptr) {
        std::string ignored;
        return PcapWire::from_argument(argument, error != nullptr ? error : &ignored);
    }
    // Frames of many sizes, each with its index in the payload so that order is checked too.
    static std::vector<Frame> numbered_frames(std::size_t count) {
        std::vector<Frame> frames;
        for (std::size_t i = 0; i < count; ++i) {
            Frame f = build_frame({.proto = 17, .sport = static_cast<std::uint16_t>(i), .payload = 18 + (i * 97) % 1400});
            frames.push_back(f);
        }
        return frames;
    }

    TestDriver drv;
    fs::path dir;
};

TEST_F(PcapWireTest, ReplaysEveryFrameInOrderAsBuffersArriveAndLosesNone) {
    const std::vector<Frame> frames = numbered_frames(100);
    const fs::path rx_file = write_file("in.pcap", capture_bytes(frames));
    auto wire = open("rx=" + rx_file.string());
    ASSERT_NE(wire, nullptr);
    drv.device().attach_wire(wire);
    EXPECT_EQ(wire->frames_replayed(), 0u) << "no Rx queue yet: nothing replayed, nothing dropped";
    RxRing rx = drv.create_rx(64);

    std::vector<Frame> received;
    while (received.size() < frames.size()) {
        drv.post_rx(rx, 10);  // the doorbell write polls the wire: at most 10 frames come in
        auto got = drv.poll_rx(rx);
        ASSERT_EQ(got.size(), std::min<std::size_t>(10, frames.size() - received.size()));
        for (auto& p : got)
            received.push_back(p.data);
        EXPECT_FALSE(drv.device().process()) << "no buffer left: the next frame waits";
    }
    EXPECT_EQ(received, frames);
    EXPECT_EQ(wire->frames_replayed(), frames.size());
    EXPECT_TRUE(wire->rx_finished());
    const DeviceStats s = drv.device().stats();
    EXPECT_EQ(s.rx_packets, frames.size());
    EXPECT_EQ(s.rx_drops, 0u);
    drv.post_rx(rx, 10);
    EXPECT_TRUE(drv.poll_rx(rx).empty()) << "the capture is replayed once";
}

TEST_F(PcapWireTest, ReadsCapturesOfEitherByteOrderAndTimestampUnit) {
    const std::vector<Frame> frames = numbered_frames(5);
    RxRing rx = drv.create_rx(64);
    drv.post_rx(rx, 63);
    for (const CaptureOptions& o : {CaptureOptions{.swapped = true}, CaptureOptions{.nanoseconds = true},
                                   CaptureOptions{.swapped = true, .nanoseconds = true}}) {
        const fs::path p = write_file("in.pcap", capture_bytes(frames, o));
        std::string error;
        auto wire = open("rx=" + p.string(), &error);
        ASSERT_NE(wire, nullptr) << error;
        drv.device().attach_wire(wire);
        drv.device().process();
        std::vector<Frame> received;
        for (auto& pkt : drv.poll_rx(rx))
            received.push_back(pkt.data);
        EXPECT_EQ(received, frames) << "swapped " << o.swapped << " ns " << o.nanoseconds;
        drv.post_rx(rx, static_cast<std::uint16_t>(received.size()));
    }
}

TEST_F(PcapWireTest, PaceCaptureReplaysAtTheCapturesTimesInRealTime) {
    // One frame, 300 ms of silence, then a burst of 5 (1 ms apart), in either timestamp unit.
    const std::vector<Frame> frames = numbered_frames(6);
    for (const bool ns : {false, true}) {
        SCOPED_TRACE(ns ? "nanosecond capture" : "microsecond capture");
        CaptureOptions o{.nanoseconds = ns, .at_us = {0, 300'000, 301'000, 302'000, 303'000, 304'000}};
        std::string error;
        auto wire = open("rx=" + write_file("paced.pcap", capture_bytes(frames, o)).string() + ",pace=capture", &error);
        ASSERT_NE(wire, nullptr) << error;
        TestDriver d;
        d.bring_up();
        RxRing rx = d.create_rx(64);
        d.post_rx(rx, 63);
        d.device().attach_wire(wire);
        const auto start = std::chrono::steady_clock::now();
        d.device().process();
        EXPECT_EQ(d.poll_rx(rx).size(), 1u) << "the first frame at once";
        std::size_t got = 1;
        std::chrono::steady_clock::duration burst_at{};
        while (got < frames.size() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
            d.device().process();
            const std::size_t n = d.poll_rx(rx).size();
            if (n != 0 && got == 1)
                burst_at = std::chrono::steady_clock::now() - start;
            got += n;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        EXPECT_EQ(got, frames.size());
        EXPECT_GE(burst_at, std::chrono::milliseconds(300));
        EXPECT_LT(burst_at, std::chrono::milliseconds(800));
    }
    std::string error;
    EXPECT_EQ(open("rx=x.pcap,pace=slow", &error), nullptr);
    EXPECT_EQ(error, "pcap: pace=slow (accepted: asap, capture)");
    EXPECT_EQ(open("tx=" + (dir / "o.pcap").string() + ",pace=capture", &error), nullptr);
    EXPECT_EQ(error, "pcap: pace= needs rx=FILE");
}

TEST_F(PcapWireTest, ATruncatedLastRecordEndsTheReplayAfterTheWholeFrames) {
    const std::vector<Frame> frames = numbered_frames(4);
    std::string bytes = capture_bytes(frames);
    bytes.resize(bytes.size() - 5);
    auto wire = open("rx=" + write_file("cut.pcap", bytes).string());
    ASSERT_NE(wire, nullptr);
    drv.device().attach_wire(wire);
    RxRing rx = drv.create_rx(64);
    drv.post_rx(rx, 63);
    EXPECT_EQ(drv.poll_rx(rx).size(), 3u);
    EXPECT_TRUE(wire->rx_finished());
}

TEST_F(PcapWireTest, SentFramesLandInTheTxCaptureWholeAfterEachPass) {
    const fs::path tx_file = dir / "out.pcap";
    auto wire = open("tx=" + tx_file.string());
    ASSERT_NE(wire, nullptr);
    drv.device().attach_wire(wire);
    TxRing tx = drv.create_tx(64);
    const std::vector<Frame> frames = numbered_frames(20);
    for (const Frame& f : frames) {
        TxPacket p;
        p.frame = f;
        drv.send(tx, p);  // synchronous: sent, and the pass that sent it flushed the file
        drv.poll_tx(tx);
    }
    EXPECT_EQ(wire->frames_written(), frames.size());
    EXPECT_EQ(wire->write_errors(), 0u);
    const ReadCapture c = read_capture(tx_file);  // while the wire is still open
    EXPECT_EQ(c.magic, 0xa1b2c3d4u);
    EXPECT_EQ(c.major, 2);
    EXPECT_EQ(c.minor, 4);
    EXPECT_EQ(c.link_type, 1u);
    EXPECT_GE(c.snapshot, 9216u + 18);
    EXPECT_TRUE(c.lengths_agree);
    EXPECT_EQ(c.frames, frames);
}

TEST_F(PcapWireTest, RxAndTxTogetherThroughALoopingDriver) {
    const std::vector<Frame> frames = numbered_frames(30);
    const fs::path in = write_file("in.pcap", capture_bytes(frames)), out = dir / "out.pcap";
    auto wire = open("rx=" + in.string() + ",tx=" + out.string());
    ASSERT_NE(wire, nullptr);
    drv.device().attach_wire(wire);
    RxRing rx = drv.create_rx(16);
    TxRing tx = drv.create_tx(64);
    drv.post_rx(rx, 15);
    for (int round = 0; round < 10; ++round) {
        for (auto& p : drv.poll_rx(rx)) {  // send back what came in, then repost its buffer
            TxPacket t;
            t.frame = p.data;
            drv.send(tx, t);
            drv.poll_tx(tx);
            drv.post_rx(rx, 1);
        }
    }
    EXPECT_EQ(read_capture(out).frames, frames);
}

TEST_F(PcapWireTest, RefusesWhatItCannotReplayWithTheReason) {
    std::string error;
    auto expect_refused = [&](const std::string& argument, const std::string& reason) {
        error.clear();
        EXPECT_EQ(open(argument, &error), nullptr) << argument;
        EXPECT_NE(error.find(reason), std::string::npos) << argument << ": " << error;
    };
    expect_refused("rx=" + (dir / "missing.pcap").string(), "No such file or directory");
    expect_refused("rx=" + dir.string(), "Is a directory");
    expect_refused("rx=" + write_file("short.pcap", "abc").string(), "too short");
    std::string pcapng(28, '\0');
    const std::uint8_t shb[] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
    std::memcpy(pcapng.data(), shb, sizeof shb);
    expect_refused("rx=" + write_file("new.pcapng", pcapng).string(), "pcapng is not supported");
    expect_refused("rx=" + write_file("text.pcap", std::string(64, 'x')).string(), "not a pcap file");
    expect_refused("rx=" + write_file("raw_ip.pcap", capture_bytes({}, {.link_type = 101})).string(),
                   "link type 101 is not Ethernet");
    expect_refused("tx=" + (dir / "no" / "such" / "dir.pcap").string(), "No such file or directory");
    const std::string in = write_file("in.pcap", capture_bytes(numbered_frames(1))).string();
    expect_refused("rx=" + in + ",tx=" + in, "is the rx capture");
    EXPECT_EQ(read_capture(in).frames.size(), 1u) << "not truncated";

    expect_refused("", "pcap needs rx=FILE, tx=FILE or both");
    expect_refused("rx=", "rx= needs a file name");
    expect_refused("rx=" + in + ",rx=" + in, "rx= given twice");
    expect_refused("in=" + in, "unknown key 'in'");
}

}  // namespace
}  // namespace ena::sim::test
