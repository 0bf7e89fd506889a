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

constexpr const char* kLlqPolicy = "llq_policy";
constexpr const char* kMissTxcTo = "miss_txc_to";
constexpr const char* kPollInterval = "control_path_poll_interval";
constexpr const char* kFragBypass = "enable_frag_bypass";
constexpr const char* kRssKey = "rss_key";
constexpr const char* kLargeLlqHdr = "large_llq_hdr";
constexpr const char* kNormalLlqHdr = "normal_llq_hdr";
constexpr const char* kEnableLlq = "enable_llq";

constexpr std::array<const char*, 8> kKeys = {kLlqPolicy,   kMissTxcTo,    kPollInterval, kFragBypass,
                                              kRssKey,      kLargeLlqHdr,  kNormalLlqHdr, kEnableLlq};

constexpr std::uint32_t kMaxMissTxcTo = 60;
constexpr int kMinPollMs = 500;
constexpr int kMaxPollMs = 1000;

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

int bad_value(const char* key, const char* value, const char* accepted) {
    log(g_log_init, RTE_LOG_ERR, "invalid value '%s' for devarg %s (accepted: %s)", value != nullptr ? value : "",
        key, accepted);
    return -EINVAL;
}

int parse_bool(const char* key, const char* value, bool& out) {
    const auto parsed = parse_unsigned(value);
    if (!parsed || *parsed > 1)
        return bad_value(key, value, "0 or 1");
    out = *parsed == 1;
    return 0;
}

bool contains(std::span<const char* const> keys, const char* key) {
    for (const char* k : keys)
        if (k != nullptr && std::strcmp(k, key) == 0)
            return true;
    return false;
}

std::string joined_keys() {
    std::string text;
    for (const char* key : kKeys) {
        if (!text.empty())
            text += ", ";
        text += key;
    }
    return text;
}

// What one of the old LLQ switches demands of the policy.
struct LegacyLlqSwitch {
    const char* key;
    bool value;
    bool allows(LlqPolicy policy) const {
        if (std::strcmp(key, kEnableLlq) == 0)
            return value ? policy != LlqPolicy::kOff : policy == LlqPolicy::kOff;
        if (std::strcmp(key, kLargeLlqHdr) == 0)
            return value ? policy == LlqPolicy::kWide : policy != LlqPolicy::kWide;
        return value ? policy == LlqPolicy::kNormal : policy != LlqPolicy::kNormal;  // normal_llq_hdr
    }
};

}  // namespace

std::span<const char* const> driver_arg_keys() { return kKeys; }

int parse_driver_args(const char* args, std::span<const char* const> other_keys, DriverArgs& out) {
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
    std::array<bool, kKeys.size()> seen{};

    for (unsigned i = 0; i < list->count; ++i) {
        const char* key = list->pairs[i].key;
        const char* value = list->pairs[i].value;
        if (contains(other_keys, key))
            continue;
        unsigned index = 0;
        while (index < kKeys.size() && std::strcmp(kKeys[index], key) != 0)
            ++index;
        if (index == kKeys.size()) {
            log(g_log_init, RTE_LOG_ERR, "unknown devarg '%s' (accepted: %s)", key, joined_keys().c_str());
            return -EINVAL;
        }
        if (seen[index]) {
            log(g_log_init, RTE_LOG_ERR, "devarg %s given more than once", key);
            return -EINVAL;
        }
        seen[index] = true;

        if (std::strcmp(key, kLlqPolicy) == 0) {
            const auto parsed = parse_unsigned(value);
            if (!parsed || *parsed > 3)
                return bad_value(key, value,
                                 "0 = LLQ off, 1 = device recommendation, 2 = 128-byte entries, 3 = 256-byte entries");
            policy = static_cast<LlqPolicy>(*parsed);
        } else if (std::strcmp(key, kMissTxcTo) == 0) {
            const auto parsed = parse_unsigned(value);
            if (!parsed || *parsed > kMaxMissTxcTo)
                return bad_value(key, value, "0 (check disabled) to 60 seconds");
            out.missing_tx_completion_timeout_s = static_cast<std::uint32_t>(*parsed);
        } else if (std::strcmp(key, kPollInterval) == 0) {
            const auto parsed = parse_unsigned(value);
            if (!parsed || (*parsed != 0 && (*parsed < kMinPollMs || *parsed > kMaxPollMs)))
                return bad_value(key, value, "0 (interrupt mode) or 500-1000 milliseconds");
            out.control_path_poll_interval_ms = static_cast<int>(*parsed);
        } else if (std::strcmp(key, kFragBypass) == 0) {
            const int rc = parse_bool(key, value, out.enable_frag_bypass);
            if (rc != 0)
                return rc;
        } else if (std::strcmp(key, kRssKey) == 0) {
            if (value != nullptr && std::strcmp(value, "default") == 0)
                out.random_rss_key = false;
            else if (value != nullptr && std::strcmp(value, "random") == 0)
                out.random_rss_key = true;
            else
                return bad_value(key, value, "default (the documented fixed key), random");
        } else {  // large_llq_hdr, normal_llq_hdr, enable_llq
            bool on = false;
            const int rc = parse_bool(key, value, on);
            if (rc != 0)
                return rc;
            legacy[legacy_count++] = LegacyLlqSwitch{kKeys[index], on};
        }
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
                return conflict(legacy[i].key, legacy[i].value, kLlqPolicy, static_cast<int>(*policy));
    } else {
        constexpr std::array<LlqPolicy, 4> kPolicies = {LlqPolicy::kDeviceRecommendation, LlqPolicy::kOff,
                                                        LlqPolicy::kNormal, LlqPolicy::kWide};
        for (unsigned i = 0; i < legacy_count; ++i)
            for (unsigned j = i + 1; j < legacy_count; ++j) {
                bool compatible = false;
                for (const LlqPolicy p : kPolicies)
                    compatible = compatible || (legacy[i].allows(p) && legacy[j].allows(p));
                if (!compatible)
                    return conflict(legacy[j].key, legacy[j].value, legacy[i].key, legacy[i].value ? 1 : 0);
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
