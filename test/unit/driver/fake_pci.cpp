#include "fake_pci.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "dpdk_iova.hpp"
#include "sim_port.hpp"

namespace {

std::vector<rte_pci_driver*>& registered_drivers() {
    static std::vector<rte_pci_driver*> drivers;  // filled by constructors, before main
    return drivers;
}

std::mutex g_functions_lock;
std::vector<ena::test::FakePciFunction*> g_functions;
std::atomic<unsigned> g_serial{0};

constexpr std::uint64_t kBar0Phys = 0xfe800000;
constexpr std::uint64_t kBar2Phys = 0xfe900000;
constexpr off_t kRevisionOffset = 0x08;
constexpr off_t kClassOffset = 0x09;

}  // namespace

// The PMD's constructor registers its driver here instead of with DPDK's PCI bus, which this
// binary (--no-pci) never scans: the tests probe it themselves.
extern "C" void rte_pci_register(struct rte_pci_driver* driver) { registered_drivers().push_back(driver); }

extern "C" int rte_pci_read_config(const struct rte_pci_device* device, void* buf, size_t len, off_t offset) {
    return ena::test::FakePciFunction::read_config(device, buf, len, offset);
}

// VFIO programs a function's MSI-X table at rte_intr_enable; for a fake function this binary
// does it (FakePciFunction::program_msix), anything else goes to EAL.
extern "C" int rte_intr_enable(const struct rte_intr_handle* handle) {
    if (ena::test::FakePciFunction::program_msix(handle, true))
        return 0;
    static const auto real = reinterpret_cast<int (*)(const rte_intr_handle*)>(dlsym(RTLD_NEXT, "rte_intr_enable"));
    return real(handle);
}

extern "C" int rte_intr_disable(const struct rte_intr_handle* handle) {
    if (ena::test::FakePciFunction::program_msix(handle, false))
        return 0;
    static const auto real = reinterpret_cast<int (*)(const rte_intr_handle*)>(dlsym(RTLD_NEXT, "rte_intr_disable"));
    return real(handle);
}

namespace ena::test {

rte_pci_driver* ena_ng_pci_driver() {
    for (rte_pci_driver* d : registered_drivers())
        if (d->driver.name != nullptr && std::strcmp(d->driver.name, "net_ena_ng") == 0)
            return d;
    return nullptr;
}

FakePciFunction::FakePciFunction(const FakePciOptions& options) : options_(options) {
    device_ = std::make_unique<ena::sim::Device>(options.device, ena::sim::glue::dpdk_iova_translator(),
                                                 ena::sim::EngineMode::kThreaded);
    device_->attach_wire(std::make_shared<ena::sim::LoopbackWire>());
    engine_.add(*device_);
    engine_thread_ = std::thread([this] { engine_.run(); });

    const unsigned serial = g_serial.fetch_add(1);
    pci_.addr = {0, static_cast<std::uint8_t>(0x10 + serial % 0xe0), 6, 0};
    rte_pci_device_name(&pci_.addr, pci_.name, sizeof(pci_.name));
    pci_.device.name = pci_.name;
    pci_.device.numa_node = SOCKET_ID_ANY;
    pci_.id = {options.class_id, 0x1d0f, options.device_id, 0xffff, 0xffff};
    pci_.kdrv = options.kdrv;
    pci_.driver = ena_ng_pci_driver();
    if (pci_.driver != nullptr)
        pci_.device.driver = &pci_.driver->driver;
    pci_.intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
    if (options.kdrv == RTE_PCI_KDRV_VFIO) {
        // As EAL's VFIO set-up leaves it: MSI-X, vector 0's eventfd, the VFIO device fd.
        vector0_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        vfio_dev_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vector0_fd_ < 0 || vfio_dev_fd_ < 0 || rte_intr_type_set(pci_.intr_handle, RTE_INTR_HANDLE_VFIO_MSIX) != 0 ||
            rte_intr_fd_set(pci_.intr_handle, vector0_fd_) != 0 || rte_intr_dev_fd_set(pci_.intr_handle, vfio_dev_fd_) != 0)
            std::abort();
        device_->set_interrupt_handler([this](std::uint32_t vector) { raise(vector); });
    }
    pci_.mem_resource[0] = {kBar0Phys, device_->register_bar_size(),
                            const_cast<std::uint8_t*>(device_->register_bar())};
    if (options.bar2 && device_->llq_bar() != nullptr) {
        pci_.mem_resource[2] = {kBar2Phys, device_->llq_bar_size(), device_->llq_bar()};
        map_bar2_file(options.bar2_file);
    }
    options_.devargs = with_test_control_path(options_.devargs);
    if (!options_.devargs.empty()) {
        std::snprintf(devargs_.name, sizeof(devargs_.name), "%s", pci_.name);
        devargs_.args = options_.devargs.c_str();
        pci_.device.devargs = &devargs_;
    }
    std::lock_guard guard(g_functions_lock);
    g_functions.push_back(this);
}

// Puts a file called resource2 or resource2_wc (as sysfs offers them) under the device's BAR2
// pages, where EAL's mapping would be; the device keeps using the same addresses.
void FakePciFunction::map_bar2_file(Bar2File file) {
    if (file == Bar2File::kNone)
        return;
    char dir[] = "/tmp/ena-ng-fake-pci-XXXXXX";
    if (mkdtemp(dir) == nullptr)
        std::abort();
    bar2_path_ = std::string(dir) + (file == Bar2File::kResourceWc ? "/resource2_wc" : "/resource2");
    const int fd = open(bar2_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t size = (device_->llq_bar_size() + page - 1) / page * page;
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0 ||
        mmap(device_->llq_bar(), size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        std::abort();
    close(fd);
}

FakePciFunction::~FakePciFunction() {
    if (probed_)
        remove();
    {
        std::lock_guard guard(g_functions_lock);
        std::erase(g_functions, this);
    }
    engine_.stop();
    engine_thread_.join();
    engine_.remove(*device_);
    device_->set_interrupt_handler(nullptr);
    rte_intr_efd_disable(pci_.intr_handle);
    rte_intr_instance_free(pci_.intr_handle);
    for (const int fd : {vector0_fd_, vfio_dev_fd_})
        if (fd >= 0)
            close(fd);
    if (!bar2_path_.empty()) {
        unlink(bar2_path_.c_str());
        rmdir(bar2_path_.substr(0, bar2_path_.rfind('/')).c_str());
    }
}

int FakePciFunction::probe() {
    if (pci_.driver == nullptr)
        return -ENOENT;
    const int rc = pci_.driver->probe(pci_.driver, &pci_);
    probed_ = rc == 0;
    return rc;
}

int FakePciFunction::remove() {
    probed_ = false;
    return pci_.driver->remove(&pci_);
}

std::uint16_t FakePciFunction::port_id() const {
    std::uint16_t id = RTE_MAX_ETHPORTS;
    rte_eth_dev_get_port_by_name(pci_.name, &id);
    return id;
}

bool FakePciFunction::program_msix(const rte_intr_handle* handle, bool enable) {
    std::lock_guard guard(g_functions_lock);
    for (FakePciFunction* f : g_functions) {
        if (f->pci_.intr_handle != handle || f->vector0_fd_ < 0)
            continue;
        std::lock_guard msix(f->msix_lock_);
        f->msix_fds_.clear();
        if (enable) {
            f->msix_fds_.push_back(rte_intr_fd_get(handle));
            for (int n = 0; n < rte_intr_nb_efd_get(handle); ++n)
                f->msix_fds_.push_back(rte_intr_efds_index_get(handle, n));
        }
        f->msix_delivered_.resize(std::max(f->msix_delivered_.size(), f->msix_fds_.size()));
        return true;
    }
    return false;
}

void FakePciFunction::raise(std::uint32_t vector) {
    std::lock_guard guard(msix_lock_);
    if (vector == dropped_vector_) {
        ++dropped_;
        return;
    }
    if (vector >= msix_fds_.size())
        return;  // not enabled: VFIO has no eventfd for it
    ++msix_delivered_[vector];
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(msix_fds_[vector], &one, sizeof(one));
}

void FakePciFunction::drop_vector(std::uint32_t vector, bool drop) {
    std::lock_guard guard(msix_lock_);
    dropped_vector_ = drop ? vector : ~0u;
}

std::uint64_t FakePciFunction::delivered(std::uint32_t vector) const {
    std::lock_guard guard(msix_lock_);
    return vector < msix_delivered_.size() ? msix_delivered_[vector] : 0;
}

int FakePciFunction::read_config(const rte_pci_device* pci, void* buf, std::size_t len, off_t offset) {
    std::lock_guard guard(g_functions_lock);
    for (FakePciFunction* f : g_functions) {
        if (&f->pci_ != pci)
            continue;
        if (!f->options_.config_readable)
            return -EIO;
        // The start of a type-0 header, as far as an ENA driver reads it.
        std::uint8_t config[16] = {0x0f, 0x1d, static_cast<std::uint8_t>(f->options_.device_id),
                                   static_cast<std::uint8_t>(f->options_.device_id >> 8)};
        config[kRevisionOffset] = f->options_.revision;
        config[kClassOffset] = static_cast<std::uint8_t>(f->options_.class_id);
        config[kClassOffset + 1] = static_cast<std::uint8_t>(f->options_.class_id >> 8);
        config[kClassOffset + 2] = static_cast<std::uint8_t>(f->options_.class_id >> 16);
        if (offset < 0 || static_cast<std::size_t>(offset) + len > sizeof(config))
            return -EINVAL;
        std::memcpy(buf, config + offset, len);
        return static_cast<int>(len);
    }
    return -ENODEV;
}

}  // namespace ena::test
