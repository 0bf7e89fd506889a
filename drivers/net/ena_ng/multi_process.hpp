// Multi-process support: a secondary process reads the shared port directly (statistics,
// snapshots, queue configuration); what needs the device -- admin commands -- it asks of the
// primary over DPDK's IPC (rte_mp), as the upstream PMD does.
#pragma once

#include <cstdint>

namespace ena::ng {

// Primary: answer the requests below. Called when the process makes its first port; safe to
// call again. A process without IPC (--no-shconf, --in-memory) simply gets no requests.
void mp_serve_secondaries();

// Secondary: ask the primary to read the device-side counters of `port_id` now / to reset the
// statistics (baselines are in shared memory). Return 0 or -errno (-ETIMEDOUT after a second).
int mp_refresh_device_counters(std::uint16_t port_id);
int mp_reset_statistics(std::uint16_t port_id);

}  // namespace ena::ng
