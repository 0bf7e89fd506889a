// Security-group connection tracking of one ENI: every flow the ENI sends or receives takes
// an entry (both directions share it) until it has been idle for its state's timeout; when
// the table is full, packets of new flows are dropped (conntrack_allowance_exceeded) while
// known flows go on. TCP flows closed by FIN from both sides or by RST leave sooner.
#pragma once

#include <cstdint>

#include "ena_sim_device.hpp"
#include "flow_table.hpp"

namespace ena::sim::detail {

class Conntrack {
public:
    // Timeout classes (FlowTable classes).
    enum Class : std::uint8_t {
        kTcpEstablished,
        kTcpTransitory,
        kTcpClosed,
        kUdp,
        kUdpStream,
        kIcmp,
        kOther,
        kClassCount,
    };

    void configure(std::uint32_t max_entries, const ConntrackTimeouts& timeouts);
    bool enabled() const { return table_.enabled(); }
    std::uint32_t capacity() const { return table_.capacity(); }

    // A packet of this flow crosses the card: true when it may pass (its flow is known or got
    // an entry), false when it opens a new flow the full table cannot take.
    bool admit(const FlowPacket& p, std::uint64_t now);
    // Flows tracked now (idle ones expired first).
    std::uint32_t entries(std::uint64_t now) {
        table_.expire(now);
        return table_.size();
    }

private:
    // Per-flow state bits (FlowTable::Entry::state).
    static constexpr std::uint8_t kSeenA = 1, kSeenB = 2, kFinA = 4, kFinB = 8, kRst = 16;
    static std::uint8_t tcp_class(std::uint8_t state);
    void update(FlowTable::Entry& e, const FlowPacket& p);

    FlowTable table_;
};

}  // namespace ena::sim::detail
