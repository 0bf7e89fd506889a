#include "pci_bar_mapping.hpp"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace ena::ng {
namespace {

constexpr const char* kMapsPath = "/proc/self/maps";
constexpr const char* kPatPath = "/sys/kernel/debug/x86/pat_memtype_list";

std::string read_text(const char* path) {
    std::ifstream in(path);
    if (!in)
        return {};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string hex(std::uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof(text), "0x%" PRIx64, v);
    return text;
}

}  // namespace

BarMappingFinding bar_mapping_from_maps(std::string_view maps, std::uintptr_t address, unsigned bar) {
    const std::string uncached_name = "/resource" + std::to_string(bar);
    const std::string wc_name = uncached_name + "_wc";
    std::istringstream lines{std::string(maps)};
    for (std::string line; std::getline(lines, line);) {
        unsigned long long start = 0, end = 0;
        int path_at = -1;
        // start-end perms offset dev inode [path]
        if (std::sscanf(line.c_str(), "%llx-%llx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2 ||
            address < start || address >= end)
            continue;
        const std::string_view path =
            path_at >= 0 && static_cast<std::size_t>(path_at) <= line.size() ? std::string_view(line).substr(path_at) : "";
        if (ends_with(path, wc_name))
            return {LlqMapping::kWriteCombined, "EAL mapped " + std::string(path)};
        if (ends_with(path, uncached_name))
            return {LlqMapping::kUncached, "EAL mapped " + std::string(path) + ", not " + wc_name.substr(1)};
        return {LlqMapping::kUnknown, path.empty() ? std::string("an anonymous mapping") : "a mapping of " + std::string(path)};
    }
    return {LlqMapping::kUnknown, "no mapping at " + hex(address)};
}

BarMappingFinding bar_mapping_from_pat(std::string_view pat, std::uint64_t phys, std::uint64_t size) {
    std::istringstream lines{std::string(pat)};
    bool uncached = false;
    std::string type_seen;
    for (std::string line; std::getline(lines, line);) {
        unsigned long long start = 0, end = 0;
        char type[32] = {};
        // "PAT: [mem 0x<start>-0x<end>] <type>", end exclusive
        if (std::sscanf(line.c_str(), "PAT: [mem %llx-%llx] %31s", &start, &end, type) != 3 || end <= phys ||
            start >= phys + size)
            continue;
        const std::string_view t = type;
        if (t == "write-combining")
            return {LlqMapping::kWriteCombined, "PAT records " + hex(start) + "-" + hex(end) + " write-combining"};
        type_seen = type;
        uncached = uncached || t == "uncached-minus" || t == "uncached";
    }
    if (uncached)
        return {LlqMapping::kUncached, "PAT records BAR " + hex(phys) + " " + type_seen};
    return {LlqMapping::kUnknown, "no PAT entry for BAR " + hex(phys)};
}

BarMappingFinding find_bar_mapping(const void* address, std::uint64_t phys, std::uint64_t size, unsigned bar) {
    BarMappingFinding by_file = bar_mapping_from_maps(read_text(kMapsPath), reinterpret_cast<std::uintptr_t>(address), bar);
    if (by_file.mapping != LlqMapping::kUnknown)
        return by_file;
    const std::string pat = read_text(kPatPath);
    if (pat.empty())
        return {LlqMapping::kUnknown, by_file.evidence + ", and no PAT record to read (mount debugfs: " + kPatPath + ")"};
    BarMappingFinding by_pat = bar_mapping_from_pat(pat, phys, size);
    by_pat.evidence = by_file.evidence + "; " + by_pat.evidence;
    return by_pat;
}

}  // namespace ena::ng
