#include "multi_process.hpp"

#include <rte_eal.h>
#include <rte_errno.h>

#include <cerrno>
#include <cstring>

#include "ena_ng_port.hpp"
#include "log.hpp"
#include "port.hpp"

namespace ena::ng {

namespace {

constexpr const char* kAction = "ena_ng_mp";
constexpr long kReplyTimeoutSec = 1;

enum class Request : std::uint8_t { kRefreshDeviceCounters = 1, kResetStatistics = 2 };

struct RequestMessage {
    std::uint16_t port_id;
    Request request;
};
struct ReplyMessage {
    std::int32_t rc;
};
static_assert(sizeof(RequestMessage) <= RTE_MP_MAX_PARAM_LEN && sizeof(ReplyMessage) <= RTE_MP_MAX_PARAM_LEN);

int answer(const rte_mp_msg* msg, const void* peer) {
    RequestMessage request{};
    ReplyMessage reply{-EINVAL};
    if (msg->len_param == sizeof(request)) {
        std::memcpy(&request, msg->param, sizeof(request));
        if (Port* port = find_port(request.port_id); port == nullptr)
            reply.rc = -ENODEV;
        else if (request.request == Request::kRefreshDeviceCounters)
            reply.rc = port->refresh_device_counters();
        else if (request.request == Request::kResetStatistics)
            reply.rc = port->stats_reset();
    }
    rte_mp_msg out{};
    std::strncpy(out.name, kAction, sizeof(out.name) - 1);
    out.len_param = sizeof(reply);
    std::memcpy(out.param, &reply, sizeof(reply));
    return rte_mp_reply(&out, static_cast<const char*>(peer));
}

int ask_primary(std::uint16_t port_id, Request what) {
    rte_mp_msg msg{};
    std::strncpy(msg.name, kAction, sizeof(msg.name) - 1);
    const RequestMessage request{port_id, what};
    msg.len_param = sizeof(request);
    std::memcpy(msg.param, &request, sizeof(request));
    struct rte_mp_reply replies{};
    timespec timeout{kReplyTimeoutSec, 0};
    if (rte_mp_request_sync(&msg, &replies, &timeout) != 0 || replies.nb_received != 1) {
        std::free(replies.msgs);
        log(g_log_driver, RTE_LOG_ERR, "port %u: the primary process did not answer (%s)", port_id,
            rte_strerror(rte_errno));
        return -ETIMEDOUT;
    }
    ReplyMessage reply{-EIO};
    if (replies.msgs[0].len_param == sizeof(reply))
        std::memcpy(&reply, replies.msgs[0].param, sizeof(reply));
    std::free(replies.msgs);
    return reply.rc;
}

}  // namespace

void mp_serve_secondaries() {
    if (rte_mp_action_register(kAction, answer) != 0 && rte_errno != EEXIST && rte_errno != ENOTSUP)
        log(g_log_init, RTE_LOG_WARNING, "cannot serve secondary processes (%s): their statistics resets and "
            "on-demand device reads will fail", rte_strerror(rte_errno));
}

int mp_refresh_device_counters(std::uint16_t port_id) { return ask_primary(port_id, Request::kRefreshDeviceCounters); }
int mp_reset_statistics(std::uint16_t port_id) { return ask_primary(port_id, Request::kResetStatistics); }

}  // namespace ena::ng
