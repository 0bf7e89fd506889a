// Log type of the simulated device's vdev glue (pmd.net.ena_sim).
#pragma once

#include <cstdint>

#include <rte_log.h>

namespace ena::sim::glue {

extern int g_sim_log;
[[gnu::format(printf, 2, 3)]] void sim_log(std::uint32_t level, const char* format, ...);

}  // namespace ena::sim::glue
