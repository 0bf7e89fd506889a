// ThreadSanitizer and DPDK's alarms. EAL runs an alarm's callback on its interrupt thread, and
// rte_eal_alarm_cancel waits for a callback that is running, both under an rte_spinlock inside
// EAL, which is not instrumented. ThreadSanitizer therefore sees neither what the caller of
// rte_eal_alarm_set did happen before the callback, nor the callback happen before what follows
// rte_eal_alarm_cancel -- freeing the port whose alarm it was, and the next port's constructor
// at the same address. Our code's calls are routed here (-Wl,--wrap, top-level meson.build):
// every (callback, argument) pair gets a synchronisation object; setting the alarm releases it,
// the callback runs between an acquire and a release of it, cancelling acquires it.
//
// Compiled into every library that uses DPDK; the table and the trampoline are inline, so each
// program or plugin has one of each, and the wrappers are weak, so any copy will do.
#include <rte_alarm.h>
#include <rte_errno.h>

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

extern "C" {
void __tsan_acquire(void* address);
void __tsan_release(void* address);
int __real_rte_eal_alarm_set(uint64_t us, rte_eal_alarm_callback callback, void* arg);
int __real_rte_eal_alarm_cancel(rte_eal_alarm_callback callback, void* arg);
}

namespace ena::tsan {

struct Alarm {
    rte_eal_alarm_callback callback;
    void* arg;
};

struct AlarmTable {
    std::mutex lock;
    std::map<std::pair<rte_eal_alarm_callback, void*>, std::unique_ptr<Alarm>> alarms;
};

// Never destroyed: EAL may still run a callback while the program exits.
inline AlarmTable& table() {
    static auto* t = new AlarmTable;
    return *t;
}

inline void run(void* p) {
    auto* alarm = static_cast<Alarm*>(p);
    __tsan_acquire(alarm);
    alarm->callback(alarm->arg);
    __tsan_release(alarm);
}

}  // namespace ena::tsan

extern "C" {

__attribute__((weak)) int __wrap_rte_eal_alarm_set(uint64_t us, rte_eal_alarm_callback callback, void* arg) {
    using namespace ena::tsan;
    Alarm* alarm;
    {
        std::lock_guard guard(table().lock);
        auto& slot = table().alarms[{callback, arg}];
        if (!slot)
            slot = std::make_unique<Alarm>(Alarm{callback, arg});
        alarm = slot.get();
    }
    __tsan_release(alarm);
    return __real_rte_eal_alarm_set(us, run, alarm);
}

// As rte_eal_alarm_cancel: the number of alarms removed, or -1 with rte_errno (ENOENT: none;
// EINPROGRESS: called from the callback itself).
__attribute__((weak)) int __wrap_rte_eal_alarm_cancel(rte_eal_alarm_callback callback, void* arg) {
    using namespace ena::tsan;
    std::vector<Alarm*> matching;
    {
        std::lock_guard guard(table().lock);
        for (auto& [key, alarm] : table().alarms)
            if (key.first == callback && (arg == reinterpret_cast<void*>(-1) || key.second == arg))
                matching.push_back(alarm.get());
    }
    if (matching.empty())
        return __real_rte_eal_alarm_cancel(callback, arg);
    int removed = 0;
    int error = ENOENT;
    for (Alarm* alarm : matching) {
        const int rc = __real_rte_eal_alarm_cancel(run, alarm);
        if (rc > 0)
            removed += rc;
        else if (rc < 0 && rte_errno != ENOENT)
            error = rte_errno;
        __tsan_acquire(alarm);
    }
    if (removed == 0) {
        rte_errno = error;
        return -1;
    }
    return removed;
}

}  // extern "C"
