// A device brought up with one Rx queue and a loopback wire: what a Tx test needs.
#pragma once

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {

class IoTest : public ::testing::Test {
protected:
    explicit IoTest(DeviceConfig cfg = {}) : drv(cfg) {}

    void SetUp() override {
        drv.bring_up();
        drv.device().attach_wire(make_wire("loopback"));
        rx = drv.create_rx(1024, 2048);
        drv.post_rx(rx, 1023);
    }

    // Offload fields of a TxPacket from the frame's layout.
    static TxPacket offload_packet(const Frame& frame, const FrameSpec& s) {
        const Layout l = layout_of(s);
        TxPacket p;
        p.frame = frame;
        p.meta = true;
        p.l3_offset = static_cast<std::uint8_t>(l.l3);
        p.l3_length = static_cast<std::uint8_t>(l.l3_len);
        p.l4_length_words = static_cast<std::uint8_t>(l.l4_len / 4);
        p.l3 = s.ipv6 ? hw::L3Proto::kIpv6 : hw::L3Proto::kIpv4;
        p.l4 = s.proto == 6 ? hw::L4Proto::kTcp : s.proto == 17 ? hw::L4Proto::kUdp : hw::L4Proto::kUnknown;
        return p;
    }

    // Sends and returns what came back through the loopback.
    std::vector<RxPacket> roundtrip(TxRing& tx, const TxPacket& p) {
        drv.send(tx, p);
        return drv.poll_rx(rx);
    }

    TestDriver drv;
    RxRing rx;
};

}  // namespace ena::sim::test
