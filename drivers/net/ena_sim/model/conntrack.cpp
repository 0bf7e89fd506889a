#include "conntrack.hpp"

#include <array>
#include <cstring>

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

bool Conntrack::admit(const FlowPacket& p, std::uint64_t now, std::uint32_t* admitted) {
    std::uint32_t index = table_.find(p, now);
    if (index == FlowTable::kNone) {
        // A RST of a flow nobody tracks opens nothing.
        if (p.key.proto == ip_proto::kTcp && (p.tcp_flags & tcp_flag::kRst)) {
            if (admitted != nullptr)
                *admitted = FlowTable::kNone;
            return true;
        }
        index = table_.insert(p, kOther, now);
        if (index == FlowTable::kNone)
            return false;
    }
    seen(index, p, now);
    if (admitted != nullptr)
        *admitted = index;
    return true;
}

bool Conntrack::admit_uncached(std::span<const std::uint8_t> frame, const PacketInfo& info, std::uint64_t now) {
    FlowPacket p;
    return !classify_flow(frame, info, p) || admit(p, now, nullptr);
}

bool Conntrack::admit_and_cache(std::span<const std::uint8_t> frame, const PacketInfo& info, FlowCache::Slot& slot,
                                const std::array<std::uint64_t, 5>& tuple, std::uint64_t now) {
    FlowPacket p;
    if (!classify_flow(frame, info, p))
        return true;
    std::uint32_t index;
    if (!admit(p, now, &index))
        return false;
    slot.tuple = tuple;
    slot.flow = p;
    slot.entry = index;
    slot.epoch = table_.epoch();
    return true;
}

}  // namespace ena::sim::detail
