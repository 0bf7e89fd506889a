// ThreadSanitizer and device memory. The driver reaches the device the way it reaches hardware:
// volatile loads and stores (DPDK's rte_read32/rte_write32, ring entries read through volatile)
// ordered by DPDK's barriers, which ThreadSanitizer does not model. In the simulator the other
// side of those accesses is the device model's thread, with C++ acquire/release atomics. A
// ThreadSanitizer build instruments every volatile access (--param=tsan-distinguish-volatile=1,
// top-level meson.build) with a call here: a volatile store releases, a volatile load acquires,
// as the driver's barriers make them do towards the device. ThreadSanitizer then sees the
// handover of descriptors (before the doorbell) and of completions (after the phase bit) and
// checks every other access around them, instead of reporting the protocol itself as a race.
// (It no longer checks that the barriers are there: the unit tests and review do.)
//
// Weak: every library built with it carries a copy, and any one will do.
extern "C" {
void __tsan_acquire(void* address);
void __tsan_release(void* address);

#define ENA_TSAN_VOLATILE(size)                                                                    \
    __attribute__((weak, no_sanitize("thread"))) void __tsan_volatile_read##size(void* address) {  \
        __tsan_acquire(address);                                                                   \
    }                                                                                              \
    __attribute__((weak, no_sanitize("thread"))) void __tsan_volatile_write##size(void* address) { \
        __tsan_release(address);                                                                   \
    }
ENA_TSAN_VOLATILE(1)
ENA_TSAN_VOLATILE(2)
ENA_TSAN_VOLATILE(4)
ENA_TSAN_VOLATILE(8)
ENA_TSAN_VOLATILE(16)
#undef ENA_TSAN_VOLATILE
}
