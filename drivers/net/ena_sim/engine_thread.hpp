// The one engine thread of the process: it runs every threaded simulated device, as one Nitro
// card serves several ENIs. Started with the first threaded device, stopped with the last.
#pragma once

#include "ena_sim_device.hpp"

namespace ena::sim::glue {

inline constexpr int kEngineCpuMainLcore = -1;

// Adds `device` to the engine, starting the engine thread if it is the first one. The thread is
// a DPDK control thread pinned to the main lcore's CPUs, or to CPU `cpu` when cpu >= 0 (only
// the first device's choice counts while the thread runs). Returns 0 or -errno.
int engine_attach(Device& device, int cpu);
// Removes `device`; the thread stops (and is joined) when no device is left.
void engine_detach(Device& device);

}  // namespace ena::sim::glue
