#pragma once

// Renders counters in the Prometheus text format through prometheus-cpp's
// serializer: our hot paths keep plain atomics, and only a scrape builds the
// metric families. Every sample carries the instance's labels.
//
// Threading: a metrics_page is built and rendered by one thread (a scrape).

#include "runtime/instance_counters.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace prometheus {
struct MetricFamily;
}  // namespace prometheus

namespace eddy::executor {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_page {
public:
    explicit metrics_page(metric_labels common);
    ~metrics_page();
    void counter(const std::string& name, const std::string& help, double value,
                 const metric_labels& extra = {});
    void gauge(const std::string& name, const std::string& help, double value,
               const metric_labels& extra = {});
    // A histogram in seconds from the instance's bucket counts.
    void histogram(const std::string& name, const std::string& help,
                   const runtime::duration_histogram& from);
    [[nodiscard]] std::string render() const;

private:
    enum class kind { counter, gauge, histogram };
    prometheus::MetricFamily& family(const std::string& name, const std::string& help, kind type);
    metric_labels _common;
    std::vector<prometheus::MetricFamily> _families;
};

// How the instance thread's wall time splits, as cumulative seconds: busy
// (everything else), idle (waiting for input) and backpressured (handing
// batches to downstream channels, which is waiting for their credit). The
// writer's two fields per phase (completed time, start of the one in
// progress) are read without a lock, so a read can fall between the two
// stores of a phase's end; `report` keeps each series from going backwards.
//
// Threading: any thread (a mutex guards the last values reported).
class wall_time_split {
public:
    struct seconds {
        double busy = 0;
        double idle = 0;
        double backpressured = 0;
    };
    // From the instance's and the transport's fields, at monotonic `now`.
    [[nodiscard]] seconds report(const runtime::instance_counters& counters,
                                 std::uint64_t handover_nanos, std::int64_t handover_since,
                                 std::int64_t now);

private:
    std::mutex _mu;
    seconds _last;  // GUARDED_BY(_mu)
};

// Lets a finished executor wait for the coordinator's last scrape, so that
// the counters it keeps are the final ones.
//
// Threading: `scraped` from the admin threads, `release` from any thread,
// `wait_scraped` from the instance thread.
class final_scrape {
public:
    // A metrics page rendered from final counters (begun after the instance finished).
    void scraped();
    // Ends the wait without one (the executor is told to stop).
    void release() { scraped(); }
    // Waits until such a page was served (or release), at most `timeout`.
    void wait_scraped(std::chrono::milliseconds timeout);

private:
    std::mutex _mu;
    std::condition_variable _changed;
    std::uint64_t _scrapes = 0;  // GUARDED_BY(_mu)
};

}  // namespace eddy::executor
