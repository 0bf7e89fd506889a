#include "tx_placement.hpp"

namespace ena::testpmd {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The decimal number at text[at...] (leading spaces skipped), and where it ends.
std::optional<unsigned> number_at(std::string_view text, std::size_t& at) {
    while (at < text.size() && text[at] == ' ')
        ++at;
    if (at >= text.size() || !is_digit(text[at]))
        return std::nullopt;
    unsigned long value = 0;
    while (at < text.size() && is_digit(text[at]) && value < 0xFFFFFFFFul / 10)
        value = value * 10 + static_cast<unsigned>(text[at++] - '0');
    return static_cast<unsigned>(value);
}

void skip_separators(std::string_view text, std::size_t& at) {
    while (at < text.size() && (text[at] == ' ' || text[at] == ':' || text[at] == '='))
        ++at;
}

}  // namespace

TxPlacement parse_tx_placement(std::string_view mode) {
    TxPlacement p;
    if (mode.substr(0, 11) == "host memory") {
        p.known = true;
        return p;
    }
    if (mode.substr(0, 4) != "LLQ ")
        return p;
    std::size_t at = 4;
    const std::optional<unsigned> entry = number_at(mode, at);
    if (!entry || mode.substr(at, 3) != "B (")
        return p;
    at += 3;
    const std::optional<unsigned> room = number_at(mode, at);
    if (!room || mode.substr(at, 9) != "B header)")
        return p;
    p.known = p.llq = true;
    p.entry_size = *entry;
    p.header_room = *room;
    p.accelerated = mode.find("accelerated", at) != std::string_view::npos;
    return p;
}

std::optional<unsigned> parse_burst_budget(std::string_view mode) {
    const std::size_t found = mode.find("burst");
    if (found == std::string_view::npos)
        return std::nullopt;
    std::size_t at = found + 5;
    skip_separators(mode, at);
    if (mode.substr(at, 6) == "budget") {
        at += 6;
        skip_separators(mode, at);
    }
    return number_at(mode, at);
}

}  // namespace ena::testpmd
