#include "engine_thread.hpp"

#include <pthread.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include "sim_log.hpp"

namespace ena::sim::glue {

namespace {

struct EngineThread {
    std::mutex lock;
    std::unique_ptr<Engine> engine;  // a fresh one per start: a stopped Engine stays stopped
    pthread_t thread{};
    unsigned devices = 0;
};

EngineThread g_engine;

void* run_engine(void* arg) {
    static_cast<Engine*>(arg)->run();
    return nullptr;
}

int pin(pthread_t thread, int cpu) {
    rte_cpuset_t set;
    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(static_cast<unsigned>(cpu), &set);
    } else {
        set = rte_lcore_cpuset(rte_get_main_lcore());
    }
    return pthread_setaffinity_np(thread, sizeof(set), &set);
}

}  // namespace

int engine_attach(Device& device, int cpu) {
    std::lock_guard guard(g_engine.lock);
    if (g_engine.devices == 0) {
        g_engine.engine = std::make_unique<Engine>();
        g_engine.engine->add(device);
        const int rc = rte_ctrl_thread_create(&g_engine.thread, "ena-sim-engine", nullptr, run_engine,
                                              g_engine.engine.get());
        if (rc != 0) {
            sim_log(RTE_LOG_ERR, "cannot create the simulator engine thread: %d", rc);
            g_engine.engine.reset();
            return -rc;
        }
        const int pin_rc = pin(g_engine.thread, cpu);
        if (pin_rc != 0)
            sim_log(RTE_LOG_WARNING, "cannot pin the simulator engine thread to %s%d: %d",
                    cpu >= 0 ? "CPU " : "the main lcore's CPUs, lcore ", cpu >= 0 ? cpu : static_cast<int>(rte_get_main_lcore()),
                    pin_rc);
        else
            sim_log(RTE_LOG_INFO, "simulator engine thread started on %s%d",
                    cpu >= 0 ? "CPU " : "the CPUs of main lcore ", cpu >= 0 ? cpu : static_cast<int>(rte_get_main_lcore()));
    } else {
        g_engine.engine->add(device);
    }
    ++g_engine.devices;
    return 0;
}

void engine_detach(Device& device) {
    std::lock_guard guard(g_engine.lock);
    if (g_engine.devices == 0 || !g_engine.engine)
        return;
    g_engine.engine->remove(device);
    if (--g_engine.devices == 0) {
        g_engine.engine->stop();
        pthread_join(g_engine.thread, nullptr);
        g_engine.engine.reset();
        sim_log(RTE_LOG_INFO, "simulator engine thread stopped");
    }
}

}  // namespace ena::sim::glue
