// RSS: Toeplitz against the Microsoft verification suite, key byte order through the admin
// queue, hash input fields and sorting, indirection to the right Rx queue.
#include <algorithm>
#include <set>

#include "packets.hpp"
#include "test_driver.hpp"

namespace ena::sim::test {
namespace {

using namespace hw;

// The Microsoft RSS verification key, conventional byte order.
constexpr std::array<std::uint8_t, 40> kMsKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

struct V4Vector {
    std::array<std::uint8_t, 4> dst;
    std::uint16_t dport;
    std::array<std::uint8_t, 4> src;
    std::uint16_t sport;
    std::uint32_t ip_only, with_tcp;
};

constexpr V4Vector kV4Vectors[] = {
    {{161, 142, 100, 80}, 1766, {66, 9, 149, 187}, 2794, 0x323e8fc2, 0x51ccc178},
    {{65, 69, 140, 83}, 4739, {199, 92, 111, 2}, 14230, 0xd718262a, 0xc626b0ea},
    {{12, 22, 207, 184}, 38024, {24, 19, 198, 95}, 12898, 0xd2d0a5de, 0x5c2b394a},
    {{209, 142, 163, 6}, 2217, {38, 27, 205, 30}, 48228, 0x82989176, 0xafc7327f},
    {{202, 188, 127, 2}, 1303, {153, 39, 163, 191}, 44251, 0x5d1809c5, 0x10e828a2},
};

struct V6Vector {
    std::array<std::uint8_t, 16> dst;
    std::uint16_t dport;
    std::array<std::uint8_t, 16> src;
    std::uint16_t sport;
    std::uint32_t ip_only, with_tcp;
};

constexpr V6Vector kV6Vectors[] = {
    {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1}, 1766,
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7}, 2794, 0x2cc18cd5, 0x40207d3d},
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 4739,
     {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab}, 14230, 0x0f0c461c,
     0xdde51bbf},
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 38024,
     {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 44251,
     0x4b61e985, 0x02d1feef},
};

class Rss : public ::testing::Test {
protected:
    void SetUp() override { drv.bring_up(); }

    // Sets the key through SET_FEATURE RSS_HASH_FUNCTION, stored byte-reversed as the device wants.
    AdminStatus set_key(const std::array<std::uint8_t, 40>& key, std::uint32_t key_parts = kRssKeyWords) {
        const std::uint64_t buf = drv.memory().alloc(sizeof(RssHashKey));
        auto* k = drv.memory().at<RssHashKey>(buf);
        k->key_parts = key_parts;
        auto* bytes = reinterpret_cast<std::uint8_t*>(k->key);
        for (int i = 0; i < 40; ++i)
            bytes[i] = key[39 - static_cast<std::size_t>(i)];
        SetFeatureCommand cmd{};
        cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssHashFunction);
        cmd.hash_function.selected_func = 1u << static_cast<unsigned>(HashFunction::kToeplitz);
        cmd.control_buffer.length = sizeof(RssHashKey);
        cmd.control_buffer.address.set(buf);
        return drv.set_feature(cmd).status;
    }

    AdminStatus set_fields(RssProto proto, std::uint16_t fields, std::uint16_t sort = 0) {
        const std::uint64_t buf = drv.memory().alloc(sizeof(RssHashControl));
        ASSERT_GET_HASH_INPUT(buf);
        auto* ctl = drv.memory().at<RssHashControl>(buf);
        ctl->selected[static_cast<unsigned>(proto)].fields = fields;
        SetFeatureCommand cmd{};
        cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssHashInput);
        cmd.hash_input.enabled_input_sort = sort;
        cmd.control_buffer.length = sizeof(RssHashControl);
        cmd.control_buffer.address.set(buf);
        return drv.set_feature(cmd).status;
    }
    void ASSERT_GET_HASH_INPUT(std::uint64_t buf) {
        ASSERT_EQ(drv.get_feature(FeatureId::kRssHashInput, buf, sizeof(RssHashControl)).status, AdminStatus::kSuccess);
    }

    AdminStatus set_table(std::uint16_t log_size, const std::vector<std::uint16_t>& cqs) {
        const std::uint32_t n = 1u << log_size;
        const std::uint64_t buf = drv.memory().alloc(n * sizeof(RssIndirectionEntry));
        auto* e = drv.memory().at<RssIndirectionEntry>(buf);
        for (std::uint32_t i = 0; i < n; ++i)
            e[i].cq_index = cqs[i % cqs.size()];
        SetFeatureCommand cmd{};
        cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssIndirectionTableConfig);
        cmd.indirection_table.size = log_size;
        cmd.indirection_table.inline_index = kRssInlineIndexNone;
        cmd.control_buffer.length = n * sizeof(RssIndirectionEntry);
        cmd.control_buffer.address.set(buf);
        return drv.set_feature(cmd).status;
    }

    static Frame v4_frame(const V4Vector& v, std::uint8_t proto) {
        FrameSpec s;
        s.src4 = v.src;
        s.dst4 = v.dst;
        s.sport = v.sport;
        s.dport = v.dport;
        s.proto = proto;
        return build_frame(s);
    }
    static Frame v6_frame(const V6Vector& v, std::uint8_t proto) {
        FrameSpec s;
        s.ipv6 = true;
        s.src6 = v.src;
        s.dst6 = v.dst;
        s.sport = v.sport;
        s.dport = v.dport;
        s.proto = proto;
        return build_frame(s);
    }

    TestDriver drv;
};

TEST_F(Rss, MicrosoftVectorsIpv4) {
    ASSERT_EQ(set_key(kMsKey), AdminStatus::kSuccess);
    for (const V4Vector& v : kV4Vectors) {
        EXPECT_EQ(drv.device().rss_hash(v4_frame(v, 6)), v.with_tcp);  // TCP4: addresses and ports
        EXPECT_EQ(drv.device().rss_hash(v4_frame(v, 1)), v.ip_only);   // IP4 (ICMP): addresses
    }
}

TEST_F(Rss, MicrosoftVectorsIpv6) {
    ASSERT_EQ(set_key(kMsKey), AdminStatus::kSuccess);
    for (const V6Vector& v : kV6Vectors) {
        EXPECT_EQ(drv.device().rss_hash(v6_frame(v, 6)), v.with_tcp);
        EXPECT_EQ(drv.device().rss_hash(v6_frame(v, 58)), v.ip_only);
    }
}

TEST_F(Rss, SelectedFieldsDecideTheInput) {
    ASSERT_EQ(set_fields(RssProto::kTcp4, rss_field::kL3Sa | rss_field::kL3Da), AdminStatus::kSuccess);
    EXPECT_EQ(drv.device().rss_hash(v4_frame(kV4Vectors[0], 6)), kV4Vectors[0].ip_only);
    EXPECT_EQ(set_fields(RssProto::kTcp4, 0x40), AdminStatus::kIllegalParameter);  // no such field
    EXPECT_EQ(set_fields(static_cast<RssProto>(12), rss_field::kL3Sa), AdminStatus::kIllegalParameter);
}

TEST_F(Rss, SortingMakesBothDirectionsHashAlike) {
    ASSERT_EQ(set_fields(RssProto::kTcp4, rss_field::kL3Sa | rss_field::kL3Da | rss_field::kL4Sp | rss_field::kL4Dp,
                         static_cast<std::uint16_t>(rss_input_sort::L3Sort::kMask | rss_input_sort::L4Sort::kMask)),
              AdminStatus::kSuccess);
    FrameSpec a;
    FrameSpec b = a;
    std::swap(b.src4, b.dst4);
    std::swap(b.sport, b.dport);
    EXPECT_EQ(drv.device().rss_hash(build_frame(a)), drv.device().rss_hash(build_frame(b)));
    ASSERT_EQ(set_fields(RssProto::kTcp4, rss_field::kL3Sa | rss_field::kL3Da | rss_field::kL4Sp | rss_field::kL4Dp, 0),
              AdminStatus::kSuccess);
    EXPECT_NE(drv.device().rss_hash(build_frame(a)), drv.device().rss_hash(build_frame(b)));
}

TEST_F(Rss, KeyIsReturnedByteReversedAndValidated) {
    std::array<std::uint8_t, 40> key;
    for (std::size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<std::uint8_t>(i + 1);
    ASSERT_EQ(set_key(key), AdminStatus::kSuccess);
    const std::uint64_t buf = drv.memory().alloc(sizeof(RssHashKey));
    AdminResult r = drv.get_feature(FeatureId::kRssHashFunction, buf, sizeof(RssHashKey));
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    const auto f = r.as<GetFeatureResponse>().hash_function;
    EXPECT_EQ(f.supported_func, 1u << static_cast<unsigned>(HashFunction::kToeplitz));
    EXPECT_EQ(f.selected_func, 1u << static_cast<unsigned>(HashFunction::kToeplitz));
    const auto* k = drv.memory().at<RssHashKey>(buf);
    EXPECT_EQ(k->key_parts, kRssKeyWords);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(k->key);
    EXPECT_EQ(bytes[0], 40);
    EXPECT_EQ(bytes[39], 1);
    // Bad requests.
    EXPECT_EQ(set_key(key, 9), AdminStatus::kIllegalParameter);
    SetFeatureCommand crc{};
    crc.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssHashFunction);
    crc.hash_function.selected_func = 1u << static_cast<unsigned>(HashFunction::kCrc32);
    EXPECT_EQ(drv.set_feature(crc).status, AdminStatus::kIllegalParameter);
    EXPECT_EQ(drv.get_feature(FeatureId::kRssHashFunction, buf, 8).status, AdminStatus::kMalformedRequest);
}

TEST_F(Rss, IndirectionSteersToTheRightQueue) {
    std::vector<RxRing> rings;
    for (int i = 0; i < 4; ++i) {
        rings.push_back(drv.create_rx(256));
        drv.post_rx(rings.back(), 255);
    }
    std::vector<std::uint16_t> cqs;
    for (const RxRing& r : rings)
        cqs.push_back(r.cq);
    ASSERT_EQ(set_table(7, cqs), AdminStatus::kSuccess);
    std::set<std::uint16_t> used;
    for (std::uint16_t port = 1000; port < 1064; ++port) {
        FrameSpec s;
        s.sport = port;
        const Frame f = build_frame(s);
        const std::uint32_t hash = drv.device().rss_hash(f);
        const std::size_t expected = (hash & 127) % cqs.size();
        drv.device().receive_frame(f);
        for (std::size_t q = 0; q < rings.size(); ++q) {
            auto got = drv.poll_rx(rings[q]);
            if (q == expected) {
                ASSERT_EQ(got.size(), 1u) << "port " << port;
                EXPECT_EQ(got[0].completions[0].hash, hash);
                used.insert(static_cast<std::uint16_t>(q));
            } else {
                EXPECT_TRUE(got.empty()) << "port " << port << " queue " << q;
            }
        }
    }
    EXPECT_EQ(used.size(), rings.size()) << "64 flows spread over every queue";
    // GET returns the table.
    const std::uint64_t buf = drv.memory().alloc(128 * sizeof(RssIndirectionEntry));
    AdminResult r = drv.get_feature(FeatureId::kRssIndirectionTableConfig, buf, 128 * sizeof(RssIndirectionEntry));
    ASSERT_EQ(r.status, AdminStatus::kSuccess);
    EXPECT_EQ(r.as<GetFeatureResponse>().indirection_table.size, 7);
    EXPECT_EQ(drv.memory().at<RssIndirectionEntry>(buf)[5].cq_index, cqs[5 % 4]);
}

TEST_F(Rss, BeforeATableEverythingGoesToTheFirstRxQueue) {
    TxRing tx = drv.create_tx(64);  // takes the lowest indices
    RxRing a = drv.create_rx(64);
    RxRing b = drv.create_rx(64);
    drv.post_rx(a, 63);
    drv.post_rx(b, 63);
    for (std::uint16_t port = 0; port < 16; ++port)
        drv.device().receive_frame(build_frame({.sport = port}));
    EXPECT_EQ(drv.poll_rx(a).size(), 16u);
    EXPECT_TRUE(drv.poll_rx(b).empty());
    (void)tx;
}

TEST_F(Rss, EntryUpdateRegisterAndInlineUpdate) {
    RxRing a = drv.create_rx(64);
    RxRing b = drv.create_rx(64);
    drv.post_rx(a, 63);
    drv.post_rx(b, 63);
    ASSERT_EQ(set_table(0, {a.cq}), AdminStatus::kSuccess);  // one entry: everything to a
    drv.device().receive_frame(build_frame({}));
    EXPECT_EQ(drv.poll_rx(a).size(), 1u);
    drv.write(reg::kRssIndEntryUpdate, rss_ind_entry_update::Index::make(0) | rss_ind_entry_update::CqIndex::make(b.cq));
    drv.device().receive_frame(build_frame({}));
    EXPECT_EQ(drv.poll_rx(b).size(), 1u);
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssIndirectionTableConfig);
    cmd.indirection_table.inline_index = 0;
    cmd.indirection_table.inline_entry.cq_index = a.cq;
    ASSERT_EQ(drv.set_feature(cmd).status, AdminStatus::kSuccess);
    drv.device().receive_frame(build_frame({}));
    EXPECT_EQ(drv.poll_rx(a).size(), 1u);
    cmd.indirection_table.inline_index = 1;  // table has one entry
    EXPECT_EQ(drv.set_feature(cmd).status, AdminStatus::kIllegalParameter);
}

TEST_F(Rss, TableValidation) {
    EXPECT_EQ(set_table(8, {0}), AdminStatus::kIllegalParameter);  // bigger than the device allows
    EXPECT_EQ(set_table(7, {999}), AdminStatus::kIllegalParameter);
    SetFeatureCommand cmd{};
    cmd.feature.feature_id = static_cast<std::uint8_t>(FeatureId::kRssIndirectionTableConfig);
    cmd.indirection_table.size = 7;
    cmd.indirection_table.inline_index = kRssInlineIndexNone;
    cmd.control_buffer.length = 16;  // too short for 128 entries
    cmd.control_buffer.address.set(drv.memory().alloc(16));
    EXPECT_EQ(drv.set_feature(cmd).status, AdminStatus::kMalformedRequest);
    const auto t = drv.get_feature(FeatureId::kRssIndirectionTableConfig).as<GetFeatureResponse>().indirection_table;
    EXPECT_EQ(t.max_size, drv.device().config().rss_table_log_size);
    EXPECT_LE(t.min_size, t.max_size);
}

TEST_F(Rss, TableEntryWithoutRxQueueDropsTheFrame) {
    RxRing a = drv.create_rx(64);
    drv.post_rx(a, 63);
    ASSERT_EQ(set_table(0, {static_cast<std::uint16_t>(a.cq + 1)}), AdminStatus::kSuccess);
    drv.device().receive_frame(build_frame({}));
    EXPECT_TRUE(drv.poll_rx(a).empty());
    EXPECT_EQ(drv.device().stats().rx_drops, 1u);
}

}  // namespace
}  // namespace ena::sim::test
