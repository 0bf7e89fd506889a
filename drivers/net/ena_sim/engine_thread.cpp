#include "engine_thread.hpp"

#include <pthread.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "dpdk_compat.hpp"
#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

void stop_runners_at_exit();

// One runner (Engine or Timekeeper) on its control thread, for as long as it has devices.
template <typename Runner>
class RunnerThread {
public:
    explicit RunnerThread(const char* name) : name_(name) {}

    // Returns 0 or -errno; `started` is told the thread's CPUs when this call started it.
    template <typename Started>
    int attach(Device& device, int cpu, Started started) {
        std::lock_guard guard(lock_);
        if (devices_ == 0) {
            runner_ = std::make_unique<Runner>();  // a fresh one per start: a stopped one stays stopped
            runner_->add(device);
            // An application that exits without closing its ports: the thread stops before the
            // devices are destroyed with the rest of the library's objects.
            static std::once_flag at_exit;
            std::call_once(at_exit, [] { std::atexit(stop_runners_at_exit); });
            const int rc = compat::control_thread_create(&thread_, name_, run, runner_.get());
            if (rc != 0) {
                sim_log(RTE_LOG_ERR, "cannot create the simulator's %s thread: %d", name_, rc);
                runner_->remove(device);
                runner_.reset();
                return rc < 0 ? rc : -rc;
            }
            if (cpu >= 0) {
                rte_cpuset_t set;
                CPU_ZERO(&set);
                CPU_SET(static_cast<unsigned>(cpu), &set);
                if (const int pin_rc = compat::control_thread_set_affinity(thread_, set); pin_rc != 0)
                    sim_log(RTE_LOG_WARNING, "cannot pin the simulator's %s thread to CPU %d: %d", name_, cpu, pin_rc);
            }
            started(thread_);
        } else {
            runner_->add(device);
        }
        ++devices_;
        return 0;
    }

    void detach(Device& device) {
        std::lock_guard guard(lock_);
        if (devices_ == 0 || !runner_)
            return;
        runner_->remove(device);
        if (--devices_ == 0) {
            runner_->stop();
            compat::control_thread_join(thread_);
            runner_.reset();
            sim_log(RTE_LOG_INFO, "simulator %s thread stopped", name_);
        }
    }

    // At exit: the thread stops, whatever devices it still has.
    void stop_for_exit() {
        std::lock_guard guard(lock_);
        if (devices_ == 0 || !runner_)
            return;
        runner_->stop();
        compat::control_thread_join(thread_);
        devices_ = 0;
        // runner_ stays: devices still point at it until they go.
    }

private:
    static compat::ControlThreadResult run(void* runner) {
        static_cast<Runner*>(runner)->run();
        return {};
    }

    const char* name_;
    std::mutex lock_;
    std::unique_ptr<Runner> runner_;
    compat::ControlThread thread_{};
    unsigned devices_ = 0;
};

RunnerThread<Engine> g_engine("ena-sim-engine");
RunnerThread<Timekeeper> g_timekeeper("ena-sim-time");

void stop_runners_at_exit() {
    g_engine.stop_for_exit();
    g_timekeeper.stop_for_exit();
}

// "0-1,4" for a CPU set.
std::string cpu_list(const rte_cpuset_t& set) {
    std::string out;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        int last = cpu;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
            ++last;
        if (!out.empty())
            out += ',';
        out += std::to_string(cpu);
        if (last > cpu)
            out += '-' + std::to_string(last);
        cpu = last;
    }
    return out.empty() ? "none" : out;
}

std::string thread_cpus(compat::ControlThread thread) {
    rte_cpuset_t set;
    CPU_ZERO(&set);
    if (compat::control_thread_get_affinity(thread, set) != 0)
        return "?";
    return cpu_list(set);
}

// The CPUs DPDK gives its control threads: those the process was started on that no lcore
// uses, or the main lcore's when there are none. A control thread reads them off itself.
rte_cpuset_t control_thread_cpus() {
    static rte_cpuset_t set;
    CPU_ZERO(&set);
    compat::ControlThread probe{};
    if (compat::control_thread_create(&probe, "ena-sim-cpus",
                                      [](void*) -> compat::ControlThreadResult {
                                          pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
                                          return {};
                                      },
                                      nullptr) == 0)
        compat::control_thread_join(probe);
    return set;
}

EngineChoice decide_engine() {
    rte_cpuset_t lcores;
    CPU_ZERO(&lcores);
    for (unsigned id = 0; id < RTE_MAX_LCORE; ++id)
        if (rte_lcore_has_role(id, ROLE_RTE) > 0 || rte_lcore_has_role(id, ROLE_SERVICE) > 0) {
            const rte_cpuset_t cpus = rte_lcore_cpuset(id);
            CPU_OR(&lcores, &lcores, &cpus);
        }
    const rte_cpuset_t control = control_thread_cpus();
    rte_cpuset_t spare = control;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &lcores))
            CPU_CLR(cpu, &spare);
    if (CPU_COUNT(&spare) == 0)
        return {EngineMode::kInline, "every CPU of the process is a DPDK lcore (" + cpu_list(lcores) +
                                         "), so the device works in the application's threads"};
    return {EngineMode::kThreaded, "CPU " + cpu_list(spare) + " of the process is not a DPDK lcore (lcores on " +
                                       cpu_list(lcores) + "), so an engine thread runs the device there"};
}

}  // namespace

int engine_attach(Device& device, int cpu) {
    return g_engine.attach(device, cpu, [cpu](compat::ControlThread thread) {
        sim_log(RTE_LOG_INFO, "simulator engine thread started on CPU %s%s", thread_cpus(thread).c_str(),
                cpu >= 0 ? " (engine_cpu)" : "");
    });
}

void engine_detach(Device& device) { g_engine.detach(device); }

int timekeeper_attach(Device& device) {
    return g_timekeeper.attach(device, kEngineCpuControl, [](compat::ControlThread thread) {
        sim_log(RTE_LOG_INFO, "simulator time thread started on CPU %s", thread_cpus(thread).c_str());
    });
}

void timekeeper_detach(Device& device) { g_timekeeper.detach(device); }

const EngineChoice& default_engine() {
    static const EngineChoice choice = decide_engine();
    return choice;
}

}  // namespace ena::sim::glue
