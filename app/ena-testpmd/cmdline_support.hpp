// rte_cmdline glue for C++: a command instance with its token list sized at compile time, and
// the callback that runs a command's handler with the parsed result.
#pragma once

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_etheraddr.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include <cstddef>
#include <cstdio>
#include <type_traits>
#include <vector>

#include "app.hpp"

namespace ena::testpmd {

// Same layout as cmdline_parse_inst_t, whose token list is a flexible array member (which C++
// cannot initialise): N tokens and the terminating nullptr.
template <std::size_t N>
struct Command {
    void (*f)(void*, cmdline*, void*);
    void* data;
    const char* help_str;
    cmdline_parse_token_hdr_t* tokens[N + 1];

    cmdline_parse_inst_t* inst() { return reinterpret_cast<cmdline_parse_inst_t*>(this); }
};
static_assert(offsetof(Command<1>, f) == offsetof(cmdline_parse_inst_t, f));
static_assert(offsetof(Command<1>, help_str) == offsetof(cmdline_parse_inst_t, help_str));
static_assert(offsetof(Command<1>, tokens) == offsetof(cmdline_parse_inst_t, tokens));

// Handlers take the parse result, and the cmdline too when they need it (quit).
template <class Result, auto Handler>
void run_handler(void* parsed, cmdline* cl, void*) {
    const Result& result = *static_cast<const Result*>(parsed);
    if constexpr (std::is_invocable_v<decltype(Handler), const Result&, cmdline*>)
        Handler(result, cl);
    else
        Handler(result);
    std::fflush(stdout);
    std::fflush(stderr);
}

template <class Result, auto Handler, class... Tokens>
Command<sizeof...(Tokens)> make_command(const char* help, Tokens&... tokens) {
    return {&run_handler<Result, Handler>, nullptr, help, {&tokens.hdr..., nullptr}};
}

// The command lists each part contributes to the prompt.
std::vector<cmdline_parse_inst_t*> testpmd_commands();
std::vector<cmdline_parse_inst_t*> ena_commands();
std::vector<cmdline_parse_inst_t*> sim_commands();  // sim_control.cpp

}  // namespace ena::testpmd
