// rte_vect.h declares its functions without C linkage in DPDK 22.11: included first, inside
// extern "C", so that the names link.
extern "C" {
#include <rte_vect.h>
}
#include <rte_cpuflags.h>

#include "datapath/simd_support.hpp"

namespace ena::ng::datapath {

SimdLevel simd_level() {
    const unsigned allowed = rte_vect_get_max_simd_bitwidth();
    if (allowed >= RTE_VECT_SIMD_256 && rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0)
        return SimdLevel::kAvx2;
    if (allowed >= RTE_VECT_SIMD_128 && rte_cpu_get_flag_enabled(RTE_CPUFLAG_SSE4_1) > 0)
        return SimdLevel::kSse41;
    return SimdLevel::kScalar;
}

const char* simd_level_name(SimdLevel level) {
    switch (level) {
        case SimdLevel::kAvx2:
            return "AVX2";
        case SimdLevel::kSse41:
            return "SSE4.1";
        case SimdLevel::kScalar:
            break;
    }
    return "scalar";
}

}  // namespace ena::ng::datapath
