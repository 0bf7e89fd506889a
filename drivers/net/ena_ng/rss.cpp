// RSS: Toeplitz key, hashed fields and the device-sized indirection table. The driver keeps the
// configuration (the device forgets it on every reset) and pushes it at dev_start, and at once
// when the application changes it on a started port.
#include <rte_eal.h>
#include <rte_random.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "log.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

// Which requested hash types cover each packet class the device tells apart: types that hash
// the L3 addresses of the class, and types that hash its L4 ports as well.
struct ClassRule {
    hw::RssProto proto;
    std::uint64_t l3_types;
    std::uint64_t l4_types;
};
constexpr ClassRule kClassRules[] = {
    {hw::RssProto::kTcp4, RTE_ETH_RSS_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_TCP},
    {hw::RssProto::kUdp4, RTE_ETH_RSS_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_UDP},
    {hw::RssProto::kIp4, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER, 0},
    {hw::RssProto::kIp4Frag, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4, 0},
    {hw::RssProto::kTcp6, RTE_ETH_RSS_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_TCP},
    {hw::RssProto::kUdp6, RTE_ETH_RSS_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_UDP},
    {hw::RssProto::kIp6, RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER, 0},
    {hw::RssProto::kTcp6Ex, RTE_ETH_RSS_IPV6_EX, RTE_ETH_RSS_IPV6_TCP_EX},
    {hw::RssProto::kIp6Ex, RTE_ETH_RSS_IPV6_EX, 0},
};

hw::RssHashControl hash_control_for(std::uint64_t rss_hf) {
    using namespace hw::rss_field;
    std::uint16_t l3 = kL3Sa | kL3Da;
    if ((rss_hf & (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY)) == RTE_ETH_RSS_L3_SRC_ONLY)
        l3 = kL3Sa;
    else if ((rss_hf & (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY)) == RTE_ETH_RSS_L3_DST_ONLY)
        l3 = kL3Da;
    std::uint16_t l4 = kL4Sp | kL4Dp;
    if ((rss_hf & (RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY)) == RTE_ETH_RSS_L4_SRC_ONLY)
        l4 = kL4Sp;
    else if ((rss_hf & (RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY)) == RTE_ETH_RSS_L4_DST_ONLY)
        l4 = kL4Dp;
    hw::RssHashControl control{};
    for (const ClassRule& rule : kClassRules) {
        std::uint16_t& fields = control.selected[static_cast<unsigned>(rule.proto)].fields;
        if (rss_hf & rule.l4_types)
            fields = static_cast<std::uint16_t>(l3 | l4);
        else if (rss_hf & rule.l3_types)
            fields = l3;
    }
    if (rss_hf & RTE_ETH_RSS_L2_PAYLOAD)
        control.selected[static_cast<unsigned>(hw::RssProto::kNotIp)].fields = kL2Da | kL2Sa;
    return control;
}

}  // namespace

void Port::init_rss_state() {
    if (args_.random_rss_key) {
        for (std::uint8_t& byte : rss_key_)
            byte = static_cast<std::uint8_t>(rte_rand());
    } else {
        rss_key_ = kDefaultRssKey;
    }
    rss_hf_ = 0;
    rss_nothing_warned_ = false;
    reta_.fill(0);
}

// dev_configure: take the application's key and hash types; spread the table round-robin over
// the configured Rx queues.
int Port::configure_rss() {
    const rte_eth_dev_data* data = data_;
    const rte_eth_rss_conf& conf = data->dev_conf.rx_adv_conf.rss_conf;
    const bool rss = data->dev_conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
    if (rss && conf.rss_key != nullptr) {
        if (conf.rss_key_len != hw::kRssKeySize) {
            log(g_log_driver, RTE_LOG_ERR, "%s: RSS key of %u bytes (accepted: %u)", resources().name, conf.rss_key_len,
                hw::kRssKeySize);
            return -EINVAL;
        }
        std::memcpy(rss_key_.data(), conf.rss_key, hw::kRssKeySize);
    }
    // Without RSS every frame goes to queue 0, but the device still hashes flows so that the
    // RSS hash offload stays meaningful.
    rss_hf_ = rss ? conf.rss_hf & kRssHashTypes : kRssDefaultHashTypes;
    if (rss)
        warn_if_rss_hashes_nothing(rss_hf_);
    const std::uint16_t queues = std::max<std::uint16_t>(data->nb_rx_queues, 1);
    for (std::size_t i = 0; i < reta_.size(); ++i)
        reta_[i] = rss ? static_cast<std::uint16_t>(i % queues) : 0;
    return 0;
}

void Port::warn_if_rss_hashes_nothing(std::uint64_t rss_hf) {
    if ((rss_hf & (kRssDefaultHashTypes | RTE_ETH_RSS_L2_PAYLOAD)) != 0 || data_->nb_rx_queues < 2 ||
        rss_nothing_warned_)
        return;
    rss_nothing_warned_ = true;
    log(g_log_driver, RTE_LOG_WARNING,
        "%s: RSS over %u Rx queues with no hash type (rss_hf 0x%" PRIx64 "): every frame lands on queue 0; the device "
        "hashes 0x%" PRIx64 " (e.g. RTE_ETH_RSS_IP, RTE_ETH_RSS_TCP, RTE_ETH_RSS_UDP)",
        resources().name, data_->nb_rx_queues, rss_hf, kRssHashTypes);
}

int Port::apply_rss_table() {
    const std::uint16_t size = rss_table_size();
    std::uint16_t table[kMaxRssTableSize];
    for (std::uint16_t i = 0; i < size; ++i) {
        const RxQueue* rx = rx_queue(reta_[i]);
        if (rx == nullptr || !rx->started())
            return -EINVAL;
        // Upstream drivers, and so EC2 devices, take the Rx SQ index in this field.
        table[i] = rx->io.sq_index;
    }
    return device_.set_rss_indirection_table(std::span<const std::uint16_t>(table, size));
}

int Port::apply_rss() {
    if (rss_table_size() == 0 || data_->nb_rx_queues == 0)
        return 0;
    const DeviceFeatures& features = device_.features();
    const char* name = resources().name;
    int rc = 0;
    const std::uint32_t toeplitz = 1u << static_cast<unsigned>(hw::HashFunction::kToeplitz);
    if (features.supports(hw::FeatureId::kRssHashFunction) && (features.rss_hash_functions & toeplitz) != 0) {
        rc = device_.set_rss_hash_function(hw::HashFunction::kToeplitz, rss_key_, 0);
        if (rc != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: device refused the RSS key: %d", name, rc);
            return rc;
        }
    }
    if (features.rss_hash_input) {
        rc = device_.set_rss_hash_input(hash_control_for(rss_hf_));
        if (rc != 0) {
            log(g_log_driver, RTE_LOG_ERR, "%s: device refused RSS hash types 0x%" PRIx64 ": %d", name, rss_hf_, rc);
            return rc;
        }
    }
    rc = apply_rss_table();
    if (rc != 0)
        log(g_log_driver, RTE_LOG_ERR, "%s: cannot set the RSS indirection table: %d", name, rc);
    return rc;
}

int Port::reta_update(const rte_eth_rss_reta_entry64* conf, std::uint16_t size) {
    const std::uint16_t table_size = rss_table_size();
    if (size != table_size || table_size == 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS table of %u entries given (accepted: %u)", resources().name, size,
            table_size);
        return -EINVAL;
    }
    auto updated = reta_;
    for (std::uint16_t i = 0; i < size; ++i) {
        const rte_eth_rss_reta_entry64& group = conf[i / RTE_ETH_RETA_GROUP_SIZE];
        const unsigned shift = i % RTE_ETH_RETA_GROUP_SIZE;
        if ((group.mask >> shift) & 1) {
            if (group.reta[shift] >= data_->nb_rx_queues) {
                log(g_log_driver, RTE_LOG_ERR, "%s: RSS table entry %u names Rx queue %u (accepted: 0-%u)",
                    resources().name, i, group.reta[shift], data_->nb_rx_queues - 1);
                return -EINVAL;
            }
            updated[i] = group.reta[shift];
        }
    }
    const auto previous = reta_;
    reta_ = updated;
    if (data_->dev_started == 0)
        return 0;
    const int rc = apply_rss_table();
    if (rc != 0)
        reta_ = previous;
    return rc;
}

int Port::reta_query(rte_eth_rss_reta_entry64* conf, std::uint16_t size) {
    const std::uint16_t table_size = rss_table_size();
    if (size != table_size || table_size == 0) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS table of %u entries asked for (it has %u)", resources().name, size,
            table_size);
        return -EINVAL;
    }
    auto table = reta_;
    if (data_->dev_started != 0 && rte_eal_process_type() == RTE_PROC_PRIMARY) {
        // Report what the device steers by, not what the driver meant to set.
        std::uint16_t device_table[kMaxRssTableSize];
        const int rc = device_.get_rss_indirection_table(std::span<std::uint16_t>(device_table, table_size));
        if (rc != 0)
            return rc;
        for (std::uint16_t i = 0; i < table_size; ++i) {
            std::uint16_t q = 0;
            while (q < data_->nb_rx_queues && rx_queue(q)->io.sq_index != device_table[i])
                ++q;
            if (q == data_->nb_rx_queues)
                return -EIO;  // the device steers to a queue this port does not have
            table[i] = q;
        }
    }
    for (std::uint16_t i = 0; i < size; ++i) {
        rte_eth_rss_reta_entry64& group = conf[i / RTE_ETH_RETA_GROUP_SIZE];
        const unsigned shift = i % RTE_ETH_RETA_GROUP_SIZE;
        if ((group.mask >> shift) & 1)
            group.reta[shift] = table[i];
    }
    return 0;
}

int Port::rss_hash_update(const rte_eth_rss_conf* conf) {
    if (rss_table_size() == 0)
        return -ENOTSUP;
    if (conf->rss_hf & ~kRssHashTypes) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS hash types 0x%" PRIx64 " not supported (accepted: 0x%" PRIx64 ")",
            resources().name, conf->rss_hf & ~kRssHashTypes, kRssHashTypes);
        return -EINVAL;
    }
    if (conf->rss_key != nullptr && conf->rss_key_len != hw::kRssKeySize) {
        log(g_log_driver, RTE_LOG_ERR, "%s: RSS key of %u bytes (accepted: %u)", resources().name, conf->rss_key_len,
            hw::kRssKeySize);
        return -EINVAL;
    }
    const auto previous_key = rss_key_;
    const std::uint64_t previous_hf = rss_hf_;
    if (conf->rss_key != nullptr)
        std::memcpy(rss_key_.data(), conf->rss_key, hw::kRssKeySize);
    rss_hf_ = conf->rss_hf;
    warn_if_rss_hashes_nothing(rss_hf_);
    if (data_->dev_started == 0)
        return 0;
    const int rc = apply_rss();
    if (rc != 0) {
        rss_key_ = previous_key;
        rss_hf_ = previous_hf;
    }
    return rc;
}

int Port::rss_hash_conf_get(rte_eth_rss_conf* conf) {
    if (rss_table_size() == 0)
        return -ENOTSUP;
    if (conf->rss_key != nullptr) {
        if (conf->rss_key_len < hw::kRssKeySize)
            return -EINVAL;
        auto key = rss_key_;
        const DeviceFeatures& features = device_.features();
        if (data_->dev_started != 0 && features.supports(hw::FeatureId::kRssHashFunction) &&
            rte_eal_process_type() == RTE_PROC_PRIMARY) {
            // The key the device hashes with, read back through the admin queue.
            hw::HashFunction function{};
            const int rc = device_.get_rss_hash_function(function, key);
            if (rc != 0)
                return rc;
        }
        std::memcpy(conf->rss_key, key.data(), hw::kRssKeySize);
    }
    conf->rss_key_len = hw::kRssKeySize;
    conf->rss_hf = rss_hf_;
    return 0;
}

}  // namespace ena::ng
