// Whether a PCI BAR is mapped write-combined into this process, from what the kernel shows
// rather than from guesses: the file behind the mapping in /proc/self/maps (through a UIO
// driver EAL maps sysfs resourceN_wc, or falls back to resourceN, which is uncached) and, for
// any other mapping (vfio-pci), the memory type x86 PAT recorded for the BAR's physical range
// (/sys/kernel/debug/x86/pat_memtype_list, readable by root with debugfs mounted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "control/device_resources.hpp"

namespace ena::ng {

struct BarMappingFinding {
    LlqMapping mapping = LlqMapping::kUnknown;
    std::string evidence;  // what was seen, for the log
};

// From /proc/self/maps text: the mapping containing `address`, judged by its file (resource<bar>_wc:
// write-combined; resource<bar>: uncached). kUnknown for another file or none.
BarMappingFinding bar_mapping_from_maps(std::string_view maps, std::uintptr_t address, unsigned bar);

// From pat_memtype_list text: the memory types recorded for [phys, phys + size). Write-combining
// in any entry: kWriteCombined; only uncached types: kUncached; no entry: kUnknown.
BarMappingFinding bar_mapping_from_pat(std::string_view pat, std::uint64_t phys, std::uint64_t size);

// Both sources in that order, read from this process's /proc and debugfs.
BarMappingFinding find_bar_mapping(const void* address, std::uint64_t phys, std::uint64_t size, unsigned bar);

}  // namespace ena::ng
