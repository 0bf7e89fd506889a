// A rate limiter as the generic cell rate algorithm (GCRA, "virtual scheduling"): one
// theoretical arrival time (TAT) per bucket instead of a token count refilled by a timer.
//
// Something of `cost` units arriving at time t conforms when TAT - t <= tolerance; when it
// leaves (now, or later if it waits) TAT becomes max(TAT, departure) + cost / rate. The
// tolerance is the bucket depth: after an idle spell 1 + tolerance * rate units pass at once,
// then exactly `rate` per second.
//
// Exact in integer nanoseconds: times are kept multiplied by the rate (ns x units/s), so one
// unit costs exactly 1e9 whatever the rate, and no rounding accumulates (1024 packets/s is
// 976562.5 ns per packet). 128-bit arithmetic: t x rate exceeds 64 bits after a few seconds at
// high rates. The only division is in earliest(), for something that has to wait.
#pragma once

#include <cstdint>

namespace ena::sim::detail {

class RateLimiter {
public:
    static constexpr std::uint64_t kNsPerSecond = 1'000'000'000;

    // rate 0: no limit (enabled() is false; nothing else may be called).
    void configure(std::uint64_t units_per_second, std::uint64_t tolerance_ns) {
        rate_ = units_per_second;
        tolerance_ = static_cast<Wide>(tolerance_ns) * rate_;
        tat_ = 0;
    }
    bool enabled() const { return rate_ != 0; }
    std::uint64_t rate() const { return rate_; }

    // Whether something arriving at `now` conforms now.
    bool conforms(std::uint64_t now) const { return tat_ <= scaled(now) + tolerance_; }
    // The earliest time (ns, rounded up) at which something arriving at `now` conforms: `now`
    // itself when it conforms now.
    std::uint64_t earliest(std::uint64_t now) const {
        if (conforms(now))
            return now;
        const Wide start = tat_ - tolerance_;
        return static_cast<std::uint64_t>((start + rate_ - 1) / rate_);
    }
    // Something of `cost` units leaves at `at` (no earlier than earliest() said).
    void take(std::uint64_t at, std::uint64_t cost) {
        const Wide t = scaled(at);
        tat_ = (tat_ > t ? tat_ : t) + static_cast<Wide>(cost) * kNsPerSecond;
    }
    // Policing: takes `cost` and returns true when it conforms now; false, taking nothing, when not.
    bool admit(std::uint64_t now, std::uint64_t cost) {
        if (!conforms(now))
            return false;
        take(now, cost);
        return true;
    }

private:
    using Wide = unsigned __int128;
    Wide scaled(std::uint64_t t) const { return static_cast<Wide>(t) * rate_; }

    std::uint64_t rate_ = 0;
    Wide tolerance_ = 0;  // tolerance in ns x rate
    Wide tat_ = 0;        // theoretical arrival time in ns x rate; 0: full bucket from time 0
};

// An allowance that both shapes and counts (the Nitro card's PPS and bandwidth limits), as two
// GCRA states over one rate:
//   shaper  schedules departures: every frame that is not dropped takes it at the time it
//           leaves, so frames waiting in the shaping queue hold their place in it;
//   meter   measures arrivals against the same allowance: a frame that finds it exceeded is
//           "traffic that exceeds the maximum" and counts in the allowance counter, whether it
//           then waits or is dropped. Only frames within the allowance take it.
// So under sustained overload the counter grows by the excess over the allowance (what is
// dropped, once the queue is full), not by every frame that waited behind it; a burst beyond
// the bucket counts exactly the frames past the bucket. The meter never runs ahead of the
// shaper (it takes a subset of the same costs, never later), so a frame that leaves at once is
// always within the allowance.
//
// The hot path is one multiply (the arrival time scaled by the rate, `scaled`), two compares
// and two additions; only a frame that has to wait divides.
class ShapedAllowance {
public:
    using Wide = unsigned __int128;

    void configure(std::uint64_t units_per_second, std::uint64_t tolerance_ns) {
        rate_ = units_per_second;
        tolerance_ = static_cast<Wide>(tolerance_ns) * rate_;
        shaper_ = meter_ = 0;
    }
    bool enabled() const { return rate_ != 0; }

    static constexpr Wide kUnitCost = RateLimiter::kNsPerSecond;  // one packet
    static Wide cost(std::uint64_t units) { return static_cast<Wide>(units) * RateLimiter::kNsPerSecond; }

    Wide scaled(std::uint64_t t) const { return static_cast<Wide>(t) * rate_; }
    // Whether something arriving at `t` may leave at once.
    bool conforms(Wide t) const { return shaper_ <= t + tolerance_; }
    // It does and leaves now (`c` = cost(units)). The meter conforms too (it never runs ahead).
    void take_now(Wide t, Wide c) {
        shaper_ = (shaper_ > t ? shaper_ : t) + c;
        meter_ = (meter_ > t ? meter_ : t) + c;
    }
    // When something arriving at `now` (`t` = scaled(now)) may leave: `now` when it may at once.
    std::uint64_t earliest(std::uint64_t now, Wide t) const {
        if (shaper_ <= t + tolerance_)
            return now;
        return static_cast<std::uint64_t>((shaper_ - tolerance_ + rate_ - 1) / rate_);
    }
    // Whether something arriving at `t` is beyond the allowance (counted).
    bool exceeded(Wide t) const { return meter_ > t + tolerance_; }
    // It leaves at `departure` (from earliest()); `exceeded` as exceeded() said.
    void take(std::uint64_t now, Wide t, std::uint64_t departure, std::uint64_t cost, bool exceeded) {
        const Wide c = static_cast<Wide>(cost) * RateLimiter::kNsPerSecond;
        const Wide d = departure == now ? t : scaled(departure);
        shaper_ = (shaper_ > d ? shaper_ : d) + c;
        if (!exceeded)
            meter_ = (meter_ > t ? meter_ : t) + c;
    }

private:
    std::uint64_t rate_ = 0;
    Wide tolerance_ = 0;
    Wide shaper_ = 0, meter_ = 0;  // theoretical arrival times, ns x rate
};

}  // namespace ena::sim::detail
