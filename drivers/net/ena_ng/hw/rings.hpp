// ENA hardware interface: positions in the rings that the driver and the device share (admin
// queue and its completions, AENQ, IO submission and completion queues, LLQ entries).
//
// Both sides count entries with free-running counters. Ring depths are powers of two that
// divide 2^16, so a 16-bit counter names the same slot and phase as a wider one.
#pragma once

#include <bit>
#include <cstdint>

namespace ena::hw {

constexpr std::uint32_t ring_slot(std::uint32_t counter, std::uint32_t depth) { return counter & (depth - 1); }

// The phase bit carried by the entries of one lap: 1 on the first lap after the ring is
// created, flipped at every wrap. A reader owns an entry whose phase matches its own counter's.
constexpr std::uint32_t ring_phase(std::uint32_t counter, std::uint32_t depth) { return (counter & depth) == 0 ? 1u : 0u; }

static_assert(ring_phase(0, 8) == 1 && ring_phase(7, 8) == 1 && ring_phase(8, 8) == 0 && ring_phase(16, 8) == 1);
static_assert(ring_phase(0xFFFF, 1024) == 0 && ring_phase(0x10000, 1024) == 1);  // 16-bit wrap keeps the rule
static_assert(ring_slot(1029, 1024) == 5);

// What every ring depth must be.
constexpr bool valid_ring_depth(std::uint32_t depth) { return std::has_single_bit(depth) && depth <= 0x8000; }

}  // namespace ena::hw
