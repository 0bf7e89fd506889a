// ENA hardware interface: the admin queue (AQ), its completion queue (ACQ), admin commands,
// features and statistics. Every admin queue entry and completion is 64 bytes.
#pragma once

#include <span>

#include "bits.hpp"

namespace ena::hw {

inline constexpr std::uint16_t kAdminQueueDepth = 32;  // what drivers use; the device accepts any power of 2
inline constexpr std::uint16_t kAdminEntrySize = 64;

enum class AdminOpcode : std::uint8_t {
    kCreateSq = 1,
    kDestroySq = 2,
    kCreateCq = 3,
    kDestroyCq = 4,
    kGetFeature = 8,
    kSetFeature = 9,
    kGetStats = 11,
};

enum class AdminStatus : std::uint8_t {
    kSuccess = 0,
    kResourceAllocationFailure = 1,
    kBadOpcode = 2,
    kUnsupportedOpcode = 3,
    kMalformedRequest = 4,
    kIllegalParameter = 5,  // details in extended_status
    kUnknownError = 6,
    kResourceBusy = 7,
};

enum class FeatureId : std::uint8_t {
    kDeviceAttributes = 1,
    kMaxQueuesNum = 2,
    kHwHints = 3,
    kLlq = 4,
    kExtraPropertiesStrings = 5,
    kExtraPropertiesFlags = 6,
    kMaxQueuesExt = 7,
    kFragBypass = 8,
    kRssHashFunction = 10,
    kStatelessOffloadConfig = 11,
    kRssIndirectionTableConfig = 12,
    kMtu = 14,
    kRssHashInput = 18,
    kInterruptModeration = 20,
    kAenqConfig = 26,
    kLinkConfig = 27,
    kHostAttrConfig = 28,
    kPhcConfig = 29,
    kHwTimestamp = 31,
};
inline constexpr unsigned kFeatureIdLimit = 32;  // supported_features is a 32-bit bitmap of FeatureId
constexpr std::uint32_t feature_bit(FeatureId id) { return std::uint32_t{1} << static_cast<unsigned>(id); }

// Device capability bit positions (DeviceAttributes::capabilities).
enum class Capability : std::uint8_t {
    kEniStats = 0,
    kEnaSrdInfo = 1,
    kCustomerMetrics = 2,
    kExtendedResetReasons = 3,
    kCdescMbz = 4,  // Rx completion must-be-zero bits are meaningful and checked
};
constexpr std::uint32_t capability_bit(Capability c) { return std::uint32_t{1} << static_cast<unsigned>(c); }

// --- Queue entries ----------------------------------------------------------------------------
struct AdminCommonDesc {
    std::uint16_t command_id;  // [11:0] command id
    std::uint8_t opcode;       // AdminOpcode
    std::uint8_t flags;
};
namespace admin_desc {
using CommandId = Field<std::uint16_t, 0, 12>;
using Phase = Flag<std::uint8_t, 0>;
using CtrlData = Flag<std::uint8_t, 1>;          // control buffer address is valid
using CtrlDataIndirect = Flag<std::uint8_t, 2>;  // set by drivers whenever they pass a control buffer
}  // namespace admin_desc
static_assert(sizeof(AdminCommonDesc) == 4);

// A buffer in host memory carrying data too large for the 64-byte entry (RSS key and table,
// customer metrics values).
struct ControlBuffer {
    std::uint32_t length;
    DmaAddress address;
};
static_assert(sizeof(ControlBuffer) == 12);

struct AdminEntry {
    AdminCommonDesc common;
    union {
        std::uint32_t inline_w1[3];
        ControlBuffer control_buffer;
    };
    std::uint32_t inline_w4[12];
};
static_assert(sizeof(AdminEntry) == kAdminEntrySize);
static_assert(offsetof(AdminEntry, control_buffer) == 4);
static_assert(offsetof(AdminEntry, inline_w4) == 16);

struct AdminCompletionCommon {
    std::uint16_t command_id;  // [11:0]
    std::uint8_t status;       // AdminStatus
    std::uint8_t flags;        // bit 0: phase
    std::uint16_t extended_status;
    std::uint16_t sq_head_index;  // AQ entry the device has consumed
};
namespace admin_completion {
using CommandId = Field<std::uint16_t, 0, 12>;
using Phase = Flag<std::uint8_t, 0>;
}  // namespace admin_completion
static_assert(sizeof(AdminCompletionCommon) == 8);

struct AdminCompletion {
    AdminCompletionCommon common;
    std::uint32_t response[14];
};
static_assert(sizeof(AdminCompletion) == kAdminEntrySize);

// --- IO queue commands ----------------------------------------------------------------------
enum class SqDirection : std::uint8_t { kTx = 1, kRx = 2 };
enum class PlacementPolicy : std::uint8_t { kHost = 1, kDevice = 3 };  // kDevice = LLQ
enum class CompletionPolicy : std::uint8_t {
    kDesc = 0,          // one completion for each descriptor marked comp_req
    kDescOnDemand = 1,
    kHeadOnDemand = 2,
    kHead = 3,
};

namespace sq_identity {
using Direction = Field<std::uint8_t, 5, 3>;
}
namespace sq_caps2 {
using Placement = Field<std::uint8_t, 0, 4>;
using Completion = Field<std::uint8_t, 4, 3>;
}  // namespace sq_caps2
namespace sq_caps3 {
using PhysicallyContiguous = Flag<std::uint8_t, 0>;
}

struct CreateSqCommand {
    AdminCommonDesc common;
    std::uint8_t sq_identity;
    std::uint8_t reserved_w1;
    std::uint8_t sq_caps_2;
    std::uint8_t sq_caps_3;
    std::uint16_t cq_index;  // the CQ must exist already
    std::uint16_t sq_depth;  // entries; power of 2
    DmaAddress sq_base;      // host placement only; drivers align it to a cache line
    DmaAddress sq_head_writeback;
    std::uint32_t reserved_w7;
    std::uint32_t reserved_w8;
};
static_assert(sizeof(CreateSqCommand) == 36);
static_assert(offsetof(CreateSqCommand, cq_index) == 8);
static_assert(offsetof(CreateSqCommand, sq_depth) == 10);
static_assert(offsetof(CreateSqCommand, sq_base) == 12);
static_assert(offsetof(CreateSqCommand, sq_head_writeback) == 20);

struct CreateSqResponse {
    AdminCompletionCommon common;
    std::uint16_t sq_index;
    std::uint16_t reserved;
    std::uint32_t sq_doorbell_offset;      // in BAR0
    std::uint32_t llq_descriptors_offset;  // in BAR2
    std::uint32_t llq_headers_offset;      // in BAR2
};
static_assert(sizeof(CreateSqResponse) == 24);
static_assert(offsetof(CreateSqResponse, sq_doorbell_offset) == 12);

struct DestroySqCommand {
    AdminCommonDesc common;
    std::uint16_t sq_index;
    std::uint8_t sq_identity;  // direction in [7:5]
    std::uint8_t reserved;
};
static_assert(sizeof(DestroySqCommand) == 8);

namespace cq_caps1 {
using InterruptMode = Flag<std::uint8_t, 5>;
}
namespace cq_caps2 {
using EntrySizeWords = Field<std::uint8_t, 0, 5>;  // 2 (8 B Tx), 4 (16 B: Rx, or Tx with timestamp), 8 (32 B Rx with timestamp)
}

struct CreateCqCommand {
    AdminCommonDesc common;
    std::uint8_t cq_caps_1;
    std::uint8_t cq_caps_2;
    std::uint16_t cq_depth;  // power of 2
    std::uint32_t msix_vector;
    DmaAddress cq_base;  // physically contiguous
};
static_assert(sizeof(CreateCqCommand) == 20);
static_assert(offsetof(CreateCqCommand, cq_depth) == 6);
static_assert(offsetof(CreateCqCommand, cq_base) == 12);

struct CreateCqResponse {
    AdminCompletionCommon common;
    std::uint16_t cq_index;
    std::uint16_t cq_actual_depth;
    std::uint32_t numa_node_register_offset;
    std::uint32_t cq_head_db_register_offset;  // 0 when the device needs no CQ head doorbell
    std::uint32_t cq_interrupt_unmask_register_offset;
};
static_assert(sizeof(CreateCqResponse) == 24);
static_assert(offsetof(CreateCqResponse, numa_node_register_offset) == 12);

struct DestroyCqCommand {
    AdminCommonDesc common;
    std::uint16_t cq_index;
    std::uint16_t reserved;
};
static_assert(sizeof(DestroyCqCommand) == 8);

// --- Statistics -------------------------------------------------------------------------------
enum class StatsType : std::uint8_t {
    kBasic = 0,
    kExtended = 1,
    kEni = 2,
    kEnaSrd = 3,
    kCustomerMetrics = 4,
};
enum class StatsScope : std::uint8_t { kSpecificQueue = 0, kEthTraffic = 1 };
inline constexpr std::uint16_t kStatsDeviceSelf = 0xFFFF;

struct GetStatsCommand {
    AdminCommonDesc common;
    union {
        std::uint32_t inline_w1[3];
        ControlBuffer control_buffer;  // customer metrics values land here
    };
    std::uint8_t type;   // StatsType
    std::uint8_t scope;  // StatsScope
    std::uint16_t reserved;
    std::uint16_t queue_index;
    std::uint16_t device_id;
    std::uint64_t requested_metrics;  // customer metrics: bitmap of CustomerMetric
};
static_assert(sizeof(GetStatsCommand) == 32);
static_assert(offsetof(GetStatsCommand, type) == 16);
static_assert(offsetof(GetStatsCommand, device_id) == 22);
static_assert(offsetof(GetStatsCommand, requested_metrics) == 24);

// 64-bit counters as low/high 32-bit halves.
struct SplitCounter {
    std::uint32_t low;
    std::uint32_t high;
    constexpr std::uint64_t get() const { return (std::uint64_t{high} << 32) | low; }
    constexpr void set(std::uint64_t v) {
        low = static_cast<std::uint32_t>(v);
        high = static_cast<std::uint32_t>(v >> 32);
    }
};
static_assert(sizeof(SplitCounter) == 8);

struct BasicStats {
    SplitCounter tx_bytes;
    SplitCounter tx_pkts;
    SplitCounter rx_bytes;
    SplitCounter rx_pkts;
    SplitCounter rx_drops;
    SplitCounter tx_drops;
    SplitCounter rx_overruns;
};
static_assert(sizeof(BasicStats) == 56);
static_assert(offsetof(BasicStats, rx_drops) == 32);
static_assert(offsetof(BasicStats, rx_overruns) == 48);

struct EniStats {
    std::uint64_t bw_in_allowance_exceeded;
    std::uint64_t bw_out_allowance_exceeded;
    std::uint64_t pps_allowance_exceeded;
    std::uint64_t conntrack_allowance_exceeded;
    std::uint64_t linklocal_allowance_exceeded;
};
static_assert(sizeof(EniStats) == 40);

namespace srd_flags {
using Enabled = Flag<std::uint64_t, 0>;
using UdpEnabled = Flag<std::uint64_t, 1>;
using UdpOrderingBypass = Flag<std::uint64_t, 2>;
}  // namespace srd_flags

struct EnaSrdInfo {
    std::uint64_t flags;  // srd_flags
    std::uint64_t tx_pkts;
    std::uint64_t eligible_tx_pkts;
    std::uint64_t rx_pkts;
    std::uint64_t resource_utilization;  // percent
};
static_assert(sizeof(EnaSrdInfo) == 40);

// Customer metric ids: bit positions in requested/reported bitmaps and the order in which
// values are written (as u64) to the control buffer.
enum class CustomerMetric : std::uint8_t {
    kBwInAllowanceExceeded = 0,
    kBwOutAllowanceExceeded = 1,
    kPpsAllowanceExceeded = 2,
    kConntrackAllowanceExceeded = 3,
    kLinklocalAllowanceExceeded = 4,
    kConntrackAllowanceAvailable = 5,
};
inline constexpr std::uint64_t kCustomerMetricsAll = 0x3F;
inline constexpr std::uint64_t kCustomerMetricsMinimum = 0x1F;

struct GetStatsResponse {
    AdminCompletionCommon common;
    union {
        std::uint64_t raw[7];
        BasicStats basic;
        EniStats eni;
        EnaSrdInfo srd;
        std::uint64_t reported_metrics;  // customer metrics
    };
};
static_assert(sizeof(GetStatsResponse) == kAdminEntrySize);
static_assert(offsetof(GetStatsResponse, basic) == 8);

// --- Get / set feature ----------------------------------------------------------------------
namespace feature_select {
using Select = Field<std::uint8_t, 0, 2>;
inline constexpr std::uint8_t kCurrent = 1;
inline constexpr std::uint8_t kDefault = 3;
}  // namespace feature_select

struct FeatureCommon {
    std::uint8_t flags;       // feature_select
    std::uint8_t feature_id;  // FeatureId
    // The driver sends the highest version it understands; the device answers with its own.
    std::uint8_t feature_version;
    std::uint8_t reserved;
};
static_assert(sizeof(FeatureCommon) == 4);

struct DeviceAttributes {
    std::uint32_t impl_id;
    std::uint32_t device_version;
    std::uint32_t supported_features;  // bitmap of FeatureId
    std::uint32_t capabilities;        // bitmap of Capability
    std::uint32_t phys_addr_width;
    std::uint32_t virt_addr_width;
    std::uint8_t mac_addr[6];  // network byte order
    std::uint8_t reserved[2];
    std::uint32_t max_mtu;  // excluding L2 header
};
static_assert(sizeof(DeviceAttributes) == 36);
static_assert(offsetof(DeviceAttributes, capabilities) == 12);
static_assert(offsetof(DeviceAttributes, mac_addr) == 24);
static_assert(offsetof(DeviceAttributes, max_mtu) == 32);

// LLQ options are bitmaps of what the device supports; the driver sets one value of each.
enum class LlqHeaderLocation : std::uint16_t { kInline = 1, kHeaderRing = 2 };
enum class LlqEntrySize : std::uint16_t { k128 = 1, k192 = 2, k256 = 4 };
enum class LlqStride : std::uint16_t { kSingleDescPerEntry = 1, kMultipleDescsPerEntry = 2 };
// desc_num_before_header values are the numbers themselves (0, 1, 2, 4, 8), used as bits.
enum class LlqAccelFlag : std::uint16_t { kDisableMetaCaching = 0, kLimitTxBurst = 1 };
inline constexpr std::uint8_t kLlqFeatureVersionRecommendsEntrySize = 1;

constexpr std::uint16_t llq_entry_size_bytes(LlqEntrySize s) {
    return s == LlqEntrySize::k128 ? 128 : s == LlqEntrySize::k192 ? 192 : 256;
}

struct LlqAccelModeGet {
    std::uint16_t supported_flags;    // bitmap of LlqAccelFlag
    std::uint16_t max_tx_burst_size;  // bytes of LLQ entries between two doorbells
};
struct LlqAccelModeSet {
    std::uint16_t enabled_flags;
    std::uint16_t reserved;
};
union LlqAccelMode {
    std::uint32_t raw[2];
    LlqAccelModeGet get;
    LlqAccelModeSet set;
};
static_assert(sizeof(LlqAccelMode) == 8);

struct LlqFeature {
    std::uint32_t max_llq_num;
    std::uint32_t max_llq_depth;
    std::uint16_t header_location_supported;
    std::uint16_t header_location_enabled;
    std::uint16_t entry_size_supported;
    std::uint16_t entry_size_enabled;
    std::uint16_t desc_num_before_header_supported;
    std::uint16_t desc_num_before_header_enabled;
    std::uint16_t stride_supported;
    std::uint16_t stride_enabled;
    std::uint8_t feature_version;
    std::uint8_t entry_size_recommended;  // LlqEntrySize; GET only, version >= 1
    std::uint16_t max_wide_llq_depth;     // Tx depth with 256-byte entries; 0 = halve max_llq_depth
    LlqAccelMode accel_mode;
};
static_assert(sizeof(LlqFeature) == 36);
static_assert(offsetof(LlqFeature, header_location_supported) == 8);
static_assert(offsetof(LlqFeature, stride_enabled) == 22);
static_assert(offsetof(LlqFeature, feature_version) == 24);
static_assert(offsetof(LlqFeature, max_wide_llq_depth) == 26);
static_assert(offsetof(LlqFeature, accel_mode) == 28);

struct MaxQueuesExt {
    std::uint8_t version;
    std::uint8_t reserved[3];
    std::uint32_t max_tx_sq_num;
    std::uint32_t max_tx_cq_num;
    std::uint32_t max_rx_sq_num;
    std::uint32_t max_rx_cq_num;
    std::uint32_t max_tx_sq_depth;
    std::uint32_t max_tx_cq_depth;
    std::uint32_t max_rx_sq_depth;
    std::uint32_t max_rx_cq_depth;
    std::uint32_t max_tx_header_size;
    std::uint16_t max_per_packet_tx_descs;  // including the meta descriptor
    std::uint16_t max_per_packet_rx_descs;
};
static_assert(sizeof(MaxQueuesExt) == 44);
static_assert(offsetof(MaxQueuesExt, max_tx_header_size) == 36);
inline constexpr std::uint8_t kMaxQueuesExtVersion = 1;

struct MaxQueues {  // legacy MAX_QUEUES_NUM
    std::uint32_t max_sq_num;
    std::uint32_t max_sq_depth;
    std::uint32_t max_cq_num;
    std::uint32_t max_cq_depth;
    std::uint32_t max_legacy_llq_num;
    std::uint32_t max_legacy_llq_depth;
    std::uint32_t max_header_size;
    std::uint16_t max_packet_tx_descs;
    std::uint16_t max_packet_rx_descs;
};
static_assert(sizeof(MaxQueues) == 32);

struct MtuFeature {
    std::uint32_t mtu;  // excluding L2 header
};

struct HostAttributes {
    DmaAddress os_info_address;  // 4 KiB HostInfo page
    DmaAddress debug_address;
    std::uint32_t debug_area_size;
};
static_assert(sizeof(HostAttributes) == 20);

struct InterruptModerationFeature {
    std::uint16_t intr_delay_resolution;  // usec per unit of a CQ unmask register's delay fields
    std::uint16_t reserved;
};
static_assert(sizeof(InterruptModerationFeature) == 4);

struct LinkFeature {
    std::uint32_t speed;      // Mbps
    std::uint32_t supported;  // bitmap of link speeds
    std::uint32_t flags;      // bit 0 autoneg, bit 1 full duplex
};
static_assert(sizeof(LinkFeature) == 12);

struct AenqConfigFeature {
    std::uint32_t supported_groups;  // bitmap of AenqGroup
    std::uint32_t enabled_groups;
};
static_assert(sizeof(AenqConfigFeature) == 8);

namespace offload_tx {
using L3CsumIpv4 = Flag<std::uint32_t, 0>;
using L4Ipv4CsumPartial = Flag<std::uint32_t, 1>;  // checksum field carries the pseudo-header sum
using L4Ipv4CsumFull = Flag<std::uint32_t, 2>;
using L4Ipv6CsumPartial = Flag<std::uint32_t, 3>;
using L4Ipv6CsumFull = Flag<std::uint32_t, 4>;
using TsoIpv4 = Flag<std::uint32_t, 5>;
using TsoIpv6 = Flag<std::uint32_t, 6>;
using TsoEcn = Flag<std::uint32_t, 7>;
}  // namespace offload_tx
namespace offload_rx {
using L3CsumIpv4 = Flag<std::uint32_t, 0>;
using L4Ipv4Csum = Flag<std::uint32_t, 1>;
using L4Ipv6Csum = Flag<std::uint32_t, 2>;
using Hash = Flag<std::uint32_t, 3>;
}  // namespace offload_rx

struct StatelessOffloadFeature {
    std::uint32_t tx;  // offload_tx
    std::uint32_t rx_supported;
    std::uint32_t rx_enabled;
};
static_assert(sizeof(StatelessOffloadFeature) == 12);

// --- RSS ----------------------------------------------------------------------------------------
enum class HashFunction : std::uint8_t { kToeplitz = 1, kCrc32 = 2 };
// supported_func / selected_func are bitmaps with bit (1 << HashFunction).

struct RssHashFunctionFeature {
    std::uint32_t supported_func;  // [7:0]
    std::uint32_t selected_func;   // [7:0]
    std::uint32_t init_val;
};
static_assert(sizeof(RssHashFunctionFeature) == 12);

inline constexpr unsigned kRssKeyWords = 10;
inline constexpr unsigned kRssKeySize = kRssKeyWords * 4;  // 40 bytes
// Control buffer of RSS_HASH_FUNCTION. The device keeps the Toeplitz key byte-reversed: byte i
// of key[] is byte (39 - i) of the key in conventional (Microsoft RSS) order.
struct RssHashKey {
    std::uint32_t key_parts;  // number of valid key words
    std::uint32_t reserved;
    std::uint32_t key[kRssKeyWords];

    // Stores a key given in conventional order.
    void set(std::span<const std::uint8_t, kRssKeySize> conventional) {
        auto* bytes = reinterpret_cast<std::uint8_t*>(key);
        for (std::size_t i = 0; i < kRssKeySize; ++i)
            bytes[i] = conventional[kRssKeySize - 1 - i];
        key_parts = kRssKeyWords;
    }
    // The key in conventional order.
    void get(std::span<std::uint8_t, kRssKeySize> conventional) const {
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(key);
        for (std::size_t i = 0; i < kRssKeySize; ++i)
            conventional[i] = bytes[kRssKeySize - 1 - i];
    }
};
static_assert(sizeof(RssHashKey) == 48);

enum class RssProto : std::uint8_t {
    kTcp4 = 0,
    kUdp4 = 1,
    kTcp6 = 2,
    kUdp6 = 3,
    kIp4 = 4,
    kIp6 = 5,
    kIp4Frag = 6,
    kNotIp = 7,
    kTcp6Ex = 8,
    kIp6Ex = 9,
};
inline constexpr unsigned kRssProtoCount = 16;
namespace rss_field {
inline constexpr std::uint16_t kL2Da = 1u << 0;
inline constexpr std::uint16_t kL2Sa = 1u << 1;
inline constexpr std::uint16_t kL3Da = 1u << 2;
inline constexpr std::uint16_t kL3Sa = 1u << 3;
inline constexpr std::uint16_t kL4Dp = 1u << 4;
inline constexpr std::uint16_t kL4Sp = 1u << 5;
}  // namespace rss_field

struct RssProtoInput {
    std::uint16_t fields;  // rss_field bits
    std::uint16_t reserved;
};
// Control buffer of RSS_HASH_INPUT.
struct RssHashControl {
    RssProtoInput supported[kRssProtoCount];
    RssProtoInput selected[kRssProtoCount];
    RssProtoInput reserved2[kRssProtoCount];
    RssProtoInput reserved3[kRssProtoCount];
};
static_assert(sizeof(RssHashControl) == 256);

namespace rss_input_sort {
using L3Sort = Flag<std::uint16_t, 1>;  // swap L3 addresses when DA < SA
using L4Sort = Flag<std::uint16_t, 2>;  // swap L4 ports when DP < SP
}  // namespace rss_input_sort

struct RssHashInputFeature {
    std::uint16_t supported_input_sort;
    std::uint16_t enabled_input_sort;
};
static_assert(sizeof(RssHashInputFeature) == 4);

struct RssIndirectionEntry {
    // Named after the CQ, but drivers (and so EC2 devices) put the Rx SQ index here.
    std::uint16_t cq_index;
    std::uint16_t reserved;
};
static_assert(sizeof(RssIndirectionEntry) == 4);

struct RssIndirectionTableFeature {
    std::uint16_t min_size;  // log2 of entries
    std::uint16_t max_size;  // log2
    std::uint16_t size;      // log2
    std::uint8_t flags;      // bit 0: one-entry update supported
    std::uint8_t reserved;
    std::uint32_t inline_index;  // 0xFFFFFFFF: whole table through the control buffer
    RssIndirectionEntry inline_entry;
};
static_assert(sizeof(RssIndirectionTableFeature) == 16);
inline constexpr std::uint32_t kRssInlineIndexNone = 0xFFFFFFFF;

// --- Hints, fragment bypass, PHC ---------------------------------------------------------------
struct HwHints {  // 0 = driver default; timeouts in ms
    std::uint16_t mmio_read_timeout;
    std::uint16_t driver_watchdog_timeout;
    std::uint16_t missing_tx_completion_timeout;
    std::uint16_t missed_tx_completion_count_threshold_to_reset;
    std::uint16_t admin_completion_tx_timeout;
    std::uint16_t netdev_wd_timeout;
    std::uint16_t max_tx_sgl_size;
    std::uint16_t max_rx_sgl_size;
    std::uint16_t reserved[8];
};
static_assert(sizeof(HwHints) == 32);
inline constexpr std::uint16_t kHwHintNoTimeout = 0xFFFF;

// Fragment bypass ("fragment proxy mode"): egress IP fragments count against the normal PPS
// allowance instead of the 1024 PPS fragment limit.
struct FragBypassFeature {
    std::uint8_t enable;
    std::uint8_t reserved[3];
};
static_assert(sizeof(FragBypassFeature) == 4);

struct PhcFeature {
    std::uint8_t version;
    std::uint8_t reserved[3];
    std::uint32_t doorbell_offset;
    std::uint32_t expire_timeout_usec;
    std::uint32_t block_timeout_usec;
    DmaAddress output_address;
    std::uint32_t output_length;
};
static_assert(sizeof(PhcFeature) == 28);

struct GetFeatureCommand {
    AdminCommonDesc common;
    ControlBuffer control_buffer;
    FeatureCommon feature;
    std::uint32_t raw[11];
};
static_assert(sizeof(GetFeatureCommand) == kAdminEntrySize);
static_assert(offsetof(GetFeatureCommand, feature) == 16);
static_assert(offsetof(GetFeatureCommand, raw) == 20);

struct SetFeatureCommand {
    AdminCommonDesc common;
    ControlBuffer control_buffer;
    FeatureCommon feature;
    union {
        std::uint32_t raw[11];
        MtuFeature mtu;
        HostAttributes host_attributes;
        AenqConfigFeature aenq;
        RssHashFunctionFeature hash_function;
        RssHashInputFeature hash_input;
        RssIndirectionTableFeature indirection_table;
        LlqFeature llq;
        FragBypassFeature frag_bypass;
        PhcFeature phc;
    };
};
static_assert(sizeof(SetFeatureCommand) == kAdminEntrySize);
static_assert(offsetof(SetFeatureCommand, llq) == 20);

struct GetFeatureResponse {
    AdminCompletionCommon common;
    union {
        std::uint32_t raw[14];
        DeviceAttributes device_attributes;
        LlqFeature llq;
        MaxQueues max_queues;
        MaxQueuesExt max_queues_ext;
        AenqConfigFeature aenq;
        LinkFeature link;
        StatelessOffloadFeature offload;
        RssHashFunctionFeature hash_function;
        RssHashInputFeature hash_input;
        RssIndirectionTableFeature indirection_table;
        InterruptModerationFeature interrupt_moderation;
        HwHints hints;
        MtuFeature mtu;
        FragBypassFeature frag_bypass;
        PhcFeature phc;
    };
};
static_assert(sizeof(GetFeatureResponse) == kAdminEntrySize);
static_assert(offsetof(GetFeatureResponse, device_attributes) == 8);

struct SetFeatureResponse {
    AdminCompletionCommon common;
    std::uint32_t raw[14];
};
static_assert(sizeof(SetFeatureResponse) == kAdminEntrySize);

// --- Host info (the 4 KiB page given with HOST_ATTR_CONFIG) -------------------------------------
enum class OsType : std::uint32_t { kLinux = 1, kWindows = 2, kDpdk = 3, kFreeBsd = 4, kIpxe = 5, kEsxi = 6, kMacOs = 7 };

namespace host_driver_version {
using Major = Field<std::uint32_t, 0, 8>;
using Minor = Field<std::uint32_t, 8, 8>;
using SubMinor = Field<std::uint32_t, 16, 8>;
using ModuleType = Field<std::uint32_t, 24, 8>;
}  // namespace host_driver_version
namespace host_bdf {
using Function = Field<std::uint16_t, 0, 3>;
using Device = Field<std::uint16_t, 3, 5>;
using Bus = Field<std::uint16_t, 8, 8>;
}  // namespace host_bdf
namespace host_features {  // driver_supported_features
using RxOffset = Flag<std::uint32_t, 1>;
using InterruptModeration = Flag<std::uint32_t, 2>;
using RxBufMirroring = Flag<std::uint32_t, 3>;
using RssConfigurableFunctionKey = Flag<std::uint32_t, 4>;
using RxPageReuse = Flag<std::uint32_t, 6>;
using TxIpv6CsumOffload = Flag<std::uint32_t, 7>;
using Phc = Flag<std::uint32_t, 8>;
}  // namespace host_features

struct HostInfo {
    std::uint32_t os_type;  // OsType
    std::uint8_t os_dist_str[128];
    std::uint32_t os_dist;
    std::uint8_t kernel_ver_str[32];
    std::uint32_t kernel_ver;
    std::uint32_t driver_version;  // host_driver_version
    std::uint32_t supported_network_features[2];
    std::uint16_t ena_spec_version;  // major << 8 | minor
    std::uint16_t bdf;
    std::uint16_t num_cpus;
    std::uint16_t reserved;
    std::uint32_t driver_supported_features;  // host_features
};
static_assert(sizeof(HostInfo) == 196);
static_assert(offsetof(HostInfo, os_dist) == 132);
static_assert(offsetof(HostInfo, kernel_ver_str) == 136);
static_assert(offsetof(HostInfo, driver_version) == 172);
static_assert(offsetof(HostInfo, ena_spec_version) == 184);
static_assert(offsetof(HostInfo, driver_supported_features) == 192);
inline constexpr std::uint32_t kHostInfoPageSize = 4096;

}  // namespace ena::hw
