// The threads that run simulated devices, and which engine a device runs when its devargs do
// not say.
//
// Threaded devices share the one engine thread of the process, as one Nitro card serves several
// ENIs; inline devices do their datapath work in the application's threads and share the one
// time thread of the process (a Timekeeper) for what only time makes due. Each thread is a DPDK
// control thread, started with its first device and stopped with its last.
#pragma once

#include <string>

#include "ena_sim_device.hpp"

namespace ena::sim::glue {

inline constexpr int kEngineCpuControl = -1;

// Adds `device` to the engine, starting the engine thread if it is the first one. The thread
// runs on DPDK's control-thread CPUs (those of the process that are not lcores, or without
// any, the main lcore's), or on CPU `cpu` when cpu >= 0 (only the first device's choice counts
// while the thread runs). Returns 0 or -errno.
int engine_attach(Device& device, int cpu);
// Removes `device`; the thread stops (and is joined) when no device is left.
void engine_detach(Device& device);

// The same for the time thread of inline devices (on the control-thread CPUs).
int timekeeper_attach(Device& device);
void timekeeper_detach(Device& device);

// The engine for a device whose devargs name none: inline when every CPU the process may use is
// a DPDK lcore (the application's threads spin on all of them, so an engine thread would have
// to take its CPU from one), threaded when a CPU is left over. `reason` says which CPUs made
// the choice, for the log. Decided once per process, after rte_eal_init has set up the lcores.
struct EngineChoice {
    EngineMode mode;
    std::string reason;
};
const EngineChoice& default_engine();

}  // namespace ena::sim::glue
