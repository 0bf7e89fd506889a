#include "devargs.hpp"

#include <rte_kvargs.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "log.hpp"

namespace ena::ng {

namespace {

constexpr std::uint32_t kMaxMissTxcTo = 60;
constexpr int kMinPollMs = 500;
constexpr int kMaxPollMs = 1000;
constexpr unsigned kMinStatsIntervalMs = 10;
constexpr unsigned kMaxStatsIntervalMs = 60000;
constexpr unsigned kMinWatchdogIntervalMs = 100;
constexpr unsigned kMaxWatchdogIntervalMs = 10000;
constexpr unsigned kMaxRxIntrDelayUs = 10000;

// Decimal digits only: "", "-1", "1x" and "0x10" are not numbers here.
std::optional<std::uint64_t> parse_unsigned(const char* text) {
    if (text == nullptr || *text == '\0' || std::strlen(text) > 9)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9')
            return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(*p - '0');
    }
    return value;
}

int bad_value(DriverDevarg devarg, const char* value) {
    log(g_log_init, RTE_LOG_ERR, "invalid value '%s' for devarg %.*s (accepted: %.*s)", value != nullptr ? value : "",
        static_cast<int>(spec(devarg).key.size()), spec(devarg).key.data(), static_cast<int>(spec(devarg).accepted.size()),
        spec(devarg).accepted.data());
    return -EINVAL;
}

int parse_bool(DriverDevarg devarg, const char* value, bool& out) {
    const auto parsed = parse_unsigned(value);
    if (!parsed || *parsed > 1)
        return bad_value(devarg, value);
    out = *parsed == 1;
    return 0;
}

bool contains(std::span<const DevargSpec> keys, std::string_view key) {
    for (const DevargSpec& d : keys)
        if (d.key == key)
            return true;
    return false;
}

std::string joined_keys() {
    std::string text;
    for (const DevargSpec& d : kDriverDevargs) {
        if (!text.empty())
            text += ", ";
        text += d.key;
    }
    return text;
}

// What one of the old LLQ switches demands of the policy.
struct LegacyLlqSwitch {
    DriverDevarg devarg;
    bool value;
    bool allows(LlqPolicy policy) const {
        if (devarg == DriverDevarg::kEnableLlq)
            return value ? policy != LlqPolicy::kOff : policy == LlqPolicy::kOff;
        if (devarg == DriverDevarg::kLargeLlqHdr)
            return value ? policy == LlqPolicy::kWide : policy != LlqPolicy::kWide;
        return value ? policy == LlqPolicy::kNormal : policy != LlqPolicy::kNormal;  // normal_llq_hdr
    }
    const char* key() const { return spec(devarg).key.data(); }
};

}  // namespace

bool is_driver_devarg(std::string_view key) { return contains(kDriverDevargs, key); }

int parse_driver_args(const char* args, std::span<const DevargSpec> other_keys, DriverArgs& out) {
    out = DriverArgs{};
    if (args == nullptr || *args == '\0')
        return 0;
    rte_kvargs* list = rte_kvargs_parse(args, nullptr);
    if (list == nullptr) {
        log(g_log_init, RTE_LOG_ERR, "cannot parse devargs '%s' (expected key=value pairs separated by commas)", args);
        return -EINVAL;
    }
    struct Guard {
        rte_kvargs* list;
        ~Guard() { rte_kvargs_free(list); }
    } guard{list};

    std::optional<LlqPolicy> policy;
    std::array<LegacyLlqSwitch, 3> legacy{};
    unsigned legacy_count = 0;
    std::array<bool, kDriverDevargs.size()> seen{};

    for (unsigned i = 0; i < list->count; ++i) {
        const char* key = list->pairs[i].key;
        const char* value = list->pairs[i].value;
        if (contains(other_keys, key))
            continue;
        unsigned index = 0;
        while (index < kDriverDevargs.size() && kDriverDevargs[index].key != key)
            ++index;
        if (index == kDriverDevargs.size()) {
            log(g_log_init, RTE_LOG_ERR, "unknown devarg '%s' (accepted: %s)", key, joined_keys().c_str());
            return -EINVAL;
        }
        if (seen[index]) {
            log(g_log_init, RTE_LOG_ERR, "devarg %s given more than once", key);
            return -EINVAL;
        }
        seen[index] = true;

        const auto devarg = static_cast<DriverDevarg>(index);
        int rc = 0;
        switch (devarg) {
            case DriverDevarg::kLlqPolicy: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || *parsed > 3)
                    return bad_value(devarg, value);
                policy = static_cast<LlqPolicy>(*parsed);
                break;
            }
            case DriverDevarg::kMissTxcTo: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || *parsed > kMaxMissTxcTo)
                    return bad_value(devarg, value);
                out.missing_tx_completion_timeout_s = static_cast<std::uint32_t>(*parsed);
                break;
            }
            case DriverDevarg::kControlPathPollInterval: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || (*parsed != 0 && (*parsed < kMinPollMs || *parsed > kMaxPollMs)))
                    return bad_value(devarg, value);
                out.control_path_poll_interval_ms = static_cast<int>(*parsed);
                break;
            }
            case DriverDevarg::kEnableFragBypass:
                rc = parse_bool(devarg, value, out.enable_frag_bypass);
                break;
            case DriverDevarg::kRssKey:
                if (value != nullptr && std::strcmp(value, "default") == 0)
                    out.random_rss_key = false;
                else if (value != nullptr && std::strcmp(value, "random") == 0)
                    out.random_rss_key = true;
                else
                    return bad_value(devarg, value);
                break;
            case DriverDevarg::kStatsInterval: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || (*parsed != 0 && (*parsed < kMinStatsIntervalMs || *parsed > kMaxStatsIntervalMs)))
                    return bad_value(devarg, value);
                out.stats_interval_ms = static_cast<unsigned>(*parsed);
                break;
            }
            case DriverDevarg::kWatchdogInterval: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || (*parsed != 0 && (*parsed < kMinWatchdogIntervalMs || *parsed > kMaxWatchdogIntervalMs)))
                    return bad_value(devarg, value);
                out.watchdog_interval_ms = static_cast<unsigned>(*parsed);
                break;
            }
            case DriverDevarg::kAutoRecover:
                rc = parse_bool(devarg, value, out.auto_recover);
                break;
            case DriverDevarg::kRxIntrDelay: {
                const auto parsed = parse_unsigned(value);
                if (!parsed || *parsed > kMaxRxIntrDelayUs)
                    return bad_value(devarg, value);
                out.rx_intr_delay_us = static_cast<unsigned>(*parsed);
                break;
            }
            case DriverDevarg::kRxPath: {
                const std::string_view v = value != nullptr ? value : "";
                if (v == "auto")
                    out.rx_path = datapath::RxPathRequest::kAuto;
                else if (v == "scalar")
                    out.rx_path = datapath::RxPathRequest::kScalar;
                else if (v == "sse4.1")
                    out.rx_path = datapath::RxPathRequest::kSse41;
                else if (v == "avx2")
                    out.rx_path = datapath::RxPathRequest::kAvx2;
                else
                    return bad_value(devarg, value);
                break;
            }
            case DriverDevarg::kLargeLlqHdr:
            case DriverDevarg::kNormalLlqHdr:
            case DriverDevarg::kEnableLlq: {
                bool on = false;
                rc = parse_bool(devarg, value, on);
                legacy[legacy_count++] = LegacyLlqSwitch{devarg, on};
                break;
            }
            case DriverDevarg::kCount:
                break;
        }
        if (rc != 0)
            return rc;
    }

    // The old switches are constraints on the policy: with llq_policy they must agree with it,
    // without it they must agree with each other and pick the policy.
    auto conflict = [](const char* key, bool value, const char* other, int other_value) {
        log(g_log_init, RTE_LOG_ERR,
            "devarg %s=%d contradicts %s=%d (or use llq_policy=<0|1|2|3> alone: 0 LLQ off, 1 device "
            "recommendation, 2 128-byte entries, 3 256-byte entries)",
            key, value ? 1 : 0, other, other_value);
        return -EINVAL;
    };
    if (policy) {
        for (unsigned i = 0; i < legacy_count; ++i)
            if (!legacy[i].allows(*policy))
                return conflict(legacy[i].key(), legacy[i].value, spec(DriverDevarg::kLlqPolicy).key.data(),
                                static_cast<int>(*policy));
    } else {
        constexpr std::array<LlqPolicy, 4> kPolicies = {LlqPolicy::kDeviceRecommendation, LlqPolicy::kOff,
                                                        LlqPolicy::kNormal, LlqPolicy::kWide};
        for (unsigned i = 0; i < legacy_count; ++i)
            for (unsigned j = i + 1; j < legacy_count; ++j) {
                bool compatible = false;
                for (const LlqPolicy p : kPolicies)
                    compatible = compatible || (legacy[i].allows(p) && legacy[j].allows(p));
                if (!compatible)
                    return conflict(legacy[j].key(), legacy[j].value, legacy[i].key(), legacy[i].value ? 1 : 0);
            }
        // Pairwise agreement is enough for these switches; take the first policy all allow.
        for (const LlqPolicy p : kPolicies) {
            bool allowed = true;
            for (unsigned i = 0; i < legacy_count; ++i)
                allowed = allowed && legacy[i].allows(p);
            if (allowed) {
                policy = p;
                break;
            }
        }
    }
    out.llq_policy = *policy;
    return 0;
}

}  // namespace ena::ng
