// The application's options (what follows EAL's arguments and "--"), spelled as testpmd spells
// them, with testpmd's messages; --auto-reset is ena-testpmd's own.
#include <getopt.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app.hpp"

namespace ena::testpmd {

namespace {

constexpr unsigned kMinTotalMbufs = 1024;

void usage(const char* program) {
    std::printf(
        "\n"
        "Usage: %s [EAL options] -- [ena-testpmd options]\n\n"
        "  -i, --interactive: run the interactive prompt (testpmd> ).\n"
        "  -a, --auto-start: start forwarding on start-up.\n"
        "  --cmdline-file=FILE: run the commands of FILE first; without -i, exit after them.\n"
        "  --stats-period=N: without -i, print port statistics every N seconds until SIGINT/SIGTERM.\n"
        "  --tx-first: without -i, send a burst of packets on every stream before forwarding.\n"
        "  --nb-cores=N: number of forwarding lcores (1 <= N <= worker lcores).\n"
        "  --rxq=N, --txq=N: Rx/Tx queues per port.\n"
        "  --rxd=N, --txd=N: descriptors per Rx/Tx queue (default: the driver's).\n"
        "  --burst=N: packets per burst (1-%u; 0: the driver's recommendation).\n"
        "  --txpkts=X[,Y]*: segment lengths of txonly packets.\n"
        "  --forward-mode=MODE: io, mac, macswap, txonly, rxonly, icmpecho.\n"
        "  --eth-peer=N,XX:XX:XX:XX:XX:XX: peer MAC address of port N (mac and txonly modes).\n"
        "  --total-num-mbufs=N: mbufs in each pool (> %u).\n"
        "  --rss-ip, --rss-udp: RSS hash types when there are several Rx queues.\n"
        "  --no-flush-rx: do not drain Rx queues before forwarding starts.\n"
        "  --no-lsc-interrupt: poll link state instead of link state change events.\n"
        "  --disable-link-check: do not check links when ports start or stop.\n"
        "  --disable-device-start: do not start ports on start-up.\n"
        "  --auto-reset: on a reset event (RTE_ETH_EVENT_INTR_RESET), stop, reset, reconfigure and\n"
        "      restart the port (and forwarding) without waiting for the user.\n"
        "  -h, --help: this text.\n",
        program, kMaxBurst, kMinTotalMbufs);
}

// testpmd's reading of a number: atoi, then a range check by the caller.
int number(const char* text) { return std::atoi(text); }

void parse_eth_peer(const char* arg) {
    char* end = nullptr;
    errno = 0;
    const unsigned long port = std::strtoul(arg, &end, 10);
    if (errno != 0 || end == arg || *end != ',')
        rte_exit(EXIT_FAILURE, "Invalid eth-peer: %s\n", arg);
    if (port >= RTE_MAX_ETHPORTS)
        rte_exit(EXIT_FAILURE, "eth-peer: port %lu >= RTE_MAX_ETHPORTS(%d)\n", port, RTE_MAX_ETHPORTS);
    if (rte_ether_unformat_addr(end + 1, &app().settings.peer[port]) < 0)
        rte_exit(EXIT_FAILURE, "Invalid ethernet address: %s\n", end + 1);
}

void parse_burst(const char* arg) {
    const int n = number(arg);
    Settings& set = app().settings;
    if (n == 0) {
        // The driver's recommendation, from the first port (testpmd assumes all ports alike).
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(0, &info) != 0 || info.default_rxportconf.burst_size == 0) {
            std::printf("PMD does not recommend a burst size. User provided value must be between 1 and %u\n",
                        kMaxBurst);
            rte_exit(EXIT_FAILURE, "Bad burst size\n");
        }
        set.burst = info.default_rxportconf.burst_size;
        std::printf("\nWarning: Burst size set to the driver's recommended value: %u\n", set.burst);
    } else if (n < 0 || static_cast<unsigned>(n) > kMaxBurst) {
        rte_exit(EXIT_FAILURE, "burst must be >= 1 and <= %u\n", kMaxBurst);
    } else {
        set.burst = static_cast<std::uint16_t>(n);
    }
}

}  // namespace

// testpmd's list of numbers: "64" or "14,50,64"; empty (with a message) when malformed.
std::vector<unsigned> parse_number_list(const char* text, const char* item_name) {
    std::vector<unsigned> items;
    unsigned value = 0;
    bool have_value = false;
    for (const char* c = text; *c != '\0'; ++c) {
        if (*c >= '0' && *c <= '9') {
            value = value * 10 + static_cast<unsigned>(*c - '0');
            have_value = true;
            continue;
        }
        if (*c != ',') {
            std::fprintf(stderr, "character %c is not a decimal digit\n", *c);
            return {};
        }
        if (!have_value) {
            std::fprintf(stderr, "No valid value before comma\n");
            return {};
        }
        items.push_back(value);
        value = 0;
        have_value = false;
    }
    if (!have_value) {
        std::fprintf(stderr, "No valid %s\n", item_name);
        return {};
    }
    items.push_back(value);
    return items;
}

void parse_options(int argc, char** argv) {
    enum : int {
        kHelp = 256,
        kInteractive,
        kAutoStart,
        kCmdlineFile,
        kStatsPeriod,
        kTxFirst,
        kNbCores,
        kRxq,
        kTxq,
        kRxd,
        kTxd,
        kBurst,
        kTxpkts,
        kForwardMode,
        kEthPeer,
        kTotalNumMbufs,
        kRssIp,
        kRssUdp,
        kNoFlushRx,
        kNoLscInterrupt,
        kDisableLinkCheck,
        kDisableDeviceStart,
        kAutoReset,
    };
    static const option kOptions[] = {
        {"help", no_argument, nullptr, kHelp},
        {"interactive", no_argument, nullptr, kInteractive},
        {"auto-start", no_argument, nullptr, kAutoStart},
        {"cmdline-file", required_argument, nullptr, kCmdlineFile},
        {"stats-period", required_argument, nullptr, kStatsPeriod},
        {"tx-first", no_argument, nullptr, kTxFirst},
        {"nb-cores", required_argument, nullptr, kNbCores},
        {"rxq", required_argument, nullptr, kRxq},
        {"txq", required_argument, nullptr, kTxq},
        {"rxd", required_argument, nullptr, kRxd},
        {"txd", required_argument, nullptr, kTxd},
        {"burst", required_argument, nullptr, kBurst},
        {"txpkts", required_argument, nullptr, kTxpkts},
        {"forward-mode", required_argument, nullptr, kForwardMode},
        {"eth-peer", required_argument, nullptr, kEthPeer},
        {"total-num-mbufs", required_argument, nullptr, kTotalNumMbufs},
        {"rss-ip", no_argument, nullptr, kRssIp},
        {"rss-udp", no_argument, nullptr, kRssUdp},
        {"no-flush-rx", no_argument, nullptr, kNoFlushRx},
        {"no-lsc-interrupt", no_argument, nullptr, kNoLscInterrupt},
        {"disable-link-check", no_argument, nullptr, kDisableLinkCheck},
        {"disable-device-start", no_argument, nullptr, kDisableDeviceStart},
        {"auto-reset", no_argument, nullptr, kAutoReset},
        {nullptr, 0, nullptr, 0},
    };

    Settings& set = app().settings;
    optind = 0;  // a fresh scan: EAL used getopt on its own part of the command line
    int opt;
    while ((opt = getopt_long(argc, argv, "iah", kOptions, nullptr)) != -1) {
        switch (opt) {
        case 'h':
        case kHelp:
            usage(argv[0]);
            std::exit(EXIT_SUCCESS);
        case 'i':
        case kInteractive:
            std::printf("Interactive-mode selected\n");
            set.interactive = true;
            break;
        case 'a':
        case kAutoStart:
            std::printf("Auto-start selected\n");
            set.auto_start = true;
            break;
        case kCmdlineFile:
            std::printf("CLI commands to be read from %s\n", optarg);
            set.cmdline_file = optarg;
            break;
        case kStatsPeriod: {
            char* end = nullptr;
            errno = 0;
            const unsigned long n = std::strtoul(optarg, &end, 10);
            if (optarg[0] == '\0' || *end != '\0' || errno != 0 || n > UINT_MAX)
                rte_exit(EXIT_FAILURE, "Invalid stats-period value\n");
            set.stats_period = static_cast<unsigned>(n);
            break;
        }
        case kTxFirst:
            std::printf("Ports to start sending a burst of packets first\n");
            set.tx_first = true;
            break;
        case kNbCores: {
            const int n = number(optarg);
            const int available = static_cast<int>(app().fwd_lcore_ids.size());
            if (n <= 0 || n > available)
                rte_exit(EXIT_FAILURE, "nb-cores should be > 0 and <= %d\n", available);
            set.nb_fwd_lcores = static_cast<unsigned>(n);
            break;
        }
        case kRxq:
        case kTxq: {
            const bool rx = opt == kRxq;
            const int n = number(optarg);
            if (n < 0 || n > UINT16_MAX || !queue_setting_ok(rx ? "rxq" : "txq", static_cast<unsigned>(n)))
                rte_exit(EXIT_FAILURE, "%s %d invalid - must be >= 0 && <= the ports' maximum\n", rx ? "rxq" : "txq", n);
            (rx ? set.nb_rxq : set.nb_txq) = static_cast<std::uint16_t>(n);
            break;
        }
        case kRxd: {
            const int n = number(optarg);
            if (n <= 0 || n > UINT16_MAX)
                rte_exit(EXIT_FAILURE, "rxd(%d) invalid - must be > 0\n", n);
            set.nb_rxd = static_cast<std::uint16_t>(n);
            break;
        }
        case kTxd: {
            const int n = number(optarg);
            if (n <= 0 || n > UINT16_MAX)
                rte_exit(EXIT_FAILURE, "txd must be in > 0\n");
            set.nb_txd = static_cast<std::uint16_t>(n);
            break;
        }
        case kBurst:
            parse_burst(optarg);
            break;
        case kTxpkts: {
            const std::vector<unsigned> lengths = parse_number_list(optarg, "txpkt segments");
            if (lengths.empty())
                rte_exit(EXIT_FAILURE, "bad txpkts\n");
            set_tx_segments(lengths);
            break;
        }
        case kForwardMode:
            if (const std::optional<FwdMode> mode = parse_fwd_mode(optarg)) {
                set.mode = *mode;
                std::printf("Set %s packet forwarding mode\n", optarg);
            } else {
                std::fprintf(stderr, "Invalid %s packet forwarding mode\n", optarg);
            }
            break;
        case kEthPeer:
            parse_eth_peer(optarg);
            break;
        case kTotalNumMbufs: {
            const int n = number(optarg);
            if (n <= static_cast<int>(kMinTotalMbufs))
                rte_exit(EXIT_FAILURE, "total-num-mbufs should be > %u\n", kMinTotalMbufs);
            set.total_num_mbufs = static_cast<unsigned>(n);
            break;
        }
        case kRssIp:
            set.rss_hf = RTE_ETH_RSS_IP;
            break;
        case kRssUdp:
            set.rss_hf = RTE_ETH_RSS_UDP;
            break;
        case kNoFlushRx:
            set.flush_rx = false;
            break;
        case kNoLscInterrupt:
            set.lsc_interrupt = false;
            break;
        case kDisableLinkCheck:
            set.link_check = false;
            break;
        case kDisableDeviceStart:
            set.device_start = false;
            break;
        case kAutoReset:
            std::printf("Auto-reset selected: ports that raise a reset event are reset and restarted\n");
            set.auto_reset = true;
            break;
        default:
            usage(argv[0]);
            std::fprintf(stderr, "Invalid option: %s\n", argv[optind - 1]);
            rte_exit(EXIT_FAILURE, "Command line is incomplete or incorrect\n");
        }
    }
    if (optind < argc) {
        usage(argv[0]);
        std::fprintf(stderr, "Invalid option: %s\n", argv[optind]);
        rte_exit(EXIT_FAILURE, "Command line is incomplete or incorrect\n");
    }
    if (set.tx_first && set.interactive)
        rte_exit(EXIT_FAILURE, "--tx-first cannot be used on interactive mode.\n");
    if (set.nb_rxq == 0 && set.nb_txq == 0)
        std::fprintf(stderr, "Warning: Either rx or tx queues should be non-zero\n");
    if (set.nb_rxq > 1 && set.nb_rxq > set.nb_txq)
        std::fprintf(stderr, "Warning: nb_rxq=%u enables RSS configuration, but nb_txq=%u will prevent to fully test it.\n",
                     set.nb_rxq, set.nb_txq);
}

}  // namespace ena::testpmd
