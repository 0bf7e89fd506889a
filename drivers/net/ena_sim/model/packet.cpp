#include "packet.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ena::sim::detail {

namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88A8;
constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kIpv6Header = 40;

void parse_l4(std::span<const std::uint8_t> f, PacketInfo& info, std::size_t off) {
    info.l4_offset = static_cast<std::uint16_t>(off);
    if (info.fragment && !info.first_fragment)
        return;
    const std::size_t end = info.l3_end;
    if (info.l4_proto == ip_proto::kTcp) {
        if (off + 20 > end)
            return;
        const std::size_t len = static_cast<std::size_t>(f[off + 12] >> 4) * 4;
        if (len < 20 || off + len > end)
            return;
        info.l4_length = static_cast<std::uint16_t>(len);
        info.l4_parsed = true;
    } else if (info.l4_proto == ip_proto::kUdp) {
        if (off + 8 > end)
            return;
        info.l4_length = 8;
        info.l4_parsed = true;
    }
}

void parse_ipv4(std::span<const std::uint8_t> f, PacketInfo& info, std::size_t off) {
    if (off + 20 > f.size() || (f[off] >> 4) != 4)
        return;
    const std::size_t ihl = static_cast<std::size_t>(f[off] & 0x0F) * 4;
    if (ihl < 20 || off + ihl > f.size())
        return;
    std::size_t total = load_be16(&f[off + 2]);
    if (total < ihl)
        return;
    info.l3 = L3Kind::kIpv4;
    info.l3_offset = static_cast<std::uint16_t>(off);
    info.l3_length = static_cast<std::uint16_t>(ihl);
    if (off + total > f.size()) {
        info.l3_truncated = true;
        total = f.size() - off;
    }
    info.l3_end = static_cast<std::uint16_t>(off + total);
    const std::uint16_t frag = load_be16(&f[off + 6]);
    const bool more_fragments = (frag & 0x2000) != 0;
    const std::uint16_t frag_offset = frag & 0x1FFF;
    info.fragment = more_fragments || frag_offset != 0;
    info.first_fragment = frag_offset == 0;
    info.l4_proto = f[off + 9];
    parse_l4(f, info, off + ihl);
}

void parse_ipv6(std::span<const std::uint8_t> f, PacketInfo& info, std::size_t off) {
    if (off + kIpv6Header > f.size() || (f[off] >> 4) != 6)
        return;
    info.l3 = L3Kind::kIpv6;
    info.l3_offset = static_cast<std::uint16_t>(off);
    std::size_t end = off + kIpv6Header + load_be16(&f[off + 4]);
    if (end > f.size()) {
        info.l3_truncated = true;
        end = f.size();
    }
    info.l3_end = static_cast<std::uint16_t>(end);
    std::uint8_t next = f[off + 6];
    std::size_t pos = off + kIpv6Header;
    info.first_fragment = true;
    // Walk the extension headers (bounded: a frame cannot hold more than a few dozen).
    for (int guard = 0; guard < 16; ++guard) {
        if (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
            if (pos + 8 > end)
                return;
            const std::size_t len = (std::size_t{f[pos + 1]} + 1) * 8;
            next = f[pos];
            pos += len;
        } else if (next == 44) {  // fragment
            if (pos + 8 > end)
                return;
            const std::uint16_t frag = load_be16(&f[pos + 2]);
            info.fragment = true;
            info.first_fragment = (frag & 0xFFF8) == 0;
            next = f[pos];
            pos += 8;
        } else if (next == 51) {  // authentication header
            if (pos + 8 > end)
                return;
            const std::size_t len = (std::size_t{f[pos + 1]} + 2) * 4;
            next = f[pos];
            pos += len;
        } else {
            break;
        }
        info.ipv6_extensions = true;
        if (pos > end)
            return;
    }
    info.l3_length = static_cast<std::uint16_t>(pos - off);
    info.l4_proto = next;
    parse_l4(f, info, pos);
}

}  // namespace

PacketInfo parse_packet_general(std::span<const std::uint8_t> f) {
    PacketInfo info;
    if (f.size() < kEthernetHeader) {
        info.l2_length = static_cast<std::uint16_t>(f.size());
        return info;
    }
    std::size_t off = 12;
    std::uint16_t type = load_be16(&f[off]);
    while ((type == kEtherTypeVlan || type == kEtherTypeQinQ) && info.vlan_count < 2 && off + 6 <= f.size()) {
        ++info.vlan_count;
        off += 4;
        type = load_be16(&f[off]);
    }
    off += 2;
    info.l2_length = static_cast<std::uint16_t>(off);
    if (type == kEtherTypeIpv4)
        parse_ipv4(f, info, off);
    else if (type == kEtherTypeIpv6)
        parse_ipv6(f, info, off);
    return info;
}

// The one's-complement sum is the same whatever order the 16-bit words are added in and
// whichever byte order they are read in, up to one byte swap of the folded result (RFC 1071,
// section 2): so the bytes are read as native 32-bit words, four chains at a time, into 64-bit
// sums that cannot overflow (a frame is far shorter than 2^32 words), and the folded sum is
// swapped to big-endian order once at the end.
std::uint64_t checksum_add(std::uint64_t sum, const std::uint8_t* data, std::size_t len) {
    std::uint64_t a = 0, b = 0, c = 0, d = 0;
    auto word = [](const std::uint8_t* p) {
        std::uint32_t w;
        std::memcpy(&w, p, sizeof(w));
        return std::uint64_t{w};
    };
    for (; len >= 16; data += 16, len -= 16) {
        a += word(data);
        b += word(data + 4);
        c += word(data + 8);
        d += word(data + 12);
    }
    for (; len >= 4; data += 4, len -= 4)
        a += word(data);
    std::uint64_t native = a + b + c + d;  // each below 2^48: no carry lost
    if (len >= 2) {
        std::uint16_t h;
        std::memcpy(&h, data, sizeof(h));
        native += h;
        data += 2;
        len -= 2;
    }
    if (len != 0) {
        // An odd last byte is the high byte of a big-endian word padded with zero.
        if constexpr (std::endian::native == std::endian::little)
            native += data[0];
        else
            native += std::uint64_t{data[0]} << 8;
    }
    std::uint16_t folded = checksum_fold(native);
    if constexpr (std::endian::native == std::endian::little)
        folded = static_cast<std::uint16_t>(folded << 8 | folded >> 8);
    return sum + folded;
}

std::uint16_t checksum_fold(std::uint64_t sum) {
    sum = (sum & 0xFFFFFFFF) + (sum >> 32);  // at most 33 bits
    sum = (sum & 0xFFFF) + (sum >> 16);      // at most 18 bits
    sum = (sum & 0xFFFF) + (sum >> 16);      // at most 17 bits
    sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

std::uint64_t pseudo_header_sum(const std::uint8_t* frame, const PacketInfo& info, std::uint32_t l4_bytes) {
    std::uint64_t sum = 0;
    if (info.l3 == L3Kind::kIpv4)
        sum = checksum_add(sum, frame + info.l3_offset + 12, 8);  // source and destination
    else
        sum = checksum_add(sum, frame + info.l3_offset + 8, 32);
    sum += info.l4_proto;
    sum += l4_bytes & 0xFFFF;
    sum += l4_bytes >> 16;
    return sum;
}

bool ipv4_header_checksum_ok(const std::uint8_t* frame, const PacketInfo& info) {
    return checksum_fold(checksum_add(0, frame + info.l3_offset, info.l3_length)) == 0xFFFF;
}

void ipv4_header_checksum_fill(std::uint8_t* frame, const PacketInfo& info) {
    std::uint8_t* ip = frame + info.l3_offset;
    store_be16(ip + 10, 0);
    store_be16(ip + 10, static_cast<std::uint16_t>(~checksum_fold(checksum_add(0, ip, info.l3_length))));
}

bool l4_checksum_ok(const std::uint8_t* frame, const PacketInfo& info) {
    const std::uint32_t l4_bytes = info.l3_end - info.l4_offset;
    const std::uint8_t* l4 = frame + info.l4_offset;
    if (info.l4_proto == ip_proto::kUdp && info.l3 == L3Kind::kIpv4 && load_be16(l4 + 6) == 0)
        return true;  // IPv4 UDP without checksum
    const std::uint64_t sum = checksum_add(pseudo_header_sum(frame, info, l4_bytes), l4, l4_bytes);
    return checksum_fold(sum) == 0xFFFF;
}

void l4_checksum_fill_full(std::uint8_t* frame, const PacketInfo& info) {
    const std::uint32_t l4_bytes = info.l3_end - info.l4_offset;
    std::uint8_t* l4 = frame + info.l4_offset;
    std::uint8_t* field = l4 + l4_checksum_field(info.l4_proto);
    store_be16(field, 0);
    std::uint16_t csum = static_cast<std::uint16_t>(
        ~checksum_fold(checksum_add(pseudo_header_sum(frame, info, l4_bytes), l4, l4_bytes)));
    if (csum == 0 && info.l4_proto == ip_proto::kUdp)
        csum = 0xFFFF;  // 0 means "no checksum" for UDP
    store_be16(field, csum);
}

void l4_checksum_fill_partial(std::uint8_t* frame, const PacketInfo& info) {
    const std::uint32_t l4_bytes = info.l3_end - info.l4_offset;
    std::uint8_t* l4 = frame + info.l4_offset;
    std::uint8_t* field = l4 + l4_checksum_field(info.l4_proto);
    std::uint16_t csum = static_cast<std::uint16_t>(~checksum_fold(checksum_add(0, l4, l4_bytes)));
    if (csum == 0 && info.l4_proto == ip_proto::kUdp)
        csum = 0xFFFF;
    store_be16(field, csum);
}

}  // namespace ena::sim::detail
