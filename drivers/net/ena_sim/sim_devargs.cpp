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

std::optional<std::uint64_t> parse_u64(const char* text, std::uint64_t max) {
    if (text == nullptr || *text == '\0' || std::strlen(text) > 19)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9')
            return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(*p - '0');
    }
    if (value > max)
        return std::nullopt;
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

// The Nitro numbers: a range per key, as kSimDevargs says.
int parse_nitro_number(const char* device, SimDevarg devarg, const char* value, NitroConfig& nitro) {
    struct Range {
        std::uint64_t min, max;
    };
    Range range{0, 0};
    switch (devarg) {
        case SimDevarg::kPps:
            range = {0, 1'000'000'000};
            break;
        case SimDevarg::kBwOutMbps:
        case SimDevarg::kBwInMbps:
        case SimDevarg::kLinklocalPps:
            range = {0, 1'000'000};
            break;
        case SimDevarg::kShapingBurstMs:
            range = {1, 1000};
            break;
        case SimDevarg::kShapingQueue:
            range = {0, 65536};
            break;
        case SimDevarg::kConntrackMax:
            range = {0, 4194304};
            break;
        case SimDevarg::kSrdFlows:
            range = {1, 1048576};
            break;
        default:
            return bad_value(device, devarg, value);
    }
    const auto n = parse_u64(value, range.max);
    if (!n || *n < range.min)
        return bad_value(device, devarg, value);
    const auto v32 = static_cast<std::uint32_t>(*n);
    switch (devarg) {
        case SimDevarg::kPps:
            nitro.pps = *n;
            break;
        case SimDevarg::kBwOutMbps:
            nitro.bw_out_mbps = v32;
            break;
        case SimDevarg::kBwInMbps:
            nitro.bw_in_mbps = v32;
            break;
        case SimDevarg::kLinklocalPps:
            nitro.linklocal_pps = v32;
            break;
        case SimDevarg::kShapingBurstMs:
            nitro.burst_ms = v32;
            break;
        case SimDevarg::kShapingQueue:
            nitro.shaping_queue = v32;
            break;
        case SimDevarg::kConntrackMax:
            nitro.conntrack_max = v32;
            break;
        case SimDevarg::kSrdFlows:
            nitro.srd_flows = v32;
            break;
        default:
            break;
    }
    return 0;
}

int parse_timeout(const char* device, SimDevarg devarg, const char* value, ConntrackTimeouts& t) {
    const auto n = parse_u64(value, 432000);
    if (!n || *n < 1)
        return bad_value(device, devarg, value);
    const auto seconds = static_cast<std::uint32_t>(*n);
    switch (devarg) {
        case SimDevarg::kConntrackTcpEstablishedTimeout:
            t.tcp_established = seconds;
            break;
        case SimDevarg::kConntrackTcpTransitoryTimeout:
            t.tcp_transitory = seconds;
            break;
        case SimDevarg::kConntrackTcpClosedTimeout:
            t.tcp_closed = seconds;
            break;
        case SimDevarg::kConntrackUdpTimeout:
            t.udp = seconds;
            break;
        case SimDevarg::kConntrackUdpStreamTimeout:
            t.udp_stream = seconds;
            break;
        case SimDevarg::kConntrackIcmpTimeout:
            t.icmp = seconds;
            break;
        case SimDevarg::kConntrackOtherTimeout:
            t.other = seconds;
            break;
        default:
            return bad_value(device, devarg, value);
    }
    return 0;
}

// faults=KIND[:ARG]@MS[xCOUNT] or faults=[item,item,...] (rte_kvargs keeps the commas inside
// the brackets in the value).
int parse_faults(const char* device, const char* value, std::vector<ScheduledFault>& out) {
    std::string_view list = value != nullptr ? value : "";
    if (list.size() >= 2 && list.front() == '[' && list.back() == ']')
        list = list.substr(1, list.size() - 2);
    if (list.empty())
        return bad_value(device, SimDevarg::kFaults, value, "no fault given");
    auto number = [](std::string_view text, std::uint64_t max) -> std::optional<std::uint64_t> {
        return parse_u64(std::string(text).c_str(), max);
    };
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        const std::string shown(item);
        const std::size_t at = item.find('@');
        if (at == std::string_view::npos)
            return bad_value(device, SimDevarg::kFaults, value, "'" + shown + "' has no @MS (when after the start)");
        std::string_view kind = item.substr(0, at);
        std::string_view when = item.substr(at + 1);
        std::optional<std::string_view> arg;
        if (const std::size_t colon = kind.find(':'); colon != std::string_view::npos) {
            arg = kind.substr(colon + 1);
            kind = kind.substr(0, colon);
        }
        const std::optional<Fault> fault = fault_by_name(kind);
        if (!fault)
            return bad_value(device, SimDevarg::kFaults, value, "unknown fault kind '" + std::string(kind) + "'");
        std::uint32_t param = kFaultDefaultParam;
        if (arg) {
            std::optional<std::uint64_t> n;
            if (*fault == Fault::kLinkFlap) {
                n = number(*arg, kMaxLinkFlapMs);
                if (n && *n == 0)
                    n.reset();
            } else if (*fault == Fault::kTxQueueStall) {
                n = number(*arg, kMaxQueues - 1);
            } else {
                return bad_value(device, SimDevarg::kFaults, value,
                                 std::string(kind) + " takes no :ARG (only link_flap and tx_queue_stall do)");
            }
            if (!n)
                return bad_value(device, SimDevarg::kFaults, value,
                                 "bad :ARG '" + std::string(*arg) + "' for " + std::string(kind) +
                                     (*fault == Fault::kLinkFlap ? " (1-60000 ms down)" : " (a Tx queue index)"));
            param = static_cast<std::uint32_t>(*n);
        }
        std::uint32_t count = default_fault_count(*fault);
        if (const std::size_t x = when.find('x'); x != std::string_view::npos) {
            const auto n = number(when.substr(x + 1), kFaultUntilReset - 1);
            if (!n || *n == 0)
                return bad_value(device, SimDevarg::kFaults, value,
                                 "bad count '" + std::string(when.substr(x + 1)) + "' in '" + shown + "'");
            count = static_cast<std::uint32_t>(*n);
            when = when.substr(0, x);
        }
        const auto delay = number(when, kMaxFaultDelayMs);
        if (!delay)
            return bad_value(device, SimDevarg::kFaults, value,
                             "bad time '" + std::string(when) + "' in '" + shown + "' (milliseconds)");
        out.push_back(ScheduledFault{*fault, *delay, count, param});
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return 0;
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
            if (out.instance != nullptr && *n > out.instance->max_queues)
                return bad_value(device, devarg, value,
                                 std::string(out.instance->name) + " has at most " +
                                     std::to_string(out.instance->max_queues) + " ENA queues per interface");
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
            if (is("auto"))
                out.mode.reset();
            else if (is("inline"))
                out.mode = EngineMode::kInline;
            else if (is("threaded"))
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
        case SimDevarg::kIntrDelayResolution: {
            const auto n = parse_number(value);
            if (!n || *n > 1000)
                return bad_value(device, devarg, value);
            config.intr_delay_resolution_us = static_cast<std::uint16_t>(*n);
            break;
        }
        case SimDevarg::kInstance: {
            const InstanceProfile* profile = value != nullptr ? find_instance_profile(value) : nullptr;
            if (profile == nullptr)
                return bad_value(device, devarg, value);
            apply_instance_profile(*profile, config);
            out.instance = profile;
            break;
        }
        case SimDevarg::kPps:
        case SimDevarg::kBwOutMbps:
        case SimDevarg::kBwInMbps:
        case SimDevarg::kShapingBurstMs:
        case SimDevarg::kShapingQueue:
        case SimDevarg::kConntrackMax:
        case SimDevarg::kLinklocalPps:
        case SimDevarg::kSrdFlows:
            return parse_nitro_number(device, devarg, value, config.nitro);
        case SimDevarg::kConntrackTcpEstablishedTimeout:
        case SimDevarg::kConntrackTcpTransitoryTimeout:
        case SimDevarg::kConntrackTcpClosedTimeout:
        case SimDevarg::kConntrackUdpTimeout:
        case SimDevarg::kConntrackUdpStreamTimeout:
        case SimDevarg::kConntrackIcmpTimeout:
        case SimDevarg::kConntrackOtherTimeout:
            return parse_timeout(device, devarg, value, config.nitro.conntrack_timeouts);
        case SimDevarg::kSrd:
            if (is("off"))
                config.nitro.srd = SrdMode::kOff;
            else if (is("on"))
                config.nitro.srd = SrdMode::kOn;
            else if (is("on_udp"))
                config.nitro.srd = SrdMode::kOnUdp;
            else
                return bad_value(device, devarg, value);
            break;
        case SimDevarg::kFaults:
            return parse_faults(device, value, out.faults);
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

const char* list_value(const rte_kvargs* list, SimDevarg devarg) {
    for (unsigned i = 0; i < list->count; ++i)
        if (spec(devarg).key == list->pairs[i].key)
            return list->pairs[i].value;
    return nullptr;
}

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

    // Two passes: an instance profile first, so that every single devarg overrides its value
    // wherever it stands in the list.
    for (const bool profile_pass : {true, false}) {
        for (unsigned i = 0; i < list->count; ++i) {
            const char* key = list->pairs[i].key;
            unsigned index = 0;
            while (index < kSimDevargs.size() && kSimDevargs[index].key != key)
                ++index;
            const bool is_instance = index == static_cast<unsigned>(SimDevarg::kInstance);
            if (profile_pass != is_instance)
                continue;
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
    }
    // A stalled Tx queue must be one the device can have (queues= may come after faults=).
    for (const ScheduledFault& f : out.faults)
        if (f.fault == Fault::kTxQueueStall && f.param != kFaultDefaultParam && f.param >= out.config.max_io_queues)
            return bad_value(device, SimDevarg::kFaults, list_value(list, SimDevarg::kFaults),
                             "Tx queue " + std::to_string(f.param) + " is past the device's " +
                                 std::to_string(out.config.max_io_queues) + " queues");
    return 0;
}

}  // namespace ena::sim::glue
