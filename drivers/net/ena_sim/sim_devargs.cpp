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

#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

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

int bad_value(const char* device, SimDevarg devarg, const char* value, const std::string& why = {}) {
    const ng::DevargSpec& d = spec(devarg);
    sim_log(RTE_LOG_ERR, "%s: invalid value '%s' for devarg %.*s%s%s (accepted: %.*s)", device,
            value != nullptr ? value : "", static_cast<int>(d.key.size()), d.key.data(), why.empty() ? "" : ": ",
            why.c_str(), static_cast<int>(d.accepted.size()), d.accepted.data());
    return -EINVAL;
}

std::string accepted_keys() {
    std::string text;
    for (const ng::DevargSpec& d : kSimDevargs) {
        if (!text.empty())
            text += ", ";
        text += d.key;
    }
    text += "; driver keys: ";
    bool first = true;
    for (const ng::DevargSpec& d : ng::kDriverDevargs) {
        if (!first)
            text += ", ";
        text += d.key;
        first = false;
    }
    return text;
}

// A CPU this process may run on (the engine thread is pinned there).
bool usable_cpu(unsigned cpu, std::string& why) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
        why = std::string("cannot read this process's CPUs: ") + std::strerror(errno);
        return false;
    }
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
        why = "no such CPU for this process (" + std::to_string(CPU_COUNT(&allowed)) + " usable)";
        return false;
    }
    return true;
}

int parse_one(const char* device, SimDevarg devarg, const char* value, SimArgs& out) {
    DeviceConfig& config = out.config;
    auto is = [&](const char* text) { return value != nullptr && std::strcmp(value, text) == 0; };
    switch (devarg) {
        case SimDevarg::kMac: {
            rte_ether_addr mac{};
            if (value == nullptr || rte_ether_unformat_addr(value, &mac) != 0 || !rte_is_valid_assigned_ether_addr(&mac))
                return bad_value(device, devarg, value);
            std::memcpy(config.mac.data(), mac.addr_bytes, config.mac.size());
            out.mac_given = true;
            break;
        }
        case SimDevarg::kQueues: {
            const auto n = parse_number(value);
            if (!n || *n < 1 || *n > kMaxQueues)
                return bad_value(device, devarg, value);
            config.max_io_queues = static_cast<std::uint16_t>(*n);
            break;
        }
        case SimDevarg::kLlq:
            if (is("none"))
                config.llq = LlqOffer::kNone;
            else if (is("normal"))
                config.llq = LlqOffer::kNormal;
            else if (is("wide"))
                config.llq = LlqOffer::kWide;
            else
                return bad_value(device, devarg, value);
            break;
        case SimDevarg::kMtu: {
            const auto n = parse_number(value);
            if (!n || *n < kMinMtu || *n > kMaxMtu)
                return bad_value(device, devarg, value);
            config.max_mtu = *n;
            break;
        }
        case SimDevarg::kLink:
            if (is("up"))
                config.link_up = true;
            else if (is("down"))
                config.link_up = false;
            else
                return bad_value(device, devarg, value);
            break;
        case SimDevarg::kWire: {
            std::string wire = value != nullptr ? value : "";
            // Specs with commas come bracketed: wire=[pcap:rx=a.pcap,tx=b.pcap].
            if (wire.size() >= 2 && wire.front() == '[' && wire.back() == ']')
                wire = wire.substr(1, wire.size() - 2);
            if (wire.empty())
                return bad_value(device, devarg, value);
            out.wire = wire;
            break;
        }
        case SimDevarg::kEngine:
            if (is("threaded"))
                out.mode = EngineMode::kThreaded;
            else if (is("sync"))
                out.mode = EngineMode::kSynchronous;
            else if (is("deferred"))
                out.mode = EngineMode::kDeferred;
            else
                return bad_value(device, devarg, value);
            break;
        case SimDevarg::kEngineCpu: {
            const auto n = parse_number(value);
            std::string why;
            if (!n)
                return bad_value(device, devarg, value);
            if (!usable_cpu(*n, why))
                return bad_value(device, devarg, value, why);
            out.engine_cpu = static_cast<int>(*n);
            break;
        }
        case SimDevarg::kLlqTxBurst: {
            const auto n = parse_number(value);
            if (!n || *n > 0xFFFF)
                return bad_value(device, devarg, value);
            config.llq_max_tx_burst_bytes = static_cast<std::uint16_t>(*n);
            break;
        }
        case SimDevarg::kCount:
            break;
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

int parse_sim_args(const char* device, const char* args, SimArgs& out) {
    out = SimArgs{};
    out.config.name = device;
    if (args == nullptr || *args == '\0')
        return 0;
    std::array<bool, kSimDevargs.size()> seen{};
    const WireSplit split = split_off_wire(args);
    if (split.wires.size() > 1) {
        sim_log(RTE_LOG_ERR, "%s: devarg wire given more than once", device);
        return -EINVAL;
    }
    if (!split.wires.empty()) {
        const int rc = parse_one(device, SimDevarg::kWire, split.wires[0].c_str(), out);
        if (rc != 0)
            return rc;
        seen[static_cast<std::size_t>(SimDevarg::kWire)] = true;
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
        while (index < kSimDevargs.size() && kSimDevargs[index].key != key)
            ++index;
        if (index == kSimDevargs.size()) {
            if (ng::is_driver_devarg(key))
                continue;  // the driver parses it
            sim_log(RTE_LOG_ERR, "%s: unknown devarg '%s' (accepted: %s)", device, key, accepted_keys().c_str());
            return -EINVAL;
        }
        if (seen[index]) {
            sim_log(RTE_LOG_ERR, "%s: devarg %s given more than once", device, key);
            return -EINVAL;
        }
        seen[index] = true;
        const int rc = parse_one(device, static_cast<SimDevarg>(index), list->pairs[i].value, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

}  // namespace ena::sim::glue
