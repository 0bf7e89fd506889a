// ENA's own views, not testpmd's:
//   show port allowance <port>  the ENI allowance counters (read by xstat name) as totals and
//                               per-second rates since the previous call (or since the port
//                               started), and which limit is hit with what the EC2 ENA user
//                               guide recommends for it (allowance.cpp);
//   show port llq <port>        Tx placement, LLQ entry size and header room, ring sizes and
//                               limits, from public ethdev APIs.
#include <rte_ethdev.h>

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "app.hpp"
#include "tx_placement.hpp"

namespace ena::testpmd {

namespace {

// Reads the allowance xstats by name.
bool read_allowances(std::uint16_t port, AllowanceSample& out) {
    const int count = rte_eth_xstats_get_names(port, nullptr, 0);
    if (count < 0)
        return false;
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(count));
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(count));
    if (count > 0 && (rte_eth_xstats_get_names(port, names.data(), count) != count ||
                      rte_eth_xstats_get(port, values.data(), count) != count))
        return false;
    out = AllowanceSample{};
    for (const rte_eth_xstat& x : values)
        if (x.id < names.size())
            out.record(names[x.id].name, x.value);
    out.ns = now_ns();
    return true;
}

bool valid_port(std::uint16_t port) {
    if (port == kAllPorts) {
        std::fprintf(stderr, "Invalid port %u\n", port);
        print_valid_ports();
        return false;
    }
    if (port_id_invalid(port, true)) {
        print_valid_ports();
        return false;
    }
    return true;
}

}  // namespace

void sample_allowances(std::uint16_t port) {
    PortState& st = app().ports[port];
    if (read_allowances(port, st.allowance))
        st.allowance_sampled_at_start = true;
}

void show_port_allowance(std::uint16_t port) {
    if (!valid_port(port))
        return;
    AllowanceSample now;
    if (!read_allowances(port, now)) {
        std::fprintf(stderr, "Port %u: cannot read extended statistics\n", port);
        return;
    }
    PortState& st = app().ports[port];
    const char* since = st.allowance_sampled_at_start ? "since port start" : "since previous show";
    const AllowanceReport report = build_allowance_report(st.allowance, now, since);

    const char* border = "########################";
    std::printf("\n  %s ENI allowances for port %-2u %s\n", border, port, border);
    std::printf("  %-32s %20s %16s  (%s, %.1f s)\n", "Counter", "Total", "Per second", since, report.elapsed_s);
    for (const AllowanceRow& row : report.rows) {
        if (!row.present)
            std::printf("  %-32s not reported by this device\n", row.info->name);
        else if (row.info->gauge)
            std::printf("  %-32s %20" PRIu64 " %+16.0f  (room left; change per second)\n", row.info->name, row.total,
                        row.per_second);
        else
            std::printf("  %-32s %20" PRIu64 " %16.0f\n", row.info->name, row.total, row.per_second);
    }
    std::printf("  Diagnosis: %s\n", report.diagnosis.c_str());
    if (report.counter_went_back)
        std::printf("  Note: a counter went backwards (cleared or device reset): its rate is counted from 0\n");
    std::printf("  %s##############################%s\n", border, border);

    st.allowance = now;
    st.allowance_sampled_at_start = false;
}

void show_port_llq(std::uint16_t port) {
    if (!valid_port(port))
        return;
    rte_eth_dev_info info{};
    const int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) {
        std::fprintf(stderr, "Error during getting device (port %u) info: %s\n", port, rte_strerror(-rc));
        return;
    }
    const char* border = "########################";
    std::printf("\n  %s LLQ and rings for port %-2u %s\n", border, port, border);

    rte_eth_burst_mode tx_mode{};
    const bool have_mode = info.nb_tx_queues > 0 && rte_eth_tx_burst_mode_get(port, 0, &tx_mode) == 0;
    const TxPlacement placement = have_mode ? parse_tx_placement(tx_mode.info) : TxPlacement{};
    if (!have_mode)
        std::printf("  Tx placement: unknown (no Tx queue set up, or the driver does not report its burst mode)\n");
    else if (!placement.known)
        std::printf("  Tx placement: unknown (Tx burst mode \"%s\")\n", tx_mode.info);
    else if (placement.llq)
        std::printf("  Tx placement: LLQ (descriptors and headers written to device memory)%s\n",
                    placement.accelerated ? ", accelerated" : "");
    else
        std::printf("  Tx placement: host memory (the device reads descriptors and packets by DMA)\n");
    if (placement.llq) {
        std::printf("  LLQ entry size: %u bytes%s\n", placement.entry_size,
                    placement.entry_size >= 256 ? " (wide LLQ)" : "");
        std::printf("  LLQ header room: %u bytes (packets whose headers are longer are dropped by the device)\n",
                    placement.header_room);
    } else {
        std::printf("  LLQ entry size: none\n");
        std::printf("  LLQ header room: none\n");
    }
    const std::optional<unsigned> budget = have_mode ? parse_burst_budget(tx_mode.info) : std::nullopt;
    if (budget)
        std::printf("  Tx burst budget: %u bytes of LLQ entries per doorbell\n", *budget);
    else
        std::printf("  Tx burst budget: unknown\n");

    std::printf("  Tx queues: %u (max %u)\n", info.nb_tx_queues, info.max_tx_queues);
    std::printf("  Tx descriptors: min %u, max %u, align %u; segments per packet: max %u, per MTU/TSO %u\n",
                info.tx_desc_lim.nb_min, info.tx_desc_lim.nb_max, info.tx_desc_lim.nb_align,
                info.tx_desc_lim.nb_seg_max, info.tx_desc_lim.nb_mtu_seg_max);
    for (std::uint16_t q = 0; q < info.nb_tx_queues; ++q) {
        rte_eth_txq_info qi{};
        rte_eth_burst_mode mode{};
        if (rte_eth_tx_queue_info_get(port, q, &qi) != 0)
            continue;
        const bool m = rte_eth_tx_burst_mode_get(port, q, &mode) == 0;
        std::printf("    Tx queue %u: %u descriptors, free threshold %u, burst mode \"%s\"\n", q, qi.nb_desc,
                    qi.conf.tx_free_thresh, m ? mode.info : "unknown");
    }
    std::printf("  Rx queues: %u (max %u)\n", info.nb_rx_queues, info.max_rx_queues);
    std::printf("  Rx descriptors: min %u, max %u, align %u; segments per packet: max %u\n", info.rx_desc_lim.nb_min,
                info.rx_desc_lim.nb_max, info.rx_desc_lim.nb_align, info.rx_desc_lim.nb_seg_max);
    for (std::uint16_t q = 0; q < info.nb_rx_queues; ++q) {
        rte_eth_rxq_info qi{};
        rte_eth_burst_mode mode{};
        if (rte_eth_rx_queue_info_get(port, q, &qi) != 0)
            continue;
        const bool m = rte_eth_rx_burst_mode_get(port, q, &mode) == 0;
        std::printf("    Rx queue %u: %u descriptors, free threshold %u, buffers of %u bytes, burst mode \"%s\"\n", q,
                    qi.nb_desc, qi.conf.rx_free_thresh, qi.rx_buf_size, m ? mode.info : "unknown");
    }
    std::printf("  %s##############################%s\n", border, border);
}

}  // namespace ena::testpmd
