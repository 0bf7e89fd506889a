#include "instance_profiles.hpp"

namespace ena::sim {

void apply_instance_profile(const InstanceProfile& p, DeviceConfig& c) {
    c.max_io_queues = p.default_queues;
    // Wide LLQ from Nitro v4 on. Nitro v5 and later report how deep a wide-LLQ Tx queue may be
    // (1024 entries: the guide's "up to 1000"); v4 reports nothing and drivers halve the
    // normal depth (512).
    c.llq = p.nitro_version >= 4 ? LlqOffer::kWide : LlqOffer::kNormal;
    c.max_tx_depth = 1024;
    c.max_wide_llq_depth = p.nitro_version >= 5 ? 1024 : 0;
    c.link_speed_mbps = p.bandwidth_mbps;
    c.nitro.pps = p.pps;
    c.nitro.bw_out_mbps = p.bandwidth_mbps;
    c.nitro.bw_in_mbps = p.bandwidth_mbps;
    c.nitro.conntrack_max = p.conntrack_max;
}

}  // namespace ena::sim
