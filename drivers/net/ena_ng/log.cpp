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

void log(int type, std::uint32_t level, const char* format, ...) {
    if (!rte_log_can_log(static_cast<std::uint32_t>(type), level))
        return;
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    rte_log(level, static_cast<std::uint32_t>(type), "ena_ng: %s\n", line);
}

}  // namespace ena::ng
