#include "log.hpp"

#include <cstdarg>
#include <cstdio>

#define RTE_LOG_DEFAULT_LOGTYPE pmd.net.ena_ng
#include <rte_log.h>

namespace ena::ng {

RTE_LOG_REGISTER_SUFFIX(g_log_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(g_log_driver, driver, NOTICE);
RTE_LOG_REGISTER_SUFFIX(g_log_tx, tx, NOTICE);
RTE_LOG_REGISTER_SUFFIX(g_log_rx, rx, NOTICE);

void log_with_prefix(int type, std::uint32_t level, const char* prefix, const char* format, va_list args) {
    if (!rte_log_can_log(static_cast<std::uint32_t>(type), level))
        return;
    char line[512];
    std::vsnprintf(line, sizeof(line), format, args);
    rte_log(level, static_cast<std::uint32_t>(type), "%s: %s\n", prefix, line);
}

void log(int type, std::uint32_t level, const char* format, ...) {
    va_list args;
    va_start(args, format);
    log_with_prefix(type, level, "ena_ng", format, args);
    va_end(args);
}

}  // namespace ena::ng
