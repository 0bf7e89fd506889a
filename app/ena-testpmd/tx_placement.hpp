// What `show port llq` reads from a Tx burst-mode text, apart from ethdev so that it is tested
// alone (allowance_test.cpp). net_ena_ng reports "LLQ 128B (96B header), accelerated",
// "LLQ 256B (224B header)" or "host memory" (with ", offloads" when Tx offloads are on).
#pragma once

#include <optional>
#include <string_view>

namespace ena::testpmd {

struct TxPlacement {
    bool known = false;  // the text is one of the forms above
    bool llq = false;
    bool accelerated = false;
    unsigned entry_size = 0;   // bytes per LLQ entry
    unsigned header_room = 0;  // bytes of packet header an entry holds
};

TxPlacement parse_tx_placement(std::string_view burst_mode);

// Bytes of LLQ entries the device takes between two doorbells, when the text states it
// ("burst 2048B" or "burst budget 2048").
std::optional<unsigned> parse_burst_budget(std::string_view burst_mode);

}  // namespace ena::testpmd
