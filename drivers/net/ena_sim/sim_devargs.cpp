#include "sim_devargs.hpp"

#include <rte_ether.h>
#include <rte_kvargs.h>
#include <sched.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "ena_ng_port.hpp"
#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

constexpr std::array<const char*, 9> kKeys = {"mac",  "queues", "llq",        "mtu",         "link",
                                              "wire", "engine", "engine_cpu", "llq_tx_burst"};
constexpr unsigned kWireKey = 5;
static_assert(std::string_view(kKeys[kWireKey]) == "wire");

constexpr unsigned kMaxQueues = 128;
constexpr unsigned kMinMtu = 128;
constexpr unsigned kMaxMtu = 9216;

std::optional<unsigned> parse_number(const char* text) {
    if (text == nullptr || *text == '\0' || std::strlen(text) > 9)
        return std::nullopt;
    unsigned value = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9')
            return std::nullopt;
        value = value * 10 + static_cast<unsigned>(*p - '0');
    }
    return value;
}

int bad_value(const char* device, const char* key, const char* value, const char* accepted) {
    sim_log(RTE_LOG_ERR, "%s: invalid value '%s' for devarg %s (accepted: %s)", device, value != nullptr ? value : "",
            key, accepted);
    return -EINVAL;
}

std::string accepted_keys() {
    std::string text;
    for (const char* key : kKeys) {
        if (!text.empty())
            text += ", ";
        text += key;
    }
    text += "; driver keys: ";
    bool first = true;
    for (const char* key : ena::ng::driver_arg_keys()) {
        if (!first)
            text += ", ";
        text += key;
        first = false;
    }
    return text;
}

int parse_one(const char* device, const char* key, const char* value, SimArgs& out) {
    DeviceConfig& config = out.config;
    if (std::strcmp(key, "mac") == 0) {
        rte_ether_addr mac{};
        if (value == nullptr || rte_ether_unformat_addr(value, &mac) != 0 || !rte_is_valid_assigned_ether_addr(&mac))
            return bad_value(device, key, value, "a unicast MAC address xx:xx:xx:xx:xx:xx");
        std::memcpy(config.mac.data(), mac.addr_bytes, config.mac.size());
        out.mac_given = true;
    } else if (std::strcmp(key, "queues") == 0) {
        const auto n = parse_number(value);
        if (!n || *n < 1 || *n > kMaxQueues)
            return bad_value(device, key, value, "1-128 queue pairs");
        config.max_io_queues = static_cast<std::uint16_t>(*n);
    } else if (std::strcmp(key, "llq") == 0) {
        if (value != nullptr && std::strcmp(value, "none") == 0)
            config.llq = LlqOffer::kNone;
        else if (value != nullptr && std::strcmp(value, "normal") == 0)
            config.llq = LlqOffer::kNormal;
        else if (value != nullptr && std::strcmp(value, "wide") == 0)
            config.llq = LlqOffer::kWide;
        else
            return bad_value(device, key, value, "none, normal, wide");
    } else if (std::strcmp(key, "mtu") == 0) {
        const auto n = parse_number(value);
        if (!n || *n < kMinMtu || *n > kMaxMtu)
            return bad_value(device, key, value, "128-9216 (the device's maximum MTU)");
        config.max_mtu = *n;
    } else if (std::strcmp(key, "link") == 0) {
        if (value != nullptr && std::strcmp(value, "up") == 0)
            config.link_up = true;
        else if (value != nullptr && std::strcmp(value, "down") == 0)
            config.link_up = false;
        else
            return bad_value(device, key, value, "up, down");
    } else if (std::strcmp(key, "wire") == 0) {
        std::string spec = value != nullptr ? value : "";
        // Specs with commas come bracketed: wire=[pcap:rx=a.pcap,tx=b.pcap].
        if (spec.size() >= 2 && spec.front() == '[' && spec.back() == ']')
            spec = spec.substr(1, spec.size() - 2);
        if (spec.empty())
            return bad_value(device, key, value, "loopback, vpc:NAME, tap:IFNAME, [pcap:rx=FILE,tx=FILE]");
        out.wire = spec;
    } else if (std::strcmp(key, "engine") == 0) {
        if (value != nullptr && std::strcmp(value, "threaded") == 0)
            out.mode = EngineMode::kThreaded;
        else if (value != nullptr && std::strcmp(value, "sync") == 0)
            out.mode = EngineMode::kSynchronous;
        else if (value != nullptr && std::strcmp(value, "deferred") == 0)
            out.mode = EngineMode::kDeferred;
        else
            return bad_value(device, key, value, "threaded, sync, deferred");
    } else if (std::strcmp(key, "engine_cpu") == 0) {
        const auto n = parse_number(value);
        if (!n || *n >= CPU_SETSIZE)
            return bad_value(device, key, value, "a CPU number");
        out.engine_cpu = static_cast<int>(*n);
    } else {  // llq_tx_burst
        const auto n = parse_number(value);
        if (!n || *n > 0xFFFF)
            return bad_value(device, key, value, "0 (no limit) to 65535 bytes of LLQ entries per doorbell");
        config.llq_max_tx_burst_bytes = static_cast<std::uint16_t>(*n);
    }
    return 0;
}

// The devargs split at top-level commas (a comma inside [...] belongs to the value): the
// values of every wire=... item, and the other items joined again as they were.
struct WireSplit {
    std::vector<std::string> wires;
    std::string rest;
};

WireSplit split_off_wire(std::string_view args) {
    constexpr std::string_view kWire = "wire=";
    WireSplit split;
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i <= args.size(); ++i) {
        const char c = i < args.size() ? args[i] : ',';
        if (c == '[')
            ++depth;
        else if (c == ']' && depth > 0)
            --depth;
        else if (c == ',' && (depth == 0 || i == args.size())) {
            const std::string_view item = args.substr(start, i - start);
            if (item.substr(0, kWire.size()) == kWire) {
                split.wires.emplace_back(item.substr(kWire.size()));
            } else if (!item.empty()) {
                if (!split.rest.empty())
                    split.rest += ',';
                split.rest += item;
            }
            start = i + 1;
            depth = 0;
        }
    }
    return split;
}

}  // namespace

std::span<const char* const> sim_arg_keys() { return kKeys; }

int parse_sim_args(const char* device, const char* args, SimArgs& out) {
    out = SimArgs{};
    out.config.name = device;
    if (args == nullptr || *args == '\0')
        return 0;
    std::array<bool, kKeys.size()> seen{};
    const WireSplit split = split_off_wire(args);
    if (split.wires.size() > 1) {
        sim_log(RTE_LOG_ERR, "%s: devarg wire given more than once", device);
        return -EINVAL;
    }
    if (!split.wires.empty()) {
        const int rc = parse_one(device, "wire", split.wires[0].c_str(), out);
        if (rc != 0)
            return rc;
        seen[kWireKey] = true;
    }
    out.driver_args = split.rest;
    if (split.rest.empty())
        return 0;
    rte_kvargs* list = rte_kvargs_parse(split.rest.c_str(), nullptr);
    if (list == nullptr) {
        sim_log(RTE_LOG_ERR, "%s: cannot parse devargs '%s' (expected key=value pairs separated by commas)", device,
                args);
        return -EINVAL;
    }
    struct Guard {
        rte_kvargs* list;
        ~Guard() { rte_kvargs_free(list); }
    } guard{list};

    for (unsigned i = 0; i < list->count; ++i) {
        const char* key = list->pairs[i].key;
        unsigned index = 0;
        while (index < kKeys.size() && std::strcmp(kKeys[index], key) != 0)
            ++index;
        if (index == kKeys.size()) {
            bool driver_key = false;
            for (const char* k : ena::ng::driver_arg_keys())
                driver_key = driver_key || std::strcmp(k, key) == 0;
            if (driver_key)
                continue;  // the driver parses it
            sim_log(RTE_LOG_ERR, "%s: unknown devarg '%s' (accepted: %s)", device, key, accepted_keys().c_str());
            return -EINVAL;
        }
        if (seen[index]) {
            sim_log(RTE_LOG_ERR, "%s: devarg %s given more than once", device, key);
            return -EINVAL;
        }
        seen[index] = true;
        const int rc = parse_one(device, key, list->pairs[i].value, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

}  // namespace ena::sim::glue
