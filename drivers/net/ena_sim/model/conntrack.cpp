#include "conntrack.hpp"

#include <array>

namespace ena::sim::detail {

void Conntrack::configure(std::uint32_t max_entries, const ConntrackTimeouts& t) {
    constexpr std::uint64_t kSecond = 1'000'000'000;
    std::array<std::uint64_t, kClassCount> ns{};
    ns[kTcpEstablished] = t.tcp_established * kSecond;
    ns[kTcpTransitory] = t.tcp_transitory * kSecond;
    ns[kTcpClosed] = t.tcp_closed * kSecond;
    ns[kUdp] = t.udp * kSecond;
    ns[kUdpStream] = t.udp_stream * kSecond;
    ns[kIcmp] = t.icmp * kSecond;
    ns[kOther] = t.other * kSecond;
    table_.configure(max_entries, ns);
}

std::uint8_t Conntrack::tcp_class(std::uint8_t state) {
    if ((state & kRst) || (state & (kFinA | kFinB)) == (kFinA | kFinB))
        return kTcpClosed;
    if (state & (kFinA | kFinB))
        return kTcpTransitory;
    if ((state & (kSeenA | kSeenB)) == (kSeenA | kSeenB))
        return kTcpEstablished;
    return kTcpTransitory;  // one side only so far: the handshake
}

// The flow's state after this packet, and the class (timeout) that follows from it.
void Conntrack::update(FlowTable::Entry& e, const FlowPacket& p) {
    const bool from_a = p.from_a;
    switch (p.key.proto) {
        case ip_proto::kTcp: {
            // A new SYN on a closed connection starts it again (the same ports reused).
            if ((p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) == tcp_flag::kSyn && tcp_class(e.state) == kTcpClosed)
                e.state = 0;
            e.state |= from_a ? kSeenA : kSeenB;
            if (p.tcp_flags & tcp_flag::kFin)
                e.state |= from_a ? kFinA : kFinB;
            if (p.tcp_flags & tcp_flag::kRst)
                e.state |= kRst;
            e.cls = tcp_class(e.state);
            break;
        }
        case ip_proto::kUdp:
            // A transaction: the originator's packet(s), then the other side's. A stream has
            // seen more than one.
            if (from_a != e.last_from_a && from_a != static_cast<bool>(e.origin_a) && e.counter < 0xFFFF)
                ++e.counter;
            e.cls = e.counter >= 2 ? kUdpStream : kUdp;
            break;
        case ip_proto::kIcmp:
        case ip_proto::kIcmpv6:
            e.cls = kIcmp;
            break;
        default:
            e.cls = kOther;
            break;
    }
    e.last_from_a = from_a;
}

bool Conntrack::admit(const FlowPacket& p, std::uint64_t now) {
    std::uint32_t index = table_.find(p, now);
    if (index == FlowTable::kNone) {
        // A RST of a flow nobody tracks opens nothing.
        if (p.key.proto == ip_proto::kTcp && (p.tcp_flags & tcp_flag::kRst))
            return true;
        index = table_.insert(p, kOther, now);
        if (index == FlowTable::kNone)
            return false;
    }
    FlowTable::Entry& e = table_.entry(index);
    const std::uint8_t before = e.cls;
    update(e, p);
    const std::uint8_t cls = e.cls;
    e.cls = before;  // touch() moves it between lists
    table_.touch(index, cls, now);
    return true;
}

}  // namespace ena::sim::detail
