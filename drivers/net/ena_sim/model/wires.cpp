// Loopback and VPC wires, and the factory that turns a wire spec into a Wire.
#include <algorithm>
#include <cstdio>
#include <map>

#include "ena_sim_device.hpp"
#include "packet.hpp"

namespace ena::sim {

FrameBurst FrameBurst::part(std::size_t at, std::size_t count) const {
    return FrameBurst{frames.subspan(at, count), parsed != nullptr ? parsed + at : nullptr,
                      tails != nullptr ? tails + at : nullptr};
}

namespace {

std::uint64_t mac_at(const std::uint8_t* p) {
    std::uint64_t m = 0;
    for (int i = 0; i < 6; ++i)
        m = (m << 8) | p[i];
    return m;
}
constexpr bool is_group_address(std::uint64_t mac) { return (mac >> 40) & 1; }  // multicast/broadcast bit

// Segments by name. Weak: a segment goes away with its last holder.
struct VpcRegistry {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<VpcWire>, std::less<>> segments;
};
VpcRegistry& vpc_registry() {
    static VpcRegistry r;
    return r;
}

struct WireTypes {
    WireTypes();
    std::mutex mutex;
    std::map<std::string, WireFactory, std::less<>> factories;
};

WireTypes::WireTypes() {
    factories.emplace("loopback", [](std::string_view arg, std::string* error) -> std::shared_ptr<Wire> {
        if (!arg.empty()) {
            if (error)
                *error = "loopback takes no argument";
            return nullptr;
        }
        return std::make_shared<LoopbackWire>();
    });
    factories.emplace("vpc", [](std::string_view arg, std::string* error) -> std::shared_ptr<Wire> {
        if (arg.empty()) {
            if (error)
                *error = "vpc needs a segment name (vpc:NAME)";
            return nullptr;
        }
        return VpcWire::join(arg);
    });
}

WireTypes& wire_types() {
    static WireTypes t;
    return t;
}

}  // namespace

void LoopbackWire::transmit(Device& from, std::span<const std::uint8_t> frame) { from.receive_frame(frame); }
void LoopbackWire::transmit_burst(Device& from, const FrameBurst& burst) { from.receive_burst(burst); }

std::shared_ptr<VpcWire> VpcWire::join(std::string_view name) {
    VpcRegistry& r = vpc_registry();
    std::lock_guard lock(r.mutex);
    auto it = r.segments.find(name);
    if (it != r.segments.end())
        if (auto existing = it->second.lock())
            return existing;
    auto segment = std::make_shared<VpcWire>(std::string(name));
    r.segments.insert_or_assign(std::string(name), segment);
    return segment;
}

VpcWire::~VpcWire() {
    VpcRegistry& r = vpc_registry();
    std::lock_guard lock(r.mutex);
    auto it = r.segments.find(name_);
    if (it != r.segments.end() && it->second.expired())
        r.segments.erase(it);
}

bool VpcWire::attach(Device& device, std::string* error) {
    std::lock_guard lock(mutex_);
    if (std::find(ports_.begin(), ports_.end(), &device) != ports_.end())
        return true;
    const std::uint64_t mac = mac_at(device.config().mac.data());
    for (const Device* port : ports_) {
        if (mac_at(port->config().mac.data()) != mac)
            continue;
        if (error != nullptr) {
            char text[160];
            const auto& m = device.config().mac;
            std::snprintf(text, sizeof(text),
                          "MAC %02x:%02x:%02x:%02x:%02x:%02x is taken on vpc segment '%s' by %s (a VPC addresses "
                          "each interface by its own MAC)",
                          m[0], m[1], m[2], m[3], m[4], m[5], name_.c_str(), port->config().name.c_str());
            *error = text;
        }
        return false;
    }
    ports_.push_back(&device);
    return true;
}

void VpcWire::detach(Device& device) {
    std::lock_guard lock(mutex_);
    std::erase(ports_, &device);
}

std::size_t VpcWire::port_count() const {
    std::lock_guard lock(mutex_);
    return ports_.size();
}

// The port that owns a unicast frame's destination MAC, other than the sender; nullptr when
// nobody has it (or it is the sender's own).
Device* VpcWire::owner_of(std::span<const std::uint8_t> frame, const Device& from) const {
    const std::uint64_t dst = mac_at(frame.data());
    for (Device* port : ports_)
        if (port != &from && mac_at(port->config().mac.data()) == dst)
            return port;
    return nullptr;
}

// Delivery happens with the segment locked, so a port cannot detach (and be destroyed) while
// a frame is on its way to it. Receivers only take their leaf Rx lock.
void VpcWire::transmit(Device& from, std::span<const std::uint8_t> frame) {
    if (frame.size() < 14)
        return;
    std::lock_guard lock(mutex_);
    if (is_group_address(mac_at(frame.data()))) {
        for (Device* port : ports_)
            if (port != &from)
                port->receive_frame(frame);
        return;
    }
    // The VPC knows every interface's address: unicast reaches its owner only, and a frame for
    // an address nobody has (or for the sender itself) goes nowhere.
    if (Device* port = owner_of(frame, from))
        port->receive_frame(frame);
}

// Runs of frames for one port go to it together; a group frame reaches every other port.
void VpcWire::transmit_burst(Device& from, const FrameBurst& burst) {
    const std::span<const std::span<const std::uint8_t>> frames = burst.frames;
    std::lock_guard lock(mutex_);
    std::size_t run_start = 0;
    Device* run_port = nullptr;
    auto deliver_run = [&](std::size_t end) {
        if (run_port != nullptr && end > run_start)
            run_port->receive_burst(burst.part(run_start, end - run_start));
        run_port = nullptr;
        run_start = end;
    };
    std::uint64_t last_dst = ~std::uint64_t{0};
    Device* last_owner = nullptr;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const std::span<const std::uint8_t> f = frames[i];
        if (f.size() < 14) {
            deliver_run(i);
            run_start = i + 1;
            continue;
        }
        const std::uint64_t dst = mac_at(f.data());
        if (is_group_address(dst)) {
            deliver_run(i);
            for (Device* port : ports_)
                if (port != &from)
                    port->receive_burst(burst.part(i, 1));
            run_start = i + 1;
            continue;
        }
        if (dst != last_dst) {
            last_dst = dst;
            last_owner = owner_of(f, from);
        }
        if (last_owner != run_port) {
            deliver_run(i);
            run_port = last_owner;
            if (run_port == nullptr)
                run_start = i + 1;  // nobody has the address: the frame is gone
        }
    }
    deliver_run(frames.size());
}

// ENA Express runs between two interfaces: only unicast to a known port can go via SRD. The
// sender's decision runs here, under the segment lock, with the sender's own lock held by its
// caller; it takes no lock.
void VpcWire::transmit_srd(Device& from, std::span<const std::uint8_t> frame, SrdOffer& srd) {
    if (frame.size() < 14)
        return;
    if (is_group_address(mac_at(frame.data()))) {
        transmit(from, frame);
        return;
    }
    std::lock_guard lock(mutex_);
    if (Device* port = owner_of(frame, from))
        port->receive_frame(frame, srd.use_srd(port->config().nitro.srd));
}

bool register_wire_type(std::string_view scheme, WireFactory factory) {
    WireTypes& t = wire_types();
    std::lock_guard lock(t.mutex);
    return t.factories.emplace(std::string(scheme), std::move(factory)).second;
}

std::shared_ptr<Wire> make_wire(std::string_view spec, std::string* error) {
    const std::size_t sep = spec.find_first_of(":=");
    const std::string_view scheme = spec.substr(0, sep);
    const std::string_view arg = sep == std::string_view::npos ? std::string_view{} : spec.substr(sep + 1);
    WireFactory factory;
    {
        WireTypes& t = wire_types();
        std::lock_guard lock(t.mutex);
        auto it = t.factories.find(scheme);
        if (it != t.factories.end())
            factory = it->second;
    }
    if (!factory) {
        if (error) {
            *error = "unknown wire '" + std::string(spec) + "'; known:";
            WireTypes& t = wire_types();
            std::lock_guard lock(t.mutex);
            for (const auto& [name, f] : t.factories)
                *error += " " + name;
        }
        return nullptr;
    }
    return factory(arg, error);
}

}  // namespace ena::sim
