#include "harness.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dpdk_iova.hpp"

// --- the queues' tables on the heap (see harness.hpp) -----------------------------------------
extern "C" {

void* __wrap_rte_zmalloc_socket(const char*, std::size_t size, unsigned align, int) {
    if (align < alignof(std::max_align_t))
        align = alignof(std::max_align_t);
    // Whole multiples of the alignment, as aligned_alloc requires; the slack past `size` is
    // addressable, so round only as far as needed.
    void* p = std::aligned_alloc(align, (size + align - 1) / align * align);
    if (p != nullptr)
        std::memset(p, 0, size);
    return p;
}

void* __wrap_rte_zmalloc(const char* type, std::size_t size, unsigned align) {
    return __wrap_rte_zmalloc_socket(type, size, align, SOCKET_ID_ANY);
}

void __wrap_rte_free(void* p) { std::free(p); }

}  // extern "C"

namespace ena::fuzz {

namespace {

constexpr std::uint16_t kSlot = ng::kMaxDeviceSlots - 1;  // this process's resources for the device
constexpr std::uint64_t kMinSleepNs = 100'000;

rte_mempool* g_pool = nullptr;

}  // namespace

void init_dpdk() {
    if (g_pool != nullptr)
        return;
    if (std::getenv("ENA_FUZZ_LOG") == nullptr) {
        if (FILE* null = std::fopen("/dev/null", "w"))
            rte_openlog_stream(null);
    }
    const std::string prefix = "--file-prefix=ena_fuzz_" + std::to_string(getpid());
    std::vector<std::string> args = {"ena_fuzz", "--no-huge", "-m", "128", "--no-pci", "--no-shconf", prefix,
                                     "-l", "0", "--log-level=pmd.net.ena_ng.*:debug"};
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0)
        property_failed("EAL initialisation failed: %s", rte_strerror(rte_errno));
    g_pool = rte_pktmbuf_pool_create("fuzz_mbufs", kPoolSize, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (g_pool == nullptr)
        property_failed("cannot create the mbuf pool: %s", rte_strerror(rte_errno));
}

rte_mempool* mbuf_pool() { return g_pool; }

// --- DeviceUnderTest ----------------------------------------------------------------------------

DeviceUnderTest::DeviceUnderTest(const sim::DeviceConfig& config)
    : model_(std::make_unique<sim::Device>(config, sim::IovaTranslator{translate, this},
                                           sim::EngineMode::kSynchronous)) {
    ng::DeviceResources& r = resources();
    r = ng::DeviceResources{};
    r.registers = model_->register_bar();
    r.registers_size = model_->register_bar_size();
    r.llq_memory = model_->llq_bar();
    r.llq_memory_size = model_->llq_bar_size();
    r.readless_mmio = config.readless_mmio;
    r.numa_node = SOCKET_ID_ANY;
    r.name = "fuzz";
    r.slot = kSlot;
    r.dma_alloc = dma_alloc;
    r.dma_free = dma_free;
    r.after_register_write = register_written;
    r.now_ns = now_ns;
    r.sleep_us = sleep_us;
    r.ctx = this;
}

DeviceUnderTest::~DeviceUnderTest() {
    after_model = nullptr;  // the target's state may be gone already
    device_.shutdown();
    // The model may still hold addresses of rings the driver freed; it is gone before the memory.
    model_.reset();
    for (auto& [start, region] : regions_)
        std::free(region.va);
    resources() = ng::DeviceResources{};
}

ng::DeviceResources& DeviceUnderTest::resources() { return ng::process_resources(kSlot); }

int DeviceUnderTest::bring_up(ng::LlqPolicy policy) {
    ng::InitOptions options;
    options.llq_policy = policy;
    options.host.os_version_string = "fuzz";
    return device_.init(kSlot, options);
}

int DeviceUnderTest::reset_and_bring_up(ng::LlqPolicy policy) {
    const hw::ResetReason reason =
        device_.reset_requested() ? device_.requested_reset_reason() : hw::ResetReason::kNormal;
    device_.shutdown(reason);
    ng::InitOptions options;
    options.llq_policy = policy;
    options.host.os_version_string = "fuzz";
    options.keep_event_counts = true;
    return device_.init(kSlot, options);
}

const DeviceUnderTest::Region* DeviceUnderTest::dma(std::string_view name) const {
    for (const auto& [start, region] : regions_)
        if (std::string_view(region.name).starts_with(name))
            return &region;
    return nullptr;
}

std::uint32_t DeviceUnderTest::register_value(std::uint32_t offset) const {
    std::uint32_t value;
    std::memcpy(&value, const_cast<const std::uint8_t*>(model_->register_bar()) + offset, sizeof(value));
    return value;
}

int DeviceUnderTest::dma_alloc(void* ctx, const char* name, std::size_t size, std::size_t align, int,
                               ng::DmaRegion* out) {
    auto* self = static_cast<DeviceUnderTest*>(ctx);
    if (size == 0)
        return -EINVAL;
    align = std::max<std::size_t>(align, alignof(std::max_align_t));
    // Exactly `size` bytes when the alignment allows, so a read past the end is a heap overflow.
    void* p = std::aligned_alloc(align, (size + align - 1) / align * align);
    if (p == nullptr)
        return -ENOMEM;
    std::memset(p, 0, size);
    self->regions_[reinterpret_cast<std::uintptr_t>(p)] = Region{name != nullptr ? name : "", static_cast<std::uint8_t*>(p), size};
    *out = ng::DmaRegion{p, reinterpret_cast<std::uint64_t>(p), size, nullptr};
    return 0;
}

void DeviceUnderTest::dma_free(void* ctx, ng::DmaRegion* region) {
    auto* self = static_cast<DeviceUnderTest*>(ctx);
    const auto it = self->regions_.find(reinterpret_cast<std::uintptr_t>(region->va));
    if (it == self->regions_.end())
        property_failed("dma_free of %p, which dma_alloc never gave out", region->va);
    std::free(it->second.va);
    self->regions_.erase(it);
    *region = ng::DmaRegion{};
}

// The device reaches the driver's DMA regions and DPDK memory (mbufs), nothing else.
void* DeviceUnderTest::translate(void* ctx, std::uint64_t iova, std::size_t len) {
    auto* self = static_cast<DeviceUnderTest*>(ctx);
    const auto va = static_cast<std::uintptr_t>(iova);
    auto it = self->regions_.upper_bound(va);
    if (it != self->regions_.begin()) {
        --it;
        const Region& r = it->second;
        if (va - it->first < r.size)
            return len <= r.size - (va - it->first) ? reinterpret_cast<void*>(va) : nullptr;
    }
    static const sim::IovaTranslator dpdk = sim::glue::dpdk_iova_translator();
    return dpdk.translate(dpdk.ctx, iova, len);
}

void DeviceUnderTest::register_written(void* ctx, std::uint32_t offset) {
    auto* self = static_cast<DeviceUnderTest*>(ctx);
    self->model_->on_register_write(offset);
    if (self->after_model)
        self->after_model(offset);
}

std::uint64_t DeviceUnderTest::now_ns(void* ctx) { return static_cast<DeviceUnderTest*>(ctx)->model_->now_ns(); }

void DeviceUnderTest::sleep_us(void* ctx, unsigned microseconds) {
    static_cast<DeviceUnderTest*>(ctx)->model_->advance_time(std::max<std::uint64_t>(microseconds * 1000ull, kMinSleepNs));
}

// --- queue configurations -------------------------------------------------------------------------

ng::RxQueueConfig rx_config(const ng::DeviceFeatures& features, std::uint16_t depth, std::uint64_t offloads) {
    ng::RxQueueConfig c;
    c.depth = depth;
    c.socket = SOCKET_ID_ANY;
    c.pool = mbuf_pool();
    c.buffer_size = static_cast<std::uint16_t>(rte_pktmbuf_data_room_size(c.pool) - RTE_PKTMBUF_HEADROOM);
    c.max_sgl = features.max_rx_sgl;
    c.check_mbz = features.has(hw::Capability::kCdescMbz);
    c.free_threshold = std::max<std::uint16_t>(1, depth / 8);
    c.offloads = offloads;
    return c;
}

ng::TxQueueConfig tx_config(const ng::DeviceFeatures& features, std::uint16_t depth, std::uint64_t offloads) {
    ng::TxQueueConfig c;
    c.depth = depth;
    c.socket = SOCKET_ID_ANY;
    c.placement = features.llq.placement;
    c.llq_layout = features.llq.layout;
    const bool llq = c.placement == ng::TxPlacement::kLlq;
    c.disable_meta_caching = llq && features.llq.disable_meta_caching;
    c.max_entries_per_burst = llq ? features.llq.max_entries_per_burst : 0;
    c.max_header_size = llq ? features.llq.layout.header_room()
                            : static_cast<std::uint16_t>(std::min<std::uint32_t>(features.max_tx_header_size, 255));
    c.max_sgl = features.max_tx_sgl;
    c.l4_csum_partial = hw::offload_tx::L4Ipv4CsumPartial::get(features.offloads.tx) != 0;
    c.tso_ipv6 = hw::offload_tx::TsoIpv6::get(features.offloads.tx) != 0;
    c.free_threshold = static_cast<std::uint16_t>(depth - depth / 8);
    c.offloads = offloads;
    return c;
}

// --- properties ----------------------------------------------------------------------------------

void check_received(const rte_mbuf* m, rte_mempool* pool) {
    std::uint32_t length = 0;
    unsigned segments = 0;
    volatile std::uint8_t sink = 0;
    for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
        if (++segments > m->nb_segs)
            property_failed("mbuf chain longer than its nb_segs %u", m->nb_segs);
        if (s->pool != pool)
            property_failed("received mbuf %p is not from the Rx pool", static_cast<const void*>(s));
        if (rte_mbuf_refcnt_read(s) != 1)
            property_failed("received mbuf %p has refcnt %u", static_cast<const void*>(s), rte_mbuf_refcnt_read(s));
        if (std::uint32_t{s->data_off} + s->data_len > s->buf_len)
            property_failed("received segment %u: data_off %u + data_len %u is past its %u-byte buffer", segments, s->data_off,
                 s->data_len, s->buf_len);
        const auto* data = rte_pktmbuf_mtod(s, const std::uint8_t*);
        for (std::uint16_t i = 0; i < s->data_len; ++i)
            sink = sink + data[i];
        length += s->data_len;
    }
    if (segments != m->nb_segs)
        property_failed("mbuf chain has %u segments but nb_segs %u", segments, m->nb_segs);
    if (length != m->pkt_len)
        property_failed("mbuf chain holds %u bytes but pkt_len %u", length, m->pkt_len);
}

void check_pool_full(rte_mempool* pool, const char* when) {
    const unsigned available = rte_mempool_avail_count(pool);
    if (available != pool->size)
        property_failed("%s: %u of %u mbufs in the pool (%s)", when, available, pool->size,
             available < pool->size ? "leaked" : "freed twice");
}

}  // namespace ena::fuzz
