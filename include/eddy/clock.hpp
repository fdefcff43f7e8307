#pragma once

// Clocks are injected, never read from a global: the runtime takes a `clock&`
// so that tests drive processing time with a `manual_clock`.
//
// Times are int64 microseconds since the Unix epoch, the unit of a record's
// event time. `system_clock` is safe to call from any thread; `manual_clock`
// too (its time is atomic), but advancing it is the test's business.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace eddy {

using micros = std::int64_t;

class clock {
public:
    virtual ~clock() = default;
    // Wall-clock time now, microseconds since the epoch.
    [[nodiscard]] virtual micros now() const = 0;
};

class system_clock final : public clock {
public:
    [[nodiscard]] micros now() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class manual_clock final : public clock {
public:
    explicit manual_clock(micros start = 0) : _now(start) {}
    [[nodiscard]] micros now() const override { return _now.load(std::memory_order_acquire); }
    void advance(micros by) { _now.fetch_add(by, std::memory_order_acq_rel); }
    void set(micros to) { _now.store(to, std::memory_order_release); }

private:
    std::atomic<micros> _now;
};

// Monotonic nanoseconds for measuring durations (latency, time blocked).
[[nodiscard]] inline std::int64_t monotonic_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace eddy
