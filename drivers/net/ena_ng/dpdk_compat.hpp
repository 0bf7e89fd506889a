// The DPDK API differences between the LTS releases ena-ng builds against (22.11, 23.11, 24.11),
// in one place: the driver, the simulator, the applications and the tests call these instead of
// the API that moved. This is the only file that tests RTE_VERSION (doc/guides/nics/ena_ng.rst,
// "DPDK releases"). Each entry names the release that changed the API.
#pragma once

#include <pthread.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf_ptype.h>
#include <rte_version.h>
#include <ethdev_driver.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#if RTE_VERSION < RTE_VERSION_NUM(22, 11, 0, 0)
#error "ena-ng needs DPDK 22.11 or later (22.11, 23.11 and 24.11 are built and tested)"
#endif

#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
#include <rte_thread.h>
#endif

namespace ena::compat {

// The version the code was compiled against (RTE_VERSION), e.g. for the host attributes the
// driver reports to the device.
inline constexpr std::uint32_t kDpdkVersion = RTE_VERSION;

// --- eth_dev_ops::dev_supported_ptypes_get ------------------------------------------------------
// 24.03 added a size_t* out-argument: ethdev reads that many entries and reports none when the
// op leaves it at 0. Before, ethdev read up to an RTE_PTYPE_UNKNOWN terminator. Write the op in
// the new form, keep the terminator, and assign supported_ptypes_op<op>() to the ops table.
using PtypesGet = const std::uint32_t* (*)(rte_eth_dev* dev, std::size_t* count);

template <PtypesGet Get>
constexpr eth_dev_supported_ptypes_get_t supported_ptypes_op() {
#if RTE_VERSION >= RTE_VERSION_NUM(24, 3, 0, 0)
    return Get;
#else
    return [](rte_eth_dev* dev) {
        std::size_t count = 0;
        return Get(dev, &count);
    };
#endif
}

// --- control threads ----------------------------------------------------------------------------
// 23.11 removed rte_ctrl_thread_create (pthread_t, void* result) in favour of
// rte_thread_create_control (rte_thread_t, uint32_t result). Both make a thread off the lcores.
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
using ControlThread = rte_thread_t;
using ControlThreadResult = std::uint32_t;
#else
using ControlThread = pthread_t;
using ControlThreadResult = void*;
#endif
using ControlThreadMain = ControlThreadResult (*)(void* arg);

namespace detail {
inline int negative_errno(int rc) { return rc == 0 ? 0 : -std::abs(rc); }
}  // namespace detail

// Starts `main(arg)` on a new control thread named `name`. 0, or -errno.
inline int control_thread_create(ControlThread* thread, const char* name, ControlThreadMain main, void* arg) {
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return detail::negative_errno(rte_thread_create_control(thread, name, main, arg));
#else
    return detail::negative_errno(rte_ctrl_thread_create(thread, name, nullptr, main, arg));
#endif
}

// Moves the thread onto `cpus`. 0, or -errno.
inline int control_thread_set_affinity(ControlThread thread, const rte_cpuset_t& cpus) {
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return detail::negative_errno(rte_thread_set_affinity_by_id(thread, &cpus));
#else
    return detail::negative_errno(pthread_setaffinity_np(thread, sizeof(cpus), &cpus));
#endif
}

// The CPUs the thread may run on, into `cpus`. 0, or -errno.
inline int control_thread_get_affinity(ControlThread thread, rte_cpuset_t& cpus) {
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return detail::negative_errno(rte_thread_get_affinity_by_id(thread, &cpus));
#else
    return detail::negative_errno(pthread_getaffinity_np(thread, sizeof(cpus), &cpus));
#endif
}

// Waits for the thread to return. 0, or -errno.
inline int control_thread_join(ControlThread thread) {
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return detail::negative_errno(rte_thread_join(thread, nullptr));
#else
    return detail::negative_errno(pthread_join(thread, nullptr));
#endif
}

// --- rte_ipv6_hdr addresses ---------------------------------------------------------------------
// 24.11 turned src_addr/dst_addr from uint8_t[16] into struct rte_ipv6_addr. The 16 bytes of
// either, in network order.
template <class Address>
constexpr auto* ipv6_bytes(Address& address) {
    if constexpr (std::is_array_v<std::remove_const_t<Address>>)
        return &address[0];
    else
        return &address.a[0];
}

// --- ICMP types ---------------------------------------------------------------------------------
// 24.11 deprecated RTE_IP_ICMP_ECHO_{REQUEST,REPLY} for RTE_ICMP_TYPE_ECHO_{REQUEST,REPLY}.
#ifdef RTE_ICMP_TYPE_ECHO_REQUEST
inline constexpr std::uint8_t kIcmpEchoRequest = RTE_ICMP_TYPE_ECHO_REQUEST;
inline constexpr std::uint8_t kIcmpEchoReply = RTE_ICMP_TYPE_ECHO_REPLY;
#else
inline constexpr std::uint8_t kIcmpEchoRequest = RTE_IP_ICMP_ECHO_REQUEST;
inline constexpr std::uint8_t kIcmpEchoReply = RTE_IP_ICMP_ECHO_REPLY;
#endif

// --- ethdev's shared port data ----------------------------------------------------------------
// ethdev keeps the data of every port in one memzone of its own. Up to 22.11 it reserves it with
// the first port and keeps it; since 23.11 it frees it when the last port is released and
// reserves it again the next time it allocates or looks up a port (rte_eth_dev_allocated() in a
// vdev's removal after the port was closed is enough). Leak counts must not take it for ours.
inline constexpr const char* kEthdevPortDataMemzone = "rte_eth_dev_data";
inline constexpr bool kEthdevFreesPortDataWithLastPort = RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0);

// --- what this release's dpdk-testpmd shows (ena-testpmd shows the same) ------------------------
// `show port info` gained lines after 22.11: in 23.11 "Maximum size of RX buffer" (from the new
// rte_eth_dev_info::max_rx_bufsize, when a driver sets a limit) and "Device private info"
// (rte_eth_dev_priv_dump), in 24.11 "Active Lanes" (rte_eth_speed_lanes_get, when a driver
// reports lanes).
inline constexpr bool kTestpmdShowsPrivateInfo = RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0);

// The driver's largest Rx buffer, or 0 when it sets no limit (or the release has no such field).
inline std::uint32_t max_rx_bufsize(const rte_eth_dev_info& info) {
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return info.max_rx_bufsize == UINT32_MAX ? 0 : info.max_rx_bufsize;
#else
    (void)info;
    return 0;
#endif
}

// The link's active lanes: 0, or -ENOTSUP where the driver (or the release) does not say.
inline int speed_lanes_get(std::uint16_t port, std::uint32_t* lanes) {
#if RTE_VERSION >= RTE_VERSION_NUM(24, 11, 0, 0)
    return rte_eth_speed_lanes_get(port, lanes);
#else
    (void)port;
    (void)lanes;
    return -ENOTSUP;
#endif
}

}  // namespace ena::compat
