// How the fuzz targets report a property they check by hand (beyond what the sanitizers see):
// one line on stderr, then abort, which libFuzzer records as a crash with its input.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace ena::fuzz {

[[noreturn]] inline __attribute__((format(printf, 1, 2))) void property_failed(const char* format, ...) {
    std::va_list args;
    va_start(args, format);
    std::fprintf(stderr, "fuzz property violated: ");
    std::vfprintf(stderr, format, args);
    std::fprintf(stderr, "\n");
    va_end(args);
    std::abort();
}

}  // namespace ena::fuzz
