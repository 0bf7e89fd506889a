#include "allowance.hpp"

#include <cstdio>

namespace ena::testpmd {

// The ENI allowance metrics of the EC2 ENA user guide ("Metrics for the ENA driver"), in the
// order the guide's `ethtool -S` listing shows them.
const std::array<AllowanceInfo, kAllowanceCount> kAllowances = {{
    {"bw_in_allowance_exceeded", false, "inbound bandwidth",
     "the instance's aggregate inbound bandwidth maximum is reached: pace bursts (micro-bursts exceed "
     "the allowance even when the average does not), or move to an instance size with more bandwidth"},
    {"bw_out_allowance_exceeded", false, "outbound bandwidth",
     "the instance's aggregate outbound bandwidth maximum is reached: pace Tx bursts (e.g. with a "
     "scheduler such as Linux Traffic Control), or move to an instance size with more bandwidth"},
    {"pps_allowance_exceeded", false, "packets per second",
     "the instance's bidirectional PPS maximum is reached: use larger packets, spread the load over "
     "more flows (100 or more on 100 Gbps instances), use untracked connections; egress fragments "
     "are limited to 1024 PPS unless fragment proxy mode is enabled"},
    {"conntrack_allowance_exceeded", false, "connections tracked",
     "the security group connection-tracking maximum is reached and new connections are dropped: "
     "use untracked connections, shorten idle connection-tracking timeouts, or move to a larger "
     "instance size"},
    {"linklocal_allowance_exceeded", false, "link-local services PPS",
     "the per-ENI PPS maximum to the Amazon DNS service, the Instance Metadata Service and the Amazon "
     "Time Sync Service is reached: send fewer requests to them (cache answers; custom DNS resolvers "
     "are not subject to this limit)"},
    {"conntrack_allowance_available", true, "connections tracked",
     "no room is left for new tracked connections: the connection-tracking maximum is about to drop "
     "new connections"},
}};

void AllowanceSample::record(std::string_view name, std::uint64_t value) {
    for (std::size_t a = 0; a < kAllowanceCount; ++a) {
        if (name == kAllowances[a].name) {
            values[a] = value;
            present[a] = true;
        }
    }
}

AllowanceReport build_allowance_report(const AllowanceSample& before, const AllowanceSample& now, const char* since) {
    AllowanceReport report;
    report.have_before = before.ns != 0 && now.ns >= before.ns;
    const double elapsed = report.have_before ? static_cast<double>(now.ns - before.ns) / 1e9 : 0;
    report.elapsed_s = elapsed;
    std::string hit;
    for (std::size_t a = 0; a < kAllowanceCount; ++a) {
        const AllowanceInfo& info = kAllowances[a];
        AllowanceRow& row = report.rows[a];
        row = {&info, now.present[a], now.values[a], 0};
        if (!row.present) {
            report.any_missing = true;
            continue;
        }
        const bool comparable = report.have_before && before.present[a] && elapsed > 0;
        if (comparable) {
            const double from = static_cast<double>(before.values[a]);
            const double to = static_cast<double>(row.total);
            if (!info.gauge && row.total < before.values[a]) {
                report.counter_went_back = true;
                row.per_second = to / elapsed;
            } else {
                row.per_second = (to - from) / elapsed;
            }
        }
        if (info.gauge && row.total == 0) {
            hit += hit.empty() ? "" : "; ";
            hit += std::string(info.limit) + " allowance exhausted (" + info.name + " is 0): " + info.guidance;
        } else if (!info.gauge && row.per_second > 0) {
            char head[160];
            std::snprintf(head, sizeof(head), "%s allowance exceeded (%s, %.0f packets/s): ", info.limit, info.name,
                          row.per_second);
            hit += hit.empty() ? "" : "; ";
            hit += head;
            hit += info.guidance;
        }
    }
    if (!hit.empty())
        report.diagnosis = hit;
    else if (!report.have_before)
        report.diagnosis = "no earlier sample to compare with; show again to get rates";
    else
        report.diagnosis = std::string("no allowance exceeded ") + since + ": traffic is within the instance's limits" +
                           (report.any_missing ? " (for the counters this device reports)" : "");
    return report;
}

}  // namespace ena::testpmd
