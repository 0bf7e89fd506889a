// ENA hardware interface: bit-field helpers and the 48-bit DMA address type.
// Header-only, no DPDK dependency; shared by the driver and the simulated device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ena::hw {

// A bit range [Shift, Shift + Width) inside an unsigned word. Hardware structures keep plain
// integer words (their layout is the contract) and name their bit ranges with Field aliases.
template <typename Word, unsigned Shift, unsigned Width>
struct Field {
    static_assert(std::is_unsigned_v<Word>);
    static_assert(Width > 0 && Shift + Width <= sizeof(Word) * 8);
    static constexpr Word kMask = static_cast<Word>(
        (Width == sizeof(Word) * 8 ? ~Word{0} : static_cast<Word>((Word{1} << Width) - 1)) << Shift);
    static constexpr unsigned kShift = Shift;
    static constexpr unsigned kWidth = Width;

    static constexpr Word get(Word word) { return static_cast<Word>((word & kMask) >> Shift); }
    static constexpr Word make(std::uint64_t value) {
        return static_cast<Word>((static_cast<Word>(value) << Shift) & kMask);
    }
    static constexpr Word set(Word word, std::uint64_t value) {
        return static_cast<Word>((word & ~kMask) | make(value));
    }
};

template <typename Word, unsigned Bit>
using Flag = Field<Word, Bit, 1>;

// Every address the device reads or writes is 48 bits wide, split into a low word and a high
// half-word; the top 16 bits must be zero.
struct DmaAddress {
    std::uint32_t low;
    std::uint16_t high;
    std::uint16_t reserved_mbz;

    static constexpr std::uint64_t kMax = (std::uint64_t{1} << 48) - 1;

    constexpr std::uint64_t get() const { return (std::uint64_t{high} << 32) | low; }
    // Returns false when the address does not fit in 48 bits (the caller must not submit it).
    constexpr bool set(std::uint64_t address) {
        low = static_cast<std::uint32_t>(address);
        high = static_cast<std::uint16_t>(address >> 32);
        reserved_mbz = 0;
        return address <= kMax;
    }
};
static_assert(sizeof(DmaAddress) == 8);
static_assert(offsetof(DmaAddress, high) == 4);

// ENA specification version the interface below describes (reported in host info).
inline constexpr std::uint16_t kSpecVersionMajor = 2;
inline constexpr std::uint16_t kSpecVersionMinor = 0;

}  // namespace ena::hw
