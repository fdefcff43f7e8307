#pragma once

// Samples one counter of one executor's Prometheus page (/metrics on its
// admin port) every `interval` on a thread of its own, with the time of each
// sample, so that the rate over any window of the run can be read back
// afterwards: `rate(from, to)` interpolates the counter at both ends.
//
// The owning thread starts it (constructor), asks `latest()` while it runs,
// and reads the rates after `stop()`; the sampling thread only appends.

#include "eddy_home.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace eddy::bench {

class counter_sampler {
public:
    using clock_type = std::chrono::steady_clock;

    struct sample {
        clock_type::time_point at;
        double value = 0;
    };

    counter_sampler(admin_endpoint endpoint, std::string metric,
                    std::chrono::milliseconds interval);
    ~counter_sampler();
    counter_sampler(const counter_sampler&) = delete;
    counter_sampler& operator=(const counter_sampler&) = delete;

    void stop();

    // The last sample, if any was taken.
    [[nodiscard]] std::optional<sample> latest() const;
    // Failed scrapes so far, and the last failure's text.
    [[nodiscard]] std::uint64_t failures() const;
    [[nodiscard]] std::string last_failure() const;
    // Whether the counter ever went down (its executor restarted: the
    // figures would be meaningless).
    [[nodiscard]] bool went_down() const;

    // Counter increase per second over [from, to] (interpolated between the
    // samples around each end); nullopt without samples on both sides.
    [[nodiscard]] std::optional<double> rate(clock_type::time_point from,
                                             clock_type::time_point to) const;

private:
    void run();
    [[nodiscard]] std::optional<double> value_at(clock_type::time_point at) const;

    admin_endpoint _endpoint;
    std::string _metric;
    std::chrono::milliseconds _interval;
    std::atomic<bool> _stopping{false};
    mutable std::mutex _mu;
    std::vector<sample> _samples;  // GUARDED_BY(_mu), in time order
    std::uint64_t _failures = 0;   // GUARDED_BY(_mu)
    std::string _last_failure;     // GUARDED_BY(_mu)
    bool _went_down = false;       // GUARDED_BY(_mu)
    std::thread _thread;
};

// The value of an unlabelled metric `name` on a Prometheus text page, or the
// sum over its label sets; nullopt if the page has none.
[[nodiscard]] std::optional<double> metric_value(const std::string& page, const std::string& name);

}  // namespace eddy::bench
