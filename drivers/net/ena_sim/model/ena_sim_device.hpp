// Simulated ENA device: the device side of the ENA interface (see drivers/net/ena_ng/hw/),
// as a plain C++ library with no DPDK dependency.
//
// A Device owns its register BAR (BAR0) and LLQ BAR (BAR2) memory. The driver writes and reads
// them like PCI BARs; the device reacts to register writes (reset, admin doorbell, AENQ head,
// readless register reads, SQ doorbells), reads and writes host memory through the caller's
// IOVA translation, and sends frames to the wire it is attached to.
//
// How the device's work runs (EngineMode):
//   kSynchronous  every on_register_write() runs the device at once, in the writer's thread;
//                 time is a virtual clock that only advance_time() moves. Deterministic: for
//                 unit tests and fuzzing.
//   kDeferred     register writes only record work; the caller runs it with process(). For
//                 benchmarks that time the driver's work and the device's work apart.
//                 Virtual clock as in kSynchronous.
//   kThreaded     an Engine thread calls process() on its devices in a loop and polls the BARs
//                 like hardware; control registers are answered in on_register_write(), and an
//                 IO doorbell there wakes the Engine when it sleeps (it sleeps only when it has
//                 nothing to do). Real (steady) clock.
//   kInline       the device works in the threads that use it, with the real clock: a Tx
//                 doorbell (on_register_write) serves that queue at once, an Rx poll
//                 (on_rx_poll) delivers what waits for the host (frames held by ingress shaping,
//                 frames from a wire that polls), control registers are answered at once as in
//                 kThreaded. What time alone makes due -- keep-alive events, shaping queues,
//                 scheduled faults, link flaps, moderated interrupts -- runs in run_timers(), which a Timekeeper
//                 thread calls at next_deadline_ns() and sleeps in between.
//
// A guest address that the translation cannot map is a device error (like an IOMMU fault):
// the operation fails, the device counts it (DeviceStats::dma_errors), and nothing crashes.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ena_hw.hpp"

namespace ena::sim {

enum class EngineMode { kSynchronous, kDeferred, kThreaded, kInline };

// The real clock of kThreaded and kInline devices (and of Engine and Timekeeper deadlines):
// nanoseconds of the steady clock, the same for every device of the process.
[[gnu::visibility("default")]] std::uint64_t real_time_ns();
inline constexpr std::uint64_t kNoDeadline = ~std::uint64_t{0};

// A thread that runs devices' work and sleeps while it has none (Engine, Timekeeper). A device
// wakes it when work, or a deadline earlier than the one it sleeps to, comes up.
class [[gnu::visibility("default")]] Sleeper {
public:
    // From any thread: be awake by `deadline_ns` (real_time_ns(); 0: now). Costs a fence and a
    // load unless the sleeper sleeps past that time.
    void wake_by(std::uint64_t deadline_ns);

protected:
    // A wake_by() for a deadline less than `slack_ns` before the one the sleeper sleeps to does
    // not wake it (a Timekeeper's resolution; 0 for an Engine, which doorbells wake at once).
    explicit Sleeper(std::uint64_t slack_ns) : slack_ns_(slack_ns) {}
    ~Sleeper() = default;
    // The sleeper's own thread: sleeps until `deadline_ns`, wake_by() or stop_sleeping(), unless
    // `work_came(ctx)` -- asked once the sleep is announced, so that work that came before
    // any waker could see the announcement is not slept over -- says otherwise.
    void doze(std::uint64_t deadline_ns, bool (*work_came)(void* ctx), void* ctx);
    // Ends every doze from now on (stop()).
    void stop_sleeping();

private:
    const std::uint64_t slack_ns_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;     // mutex_
    bool stopping_ = false;  // mutex_
    std::atomic<std::uint64_t> until_{0};  // while dozing: its deadline; 0 while awake
};

// What Tx placement the device offers through the LLQ feature.
enum class LlqOffer {
    kNone,    // no LLQ BAR: host-memory descriptors only
    kNormal,  // 128-byte entries only
    kWide,    // 128- and 256-byte entries, 256 recommended
};

// ENA Express (SRD) setting of a port (the ENI attachment's setting on EC2).
enum class SrdMode : std::uint8_t {
    kOff,
    kOn,     // TCP goes via SRD to a peer that has ENA Express on
    kOnUdp,  // TCP and UDP (UDP only to a peer with kOnUdp too)
};

// Idle timeouts of the connection-tracking table, in seconds. EC2 publishes the first three
// (with these defaults); the others are the simulator's choice.
struct ConntrackTimeouts {
    std::uint32_t tcp_established = 432000;  // 5 days
    std::uint32_t udp = 30;                  // one direction only, or one request and its reply
    std::uint32_t udp_stream = 180;          // more than one request-response transaction
    std::uint32_t tcp_transitory = 120;      // handshake not complete, or one side sent FIN
    std::uint32_t tcp_closed = 10;           // both sides sent FIN, or a RST was seen
    std::uint32_t icmp = 30;                 // keyed by the echo identifier
    std::uint32_t other = 600;               // other IP protocols: addresses and protocol
};

// The Nitro card's shaping of one ENI (nitro.hpp). Rates of 0 mean no limit: bandwidth, PPS
// and connection tracking are off unless configured; the link-local and egress fragment limits
// are on, as on every ENI.
struct NitroConfig {
    std::uint64_t pps = 0;          // bidirectional packets per second (Tx and Rx both count)
    std::uint32_t bw_out_mbps = 0;  // outbound bandwidth, frame bytes
    std::uint32_t bw_in_mbps = 0;   // inbound bandwidth
    // Bucket depth: what may pass at once above the rate, as this many ms of the rate.
    std::uint32_t burst_ms = 1;
    // Packets each direction may hold waiting for its buckets (with room for 2 KiB of frame
    // per packet) before excess is dropped; 0: excess is dropped at once.
    std::uint32_t shaping_queue = 1024;
    std::uint32_t conntrack_max = 0;  // tracked connections; 0: not tracked
    ConntrackTimeouts conntrack_timeouts;
    std::uint32_t linklocal_pps = 1024;   // egress to link-local services; 0: no limit
    std::uint32_t fragment_pps = 1024;    // egress IP fragments unless FRAG_BYPASS is on
    SrdMode srd = SrdMode::kOff;
    std::uint32_t srd_flows = 1024;       // concurrent SRD flows at 100 % resource utilization
    std::uint32_t srd_flow_idle_ms = 1000;  // an SRD flow without packets for this long is gone
};

struct DeviceConfig {
    std::array<std::uint8_t, 6> mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    std::uint16_t max_io_queues = 8;  // Tx/Rx queue pairs
    LlqOffer llq = LlqOffer::kWide;
    std::uint32_t max_mtu = 9001;  // excluding L2 header
    bool link_up = true;

    std::uint32_t max_tx_depth = 1024;   // host-mode and normal-LLQ Tx ring entries
    std::uint32_t max_rx_depth = 16384;  // Rx ring entries
    // Tx depth the device allows with 256-byte LLQ entries; 0 means "not reported" (drivers
    // then halve the normal depth), as on Nitro v4. Nitro v5 reports 1024.
    std::uint16_t max_wide_llq_depth = 0;
    // Accelerated LLQ requirements: every packet carries a meta descriptor, and at most this
    // many bytes of LLQ entries are written between two doorbells. 0 = no burst limit.
    bool llq_disable_meta_caching = true;
    std::uint16_t llq_max_tx_burst_bytes = 0;

    std::uint16_t max_tx_descs_per_packet = 17;  // including the meta descriptor
    std::uint16_t max_rx_descs_per_packet = 16;
    std::uint32_t max_tx_header_size = 256;
    std::uint8_t rss_table_log_size = 7;  // 128-entry indirection table

    std::uint8_t dma_addr_width = 48;
    // CAPS timeouts in units of 100 ms, in fields of 5 and 4 bits: at most 3.1 s and 1.5 s.
    // The admin timeout 0 means "the driver's default"; the hardware hints report the same value.
    std::uint8_t reset_timeout_100ms = 30;  // 3 s
    std::uint8_t admin_timeout_100ms = 15;  // 1.5 s
    bool readless_mmio = true;
    std::uint32_t capabilities = 0x1f;  // hw::Capability bits: ENI stats, SRD, customer metrics, ext. reset reasons, CDESC MBZ
    std::uint32_t keep_alive_interval_ms = 1000;
    // Interrupt moderation (INTERRUPT_MODERATION feature): the unit of the delay fields of a CQ's
    // unmask register, in microseconds. 0: the device offers no moderation (delays are ignored).
    std::uint16_t intr_delay_resolution_us = 1;

    std::uint32_t link_speed_mbps = 25000;  // LINK_CONFIG
    NitroConfig nitro;  // allowances, connection tracking, ENA Express

    std::string name = "ena_sim";  // for log lines
};

// Why `config` cannot be a device, or "" when it can. The Device constructor throws
// std::invalid_argument with this text; callers that must not throw check first.
[[gnu::visibility("default")]] std::string validate_config(const DeviceConfig& config);

// A stretch of host memory that translates linearly: [iova, end) is at va, for as long as the
// translator's generation counter still reads `generation`.
struct IovaRun {
    std::uint64_t iova = 0, end = 0;
    std::uintptr_t va = 0;
    std::uint64_t generation = 0;
};

// Host memory access: map [iova, iova + len) to a pointer, or return nullptr when any part of
// it is not mapped. Called on the device's hot path; keep it cheap. A translator may also say
// which run an address lies in (lookup_run, false: none or not to be remembered) and count its
// changes (generation): the device then remembers the last run of each datapath and maps
// addresses in it without a call.
struct IovaTranslator {
    void* (*translate)(void* ctx, std::uint64_t iova, std::size_t len) = nullptr;
    void* ctx = nullptr;
    bool (*lookup_run)(void* ctx, std::uint64_t iova, IovaRun* run) = nullptr;
    const std::atomic<std::uint64_t>* generation = nullptr;
};

// Counters the device keeps; the admin GET_STATS command and keep-alive events report them.
struct DeviceStats {
    std::uint64_t tx_packets = 0, tx_bytes = 0, tx_drops = 0;
    std::uint64_t rx_packets = 0, rx_bytes = 0, rx_drops = 0, rx_overruns = 0;
    std::uint64_t llq_header_overflow_drops = 0;  // Tx header larger than the negotiated LLQ room
    std::uint64_t malformed_tx = 0;               // Tx descriptors the device rejected
    std::uint64_t dma_errors = 0;                 // addresses the translation could not map
    std::uint64_t admin_commands = 0, admin_errors = 0;
    std::uint64_t resets = 0;
    std::uint64_t keep_alives_sent = 0;

    std::uint64_t malformed_rx = 0;         // Rx descriptors the device rejected (bad phase)
    std::uint64_t tx_oversize_drops = 0;    // Tx frames longer than MTU + L2 header
    std::uint64_t rx_oversize_drops = 0;    // Rx frames longer than MTU + L2 header (also in rx_drops)
    std::uint64_t aenq_events_dropped = 0;  // events that found the AENQ full or not set up
    std::uint64_t conf_notifications_sent = 0;
    std::uint64_t llq_burst_exceeded = 0;   // doorbells after more LLQ bytes than the burst limit (synchronous and inline mode)
    std::uint64_t admin_commands_unanswered = 0;  // fault injection: commands never completed

    // ENI allowance counters (the Nitro shaping stage increments them) and ENA Express.
    std::uint64_t bw_in_allowance_exceeded = 0, bw_out_allowance_exceeded = 0;
    std::uint64_t pps_allowance_exceeded = 0, conntrack_allowance_exceeded = 0;
    std::uint64_t linklocal_allowance_exceeded = 0;
    std::uint64_t conntrack_entries = 0;  // connections in the tracking table
    std::uint64_t ena_srd_tx_pkts = 0, ena_srd_eligible_tx_pkts = 0, ena_srd_rx_pkts = 0;
    std::uint64_t ena_srd_resource_utilization = 0;  // percent
    // Shaping detail: frames that waited in a shaping queue, and frames dropped because it was
    // full (both are in the allowance counters too). Link-local, fragment and conntrack drops
    // are only in their allowance counters.
    std::uint64_t tx_shaping_queued = 0, tx_shaping_drops = 0;
    std::uint64_t rx_shaping_queued = 0, rx_shaping_drops = 0;
    std::uint64_t tx_shaping_waiting = 0, rx_shaping_waiting = 0;  // in the queues now
};

// Faults the device can be told to commit. inject_fault(f, n) makes the next n occurrences of
// the fault happen (what an occurrence is, per kind below). n = kFaultForever: until cleared
// with n = 0; n = kFaultUntilReset: until the next device reset (DEV_CTL.DEV_RESET), which is
// how a device that is stuck in a bad state recovers, as on EC2. Counted and forever faults
// survive device resets, with what is left of their count.
//
// Kinds and their occurrences:
//   kMissingTxCompletion   a Tx completion is not written
//   kBadTxReqId            a Tx completion carries a request id outside the ring
//   kAdminNoCompletion     an admin command is consumed but never executed nor completed
//   kReadlessNoAnswer      a readless register read gets no response
//   kKeepAliveStop         a keep-alive event is not sent (a state: kFaultUntilReset by default)
//   kTooManyRxDescs        an Rx frame is spread over max_rx_descs_per_packet + 1 buffers
//   kRxStaleReqId          an Rx frame's first completion names a request id the device completed
//                          before and that is not posted again, instead of the buffer it took
//                          (which it keeps until the reset); waits for such an id to exist
//   kFatalError            the device fails (raise_fatal_error: DEV_STS.FATAL_ERROR and a
//                          FATAL_ERROR event) once it has IO queues; it stays failed until reset
//   kDeviceResetRequest    a DEVICE_REQUEST_RESET event, once the device has IO queues and the
//                          driver enabled the group; at most one per device reset
//   kLinkFlap              the link goes down (LINK_CHANGE event) and comes back up after the
//                          parameter's milliseconds (100); starts only with the link up and IO
//                          queues created, and the next flap starts that long after the link
//                          came back
//   kTxQueueStall          a doorbell of Tx queue <parameter> (0) is ignored: nothing it covers
//                          is sent or completed (a state: kFaultUntilReset by default). The
//                          queue resumes at its first doorbell after the stall ends, and then
//                          serves everything posted since. Tx queue N is the device's Nth Tx SQ
//                          in SQ index order (the driver's Tx queue N when it creates its queues
//                          in order, as every ENA driver does).
enum class Fault : std::uint8_t {
    kMissingTxCompletion,
    kBadTxReqId,
    kAdminNoCompletion,
    kReadlessNoAnswer,
    kKeepAliveStop,
    kTooManyRxDescs,
    kRxStaleReqId,
    kFatalError,
    kDeviceResetRequest,
    kLinkFlap,
    kTxQueueStall,
};
inline constexpr unsigned kFaultCount = 11;
inline constexpr std::uint32_t kFaultForever = 0xFFFFFFFF;
inline constexpr std::uint32_t kFaultUntilReset = 0xFFFFFFFE;
// The parameter a kind takes when none is given (kLinkFlap: 100 ms down; kTxQueueStall: queue 0).
inline constexpr std::uint32_t kFaultDefaultParam = 0xFFFFFFFF;

// Names of the kinds (devargs, tools), in Fault order.
inline constexpr std::array<std::string_view, kFaultCount> kFaultNames = {
    "missing_tx_cmpl", "bad_tx_req_id", "admin_no_cmpl",        "readless_no_answer", "keepalive_stop",
    "rx_too_many_descs", "rx_stale_req_id", "fatal_error", "device_reset_request", "link_flap",
    "tx_queue_stall",
};
constexpr std::string_view fault_name(Fault f) { return kFaultNames[static_cast<unsigned>(f)]; }
constexpr std::optional<Fault> fault_by_name(std::string_view name) {
    for (unsigned i = 0; i < kFaultCount; ++i)
        if (kFaultNames[i] == name)
            return static_cast<Fault>(i);
    return std::nullopt;
}
// States last until the device is reset when no count is given; other kinds happen once.
constexpr bool fault_is_state(Fault f) { return f == Fault::kKeepAliveStop || f == Fault::kTxQueueStall; }
constexpr std::uint32_t default_fault_count(Fault f) { return fault_is_state(f) ? kFaultUntilReset : 1; }
// Whether the kind takes a parameter, and its default.
constexpr bool fault_takes_param(Fault f) { return f == Fault::kLinkFlap || f == Fault::kTxQueueStall; }
constexpr std::uint32_t default_fault_param(Fault f) { return f == Fault::kLinkFlap ? 100 : 0; }

// MSI-X: the device calls it with the CQ's vector when it writes a completion to a CQ created
// in interrupt mode that the driver has unmasked (the CQ is masked again until the driver
// writes its unmask register), and with vector 0 for admin completions and AENQ entries
// unless INTR_MASK masks them. With a moderation delay (the unmask register's delay field) the
// CQ's vector comes that long after the first completion since the unmask, in device time (the
// virtual clock's advance_time() stops at it). An unmask that finds completions beyond the CQ
// head the driver last wrote to the CQ's head doorbell fires as a new completion would. Never called with the raising device's locks held. Replacing
// the handler (set_interrupt_handler) is safe at any time: once it returns the old handler is
// not running and is not called again (unless it is replaced from inside a handler).
using InterruptHandler = std::function<void(std::uint32_t vector)>;

// State of one IO queue as the device sees it (for tests and tools).
struct QueueState {
    bool exists = false;
    std::uint16_t depth = 0;
    bool llq = false;        // Tx SQ placed in device memory
    std::uint64_t base = 0;  // host-memory ring IOVA (host placement / CQ)
    std::uint32_t doorbell_offset = 0;
    std::uint16_t cq_index = 0;
    std::uint16_t head = 0;        // SQ: entries consumed; CQ: completions written (mod 2^16)
    bool rx = false;               // SQ direction
    std::uint8_t entry_size = 0;   // CQ entry bytes
    bool interrupt_mode = false;   // CQ
    bool rx_checksums = false;     // Rx SQ: completions carry checksum results (RxCompletionUse)
    bool rx_hash = false;          // Rx SQ: completions carry the RSS hash
};

// ENA Express: what a sending device with ENA Express on decides, per frame, once a wire has
// found the port the frame goes to (only a wire that knows its receivers, such as a VPC
// segment, can ask).
class SrdOffer {
public:
    // The receiving port's setting. True: the frame goes via SRD (the wire then delivers it
    // with receive_frame(frame, true)); false: standard transmission.
    virtual bool use_srd(SrdMode receiver) = 0;

protected:
    ~SrdOffer() = default;
};

namespace detail {
struct PacketInfo;
}

// Frames sent together, in order (a Tx doorbell's worth), with what the sender's parse found in
// each: a receiver in this process uses it instead of parsing the same bytes again. For a wire
// that accepts split frames (Wire::accepts_split_frames) a frame may come in two pieces, its
// headers in frames[i] and the rest in tails[i] -- the sender's own buffer, read straight into
// the receiver's, valid for the length of the call.
struct FrameBurst {
    std::span<const std::span<const std::uint8_t>> frames;
    const detail::PacketInfo* parsed = nullptr;              // one per frame, or none
    const std::span<const std::uint8_t>* tails = nullptr;    // one per frame (may be empty), or none

    // Frames [at, at + count).
    [[gnu::visibility("default")]] FrameBurst part(std::size_t at, std::size_t count) const;
};

// Where frames go after the device. A Wire is shared by the devices attached to it.
class [[gnu::visibility("default")]] Device;
class [[gnu::visibility("default")]] Wire {
public:
    virtual ~Wire() = default;
    // The device sent a frame (already offloaded: checksums filled, TSO segmented).
    virtual void transmit(Device& from, std::span<const std::uint8_t> frame) = 0;
    // The same from a device with ENA Express on: a wire that knows the receiving port asks
    // `srd` whether the frame goes via SRD and tells the receiver. Wires without ENA Express
    // peers (loopback, TAP, capture) send it as transmit() does.
    virtual void transmit_srd(Device& from, std::span<const std::uint8_t> frame, SrdOffer& /*srd*/) {
        transmit(from, frame);
    }
    // Several frames at once (without ENA Express). A wire that delivers to devices of this
    // process hands a receiver its frames with one Device::receive_burst; by default, one
    // transmit() each.
    virtual void transmit_burst(Device& from, const FrameBurst& burst) {
        for (const std::span<const std::uint8_t>& f : burst.frames)
            transmit(from, f);
    }
    // Whether transmit_burst takes split frames (FrameBurst::tails) and hands them to
    // Device::receive_burst as they are; a wire that needs each frame whole says false.
    virtual bool accepts_split_frames() const { return false; }
    // Pull frames from outside (TAP, capture file) and deliver them with Device::receive_frame
    // (or try_receive_frame). Returns the number of frames delivered. Called by the Engine in
    // threaded mode, at Rx polls and by the Timekeeper in inline mode, and by the device itself
    // in synchronous/deferred mode (Device::process, advance_time), possibly from several
    // threads: a wire that polls keeps its own state safe.
    virtual std::size_t poll() { return 0; }
    // Whether poll() brings frames from outside (TAP, capture): who runs the device polls it.
    virtual bool polls() const { return false; }
    // A device joins the wire. False (with the reason in *error) when the wire cannot take it.
    virtual bool attach(Device&, std::string* /*error*/) { return true; }
    virtual void detach(Device&) {}
};

// What the host reads of the Rx completions. An ENA writes the checksum results and the RSS
// hash into every Rx completion, computed in hardware at no cost; the simulated device pays per
// byte for them, so a host that never reads them can say so and the device leaves them out
// (checksums "not checked", hash 0; RSS steering across several queues still hashes). Asked
// whenever the driver creates an Rx queue; without a query the device computes both.
struct RxCompletionUse {
    bool checksums = true;  // L3 and L4 checksum results
    bool hash = true;       // the RSS hash
};
using RxCompletionUseQuery = std::function<RxCompletionUse()>;

class [[gnu::visibility("default")]] Device {
public:
    Device(const DeviceConfig& config, IovaTranslator iova, EngineMode mode);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const DeviceConfig& config() const;
    EngineMode mode() const;

    // BAR memory. The LLQ BAR is nullptr when config().llq == LlqOffer::kNone.
    volatile std::uint8_t* register_bar();
    std::size_t register_bar_size() const;
    std::uint8_t* llq_bar();
    std::size_t llq_bar_size() const;

    // The driver wrote the register at `offset`. Synchronous mode: runs the device now.
    // Threaded mode: answers a control register (readless read, DEV_CTL, admin doorbell, AENQ
    // head, ...) now, in the caller's thread; IO doorbells are left to the engine (and wake it).
    // Inline mode: control registers as in threaded mode; a Tx doorbell serves its queue now.
    // Deferred mode: nothing (the caller runs process()). A driver that never calls this still
    // works in threaded mode, at the engine thread's pace.
    void on_register_write(std::uint32_t offset);
    // Run all work that is pending now; returns true when anything was done. In synchronous and
    // deferred mode this includes one poll of the device's own wire (after the device's work,
    // outside its locks), so frames from a TAP or a capture come in without an Engine: in
    // synchronous mode with every register write (an Rx refill pulls the next frames into the
    // buffers it posted) and whenever the caller runs process() or advance_time(). In threaded
    // mode the Engine polls the wire instead; in inline mode on_rx_poll() and the Timekeeper.
    bool process();
    // The control registers alone (see on_register_write).
    void process_control();
    // The host polls an Rx queue (kInline: frames waiting for the host are delivered now --
    // those ingress shaping held back whose time has come, and those of a wire that polls).
    // Nothing in the other modes.
    void on_rx_poll();
    // kInline and kThreaded: the earliest time something falls due that only time brings
    // (real_time_ns(); kNoDeadline: nothing planned), and the work due by now.
    std::uint64_t next_deadline_ns() const;
    bool run_timers();
    // Whether the device's wire must be polled for frames from outside (TAP, capture).
    bool wire_polls() const;
    // Whether the host has called on_register_write: a host that does not (a driver that only
    // writes the BARs, as on PCI) is polled by the Engine every Engine::kUnnotifiedPollNs.
    bool host_notifies() const;
    // The Engine or Timekeeper that runs the device (they set it), woken by the device when
    // work or an earlier deadline comes up; nullptr: none.
    void set_sleeper(Sleeper* sleeper);

    // Time. Virtual in synchronous/deferred mode: advance_time() moves it, runs the work it
    // makes due (keep-alive events) and polls the wire as process() does.
    std::uint64_t now_ns() const;
    void advance_time(std::uint64_t ns);

    // Wire side. Returns false, keeping the wire it had, when `wire` refuses the device (the
    // reason in *error): a VPC segment takes one port per MAC address.
    bool attach_wire(std::shared_ptr<Wire> wire, std::string* error = nullptr);
    // A frame arrives from the wire: RSS picks the Rx queue; without a posted buffer the frame
    // is dropped and counted as an Rx drop. Safe to call from another device's processing.
    // via_srd: it came through ENA Express (counted in ena_srd_rx_pkts).
    void receive_frame(std::span<const std::uint8_t> frame, bool via_srd = false);
    // Frames arriving together, in order: as receive_frame() each, under one lock.
    void receive_burst(const FrameBurst& burst);
    // The same for a source that can wait (a capture being replayed): a frame that cannot be
    // placed now -- its Rx queue does not exist or has fewer buffers posted than the frame
    // needs, or the link is down or the device failed -- is left with the caller (false) and counts nothing. True
    // when the frame was taken: received, or dropped (and counted) for a reason waiting cannot
    // cure (longer than the MTU, more buffers than a packet may span, an unreachable buffer, a
    // malformed Rx ring).
    bool try_receive_frame(std::span<const std::uint8_t> frame);

    // Link state: changing it sends an AENQ link-change event (when the group is enabled).
    void set_link(bool up);
    bool link_up() const;
    // Set the fatal-error bit in DEV_STS (cleared by a device reset).
    void raise_fatal_error();

    // Introspection.
    DeviceStats stats() const;
    QueueState sq_state(std::uint16_t sq_index) const;
    QueueState cq_state(std::uint16_t cq_index) const;
    std::uint32_t enabled_aenq_groups() const;
    std::uint32_t mtu() const;  // last MTU the driver set (0 = never set)
    // Reason the driver wrote with the last DEV_RESET (low nibble | extended nibble << 4).
    std::uint32_t last_reset_reason() const;
    // The reason of every reset the driver started, oldest first (the last 64): a driver that
    // recovers sends its reason, then NORMAL for the bring-up that follows.
    std::vector<std::uint32_t> reset_reasons() const;
    std::optional<hw::HostInfo> host_info() const;    // HostInfo page read at HOST_ATTR_CONFIG
    std::optional<hw::LlqLayout> llq_layout() const;  // negotiated with SET_FEATURE LLQ
    bool frag_bypass() const;
    // The RSS hash the device would report for this frame with its current configuration.
    std::uint32_t rss_hash(std::span<const std::uint8_t> frame) const;
    Wire* wire() const;

    // Fault injection (see Fault). Thread-safe. `param` is the kind's parameter (kLinkFlap: ms
    // the link stays down; kTxQueueStall: the Tx queue); kFaultDefaultParam: its default.
    void inject_fault(Fault fault, std::uint32_t occurrences = 1);
    void inject_fault(Fault fault, std::uint32_t occurrences, std::uint32_t param);
    std::uint32_t pending_fault(Fault fault) const;
    std::uint32_t fault_param(Fault fault) const;  // the parameter it was armed with
    // Arms the fault (as inject_fault(fault, count, param) would) `delay_ms` after the driver
    // first started the device: its first CREATE_SQ since the device was made. Device time:
    // real time in threaded and inline mode (the engine or the time thread arms it), the
    // virtual clock in synchronous and deferred mode (process() and advance_time() arm what is
    // due). Scheduled after that time, it is armed at the device's next pass. Thread-safe.
    void schedule_fault(Fault fault, std::uint64_t delay_ms, std::uint32_t count = 1,
                        std::uint32_t param = kFaultDefaultParam);
    std::size_t scheduled_faults() const;  // scheduled and not armed yet
    // Device time of the driver's first CREATE_SQ (what schedule_fault's delays count from).
    std::optional<std::uint64_t> first_start_ns() const;

    void set_interrupt_handler(InterruptHandler handler);
    // See RxCompletionUse. Takes effect for Rx queues created from now on.
    void set_rx_completion_use(RxCompletionUseQuery query);

    struct [[gnu::visibility("hidden")]] Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// One engine serves every threaded device of the process, as one Nitro card serves several
// ENIs. It does not create threads itself (the caller decides where the loop runs: a DPDK
// control thread, or std::thread in tests); run() loops until stop() is called. It never
// sleeps while a device has work: after a short idle spin it sleeps until the next deadline of
// its devices (or, with a wire that polls, kWirePollNs; with a host that never notifies its
// register writes, kUnnotifiedPollNs), and an IO doorbell wakes it.
class [[gnu::visibility("default")]] Engine final : public Sleeper {
public:
    static constexpr std::uint64_t kIdleSpinNs = 50'000;   // idle this long before sleeping
    static constexpr std::uint64_t kWirePollNs = 100'000;  // polling wires: at least this often
    static constexpr std::uint64_t kUnnotifiedPollNs = 20'000;  // hosts that never notify
    static constexpr std::uint64_t kMaxSleepNs = 100'000'000;

    Engine() : Sleeper(0) {}
    // A device must be removed before it is destroyed; the Engine outlives its devices' calls.
    void add(Device& device);
    void remove(Device& device);
    // One pass over every device and wire; returns true when anything was done.
    bool run_once();
    void run();
    void stop();

private:
    std::uint64_t next_deadline();

    std::mutex mutex_;
    std::vector<Device*> devices_;
    std::vector<Wire*> wires_;  // scratch: the distinct wires of devices_, polled once per pass
    std::atomic<bool> stop_{false};
};

// The time thread of inline devices (EngineMode::kInline): runs each device's run_timers()
// when its next_deadline_ns() comes and sleeps in between; a device wakes it when a deadline
// comes up earlier. Wires that poll are polled every kWirePollNs as well (a capture written
// while the application never polls Rx is flushed). As with Engine, the caller owns the thread.
class [[gnu::visibility("default")]] Timekeeper final : public Sleeper {
public:
    static constexpr std::uint64_t kWirePollNs = 10'000'000;
    static constexpr std::uint64_t kMaxSleepNs = 100'000'000;
    // How late time-driven work may run: deadlines closer together than this are served in
    // one wake-up (a shaping queue draining at a high rate does not wake the thread per frame;
    // the device's own datapath drains it exactly meanwhile).
    static constexpr std::uint64_t kResolutionNs = 50'000;

    Timekeeper() : Sleeper(kResolutionNs) {}
    // As Engine::add: the Timekeeper outlives its devices' calls.
    void add(Device& device);
    void remove(Device& device);
    // Runs what is due on every device; returns the next deadline.
    std::uint64_t run_once();
    void run();
    void stop();

private:
    std::uint64_t next_deadline();

    std::mutex mutex_;
    std::vector<Device*> devices_;
    std::vector<Wire*> wires_;  // scratch, as Engine's
    std::uint64_t next_wire_poll_ns_ = 0;
    std::atomic<bool> stop_{false};
};

// --- Wires ----------------------------------------------------------------------------------------

// Frames go back to the device that sent them.
class [[gnu::visibility("default")]] LoopbackWire final : public Wire {
public:
    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    void transmit_burst(Device& from, const FrameBurst& burst) override;
    bool accepts_split_frames() const override { return true; }
};

// One virtual L2 segment shared by every device attached to the same name in this process
// (like instances in one subnet). As in a VPC, a unicast frame reaches only the port that owns
// its destination MAC (none: the frame is gone); broadcast and multicast frames reach every
// other port; nothing comes back to the sender.
// A unicast frame from a port with ENA Express on to a port with it on may go via SRD (the
// sender decides, SrdOffer); the receiver learns that it did.
class [[gnu::visibility("default")]] VpcWire final : public Wire {
public:
    // The segment called `name`, created on first use; it lives while someone holds it.
    static std::shared_ptr<VpcWire> join(std::string_view name);
    ~VpcWire() override;

    void transmit(Device& from, std::span<const std::uint8_t> frame) override;
    void transmit_srd(Device& from, std::span<const std::uint8_t> frame, SrdOffer& srd) override;
    void transmit_burst(Device& from, const FrameBurst& burst) override;
    bool accepts_split_frames() const override { return true; }
    // Refuses a device whose MAC another port of the segment has: a VPC addresses interfaces by it.
    bool attach(Device& device, std::string* error) override;
    void detach(Device& device) override;

    const std::string& name() const { return name_; }
    std::size_t port_count() const;

    explicit VpcWire(std::string name) : name_(std::move(name)) {}  // for join(): not registered by name

private:
    Device* owner_of(std::span<const std::uint8_t> frame, const Device& from) const;  // mutex_ held

    std::string name_;
    mutable std::mutex mutex_;
    std::vector<Device*> ports_;
};

// Builds a wire from a spec: "loopback", "vpc:NAME" (also "vpc=NAME"), or any scheme added
// with register_wire_type ("tap:IFNAME", "pcap:..."). Returns nullptr and fills `error` when
// the spec is unknown or the wire cannot be built.
using WireFactory = std::function<std::shared_ptr<Wire>(std::string_view argument, std::string* error)>;
[[gnu::visibility("default")]] bool register_wire_type(std::string_view scheme, WireFactory factory);  // false: scheme taken
[[gnu::visibility("default")]] std::shared_ptr<Wire> make_wire(std::string_view spec, std::string* error = nullptr);

}  // namespace ena::sim
