// ena-testpmd: a testpmd-compatible application for ENA ports (net_ena_ng on PCI, net_ena_sim
// simulated), with ENA's own views and commands to drive the simulator.
//
// Start-up as testpmd's: EAL, the ports' configuration, ports started (promiscuous where the
// device allows it), then the command file, the prompt (-i), or forwarding until told to stop.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <unistd.h>

#include "app.hpp"

namespace ena::testpmd {

App& app() {
    static App instance;
    return instance;
}

std::uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

void on_signal(int) {
    app().quit.store(true);
    stop_prompt();
}

void install_signal_handlers() {
    // No SA_RESTART: the prompt's read() returns on a signal, so SIGINT/SIGTERM end the session.
    struct sigaction action {};
    action.sa_handler = &on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// testpmd's default peers: 02:00:00:00:00:<port>.
void default_peers() {
    for (unsigned port = 0; port < RTE_MAX_ETHPORTS; ++port) {
        rte_ether_addr& mac = app().settings.peer[port];
        mac = rte_ether_addr{};
        mac.addr_bytes[0] = RTE_ETHER_LOCAL_ADMIN_ADDR;
        mac.addr_bytes[5] = static_cast<std::uint8_t>(port);
    }
}

void enable_promiscuous() {
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        const int rc = rte_eth_promiscuous_enable(port);
        if (rc != 0)
            std::fprintf(stderr, "Error during enabling promiscuous mode for port %u: %s - ignore\n", port,
                         rte_strerror(-rc));
    }
}

void wait_until_told_to_stop() {
    const unsigned period = app().settings.stats_period;
    if (period != 0) {
        std::uint64_t last = rte_get_timer_cycles();
        const std::uint64_t interval = std::uint64_t{period} * rte_get_timer_hz();
        while (!app().quit.load()) {
            const std::uint64_t now = rte_get_timer_cycles();
            if (now - last >= interval) {
                print_periodic_stats();
                last = now;
            }
            service_auto_resets();
            rte_delay_us_sleep(100 * 1000);
        }
        return;
    }
    std::printf("Press enter to exit\n");
    std::fflush(stdout);
    while (!app().quit.load()) {
        service_auto_resets();
        pollfd input{STDIN_FILENO, POLLIN, 0};
        const int n = poll(&input, 1, 100);
        if (n < 0 && errno != EINTR)
            rte_exit(EXIT_FAILURE, "Read failed: %s\n", std::strerror(errno));
        if (n > 0) {
            char c;
            if (read(STDIN_FILENO, &c, 1) >= 0 || errno != EINTR)
                break;  // a character, end of input, or an error
        }
    }
}

void shut_down() {
    if (app().forwarding)
        stop_forwarding();
    app().settings.link_check = false;
    std::uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        std::printf("\nStopping port %u...\n", port);
        std::fflush(stdout);
        stop_port(port);
    }
    RTE_ETH_FOREACH_DEV(port) {
        std::printf("\nShutting down port %u...\n", port);
        std::fflush(stdout);
        close_port(port);
    }
    std::printf("\nBye...\n");
    std::fflush(stdout);
}

}  // namespace

int run(int argc, char** argv) {
    // Output goes to terminals, pipes and logs alike: line by line, so that it interleaves
    // with the event lines the interrupt thread prints.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    install_signal_handlers();

    const int eal_args = rte_eal_init(argc, argv);
    if (eal_args < 0)
        rte_exit(EXIT_FAILURE, "Cannot init EAL: %s\n", rte_strerror(rte_errno));
    argc -= eal_args;
    argv += eal_args;

    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore)
    app().fwd_lcore_ids.push_back(lcore);
    if (app().fwd_lcore_ids.empty())
        rte_exit(EXIT_FAILURE, "No cores defined for forwarding\nCheck the core mask argument\n");
    if (rte_eth_dev_count_avail() == 0)
        std::fprintf(stderr, "ena-testpmd: no probed ethernet devices\n");

    default_peers();
    register_event_callbacks();
    if (argc > 1)
        parse_options(argc, argv);
    init_ports();
    setup_fwd_config();

    Settings& set = app().settings;
    if (set.device_start && start_port(kAllPorts) != 0) {
        if (!set.interactive)
            rte_exit(EXIT_FAILURE, "Start ports failed\n");
        std::fprintf(stderr, "Start ports failed\n");
    }
    enable_promiscuous();

    if (!set.cmdline_file.empty()) {
        run_cmdline_file(set.cmdline_file);
        // Without -i the file is the whole session (as a testpmd file ending in quit).
        if (!set.interactive || quit_requested()) {
            shut_down();
            rte_eal_cleanup();
            return EXIT_SUCCESS;
        }
    }
    if (set.interactive) {
        if (set.auto_start) {
            std::printf("Start automatic packet forwarding\n");
            start_forwarding(0);
        }
        run_prompt();
    } else {
        std::printf("No commandline core given, start packet forwarding\n");
        start_forwarding(set.tx_first ? 1 : 0);
        wait_until_told_to_stop();
    }
    shut_down();
    const int rc = rte_eal_cleanup();
    if (rc != 0)
        rte_exit(EXIT_FAILURE, "EAL cleanup failed: %s\n", rte_strerror(-rc));
    return EXIT_SUCCESS;
}

}  // namespace ena::testpmd

int main(int argc, char** argv) { return ena::testpmd::run(argc, argv); }
