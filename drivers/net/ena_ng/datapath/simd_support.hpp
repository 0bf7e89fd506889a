// Which vector instructions the datapath may use on this machine, asked when a queue is set
// up: what the CPU has (its CPUID flags, read at run time) within what EAL allows
// (rte_vect_get_max_simd_bitwidth(), which --force-max-simd-bitwidth sets).
#pragma once

namespace ena::ng::datapath {

enum class SimdLevel {
    kScalar,  // below 128-bit vectors (--force-max-simd-bitwidth=64): no vector code
    kSse41,   // 128-bit vectors with SSE4.1
    kAvx2,    // 256-bit vectors with AVX2
};

SimdLevel simd_level();
const char* simd_level_name(SimdLevel level);

// The rx_path devarg: which Rx path a port's queues should run.
enum class RxPathRequest {
    kAuto,    // the widest this machine allows
    kScalar,
    kSse41,
    kAvx2,
};

}  // namespace ena::ng::datapath
