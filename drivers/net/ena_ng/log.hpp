// Log types of the driver (pmd.net.ena_ng.init, .driver, .tx, .rx) and a printf-style helper.
#pragma once

#include <cstdarg>
#include <cstdint>

#include <rte_log.h>

namespace ena::ng {

// Dynamic log type ids, registered by log.cpp at load time.
extern int g_log_init;
extern int g_log_driver;
extern int g_log_tx;
extern int g_log_rx;

// Severity values are rte_log's (RTE_LOG_ERR, ...). Every line is prefixed "ena_ng: " and gets
// a trailing newline, so call sites pass neither.
[[gnu::format(printf, 3, 4)]] void log(int type, std::uint32_t level, const char* format, ...);

// The same with another prefix and a va_list, for the simulated device's glue and its own type.
[[gnu::visibility("default")]] void log_with_prefix(int type, std::uint32_t level, const char* prefix,
                                                  const char* format, va_list args);

}  // namespace ena::ng
