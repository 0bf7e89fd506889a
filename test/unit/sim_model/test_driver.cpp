#include "test_driver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace ena::sim::test {

using namespace hw;

namespace {

// How long a threaded device may take to answer: generous, for a loaded machine.
constexpr auto kThreadedWait = std::chrono::seconds(5);

template <typename T>
T load_acquire(const T* p) {
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_acquire);
}

}  // namespace

TestDriver::TestDriver(DeviceConfig config, EngineMode mode)
    : device_(std::make_unique<Device>(config, memory_.translator(), mode)) {}

std::uint32_t TestDriver::read_direct(std::uint32_t offset) const {
    auto* reg = const_cast<std::uint32_t*>(reinterpret_cast<volatile std::uint32_t*>(device_->register_bar() + offset));
    return std::atomic_ref<std::uint32_t>(*reg).load(std::memory_order_acquire);
}

void TestDriver::write(std::uint32_t offset, std::uint32_t value) {
    // Release: descriptors and entries written before are visible to the device first.
    auto* reg = const_cast<std::uint32_t*>(reinterpret_cast<volatile std::uint32_t*>(device_->register_bar() + offset));
    std::atomic_ref<std::uint32_t>(*reg).store(value, std::memory_order_release);
    if (notify_writes_)
        device_->on_register_write(offset);
}

void TestDriver::setup_readless() {
    if (readless_iova_ == 0)
        readless_iova_ = memory_.alloc(sizeof(ReadlessResponse), 64);
    write(reg::kMmioRespLow, static_cast<std::uint32_t>(readless_iova_));
    write(reg::kMmioRespHigh, static_cast<std::uint32_t>(readless_iova_ >> 32));
}

std::optional<std::uint32_t> TestDriver::readless(std::uint32_t offset) {
    auto& resp = readless_response();
    ++readless_seq_;
    resp.request_id = static_cast<std::uint16_t>(readless_seq_ + 0xDEAD);
    write(reg::kMmioRegRead, mmio_reg_read::RegisterOffset::make(offset) | mmio_reg_read::RequestId::make(readless_seq_));
    const auto give_up = std::chrono::steady_clock::now() + kThreadedWait;
    while (std::chrono::steady_clock::now() < give_up) {
        if (load_acquire(&resp.request_id) == readless_seq_) {
            if (resp.register_offset != offset)
                return std::nullopt;
            return resp.value;
        }
        if (device_->mode() == EngineMode::kSynchronous)
            return std::nullopt;  // the device ran in write(): no answer is no answer
        if (device_->mode() == EngineMode::kDeferred)
            device_->process();
        else
            std::this_thread::yield();
    }
    return std::nullopt;
}

bool TestDriver::reset(ResetReason reason) {
    const auto r = static_cast<std::uint32_t>(reason);
    write(reg::kDevCtl, dev_ctl::DevReset::kMask | dev_ctl::ResetReason::make(r & 0xF) |
                            dev_ctl::ResetReasonExt::make(r >> 4));
    setup_readless();
    auto in_progress = [&] { return (readless(reg::kDevSts).value_or(0) & dev_sts::ResetInProgress::kMask) != 0; };
    if (!in_progress())
        return false;
    write(reg::kDevCtl, 0);
    return !in_progress() && (readless(reg::kDevSts).value_or(0) & dev_sts::Ready::kMask);
}

void TestDriver::init_admin(std::uint16_t aq_depth, std::uint16_t aenq_depth, bool write_aenq_head) {
    setup_readless();
    ASSERT_TRUE(reset());
    init_admin_rings(aq_depth, aenq_depth, write_aenq_head);
}

void TestDriver::init_admin_rings(std::uint16_t aq_depth, std::uint16_t aenq_depth, bool write_aenq_head) {
    aq_depth_ = aq_depth;
    aq_ = memory_.alloc(std::size_t{aq_depth} * kAdminEntrySize);
    acq_ = memory_.alloc(std::size_t{aq_depth} * kAdminEntrySize);
    aq_tail_ = 0;
    acq_head_ = 0;
    command_id_ = 0;
    write(reg::kAqBaseLow, static_cast<std::uint32_t>(aq_));
    write(reg::kAqBaseHigh, static_cast<std::uint32_t>(aq_ >> 32));
    write(reg::kAcqBaseLow, static_cast<std::uint32_t>(acq_));
    write(reg::kAcqBaseHigh, static_cast<std::uint32_t>(acq_ >> 32));
    write(reg::kAqCaps, queue_caps::Depth::make(aq_depth) | queue_caps::EntrySize::make(kAdminEntrySize));
    write(reg::kAcqCaps, queue_caps::Depth::make(aq_depth) | queue_caps::EntrySize::make(kAdminEntrySize));
    aenq_depth_ = aenq_depth;
    aenq_ = memory_.alloc(std::size_t{aenq_depth} * kAenqEntrySize);
    aenq_head_ = 0;
    write(reg::kAenqBaseLow, static_cast<std::uint32_t>(aenq_));
    write(reg::kAenqBaseHigh, static_cast<std::uint32_t>(aenq_ >> 32));
    write(reg::kAenqCaps, queue_caps::Depth::make(aenq_depth) | queue_caps::EntrySize::make(kAenqEntrySize));
    if (write_aenq_head)
        write(reg::kAenqHeadDoorbell, aenq_depth);  // every entry is free
}

void TestDriver::bring_up() {
    init_admin();
    // Host info, as a DPDK driver sends it.
    const std::uint64_t info = memory_.alloc(kHostInfoPageSize, 4096);
    auto* hi = memory_.at<HostInfo>(info);
    hi->os_type = static_cast<std::uint32_t>(OsType::kDpdk);
    hi->driver_version = host_driver_version::Major::make(1) | host_driver_version::Minor::make(2);
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kHostAttrConfig);
    cmd.host_attributes.os_info_address.set(info);
    ASSERT_EQ(set_feature(cmd).status, AdminStatus::kSuccess);
    ASSERT_EQ(set_mtu(9001).status, AdminStatus::kSuccess);
}

void TestDriver::post_admin(AdminEntry entry, bool stale_phase) {
    const std::uint32_t slot = aq_tail_ & (aq_depth_ - 1);
    entry.common.command_id = static_cast<std::uint16_t>(command_id_++ & admin_desc::CommandId::kMask);
    entry.common.flags = static_cast<std::uint8_t>(admin_desc::Phase::set(entry.common.flags, phase_of(aq_tail_, aq_depth_) ^ stale_phase));
    std::memcpy(memory_.at<AdminEntry>(aq_) + slot, &entry, sizeof(entry));
    ++aq_tail_;
    write(reg::kAqDoorbell, aq_tail_);
}

std::optional<AdminCompletion> TestDriver::poll_admin() {
    auto* cqe = memory_.at<AdminCompletion>(acq_) + (acq_head_ & (aq_depth_ - 1));
    if (admin_completion::Phase::get(load_acquire(&cqe->common.flags)) != phase_of(acq_head_, aq_depth_))
        return std::nullopt;
    AdminCompletion c;
    std::memcpy(&c, cqe, sizeof(c));
    ++acq_head_;
    return c;
}

AdminResult TestDriver::admin(const AdminEntry& entry) {
    post_admin(entry);
    const std::uint16_t id = static_cast<std::uint16_t>((command_id_ - 1) & admin_desc::CommandId::kMask);
    const auto give_up = std::chrono::steady_clock::now() + kThreadedWait;
    while (std::chrono::steady_clock::now() < give_up) {
        if (auto c = poll_admin()) {
            EXPECT_EQ(c->common.command_id, id);
            EXPECT_EQ(c->common.sq_head_index, aq_tail_);
            return AdminResult{static_cast<AdminStatus>(c->common.status), *c};
        }
        if (device_->mode() == EngineMode::kSynchronous)
            break;
        if (device_->mode() == EngineMode::kDeferred)
            device_->process();
        else
            std::this_thread::yield();
    }
    ADD_FAILURE() << "admin command " << int(entry.common.opcode) << " got no completion";
    return {};
}

AdminResult TestDriver::get_feature(FeatureId id, std::uint64_t control, std::uint32_t control_len,
                                    std::uint8_t version) {
    GetFeatureCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetFeature);
    if (control_len != 0)
        cmd.common.flags = admin_desc::CtrlDataIndirect::kMask;
    cmd.control_buffer.length = control_len;
    cmd.control_buffer.address.set(control);
    cmd.feature.feature_id = static_cast<std::uint8_t>(id);
    cmd.feature.feature_version = version;
    return admin(cmd);
}

bool TestDriver::set_rss_table(std::uint16_t log_size, const std::vector<std::uint16_t>& cqs) {
    const std::uint32_t n = 1u << log_size;
    const std::uint64_t buf = memory().alloc(n * sizeof(hw::RssIndirectionEntry));
    auto* e = memory().at<hw::RssIndirectionEntry>(buf);
    for (std::uint32_t i = 0; i < n; ++i)
        e[i].cq_index = cqs[i % cqs.size()];
    hw::SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(hw::FeatureId::kRssIndirectionTableConfig);
    cmd.indirection_table.size = log_size;
    cmd.indirection_table.inline_index = hw::kRssInlineIndexNone;
    cmd.control_buffer.length = n * sizeof(hw::RssIndirectionEntry);
    cmd.control_buffer.address.set(buf);
    return set_feature(cmd).status == hw::AdminStatus::kSuccess;
}

AdminResult TestDriver::set_feature(SetFeatureCommand cmd) {
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kSetFeature);
    if (cmd.control_buffer.length != 0)
        cmd.common.flags = admin_desc::CtrlDataIndirect::kMask;
    return admin(cmd);
}

AdminResult TestDriver::set_mtu(std::uint32_t mtu) {
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kMtu);
    cmd.mtu.mtu = mtu;
    return set_feature(cmd);
}

AdminResult TestDriver::set_aenq_groups(std::uint32_t groups) {
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kAenqConfig);
    cmd.aenq.enabled_groups = groups;
    return set_feature(cmd);
}

AdminResult TestDriver::set_llq(LlqLayout layout, std::uint16_t accel_flags) {
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kLlq);
    cmd.llq.header_location_enabled = static_cast<std::uint16_t>(LlqHeaderLocation::kInline);
    cmd.llq.entry_size_enabled = static_cast<std::uint16_t>(layout.entry_size == 256   ? LlqEntrySize::k256
                                                            : layout.entry_size == 192 ? LlqEntrySize::k192
                                                                                       : LlqEntrySize::k128);
    cmd.llq.desc_num_before_header_enabled = layout.descs_before_header;
    cmd.llq.stride_enabled = static_cast<std::uint16_t>(layout.stride);
    cmd.llq.accel_mode.set.enabled_flags = accel_flags;
    AdminResult r = set_feature(cmd);
    if (r.status == AdminStatus::kSuccess)
        llq_layout_ = layout;
    return r;
}

AdminResult TestDriver::create_cq(std::uint16_t depth, std::uint8_t words, std::uint64_t base, bool interrupts,
                                  std::uint32_t vector) {
    CreateCqCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kCreateCq);
    cmd.cq_caps_1 = static_cast<std::uint8_t>(cq_caps1::InterruptMode::make(interrupts));
    cmd.cq_caps_2 = static_cast<std::uint8_t>(cq_caps2::EntrySizeWords::make(words));
    cmd.cq_depth = depth;
    cmd.msix_vector = vector;
    cmd.cq_base.set(base);
    return admin(cmd);
}

AdminResult TestDriver::create_sq(SqDirection dir, PlacementPolicy placement, std::uint16_t cq, std::uint16_t depth,
                                  std::uint64_t base) {
    CreateSqCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kCreateSq);
    cmd.sq_identity = static_cast<std::uint8_t>(sq_identity::Direction::make(static_cast<std::uint8_t>(dir)));
    cmd.sq_caps_2 = static_cast<std::uint8_t>(sq_caps2::Placement::make(static_cast<std::uint8_t>(placement)) |
                                              sq_caps2::Completion::make(static_cast<std::uint8_t>(CompletionPolicy::kDesc)));
    cmd.sq_caps_3 = static_cast<std::uint8_t>(sq_caps3::PhysicallyContiguous::kMask);
    cmd.cq_index = cq;
    cmd.sq_depth = depth;
    cmd.sq_base.set(base);
    return admin(cmd);
}

AdminResult TestDriver::destroy_sq(std::uint16_t index, SqDirection dir) {
    DestroySqCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kDestroySq);
    cmd.sq_index = index;
    cmd.sq_identity = static_cast<std::uint8_t>(sq_identity::Direction::make(static_cast<std::uint8_t>(dir)));
    return admin(cmd);
}

AdminResult TestDriver::destroy_cq(std::uint16_t index) {
    DestroyCqCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kDestroyCq);
    cmd.cq_index = index;
    return admin(cmd);
}

AdminResult TestDriver::get_stats(StatsType type, std::uint64_t control, std::uint32_t len, std::uint64_t requested) {
    GetStatsCommand cmd{};
    cmd.common.opcode = static_cast<std::uint8_t>(AdminOpcode::kGetStats);
    cmd.control_buffer.length = len;
    cmd.control_buffer.address.set(control);
    cmd.type = static_cast<std::uint8_t>(type);
    cmd.requested_metrics = requested;
    return admin(cmd);
}

BasicStats TestDriver::basic_stats() {
    AdminResult r = get_stats(StatsType::kBasic);
    EXPECT_EQ(r.status, AdminStatus::kSuccess);
    return r.as<GetStatsResponse>().basic;
}

std::vector<AenqEntry> TestDriver::poll_aenq(bool release) {
    std::vector<AenqEntry> out;
    for (;;) {
        auto* e = memory_.at<AenqEntry>(aenq_) + (aenq_head_ & (aenq_depth_ - 1));
        if (aenq_desc::Phase::get(load_acquire(&e->common.flags)) != phase_of(aenq_head_, aenq_depth_))
            break;
        out.push_back(*e);
        ++aenq_head_;
    }
    if (release && !out.empty())
        write(reg::kAenqHeadDoorbell, static_cast<std::uint16_t>(aenq_head_ + aenq_depth_));
    return out;
}

RxRing TestDriver::create_rx(std::uint16_t depth, std::uint32_t buffer_size, std::uint8_t cq_words) {
    RxRing r;
    r.depth = depth;
    r.buffer_size = buffer_size;
    r.cq_entry = static_cast<std::uint8_t>(cq_words * 4);
    r.cq_ring = memory_.alloc(std::size_t{depth} * r.cq_entry, 4096);
    AdminResult cq = create_cq(depth, cq_words, r.cq_ring);
    EXPECT_EQ(cq.status, AdminStatus::kSuccess);
    r.cq = cq.as<CreateCqResponse>().cq_index;
    r.ring = memory_.alloc(std::size_t{depth} * kRxDescSize, 4096);
    AdminResult sq = create_sq(SqDirection::kRx, PlacementPolicy::kHost, r.cq, depth, r.ring);
    EXPECT_EQ(sq.status, AdminStatus::kSuccess);
    r.sq = sq.as<CreateSqResponse>().sq_index;
    r.doorbell = sq.as<CreateSqResponse>().sq_doorbell_offset;
    r.buffers.resize(depth);
    for (auto& b : r.buffers)
        b = memory_.alloc(buffer_size, 64);
    return r;
}

void TestDriver::post_rx(RxRing& r, std::uint16_t count) {
    for (std::uint16_t i = 0; i < count; ++i) {
        const std::uint16_t slot = r.tail & (r.depth - 1);
        RxDesc d{};
        d.length = static_cast<std::uint16_t>(r.buffer_size);  // 65536 wraps to 0: "64 KiB"
        d.ctrl = static_cast<std::uint8_t>(rx_desc::Phase::make(phase_of(r.tail, r.depth)) | rx_desc::First::kMask |
                                           rx_desc::Last::kMask | rx_desc::CompReq::kMask);
        d.req_id = slot;
        d.buff_addr_low = static_cast<std::uint32_t>(r.buffers[slot]);
        d.buff_addr_high = static_cast<std::uint16_t>(r.buffers[slot] >> 32);
        std::memcpy(memory_.at<RxDesc>(r.ring) + slot, &d, sizeof(d));
        ++r.tail;
    }
    write(r.doorbell, r.tail);
}

std::vector<RxPacket> TestDriver::poll_rx(RxRing& r) {
    if (notify_writes_)
        device_->on_rx_poll();  // as our driver's resources do before an Rx burst
    std::vector<RxPacket> out;
    RxPacket cur;
    for (;;) {
        auto* raw = memory_.at<std::uint8_t>(r.cq_ring) + std::size_t{r.cq_head & (r.depth - 1)} * r.cq_entry;
        const std::uint32_t status = load_acquire(reinterpret_cast<const std::uint32_t*>(raw));
        if (rx_completion::Phase::get(status) != phase_of(r.cq_head, r.depth))
            break;
        RxCompletion c;
        std::memcpy(&c, raw, sizeof(c));
        ++r.cq_head;
        EXPECT_LT(c.req_id, r.depth);
        const std::uint8_t* data = memory_.at(r.buffers[c.req_id % r.depth]);
        cur.data.insert(cur.data.end(), data, data + c.length);
        cur.completions.push_back(c);
        if (rx_completion::Last::get(status)) {
            out.push_back(std::move(cur));
            cur = RxPacket{};
        }
    }
    EXPECT_TRUE(cur.completions.empty()) << "packet without a last completion";
    return out;
}

TxRing TestDriver::create_tx(std::uint16_t depth, bool llq, std::uint8_t cq_words) {
    TxRing t;
    t.depth = depth;
    t.llq = llq;
    t.layout = llq_layout_;
    t.cq_entry = static_cast<std::uint8_t>(cq_words * 4);
    t.cq_ring = memory_.alloc(std::size_t{depth} * t.cq_entry, 4096);
    AdminResult cq = create_cq(depth, cq_words, t.cq_ring);
    EXPECT_EQ(cq.status, AdminStatus::kSuccess);
    t.cq = cq.as<CreateCqResponse>().cq_index;
    if (!llq)
        t.ring = memory_.alloc(std::size_t{depth} * kTxDescSize, 4096);
    AdminResult sq = create_sq(SqDirection::kTx, llq ? PlacementPolicy::kDevice : PlacementPolicy::kHost, t.cq, depth,
                               t.ring);
    EXPECT_EQ(sq.status, AdminStatus::kSuccess);
    const auto resp = sq.as<CreateSqResponse>();
    t.sq = resp.sq_index;
    t.doorbell = resp.sq_doorbell_offset;
    t.llq_offset = resp.llq_descriptors_offset;
    return t;
}

std::vector<TxDesc> TestDriver::tx_descriptors(const TxRing& ring, const TxPacket& p, std::size_t pushed) {
    std::vector<TxDesc> descs;
    if (p.meta) {
        TxMetaDesc m{};
        m.len_ctrl = tx_meta::MetaDesc::kMask | tx_meta::ExtValid::kMask | tx_meta::EthMetaType::kMask |
                     tx_meta::First::kMask | tx_meta::MetaStore::make(p.meta_store) |
                     tx_meta::MssHigh::make(p.mss >> tx_meta::kMssLowBits);
        m.word2 = tx_meta::L3HeaderLength::make(p.l3_length) | tx_meta::L3HeaderOffset::make(p.l3_offset) |
                  tx_meta::L4HeaderLengthWords::make(p.l4_length_words) | tx_meta::MssLow::make(p.mss);
        TxDesc d;
        std::memcpy(&d, &m, sizeof(d));
        descs.push_back(d);
    }
    // Buffers: the bytes after the pushed header, split as asked.
    std::vector<std::size_t> sizes = p.split;
    const std::size_t rest = p.frame.size() - pushed;
    if (sizes.empty())
        sizes.push_back(rest);
    std::size_t off = pushed;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        TxDesc d{};
        // The last buffer carries whatever the listed sizes left over.
        const std::size_t len =
            i + 1 == sizes.size() ? p.frame.size() - off : std::min(sizes[i], p.frame.size() - off);
        std::uint64_t addr = 0;
        if (len != 0) {
            addr = memory_.alloc(len, 64);
            std::memcpy(memory_.at(addr), p.frame.data() + off, len);
        }
        if (i == 0 && p.buffer_address_override != 0)
            addr = p.buffer_address_override;
        off += len;
        d.len_ctrl = tx_desc::Length::make(len);
        d.buff_addr_low = static_cast<std::uint32_t>(addr);
        d.buff_addr_high_hdr_len = tx_desc::AddrHigh::make(addr >> 32);
        if (i == 0) {
            d.len_ctrl |= tx_desc::First::make(!p.meta) | tx_desc::CompReq::make(p.comp_req) |
                          tx_desc::ReqIdHigh::make(p.req_id >> 10);
            d.meta_ctrl = tx_desc::ReqIdLow::make(p.req_id) | tx_desc::L3ProtoIdx::make(static_cast<std::uint32_t>(p.l3)) |
                          tx_desc::L4ProtoIdx::make(static_cast<std::uint32_t>(p.l4)) |
                          tx_desc::L3CsumEnable::make(p.l3_csum) | tx_desc::L4CsumEnable::make(p.l4_csum) |
                          tx_desc::L4CsumPartial::make(p.l4_partial) | tx_desc::TsoEnable::make(p.tso);
            d.buff_addr_high_hdr_len |= tx_desc::HeaderLength::make(pushed);
        }
        if (i + 1 == sizes.size())
            d.len_ctrl |= tx_desc::Last::kMask;
        descs.push_back(d);
    }
    (void)ring;
    return descs;
}

void TestDriver::write_llq(TxRing& t, const std::vector<TxDesc>& descs, const std::uint8_t* header, std::size_t pushed) {
    const LlqLayout& l = t.layout;
    std::vector<std::uint8_t> entry(l.entry_size);
    std::size_t next = 0;
    bool first = true;
    while (next < descs.size()) {
        std::fill(entry.begin(), entry.end(), 0);
        const std::uint32_t phase = phase_of(t.tail, t.depth);
        const unsigned slots = first ? l.descs_before_header : l.descs_per_continuation_entry();
        for (unsigned s = 0; s < slots && next < descs.size(); ++s, ++next) {
            TxDesc d = descs[next];
            d.len_ctrl = tx_desc::Phase::set(d.len_ctrl, phase);
            std::memcpy(&entry[s * kTxDescSize], &d, sizeof(d));
        }
        if (first)
            std::memcpy(&entry[l.header_offset()], header, pushed);
        first = false;
        std::memcpy(device_->llq_bar() + t.llq_offset + static_cast<std::size_t>(t.tail & (t.depth - 1)) * l.entry_size,
                    entry.data(), entry.size());
        ++t.tail;
    }
}

void TestDriver::send(TxRing& t, const TxPacket& p, bool doorbell) {
    std::size_t pushed = 0;
    if (t.llq)
        pushed = p.push >= 0 ? static_cast<std::size_t>(p.push) : std::min<std::size_t>(p.frame.size(), t.layout.header_room());
    std::vector<TxDesc> descs = tx_descriptors(t, p, pushed);
    if (t.llq) {
        write_llq(t, descs, p.frame.data(), pushed);
    } else {
        for (TxDesc d : descs) {
            d.len_ctrl = tx_desc::Phase::set(d.len_ctrl, phase_of(t.tail, t.depth));
            std::memcpy(memory_.at<TxDesc>(t.ring) + (t.tail & (t.depth - 1)), &d, sizeof(d));
            ++t.tail;
        }
    }
    if (doorbell)
        ring_doorbell(t);
}

void TestDriver::ring_doorbell(TxRing& t) { write(t.doorbell, t.tail); }

std::vector<TxCompletion> TestDriver::poll_tx(TxRing& t) {
    std::vector<TxCompletion> out;
    for (;;) {
        auto* raw = memory_.at<std::uint8_t>(t.cq_ring) + std::size_t{t.cq_head & (t.depth - 1)} * t.cq_entry;
        // One 8-byte load, as the device writes the completion in one 8-byte store.
        static_assert(sizeof(TxCompletion) == sizeof(std::uint64_t));
        const std::uint64_t word = load_acquire(reinterpret_cast<const std::uint64_t*>(raw));
        TxCompletion c;
        std::memcpy(&c, &word, sizeof(c));
        if (tx_completion::Phase::get(c.flags) != phase_of(t.cq_head, t.depth))
            break;
        out.push_back(c);
        ++t.cq_head;
    }
    return out;
}

}  // namespace ena::sim::test
