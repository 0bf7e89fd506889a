// ThreadSanitizer and DPDK's interrupt callbacks, as tsan_dpdk_alarm.cpp for alarms: EAL runs a
// callback registered with rte_intr_callback_register on its interrupt thread, and
// rte_intr_callback_unregister_sync waits for one that is running, through locks and a pipe
// inside EAL, which is not instrumented. ThreadSanitizer therefore sees neither the registering
// thread's work happen before the callback, nor the callback happen before what follows the
// unregistration (freeing the port, the next port's constructor at the same address). Our
// code's calls come here (-Wl,--wrap, top-level meson.build): every (handle, callback, argument)
// gets a synchronisation object; registering releases it, the callback runs between an acquire
// and a release of it, unregistering acquires it.
#include <rte_interrupts.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

extern "C" {
void __tsan_acquire(void* address);
void __tsan_release(void* address);
int __real_rte_intr_callback_register(const rte_intr_handle* handle, rte_intr_callback_fn cb, void* arg);
int __real_rte_intr_callback_unregister(const rte_intr_handle* handle, rte_intr_callback_fn cb, void* arg);
int __real_rte_intr_callback_unregister_sync(const rte_intr_handle* handle, rte_intr_callback_fn cb, void* arg);
int __real_rte_intr_callback_unregister_pending(const rte_intr_handle* handle, rte_intr_callback_fn cb, void* arg,
                                                rte_intr_unregister_callback_fn ucb);
}

namespace ena::tsan {

struct Callback {
    rte_intr_callback_fn fn;
    void* arg;
};

struct CallbackTable {
    std::mutex lock;
    std::map<std::tuple<const rte_intr_handle*, rte_intr_callback_fn, void*>, std::unique_ptr<Callback>> callbacks;
};

// Never destroyed: EAL may still run a callback while the program exits.
inline CallbackTable& callbacks() {
    static auto* t = new CallbackTable;
    return *t;
}

inline void run_callback(void* p) {
    auto* c = static_cast<Callback*>(p);
    __tsan_acquire(c);
    c->fn(c->arg);
    __tsan_release(c);
}

// The registered trampoline's argument for (handle, fn, arg); nullptr if never registered.
inline Callback* find_callback(const rte_intr_handle* handle, rte_intr_callback_fn fn, void* arg) {
    std::lock_guard guard(callbacks().lock);
    const auto it = callbacks().callbacks.find({handle, fn, arg});
    return it == callbacks().callbacks.end() ? nullptr : it->second.get();
}

}  // namespace ena::tsan

extern "C" {

__attribute__((weak)) int __wrap_rte_intr_callback_register(const rte_intr_handle* handle, rte_intr_callback_fn cb,
                                                            void* arg) {
    using namespace ena::tsan;
    Callback* c;
    {
        std::lock_guard guard(callbacks().lock);
        auto& slot = callbacks().callbacks[{handle, cb, arg}];
        if (!slot)
            slot = std::make_unique<Callback>(Callback{cb, arg});
        c = slot.get();
    }
    __tsan_release(c);
    return __real_rte_intr_callback_register(handle, run_callback, c);
}

__attribute__((weak)) int __wrap_rte_intr_callback_unregister(const rte_intr_handle* handle, rte_intr_callback_fn cb,
                                                              void* arg) {
    using namespace ena::tsan;
    Callback* c = find_callback(handle, cb, arg);
    if (c == nullptr)
        return __real_rte_intr_callback_unregister(handle, cb, arg);
    const int rc = __real_rte_intr_callback_unregister(handle, run_callback, c);
    __tsan_acquire(c);
    return rc;
}

__attribute__((weak)) int __wrap_rte_intr_callback_unregister_sync(const rte_intr_handle* handle,
                                                                   rte_intr_callback_fn cb, void* arg) {
    using namespace ena::tsan;
    Callback* c = find_callback(handle, cb, arg);
    if (c == nullptr)
        return __real_rte_intr_callback_unregister_sync(handle, cb, arg);
    const int rc = __real_rte_intr_callback_unregister_sync(handle, run_callback, c);
    __tsan_acquire(c);
    return rc;
}

// Called from within the callback itself: EAL removes it once it returns. (A ucb would be called
// with the trampoline's argument; ours pass none.)
__attribute__((weak)) int __wrap_rte_intr_callback_unregister_pending(const rte_intr_handle* handle,
                                                                      rte_intr_callback_fn cb, void* arg,
                                                                      rte_intr_unregister_callback_fn ucb) {
    using namespace ena::tsan;
    Callback* c = find_callback(handle, cb, arg);
    if (c == nullptr)
        return __real_rte_intr_callback_unregister_pending(handle, cb, arg, ucb);
    return __real_rte_intr_callback_unregister_pending(handle, run_callback, c, ucb);
}

}  // extern "C"
