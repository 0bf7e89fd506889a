// Test frames: Ethernet/IPv4/IPv6 with UDP or TCP, or a raw experimental EtherType, with a
// deterministic payload; and mbuf chains built from them.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <vector>

namespace ena::test {

enum class FrameKind { kRaw, kUdp4, kTcp4, kTcp6, kUdp6 };

struct FrameSpec {
    FrameKind kind = FrameKind::kUdp4;
    std::size_t size = 64;  // whole frame without FCS; grown to hold the headers
    std::uint16_t src_port = 1000;
    std::uint16_t dst_port = 2000;
    std::uint32_t src_ip4 = 0xc6120001;  // 198.18.0.1
    std::uint32_t dst_ip4 = 0xc6120002;  // 198.18.0.2
    std::uint8_t seed = 1;               // payload pattern
    std::uint8_t tcp_options = 0;        // extra TCP header bytes (multiple of 4)
};

// A frame with correct IP and L4 checksums.
std::vector<std::uint8_t> make_frame(const FrameSpec& spec);

// Header lengths of a frame made by make_frame.
struct HeaderLengths {
    std::uint16_t l2 = 14, l3 = 0, l4 = 0;
};
HeaderLengths header_lengths(const FrameSpec& spec);

// Copies `bytes` into a chain of `segments` mbufs from `pool`: the first holds at least
// `first_min` bytes, the rest is split about evenly.
rte_mbuf* make_chain(rte_mempool* pool, const std::vector<std::uint8_t>& bytes, unsigned segments,
                     std::size_t first_min = 0);

// The packet's bytes, whatever its segmentation.
std::vector<std::uint8_t> packet_bytes(const rte_mbuf* m);

// Zeroes the IPv4 header checksum and the L4 checksum (for offload tests).
void clear_checksums(std::vector<std::uint8_t>& frame, const FrameSpec& spec);

// Checks a frame's IPv4 header checksum and TCP/UDP checksum.
bool checksums_valid(const std::vector<std::uint8_t>& frame);

}  // namespace ena::test
