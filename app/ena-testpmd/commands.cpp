// The interactive prompt: testpmd's commands with testpmd's syntax (rte_cmdline: line editing,
// history, tab completion, "Command not found" / "Bad arguments"), ENA's own views, and the
// simulator's commands (sim_control.cpp). Also runs --cmdline-file.
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "cmdline_support.hpp"

namespace ena::testpmd {

namespace {

std::atomic<cmdline*> g_prompt{nullptr};
std::atomic<bool> g_quit{false};

// --- show|clear port info|summary|stats|xstats all|<port>

void show_or_clear(std::string_view verb, std::string_view what, std::uint16_t port) {
    if (verb == "clear") {
        if (what == "stats")
            clear_port_stats(port);
        else if (what == "xstats")
            clear_port_xstats(port);
        return;
    }
    if (what == "info") {
        show_port_info(port);
    } else if (what == "summary") {
        show_port_summary_header();
        show_port_summary(port);
    } else if (what == "stats") {
        show_port_stats(port);
    } else if (what == "xstats") {
        show_port_xstats(port);
    }
}

struct ShowPortAll {
    cmdline_fixed_string_t verb, port, what, all;
};
void on_show_port_all(const ShowPortAll& r) {
    std::uint16_t port;
    if (std::string_view(r.what) == "summary" && std::string_view(r.verb) == "show") {
        show_port_summary_header();
        RTE_ETH_FOREACH_DEV(port)
        show_port_summary(port);
        return;
    }
    RTE_ETH_FOREACH_DEV(port)
    show_or_clear(r.verb, r.what, port);
}
cmdline_parse_token_string_t t_spa_verb = TOKEN_STRING_INITIALIZER(ShowPortAll, verb, "show#clear");
cmdline_parse_token_string_t t_spa_port = TOKEN_STRING_INITIALIZER(ShowPortAll, port, "port");
cmdline_parse_token_string_t t_spa_what = TOKEN_STRING_INITIALIZER(ShowPortAll, what, "info#summary#stats#xstats");
cmdline_parse_token_string_t t_spa_all = TOKEN_STRING_INITIALIZER(ShowPortAll, all, "all");
auto c_show_port_all = make_command<ShowPortAll, on_show_port_all>("show|clear port info|summary|stats|xstats all",
                                                                   t_spa_verb, t_spa_port, t_spa_what, t_spa_all);

struct ShowPort {
    cmdline_fixed_string_t verb, port, what;
    std::uint16_t port_id;
};
void on_show_port(const ShowPort& r) { show_or_clear(r.verb, r.what, r.port_id); }
cmdline_parse_token_string_t t_sp_verb = TOKEN_STRING_INITIALIZER(ShowPort, verb, "show#clear");
cmdline_parse_token_string_t t_sp_port = TOKEN_STRING_INITIALIZER(ShowPort, port, "port");
cmdline_parse_token_string_t t_sp_what = TOKEN_STRING_INITIALIZER(ShowPort, what, "info#summary#stats#xstats");
cmdline_parse_token_num_t t_sp_id = TOKEN_NUM_INITIALIZER(ShowPort, port_id, RTE_UINT16);
auto c_show_port = make_command<ShowPort, on_show_port>("show|clear port info|summary|stats|xstats <port_id>", t_sp_verb,
                                                        t_sp_port, t_sp_what, t_sp_id);

// --- show config rxtx|cores|fwd|txpkts

struct ShowConfig {
    cmdline_fixed_string_t show, config, what;
};
void on_show_config(const ShowConfig& r) {
    const std::string_view what = r.what;
    if (what == "rxtx") {
        show_rxtx_config();
    } else if (what == "cores") {
        show_fwd_lcores();
    } else if (what == "fwd") {
        setup_fwd_config();
        show_fwd_config();
    } else if (what == "txpkts") {
        show_tx_segments();
    }
}
cmdline_parse_token_string_t t_sc_show = TOKEN_STRING_INITIALIZER(ShowConfig, show, "show");
cmdline_parse_token_string_t t_sc_config = TOKEN_STRING_INITIALIZER(ShowConfig, config, "config");
cmdline_parse_token_string_t t_sc_what = TOKEN_STRING_INITIALIZER(ShowConfig, what, "rxtx#cores#fwd#txpkts");
auto c_show_config = make_command<ShowConfig, on_show_config>("show config rxtx|cores|fwd|txpkts", t_sc_show,
                                                              t_sc_config, t_sc_what);

// --- show|clear fwd stats all

struct FwdStats {
    cmdline_fixed_string_t verb, fwd, stats, all;
};
void on_fwd_stats(const FwdStats& r) {
    if (std::string_view(r.verb) == "show")
        show_fwd_stats();
    else
        clear_fwd_stats();
}
cmdline_parse_token_string_t t_fs_verb = TOKEN_STRING_INITIALIZER(FwdStats, verb, "show#clear");
cmdline_parse_token_string_t t_fs_fwd = TOKEN_STRING_INITIALIZER(FwdStats, fwd, "fwd");
cmdline_parse_token_string_t t_fs_stats = TOKEN_STRING_INITIALIZER(FwdStats, stats, "stats");
cmdline_parse_token_string_t t_fs_all = TOKEN_STRING_INITIALIZER(FwdStats, all, "all");
auto c_fwd_stats =
    make_command<FwdStats, on_fwd_stats>("show|clear fwd stats all", t_fs_verb, t_fs_fwd, t_fs_stats, t_fs_all);

// --- set fwd <mode>, set txpkts <list>, set burst|nbcore <n>, set flush_rx on|off, set eth-peer

struct SetFwd {
    cmdline_fixed_string_t set, fwd, mode;
};
void on_set_fwd(const SetFwd& r) { set_fwd_mode(r.mode); }
cmdline_parse_token_string_t t_sf_set = TOKEN_STRING_INITIALIZER(SetFwd, set, "set");
cmdline_parse_token_string_t t_sf_fwd = TOKEN_STRING_INITIALIZER(SetFwd, fwd, "fwd");
cmdline_parse_token_string_t t_sf_mode = TOKEN_STRING_INITIALIZER(SetFwd, mode, "io#mac#macswap#txonly#rxonly#icmpecho");
auto c_set_fwd = make_command<SetFwd, on_set_fwd>("set fwd io|mac|macswap|txonly|rxonly|icmpecho", t_sf_set, t_sf_fwd,
                                                  t_sf_mode);

struct SetTxpkts {
    cmdline_fixed_string_t set, txpkts, lengths;
};
void on_set_txpkts(const SetTxpkts& r) {
    const std::vector<unsigned> lengths = parse_number_list(r.lengths, "segment lengths");
    if (!lengths.empty())
        set_tx_segments(lengths);
}
cmdline_parse_token_string_t t_st_set = TOKEN_STRING_INITIALIZER(SetTxpkts, set, "set");
cmdline_parse_token_string_t t_st_txpkts = TOKEN_STRING_INITIALIZER(SetTxpkts, txpkts, "txpkts");
cmdline_parse_token_string_t t_st_lengths = TOKEN_STRING_INITIALIZER(SetTxpkts, lengths, nullptr);
auto c_set_txpkts =
    make_command<SetTxpkts, on_set_txpkts>("set txpkts <len0[,len1]*>", t_st_set, t_st_txpkts, t_st_lengths);

struct SetNumber {
    cmdline_fixed_string_t set, what;
    std::uint16_t value;
};
void on_set_number(const SetNumber& r) {
    if (std::string_view(r.what) == "burst")
        set_burst(r.value);
    else
        set_nb_fwd_lcores(r.value);
}
cmdline_parse_token_string_t t_sn_set = TOKEN_STRING_INITIALIZER(SetNumber, set, "set");
cmdline_parse_token_string_t t_sn_what = TOKEN_STRING_INITIALIZER(SetNumber, what, "burst#nbcore");
cmdline_parse_token_num_t t_sn_value = TOKEN_NUM_INITIALIZER(SetNumber, value, RTE_UINT16);
auto c_set_number = make_command<SetNumber, on_set_number>("set burst|nbcore <value>", t_sn_set, t_sn_what, t_sn_value);

struct SetFlushRx {
    cmdline_fixed_string_t set, flush_rx, mode;
};
void on_set_flush_rx(const SetFlushRx& r) { app().settings.flush_rx = std::string_view(r.mode) == "on"; }
cmdline_parse_token_string_t t_sfr_set = TOKEN_STRING_INITIALIZER(SetFlushRx, set, "set");
cmdline_parse_token_string_t t_sfr_flush = TOKEN_STRING_INITIALIZER(SetFlushRx, flush_rx, "flush_rx");
cmdline_parse_token_string_t t_sfr_mode = TOKEN_STRING_INITIALIZER(SetFlushRx, mode, "on#off");
auto c_set_flush_rx = make_command<SetFlushRx, on_set_flush_rx>("set flush_rx on|off: drain Rx queues at start or not",
                                                                t_sfr_set, t_sfr_flush, t_sfr_mode);

struct SetEthPeer {
    cmdline_fixed_string_t set, eth_peer;
    std::uint16_t port_id;
    rte_ether_addr mac;
};
void on_set_eth_peer(const SetEthPeer& r) {
    if (r.port_id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(r.port_id)) {
        std::fprintf(stderr, "Error: Invalid port number %u\n", r.port_id);
        return;
    }
    app().settings.peer[r.port_id] = r.mac;
}
cmdline_parse_token_string_t t_sep_set = TOKEN_STRING_INITIALIZER(SetEthPeer, set, "set");
cmdline_parse_token_string_t t_sep_peer = TOKEN_STRING_INITIALIZER(SetEthPeer, eth_peer, "eth-peer");
cmdline_parse_token_num_t t_sep_port = TOKEN_NUM_INITIALIZER(SetEthPeer, port_id, RTE_UINT16);
cmdline_parse_token_etheraddr_t t_sep_mac = TOKEN_ETHERADDR_INITIALIZER(SetEthPeer, mac);
auto c_set_eth_peer = make_command<SetEthPeer, on_set_eth_peer>("set eth-peer <port_id> <peer_addr>", t_sep_set,
                                                                t_sep_peer, t_sep_port, t_sep_mac);

// --- start, start tx_first [n], stop

struct Start {
    cmdline_fixed_string_t start;
};
void on_start(const Start&) { start_forwarding(0); }
cmdline_parse_token_string_t t_start = TOKEN_STRING_INITIALIZER(Start, start, "start");
auto c_start = make_command<Start, on_start>("start: Start packet forwarding", t_start);

struct StartTxFirst {
    cmdline_fixed_string_t start, tx_first;
};
void on_start_tx_first(const StartTxFirst&) { start_forwarding(1); }
cmdline_parse_token_string_t t_stf_start = TOKEN_STRING_INITIALIZER(StartTxFirst, start, "start");
cmdline_parse_token_string_t t_stf_tx_first = TOKEN_STRING_INITIALIZER(StartTxFirst, tx_first, "tx_first");
auto c_start_tx_first = make_command<StartTxFirst, on_start_tx_first>(
    "start tx_first: Start packet forwarding, after sending 1 burst of packets", t_stf_start, t_stf_tx_first);

struct StartTxFirstN {
    cmdline_fixed_string_t start, tx_first;
    std::uint32_t bursts;
};
void on_start_tx_first_n(const StartTxFirstN& r) { start_forwarding(r.bursts); }
cmdline_parse_token_string_t t_stfn_start = TOKEN_STRING_INITIALIZER(StartTxFirstN, start, "start");
cmdline_parse_token_string_t t_stfn_tx_first = TOKEN_STRING_INITIALIZER(StartTxFirstN, tx_first, "tx_first");
cmdline_parse_token_num_t t_stfn_n = TOKEN_NUM_INITIALIZER(StartTxFirstN, bursts, RTE_UINT32);
auto c_start_tx_first_n = make_command<StartTxFirstN, on_start_tx_first_n>(
    "start tx_first <num>: packet forwarding, after sending <num> bursts of packets", t_stfn_start, t_stfn_tx_first,
    t_stfn_n);

struct Stop {
    cmdline_fixed_string_t stop;
};
void on_stop(const Stop&) { stop_forwarding(); }
cmdline_parse_token_string_t t_stop = TOKEN_STRING_INITIALIZER(Stop, stop, "stop");
auto c_stop = make_command<Stop, on_stop>("stop: Stop packet forwarding", t_stop);

// --- port start|stop|close|reset all|<port>

void port_operation(std::string_view op, std::uint16_t port) {
    if (op == "start")
        start_port(port);
    else if (op == "stop")
        stop_port(port);
    else if (op == "close")
        close_port(port);
    else if (op == "reset")
        reset_port(port);
}

struct PortOpAll {
    cmdline_fixed_string_t port, op, all;
};
void on_port_op_all(const PortOpAll& r) { port_operation(r.op, kAllPorts); }
cmdline_parse_token_string_t t_poa_port = TOKEN_STRING_INITIALIZER(PortOpAll, port, "port");
cmdline_parse_token_string_t t_poa_op = TOKEN_STRING_INITIALIZER(PortOpAll, op, "start#stop#close#reset");
cmdline_parse_token_string_t t_poa_all = TOKEN_STRING_INITIALIZER(PortOpAll, all, "all");
auto c_port_op_all = make_command<PortOpAll, on_port_op_all>(
    "port start|stop|close|reset all: Start/Stop/Close/Reset all ports", t_poa_port, t_poa_op, t_poa_all);

struct PortOp {
    cmdline_fixed_string_t port, op;
    std::uint16_t port_id;
};
void on_port_op(const PortOp& r) {
    if (r.port_id == kAllPorts) {  // not a port number; kAllPorts is only "all"
        std::fprintf(stderr, "Invalid port %u\n", r.port_id);
        return;
    }
    port_operation(r.op, r.port_id);
}
cmdline_parse_token_string_t t_po_port = TOKEN_STRING_INITIALIZER(PortOp, port, "port");
cmdline_parse_token_string_t t_po_op = TOKEN_STRING_INITIALIZER(PortOp, op, "start#stop#close#reset");
cmdline_parse_token_num_t t_po_id = TOKEN_NUM_INITIALIZER(PortOp, port_id, RTE_UINT16);
auto c_port_op = make_command<PortOp, on_port_op>("port start|stop|close|reset <port_id>: Start/Stop/Close/Reset port_id",
                                                  t_po_port, t_po_op, t_po_id);

// --- port config mtu <port> <value>, port config all rxq|txq|rxd|txd <value>

struct PortConfigMtu {
    cmdline_fixed_string_t port, config, mtu;
    std::uint16_t port_id, value;
};
void on_port_config_mtu(const PortConfigMtu& r) { set_port_mtu(r.port_id, r.value); }
cmdline_parse_token_string_t t_pcm_port = TOKEN_STRING_INITIALIZER(PortConfigMtu, port, "port");
cmdline_parse_token_string_t t_pcm_config = TOKEN_STRING_INITIALIZER(PortConfigMtu, config, "config");
cmdline_parse_token_string_t t_pcm_mtu = TOKEN_STRING_INITIALIZER(PortConfigMtu, mtu, "mtu");
cmdline_parse_token_num_t t_pcm_id = TOKEN_NUM_INITIALIZER(PortConfigMtu, port_id, RTE_UINT16);
cmdline_parse_token_num_t t_pcm_value = TOKEN_NUM_INITIALIZER(PortConfigMtu, value, RTE_UINT16);
auto c_port_config_mtu = make_command<PortConfigMtu, on_port_config_mtu>(
    "port config mtu <port_id> <value>", t_pcm_port, t_pcm_config, t_pcm_mtu, t_pcm_id, t_pcm_value);

struct PortConfigAll {
    cmdline_fixed_string_t port, config, all, what;
    std::uint16_t value;
};
void on_port_config_all(const PortConfigAll& r) { config_all_queues(r.what, r.value); }
cmdline_parse_token_string_t t_pca_port = TOKEN_STRING_INITIALIZER(PortConfigAll, port, "port");
cmdline_parse_token_string_t t_pca_config = TOKEN_STRING_INITIALIZER(PortConfigAll, config, "config");
cmdline_parse_token_string_t t_pca_all = TOKEN_STRING_INITIALIZER(PortConfigAll, all, "all");
cmdline_parse_token_string_t t_pca_what = TOKEN_STRING_INITIALIZER(PortConfigAll, what, "rxq#txq#rxd#txd");
cmdline_parse_token_num_t t_pca_value = TOKEN_NUM_INITIALIZER(PortConfigAll, value, RTE_UINT16);
auto c_port_config_all = make_command<PortConfigAll, on_port_config_all>(
    "port config all rxq|txq|rxd|txd <value>", t_pca_port, t_pca_config, t_pca_all, t_pca_what, t_pca_value);

// --- quit, help

struct Quit {
    cmdline_fixed_string_t quit;
};
void on_quit(const Quit&, cmdline* cl) {
    g_quit.store(true);
    cmdline_quit(cl);
}
cmdline_parse_token_string_t t_quit = TOKEN_STRING_INITIALIZER(Quit, quit, "quit");
auto c_quit = make_command<Quit, on_quit>("quit: Exit application", t_quit);

struct Help {
    cmdline_fixed_string_t help;
};
void on_help(const Help&) {
    std::printf("\ntestpmd commands (same syntax and output as dpdk-testpmd):\n");
    for (cmdline_parse_inst_t* inst : testpmd_commands())
        std::printf("    %s\n", inst->help_str);
    std::printf("\nENA commands (ena-testpmd's own):\n");
    for (cmdline_parse_inst_t* inst : ena_commands())
        std::printf("    %s\n", inst->help_str);
    std::printf("\nSimulated device commands (net_ena_sim ports only):\n");
    for (cmdline_parse_inst_t* inst : sim_commands())
        std::printf("    %s\n", inst->help_str);
    std::printf("\n");
}
cmdline_parse_token_string_t t_help = TOKEN_STRING_INITIALIZER(Help, help, "help");
auto c_help = make_command<Help, on_help>("help: this list", t_help);

// --- ENA: show port allowance|llq <port>

struct ShowPortEna {
    cmdline_fixed_string_t show, port, what;
    std::uint16_t port_id;
};
void on_show_port_ena(const ShowPortEna& r) {
    if (std::string_view(r.what) == "allowance")
        show_port_allowance(r.port_id);
    else
        show_port_llq(r.port_id);
}
cmdline_parse_token_string_t t_spe_show = TOKEN_STRING_INITIALIZER(ShowPortEna, show, "show");
cmdline_parse_token_string_t t_spe_port = TOKEN_STRING_INITIALIZER(ShowPortEna, port, "port");
cmdline_parse_token_string_t t_spe_allowance = TOKEN_STRING_INITIALIZER(ShowPortEna, what, "allowance");
cmdline_parse_token_string_t t_spe_llq = TOKEN_STRING_INITIALIZER(ShowPortEna, what, "llq");
cmdline_parse_token_num_t t_spe_id = TOKEN_NUM_INITIALIZER(ShowPortEna, port_id, RTE_UINT16);
auto c_show_port_allowance = make_command<ShowPortEna, on_show_port_ena>(
    "show port allowance <port_id>: ENI allowance counters, per-second rates and what limit is hit", t_spe_show,
    t_spe_port, t_spe_allowance, t_spe_id);
auto c_show_port_llq = make_command<ShowPortEna, on_show_port_ena>(
    "show port llq <port_id>: Tx placement (LLQ entry and header room), ring sizes and limits", t_spe_show, t_spe_port,
    t_spe_llq, t_spe_id);

std::vector<cmdline_parse_inst_t*> all_commands() {
    std::vector<cmdline_parse_inst_t*> ctx;
    for (auto* list : {&testpmd_commands, &ena_commands, &sim_commands})
        for (cmdline_parse_inst_t* inst : (*list)())
            ctx.push_back(inst);
    ctx.push_back(c_help.inst());
    ctx.push_back(nullptr);  // rte_cmdline wants a NULL-terminated list
    return ctx;
}

std::vector<cmdline_parse_inst_t*>& context() {
    static std::vector<cmdline_parse_inst_t*> ctx = all_commands();
    return ctx;
}

}  // namespace

std::vector<cmdline_parse_inst_t*> testpmd_commands() {
    return {c_show_port_all.inst(),   c_show_port.inst(),       c_show_config.inst(),      c_fwd_stats.inst(),
            c_set_fwd.inst(),         c_set_txpkts.inst(),      c_set_number.inst(),       c_set_flush_rx.inst(),
            c_set_eth_peer.inst(),    c_start.inst(),           c_start_tx_first.inst(),   c_start_tx_first_n.inst(),
            c_stop.inst(),            c_port_op_all.inst(),     c_port_op.inst(),          c_port_config_mtu.inst(),
            c_port_config_all.inst(), c_quit.inst()};
}

std::vector<cmdline_parse_inst_t*> ena_commands() { return {c_show_port_allowance.inst(), c_show_port_llq.inst()}; }

int run_cmdline_file(const std::string& path) {
    cmdline* cl = cmdline_file_new(context().data(), kPrompt, path.c_str());
    if (cl == nullptr) {
        std::fprintf(stderr, "Failed to create file based cmdline context: %s\n", path.c_str());
        return -1;
    }
    cmdline_interact(cl);
    cmdline_quit(cl);
    cmdline_free(cl);
    std::printf("Read CLI commands from %s\n", path.c_str());
    return 0;
}

void run_prompt() {
    cmdline* cl = cmdline_stdin_new(context().data(), kPrompt);
    if (cl == nullptr) {
        std::fprintf(stderr, "Failed to create stdin based cmdline context\n");
        return;
    }
    g_prompt.store(cl);
    // Not cmdline_interact(): between keystrokes the main lcore also recovers ports (--auto-reset).
    while (!app().quit.load()) {
        service_auto_resets();
        pollfd input{STDIN_FILENO, POLLIN, 0};
        const int n = poll(&input, 1, 100);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        char c;
        const ssize_t got = read(STDIN_FILENO, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        // One character: edit, complete, or run a line; < 0 once a command quit or at EOF.
        if (got <= 0 || cmdline_in(cl, &c, 1) < 0)
            break;
    }
    g_prompt.store(nullptr);
    cmdline_stdin_exit(cl);
}

void stop_prompt() {
    if (cmdline* cl = g_prompt.load())
        cmdline_quit(cl);
}

bool quit_requested() { return g_quit.load(); }

}  // namespace ena::testpmd
