// The arithmetic of `show port allowance`, apart from ethdev so that it is tested alone
// (allowance_test.cpp): which ENI allowance counters there are, their rates between two
// samples, and the diagnosis -- which limit is hit, with the EC2 ENA user guide's advice.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ena::testpmd {

struct AllowanceInfo {
    const char* name;      // the xstat name (the driver's, after the ENA driver's metric name)
    bool gauge;            // a level (room left), not a count of packets
    const char* limit;     // the limit it reports, as the diagnosis names it
    const char* guidance;  // the user guide's advice when the limit is hit
};

inline constexpr std::size_t kAllowanceCount = 6;
extern const std::array<AllowanceInfo, kAllowanceCount> kAllowances;

// One reading of the counters; a name the device does not report stays absent.
struct AllowanceSample {
    std::array<std::uint64_t, kAllowanceCount> values{};
    std::array<bool, kAllowanceCount> present{};
    std::uint64_t ns = 0;  // when it was taken; 0: never

    // Keeps value when name is an allowance counter.
    void record(std::string_view name, std::uint64_t value);
};

struct AllowanceRow {
    const AllowanceInfo* info;
    bool present;
    std::uint64_t total;
    double per_second;  // counters: packets/s; the gauge: change of the level per second
};

struct AllowanceReport {
    std::array<AllowanceRow, kAllowanceCount> rows{};
    double elapsed_s = 0;
    bool have_before = false;
    bool any_missing = false;
    bool counter_went_back = false;  // cleared or device reset: its rate is counted from 0
    std::string diagnosis;           // one line
};

// `since` names the earlier sample in the diagnosis ("since port start", ...).
AllowanceReport build_allowance_report(const AllowanceSample& before, const AllowanceSample& now, const char* since);

}  // namespace ena::testpmd
