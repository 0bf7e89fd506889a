// vdev glue of net_ena_sim: parses the devargs, builds the simulated device (model + wire),
// describes it to the driver as DeviceResources and creates the net_ena_ng port on it.
//
// Inline engine (the default when every CPU of the process is an lcore): the device works in
// the threads that drive it -- a Tx doorbell serves the queue at once, an Rx poll delivers what
// waits -- with real time, and the process-wide time thread runs what only time makes due.
// Threaded engine (the default when a CPU is left over): the process-wide engine thread polls
// the device. In both, the driver uses real time and its control register writes are answered
// in its own thread (a busy machine never delays the control path). Synchronous engine: every
// register write runs the device at once and the driver's clock is the device's virtual clock
// (sleeping advances it), so tests are deterministic. Deferred engine (benchmarks): register
// writes only record work, which runs when the caller calls Device::process() or when the
// driver sleeps waiting for the device (control path).
// Frames from a TAP interface or a capture (wire=tap:..., wire=[pcap:...], sim_wires.cpp) come
// in when the engine thread polls the wire, at an Rx poll (inline), or, in the other modes,
// whenever the device runs.
#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devargs.hpp"
#include "dpdk_iova.hpp"
#include "ena_ng_port.hpp"
#include "ena_sim_api.hpp"
#include "engine_thread.hpp"
#include "log.hpp"
#include "memzone_dma.hpp"
#include "sim_devargs.hpp"
#include "sim_interrupts.hpp"
#include "sim_log.hpp"

namespace ena::sim::glue {

RTE_LOG_REGISTER(g_sim_log, pmd.net.ena_sim, NOTICE);

void sim_log(std::uint32_t level, const char* format, ...) {
    va_list args;
    va_start(args, format);
    ng::log_with_prefix(g_sim_log, level, "ena_sim", format, args);
    va_end(args);
}

namespace {

struct SimInstance {
    std::string name;
    EngineMode mode = EngineMode::kThreaded;
    std::unique_ptr<SimInterrupts> interrupts;  // outlives the device that raises them
    std::unique_ptr<Device> device;
    bool on_engine = false;      // the engine thread runs it
    bool on_timekeeper = false;  // the time thread runs its timers
};

std::mutex g_instances_lock;
std::vector<std::unique_ptr<SimInstance>> g_instances;
unsigned g_default_mac_serial = 0;

// The device learns of every register write (what it does with it depends on its engine mode).
void after_register_write(void* ctx, std::uint32_t offset) { static_cast<Device*>(ctx)->on_register_write(offset); }
void before_rx_poll(void* ctx, std::uint32_t) { static_cast<Device*>(ctx)->on_rx_poll(); }
std::uint64_t sync_now_ns(void* ctx) { return static_cast<Device*>(ctx)->now_ns(); }
void sync_sleep_us(void* ctx, unsigned microseconds) {
    static_cast<Device*>(ctx)->advance_time(std::uint64_t{microseconds} * 1000);
}
// Deferred mode: a driver that waits for the device (admin command, readless read, reset) lets
// it run; the datapath never sleeps, so its device work stays for the caller to time.
void deferred_sleep_us(void* ctx, unsigned microseconds) {
    auto* device = static_cast<Device*>(ctx);
    device->process();
    device->advance_time(std::uint64_t{microseconds} * 1000);
}

// What the port's driver reads of the Rx completions: it takes checksum flags and the RSS hash
// only with those Rx offloads on (port or queue), so without them the device spends nothing on
// them. Asked when the driver creates an Rx queue (dev_start, after every configure).
RxCompletionUse rx_completion_use(std::uint16_t port_id) {
    constexpr std::uint64_t kChecksums =
        RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    const rte_eth_dev_data* data = rte_eth_devices[port_id].data;
    if (data == nullptr)
        return {};
    std::uint64_t offloads = data->dev_conf.rxmode.offloads;
    for (std::uint16_t q = 0; q < data->nb_rx_queues; ++q) {
        rte_eth_rxq_info info{};
        if (rte_eth_rx_queue_info_get(port_id, q, &info) == 0)
            offloads |= info.conf.offloads;
    }
    return RxCompletionUse{(offloads & kChecksums) != 0, (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0};
}

const char* engine_name(EngineMode mode) {
    switch (mode) {
        case EngineMode::kInline:
            return "inline";
        case EngineMode::kThreaded:
            return "threaded";
        case EngineMode::kSynchronous:
            return "synchronous";
        case EngineMode::kDeferred:
            return "deferred";
    }
    return "?";
}

// The Nitro card's settings in one line: what the port's traffic will be held to.
std::string nitro_summary(const SimArgs& args) {
    const NitroConfig& n = args.config.nitro;
    std::string text = args.instance != nullptr ? "instance " + std::string(args.instance->name) + ", " : "";
    auto limit = [](std::uint64_t v, const char* unit) { return v == 0 ? std::string("off") : std::to_string(v) + unit; };
    text += "pps " + limit(n.pps, "") + ", bw out " + limit(n.bw_out_mbps, " Mbit/s") + ", bw in " +
            limit(n.bw_in_mbps, " Mbit/s") + ", conntrack " + limit(n.conntrack_max, "") + ", link-local " +
            limit(n.linklocal_pps, " pps") + ", ENA Express " +
            (n.srd == SrdMode::kOff ? "off" : n.srd == SrdMode::kOn ? "on" : "on (UDP too)");
    return text;
}

void remove_instance(const char* name) {
    std::unique_ptr<SimInstance> instance;
    {
        std::lock_guard guard(g_instances_lock);
        for (auto it = g_instances.begin(); it != g_instances.end(); ++it) {
            if ((*it)->name == name) {
                instance = std::move(*it);
                g_instances.erase(it);
                break;
            }
        }
    }
    if (instance && instance->on_engine)
        engine_detach(*instance->device);
    if (instance && instance->on_timekeeper)
        timekeeper_detach(*instance->device);
    if (instance)
        instance->device->set_interrupt_handler(nullptr);
}

// A secondary process attaches to the port the primary made. The simulated device lives in the
// primary's memory, out of this process's reach: the port gives statistics and information here.
int attach_secondary(rte_vdev_device* vdev) {
    ng::PortRequest request;
    request.device = &vdev->device;
    request.name = rte_vdev_device_name(vdev);
    request.resources.name = request.name;
    std::uint16_t port_id = 0;
    return ng::create_port(request, &port_id);
}

int probe(rte_vdev_device* vdev) {
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return attach_secondary(vdev);
    const char* name = rte_vdev_device_name(vdev);
    const char* args = rte_vdev_device_args(vdev);
    SimArgs sim_args;
    int rc = parse_sim_args(name, args, sim_args);
    if (rc != 0)
        return rc;
    if (!sim_args.mac_given) {
        // Distinct locally administered addresses for devices created without mac=.
        std::lock_guard guard(g_instances_lock);
        const unsigned serial = ++g_default_mac_serial;
        sim_args.config.mac = {0x02, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(serial >> 8),
                               static_cast<std::uint8_t>(serial)};
    }

    std::string wire_error;
    std::shared_ptr<Wire> wire = make_wire(sim_args.wire, &wire_error);
    if (!wire) {
        sim_log(RTE_LOG_ERR, "%s: invalid value '%s' for devarg wire: %s (accepted: loopback, vpc:NAME, tap:IFNAME, "
                "[pcap:rx=FILE,tx=FILE])", name, sim_args.wire.c_str(), wire_error.empty() ? "unknown wire" : wire_error.c_str());
        return -EINVAL;
    }

    // The engine: the devargs', else what the machine suggests (engine_cpu= asks for a thread).
    std::string why;
    EngineMode mode;
    if (sim_args.mode) {
        mode = *sim_args.mode;
        why = "engine=" + std::string(engine_name(mode)) + " devarg";
    } else if (sim_args.engine_cpu >= 0) {
        mode = EngineMode::kThreaded;
        why = "engine_cpu=" + std::to_string(sim_args.engine_cpu) + " devarg";
    } else {
        mode = default_engine().mode;
        why = default_engine().reason;
    }

    auto instance = std::make_unique<SimInstance>();
    instance->name = name;
    instance->mode = mode;
    instance->device = std::make_unique<Device>(sim_args.config, dpdk_iova_translator(), mode);
    Device& device = *instance->device;
    if (std::string refused; !device.attach_wire(std::move(wire), &refused)) {
        sim_log(RTE_LOG_ERR, "%s: cannot join wire %s: %s; choose another mac=", name, sim_args.wire.c_str(),
                refused.c_str());
        return -EADDRINUSE;
    }
    for (const ScheduledFault& f : sim_args.faults) {
        device.schedule_fault(f.fault, f.delay_ms, f.count, f.param);
        const std::string_view kind = fault_name(f.fault);
        sim_log(RTE_LOG_INFO, "%s: fault %.*s scheduled %" PRIu64 " ms after the driver first starts the device (%s)",
                name, static_cast<int>(kind.size()), kind.data(), f.delay_ms,
                f.count == kFaultUntilReset ? "until the next device reset"
                                            : (std::to_string(f.count) + " occurrence(s)").c_str());
    }

    ng::PortRequest request;
    ng::DeviceResources& resources = request.resources;
    resources.registers = device.register_bar();
    resources.registers_size = device.register_bar_size();
    resources.llq_memory = device.llq_bar();
    resources.llq_memory_size = device.llq_bar_size();
    resources.readless_mmio = sim_args.config.readless_mmio;
    resources.numa_node = vdev->device.numa_node;
    resources.name = instance->name.c_str();
    resources.dma_alloc = ng::memzone_dma_alloc;
    resources.dma_free = ng::memzone_dma_free;
    resources.ctx = &device;
    // Deferred mode does its work only in process(): its datapath doorbells stay uncounted
    // calls, and it has no MSI-X (a benchmark runs the device's work itself and nothing else in
    // the process). The other modes: MSI-X as event fds in the port's EAL interrupt handle.
    if (mode != EngineMode::kDeferred) {
        resources.after_register_write = after_register_write;
        instance->interrupts = SimInterrupts::create(instance->name.c_str(), sim_args.config.max_io_queues);
        if (!instance->interrupts)
            return -ENOMEM;
        SimInterrupts* irq = instance->interrupts.get();
        device.set_interrupt_handler([irq](std::uint32_t vector) { irq->raise(vector); });
        resources.management_interrupt = true;
        resources.set_queue_vectors = SimInterrupts::set_queue_vectors;
        resources.interrupt_ctx = irq;
        request.fill_ethdev = [](rte_eth_dev* eth_dev, void* ctx) {
            eth_dev->intr_handle = static_cast<SimInterrupts*>(ctx)->handle();
        };
        request.fill_ctx = irq;
    }

    if (mode == EngineMode::kInline) {
        resources.before_rx_poll = before_rx_poll;
        resources.now_ns = ng::tsc_now_ns;
        resources.sleep_us = ng::tsc_sleep_us;
        rc = timekeeper_attach(device);
        if (rc != 0)
            return rc;
        instance->on_timekeeper = true;
    } else if (mode == EngineMode::kThreaded) {
        resources.now_ns = ng::tsc_now_ns;
        resources.sleep_us = ng::tsc_sleep_us;
        rc = engine_attach(device, sim_args.engine_cpu);
        if (rc != 0)
            return rc;
        instance->on_engine = true;
    } else if (mode == EngineMode::kSynchronous) {
        resources.now_ns = sync_now_ns;
        resources.sleep_us = sync_sleep_us;
    } else {
        resources.now_ns = sync_now_ns;
        resources.sleep_us = deferred_sleep_us;
    }

    SimInstance* raw = instance.get();
    {
        std::lock_guard guard(g_instances_lock);
        g_instances.push_back(std::move(instance));
    }
    request.device = &vdev->device;
    request.name = name;
    request.devargs = sim_args.driver_args.c_str();
    request.foreign_keys = kSimDevargs;
    std::uint16_t port_id = 0;
    rc = ng::create_port(request, &port_id);
    if (rc != 0) {
        remove_instance(raw->name.c_str());
        sim_log(RTE_LOG_ERR, "%s: driver did not come up on the simulated device: %d", name, rc);
        return rc;
    }
    device.set_rx_completion_use([port_id] { return rx_completion_use(port_id); });
    sim_log(RTE_LOG_NOTICE, "%s: port %u runs the %s engine: %s", name, port_id, engine_name(mode), why.c_str());
    sim_log(RTE_LOG_INFO, "%s: port %u on a simulated ENA (wire %s); Nitro: %s", name, port_id, sim_args.wire.c_str(),
            nitro_summary(sim_args).c_str());
    if (mode == EngineMode::kDeferred)
        sim_log(RTE_LOG_WARNING,
                "%s: engine=deferred: the device works only when the application calls ena::sim::Device::process() "
                "(benchmarks such as app/ena-perf do); without that the link comes up and no frame moves. For an "
                "application use engine=auto (the default), inline, threaded or sync",
                name);
    return 0;
}

int remove(rte_vdev_device* vdev) {
    const char* name = rte_vdev_device_name(vdev);
    const int rc = ng::destroy_port(name);
    remove_instance(name);
    return rc;
}

}  // namespace
}  // namespace ena::sim::glue

namespace ena::sim {

Device* find_device(const char* vdev_name) {
    std::lock_guard guard(glue::g_instances_lock);
    for (const auto& instance : glue::g_instances)
        if (instance->name == vdev_name)
            return instance->device.get();
    return nullptr;
}

Device* find_device(std::uint16_t port_id) {
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(port_id, name) != 0)
        return nullptr;
    return find_device(static_cast<const char*>(name));
}

}  // namespace ena::sim

static rte_vdev_driver ena_sim_vdev_driver = {
    .probe = ena::sim::glue::probe,
    .remove = ena::sim::glue::remove,
};

RTE_PMD_REGISTER_VDEV(net_ena_sim, ena_sim_vdev_driver);
// What RTE_PMD_REGISTER_PARAM_STRING would embed: the device's devargs, then the driver's (the
// vdev passes those on), from the tables the parsers use.
[[gnu::used]] static constexpr auto __net_ena_sim_param_string_export =
    ena::ng::param_string<ena::sim::glue::kSimDevargs, ena::ng::kDriverDevargs>();
